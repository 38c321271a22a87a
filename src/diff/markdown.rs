//! A [`Diff`] as Markdown for a pull-request comment: the one-line summary,
//! a call-out for every new Q201, then Access, Users who are not declared,
//! Cloud objects and Findings; a section past [`FOLD`] lines is folded in
//! `<details>`. Every name, value and message from the policy goes through
//! [`code`] or [`text`], so it can neither render as HTML nor break a table;
//! every value a user wrote is in a code span, where `@team` mentions and
//! URLs stay inert. [`render_bounded`] cuts the comment at a section
//! boundary to fit a size.

use super::{AccessChange, Diff, Finding, ObjectChange, TargetChanges};
use std::fmt::Write;

/// Sections longer than this many lines are collapsed.
pub const FOLD: usize = 50;

/// Text shown literally: hidden characters as `\u{..}`, and every ASCII
/// character Markdown or HTML could read as syntax as a character reference.
pub fn text(s: &str) -> String {
    let shown = crate::diag::escape::inline(s);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        let plain = matches!(
            c,
            '.' | ','
                | ':'
                | ';'
                | '-'
                | '\''
                | '"'
                | '/'
                | '='
                | '?'
                | '%'
                | '@'
                | '('
                | ')'
                | '!'
        );
        if c.is_ascii_punctuation() && !plain {
            let _ = write!(out, "&#{};", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// A name, rule or value as inline code: a fence longer than any run of
/// backticks inside (padded when the text starts or ends with one), and a
/// `|` escaped so it cannot split a table cell (GitHub shows it as `|`).
pub fn code(s: &str) -> String {
    let shown = crate::diag::escape::inline(s).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in shown.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if shown.starts_with(['`', ' ']) || shown.ends_with(['`', ' ']) || shown.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{shown}{pad}{fence}")
}

/// A message whose names are between backticks: those parts as code, the
/// rest as text; a message whose backticks do not pair up (a value that
/// holds one) is shown whole as code.
pub fn message(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return code(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| if i % 2 == 1 { code(p) } else { text(p) })
        .collect()
}

/// The whole comment.
pub fn render(d: &Diff) -> String {
    render_bounded(d, usize::MAX)
}

/// The comment in at most `max` bytes where it can be: the summary line and
/// the new-Q201 call-outs always, then every section that still fits whole
/// (a `<details>` is never cut open), and a closing note naming the
/// sections left out.
pub fn render_bounded(d: &Diff, max: usize) -> String {
    let mut out = head(d);
    let sections = sections(d);
    let full: usize = out.len() + sections.iter().map(String::len).sum::<usize>();
    if full <= max {
        sections.iter().for_each(|s| out.push_str(s));
        return out;
    }
    let mut left_out = Vec::new();
    let mut budget = max.saturating_sub(out.len() + NOTE_ROOM);
    for (section, title) in sections.iter().zip(TITLES) {
        if section.len() <= budget {
            budget -= section.len();
            out.push_str(section);
        } else {
            left_out.push(title);
        }
    }
    let _ = writeln!(
        out,
        "\n*(truncated: {} left out to keep this comment under {max} bytes; run `qpol diff` locally, or with `--format json`, for the whole report)*",
        left_out.join(", ")
    );
    out
}

/// Bytes kept for the truncation note.
const NOTE_ROOM: usize = 300;

/// The sections, in order.
const TITLES: [&str; 4] = [
    "Access",
    "Users who are not declared",
    "Cloud objects",
    "Findings",
];

/// The summary line and the call-outs for new Q201s.
fn head(d: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", text(&d.summary));
    for f in d.findings.new.iter().filter(|f| f.code == "Q201") {
        let _ = writeln!(
            out,
            "\n> [!WARNING]\n> **New Q201 ({})**: {} ({})",
            f.severity,
            message(&f.message),
            location(f)
        );
    }
    out
}

/// Each section, rendered (titles as [`TITLES`]).
fn sections(d: &Diff) -> Vec<String> {
    let mut objects = target("Terraform (`main.tf.json`)", &d.objects.terraform);
    objects.push('\n');
    objects.push_str(&target("IBM Cloud API (`plan.json`)", &d.objects.ibm_api));
    let bodies = [access(&d.access), rules(d), objects, findings(d)];
    TITLES
        .iter()
        .zip(bodies)
        .map(|(title, body)| {
            let mut out = String::new();
            section(&mut out, title, &body);
            out
        })
        .collect()
}

fn section(out: &mut String, title: &str, body: &str) {
    let lines = body.lines().count();
    let body = body.trim_start_matches('\n');
    let _ = writeln!(out, "\n## {title}\n");
    if lines > FOLD {
        let _ = writeln!(
            out,
            "<details><summary>{lines} lines</summary>\n\n{}\n</details>",
            body.trim_end()
        );
    } else {
        let _ = writeln!(out, "{}", body.trim_end());
    }
}

fn access(changes: &[AccessChange]) -> String {
    if changes.is_empty() {
        return "No declared user gains or loses access.\n".into();
    }
    let mut out = String::new();
    let mut unit = None;
    for c in changes {
        if unit != Some(&c.unit) {
            unit = Some(&c.unit);
            let _ = writeln!(
                out,
                "\n### {} {}\n\n| user | change | actions | instance | cause |\n|---|---|---|---|---|",
                c.unit.kind,
                code(&c.unit.name)
            );
        }
        let actions: Vec<String> = c.actions.iter().map(|a| code(a)).collect();
        let why = c
            .cause
            .describe(&c.user, c.change == "gains", &c.actions, &|s| code(s));
        let who = if c.subject == "service_id" {
            format!("service id {}", code(&c.user))
        } else {
            code(&c.user)
        };
        let _ = writeln!(
            out,
            "| {who} | {} | {} | {} | {why} |",
            c.change,
            actions.join(", "),
            code(&c.instance)
        );
    }
    out
}

fn rules(d: &Diff) -> String {
    let mut out = super::markdown_members::idps(&d.idps);
    out.push_str(&super::markdown_members::sets(&d.member_sets));
    if d.rules.is_empty() {
        out.push_str("No dynamic rule changed.\n");
        return out;
    }
    let shown = |r: &[String]| {
        if r.is_empty() {
            "(no rule)".to_string()
        } else {
            r.iter().map(|x| code(x)).collect::<Vec<_>>().join(" or ")
        }
    };
    for r in &d.rules {
        let _ = write!(
            out,
            "- {} {}: {} → {}",
            r.unit.kind,
            code(&r.unit.name),
            shown(&r.before),
            shown(&r.after)
        );
        for note in &r.notes {
            // Names and values between backticks, as code.
            let _ = write!(out, "; {}", message(note));
        }
        out.push('\n');
    }
    out
}

fn target(title: &str, t: &TargetChanges) -> String {
    let mut out = format!("### {title}\n\n");
    if !t.compared {
        let reason = t.reason.as_deref().unwrap_or("");
        let _ = writeln!(out, "Not compared: {}.", text(reason));
        return out;
    }
    if t.changes.is_empty() {
        out.push_str("No object is created, updated, replaced or deleted.\n");
        return out;
    }
    out.push_str("| change | object | note |\n|---|---|---|\n");
    for c in &t.changes {
        let _ = writeln!(out, "| {} | {} | {} |", c.change, code(&c.object), note(c));
    }
    out
}

fn note(c: &ObjectChange) -> String {
    let mut parts = Vec::new();
    if let Some(detail) = &c.detail {
        parts.push(message(detail));
    }
    if c.loses_jobs {
        parts.push(if c.allowed {
            "its jobs are lost (allowed by the policy)".to_string()
        } else {
            "**its jobs are lost**".to_string()
        });
    }
    parts.join("; ")
}

pub(super) fn location(f: &Finding) -> String {
    code(&format!("{}:{}:{}", f.file, f.line, f.column))
}

fn findings(d: &Diff) -> String {
    let f = &d.findings;
    let mut out = String::new();
    let list = |out: &mut String, title: &str, items: &[Finding]| {
        if items.is_empty() {
            let _ = writeln!(out, "{title}: none.");
            return;
        }
        let _ = writeln!(out, "{title}:\n");
        for i in items {
            let _ = writeln!(
                out,
                "- **{}** {}: {} ({})",
                i.code,
                i.severity,
                message(&i.message),
                location(i)
            );
        }
        out.push('\n');
    };
    list(&mut out, "New", &f.new);
    out.push_str(&super::markdown_members::acknowledged(&f.acknowledged));
    list(&mut out, "Resolved", &f.resolved);
    let _ = writeln!(
        out,
        "The new policy has {} and {}.",
        super::plural(f.errors, "error", "errors"),
        super::plural(f.warnings, "warning", "warnings")
    );
    out
}
