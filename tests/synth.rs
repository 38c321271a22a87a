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
    // their own `writer` lacks (instance.read, ...): an escalation, so Q201
    // is an error there, and those are the only errors.
    let errors: Vec<_> = result.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(
        errors.iter().all(|d| d.code == Code::OverlappingRule),
        "{:?}",
        errors.iter().find(|d| d.code != Code::OverlappingRule)
    );
    assert_eq!(errors.len(), synthetic.planted.len());
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
