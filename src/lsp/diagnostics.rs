//! qpol's findings as LSP diagnostics: the primary span as the range, the
//! code (`Q201`), the severity, the message with its help line, and the
//! secondary labels as related information. Acknowledged findings (`allow
//! CODE ...`) are not shown, as `qpol check` does not print them.

use super::snapshot::Snapshot;
use crate::diag::{self, Severity};
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, NumberOrString,
    PublishDiagnosticsParams, Url,
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
