//! The change in effective access of every declared user and service id:
//! what each holds on both sides (instance, action, and the path that
//! grants it), compared, each gain or loss with its cause ([`super::cause`]).
//! Subjects whose memberships and whose member sets' grants are unchanged
//! are skipped without being expanded, so the cost follows the size of the
//! change, not of the organization.

use super::cause::explain;
use super::{AccessChange, Cause, UnitRef, Work};
use crate::access::{Access, Via};
use crate::model::{MemberRef, Model, UnitId};
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
    service_ids: FxHashMap<&'a str, usize>,
    /// Per service id: the member sets that list it (always statically).
    sid_statics: Vec<Vec<(UnitId, usize)>>,
}

/// A declared user or service id of one side, by index.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Who {
    User(usize),
    ServiceId(usize),
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
        let service_ids = model
            .service_ids
            .iter()
            .enumerate()
            .map(|(id, s)| (s.name.value.as_str(), id))
            .collect();
        Side {
            access: analysis.access(),
            model,
            units,
            users,
            statics,
            service_ids,
            sid_statics: service_id_statics(model),
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

    /// Every member set a user or service id belongs to, with the rule
    /// that admits it (`None`: listed statically), by unit and set.
    pub(super) fn memberships(&self, who: Who) -> Vec<(SetId, Option<usize>)> {
        let user = match who {
            Who::User(u) => u,
            Who::ServiceId(s) => {
                let mut out: Vec<(SetId, Option<usize>)> = self
                    .sid_statics
                    .get(s)
                    .map_or(&[][..], |v| v)
                    .iter()
                    .map(|set| (*set, None))
                    .collect();
                out.sort_by_key(|(s, _)| *s);
                out.dedup();
                return out;
            }
        };
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

    /// (instance, action) -> the first path that grants it, for one subject.
    fn holdings(&self, who: Who) -> BTreeMap<(&'a str, &'a str), Path> {
        let model: &'a Model = self.model;
        let mut out = BTreeMap::new();
        for ((unit, set), via_rule) in self.memberships(who) {
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
        let (o, n) = (old.users.get(name), new.users.get(name));
        let (o, n) = (o.map(|u| Who::User(*u)), n.map(|u| Who::User(*u)));
        subject(old, new, name, (o, n), changed, work, &mut out);
    }
    let sids = old.service_ids.keys().chain(new.service_ids.keys());
    let names: BTreeSet<&str> = sids.copied().collect();
    for name in names {
        let (o, n) = (old.service_ids.get(name), new.service_ids.get(name));
        let (o, n) = (o.map(|s| Who::ServiceId(*s)), n.map(|s| Who::ServiceId(*s)));
        subject(old, new, name, (o, n), changed, work, &mut out);
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

/// The gains and losses of one user or service id (old and new side).
fn subject(
    old: &Side<'_>,
    new: &Side<'_>,
    name: &str,
    (o, n): (Option<Who>, Option<Who>),
    changed: &FxHashSet<SetKey<'_>>,
    work: &mut Work,
    out: &mut Vec<AccessChange>,
) {
    if let (Some(o), Some(n)) = (o, n) {
        if unchanged(old, new, o, n, changed) {
            return;
        }
    }
    work.subjects_expanded += 1;
    let before = o.map(|u| old.holdings(u)).unwrap_or_default();
    let after = n.map(|u| new.holdings(u)).unwrap_or_default();
    let service_id = matches!(o.or(n), Some(Who::ServiceId(_)));
    for (key, path) in &after {
        if !before.contains_key(key) {
            let cause = explain(new, old, n, o, path, true);
            out.push(change(new, name, service_id, true, *key, *path, cause));
        }
    }
    for (key, path) in &before {
        if !after.contains_key(key) {
            let cause = explain(old, new, o, n, path, false);
            out.push(change(old, name, service_id, false, *key, *path, cause));
        }
    }
}

/// The member sets that list each service id of `model`, by its name or its IAM id.
fn service_id_statics(model: &Model) -> Vec<Vec<SetId>> {
    let mut by_iam: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (id, sid) in model.service_ids.iter().enumerate() {
        if let Some(iam) = &sid.iam_id {
            by_iam.entry(iam.as_str()).or_default().push(id);
        }
    }
    let mut out = vec![Vec::new(); model.service_ids.len()];
    for (unit_id, unit) in model.units.iter().enumerate() {
        for (set_id, set) in unit.member_sets.iter().enumerate() {
            for member in &set.service_ids {
                let found: &[usize] = match member {
                    MemberRef::Declared(s) => std::slice::from_ref(s),
                    MemberRef::Literal(l) => by_iam.get(l.as_str()).map_or(&[], |v| v),
                };
                for s in found {
                    if let Some(list) = out.get_mut(*s) {
                        list.push((unit_id, set_id));
                    }
                }
            }
        }
    }
    out
}

fn unchanged(
    old: &Side<'_>,
    new: &Side<'_>,
    o: Who,
    n: Who,
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
    service_id: bool,
    gained: bool,
    (instance, action): (&str, &str),
    path: Path,
    cause: Cause,
) -> AccessChange {
    AccessChange {
        unit: side.unit(path.unit).unwrap_or_default(),
        user: user.to_string(),
        subject: if service_id { "service_id" } else { "user" },
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
            a.subject,
            &a.instance,
            a.change,
            &a.cause,
            &a.actions,
        )
            .cmp(&(
                &b.unit,
                &b.user,
                b.subject,
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
                && last.subject == c.subject
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
