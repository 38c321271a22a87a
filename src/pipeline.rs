//! The pipeline: one [`Analysis`] of a policy — its sources, the model, the
//! access index and every finding — built once per run and shared by
//! `check`, `test` and `compile`.
//!
//! It holds no borrowed or global state: a language server builds a new one
//! on every edit, a diff holds two side by side. A [`Cancel`] stops an
//! analysis whose result is no longer wanted (a newer edit came).

use crate::access::{Access, AccessIndex};
use crate::checks;
use crate::diag::{self, Code, Diagnostic, Label, Severity, SourceMap, Span};
use crate::memory;
use crate::model::{self, Model};
use crate::policy::Policy;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A request to stop an analysis early, shared by whoever may ask (the
/// language server, when a newer edit of the policy comes) and the
/// analysis, which looks at it between its phases and inside its longest
/// loops. Once asked, it stays asked.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Ask the analysis to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

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
        Analysis::build(policy, &Cancel::default())
    }

    /// [`Analysis::new`], or `None` when `cancel` was asked before it
    /// ended: the phases still to run are skipped or cut short, and
    /// nothing of a cancelled analysis is ever returned.
    pub fn new_cancellable(policy: Policy, cancel: &Cancel) -> Option<Analysis> {
        let analysis = Analysis::build(policy, cancel);
        (!cancel.is_cancelled()).then_some(analysis)
    }

    /// The phases; once `cancel` is asked, what is left is skipped (its
    /// result is then incomplete and must be dropped).
    fn build(policy: Policy, cancel: &Cancel) -> Analysis {
        let (sources, model, mut diagnostics) = front_end(policy);
        // Cancelled already: an empty index, and no checks.
        let empty = Model::default();
        let indexed = if cancel.is_cancelled() {
            &empty
        } else {
            &model
        };
        let index = AccessIndex::build(indexed).with_cancel(cancel);
        if !cancel.is_cancelled() {
            checks::run(Access::new(&model, &index), &mut diagnostics);
            diag::sort(&mut diagnostics);
            diagnostics.dedup();
        }
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
                "declare instances, roles and projects; `qpol init DIR` writes a commented example policy to start from",
            ),
        );
    }
    (policy.sources, model, diagnostics)
}
