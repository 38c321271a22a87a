//! Hierarchy checks: cycles among groups (Q211), projects nobody can reach
//! (Q212), instances no project or group scopes (Q213), declared users who
//! land in no project (Q214).

use crate::access::Access;
use crate::diag::{Code, Diagnostic, Label};
use crate::model::{MemberRef, Model, UnitKind};
use std::collections::BTreeSet;

pub fn check(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    let model = access.model;
    cycles(access, out);
    unreachable_projects(access, out);
    for (id, instance) in model.instances.iter().enumerate() {
        if !access.graph.instance_is_scoped(id) {
            out.push(
                Diagnostic::new(
                    Code::UnreachableInstance,
                    format!("no project or group grants access to instance `{}`; it is billed but nobody can use it", instance.name.value),
                    Label::new(instance.name.span, "used by no project"),
                )
                .with_help(format!("add `{}` to a project's `instances`, or remove the instance", instance.name.value)),
            );
        }
    }
    users_without_project(access, out);
}

/// Groups named in the message of a cycle.
const SHOWN_IN_CYCLE: usize = 10;

fn cycles(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    let model = access.model;
    for cycle in access.graph.group_cycles() {
        let names: Vec<&str> = cycle
            .iter()
            .filter_map(|u| model.units.get(*u))
            .map(|u| u.name.value.as_str())
            .collect();
        let Some(first) = names.first() else { continue };
        // A long cycle is named by its first groups (the labels list them all).
        let shown = match names.get(..SHOWN_IN_CYCLE) {
            Some(head) if names.len() > SHOWN_IN_CYCLE + 1 => format!(
                "{} -> … ({} more groups) -> {first}",
                head.join(" -> "),
                names.len() - SHOWN_IN_CYCLE
            ),
            _ => format!("{} -> {first}", names.join(" -> ")),
        };
        // One label per edge of the cycle: the `groups` entry that closes it.
        let mut edges = Vec::new();
        for (i, from) in cycle.iter().enumerate() {
            let to = cycle.get(i + 1).or(cycle.first()).copied().unwrap_or(*from);
            let entry = model
                .units
                .get(*from)
                .and_then(|u| u.groups.iter().find(|g| g.value == to));
            if let (Some(entry), Some(from_unit), Some(to_unit)) =
                (entry, model.units.get(*from), model.units.get(to))
            {
                edges.push(Label::new(
                    entry.span,
                    format!("{} contains {}", from_unit.name.value, to_unit.name.value),
                ));
            }
        }
        let mut edges = edges.into_iter();
        let Some(primary) = edges.next() else {
            continue;
        };
        let mut d = Diagnostic::new(
            Code::CyclicGroup,
            format!("groups contain each other in a cycle: {shown}"),
            primary,
        )
        .with_help("remove one `groups` entry of the cycle; access groups cannot nest in a loop");
        for label in edges {
            d = d.with_label(label);
        }
        out.push(d);
    }
}

fn unreachable_projects(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    let model = access.model;
    for (id, unit) in model.units.iter().enumerate() {
        if unit.kind != UnitKind::Project || unit.has_members() {
            continue;
        }
        let reached = access
            .graph
            .ancestors(id)
            .iter()
            .any(|a| model.units.get(*a).is_some_and(|g| g.has_members()));
        if !reached {
            out.push(
                Diagnostic::new(
                    Code::ProjectWithoutMembers,
                    format!("project `{}` has no members and no group with members includes it, so nobody can use its instances", unit.name.value),
                    Label::new(unit.name.span, "no members"),
                )
                .with_help("add `members where ...`, `members user \"...\"`, or list the project in a group that has members"),
            );
        }
    }
}

fn users_without_project(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    let model = access.model;
    let statically = static_members(model);
    for (id, user) in model.users.iter().enumerate() {
        // A user whose idp did not resolve was reported already (Q101 / Q108).
        let unresolved_idp = user.idp.is_none() && !user.attributes.is_empty();
        if unresolved_idp || statically.contains(&id) || !access.rule_memberships(id).is_empty() {
            continue;
        }
        let what = if user.attributes.is_empty() {
            "is no member of any project or group".to_string()
        } else {
            let shown: Vec<String> = user
                .attributes
                .iter()
                .map(|(k, v)| format!("{k} {}", show(&v.value)))
                .collect();
            format!("matches no dynamic rule with {}", shown.join(", "))
        };
        out.push(
            Diagnostic::new(
                Code::UserInNoProject,
                format!("user `{}` {what}, so the user gets no access", user.name.value),
                Label::new(user.name.span, "in no project"),
            )
            .with_help("set the attribute a project's rule tests, or add the user to a project's `members`"),
        );
    }
}

fn show(value: &crate::model::AttrValue) -> String {
    match value {
        crate::model::AttrValue::Str(s) => format!("{s:?}"),
        crate::model::AttrValue::List(l) => format!("{l:?}"),
    }
}

/// Declared users that some member set lists (by name, email or IAM id).
fn static_members(model: &Model) -> BTreeSet<usize> {
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    let mut out = BTreeSet::new();
    for set in model.units.iter().flat_map(|u| &u.member_sets) {
        for m in &set.users {
            match m {
                MemberRef::Declared(u) => {
                    out.insert(*u);
                }
                MemberRef::Literal(s) => {
                    ids.insert(s.as_str());
                }
            }
        }
    }
    for (id, user) in model.users.iter().enumerate() {
        let by_id = [&user.email, &user.iam_id]
            .into_iter()
            .flatten()
            .any(|v| ids.contains(v.value.as_str()));
        if by_id {
            out.insert(id);
        }
    }
    out
}
