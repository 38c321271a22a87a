//! The effective-access model: users -> dynamic rules and static
//! memberships -> projects and nested groups -> roles -> actions on
//! instances. `qpol test` and the membership checks ask it.
//!
//! Dynamic rules are evaluated exactly as IAM does on the attribute values
//! qpol writes: CONTAINS is a case-sensitive substring test on a string and
//! an element test on a list; `has "ml"` is CONTAINS `,ml,` on the delimited
//! form `,ml,finance,` that qpol writes for list attributes of claims that a
//! `has` rule reads. A user without the attribute matches no condition.

pub mod assertions;
pub mod index;
pub mod substrings;

use crate::model::graph::Graph;
use crate::model::{delimit, AttrValue, CondValue, Operator};
use crate::model::{DynamicRule, InstanceId, MemberRef, Model, RoleId, Subject, UnitId, User};
use crate::pipeline::Cancel;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// How a subject came to be a member of a unit's member set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Matched the dynamic rule at this index of the member set.
    Rule(usize),
    /// Listed as a static member.
    Static,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub unit: UnitId,
    pub set: usize,
    pub via: Via,
}

/// One role on one instance, and the membership it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub instance: InstanceId,
    pub role: RoleId,
    pub membership: Membership,
    /// The project or group whose scope holds the instance.
    pub through: UnitId,
}

/// What the effective-access model precomputes for one model: the graph,
/// the rule index, the claims written delimited, and (on demand) every
/// user's rule memberships. It owns no reference to the model, so it lives
/// beside it (in [`crate::pipeline::Analysis`]); [`Access`] joins the two.
pub struct AccessIndex {
    pub graph: Graph,
    delimited_claims: BTreeSet<String>,
    rules: index::RuleIndex,
    /// Rule memberships of every declared user, computed once on demand.
    user_memberships: std::sync::OnceLock<Vec<Vec<Membership>>>,
    /// Once asked, the memberships are left incomplete and the checks stop
    /// (the analysis is dropped).
    cancel: Cancel,
}

impl std::fmt::Debug for AccessIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessIndex")
            .field("delimited_claims", &self.delimited_claims)
            .finish_non_exhaustive()
    }
}

impl AccessIndex {
    /// Index `model`; use the index only with that model.
    pub fn build(model: &Model) -> AccessIndex {
        let delimited_claims = model
            .units
            .iter()
            .flat_map(|u| &u.member_sets)
            .flat_map(|s| &s.rules)
            .flat_map(|r| &r.conditions)
            .filter(|c| c.operator == Operator::Has)
            .map(|c| c.claim.value.to_string())
            .collect();
        AccessIndex {
            graph: Graph::build(model),
            delimited_claims,
            rules: index::RuleIndex::build(model),
            user_memberships: std::sync::OnceLock::new(),
            cancel: Cancel::default(),
        }
    }

    /// The index of an analysis that `cancel` may stop: once asked, the
    /// memberships are left incomplete and the checks stop.
    pub fn with_cancel(self, cancel: &Cancel) -> AccessIndex {
        AccessIndex {
            cancel: cancel.clone(),
            ..self
        }
    }
}

/// The effective-access model: a model and its [`AccessIndex`], borrowed
/// together (cheap to copy).
#[derive(Clone, Copy)]
pub struct Access<'m> {
    pub model: &'m Model,
    pub graph: &'m Graph,
    index: &'m AccessIndex,
}

impl<'m> Access<'m> {
    /// `index` must have been built from `model`.
    pub fn new(model: &'m Model, index: &'m AccessIndex) -> Access<'m> {
        Access {
            model,
            graph: &index.graph,
            index,
        }
    }

    /// Does qpol write this claim in the delimited form?
    pub fn is_delimited(&self, claim: &str) -> bool {
        self.index.delimited_claims.contains(claim)
    }

    /// The attribute as qpol writes it to the identity provider.
    pub fn written_value<'u>(&self, user: &'u User, claim: &str) -> Option<Cow<'u, AttrValue>> {
        let value = &user.attributes.get(claim)?.value;
        Some(match value {
            AttrValue::List(items) if self.is_delimited(claim) => {
                Cow::Owned(AttrValue::Str(delimit(items.iter().map(|i| i.as_str()))))
            }
            other => Cow::Borrowed(other),
        })
    }

    pub fn rule_admits(&self, rule: &DynamicRule, user: &User) -> bool {
        if rule.idp.is_none() || user.idp.as_ref().map(|i| i.value) != rule.idp {
            return false;
        }
        rule.conditions.iter().all(|c| {
            self.written_value(user, &c.claim.value)
                .is_some_and(|v| condition_matches(c.operator, &c.value.value, v.as_ref()))
        })
    }

    /// Member sets whose dynamic rules admit a user (cached for all users).
    pub fn rule_memberships(&self, user_id: usize) -> &[Membership] {
        let all = self
            .index
            .user_memberships
            .get_or_init(|| self.all_rule_memberships());
        all.get(user_id).map_or(&[], Vec::as_slice)
    }

    /// Whether the analysis this access belongs to was asked to stop:
    /// the checks then stop too (see [`crate::pipeline::Cancel`]).
    pub fn cancelled(&self) -> bool {
        self.index.cancel.is_cancelled()
    }

    /// Rule memberships of every user, on two threads for large policies
    /// (cut short when the analysis is cancelled).
    fn all_rule_memberships(&self) -> Vec<Vec<Membership>> {
        let users = self.model.users.len();
        let going = |_: &usize| !self.cancelled();
        if users < 10_000 {
            return (0..users)
                .take_while(going)
                .map(|u| self.compute_rule_memberships(u))
                .collect();
        }
        let half = users / 2;
        std::thread::scope(|scope| {
            let first = scope.spawn(|| {
                (0..half)
                    .take_while(going)
                    .map(|u| self.compute_rule_memberships(u))
                    .collect::<Vec<_>>()
            });
            let second: Vec<_> = (half..users)
                .take_while(going)
                .map(|u| self.compute_rule_memberships(u))
                .collect();
            let mut all = first.join().unwrap_or_else(|_| {
                (0..half)
                    .map(|u| self.compute_rule_memberships(u))
                    .collect()
            });
            all.extend(second);
            all
        })
    }

    /// Member sets whose dynamic rules admit a user: found through the rule
    /// index, then checked in full.
    fn compute_rule_memberships(&self, user_id: usize) -> Vec<Membership> {
        let Some(user) = self.model.users.get(user_id) else {
            return Vec::new();
        };
        let written = user
            .attributes
            .keys()
            .filter_map(|claim| Some((claim.as_str(), self.written_value(user, claim)?)));
        let mut out: Vec<Membership> = Vec::new();
        for (unit, set, rule) in self.index.rules.candidates(written) {
            let admits = self
                .model
                .units
                .get(unit)
                .and_then(|u| u.member_sets.get(set))
                .and_then(|s| s.rules.get(rule))
                .is_some_and(|r| self.rule_admits(r, user));
            if admits && !out.iter().any(|m| m.unit == unit && m.set == set) {
                out.push(Membership {
                    unit,
                    set,
                    via: Via::Rule(rule),
                });
            }
        }
        // Kept for the whole run, one per user: no room for more (a first
        // push reserves four).
        out.shrink_to_fit();
        out
    }

    /// Every member set the subject belongs to, in unit order.
    pub fn memberships(&self, subject: &Subject) -> Vec<Membership> {
        let mut out = match subject {
            Subject::User(u) => self.rule_memberships(*u).to_vec(),
            _ => Vec::new(),
        };
        for (unit_id, unit) in self.model.units.iter().enumerate() {
            for (set_id, set) in unit.member_sets.iter().enumerate() {
                if out.iter().any(|m| m.unit == unit_id && m.set == set_id) {
                    continue;
                }
                let via = match subject {
                    Subject::User(u) => set
                        .users
                        .iter()
                        .any(|m| self.is_user(m, *u))
                        .then_some(Via::Static),
                    Subject::ServiceId(s) => set
                        .service_ids
                        .iter()
                        .any(|m| self.is_service_id(m, *s))
                        .then_some(Via::Static),
                    Subject::Literal(id) => set
                        .users
                        .iter()
                        .any(|m| match m {
                            MemberRef::Literal(l) => l == id,
                            MemberRef::Declared(u) => self
                                .model
                                .users
                                .get(*u)
                                .is_some_and(|user| user_has_id(user, id)),
                        })
                        .then_some(Via::Static),
                };
                if let Some(via) = via {
                    out.push(Membership {
                        unit: unit_id,
                        set: set_id,
                        via,
                    });
                }
            }
        }
        out.sort_by_key(|m| (m.unit, m.set));
        out
    }

    fn is_user(&self, member: &MemberRef, user: usize) -> bool {
        match member {
            MemberRef::Declared(u) => *u == user,
            MemberRef::Literal(id) => self
                .model
                .users
                .get(user)
                .is_some_and(|u| user_has_id(u, id)),
        }
    }

    fn is_service_id(&self, member: &MemberRef, sid: usize) -> bool {
        match member {
            MemberRef::Declared(s) => *s == sid,
            MemberRef::Literal(id) => self
                .model
                .service_ids
                .get(sid)
                .and_then(|s| s.iam_id.as_ref())
                .is_some_and(|i| i == id),
        }
    }

    /// Every role on every instance that a subject holds, with where it comes from.
    pub fn grants(&self, subject: &Subject) -> Vec<Grant> {
        let mut out = Vec::new();
        for membership in self.memberships(subject) {
            for (instance, role, through) in self.set_grants(membership.unit, membership.set) {
                out.push(Grant {
                    instance,
                    role,
                    membership: membership.clone(),
                    through,
                });
            }
        }
        out
    }

    /// What the members of one member set get: `(instance, role, through)`
    /// for every instance in the scope of its unit and of every unit below
    /// it, with the set's role, else its unit's, else the scope's own.
    pub fn set_grants(&self, unit_id: UnitId, set: usize) -> Vec<(InstanceId, RoleId, UnitId)> {
        let mut out = Vec::new();
        let Some(unit) = self.model.units.get(unit_id) else {
            return out;
        };
        let own_role = match unit.member_sets.get(set) {
            Some(set) => unit.role_of(set),
            None => unit.role.as_ref().map(|r| r.value),
        };
        for through in self.graph.descendants(unit_id) {
            let Some(scope) = self.model.units.get(through) else {
                continue;
            };
            let role = own_role.or(scope.role.as_ref().map(|r| r.value));
            let Some(role) = role else { continue };
            for instance in self.model.direct_instances(scope) {
                out.push((instance, role, through));
            }
        }
        out
    }
}

fn user_has_id(user: &User, id: &str) -> bool {
    user.email.as_ref().is_some_and(|e| e.value == id)
        || user.iam_id.as_ref().is_some_and(|i| i.value == id)
}

/// IAM's semantics of one condition on an attribute value.
pub fn condition_matches(op: Operator, expected: &CondValue, actual: &AttrValue) -> bool {
    let one = |e: &str| -> bool {
        match (op, actual) {
            (Operator::Contains, AttrValue::Str(s)) => s.contains(e),
            (Operator::Contains, AttrValue::List(l)) => l.iter().any(|x| x == e),
            (Operator::Has, AttrValue::Str(s)) => s.contains(delimit([e]).as_str()),
            (Operator::Has, AttrValue::List(l)) => l.iter().any(|x| *x == delimit([e])),
            (Operator::Equals | Operator::In, AttrValue::Str(s)) => s == e,
            (Operator::NotEquals, AttrValue::Str(s)) => s != e,
            (Operator::EqualsIgnoreCase, AttrValue::Str(s)) => s.to_lowercase() == e.to_lowercase(),
            (Operator::NotEqualsIgnoreCase, AttrValue::Str(s)) => {
                s.to_lowercase() != e.to_lowercase()
            }
            (_, AttrValue::List(_)) => false,
        }
    };
    match expected {
        CondValue::One(e) => one(e),
        CondValue::Many(es) => es.iter().any(|e| one(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> AttrValue {
        AttrValue::Str(v.into())
    }

    #[test]
    fn contains_is_a_case_sensitive_substring_test_on_strings() {
        let ml = CondValue::One("ml".into());
        assert!(condition_matches(Operator::Contains, &ml, &s("chemlab")));
        assert!(condition_matches(
            Operator::Contains,
            &ml,
            &s("html-tools web-team")
        ));
        assert!(!condition_matches(Operator::Contains, &ml, &s("ML")));
        assert!(!condition_matches(
            Operator::Contains,
            &ml,
            &AttrValue::List(vec!["chemlab".into()])
        ));
        assert!(condition_matches(
            Operator::Contains,
            &ml,
            &AttrValue::List(vec!["ml".into()])
        ));
    }

    #[test]
    fn has_matches_only_whole_delimited_values() {
        let ml = CondValue::One("ml".into());
        assert!(condition_matches(Operator::Has, &ml, &s(",ml,finance,")));
        assert!(!condition_matches(Operator::Has, &ml, &s(",chemlab,")));
        assert!(!condition_matches(Operator::Has, &ml, &s("ml finance")));
    }

    #[test]
    fn a_users_cached_memberships_hold_no_spare_room() {
        let text = "idp corp { kind appid; region us-south; attribute project; }\n\
            project ml { members from corp where project contains \"ml\"; }\n\
            user u1 { idp corp; attributes { project \"ml\" } }\n";
        let analysis =
            crate::pipeline::Analysis::new(crate::policy::Policy::from_texts([("t.qpol", text)]));
        assert_eq!(analysis.access().rule_memberships(0).len(), 1);
        let cached = analysis
            .index
            .user_memberships
            .get()
            .map(|all| all.iter().map(Vec::capacity).sum::<usize>());
        assert_eq!(cached, Some(1));
    }

    #[test]
    fn equality_operators() {
        let v = CondValue::One("Ml".into());
        assert!(condition_matches(Operator::EqualsIgnoreCase, &v, &s("mL")));
        assert!(!condition_matches(Operator::Equals, &v, &s("ml")));
        assert!(condition_matches(Operator::NotEquals, &v, &s("ml")));
        let list = CondValue::Many(vec!["a".into(), "b".into()]);
        assert!(condition_matches(Operator::In, &list, &s("b")));
        assert!(!condition_matches(Operator::In, &list, &s("c")));
    }
}
