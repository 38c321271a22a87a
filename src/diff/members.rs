//! Access changes of principals that [`super::access`] cannot name one by
//! one: static members that are not declared (`members user "x@y"`,
//! `members service_id "iam-..."`) and the rule members of a member set, who
//! live in the identity provider. A principal added to or removed from a
//! member set gains or loses everything the set grants; a set whose grants
//! changed (another instance, role or role action, a group inclusion)
//! changes them for all its members. Only sets listed by
//! [`super::access::changed_sets`], on one side only, or whose static
//! principals differ are expanded, so the cost follows the change.

use super::access::{Path, SetKey, Side};
use super::cause::grant_cause;
use super::{AccessChange, Cause, SetChange, UnitRef};
use crate::model::{MemberRef, Model, UnitId};
use rustc_hash::FxHashSet;
use std::collections::{BTreeMap, BTreeSet};

/// What one member set grants: (instance, action) -> how.
type Grants<'a> = BTreeMap<(&'a str, &'a str), Path>;

/// The principals and member sets whose access changed.
pub(super) fn diff<'a>(
    old: &Side<'a>,
    new: &Side<'a>,
    changed: &FxHashSet<SetKey<'a>>,
) -> (Vec<AccessChange>, Vec<SetChange>) {
    let mut keys: BTreeSet<(&'static str, &'a str)> = BTreeSet::new();
    for side in [old, new] {
        let model: &'a Model = side.model;
        keys.extend(
            model
                .units
                .iter()
                .map(|u| (u.kind.word(), u.name.value.as_str())),
        );
    }
    let (old_ids, new_ids) = (declared_ids(old.model), declared_ids(new.model));
    let mut principals = Vec::new();
    let mut sets = Vec::new();
    for key in keys {
        let (o, n) = (old.find_unit(key), new.find_unit(key));
        let count = |side: &Side<'_>, id: Option<UnitId>| {
            id.and_then(|i| side.model.units.get(i))
                .map_or(0, |u| u.member_sets.len())
        };
        let (old_count, new_count) = (count(old, o), count(new, n));
        for set in 0..old_count.max(new_count) {
            let (po, pn) = (listed(old, o, set, &old_ids), listed(new, n, set, &new_ids));
            let (ho, hn) = (has_rules(old, o, set), has_rules(new, n, set));
            let one_sided = set >= old_count || set >= new_count;
            let regranted = one_sided || changed.contains(&(key.0, key.1, set));
            if !(regranted && (ho || hn || !po.is_empty() || !pn.is_empty())) && po == pn {
                continue;
            }
            let mut pair = Pair {
                old,
                new,
                o: o.filter(|_| set < old_count),
                n: n.filter(|_| set < new_count),
                set,
                rule_members: false,
            };
            let (go, gn) = (pair.grants(old, pair.o), pair.grants(new, pair.n));
            let empty = Grants::new();
            for p in po.union(&pn) {
                let member = (po.contains(p), pn.contains(p));
                let before = if member.0 { &go } else { &empty };
                let after = if member.1 { &gn } else { &empty };
                principals.extend(pair.compare(before, after, member).into_iter().map(
                    |(unit, change, instance, action, cause)| AccessChange {
                        unit,
                        user: p.1.clone(),
                        subject: p.0,
                        change,
                        instance,
                        actions: vec![action],
                        cause,
                        why: String::new(),
                    },
                ));
            }
            if regranted && (ho || hn) {
                pair.rule_members = true;
                let before = if ho { &go } else { &empty };
                let after = if hn { &gn } else { &empty };
                sets.extend(pair.compare(before, after, (ho, hn)).into_iter().map(
                    |(unit, change, instance, action, cause)| {
                        let side = if change == "gains" {
                            (new, pair.n)
                        } else {
                            (old, pair.o)
                        };
                        SetChange {
                            unit,
                            set,
                            rules: side.1.map(|u| side.0.rules_of(u, set)).unwrap_or_default(),
                            change,
                            instance,
                            actions: vec![action],
                            cause,
                            why: String::new(),
                        }
                    },
                ));
            }
        }
    }
    (merge_principals(principals), merge_sets(sets))
}

/// Add the principals' changes to the declared users', in the same order.
pub(super) fn add_principals(changes: &mut Vec<AccessChange>, principals: Vec<AccessChange>) {
    if principals.is_empty() {
        return;
    }
    changes.extend(principals);
    changes.sort_by(|a, b| {
        (&a.unit, &a.user, &a.instance, a.change).cmp(&(&b.unit, &b.user, &b.instance, b.change))
    });
}

/// One member set on both sides (`o`, `n`: its unit where the set exists).
struct Pair<'s, 'a> {
    old: &'s Side<'a>,
    new: &'s Side<'a>,
    o: Option<UnitId>,
    n: Option<UnitId>,
    set: usize,
    /// The principals compared are the set's rule members (else one static member).
    rule_members: bool,
}

/// One gain or loss: unit, `gains`/`loses`, instance, action, cause.
type Line = (UnitRef, &'static str, String, String, Cause);

impl<'a> Pair<'_, 'a> {
    fn grants(&self, side: &Side<'a>, unit: Option<UnitId>) -> Grants<'a> {
        let mut out = Grants::new();
        let Some(unit) = unit else {
            return out;
        };
        let model: &'a Model = side.model;
        for (instance, role, through) in side.set_grants(unit, self.set) {
            let (Some(i), Some(r)) = (model.instances.get(instance), model.roles.get(role)) else {
                continue;
            };
            for action in &r.actions {
                out.entry((i.name.value.as_str(), action.value.as_str()))
                    .or_insert(Path {
                        unit,
                        set: self.set,
                        via_rule: None,
                        through,
                        role,
                        instance,
                    });
            }
        }
        out
    }

    /// Gains (in `after` only) and losses (in `before` only), each with
    /// its cause; `member`: the principals are members on the old side,
    /// on the new side (else they joined or left: that is the cause).
    fn compare(&self, before: &Grants<'_>, after: &Grants<'_>, member: (bool, bool)) -> Vec<Line> {
        let mut out = Vec::new();
        for (key, path) in after.iter().filter(|(k, _)| !before.contains_key(*k)) {
            let cause = self.cause(path, true, member.0);
            let unit = self.new.unit(path.unit).unwrap_or_default();
            out.push((unit, "gains", key.0.to_string(), key.1.to_string(), cause));
        }
        for (key, path) in before.iter().filter(|(k, _)| !after.contains_key(*k)) {
            let cause = self.cause(path, false, member.1);
            let unit = self.old.unit(path.unit).unwrap_or_default();
            out.push((unit, "loses", key.0.to_string(), key.1.to_string(), cause));
        }
        out
    }

    /// Why `path` is granted on one side only; `member_there`: the
    /// principal is a member of the set on the other side too.
    fn cause(&self, path: &Path, gained: bool, member_there: bool) -> Cause {
        let (here, there) = if gained {
            (self.new, self.old)
        } else {
            (self.old, self.new)
        };
        let unit = here.unit(path.unit).unwrap_or_default();
        let unit_there = if gained { self.o } else { self.n };
        let Some(unit_there) = unit_there.or_else(|| there.find_unit((unit.kind, &unit.name)))
        else {
            return Cause::Unit { unit };
        };
        if !member_there && self.rule_members {
            let rules = |side: &Side<'_>, id: Option<UnitId>| {
                id.map(|u| side.rules_of(u, self.set)).unwrap_or_default()
            };
            return Cause::Rule {
                unit,
                before: rules(self.old, self.o),
                after: rules(self.new, self.n),
            };
        }
        if !member_there {
            return Cause::StaticMember { unit };
        }
        grant_cause(here, there, path, unit_there, gained)
    }
}

/// Emails and IAM ids of declared users and IAM ids of declared service
/// ids: a static member with one of them is declared, and
/// [`super::access`] reports its changes.
fn declared_ids(model: &Model) -> FxHashSet<&str> {
    let users = model
        .users
        .iter()
        .flat_map(|u| [&u.email, &u.iam_id])
        .flatten()
        .map(|t| t.value.as_str());
    let sids = model
        .service_ids
        .iter()
        .filter_map(|s| s.iam_id.as_ref())
        .map(|t| t.as_str());
    users.chain(sids).collect()
}

/// The static members of a set that are not declared (subject, as
/// written): `user` emails or IAM ids, `service_id` IAM ids.
fn listed(
    side: &Side<'_>,
    unit: Option<UnitId>,
    set: usize,
    declared: &FxHashSet<&str>,
) -> BTreeSet<(&'static str, String)> {
    let Some(s) = unit
        .and_then(|u| side.model.units.get(u))
        .and_then(|u| u.member_sets.get(set))
    else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    let lists = [("user", &s.users), ("service_id", &s.service_ids)];
    for (subject, members) in lists {
        for member in members {
            if let MemberRef::Literal(l) = member {
                if !declared.contains(l.as_str()) {
                    out.insert((subject, l.to_string()));
                }
            }
        }
    }
    out
}

fn has_rules(side: &Side<'_>, unit: Option<UnitId>, set: usize) -> bool {
    unit.and_then(|u| side.model.units.get(u))
        .and_then(|u| u.member_sets.get(set))
        .is_some_and(|s| !s.rules.is_empty())
}

/// Actions merged per (unit, principal, instance, change, cause), with the cause in words.
fn merge_principals(mut lines: Vec<AccessChange>) -> Vec<AccessChange> {
    lines.sort_by(|a, b| {
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
    for c in lines {
        match out.last_mut() {
            Some(last)
                if (
                    &last.unit,
                    &last.user,
                    &last.instance,
                    last.change,
                    &last.cause,
                ) == (&c.unit, &c.user, &c.instance, c.change, &c.cause) =>
            {
                last.actions.extend(c.actions);
            }
            _ => out.push(c),
        }
    }
    for c in &mut out {
        c.why = c
            .cause
            .describe(&c.user, c.change == "gains", &c.actions, &|s| {
                format!("`{s}`")
            });
    }
    out
}

/// Actions merged per (unit, set, instance, change, cause), with the cause in words.
fn merge_sets(mut lines: Vec<SetChange>) -> Vec<SetChange> {
    lines.sort_by(|a, b| {
        (&a.unit, a.set, &a.instance, a.change, &a.cause, &a.actions).cmp(&(
            &b.unit,
            b.set,
            &b.instance,
            b.change,
            &b.cause,
            &b.actions,
        ))
    });
    let mut out: Vec<SetChange> = Vec::new();
    for c in lines {
        match out.last_mut() {
            Some(last)
                if (
                    &last.unit,
                    last.set,
                    &last.instance,
                    last.change,
                    &last.cause,
                ) == (&c.unit, c.set, &c.instance, c.change, &c.cause) =>
            {
                last.actions.extend(c.actions);
            }
            _ => out.push(c),
        }
    }
    for c in &mut out {
        let members = format!("members of {} {}", c.unit.kind, c.unit.name);
        c.why = c
            .cause
            .describe(&members, c.change == "gains", &c.actions, &|s| {
                format!("`{s}`")
            });
    }
    out
}
