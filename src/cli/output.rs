//! Printing diagnostics in the chosen format, and the exit code they imply.

use super::{Global, OutputFormat, EXIT_FINDINGS};
use crate::diag::{render, Diagnostic, Severity, SourceMap};
use std::io::Write;

/// Print diagnostics (and, for humans, the summary line).
pub fn print(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    global: Global,
    extra: Option<serde_json::Value>,
) {
    let mut stdout = std::io::stdout().lock();
    let text = match global.format {
        OutputFormat::Json => {
            let mut doc: serde_json::Value =
                serde_json::from_str(&render::json_all(diagnostics, sources)).unwrap_or_default();
            if let (Some(obj), Some(serde_json::Value::Object(extra))) =
                (doc.as_object_mut(), extra)
            {
                obj.extend(extra);
            }
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
        OutputFormat::Human => {
            let style = if global.color {
                render::Style::Color
            } else {
                render::Style::Plain
            };
            let mut text = render::human_all(diagnostics, sources, style);
            if !diagnostics.is_empty() {
                text.push_str(&render::summary(diagnostics));
                text.push('\n');
            }
            text
        }
    };
    let _ = stdout.write_all(text.as_bytes());
}

/// 1 if there are errors, or warnings under `--deny warnings`; else 0.
pub fn exit_code(diagnostics: &[Diagnostic], global: Global) -> u8 {
    let failing = diagnostics.iter().any(|d| {
        d.severity == Severity::Error || (global.deny_warnings && d.severity == Severity::Warning)
    });
    if failing {
        EXIT_FINDINGS
    } else {
        0
    }
}
