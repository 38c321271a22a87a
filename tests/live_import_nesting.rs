//! `qpol import` keeps the shape of an account: nested groups come back as
//! `group`s (and stay flat projects when no group compiles to exactly
//! their policies), IBM's built-in service roles are explained, the
//! identity provider's attributes come from the rules' claims and its
//! unread users are noted, and hand-made names, odd descriptions and
//! several rules per group survive. Each time: the imported text checks
//! clean and `plan` against the same account shows no change.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "support/live_accounts.rs"]
mod accounts;
#[path = "support/live.rs"]
#[allow(dead_code)]
mod live;

use qpol::diag::Severity;
use qpol::live::account::{AccessGroup, Account, Member, Policy};
use qpol::live::import::{self, Imported};
use qpol::pipeline::Analysis;
use qpol::Policy as Files;
use std::collections::BTreeMap;

const HEAD: &str = r#"account { id "b2f1c4e8d9a7461c9e3f5a6b7c8d9e0f"; }
idp org-users { kind appid; region us-south; attribute project; session 12h; }
resource_group quantum;
instance QR-ml { plan standard; region us-east; resource_group quantum; }
instance QR-finance { plan standard; region us-east; resource_group quantum; }
instance QR-common { plan lite; region us-east; resource_group quantum; }
instance QR-chem { plan standard; region us-east; resource_group quantum; }
role writer {
  display_name "Qiskit writer";
  actions device.read, job.cancel, job.create, job.read, session.create, session.read,
          session.update, instance.read, workload.list;
}
project ml { instances QR-ml, QR-common; members where project equals "ml"; role writer; }
project finance { instances QR-finance, QR-common; members where project equals "finance"; role reader; }
project chem-lab { instances QR-chem; members where project equals "chem"; role writer; }
"#;

/// The seed's projects in two levels of groups: `research` gives its
/// members the projects' roles (writer and reader on the shared
/// instance), `lab` its own role on everything under it.
fn nested() -> String {
    format!(
        "{HEAD}group research {{ projects ml, finance; members user \"alice@example.com\"; }}\n\
         group lab {{ groups research; projects chem-lab; members user \"bob@example.com\"; role reader; }}\n"
    )
}

/// The text has no error under `check`; its warnings' codes.
fn checked(imported: &Imported) -> Vec<String> {
    let analysis = Analysis::new(Files::from_texts([("import.qpol", imported.text.as_str())]));
    let errors: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.counts_as(Severity::Error))
        .map(|d| format!("{}: {}", d.code.id(), d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{}", imported.text);
    let formatted = qpol::fmt::format_text("import.qpol", &imported.text).unwrap();
    assert_eq!(formatted, imported.text, "not formatted");
    let mut warnings: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.counts_as(Severity::Warning))
        .map(|d| d.code.id().to_string())
        .collect();
    warnings.dedup();
    warnings
}

/// `plan` of the imported text against `account` changes nothing.
fn plans_no_change(imported: &Imported, account: &Account) {
    let (analysis, allows) = live::analyse(&imported.text);
    let d = live::deployment(&analysis);
    let out = live::plan(&d, account, &allows);
    let actions: Vec<String> = out
        .plan
        .actions
        .iter()
        .map(|a| format!("{:?} {}", a.op, a.object))
        .collect();
    assert!(actions.is_empty(), "{actions:#?}\n{}", imported.text);
}

fn units(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("project ") || l.starts_with("group "))
        .map(|l| l.trim_end_matches(" {").to_string())
        .collect()
}

#[test]
fn two_levels_of_groups_come_back_as_groups() {
    let account = live::converged_with(&nested());
    let imported = import::policy(&account);
    assert!(checked(&imported).is_empty(), "{}", imported.text);
    assert_eq!(
        units(&imported.text),
        [
            "project chem-lab",
            "project finance",
            "group lab",
            "project ml",
            "group research"
        ]
    );
    let text = &imported.text;
    assert!(
        text.contains("group lab {\n  projects chem-lab;\n  groups research;\n  members user bob;\n  role reader;\n}"),
        "{text}"
    );
    assert!(
        text.contains("group research {\n  projects finance, ml;\n  members user alice;\n}"),
        "{text}"
    );
    plans_no_change(&imported, &account);
    insta::assert_snapshot!(
        "nested_groups",
        format!("{text}---- notes ----\n{}\n", imported.notes.join("\n"))
    );
}

#[test]
fn an_access_group_no_group_compiles_to_stays_a_flat_project() {
    // `everything` reaches QR-chem, `chem-lab` too: a group of the three.
    let exact = format!(
        "{HEAD}project everything {{ description \"Group everything\"; instances QR-ml, QR-finance, QR-common, QR-chem; members where project equals \"all\"; role writer; }}\n"
    );
    let account = live::converged_with(&exact);
    let imported = import::policy(&account);
    assert!(
        imported.text.contains("group everything {\n  projects chem-lab, finance, ml;\n  members where project equals \"all\";\n  role writer;\n}"),
        "{}",
        imported.text
    );
    plans_no_change(&imported, &account);
    // Without chem-lab, nothing else reaches QR-chem: a project still.
    let inexact = exact.replace(
        "project chem-lab { instances QR-chem; members where project equals \"chem\"; role writer; }\n",
        "",
    );
    let account = live::converged_with(&inexact);
    let imported = import::policy(&account);
    assert!(checked(&imported).iter().all(|w| w != "Q201"));
    assert!(
        imported.text.contains("project everything {\n  instances QR-chem, QR-common, QR-finance, QR-ml;\n  description \"Group everything\";"),
        "{}",
        imported.text
    );
    assert!(!imported.text.contains("\ngroup "), "{}", imported.text);
    plans_no_change(&imported, &account);
}

#[test]
fn a_300_project_organization_comes_back_with_its_groups() {
    let text = qpol::synth::generate(&qpol::synth::OrgSpec::new(300, 300, 0)).text;
    let account = live::converged_with(&text);
    let imported = import::policy(&account);
    assert!(checked(&imported).is_empty());
    let units = units(&imported.text);
    let groups: Vec<&String> = units.iter().filter(|u| u.starts_with("group ")).collect();
    // 30 teams, 3 departments, 1 hub.
    assert_eq!(groups.len(), 34, "{groups:?}");
    assert_eq!(units.len(), 334);
    assert!(imported
        .text
        .contains("group hub-0 {\n  groups dept-0, dept-1, dept-2;"));
    assert!(imported.text.contains(
        "group team-0 {\n  projects prj-0, prj-1, prj-2, prj-3, prj-4, prj-5, prj-6, prj-7, prj-8, prj-9;"
    ));
    plans_no_change(&imported, &account);
}

/// `account` with a hand-made access group `name` (no marker) whose one
/// policy on `instance` gives `roles`.
fn with_hand_made(mut account: Account, name: &str, instance: &str, roles: &[&str]) -> Account {
    let guid = account
        .instances
        .iter()
        .find(|x| x.name == instance)
        .unwrap()
        .guid
        .clone();
    let id = format!("AccessGroupId-hand-{}", account.access_groups.len());
    account.access_groups.push(AccessGroup {
        id: id.clone(),
        name: name.into(),
        description: Some("Made by hand".into()),
        rules: Vec::new(),
        members: vec![Member {
            iam_id: "IBMid-alice".into(),
            kind: "user".into(),
        }],
    });
    account.policies.push(Policy {
        id: format!("policy-hand-{}", account.policies.len()),
        description: None,
        access_group_id: id,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        resource: BTreeMap::from([
            ("accountId".into(), account.account_id.clone()),
            ("serviceName".into(), "quantum-computing".into()),
            ("serviceInstance".into(), guid),
        ]),
    });
    account.normalise();
    account
}

#[test]
fn built_in_service_roles_are_kept_with_why_and_what_to_do() {
    let account = with_hand_made(
        live::converged_with(&nested()),
        "readers",
        "QR-ml",
        &[
            "crn:v1:bluemix:public:iam::::role:Viewer",
            "crn:v1:bluemix:public:iam::::serviceRole:Reader",
        ],
    );
    let imported = import::policy(&account);
    checked(&imported);
    let note = imported
        .notes
        .iter()
        .find(|n| n.contains("built-in service role"))
        .expect("a note on the built-in role");
    assert!(note.contains("\"Reader\""), "{note}");
    assert!(note.contains("custom role qpol creates"), "{note}");
    assert!(note.contains("give the project a custom role"), "{note}");
    assert!(
        imported.text.contains("# policy \"policy-hand-"),
        "{}",
        imported.text
    );
    assert!(imported
        .text
        .contains("# access group \"readers\": none of its policies"));
    plans_no_change(&imported, &account);
}

#[test]
fn the_idp_attributes_come_from_every_claim_and_its_users_are_noted() {
    let text = r#"account { id "b2f1c4e8d9a7461c9e3f5a6b7c8d9e0f"; }
idp org-users { kind appid; region us-south; attribute project, dept; }
instance QR-a { plan standard; region us-east; }
role writer { display_name "Qiskit writer"; actions device.read, job.read, job.create, session.create, session.read; }
project a { instances QR-a; members where project equals "a" and dept equals "physics", user "carol@example.com"; role writer; }
"#;
    let account = live::converged_with(text);
    let imported = import::policy(&account);
    assert!(checked(&imported).is_empty(), "{}", imported.text);
    assert!(
        imported.text.contains("  attribute dept, project;\n"),
        "{}",
        imported.text
    );
    assert!(imported
        .text
        .contains("user carol {\n  email \"carol@example.com\";\n}"));
    assert_eq!(
        imported.notes,
        ["identity provider org-users: its users (the App ID cloud directory, or the SAML provider's) are not read, \
          so the policy declares none of them; for `qpol test` asserts about who gets access, add each as \
          `user NAME { idp org-users; attributes { dept \"...\"; project \"...\" } }` by hand"]
    );
    plans_no_change(&imported, &account);
}

#[test]
fn hand_made_names_odd_descriptions_and_several_rules_survive() {
    let text = format!(
        "{HEAD}project multi {{ instances QR-ml; description \"Multi: $${{x}} \\\"quoted\\\" \u{e9}t\u{e9}\"; \
         members where project equals \"m1\", where project in [\"m2\", \"m3\"]; role writer; }}\n"
    );
    let account = with_hand_made(
        live::converged_with(&text),
        "Team Blue (hand-made)",
        "QR-ml",
        &[
            "crn:v1:bluemix:public:iam::::role:Viewer",
            "crn:v1:bluemix:public:iam::::serviceRole:Writer",
        ],
    );
    let multi = account
        .access_groups
        .iter()
        .find(|g| g.name == "multi")
        .unwrap();
    assert_eq!(multi.rules.len(), 3);
    let imported = import::policy(&account);
    checked(&imported);
    assert!(imported.text.contains(
        "project multi {\n  instances QR-ml;\n  description \"Multi: $${x} \\\"quoted\\\" \u{e9}t\u{e9}\";\n  members where project equals \"m1\", where project equals \"m2\", where project equals \"m3\";"
    ), "{}", imported.text);
    assert!(imported
        .text
        .contains("# access group \"Team Blue (hand-made)\": its name"));
    plans_no_change(&imported, &account);
    assert_eq!(imported, import::policy(&account));
}

/// An account made by hand from the guide: the language names neither a
/// policy's description nor a rule, so the first `plan` adopts its objects
/// (qpol's descriptions and marker, its rules beside the hand-made ones
/// with the very same conditions); nothing that grants access changes.
#[test]
fn a_hand_made_seed_account_plans_only_its_adoption() {
    let account = accounts::seed_account();
    let imported = import::policy(&account);
    assert_eq!(checked(&imported), ["Q224"]);
    let (analysis, allows) = live::analyse(&imported.text);
    let d = live::deployment(&analysis);
    let out = live::plan(&d, &account, &allows);
    let live_rules: Vec<serde_json::Value> = account
        .access_groups
        .iter()
        .flat_map(|g| &g.rules)
        .map(|r| serde_json::json!([r.expiration, r.conditions]))
        .collect();
    // The hand-made rules are adopted (same content, other names), adopted
    // policies and groups keep their own words: the first plan is empty.
    assert_eq!(out.plan.actions.len(), 0, "{:#?}", out.plan.actions);
    assert_eq!(live_rules.len(), 2);
}
