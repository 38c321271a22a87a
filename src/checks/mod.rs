//! The checker: [`run`] calls every family of checks on the model and its
//! access index (the pipeline, [`crate::pipeline::Analysis`], calls it).
//! One module per family; each check's code and explanation live in
//! `diag::codes`.

mod audit;
pub mod baseline;
mod deployable;
mod hierarchy;
mod lookalike;
mod overlap;
mod roles;

use crate::access::Access;
use crate::diag::Diagnostic;
use crate::pipeline::Analysis;
use crate::policy::Policy;

/// What checking a policy gives: the pipeline's [`Analysis`].
pub type CheckResult = Analysis;

/// Read, lower, index and check a policy: [`Analysis::new`].
pub fn check(policy: Policy) -> Analysis {
    Analysis::new(policy)
}

/// Every family of checks, on a lowered model and its access index: the
/// one place where checks are called. Findings are added to `diagnostics`.
pub fn run(access: Access<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let model = access.model;
    roles::check(model, diagnostics);
    lookalike::check(model, diagnostics);
    // The two families that walk every user run side by side.
    let (overlaps, hierarchy) = std::thread::scope(|scope| {
        let overlaps = scope.spawn(|| {
            let mut found = Vec::new();
            overlap::check(&access, &mut found);
            found
        });
        let mut found = Vec::new();
        hierarchy::check(&access, &mut found);
        (overlaps.join().unwrap_or_default(), found)
    });
    diagnostics.extend(overlaps);
    diagnostics.extend(hierarchy);
    audit::check(model, diagnostics);
    deployable::check(model, diagnostics);
}
