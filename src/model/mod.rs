//! The model: every declaration of a policy with its names resolved to
//! indices, its settings typed and checked against IAM's limits.
//!
//! [`lower`] builds it from the syntax trees; [`graph`] builds the petgraph
//! graph of groups, projects, instances and resource groups that the
//! hierarchy and access checks walk. Serializing a model leaves out spans, so
//! two models compare equal when they mean the same thing (the formatter's
//! soundness test relies on that).

pub mod actions;
pub mod graph;
pub mod limits;
mod lower;
mod lower_allow;
mod lower_declare;
mod lower_decls;
mod lower_limits;
mod lower_units;
mod lower_users;
mod lower_values;
mod rule_values;
mod settings;
mod values;
pub use lower_allow::{concerns, looks_like_code};

pub use lower::{lower, lower_owned, MAX_NAME_LEN};
pub use lower_users::UserReader;
pub use values::REGIONS;

use crate::diag::Span;
pub use crate::text::Text;
pub use rule_values::{delimit, AttrValue, CondValue, Operator};
use serde::Serialize;

pub type IdpId = usize;
pub type RgId = usize;
pub type InstanceId = usize;
pub type RoleId = usize;
pub type UnitId = usize;
pub type UserId = usize;
pub type ServiceIdId = usize;

/// A value with the span it was written at; serializes as the value alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T> Located<T> {
    pub fn new(value: T, span: Span) -> Self {
        Located { value, span }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Model {
    pub account: Option<Account>,
    pub idps: Vec<Idp>,
    pub resource_groups: Vec<ResourceGroup>,
    pub instances: Vec<Instance>,
    pub roles: Vec<Role>,
    /// Projects and groups: both become IAM access groups and share one namespace.
    pub units: Vec<Unit>,
    pub users: Vec<User>,
    pub service_ids: Vec<ServiceId>,
    pub audit: Option<Audit>,
    pub assertions: Vec<Assertion>,
    pub allows: Vec<Allow>,
    /// `allow CODE on KIND NAME "reason";`
    pub acknowledgements: Vec<Acknowledgement>,
    /// Where the references that the fields above hold without a span are
    /// written: static members (`members user alice`, `service_id ci`) and
    /// the `from IDP` of rules. Editor queries (src/ide) read them.
    #[serde(skip)]
    pub references: Vec<Located<Named>>,
}

/// A declared name: its kind and its index in the model's list of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Named {
    Idp(IdpId),
    ResourceGroup(RgId),
    Instance(InstanceId),
    Role(RoleId),
    /// A project or a group (one namespace).
    Unit(UnitId),
    User(UserId),
    ServiceId(ServiceIdId),
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Account {
    pub id: Option<Located<Text>>,
    pub user_list_visibility: Option<Located<Text>>,
    pub api_key_creation: Option<Located<Text>>,
    pub service_id_creation: Option<Located<Text>>,
    pub mfa: Option<Located<Text>>,
    pub public_access_groups: Option<Located<Text>>,
    /// Raised IAM limits (`limits { policies 8000; }`).
    pub limits: Vec<limits::DeclaredLimit>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Idp {
    pub name: Located<Text>,
    pub kind: Text,
    pub region: Option<Text>,
    pub attributes: Vec<Located<Text>>,
    pub session_hours: u32,
    pub realm: Option<Text>,
    pub tenant: Option<Text>,
    /// The App ID plan, when qpol creates the instance (`lite`, `graduated-tier`).
    pub plan: Option<Text>,
    /// Where qpol creates the App ID instance (index into `resource_groups`).
    pub resource_group: Option<Located<usize>>,
    pub existing: bool,
    #[serde(skip)]
    pub span: Span,
}

impl Idp {
    /// qpol creates this identity provider's App ID instance: an `appid`
    /// that is not `existing`, whose `realm` and `tenant` are not given
    /// (they name one that exists) and whose `region` is known.
    pub fn is_created(&self) -> bool {
        self.kind == "appid"
            && !self.existing
            && self.realm.is_none()
            && self.tenant.is_none()
            && self.region.is_some()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceGroup {
    pub name: Located<Text>,
    pub existing: bool,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    pub name: Located<Text>,
    pub plan: Option<Located<Text>>,
    pub region: Option<Located<Text>>,
    pub resource_group: Option<Located<RgId>>,
    pub tags: Vec<Located<Text>>,
    pub existing: bool,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub name: Located<Text>,
    /// Actions without the `quantum-computing.` prefix, as written (unknown ones included).
    pub actions: Vec<Located<Text>>,
    pub display_name: Option<Located<Text>>,
    pub description: Option<Located<Text>>,
    pub iam_name: Option<Located<Text>>,
    /// A built-in preset (`reader`, `writer`) that no declaration replaced.
    pub preset: bool,
    #[serde(skip)]
    pub span: Span,
}

impl Role {
    pub fn has_action(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a.value == action)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    Project,
    Group,
}

impl UnitKind {
    pub fn word(self) -> &'static str {
        match self {
            UnitKind::Project => "project",
            UnitKind::Group => "group",
        }
    }
}

/// A project or a group: an access group with a scope, members and roles.
#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    pub kind: UnitKind,
    pub name: Located<Text>,
    pub instances: Vec<Located<InstanceId>>,
    pub resource_groups: Vec<Located<RgId>>,
    /// Groups only: the projects and groups it contains.
    pub projects: Vec<Located<UnitId>>,
    pub groups: Vec<Located<UnitId>>,
    pub member_sets: Vec<MemberSet>,
    /// The role its members get unless their member set names another.
    pub role: Option<Located<RoleId>>,
    pub description: Option<Located<Text>>,
    #[serde(skip)]
    pub span: Span,
}

impl Unit {
    /// The role a member set's members get: the set's own, else the unit's.
    pub fn role_of(&self, set: &MemberSet) -> Option<RoleId> {
        set.role.as_ref().or(self.role.as_ref()).map(|r| r.value)
    }

    pub fn has_members(&self) -> bool {
        self.member_sets
            .iter()
            .any(|m| !m.rules.is_empty() || !m.users.is_empty() || !m.service_ids.is_empty())
    }
}

/// One `members` clause: its sources and the role they get.
#[derive(Debug, Clone, Serialize)]
pub struct MemberSet {
    pub rules: Vec<DynamicRule>,
    pub users: Vec<MemberRef>,
    pub service_ids: Vec<MemberRef>,
    pub role: Option<Located<RoleId>>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum MemberRef {
    Declared(usize),
    Literal(Text),
}

/// One IAM dynamic rule: all conditions must hold.
#[derive(Debug, Clone, Serialize)]
pub struct DynamicRule {
    pub idp: Option<IdpId>,
    pub conditions: Vec<Condition>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Condition {
    pub claim: Located<Text>,
    pub operator: Operator,
    pub value: Located<CondValue>,
    #[serde(skip)]
    pub span: Span,
}

impl Condition {
    /// `project contains "ml"`, as a message quotes it.
    pub fn describe(&self) -> String {
        let value = match &self.value.value {
            CondValue::One(v) => format!("{v:?}"),
            CondValue::Many(vs) => format!(
                "[{}]",
                vs.iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!("{} {} {}", self.claim.value, self.operator.keyword(), value)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub name: Located<Text>,
    pub idp: Option<Located<IdpId>>,
    pub attributes: AttrMap,
    pub email: Option<Located<Text>>,
    pub iam_id: Option<Located<Text>>,
    #[serde(skip)]
    pub span: Span,
}

/// A user's attributes, sorted by name: a small sorted vector, because a
/// large organization has a hundred thousand users with one or two each.
#[derive(Debug, Clone, Default)]
pub struct AttrMap(Vec<(Text, Located<AttrValue>)>);

impl AttrMap {
    pub fn get(&self, name: &str) -> Option<&Located<AttrValue>> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }

    /// Insert unless present; returns the value already there.
    pub fn insert(&mut self, name: Text, value: Located<AttrValue>) -> Option<&Located<AttrValue>> {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&name)) {
            Ok(i) => self.0.get(i).map(|(_, v)| v),
            Err(i) => {
                // Room for exactly one more while small: a first insert
                // would otherwise reserve four entries (288 bytes) for one.
                if self.0.len() < 8 {
                    self.0.reserve_exact(1);
                }
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Text, &Located<AttrValue>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Text> {
        self.0.iter().map(|(k, _)| k)
    }

    /// Entries the map has room for: for tests of its memory.
    #[doc(hidden)]
    pub fn capacity(&self) -> usize {
        self.0.capacity()
    }
}

impl Serialize for AttrMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceId {
    pub name: Located<Text>,
    pub description: Option<Text>,
    pub iam_id: Option<Text>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub region: Option<Located<Text>>,
    pub target: Option<Located<Text>>,
    pub endpoint: Option<Text>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum Subject {
    User(UserId),
    ServiceId(ServiceIdId),
    /// An IAM user named by email or id, with no declaration.
    Literal(Text),
}

#[derive(Debug, Clone, Serialize)]
pub struct Assertion {
    pub subject: Located<Subject>,
    pub expect_allowed: bool,
    pub action: Located<Text>,
    pub instance: Located<InstanceId>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Delete,
    Move,
}

#[derive(Debug, Clone, Serialize)]
pub struct Allow {
    pub change: Change,
    /// The instance's name: it may no longer be declared (`allow delete`).
    pub instance: Located<Text>,
    #[serde(skip)]
    pub span: Span,
}

/// `allow Q201 on project ml "reason";`: findings of `code` about `scope`
/// (every finding of the code without one) are acknowledged, not reported.
#[derive(Debug, Clone, Serialize)]
pub struct Acknowledgement {
    #[serde(serialize_with = "code_id")]
    pub code: crate::diag::Code,
    pub scope: Option<Located<crate::diag::Entity>>,
    /// `for project chemlab, ...` (Q201 only): the finding's admitted
    /// projects must all be named here.
    pub admitted: Vec<Located<crate::diag::Entity>>,
    pub reason: Located<Text>,
    #[serde(skip)]
    pub span: Span,
}

fn code_id<S: serde::Serializer>(code: &crate::diag::Code, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.id())
}

impl Model {
    pub fn instance_by_name(&self, name: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.name.value == name)
    }

    /// Instances a unit scopes directly: listed ones plus those in its resource groups.
    pub fn direct_instances(&self, unit: &Unit) -> Vec<InstanceId> {
        let mut out: Vec<InstanceId> = unit.instances.iter().map(|i| i.value).collect();
        for rg in &unit.resource_groups {
            out.extend(
                self.instances
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| {
                        i.resource_group
                            .as_ref()
                            .is_some_and(|g| g.value == rg.value)
                    })
                    .map(|(id, _)| id),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
