//! A live plan for people: per project (account-wide objects first), one
//! line per action (`+ create`, `~ update`, `-/+ replace`, `- delete`)
//! with its changed fields, what it changes for whom (a section the caller
//! renders), the unmanaged objects in a short list, and a summary line. Every name and value is quoted or in a code span, with
//! control and hidden characters escaped (`diag::escape`), so a hostile
//! name (a newline, an ANSI escape, `${`) prints inert. `--format json`
//! prints the [`LivePlan`] itself (serde).

use super::plan::{Change, LivePlan, Op};
use crate::diag::escape;
use serde_json::Value;
use std::fmt::Write;

/// How many unmanaged objects are listed by name before "and N more".
const UNMANAGED_SHOWN: usize = 20;

/// The plan as text, ending with a newline.
pub fn human(plan: &LivePlan) -> String {
    human_with(plan, None)
}

/// The plan as text with a section after the actions (what it changes
/// for whom, [`super::render_access`]).
pub fn human_with(plan: &LivePlan, access: Option<&str>) -> String {
    let mut out = String::new();
    let mut current: Option<Option<&str>> = None;
    for action in &plan.actions {
        let project = action.project.as_deref();
        if current != Some(project) {
            if current.is_some() {
                out.push('\n');
            }
            match project {
                Some(p) => {
                    let _ = writeln!(out, "project {}:", super::reconcile::code(p));
                }
                None => out.push_str("account:\n"),
            }
            current = Some(project);
        }
        let sign = match action.op {
            Op::Create => "  + create",
            Op::Update => "  ~ update",
            Op::Replace => "-/+ replace",
            Op::Delete => "  - delete",
        };
        let _ = writeln!(out, "{sign} {}", escape::inline(&action.object));
        for c in &action.changes {
            let _ = writeln!(out, "      {}", change(c));
        }
    }
    if let Some(section) = access {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(section);
    }
    if !plan.unmanaged.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "Not managed by qpol (never touched): {}",
            plan.unmanaged.len()
        );
        for u in plan.unmanaged.iter().take(UNMANAGED_SHOWN) {
            let _ = writeln!(
                out,
                "  {} {}",
                escape::inline(&u.kind),
                super::reconcile::code(&u.name)
            );
        }
        if plan.unmanaged.len() > UNMANAGED_SHOWN {
            let _ = writeln!(out, "  and {} more", plan.unmanaged.len() - UNMANAGED_SHOWN);
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(plan));
    out.push('\n');
    out
}

/// `Plan: 3 to create, 1 to update, 0 to replace, 1 to delete.`, or
/// `No changes. The account matches the policy.`
pub fn summary(plan: &LivePlan) -> String {
    if plan.actions.is_empty() {
        return "No changes. The account matches the policy.".to_string();
    }
    let count = |op: Op| plan.actions.iter().filter(|a| a.op == op).count();
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete.",
        count(Op::Create),
        count(Op::Update),
        count(Op::Replace),
        count(Op::Delete)
    )
}

/// `expiration: 12 -> 24`, values quoted; a set (two lists) as what it
/// gains and loses: `actions: + "job.delete", - "job.cancel"`.
fn change(c: &Change) -> String {
    if let (Some(Value::Array(from)), Some(Value::Array(to))) = (&c.from, &c.to) {
        let added = to
            .iter()
            .filter(|v| !from.contains(v))
            .map(|v| format!("+ {}", value(v)));
        let removed = from
            .iter()
            .filter(|v| !to.contains(v))
            .map(|v| format!("- {}", value(v)));
        let all: Vec<String> = added.chain(removed).collect();
        return format!("{}: {}", escape::inline(&c.field), all.join(", "));
    }
    let show = |v: &Option<Value>| match v {
        None | Some(Value::Null) => "(none)".to_string(),
        Some(v) => value(v),
    };
    format!(
        "{}: {} -> {}",
        escape::inline(&c.field),
        show(&c.from),
        show(&c.to)
    )
}

/// A value for one line: strings quoted (JSON escapes control characters),
/// lists as `[a, b]`, every hidden character escaped.
fn value(v: &Value) -> String {
    match v {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(value).collect();
            format!("[{}]", items.join(", "))
        }
        other => {
            let text = serde_json::to_string(other).unwrap_or_default();
            escape::inline(&text).into_owned()
        }
    }
}
