//! The `terraform` target: Terraform JSON for the IBM-Cloud/ibm provider
//! (`main.tf.json`). Resources refer to each other by interpolation
//! (`${ibm_iam_access_group.ml.id}`), never by ids; instances carry
//! `prevent_destroy`. Structs mirror the provider's schema, their fields in
//! alphabetical order so that every object's keys come out sorted;
//! [`build`] fills them from a deployment.

mod build;

use super::deployment::Deployment;
use build::module;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

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
    region: String,
}

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
    description: String,
    value: serde_json::Value,
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
    name: Option<String>,
}

#[derive(Serialize)]
struct InstanceLookup {
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group_id: Option<String>,
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
    name: String,
}

#[derive(Serialize)]
struct Lifecycle {
    prevent_destroy: bool,
}

#[derive(Serialize)]
struct Instance {
    lifecycle: Lifecycle,
    location: String,
    name: String,
    plan: String,
    resource_group_id: String,
    service: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
}

#[derive(Serialize)]
struct CustomRole {
    actions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    display_name: String,
    name: String,
    service: &'static str,
}

#[derive(Serialize)]
struct AccessGroup {
    description: String,
    name: String,
}

#[derive(Serialize)]
struct DynamicRule {
    access_group_id: String,
    conditions: Vec<Condition>,
    expiration: u32,
    identity_provider: String,
    name: String,
}

#[derive(Serialize)]
struct Condition {
    claim: String,
    operator: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Members {
    access_group_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    iam_service_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ibm_ids: Vec<String>,
}

#[derive(Serialize)]
struct Policy {
    access_group_id: String,
    resources: Vec<PolicyResource>,
    roles: Vec<String>,
}

#[derive(Serialize)]
struct PolicyResource {
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_instance_id: Option<String>,
    service: &'static str,
}

#[derive(Serialize)]
struct ServiceId {
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    name: String,
}

#[derive(Serialize)]
struct AccountSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    mfa: Option<String>,
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
    name: String,
    region: String,
    target_type: String,
}

#[derive(Serialize)]
struct TargetCrn {
    target_crn: String,
}

#[derive(Serialize)]
struct CosEndpoint {
    bucket: String,
    endpoint: String,
    service_to_service_enabled: bool,
    target_crn: String,
}

#[derive(Serialize)]
struct EventStreamsEndpoint {
    brokers: String,
    service_to_service_enabled: bool,
    target_crn: String,
    topic: String,
}

#[derive(Serialize)]
struct AtrackerRoute {
    name: String,
    rules: Vec<RouteRule>,
}

#[derive(Serialize)]
struct RouteRule {
    locations: Vec<String>,
    target_ids: Vec<String>,
}

/// Write the Terraform JSON module of a deployment, pretty-printed, ending with a newline.
pub fn write(d: &Deployment, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &module(d))?;
    out.write_all(b"\n")?;
    out.flush()
}
