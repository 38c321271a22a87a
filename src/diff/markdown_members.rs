//! The Markdown of what [`super::members`], [`super::idps`] and the
//! acknowledged findings add to the comment: a replaced identity provider,
//! the member sets whose grants changed (for users who are not declared),
//! and findings the change silences with their reasons.

use super::markdown::{code, location, message, text};
use super::{Acknowledged, IdpChange, SetChange};
use std::fmt::Write;

/// `> [!CAUTION]` for each identity provider replaced or re-realmed.
pub(super) fn idps(changes: &[IdpChange]) -> String {
    let mut out = String::new();
    for c in changes {
        let what = if c.change == "replaced" {
            "is replaced"
        } else {
            "changes realm"
        };
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **Identity provider {} {what}** ({}): {}.\n",
            code(&c.idp),
            text(&c.detail),
            text(&c.note)
        );
    }
    out
}

/// A table of what the rule members of each changed member set gain or lose.
pub(super) fn sets(changes: &[SetChange]) -> String {
    if changes.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "### Member sets whose grants changed\n\n| members of | admitted by | change | actions | instance | cause |\n|---|---|---|---|---|---|\n",
    );
    for c in changes {
        let rules = if c.rules.is_empty() {
            "(no rule)".to_string()
        } else {
            c.rules
                .iter()
                .map(|r| code(r))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let actions: Vec<String> = c.actions.iter().map(|a| code(a)).collect();
        let members = format!("members of {} {}", c.unit.kind, c.unit.name);
        let why = c
            .cause
            .describe(&members, c.change == "gains", &c.actions, &|s| code(s));
        let _ = writeln!(
            out,
            "| {} {} | {rules} | {} | {} | {} | {why} |",
            c.unit.kind,
            code(&c.unit.name),
            c.change,
            actions.join(", "),
            code(&c.instance)
        );
    }
    out.push('\n');
    out
}

/// The findings the new policy acknowledges and the old one did not.
pub(super) fn acknowledged(items: &[Acknowledged]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\nNewly acknowledged (silenced by an `allow` of this change, not resolved):\n\n",
    );
    for a in items {
        let f = &a.finding;
        let _ = writeln!(
            out,
            "- **{}** {}: {} ({}), acknowledged: {}",
            f.code,
            f.severity,
            message(&f.message),
            location(f),
            code(&a.reason)
        );
    }
    out.push('\n');
    out
}
