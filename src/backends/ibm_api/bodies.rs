//! The request bodies of the `ibm-api` plan, one type per operation, with
//! their fields in the order the JSON prints them (sorted), shaped as IBM's
//! platform-services SDKs send them. They borrow from the deployment where
//! they can: a large organization's plan holds hundreds of thousands.

use serde::Serialize;
use std::borrow::Cow;

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
    Members(MembersBody),
    Policy(PolicyBody<'d>),
    IdentitySettings(IdentitySettingsBody<'d>),
    GroupSettings(GroupSettingsBody),
}

/// `create_resource_group`
#[derive(Debug, Serialize)]
pub struct ResourceGroupBody<'d> {
    pub account_id: &'d str,
    pub name: &'d str,
}

/// `create_resource_instance`
#[derive(Debug, Serialize)]
pub struct InstanceBody<'d> {
    pub name: &'d str,
    pub resource_group: String,
    pub resource_plan_id: String,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub tags: &'d [String],
    pub target: &'d str,
}

/// `create_role`
#[derive(Debug, Serialize)]
pub struct RoleBody<'d> {
    pub account_id: &'d str,
    pub actions: &'d [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'d str>,
    pub display_name: &'d str,
    pub name: &'d str,
    pub service_name: &'static str,
}

/// `create_service_id`
#[derive(Debug, Serialize)]
pub struct ServiceIdBody<'d> {
    pub account_id: &'d str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'d str>,
    pub name: &'d str,
}

/// `create_access_group` (the account id is a query parameter)
#[derive(Debug, Serialize)]
pub struct AccessGroupBody<'d> {
    pub description: &'d str,
    pub name: &'d str,
}

/// `add_access_group_rule`
#[derive(Debug, Serialize)]
pub struct RuleBody<'d> {
    pub conditions: Vec<Condition<'d>>,
    pub expiration: u32,
    pub name: &'d str,
    pub realm_name: Cow<'d, str>,
}

#[derive(Debug, Serialize)]
pub struct Condition<'d> {
    pub claim: &'d str,
    pub operator: &'static str,
    /// Quoted as the Terraform provider sends it (`"\"ml\""`).
    pub value: String,
}

/// `add_members_to_access_group`
#[derive(Debug, Serialize)]
pub struct MembersBody {
    pub members: Vec<Member>,
}

#[derive(Debug, Serialize)]
pub struct Member {
    pub iam_id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `create_policy` (v1 access policy)
#[derive(Debug, Serialize)]
pub struct PolicyBody<'d> {
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
    pub value: Cow<'d, str>,
}

#[derive(Debug, Serialize)]
pub struct RoleRef {
    pub role_id: String,
}

/// `update_account_settings` of IAM identity
#[derive(Debug, Serialize)]
pub struct IdentitySettingsBody<'d> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa: Option<&'d str>,
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
