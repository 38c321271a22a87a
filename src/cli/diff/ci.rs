//! `qpol diff --format sarif|github`: the findings a change brings, for
//! CI — the new policy's new findings and what `check --baseline` adds
//! (Q301, Q302). The two policies have separate source maps, so both are
//! joined into one (the new policy's files first) and the baseline
//! findings' labels that point into the old policy are moved there: SARIF
//! locates a Q302 in the old file; a GitHub annotation, which can only
//! point into the pull request's tree, carries it without a location.

use crate::diag::{Code, Diagnostic, FileId, SourceMap, SourceText, Span};
use crate::diff::Diff;
use crate::pipeline::Analysis;
use std::io::Write;

/// Both sides' files in one map; the old side's ids are shifted by the returned offset.
fn joined(old: &Analysis, new: &Analysis) -> (SourceMap, u32) {
    let mut map = SourceMap::default();
    let mut offset = 0;
    for (_, f) in new.sources.files() {
        map.add(f.name.clone(), SourceText(std::sync::Arc::clone(&f.text)));
        offset += 1;
    }
    for (_, f) in old.sources.files() {
        map.add(f.name.clone(), SourceText(std::sync::Arc::clone(&f.text)));
    }
    (map, offset)
}

/// The findings the change brings, every label in the joined map, and
/// whether each one's primary label is in the old policy.
fn brought(diff: &Diff, new: &Analysis, offset: u32) -> Vec<(Diagnostic, bool)> {
    let mut out: Vec<(Diagnostic, bool)> = new
        .diagnostics
        .iter()
        .filter(|d| {
            diff.findings
                .new
                .iter()
                .any(|f| f.code == d.code.id() && f.message == d.message)
        })
        .map(|d| (d.clone(), false))
        .collect();
    let shift = |span: &mut Span| span.file = FileId(span.file.0.saturating_add(offset));
    for d in &diff.baseline {
        let mut d = d.clone();
        // See `checks::baseline`: a Q302's primary label is in the old
        // policy, the others in the new; a Q301's the other way round.
        let primary_old = d.code == Code::InstanceDeleted;
        if primary_old {
            shift(&mut d.primary.span);
        } else {
            d.secondary.iter_mut().for_each(|l| shift(&mut l.span));
        }
        out.push((d, primary_old));
    }
    out
}

pub(super) fn sarif(diff: &Diff, old: &Analysis, new: &Analysis) {
    let (sources, offset) = joined(old, new);
    let found: Vec<Diagnostic> = brought(diff, new, offset)
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    let properties = [
        ("access_changed", serde_json::json!(diff.access_changed)),
        ("summary", serde_json::json!(diff.summary)),
    ];
    let doc = crate::cli::sarif::document(&found, &sources, &properties);
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    crate::cli::out(format_args!("{text}\n"));
}

/// One command per finding, then the new policy's counts with the exit
/// code they give, then the diff's summary.
pub(super) fn github(diff: &Diff, old: &Analysis, new: &Analysis, code: u8) {
    let (sources, offset) = joined(old, new);
    let found = brought(diff, new, offset);
    crate::cli::write_stdout(|w: &mut dyn Write| {
        for (d, primary_old) in &found {
            let line = crate::cli::github::annotation(d, &sources);
            if !primary_old {
                writeln!(w, "{line}")?;
                continue;
            }
            // `::error file=...,title=...::...` -> `::error title=...::...`
            let (command, rest) = line.split_once(' ').unwrap_or((&line, ""));
            let unlocated = rest.find("title=").and_then(|at| rest.get(at..));
            writeln!(w, "{command} {}", unlocated.unwrap_or(rest))?;
        }
        let f = &diff.findings;
        writeln!(
            w,
            "qpol: {} and {} in the new policy ({} new): exit {code}",
            crate::diff::plural(f.errors, "error", "errors"),
            crate::diff::plural(f.warnings, "warning", "warnings"),
            f.new.len()
        )?;
        writeln!(w, "{}", crate::cli::github::escape_data(&diff.summary))
    });
}
