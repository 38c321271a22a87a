//! Failure messages of the live commands point at the right thing: the
//! endpoint actually used, a wrong endpoint (a path prefix the server does
//! not serve) rather than the API key, a token refused mid-run rather than
//! the key IAM accepted.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/emulator.rs"]
mod emulator_support;
#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;

use qpol::emulator::{Config, Handle};
use run::{command, stderr};
use std::process::{Output, Stdio};
use std::time::Duration;

const ORG: &str = "policies/org.qpol";
const KEY: &str = "QPOLSECRET-errors-key-0123456789";

fn emulator(token_ttl: Duration) -> Handle {
    emulator_support::start(Config {
        api_keys: vec![KEY.to_string()],
        token_ttl,
        ..Config::default()
    })
}

fn plan(endpoint: &str) -> Output {
    command(&["plan", ORG, "--endpoint", endpoint])
        .env("IBMCLOUD_API_KEY", KEY)
        .env_remove("QPOL_ENDPOINT")
        .env_remove("QPOL_IAM_URL")
        .env_remove("QPOL_RESOURCE_CONTROLLER_URL")
        .env_remove("QPOL_GLOBAL_CATALOG_URL")
        .env_remove("QPOL_USER_MANAGEMENT_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_connection_error_names_the_endpoint_actually_used() {
    let out = plan("http://127.0.0.1:1");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("POST https://iam.cloud.ibm.com/identity/token (sent to http://127.0.0.1:1/identity/token) failed: cannot connect"),
        "{err}"
    );
}

#[test]
fn an_endpoint_with_a_path_the_server_does_not_serve_is_not_blamed_on_the_key() {
    let e = emulator(Duration::from_secs(3600));
    let out = plan(&format!("{}/prefix/", e.url()));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("refused the API key"), "{err}");
    assert!(
        err.contains(&format!(
            "POST {}/prefix/identity/token answered 401",
            e.url()
        )),
        "{err}"
    );
    assert!(err.contains("a base URL's path is kept"), "{err}");
    // The same emulator without the prefix works.
    assert_eq!(plan(&e.url()).status.code(), Some(3));
}

#[test]
fn a_token_refused_after_the_key_worked_is_not_blamed_on_the_key() {
    let e = emulator(Duration::ZERO);
    let out = plan(&e.url());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("answered 401"), "{err}");
    assert!(!err.contains("check that the API key is valid"), "{err}");
    assert!(!err.contains("refused the API key"), "{err}");
    assert!(err.contains("expired or was revoked"), "{err}");
}
