//! Fixture tests: one policy in, one insta snapshot out.
//!
//! - `fixtures/ok/*.qpol` check with no error; the snapshot holds every
//!   diagnostic (warnings, notes) and the assertion results.
//! - `fixtures/err/*.qpol` each demonstrate a check or an error path; the
//!   snapshot is exactly what a user sees. Each must report at least the code
//!   its first line names (`# expect: Q201`).
//! - `fixtures/fmt/*.qpol` snapshot the formatter's output.
//! - Every fixture that parses is also formatted: formatting is idempotent
//!   and keeps the model (the soundness check, stated again here).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::access::assertions;
use qpol::diag::render::{self, Style};
use qpol::Policy;
use std::fs;
use std::path::{Path, PathBuf};

fn name_of(path: &Path) -> String {
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .unwrap()
        .to_string_lossy();
    format!("{parent}/{}", path.file_name().unwrap().to_string_lossy())
}

fn policy_of(path: &Path) -> Policy {
    let bytes = fs::read(path).unwrap();
    let mut policy = Policy::default();
    policy.add_bytes(&name_of(path), bytes);
    policy
}

/// The report a user sees from `qpol test`: diagnostics, summary, results.
fn report(policy: Policy) -> (String, qpol::checks::CheckResult, assertions::TestOutcome) {
    let result = qpol::checks::check(policy);
    let outcome = assertions::run(&result.access());
    let mut diagnostics = result.diagnostics.clone();
    diagnostics.extend(outcome.diagnostics.iter().cloned());
    qpol::diag::sort(&mut diagnostics);
    let mut text = render::human_all(&diagnostics, &result.sources, Style::Plain);
    text.push_str(&render::summary(&diagnostics));
    text.push_str(&format!(
        "\n{} passed, {} failed\n",
        outcome.passed, outcome.failed
    ));
    (text, result, outcome)
}

#[test]
fn ok_fixtures_check_clean() {
    insta::glob!("fixtures/ok/*.qpol", |path| {
        let policy = policy_of(path);
        let (text, result, outcome) = report(policy);
        assert!(result.passed(), "{} has errors:\n{text}", path.display());
        assert_eq!(
            outcome.failed,
            0,
            "{} has failing assertions:\n{text}",
            path.display()
        );
        insta::assert_snapshot!(text);
    });
}

#[test]
fn example_policies_check_clean_and_pass_their_assertions() {
    let paths = example_files();
    assert!(paths.len() >= 3, "{paths:?}");
    for path in paths {
        let (text, result, outcome) = report(policy_of(&path));
        assert!(result.passed(), "{} has errors:\n{text}", path.display());
        assert_eq!(outcome.failed, 0, "{}:\n{text}", path.display());
        assert!(outcome.passed > 0, "{} has no assertions", path.display());
    }
}

/// The `*.qpol` files of `policies/` and of its subfolders, sorted.
fn example_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "qpol") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new("policies"), &mut out);
    out.sort();
    out
}

#[test]
fn err_fixtures_report_their_code() {
    insta::glob!("fixtures/err/*.qpol", |path| {
        let policy = policy_of(path);
        let (text, result, outcome) = report(policy);
        let source = String::from_utf8_lossy(&fs::read(path).unwrap()).into_owned();
        let expected: Vec<&str> = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect:"))
            .map(|codes| codes.split_whitespace().collect())
            .unwrap_or_default();
        assert!(
            !expected.is_empty(),
            "{} must start with `# expect: QNNN`",
            path.display()
        );
        let reported: Vec<&str> = result
            .diagnostics
            .iter()
            .chain(outcome.diagnostics.iter())
            .map(|d| d.code.id())
            .collect();
        for code in expected {
            assert!(
                reported.contains(&code),
                "{} should report {code}; got:\n{text}",
                path.display()
            );
        }
        insta::assert_snapshot!(text);
    });
}

#[test]
fn fmt_fixtures() {
    insta::glob!("fixtures/fmt/*.qpol", |path| {
        let text = fs::read_to_string(path).unwrap();
        let formatted = qpol::fmt::format_text("fixture.qpol", &text).unwrap();
        insta::assert_snapshot!(formatted);
    });
}

/// Every fixture and example that parses formats idempotently, keeps its
/// model and its comments.
#[test]
fn formatting_is_sound_on_every_fixture() {
    let mut checked = 0;
    let fixtures = [
        "tests/fixtures/ok",
        "tests/fixtures/err",
        "tests/fixtures/fmt",
    ]
    .iter()
    .flat_map(|dir| fs::read_dir(dir).unwrap())
    .map(|entry| entry.unwrap().path());
    for path in fixtures.chain(example_files()) {
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        if policy_of(&path).files[0].1.has_errors() {
            assert!(
                qpol::fmt::format_text("x.qpol", &text).is_err(),
                "{} must be refused",
                path.display()
            );
            continue;
        }
        let once = qpol::fmt::format_text("x.qpol", &text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let twice = qpol::fmt::format_text("x.qpol", &once).unwrap();
        assert_eq!(once, twice, "{} is not idempotent", path.display());
        assert_eq!(
            qpol::fmt::model_json(&text),
            qpol::fmt::model_json(&once),
            "{} changed meaning",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 5);
}
