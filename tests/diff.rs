//! `qpol diff`: the seed scenario's variants (tests/fixtures/diff/) against
//! policies/org.qpol, in Markdown and JSON, with their exit codes; names
//! that Markdown would read as HTML or table syntax; `--git` against a
//! repository the test creates; usage errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::git::{commit_all, git, init};
use support::markdown::{assert_tables_hold, outside_code};
use support::run::{command, qpol, qpol_at, stderr, stdout};

use std::process::Output;

const SEED: &str = "policies/org.qpol";

fn diff(new: &str, json: bool) -> Output {
    let new = format!("tests/fixtures/diff/{new}.qpol");
    let mut args = vec!["diff", SEED, new.as_str()];
    if json {
        args.extend(["--format", "json"]);
    }
    qpol(&args)
}

/// Run a variant both ways, snapshot both, check the exit code; the Markdown.
fn variant(name: &str, exit: i32) -> String {
    let md = diff(name, false);
    assert_eq!(md.status.code(), Some(exit), "{name}: {}", stderr(&md));
    let json = diff(name, true);
    assert_eq!(json.status.code(), Some(exit), "{name}: {}", stderr(&json));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["format"], "qpol-diff/1");
    assert_eq!(doc["exit_code"], exit);
    assert_eq!(doc["io_errors"], serde_json::json!([]));
    let md = stdout(&md);
    // The summary line is the first line, in both formats.
    assert_eq!(md.lines().next(), doc["summary"].as_str());
    insta::assert_snapshot!(format!("{name}.md"), md);
    insta::assert_snapshot!(format!("{name}.json"), stdout(&json));
    md
}

#[test]
fn adding_a_project_creates_its_objects_and_gives_its_users_access() {
    let md = variant("add_project", 3);
    assert!(md.starts_with("qpol: 1 user gains access;"), "{md}");
    assert!(md.contains("| `Lin` | gains |"), "{md}");
    assert!(
        md.contains("| create | `ibm_resource_instance.QR-chem` |"),
        "{md}"
    );
    assert!(md.contains("| create | `rule.chem` |"), "{md}");
    assert!(
        md.contains("project `chem`: (no rule) → `project contains \"chem\"`"),
        "{md}"
    );
}

#[test]
fn a_rule_value_renamed_into_an_overlap_calls_out_the_new_q201_first() {
    let md = variant("overlap", 1);
    let mut lines = md.lines();
    assert!(lines.next().unwrap().contains("new findings (Q201, Q214)"));
    assert_eq!(lines.next(), Some(""));
    assert_eq!(lines.next(), Some("> [!WARNING]"));
    assert!(lines.next().unwrap().starts_with("> **New Q201 (error)**: rule `project contains \"ml\"` of project ml also admits users whose project is `ml-finance`"));
    assert!(md.contains("| `Ravi` | loses |"), "{md}");
    assert!(md.contains("the rule of project `finance` changed from `project contains \"finance\"` to `project contains \"ml-finance\"`"), "{md}");
    // The new policy has errors: nothing to compile, said so.
    assert!(
        md.contains("Not compared: the new policy has errors"),
        "{md}"
    );
}

#[test]
fn a_role_that_drops_job_delete_shows_who_loses_it_and_the_role_update() {
    let md = variant("no_delete", 3);
    assert!(
        md.starts_with("qpol: 3 users lose access; 2 member sets lose access; 1 object updated;"),
        "{md}"
    );
    assert!(
        md.contains(
            "| `Fatima` | loses | `job.delete` | `QR-ml` | role `writer` lost `job.delete` |"
        ),
        "{md}"
    );
    assert!(!md.contains("| gains |"), "{md}");
    assert!(
        md.contains("| update | `ibm_iam_custom_role.writer` |"),
        "{md}"
    );
    assert!(md.contains("| update | `role.writer` |"), "{md}");
    // Q223 (a role that deletes jobs) is resolved.
    assert!(md.contains("Resolved:\n\n- **Q223** note"), "{md}");
}

#[test]
fn a_changed_attribute_is_named_as_the_cause() {
    let md = variant("attribute", 3);
    assert!(md.contains("| `Ravi` | gains | `device.read`"), "{md}");
    assert!(
        md.contains("`QR-ml` | `Ravi`'s `project` changed from `\"finance\"` to `\"ml\"` |"),
        "{md}"
    );
    assert!(md.contains("| `Ravi` | loses |"), "{md}");
    assert!(
        md.contains("No object is created, updated, replaced or deleted."),
        "{md}"
    );
}

#[test]
fn a_removed_instance_is_marked_as_losing_its_jobs() {
    let md = variant("instance_removed", 1);
    assert!(
        md.contains("| delete | `ibm_resource_instance.QR-finance` | **its jobs are lost** |"),
        "{md}"
    );
    assert!(
        md.contains("| delete | `instance.QR-finance` | **its jobs are lost** |"),
        "{md}"
    );
    assert!(
        md.contains("- **Q302** error: instance `QR-finance` is no longer declared"),
        "{md}"
    );
    assert!(
        md.contains("project `finance` no longer includes instance `QR-finance`"),
        "{md}"
    );
}

#[test]
fn moved_declarations_are_no_change() {
    let md = variant("moved", 0);
    assert!(
        md.starts_with("qpol: no change in access; no object changes; no new findings\n"),
        "{md}"
    );
    assert!(md.contains("New: none.\nResolved: none."), "{md}");
    let same = qpol(&["diff", SEED, SEED]);
    assert_eq!(same.status.code(), Some(0));
}

#[test]
fn an_allowed_deletion_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("tests/fixtures/diff/instance_removed.qpol").unwrap()
        + "allow delete QR-finance \"the finance team left\";\n";
    let new = dir.path().join("new.qpol");
    std::fs::write(&new, text).unwrap();
    let out = qpol(&["diff".as_ref(), SEED.as_ref(), new.as_os_str()]);
    let md = stdout(&out);
    assert!(md.contains("| delete | `ibm_resource_instance.QR-finance` | its jobs are lost (allowed by the policy) |"), "{md}");
    // The deletion is acknowledged: no Q302, but access still changed.
    assert_eq!(out.status.code(), Some(3), "{md}");
}

#[test]
fn names_cannot_render_as_html_or_break_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(SEED).unwrap();
    let evil = r#"<img src=x onerror=alert(1)>|`x` *b* _i_ [l](u) $m$ &amp;"#;
    let escaped = evil.replace('\\', "\\\\").replace('"', "\\\"");
    let new_text = seed
        .replace(
            "members where project contains \"ml\"",
            &format!("members where project contains \"{escaped}\""),
        )
        .replace(
            "user Fatima { idp org-users; attributes { project \"ml\" } }",
            &format!("user Fatima {{ idp org-users; attributes {{ project \"{escaped}\" }} }}"),
        );
    let new = dir.path().join("a|b`<i>.qpol");
    std::fs::write(&new, new_text).unwrap();
    let out = qpol(&["diff".as_ref(), SEED.as_ref(), new.as_os_str()]);
    let md = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{md}{}", stderr(&out));
    // Fatima matches the new value too; Amyra no longer does.
    assert!(md.contains("| `Amyra` | loses |"), "{md}");
    // Values are code spans (a fence longer than their backticks): nothing
    // outside them is markup.
    let live = outside_code(&md);
    assert!(!live.contains('<'), "raw `<` in:\n{live}");
    assert!(!live.contains("*b*"), "{live}");
    assert!(!live.contains("[l](u)"), "{live}");
    assert!(!live.contains("$m$"), "{live}");
    assert!(!live.contains("&amp;"), "{live}");
    assert!(
        md.contains(
            "``project contains \"<img src=x onerror=alert(1)>\\|`x` *b* _i_ [l](u) $m$ &amp;\"``"
        ),
        "{md}"
    );
    assert_tables_hold(&md);
}

#[test]
fn a_long_section_is_folded() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(SEED).unwrap();
    let users: String = (0..60)
        .map(|i| format!("user u{i} {{ idp org-users; attributes {{ project \"ml\" }} }}\n"))
        .collect();
    let new = dir.path().join("new.qpol");
    std::fs::write(&new, seed + &users).unwrap();
    let out = qpol(&["diff".as_ref(), SEED.as_ref(), new.as_os_str()]);
    let md = stdout(&out);
    assert!(md.starts_with("qpol: 60 users gain access;"), "{md}");
    assert!(md.contains("## Access\n\n<details><summary>"), "{md}");
    assert!(
        md.contains("</details>\n\n## Users who are not declared"),
        "{md}"
    );
    // Short sections stay open.
    assert!(md.contains("## Findings\n\nNew: none."), "{md}");
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    let one = qpol(&["diff", SEED]);
    assert_eq!(one.status.code(), Some(2));
    assert!(
        stderr(&one).contains("`qpol diff OLD NEW`"),
        "{}",
        stderr(&one)
    );
    let missing = qpol(&["diff", SEED, "no/such.qpol"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no/such.qpol"));
    let stdin = qpol(&["diff", "-", "-"]);
    assert_eq!(stdin.status.code(), Some(2));
    let json = qpol(&["diff", SEED, "no/such.qpol", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["io_errors"][0]["path"], "no/such.qpol");
}

#[test]
fn git_compares_a_revision_with_the_working_tree() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::create_dir(root.join("policies")).unwrap();
    std::fs::copy(SEED, root.join("policies/org.qpol")).unwrap();
    init(root);
    commit_all(root, "seed");
    std::fs::copy(
        "tests/fixtures/diff/no_delete.qpol",
        root.join("policies/org.qpol"),
    )
    .unwrap();

    // PATH defaults to policies/ (a folder: its *.qpol files).
    let folder = qpol_at(root, &["diff", "--git", "main"]);
    let md = stdout(&folder);
    assert_eq!(folder.status.code(), Some(3), "{md}{}", stderr(&folder));
    assert!(md.contains("role `writer` lost `job.delete`"), "{md}");
    // The same from a sub-folder, naming the file; and by commit.
    let file = qpol_at(
        &root.join("policies"),
        &["diff", "--git", "HEAD", "org.qpol"],
    );
    assert_eq!(file.status.code(), Some(3), "{}", stderr(&file));
    assert_eq!(stdout(&file).replace("`HEAD:", "`main:"), md);
    // The old side's findings are named by revision.
    assert!(md.contains("`main:policies/org.qpol:28:58`"), "{md}");

    // Nothing changed against the working tree: exit 0.
    git(root, &["commit", "-q", "-am", "no delete"]);
    let same = qpol_at(root, &["diff", "--git", "HEAD"]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    assert!(stdout(&same).starts_with("qpol: no change in access;"));

    // A revision that does not exist, an option in its place.
    for base in ["--git=no-such-branch", "--git=--output=x"] {
        let bad = qpol_at(root, &["diff", base]);
        assert_eq!(bad.status.code(), Some(2), "{base}");
        assert!(
            stderr(&bad).contains("name a branch, tag or commit"),
            "{}",
            stderr(&bad)
        );
    }
    assert!(!root.join("x").exists());

    // A path outside any repository.
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(SEED, outside.path().join("org.qpol")).unwrap();
    let out = command(&["diff", "--git", "main", "org.qpol"])
        .current_dir(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not inside a git repository"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("qpol diff OLD NEW"));
}

#[test]
fn git_reads_a_policy_new_in_the_working_tree_as_empty() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::write(root.join("README"), "x").unwrap();
    init(root);
    commit_all(root, "empty");
    std::fs::copy(SEED, root.join("org.qpol")).unwrap();
    let out = qpol_at(root, &["diff", "--git", "main", "org.qpol"]);
    let md = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{md}{}", stderr(&out));
    assert!(md.starts_with("qpol: 3 users gain access;"), "{md}");
    assert!(
        md.contains("| create | `ibm_resource_instance.QR-ml` |"),
        "{md}"
    );
}

/// `qpol diff SEED NEW` where NEW is the seed with `edit` applied.
fn diff_edited(edit: impl Fn(String) -> String) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.qpol");
    std::fs::write(&new, edit(std::fs::read_to_string(SEED).unwrap())).unwrap();
    qpol(&["diff".as_ref(), SEED.as_ref(), new.as_os_str()])
}

#[test]
fn an_instance_moved_to_another_region_is_replaced_and_loses_its_jobs() {
    let out = diff_edited(|s| {
        s.replace(
            "instance QR-ml { plan standard; region us-east;",
            "instance QR-ml { plan standard; region eu-de;",
        )
    });
    let md = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(md.contains("| replace | `ibm_resource_instance.QR-ml` | region us-east -&#62; eu-de; **its jobs are lost** |"), "{md}");
    assert!(
        md.contains(
            "| replace | `instance.QR-ml` | region us-east -&#62; eu-de; **its jobs are lost** |"
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "- **Q301** error: instance `QR-ml` would move from region `us-east` to `eu-de`"
        ),
        "{md}"
    );
    // A plan change is an update in place.
    let plan = diff_edited(|s| {
        s.replace(
            "instance QR-common { plan lite;",
            "instance QR-common { plan standard;",
        )
    });
    let md = stdout(&plan);
    assert!(
        md.contains("| update | `ibm_resource_instance.QR-common` | plan lite -&#62; standard |"),
        "{md}"
    );
    assert_eq!(plan.status.code(), Some(0), "{md}");
}

#[test]
fn a_widened_rule_says_whom_else_it_admits() {
    let out = diff_edited(|s| {
        s.replace(
            "members where project contains \"ml\"",
            "members where project contains \"n\"",
        )
    });
    let md = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(md.contains("- project `ml`: `project contains \"ml\"` → `project contains \"n\"`; now admits any `project` containing `\"n\"` instead of `\"ml\"`; now also admits the users of project `finance`"), "{md}");
    assert!(
        md.contains(
            "> **New Q201 (error)**: rule `project contains \"n\"` of project ml also admits"
        ),
        "{md}"
    );
    // Ravi (project "finance") now matches ml's rule.
    assert!(md.contains("| `Ravi` | gains |"), "{md}");
    let wider = diff_edited(|s| s.replace("contains \"ml\"", "contains \"m\""));
    let md = stdout(&wider);
    assert!(
        md.contains(
            "now also admits any `project` containing `\"m\"`, not only those containing `\"ml\"`"
        ),
        "{md}"
    );
}

#[test]
fn warnings_fail_only_under_deny_warnings() {
    let edit = |s: String| {
        s.replace(
            "user Ravi { idp org-users; attributes { project \"finance\" } }",
            "user Ravi { idp org-users; attributes { project \"sales\" } }",
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.qpol");
    std::fs::write(&new, edit(std::fs::read_to_string(SEED).unwrap())).unwrap();
    let plain = qpol(&["diff".as_ref(), SEED.as_ref(), new.as_os_str()]);
    assert!(
        stdout(&plain).contains("- **Q214** warning"),
        "{}",
        stdout(&plain)
    );
    assert_eq!(plain.status.code(), Some(3));
    let denied = qpol(&[
        "--deny".as_ref(),
        "warnings".as_ref(),
        "diff".as_ref(),
        SEED.as_ref(),
        new.as_os_str(),
    ]);
    assert_eq!(denied.status.code(), Some(1));
}

#[test]
fn sarif_and_github_carry_only_the_findings_the_change_brings() {
    let new = "tests/fixtures/diff/overlap.qpol";
    let sarif = qpol(&["--format", "sarif", "diff", SEED, new]);
    assert_eq!(sarif.status.code(), Some(1), "{}", stderr(&sarif));
    let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let run = &doc["runs"][0];
    let ids: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["Q201", "Q214"]);
    assert_eq!(run["properties"]["access_changed"], true);
    // No change in findings: an empty SARIF run, not the policy's old notes.
    let same = qpol(&["--format", "sarif", "diff", SEED, SEED]);
    let doc: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));

    let github = qpol(&["--format", "github", "diff", SEED, new]);
    let text = stdout(&github);
    let commands: Vec<&str> = text.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), 2, "{text}");
    assert!(commands[0].starts_with("::error file=tests/fixtures/diff/overlap.qpol,line=32,"));
    assert!(commands[1].starts_with("::warning "));
    assert!(text
        .lines()
        .last()
        .unwrap()
        .starts_with("qpol: 2 users lose access"));
}

#[test]
fn service_ids_gain_and_lose_access_like_users() {
    let (old, new) = (
        "tests/fixtures/diff/service_ids_old.qpol",
        "tests/fixtures/diff/service_ids_new.qpol",
    );
    let md = qpol(&["diff", old, new]);
    assert_eq!(md.status.code(), Some(3), "{}", stderr(&md));
    let json = qpol(&["diff", old, new, "--format", "json"]);
    assert_eq!(json.status.code(), Some(3), "{}", stderr(&json));
    let md = stdout(&md);
    assert!(
        md.starts_with("qpol: 2 service ids gain access, 2 lose;"),
        "{md}"
    );
    assert!(
        md.contains("| service id `ci-bot` | loses | `device.read`"),
        "{md}"
    );
    assert!(
        md.contains("| `QR-ml` | no longer listed as a member of project `ml` |"),
        "{md}"
    );
    assert!(
        md.contains("| `QR-finance` | now listed as a member of project `finance` |"),
        "{md}"
    );
    assert!(
        md.contains("| `QR-finance` | service id `nightly` was removed |"),
        "{md}"
    );
    assert!(
        md.contains("| `QR-common` | service id `reporter` is new |"),
        "{md}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["access_changed"], true);
    let first = &doc["access"][0];
    assert_eq!(first["subject"], "service_id");
    assert_eq!(first["user"], "ci-bot");
    assert_eq!(first["cause"]["kind"], "static_member");
    assert!(doc["access"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["cause"]["kind"] == "service_id"));
    insta::assert_snapshot!("service_ids.md", md);
    insta::assert_snapshot!("service_ids.json", stdout(&json));
}
