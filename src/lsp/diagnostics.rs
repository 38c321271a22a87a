//! qpol's findings as LSP diagnostics: the primary span as the range, the
//! code (`Q201`), the severity, the message with its help line, and the
//! secondary labels as related information. Acknowledged findings (`allow
//! CODE ...`) are not shown, as `qpol check` does not print them. A file of
//! a folder policy that cannot be read (a FIFO, a file past the size
//! limit), for which `qpol check FOLDER` exits 2, is an error at the top
//! of every open file of the policy and a message shown once.

use super::snapshot::Snapshot;
use crate::diag::{self, Severity};
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, MessageType, NumberOrString,
    Position, PublishDiagnosticsParams, Range, ShowMessageParams, Url,
};

/// The diagnostics of every file of the snapshot, one entry per file (an
/// empty list clears a file's earlier diagnostics).
pub fn publish(snapshot: &Snapshot) -> Vec<PublishDiagnosticsParams> {
    snapshot
        .files
        .iter()
        .map(|file| PublishDiagnosticsParams {
            uri: file.uri.clone(),
            diagnostics: snapshot
                .analysis
                .diagnostics
                .iter()
                .filter(|d| d.primary.span.file == file.id && d.suppressed.is_none())
                .filter_map(|d| to_lsp(snapshot, d))
                .collect(),
            version: file.version,
        })
        .collect()
}

/// One finding, or `None` when its file is not in the snapshot.
pub fn to_lsp(snapshot: &Snapshot, d: &diag::Diagnostic) -> Option<Diagnostic> {
    let range = snapshot.range(d.primary.span)?;
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() {
        message.push_str(&format!(" ({})", d.primary.message));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|label| {
            Some(DiagnosticRelatedInformation {
                location: snapshot.location(label.span)?,
                message: label.message.clone(),
            })
        })
        .collect();
    Some(Diagnostic {
        range,
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.id().to_string())),
        code_description: None,
        source: Some("qpol".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    })
}

fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Note => DiagnosticSeverity::INFORMATION,
    }
}

/// Empty diagnostics for a file no longer in a policy.
pub fn clear(uri: Url) -> PublishDiagnosticsParams {
    PublishDiagnosticsParams {
        uri,
        diagnostics: Vec::new(),
        version: None,
    }
}

/// What `qpol check` says of a policy with an unreadable file, for the
/// user to see: it exits 2 and checks nothing.
fn unreadable_message(error: &str) -> String {
    format!("{error} (`qpol check` of this folder stops at it and exits 2)")
}

/// `params` with an error at the top of every open file (one with a
/// version) for each file of its policy that cannot be read.
pub fn with_unreadable(
    mut params: Vec<PublishDiagnosticsParams>,
    errors: &[String],
) -> Vec<PublishDiagnosticsParams> {
    for file in params.iter_mut().filter(|p| p.version.is_some()) {
        let top = Range::new(Position::new(0, 0), Position::new(0, 0));
        let found = errors.iter().map(|e| Diagnostic {
            range: top,
            severity: Some(DiagnosticSeverity::ERROR),
            source: Some("qpol".to_string()),
            message: unreadable_message(e),
            ..Diagnostic::default()
        });
        file.diagnostics.splice(0..0, found);
    }
    params
}

/// The `window/showMessage` of an unreadable file.
pub fn shown(error: &str) -> ShowMessageParams {
    ShowMessageParams {
        typ: MessageType::ERROR,
        message: unreadable_message(error),
    }
}
