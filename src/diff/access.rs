//! The change in effective access of every declared user: what each holds
//! on both sides (instance, action, and the path that grants it), compared,
//! each gain or loss with its cause. Users whose memberships and whose
//! member sets' grants are unchanged are skipped without being expanded,
//! so the cost follows the size of the change, not of the organization.

use super::{AccessChange, Cause, UnitRef, Work};
use crate::access::{Access, Via};
use crate::model::{MemberRef, Model, UnitId, User};
use crate::pipeline::Analysis;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, BTreeSet};

/// One side of the diff, with the lookups by name the comparison needs.
pub(super) struct Side<'a> {
    pub access: Access<'a>,
    pub model: &'a Model,
    units: FxHashMap<(&'static str, &'a str), UnitId>,
    users: FxHashMap<&'a str, usize>,
    /// Per user: the member sets that list it statically.
    statics: Vec<Vec<(UnitId, usize)>>,
}

/// A member set of one side: unit and set index.
type SetId = (UnitId, usize);

/// How a user holds one action on one instance.
#[derive(Clone, Copy)]
pub(super) struct Path {
    pub unit: UnitId,
    pub set: usize,
    pub via_rule: Option<usize>,
    pub through: UnitId,
    pub role: usize,
    pub instance: usize,
}

impl<'a> Side<'a> {
    pub fn new(analysis: &'a Analysis) -> Side<'a> {
        let model = &analysis.model;
        let units = model
            .units
            .iter()
            .enumerate()
            .map(|(id, u)| ((u.kind.word(), u.name.value.as_str()), id))
            .collect();
        let users: FxHashMap<&str, usize> = model
            .users
            .iter()
            .enumerate()
            .map(|(id, u)| (u.name.value.as_str(), id))
            .collect();
        let mut by_id: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (id, user) in model.users.iter().enumerate() {
            for key in [&user.email, &user.iam_id].into_iter().flatten() {
                by_id.entry(key.value.as_str()).or_default().push(id);
            }
        }
        let mut statics = vec![Vec::new(); model.users.len()];
        for (unit_id, unit) in model.units.iter().enumerate() {
            for (set_id, set) in unit.member_sets.iter().enumerate() {
                for member in &set.users {
                    let found: &[usize] = match member {
                        MemberRef::Declared(u) => std::slice::from_ref(u),
                        MemberRef::Literal(l) => by_id.get(l.as_str()).map_or(&[], |v| v),
                    };
                    for u in found {
                        if let Some(list) = statics.get_mut(*u) {
                            list.push((unit_id, set_id));
                        }
                    }
                }
            }
        }
        Side {
            access: analysis.access(),
            model,
            units,
            users,
            statics,
        }
    }

    /// `Access::set_grants`, without walking the graph for a unit that
    /// contains no other (every project): it is its own only descendant.
    pub(super) fn set_grants(&self, unit: UnitId, set: usize) -> Vec<(usize, usize, UnitId)> {
        let Some(u) = self.model.units.get(unit) else {
            return Vec::new();
        };
        if !u.projects.is_empty() || !u.groups.is_empty() {
            return self.access.set_grants(unit, set);
        }
        let role = match u.member_sets.get(set) {
            Some(s) => u.role_of(s),
            None => u.role.as_ref().map(|r| r.value),
        };
        let Some(role) = role else {
            return Vec::new();
        };
        self.model
            .direct_instances(u)
            .into_iter()
            .map(|i| (i, role, unit))
            .collect()
    }

    pub fn unit(&self, id: UnitId) -> Option<UnitRef> {
        self.model.units.get(id).map(|u| UnitRef {
            kind: u.kind.word(),
            name: u.name.value.to_string(),
        })
    }

    fn unit_key(&self, id: UnitId) -> Option<(&'static str, &'a str)> {
        let model: &'a Model = self.model;
        model
            .units
            .get(id)
            .map(|u| (u.kind.word(), u.name.value.as_str()))
    }

    pub(super) fn find_unit(&self, key: (&str, &str)) -> Option<UnitId> {
        self.units.get(&key).copied()
    }

    /// Every member set a user belongs to, with the rule that admits it
    /// (`None`: listed statically), by unit and set.
    fn memberships(&self, user: usize) -> Vec<(SetId, Option<usize>)> {
        let mut out: Vec<(SetId, Option<usize>)> = self
            .access
            .rule_memberships(user)
            .iter()
            .map(|m| {
                let rule = match m.via {
                    Via::Rule(r) => Some(r),
                    Via::Static => None,
                };
                ((m.unit, m.set), rule)
            })
            .collect();
        for set in self.statics.get(user).map_or(&[][..], |v| v) {
            if !out.iter().any(|(s, _)| s == set) {
                out.push((*set, None));
            }
        }
        out.sort_by_key(|(s, _)| *s);
        out
    }

    /// (instance, action) -> the first path that grants it, for one user.
    fn holdings(&self, user: usize) -> BTreeMap<(&'a str, &'a str), Path> {
        let model: &'a Model = self.model;
        let mut out = BTreeMap::new();
        for ((unit, set), via_rule) in self.memberships(user) {
            for (instance, role, through) in self.set_grants(unit, set) {
                let (Some(i), Some(r)) = (model.instances.get(instance), model.roles.get(role))
                else {
                    continue;
                };
                for action in &r.actions {
                    out.entry((i.name.value.as_str(), action.value.as_str()))
                        .or_insert(Path {
                            unit,
                            set,
                            via_rule,
                            through,
                            role,
                            instance,
                        });
                }
            }
        }
        out
    }

    /// What one member set grants, by instance and role names, sorted.
    fn set_signature(&self, unit: UnitId, set: usize) -> Vec<(&'a str, &'a str)> {
        let model: &'a Model = self.model;
        let mut out: Vec<(&'a str, &'a str)> = self
            .set_grants(unit, set)
            .into_iter()
            .filter_map(|(instance, role, _)| {
                let i = model.instances.get(instance)?;
                let r = model.roles.get(role)?;
                Some((i.name.value.as_str(), r.name.value.as_str()))
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    pub(super) fn rules_of(&self, unit: UnitId, set: usize) -> Vec<String> {
        self.model
            .units
            .get(unit)
            .and_then(|u| u.member_sets.get(set))
            .map(|s| s.rules.iter().map(rule_text).collect())
            .unwrap_or_default()
    }
}

/// `project contains "ml" and team equals "a"`.
pub(super) fn rule_text(rule: &crate::model::DynamicRule) -> String {
    rule.conditions
        .iter()
        .map(|c| c.describe())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A member set by its unit's kind and name, and its index.
pub(super) type SetKey<'a> = (&'static str, &'a str, usize);

/// Roles, by name, that are declared on one side only or whose actions differ.
fn changed_roles<'a>(old: &Model, new: &'a Model) -> FxHashSet<&'a str> {
    let actions = |r: &crate::model::Role| -> BTreeSet<String> {
        r.actions.iter().map(|a| a.value.to_string()).collect()
    };
    let before: FxHashMap<&str, &crate::model::Role> = old
        .roles
        .iter()
        .map(|r| (r.name.value.as_str(), r))
        .collect();
    new.roles
        .iter()
        .filter(|r| {
            before
                .get(r.name.value.as_str())
                .is_none_or(|o| actions(o) != actions(r))
        })
        .map(|r| r.name.value.as_str())
        .collect()
}

/// Member sets (by unit key and index), declared on both sides, whose
/// grants may differ: another instance or role, or a role whose actions
/// changed. (A set on one side only needs no entry: no user is in it on
/// both sides.)
pub(super) fn changed_sets<'a>(old: &Side<'_>, new: &Side<'a>) -> FxHashSet<SetKey<'a>> {
    let roles = changed_roles(old.model, new.model);
    let model: &'a Model = new.model;
    let mut out = FxHashSet::default();
    for (unit_id, unit) in model.units.iter().enumerate() {
        let key = (unit.kind.word(), unit.name.value.as_str());
        let Some(before) = old.find_unit(key) else {
            continue;
        };
        let sets = old
            .model
            .units
            .get(before)
            .map_or(0, |u| u.member_sets.len())
            .min(unit.member_sets.len());
        for set in 0..sets {
            let after = new.set_signature(unit_id, set);
            let same = old.set_signature(before, set) == after
                && after.iter().all(|(_, role)| !roles.contains(role));
            if !same {
                out.insert((key.0, key.1, set));
            }
        }
    }
    out
}

/// Every gain and loss of every declared user, sorted; `changed` is
/// [`changed_sets`], `work` counts the users expanded.
pub(super) fn diff<'a>(
    old: &Side<'_>,
    new: &Side<'a>,
    changed: &FxHashSet<SetKey<'a>>,
    work: &mut Work,
) -> Vec<AccessChange> {
    let mut out = Vec::new();
    let names: BTreeSet<&str> = old.users.keys().chain(new.users.keys()).copied().collect();
    for name in names {
        let (o, n) = (old.users.get(name).copied(), new.users.get(name).copied());
        if let (Some(o), Some(n)) = (o, n) {
            if unchanged(old, new, o, n, changed) {
                continue;
            }
        }
        work.subjects_expanded += 1;
        let before = o.map(|u| old.holdings(u)).unwrap_or_default();
        let after = n.map(|u| new.holdings(u)).unwrap_or_default();
        for (key, path) in &after {
            if !before.contains_key(key) {
                let cause = explain(new, old, n, o, path, true);
                out.push(change(new, name, true, *key, *path, cause));
            }
        }
        for (key, path) in &before {
            if !after.contains_key(key) {
                let cause = explain(old, new, o, n, path, false);
                out.push(change(old, name, false, *key, *path, cause));
            }
        }
    }
    let mut out = merge(out);
    for c in &mut out {
        c.why = c
            .cause
            .describe(&c.user, c.change == "gains", &c.actions, &|s| {
                format!("`{s}`")
            });
    }
    out
}

fn unchanged(
    old: &Side<'_>,
    new: &Side<'_>,
    o: usize,
    n: usize,
    changed: &FxHashSet<(&'static str, &str, usize)>,
) -> bool {
    let (a, b) = (old.memberships(o), new.memberships(n));
    a.len() == b.len()
        && a.iter().zip(&b).all(|(((ou, os), _), ((nu, ns), _))| {
            let (ok, nk) = (old.unit_key(*ou), new.unit_key(*nu));
            ok == nk && os == ns && ok.is_some_and(|k| !changed.contains(&(k.0, k.1, *os)))
        })
}

fn change(
    side: &Side<'_>,
    user: &str,
    gained: bool,
    (instance, action): (&str, &str),
    path: Path,
    cause: Cause,
) -> AccessChange {
    AccessChange {
        unit: side.unit(path.unit).unwrap_or_default(),
        user: user.to_string(),
        change: if gained { "gains" } else { "loses" },
        instance: instance.to_string(),
        actions: vec![action.to_string()],
        cause,
        why: String::new(),
    }
}

/// One line per (unit, user, change, instance, cause): the actions merged.
fn merge(mut changes: Vec<AccessChange>) -> Vec<AccessChange> {
    changes.sort_by(|a, b| {
        (
            &a.unit,
            &a.user,
            &a.instance,
            a.change,
            &a.cause,
            &a.actions,
        )
            .cmp(&(
                &b.unit,
                &b.user,
                &b.instance,
                b.change,
                &b.cause,
                &b.actions,
            ))
    });
    let mut out: Vec<AccessChange> = Vec::new();
    for c in changes {
        if let Some(last) = out.last_mut() {
            if last.unit == c.unit
                && last.user == c.user
                && last.instance == c.instance
                && last.change == c.change
                && last.cause == c.cause
            {
                last.actions.extend(c.actions);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Why `path` (on `here`) exists there and not on `there`. `gained`: `here`
/// is the new side.
fn explain(
    here: &Side<'_>,
    there: &Side<'_>,
    user_here: Option<usize>,
    user_there: Option<usize>,
    path: &Path,
    gained: bool,
) -> Cause {
    let (old_new, name_of) = (
        |a: Vec<String>, b: Vec<String>| if gained { (b, a) } else { (a, b) },
        |side: &Side<'_>, id: UnitId| side.unit(id).unwrap_or_default(),
    );
    let (Some(user_there), Some(user_here)) = (user_there, user_here) else {
        return Cause::User;
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

/// An attribute value as a policy writes it.
pub(super) fn show_value(value: &crate::model::AttrValue) -> String {
    match value {
        crate::model::AttrValue::Str(s) => format!("{s:?}"),
        crate::model::AttrValue::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| format!("{i:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
