//! The request bodies of the `ibm-api` plan, one type per operation, with
//! their fields in the order the JSON prints them (sorted), shaped as IBM's
//! platform-services SDKs send them. They borrow from the deployment where
//! they can: a large organization's plan holds hundreds of thousands.

use super::text::{Lits, Text};
use serde::Serialize;

/// The body of one request.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Body<'d> {
    ResourceGroup(ResourceGroupBody<'d>),
    Instance(InstanceBody<'d>),
    Role(RoleBody<'d>),
    ServiceId(ServiceIdBody<'d>),
    AccessGroup(AccessGroupBody<'d>),
    Rule(RuleBody<'d>),
    Members(MembersBody<'d>),
    Policy(PolicyBody<'d>),
    IdentitySettings(IdentitySettingsBody<'d>),
    GroupSettings(GroupSettingsBody),
}

/// `create_resource_group`
#[derive(Debug, Serialize)]
pub struct ResourceGroupBody<'d> {
    pub account_id: Text<'d>,
    pub name: Text<'d>,
}

/// `create_resource_instance`
#[derive(Debug, Serialize)]
pub struct InstanceBody<'d> {
    pub name: Text<'d>,
    pub resource_group: Text<'d>,
    pub resource_plan_id: Text<'d>,
    #[serde(skip_serializing_if = "Lits::is_empty")]
    pub tags: Lits<'d>,
    pub target: Text<'d>,
}

/// `create_role`
#[derive(Debug, Serialize)]
pub struct RoleBody<'d> {
    pub account_id: Text<'d>,
    pub actions: Lits<'d>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text<'d>>,
    pub display_name: Text<'d>,
    pub name: Text<'d>,
    pub service_name: &'static str,
}

/// `create_service_id`
#[derive(Debug, Serialize)]
pub struct ServiceIdBody<'d> {
    pub account_id: Text<'d>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text<'d>>,
    pub name: Text<'d>,
}

/// `create_access_group` (the account id is a query parameter)
#[derive(Debug, Serialize)]
pub struct AccessGroupBody<'d> {
    pub description: Text<'d>,
    pub name: Text<'d>,
}

/// `add_access_group_rule`
#[derive(Debug, Serialize)]
pub struct RuleBody<'d> {
    pub conditions: Vec<Condition<'d>>,
    pub expiration: u32,
    pub name: Text<'d>,
    pub realm_name: Text<'d>,
}

#[derive(Debug, Serialize)]
pub struct Condition<'d> {
    pub claim: Text<'d>,
    pub operator: &'static str,
    /// Quoted as the Terraform provider sends it (`"\"ml\""`).
    pub value: Text<'d>,
}

/// `add_members_to_access_group`
#[derive(Debug, Serialize)]
pub struct MembersBody<'d> {
    pub members: Vec<Member<'d>>,
}

#[derive(Debug, Serialize)]
pub struct Member<'d> {
    pub iam_id: Text<'d>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `create_policy` (v1 access policy)
#[derive(Debug, Serialize)]
pub struct PolicyBody<'d> {
    pub description: Text<'d>,
    pub resources: [Attributes<'d>; 1],
    pub roles: Vec<RoleRef>,
    pub subjects: [Attributes<'d>; 1],
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Attributes<'d> {
    pub attributes: Vec<Attribute<'d>>,
}

#[derive(Debug, Serialize)]
pub struct Attribute<'d> {
    pub name: &'static str,
    pub value: Text<'d>,
}

#[derive(Debug, Serialize)]
pub struct RoleRef {
    pub role_id: Text<'static>,
}

/// `update_account_settings` of IAM identity
#[derive(Debug, Serialize)]
pub struct IdentitySettingsBody<'d> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa: Option<Text<'d>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrict_create_platform_apikey: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrict_create_service_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrict_user_list_visibility: Option<&'static str>,
}

impl IdentitySettingsBody<'_> {
    pub fn is_empty(&self) -> bool {
        self.mfa.is_none()
            && self.restrict_create_platform_apikey.is_none()
            && self.restrict_create_service_id.is_none()
            && self.restrict_user_list_visibility.is_none()
    }
}

/// `update_account_settings` of access groups
#[derive(Debug, Serialize)]
pub struct GroupSettingsBody {
    pub public_access_enabled: bool,
}
