//! Access groups: one per project or group and role of its member sets,
//! with their dynamic rules, static members and the policies nested groups
//! expand to.

use super::{by_name, AccessGroup, Builder, Policy, Rule, RuleCondition, Scope, ServiceMember};
use crate::backends::names::{self, Namespace};
use crate::model::{self, MemberRef, RoleId, UnitId};
use crate::syntax::ast::{CondValue, Operator};
use std::collections::{BTreeMap, BTreeSet};

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
        for u in by_name(&self.model.units, |u| &u.name.value) {
            let Some(unit) = self.model.units.get(u) else {
                continue;
            };
            let unit_role = unit.role.as_ref().map(|r| r.value);
            let mut own_roles: Vec<Option<RoleId>> = Vec::new();
            for set in &unit.member_sets {
                let role = set.role.as_ref().map(|r| r.value).or(unit_role);
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
                let group = self.access_group(u, *own_role, name, &mut keys);
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
            name,
            description,
            rules: Vec::new(),
            users: Vec::new(),
            service_ids: Vec::new(),
            policies: Vec::new(),
        };
        let sets = unit
            .map(|u| u.member_sets.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|s| s.role.as_ref().map(|r| r.value).or(unit_role) == own_role);
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
        group.policies = self.policies(unit_id, own_role);
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
                    value: if c.operator == Operator::Has {
                        format!(",{v},")
                    } else {
                        (*v).to_string()
                    },
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

    /// Policies of an access group: for every project or group under the
    /// unit (itself included), its instances and resource groups, with the
    /// member sets' role or, failing that, the scope's own role.
    pub(super) fn policies(&self, unit_id: UnitId, own_role: Option<RoleId>) -> Vec<Policy> {
        let mut scopes: BTreeMap<Scope, BTreeSet<RoleId>> = BTreeMap::new();
        for through in self.access.graph.descendants(unit_id) {
            let Some(scope_unit) = self.model.units.get(through) else {
                continue;
            };
            let Some(role) = own_role.or(scope_unit.role.as_ref().map(|r| r.value)) else {
                continue;
            };
            for i in &scope_unit.instances {
                if let Some(&index) = self.instance_index.get(&i.value) {
                    scopes
                        .entry(Scope::Instance(index))
                        .or_default()
                        .insert(role);
                }
            }
            for rg in &scope_unit.resource_groups {
                if let Some(&index) = self.rg_index.get(&rg.value) {
                    scopes
                        .entry(Scope::ResourceGroup(Some(index)))
                        .or_default()
                        .insert(role);
                }
            }
        }
        scopes
            .into_iter()
            .map(|(scope, roles)| Policy {
                key: String::new(),
                scope,
                roles: roles.into_iter().collect(),
            })
            .collect()
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
        }
        self.out.access_groups.push(group);
    }
}
