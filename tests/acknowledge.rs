//! Q201 by consequence and `allow CODE` acknowledgements, as a user sees
//! them: severities, exit codes, what human and JSON output show, and which
//! findings a scope covers (by the entity the finding concerns).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::run::{qpol, stdout};

use qpol::diag::{Code, Diagnostic, Severity};

fn check(text: &str) -> Vec<Diagnostic> {
    qpol::checks::check(qpol::Policy::from_texts([("p.qpol", text)])).diagnostics
}

fn json(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = qpol(&all);
    (
        out.status.code(),
        serde_json::from_str(&stdout(&out)).unwrap(),
    )
}

fn q201(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.code == Code::OverlappingRule)
        .collect()
}

#[test]
fn an_overlap_that_escalates_is_an_error_naming_an_action_and_instance() {
    let (code, doc) = json(&["tests/fixtures/err/overlap_escalates.qpol"]);
    assert_eq!(code, Some(1));
    let d = &doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "Q201")
        .unwrap();
    assert_eq!(d["severity"], "error");
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("users of project chemlab would get `job.delete` on QR-ml, which project chemlab's grants do not give"),
        "{message}"
    );
    assert_eq!(doc["errors"], 1);
}

#[test]
fn an_overlap_the_victims_own_grants_cover_is_a_warning() {
    let (code, doc) = json(&["tests/fixtures/err/overlap_covered.qpol"]);
    assert_eq!(code, Some(0));
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "Q201");
    assert_eq!(d["severity"], "warning");
    assert_eq!(doc["warnings"], 1);
}

#[test]
fn every_rule_expecting_the_victims_value_and_what_lies_below_it_are_their_own_grants() {
    // A group expecting `chemlab` holds a project with QR-ml and the writer role:
    // chemlab's users already have everything `ml`'s reader gives there.
    let base = r#"
idp org-users { kind appid; region us-south; attribute project; }
instance QR-ml { plan standard; region us-east; }
project ml { instances QR-ml; members where project contains "ml"; role reader; }
project ml-jobs { instances QR-ml; role writer; }
"#;
    let covered = format!(
        "{base}group chemlab {{ projects ml-jobs; members where project equals \"chemlab\"; }}\n"
    );
    let found = check(&covered);
    let q = q201(&found);
    assert_eq!(q.len(), 1, "{found:?}");
    assert_eq!(q[0].severity, Severity::Warning, "{}", q[0].message);
    // Without the group, chemlab's users gain everything: an error.
    let bare = format!(
        "{base}project chemlab {{ instances QR-ml; members where project equals \"chemlab\"; role reader-less; }}\nrole reader-less {{ actions device.read; }}\n"
    );
    let found = check(&bare);
    let q = q201(&found);
    assert_eq!(q.len(), 1, "{found:?}");
    assert_eq!(q[0].severity, Severity::Error);
    assert!(q[0].message.contains("on QR-ml"), "{}", q[0].message);
}

#[test]
fn acknowledged_findings_are_hidden_from_people_and_count_toward_nothing() {
    let path = "tests/fixtures/ok/acknowledged.qpol";
    for args in [
        vec!["check", path],
        vec!["check", "--deny", "warnings", path],
    ] {
        let out = qpol(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        let text = stdout(&out);
        assert!(!text.contains("[Q201]"), "{text}");
        assert!(
            text.ends_with("0 errors, 0 warnings, 1 note (4 acknowledged)\n"),
            "{text}"
        );
        // The broad `allow Q201 on project ml` hides an error-level Q201: a note says so.
        assert!(text.contains("note[Q122]"), "{text}");
    }
    let (code, doc) = json(&[path]);
    assert_eq!(code, Some(0));
    assert_eq!(
        (doc["errors"].clone(), doc["warnings"].clone()),
        (0.into(), 0.into())
    );
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 5);
    let overlap = diagnostics.iter().find(|d| d["code"] == "Q201").unwrap();
    assert_eq!(overlap["severity"], "error");
    assert_eq!(
        overlap["suppressed"]["reason"],
        "ml-* sub-projects share QR-ml by design"
    );
    assert_eq!(overlap["suppressed"]["at"]["line"], 12);
    assert_eq!(overlap["suppressed"]["at"]["file"], path);
    assert!(diagnostics
        .iter()
        .all(|d| d["suppressed"].is_object() || d["code"] == "Q122"));
}

#[test]
fn an_acknowledgement_that_suppresses_nothing_is_a_warning() {
    let (code, doc) = json(&["tests/fixtures/err/unused_acknowledgement.qpol"]);
    assert_eq!(code, Some(0));
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["Q120", "Q120", "Q120"]);
    let denied = qpol(&[
        "check",
        "--deny",
        "warnings",
        "tests/fixtures/err/unused_acknowledgement.qpol",
    ]);
    assert_eq!(denied.status.code(), Some(1));
}

#[test]
fn errors_other_than_q201_cannot_be_acknowledged() {
    let found = check(
        "instance QR-ml { plan standard; region us-east; }\nallow Q101 \"not declared on purpose\";\n",
    );
    let refused = found
        .iter()
        .find(|d| d.code == Code::NotAcknowledgeable)
        .unwrap();
    assert!(refused.is_error());
    assert!(refused.message.contains("only Q201"), "{}", refused.message);
}

const TWO_OVERLAPS: &str = r#"
idp org-users { kind appid; region us-south; attribute project, team; }
role runner { actions device.read, job.read, job.create, session.create; }
instance QR-ml { plan standard; region us-east; }
instance QR-qa { plan standard; region us-east; }
instance QR-chem { plan standard; region us-east; }
project ml { instances QR-ml; members where project contains "ml"; role writer; }
project qa { instances QR-qa; members where team contains "qa"; role runner; }
project chemlab { instances QR-chem; members where project equals "chemlab", where team equals "qatar"; role reader; }
"#;

/// Which Q201 findings (by the project whose rule admits) an acknowledgement leaves.
fn left_by(ack: &str) -> Vec<String> {
    let found = check(&format!("{TWO_OVERLAPS}{ack}\n"));
    q201(&found)
        .iter()
        .filter(|d| d.suppressed.is_none())
        .map(|d| {
            let of = d.message.split(" of ").nth(1).unwrap();
            of.split(' ').take(2).collect::<Vec<_>>().join(" ")
        })
        .collect()
}

#[test]
fn a_scope_covers_the_findings_about_its_entity_only() {
    assert_eq!(left_by(""), ["project ml", "project qa"]);
    assert!(left_by("allow Q201 \"both are meant\";").is_empty());
    assert_eq!(
        left_by("allow Q201 on project ml \"meant\";"),
        ["project qa"]
    );
    assert_eq!(
        left_by("allow Q201 on instance QR-qa \"meant\";"),
        ["project ml"]
    );
    assert_eq!(
        left_by("allow Q201 on role runner \"meant\";"),
        ["project ml"]
    );
    // chemlab's rules are the ones whose users are admitted: the findings are not about chemlab.
    let found = check(&format!(
        "{TWO_OVERLAPS}allow Q201 on project chemlab \"x\";\n"
    ));
    assert_eq!(
        q201(&found)
            .iter()
            .filter(|d| d.suppressed.is_none())
            .count(),
        2
    );
    assert!(found.iter().any(|d| d.code == Code::UnusedAcknowledgement));
    // A message that names the scope's text does not make a match: `QR-chem` is
    // in no finding's entities, though chemlab is in both messages.
    assert_eq!(
        left_by("allow Q201 on instance QR-chem \"x\";"),
        ["project ml", "project qa"]
    );
}

#[test]
fn acknowledging_a_user_covers_the_findings_about_that_user() {
    let text = r#"
idp org-users { kind appid; region us-south; attribute project; }
instance QR-ml { plan standard; region us-east; }
project ml { instances QR-ml; members where project contains "ml"; role writer; }
user Ravi { idp org-users; attributes { project "html-tools" } }
user Mia { idp org-users; attributes { project "xml-team" } }
allow Q202 on user Ravi "Ravi works with the ml team";
"#;
    let found = check(text);
    let q202: Vec<_> = found
        .iter()
        .filter(|d| d.code == Code::AccidentalMember)
        .collect();
    assert_eq!(q202.len(), 2);
    let open: Vec<_> = q202.iter().filter(|d| d.suppressed.is_none()).collect();
    assert_eq!(open.len(), 1);
    assert!(open[0].message.contains("`Mia`"), "{}", open[0].message);
}

#[test]
fn explain_q201_states_the_verdict_rule() {
    let out = qpol(&["explain", "Q201"]);
    let text = stdout(&out);
    assert!(
        text.contains("It is an error when the admitted users gain access"),
        "{text}"
    );
    assert!(
        text.contains("It is a warning when their own grants"),
        "{text}"
    );
    assert!(text.contains("allow Q201 on project ml"), "{text}");
}

fn escalating(acks: &str) -> Vec<Diagnostic> {
    let base = std::fs::read_to_string("tests/fixtures/err/overlap_escalates.qpol").unwrap();
    check(&format!("{base}{acks}\n"))
}

fn ids(found: &[Diagnostic]) -> Vec<&'static str> {
    found.iter().map(|d| d.code.id()).collect()
}

#[test]
fn which_acknowledgement_is_used_does_not_depend_on_statement_order() {
    for acks in [
        r#"allow Q201 "b"; allow Q201 on project ml "a";"#,
        r#"allow Q201 on project ml "a"; allow Q201 "b";"#,
    ] {
        let found = escalating(acks);
        assert!(!ids(&found).contains(&"Q120"), "{acks}: {found:?}");
        assert!(q201(&found).iter().all(|d| d.suppressed.is_some()));
    }
}

#[test]
fn an_acknowledgement_written_twice_is_a_duplicate() {
    let found = escalating(r#"allow Q201 on project ml "a"; allow Q201 on project ml "a";"#);
    assert!(!ids(&found).contains(&"Q120"), "{found:?}");
    let dup: Vec<_> = found
        .iter()
        .filter(|d| d.code == Code::DuplicateAcknowledgement)
        .collect();
    assert_eq!(dup.len(), 1, "{found:?}");
    assert_eq!(dup[0].severity, Severity::Warning);
    assert!(dup[0].secondary[0].message.contains("first written here"));
}

#[test]
fn a_broad_acknowledgement_of_an_escalation_is_noted_and_never_fails_a_run() {
    let path = std::env::temp_dir().join(format!("qpol-broad-{}.qpol", std::process::id()));
    let base = std::fs::read_to_string("tests/fixtures/err/overlap_escalates.qpol").unwrap();
    std::fs::write(&path, format!("{base}allow Q201 \"everything\";\n")).unwrap();
    let out = qpol(&["check", "--deny", "warnings", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("note[Q122]"), "{text}");
    assert!(text.contains("for project"), "{text}");
}

#[test]
fn for_is_only_for_q201() {
    let found = check(
        "instance QR-ml { plan standard; region us-east; }\nproject ml { instances QR-ml; role reader; }\nallow Q213 on project ml for project ml \"x\";\n",
    );
    let d = found
        .iter()
        .find(|d| {
            d.message
                .contains("`for` names the projects a Q201 rule admits")
        })
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(d.code, Code::InvalidValue);
    assert!(d.help.as_deref().unwrap().contains("remove the `for` part"));
}

const DECLS: &str = r#"
idp org-users { kind appid; region us-south; attribute project; }
instance QR-ml { plan standard; region us-east; }
instance QR-chem { plan standard; region us-east; }
project ml { instances QR-ml; members where project contains "ml"; role writer; }
project chemlab { instances QR-chem; members where project equals "chemlab"; role writer; }
"#;

fn with_decls(acks: &str) -> Vec<Diagnostic> {
    check(&format!("{DECLS}{acks}\n"))
}

#[test]
fn a_reason_needs_a_visible_character() {
    for reason in [
        r"\u{200B}",
        r"\u{FEFF}",
        r"\u{0}",
        r"\u{AD}",
        r"\u{2800}",
        "   ",
        r"\u{A0}",
    ] {
        let found = with_decls(&format!("allow Q201 on project ml \"{reason}\";"));
        let d = found
            .iter()
            .find(|d| d.code == Code::MissingSetting)
            .unwrap_or_else(|| panic!("{reason}: {found:?}"));
        assert!(d.message.contains("needs a reason"), "{}", d.message);
    }
}

#[test]
fn a_hidden_character_in_a_reason_is_q009() {
    let found = with_decls(r#"allow Q201 on project ml "\u{1B}[2J shared by design";"#);
    let d = found
        .iter()
        .find(|d| d.code == Code::HiddenInShownValue)
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(d.message.contains("reason"), "{}", d.message);
}

#[test]
fn a_scope_of_the_wrong_kind_says_what_the_name_is() {
    for (ack, said, fix) in [
        (
            r#"allow Q201 on user ml "x";"#,
            "`ml` is a project, not a user",
            "`on project ml`",
        ),
        (
            r#"allow Q201 on instance ml "x";"#,
            "`ml` is a project, not an instance",
            "`on project ml`",
        ),
        (
            r#"allow Q213 on project QR-chem "x";"#,
            "`QR-chem` is an instance, not a project",
            "`on instance QR-chem`",
        ),
        (
            r#"allow Q201 on project ml for project QR-chem "x";"#,
            "`QR-chem` is an instance, not a project",
            "`for` names the projects or groups",
        ),
        (
            r#"allow Q201 on project ml for instance QR-chem "x";"#,
            "not of instances",
            "`for project NAME`",
        ),
    ] {
        let found = with_decls(ack);
        let d = found
            .iter()
            .find(|d| d.message.contains(said))
            .unwrap_or_else(|| panic!("{ack}: {found:?}"));
        assert!(d.help.as_deref().unwrap().contains(fix), "{ack}: {d:?}");
        assert!(!ids(&found).contains(&"Q101"), "{ack}: {found:?}");
    }
}

#[test]
fn a_scope_without_on_suggests_the_names_own_kind() {
    let found = with_decls(r#"allow Q213 QR-chem "x";"#);
    let d = found
        .iter()
        .find(|d| d.message.contains("needs `on` and a kind"))
        .unwrap_or_else(|| panic!("{found:?}"));
    let help = d.help.as_deref().unwrap();
    assert!(help.contains("allow Q213 on instance QR-chem"), "{help}");
}

#[test]
fn q004_can_never_be_acknowledged() {
    let found = check("allow Q004 \"nothing declared yet\";\n");
    let d = found
        .iter()
        .find(|d| d.code == Code::NotAcknowledgeable)
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(d.message.contains("Q004"), "{}", d.message);
}

#[test]
fn codes_and_scope_kinds_are_case_insensitive_and_fmt_writes_them_canonically() {
    let found = with_decls(r#"allow q201 on Project ml for PROJECT chemlab "x";"#);
    assert!(
        found
            .iter()
            .all(|d| d.severity != Severity::Error || d.code == Code::OverlappingRule),
        "{found:?}"
    );
    let text =
        "allow q201 on Project ml for PROJECT chemlab, Group g \"x\";\nallow delete QR-ml;\n";
    let formatted = qpol::fmt::format_text("x.qpol", text).unwrap();
    assert_eq!(
        formatted,
        "allow Q201 on project ml for project chemlab, group g \"x\";\nallow delete QR-ml;\n"
    );
}

/// The findings of `code` in `text` plus `ack`: (with the ack, covered?).
fn covered(text: &str, ack: &str, code: Code) -> bool {
    let without = check(text);
    assert!(without.iter().any(|d| d.code == code), "{without:?}");
    let with = check(&format!("{text}\n{ack}\n"));
    with.iter()
        .filter(|d| d.code == code)
        .all(|d| d.suppressed.is_some())
        && !with.iter().any(|d| d.code == Code::UnusedAcknowledgement)
}

#[test]
fn findings_that_name_an_instance_or_idp_can_be_scoped_on_it() {
    let lookalike = "instance QR-ml { plan standard; region us-east; }\ninstance QR-mI { plan standard; region us-east; }\nproject p { instances QR-ml, QR-mI; role reader; members user \"a@example.com\"; }\n";
    assert!(covered(
        lookalike,
        r#"allow Q113 on instance QR-ml "x";"#,
        Code::LookalikeNames
    ));
    assert!(covered(
        lookalike,
        r#"allow Q113 on instance QR-mI "x";"#,
        Code::LookalikeNames
    ));
    let audit = std::fs::read_to_string("tests/fixtures/err/audit_region.qpol").unwrap();
    let ack = r#"allow Q225 on instance QR-eu "x";"#;
    let found = check(&format!("{audit}\n{ack}\n"));
    assert!(
        found
            .iter()
            .filter(|d| d.code == Code::AuditRegionMismatch)
            .all(|d| d.suppressed.is_some()),
        "{found:?}"
    );
    let idp = "idp corp { kind appid; attribute project; }\ninstance QR-ml { plan standard; region us-east; }\nproject p { instances QR-ml; role reader; members where project equals \"p\"; }\n";
    assert!(covered(
        idp,
        r#"allow Q504 on idp corp "x";"#,
        Code::IdpNotCreated
    ));
}

#[test]
fn explain_says_what_each_acknowledgeable_codes_findings_concern() {
    for info in qpol::diag::codes::TABLE {
        let out = qpol(&["explain", info.id]);
        let text = stdout(&out);
        let acknowledgeable = info.code == Code::OverlappingRule
            || (info.severity == Severity::Warning && !matches!(info.id, "Q004" | "Q120" | "Q123"));
        assert_eq!(
            text.contains("Acknowledging it: its findings concern"),
            acknowledgeable,
            "{}: {text}",
            info.id
        );
    }
    let text = stdout(&qpol(&["explain", "Q113"]));
    assert!(text.contains("`on instance QR-ml`"), "{text}");
}

#[test]
fn syntax_errors_inside_allow_get_allow_help() {
    for (text, help) in [
        (r#"allow "x";"#, "`allow` names a code or a change first"),
        ("allow;", "`allow CODE on KIND NAME \\\"reason\\\";`"),
        (
            r#"allow Q201 on project "ml" "x";"#,
            "without quotes: `on project ml`",
        ),
        (
            "allow Q2\u{FF10}1 \"x\";",
            "full-width character: write `0`",
        ),
        (r#"allow on project ml "x";"#, "the code comes before `on`"),
        (r#"allow Q201 on "x";"#, "a scope is `on KIND NAME`"),
        (r#"allow Q201 om project ml "x";"#, "did you mean `on`?"),
        (
            r#"allow Q201 for project "a" "x";"#,
            "`for project NAME, group NAME`, without quotes",
        ),
        (r#"allow Q0201 "x";"#, "did you mean `Q201`?"),
        (
            r#"project ml { allow Q201 "x"; }"#,
            "`allow` is a statement, not a setting",
        ),
    ] {
        let found = check(&format!("{text}\n"));
        let d = found
            .iter()
            .find(|d| d.severity == Severity::Error)
            .unwrap_or_else(|| panic!("{text}: {found:?}"));
        let shown = format!(
            "{} {}",
            d.help.as_deref().unwrap_or(""),
            d.suggestion
                .as_deref()
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_default()
        );
        let help = help.replace("\\\"", "\"");
        assert!(shown.contains(&help), "{text}: {shown}");
    }
}
