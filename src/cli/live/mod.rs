//! `qpol plan`, `qpol apply` and `qpol import`: the command line of the
//! live layer (`crate::live`). What they share lives here: the connection
//! flags (`--endpoint`, `--api-key-file`, `--account`), the client they
//! make, the policy read, checked and compiled into a deployment, and how
//! a failure is reported ([`Report`]: the keys of the command's one JSON
//! document, and the stream it goes to).

pub mod apply;
pub mod import;
pub mod plan;
mod saved;
mod tally;

use super::output::{IoError, Stream};
use super::{output, Global, PathArg};
use crate::backends::{self, deployment::Deployment, Target};
use crate::diag::Diagnostic;
use crate::live::{auth, endpoints::Endpoints, http};
use crate::pipeline::Analysis;
use crate::policy::{load, Policy};
use std::path::PathBuf;

/// How a live command reports a run that fails: the keys its `--format
/// json` document always has (with their empty values), and where the
/// report goes (stderr when stdout carries a file: `plan -o -`).
#[derive(Debug, Clone)]
pub struct Report {
    pub keys: Vec<(&'static str, serde_json::Value)>,
    pub stream: Stream,
}

impl Report {
    /// A failure that is not a diagnostic: `message` on stderr (and in the
    /// document's `io_errors`); exit 2.
    pub fn fail(&self, global: Global, message: impl std::fmt::Display) -> u8 {
        self.fail_all(global, &[IoError::new("-", message)])
    }

    pub fn fail_all(&self, global: Global, errors: &[IoError]) -> u8 {
        output::fail_to(global, errors, &self.keys, self.stream)
    }
}

/// How many requests may be in flight at once (reads and writes alike).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ParallelismArg {
    /// Requests in flight at most, 1 to 64
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
}

impl ParallelismArg {
    pub fn get(self) -> usize {
        usize::from(self.parallelism)
    }
}

/// How to reach the account.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// One base URL for every IBM Cloud service (the emulator's), e.g.
    /// http://127.0.0.1:8787; per service: QPOL_IAM_URL,
    /// QPOL_RESOURCE_CONTROLLER_URL, QPOL_GLOBAL_CATALOG_URL,
    /// QPOL_USER_MANAGEMENT_URL
    #[arg(long, value_name = "URL", env = "QPOL_ENDPOINT")]
    pub endpoint: Option<String>,
    /// Read the API key from FILE instead of IBMCLOUD_API_KEY
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// The account id (32 hex digits); default: the policy's `account { id }`
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
}

impl ConnectArgs {
    /// A client with a token for the API key, at most `max_in_flight`
    /// requests at a time; the key's warnings printed.
    pub fn client(&self, max_in_flight: usize) -> Result<http::Client, String> {
        let endpoints = Endpoints::from_env(self.endpoint.as_deref()).map_err(|e| e.to_string())?;
        let key = match self.api_key_file.as_deref() {
            Some(file) => auth::api_key(Some(file)),
            None => auth::api_key_from(None, env_key()?),
        }
        .map_err(|e| e.to_string())?;
        for w in &key.warnings {
            super::note(format_args!("warning: {w}"));
        }
        let client = http::Client::new(
            endpoints,
            Some(key.key),
            http::Config {
                max_in_flight,
                ..http::Config::default()
            },
        )
        .map_err(|e| e.to_string())?;
        client.authenticate().map_err(|e| e.to_string())?;
        Ok(client)
    }

    /// The account: `--account`, else the policy's; both given must agree.
    pub fn account_id(&self, from_policy: Option<&str>) -> Result<String, String> {
        let id = match (self.account.as_deref(), from_policy) {
            (Some(flag), Some(policy)) if flag != policy => {
                return Err(format!(
                    "--account {flag} but the policy's account is {policy}: drop the flag or fix the policy"
                ))
            }
            (Some(id), _) | (None, Some(id)) => id,
            (None, None) => {
                return Err(
                    "no account: give --account ID or declare `account { id \"...\"; }` in the policy"
                        .into(),
                )
            }
        };
        if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(format!(
                "account id `{}` is not an IBM Cloud account id: 32 lowercase hexadecimal characters",
                crate::diag::escape::inline(id)
            ));
        }
        Ok(id.to_string())
    }
}

/// `IBMCLOUD_API_KEY`, refused when it is not UTF-8 or holds a line
/// break (a key is one line; such a value would be sent as it is).
fn env_key() -> Result<Option<String>, String> {
    let var = auth::KEY_VAR;
    match std::env::var_os(var).map(std::ffi::OsString::into_string) {
        None => Ok(None),
        Some(Err(_)) => Err(format!(
            "{var} is not UTF-8 text; set it to the API key alone (`ibmcloud iam api-key-create NAME`), or pass --api-key-file PATH"
        )),
        Some(Ok(key)) if key.trim().contains(['\n', '\r']) => Err(format!(
            "{var} holds more than one line; it must hold the API key alone"
        )),
        Some(Ok(key)) => Ok(Some(key)),
    }
}

/// A policy read, checked and compiled for the live account.
pub struct Checked {
    pub analysis: Analysis,
    /// `None` when the policy has errors.
    pub deployment: Option<Deployment>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Read and check `path`; `Err` is the exit code of a report already made.
pub fn check(path: &PathArg, global: Global, report: &Report) -> Result<Checked, u8> {
    match load(path) {
        Ok(policy) => Ok(checked(policy)),
        Err(e) => Err(report.fail_all(global, &IoError::from_load(&e))),
    }
}

/// Check a policy read before (a saved plan's sources).
pub fn checked(policy: Policy) -> Checked {
    let analysis = Analysis::new(policy);
    let compiled = backends::compile(&analysis, Target::IbmApi);
    // The audit is not part of a live plan either: its note stays.
    Checked {
        deployment: compiled.deployment,
        diagnostics: compiled.diagnostics,
        analysis,
    }
}
