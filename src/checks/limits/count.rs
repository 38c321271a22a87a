//! Counting what compiling a policy creates in IAM, by the same rules as
//! `backends::deployment` (one access group per project or group and role
//! of its member sets, one dynamic rule per combination of `in` values,
//! one policy per access group and scope it reaches), without building the
//! deployment: linear in the policy plus the policies counted.

use super::thousands;
use crate::access::Access;
use crate::diag::Span;
use crate::model::CondValue;
use crate::model::{Condition, DynamicRule, MemberRef, Model, RoleId, Unit, UnitId};
use crate::text::Text;
use rustc_hash::FxHashMap;

/// One access group the policy creates.
#[derive(Debug, Clone)]
pub struct GroupCount {
    pub unit: UnitId,
    /// The role its members get (`None`: the roles of the units under it).
    pub role: Option<RoleId>,
    pub rules: u64,
    pub policies: u64,
    /// The rule that expands to the most IAM rules: its number of IAM
    /// rules, and where it is (member set and rule of the unit).
    pub largest_rule: Option<(u64, usize, usize)>,
}

/// Everything counted; access groups in model order (units, then roles).
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub groups: Vec<GroupCount>,
    pub custom_roles: u64,
    /// The roles compiled to custom roles: every declared one and each
    /// preset a project uses.
    pub custom_role_ids: Vec<RoleId>,
    /// Dynamic rules naming each identity provider (model order).
    pub rules_per_idp: Vec<u64>,
    /// Access groups each member ends up in: every declared user (in model
    /// order), then every undeclared static member id (`literal_members`).
    pub members: Vec<u32>,
    /// Static members named by an email or IAM id no user declares, with
    /// the first member set naming them.
    pub literal_members: Vec<(Text, Span)>,
    pub idps: u64,
    pub service_ids: u64,
    /// Declared users plus static members named by an id no user declares.
    pub users: u64,
}

impl Counts {
    pub fn access_groups(&self) -> u64 {
        self.groups.len() as u64
    }

    pub fn rules(&self) -> u64 {
        self.groups.iter().fold(0, |n, g| n.saturating_add(g.rules))
    }

    pub fn policies(&self) -> u64 {
        self.groups
            .iter()
            .fold(0, |n, g| n.saturating_add(g.policies))
    }
}

/// Count what the policy creates.
pub fn count(access: &Access<'_>) -> Counts {
    let model = access.model;
    let reach = reach(model);
    let mut out = Counts {
        rules_per_idp: vec![0; model.idps.len()],
        idps: model.idps.len() as u64,
        service_ids: model.service_ids.len() as u64,
        ..Counts::default()
    };
    let mut used_roles: Vec<RoleId> = Vec::new();
    for (u, unit) in model.units.iter().enumerate() {
        let empty = Reach::default();
        let r = reach.get(u).unwrap_or(&empty);
        for role in own_roles(unit) {
            let mut group = GroupCount {
                unit: u,
                role,
                rules: 0,
                policies: 0,
                largest_rule: None,
            };
            let sets = unit.member_sets.iter().enumerate();
            for (set_id, set) in sets.filter(|(_, s)| set_role(unit, s) == role) {
                for (rule_id, rule) in set.rules.iter().enumerate() {
                    let Some(idp) = rule.idp.filter(|i| *i < model.idps.len()) else {
                        continue;
                    };
                    let n = expansion(rule);
                    group.rules = group.rules.saturating_add(n);
                    if let Some(per_idp) = out.rules_per_idp.get_mut(idp) {
                        *per_idp = per_idp.saturating_add(n);
                    }
                    if group.largest_rule.is_none_or(|(m, _, _)| n > m) {
                        group.largest_rule = Some((n, set_id, rule_id));
                    }
                }
            }
            match role {
                Some(role) => {
                    group.policies = r.all.len() as u64;
                    if !r.all.is_empty() {
                        used_roles.push(role);
                    }
                }
                None => {
                    group.policies = r.roled.len() as u64;
                    used_roles.extend(r.roles.iter().copied());
                }
            }
            out.groups.push(group);
        }
    }
    used_roles.sort_unstable();
    used_roles.dedup();
    out.custom_role_ids = model
        .roles
        .iter()
        .enumerate()
        .filter(|(r, role)| !role.preset || used_roles.binary_search(r).is_ok())
        .map(|(r, _)| r)
        .collect();
    out.custom_roles = out.custom_role_ids.len() as u64;
    members(access, &mut out);
    out
}

/// The roles of a unit's access groups: one per role of its member sets
/// (a set without one uses the unit's), at least the unit's own.
fn own_roles(unit: &Unit) -> Vec<Option<RoleId>> {
    let mut roles: Vec<Option<RoleId>> = Vec::new();
    for set in &unit.member_sets {
        let role = set_role(unit, set);
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        roles.push(unit.role.as_ref().map(|r| r.value));
    }
    roles
}

fn set_role(unit: &Unit, set: &crate::model::MemberSet) -> Option<RoleId> {
    set.role.as_ref().or(unit.role.as_ref()).map(|r| r.value)
}

/// How many IAM rules one rule becomes: the product of its `in` lists' lengths.
pub fn expansion(rule: &DynamicRule) -> u64 {
    rule.conditions
        .iter()
        .fold(1u64, |n, c| n.saturating_mul(values(c)))
}

fn values(c: &Condition) -> u64 {
    match &c.value.value {
        CondValue::One(_) => 1,
        CondValue::Many(vs) => vs.len() as u64,
    }
}

/// `3 x 2 = 6 rules from `project in [...] and team in [...]``, or the rule
/// alone. A long rule is quoted up to [`QUOTED`] characters; a product past
/// `u64` is said as "more than".
pub fn product(rule: &DynamicRule) -> String {
    let mut text = rule
        .conditions
        .iter()
        .map(|c| c.describe())
        .collect::<Vec<_>>()
        .join(" and ");
    if let Some((cut, _)) = text.char_indices().nth(QUOTED) {
        text.truncate(cut);
        text.push_str(" ...");
    }
    let factors: Vec<u64> = rule
        .conditions
        .iter()
        .map(values)
        .filter(|n| *n != 1)
        .collect();
    let total = match expansion(rule) {
        u64::MAX => thousands(u64::MAX),
        n => n.to_string(),
    };
    match factors.as_slice() {
        [] => format!("1 rule from `{text}`"),
        [_] => format!("{total} rules from `{text}`, one per value"),
        _ => format!(
            "{} = {total} rules from `{text}`",
            factors
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" x ")
        ),
    }
}

/// The rule of the policy that expands to the most IAM rules, with its
/// product (`3 x 2 = 6 rules from ...`).
pub fn largest_rule<'m>(model: &'m Model, counts: &Counts) -> Option<(&'m DynamicRule, String)> {
    let (_, unit, set, rule) = counts
        .groups
        .iter()
        .filter_map(|g| g.largest_rule.map(|(n, set, rule)| (n, g.unit, set, rule)))
        .max_by_key(|&(n, unit, set, rule)| (n, std::cmp::Reverse((unit, set, rule))))?;
    let rule = model
        .units
        .get(unit)?
        .member_sets
        .get(set)?
        .rules
        .get(rule)?;
    Some((rule, product(rule)))
}

/// How much of a rule a message quotes, in characters.
const QUOTED: usize = 200;

/// The scopes a unit reaches, its own and those of the units under it.
#[derive(Debug, Default, Clone)]
struct Reach {
    /// Every scope: `2 * instance` or `2 * resource group + 1`. Sorted.
    all: Vec<usize>,
    /// The scopes that a unit naming a role scopes. Sorted.
    roled: Vec<usize>,
    /// The roles of those units. Sorted.
    roles: Vec<RoleId>,
}

impl Reach {
    fn merge(&mut self, other: &Reach) {
        self.all.extend_from_slice(&other.all);
        self.roled.extend_from_slice(&other.roled);
        self.roles.extend_from_slice(&other.roles);
    }

    fn normalize(&mut self) {
        for v in [&mut self.all, &mut self.roled, &mut self.roles] {
            v.sort_unstable();
            v.dedup();
        }
    }
}

/// What every unit reaches, as the deployment computes it: children
/// first (an iterative depth-first walk, so deep nesting cannot exhaust the
/// stack). In a cycle of groups (Q211, an error) a unit does not see the
/// units above it on the walk: the counts only need to be exact for a
/// policy that compiles.
fn reach(model: &Model) -> Vec<Reach> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let child = |u: UnitId, i: usize| -> Option<UnitId> {
        let unit = model.units.get(u)?;
        match unit.projects.get(i) {
            Some(p) => Some(p.value),
            None => unit
                .groups
                .get(i.checked_sub(unit.projects.len())?)
                .map(|g| g.value),
        }
    };
    let mut reach: Vec<Reach> = vec![Reach::default(); model.units.len()];
    let mut state = vec![NEW; model.units.len()];
    let mut stack: Vec<(UnitId, usize)> = Vec::new();
    for root in 0..model.units.len() {
        if state.get(root) != Some(&NEW) {
            continue;
        }
        if let Some(s) = state.get_mut(root) {
            *s = OPEN;
        }
        stack.push((root, 0));
        while let Some((u, next)) = stack.last_mut() {
            let u = *u;
            if let Some(c) = child(u, *next) {
                *next += 1;
                if let Some(s) = state.get_mut(c).filter(|s| **s == NEW) {
                    *s = OPEN;
                    stack.push((c, 0));
                }
                continue;
            }
            stack.pop();
            let mut merged = Reach::default();
            if let Some(unit) = model.units.get(u) {
                own_scopes(unit, &mut merged);
            }
            let mut i = 0;
            while let Some(c) = child(u, i) {
                i += 1;
                if state.get(c) == Some(&DONE) {
                    if let Some(below) = reach.get(c) {
                        merged.merge(below);
                    }
                }
            }
            merged.normalize();
            if let Some(r) = reach.get_mut(u) {
                *r = merged;
            }
            if let Some(s) = state.get_mut(u) {
                *s = DONE;
            }
        }
    }
    reach
}

fn own_scopes(unit: &Unit, reach: &mut Reach) {
    let scopes = || {
        unit.instances
            .iter()
            .map(|i| 2 * i.value)
            .chain(unit.resource_groups.iter().map(|g| 2 * g.value + 1))
    };
    reach.all.extend(scopes());
    if let Some(role) = &unit.role {
        if scopes().next().is_some() {
            reach.roled.extend(scopes());
            reach.roles.push(role.value);
        }
    }
}

/// Access groups each declared user (and each static member id) ends up in:
/// those whose dynamic rules admit it, and those listing it.
fn members(access: &Access<'_>, out: &mut Counts) {
    let model = access.model;
    // Where each unit's access groups start in `out.groups` (they are
    // pushed unit by unit, in unit order).
    let mut first_group: Vec<usize> = Vec::with_capacity(model.units.len());
    for (i, g) in out.groups.iter().enumerate() {
        if first_group.len() == g.unit {
            first_group.push(i);
        }
    }
    let groups_of = &out.groups;
    let group = |unit: UnitId, set: usize| -> Option<usize> {
        let u = model.units.get(unit)?;
        let first = *first_group.get(unit)?;
        let role = set_role(u, u.member_sets.get(set)?);
        (first..)
            .take_while(|g| groups_of.get(*g).is_some_and(|g| g.unit == unit))
            .find(|g| groups_of.get(*g).is_some_and(|g| g.role == role))
    };
    let mut by_id: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, user) in model.users.iter().enumerate() {
        for id in [&user.email, &user.iam_id].into_iter().flatten() {
            by_id.entry(id.value.as_str()).or_insert(i);
        }
    }
    // Static memberships as (member, access group); members are declared
    // users (by index) or undeclared ids (numbered after the users).
    let mut statics: Vec<(usize, usize)> = Vec::new();
    let mut literal: Vec<(&str, Span)> = Vec::new();
    let mut literal_index: FxHashMap<&str, usize> = FxHashMap::default();
    for (u, unit) in model.units.iter().enumerate() {
        for (s, set) in unit.member_sets.iter().enumerate() {
            if set.users.is_empty() {
                continue;
            }
            let Some(g) = group(u, s) else { continue };
            for member in &set.users {
                let who = match member {
                    MemberRef::Declared(user) => *user,
                    MemberRef::Literal(id) => match by_id.get(id.as_str()) {
                        Some(user) => *user,
                        None => {
                            let next = model.users.len() + literal.len();
                            *literal_index.entry(id.as_str()).or_insert_with(|| {
                                literal.push((id.as_str(), set.span));
                                next
                            })
                        }
                    },
                };
                statics.push((who, g));
            }
        }
    }
    statics.sort_unstable();
    let mut statics = statics.as_slice();
    let mut groups: Vec<usize> = Vec::new();
    let total = model.users.len() + literal.len();
    out.members.reserve(total);
    for who in 0..total {
        groups.clear();
        let mine = statics.iter().take_while(|(w, _)| *w == who).count();
        let (own, rest) = statics.split_at(mine);
        statics = rest;
        groups.extend(own.iter().map(|(_, g)| *g));
        if who < model.users.len() {
            groups.extend(
                access
                    .rule_memberships(who)
                    .iter()
                    .filter_map(|m| group(m.unit, m.set)),
            );
        }
        groups.sort_unstable();
        groups.dedup();
        out.members
            .push(u32::try_from(groups.len()).unwrap_or(u32::MAX));
    }
    out.literal_members = literal
        .into_iter()
        .map(|(id, span)| (Text::from(id), span))
        .collect();
    out.users = total as u64;
}

impl Counts {
    /// A member's name and where it is declared (or first named).
    pub fn member(&self, model: &Model, index: usize) -> (Text, Span) {
        match model.users.get(index) {
            Some(user) => (user.name.value.clone(), user.name.span),
            None => self
                .literal_members
                .get(index - model.users.len())
                .cloned()
                .unwrap_or_default(),
        }
    }
}
