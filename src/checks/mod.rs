//! The checker: [`run`] calls every family of checks on the model and its
//! access index (the pipeline, [`crate::pipeline::Analysis`], calls it).
//! One module per family; each check's code and explanation live in
//! `diag::codes`.

mod acknowledge;
pub use acknowledge::suggested_allow;
mod audit;
pub mod baseline;
mod deployable;
mod hierarchy;
pub mod limits;
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
/// A cancelled analysis ([`Access::cancelled`]) stops between families
/// (its findings are then incomplete and dropped by the pipeline).
pub fn run(access: Access<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let model = access.model;
    // The overlap analysis, the longest family, runs on a second thread
    // while the others run here; findings are added in one fixed order.
    let (overlaps, [roles, lookalikes, hierarchy, limits]) = side_by_side(
        || {
            let mut found = Vec::new();
            overlap::check(&access, &mut found);
            found
        },
        || {
            let mut found: [Vec<Diagnostic>; 4] = Default::default();
            let [roles, lookalikes, hierarchy, limits] = &mut found;
            let going = || !access.cancelled();
            if going() {
                roles::check(model, roles);
            }
            if going() {
                lookalike::check(model, lookalikes);
            }
            if going() {
                hierarchy::check(&access, hierarchy);
            }
            if going() {
                limits::check(&access, limits);
            }
            found
        },
    );
    if access.cancelled() {
        return;
    }
    diagnostics.extend(roles);
    diagnostics.extend(lookalikes);
    diagnostics.extend(overlaps);
    diagnostics.extend(hierarchy);
    diagnostics.extend(limits);
    audit::check(model, diagnostics);
    deployable::check(model, diagnostics);
    // Last: every finding an `allow CODE` may cover is known.
    acknowledge::apply(model, diagnostics);
}

/// `a` on a second thread while `b` runs on this one. Should `a`'s thread
/// panic (a bug), `a` runs again here: its findings are never dropped, and
/// a panic that recurs reaches the caller instead of vanishing.
fn side_by_side<A: Send, B>(a: impl Fn() -> A + Sync, b: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|scope| {
        let first = scope.spawn(&a);
        let b = b();
        let a = first.join().unwrap_or_else(|_| a());
        (a, b)
    })
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::side_by_side;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_family_whose_thread_panics_runs_again_and_keeps_its_findings() {
        let calls = AtomicUsize::new(0);
        let (a, b) = side_by_side(
            || {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("a bug on the first run");
                }
                vec!["Q201"]
            },
            || "hierarchy",
        );
        assert_eq!((a, b), (vec!["Q201"], "hierarchy"));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_panic_that_recurs_reaches_the_caller() {
        let run = std::panic::catch_unwind(|| {
            side_by_side(|| -> Vec<&str> { panic!("always") }, || "hierarchy")
        });
        assert!(run.is_err(), "the findings must not silently become none");
    }
}
