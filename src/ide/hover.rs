//! Hover texts (Markdown): on a user, what they get and through which rule
//! or membership (the wording of `qpol test`); on an instance, who can use
//! it with which role, who gets it only through an overlap (Q201) and the
//! findings about it; on a rule value, the other projects whose users it
//! also admits (the Q201 findings of the analysis); on an action, its
//! description; on a role, its actions; on the other names, a summary.

use super::markdown::{code, text};
use super::{at, TargetKind};
use crate::access::assertions::membership_reason;
use crate::access::Via;
use crate::diag::{Code, Entity, FileId, Span};
use crate::model::{actions, MemberRef, Model, Named, Subject};
use crate::pipeline::Analysis;

/// Lines listed per section before "and N more".
const LINES: usize = 30;

/// A hover: Markdown text and the span it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    pub markdown: String,
    pub span: Span,
}

/// The hover for what is under the cursor, if it has one.
pub fn hover(analysis: &Analysis, file: FileId, offset: usize) -> Option<Hover> {
    let target = at(analysis, file, offset)?;
    let markdown = match &target.kind {
        TargetKind::Declaration(named) | TargetKind::Reference(named) => {
            named_hover(analysis, *named)?
        }
        TargetKind::Action(name) => action_hover(&analysis.model, name),
        TargetKind::RuleValue {
            unit,
            set,
            rule,
            condition,
        } => rule_value_hover(analysis, *unit, *set, *rule, *condition)?,
        TargetKind::Attribute { idp, name } => attribute_hover(&analysis.model, *idp, name),
        TargetKind::Keyword(word) => {
            format!("**{word}**\n\n{}", super::words::keyword_doc(word)?)
        }
    };
    Some(Hover {
        markdown,
        span: target.span,
    })
}

fn named_hover(analysis: &Analysis, named: Named) -> Option<String> {
    let model = &analysis.model;
    Some(match named {
        Named::User(u) => subject_hover(analysis, Subject::User(u), "user")?,
        Named::ServiceId(s) => subject_hover(analysis, Subject::ServiceId(s), "service_id")?,
        Named::Instance(i) => instance_hover(analysis, i)?,
        Named::Role(r) => role_hover(model, r)?,
        Named::Unit(u) => unit_hover(model, u)?,
        Named::Idp(i) => {
            let idp = model.idps.get(i)?;
            let attributes: Vec<String> = idp.attributes.iter().map(|a| code(&a.value)).collect();
            format!(
                "**idp** {} ({})\n\nattributes: {}",
                code(&idp.name.value),
                code(&idp.kind),
                none_or(attributes.join(", "))
            )
        }
        Named::ResourceGroup(g) => {
            let rg = model.resource_groups.get(g)?;
            let instances: Vec<String> = model
                .instances
                .iter()
                .filter(|i| i.resource_group.as_ref().is_some_and(|r| r.value == g))
                .map(|i| code(&i.name.value))
                .collect();
            format!(
                "**resource_group** {}\n\ninstances: {}",
                code(&rg.name.value),
                none_or(instances.join(", "))
            )
        }
    })
}

fn none_or(list: String) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list
    }
}

/// At most [`LINES`] bullet lines, then "and N more".
fn bullets(lines: Vec<String>) -> String {
    let total = lines.len();
    let mut out: String = lines
        .into_iter()
        .take(LINES)
        .map(|l| format!("- {l}\n"))
        .collect();
    if total > LINES {
        out.push_str(&format!("- and {} more\n", total - LINES));
    }
    out
}

/// A user or a service id: memberships (why) and grants (what).
fn subject_hover(analysis: &Analysis, subject: Subject, word: &str) -> Option<String> {
    let model = &analysis.model;
    let access = analysis.access();
    let name = match subject {
        Subject::User(u) => model.users.get(u)?.name.value.to_string(),
        Subject::ServiceId(s) => model.service_ids.get(s)?.name.value.to_string(),
        Subject::Literal(_) => return None,
    };
    let mut out = format!("**{word}** {}\n\n", code(&name));
    let memberships = access.memberships(&subject);
    if memberships.is_empty() {
        out.push_str("a member of no project or group: no access\n");
        return Some(out);
    }
    out.push_str("**member of**\n\n");
    out.push_str(&bullets(
        memberships
            .iter()
            .map(|m| {
                let reason = text(&membership_reason(&access, &name, m));
                match accidental(analysis, &subject, m.unit) {
                    true => format!("{reason} (by accident, Q202)"),
                    false => reason,
                }
            })
            .collect(),
    ));
    let mut grants: Vec<String> = access
        .grants(&subject)
        .iter()
        .map(|g| {
            let instance = model
                .instances
                .get(g.instance)
                .map_or("?", |i| i.name.value.as_str());
            let role = model.roles.get(g.role);
            let actions: Vec<&str> = role.map_or_else(Vec::new, |r| {
                r.actions.iter().map(|a| a.value.as_str()).collect()
            });
            let via = unit_words(model, g.membership.unit);
            let through = if g.through == g.membership.unit {
                String::new()
            } else {
                format!(" through {}", unit_words(model, g.through))
            };
            format!(
                "{} with role {} from {via}{through}: {}",
                code(instance),
                code(role.map_or("?", |r| r.name.value.as_str())),
                actions
                    .iter()
                    .map(|a| code(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    grants.dedup();
    out.push_str("\n**access**\n\n");
    out.push_str(&bullets(grants));
    Some(out)
}

/// A Q202 finding says the user is a member of the unit only because a
/// rule value occurs inside a longer word.
fn accidental(analysis: &Analysis, subject: &Subject, unit: usize) -> bool {
    let Subject::User(user) = subject else {
        return false;
    };
    analysis.diagnostics.iter().any(|d| {
        d.code == Code::AccidentalMember
            && d.subjects.contains(&Entity::User(*user))
            && d.subjects.contains(&Entity::Unit(unit))
    })
}

/// "project `ml`", escaped.
fn unit_words(model: &Model, unit: usize) -> String {
    model.units.get(unit).map_or_else(
        || "?".into(),
        |u| format!("{} {}", u.kind.word(), code(&u.name.value)),
    )
}

/// Who can use an instance: each member set whose scope reaches it, with
/// its role and its sources, then the declared users it admits.
fn instance_hover(analysis: &Analysis, id: usize) -> Option<String> {
    let model = &analysis.model;
    let access = analysis.access();
    let instance = model.instances.get(id)?;
    let mut out = format!("**instance** {}", code(&instance.name.value));
    for (what, value) in [("plan", &instance.plan), ("region", &instance.region)] {
        if let Some(v) = value {
            out.push_str(&format!(", {what} {}", code(&v.value)));
        }
    }
    out.push_str("\n\n");
    // (unit, set) -> role
    let mut sets: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (u, unit) in model.units.iter().enumerate() {
        for s in 0..unit.member_sets.len() {
            for (i, role, through) in access.set_grants(u, s) {
                if i == id && !sets.iter().any(|x| (x.0, x.1, x.2) == (u, s, role)) {
                    sets.push((u, s, role, through));
                }
            }
        }
    }
    if sets.is_empty() {
        out.push_str("no project or group grants a role on it\n");
        instance_findings(analysis, id, &mut out);
        return Some(out);
    }
    out.push_str("**who can use it**\n\n");
    let lines = sets
        .iter()
        .map(|&(u, s, role, through)| {
            let via = if through == u {
                String::new()
            } else {
                format!(" (through {})", unit_words(model, through))
            };
            format!(
                "members of {}{via} with role {}: {}",
                unit_words(model, u),
                code(model.roles.get(role).map_or("?", |r| r.name.value.as_str())),
                set_sources(model, u, s)
            )
        })
        .collect();
    out.push_str(&bullets(lines));
    let mut users = Vec::new();
    for (user_id, user) in model.users.iter().enumerate() {
        let roles: Vec<String> = sets
            .iter()
            .filter(|(u, s, _, _)| {
                access
                    .rule_memberships(user_id)
                    .iter()
                    .any(|m| m.unit == *u && m.set == *s)
                    || model
                        .units
                        .get(*u)
                        .and_then(|x| x.member_sets.get(*s))
                        .is_some_and(|set| set.users.contains(&MemberRef::Declared(user_id)))
            })
            .filter_map(|(_, _, role, _)| model.roles.get(*role))
            .map(|r| code(&r.name.value))
            .collect();
        if !roles.is_empty() {
            users.push(format!("{}: {}", code(&user.name.value), roles.join(", ")));
        }
    }
    if !users.is_empty() {
        out.push_str("\n**declared users**\n\n");
        out.push_str(&bullets(users));
    }
    instance_findings(analysis, id, &mut out);
    Some(out)
}

/// The instance's overlaps and findings: the users of projects and groups
/// that get it only because another's rule admits them (Q201 findings
/// about it, whose admitted unit's own member sets do not reach it), then
/// every finding about it or inside its declaration, by code.
fn instance_findings(analysis: &Analysis, id: usize, out: &mut String) {
    let model = &analysis.model;
    let access = analysis.access();
    let about = |d: &crate::diag::Diagnostic| d.subjects.contains(&Entity::Instance(id));
    let mut overlaps = Vec::new();
    for d in analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::OverlappingRule && about(d))
    {
        let rule = rule_at(model, d.primary.span);
        for e in &d.admitted {
            let Entity::Unit(u) = e else { continue };
            let own = model.units.get(*u).map_or(0, |x| x.member_sets.len());
            if (0..own).any(|s| access.set_grants(*u, s).iter().any(|g| g.0 == id)) {
                continue;
            }
            overlaps.push(format!(
                "users of {}, admitted by {rule} ({})",
                unit_words(model, *u),
                severity_words(d)
            ));
        }
    }
    overlaps.dedup();
    if !overlaps.is_empty() {
        out.push_str("\n**only through an overlap**\n\n");
        out.push_str(&bullets(overlaps));
    }
    let declared = model.instances.get(id).map(|i| i.span);
    let inside = |d: &crate::diag::Diagnostic| {
        declared.is_some_and(|s| {
            let p = d.primary.span;
            p.file == s.file && s.start() <= p.start() && p.end() <= s.end()
        })
    };
    let findings: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| about(d) || inside(d))
        .map(|d| format!("{}: {}", severity_words(d), text(&d.message)))
        .collect();
    if !findings.is_empty() {
        out.push_str("\n**findings about it**\n\n");
        out.push_str(&bullets(findings));
    }
}

/// "error, Q201", or "warning, Q201, acknowledged: why".
fn severity_words(d: &crate::diag::Diagnostic) -> String {
    match &d.suppressed {
        Some(s) => format!(
            "{}, {}, acknowledged: {}",
            d.severity,
            d.code.id(),
            text(&s.reason)
        ),
        None => format!("{}, {}", d.severity, d.code.id()),
    }
}

/// "rule `project contains "ml"` of project `ml`": the rule whose
/// condition value is at `span`.
fn rule_at(model: &Model, span: Span) -> String {
    for (u, unit) in model.units.iter().enumerate() {
        for set in &unit.member_sets {
            for rule in &set.rules {
                if rule.conditions.iter().any(|c| c.value.span == span) {
                    let conditions: Vec<String> =
                        rule.conditions.iter().map(|c| c.describe()).collect();
                    return format!(
                        "rule {} of {}",
                        code(&conditions.join(" and ")),
                        unit_words(model, u)
                    );
                }
            }
        }
    }
    "a rule".into()
}

/// The sources of one member set: its rules, users and service ids.
fn set_sources(model: &Model, unit: usize, set: usize) -> String {
    let Some(set) = model.units.get(unit).and_then(|u| u.member_sets.get(set)) else {
        return String::new();
    };
    let mut parts: Vec<String> = set
        .rules
        .iter()
        .map(|r| {
            let conditions: Vec<String> = r.conditions.iter().map(|c| c.describe()).collect();
            format!("rule {}", code(&conditions.join(" and ")))
        })
        .collect();
    for (word, members, names) in [
        (
            "user",
            &set.users,
            model
                .users
                .iter()
                .map(|u| &u.name.value)
                .collect::<Vec<_>>(),
        ),
        (
            "service_id",
            &set.service_ids,
            model.service_ids.iter().map(|s| &s.name.value).collect(),
        ),
    ] {
        for m in members {
            let name = match m {
                MemberRef::Declared(i) => names.get(*i).map_or("?", |n| n.as_str()),
                MemberRef::Literal(l) => l.as_str(),
            };
            parts.push(format!("{word} {}", code(name)));
        }
    }
    parts.join(", ")
}

fn role_hover(model: &Model, id: usize) -> Option<String> {
    let role = model.roles.get(id)?;
    let mut out = format!("**role** {}", code(&role.name.value));
    if role.preset {
        out.push_str(" (built-in)");
    }
    out.push_str("\n\n");
    if let Some(d) = &role.description {
        out.push_str(&format!("{}\n\n", text(&d.value)));
    }
    let lines = role
        .actions
        .iter()
        .map(|a| match actions::description(&a.value) {
            Some(d) => format!("{}: {}", code(&a.value), text(d)),
            None => format!("{}: not a quantum-computing action", code(&a.value)),
        })
        .collect::<Vec<_>>();
    out.push_str(&format!("**actions** ({})\n\n", lines.len()));
    out.push_str(&bullets(lines));
    Some(out)
}

fn unit_hover(model: &Model, id: usize) -> Option<String> {
    let unit = model.units.get(id)?;
    let mut out = format!("**{}** {}\n\n", unit.kind.word(), code(&unit.name.value));
    if let Some(d) = &unit.description {
        out.push_str(&format!("{}\n\n", text(&d.value)));
    }
    let role = unit
        .role
        .as_ref()
        .and_then(|r| model.roles.get(r.value))
        .map_or_else(|| "none".into(), |r| code(&r.name.value));
    let instances: Vec<String> = model
        .direct_instances(unit)
        .into_iter()
        .filter_map(|i| model.instances.get(i))
        .map(|i| code(&i.name.value))
        .collect();
    out.push_str(&format!(
        "role: {role}\n\ninstances: {}\n\n",
        none_or(instances.join(", "))
    ));
    let sets: Vec<String> = (0..unit.member_sets.len())
        .map(|s| set_sources(model, id, s))
        .collect();
    out.push_str("**members**\n\n");
    out.push_str(&bullets(sets));
    Some(out)
}

fn action_hover(model: &Model, name: &str) -> String {
    let mut out = format!(
        "**action** {}\n\n",
        code(&format!("{}.{name}", actions::SERVICE))
    );
    match actions::description(name) {
        Some(d) => out.push_str(&text(d)),
        None => out.push_str("not a quantum-computing action"),
    }
    let roles: Vec<String> = model
        .roles
        .iter()
        .filter(|r| r.has_action(name))
        .map(|r| code(&r.name.value))
        .collect();
    out.push_str(&format!("\n\nroles with it: {}", none_or(roles.join(", "))));
    out
}

fn attribute_hover(model: &Model, idp: Option<usize>, name: &str) -> String {
    let idp = idp.and_then(|i| model.idps.get(i));
    let rules = model
        .units
        .iter()
        .flat_map(|u| &u.member_sets)
        .flat_map(|s| &s.rules)
        .filter(|r| r.conditions.iter().any(|c| c.claim.value == name))
        .count();
    format!(
        "**attribute** {}{}\n\ntested by {rules} rule{}",
        code(name),
        idp.map_or_else(String::new, |i| format!(" of idp {}", code(&i.name.value))),
        if rules == 1 { "" } else { "s" }
    )
}

/// A rule value: the projects and groups whose users it also admits (the
/// Q201 findings about it, acknowledged ones included), and how many
/// declared users it admits.
fn rule_value_hover(
    analysis: &Analysis,
    unit: usize,
    set: usize,
    rule: usize,
    condition: usize,
) -> Option<String> {
    let model = &analysis.model;
    let dynamic = model
        .units
        .get(unit)?
        .member_sets
        .get(set)?
        .rules
        .get(rule)?;
    let c = dynamic.conditions.get(condition)?;
    let mut out = format!(
        "**rule value** of {}: {}\n\n",
        unit_words(model, unit),
        code(&c.describe())
    );
    let mut admitted = Vec::new();
    for d in analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::OverlappingRule && d.primary.span == c.value.span)
    {
        let how = match &d.suppressed {
            Some(s) => format!("{}, acknowledged: {}", d.severity, text(&s.reason)),
            None => d.severity.to_string(),
        };
        for e in &d.admitted {
            if let Entity::Unit(u) = e {
                admitted.push(format!("{} ({how}, Q201)", unit_words(model, *u)));
            }
        }
    }
    if admitted.is_empty() {
        out.push_str("admits the users of no other project or group\n");
    } else {
        out.push_str("**also admits the users of**\n\n");
        out.push_str(&bullets(admitted));
    }
    let access = analysis.access();
    let users = (0..model.users.len())
        .filter(|u| {
            access
                .rule_memberships(*u)
                .iter()
                .any(|m| m.unit == unit && m.set == set && m.via == Via::Rule(rule))
        })
        .count();
    out.push_str(&format!(
        "\nits rule admits {users} declared user{}",
        if users == 1 { "" } else { "s" }
    ));
    Some(out)
}
