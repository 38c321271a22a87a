//! `qpol check PATH --baseline-git REV`: the baseline is PATH as git has it
//! in REV. Human output names its files `REV:PATH` with the revision's
//! lines; GitHub annotations and SARIF point its findings at the working
//! tree's file as a whole (the revision's lines are not the pull
//! request's), so a review shows them on the pull request's own file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use serde_json::Value;
use std::path::Path;
use support::git::{commit_all, init};
use support::run::{qpol_at, stderr, stdout};

const SEED: &str = "policies/org.qpol";

/// The seed policy without instance `QR-finance` (and what names it).
fn without_finance(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("instance QR-finance ") && !l.ends_with("QR-finance;"))
        .map(|l| l.replace("instances QR-finance, QR-common", "instances QR-common"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A repository whose `main` has `policies/FILE` (the seed) and whose
/// working tree has deleted `QR-finance` from it.
fn repository(file: &str) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    init(root);
    std::fs::create_dir_all(root.join("policies")).unwrap();
    let seed = std::fs::read_to_string(SEED).unwrap();
    std::fs::write(root.join("policies").join(file), &seed).unwrap();
    commit_all(root, "base");
    std::fs::write(root.join("policies").join(file), without_finance(&seed)).unwrap();
    repo
}

/// `qpol --format FORMAT check PATH --baseline-git main`, run in `dir`.
fn check_against_main(dir: &Path, format: &str, path: &str) -> std::process::Output {
    qpol_at(
        dir,
        &["--format", format, "check", path, "--baseline-git", "main"],
    )
}

/// The check failed (exit 1) and its first Q302 annotation is on the
/// working-tree `file`, naming the revision's place `place` (a prefix of
/// `REV:PATH, line L, column C`).
fn assert_q302_annotation(out: &std::process::Output, file: &str, place: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", stdout(out));
    let text = stdout(out);
    let line = q302_lines(&text)[0];
    assert!(
        line.starts_with(&format!("::error file={file},title=Q302")),
        "{line}"
    );
    assert!(line.contains(&format!("({place}")), "{line}");
}

fn q302_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains("Q302")).collect()
}

#[test]
fn a_deleted_instance_is_shown_at_its_line_in_the_revision() {
    let repo = repository("org.qpol");
    let out = qpol_at(
        repo.path(),
        &["check", "policies/org.qpol", "--baseline-git", "main"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let start = text.find("error[Q302]").unwrap();
    insta::assert_snapshot!(&text[start..]);
}

#[test]
fn github_annotations_point_at_the_working_tree_file_without_a_line() {
    let repo = repository("org.qpol");
    let out = check_against_main(repo.path(), "github", "policies/org.qpol");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!(q302_lines(&stdout(&out)).join("\n"));
    // From a subfolder the file is named as the command line named it.
    let out = check_against_main(&repo.path().join("policies"), "github", "org.qpol");
    assert_q302_annotation(
        &out,
        "org.qpol",
        "main:policies/org.qpol, line 21, column 10)",
    );
}

#[test]
fn sarif_results_point_at_the_working_tree_file_and_name_the_revision_line() {
    let repo = repository("org.qpol");
    let out = check_against_main(repo.path(), "sarif", "policies/org.qpol");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let q302: Vec<&Value> = results.iter().filter(|r| r["ruleId"] == "Q302").collect();
    assert_eq!(q302.len(), 1, "{results:?}");
    insta::assert_snapshot!(serde_json::to_string_pretty(q302[0]).unwrap());
    // No location anywhere names the revision's copy.
    assert!(!stdout(&out).contains("main:policies".replace(':', "%3A").as_str()));
}

#[test]
fn a_folder_policy_points_each_finding_at_its_own_file() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    init(root);
    std::fs::create_dir_all(root.join("policies")).unwrap();
    let seed = std::fs::read_to_string(SEED).unwrap();
    // Instances in one file, the rest in another.
    let (instances, rest): (Vec<&str>, Vec<&str>) =
        seed.lines().partition(|l| l.starts_with("instance "));
    std::fs::write(
        root.join("policies/instances.qpol"),
        instances.join("\n") + "\n",
    )
    .unwrap();
    std::fs::write(root.join("policies/org.qpol"), rest.join("\n") + "\n").unwrap();
    commit_all(root, "base");
    for file in ["instances.qpol", "org.qpol"] {
        let path = root.join("policies").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, without_finance(&text)).unwrap();
    }
    let out = check_against_main(root, "github", "policies");
    assert_q302_annotation(
        &out,
        "policies/instances.qpol",
        "main:policies/instances.qpol, line ",
    );
}

#[test]
fn a_missing_revision_a_broken_baseline_and_no_repository_are_usage_errors() {
    let repo = repository("org.qpol");
    let root = repo.path();
    let out = qpol_at(
        root,
        &[
            "check",
            "policies/org.qpol",
            "--baseline-git",
            "no-such-branch",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("revision `no-such-branch` does not exist"),
        "{}",
        stderr(&out)
    );
    // A baseline with errors is refused: it must check clean.
    std::fs::write(
        root.join("policies/org.qpol"),
        "instance X { plan nope; }\n",
    )
    .unwrap();
    commit_all(root, "broken");
    let seed = std::fs::read_to_string(SEED).unwrap();
    std::fs::write(root.join("policies/org.qpol"), seed).unwrap();
    let out = qpol_at(
        root,
        &["check", "policies/org.qpol", "--baseline-git", "main"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("the baseline `main:policies/org.qpol` has errors; it must check clean"),
        "{}",
        stderr(&out)
    );
    // Outside a repository: the way out is --baseline.
    let lone = tempfile::tempdir().unwrap();
    std::fs::copy(SEED, lone.path().join("org.qpol")).unwrap();
    let out = qpol_at(
        lone.path(),
        &["check", "org.qpol", "--baseline-git", "main"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("is not inside a git repository"), "{err}");
    assert!(err.contains("`--baseline OLD`"), "{err}");
    assert!(!err.contains("qpol diff"), "{err}");
    // Standard input has no history.
    let out = support::run::run_with_input(
        &mut support::run::command(&["check", "-", "--baseline-git", "main"]),
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("standard input has no git history"),
        "{}",
        stderr(&out)
    );
    // Both baselines at once: clap refuses.
    let out = qpol_at(
        Path::new("."),
        &["check", SEED, "--baseline-git", "main", "--baseline", SEED],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_policy_that_changed_between_file_and_folder_is_read_as_the_revision_has_it() {
    let seed = std::fs::read_to_string(SEED).unwrap();
    // A file in the revision, a folder in the working tree ...
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    init(root);
    std::fs::write(root.join("pol"), &seed).unwrap();
    commit_all(root, "base");
    std::fs::remove_file(root.join("pol")).unwrap();
    std::fs::create_dir(root.join("pol")).unwrap();
    std::fs::write(root.join("pol/main.qpol"), without_finance(&seed)).unwrap();
    let out = check_against_main(root, "github", "pol");
    assert_q302_annotation(&out, "pol", "main:pol, line 21, column 10)");
    // ... and a folder in the revision, a file in the working tree.
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    init(root);
    std::fs::create_dir(root.join("pol")).unwrap();
    std::fs::write(root.join("pol/main.qpol"), &seed).unwrap();
    commit_all(root, "base");
    std::fs::remove_dir_all(root.join("pol")).unwrap();
    std::fs::write(root.join("pol"), without_finance(&seed)).unwrap();
    let out = check_against_main(root, "github", "pol");
    assert_q302_annotation(&out, "pol", "main:pol/main.qpol, line 21, column 10)");
}

#[test]
fn a_policy_missing_from_the_revision_is_no_baseline_and_refused() {
    // Renamed in the same change that deletes an instance: checking
    // against nothing would let the deletion through.
    let repo = repository("org.qpol");
    let root = repo.path();
    std::fs::rename(root.join("policies"), root.join("policies2")).unwrap();
    let out = check_against_main(root, "github", "policies2");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("`main:policies2` holds no policy"), "{err}");
    assert!(
        err.contains("name its old place with `--baseline OLD`"),
        "{err}"
    );
    // A revision that is no revision names this command's flag.
    let out = qpol_at(root, &["check", "policies2", "--baseline-git=-x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("e.g. `--baseline-git origin/main`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_broken_baseline_is_reported_under_its_revision_name_not_on_the_working_tree() {
    let repo = repository("org.qpol");
    let root = repo.path();
    std::fs::write(
        root.join("policies/org.qpol"),
        "instance X { plan nope; }\n",
    )
    .unwrap();
    commit_all(root, "broken");
    std::fs::copy(SEED, root.join("policies/org.qpol")).unwrap();
    let out = check_against_main(root, "github", "policies/org.qpol");
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains("::error file=main%3Apolicies/org.qpol,line=1,"),
        "{text}"
    );
    assert!(!text.contains("file=policies/org.qpol"), "{text}");
}
