//! Role checks: unknown, deprecated and repeated actions (Q103, Q109,
//! Q110), reader roles with write actions (Q221), roles without
//! `device.read` (Q222), `job.delete` granted (Q223), roles that run jobs
//! but cannot open sessions (Q224).

use crate::diag::{did_you_mean, Code, Diagnostic, Label};
use crate::model::{actions, Model, Role};

pub fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let granted: Vec<usize> = model
        .units
        .iter()
        .flat_map(|u| {
            u.role
                .iter()
                .chain(u.member_sets.iter().filter_map(|s| s.role.as_ref()))
        })
        .map(|r| r.value)
        .collect();
    for (id, role) in model.roles.iter().enumerate() {
        if role.preset {
            continue;
        }
        actions_known(role, out);
        reader_without_writes(role, out);
        if !role.actions.is_empty() && !role.has_action("device.read") {
            out.push(
                Diagnostic::new(
                    Code::RoleWithoutDeviceRead,
                    format!(
                        "role `{}` lacks `device.read`, so its users cannot list backends",
                        role.name.value
                    ),
                    Label::new(role.name.span, "no device.read"),
                )
                .with_help("add `device.read` to its actions"),
            );
        }
        if role.has_action("job.create") && !role.has_action("session.create") {
            out.push(
                Diagnostic::new(
                    Code::WriterWithoutSessionCreate,
                    format!("role `{}` can run jobs but not open sessions, which current Qiskit Runtime workloads need", role.name.value),
                    Label::new(role.name.span, "job.create without session.create"),
                )
                .with_help("add `session.create` (and `session.read`, `session.update`) to its actions"),
            );
        }
        if granted.contains(&id) {
            if let Some(delete) = role.actions.iter().find(|a| a.value == "job.delete") {
                out.push(
                    Diagnostic::new(
                        Code::JobDeleteGranted,
                        format!("role `{}` lets its users delete jobs, and with them part of the audit trail of what was billed", role.name.value),
                        Label::new(delete.span, "job.delete"),
                    )
                    .with_help("keep it only if deleting jobs is intended; otherwise remove `job.delete`"),
                );
            }
        }
    }
}

fn actions_known(role: &Role, out: &mut Vec<Diagnostic>) {
    let mut seen: Vec<&str> = Vec::new();
    let mut deprecated = Vec::new();
    for action in &role.actions {
        let name = action.value.as_str();
        if seen.contains(&name) {
            out.push(
                Diagnostic::new(
                    Code::DuplicateAction,
                    format!("role `{}` lists `{name}` twice", role.name.value),
                    Label::new(action.span, "listed again"),
                )
                .with_help("remove the second mention"),
            );
            continue;
        }
        seen.push(name);
        if actions::DEPRECATED.contains(&name) {
            deprecated.push(action);
        } else if !actions::is_known(name) {
            let mut d = Diagnostic::new(
                Code::UnknownAction,
                format!(
                    "`{name}` is not a quantum-computing action; IAM would reject role `{}`",
                    role.name.value
                ),
                Label::new(action.span, "unknown action"),
            )
            .with_suggestion(did_you_mean(name, actions::all()));
            if d.help.is_none() {
                d.help = Some("`qpol explain Q103` lists the service's actions".into());
            }
            out.push(d);
        }
    }
    if let Some((first, rest)) = deprecated.split_first() {
        let names: Vec<&str> = deprecated.iter().map(|a| a.value.as_str()).collect();
        let mut d = Diagnostic::new(
            Code::DeprecatedAction,
            format!("role `{}` lists {} that the service no longer lists: {}", role.name.value, plural(names.len()), names.join(", ")),
            Label::new(first.span, "no longer listed"),
        )
        .with_help("they are accepted but grant nothing on current instances; remove them when the seed guide's setup is retired");
        for a in rest {
            d = d.with_label(Label::new(a.span, ""));
        }
        out.push(d);
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "an action"
    } else {
        "actions"
    }
}

/// A role named like a reader (`reader`, `viewer`, `ml-read`) must not write.
fn reader_without_writes(role: &Role, out: &mut Vec<Diagnostic>) {
    let looks_like_reader = |s: &str| {
        let s = s.to_lowercase();
        s.contains("read") || s.contains("view")
    };
    let reader = looks_like_reader(&role.name.value)
        || role
            .display_name
            .as_ref()
            .is_some_and(|d| looks_like_reader(&d.value));
    if !reader {
        return;
    }
    let writes: Vec<_> = role
        .actions
        .iter()
        .filter(|a| actions::is_write(&a.value))
        .collect();
    let Some((first, rest)) = writes.split_first() else {
        return;
    };
    let names: Vec<&str> = writes.iter().map(|a| a.value.as_str()).collect();
    let mut d = Diagnostic::new(
        Code::ReaderRoleHasWriteAction,
        format!("reader role `{}` can change things: it holds {}", role.name.value, names.join(", ")),
        Label::new(first.span, "a write action"),
    )
    .with_label(Label::new(role.name.span, "named as a reader"))
    .with_help("remove the cancel, create, delete and update actions, or give the role a name that says it writes");
    for a in rest {
        d = d.with_label(Label::new(a.span, "a write action"));
    }
    out.push(d);
}
