//! Why a user or service id gains or loses an action: the first
//! difference between the two sides along the path that grants it (the
//! subject, the unit, the membership, the rule or the attribute it
//! matches, the units included, the role and its actions).

use super::access::{show_value, Path, Side, Who};
use super::Cause;
use crate::model::{UnitId, User};

/// Why `path` (on `here`) exists there and not on `there`. `gained`: `here`
/// is the new side.
pub(super) fn explain(
    here: &Side<'_>,
    there: &Side<'_>,
    user_here: Option<Who>,
    user_there: Option<Who>,
    path: &Path,
    gained: bool,
) -> Cause {
    let (old_new, name_of) = (
        |a: Vec<String>, b: Vec<String>| if gained { (b, a) } else { (a, b) },
        |side: &Side<'_>, id: UnitId| side.unit(id).unwrap_or_default(),
    );
    let (Some(user_there), Some(user_here)) = (user_there, user_here) else {
        return match user_here.or(user_there) {
            Some(Who::ServiceId(_)) => Cause::ServiceId,
            _ => Cause::User,
        };
    };
    let unit = name_of(here, path.unit);
    let Some(unit_there) = there.find_unit((unit.kind, unit.name.as_str())) else {
        return Cause::Unit { unit };
    };
    let member_there = there
        .memberships(user_there)
        .into_iter()
        .any(|((u, s), _)| u == unit_there && s == path.set);
    if !member_there {
        let Some(rule) = path.via_rule else {
            return Cause::StaticMember { unit };
        };
        let rules_here = here.rules_of(path.unit, path.set);
        let rules_there = there.rules_of(unit_there, path.set);
        let rule_here = rules_here.get(rule).cloned().unwrap_or_default();
        if !rules_there.contains(&rule_here) {
            let (before, after) = old_new(rules_here, rules_there);
            return Cause::Rule {
                unit,
                before,
                after,
            };
        }
        let (Who::User(user_here), Who::User(user_there)) = (user_here, user_there) else {
            return Cause::StaticMember { unit };
        };
        return attribute_cause(here, there, user_here, user_there, path, rule, gained);
    }
    grant_cause(here, there, path, unit_there, gained)
}

/// Why a member set that exists on both sides (`unit_there` on `there`)
/// grants `path` on `here` only: the unit no longer includes the unit
/// that grants it, that unit no longer includes the instance, the role
/// changed, or the role's actions changed.
pub(super) fn grant_cause(
    here: &Side<'_>,
    there: &Side<'_>,
    path: &Path,
    unit_there: UnitId,
    gained: bool,
) -> Cause {
    let old_new = |a: Vec<String>, b: Vec<String>| if gained { (b, a) } else { (a, b) };
    let name_of = |side: &Side<'_>, id: UnitId| side.unit(id).unwrap_or_default();
    let unit = name_of(here, path.unit);
    let through = name_of(here, path.through);
    let Some(through_there) = there.find_unit((through.kind, through.name.as_str())) else {
        return Cause::Unit { unit: through };
    };
    if !there
        .access
        .graph
        .descendants(unit_there)
        .contains(&through_there)
    {
        return Cause::Includes {
            unit,
            what: format!("{} {}", through.kind, through.name),
        };
    }
    let here_role = here.model.roles.get(path.role);
    let role_name = here_role.map_or("?", |r| r.name.value.as_str());
    let instance = here
        .model
        .instances
        .get(path.instance)
        .map_or("", |i| i.name.value.as_str());
    let role_there = there
        .set_grants(unit_there, path.set)
        .into_iter()
        .filter(|(i, _, t)| {
            *t == through_there
                && there
                    .model
                    .instances
                    .get(*i)
                    .is_some_and(|i| i.name.value == instance)
        })
        .find_map(|(_, r, _)| there.model.roles.get(r));
    match role_there {
        None => Cause::Includes {
            unit: through,
            what: format!("instance {instance}"),
        },
        Some(r) if r.name.value != role_name => {
            let (before, after) = old_new(vec![role_name.into()], vec![r.name.value.to_string()]);
            Cause::RoleOf {
                unit,
                before: before.concat(),
                after: after.concat(),
            }
        }
        Some(_) => Cause::RoleActions {
            role: role_name.to_string(),
        },
    }
}

/// The user matches the same rule text on one side only: its attributes changed.
fn attribute_cause(
    here: &Side<'_>,
    there: &Side<'_>,
    user_here: usize,
    user_there: usize,
    path: &Path,
    rule: usize,
    gained: bool,
) -> Cause {
    let claims: Vec<String> = here
        .model
        .units
        .get(path.unit)
        .and_then(|u| u.member_sets.get(path.set))
        .and_then(|s| s.rules.get(rule))
        .map(|r| {
            r.conditions
                .iter()
                .map(|c| c.claim.value.to_string())
                .collect()
        })
        .unwrap_or_default();
    let value = |side: &Side<'_>, user: usize, claim: &str| {
        side.model
            .users
            .get(user)
            .and_then(|u: &User| u.attributes.get(claim))
            .map(|v| show_value(&v.value))
    };
    for claim in claims {
        let (h, t) = (
            value(here, user_here, &claim),
            value(there, user_there, &claim),
        );
        if h != t {
            let (before, after) = if gained { (t, h) } else { (h, t) };
            return Cause::Attribute {
                claim,
                before,
                after,
            };
        }
    }
    let idp = |side: &Side<'_>, user: usize| {
        side.model
            .users
            .get(user)
            .and_then(|u| u.idp.as_ref())
            .and_then(|i| side.model.idps.get(i.value))
            .map(|i| i.name.value.to_string())
    };
    let (h, t) = (idp(here, user_here), idp(there, user_there));
    let (before, after) = if gained { (t, h) } else { (h, t) };
    Cause::Attribute {
        claim: "idp".into(),
        before,
        after,
    }
}
