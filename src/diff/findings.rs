//! New and resolved findings: the two sides' diagnostics compared by code,
//! the entities they concern (by name) and message, never by position, so
//! text that only moved is neither new nor resolved. Acknowledged
//! (suppressed) findings are left out, as `check` leaves them out, except
//! those the change acknowledges: listed with their reason, never as
//! resolved.

use super::{Acknowledged, Finding, Findings};
use crate::diag::{Diagnostic, Entity, Severity};
use crate::model::Model;
use crate::pipeline::Analysis;
use std::collections::BTreeMap;

type Key = (&'static str, Vec<String>, String);

fn entity(model: &Model, e: &Entity) -> String {
    let named = |kind: &str, name: Option<&str>| format!("{kind} {}", name.unwrap_or("?"));
    match *e {
        Entity::Unit(i) => named("unit", model.units.get(i).map(|u| u.name.value.as_str())),
        Entity::Instance(i) => named(
            "instance",
            model.instances.get(i).map(|u| u.name.value.as_str()),
        ),
        Entity::User(i) => named("user", model.users.get(i).map(|u| u.name.value.as_str())),
        Entity::Role(i) => named("role", model.roles.get(i).map(|u| u.name.value.as_str())),
        Entity::Idp(i) => named("idp", model.idps.get(i).map(|u| u.name.value.as_str())),
    }
}

fn key(model: &Model, d: &Diagnostic) -> Key {
    let mut entities: Vec<String> = d
        .subjects
        .iter()
        .chain(&d.admitted)
        .map(|e| entity(model, e))
        .collect();
    entities.sort();
    (d.code.id(), entities, d.message.clone())
}

fn located(a: &Analysis, d: &Diagnostic) -> Finding {
    let span = d.primary.span;
    let (line, column) = a
        .sources
        .get(span.file)
        .map_or((0, 0), |f| f.line_col(span.start()));
    Finding {
        code: d.code.id(),
        severity: d.severity,
        message: d.message.clone(),
        file: a.sources.name(span.file).to_string(),
        line,
        column,
    }
}

/// Findings of `one` not in `other` (as many times as they are missing there).
fn only_in(one: &Analysis, other: &Analysis) -> Vec<Finding> {
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for d in other.diagnostics.iter().filter(|d| d.suppressed.is_none()) {
        *counts.entry(key(&other.model, d)).or_default() += 1;
    }
    let mut out = Vec::new();
    for d in one.diagnostics.iter().filter(|d| d.suppressed.is_none()) {
        match counts.get_mut(&key(&one.model, d)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(located(one, d)),
        }
    }
    out
}

/// `baseline`: the findings of `check --baseline` on the change, all new
/// (a deleted instance's Q302 points into the old policy).
pub(super) fn diff(old: &Analysis, new: &Analysis, baseline: &[Diagnostic]) -> Findings {
    let counts = |s: Severity| {
        new.diagnostics
            .iter()
            .chain(baseline)
            .filter(|d| d.suppressed.is_none() && d.counts_as(s))
            .count()
    };
    let mut fresh = only_in(new, old);
    for d in baseline {
        let side = if d.code == crate::diag::Code::InstanceDeleted {
            old
        } else {
            new
        };
        fresh.push(located(side, d));
    }
    let acknowledged = newly_acknowledged(old, new);
    let mut resolved = only_in(old, new);
    // A finding the new side still has, acknowledged, is not resolved.
    for a in &acknowledged {
        if let Some(at) = resolved
            .iter()
            .position(|r| r.code == a.finding.code && r.message == a.finding.message)
        {
            resolved.remove(at);
        }
    }
    Findings {
        new: fresh,
        resolved,
        acknowledged,
        errors: counts(Severity::Error),
        warnings: counts(Severity::Warning),
    }
}

/// Findings the new side acknowledges that the old side did not (it
/// reported them, or did not have them at all).
fn newly_acknowledged(old: &Analysis, new: &Analysis) -> Vec<Acknowledged> {
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for d in old.diagnostics.iter().filter(|d| d.suppressed.is_some()) {
        *counts.entry(key(&old.model, d)).or_default() += 1;
    }
    let mut out = Vec::new();
    for d in &new.diagnostics {
        let Some(s) = &d.suppressed else {
            continue;
        };
        match counts.get_mut(&key(&new.model, d)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(Acknowledged {
                finding: located(new, d),
                reason: s.reason.clone(),
            }),
        }
    }
    out
}
