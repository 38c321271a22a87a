//! What a checked policy asks of the cloud, whatever the target: every
//! object with its derived IAM and Terraform names, one access group per
//! project or group (and per extra role of its member sets), the policies
//! that nested groups expand to, and the dynamic rules with the values IAM
//! must receive. Both backends print this one structure, so Terraform and
//! the IBM Cloud API create identical access.
//!
//! Everything is ordered by policy name, never by declaration order, so the
//! output does not depend on how statements are spread over files.

mod groups;
mod roles;

use super::names::{self, Namespace};
use crate::access::Access;
pub use crate::live::MARKER;
use crate::model::AttrValue;
use crate::model::{self, Model, RoleId};
use std::collections::BTreeMap;

/// The platform role every access group gets beside its custom role, so its
/// members can see the instances (seed guide).
pub const PLATFORM_ROLE: &str = "Viewer";
pub use crate::model::actions::SERVICE;
/// The catalog name of App ID, the identity provider qpol can create.
pub const APPID_SERVICE: &str = "appid";
/// The App ID plan used when the policy names none.
const APPID_DEFAULT_PLAN: &str = "graduated-tier";
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
    /// The catalog service: `quantum-computing`, or `appid` for an
    /// identity provider qpol creates (those come after the Qiskit ones).
    pub service: &'static str,
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

/// The realm (issuer) a dynamic rule names: known, the App ID instance
/// this deployment creates, or an input at apply time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Realm {
    Literal(String),
    /// `https://REGION.appid.cloud.ibm.com/oauth/v4/` followed by the guid
    /// (App ID's tenant id) of `instances[instance]`.
    AppId {
        region: String,
        instance: usize,
    },
    Variable(String),
}

impl Realm {
    /// The App ID issuer URL up to the tenant id.
    pub fn appid_prefix(region: &str) -> String {
        format!("https://{region}.appid.cloud.ibm.com/oauth/v4/")
    }
}

#[derive(Debug)]
pub struct AccessGroup {
    pub name: String,
    /// The project or group it is for (`ml` for `ml` and `ml-reader`).
    pub project: String,
    pub key: String,
    pub description: String,
    /// The policy's own words (`description "..."`), not qpol's default
    /// (`Project NAME`): only then is an adopted group's text replaced.
    pub description_declared: bool,
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
    /// Ends with [`MARKER`], like every description qpol writes.
    pub description: String,
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

/// Build the deployment of a policy that checked without errors (the
/// checker's `deployable` family guarantees what the cloud needs: members
/// with ids, unambiguous role display names).
pub fn build(access: Access<'_>) -> Deployment {
    let mut d = build_objects(access);
    d.idp_attributes = idp_attributes(access);
    d
}

/// [`build`] without `idp_attributes` (an output, not an object: what
/// `qpol diff` compares needs no more).
pub fn build_objects(access: Access<'_>) -> Deployment {
    let mut b = Builder {
        model: access.model,
        access,
        out: Deployment::default(),
        role_index: BTreeMap::new(),
        instance_index: BTreeMap::new(),
        rg_index: BTreeMap::new(),
        sid_index: BTreeMap::new(),
        idp_index: BTreeMap::new(),
        instance_keys: Namespace::new("_", None),
    };
    b.account();
    b.resource_groups();
    b.instances();
    b.idps();
    b.service_ids();
    b.access_groups();
    b.roles();
    b.audit();
    b.out
}

struct Builder<'m> {
    model: &'m Model,
    access: Access<'m>,
    out: Deployment,
    /// Model index -> deployment index.
    role_index: BTreeMap<RoleId, usize>,
    instance_index: BTreeMap<usize, usize>,
    rg_index: BTreeMap<usize, usize>,
    sid_index: BTreeMap<usize, usize>,
    idp_index: BTreeMap<usize, usize>,
    /// Terraform names of `ibm_resource_instance`s, Qiskit's and App ID's.
    instance_keys: Namespace,
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
                key: self
                    .instance_keys
                    .claim(&names::terraform_name(&instance.name.value)),
                service: SERVICE,
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
                (None, Some(tenant), Some(region)) if idp.kind == "appid" => {
                    Realm::Literal(format!("{}{tenant}", Realm::appid_prefix(region)))
                }
                (None, None, Some(region)) if idp.is_created() => Realm::AppId {
                    region: region.to_string(),
                    instance: self.appid_instance(idp),
                },
                // Neither created nor named (the checker's Q504 for an App ID).
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

    /// The App ID instance of an identity provider qpol creates: after the
    /// Qiskit instances, named like the idp, protected like them.
    fn appid_instance(&mut self, idp: &model::Idp) -> usize {
        let resource_group = idp
            .resource_group
            .as_ref()
            .and_then(|rg| self.rg_index.get(&rg.value).copied());
        self.out.uses_default_resource_group |= resource_group.is_none();
        self.out.instances.push(Instance {
            name: idp.name.value.to_string(),
            key: self
                .instance_keys
                .claim(&format!("appid_{}", names::terraform_name(&idp.name.value))),
            service: APPID_SERVICE,
            plan: idp
                .plan
                .as_ref()
                .map_or(APPID_DEFAULT_PLAN, |p| p.as_str())
                .to_string(),
            region: idp
                .region
                .as_ref()
                .map(|r| r.to_string())
                .unwrap_or_default(),
            resource_group,
            tags: Vec::new(),
            existing: false,
        });
        self.out.instances.len() - 1
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
                description: Some(marked(sid.description.as_ref().map(|d| d.as_str()))),
            });
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
}

/// A description as qpol writes it: the policy's text (if any) followed by
/// [`MARKER`], so that `qpol plan` recognises the object as its own.
pub fn marked(text: Option<&str>) -> String {
    match text {
        Some(t) if !t.is_empty() => format!("{t} {MARKER}"),
        _ => MARKER.to_string(),
    }
}

/// What the identity provider's administrator writes for each declared user.
fn idp_attributes(access: Access<'_>) -> BTreeMap<String, BTreeMap<String, AttrValue>> {
    let mut out = BTreeMap::new();
    for user in &access.model.users {
        if user.idp.is_none() || user.attributes.is_empty() {
            continue;
        }
        let written: BTreeMap<String, AttrValue> = user
            .attributes
            .keys()
            .filter_map(|claim| {
                let value = access.written_value(user, claim)?;
                Some((claim.to_string(), value.into_owned()))
            })
            .collect();
        out.insert(user.name.value.to_string(), written);
    }
    out
}
