//! The checker: runs every family of checks on the model and collects one
//! [`CheckResult`]. One module per family; each check's code and
//! explanation live in `diag::codes`.

mod audit;
pub mod baseline;
mod hierarchy;
mod overlap;
mod roles;

use crate::access::Access;
use crate::diag::{self, Code, Diagnostic, Label, Severity, Span};
use crate::model::{self, Model};
use crate::policy::Policy;

/// The model and every finding about it, sorted by position.
#[derive(Debug, Clone, Default)]
pub struct CheckResult {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckResult {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// No errors (warnings and notes allowed).
    pub fn passed(&self) -> bool {
        self.errors() == 0
    }
}

/// Parse diagnostics, lowering, then every check.
pub fn check(policy: &Policy) -> CheckResult {
    let mut diagnostics: Vec<Diagnostic> = policy.syntax_diagnostics().cloned().collect();
    let (model, lowering) = model::lower(policy);
    diagnostics.extend(lowering);
    let declares_nothing = policy
        .files
        .iter()
        .all(|(_, p)| p.file.statements.is_empty());
    if declares_nothing && diagnostics.is_empty() {
        let file = policy.files.first().map(|(id, _)| *id).unwrap_or_default();
        diagnostics.push(
            Diagnostic::new(
                Code::EmptyPolicy,
                "the policy declares nothing",
                Label::new(Span::new(file, 0, 0), "empty"),
            )
            .with_help(
                "declare instances, roles and projects; see policies/org.qpol for an example",
            ),
        );
    }
    let access = Access::new(&model);
    roles::check(&model, &mut diagnostics);
    overlap::check(&access, &mut diagnostics);
    hierarchy::check(&access, &mut diagnostics);
    audit::check(&model, &mut diagnostics);
    diag::sort(&mut diagnostics);
    diagnostics.dedup();
    drop(access);
    CheckResult { model, diagnostics }
}
