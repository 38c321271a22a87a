//! `assert SUBJECT can|cannot ACTION on INSTANCE;` evaluated against the
//! effective-access model. A failure (Q401) explains the path that grants
//! the access, or why no path does.

use super::{Access, Grant, Membership, Via};
use crate::diag::{Code, Diagnostic, Label};
use crate::model::{Assertion, Subject};

#[derive(Debug, Clone, Default)]
pub struct TestOutcome {
    pub passed: usize,
    pub failed: usize,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn run(access: &Access<'_>) -> TestOutcome {
    let mut outcome = TestOutcome::default();
    for assertion in &access.model.assertions {
        match evaluate(access, assertion) {
            None => outcome.passed += 1,
            Some(d) => {
                outcome.failed += 1;
                outcome.diagnostics.push(d);
            }
        }
    }
    outcome
}

/// `None` when the assertion holds, else the failure.
fn evaluate(access: &Access<'_>, a: &Assertion) -> Option<Diagnostic> {
    let model = access.model;
    let subject = &a.subject.value;
    let who = subject_name(access, subject);
    let instance = model
        .instances
        .get(a.instance.value)
        .map_or("?", |i| i.name.value.as_str());
    let action = a.action.value.as_str();
    let grants = access.grants(subject);
    let on_instance: Vec<&Grant> = grants
        .iter()
        .filter(|g| g.instance == a.instance.value)
        .collect();
    let allowing: Vec<&&Grant> = on_instance
        .iter()
        .filter(|g| {
            model
                .roles
                .get(g.role)
                .is_some_and(|r| r.has_action(action))
        })
        .collect();
    let verdict = if a.expect_allowed { "can" } else { "cannot" };
    let statement = format!("`{who} {verdict} {action} on {instance}`");
    if a.expect_allowed != allowing.is_empty() {
        return None;
    }
    let mut d = Diagnostic::new(
        Code::AssertionFailed,
        String::new(),
        Label::new(a.span, "does not hold"),
    );
    if let Some(grant) = allowing.first() {
        let role = model.roles.get(grant.role);
        d.message = format!(
            "assertion {statement} fails: {}",
            path(access, &who, grant, action)
        );
        d = with_membership_label(access, d, &grant.membership);
        if let Some(action_span) = role
            .and_then(|r| r.actions.iter().find(|x| x.value == action))
            .map(|x| x.span)
        {
            if action_span != Default::default() {
                d = d.with_label(Label::new(
                    action_span,
                    format!(
                        "role {} grants {action}",
                        role.map_or("?", |r| r.name.value.as_str())
                    ),
                ));
            }
        }
        d = d.with_help("remove the action from the role, or the subject from the project; or fix the assertion if the access is intended");
        return Some(d);
    }
    let memberships = access.memberships(subject);
    let reason = if memberships.is_empty() {
        format!("`{who}` is a member of no project or group")
    } else if on_instance.is_empty() {
        let units: Vec<String> = memberships
            .iter()
            .filter_map(|m| model.units.get(m.unit))
            .map(|u| format!("{} {}", u.kind.word(), u.name.value))
            .collect();
        format!(
            "`{who}` is a member of {}, and none of them grants anything on {instance}",
            dedup(units).join(", ")
        )
    } else {
        let roles: Vec<String> = on_instance
            .iter()
            .filter_map(|g| model.roles.get(g.role))
            .map(|r| format!("`{}`", r.name.value))
            .collect();
        format!(
            "`{who}` holds {} on {instance}, without {action}",
            dedup(roles).join(", ")
        )
    };
    d.message = format!("assertion {statement} fails: {reason}");
    Some(d.with_help(
        "grant the access through a project, or fix the assertion if the denial is intended",
    ))
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.dedup();
    v
}

fn subject_name(access: &Access<'_>, subject: &Subject) -> String {
    match subject {
        Subject::User(u) => access
            .model
            .users
            .get(*u)
            .map_or_else(|| "?".into(), |u| u.name.value.to_string()),
        Subject::ServiceId(s) => access
            .model
            .service_ids
            .get(*s)
            .map_or_else(|| "?".into(), |s| s.name.value.to_string()),
        Subject::Literal(s) => s.to_string(),
    }
}

/// How a subject is a member: "`amyra` matches rule `project contains
/// "finance"` of project finance" or "`amyra` is a member of project ml"
/// (failed assertions and editor hovers say it the same way).
pub fn membership_reason(access: &Access<'_>, who: &str, membership: &Membership) -> String {
    let unit = access.model.units.get(membership.unit);
    let unit_name = unit.map_or_else(String::new, |u| {
        format!("{} {}", u.kind.word(), u.name.value)
    });
    match &membership.via {
        Via::Rule(r) => {
            let rule = unit
                .and_then(|u| u.member_sets.get(membership.set))
                .and_then(|s| s.rules.get(*r));
            let conditions: Vec<String> = rule
                .map(|r| r.conditions.iter().map(|c| c.describe()).collect())
                .unwrap_or_default();
            format!(
                "`{who}` matches rule `{}` of {unit_name}",
                conditions.join(" and ")
            )
        }
        Via::Static => format!("`{who}` is a member of {unit_name}"),
    }
}

/// "Amyra's project `ml finance` matches rule `project contains "finance"` of
/// project finance, which grants role writer on QR-finance, with job.delete"
fn path(access: &Access<'_>, who: &str, grant: &Grant, action: &str) -> String {
    let model = access.model;
    let how = membership_reason(access, who, &grant.membership);
    let through = if grant.through != grant.membership.unit {
        model
            .units
            .get(grant.through)
            .map_or_else(String::new, |t| {
                format!(" through {} {}", t.kind.word(), t.name.value)
            })
    } else {
        String::new()
    };
    let role = model
        .roles
        .get(grant.role)
        .map_or("?", |r| r.name.value.as_str());
    let instance = model
        .instances
        .get(grant.instance)
        .map_or("?", |i| i.name.value.as_str());
    format!(
        "{how}, which grants role `{role}` on {instance}{through}, and `{role}` includes {action}"
    )
}

fn with_membership_label(access: &Access<'_>, d: Diagnostic, m: &Membership) -> Diagnostic {
    let set = access
        .model
        .units
        .get(m.unit)
        .and_then(|u| u.member_sets.get(m.set));
    let span = match &m.via {
        Via::Rule(r) => set.and_then(|s| s.rules.get(*r)).map(|r| r.span),
        Via::Static => set.map(|s| s.span),
    };
    match span {
        Some(span) => d.with_label(Label::new(span, "admits the subject")),
        None => d,
    }
}
