//! Renders diagnostics for people (miette's graphical report) and for
//! machines (a stable JSON form).

use super::{Diagnostic, Label, Severity, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::fmt;

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unicode report with colours (for a terminal).
    Color,
    /// Unicode report without colours (pipes, snapshots).
    Plain,
}

/// One diagnostic rendered as miette's graphical report.
pub fn human(diagnostic: &Diagnostic, sources: &SourceMap, style: Style) -> String {
    let theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let report = Report::new(diagnostic, sources);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!(
            "{}[{}]: {}\n",
            diagnostic.severity,
            diagnostic.code.id(),
            diagnostic.message
        );
    }
    out
}

/// All diagnostics, then the summary line.
pub fn human_all(diagnostics: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&human(d, sources, style));
        out.push('\n');
    }
    out
}

/// The stable machine form: one JSON object per diagnostic.
pub fn json_value(diagnostic: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let label = |l: &Label| {
        let file = sources.get(l.span.file);
        let (line, column) = file.map_or((0, 0), |f| f.line_col(l.span.start));
        let (end_line, end_column) = file.map_or((0, 0), |f| f.line_col(l.span.end));
        serde_json::json!({
            "file": sources.name(l.span.file),
            "start": l.span.start,
            "end": l.span.end,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "message": l.message,
        })
    };
    serde_json::json!({
        "code": diagnostic.code.id(),
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "primary": label(&diagnostic.primary),
        "secondary": diagnostic.secondary.iter().map(label).collect::<Vec<_>>(),
        "help": diagnostic.help,
        "suggestion": diagnostic.suggestion,
    })
}

/// Every diagnostic and the counts, as pretty JSON.
pub fn json_all(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let doc = serde_json::json!({
        "diagnostics": diagnostics.iter().map(|d| json_value(d, sources)).collect::<Vec<_>>(),
        "errors": count(Severity::Error),
        "warnings": count(Severity::Warning),
        "notes": count(Severity::Note),
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// `N errors, N warnings, N notes` (empty when there is nothing to say).
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Note), "note")
    )
}

/// Adapts a [`Diagnostic`] to miette. Labels in the primary label's file are
/// drawn on its snippet; labels in other files become related reports.
struct Report {
    code: String,
    message: String,
    severity: Severity,
    help: Option<String>,
    source: NamedSource<std::sync::Arc<str>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &SourceMap) -> Report {
        let file = d.primary.span.file;
        let mut labels = vec![labeled(sources, &d.primary, true)];
        let mut related = Vec::new();
        for l in &d.secondary {
            if l.span.file == file {
                labels.push(labeled(sources, l, false));
            } else {
                related.push(Report {
                    code: String::new(),
                    message: l.message.clone(),
                    severity: Severity::Note,
                    help: None,
                    source: named_source(sources, l.span.file),
                    labels: vec![labeled(sources, l, true)],
                    related: Vec::new(),
                });
            }
        }
        Report {
            code: d.code.id().to_string(),
            message: d.message.clone(),
            severity: d.severity,
            help: d.help.clone(),
            source: named_source(sources, file),
            labels,
            related,
        }
    }
}

fn named_source(sources: &SourceMap, file: super::FileId) -> NamedSource<std::sync::Arc<str>> {
    let text: std::sync::Arc<str> = sources
        .get(file)
        .map_or_else(|| "".into(), |f| f.text.clone());
    NamedSource::new(sources.name(file), text)
}

fn labeled(sources: &SourceMap, label: &Label, primary: bool) -> LabeledSpan {
    let (start, end) = sources.get(label.span.file).map_or((0, 0), |f| {
        (f.clamp(label.span.start), f.clamp(label.span.end))
    });
    let text = (!label.message.is_empty()).then(|| label.message.clone());
    if primary {
        LabeledSpan::new_primary_with_span(text, (start, end - start))
    } else {
        LabeledSpan::new_with_span(text, (start, end - start))
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}
