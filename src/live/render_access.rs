//! What a live plan changes for whom ([`PlanAccess`]), for people: one
//! section after the plan's actions, grouped by project (account-wide
//! changes first), one line per change in `qpol diff`'s words:
//!
//! ```text
//! Access changes: 1 user gains access, 1 loses
//! project `ml`:
//!   + user `Fatima` gains `job.delete` on `QR-ml` (role `writer` gained `job.delete`)
//!   - user `Ravi` loses `job.read` on `QR-ml` (...)
//! ```
//!
//! `+` a gain, `-` a loss, `~` a dynamic rule that admits other users, `!`
//! an identity provider replaced. Every name is in a code span with hidden
//! characters escaped ([`code`]), so a hostile name prints inert; past
//! [`SHOWN`] lines the rest is counted, not listed.

use super::access::PlanAccess;
use super::reconcile::code;
use crate::diag::escape;
use crate::diff::UnitRef;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How many change lines are listed before "and N more".
pub const SHOWN: usize = 50;

/// The section, ending with a newline.
pub fn human(a: &PlanAccess) -> String {
    if !a.computed {
        let reason = a.reason.as_deref().unwrap_or("");
        return format!(
            "Access changes: not computed: {}.\n",
            escape::inline(reason)
        );
    }
    let mut out = if a.changed() {
        format!("Access changes: {}\n", escape::inline(&a.summary))
    } else {
        "Access changes: none (no user or member set gains or loses access).\n".to_string()
    };
    let groups = lines(a);
    let total: usize = groups.values().map(Vec::len).sum();
    let mut shown = 0;
    for (unit, lines) in &groups {
        if shown >= SHOWN {
            break;
        }
        match unit {
            Some(u) => {
                let _ = writeln!(out, "{} {}:", u.kind, code(&u.name));
            }
            None => out.push_str("account:\n"),
        }
        for line in lines.iter().take(SHOWN - shown) {
            let _ = writeln!(out, "  {line}");
            shown += 1;
        }
    }
    if total > shown {
        let _ = writeln!(
            out,
            "  and {} more (`qpol plan --format json` lists every one)",
            total - shown
        );
    }
    for note in &a.notes {
        let _ = writeln!(out, "Note: {}.", escape::inline(note));
    }
    out
}

/// The change lines by project or group (`None`: account-wide), in the
/// order `qpol diff` lists them within each.
fn lines(a: &PlanAccess) -> BTreeMap<Option<UnitRef>, Vec<String>> {
    let c = &a.change;
    let mut out: BTreeMap<Option<UnitRef>, Vec<String>> = BTreeMap::new();
    for i in &c.idps {
        let what = if i.change == "replaced" {
            "is replaced"
        } else {
            "changes realm"
        };
        out.entry(None).or_default().push(format!(
            "! identity provider {} {what} ({}): {}",
            code(&i.idp),
            escape::inline(&i.detail),
            escape::inline(&i.note)
        ));
    }
    for ch in &c.access {
        let gained = ch.change == "gains";
        let who = if ch.subject == "service_id" {
            format!("service id {}", code(&ch.user))
        } else {
            format!("user {}", code(&ch.user))
        };
        let why = ch.cause.describe(&ch.user, gained, &ch.actions, &code);
        out.entry(Some(ch.unit.clone())).or_default().push(format!(
            "{} {who} {} {} on {} ({why})",
            if gained { "+" } else { "-" },
            ch.change,
            actions(&ch.actions),
            code(&ch.instance)
        ));
    }
    for s in &c.member_sets {
        let gained = s.change == "gains";
        let members = format!("members of {} {}", s.unit.kind, s.unit.name);
        let why = s.cause.describe(&members, gained, &s.actions, &code);
        out.entry(Some(s.unit.clone())).or_default().push(format!(
            "{} members admitted by {} {} {} on {} ({why})",
            if gained { "+" } else { "-" },
            rules(&s.rules),
            if gained { "gain" } else { "lose" },
            actions(&s.actions),
            code(&s.instance)
        ));
    }
    for r in &c.rules {
        let mut line = format!("~ rule {} -> {}", rules(&r.before), rules(&r.after));
        for note in &r.notes {
            let _ = write!(line, "; {}", escape::inline(note));
        }
        out.entry(Some(r.unit.clone())).or_default().push(line);
    }
    out
}

fn actions(list: &[String]) -> String {
    list.iter().map(|a| code(a)).collect::<Vec<_>>().join(", ")
}

fn rules(list: &[String]) -> String {
    if list.is_empty() {
        "(no rule)".to_string()
    } else {
        list.iter()
            .map(|r| code(r))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}
