//! `live::import::policy`: a live account written back as a policy. For
//! (a) the seed guide's account made by hand, (b) the account applying
//! `policies/org.qpol` produces, (c) a generated 300-project organization
//! and (d) hostile and inexpressible objects: the text parses, checks
//! without errors, is a fixed point of the formatter, is deterministic, and
//! for (b) and (c) compiles to the very requests of the original policy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "support/live_accounts.rs"]
mod accounts;
#[path = "support/live_import.rs"]
mod fake;

use accounts::*;

use qpol::diag::Severity;
use qpol::live::import::{self, Imported};
use qpol::pipeline::Analysis;
use qpol::Policy;

/// The imported text checks without errors and is formatted; the warnings
/// (code list) are returned for the caller to justify.
fn sound(imported: &Imported) -> Vec<String> {
    let analysis = Analysis::new(Policy::from_texts([(
        "import.qpol",
        imported.text.as_str(),
    )]));
    let errors: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.counts_as(Severity::Error))
        .map(|d| format!("{}: {}", d.code.id(), d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{}", imported.text);
    let formatted = qpol::fmt::format_text("import.qpol", &imported.text).unwrap();
    assert_eq!(
        formatted, imported.text,
        "not a fixed point of the formatter"
    );
    let mut warnings: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.counts_as(Severity::Warning))
        .map(|d| d.code.id().to_string())
        .collect();
    warnings.dedup();
    warnings
}

/// The notes but the one each identity provider gets (its users are not
/// read), which must be there.
fn other_notes(imported: &Imported) -> Vec<&str> {
    let (unread, other): (Vec<&str>, Vec<&str>) =
        imported.notes.iter().map(String::as_str).partition(|n| {
            n.starts_with("identity provider org-users: its users") && n.contains("are not read")
        });
    assert_eq!(unread.len(), 1, "{:#?}", imported.notes);
    other
}

fn snapshot(name: &str, imported: &Imported) {
    let notes = imported.notes.join("\n");
    insta::assert_snapshot!(
        name,
        format!("{}\n---- notes ----\n{notes}\n", imported.text)
    );
}

#[test]
fn seed_account_made_by_hand_imports_as_projects() {
    let imported = import::policy(&seed_account());
    // Q224: the guide's role runs jobs without session.create (a real
    // shortcoming of the hand-made role, worth the warning).
    assert_eq!(sound(&imported), ["Q224"]);
    assert!(
        imported.text.contains("project project-ml {"),
        "{}",
        imported.text
    );
    assert!(imported
        .text
        .contains("members where project contains \"ml\", user admin;"));
    assert!(imported.text.contains("role runtime-user;"));
    assert!(imported.text.contains("instances QR-common, QR-ml;"));
    assert!(imported.text.contains("idp org-users {"));
    assert!(imported.text.contains("session 12h;"));
    assert!(imported
        .text
        .contains("service_id ci-bot {\n  iam_id \"iam-ServiceId-ci\";"));
    snapshot("seed_account", &imported);
}

#[test]
fn import_is_deterministic_whatever_the_order_of_the_snapshot() {
    let account = seed_account();
    let mut reversed = account.clone();
    reversed.instances.reverse();
    reversed.policies.reverse();
    reversed.access_groups.reverse();
    for g in &mut reversed.access_groups {
        g.rules.reverse();
    }
    let first = import::policy(&account);
    assert_eq!(first, import::policy(&account));
    assert_eq!(first, import::policy(&reversed));
}

/// The original's requests and the imported policy's are the same (but
/// for the names of custom roles' requests).
fn same_requests(original: &str, imported: &Imported) {
    let want = fake::canonical(&fake::requests(original));
    let got = fake::canonical(&fake::requests(&imported.text));
    if want != got {
        let show = |r: &Vec<serde_json::Value>| serde_json::to_string_pretty(r).unwrap();
        let (want, got) = (show(&want), show(&got));
        let diff = similar::TextDiff::from_lines(&want, &got);
        panic!(
            "the imported policy compiles to other requests:\n{}\nimported:\n{}",
            diff.unified_diff().context_radius(4),
            imported.text
        );
    }
}

#[test]
fn the_account_org_qpol_makes_imports_to_the_same_requests() {
    let original = std::fs::read_to_string("policies/org.qpol").unwrap();
    let account = fake::applied(&original);
    let imported = import::policy(&account);
    assert!(sound(&imported).is_empty());
    assert_eq!(other_notes(&imported), [""; 0], "{:#?}", imported.notes);
    same_requests(&original, &imported);
    snapshot("org_qpol_account", &imported);
}

#[test]
fn a_300_project_organization_imports_to_the_same_requests() {
    let original = organization(300);
    let account = fake::applied(&original);
    assert_eq!(account.access_groups.len(), 312);
    let imported = import::policy(&account);
    assert!(sound(&imported).is_empty());
    assert_eq!(other_notes(&imported), [""; 0], "{:#?}", imported.notes);
    same_requests(&original, &imported);
    let mut shuffled = account.clone();
    shuffled.access_groups.reverse();
    shuffled.policies.rotate_left(17);
    assert_eq!(imported, import::policy(&shuffled));
}

#[test]
fn what_only_the_checker_refuses_is_left_out_and_its_dependents_too() {
    let imported = import::policy(&refused_account());
    assert_eq!(sound(&imported), ["Q224"]);
    let text = &imported.text;
    assert!(
        text.contains("# instance \"QR-mars\": `qpol check` finds Q105"),
        "{text}"
    );
    assert!(
        text.contains("# custom role \"QiskitView\": `qpol check` finds Q502"),
        "{text}"
    );
    assert!(text.contains("# policy \"pol-mars\": it is on an instance that is not imported"));
    assert!(text.contains("# access group \"watchers\": none of its policies"));
    // project-ml keeps its two other instances.
    assert!(text.contains("project project-ml {\n  instances QR-common, QR-ml;"));
}

#[test]
fn hostile_and_inexpressible_objects_become_comments() {
    let account = hostile_account();
    let imported = import::policy(&account);
    // Q224: the guide's role, as in the seed test. The overlap of `ml`
    // and `html` is acknowledged (below), the hidden character left out.
    assert_eq!(sound(&imported), ["Q224"]);
    let analysis = Analysis::new(Policy::from_texts([(
        "import.qpol",
        imported.text.as_str(),
    )]));
    let units: Vec<&str> = analysis
        .model
        .units
        .iter()
        .map(|u| u.name.value.as_str())
        .collect();
    assert_eq!(
        units,
        ["lab", "partners", "project-finance", "project-ml", "web"]
    );
    assert_eq!(analysis.model.roles.iter().filter(|r| !r.preset).count(), 1);
    // Every line outside a statement is a comment, in printable ASCII, and
    // each raw object reads back as the live object.
    for line in imported.text.lines() {
        assert!(
            line.chars().all(|c| (' '..='~').contains(&c)) || !line.starts_with('#'),
            "{line}"
        );
    }
    let raw: Vec<serde_json::Value> = imported
        .text
        .lines()
        .filter_map(|l| l.strip_prefix("# {"))
        .map(|l| serde_json::from_str(&format!("{{{l}")).unwrap())
        .collect();
    let evil = account
        .access_groups
        .iter()
        .find(|g| g.id == "AccessGroupId-evil")
        .unwrap();
    assert!(raw.contains(&serde_json::to_value(evil).unwrap()));
    let cos = account.roles.iter().find(|r| r.id == "role-cos").unwrap();
    assert!(raw.contains(&serde_json::to_value(cos).unwrap()));
    for note in &imported.notes {
        assert!(note.chars().all(|c| (' '..='~').contains(&c)), "{note}");
    }
    assert!(imported
        .text
        .contains("allow Q201 on project project-ml for project web"));
    assert_eq!(imported, import::policy(&account));
    // Live text reaches the requests as it is (`${` kept literal).
    let requests = fake::requests(&imported.text);
    let lab = requests
        .iter()
        .find(|r| r["id"] == "access_group.lab")
        .unwrap();
    assert!(lab["body"]["description"]
        .as_str()
        .unwrap()
        .starts_with("Lab: $${x} \"quoted\" ddd"));
    snapshot("hostile_account", &imported);
}

#[test]
fn raised_limits_come_back_with_the_account() {
    let values: Vec<String> = (0..6).map(|i| format!("\"v{i}\"")).collect();
    let original = format!(
        "account {{ id \"00112233445566778899aabbccddeeff\"; limits {{ dynamic_rules_per_group 6; }} }}\n\
         idp org-users {{ kind appid; region us-south; attribute project; }}\n\
         instance QR-a {{ plan standard; region us-east; }}\n\
         role writer {{ display_name \"Qiskit writer\"; actions device.read, job.read, job.create, session.create; }}\n\
         project wide {{ instances QR-a; members where project in [{}]; role writer; }}\n",
        values.join(", ")
    );
    let imported = import::policy(&fake::applied(&original));
    assert!(
        sound(&imported).iter().all(|w| w == "Q602"),
        "{}",
        imported.text
    );
    assert!(
        imported
            .text
            .contains("limits {\n    dynamic_rules_per_group 6;\n  }"),
        "{}",
        imported.text
    );
    same_requests(&original, &imported);
}

#[test]
fn the_default_resource_group_is_unnamed_on_instances_and_existing_as_a_scope() {
    let original = "account { id \"00112233445566778899aabbccddeeff\"; }\n\
         idp org-users { kind appid; region us-south; attribute project; }\n\
         resource_group Default existing;\n\
         instance QR-a { plan standard; region us-east; }\n\
         role writer { display_name \"Qiskit writer\"; actions device.read, job.read, job.create, session.create; }\n\
         project everything { resource_group Default; members where project equals \"all\"; role writer; }\n\
         project a { instances QR-a; members where project equals \"a\"; role writer; }\n";
    let imported = import::policy(&fake::applied(original));
    assert!(sound(&imported).is_empty(), "{}", imported.text);
    assert!(imported.text.contains("resource_group Default existing;"));
    assert!(imported
        .text
        .contains("instance QR-a {\n  plan standard;\n  region us-east;\n}"));
    same_requests(original, &imported);
}
