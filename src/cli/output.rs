//! Printing diagnostics in the chosen format, and the exit code they imply.

use super::{Global, OutputFormat, EXIT_FINDINGS};
use crate::diag::{render, Diagnostic, Severity, SourceMap};
use std::io::Write;

/// Print diagnostics (and, for humans, the summary line).
pub fn print(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    global: Global,
    extra: &[(&str, serde_json::Value)],
) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // A closed pipe (`qpol check ... | head`) is not an error worth reporting.
    let _ = match global.format {
        OutputFormat::Json => render::write_json(&mut out, diagnostics, sources, extra)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n")),
        OutputFormat::Human => {
            let style = if global.color {
                render::Style::Color
            } else {
                render::Style::Plain
            };
            render::write_human(&mut out, diagnostics, sources, style).and_then(|()| {
                if diagnostics.is_empty() {
                    Ok(())
                } else {
                    writeln!(out, "{}", render::summary(diagnostics))
                }
            })
        }
    };
    let _ = out.flush();
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
