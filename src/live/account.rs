//! What qpol read from a live account: a plain snapshot of the objects it
//! manages or must know about, as the IBM Cloud APIs list them. Everything
//! is sorted by id, so a snapshot serialises identically from run to run
//! and its [`Account::fingerprint`] tells whether the account changed.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The 32-hex-digit account id.
    pub account_id: String,
    pub resource_groups: Vec<ResourceGroup>,
    /// Service instances of `quantum-computing` and `appid`.
    pub instances: Vec<Instance>,
    /// Custom roles of the account (all services).
    pub roles: Vec<Role>,
    pub access_groups: Vec<AccessGroup>,
    /// Access policies whose subject is an access group.
    pub policies: Vec<Policy>,
    pub service_ids: Vec<ServiceId>,
    /// Users of the account (user management), for static members named
    /// by email.
    #[serde(default)]
    pub users: Vec<User>,
    pub identity_settings: Option<IdentitySettings>,
    pub access_group_settings: Option<AccessGroupSettings>,
    /// Global catalog ids: `quantum-computing` -> service id,
    /// `quantum-computing/standard` -> plan id (likewise `appid`).
    pub catalog: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceGroup {
    pub id: String,
    pub name: String,
    pub default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// The resource controller's id (a CRN).
    pub id: String,
    pub guid: String,
    pub crn: String,
    pub name: String,
    /// The catalog service id (`resource_id`).
    pub resource_id: String,
    pub resource_plan_id: String,
    /// `us-east`, ...
    pub region_id: String,
    pub resource_group_id: String,
    /// `active`, `provisioning`, `removed`, ...
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    pub crn: String,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub actions: Vec<String>,
    pub service_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub rules: Vec<Rule>,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub expiration: i64,
    pub realm_name: String,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub claim: String,
    pub operator: String,
    /// As IAM stores it: the Terraform provider and qpol send `"\"ml\""`.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub iam_id: String,
    /// `user`, `service` or `profile`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub id: String,
    pub description: Option<String>,
    /// The id of the access group the policy is attached to.
    pub access_group_id: String,
    /// `role_id`s (CRNs), in the order IAM lists them.
    pub roles: Vec<String>,
    /// The resource's attributes (`accountId`, `serviceName`,
    /// `serviceInstance` or `resourceGroupId`), name -> value.
    pub resource: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceId {
    pub id: String,
    pub iam_id: String,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub iam_id: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySettings {
    /// `entity_tag` of the settings: the `If-Match` of an update.
    pub entity_tag: String,
    pub restrict_create_service_id: Option<String>,
    pub restrict_create_platform_apikey: Option<String>,
    pub restrict_user_list_visibility: Option<String>,
    pub mfa: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessGroupSettings {
    pub public_access_enabled: bool,
}

impl Account {
    /// Sorts every list by id (and nested lists too), the canonical form.
    pub fn normalise(&mut self) {
        self.resource_groups.sort_by(|a, b| a.id.cmp(&b.id));
        self.instances.sort_by(|a, b| a.id.cmp(&b.id));
        self.roles.sort_by(|a, b| a.id.cmp(&b.id));
        self.access_groups.sort_by(|a, b| a.id.cmp(&b.id));
        for g in &mut self.access_groups {
            g.rules.sort_by(|a, b| a.id.cmp(&b.id));
            g.members.sort_by(|a, b| a.iam_id.cmp(&b.iam_id));
        }
        self.policies.sort_by(|a, b| a.id.cmp(&b.id));
        self.service_ids.sort_by(|a, b| a.id.cmp(&b.id));
        self.users.sort_by(|a, b| a.iam_id.cmp(&b.iam_id));
    }

    /// A hash of the normalised snapshot (hex): equal snapshots, equal
    /// fingerprints. A saved plan records it; `apply` re-reads the account
    /// and refuses a plan whose fingerprint no longer matches.
    pub fn fingerprint(&self) -> String {
        let mut normal = self.clone();
        normal.normalise();
        let text = serde_json::to_string(&normal).unwrap_or_default();
        format!("{:016x}", fnv1a(text.as_bytes()))
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms (std's
/// hashers are not).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
