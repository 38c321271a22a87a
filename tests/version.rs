//! `qpol --version` / `-V`: the version and the commit the binary was built
//! from (build.rs), and build.rs's fallbacks: `QPOL_BUILD_COMMIT`, then git
//! only when the package is the top of a checkout, else no commit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
}

/// The commit this test expects in the version line, if any.
fn expected_commit() -> Option<String> {
    if let Some(value) = std::env::var("QPOL_BUILD_COMMIT")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        return Some(value.trim().get(..12).unwrap().to_lowercase());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().unwrap() {
        return None;
    }
    Some(git(dir, &["rev-parse", "HEAD"])?.get(..12)?.to_string())
}

#[test]
fn version_names_the_package_version_and_the_commit() {
    let prefix = format!("qpol {}", env!("CARGO_PKG_VERSION"));
    for flag in ["--version", "-V"] {
        let out = Command::new(env!("CARGO_BIN_EXE_qpol"))
            .arg(flag)
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}");
        let line = String::from_utf8(out.stdout).unwrap();
        assert!(
            line.ends_with('\n') && line.lines().count() == 1,
            "{line:?}"
        );
        let line = line.trim_end();
        let rest = line.strip_prefix(&prefix).unwrap_or_else(|| {
            panic!("`qpol {flag}` says {line:?}, not {prefix:?}...");
        });
        match expected_commit() {
            Some(commit) => {
                let inner = rest
                    .strip_prefix(" (")
                    .and_then(|r| r.strip_suffix(')'))
                    .unwrap_or_else(|| panic!("no (commit date) in {line:?}"));
                let (hash, date) = inner.split_once(' ').unwrap();
                assert_eq!(hash, commit, "{line:?}");
                assert!(hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()));
                assert!(build_script::parse(&format!("{hash} {date}"))
                    .is_some_and(|(_, d)| d.as_deref() == Some(date)));
            }
            None => assert_eq!(rest, "", "{line:?}"),
        }
    }
}

#[test]
fn build_commit_variable_is_read_strictly() {
    let full = "1A2B3C4D5E6F7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
    assert_eq!(
        build_script::from_env(Some(full)),
        Some(("1a2b3c4d5e6f".to_string(), None))
    );
    assert_eq!(
        build_script::from_env(Some(&format!("{full} 2026-11-26"))),
        Some(("1a2b3c4d5e6f".to_string(), Some("2026-11-26".to_string())))
    );
    // A malformed date is dropped, the commit kept.
    assert_eq!(
        build_script::from_env(Some(&format!("{full} yesterday"))),
        Some(("1a2b3c4d5e6f".to_string(), None))
    );
    // Unset, empty, too short or not hex: no commit (git is asked next).
    for bad in [
        None,
        Some(""),
        Some("  "),
        Some("1a2b3c"),
        Some("v0.1.0-release"),
    ] {
        assert_eq!(build_script::from_env(bad), None, "{bad:?}");
    }
}

#[test]
fn git_is_asked_only_at_the_top_of_a_checkout() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    // Not a repository (an unpacked sdist or crate): no commit.
    assert_eq!(build_script::from_git(&repo), None);
    let run = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(&repo)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env("GIT_AUTHOR_DATE", "2026-11-26T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-26T12:00:00Z")
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    run(&["init", "--quiet"]);
    // A repository without a commit: no commit, no failure.
    assert_eq!(build_script::from_git(&repo), None);
    std::fs::write(repo.join("f"), "x").unwrap();
    run(&["add", "f"]);
    run(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "--quiet",
        "-m",
        "one",
    ]);
    let head = git(&repo, &["rev-parse", "HEAD"]).unwrap();
    assert_eq!(
        build_script::from_git(&repo),
        Some((
            head.get(..12).unwrap().to_string(),
            Some("2026-11-26".into())
        ))
    );
    // A package inside someone else's repository is not that repository's commit.
    assert_eq!(build_script::from_git(&repo.join("sub")), None);
}
