//! One pipeline value per policy: `check`, `test` and `compile` share one
//! [`Analysis`] (sources, model, access index, findings); a language server
//! rebuilds it per edit and a diff holds two.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use qpol::access::assertions;
use qpol::backends::{self, Target};
use qpol::pipeline::Analysis;
use qpol::policy::Policy;

const POLICY: &str = r#"
idp corp { kind appid; region us-south; attribute project; }
instance QR-ml { plan standard; region us-east; }
project ml {
  instances QR-ml;
  role reader;
  members where project equals "ml";
}
user alice { idp corp; email "alice@example.com"; attributes { project "ml"; } }
assert alice can job.read on QR-ml;
assert alice cannot job.delete on QR-ml;
"#;

fn analysis(text: &str) -> Analysis {
    Analysis::new(Policy::from_texts([("p.qpol", text)]))
}

#[test]
fn one_analysis_serves_check_test_and_compile() {
    let analysis = analysis(POLICY);
    assert!(analysis.passed(), "{:?}", analysis.diagnostics);
    let outcome = assertions::run(&analysis.access());
    assert_eq!((outcome.passed, outcome.failed), (2, 0));
    for target in [Target::Terraform, Target::IbmApi] {
        let compiled = backends::compile(&analysis, target);
        assert!(compiled.text().is_some_and(|t| t.contains("QR-ml")));
    }
}

#[test]
fn two_analyses_live_side_by_side_and_move_between_threads() {
    fn shareable<T: Send + Sync + 'static>(_: &T) {}
    let old = analysis(POLICY);
    let new = analysis(&POLICY.replace("project equals", "project contains"));
    shareable(&old);
    shareable(&new);
    let new = std::thread::spawn(move || {
        let outcome = assertions::run(&new.access());
        (new, outcome.failed)
    })
    .join()
    .unwrap();
    assert_eq!(new.1, 0);
    let diff = qpol::checks::baseline::check(&old.model, &new.0.model);
    assert!(diff.is_empty(), "{diff:?}");
}

/// A cancelled analysis is never returned; one not cancelled is the same
/// as `Analysis::new`'s. Inside the access model, a cancel stops the
/// rule-membership loop (what is left is not computed) and the checks.
#[test]
fn a_cancelled_analysis_is_dropped_and_its_loops_stop() {
    use qpol::access::{Access, AccessIndex};
    use qpol::pipeline::Cancel;
    let policy = || Policy::from_texts([("p.qpol", POLICY)]);
    let cancel = Cancel::default();
    let kept = Analysis::new_cancellable(policy(), &cancel).unwrap();
    assert_eq!(kept.diagnostics, analysis(POLICY).diagnostics);
    assert_eq!(kept.access().rule_memberships(0).len(), 1);
    cancel.cancel();
    assert!(cancel.is_cancelled());
    assert!(Analysis::new_cancellable(policy(), &cancel).is_none());
    let model = kept.model;
    let index = AccessIndex::build(&model).with_cancel(&cancel);
    let access = Access::new(&model, &index);
    assert!(access.cancelled());
    assert!(access.rule_memberships(0).is_empty(), "the loop went on");
}
