//! Every output mode keeps its promise: `fmt --check -` checks, `--format
//! json` prints exactly one document in every case (several files, `fmt
//! --check`, I/O errors, a failed write), and `-o` explains what it expects.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::fs::s;
use support::run::{qpol, qpol_in, stderr, stdout};

use std::process::Output;

/// stdout is exactly one JSON document (`from_str` refuses trailing text).
fn document(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", stdout(o)))
}

const MESSY: &str = "instance a{plan lite;region us-east}\n";
const TIDY: &str = "instance a {\n  plan lite;\n  region us-east;\n}\n";

#[test]
fn fmt_check_reads_stdin_and_prints_a_diff() {
    let o = qpol_in(&["fmt", "--check", "-"], MESSY);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("+instance a {"), "{}", stdout(&o));
    assert!(stdout(&o).contains("<stdin>"), "{}", stdout(&o));
    let o = qpol_in(&["fmt", "--check", "-"], TIDY);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn fmt_json_is_one_document_for_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let messy = dir.path().join("a.qpol");
    let tidy = dir.path().join("b.qpol");
    let broken = dir.path().join("c.qpol");
    std::fs::write(&messy, MESSY).unwrap();
    std::fs::write(&tidy, TIDY).unwrap();
    std::fs::write(&broken, "instance {").unwrap();
    let files = [s(&messy), s(&tidy), s(&broken)];

    let mut args = vec!["--format", "json", "fmt", "--check"];
    args.extend(files);
    let o = qpol(&args);
    assert_eq!(o.status.code(), Some(1));
    let doc = document(&o);
    let status: Vec<_> = (0..3).map(|i| doc["files"][i]["status"].clone()).collect();
    assert_eq!(status, ["unformatted", "unchanged", "syntax_errors"]);
    assert_eq!(doc["files"][0]["path"], s(&messy));
    assert!(doc["files"][0]["diff"]
        .as_str()
        .unwrap()
        .contains("+instance a {"));
    assert!(doc["errors"].as_u64().unwrap() >= 1);
    assert_eq!(doc["diagnostics"][0]["primary"]["file"], s(&broken));
    assert_eq!(doc["io_errors"], serde_json::json!([]));
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), MESSY);

    args.retain(|a| *a != "--check");
    args.push("no/such.qpol");
    let o = qpol(&args);
    assert_eq!(o.status.code(), Some(2));
    let doc = document(&o);
    assert_eq!(doc["files"][0]["status"], "formatted");
    assert_eq!(doc["io_errors"][0]["path"], "no/such.qpol");
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), TIDY);

    let o = qpol_in(&["--format", "json", "fmt", "-"], MESSY);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(document(&o)["files"][0]["formatted"], TIDY);
}

#[test]
fn json_io_errors_are_a_document() {
    for command in ["check", "compile", "test"] {
        let o = qpol(&["--format", "json", command, "no/such/policy.qpol"]);
        assert_eq!(o.status.code(), Some(2), "{command}");
        let doc = document(&o);
        assert_eq!(
            doc["io_errors"][0]["path"], "no/such/policy.qpol",
            "{command}"
        );
        assert!(doc["io_errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot read"));
    }
    // Every document has `io_errors`, empty when all went well.
    let o = qpol(&["--format", "json", "check", "policies/org.qpol"]);
    assert_eq!(document(&o)["io_errors"], serde_json::json!([]));
}

#[test]
fn json_failed_write_carries_the_error() {
    let dir = tempfile::tempdir().unwrap();
    // A name the file system takes, but not with the temporary's prefix and suffix.
    let plan = dir.path().join("p".repeat(250));
    let o = qpol(&[
        "--format",
        "json",
        "compile",
        "policies/org.qpol",
        "-t",
        "ibm-api",
        "-o",
        s(&plan),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let doc = document(&o);
    assert_eq!(doc["output"], serde_json::Value::Null);
    assert_eq!(doc["io_errors"][0]["path"], s(&plan));
    assert!(doc["io_errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("cannot write"));
}

#[test]
fn o_naming_an_existing_file_says_what_it_expects() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.json");
    std::fs::write(&file, "x").unwrap();
    let o = qpol(&["compile", "policies/org.qpol", "-o", s(&file)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(!err.contains("os error 17"), "{err}");
    assert!(err.contains("folder") && err.contains("*.tf.json"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    // A file where a folder above the output should be.
    let below = file.join("deeper").join("plan.json");
    let o = qpol(&[
        "compile",
        "policies/org.qpol",
        "-t",
        "ibm-api",
        "-o",
        s(&below),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("not a folder") && err.contains(s(&file)),
        "{err}"
    );
}

#[test]
fn explain_json_is_one_document() {
    let all = document(&qpol(&["--format", "json", "explain"]));
    assert_eq!(
        all["codes"].as_array().unwrap().len(),
        qpol::diag::codes::TABLE.len()
    );
    let one = document(&qpol(&["--format", "json", "explain", "Q201"]));
    assert_eq!(one["code"], "Q201");
    assert!(one["explanation"].as_str().unwrap().contains("substring"));
    let actions = document(&qpol(&["--format", "json", "explain", "Q103"]));
    assert!(actions["actions"].as_array().unwrap().len() > 5);
    let o = qpol(&["--format", "json", "explain", "Q2O1"]);
    assert_eq!(o.status.code(), Some(2));
    let doc = document(&o);
    assert!(doc["io_errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `Q201`"));
}

/// stderr is exactly one JSON document.
fn err_document(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stderr(o))
        .unwrap_or_else(|e| panic!("stderr is not one JSON document ({e}):\n{}", stderr(o)))
}

#[test]
fn compile_to_stdout_keeps_every_report_on_stderr() {
    // An unreadable policy: the io_errors document on stderr, stdout empty.
    for format in ["json", "human"] {
        let o = qpol(&["--format", format, "compile", "no/such.qpol", "-o", "-"]);
        assert_eq!(o.status.code(), Some(2), "{format}");
        assert_eq!(stdout(&o), "", "{format}");
        assert!(stderr(&o).contains("no/such.qpol"), "{format}");
    }
    let o = qpol(&["--format", "json", "compile", "no/such.qpol", "-o", "-"]);
    assert_eq!(err_document(&o)["io_errors"][0]["path"], "no/such.qpol");
    // A compiled run: stdout is the Terraform file, the report is on stderr.
    let o = qpol(&[
        "--format",
        "json",
        "compile",
        "policies/org.qpol",
        "-o",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(document(&o)["resource"].is_object());
    assert_eq!(err_document(&o)["output"], "-");
}

#[test]
fn compile_to_a_full_stdout_reports_it_in_the_one_document() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return;
    };
    let o = support::run::command(&[
        "--format",
        "json",
        "compile",
        "policies/org.qpol",
        "-o",
        "-",
    ])
    .stdin(std::process::Stdio::null())
    .stdout(full)
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let doc = err_document(&o);
    assert_eq!(doc["output"], serde_json::Value::Null);
    assert_eq!(doc["io_errors"][0]["path"], "-");
    assert!(doc["io_errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("cannot write to standard output"));
}

#[test]
fn fmt_stdin_keeps_diagnostics_off_stdout() {
    let o = qpol_in(&["--color", "never", "fmt", "-"], "instance a {\n");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("error[Q"), "{}", stderr(&o));
    // JSON keeps its one document on stdout.
    let o = qpol_in(&["--format", "json", "fmt", "-"], "instance a {\n");
    assert_eq!(document(&o)["files"][0]["status"], "syntax_errors");
}

#[test]
fn fmt_check_stdin_hints_at_fmt_dash() {
    let o = qpol_in(&["fmt", "--check", "-"], MESSY);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("format it with `qpol fmt -`"), "{err}");
    assert!(!err.contains("qpol fmt <stdin>"), "{err}");
}

#[test]
fn o_messages_say_what_the_path_is_and_what_o_expects() {
    let dir = tempfile::tempdir().unwrap();
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
    let loop1 = dir.path().join("loop1");
    let loop2 = dir.path().join("loop2");
    std::os::unix::fs::symlink(&loop2, &loop1).unwrap();
    std::os::unix::fs::symlink(&loop1, &loop2).unwrap();
    for out in [&dangling, &loop1] {
        let o = qpol(&["compile", "policies/org.qpol", "-o", s(out)]);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(
            !err.contains("File exists") && !err.contains("cannot read"),
            "{err}"
        );
        assert!(err.contains("symlink that leads to no folder"), "{err}");
        assert!(err.contains("-o names a folder"), "{err}");
    }
    // A FIFO (where /dev/stdout leads when it is a pipe).
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let link = dir.path().join("stdout");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let o = qpol(&[
        "compile",
        "policies/org.qpol",
        "-t",
        "ibm-api",
        "-o",
        s(&link),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(!err.contains("leads to no file"), "{err}");
    assert!(err.contains("a FIFO") && err.contains("`-o -`"), "{err}");
}
