//! The `terraform` target: Terraform JSON for the IBM-Cloud/ibm provider
//! (`main.tf.json`). Resources refer to each other by interpolation
//! (`${ibm_iam_access_group.ml.id}`), never by ids; instances carry
//! `prevent_destroy`. Structs mirror the provider's schema, their fields in
//! alphabetical order so that every object's keys come out sorted;
//! [`build`] fills them from a deployment.

mod build;
mod template;

use super::deployment::Deployment;
use build::module;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
pub use template::{escape, literal};
use template::{LitValue, Str};

type Named<T> = BTreeMap<String, T>;

#[derive(Serialize)]
struct Module {
    #[serde(skip_serializing_if = "Data::is_empty")]
    data: Data,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    output: Named<Output>,
    provider: Provider,
    resource: Resources,
    terraform: TerraformBlock,
    variable: Named<Variable>,
}

#[derive(Serialize)]
struct TerraformBlock {
    required_providers: RequiredProviders,
}

#[derive(Serialize)]
struct RequiredProviders {
    ibm: ProviderSource,
}

#[derive(Serialize)]
struct ProviderSource {
    source: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Provider {
    ibm: ProviderConfig,
}

#[derive(Serialize)]
struct ProviderConfig {
    region: Str,
}

/// Terraform reads a variable's `default` and `description` literally, not
/// as templates: they stay plain strings.
#[derive(Serialize)]
struct Variable {
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    description: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Output {
    description: Str,
    value: LitValue,
}

#[derive(Serialize, Default)]
struct Data {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_resource_group: Named<ResourceGroupLookup>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_resource_instance: Named<InstanceLookup>,
}

impl Data {
    fn is_empty(&self) -> bool {
        self.ibm_resource_group.is_empty() && self.ibm_resource_instance.is_empty()
    }
}

#[derive(Serialize)]
struct ResourceGroupLookup {
    #[serde(skip_serializing_if = "Option::is_none")]
    is_default: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Str>,
}

#[derive(Serialize)]
struct InstanceLookup {
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Str>,
    name: Str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group_id: Option<Str>,
    service: &'static str,
}

#[derive(Serialize, Default)]
struct Resources {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_atracker_route: Named<AtrackerRoute>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_atracker_target: Named<AtrackerTarget>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_iam_access_group: Named<AccessGroup>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_iam_access_group_account_settings: Named<AccessGroupSettings>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_iam_access_group_dynamic_rule: Named<DynamicRule>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_iam_access_group_members: Named<Members>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_iam_access_group_policy: Named<Policy>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_iam_account_settings: Named<AccountSettings>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_iam_custom_role: Named<CustomRole>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_iam_service_id: Named<ServiceId>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_resource_group: Named<ResourceGroup>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ibm_resource_instance: Named<Instance>,
}

#[derive(Serialize)]
struct ResourceGroup {
    name: Str,
}

#[derive(Serialize)]
struct Lifecycle {
    prevent_destroy: bool,
}

#[derive(Serialize)]
struct Instance {
    lifecycle: Lifecycle,
    location: Str,
    name: Str,
    plan: Str,
    resource_group_id: Str,
    service: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<Str>,
}

#[derive(Serialize)]
struct CustomRole {
    actions: Vec<Str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Str>,
    display_name: Str,
    name: Str,
    service: &'static str,
}

#[derive(Serialize)]
struct AccessGroup {
    description: Str,
    name: Str,
}

#[derive(Serialize)]
struct DynamicRule {
    access_group_id: Str,
    conditions: Vec<Condition>,
    expiration: u32,
    identity_provider: Str,
    name: Str,
}

#[derive(Serialize)]
struct Condition {
    claim: Str,
    operator: &'static str,
    value: Str,
}

#[derive(Serialize)]
struct Members {
    access_group_id: Str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    iam_service_ids: Vec<Str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ibm_ids: Vec<Str>,
}

#[derive(Serialize)]
struct Policy {
    access_group_id: Str,
    description: Str,
    resources: Vec<PolicyResource>,
    roles: Vec<Str>,
}

#[derive(Serialize)]
struct PolicyResource {
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group_id: Option<Str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_instance_id: Option<Str>,
    service: &'static str,
}

#[derive(Serialize)]
struct ServiceId {
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Str>,
    name: Str,
}

#[derive(Serialize)]
struct AccountSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    mfa: Option<Str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restrict_create_platform_apikey: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restrict_create_service_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restrict_user_list_visibility: Option<&'static str>,
}

#[derive(Serialize)]
struct AccessGroupSettings {
    public_access_enabled: bool,
}

#[derive(Serialize)]
struct AtrackerTarget {
    #[serde(skip_serializing_if = "Option::is_none")]
    appconfig_endpoint: Option<Vec<TargetCrn>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloudlogs_endpoint: Option<Vec<TargetCrn>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cos_endpoint: Option<Vec<CosEndpoint>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eventstreams_endpoint: Option<Vec<EventStreamsEndpoint>>,
    name: Str,
    region: Str,
    target_type: Str,
}

#[derive(Serialize)]
struct TargetCrn {
    target_crn: Str,
}

#[derive(Serialize)]
struct CosEndpoint {
    bucket: Str,
    endpoint: Str,
    service_to_service_enabled: bool,
    target_crn: Str,
}

#[derive(Serialize)]
struct EventStreamsEndpoint {
    brokers: Str,
    service_to_service_enabled: bool,
    target_crn: Str,
    topic: Str,
}

#[derive(Serialize)]
struct AtrackerRoute {
    name: Str,
    rules: Vec<RouteRule>,
}

#[derive(Serialize)]
struct RouteRule {
    locations: Vec<Str>,
    target_ids: Vec<Str>,
}

/// Write the Terraform JSON module of a deployment, pretty-printed, ending with a newline.
pub fn write(d: &Deployment, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &module(d))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes one resource's compact JSON.
pub type WriteJson<'a> = &'a dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>;

/// Every resource of the module a deployment compiles to, by address
/// (`ibm_iam_access_group.ml`), in address order: `visit` gets the address
/// and a writer of the resource's compact JSON (for `qpol diff`, which
/// compares the two sides without building the whole file).
pub fn each_resource(d: &Deployment, visit: &mut dyn FnMut(&str, WriteJson<'_>)) {
    fn each<T: Serialize>(
        kind: &str,
        named: &Named<T>,
        visit: &mut dyn FnMut(&str, WriteJson<'_>),
    ) {
        for (name, value) in named {
            let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
                serde_json::to_writer(w, value).map_err(std::io::Error::from)
            };
            visit(&format!("{kind}.{name}"), &write);
        }
    }
    let r = module(d).resource;
    each("ibm_atracker_route", &r.ibm_atracker_route, visit);
    each("ibm_atracker_target", &r.ibm_atracker_target, visit);
    each("ibm_iam_access_group", &r.ibm_iam_access_group, visit);
    each(
        "ibm_iam_access_group_account_settings",
        &r.ibm_iam_access_group_account_settings,
        visit,
    );
    each(
        "ibm_iam_access_group_dynamic_rule",
        &r.ibm_iam_access_group_dynamic_rule,
        visit,
    );
    each(
        "ibm_iam_access_group_members",
        &r.ibm_iam_access_group_members,
        visit,
    );
    each(
        "ibm_iam_access_group_policy",
        &r.ibm_iam_access_group_policy,
        visit,
    );
    each(
        "ibm_iam_account_settings",
        &r.ibm_iam_account_settings,
        visit,
    );
    each("ibm_iam_custom_role", &r.ibm_iam_custom_role, visit);
    each("ibm_iam_service_id", &r.ibm_iam_service_id, visit);
    each("ibm_resource_group", &r.ibm_resource_group, visit);
    each("ibm_resource_instance", &r.ibm_resource_instance, visit);
}
