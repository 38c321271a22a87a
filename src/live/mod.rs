//! The live account: `qpol plan`, `qpol apply` and `qpol import` against an
//! IBM Cloud account, and the pieces they share.
//!
//! The pipeline, one module per step:
//!
//! 1. [`endpoints`], [`auth`], [`http`]: where each IBM Cloud service is
//!    (`QPOL_*_URL`, `--endpoint`), the IAM token for an API key, and one
//!    reqwest client that retries, honours `Retry-After` and never prints a
//!    secret;
//! 2. [`read`]: the live account as an [`account::Account`] snapshot, every
//!    paginated list followed to its end;
//! 3. [`reconcile`]: the `ibm-api` request plan of a policy against that
//!    snapshot: a [`plan::LivePlan`] of create / update / replace / delete
//!    actions, with the values of objects that already exist, and the
//!    refusals and limit findings that come with it ([`ahead`]: the ETags
//!    it needs read in parallel first); [`render`] prints it for people;
//!    [`access`] says what it changes for whom (`qpol diff`'s access
//!    change, the account read back as the old side), [`render_access`]
//!    prints that;
//! 4. [`execute`]: the plan's requests in dependency order with bounded
//!    concurrency, placeholders and `yields` evaluated;
//! 5. [`import`]: a snapshot written back as a `.qpol` policy.
//!
//! The client side, as the CLI uses it:
//!
//! ```text
//! let endpoints = endpoints::Endpoints::from_env(endpoint_flag)?;   // --endpoint, QPOL_*_URL
//! let key = auth::api_key(api_key_file)?;                           // IBMCLOUD_API_KEY, --api-key-file
//! for w in &key.warnings { eprintln!("warning: {w}") }
//! let client = http::Client::new(endpoints, Some(key.key), http::Config::default())?;
//! let account = read::read_account(&client, account_id)?;          // an account::Account
//! let outcome = execute::execute(&client, &requests, &plan.known, Some(&finder),
//!                                &*progress::for_stderr(), &execute::Options { parallelism, ..Default::default() })?;
//! // outcome.done / outcome.failed (IBM's status, code, message) / outcome.not_run
//! ```
//!
//! Every error is an [`error::Error`] whose message says where and what to
//! do; none holds the key or a token ([`auth::Secret`] prints `***`).
//!
//! There is no state file: the account is the state. Objects qpol creates
//! carry [`MARKER`] in their description, so that qpol deletes only what it
//! made; everything else is reported as unmanaged and never touched.

pub mod access;
pub mod account;
pub mod ahead;
pub mod auth;
pub mod endpoints;
pub mod error;
pub mod execute;
pub mod find;
pub mod http;
pub mod import;
pub mod jsonpath;
pub mod pages;
pub mod plan;
pub mod progress;
pub mod read;
pub mod reconcile;
pub mod render;
pub mod render_access;
mod retry;
pub mod template;
pub mod twins;

/// Ends the description of every access group, custom role, access policy
/// and service id that qpol creates: what `plan` recognises as its own.
pub const MARKER: &str = "[qpol]";
