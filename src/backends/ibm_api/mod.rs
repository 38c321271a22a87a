//! The `ibm-api` target: the IBM Cloud REST requests that create a
//! deployment, in dependency order (format `qpol-ibm-api-plan/1`, see
//! shared/reference/ibm-cloud-apis.md). Bodies are what IBM's
//! platform-services SDKs send; `${ID.FIELD}` stands for a value an earlier
//! request yields, `${var.NAME}` for an input at apply time, and a literal
//! `${` of the policy is written `$${` ([`text`], [`literal`]). A dynamic
//! rule's value is quoted exactly as the Terraform provider quotes it, so
//! both targets create identical rules.
//!
//! [`build`] turns a deployment into requests, [`order`] sorts them, and
//! [`Plan`] prints them without building a JSON tree: a 20,000-project
//! organization's plan is well over 100 MB of text.

pub mod bodies;
mod build;
mod order;
pub mod text;

pub use bodies::Body;
pub use build::{plan, user_keys};
pub use text::{literal, Text};

use crate::model::AttrValue;
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;

/// The plan's format tag.
pub const FORMAT: &str = "qpol-ibm-api-plan/1";

/// The requests of a deployment, and the inputs they refer to.
#[derive(Debug)]
pub struct Plan<'d> {
    /// In the order they were built; dependencies always point backwards.
    requests: Vec<Request<'d>>,
    /// Positions into `requests`, in the order they are sent.
    order: Vec<u32>,
    /// Inputs the plan refers to as `${var.NAME}`, with what each is.
    variables: BTreeMap<String, String>,
    /// What the identity provider's administrator writes for each user.
    idp_user_attributes: &'d BTreeMap<String, BTreeMap<String, AttrValue>>,
}

/// One REST request.
#[derive(Debug)]
pub struct Request<'d> {
    /// Unique and stable: derived from policy names.
    pub id: String,
    pub method: &'static str,
    /// Policy values in it are percent-encoded; `${...}` are placeholders.
    pub url: String,
    pub headers: &'static [(&'static str, &'static str)],
    pub body: Option<Body<'d>>,
    /// Positions (in build order) of the requests this one needs.
    depends_on: Vec<u32>,
    /// Values the response yields: field -> JSONPath, sorted by field.
    pub yields: Vec<(&'static str, Cow<'static, str>)>,
}

impl<'d> Plan<'d> {
    /// The requests in the order they must be sent.
    pub fn requests(&self) -> impl Iterator<Item = &Request<'d>> {
        self.order
            .iter()
            .filter_map(|&i| self.requests.get(i as usize))
    }

    /// The ids of the requests `request` depends on.
    pub fn depends_on<'p>(&'p self, request: &'p Request<'d>) -> impl Iterator<Item = &'p str> {
        request
            .depends_on
            .iter()
            .filter_map(|&i| self.requests.get(i as usize))
            .map(|r| r.id.as_str())
    }

    /// Inputs given at apply time (`${var.NAME}`), with a description each.
    pub fn variables(&self) -> &BTreeMap<String, String> {
        &self.variables
    }
}

/// Write the request plan of a deployment, pretty-printed, ending with a newline.
pub fn write(d: &super::deployment::Deployment, out: &mut dyn Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let plan = plan(d).map_err(std::io::Error::other)?;
    serde_json::to_writer_pretty(&mut out, &plan)?;
    out.write_all(b"\n")?;
    out.flush()
}

impl Serialize for Plan<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut plan = serializer.serialize_struct("Plan", 4)?;
        plan.serialize_field("format", FORMAT)?;
        if self.idp_user_attributes.is_empty() {
            plan.skip_field("idp_user_attributes")?;
        } else {
            plan.serialize_field(
                "idp_user_attributes",
                &text::Attributes(self.idp_user_attributes),
            )?;
        }
        plan.serialize_field("requests", &InOrder(self))?;
        plan.serialize_field("variables", &self.variables)?;
        plan.end()
    }
}

/// The requests of a plan, in dependency order.
struct InOrder<'p, 'd>(&'p Plan<'d>);

impl Serialize for InOrder<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = self.0;
        let mut seq = serializer.serialize_seq(Some(plan.order.len()))?;
        for request in plan.requests() {
            seq.serialize_element(&WithIds { plan, request })?;
        }
        seq.end()
    }
}

/// A request with its dependencies named by id; keys sorted.
struct WithIds<'p, 'd> {
    plan: &'p Plan<'d>,
    request: &'p Request<'d>,
}

impl Serialize for WithIds<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.request;
        let mut map = serializer.serialize_map(None)?;
        if let Some(body) = &r.body {
            map.serialize_entry("body", body)?;
        }
        map.serialize_entry("depends_on", &Ids(self.plan, r))?;
        if !r.headers.is_empty() {
            map.serialize_entry("headers", &Pairs(r.headers))?;
        }
        map.serialize_entry("id", &r.id)?;
        map.serialize_entry("method", r.method)?;
        map.serialize_entry("url", &r.url)?;
        if !r.yields.is_empty() {
            map.serialize_entry("yields", &Pairs(&r.yields))?;
        }
        map.end()
    }
}

struct Ids<'p, 'd>(&'p Plan<'d>, &'p Request<'d>);

impl Serialize for Ids<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.depends_on(self.1))
    }
}

/// Key-value pairs (already sorted by key) as a JSON object.
struct Pairs<'a, V>(&'a [(&'static str, V)]);

impl<V: Serialize> Serialize for Pairs<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A request needs a value that no request of the plan yields: a bug in
/// qpol (the deployment is inconsistent), never written as `${.id}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "internal error: the request plan needs {} that no request yields; nothing was written (a qpol bug: please report it with the policy)",
    .fields.join(", ")
)]
pub struct MissingDependency {
    /// `the \`id\` of request #7`, `the \`guid\` of a missing request`.
    pub fields: Vec<String>,
}
