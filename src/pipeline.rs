//! The pipeline: one [`Analysis`] of a policy — its sources, the model, the
//! access index and every finding — built once per run and shared by
//! `check`, `test` and `compile`.
//!
//! It holds no borrowed or global state: a language server builds a new one
//! on every edit, a diff holds two side by side.

use crate::access::{Access, AccessIndex};
use crate::checks;
use crate::diag::{self, Code, Diagnostic, Label, Severity, SourceMap, Span};
use crate::memory;
use crate::model::{self, Model};
use crate::policy::Policy;

/// A policy read, lowered, indexed and checked.
#[derive(Debug)]
pub struct Analysis {
    /// The texts the findings point into.
    pub sources: SourceMap,
    pub model: Model,
    /// What the effective-access model precomputes for `model`.
    pub index: AccessIndex,
    /// Every finding (reading, parsing, lowering, checks), sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    /// Parse diagnostics, lowering, the access index, then every check.
    /// Consumes the policy: its syntax trees are lowered into the model
    /// (and freed on the way); its sources move into the analysis.
    pub fn new(policy: Policy) -> Analysis {
        let (sources, model, mut diagnostics) = front_end(policy);
        let index = AccessIndex::build(&model);
        checks::run(Access::new(&model, &index), &mut diagnostics);
        diag::sort(&mut diagnostics);
        diagnostics.dedup();
        Analysis {
            sources,
            model,
            index,
            diagnostics,
        }
    }

    /// The effective-access model of this analysis.
    pub fn access(&self) -> Access<'_> {
        Access::new(&self.model, &self.index)
    }

    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.counts_as(severity))
            .count()
    }

    /// No errors (warnings and notes allowed).
    pub fn passed(&self) -> bool {
        self.errors() == 0
    }
}

/// The sources, the model, and the diagnostics of reading, parsing and
/// lowering.
fn front_end(policy: Policy) -> (SourceMap, Model, Vec<Diagnostic>) {
    let files = policy.files;
    let declares_nothing = files.iter().all(|(_, p)| p.file.statements.is_empty())
        && policy.read_users.iter().all(model::UserReader::is_empty);
    let first_file = files.first().map(|(id, _)| *id).unwrap_or_default();
    let mut diagnostics = Vec::new();
    let mut broken = Vec::new();
    let mut trees = Vec::with_capacity(files.len());
    for (_, parsed) in files {
        diagnostics.extend(parsed.diagnostics);
        broken.extend(parsed.broken);
        trees.push(parsed.file.statements);
    }
    let text_bytes = policy.sources.files().map(|(_, f)| f.text.len()).sum();
    memory::after_parse(text_bytes);
    let (model, lowering) = model::lower_owned(trees, broken, policy.read_users);
    memory::after_lowering(text_bytes);
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
    (policy.sources, model, diagnostics)
}
