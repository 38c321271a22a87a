//! A live plan: what `apply` will send to make the account match a policy
//! (format `qpol-live-plan/1`). `qpol plan -o plan.json` saves it and
//! `qpol apply plan.json` executes it, after checking that the account has
//! not changed since (`account_fingerprint`).
//!
//! Every request is an `ibm-api` request (same URL, body, `${ID.FIELD}` and
//! `$${` conventions, see `backends::ibm_api`), with canonical IBM Cloud
//! URLs: the executor maps them onto the configured endpoints.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The plan's format tag.
pub const FORMAT: &str = "qpol-live-plan/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivePlan {
    pub format: String,
    pub account_id: String,
    /// [`super::account::Account::fingerprint`] of the snapshot the plan
    /// was computed from.
    pub account_fingerprint: String,
    /// Values of objects that exist already, as `${ID.FIELD}` needs them:
    /// `access_group.ml` -> `id` -> `AccessGroupId-...`.
    pub known: BTreeMap<String, BTreeMap<String, String>>,
    /// In the order they are listed to the user (by project, then object).
    pub actions: Vec<Action>,
    /// Objects in the account that qpol does not manage and never touches.
    pub unmanaged: Vec<Unmanaged>,
    /// What the plan changes for whom ([`super::access::PlanAccess`] as
    /// JSON), for people reading the saved plan: `apply` ignores it, and a
    /// plan saved before it existed has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Update,
    /// Delete then create (an instance moved to another region or
    /// resource group: its jobs are lost).
    Replace,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The `ibm-api` request id of the object (`access_group.ml`), or
    /// `delete.KIND.NAME` for an object the policy no longer has.
    pub id: String,
    pub op: Op,
    /// For people: `access group ml`, `policy ml on QR-ml`.
    pub object: String,
    /// The project (or group) the object belongs to, for grouping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Field-level differences of an update or replace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// What is sent, in order (a replace has a delete and a create).
    pub requests: Vec<Request>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,
}

/// One request of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Unique in the plan; `depends_on` and `${ID.FIELD}` refer to it (or
    /// to an entry of `known`).
    pub id: String,
    pub method: String,
    /// Canonical IBM Cloud URL, e.g. `https://iam.cloud.ibm.com/v2/groups`.
    pub url: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Field -> JSONPath into the response.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub yields: BTreeMap<String, String>,
    /// For an update or delete: the ETag the object had when the plan was
    /// made, sent as `If-Match` (a changed object fails with 412 and is
    /// reported, never overwritten).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmanaged {
    /// `access group`, `custom role`, `policy`, `instance`, ...
    pub kind: String,
    pub name: String,
    pub id: String,
}

/// A policy file as `qpol plan -o` saved it beside the plan: its name and
/// text as `plan` read them. `qpol apply plan.json` plans these again
/// against the account and sends the plan only when both are the same, so
/// a saved plan cannot send what its policy does not plan (an edited
/// request, another host, an ETag) nor show one thing and do another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub path: String,
    pub text: String,
}

/// A plan as `qpol plan -o FILE` writes it: the [`LivePlan`]'s keys and,
/// beside them, `sources` (the policy the plan was made from). The plan
/// itself does not carry them (`plan --format json` prints no policy text).
#[derive(Debug, Serialize)]
pub struct Saved<'a> {
    #[serde(flatten)]
    pub plan: &'a LivePlan,
    pub sources: &'a [Source],
}

/// The `sources` of a saved plan; empty in a plan saved by a qpol before
/// they were kept (such a plan is refused: it cannot be checked).
#[derive(Debug, Default, Deserialize)]
pub struct SavedSources {
    #[serde(default)]
    pub sources: Vec<Source>,
}
