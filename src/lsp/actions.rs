//! Quick fixes for the findings under the cursor: each did-you-mean
//! (a name, an action, a keyword, a setting), the `;` a syntax error
//! expects, `has` for the `contains` of an overlapping rule (Q201), and an
//! `allow CODE ... "reason";` for every finding that can be acknowledged
//! (Q201 and warnings; see `crate::checks::acknowledge`).

use super::snapshot::{Snapshot, SnapshotFile};
use crate::checks::suggested_allow;
use crate::diag::{Code, Diagnostic};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, Url, WorkspaceEdit,
};
use std::collections::HashMap;

/// The reason an added `allow` carries until its author writes one.
pub const REASON: &str = "why this is meant";

/// Every quick fix of the findings whose range meets `range` in `uri`.
pub fn for_range(snapshot: &Snapshot, uri: &Url, range: Range) -> Vec<CodeActionOrCommand> {
    let Some(file) = snapshot.file_of(uri) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in &snapshot.analysis.diagnostics {
        if d.primary.span.file != file.id || d.suppressed.is_some() {
            continue;
        }
        let Some(at) = snapshot.range(d.primary.span) else {
            continue;
        };
        if at.end < range.start || range.end < at.start {
            continue;
        }
        let lsp = super::diagnostics::to_lsp(snapshot, d);
        let mut fixes = Vec::new();
        fixes.extend(did_you_mean(file, d));
        fixes.extend(missing_semicolon(file, d));
        fixes.extend(contains_to_has(file, d));
        for (title, edit) in fixes {
            out.push(action(title, single(uri, edit), lsp.clone(), true));
        }
        if let Some((title, edit)) = allow(snapshot, file, d) {
            out.push(action(title, edit, lsp, false));
        }
    }
    out
}

fn action(
    title: String,
    edit: WorkspaceEdit,
    diagnostic: Option<lsp_types::Diagnostic>,
    preferred: bool,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: diagnostic.map(|d| vec![d]),
        edit: Some(edit),
        is_preferred: Some(preferred),
        ..CodeAction::default()
    })
}

fn single(uri: &Url, edit: TextEdit) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
        ..WorkspaceEdit::default()
    }
}

fn edit(file: &SnapshotFile, start: usize, end: usize, text: impl Into<String>) -> TextEdit {
    TextEdit {
        range: file.lines.range(&file.text, start, end),
        new_text: text.into(),
    }
}

/// The finding's did-you-mean in place of its primary span (quoted when
/// the span is a string).
fn did_you_mean(file: &SnapshotFile, d: &Diagnostic) -> Option<(String, TextEdit)> {
    let meant = d.suggestion.as_deref()?;
    let span = d.primary.span;
    let written = file.text.get(span.start()..span.end())?;
    let new = if written.starts_with('"') && !meant.starts_with('"') {
        format!("\"{}\"", meant.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        meant.to_string()
    };
    Some((
        format!("replace `{written}` with `{new}`"),
        edit(file, span.start(), span.end(), new),
    ))
}

/// A syntax error that expects `;`: insert it after the last token before
/// the error.
fn missing_semicolon(file: &SnapshotFile, d: &Diagnostic) -> Option<(String, TextEdit)> {
    let expected = d
        .message
        .strip_prefix("expected ")?
        .split(", found")
        .next()?;
    if d.code != Code::SyntaxError || !expected.contains("`;`") {
        return None;
    }
    let before = file.text.get(..d.primary.span.start())?;
    let at = before.trim_end().len();
    (at > 0).then(|| {
        (
            "insert the missing `;`".to_string(),
            edit(file, at, at, ";"),
        )
    })
}

/// Q201 on a `contains` rule: `has`, which matches whole delimited values.
fn contains_to_has(file: &SnapshotFile, d: &Diagnostic) -> Option<(String, TextEdit)> {
    if d.code != Code::OverlappingRule {
        return None;
    }
    let before = file.text.get(..d.primary.span.start())?.trim_end();
    let start = before.strip_suffix("contains")?.len();
    let whole_word = before
        .get(..start)
        .and_then(|b| b.chars().next_back())
        .is_none_or(|c| c.is_whitespace());
    whole_word.then(|| {
        (
            "use `has` (whole delimited values) instead of `contains`".to_string(),
            edit(file, start, before.len(), "has"),
        )
    })
}

/// An `allow` acknowledging the finding, on a line of its own after the
/// declaration it concerns (else at the end of the finding's file).
fn allow(
    snapshot: &Snapshot,
    file: &SnapshotFile,
    d: &Diagnostic,
) -> Option<(String, WorkspaceEdit)> {
    let (statement, after) = suggested_allow(&snapshot.analysis.model, d, REASON)?;
    let (target, at) = match after.and_then(|s| Some((snapshot.file(s.file)?, s.end()))) {
        Some((target, end)) => {
            let line_end = target
                .text
                .get(end..)
                .and_then(|rest| rest.find(['\n', '\r']))
                .map_or(target.text.len(), |n| end + n);
            (target, line_end)
        }
        None => (file, file.text.len()),
    };
    let needs_newline = at == target.text.len() && !target.text.ends_with('\n');
    let text = if needs_newline || at < target.text.len() {
        format!("\n{statement}")
    } else {
        format!("{statement}\n")
    };
    Some((
        format!("add `{statement}`"),
        single(&target.uri, edit(target, at, at, text)),
    ))
}
