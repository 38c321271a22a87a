//! `qpol plan`, `qpol apply` and `qpol import` end to end: the binary
//! against the emulator (in-process, on a free port), as a user runs them.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "support/emulator.rs"]
mod emulator_support;
#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;

use em::start;
use emulator_support as em;
use qpol::emulator::{Config, FaultSpec, Handle};
use run::{command, stderr, stdout};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;

const ORG: &str = "policies/org.qpol";
const KEY: &str = "QPOLSECRET-live-cli-key-0123456789";

fn emulator(faults: &str, seed: u64) -> Handle {
    start(Config {
        api_keys: vec![KEY.to_string()],
        faults: FaultSpec::parse(faults).unwrap(),
        seed,
        page_size: 3,
        ..Config::default()
    })
}

/// Run qpol against `e` with the test key.
fn qpol(e: &Handle, args: &[&str]) -> Output {
    command(args)
        .env("IBMCLOUD_API_KEY", KEY)
        .env("QPOL_ENDPOINT", e.url())
        .env_remove("QPOL_IAM_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn stats(e: &Handle) -> Value {
    em::Client::new(e)
        .send("GET", "/_emulator/stats", &Value::Null, &[])
        .body
}

fn state(e: &Handle) -> Value {
    em::Client::new(e)
        .send("GET", "/_emulator/state", &Value::Null, &[])
        .body
}

fn reset_stats(e: &Handle) {
    em::Client::new(e).send("POST", "/_emulator/stats/reset", &Value::Null, &[]);
}

fn set_faults(e: &Handle, spec: &str) {
    em::Client::new(e).send_raw("POST", "/_emulator/faults", &[], spec.as_bytes());
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn fresh_account_apply_then_plan_is_empty_and_a_second_apply_writes_nothing() {
    let e = emulator("", 1);
    let plan = qpol(&e, &["plan", ORG]);
    assert_eq!(code(&plan), 3, "{}", stderr(&plan));
    assert!(
        stdout(&plan).contains("Plan: 14 to create, 1 to update, 0 to replace, 0 to delete."),
        "{}",
        stdout(&plan)
    );
    let apply = qpol(&e, &["apply", ORG, "--yes"]);
    assert_eq!(code(&apply), 0, "{}\n{}", stdout(&apply), stderr(&apply));
    assert!(
        stdout(&apply).contains("Applied 15 of 15 requests."),
        "{}",
        stdout(&apply)
    );

    let again = qpol(&e, &["plan", ORG]);
    assert_eq!(code(&again), 0, "{}", stdout(&again));
    assert!(stdout(&again).contains("No changes. The account matches the policy."));

    reset_stats(&e);
    let converged = qpol(&e, &["apply", ORG, "--yes"]);
    assert_eq!(code(&converged), 0, "{}", stderr(&converged));
    assert_eq!(stats(&e)["writes"], 0, "a converged apply sent a write");
}

#[test]
fn apply_refuses_without_yes_off_a_terminal_and_sends_nothing() {
    let e = emulator("", 1);
    let apply = qpol(&e, &["apply", ORG]);
    assert_eq!(code(&apply), 2);
    assert!(
        stderr(&apply).contains("not applying without --yes"),
        "{}",
        stderr(&apply)
    );
    assert_eq!(stats(&e)["writes"], 0);
}

#[test]
fn a_saved_plan_applies_and_a_stale_one_is_refused() {
    let e = emulator("", 2);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let saved = saved.to_str().unwrap();
    let plan = qpol(&e, &["plan", ORG, "-o", saved]);
    assert_eq!(code(&plan), 3, "{}", stderr(&plan));
    let json: Value = serde_json::from_slice(&std::fs::read(saved).unwrap()).unwrap();
    assert_eq!(json["format"], "qpol-live-plan/1");

    // Someone changes the account by hand: the saved plan is stale.
    let other = tempfile::tempdir().unwrap();
    let extra = other.path().join("extra.qpol");
    std::fs::write(
        &extra,
        std::fs::read_to_string(ORG).unwrap().replace("project ml <", "project chem < instances QR-ml; members where project contains \"chem\"; role writer >\nproject ml <"),
    )
    .unwrap();
    let plan2 = qpol(
        &e,
        &[
            "plan",
            extra.to_str().unwrap(),
            "-o",
            dir.path().join("p2.json").to_str().unwrap(),
        ],
    );
    assert_eq!(code(&plan2), 3, "{}", stderr(&plan2));
    let apply2 = qpol(
        &e,
        &[
            "apply",
            dir.path().join("p2.json").to_str().unwrap(),
            "--yes",
        ],
    );
    assert_eq!(code(&apply2), 0, "{}", stderr(&apply2));

    reset_stats(&e);
    let stale = qpol(&e, &["apply", saved, "--yes"]);
    assert_eq!(code(&stale), 1, "{}", stdout(&stale));
    assert!(
        stderr(&stale).contains("plan is stale"),
        "{}",
        stderr(&stale)
    );
    assert_eq!(stats(&e)["writes"], 0);
}

#[test]
fn under_faults_apply_converges_without_duplicates() {
    let e = emulator("", 3);
    set_faults(&e, "500:0.2,429:0.1,drop:0.05");
    // A few rounds at most: each finishes what the last could not.
    let mut rounds = 0;
    loop {
        rounds += 1;
        let apply = qpol(&e, &["apply", ORG, "--yes", "--parallelism", "4"]);
        if code(&apply) == 0 {
            break;
        }
        assert_eq!(code(&apply), 1, "{}\n{}", stdout(&apply), stderr(&apply));
        assert!(rounds < 6, "no convergence: {}", stdout(&apply));
    }
    set_faults(&e, "");
    let plan = qpol(&e, &["plan", ORG]);
    assert_eq!(code(&plan), 0, "{}", stdout(&plan));
    let s = state(&e);
    let count = |key: &str| s[key].as_object().map_or(0, |o| o.len());
    assert_eq!(count("access_groups"), 2, "{s}");
    assert_eq!(count("policies"), 4, "{s}");
    assert_eq!(count("custom_roles"), 1, "{s}");
    // Instance names are not unique in IBM Cloud: a lost create made twice
    // would show here.
    assert_eq!(count("resource_instances"), 4, "{s}");
    assert!(stats(&e)["max_in_flight"].as_u64().unwrap() <= 4);
}

#[test]
fn import_round_trip_checks_clean_and_plans_no_change() {
    let e = emulator("", 4);
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported");
    let import = qpol(
        &e,
        &[
            "import",
            "--account",
            qpol::emulator::DEFAULT_ACCOUNT,
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&import), 0, "{}", stderr(&import));
    let file = out.join("main.qpol");
    let check = command(&["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&check), 0, "{}", stdout(&check));
    let plan = qpol(&e, &["plan", file.to_str().unwrap()]);
    assert_eq!(code(&plan), 0, "{}", stdout(&plan));
    // A second import does not overwrite the first.
    let again = qpol(
        &e,
        &[
            "import",
            "--account",
            qpol::emulator::DEFAULT_ACCOUNT,
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&again), 2);
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
}

#[test]
fn a_wrong_key_is_one_clear_error_and_no_key_is_ever_printed() {
    let e = emulator("", 5);
    let wrong = command(&["plan", ORG])
        .env("IBMCLOUD_API_KEY", "QPOLSECRET-wrong-key")
        .env("QPOL_ENDPOINT", e.url())
        .output()
        .unwrap();
    assert_eq!(code(&wrong), 2);
    assert!(
        stderr(&wrong).contains("IAM refused the API key"),
        "{}",
        stderr(&wrong)
    );
    // One token exchange, no retry and no other request.
    assert_eq!(stats(&e)["requests"], 1, "{}", stats(&e));
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let runs = [
        qpol(&e, &["plan", ORG, "-o", saved.to_str().unwrap()]),
        qpol(&e, &["plan", ORG, "--format", "json"]),
        qpol(&e, &["apply", ORG, "--yes"]),
        qpol(&e, &["apply", ORG, "--yes", "--format", "json"]),
        qpol(
            &e,
            &[
                "import",
                "--account",
                qpol::emulator::DEFAULT_ACCOUNT,
                "-o",
                dir.path().join("i").to_str().unwrap(),
            ],
        ),
    ];
    let mut written = String::new();
    for entry in walk(dir.path()) {
        written.push_str(&std::fs::read_to_string(entry).unwrap_or_default());
    }
    for o in runs.iter() {
        for text in [stdout(o), stderr(o)] {
            assert!(!text.contains("QPOLSECRET"), "the key was printed: {text}");
            assert!(!text.contains("Bearer"), "a token was printed: {text}");
        }
    }
    assert!(!written.contains("QPOLSECRET"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn import_o_needs_a_folder_and_json_is_one_document() {
    let e = emulator("", 6);
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("afile");
    std::fs::write(&file, "hi").unwrap();
    let account = qpol::emulator::DEFAULT_ACCOUNT;
    for (out, says) in [
        ("-", "does not write to standard output"),
        (file.to_str().unwrap(), "is a regular file, not a folder"),
        ("/dev/null", "is a character device, not a folder"),
    ] {
        let import = qpol(&e, &["import", "--account", account, "-o", out]);
        assert_eq!(code(&import), 2, "{}", all(&import));
        assert!(stderr(&import).contains(says), "{}", all(&import));
        assert!(!stderr(&import).contains("os error"), "{}", all(&import));
    }
    assert!(!Path::new("-").exists());
    let out = dir.path().join("imported");
    let import = qpol(
        &e,
        &[
            "import",
            "--account",
            account,
            "-o",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&import), 0, "{}", all(&import));
    let doc: Value = serde_json::from_slice(&import.stdout).unwrap();
    let written = out.join("main.qpol");
    assert_eq!(doc["output"], written.to_str().unwrap());
    assert!(doc["comments"].is_array(), "{doc}");
    assert_eq!(doc["io_errors"], json!([]));
    assert!(written.exists());
    // A failure is the same document.
    let again = qpol(
        &e,
        &["import", "--account", account, "-o", out.to_str().unwrap()],
    );
    assert_eq!(code(&again), 2);
    let again = qpol(
        &e,
        &[
            "import",
            "--account",
            account,
            "-o",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let doc: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(doc["output"], Value::Null);
    assert_eq!(doc["io_errors"].as_array().unwrap().len(), 1);
}

#[test]
fn live_help_lists_each_exit_code_once_in_order_and_the_parallelism_range() {
    for name in ["plan", "apply", "import"] {
        let help = stdout(&command(&[name, "--help"]).output().unwrap());
        let table = help
            .split("Exit codes:\n")
            .nth(1)
            .unwrap()
            .split("\n\n")
            .next()
            .unwrap();
        let codes: Vec<u32> = table
            .lines()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "{name}: {table}");
    }
    let help = stdout(&command(&["apply", "--help"]).output().unwrap());
    assert!(help.contains("1 to 64"), "{help}");
}

fn all(o: &Output) -> String {
    format!("{}\n{}", stdout(o), stderr(o))
}

/// `PUT`/`PATCH` `path` with `change` merged into the object it holds,
/// with its ETag.
fn edit_by_hand(c: &em::Client, method: &str, path: &str, change: Value) {
    let now = c.get(path);
    let etag = now.header("etag").unwrap().to_string();
    let mut body = now.body.clone();
    for (k, v) in change.as_object().unwrap() {
        body[k] = v.clone();
    }
    if method == "PATCH" {
        body = change;
    }
    let answer = c.send(method, path, &body, &[("If-Match", &etag)]);
    assert_eq!(answer.status, 200, "{method} {path}: {}", answer.body);
}

#[test]
fn an_account_made_by_hand_with_its_own_descriptions_imports_then_plans_no_change() {
    let e = start(Config {
        api_keys: vec![KEY.to_string(), qpol::emulator::DEFAULT_API_KEY.to_string()],
        ..Config::default()
    });
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    // Every description rewritten by hand: nothing carries qpol's marker.
    let c = em::Client::login(&e);
    let account = qpol::emulator::DEFAULT_ACCOUNT;
    let groups = c.ok(&format!("/v2/groups?account_id={account}&limit=100"));
    for g in groups["groups"].as_array().unwrap() {
        let path = format!("/v2/groups/{}", g["id"].as_str().unwrap());
        let text = format!("Team {} (set up by hand)", g["name"].as_str().unwrap());
        edit_by_hand(
            &c,
            "PATCH",
            &path,
            serde_json::json!({ "description": text }),
        );
    }
    let roles = c.ok(&format!("/v2/roles?account_id={account}"));
    for r in roles["custom_roles"].as_array().unwrap() {
        let path = format!("/v2/roles/{}", r["id"].as_str().unwrap());
        let change = serde_json::json!({"description": "Runs jobs (by hand)"});
        edit_by_hand(&c, "PUT", &path, change);
    }
    let policies = c.ok(&format!("/v1/policies?account_id={account}&type=access"));
    let policies = policies["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 4);
    for p in policies {
        let path = format!("/v1/policies/{}", p["id"].as_str().unwrap());
        edit_by_hand(&c, "PUT", &path, serde_json::json!({"description": "x"}));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported");
    let import = qpol(
        &e,
        &["import", "--account", account, "-o", out.to_str().unwrap()],
    );
    assert_eq!(code(&import), 0, "{}", stderr(&import));
    let file = out.join("main.qpol");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("(set up by hand)"), "{text}");
    assert!(text.contains("Runs jobs (by hand)"), "{text}");
    let check = command(&["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&check), 0, "{}", stdout(&check));
    let plan = qpol(&e, &["plan", file.to_str().unwrap()]);
    assert_eq!(code(&plan), 0, "{}\n{}", stdout(&plan), stderr(&plan));
    assert!(stdout(&plan).contains("No changes."), "{}", stdout(&plan));
}
