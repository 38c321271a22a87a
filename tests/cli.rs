//! The `qpol` binary as a user runs it: exit codes, output formats, folders,
//! `fmt` in place and `--check`, `explain`, `--baseline`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::run::{qpol, qpol_in, stderr, stdout};

use std::path::Path;

#[test]
fn exit_codes() {
    assert_eq!(qpol(&["check", "policies/org.qpol"]).status.code(), Some(0));
    assert_eq!(
        qpol(&["check", "tests/fixtures/err/syntax_errors.qpol"])
            .status
            .code(),
        Some(1)
    );
    // Warnings alone pass, unless denied.
    assert_eq!(
        qpol(&["check", "tests/fixtures/err/overlap_covered.qpol"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        qpol(&[
            "check",
            "--deny",
            "warnings",
            "tests/fixtures/err/overlap_covered.qpol"
        ])
        .status
        .code(),
        Some(1)
    );
    // Usage and I/O errors.
    let missing = qpol(&["check", "no/such/file.qpol"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no/such/file.qpol"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(qpol(&["check"]).status.code(), Some(2));
    assert_eq!(qpol(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        qpol(&["check", "--format", "xml", "policies/org.qpol"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        qpol(&["check", "tests/fixtures/baseline/../../fixtures"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn json_output_is_stable_and_complete() {
    let out = qpol(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/err/undefined_names.qpol",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["errors"], 10);
    let first = &doc["diagnostics"][0];
    assert_eq!(first["code"], "Q101");
    assert_eq!(first["severity"], "error");
    assert_eq!(
        first["primary"]["file"],
        "tests/fixtures/err/undefined_names.qpol"
    );
    assert_eq!(first["primary"]["line"], 5);
    assert_eq!(first["primary"]["column"], 64);
    assert_eq!(first["suggestion"], "quantum");
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn a_folder_is_one_policy_and_diagnostics_name_the_right_file() {
    let out = qpol(&["check", "--color", "never", "tests/fixtures/folder"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("tests/fixtures/folder/20-projects.qpol:2:"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn test_prints_the_summary_line() {
    let out = qpol(&["test", "policies/org.qpol"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).ends_with("7 passed, 0 failed\n"),
        "{}",
        stdout(&out)
    );
    let failing = qpol(&[
        "test",
        "--color",
        "never",
        "tests/fixtures/err/failing_assertions.qpol",
    ]);
    assert_eq!(failing.status.code(), Some(1));
    assert!(stdout(&failing).ends_with("0 passed, 5 failed\n"));
    let json = qpol(&[
        "test",
        "--format",
        "json",
        "tests/fixtures/err/failing_assertions.qpol",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        (doc["passed"].clone(), doc["failed"].clone()),
        (0.into(), 5.into())
    );
}

#[test]
fn baseline_guards_instances_and_their_jobs() {
    let out = qpol(&[
        "check",
        "--color",
        "never",
        "tests/fixtures/baseline/new.qpol",
        "--baseline",
        "tests/fixtures/baseline/old.qpol",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("Q301") && text.contains("Q302"), "{text}");
    insta::assert_snapshot!(text);
    let allowed = qpol(&[
        "check",
        "tests/fixtures/baseline/new_allowed.qpol",
        "--baseline",
        "tests/fixtures/baseline/old.qpol",
    ]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stdout(&allowed));
    let same = qpol(&[
        "check",
        "tests/fixtures/baseline/old.qpol",
        "--baseline",
        "tests/fixtures/baseline/old.qpol",
    ]);
    assert_eq!(same.status.code(), Some(0));
}

#[test]
fn explain_prints_the_code_documentation() {
    let out = qpol(&["explain", "Q201"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("substring"));
    let all = qpol(&["explain"]);
    assert_eq!(stdout(&all).lines().count(), qpol::diag::codes::TABLE.len());
    let unknown = qpol(&["explain", "Q2O1"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean `Q201`"),
        "{}",
        stderr(&unknown)
    );
}

fn temp_copy(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn fmt_rewrites_in_place_checks_and_refuses_broken_files() {
    let dir = tempfile::tempdir().unwrap();
    let messy = "project ml<instances QR-ml;members user \"a@b.c\";role reader>\ninstance QR-ml{plan lite;region us-east}\n";
    let file = temp_copy(dir.path(), "messy.qpol", messy);
    let f = file.to_str().unwrap();

    let check = qpol(&["fmt", "--check", f]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains("+project ml {"),
        "{}",
        stdout(&check)
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        messy,
        "--check must not write"
    );

    assert_eq!(qpol(&["fmt", f]).status.code(), Some(0));
    let formatted = std::fs::read_to_string(&file).unwrap();
    assert!(
        formatted.starts_with("project ml {\n  instances QR-ml;\n"),
        "{formatted}"
    );
    assert_eq!(qpol(&["fmt", "--check", f]).status.code(), Some(0));

    let broken = "project ml { instances QR-ml members }\n";
    let bad = temp_copy(dir.path(), "broken.qpol", broken);
    let out = qpol(&["fmt", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not formatted"));
    assert_eq!(
        std::fs::read_to_string(&bad).unwrap(),
        broken,
        "a broken file is left untouched"
    );

    // A folder formats every *.qpol in it; `-` formats standard input.
    temp_copy(
        dir.path(),
        "broken.qpol",
        "instance a{plan lite;region us-east}",
    );
    assert_eq!(
        qpol(&["fmt", dir.path().to_str().unwrap()]).status.code(),
        Some(0)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.qpol")).unwrap(),
        "instance a {\n  plan lite;\n  region us-east;\n}\n"
    );
    let out = qpol_in(&["fmt", "-"], "resource_group   q ;");
    assert_eq!(stdout(&out), "resource_group q;\n");
    assert_eq!(qpol(&["fmt", "no/such.qpol"]).status.code(), Some(2));
}

#[test]
fn compile_writes_each_target_where_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tf");
    let o = qpol(&["compile", "policies/org.qpol", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let tf = std::fs::read_to_string(out.join("main.tf.json")).unwrap();
    assert!(tf.contains("\"ibm_iam_access_group\""));
    assert!(stderr(&o).contains("wrote"), "{}", stderr(&o));
    // A `*.tf.json` path is the file itself, not a folder.
    let file = dir.path().join("qiskit.tf.json");
    let o = qpol(&["compile", "policies/org.qpol", "-o", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), tf);

    let plan = dir.path().join("plan.json");
    let o = qpol(&[
        "--format",
        "json",
        "compile",
        "policies/org.qpol",
        "--target",
        "ibm-api",
        "-o",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["output"], plan.to_str().unwrap());
    assert_eq!(report["errors"], 0);
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(text.contains("qpol-ibm-api-plan/1"));
}

#[test]
fn compile_of_a_broken_policy_writes_nothing_and_keeps_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("main.tf.json");
    std::fs::write(&old, "previous output\n").unwrap();
    let o = qpol(&[
        "compile",
        "tests/fixtures/err/undefined_names.qpol",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("Q101"), "{}", stdout(&o));
    assert!(stderr(&o).contains("nothing written"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "previous output\n");
    let listing = |dir: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(listing(dir.path()), ["main.tf.json"]);
    // A run that writes goes through a temporary beside the target: it is
    // renamed over the old file, never left behind.
    let o = qpol(&[
        "compile",
        "policies/org.qpol",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(listing(dir.path()), ["main.tf.json"]);
    assert!(std::fs::read_to_string(&old).unwrap().starts_with('{'));

    let o = qpol(&[
        "--format",
        "json",
        "compile",
        "tests/fixtures/err/member_without_id.qpol",
        "-t",
        "ibm-api",
        "-o",
        dir.path().join("plan.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["output"], serde_json::Value::Null);
    assert_eq!(report["diagnostics"][0]["code"], "Q501");
    assert!(!dir.path().join("plan.json").exists());
}

#[test]
fn compile_into_an_unwritable_place_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    // A folder below a regular file cannot be created, even by root.
    let target = file.join("out");
    let o = qpol(&[
        "compile",
        "policies/org.qpol",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(target.to_str().unwrap()), "{err}");
    assert!(err.contains("cannot write"), "{err}");
}

/// `-` reads the policy from standard input (named `<stdin>` in
/// diagnostics, capped like every read) for check, test and compile, and
/// for `--baseline`; standard input cannot be read twice in one run.
#[test]
fn dash_reads_standard_input() {
    let org = std::fs::read_to_string("policies/org.qpol").unwrap();
    let o = qpol_in(&["check", "-"], &org);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = qpol_in(&["test", "-"], &org);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("passed"), "{}", stdout(&o));
    let o = qpol_in(&["compile", "-", "-t", "ibm-api", "-o", "-"], &org);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with('{'), "{}", stdout(&o));
    let o = qpol_in(
        &[
            "check",
            "policies/org.qpol",
            "--baseline",
            "-",
            "--format",
            "json",
        ],
        &org,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let o = qpol_in(&["check", "-"], "instance x {\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("<stdin>:"), "{}", stdout(&o));

    let o = support::run::command(&["check", "-"])
        .env("QPOL_MAX_INPUT_BYTES", "4")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"instance x {}\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read standard input: it is larger than 4 bytes"),
        "{}",
        stderr(&o)
    );

    let o = qpol_in(&["check", "-", "--baseline", "-"], &org);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard input"), "{}", stderr(&o));
}

/// Standard input is read once: `fmt - -` is refused before anything is read.
#[test]
fn fmt_refuses_dash_twice() {
    let o = qpol_in(&["fmt", "-", "-"], "instance   X existing;\n");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("standard input can be read only once"),
        "{}",
        stderr(&o)
    );
}
