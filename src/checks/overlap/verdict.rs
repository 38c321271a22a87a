//! Q201: a CONTAINS value that occurs inside a value another rule expects
//! admits that rule's users too; one finding per (rule, admitted project or
//! group), an error when the admitted users gain an action on an instance
//! that their own grants do not give.
//!
//! Victims are the values a rule expects its users to carry: `equals` and
//! `in` values, `contains` values (users carry a longer value holding them),
//! `has` values (delimited, `,ml,`) and `equals_ignore_case` values (every
//! case variant: compared with the CONTAINS value after lower-casing both,
//! char by char as IAM's case-insensitive comparison does). `not_equals*`
//! rules expect no value, so they are no victims.
//!
//! Own grants: the member sets of the same identity provider whose rule
//! surely admits every user carrying the value (every condition of it is
//! on that claim and holds for the value); a rule with a further condition
//! (`and team equals "lead"`) does not, so it does not cover (err toward
//! an error).
//!
//! Cost: each distinct value is scanned once by [`Substrings`], which
//! reports each CONTAINS value once however often it occurs; grants are
//! computed once per member set and per victim value, with actions
//! interned; at most [`NAMED`] admitted units per rule get a finding of
//! their own, the rest share one.

use crate::access::substrings::Substrings;
use crate::access::Access;
use crate::diag::{Diagnostic, Entity};
use crate::model::{CondValue, Condition, DynamicRule, InstanceId, Model, Operator};
use message::{finding, summary};
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};

mod message;

/// Admitted projects or groups named in findings of their own, per rule.
const NAMED: usize = 5;
/// Values named per finding.
const VALUES: usize = 3;

/// How the users a victim rule expects carry its value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    /// Exactly the value (`equals`, `in`).
    Exact,
    /// A value holding it (`contains`).
    Sub,
    /// A delimited list holding it (`has`; carried as `,v,`).
    Delim,
    /// A case variant of it (`equals_ignore_case`; carried lower-cased).
    Fold,
}

/// A CONTAINS condition value.
struct Attacker<'m> {
    unit: usize,
    set: usize,
    rule: &'m DynamicRule,
    condition: &'m Condition,
    value: &'m str,
}

/// A value a rule expects its users to carry.
struct Victim<'m> {
    unit: usize,
    set: usize,
    rule: &'m DynamicRule,
    condition: &'m Condition,
    value: &'m str,
    /// The rule admits every user carrying the value.
    sure: bool,
}

/// Victims carrying one value the same way, from one identity provider.
struct Group<'m> {
    idp: Option<usize>,
    kind: Kind,
    carried: String,
    victims: Vec<Victim<'m>>,
}

/// One (attacker, admitted unit, victim group, victim) pair.
type Pair = (usize, usize, usize, usize);

pub fn rule_overlaps(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    let model = access.model;
    let mut claims: BTreeMap<&str, (Vec<Attacker<'_>>, Vec<Group<'_>>)> = BTreeMap::new();
    let mut group_ids: HashMap<(&str, Option<usize>, Kind, String), usize> = HashMap::default();
    for (u, unit) in model.units.iter().enumerate() {
        for (s, set) in unit.member_sets.iter().enumerate() {
            for rule in &set.rules {
                for c in &rule.conditions {
                    let claim = c.claim.value.as_str();
                    let values: Vec<&str> = match &c.value.value {
                        CondValue::One(v) => vec![v.as_str()],
                        CondValue::Many(vs) => vs.iter().map(|v| v.as_str()).collect(),
                    };
                    let (attackers, groups) = claims.entry(claim).or_default();
                    for value in values {
                        let kind = match c.operator {
                            Operator::Equals | Operator::In => Kind::Exact,
                            Operator::Contains => Kind::Sub,
                            Operator::Has => Kind::Delim,
                            Operator::EqualsIgnoreCase => Kind::Fold,
                            Operator::NotEquals | Operator::NotEqualsIgnoreCase => continue,
                        };
                        if kind == Kind::Sub && !value.is_empty() {
                            attackers.push(Attacker {
                                unit: u,
                                set: s,
                                rule,
                                condition: c,
                                value,
                            });
                        }
                        let carried = carried(kind, value);
                        let next = groups.len();
                        let g = *group_ids
                            .entry((claim, rule.idp, kind, carried.clone()))
                            .or_insert(next);
                        if g == next {
                            groups.push(Group {
                                idp: rule.idp,
                                kind,
                                carried,
                                victims: Vec::new(),
                            });
                        }
                        let sure = rule
                            .conditions
                            .iter()
                            .all(|other| surely(other, claim, kind, value));
                        if let Some(group) = groups.get_mut(g) {
                            group.victims.push(Victim {
                                unit: u,
                                set: s,
                                rule,
                                condition: c,
                                value,
                                sure,
                            });
                        }
                    }
                }
            }
        }
    }
    let mut grants = Grants::new(access);
    for (claim, (attackers, groups)) in &claims {
        if attackers.is_empty() {
            continue;
        }
        let pairs = pairs(model, attackers, groups);
        // The member sets that surely admit each group's users (their own grants).
        let own_sets: Vec<Vec<(usize, usize)>> = groups
            .iter()
            .map(|g| own_sets(claim, g, groups, &group_ids))
            .collect();
        let mut own_grants: Vec<Option<Vec<(InstanceId, u32)>>> = vec![None; groups.len()];
        let mut start = 0;
        while start < pairs.len() {
            let a = pairs.get(start).map_or(0, |p| p.0);
            let end = pairs
                .get(start..)
                .and_then(|rest| rest.iter().position(|p| p.0 != a))
                .map_or(pairs.len(), |n| start + n);
            let Some(attacker) = attackers.get(a) else {
                break;
            };
            let run = pairs.get(start..end).unwrap_or(&[]);
            let mut admitted = admitted_units(run, groups, |g, sets| {
                let own = own_grants.get_mut(g).and_then(|slot| {
                    if slot.is_none() {
                        *slot = Some(grants.union(own_sets.get(g).map_or(&[][..], Vec::as_slice)));
                    }
                    slot.as_deref()
                });
                let unit_own = grants.union(sets);
                grants.gained(
                    (attacker.unit, attacker.set),
                    &[own.unwrap_or(&[]), &unit_own],
                )
            });
            admitted.sort_by_key(|u| (u.gained.is_none(), u.unit));
            let subjects = grants.subjects((attacker.unit, attacker.set));
            let rest = admitted.split_off(admitted.len().min(NAMED));
            for unit in &admitted {
                out.push(
                    finding(model, &grants, attacker, unit, groups)
                        .about(subjects.clone())
                        .admitting([Entity::Unit(unit.unit)]),
                );
            }
            if !rest.is_empty() {
                out.push(
                    summary(model, &grants, attacker, &rest)
                        .about(subjects.clone())
                        .admitting(rest.iter().map(|u| Entity::Unit(u.unit))),
                );
            }
            start = end;
        }
    }
}

/// The value users carry, as a CONTAINS value is compared with it.
fn carried(kind: Kind, value: &str) -> String {
    match kind {
        Kind::Exact | Kind::Sub => value.to_string(),
        Kind::Delim => Operator::Has.iam_value(value).to_string(),
        Kind::Fold => fold(value),
    }
}

/// Case folding as IAM's case-insensitive comparison: each char lower-cased.
fn fold(value: &str) -> String {
    value.chars().flat_map(char::to_lowercase).collect()
}

/// Does `c` hold for every user carrying `value` (of `claim`) the `kind` way?
fn surely(c: &Condition, claim: &str, kind: Kind, value: &str) -> bool {
    if c.claim.value.as_str() != claim {
        return false;
    }
    let values: Vec<&str> = match &c.value.value {
        CondValue::One(v) => vec![v.as_str()],
        CondValue::Many(vs) => vs.iter().map(|v| v.as_str()).collect(),
    };
    let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    match (kind, c.operator) {
        (Kind::Exact, Operator::Equals | Operator::In) => any(&|v| v == value),
        (Kind::Exact | Kind::Sub, Operator::Contains) => any(&|v| value.contains(v)),
        (Kind::Exact, Operator::EqualsIgnoreCase) => any(&|v| fold(v) == fold(value)),
        (Kind::Exact, Operator::NotEquals) => !any(&|v| v == value),
        (Kind::Exact | Kind::Fold, Operator::NotEqualsIgnoreCase) => {
            !any(&|v| fold(v) == fold(value))
        }
        (Kind::Delim, Operator::Has) => any(&|v| v == value),
        (Kind::Delim, Operator::Contains) => {
            let delimited = Operator::Has.iam_value(value);
            any(&|v| delimited.contains(v))
        }
        (Kind::Fold, Operator::EqualsIgnoreCase) => any(&|v| fold(v) == fold(value)),
        _ => false,
    }
}

/// Member sets of the group's identity provider whose rules surely admit its users.
fn own_sets(
    claim: &str,
    group: &Group<'_>,
    groups: &[Group<'_>],
    ids: &HashMap<(&str, Option<usize>, Kind, String), usize>,
) -> Vec<(usize, usize)> {
    let mut related = vec![group];
    if group.kind == Kind::Exact {
        for (kind, carried) in [
            (Kind::Sub, group.carried.clone()),
            (Kind::Fold, fold(&group.carried)),
        ] {
            if let Some(other) = ids
                .get(&(claim, group.idp, kind, carried))
                .and_then(|g| groups.get(*g))
            {
                related.push(other);
            }
        }
    }
    let mut out: Vec<(usize, usize)> = related
        .iter()
        .flat_map(|g| &g.victims)
        .filter(|v| v.sure)
        .map(|v| (v.unit, v.set))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Every (attacker, admitted unit, group, victim) of one claim, sorted; each
/// distinct carried value is scanned once.
fn pairs(model: &Model, attackers: &[Attacker<'_>], groups: &[Group<'_>]) -> Vec<Pair> {
    // Distinct CONTAINS values, and the attackers holding each.
    let mut pattern_of: HashMap<&str, usize> = HashMap::default();
    let mut holders: Vec<Vec<usize>> = Vec::new();
    for (a, attacker) in attackers.iter().enumerate() {
        let next = holders.len();
        let p = *pattern_of.entry(attacker.value).or_insert(next);
        if p == next {
            holders.push(Vec::new());
        }
        if let Some(h) = holders.get_mut(p) {
            h.push(a);
        }
    }
    let mut patterns: Vec<&str> = vec![""; holders.len()];
    for (value, p) in &pattern_of {
        if let Some(slot) = patterns.get_mut(*p) {
            *slot = value;
        }
    }
    let mut plain = Substrings::new(patterns.iter().copied());
    let folded_patterns: Vec<String> = if groups.iter().any(|g| g.kind == Kind::Fold) {
        patterns.iter().map(|p| fold(p)).collect()
    } else {
        Vec::new()
    };
    let mut folded = Substrings::new(folded_patterns.iter().map(String::as_str));
    let mut out = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let scanner = if group.kind == Kind::Fold {
            &mut folded
        } else {
            &mut plain
        };
        scanner.distinct_in(&group.carried, |p| {
            // A CONTAINS of a case variant of the whole value admits the rule's own users.
            let whole_variant = group.kind == Kind::Fold
                && folded_patterns.get(p).is_some_and(|f| *f == group.carried);
            if whole_variant {
                return;
            }
            for &a in holders.get(p).map_or(&[][..], Vec::as_slice) {
                let Some(attacker) = attackers.get(a) else {
                    continue;
                };
                if attacker.rule.idp != group.idp {
                    continue;
                }
                for (v, victim) in group.victims.iter().enumerate() {
                    if (group.kind != Kind::Fold && attacker.value == victim.value)
                        || same_access(model, attacker, victim)
                    {
                        continue;
                    }
                    out.push((a, victim.unit, g, v));
                }
            }
        });
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Same member set, or same project and same role: admitting each other's
/// users changes nothing.
fn same_access(model: &Model, a: &Attacker<'_>, v: &Victim<'_>) -> bool {
    if a.unit != v.unit {
        return false;
    }
    let role = |set: usize| {
        let unit = model.units.get(a.unit)?;
        unit.member_sets.get(set).and_then(|s| unit.role_of(s))
    };
    a.set == v.set || role(a.set) == role(v.set)
}

/// One admitted project or group: the values through which, and what its users gain.
struct AdmittedUnit {
    unit: usize,
    /// `(group, victim)`, by group.
    values: Vec<(usize, usize)>,
    gained: Option<(InstanceId, u32)>,
}

/// Folds one attacker's pairs (sorted by unit) into admitted units, with the
/// first gain over any of their groups' own grants.
fn admitted_units(
    run: &[Pair],
    groups: &[Group<'_>],
    mut gained: impl FnMut(usize, &[(usize, usize)]) -> Option<(InstanceId, u32)>,
) -> Vec<AdmittedUnit> {
    let mut out: Vec<AdmittedUnit> = Vec::new();
    for &(_, unit, g, v) in run {
        match out.last_mut() {
            Some(last) if last.unit == unit => last.values.push((g, v)),
            _ => out.push(AdmittedUnit {
                unit,
                values: vec![(g, v)],
                gained: None,
            }),
        }
    }
    for unit in &mut out {
        let mut seen = BTreeSet::new();
        for &(g, _) in &unit.values {
            if unit.gained.is_some() {
                break;
            }
            let Some(group) = groups.get(g) else { continue };
            if !seen.insert(g) {
                continue;
            }
            // Only the admitted unit's rules that surely admit every user
            // carrying the value count: one with a further condition (`and
            // team equals "x"`) leaves users with that value whom only the
            // overlapping rule admits.
            let mut sets: Vec<(usize, usize)> = unit
                .values
                .iter()
                .filter(|x| x.0 == g)
                .filter_map(|x| group.victims.get(x.1))
                .filter(|v| v.sure)
                .map(|v| (v.unit, v.set))
                .collect();
            sets.dedup();
            unit.gained = gained(g, &sets);
        }
    }
    out
}

/// `(weight, instance, action)` of one member set.
type SetGrants = Vec<(u8, InstanceId, u32)>;

/// Member sets' grants, each computed once, with actions interned.
struct Grants<'a, 'm> {
    access: &'a Access<'m>,
    actions: Vec<&'m str>,
    action_ids: HashMap<&'m str, u32>,
    /// `(weight, instance, action)`, sorted: the most telling grant first.
    sets: HashMap<(usize, usize), SetGrants>,
}

impl<'a, 'm> Grants<'a, 'm> {
    fn new(access: &'a Access<'m>) -> Self {
        Grants {
            access,
            actions: Vec::new(),
            action_ids: HashMap::default(),
            sets: HashMap::default(),
        }
    }

    fn action(&self, id: u32) -> &'m str {
        self.actions.get(id as usize).copied().unwrap_or("?")
    }

    fn of(&mut self, set: (usize, usize)) -> &[(u8, InstanceId, u32)] {
        if !self.sets.contains_key(&set) {
            let model = self.access.model;
            let mut grants = Vec::new();
            for (instance, role, _) in self.access.set_grants(set.0, set.1) {
                let Some(role) = model.roles.get(role) else {
                    continue;
                };
                for action in &role.actions {
                    let name = action.value.as_str();
                    let next = self.actions.len() as u32;
                    let id = *self.action_ids.entry(name).or_insert(next);
                    if id == next {
                        self.actions.push(name);
                    }
                    grants.push((weight(name), instance, id));
                }
            }
            grants.sort_unstable_by_key(|g| (g.0, g.1, self.action(g.2)));
            grants.dedup();
            self.sets.insert(set, grants);
        }
        self.sets.get(&set).map_or(&[], Vec::as_slice)
    }

    /// Every grant of `sets`, sorted for lookup.
    fn union(&mut self, sets: &[(usize, usize)]) -> Vec<(InstanceId, u32)> {
        let mut out: Vec<(InstanceId, u32)> = Vec::new();
        for set in sets {
            out.extend(self.of(*set).iter().map(|g| (g.1, g.2)));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The attacker's most telling grant that `own` (sorted) lacks: a delete
    /// before another write, a write before a read.
    fn gained(
        &mut self,
        attacker: (usize, usize),
        own: &[&[(InstanceId, u32)]],
    ) -> Option<(InstanceId, u32)> {
        self.of(attacker)
            .iter()
            .map(|g| (g.1, g.2))
            .find(|g| own.iter().all(|o| o.binary_search(g).is_err()))
    }

    /// The finding concerns the attacker's unit, its role and the instances it reaches.
    fn subjects(&mut self, attacker: (usize, usize)) -> Vec<Entity> {
        let mut out = vec![Entity::Unit(attacker.0)];
        let model = self.access.model;
        let role = model.units.get(attacker.0).and_then(|u| {
            u.member_sets
                .get(attacker.1)
                .and_then(|s| s.role.as_ref())
                .or(u.role.as_ref())
        });
        out.extend(role.map(|r| Entity::Role(r.value)));
        let instances: BTreeSet<InstanceId> = self.of(attacker).iter().map(|g| g.1).collect();
        out.extend(instances.into_iter().map(Entity::Instance));
        out
    }
}

/// How little an action can do: 0 deletes, 1 other writes, 2 reads and lists.
fn weight(action: &str) -> u8 {
    if action.ends_with(".delete") {
        0
    } else if action.ends_with(".read") || action.ends_with(".list") {
        2
    } else {
        1
    }
}
