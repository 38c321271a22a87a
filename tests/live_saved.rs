//! Saved plans, the files the live commands read and write, and what they
//! print (issue 13, a hostile user's round): `apply plan.json` sends only
//! what its policy plans, `plan -o` spares the policy, key files and plans
//! are read with a bound, live names print inert, `-o -`, `--format json`,
//! a declined prompt, the hints after a failed saved plan. The
//! binary against the emulator, in-process on a free port.

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
use live_bin::{all, code, reset_stats, set_faults, state, stats, ORG};
use qpol::emulator::Handle;
use run::{stderr, stdout};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Output, Stdio};

live_bin::keyed!("QPOLSECRET-saved-key-0123456789", Some(3));

fn group_names(e: &Handle) -> Vec<String> {
    let s = state(e);
    s["access_groups"]
        .as_object()
        .unwrap()
        .values()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect()
}

/// The seed policy with a 24 h session (one update to plan once applied).
fn changed_policy(dir: &Path) -> String {
    let file = dir.join("org.qpol");
    let text = std::fs::read_to_string(ORG)
        .unwrap()
        .replace("session 12h", "session 24h");
    std::fs::write(&file, text).unwrap();
    file.to_str().unwrap().to_string()
}

/// Save the plan of `policy` in `dir/plan.json`; its path and JSON.
fn save_plan(e: &Handle, dir: &Path, policy: &str) -> (String, Value) {
    let saved = dir.join("plan.json").to_str().unwrap().to_string();
    let plan = qpol(e, &["plan", policy, "-o", &saved]);
    assert_eq!(code(&plan), 3, "{}", all(&plan));
    let json = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    (saved, json)
}

fn write_json(path: &Path, value: &Value) -> String {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn an_edited_saved_plan_is_refused_whole_and_nothing_is_sent() {
    let e = emulator("", 1);
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    let hand = em::Client::login(&e).created(
        &em::group_path(),
        json!({"name": "hand-made-admins", "description": "by hand"}),
    );
    let dir = tempfile::tempdir().unwrap();
    let policy = changed_policy(dir.path());
    let (_, plan) = save_plan(&e, dir.path(), &policy);
    assert_eq!(plan["sources"][0]["path"], policy.as_str());
    assert!(plan["sources"][0]["text"]
        .as_str()
        .unwrap()
        .contains("session 24h"));

    // The hostile user's edits: a delete of a group qpol never made,
    // another host, a `..` path, another method, an ETag with a line
    // break, a value of `known` that redirects an update.
    let first = "/actions/0/requests/0";
    let edits: Vec<(&str, Value)> = vec![
        ("method", json!("DELETE")),
        (
            "url",
            json!(format!(
                "https://iam.cloud.ibm.com/v2/groups/{}?force=true",
                hand["id"].as_str().unwrap()
            )),
        ),
        ("url", json!("https://evil.example.com/x")),
        (
            "url",
            json!("https://iam.cloud.ibm.com/v2/roles/../../_emulator/faults"),
        ),
        ("method", json!("FOO")),
        ("etag", json!("W/\"1\"\r\nX-Evil: 1")),
    ];
    reset_stats(&e);
    for (i, (field, value)) in edits.iter().enumerate() {
        let mut edited = plan.clone();
        edited.pointer_mut(first).unwrap()[*field] = value.clone();
        let file = write_json(&dir.path().join(format!("edited-{i}.json")), &edited);
        let apply = qpol(&e, &["apply", &file, "--yes"]);
        assert_eq!(code(&apply), 1, "{field}: {}", all(&apply));
        assert!(
            stderr(&apply).contains("does not match what its policy plans"),
            "{field}: {}",
            all(&apply)
        );
        assert!(
            stderr(&apply).contains("nothing was sent"),
            "{}",
            all(&apply)
        );
        assert!(
            stderr(&apply).contains(&format!("run `qpol plan {policy} -o {file}` again")),
            "{}",
            all(&apply)
        );
    }
    let mut known = plan.clone();
    let group = known["known"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .find(|v| v.get("id").is_some())
        .unwrap();
    group["id"] = hand["id"].clone();
    let file = write_json(&dir.path().join("known.json"), &known);
    assert_eq!(code(&qpol(&e, &["apply", &file, "--yes"])), 1);
    assert_eq!(stats(&e)["writes"], 0, "an edited plan wrote");
    assert!(group_names(&e).contains(&"hand-made-admins".to_string()));

    // A plan saved without its sources (an older qpol) is refused, before
    // anything is read.
    let mut old = plan.clone();
    old.as_object_mut().unwrap().remove("sources");
    let file = write_json(&dir.path().join("old.json"), &old);
    reset_stats(&e);
    let apply = qpol(&e, &["apply", &file, "--yes"]);
    assert_eq!(code(&apply), 1, "{}", all(&apply));
    assert!(
        stderr(&apply).contains("holds no policy sources"),
        "{}",
        all(&apply)
    );
    assert_eq!(stats(&e)["requests"], 0);

    // The plan as saved applies.
    let saved = write_json(&dir.path().join("as-saved.json"), &plan);
    let apply = qpol(&e, &["apply", &saved, "--yes"]);
    assert_eq!(code(&apply), 0, "{}", all(&apply));
    assert!(
        stdout(&apply).contains("Applied 2 of 2 requests."),
        "{}",
        all(&apply)
    );
}

#[test]
fn plan_o_spares_the_policy_and_qpol_files_and_dash_is_stdout() {
    let e = emulator("", 2);
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("org.qpol");
    std::fs::copy(ORG, &policy).unwrap();
    let before = std::fs::read(&policy).unwrap();
    let p = policy.to_str().unwrap();
    let link = dir.path().join("link");
    std::fs::hard_link(&policy, &link).unwrap();
    for (out, says) in [
        (p, "it is the policy file"),
        (link.to_str().unwrap(), "it is the policy file"),
        (
            dir.path().join("other.qpol").to_str().unwrap(),
            "a `*.qpol` file would be read as policy",
        ),
    ] {
        let plan = qpol(&e, &["plan", p, "-o", out]);
        assert_eq!(code(&plan), 2, "{}", all(&plan));
        assert!(stderr(&plan).contains(says), "{}", all(&plan));
    }
    // A folder policy: none of its files either.
    let folder = dir.path().to_str().unwrap();
    let plan = qpol(&e, &["plan", folder, "-o", p]);
    assert_eq!(code(&plan), 2, "{}", all(&plan));
    assert_eq!(std::fs::read(&policy).unwrap(), before);
    assert!(!dir.path().join("other.qpol").exists());
    assert_eq!(stats(&e)["requests"], 0, "refused before anything is read");

    // `-o -`: the saved plan on stdout, the plan for people on stderr.
    let plan = qpol(&e, &["plan", p, "-o", "-"]);
    assert_eq!(code(&plan), 3, "{}", all(&plan));
    assert!(!dir.path().join("-").exists());
    let saved: Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(saved["format"], "qpol-live-plan/1");
    assert_eq!(saved["sources"][0]["path"], p);
    assert!(
        stderr(&plan).contains("Plan: 14 to create"),
        "{}",
        all(&plan)
    );
    let file = write_json(&dir.path().join("from-stdout.json"), &saved);
    let apply = qpol(&e, &["apply", &file, "--yes"]);
    assert_eq!(code(&apply), 0, "{}", all(&apply));

    // With --format json the report goes to stderr, stdout stays the plan.
    let plan = qpol(&e, &["plan", p, "-o", "-", "--format", "json"]);
    assert_eq!(code(&plan), 0, "{}", all(&plan));
    let saved: Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(saved["actions"], json!([]));
    let report: Value = serde_json::from_slice(&plan.stderr).unwrap();
    assert_eq!(report["output"], "-");
}

#[test]
fn key_files_and_saved_plans_are_read_with_a_bound() {
    let e = emulator("", 3);
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big-key");
    std::fs::write(&big, "k".repeat(5000)).unwrap();
    for file in [big.to_str().unwrap(), "/dev/zero", "/dev/urandom"] {
        let plan = qpol(&e, &["plan", ORG, "--api-key-file", file]);
        assert_eq!(code(&plan), 2, "{file}: {}", all(&plan));
        assert!(
            stderr(&plan).contains("larger than 4 KiB, not a key file"),
            "{}",
            all(&plan)
        );
    }
    // Spaces after the key are trimmed, as a line end is.
    let spaced = dir.path().join("spaced-key");
    std::fs::write(&spaced, format!("{KEY}  \t\r\n")).unwrap();
    let plan = qpol(
        &e,
        &["plan", ORG, "--api-key-file", spaced.to_str().unwrap()],
    );
    assert_eq!(code(&plan), 3, "{}", all(&plan));

    // A saved plan is no larger than a policy may be; a device is refused.
    let (saved, _) = save_plan(&e, dir.path(), ORG);
    let apply = cmd(&e, &["apply", &saved, "--yes"])
        .env("QPOL_MAX_INPUT_BYTES", "1000")
        .output()
        .unwrap();
    assert_eq!(code(&apply), 2, "{}", all(&apply));
    assert!(
        stderr(&apply).contains("larger than 1000 bytes"),
        "{}",
        all(&apply)
    );
    let apply = qpol(&e, &["apply", "/dev/zero", "--yes"]);
    assert_eq!(code(&apply), 2, "{}", all(&apply));
    assert!(
        stderr(&apply).contains("a character device"),
        "{}",
        all(&apply)
    );
}

#[cfg(unix)]
#[test]
fn a_key_variable_that_is_not_one_line_of_text_is_named() {
    use std::os::unix::ffi::OsStrExt;
    let e = emulator("", 4);
    let bad = std::ffi::OsStr::from_bytes(b"\xffQPOLSECRET");
    let plan = cmd(&e, &["plan", ORG])
        .env("IBMCLOUD_API_KEY", bad)
        .output()
        .unwrap();
    assert_eq!(code(&plan), 2);
    assert!(
        stderr(&plan).contains("IBMCLOUD_API_KEY is not UTF-8 text"),
        "{}",
        all(&plan)
    );
    let plan = cmd(&e, &["plan", ORG])
        .env("IBMCLOUD_API_KEY", format!("{KEY}\nQPOLSECRET-second-line"))
        .output()
        .unwrap();
    assert_eq!(code(&plan), 2);
    assert!(
        stderr(&plan).contains("IBMCLOUD_API_KEY holds more than one line"),
        "{}",
        all(&plan)
    );
    assert!(!all(&plan).contains("QPOLSECRET"));
    assert_eq!(stats(&e)["requests"], 0, "the key was sent");
}

#[test]
fn live_names_print_inert_in_apply_progress_and_summary() {
    let e = emulator("", 5);
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    let c = em::Client::login(&e);
    for name in [
        "evil\u{1b}[2J\u{1b}]0;pwned-title\u{7}",
        "evil\n[9/9] done FORGED LINE",
    ] {
        c.created(
            &em::group_path(),
            json!({"name": name, "description": "x [qpol]"}),
        );
    }
    let apply = qpol(&e, &["apply", ORG, "--yes", "--color", "never"]);
    assert_eq!(code(&apply), 0, "{}", all(&apply));
    let text = all(&apply);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(!text.contains('\u{7}'), "{text:?}");
    assert!(!text.contains("\n[9/9] done FORGED"), "{text}");
    assert!(
        text.contains("delete.access_group.evil\\u{1B}[2J"),
        "{text}"
    );
    assert!(text.contains("evil\\u{A}[9/9] done FORGED LINE"), "{text}");
}

/// The keys of a JSON document, sorted.
fn keys(doc: &Value) -> Vec<String> {
    let mut k: Vec<String> = doc.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn apply_json_is_one_document_with_the_same_keys_whatever_happens() {
    let e = emulator("", 7);
    let dir = tempfile::tempdir().unwrap();
    let (saved, _) = save_plan(&e, dir.path(), ORG);
    let done = qpol(&e, &["apply", ORG, "--yes", "--format", "json"]);
    assert_eq!(code(&done), 0, "{}", all(&done));
    let done: Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(done["done"].as_array().unwrap().len(), 15);
    let expected = [
        "diagnostics",
        "done",
        "errors",
        "failed",
        "io_errors",
        "not_run",
        "notes",
        "plan",
        "refused",
        "warnings",
    ];
    assert_eq!(keys(&done), expected);
    assert_eq!(done["notes"], 2, "the policy's notes are in it");

    let stale = qpol(&e, &["apply", &saved, "--yes", "--format", "json"]);
    assert_eq!(code(&stale), 1, "{}", all(&stale));
    let stale: Value = serde_json::from_slice(&stale.stdout).unwrap();
    assert_eq!(keys(&stale), expected);
    assert!(stale["refused"]
        .as_str()
        .unwrap()
        .starts_with("plan is stale"));

    let unchanged = qpol(&e, &["apply", ORG, "--yes", "--format", "json"]);
    assert_eq!(code(&unchanged), 0);
    assert_eq!(
        keys(&serde_json::from_slice(&unchanged.stdout).unwrap()),
        expected
    );

    let no_key = cmd(&e, &["apply", ORG, "--yes", "--format", "json"])
        .env_remove("IBMCLOUD_API_KEY")
        .output()
        .unwrap();
    assert_eq!(code(&no_key), 2);
    let no_key: Value = serde_json::from_slice(&no_key.stdout).unwrap();
    assert_eq!(keys(&no_key), expected);

    let moved = moved_policy(dir.path());
    let refused = qpol(&e, &["apply", &moved, "--yes", "--format", "json"]);
    assert_eq!(code(&refused), 1, "{}", all(&refused));
    let refused: Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(keys(&refused), expected);
    assert_eq!(refused["errors"], 1);
}

/// The seed policy with `QR-ml` moved to eu-de (refused: Q301).
fn moved_policy(dir: &Path) -> String {
    let file = dir.join("moved.qpol");
    let text = std::fs::read_to_string(ORG).unwrap().replace(
        "instance QR-ml { plan standard; region us-east",
        "instance QR-ml { plan standard; region eu-de",
    );
    std::fs::write(&file, text).unwrap();
    file.to_str().unwrap().to_string()
}

#[test]
fn a_plan_refused_by_findings_does_not_say_no_changes() {
    let e = emulator("", 8);
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    let dir = tempfile::tempdir().unwrap();
    let plan = qpol(&e, &["plan", &moved_policy(dir.path())]);
    assert_eq!(code(&plan), 1, "{}", all(&plan));
    assert!(stderr(&plan).contains("Q301"), "{}", all(&plan));
    assert!(!stdout(&plan).contains("No changes"), "{}", all(&plan));
    assert!(
        stdout(&plan).contains("Plan refused: the errors below must be fixed first"),
        "{}",
        all(&plan)
    );
}

#[test]
fn a_failed_saved_plan_says_to_plan_again_not_to_apply_it_again() {
    let e = emulator("", 9);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    let policy = changed_policy(dir.path());
    let (saved, _) = save_plan(&e, dir.path(), &policy);
    // Every If-Match now meets an object changed by hand.
    set_faults(&e, "stale:1.0");
    let apply = qpol(&e, &["apply", &saved, "--yes"]);
    assert_eq!(code(&apply), 1, "{}", all(&apply));
    let text = stdout(&apply);
    assert!(text.contains("answered 412"), "{text}");
    assert!(!text.contains("Run `qpol apply` again"), "{text}");
    assert!(
        text.contains(&format!(
            "The saved plan is stale now: once the cause is fixed, run `qpol plan {policy} -o {saved}` again"
        )),
        "{text}"
    );
}

#[test]
fn ctrl_c_of_a_saved_plan_says_to_plan_again() {
    let e = emulator("latency:100ms", 10);
    let dir = tempfile::tempdir().unwrap();
    let (saved, _) = save_plan(&e, dir.path(), ORG);
    let child = cmd(&e, &["apply", &saved, "--yes", "--parallelism", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while stats(&e)["writes"].as_u64().unwrap() < 2 {
        assert!(start.elapsed().as_secs() < 20, "no writes");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 130, "{}", all(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the saved plan is stale now: run `qpol plan policies/org.qpol -o "),
        "{err}"
    );
    assert!(!err.contains("run `qpol apply` again"), "{err}");
}

/// Run qpol with a terminal as its standard input, `input` typed on it.
fn on_a_terminal(e: &Handle, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "no pty");
    let mut master = unsafe { std::fs::File::from_raw_fd(master) };
    let slave = unsafe { std::fs::File::from_raw_fd(slave) };
    let child = cmd(e, args)
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    master.write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    drop(master);
    out
}

#[test]
fn declining_the_prompt_exits_1_and_sends_nothing() {
    let e = emulator("", 11);
    let apply = on_a_terminal(&e, &["apply", ORG], "no\n");
    assert_eq!(code(&apply), 1, "{}", all(&apply));
    assert!(
        stderr(&apply).contains("Only `yes` applies"),
        "{}",
        all(&apply)
    );
    assert!(
        stderr(&apply).contains("Apply cancelled: nothing was sent."),
        "{}",
        all(&apply)
    );
    assert_eq!(stats(&e)["writes"], 0);
}

#[test]
fn plan_and_import_keep_to_their_parallelism() {
    let e = emulator("latency:10ms", 41);
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    for parallelism in ["1", "3"] {
        reset_stats(&e);
        let plan = qpol(&e, &["plan", ORG, "--parallelism", parallelism]);
        assert_eq!(code(&plan), 0, "{}", all(&plan));
        let max = stats(&e)["max_in_flight"].as_u64().unwrap();
        assert!(
            max >= 1 && max <= parallelism.parse().unwrap(),
            "plan --parallelism {parallelism}: {max} in flight"
        );
        let dir = tempfile::tempdir().unwrap();
        reset_stats(&e);
        let out = dir.path().to_str().unwrap();
        let account = qpol::emulator::DEFAULT_ACCOUNT;
        let import = qpol(
            &e,
            &[
                "import",
                "--account",
                account,
                "-o",
                out,
                "--parallelism",
                parallelism,
            ],
        );
        assert_eq!(code(&import), 0, "{}", all(&import));
        let max = stats(&e)["max_in_flight"].as_u64().unwrap();
        assert!(
            max >= 1 && max <= parallelism.parse().unwrap(),
            "import --parallelism {parallelism}: {max} in flight"
        );
    }
    let refused = qpol(&e, &["plan", ORG, "--parallelism", "0"]);
    assert_eq!(code(&refused), 2, "{}", all(&refused));
}

#[test]
fn apply_shows_what_changes_for_whom_computed_again_never_the_saved_claim() {
    let e = emulator("", 42);
    let dir = tempfile::tempdir().unwrap();
    let (_, mut plan) = save_plan(&e, dir.path(), ORG);
    assert!(plan["access"].is_object(), "{}", plan["access"]);
    // A forged claim: nobody gains anything.
    plan["access"] = json!({"users": [], "rules": [], "sets": []});
    let forged = write_json(&dir.path().join("forged.json"), &plan);
    let apply = qpol(&e, &["apply", &forged, "--yes"]);
    assert_eq!(code(&apply), 0, "{}", all(&apply));
    let text = stdout(&apply);
    assert!(
        text.contains("Access changes: 3 users gain access"),
        "{text}"
    );
    // And `apply POLICY` shows it too (nothing left to do: no section).
    let again = qpol(&e, &["apply", ORG, "--yes"]);
    assert_eq!(code(&again), 0, "{}", all(&again));
    assert!(
        !stdout(&again).contains("Access changes"),
        "{}",
        all(&again)
    );
}

#[test]
fn import_beside_other_policies_says_check_reads_them_together() {
    let e = emulator("", 43);
    assert_eq!(code(&qpol(&e, &["apply", ORG, "--yes"])), 0);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.qpol"), "resource_group quantum;\n").unwrap();
    let out = dir.path().to_str().unwrap();
    let account = qpol::emulator::DEFAULT_ACCOUNT;
    let import = qpol(&e, &["import", "--account", account, "-o", out]);
    assert_eq!(code(&import), 0, "{}", all(&import));
    assert!(
        stderr(&import).contains("holds other *.qpol files (`old.qpol`)"),
        "{}",
        all(&import)
    );
}
