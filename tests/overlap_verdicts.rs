//! Q201 findings per admitted project: `Diagnostic::admitted` names it, and
//! a rule admitting many projects names the first five and counts the rest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::diag::{Code, Diagnostic, Entity, Severity};

fn q201(text: &str) -> (qpol::model::Model, Vec<Diagnostic>) {
    let result = qpol::checks::check(qpol::Policy::from_texts([("p.qpol", text)]));
    let found = result
        .diagnostics
        .into_iter()
        .filter(|d| d.code == Code::OverlappingRule)
        .collect();
    (result.model, found)
}

fn unit(model: &qpol::model::Model, name: &str) -> Entity {
    Entity::Unit(
        model
            .units
            .iter()
            .position(|u| u.name.value.as_str() == name)
            .unwrap(),
    )
}

#[test]
fn each_admitted_project_gets_a_finding_that_names_it() {
    let text = r#"
idp a { region us-south; attribute project; }
instance QR-ml { plan standard; region us-east; }
instance QR-chem { plan standard; region us-east; }
project ml { instances QR-ml; members where project contains "ml"; role writer; }
project chemlab { instances QR-chem; members where project equals "chemlab"; role reader; }
project html { instances QR-ml; members where project equals "html"; role writer; }
"#;
    let (model, found) = q201(text);
    assert_eq!(found.len(), 2, "{found:?}");
    let chemlab = found
        .iter()
        .find(|d| d.message.contains("(project chemlab)"))
        .unwrap();
    assert_eq!(chemlab.admitted, [unit(&model, "chemlab")]);
    assert_eq!(chemlab.severity, Severity::Error);
    assert!(chemlab.subjects.contains(&unit(&model, "ml")));
    assert!(chemlab
        .help
        .as_deref()
        .unwrap()
        .contains("allow Q201 on project ml for project chemlab \"why\";"));
    let html = found
        .iter()
        .find(|d| d.message.contains("(project html)"))
        .unwrap();
    assert_eq!(html.admitted, [unit(&model, "html")]);
    assert_eq!(html.severity, Severity::Warning);
}

#[test]
fn a_rule_admitting_many_projects_names_five_and_counts_the_rest() {
    let mut text = String::from(
        "idp a { region us-south; attribute project; }\ninstance QR-x { plan standard; region us-east; }\n",
    );
    for i in 1..=12 {
        text.push_str(&format!(
            "project p{i} {{ instances QR-x; members where project contains \"{}\"; role reader; }}\n",
            "a".repeat(i)
        ));
    }
    let (model, found) = q201(&text);
    let of_p1: Vec<&Diagnostic> = found
        .iter()
        .filter(|d| d.message.contains("of project p1 "))
        .collect();
    // p1 admits p2..p12: five findings of their own and one for the other six.
    assert_eq!(of_p1.len(), 6, "{of_p1:?}");
    let summary = of_p1
        .iter()
        .find(|d| d.message.contains("6 more projects or groups"))
        .unwrap();
    let rest: Vec<Entity> = (7..=12).map(|i| unit(&model, &format!("p{i}"))).collect();
    assert_eq!(summary.admitted, rest);
    assert!(of_p1.iter().all(|d| d.severity == Severity::Warning));
}

#[test]
fn explain_q201_names_the_admitted_values_and_the_identity_provider_rule() {
    let info = Code::OverlappingRule.info();
    for needle in [
        "equals_ignore_case",
        "same identity provider",
        "does not count",
        "allow Q201 on project ml for project chemlab",
    ] {
        assert!(
            info.explanation.contains(needle),
            "{needle}: {}",
            info.explanation
        );
    }
}

#[test]
fn a_contains_of_the_whole_case_insensitive_value_admits_the_rules_own_users() {
    // Users carrying `ML` are the ones `equals_ignore_case "ml"` expects: no trap.
    let text = r#"
idp a { region us-south; attribute project; }
instance QR-ml { plan standard; region us-east; }
instance QR-v { plan standard; region us-east; }
project ml { instances QR-ml; members where project contains "ML"; role writer; }
project mlv { instances QR-v; members where project equals_ignore_case "ml"; role reader; }
"#;
    let (_, found) = q201(text);
    assert!(found.is_empty(), "{found:?}");
}
