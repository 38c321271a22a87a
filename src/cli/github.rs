//! `--format github`: one GitHub Actions workflow command per finding
//! (`::error file=...,line=...,col=...,endLine=...,endColumn=...,title=...::message`),
//! so a pull request shows each finding on its line, then a summary line.
//! Owns the escaping the runner requires: nothing from a policy (a value,
//! a file name) can end a command early or start another one.

use crate::diag::{escape, render, Diagnostic, Severity, SourceMap};

/// The workflow command of a severity.
fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// A command's message: `%`, CR and LF escaped.
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            _ => out.push(c),
        }
    }
    out
}

/// A command's property value: as [`escape_data`], and `:` and `,` too.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow command of one finding. The message and the labels are
/// shown as people see them (hidden characters as `\u{XXXX}`, one line
/// each); the help keeps its line breaks.
/// A finding in standard input has no file to annotate: the command has no
/// `file`, `line` or `col` (GitHub would look for a file of that name),
/// and the message names the place. A finding in a file read from a git
/// revision (`--baseline-git`) annotates the working-tree file as a whole
/// (no line: the revision's lines are not the pull request's), and the
/// message names the revision's place.
pub fn annotation(d: &Diagnostic, sources: &SourceMap) -> String {
    let span = d.primary.span;
    let stdin = sources.name(span.file) == crate::policy::STDIN;
    let revision = sources.revision(span.file);
    let mut properties = Vec::new();
    let mut message = escape::inline(&d.message).into_owned();
    if let (true, Some(file)) = (stdin, sources.get(span.file)) {
        let (line, col) = file.line_col(span.start());
        message.push_str(&format!(" (standard input, line {line}, column {col})"));
    }
    if let (Some(revision), Some(file)) = (revision, sources.get(span.file)) {
        // The revision's lines are not the working tree's: the whole file.
        let (line, col) = file.line_col(span.start());
        properties.push(format!("file={}", escape_property(&revision.worktree)));
        message.push_str(&format!(
            " ({}, line {line}, column {col})",
            escape::inline(sources.name(span.file))
        ));
    } else if let (false, Some(file)) = (stdin, sources.get(span.file)) {
        properties.push(format!("file={}", escape_property(sources.name(span.file))));
        let (line, col) = file.line_col(span.start());
        let (end_line, end_col) = file.line_col(span.end());
        properties.push(format!("line={line}"));
        properties.push(format!("col={col}"));
        properties.push(format!("endLine={end_line}"));
        // GitHub draws a column range only within one line.
        if end_line == line {
            properties.push(format!("endColumn={end_col}"));
        }
    }
    let title = format!("{} {}", d.code.id(), d.code.info().title);
    properties.push(format!("title={}", escape_property(&title)));
    if !d.primary.message.is_empty() {
        message.push_str(&format!("\n{}", escape::inline(&d.primary.message)));
    }
    for label in &d.secondary {
        let file = sources.get(label.span.file);
        let (line, col) = file.map_or((0, 0), |f| f.line_col(label.span.start()));
        message.push_str(&format!(
            "\n{}:{line}:{col}: {}",
            escape::inline(sources.name(label.span.file)),
            escape::inline(&label.message)
        ));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {}", escape::for_humans(help)));
    }
    format!(
        "::{} {}::{}",
        command(d.severity),
        properties.join(","),
        escape_data(&message)
    )
}

/// Every finding that is not acknowledged, one command a line, then the
/// counts (`qpol: 1 error, 0 warnings, 0 notes`) and one `::error` per
/// failure that is not a finding (an unreadable file).
pub fn write(
    w: &mut dyn std::io::Write,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    failures: &[String],
) -> std::io::Result<()> {
    for d in diagnostics.iter().filter(|d| d.suppressed.is_none()) {
        writeln!(w, "{}", annotation(d, sources))?;
    }
    for failure in failures {
        writeln!(
            w,
            "::error title=qpol::{}",
            escape_data(&escape::inline(failure))
        )?;
    }
    writeln!(w, "qpol: {}", render::summary(diagnostics))
}
