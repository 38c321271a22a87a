//! Renders diagnostics for people (miette's graphical report) and for
//! machines (a stable JSON form). For people, messages and label texts are
//! one line each: every control character in them (line ends and tabs, from
//! a policy value's decoded `\n`, `\t`, included) and every hidden one is
//! shown as `\u{XXXX}`, so no value can forge a line; help texts keep their
//! own line breaks. JSON keeps the exact text.

use super::escape::{for_humans, inline};
use super::snippet::Window;
use super::{Diagnostic, Label, Severity, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
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
    // miette is not ours: should it ever panic, print the plain form.
    let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        handler.render_report(&mut out, &report)
    }));
    if !matches!(rendered, Ok(Ok(()))) {
        out = format!(
            "{}[{}]: {}\n",
            diagnostic.severity,
            diagnostic.code.id(),
            inline(&diagnostic.message)
        );
    }
    out
}

/// All diagnostics, each followed by a blank line.
pub fn human_all(diagnostics: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let mut out = Vec::new();
    let _ = write_human(&mut out, diagnostics, sources, style);
    String::from_utf8_lossy(&out).into_owned()
}

/// [`human_all`] written straight to `w`.
pub fn write_human(
    mut w: impl std::io::Write,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    style: Style,
) -> std::io::Result<()> {
    for d in diagnostics.iter().filter(|d| d.suppressed.is_none()) {
        w.write_all(human(d, sources, style).as_bytes())?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// The stable machine form: one JSON object per diagnostic.
pub fn json_value(diagnostic: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let label = |l: &Label| {
        let file = sources.get(l.span.file);
        let (line, column) = file.map_or((0, 0), |f| f.line_col(l.span.start()));
        let (end_line, end_column) = file.map_or((0, 0), |f| f.line_col(l.span.end()));
        serde_json::json!({
            "file": sources.name(l.span.file),
            "start": l.span.start(),
            "end": l.span.end(),
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "message": l.message,
        })
    };
    let mut value = serde_json::json!({
        "code": diagnostic.code.id(),
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "primary": label(&diagnostic.primary),
        "secondary": diagnostic.secondary.iter().map(label).collect::<Vec<_>>(),
        "help": diagnostic.help,
        "suggestion": diagnostic.suggestion,
    });
    // Only an acknowledged finding has the key: the acknowledgement's reason and place.
    if let (Some(s), Some(map)) = (&diagnostic.suppressed, value.as_object_mut()) {
        let at = label(&Label::new(s.at, "acknowledged here"));
        map.insert(
            "suppressed".into(),
            serde_json::json!({ "reason": s.reason, "at": at }),
        );
    }
    value
}

/// Every diagnostic and the counts, as pretty JSON, plus `extra` top-level
/// fields. Diagnostics are serialized one at a time (no document tree).
pub fn json_all(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    extra: &[(&str, serde_json::Value)],
) -> String {
    let mut out = Vec::new();
    let _ = write_json(&mut out, diagnostics, sources, extra);
    String::from_utf8(out).unwrap_or_default()
}

/// [`json_all`] written straight to `w`, for outputs too large to hold.
pub fn write_json(
    w: impl std::io::Write,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    extra: &[(&str, serde_json::Value)],
) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(
        w,
        &JsonDoc {
            diagnostics,
            sources,
            extra,
        },
    )
}

struct JsonDoc<'a> {
    diagnostics: &'a [Diagnostic],
    sources: &'a SourceMap,
    extra: &'a [(&'a str, serde_json::Value)],
}
struct Lazy<'a>(&'a [Diagnostic], &'a SourceMap);
impl serde::Serialize for Lazy<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|d| json_value(d, self.1)))
    }
}
impl serde::Serialize for JsonDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let count = |sev: Severity| self.diagnostics.iter().filter(|d| d.counts_as(sev)).count();
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("diagnostics", &Lazy(self.diagnostics, self.sources))?;
        map.serialize_entry("errors", &count(Severity::Error))?;
        map.serialize_entry("warnings", &count(Severity::Warning))?;
        map.serialize_entry("notes", &count(Severity::Note))?;
        for (key, value) in self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `N errors, N warnings, N notes`, and `(N acknowledged)` when `allow`
/// statements suppressed findings (those count toward nothing else).
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let count = |s: Severity| diagnostics.iter().filter(|d| d.counts_as(s)).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let acknowledged = diagnostics
        .iter()
        .filter(|d| d.suppressed.is_some())
        .count();
    let tail = if acknowledged > 0 {
        format!(" ({acknowledged} acknowledged)")
    } else {
        String::new()
    };
    format!(
        "{}, {}, {}{tail}",
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
    source: Window,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &SourceMap) -> Report {
        let file = d.primary.span.file;
        // miette takes time quadratic in the labels: show the first ones.
        let secondary = d.secondary.get(..d.secondary.len().min(MAX_LABELS));
        let secondary = secondary.unwrap_or_default();
        let spans: Vec<(usize, usize)> = std::iter::once(&d.primary)
            .chain(secondary.iter().filter(|l| l.span.file == file))
            .map(|l| (l.span.start(), l.span.end()))
            .collect();
        let source = Window::new(sources, file, &spans);
        let mut labels = vec![labeled(&source, &d.primary, true)];
        let mut related = Vec::new();
        for l in secondary {
            if l.span.file == file {
                labels.push(labeled(&source, l, false));
            } else {
                let window = Window::new(sources, l.span.file, &[(l.span.start(), l.span.end())]);
                related.push(Report {
                    code: String::new(),
                    message: inline(&l.message).into_owned(),
                    severity: Severity::Note,
                    help: None,
                    labels: vec![labeled(&window, l, true)],
                    source: window,
                    related: Vec::new(),
                });
            }
        }
        let hidden = d.secondary.len() - secondary.len();
        let help = match (&d.help, hidden) {
            (help, 0) => help.as_deref().map(|h| for_humans(h).into_owned()),
            (Some(help), n) => Some(format!(
                "{}\n({n} more labels: see `--format json`)",
                for_humans(help)
            )),
            (None, n) => Some(format!("({n} more labels: see `--format json`)")),
        };
        Report {
            code: format!("{}[{}]", d.severity, d.code.id()),
            message: inline(&d.message).into_owned(),
            severity: d.severity,
            help,
            source,
            labels,
            related,
        }
    }
}

/// Labels drawn per diagnostic besides the primary one.
const MAX_LABELS: usize = 30;

fn labeled(window: &Window, label: &Label, primary: bool) -> LabeledSpan {
    let (start, end) = (
        window.local(label.span.start()),
        window
            .local(label.span.end())
            .max(window.local(label.span.start())),
    );
    let text = (!label.message.is_empty()).then(|| inline(&label.message).into_owned());
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
