//! `qpol apply -`: standard input holds a saved plan (`qpol plan POLICY
//! -o - | qpol apply --yes -`) or a policy, read once. The binary against
//! the emulator, in-process on a free port.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/emulator.rs"]
mod emulator_support;
#[path = "support/live_bin.rs"]
#[allow(dead_code)]
mod live_bin;
#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;

use live_bin::{all, code, reset_stats, state, stats, ORG};
use qpol::emulator::Handle;
use run::{run_with_input, stderr};
use serde_json::Value;
use std::process::Output;

live_bin::keyed!("QPOLSECRET-stdin-key-0123456789", Some(3));

/// `qpol ARGS` with `input` on its standard input.
fn piped(e: &Handle, args: &[&str], input: &str) -> Output {
    run_with_input(&mut cmd(e, args), input)
}

/// The groups of the account, by name.
fn group_names(e: &Handle) -> Vec<String> {
    let mut names: Vec<String> = state(e)["access_groups"]
        .as_object()
        .unwrap()
        .values()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn a_plan_piped_into_apply_is_applied_and_the_account_converges() {
    let e = emulator("", 1);
    let plan = qpol(&e, &["plan", ORG, "-o", "-"]);
    assert_eq!(code(&plan), 3, "{}", all(&plan));
    let saved = String::from_utf8(plan.stdout.clone()).unwrap();
    let apply = piped(&e, &["apply", "--yes", "-"], &saved);
    assert_eq!(code(&apply), 0, "{}", all(&apply));
    assert!(
        all(&apply).contains("Applied 15 of 15 requests"),
        "{}",
        all(&apply)
    );
    assert!(group_names(&e).len() > 1, "{:?}", group_names(&e));
    // The same plan again is stale: the account changed since it was made.
    reset_stats(&e);
    let again = piped(&e, &["apply", "--yes", "-"], &saved);
    assert_eq!(code(&again), 1, "{}", all(&again));
    assert!(stderr(&again).contains("stale"), "{}", all(&again));
    assert_eq!(stats(&e)["writes"], 0, "a stale plan wrote");
}

#[test]
fn a_policy_on_standard_input_is_applied_like_a_file() {
    let e = emulator("", 2);
    let policy = std::fs::read_to_string(ORG).unwrap();
    let apply = piped(&e, &["apply", "--yes", "-"], &policy);
    assert_eq!(code(&apply), 0, "{}", all(&apply));
    let applied = group_names(&e);
    // The account now matches the file's plan: nothing left to do.
    let plan = qpol(&e, &["plan", ORG]);
    assert_eq!(code(&plan), 0, "{}", all(&plan));
    assert_eq!(group_names(&e), applied);
    // Without --yes, off a terminal: nothing is sent.
    reset_stats(&e);
    let asked = piped(
        &e,
        &["apply", "-"],
        &policy.replace("session 12h", "session 24h"),
    );
    assert_eq!(code(&asked), 2, "{}", all(&asked));
    assert!(stderr(&asked).contains("without --yes"), "{}", all(&asked));
    assert_eq!(stats(&e)["writes"], 0);
}

#[test]
fn an_edited_or_broken_plan_on_standard_input_is_refused_and_nothing_is_sent() {
    let e = emulator("", 3);
    let plan = qpol(&e, &["plan", ORG, "-o", "-"]);
    let mut saved: Value = serde_json::from_slice(&plan.stdout).unwrap();
    saved.pointer_mut("/actions/0/requests/0").unwrap()["url"] =
        "https://evil.example.com/v2/groups".into();
    let edited = serde_json::to_string(&saved).unwrap();
    let apply = piped(&e, &["apply", "--yes", "-"], &edited);
    assert_eq!(code(&apply), 1, "{}", all(&apply));
    assert!(
        stderr(&apply).contains("does not match what its policy plans"),
        "{}",
        all(&apply)
    );
    // JSON that is no plan: the error names standard input and a line.
    let broken = piped(&e, &["apply", "--yes", "-"], "{\"format\": 3");
    assert_eq!(code(&broken), 2, "{}", all(&broken));
    assert!(
        stderr(&broken).contains("`-` is not a saved plan (line 1"),
        "{}",
        all(&broken)
    );
    assert_eq!(stats(&e)["writes"], 0);
    assert_eq!(group_names(&e), Vec::<String>::new());
}

#[test]
fn empty_standard_input_is_refused_and_a_plan_after_a_byte_order_mark_is_a_plan() {
    let e = emulator("", 4);
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    let applied = group_names(&e);
    // `qpol plan ... -o - | qpol apply --yes -` whose plan failed: an empty
    // policy would delete everything qpol manages, the account named.
    reset_stats(&e);
    for empty in ["", " \n\t\n", "\u{FEFF}\n"] {
        let args = [
            "apply",
            "--yes",
            "--account",
            emulator_support::ACCOUNT,
            "-",
        ];
        let apply = piped(&e, &args, empty);
        assert_eq!(code(&apply), 2, "{}", all(&apply));
        assert!(
            stderr(&apply).contains("standard input is empty"),
            "{}",
            all(&apply)
        );
    }
    assert_eq!(stats(&e)["requests"], 0, "refused before anything is read");
    assert_eq!(group_names(&e), applied);
    // A saved plan with a byte order mark (an editor saved it) is a plan.
    let policy = std::fs::read_to_string(ORG)
        .unwrap()
        .replace("session 12h", "session 24h");
    let dir = tempfile::tempdir().unwrap();
    let changed = dir.path().join("org.qpol");
    std::fs::write(&changed, policy).unwrap();
    let plan = qpol(&e, &["plan", changed.to_str().unwrap(), "-o", "-"]);
    assert_eq!(code(&plan), 3, "{}", all(&plan));
    let with_bom = format!("\u{FEFF}{}", String::from_utf8(plan.stdout).unwrap());
    let apply = piped(&e, &["apply", "--yes", "-"], &with_bom);
    assert_eq!(code(&apply), 0, "{}", all(&apply));
    assert!(
        all(&apply).contains("Applied 2 of 2 requests"),
        "{}",
        all(&apply)
    );
}
