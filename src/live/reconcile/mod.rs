//! Reconciliation: the `ibm-api` request plan of a policy against a live
//! [`Account`] snapshot, as a [`LivePlan`]. Pure: no request is sent; the
//! only outside call is `etags`, which the reader answers with an object's
//! current ETag (asked only for the objects the plan updates or deletes).
//!
//! ```text
//! let deployment = backends::deployment::build(analysis.access());
//! let allows = Allows::from_model(&analysis.model);
//! let out = reconcile(&deployment, &account, &allows, &mut |url| reader.etag(url))?;
//! // out.plan: the LivePlan (`--format json` prints it as is; `render::human`
//! // for people); out.diagnostics: Q301/Q302 refusals and Q601 limits, to
//! // report like any finding (an error-severity one makes `qpol plan` exit 1).
//! ```
//!
//! Rules (see `live` for the marker):
//! * look-ups (catalog ids, the default resource group, users by email,
//!   `existing` instances and resource groups) are answered from the
//!   snapshot into `known`; one that the account lacks is an [`Error`];
//! * each desired object is matched with a live one by its natural key
//!   (access group by name, rule by group and name, members by group, policy
//!   by subject group and resource attributes, role, instance, resource
//!   group and service id by name); a matched object whose content differs
//!   is updated (a description that differs only by the marker is not a
//!   difference), an unmatched one created with the plan's request;
//! * live objects the policy does not declare are deleted only when they
//!   carry the marker (an instance: when a marked policy refers to it, and
//!   then only with `allow delete NAME`, else Q302); the rest is listed as
//!   unmanaged;
//! * an instance in another region or resource group is replaced, and only
//!   with `allow move NAME` (else Q301);
//! * the account's IAM limits are checked against what it holds plus what
//!   the plan adds minus what it deletes (Q601);
//! * actions are grouped by project (account-wide objects first), then
//!   sorted by id; a converged account gives no action.
//!
//! Details the executor relies on: a refused move or delete is left out of
//! the plan (the live object stays as it is, its values in `known`); an
//! update or delete carries the object's ETag in `etag` (the identity
//! settings: their `entity_tag` from the snapshot; removing a member has
//! none, IBM takes no `If-Match` there); `known` also holds
//! `var.account_id`; a create keeps the `ibm-api` request as compiled, its
//! placeholders and `depends_on` naming plan requests or `known` entries;
//! every delete depends on every create and update of the plan, and role
//! and instance deletes on the other deletes too.

mod groups;
mod leftovers;
mod limits;
mod lookups;
mod objects;
mod text;

pub use text::{for_existing, is_marked, resolve, resolve_value, same_description};

use super::account::Account;
use super::plan::{Action, Change, LivePlan, Op, Request, Unmanaged, FORMAT};
use crate::backends::deployment::Deployment;
use crate::diag::{Diagnostic, Span};
use crate::model::limits::LimitKind;
use crate::model::{Change as Allowed, Model};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Values of objects that exist: request id -> field -> value.
pub type Known = BTreeMap<String, BTreeMap<String, String>>;

/// The error the reader's `etags` callback returns.
pub type EtagError = Box<dyn std::error::Error + Send + Sync>;

/// What the policy allows and where its declarations are, for the
/// refusals' labels and the account limits.
#[derive(Debug, Clone, Default)]
pub struct Allows {
    /// `allow delete NAME;`: instance name -> the statement.
    pub delete: BTreeMap<String, Span>,
    /// `allow move NAME;`
    pub moves: BTreeMap<String, Span>,
    /// Where each declared instance is named.
    pub instances: BTreeMap<String, Span>,
    /// Where each project or group is named (access groups by unit name).
    pub units: BTreeMap<String, Span>,
    /// The account's limits (IBM's, or those the policy declares).
    pub limits: BTreeMap<LimitKind, u64>,
    /// Where a finding with no better place points (the account block).
    pub fallback: Span,
}

impl Allows {
    /// Where instance `name` is declared (else the account block).
    pub fn instance_span(&self, name: &str) -> Span {
        self.instances.get(name).copied().unwrap_or(self.fallback)
    }

    /// The `allow delete/move` statements, declarations and limits of a model.
    pub fn from_model(model: &Model) -> Allows {
        let mut out = Allows::default();
        for a in &model.allows {
            let map = match a.change {
                Allowed::Delete => &mut out.delete,
                Allowed::Move => &mut out.moves,
            };
            map.insert(a.instance.value.to_string(), a.span);
        }
        for i in &model.instances {
            out.instances.insert(i.name.value.to_string(), i.name.span);
        }
        for u in &model.units {
            out.units.insert(u.name.value.to_string(), u.name.span);
        }
        for info in crate::model::limits::LIMITS {
            out.limits.insert(info.kind, model.limit(info.kind).0);
        }
        out.fallback = model
            .account
            .as_ref()
            .map(|a| a.span)
            .or(model.units.first().map(|u| u.name.span))
            .unwrap_or_default();
        out
    }

    fn limit(&self, kind: LimitKind) -> u64 {
        self.limits.get(&kind).copied().unwrap_or_else(|| {
            crate::model::limits::LIMITS
                .iter()
                .find(|l| l.kind == kind)
                .map_or(u64::MAX, |l| l.ibm)
        })
    }
}

/// A plan, with the refusals and limit findings that came with it.
#[derive(Debug)]
pub struct Reconciled {
    pub plan: LivePlan,
    /// Q301/Q302 (refused moves and deletes) and Q601 (account limits).
    pub diagnostics: Vec<Diagnostic>,
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A look-up the policy needs has no answer in the account.
    #[error("{what} is not in account {account}")]
    Missing {
        what: String,
        account: String,
        help: String,
        /// The declaration that needs it, when there is one.
        at: Option<Span>,
    },
    /// The request plan of the policy could not be built (a qpol bug).
    #[error(transparent)]
    Plan(#[from] crate::backends::ibm_api::MissingDependency),
    /// The reader could not fetch an object's ETag.
    #[error("could not read the ETag of {url}: {source}")]
    Etag { url: String, source: EtagError },
}

impl Error {
    /// Where in the policy the missing object is needed, if anywhere.
    pub fn span(&self) -> Option<Span> {
        match self {
            Error::Missing { at, .. } => *at,
            _ => None,
        }
    }

    /// How to fix it.
    pub fn help(&self) -> &str {
        match self {
            Error::Missing { help, .. } => help,
            Error::Plan(_) => "report the policy to the qpol maintainers",
            Error::Etag { .. } => "check the network and the API key's access, then plan again",
        }
    }
}

/// The plan that makes `account` match `deployment` (see the module docs).
pub fn reconcile(
    deployment: &Deployment,
    account: &Account,
    allows: &Allows,
    etags: &mut dyn FnMut(&str) -> Result<Option<String>, EtagError>,
) -> Result<Reconciled, Error> {
    let plan = crate::backends::ibm_api::plan(deployment)?;
    let value = serde_json::to_value(&plan).unwrap_or(Value::Null);
    let requests: Vec<Request> = value
        .get("requests")
        .cloned()
        .and_then(|r| serde_json::from_value(r).ok())
        .unwrap_or_default();
    let mut r = Reconciler {
        d: deployment,
        account,
        allows,
        etags,
        desired: requests.into_iter().map(|r| (r.id.clone(), r)).collect(),
        known: Known::new(),
        created: BTreeSet::new(),
        actions: Vec::new(),
        unmanaged: Vec::new(),
        diagnostics: Vec::new(),
        seen: Seen::default(),
    };
    r.known_var("account_id", &account.account_id);
    r.lookups()?;
    r.resource_groups();
    r.instances()?;
    r.roles()?;
    r.service_ids()?;
    r.access_groups()?;
    r.account_settings();
    r.leftovers()?;
    r.limits();
    r.order_deletes();
    let mut actions = r.actions;
    actions.sort_by(|a, b| {
        (a.project.is_some(), &a.project, &a.id).cmp(&(b.project.is_some(), &b.project, &b.id))
    });
    let mut unmanaged = r.unmanaged;
    unmanaged.sort_by(|a, b| (&a.kind, &a.name, &a.id).cmp(&(&b.kind, &b.name, &b.id)));
    Ok(Reconciled {
        plan: LivePlan {
            format: FORMAT.to_string(),
            account_id: account.account_id.clone(),
            account_fingerprint: account.fingerprint(),
            known: r.known,
            actions,
            unmanaged,
            access: None,
        },
        diagnostics: r.diagnostics,
    })
}

/// Live objects a desired one matched (by live id): the rest are leftovers.
#[derive(Debug, Default)]
struct Seen {
    groups: BTreeSet<String>,
    policies: BTreeSet<String>,
    roles: BTreeSet<String>,
    service_ids: BTreeSet<String>,
    instances: BTreeSet<String>,
    resource_groups: BTreeSet<String>,
}

struct Reconciler<'a> {
    d: &'a Deployment,
    account: &'a Account,
    allows: &'a Allows,
    etags: &'a mut dyn FnMut(&str) -> Result<Option<String>, EtagError>,
    /// The `ibm-api` requests, by id.
    desired: BTreeMap<String, Request>,
    known: Known,
    /// Request ids the plan creates (their values exist only at apply time).
    created: BTreeSet<String>,
    actions: Vec<Action>,
    unmanaged: Vec<Unmanaged>,
    diagnostics: Vec<Diagnostic>,
    seen: Seen,
}

impl Reconciler<'_> {
    fn known_var(&mut self, name: &str, value: &str) {
        self.known
            .entry("var".to_string())
            .or_default()
            .insert(name.to_string(), value.to_string());
    }

    fn know(&mut self, id: &str, fields: &[(&str, &str)]) {
        let entry = self.known.entry(id.to_string()).or_default();
        for (k, v) in fields {
            entry.insert((*k).to_string(), (*v).to_string());
        }
    }

    /// The desired request `id`, resolved against `known`: `None` when it
    /// needs a value of an object the plan creates.
    fn resolved_body(&self, id: &str) -> Option<Value> {
        let body = self.desired.get(id)?.body.as_ref()?;
        text::resolve_value(body, &self.known)
    }

    /// Create the object of desired request `id` with the plan's request.
    fn create(&mut self, id: &str, object: String, project: Option<String>) {
        let Some(request) = self.desired.get(id).cloned() else {
            return;
        };
        self.created.insert(id.to_string());
        self.actions.push(Action {
            id: id.to_string(),
            op: Op::Create,
            object,
            project,
            changes: Vec::new(),
            requests: vec![request],
        });
    }

    /// The current ETag of the object at `url` (query left out).
    fn etag(&mut self, url: &str) -> Result<Option<String>, Error> {
        let object = url.split('?').next().unwrap_or(url);
        (self.etags)(object).map_err(|source| Error::Etag {
            url: object.to_string(),
            source,
        })
    }

    /// An update request of an existing object, with its ETag.
    fn update_request(
        &mut self,
        id: String,
        method: &str,
        url: String,
        body: Value,
    ) -> Result<Request, Error> {
        let etag = self.etag(&url)?;
        Ok(Request {
            id,
            method: method.to_string(),
            url,
            headers: BTreeMap::new(),
            body: Some(body),
            depends_on: Vec::new(),
            yields: BTreeMap::new(),
            etag,
        })
    }

    fn push_update(
        &mut self,
        id: &str,
        object: String,
        project: Option<String>,
        changes: Vec<Change>,
        requests: Vec<Request>,
    ) {
        if changes.is_empty() || requests.is_empty() {
            return;
        }
        self.actions.push(Action {
            id: id.to_string(),
            op: Op::Update,
            object,
            project,
            changes,
            requests,
        });
    }
}

/// A field that differs, for people.
fn change(field: &str, from: impl Into<Value>, to: impl Into<Value>) -> Change {
    Change {
        field: field.to_string(),
        from: Some(from.into()),
        to: Some(to.into()),
    }
}

/// A name for people in a plan: quoted in a code span, every control or
/// hidden character escaped, so a hostile name prints inert.
pub fn code(name: &str) -> String {
    let text = crate::diag::escape::inline(name).replace('`', "\\u{60}");
    format!("`{text}`")
}
