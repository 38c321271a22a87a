//! The `qpol` binary against an in-process emulator, for the end-to-end
//! live tests (recovery, saved plans, concurrent applies): start the
//! emulator with a test's own fake key, run the binary with only that
//! endpoint configured, read the emulator's admin routes, and find objects
//! made twice. A test file includes it beside `support/emulator.rs` (as
//! `emulator_support`) and `support/run.rs` (as `run`).

use super::emulator_support as em;
use super::run::{command, stderr, stdout};
use qpol::emulator::{Config, FaultSpec, Handle};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};

pub const ORG: &str = "policies/org.qpol";

/// The helpers every live test file defines around its own fake key
/// (`keyed!("QPOLSECRET-...", page_size)`): `KEY`, `emulator(faults, seed)`,
/// `cmd(e, args)` and `qpol(e, args)`.
#[allow(unused_macros)] // not every file that includes this one uses it
macro_rules! keyed {
    ($key:literal, $page_size:expr) => {
        const KEY: &str = $key;

        fn emulator(faults: &str, seed: u64) -> qpol::emulator::Handle {
            live_bin::emulator(KEY, faults, seed, $page_size)
        }

        fn cmd(e: &qpol::emulator::Handle, args: &[&str]) -> std::process::Command {
            live_bin::cmd(e, KEY, args)
        }

        #[allow(dead_code)]
        fn qpol(e: &qpol::emulator::Handle, args: &[&str]) -> std::process::Output {
            cmd(e, args).output().unwrap()
        }
    };
}
#[allow(unused_imports)]
pub(crate) use keyed;

/// An emulator that accepts `key` (and the default key), with `faults`,
/// `seed` and lists paged by `page_size` (`None`: the emulator's default).
pub fn emulator(key: &str, faults: &str, seed: u64, page_size: Option<usize>) -> Handle {
    let mut config = Config {
        api_keys: vec![key.to_string(), qpol::emulator::DEFAULT_API_KEY.to_string()],
        faults: FaultSpec::parse(faults).unwrap(),
        seed,
        ..Config::default()
    };
    if let Some(size) = page_size {
        config.page_size = size;
    }
    em::start(config)
}

/// `qpol ARGS` with `key`, every service at the emulator, stdin closed.
pub fn cmd(e: &Handle, key: &str, args: &[&str]) -> Command {
    let mut c = command(args);
    c.env("IBMCLOUD_API_KEY", key)
        .env("QPOL_ENDPOINT", e.url())
        .env_remove("QPOL_IAM_URL")
        .env_remove("QPOL_RESOURCE_CONTROLLER_URL")
        .env_remove("QPOL_GLOBAL_CATALOG_URL")
        .env_remove("QPOL_USER_MANAGEMENT_URL")
        .stdin(Stdio::null());
    c
}

pub fn admin(e: &Handle, method: &str, path: &str) -> Value {
    em::Client::new(e)
        .send(method, path, &Value::Null, &[])
        .body
}

pub fn stats(e: &Handle) -> Value {
    admin(e, "GET", "/_emulator/stats")
}

pub fn state(e: &Handle) -> Value {
    admin(e, "GET", "/_emulator/state")
}

pub fn reset_stats(e: &Handle) {
    admin(e, "POST", "/_emulator/stats/reset");
}

pub fn set_faults(e: &Handle, spec: &str) {
    em::Client::new(e).send_raw("POST", "/_emulator/faults", &[], spec.as_bytes());
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub fn all(o: &Output) -> String {
    format!("{}\n{}", stdout(o), stderr(o))
}

/// Objects that share their natural key: instances, groups, roles and
/// resource groups by name, rules by (group, name), policies by (group,
/// resource). Empty when nothing was made twice.
pub fn duplicates(s: &Value) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let objects = |key: &str| s[key].as_object().cloned().unwrap_or_default();
    for kind in [
        "resource_instances",
        "access_groups",
        "custom_roles",
        "resource_groups",
    ] {
        for o in objects(kind).values() {
            *seen.entry(format!("{kind} {}", o["name"])).or_default() += 1;
        }
    }
    for r in objects("access_group_rules").values() {
        *seen
            .entry(format!("rule {} {}", r["access_group_id"], r["name"]))
            .or_default() += 1;
    }
    for p in objects("policies").values() {
        *seen
            .entry(format!("policy {} {}", p["subjects"], p["resources"]))
            .or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, n)| format!("{k} x{n}"))
        .collect()
}
