//! The live layer at the size of a large organization, against the
//! emulator in-process (no latency unless a test needs one to see
//! concurrency): the import round trip of a 300-project org (apply, import,
//! `check` clean, `plan` of the imported policy shows no change), the
//! account read keeping the client's bound of requests in flight busy, and
//! the ETags of a plan that updates many objects read in parallel.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "support/emulator.rs"]
mod emulator_support;
#[path = "support/live.rs"]
#[allow(dead_code)]
mod live;
#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;

use emulator_support as em;
use qpol::emulator::{Config, Handle, User, DEFAULT_ACCOUNT};
use qpol::live::auth::Secret;
use qpol::live::endpoints::Endpoints;
use qpol::live::http::{self, Client};
use qpol::live::plan::Op;
use qpol::live::reconcile::{self, EtagError};
use qpol::live::{ahead, read};
use qpol::synth::{generate, OrgSpec};
use run::{command, stderr, stdout};
use serde_json::Value;
use std::process::Output;

const KEY: &str = "QPOLSECRET-live-scale-key-0123456789";

/// A synthetic org of `projects` projects (as many users).
fn org(projects: usize) -> String {
    generate(&OrgSpec::new(projects, projects, 0)).text
}

/// An emulator whose account holds the users `text` names by email.
fn emulator(text: &str) -> Handle {
    let (analysis, _) = live::analyse(text);
    let d = live::deployment(&analysis);
    let users = qpol::backends::ibm_api::user_keys(&d)
        .keys()
        .enumerate()
        .map(|(n, email)| User {
            email: (*email).to_string(),
            iam_id: format!("IBMid-scale{n:04}"),
        })
        .collect();
    em::start(Config {
        api_keys: vec![KEY.to_string()],
        users,
        seed: 9,
        ..Config::default()
    })
}

fn qpol(e: &Handle, args: &[&str]) -> Output {
    command(args)
        .env("IBMCLOUD_API_KEY", KEY)
        .env("QPOL_ENDPOINT", e.url())
        .env_remove("QPOL_IAM_URL")
        .env_remove("QPOL_RESOURCE_CONTROLLER_URL")
        .env_remove("QPOL_GLOBAL_CATALOG_URL")
        .env_remove("QPOL_USER_MANAGEMENT_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn admin(e: &Handle, method: &str, path: &str, body: &str) -> Value {
    em::Client::new(e)
        .send_raw(method, path, &[], body.as_bytes())
        .unwrap()
        .body
}

/// `text` written to a file and applied to `e` with `--parallelism 16`.
fn apply(e: &Handle, dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let file = dir.join("org.qpol");
    std::fs::write(&file, text).unwrap();
    let out = qpol(
        e,
        &[
            "apply",
            file.to_str().unwrap(),
            "--account",
            DEFAULT_ACCOUNT,
            "--yes",
            "--parallelism",
            "16",
        ],
    );
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    file
}

/// A client of `e` with at most `max_in_flight` requests at a time.
fn client(e: &Handle, max_in_flight: usize) -> Client {
    let c = Client::new(
        Endpoints::all(&e.url()).unwrap(),
        Some(Secret::new(KEY)),
        http::Config {
            max_in_flight,
            ..http::Config::default()
        },
    )
    .unwrap();
    c.authenticate().unwrap();
    c
}

#[test]
fn a_300_project_org_imports_checks_clean_and_plans_no_change() {
    let text = org(300);
    let e = emulator(&text);
    let dir = tempfile::tempdir().unwrap();
    apply(&e, dir.path(), &text);
    let state = admin(&e, "GET", "/_emulator/state", "");
    let count = |key: &str| state[key].as_object().map_or(0, |o| o.len());
    // 300 projects, 30 teams, 3 departments, 1 hub; an instance a
    // project, a shared one and the identity provider's App ID.
    assert_eq!(count("access_groups"), 334, "{state}");
    assert_eq!(count("resource_instances"), 302);

    let out = dir.path().join("imported");
    let import = qpol(
        &e,
        &[
            "import",
            "--account",
            DEFAULT_ACCOUNT,
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&import), 0, "{}", stderr(&import));
    let file = out.join("main.qpol");
    let imported = std::fs::read_to_string(&file).unwrap();
    // One note: the identity provider's users are not read.
    assert!(
        stderr(&import).contains(": 1 notes;")
            && stderr(&import).contains("warning: identity provider org-users: its users"),
        "{}",
        stderr(&import)
    );
    let starting = |word: &str| imported.lines().filter(|l| l.starts_with(word)).count();
    // Every access group comes back, each project under its own name.
    assert_eq!(starting("project ") + starting("group "), 334, "{imported}");
    // The teams, departments and hub come back as groups.
    assert_eq!(starting("group "), 34, "{imported}");
    assert!(imported.contains("\ngroup hub-0 {\n  groups dept-0, dept-1, dept-2;\n"));
    for i in 0..300 {
        assert!(
            imported.contains(&format!("\nproject prj-{i} {{\n")),
            "prj-{i}"
        );
    }
    assert_eq!(starting("instance "), 301);

    let check = command(&["check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&check), 0, "{}", stdout(&check));
    let report = stdout(&check);
    assert!(
        report.is_empty() || report.contains("0 errors, 0 warnings"),
        "{report}"
    );

    admin(&e, "POST", "/_emulator/stats/reset", "");
    let plan = qpol(&e, &["plan", file.to_str().unwrap()]);
    assert_eq!(code(&plan), 0, "{}\n{}", stdout(&plan), stderr(&plan));
    assert!(
        stdout(&plan).contains("No changes. The account matches the policy."),
        "{}",
        stdout(&plan)
    );
    assert_eq!(admin(&e, "GET", "/_emulator/stats", "")["writes"], 0);
}

#[test]
fn the_account_read_keeps_the_clients_bound_busy() {
    let text = org(40);
    let e = emulator(&text);
    let dir = tempfile::tempdir().unwrap();
    apply(&e, dir.path(), &text);
    // With latency every request stays in flight long enough to be seen.
    admin(&e, "POST", "/_emulator/faults", "latency:40ms");
    admin(&e, "POST", "/_emulator/stats/reset", "");
    let c = client(&e, 16);
    let account = read::read_account(&c, DEFAULT_ACCOUNT).unwrap();
    assert_eq!(account.access_groups.len(), 46);
    let stats = admin(&e, "GET", "/_emulator/stats", "");
    // 46 groups, two reads each: one reader per slot, not a fixed 8.
    let most = stats["max_in_flight"].as_u64().unwrap();
    assert!((13..=16).contains(&most), "{stats}");
}

#[test]
fn the_etags_of_a_plan_are_read_in_parallel_and_are_the_same() {
    let text = org(40);
    let e = emulator(&text);
    let dir = tempfile::tempdir().unwrap();
    apply(&e, dir.path(), &text);
    // Every project's role changes: each of its policies is updated.
    let changed = text.replace("; role writer; }", "; role reader; }");
    let (analysis, allows) = live::analyse(&changed);
    let d = live::deployment(&analysis);
    let c = client(&e, 8);
    let account = read::read_account(&c, DEFAULT_ACCOUNT).unwrap();

    admin(&e, "POST", "/_emulator/faults", "latency:40ms");
    admin(&e, "POST", "/_emulator/stats/reset", "");
    let ahead = ahead::reconcile(&c, &d, &account, &allows).unwrap();
    let stats = admin(&e, "GET", "/_emulator/stats", "");
    let updates: Vec<_> = ahead
        .plan
        .actions
        .iter()
        .filter(|a| a.op == Op::Update)
        .collect();
    assert!(updates.len() >= 40, "{:?}", ahead.plan.actions);
    assert!(updates
        .iter()
        .all(|a| a.requests.iter().all(|r| r.etag.is_some())));
    // One GET per ETag, at most 8 and more than one at a time.
    assert_eq!(
        stats["by_method"]["GET"].as_u64(),
        Some(updates.len() as u64),
        "{stats}"
    );
    let most = stats["max_in_flight"].as_u64().unwrap();
    assert!((6..=8).contains(&most), "{stats}");

    // The same plan as ETags read one at a time.
    admin(&e, "POST", "/_emulator/faults", "");
    let mut one_by_one = |url: &str| read::etag(&c, url).map_err(|e| Box::new(e) as EtagError);
    let sequential = reconcile::reconcile(&d, &account, &allows, &mut one_by_one).unwrap();
    assert_eq!(
        serde_json::to_value(&ahead.plan).unwrap(),
        serde_json::to_value(&sequential.plan).unwrap()
    );
}
