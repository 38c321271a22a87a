//! Synthetic organizations check clean and every planted substring overlap
//! is reported (a correctness test; the timing lives in `benches/check.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::diag::Code;
use qpol::synth::{generate, OrgSpec};

#[test]
fn planted_overlaps_are_all_found_and_nothing_else_is_an_error() {
    let synthetic = generate(&OrgSpec::new(50, 200, 3));
    assert_eq!(synthetic.planted.len(), 3);
    let result = qpol::checks::check(qpol::Policy::from_texts([(
        "synth.qpol",
        synthetic.text.as_str(),
    )]));
    // A planted rule gives the project's users its `reader` actions, which
    // their own `writer` already holds: Q201 is a warning there, and the
    // organization has no error.
    let errors: Vec<_> = result.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let overlaps: Vec<_> = result
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::OverlappingRule)
        .collect();
    for (value, project) in &synthetic.planted {
        let attacker = format!("contains \"{value}\"`");
        let victim = format!("(project {project})");
        assert!(
            overlaps
                .iter()
                .any(|d| d.message.contains(&attacker) && d.message.contains(&victim)),
            "planted overlap {value} -> {project} not reported"
        );
    }
    assert_eq!(overlaps.len(), 3, "only the planted overlaps: {overlaps:?}");
    assert!(overlaps
        .iter()
        .all(|d| d.severity == qpol::diag::Severity::Warning));
}

#[test]
fn a_large_file_parsed_in_chunks_equals_the_same_policy_parsed_whole() {
    // Above 1 MB the parser cuts the file into chunks parsed in parallel.
    let synthetic = generate(&OrgSpec::new(6_000, 25_000, 2));
    assert!(synthetic.text.len() > 2 << 20);
    let whole = qpol::Policy::from_texts([("a.qpol", synthetic.text.as_str())]);
    let statements = whole.files[0].1.file.statements.len();
    let expected = synthetic
        .text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .count();
    assert_eq!(statements, expected);
    // The same text split by hand into two files gives the same model.
    let cut = synthetic.text.find("\nuser u0 ").unwrap() + 1;
    let (head, tail) = synthetic.text.split_at(cut);
    let split = qpol::Policy::from_texts([("a.qpol", head), ("b.qpol", tail)]);
    let (a, _) = qpol::model::lower(&whole);
    let (b, _) = qpol::model::lower(&split);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
}

#[test]
fn the_20k_org_checks_clean_with_its_declared_limits_and_is_refused_without() {
    let mut spec = OrgSpec::new(20_000, 100_000, 0);
    let with = generate(&spec);
    assert!(with.text.contains("account { limits { access_groups "));
    let result = qpol::checks::check(qpol::Policy::from_texts([("org.qpol", with.text.as_str())]));
    assert!(
        result.passed(),
        "{:?}",
        result.diagnostics.iter().find(|d| d.is_error())
    );
    assert_eq!(result.warnings(), 0, "{:?}", result.diagnostics);

    spec.declare_limits = false;
    let without = generate(&spec);
    let result = qpol::checks::check(qpol::Policy::from_texts([(
        "org.qpol",
        without.text.as_str(),
    )]));
    let messages: Vec<&str> = result
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::LimitExceeded)
        .map(|d| d.message.as_str())
        .collect();
    let has = |needle: &str| messages.iter().any(|m| m.contains(needle));
    // 20,000 projects, the planted-free org's groups: 2,000 teams, 200
    // departments, 20 hubs; one access group each.
    assert!(
        has("the policy needs 22,220 access groups, one per project and group; an account holds 500"),
        "{messages:#?}"
    );
    assert!(has("; an account holds 4,020"), "{messages:#?}");
    assert!(has("is named by 20,000 dynamic rules"), "{messages:#?}");
    assert!(has("the policy needs 102,220 users"), "{messages:#?}");
    assert!(
        has("access policies, one per instance or resource group it reaches"),
        "{messages:#?}"
    );
    assert_eq!(messages.len(), 5, "{messages:#?}");
    assert!(!result.passed());
}
