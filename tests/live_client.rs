//! The live client against a stub server on 127.0.0.1 (tests/support/stub.rs):
//! the IAM token exchange and its refresh, retries and their bounds, every
//! paginated list read to its end, the executor (order, concurrency,
//! placeholders, yields, ETags, failures, lost connections) and secrets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

#[path = "live_client/auth.rs"]
mod auth;
#[path = "live_client/conformance.rs"]
mod conformance;
#[path = "live_client/emulator.rs"]
mod emulator;
#[path = "live_client/execute.rs"]
mod execute;
#[path = "live_client/read.rs"]
mod read;
#[path = "live_client/retries.rs"]
mod retries;

use qpol::live::auth::Secret;
use qpol::live::endpoints::Endpoints;
use qpol::live::http::{Client, Config};
use std::time::Duration;
use support::stub::Stub;

/// The fake key and tokens: none may appear in anything qpol prints.
pub const KEY: &str = "QPOLSECRET-key-5f1d";
pub const TOKEN: &str = "QPOLSECRET-token-9a7c";

/// Fast retries, recording on.
pub fn config() -> Config {
    Config {
        attempts: 4,
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(20),
        retry_after_cap: Duration::from_secs(2),
        record: true,
        ..Config::default()
    }
}

/// A client of `stub` (every service on it), with the fake key.
pub fn client(stub: &Stub, config: Config) -> Client {
    Client::new(
        Endpoints::all(&stub.url).unwrap(),
        Some(Secret::new(KEY)),
        config,
    )
    .unwrap()
}

/// The token answer of IAM.
pub fn token(value: &str, expires_in: u64) -> serde_json::Value {
    serde_json::json!({
        "access_token": value, "refresh_token": "not_supported",
        "token_type": "Bearer", "expires_in": expires_in, "expiration": 0
    })
}
