//! Faults and recovery of `qpol apply`, end to end (the binary against the
//! emulator, in-process on a free port): kill -9 at random points, Ctrl-C,
//! the emulator gone mid-apply, objects changed by hand (ETags), a 400 from
//! the API, an account limit reached, wrong and expiring keys.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/emulator.rs"]
mod emulator_support;
#[path = "support/live_bin.rs"]
#[allow(dead_code)]
mod live_bin;
#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;

use em::start;
use emulator_support as em;
use live_bin::{all, code, duplicates, reset_stats, set_faults, state, stats, ORG};
use qpol::emulator::{Config, FaultSpec, Handle};
use run::{stderr, stdout};
use serde_json::{json, Value};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

live_bin::keyed!("QPOLSECRET-recovery-key-0123456789", Some(3));

fn spawn(e: &Handle, args: &[&str]) -> Child {
    cmd(e, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Apply until it exits 0 (at most `max` rounds); the rounds it took.
fn converge(e: &Handle, policy: &str, max: usize) -> usize {
    for round in 1..=max {
        let apply = qpol(e, &["apply", policy, "--yes"]);
        if code(&apply) == 0 {
            return round;
        }
        assert_eq!(code(&apply), 1, "{}", all(&apply));
    }
    panic!("no convergence in {max} rounds");
}

/// The account matches the policy and holds nothing twice.
fn assert_converged(e: &Handle, policy: &str) {
    let plan = qpol(e, &["plan", policy]);
    assert_eq!(code(&plan), 0, "{}", all(&plan));
    let s = state(e);
    assert_eq!(duplicates(&s), Vec::<String>::new(), "{s}");
    assert_eq!(s["resource_instances"].as_object().unwrap().len(), 4);
    assert_eq!(s["access_groups"].as_object().unwrap().len(), 2);
    assert_eq!(s["policies"].as_object().unwrap().len(), 4);
}

/// SplitMix64: the kill points come from a fixed seed.
fn next(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut x = *seed;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

const SLOW: &str = "latency:40ms";
const KILL_ARGS: [&str; 5] = ["apply", ORG, "--yes", "--parallelism", "2"];

#[test]
fn kill_9_at_ten_random_points_then_apply_converges_without_duplicates() {
    // How long a whole apply takes, and when its first write goes out
    // (startup and reads come first): kill points fall between the two.
    let e = emulator(SLOW, 100);
    let t = Instant::now();
    let child = spawn(&e, &KILL_ARGS);
    while stats(&e)["writes"] == 0 && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(2));
    }
    // The first write was sent one latency earlier.
    let first_write = (t.elapsed().as_millis() as u64).saturating_sub(40);
    let whole = finish(child);
    assert_eq!(code(&whole), 0, "{}", all(&whole));
    let duration = t.elapsed().as_millis() as u64;
    drop(e);

    let mut seed = 13;
    let mut report = Vec::new();
    for point in 0..10u64 {
        let e = emulator(SLOW, 200 + point);
        let delay = first_write + next(&mut seed) % (duration - first_write).max(1);
        let mut child = spawn(&e, &KILL_ARGS);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let writes_before = stats(&e)["writes"].as_u64().unwrap();
        // A request the emulator was answering lands before the next run
        // reads (IBM too finishes what it received).
        std::thread::sleep(Duration::from_millis(300));
        set_faults(&e, "");
        let rounds = converge(&e, ORG, 3);
        assert_converged(&e, ORG);
        reset_stats(&e);
        let again = qpol(&e, &["apply", ORG, "--yes"]);
        assert_eq!(code(&again), 0, "{}", all(&again));
        assert_eq!(stats(&e)["writes"], 0, "a converged apply wrote");
        report.push(format!(
            "kill at {delay} ms of {duration} (writes from {first_write}): {writes_before} writes before, {rounds} round(s)"
        ));
        assert_eq!(rounds, 1, "{report:?}");
    }
    eprintln!("{}", report.join("\n"));
}

/// Wait until the emulator has done `n` writes (at most 20 s).
fn wait_for_writes(e: &Handle, n: u64) {
    let start = Instant::now();
    while stats(e)["writes"].as_u64().unwrap() < n {
        assert!(start.elapsed() < Duration::from_secs(20), "no writes");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn finish(child: Child) -> Output {
    child.wait_with_output().unwrap()
}

#[test]
fn ctrl_c_during_apply_says_what_was_done_and_the_next_apply_finishes() {
    let e = emulator("latency:100ms", 11);
    let child = spawn(&e, &["apply", ORG, "--yes", "--parallelism", "1"]);
    wait_for_writes(&e, 3);
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = finish(child);
    assert_eq!(code(&out), 130, "{}", all(&out));
    let err = stderr(&out);
    assert!(
        regex::Regex::new(r"interrupted: [1-9][0-9]* of 15 requests were done")
            .unwrap()
            .is_match(&err),
        "{err}"
    );
    assert!(!err.contains("nothing was written"), "{err}");
    assert!(err.contains("run `qpol apply` again"), "{err}");
    std::thread::sleep(Duration::from_millis(300));
    set_faults(&e, "");
    assert_eq!(converge(&e, ORG, 1), 1);
    assert_converged(&e, ORG);
}

#[test]
fn emulator_gone_mid_apply_exits_1_with_what_was_done_and_what_was_not() {
    let e = emulator("latency:100ms", 12);
    let child = spawn(&e, &["apply", ORG, "--yes", "--parallelism", "1"]);
    wait_for_writes(&e, 3);
    drop(e); // the emulator stops: every connection is refused
    let out = finish(child);
    assert_eq!(code(&out), 1, "{}", all(&out));
    let text = stdout(&out);
    assert!(
        regex::Regex::new(r"Applied [1-9][0-9]* of 15 requests")
            .unwrap()
            .is_match(&text),
        "{text}"
    );
    assert!(text.contains("cannot connect"), "{text}");
    assert!(text.contains("not run: "), "{text}");
    assert!(text.contains("Run `qpol apply` again"), "{text}");
}

#[test]
fn network_down_mid_apply_then_back_the_next_apply_finishes_the_job() {
    let e = emulator("latency:100ms", 13);
    let child = spawn(&e, &["apply", ORG, "--yes", "--parallelism", "4"]);
    wait_for_writes(&e, 3);
    set_faults(&e, "drop:1.0");
    let out = finish(child);
    assert_eq!(code(&out), 1, "{}", all(&out));
    let text = stdout(&out);
    assert!(text.contains("error: "), "{text}");
    assert!(text.contains("Run `qpol apply` again"), "{text}");
    set_faults(&e, "");
    assert_eq!(converge(&e, ORG, 1), 1);
    assert_converged(&e, ORG);
}

#[test]
fn an_update_whose_object_changed_after_the_plan_is_412_and_nothing_is_overwritten() {
    let e = emulator("", 14);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let saved = saved.to_str().unwrap();
    assert_eq!(code(&qpol(&e, &["plan", ORG, "-o", saved])), 3);
    let plan: Value = serde_json::from_slice(&std::fs::read(saved).unwrap()).unwrap();
    let with_etag = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["requests"].as_array().unwrap())
        .filter(|r| r["etag"].is_string())
        .count();
    assert_eq!(
        with_etag, 1,
        "the identity settings update carries its ETag"
    );
    let before = state(&e)["identity_settings"].clone();
    // Every If-Match now meets an object changed by hand.
    set_faults(&e, "stale:1.0");
    let apply = qpol(&e, &["apply", saved, "--yes"]);
    assert_eq!(code(&apply), 1, "{}", all(&apply));
    let text = stdout(&apply);
    assert!(text.contains("Applied 14 of 15 requests."), "{text}");
    assert!(text.contains("answered 412"), "{text}");
    assert!(text.contains("changed by hand since the plan"), "{text}");
    assert_eq!(state(&e)["identity_settings"], before, "overwritten");
    assert_eq!(
        stats(&e)["faults_injected"]["stale"],
        1,
        "a 412 is not retried"
    );
    set_faults(&e, "");
    // The saved plan is now stale; a new plan finishes the job.
    let stale = qpol(&e, &["apply", saved, "--yes"]);
    assert_eq!(code(&stale), 1);
    assert!(stderr(&stale).contains("plan is stale"), "{}", all(&stale));
    assert_eq!(converge(&e, ORG, 1), 1);
    assert_converged(&e, ORG);
}

/// Fill the account with `n` access groups made by hand.
fn groups_by_hand(e: &Handle, n: usize) {
    let c = em::Client::login(e);
    for i in 0..n {
        c.created(
            &em::group_path(),
            json!({"name": format!("by-hand-{i:03}")}),
        );
    }
}

/// The seed policy with `extra` in its account block.
fn org_with(dir: &std::path::Path, extra: &str) -> String {
    let text = std::fs::read_to_string(ORG)
        .unwrap()
        .replace("account {\n", &format!("account {{\n  {extra}\n"));
    let path = dir.join("org.qpol");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_400_names_the_request_ibms_error_and_the_policy_line() {
    let e = emulator("", 15);
    groups_by_hand(&e, 499);
    // The policy says IBM raised the limit; the account says otherwise.
    let dir = tempfile::tempdir().unwrap();
    let policy = org_with(dir.path(), "limits { access_groups 600; }");
    let apply = qpol(&e, &["apply", &policy, "--yes", "--parallelism", "1"]);
    assert_eq!(code(&apply), 1, "{}", all(&apply));
    let trace = regex::Regex::new(r"\(trace [^)]*\)").unwrap();
    let text = stdout(&apply)
        .replace(dir.path().to_str().unwrap(), "DIR")
        .replace(&e.url(), "http://EMULATOR");
    let text = trace.replace_all(&text, "(trace TRACE)");
    let report: String = text
        .lines()
        .skip_while(|l| !l.starts_with("Applied"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(report);
    assert!(report.contains("POST https://iam.cloud.ibm.com/v2/groups?account_id="));
    assert!(report.contains("limit_exceeded"));
    assert!(report.contains("--> DIR/org.qpol:"));
}

#[test]
fn an_account_limit_is_reported_before_anything_is_sent() {
    let e = emulator("", 16);
    groups_by_hand(&e, 499);
    reset_stats(&e);
    let plan = qpol(&e, &["plan", ORG]);
    assert_eq!(code(&plan), 1, "{}", all(&plan));
    assert!(stderr(&plan).contains("Q601"), "{}", all(&plan));
    assert!(
        stderr(&plan).contains("501 access groups after this plan (499 now, 2 created"),
        "{}",
        all(&plan)
    );
    let apply = qpol(&e, &["apply", ORG, "--yes"]);
    assert_eq!(code(&apply), 1, "{}", all(&apply));
    assert!(stderr(&apply).contains("Q601"), "{}", all(&apply));
    assert_eq!(stats(&e)["writes"], 0, "{}", stats(&e));
    assert_eq!(state(&e)["access_groups"].as_object().unwrap().len(), 499);
}

#[test]
fn a_wrong_key_is_one_clear_error_naming_the_fix_and_one_request() {
    let e = emulator("", 17);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "QPOLSECRET-wrong\n").unwrap();
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    for args in [
        vec!["apply", ORG, "--yes"],
        vec![
            "apply",
            ORG,
            "--yes",
            "--api-key-file",
            key.to_str().unwrap(),
        ],
    ] {
        reset_stats(&e);
        let mut c = cmd(&e, &args);
        c.env("IBMCLOUD_API_KEY", "QPOLSECRET-wrong-too");
        let out = c.output().unwrap();
        assert_eq!(code(&out), 2, "{}", all(&out));
        let err = stderr(&out);
        assert!(err.contains("IAM refused the API key"), "{err}");
        assert!(err.contains("IBMCLOUD_API_KEY"), "{err}");
        assert!(err.contains("--api-key-file"), "{err}");
        assert_eq!(err.matches("error").count(), 1, "one error: {err}");
        assert!(!all(&out).contains("QPOLSECRET"), "{err}");
        assert_eq!(stats(&e)["requests"], 1, "a retry storm: {}", stats(&e));
    }
}

#[test]
fn a_token_that_expires_mid_apply_is_refreshed_without_a_storm() {
    let e = start(Config {
        api_keys: vec![KEY.to_string()],
        faults: FaultSpec::parse("latency:40ms").unwrap(),
        seed: 18,
        page_size: 3,
        token_ttl: Duration::from_secs(1),
        ..Config::default()
    });
    let t = Instant::now();
    let apply = qpol(&e, &["apply", ORG, "--yes", "--parallelism", "1"]);
    assert_eq!(code(&apply), 0, "{}", all(&apply));
    assert!(
        t.elapsed() > Duration::from_secs(1),
        "the token did not expire"
    );
    let s = stats(&e);
    let by = &s["by_method"];
    let n = |m: &str| by[m].as_u64().unwrap_or(0);
    // Every POST and PUT succeeded: those that did not write were token
    // exchanges.
    let tokens = n("POST") + n("PUT") - s["writes"].as_u64().unwrap();
    let sent = s["requests"].as_u64().unwrap() - tokens;
    assert!(tokens >= 2, "never refreshed: {s}");
    assert!(
        tokens * 3 < sent,
        "{tokens} tokens for {sent} requests: {s}"
    );
    set_faults(&e, "");
    assert_converged(&e, ORG);
}
