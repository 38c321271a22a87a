//! `qpol diff` never says "no change in access" when access changed:
//! static members that are not declared users, the rule members of a
//! member set whose grants changed, a replaced identity provider, an
//! instance that becomes `existing`, findings a change acknowledges; the
//! CI formats carry the baseline findings; the Markdown keeps mentions and
//! URLs inert and fits `--max-bytes`; an undecodable side is never
//! compared. Fixtures: tests/fixtures/diff/ (files against
//! policies/org.qpol, folders of old/new pairs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::markdown::{assert_tables_hold, outside_code};
use support::run::{qpol, stderr, stdout};

const SEED: &str = "policies/org.qpol";
const FIXTURES: &str = "tests/fixtures/diff";

/// Diff `old` and `new` (under the fixtures) as Markdown and JSON; check the
/// exit code of both and snapshot the Markdown as `name.md`.
fn compare(old: &str, new: &str, name: &str, exit: i32) -> (String, serde_json::Value) {
    let path = |p: &str| {
        if p == SEED {
            p.to_string()
        } else {
            format!("{FIXTURES}/{p}")
        }
    };
    let (old, new) = (path(old), path(new));
    let md = qpol(&["diff", old.as_str(), new.as_str()]);
    assert_eq!(
        md.status.code(),
        Some(exit),
        "{name}: {}{}",
        stdout(&md),
        stderr(&md)
    );
    let json = qpol(&["diff", old.as_str(), new.as_str(), "--format", "json"]);
    assert_eq!(json.status.code(), Some(exit), "{name}: {}", stderr(&json));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["exit_code"], exit);
    let md = stdout(&md);
    assert_eq!(md.lines().next(), doc["summary"].as_str());
    insta::assert_snapshot!(format!("{name}.md"), md);
    (md, doc)
}

#[test]
fn a_static_member_added_by_email_or_service_id_is_an_access_change() {
    let (md, doc) = compare(SEED, "static_member.qpol", "static_member", 3);
    assert!(md.starts_with("qpol: 1 user gains access;"), "{md}");
    assert!(
        md.contains("| `outsider@evil.example` | gains | `device.read`, "),
        "{md}"
    );
    assert!(
        md.contains("| `QR-ml` | now listed as a member of project `ml` |"),
        "{md}"
    );
    assert_eq!(doc["access_changed"], true);
    assert_eq!(doc["access"][0]["cause"]["kind"], "static_member");
    // Removed: the same person loses it all.
    let back = qpol(&["diff", "tests/fixtures/diff/static_member.qpol", SEED]);
    assert_eq!(back.status.code(), Some(3));
    assert!(stdout(&back).contains("| `outsider@evil.example` | loses |"));
    assert!(stdout(&back).contains("no longer listed as a member of project `ml`"));

    let (md, _) = compare(SEED, "static_service_id.qpol", "static_service_id", 3);
    assert!(
        md.contains("| service id `iam-ServiceId-0123abcd-4567-89ab-cdef-0123456789ab` | gains |"),
        "{md}"
    );
}

#[test]
fn rule_members_gain_what_their_set_gains_with_its_cause() {
    let (md, doc) = compare(
        "no_users/old.qpol",
        "no_users/instance_added.qpol",
        "no_users_instance_added",
        3,
    );
    assert!(md.starts_with("qpol: 1 member set gains access;"), "{md}");
    assert!(
        md.contains("| project `ml` | `project contains \"ml\"` | gains | `device.read`, "),
        "{md}"
    );
    assert!(
        md.contains("| `QR-finance` | project `ml` now includes instance `QR-finance` |"),
        "{md}"
    );
    let set = &doc["member_sets"][0];
    assert_eq!(set["unit"]["name"], "ml");
    assert_eq!(set["rules"], serde_json::json!(["project contains \"ml\""]));
    assert_eq!(set["cause"]["kind"], "includes");

    let (md, _) = compare(
        "no_users/old.qpol",
        "no_users/role_actions.qpol",
        "no_users_role_actions",
        3,
    );
    assert!(md.starts_with("qpol: 2 member sets gain access;"), "{md}");
    assert!(md.contains("| gains | `program.create`, `program.delete` | `QR-ml` | role `writer` gained `program.create`, `program.delete` |"), "{md}");

    let (md, _) = compare(
        "no_users/group_old.qpol",
        "no_users/group_includes.qpol",
        "no_users_group_includes",
        3,
    );
    assert!(
        md.contains("| group `research` | `project contains \"research\"` | gains |"),
        "{md}"
    );
    assert!(
        md.contains("| `QR-finance` | group `research` now includes project `finance` |"),
        "{md}"
    );
    // Nothing changed: nothing reported, exit 0.
    let same = qpol(&[
        "diff",
        "tests/fixtures/diff/no_users/old.qpol",
        "tests/fixtures/diff/no_users/old.qpol",
    ]);
    assert_eq!(same.status.code(), Some(0));
}

#[test]
fn an_instance_marked_existing_is_a_q302_for_terraform_and_a_look_up_for_the_api() {
    let (md, doc) = compare(SEED, "existing.qpol", "existing", 1);
    assert!(
        md.contains("- **Q302** error: instance `QR-ml` is now `existing`"),
        "{md}"
    );
    assert!(
        md.contains(
            "| delete | `ibm_resource_instance.QR-ml` | now `existing`: Terraform destroys it"
        ),
        "{md}"
    );
    assert!(md.contains("| look-up | `instance.QR-ml` | now `existing`: looked up, not created; the instance and its jobs are kept |"), "{md}");
    let api = &doc["objects"]["ibm_api"]["changes"];
    let instance = api
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["object"] == "instance.QR-ml")
        .unwrap();
    assert_eq!(instance["loses_jobs"], false);
    let check = qpol(&[
        "check",
        "tests/fixtures/diff/existing.qpol",
        "--baseline",
        SEED,
    ]);
    assert_eq!(check.status.code(), Some(1), "{}", stdout(&check));
    assert!(stdout(&check).contains("Q302"), "{}", stdout(&check));
}

#[test]
fn github_and_sarif_carry_the_baseline_findings_located_in_the_old_file() {
    let new = "tests/fixtures/diff/instance_removed.qpol";
    let github = qpol(&["--format", "github", "diff", SEED, new]);
    assert_eq!(github.status.code(), Some(1));
    let text = stdout(&github);
    insta::assert_snapshot!("instance_removed.github", text);
    assert!(
        text.starts_with("::error title=Q302 instance would be deleted::instance `QR-finance`"),
        "{text}"
    );
    assert!(text.contains("\nqpol: 1 error and "), "{text}");
    assert!(text.contains("): exit 1\n"), "{text}");

    let sarif = qpol(&["--format", "sarif", "diff", SEED, new]);
    assert_eq!(sarif.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let q302 = results
        .iter()
        .find(|r| r["ruleId"] == "Q302")
        .expect("a Q302 result");
    let at = &q302["locations"][0]["physicalLocation"];
    assert_eq!(at["artifactLocation"]["uri"], SEED);
    assert_eq!(at["region"]["startLine"], 21);

    // Q301: located in the new file, related to the old one.
    let dir = tempfile::tempdir().unwrap();
    let moved = dir.path().join("moved.qpol");
    let seed = std::fs::read_to_string(SEED).unwrap();
    std::fs::write(
        &moved,
        seed.replace(
            "instance QR-ml { plan standard; region us-east;",
            "instance QR-ml { plan standard; region eu-de;",
        ),
    )
    .unwrap();
    let sarif = qpol(&[
        "--format".as_ref(),
        "sarif".as_ref(),
        "diff".as_ref(),
        SEED.as_ref(),
        moved.as_os_str(),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let q301 = results
        .iter()
        .find(|r| r["ruleId"] == "Q301")
        .expect("a Q301 result");
    let uri = q301["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("moved.qpol"), "{uri}");
    assert_eq!(
        q301["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        SEED
    );
}

#[test]
fn a_replaced_identity_provider_is_an_access_change() {
    let (md, doc) = compare(SEED, "idp_region.qpol", "idp_region", 3);
    assert!(
        md.starts_with("qpol: identity provider org-users replaced;"),
        "{md}"
    );
    assert!(md.contains("> **Identity provider `org-users` is replaced** (region us-south -&#62; eu-de): compile re-creates its App ID instance: federated users lose their identity"), "{md}");
    assert_eq!(doc["idps"][0]["change"], "replaced");
    assert_eq!(doc["idps"][0]["rules"], 2);
    assert_eq!(doc["access_changed"], true);
}

#[test]
fn a_newly_acknowledged_finding_is_listed_with_its_reason_not_as_resolved() {
    let (md, doc) = compare(
        "acknowledged/old.qpol",
        "acknowledged/new.qpol",
        "acknowledged",
        3,
    );
    assert!(md.contains("New: none.\n\nNewly acknowledged (silenced by an `allow` of this change, not resolved):\n\n- **Q201** error: rule"), "{md}");
    assert!(md.contains(", acknowledged: `trust me`"), "{md}");
    assert!(md.contains("Resolved: none."), "{md}");
    assert_eq!(doc["findings"]["acknowledged"][0]["code"], "Q201");
    assert_eq!(doc["findings"]["acknowledged"][0]["reason"], "trust me");
    assert_eq!(doc["findings"]["resolved"], serde_json::json!([]));
}

#[test]
fn mentions_and_urls_in_values_stay_in_code_spans() {
    let old = "tests/fixtures/diff/mention/old.qpol";
    let new = "tests/fixtures/diff/mention/new.qpol";
    let md = stdout(&qpol(&["diff", old, new]));
    assert!(md.contains("@octocat"), "{md}");
    let plain = outside_code(&md);
    assert!(!plain.contains('@'), "{plain}");
    assert!(!plain.contains("https:"), "{plain}");
    assert!(!md.contains("&#96;"), "{md}");
    assert!(md.contains("now admits only a `project` containing `\"ml @qpol-dev/security-team cc @octocat see https://evil.example/login\"`"), "{md}");
    // A value with backticks gets a longer fence.
    let dir = tempfile::tempdir().unwrap();
    let tick = dir.path().join("tick.qpol");
    let text = std::fs::read_to_string(new)
        .unwrap()
        .replace("ml @qpol-dev", "ml `@x` @qpol-dev");
    std::fs::write(&tick, text).unwrap();
    let md = stdout(&qpol(&["diff".as_ref(), old.as_ref(), tick.as_os_str()]));
    let plain = outside_code(&md);
    assert!(!plain.contains('@'), "{plain}");
    assert_tables_hold(&md);
}

#[test]
fn an_undecodable_side_is_reported_not_compared() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.qpol");
    std::fs::write(
        &bad,
        b"project ml { members where project contains \"\xff\"; }\n",
    )
    .unwrap();
    for args in [
        [SEED.as_ref(), bad.as_os_str()],
        [bad.as_os_str(), SEED.as_ref()],
    ] {
        let out = qpol(&[&["diff".as_ref()][..], &args[..]].concat());
        assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(text.contains("Q003"), "{text}");
        assert!(
            text.contains("cannot be decoded, so it cannot be compared"),
            "{text}"
        );
        assert!(!text.contains("## Access"), "{text}");
        assert!(!text.contains("lose access"), "{text}");
    }
}

#[test]
fn max_bytes_cuts_at_a_section_and_keeps_the_summary_and_call_outs() {
    let dir = tempfile::tempdir().unwrap();
    let overlap = std::fs::read_to_string("tests/fixtures/diff/overlap.qpol").unwrap();
    let users: String = (0..80)
        .map(|i| format!("user u{i} {{ idp org-users; attributes {{ project \"ml\" }} }}\n"))
        .collect();
    let new = dir.path().join("new.qpol");
    std::fs::write(&new, overlap + &users).unwrap();
    let args = |max: &str| -> Vec<std::ffi::OsString> {
        ["diff", SEED, new.to_str().unwrap(), "--max-bytes", max]
            .iter()
            .map(Into::into)
            .collect()
    };
    let full = stdout(&qpol(&["diff".as_ref(), SEED.as_ref(), new.as_os_str()]));
    assert!(full.len() > 6000, "{}", full.len());
    let out = qpol(&args("6000"));
    assert_eq!(out.status.code(), Some(1));
    let md = stdout(&out);
    assert!(md.len() <= 6000, "{}", md.len());
    assert_eq!(md.lines().next(), full.lines().next());
    assert!(md.contains("> **New Q201 (error)**"), "{md}");
    assert!(!md.contains("## Access"), "{md}");
    assert!(md.contains("## Findings"), "{md}");
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    assert!(md.trim_end().ends_with("for the whole report)*"), "{md}");
    assert!(
        md.contains("(truncated: Access left out to keep this comment under 6000 bytes;"),
        "{md}"
    );
    // Large enough: unchanged.
    assert_eq!(stdout(&qpol(&args("10000000"))), full);
}
