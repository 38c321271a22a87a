//! `qpol diff --git` at the edges of git: a repository with no commits, no
//! `git` on PATH, and symlinked policy files in the base revision (followed
//! inside the repository, as `qpol check` follows them in the working tree;
//! refused when they leave it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::git::{commit_all, init};
use support::run::{command, qpol_at, stderr, stdout};

const SEED: &str = "policies/org.qpol";

#[test]
fn a_repository_without_commits_is_named_as_such() {
    let repo = tempfile::tempdir().unwrap();
    init(repo.path());
    std::fs::copy(SEED, repo.path().join("org.qpol")).unwrap();
    let out = qpol_at(repo.path(), &["diff", "--git", "HEAD", "org.qpol"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("has no commits yet"), "{err}");
    assert!(!err.contains("fetch it first"), "{err}");
}

#[test]
fn without_git_the_message_says_so_once() {
    let repo = tempfile::tempdir().unwrap();
    init(repo.path());
    std::fs::copy(SEED, repo.path().join("org.qpol")).unwrap();
    commit_all(repo.path(), "state");
    let empty = tempfile::tempdir().unwrap();
    let out = command(&["diff", "--git", "main", "org.qpol"])
        .current_dir(repo.path())
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("cannot run `git`"), "{err}");
    assert!(!err.contains("not inside a git repository"), "{err}");
    assert_eq!(err.matches("qpol diff OLD NEW").count(), 1, "{err}");
}

#[cfg(unix)]
#[test]
fn symlinks_in_the_base_revision_are_followed_inside_the_repository() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    init(root);
    std::fs::create_dir_all(root.join("common")).unwrap();
    std::fs::create_dir_all(root.join("policies")).unwrap();
    std::fs::copy(SEED, root.join("common/org.qpol")).unwrap();
    // policies/org.qpol -> org.link -> ../common/org.qpol: a link to a
    // link to the file, as some repositories share one policy.
    std::os::unix::fs::symlink("../common/org.qpol", root.join("policies/org.link")).unwrap();
    std::os::unix::fs::symlink("org.link", root.join("policies/org.qpol")).unwrap();
    commit_all(root, "state");

    // Unchanged: the base's linked file reads as the seed.
    let same = qpol_at(root, &["diff", "--git", "main"]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        stdout(&same),
        stderr(&same)
    );
    // Changed behind the link: the change is seen.
    std::fs::copy(
        "tests/fixtures/diff/no_delete.qpol",
        root.join("common/org.qpol"),
    )
    .unwrap();
    let changed = qpol_at(root, &["diff", "--git", "main"]);
    assert_eq!(changed.status.code(), Some(3), "{}", stderr(&changed));
    assert!(stdout(&changed).contains("role `writer` lost `job.delete`"));
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_repository_or_dangling_are_refused() {
    for (target, why) in [
        ("/etc/hostname", "outside the repository"),
        ("../../elsewhere.qpol", "outside the repository"),
        ("missing.qpol", "does not exist in that revision"),
    ] {
        let repo = tempfile::tempdir().unwrap();
        let root = repo.path();
        init(root);
        std::fs::create_dir_all(root.join("policies")).unwrap();
        std::fs::copy(SEED, root.join("policies/org.qpol")).unwrap();
        std::os::unix::fs::symlink(target, root.join("policies/link.qpol")).unwrap();
        commit_all(root, "state");
        let out = qpol_at(root, &["diff", "--git", "main", "policies"]);
        assert_eq!(out.status.code(), Some(2), "{target}");
        let err = stderr(&out);
        assert!(err.contains("main:policies/link.qpol"), "{err}");
        assert!(err.contains(why), "{target}: {err}");
    }
}
