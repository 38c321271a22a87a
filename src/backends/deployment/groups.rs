//! Access groups: one per project or group and role of its member sets,
//! with their dynamic rules, static members and the policies nested groups
//! expand to.

use super::{by_name, AccessGroup, Builder, Policy, Rule, RuleCondition, Scope, ServiceMember};
use crate::backends::names::{self, Namespace};
use crate::model::{self, MemberRef, RoleId, UnitId};
use crate::model::{CondValue, Operator};
use std::collections::{BTreeMap, BTreeSet};

/// The scopes a project or group reaches through the units under it.
#[derive(Debug, Default, Clone)]
struct Reach {
    /// Every scope, for an access group with a role of its own.
    all: BTreeSet<Scope>,
    /// Each scope with the roles of the units under it that scope it and
    /// name a role, for an access group with no role of its own.
    by_role: BTreeMap<Scope, BTreeSet<RoleId>>,
}

impl Reach {
    fn insert(&mut self, scope: Scope, role: Option<RoleId>) {
        self.all.insert(scope);
        if let Some(role) = role {
            self.by_role.entry(scope).or_default().insert(role);
        }
    }

    fn extend(&mut self, other: &Reach) {
        self.all.extend(other.all.iter().copied());
        for (scope, roles) in &other.by_role {
            self.by_role
                .entry(*scope)
                .or_default()
                .extend(roles.iter().copied());
        }
    }

    /// The policies of an access group with this reach: its own role on
    /// every scope, or failing that, each scope's roles. Sorted by scope.
    fn policies(&self, own_role: Option<RoleId>) -> Vec<Policy> {
        let policy = |scope: Scope, roles: Vec<RoleId>| Policy {
            key: String::new(),
            description: String::new(),
            scope,
            roles,
        };
        match own_role {
            Some(role) => self.all.iter().map(|s| policy(*s, vec![role])).collect(),
            None => self
                .by_role
                .iter()
                .map(|(s, roles)| policy(*s, roles.iter().copied().collect()))
                .collect(),
        }
    }
}

impl Builder<'_> {
    /// One access group per project or group and role of its member sets.
    pub(super) fn access_groups(&mut self) {
        let mut iam_names = Namespace::new("-", Some(100));
        for unit in &self.model.units {
            iam_names.reserve(&unit.name.value);
        }
        let mut keys = Namespace::new("_", None);
        let mut rule_keys = Namespace::new("_", None);
        let mut policy_keys = Namespace::new("_", None);
        let reach = self.reach();
        for u in by_name(&self.model.units, |u| &u.name.value) {
            let Some(unit) = self.model.units.get(u) else {
                continue;
            };
            let unit_role = unit.role.as_ref().map(|r| r.value);
            let mut own_roles: Vec<Option<RoleId>> = Vec::new();
            for set in &unit.member_sets {
                let role = unit.role_of(set);
                if !own_roles.contains(&role) {
                    own_roles.push(role);
                }
            }
            if own_roles.is_empty() {
                own_roles.push(unit_role);
            }
            // The unit's own role keeps the unit's name; other roles get `unit-role`.
            own_roles.sort_by_key(|r| (*r != unit_role, self.role_name(*r)));
            for (n, own_role) in own_roles.iter().enumerate() {
                let name = if n == 0 {
                    unit.name.value.to_string()
                } else {
                    iam_names.claim(&format!(
                        "{}-{}",
                        unit.name.value,
                        self.role_name(*own_role)
                    ))
                };
                let mut group = self.access_group(u, *own_role, name, &mut keys);
                group.policies = reach
                    .get(u)
                    .map(|r| r.policies(*own_role))
                    .unwrap_or_default();
                self.push_group(group, &mut rule_keys, &mut policy_keys);
            }
        }
    }

    pub(super) fn role_name(&self, role: Option<RoleId>) -> String {
        role.and_then(|r| self.model.roles.get(r))
            .map_or_else(String::new, |r| r.name.value.to_string())
    }

    pub(super) fn access_group(
        &mut self,
        unit_id: UnitId,
        own_role: Option<RoleId>,
        name: String,
        keys: &mut Namespace,
    ) -> AccessGroup {
        let model = self.model;
        let unit = model.units.get(unit_id);
        let unit_role = unit.and_then(|u| u.role.as_ref()).map(|r| r.value);
        let description = unit
            .and_then(|u| u.description.as_ref())
            .map(|d| d.value.to_string())
            .unwrap_or_else(|| {
                let kind = match unit.map(|u| u.kind) {
                    Some(model::UnitKind::Group) => "Group",
                    _ => "Project",
                };
                let mut d = format!("{kind} {}", unit.map_or("", |u| u.name.value.as_str()));
                if own_role != unit_role {
                    d.push_str(&format!(", role {}", self.role_name(own_role)));
                }
                d
            });
        let mut group = AccessGroup {
            key: keys.claim(&names::terraform_name(&name)),
            project: unit.map_or_else(String::new, |u| u.name.value.to_string()),
            name,
            description: super::marked(Some(&description)),
            description_declared: unit.is_some_and(|u| u.description.is_some()),
            rules: Vec::new(),
            users: Vec::new(),
            service_ids: Vec::new(),
            policies: Vec::new(),
        };
        let sets = unit
            .map(|u| u.member_sets.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|s| unit.and_then(|u| u.role_of(s)) == own_role);
        let mut users = BTreeSet::new();
        let mut service_ids = BTreeSet::new();
        for set in sets {
            for rule in &set.rules {
                self.rules(rule, &mut group.rules);
            }
            for member in &set.users {
                users.extend(self.user_id(member));
            }
            for member in &set.service_ids {
                let sid = match member {
                    MemberRef::Literal(id) => Some(ServiceMember::IamId(id.to_string())),
                    MemberRef::Declared(s) => match self.sid_index.get(s) {
                        Some(&created) => Some(ServiceMember::Created(created)),
                        None => model
                            .service_ids
                            .get(*s)
                            .and_then(|s| s.iam_id.as_ref())
                            .map(|id| ServiceMember::IamId(id.to_string())),
                    },
                };
                service_ids.extend(sid);
            }
        }
        group.users = users.into_iter().collect();
        group.service_ids = service_ids.into_iter().collect();
        group
    }

    /// The IAM id or email of a static user member (a declared user without
    /// either is reported by the checker, Q501).
    pub(super) fn user_id(&self, member: &MemberRef) -> Option<String> {
        let user = match member {
            MemberRef::Literal(id) => return Some(id.to_string()),
            MemberRef::Declared(u) => self.model.users.get(*u)?,
        };
        user.email
            .as_ref()
            .or(user.iam_id.as_ref())
            .map(|l| l.value.to_string())
    }

    /// IAM dynamic rules for one rule of the policy: `in [a, b]` becomes one
    /// rule per value (IAM ORs rules), `has "v"` CONTAINS `,v,`.
    pub(super) fn rules(&mut self, rule: &model::DynamicRule, out: &mut Vec<Rule>) {
        let Some(idp) = rule.idp.and_then(|i| self.idp_index.get(&i).copied()) else {
            return;
        };
        let mut alternatives: Vec<Vec<RuleCondition>> = vec![Vec::new()];
        for c in &rule.conditions {
            let claim = c.claim.value.to_string();
            let values: Vec<&str> = match &c.value.value {
                CondValue::One(v) => vec![v.as_str()],
                CondValue::Many(vs) => vs.iter().map(|v| v.as_str()).collect(),
            };
            let operator = match c.operator {
                Operator::Contains | Operator::Has => "CONTAINS",
                Operator::Equals | Operator::In => "EQUALS",
                Operator::NotEquals => "NOT_EQUALS",
                Operator::EqualsIgnoreCase => "EQUALS_IGNORE_CASE",
                Operator::NotEqualsIgnoreCase => "NOT_EQUALS_IGNORE_CASE",
            };
            let conditions: Vec<RuleCondition> = values
                .iter()
                .map(|v| RuleCondition {
                    claim: claim.clone(),
                    operator,
                    value: c.operator.iam_value(v).to_string(),
                })
                .collect();
            alternatives = alternatives
                .into_iter()
                .flat_map(|prefix| {
                    conditions.iter().map(move |c| {
                        let mut next = prefix.clone();
                        next.push(c.clone());
                        next
                    })
                })
                .collect();
        }
        for conditions in alternatives {
            out.push(Rule {
                name: String::new(),
                key: String::new(),
                idp,
                conditions,
            });
        }
    }

    /// What every project or group reaches, by unit id: the scopes of the
    /// units under it (itself included), each unit's own instances and
    /// resource groups. Computed bottom-up, each unit once from its
    /// children's, so a chain of N nested groups costs O(N), not O(N²).
    fn reach(&self) -> Vec<Reach> {
        let mut reach: Vec<Reach> = vec![Reach::default(); self.model.units.len()];
        let graph = &self.access.graph;
        for component in graph.units_bottom_up() {
            let mut merged = Reach::default();
            for &u in &component {
                self.add_own_scopes(u, &mut merged);
                for child in graph.children(u) {
                    // Components are in bottom-up order: a child outside this
                    // one is complete; one inside it adds its own scopes here.
                    if component.binary_search(&child).is_err() {
                        if let Some(below) = reach.get(child) {
                            merged.extend(below);
                        }
                    }
                }
            }
            if let Some((&last, rest)) = component.split_last() {
                for &u in rest {
                    if let Some(r) = reach.get_mut(u) {
                        r.clone_from(&merged);
                    }
                }
                if let Some(r) = reach.get_mut(last) {
                    *r = merged;
                }
            }
        }
        reach
    }

    /// A unit's own instances and resource groups, with its role if it names one.
    fn add_own_scopes(&self, unit_id: UnitId, reach: &mut Reach) {
        let Some(unit) = self.model.units.get(unit_id) else {
            return;
        };
        let role = unit.role.as_ref().map(|r| r.value);
        let instances = unit
            .instances
            .iter()
            .filter_map(|i| self.instance_index.get(&i.value))
            .map(|&index| Scope::Instance(index));
        let resource_groups = unit
            .resource_groups
            .iter()
            .filter_map(|rg| self.rg_index.get(&rg.value))
            .map(|&index| Scope::ResourceGroup(Some(index)));
        for scope in instances.chain(resource_groups) {
            reach.insert(scope, role);
        }
    }

    /// Name the group's rules and policies, then keep it.
    pub(super) fn push_group(
        &mut self,
        mut group: AccessGroup,
        rule_keys: &mut Namespace,
        policy_keys: &mut Namespace,
    ) {
        let several = group.rules.len() > 1;
        for (n, rule) in group.rules.iter_mut().enumerate() {
            let suffix = if several {
                format!("-{}", n + 1)
            } else {
                String::new()
            };
            rule.name = format!("{}-members{suffix}", group.name);
            rule.key = rule_keys.claim(&format!("{}{}", group.key, suffix.replace('-', "_")));
        }
        for policy in &mut group.policies {
            let target = match policy.scope {
                Scope::Instance(i) => self.out.instances.get(i).map_or("", |i| i.key.as_str()),
                Scope::ResourceGroup(Some(g)) => self
                    .out
                    .resource_groups
                    .get(g)
                    .map_or("", |g| g.key.as_str()),
                Scope::ResourceGroup(None) => "default",
            };
            policy.key = policy_keys.claim(&format!("{}_{target}", group.key));
            policy.description = super::marked(Some(&format!("Access of {}", group.name)));
        }
        self.out.access_groups.push(group);
    }
}
