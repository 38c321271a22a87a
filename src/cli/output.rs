//! Printing a run's report in the chosen format, and the exit code it
//! implies. With `--format json` a run prints exactly one document:
//! `diagnostics`, `errors`, `warnings`, `notes` (counts of diagnostics),
//! the command's own keys (`output`, `passed`, `failed`, `files`), and
//! `io_errors`, a list of `{"path", "message"}` for every file that could
//! not be read or written (exit code 2), empty when there is none.

use super::{Global, OutputFormat, EXIT_FINDINGS, EXIT_USAGE};
use crate::diag::{render, Diagnostic, Severity, SourceMap};
use std::io::Write;

/// A failure that is not a diagnostic: a file that cannot be read or
/// written, or a usage error about a path (exit code 2).
#[derive(Debug, Clone, serde::Serialize)]
pub struct IoError {
    pub path: String,
    pub message: String,
}

impl IoError {
    pub fn new(path: impl std::fmt::Display, message: impl std::fmt::Display) -> IoError {
        IoError {
            path: path.to_string(),
            message: message.to_string(),
        }
    }

    /// Every failure of reading a policy.
    pub fn from_load(error: &crate::policy::LoadError) -> Vec<IoError> {
        error
            .entries()
            .into_iter()
            .map(|(path, message)| IoError { path, message })
            .collect()
    }
}

/// Where the report goes: stdout, or stderr when stdout carries the
/// compiled file (`compile -o -`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Print diagnostics (and, for humans, the summary line).
pub fn print(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    global: Global,
    extra: &[(&str, serde_json::Value)],
) {
    report(diagnostics, sources, global, extra, &[], Stream::Stdout);
}

/// A run that failed before it had diagnostics: the errors on stderr and,
/// with `--format json`, a document carrying them. Returns exit code 2.
pub fn fail(global: Global, io_errors: &[IoError], extra: &[(&str, serde_json::Value)]) -> u8 {
    fail_to(global, io_errors, extra, Stream::Stdout)
}

/// [`fail`], the report on `stream` (stderr when stdout was to carry a file).
pub fn fail_to(
    global: Global,
    io_errors: &[IoError],
    extra: &[(&str, serde_json::Value)],
    stream: Stream,
) -> u8 {
    report(&[], &SourceMap::default(), global, extra, io_errors, stream);
    EXIT_USAGE
}

/// The `output` key of a report (JSON only): where the result was written
/// (`-` for stdout), or null when nothing was.
pub fn written_to(written: bool, shown: &str) -> [(&'static str, serde_json::Value); 1] {
    let value = if written {
        serde_json::Value::from(shown)
    } else {
        serde_json::Value::Null
    };
    [("output", value)]
}

/// Print the report: diagnostics, the command's `extra` keys (JSON only)
/// and the I/O errors (always on stderr too, as `error: ...` lines).
pub fn report(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    global: Global,
    extra: &[(&str, serde_json::Value)],
    io_errors: &[IoError],
    stream: Stream,
) {
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(w);
        match global.format {
            OutputFormat::Json => {
                let mut keys = extra.to_vec();
                keys.push(("io_errors", serde_json::json!(io_errors)));
                render::write_json(&mut out, diagnostics, sources, &keys)?;
                out.write_all(b"\n")?;
            }
            OutputFormat::Human => {
                let style = if global.color {
                    render::Style::Color
                } else {
                    render::Style::Plain
                };
                render::write_human(&mut out, diagnostics, sources, style)?;
                if !diagnostics.is_empty() {
                    writeln!(out, "{}", render::summary(diagnostics))?;
                }
            }
            OutputFormat::Sarif => {
                let failures = failures(io_errors);
                let cwd = std::env::current_dir().ok();
                super::sarif::write(
                    &mut out,
                    diagnostics,
                    sources,
                    extra,
                    &failures,
                    cwd.as_deref(),
                )?;
                out.write_all(b"\n")?;
            }
            OutputFormat::Github => {
                super::github::write(&mut out, diagnostics, sources, &failures(io_errors))?;
            }
        }
        out.flush()
    };
    match stream {
        Stream::Stdout => {
            super::write_stdout(write);
        }
        // stderr is for people: a failure to write it is not reported.
        Stream::Stderr => {
            let _ = write(&mut std::io::stderr().lock());
        }
    }
    // On stderr, a JSON or SARIF report stays the one document there.
    if matches!(global.format, OutputFormat::Json | OutputFormat::Sarif) && stream == Stream::Stderr
    {
        return;
    }
    for error in io_errors {
        super::note(format_args!("error: {}", error.message));
    }
}

/// The I/O errors as the messages SARIF and GitHub annotations carry.
fn failures(io_errors: &[IoError]) -> Vec<String> {
    io_errors.iter().map(|e| e.message.clone()).collect()
}

/// 1 if there are errors, or warnings under `--deny warnings`; else 0.
pub fn exit_code(diagnostics: &[Diagnostic], global: Global) -> u8 {
    let failing = diagnostics.iter().any(|d| {
        d.counts_as(Severity::Error) || (global.deny_warnings && d.counts_as(Severity::Warning))
    });
    if failing {
        EXIT_FINDINGS
    } else {
        0
    }
}
