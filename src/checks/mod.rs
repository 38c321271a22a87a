//! The checker: runs every family of checks on the model and collects one
//! [`CheckResult`]. One module per family; each check's code and
//! explanation live in `diag::codes`.

mod audit;
pub mod baseline;
mod deployable;
mod hierarchy;
pub mod limits;
mod lookalike;
mod overlap;
mod roles;

use crate::access::Access;
use crate::diag::{self, Code, Diagnostic, Label, Severity, Span};
use crate::model::{self, Model};
use crate::policy::Policy;

/// The model, every finding about it (sorted by position) and the sources
/// the findings point into.
#[derive(Debug, Clone, Default)]
pub struct CheckResult {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: crate::diag::SourceMap,
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

/// Parse diagnostics, lowering, then every check. Consumes the policy: its
/// syntax trees are lowered into the model (and freed on the way); its
/// sources move into the result.
pub fn check(policy: Policy) -> CheckResult {
    let declares_nothing = policy
        .files
        .iter()
        .all(|(_, p)| p.file.statements.is_empty());
    let first_file = policy.files.first().map(|(id, _)| *id).unwrap_or_default();
    let mut diagnostics = Vec::new();
    let mut broken = Vec::new();
    let mut trees = Vec::with_capacity(policy.files.len());
    for (_, parsed) in policy.files {
        diagnostics.extend(parsed.diagnostics);
        broken.extend(parsed.broken);
        trees.push(parsed.file.statements);
    }
    let (model, lowering) = model::lower_owned(trees, broken);
    // A value whose hidden character is written raw has Q007 already: its
    // decoded form is not reported again (Q008, Q009).
    let raw: Vec<Span> = diagnostics
        .iter()
        .filter(|d| d.code == Code::HiddenCharacterInText)
        .map(|d| d.primary.span)
        .collect();
    diagnostics.extend(lowering.into_iter().filter(|d| {
        !matches!(
            d.code,
            Code::HiddenInComparedValue | Code::HiddenInShownValue
        ) || !raw.iter().any(|r| {
            let s = d.primary.span;
            r.file == s.file && s.start() <= r.start() && r.end() <= s.end()
        })
    }));
    if declares_nothing && diagnostics.is_empty() {
        diagnostics.push(
            Diagnostic::new(
                Code::EmptyPolicy,
                "the policy declares nothing",
                Label::new(Span::new(first_file, 0, 0), "empty"),
            )
            .with_help(
                "declare instances, roles and projects; see policies/org.qpol for an example",
            ),
        );
    }
    let access = Access::new(&model);
    roles::check(&model, &mut diagnostics);
    lookalike::check(&model, &mut diagnostics);
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
    limits::check(&access, &mut diagnostics);
    audit::check(&model, &mut diagnostics);
    deployable::check(&model, &mut diagnostics);
    diag::sort(&mut diagnostics);
    diagnostics.dedup();
    drop(access);
    CheckResult {
        model,
        diagnostics,
        sources: policy.sources,
    }
}
