//! What a checked policy asks of the cloud, whatever the target: every
//! object with its derived IAM and Terraform names, one access group per
//! project or group (and per extra role of its member sets), the policies
//! that nested groups expand to, and the dynamic rules with the values IAM
//! must receive. Both backends print this one structure, so Terraform and
//! the IBM Cloud API create identical access.
//!
//! Everything is ordered by policy name, never by declaration order, so the
//! output does not depend on how statements are spread over files.

use super::names::{self, Namespace};
use crate::access::Access;
use crate::diag::{Code, Diagnostic, Label};
use crate::model::{self, MemberRef, Model, RoleId, UnitId};
use crate::syntax::ast::{AttrValue, CondValue, Operator};
use std::collections::{BTreeMap, BTreeSet};

/// The platform role every access group gets beside its custom role, so its
/// members can see the instances (seed guide).
pub const PLATFORM_ROLE: &str = "Viewer";
pub const SERVICE: &str = "quantum-computing";
/// IAM's own role names: a custom role's display name must not shadow them.
const BUILT_IN_ROLES: &[&str] = &[
    "Viewer",
    "Operator",
    "Editor",
    "Administrator",
    "Reader",
    "Writer",
    "Manager",
];

#[derive(Debug, Default)]
pub struct Deployment {
    pub account: Option<AccountSettings>,
    /// `account { id }`, when the policy gives it.
    pub account_id: Option<String>,
    pub resource_groups: Vec<ResourceGroup>,
    /// Some instance lives in the account's default resource group.
    pub uses_default_resource_group: bool,
    pub instances: Vec<Instance>,
    pub roles: Vec<CustomRole>,
    pub service_ids: Vec<ServiceId>,
    pub idps: Vec<Idp>,
    pub access_groups: Vec<AccessGroup>,
    pub audit: Option<Audit>,
    /// What the identity provider's administrator writes for each declared
    /// user: user name -> claim -> value (delimited for `has` claims).
    pub idp_attributes: BTreeMap<String, BTreeMap<String, AttrValue>>,
    /// The region most instances are in: the provider's default region.
    pub main_region: String,
}

#[derive(Debug)]
pub struct AccountSettings {
    pub restrict_user_list_visibility: Option<&'static str>,
    pub restrict_create_platform_apikey: Option<&'static str>,
    pub restrict_create_service_id: Option<&'static str>,
    pub mfa: Option<String>,
    pub public_access_enabled: Option<bool>,
}

#[derive(Debug)]
pub struct ResourceGroup {
    pub name: String,
    pub key: String,
    pub existing: bool,
}

#[derive(Debug)]
pub struct Instance {
    pub name: String,
    pub key: String,
    pub plan: String,
    pub region: String,
    /// Index into `resource_groups`; `None` is the account's default group.
    pub resource_group: Option<usize>,
    pub tags: Vec<String>,
    pub existing: bool,
}

#[derive(Debug)]
pub struct CustomRole {
    pub key: String,
    pub iam_name: String,
    pub display_name: String,
    pub description: Option<String>,
    /// Full IAM action names (`quantum-computing.job.read`), as written.
    pub actions: Vec<String>,
}

#[derive(Debug)]
pub struct ServiceId {
    pub name: String,
    pub key: String,
    pub description: Option<String>,
}

#[derive(Debug)]
pub struct Idp {
    pub name: String,
    pub realm: Realm,
    pub expiration_hours: u32,
}

/// The realm (issuer) a dynamic rule names: known, or an input at apply time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Realm {
    Literal(String),
    Variable(String),
}

#[derive(Debug)]
pub struct AccessGroup {
    pub name: String,
    pub key: String,
    pub description: String,
    pub rules: Vec<Rule>,
    /// IAM users by email or IAM id.
    pub users: Vec<String>,
    pub service_ids: Vec<ServiceMember>,
    pub policies: Vec<Policy>,
}

#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub key: String,
    pub idp: usize,
    pub conditions: Vec<RuleCondition>,
}

#[derive(Debug, Clone)]
pub struct RuleCondition {
    pub claim: String,
    /// IAM's operator name (`CONTAINS`, `EQUALS`, ...).
    pub operator: &'static str,
    /// The value as written in Terraform; the API receives it quoted.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServiceMember {
    /// A service id this deployment creates (index into `service_ids`).
    Created(usize),
    /// An existing service id, by IAM id.
    IamId(String),
}

#[derive(Debug)]
pub struct Policy {
    pub key: String,
    pub scope: Scope,
    /// Indices into `roles`, sorted.
    pub roles: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Instance(usize),
    /// A whole resource group (`None`: the default one).
    ResourceGroup(Option<usize>),
}

#[derive(Debug)]
pub struct Audit {
    pub target_type: String,
    pub region: String,
    pub target_crn: Option<String>,
}

/// Build the deployment of a policy that checked without errors. Problems
/// only compiling reveals (a static member without an id, two roles with
/// one display name) are returned as diagnostics.
pub fn build(model: &Model) -> (Deployment, Vec<Diagnostic>) {
    let mut b = Builder {
        model,
        access: Access::new(model),
        out: Deployment::default(),
        diagnostics: Vec::new(),
        role_index: BTreeMap::new(),
        instance_index: BTreeMap::new(),
        rg_index: BTreeMap::new(),
        sid_index: BTreeMap::new(),
        idp_index: BTreeMap::new(),
    };
    b.account();
    b.resource_groups();
    b.instances();
    b.idps();
    b.service_ids();
    b.access_groups();
    b.roles();
    b.audit();
    b.idp_attributes();
    (b.out, b.diagnostics)
}

struct Builder<'m> {
    model: &'m Model,
    access: Access<'m>,
    out: Deployment,
    diagnostics: Vec<Diagnostic>,
    /// Model index -> deployment index.
    role_index: BTreeMap<RoleId, usize>,
    instance_index: BTreeMap<usize, usize>,
    rg_index: BTreeMap<usize, usize>,
    sid_index: BTreeMap<usize, usize>,
    idp_index: BTreeMap<usize, usize>,
}

/// Model indices of `items`, sorted by the name `name_of` gives.
fn by_name<T>(items: &[T], name_of: impl Fn(&T) -> &str) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        let name = |i: usize| items.get(i).map_or("", &name_of);
        name(a).cmp(name(b)).then(a.cmp(&b))
    });
    order
}

fn restriction(value: &str) -> &'static str {
    match value {
        "restricted" => "RESTRICTED",
        "not_set" => "NOT_SET",
        _ => "NOT_RESTRICTED",
    }
}

impl Builder<'_> {
    fn account(&mut self) {
        let Some(a) = &self.model.account else { return };
        fn value(v: &Option<model::Located<model::Text>>) -> Option<&str> {
            v.as_ref().map(|l| l.value.as_str())
        }
        self.out.account_id = value(&a.id).map(str::to_string);
        self.out.account = Some(AccountSettings {
            restrict_user_list_visibility: value(&a.user_list_visibility).map(restriction),
            restrict_create_platform_apikey: value(&a.api_key_creation).map(restriction),
            restrict_create_service_id: value(&a.service_id_creation).map(restriction),
            mfa: value(&a.mfa).map(str::to_uppercase),
            public_access_enabled: value(&a.public_access_groups).map(|v| v == "enabled"),
        });
    }

    fn resource_groups(&mut self) {
        let mut keys = Namespace::new("_", None);
        // The lookup of the account's default group is called `default`.
        keys.reserve("default");
        for i in by_name(&self.model.resource_groups, |r| &r.name.value) {
            let Some(rg) = self.model.resource_groups.get(i) else {
                continue;
            };
            self.rg_index.insert(i, self.out.resource_groups.len());
            self.out.resource_groups.push(ResourceGroup {
                name: rg.name.value.to_string(),
                key: keys.claim(&names::terraform_name(&rg.name.value)),
                existing: rg.existing,
            });
        }
    }

    fn instances(&mut self) {
        let mut keys = Namespace::new("_", None);
        let mut regions: BTreeMap<String, usize> = BTreeMap::new();
        for i in by_name(&self.model.instances, |r| &r.name.value) {
            let Some(instance) = self.model.instances.get(i) else {
                continue;
            };
            let text = |v: &Option<model::Located<model::Text>>| {
                v.as_ref().map(|l| l.value.to_string()).unwrap_or_default()
            };
            let resource_group = instance
                .resource_group
                .as_ref()
                .and_then(|rg| self.rg_index.get(&rg.value).copied());
            self.out.uses_default_resource_group |= resource_group.is_none();
            let region = text(&instance.region);
            if !region.is_empty() {
                *regions.entry(region.clone()).or_default() += 1;
            }
            self.instance_index.insert(i, self.out.instances.len());
            self.out.instances.push(Instance {
                name: instance.name.value.to_string(),
                key: keys.claim(&names::terraform_name(&instance.name.value)),
                plan: text(&instance.plan),
                region,
                resource_group,
                tags: instance.tags.iter().map(|t| t.value.to_string()).collect(),
                existing: instance.existing,
            });
        }
        // Most instances' region; ties go to the alphabetically first.
        self.out.main_region = regions
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map_or_else(|| "us-south".to_string(), |(r, _)| r.clone());
    }

    fn idps(&mut self) {
        let mut variables = Namespace::new("_", None);
        for i in by_name(&self.model.idps, |r| &r.name.value) {
            let Some(idp) = self.model.idps.get(i) else {
                continue;
            };
            let realm = match (&idp.realm, &idp.tenant, &idp.region) {
                (Some(realm), _, _) => Realm::Literal(realm.to_string()),
                (None, Some(tenant), Some(region)) if idp.kind == "appid" => Realm::Literal(
                    format!("https://{region}.appid.cloud.ibm.com/oauth/v4/{tenant}"),
                ),
                _ => Realm::Variable(variables.claim(&format!(
                    "idp_realm_{}",
                    names::terraform_name(&idp.name.value).replace('-', "_")
                ))),
            };
            self.idp_index.insert(i, self.out.idps.len());
            self.out.idps.push(Idp {
                name: idp.name.value.to_string(),
                realm,
                expiration_hours: idp.session_hours.clamp(1, 24),
            });
        }
    }

    fn service_ids(&mut self) {
        let mut keys = Namespace::new("_", None);
        for i in by_name(&self.model.service_ids, |s| &s.name.value) {
            let Some(sid) = self.model.service_ids.get(i) else {
                continue;
            };
            // A service id with a known IAM id exists already: it is referred to, not created.
            if sid.iam_id.is_some() {
                continue;
            }
            self.sid_index.insert(i, self.out.service_ids.len());
            self.out.service_ids.push(ServiceId {
                name: sid.name.value.to_string(),
                key: keys.claim(&names::terraform_name(&sid.name.value)),
                description: sid.description.as_ref().map(|d| d.to_string()),
            });
        }
    }

    /// One access group per project or group and role of its member sets.
    fn access_groups(&mut self) {
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

    fn role_name(&self, role: Option<RoleId>) -> String {
        role.and_then(|r| self.model.roles.get(r))
            .map_or_else(String::new, |r| r.name.value.to_string())
    }

    fn access_group(
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
                match self.user_id(member, set.span) {
                    Some(id) => {
                        users.insert(id);
                    }
                    None => continue,
                }
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

    /// The IAM id or email of a static user member.
    fn user_id(&mut self, member: &MemberRef, span: crate::diag::Span) -> Option<String> {
        let user = match member {
            MemberRef::Literal(id) => return Some(id.to_string()),
            MemberRef::Declared(u) => self.model.users.get(*u)?,
        };
        let id = user
            .email
            .as_ref()
            .or(user.iam_id.as_ref())
            .map(|l| l.value.to_string());
        if id.is_none() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::MemberWithoutId,
                    format!(
                        "user `{}` is a static member but has no email or IAM id, so IAM cannot add it",
                        user.name.value
                    ),
                    Label::new(span, "static member"),
                )
                .with_label(Label::new(user.name.span, "declared without `email` or `iam_id`"))
                .with_help("give the user `email \"...\"` or `iam_id \"IBMid-...\"`, or admit it by a dynamic rule"),
            );
        }
        id
    }

    /// IAM dynamic rules for one rule of the policy: `in [a, b]` becomes one
    /// rule per value (IAM ORs rules), `has "v"` CONTAINS `,v,`.
    fn rules(&mut self, rule: &model::DynamicRule, out: &mut Vec<Rule>) {
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
    fn policies(&self, unit_id: UnitId, own_role: Option<RoleId>) -> Vec<Policy> {
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
    fn push_group(
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

    /// Custom roles: every declared role, and the presets some policy uses.
    /// Policies refer to model role ids until here; they are renumbered.
    fn roles(&mut self) {
        let used: BTreeSet<RoleId> = self
            .out
            .access_groups
            .iter()
            .flat_map(|g| &g.policies)
            .flat_map(|p| p.roles.iter().copied())
            .collect();
        let mut iam_names = Namespace::new("", Some(30));
        let mut display_names = Namespace::new(" ", Some(50));
        let mut keys = Namespace::new("_", None);
        let order = by_name(&self.model.roles, |r| &r.name.value);
        // Names the user wrote are reserved first; derived ones avoid them.
        let mut explicit_display: BTreeMap<String, &model::Role> = BTreeMap::new();
        for &r in &order {
            let Some(role) = self.model.roles.get(r) else {
                continue;
            };
            if let Some(iam) = &role.iam_name {
                iam_names.reserve(&iam.value);
            }
            if let Some(display) = &role.display_name {
                self.check_display_name(role, display, &mut explicit_display);
                display_names.reserve(&display.value);
            }
        }
        for r in order {
            let Some(role) = self.model.roles.get(r) else {
                continue;
            };
            if role.preset && !used.contains(&r) {
                continue;
            }
            self.role_index.insert(r, self.out.roles.len());
            self.out.roles.push(CustomRole {
                key: keys.claim(&names::terraform_name(&role.name.value)),
                iam_name: match &role.iam_name {
                    Some(n) => n.value.to_string(),
                    None => iam_names.claim(&names::iam_role_name(&role.name.value)),
                },
                display_name: match &role.display_name {
                    Some(n) => n.value.to_string(),
                    None => display_names.claim(&names::role_display_name(&role.name.value)),
                },
                description: role.description.as_ref().map(|d| d.value.to_string()),
                actions: role
                    .actions
                    .iter()
                    .map(|a| format!("{SERVICE}.{}", a.value))
                    .collect(),
            });
        }
        let index = &self.role_index;
        for policy in self
            .out
            .access_groups
            .iter_mut()
            .flat_map(|g| &mut g.policies)
        {
            policy.roles = policy
                .roles
                .iter()
                .filter_map(|r| index.get(r).copied())
                .collect();
            policy.roles.sort_unstable();
        }
    }

    /// Terraform names a policy's roles by display name: two custom roles
    /// with one display name, or one named like an IAM role, are ambiguous.
    fn check_display_name<'r>(
        &mut self,
        role: &'r model::Role,
        display: &model::Located<model::Text>,
        seen: &mut BTreeMap<String, &'r model::Role>,
    ) {
        let builtin = BUILT_IN_ROLES
            .iter()
            .any(|b| b.eq_ignore_ascii_case(&display.value));
        if builtin {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::AmbiguousRoleName,
                    format!("role `{}` has the display name `{}` of an IAM built-in role", role.name.value, display.value),
                    Label::new(display.span, "an IAM role's name"),
                )
                .with_help("policies refer to roles by display name: choose one IAM does not use, e.g. `Qiskit writer`"),
            );
        }
        if let Some(first) = seen.get(display.value.as_str()) {
            let secondary = first
                .display_name
                .as_ref()
                .map(|d| Label::new(d.span, format!("role `{}` has it too", first.name.value)));
            let mut d = Diagnostic::new(
                Code::AmbiguousRoleName,
                format!(
                    "roles `{}` and `{}` share the display name `{}`",
                    first.name.value, role.name.value, display.value
                ),
                Label::new(display.span, "same display name"),
            )
            .with_help("policies refer to roles by display name: give each role its own");
            if let Some(label) = secondary {
                d = d.with_label(label);
            }
            self.diagnostics.push(d);
        } else {
            seen.insert(display.value.to_string(), role);
        }
    }

    fn audit(&mut self) {
        let Some(audit) = &self.model.audit else {
            return;
        };
        self.out.audit = Some(Audit {
            target_type: audit
                .target
                .as_ref()
                .map_or_else(|| "cloud_logs".to_string(), |t| t.value.to_string()),
            region: audit
                .region
                .as_ref()
                .map_or_else(|| self.out.main_region.clone(), |r| r.value.to_string()),
            target_crn: audit.endpoint.as_ref().map(|e| e.to_string()),
        });
    }

    fn idp_attributes(&mut self) {
        for user in &self.model.users {
            if user.idp.is_none() || user.attributes.is_empty() {
                continue;
            }
            let written: BTreeMap<String, AttrValue> = user
                .attributes
                .keys()
                .filter_map(|claim| {
                    let value = self.access.written_value(user, claim)?;
                    Some((claim.to_string(), value.into_owned()))
                })
                .collect();
            self.out
                .idp_attributes
                .insert(user.name.value.to_string(), written);
        }
    }
}
