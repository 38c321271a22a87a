//! Two `qpol apply` runs at the same time against one account (two CI jobs,
//! two operators): no object is made twice and the account converges; and
//! twin instances already in the account (same name) are a Q303 finding
//! of `plan`, refused by `apply` before anything is sent.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/emulator.rs"]
mod emulator_support;
#[path = "support/live_bin.rs"]
#[allow(dead_code)]
mod live_bin;
#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;

use emulator_support as em;
use live_bin::{admin, all, code, duplicates, ORG};
use qpol::emulator::Handle;
use run::{stderr, stdout};
use serde_json::{json, Value};
use std::process::{Output, Stdio};

live_bin::keyed!("QPOLSECRET-race-key-0123456789", None);

/// Two applies of `policy` started together; both outputs.
fn two_at_once(e: &Handle, policy: &str) -> (Output, Output) {
    let spawn = || {
        cmd(e, &["apply", policy, "--yes"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    (a.wait_with_output().unwrap(), b.wait_with_output().unwrap())
}

fn assert_one_of_each_and_converged(e: &Handle, a: &Output, b: &Output, seed: u64) {
    for o in [a, b] {
        // The one that lost a race on the identity settings gets a 412
        // (changed since its plan): reported, nothing overwritten.
        assert!(matches!(code(o), 0 | 1), "seed {seed}: {}", all(o));
    }
    let s = admin(e, "GET", "/_emulator/state");
    assert_eq!(duplicates(&s), Vec::<String>::new(), "seed {seed}: {s}");
    assert_eq!(s["resource_instances"].as_object().unwrap().len(), 4);
    assert_eq!(s["access_groups"].as_object().unwrap().len(), 2);
    assert_eq!(s["policies"].as_object().unwrap().len(), 4);
    let plan = qpol(e, &["plan", ORG]);
    assert_eq!(code(&plan), 0, "seed {seed}: {}", all(&plan));
    assert!(!all(&plan).contains("Not managed"), "{}", all(&plan));
}

#[test]
fn two_applies_at_once_make_nothing_twice_and_the_account_converges() {
    for seed in [31, 32, 33] {
        let e = emulator("latency:20ms", seed);
        let (a, b) = two_at_once(&e, ORG);
        assert_one_of_each_and_converged(&e, &a, &b, seed);
    }
}

#[test]
fn two_applies_at_once_over_an_existing_resource_group_make_no_twin_instance() {
    let dir = tempfile::tempdir().unwrap();
    let rg = dir.path().join("rg.qpol");
    std::fs::write(
        &rg,
        "account { id \"b2f1c4e8d9a7461c9e3f5a6b7c8d9e0f\"; }\nresource_group quantum;\n",
    )
    .unwrap();
    for seed in [41, 42, 43] {
        let e = emulator("latency:20ms", seed);
        let first = qpol(&e, &["apply", rg.to_str().unwrap(), "--yes"]);
        assert_eq!(code(&first), 0, "{}", all(&first));
        let (a, b) = two_at_once(&e, ORG);
        assert_one_of_each_and_converged(&e, &a, &b, seed);
        let found = format!("{}{}", stdout(&a), stdout(&b));
        assert!(found.contains("found"), "{found}");
    }
}

/// A second `QR-ml` made by hand, beside the one apply made.
fn twin_by_hand(e: &Handle) -> String {
    let s = admin(e, "GET", "/_emulator/state");
    let live = s["resource_instances"]
        .as_object()
        .unwrap()
        .values()
        .find(|i| i["name"] == "QR-ml")
        .cloned()
        .unwrap();
    let c = em::Client::login(e);
    let twin = c.created(
        "/v2/resource_instances",
        json!({
            "name": "QR-ml",
            "target": live["region_id"],
            "resource_group": live["resource_group_id"],
            "resource_plan_id": live["resource_plan_id"],
        }),
    );
    twin["crn"].as_str().unwrap().to_string()
}

#[test]
fn twin_instances_are_a_finding_and_apply_sends_nothing() {
    let e = emulator("", 51);
    let apply = qpol(&e, &["apply", ORG, "--yes"]);
    assert_eq!(code(&apply), 0, "{}", all(&apply));
    let crn = twin_by_hand(&e);
    let plan = qpol(&e, &["plan", ORG, "--color", "never"]);
    assert_eq!(code(&plan), 1, "{}", all(&plan));
    let err = stderr(&plan);
    assert!(err.contains("error[Q303]"), "{err}");
    assert!(!err.contains("Q302"), "{err}");
    assert!(!stdout(&plan).contains("QR-ml"), "{}", stdout(&plan));
    let json = qpol(&e, &["plan", ORG, "--format", "json"]);
    assert_eq!(code(&json), 1, "{}", all(&json));
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    let found: Vec<&Value> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "Q303")
        .collect();
    assert_eq!(found.len(), 1, "{doc}");
    let mut report = format!("{}\nhelp: {}\n", found[0]["message"], found[0]["help"]);
    assert!(report.contains(&crn), "{report}");
    let s = admin(&e, "GET", "/_emulator/state");
    let mut twins: Vec<(String, String)> = s["resource_instances"]
        .as_object()
        .unwrap()
        .values()
        .filter(|i| i["name"] == "QR-ml")
        .map(|i| {
            (
                i["crn"].as_str().unwrap().to_string(),
                i["resource_group_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    twins.sort();
    for (n, (c, g)) in twins.iter().enumerate() {
        report = report
            .replace(c, &format!("CRN-{}", n + 1))
            .replace(g, "GROUP");
    }
    insta::assert_snapshot!(report);

    admin(&e, "POST", "/_emulator/stats/reset");
    let apply = qpol(&e, &["apply", ORG, "--yes"]);
    assert_eq!(code(&apply), 1, "{}", all(&apply));
    assert!(stderr(&apply).contains("Q303"), "{}", all(&apply));
    assert_eq!(admin(&e, "GET", "/_emulator/stats")["writes"], 0);
}
