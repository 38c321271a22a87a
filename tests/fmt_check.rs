//! `qpol fmt --check` prints a valid unified diff (it applies with `patch`
//! and gives the formatted file; on small files it is what `similar`
//! prints). Its time on large files is measured by `scripts/bench.sh`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;

/// `fmt --check` on `text`: its diff.
fn check_diff(dir: &std::path::Path, text: &str) -> String {
    let file = dir.join("p.qpol");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qpol"))
        .args(["fmt", "--check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Applies `diff` to `text` with GNU `patch` (a missing `patch` fails the
/// test: `apt-get install patch`).
fn patched(dir: &std::path::Path, text: &str, diff: &str) -> String {
    let target = dir.join("patched.qpol");
    std::fs::write(&target, text).unwrap();
    std::fs::write(dir.join("d.diff"), diff).unwrap();
    let status = Command::new("patch")
        .args(["-s", "--binary"])
        .arg(&target)
        .arg(dir.join("d.diff"))
        .status()
        .unwrap_or_else(|e| panic!("cannot run `patch` ({e}): apt-get install patch"));
    assert!(status.success(), "patch refused the diff");
    std::fs::read_to_string(&target).unwrap()
}

#[test]
fn the_diff_applies_and_gives_the_formatted_file() {
    let dir = tempfile::tempdir().unwrap();
    let org = qpol::synth::generate(&qpol::synth::OrgSpec::new(300, 1_000, 0)).text;
    let formatted = qpol::fmt::format_text("p.qpol", &org).unwrap();
    // Unformatted throughout; a blank line too many every 40 lines (many
    // small hunks); CRLF; no final newline.
    let spaced: String = formatted
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i % 40 == 39 {
                format!("{l}\n\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let crlf = formatted.replace('\n', "\r\n");
    let unterminated = formatted.trim_end().to_string();
    for text in [&org, &spaced, &crlf, &unterminated] {
        let diff = check_diff(dir.path(), text);
        assert!(diff.starts_with("--- "), "{diff}");
        let want = qpol::fmt::format_text("p.qpol", text).unwrap();
        let result = patched(dir.path(), text, &diff);
        assert!(result == want, "the patched file is not the formatted one");
    }
}

#[test]
fn on_small_files_the_diff_is_what_similar_prints() {
    for entry in std::fs::read_dir("tests/fixtures/fmt").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "qpol") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let formatted = qpol::fmt::format_text("f.qpol", &text).unwrap();
        let expected = similar::TextDiff::from_lines(&text, &formatted)
            .unified_diff()
            .context_radius(3)
            .header("a", "b")
            .to_string();
        assert_eq!(
            qpol::fmt::diff::unified(&text, &formatted, "a", "b"),
            expected,
            "{}",
            path.display()
        );
    }
}

/// A large org whose every line changes still gets a whole diff that
/// applies. (Its speed is measured by `scripts/bench.sh`, not here.)
#[test]
fn a_large_unformatted_org_gets_a_diff_that_applies() {
    let dir = tempfile::tempdir().unwrap();
    let org = qpol::synth::generate(&qpol::synth::OrgSpec::new(5_000, 25_000, 0)).text;
    let diff = check_diff(dir.path(), &org);
    assert!(diff.len() > org.len());
    let want = qpol::fmt::format_text("p.qpol", &org).unwrap();
    assert!(patched(dir.path(), &org, &diff) == want);
}
