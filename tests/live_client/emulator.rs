//! The live client against qpol's own emulator (in-process, small pages):
//! the org plan applied and read back, the concurrency bound counted by
//! the emulator, a wrong key refused in one request, and the same plan
//! under injected 429s, 500s and dropped connections: every object once.

use super::support::run::{command, stdout};
use super::{config, KEY};
use qpol::emulator::{self, Config as EmulatorConfig, FaultSpec, Handle};
use qpol::live::account::Account;
use qpol::live::auth::Secret;
use qpol::live::endpoints::Endpoints;
use qpol::live::error::{Error, Result};
use qpol::live::execute::{execute, Find, Options, Values};
use qpol::live::http::{self, Client, Config};
use qpol::live::plan::Request;
use qpol::live::progress::Silent;
use qpol::live::read::read_account;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::time::Duration;

const ACCOUNT: &str = emulator::DEFAULT_ACCOUNT;

fn start(faults: &str, seed: u64) -> Handle {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    emulator::serve(
        listener,
        EmulatorConfig {
            api_keys: vec![KEY.to_string()],
            faults: FaultSpec::parse(faults).unwrap(),
            page_size: 2,
            seed,
            ..EmulatorConfig::default()
        },
    )
    .unwrap()
}

fn connect(e: &Handle, key: &str, config: Config) -> Client {
    Client::new(
        Endpoints::all(&e.url()).unwrap(),
        Some(Secret::new(key)),
        config,
    )
    .unwrap()
}

/// The emulator's own counters (`/_emulator/stats`).
fn stats(e: &Handle) -> Value {
    let c = Client::new(Endpoints::all(&e.url()).unwrap(), None, Config::default()).unwrap();
    // The admin path is on no IBM host: ask through IAM's mapping.
    c.get("https://iam.cloud.ibm.com/_emulator/stats")
        .unwrap()
        .body
}

fn org_plan() -> Vec<Request> {
    let out = command(&["compile", "policies/org.qpol", "-t", "ibm-api", "-o", "-"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    serde_json::from_value(plan["requests"].clone()).unwrap()
}

fn names(a: &Account) -> BTreeMap<&'static str, Vec<String>> {
    let lists: [(&'static str, Vec<String>); 6] = [
        (
            "groups",
            a.access_groups.iter().map(|g| g.name.clone()).collect(),
        ),
        ("roles", a.roles.iter().map(|r| r.name.clone()).collect()),
        (
            "instances",
            a.instances.iter().map(|i| i.name.clone()).collect(),
        ),
        (
            "rules",
            a.access_groups
                .iter()
                .flat_map(|g| g.rules.iter().map(|r| r.name.clone()))
                .collect(),
        ),
        (
            "policies",
            a.policies
                .iter()
                .map(|p| {
                    a.access_groups
                        .iter()
                        .find(|g| g.id == p.access_group_id)
                        .map_or("?", |g| g.name.as_str())
                        .to_string()
                })
                .collect(),
        ),
        (
            "resource groups",
            a.resource_groups.iter().map(|g| g.name.clone()).collect(),
        ),
    ];
    lists
        .into_iter()
        .map(|(k, mut v)| {
            v.sort();
            (k, v)
        })
        .collect()
}

#[test]
fn the_org_plan_applies_and_reads_back_within_the_bound() {
    let e = start("", 1);
    let c = connect(&e, KEY, config());
    let requests = org_plan();
    let options = Options {
        parallelism: 3,
        ..Options::default()
    };
    let outcome = execute(&c, &requests, &Values::new(), None, &Silent, &options).unwrap();
    assert!(outcome.is_complete(), "{outcome:#?}");
    let s = stats(&e);
    assert!(s["max_in_flight"].as_u64().unwrap() <= 3, "{s}");
    let a = read_account(&c, ACCOUNT).unwrap();
    let groups = requests
        .iter()
        .filter(|r| r.method == "POST" && r.url.contains("/v2/groups?"))
        .count();
    assert_eq!(a.access_groups.len(), groups);
    assert_eq!(
        a.instances.len(),
        requests
            .iter()
            .filter(|r| r.url.ends_with("/v2/resource_instances"))
            .count()
    );
    assert_eq!(
        a.policies.len(),
        requests
            .iter()
            .filter(|r| r.url.ends_with("/v1/policies"))
            .count()
    );
    assert!(
        a.catalog.contains_key("quantum-computing"),
        "{:?}",
        a.catalog
    );
    // Read twice: the same snapshot.
    assert_eq!(
        read_account(&c, ACCOUNT).unwrap().fingerprint(),
        a.fingerprint()
    );
}

#[test]
fn a_wrong_key_is_refused_in_one_request() {
    let e = start("", 1);
    let c = connect(&e, "QPOLSECRET-wrong", config());
    let err = c
        .get(&format!(
            "https://iam.cloud.ibm.com/v2/groups?account_id={ACCOUNT}"
        ))
        .unwrap_err();
    assert!(matches!(err, Error::KeyRefused { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("IAM refused the API key (BXNIM0415E"),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains("QPOLSECRET"));
    assert_eq!(stats(&e)["requests"], 1);
}

/// After a lost create, looks the object up by name in the account, as
/// the caller of the executor does (by name and marker).
struct ByName<'c>(&'c Client);

impl Find for ByName<'_> {
    fn find(&self, request: &http::Request) -> Result<Option<BTreeMap<String, String>>> {
        let a = read_account(self.0, ACCOUNT)?;
        let body = request.body.clone().unwrap_or(Value::Null);
        let name = body["name"].as_str().unwrap_or("");
        let path = url::Url::parse(&request.url).unwrap().path().to_string();
        let found = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        Ok(match (request.method.as_str(), path.as_str()) {
            ("POST", "/v2/groups") => a
                .access_groups
                .iter()
                .find(|g| g.name == name)
                .and_then(|g| found(&[("id", &g.id)])),
            ("POST", "/v2/roles") => a
                .roles
                .iter()
                .find(|r| r.name == name)
                .and_then(|r| found(&[("id", &r.id), ("crn", &r.crn)])),
            ("POST", "/v2/resource_groups") => a
                .resource_groups
                .iter()
                .find(|g| g.name == name)
                .and_then(|g| found(&[("id", &g.id)])),
            ("POST", "/v2/resource_instances") => a
                .instances
                .iter()
                .find(|i| i.name == name)
                .and_then(|i| found(&[("id", &i.id), ("crn", &i.crn), ("guid", &i.guid)])),
            ("POST", p) if p.ends_with("/rules") => a
                .access_groups
                .iter()
                .flat_map(|g| {
                    g.id.as_str()
                        .eq(p.split('/').nth(3).unwrap())
                        .then_some(&g.rules)
                })
                .flatten()
                .find(|r| r.name == name)
                .and_then(|r| found(&[("id", &r.id)])),
            ("POST", "/v1/policies") => {
                let group = body["subjects"][0]["attributes"][0]["value"]
                    .as_str()
                    .unwrap_or("");
                let resource: BTreeMap<String, String> = body["resources"][0]["attributes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| {
                        (
                            a["name"].as_str().unwrap().to_string(),
                            a["value"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect();
                a.policies
                    .iter()
                    .find(|p| p.access_group_id == group && p.resource == resource)
                    .and_then(|p| found(&[("id", &p.id)]))
            }
            // Settings and members: sending them again does no harm.
            _ => None,
        })
    }
}

#[test]
fn under_faults_every_object_is_made_once() {
    for seed in [3, 5, 7, 9, 13, 21] {
        let e = start("429:0.1,500:0.1,drop:0.05", seed);
        let c = connect(
            &e,
            KEY,
            Config {
                attempts: 10,
                retry_after_cap: Duration::from_millis(20),
                ..config()
            },
        );
        let requests = org_plan();
        let outcome = execute(
            &c,
            &requests,
            &Values::new(),
            Some(&ByName(&c)),
            &Silent,
            &Options {
                // A lost create is looked up, then sent again, up to 5 times.
                ambiguous_rounds: 5,
                ..Options::default()
            },
        )
        .unwrap();
        assert!(outcome.is_complete(), "seed {seed}: {outcome:#?}");
        let faults = stats(&e)["faults_injected"].clone();
        assert!(
            faults.as_object().is_some_and(|f| !f.is_empty()),
            "seed {seed}: no fault met: {faults}"
        );
        // The same objects as a run without faults: nothing made twice.
        let calm = start("", 1);
        let calm_client = connect(&calm, KEY, config());
        execute(
            &calm_client,
            &requests,
            &Values::new(),
            None,
            &Silent,
            &Options::default(),
        )
        .unwrap();
        assert_eq!(
            names(
                &read_account(
                    &connect(
                        &e,
                        KEY,
                        Config {
                            attempts: 20,
                            retry_after_cap: Duration::from_millis(20),
                            ..config()
                        }
                    ),
                    ACCOUNT
                )
                .unwrap()
            ),
            names(&read_account(&calm_client, ACCOUNT).unwrap()),
            "seed {seed}"
        );
    }
}
