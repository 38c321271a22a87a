//! `--format sarif`: a run's findings as one SARIF 2.1.0 log, for code
//! scanning (GitHub's `upload-sarif`, IDE viewers). Owns the mapping from
//! [`Diagnostic`] to SARIF: rules (every code, with its explanation and a
//! link into the README), results with regions in UTF-16 columns, related
//! locations, fixes from did-you-mean suggestions and in-source suppressions
//! from `allow CODE` acknowledgements. The output holds no timestamp and no
//! absolute path of the working directory: the same run prints the same log.

use crate::diag::{Code, Diagnostic, Label, Severity, SourceFile, SourceMap, Span};
use serde_json::{json, Value};
use std::path::Path;

/// The schema every log names.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where qpol lives (`repository` in Cargo.toml, the one place that names
/// it); rule help links point into its README.
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// The base every relative artifact URI is resolved against: the folder
/// `qpol` ran in (the repository root in CI).
pub const SRCROOT: &str = "%SRCROOT%";

/// The README section documenting `code`, as a GitHub heading anchor.
pub fn help_anchor(code: Code) -> &'static str {
    if code.id().starts_with("Q6") {
        "account-limits"
    } else {
        "diagnostics"
    }
}

/// The help URI of a rule: the README section that documents the code.
pub fn help_uri(code: Code) -> String {
    format!("{REPOSITORY}/blob/main/README.md#{}", help_anchor(code))
}

/// The SARIF log of a run: `diagnostics` (acknowledged ones carry a
/// suppression), file names as `sources` holds them, made relative to the
/// working directory. `properties` land in the run's property bag (`qpol
/// test` puts `passed` and `failed` there).
pub fn document(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    properties: &[(&str, Value)],
) -> Value {
    let cwd = std::env::current_dir().ok();
    document_in(diagnostics, sources, properties, &[], cwd.as_deref())
}

/// [`document`], with failures that are not findings (unreadable files)
/// as tool notifications, and file names made relative to `cwd`.
pub fn document_in(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    properties: &[(&str, Value)],
    failures: &[String],
    cwd: Option<&Path>,
) -> Value {
    let at = Locator { sources, cwd };
    let results: Vec<Value> = sorted(diagnostics)
        .into_iter()
        .map(|d| result(d, &at))
        .collect();
    let mut run = run_without_results(properties, failures);
    run.insert("results".into(), Value::Array(results));
    json!({ "$schema": SCHEMA, "version": "2.1.0", "runs": [run] })
}

/// Write the log of [`document_in`] (pretty-printed, the same text) to
/// `w` without holding it whole: each result is made, written and dropped
/// in turn, so that memory does not grow with the number of findings
/// beyond the findings themselves.
pub fn write(
    w: &mut dyn std::io::Write,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    properties: &[(&str, Value)],
    failures: &[String],
    cwd: Option<&Path>,
) -> std::io::Result<()> {
    let log = Streamed {
        run: run_without_results(properties, failures),
        diagnostics: sorted(diagnostics),
        at: Locator { sources, cwd },
    };
    serde_json::to_writer_pretty(w, &log).map_err(std::io::Error::from)
}

/// The findings in the log's order: by place, then code and message.
fn sorted(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
    sorted.sort_by(|a, b| {
        (a.primary.span, a.code, &a.message).cmp(&(b.primary.span, b.code, &b.message))
    });
    sorted
}

/// The run's keys but `results`.
fn run_without_results(
    properties: &[(&str, Value)],
    failures: &[String],
) -> serde_json::Map<String, Value> {
    let mut run = serde_json::Map::new();
    run.insert("tool".into(), json!({ "driver": driver() }));
    run.insert("columnKind".into(), json!("utf16CodeUnits"));
    run.insert(
        "originalUriBaseIds".into(),
        json!({ SRCROOT: { "description": { "text": "The folder qpol was run in (the repository root in CI)." } } }),
    );
    if !failures.is_empty() {
        let notes: Vec<Value> = failures
            .iter()
            .map(|m| json!({ "level": "error", "message": { "text": m } }))
            .collect();
        run.insert(
            "invocations".into(),
            json!([{ "executionSuccessful": false, "toolExecutionNotifications": notes }]),
        );
    }
    if !properties.is_empty() {
        let bag: serde_json::Map<String, Value> = properties
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        run.insert("properties".into(), Value::Object(bag));
    }
    run
}

/// A log whose run's `results` are made one by one while written. Keys
/// come in the order a [`Value`] prints them (sorted), so that the text is
/// the one [`document_in`] prints.
struct Streamed<'a> {
    run: serde_json::Map<String, Value>,
    diagnostics: Vec<&'a Diagnostic>,
    at: Locator<'a>,
}

/// The run of a [`Streamed`] log.
struct StreamedRun<'s, 'a>(&'s Streamed<'a>);

/// The results of a [`Streamed`] log.
struct StreamedResults<'s, 'a>(&'s Streamed<'a>);

impl serde::Serialize for Streamed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("$schema", SCHEMA)?;
        map.serialize_entry("runs", &[StreamedRun(self)])?;
        map.serialize_entry("version", "2.1.0")?;
        map.end()
    }
}

impl serde::Serialize for StreamedRun<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.run.len() + 1))?;
        let mut pending = true;
        for (key, value) in &self.0.run {
            if pending && key.as_str() > "results" {
                map.serialize_entry("results", &StreamedResults(self.0))?;
                pending = false;
            }
            map.serialize_entry(key, value)?;
        }
        if pending {
            map.serialize_entry("results", &StreamedResults(self.0))?;
        }
        map.end()
    }
}

impl serde::Serialize for StreamedResults<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.diagnostics.len()))?;
        for d in &self.0.diagnostics {
            seq.serialize_element(&result(d, &self.0.at))?;
        }
        seq.end()
    }
}

/// `tool.driver`: qpol, its version, and one rule per code.
fn driver() -> Value {
    let rules: Vec<Value> = Code::ALL.iter().map(|&code| rule(code)).collect();
    json!({
        "name": "qpol",
        "fullName": "qpol policy-as-code compiler",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "informationUri": REPOSITORY,
        "rules": rules,
    })
}

fn rule(code: Code) -> Value {
    let info = code.info();
    json!({
        "id": info.id,
        "name": format!("{code:?}"),
        "shortDescription": { "text": sentence(info.title) },
        "fullDescription": { "text": info.explanation },
        "help": { "text": format!("{} Run `qpol explain {}` for more.", info.explanation, info.id) },
        "helpUri": help_uri(code),
        "defaultConfiguration": { "level": level(info.severity) },
    })
}

/// A title as a sentence: capitalised, ending with a period.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// One result. A place in standard input has no artifact to point at: it
/// is left out (the result, related location, fix or suppression then has
/// no physical location) and named in the message instead.
fn result(d: &Diagnostic, at: &Locator) -> Value {
    let index = Code::ALL.iter().position(|&c| c == d.code).unwrap_or(0);
    let mut text = d.message.clone();
    if at.is_stdin(d.primary.span) {
        let (line, column) = at.line_col(d.primary.span);
        text.push_str(&format!(" (standard input, line {line}, column {column})"));
    } else if let Some(place) = at.revision_place(d.primary.span) {
        text.push_str(&format!(" ({place})"));
    }
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut value = json!({
        "ruleId": d.code.id(),
        "ruleIndex": index,
        "level": level(d.severity),
        "message": { "text": text },
    });
    let Some(map) = value.as_object_mut() else {
        return value;
    };
    if let Some(physical) = at.physical(d.primary.span) {
        let mut location = json!({ "physicalLocation": physical });
        if let (false, Some(map)) = (d.primary.message.is_empty(), location.as_object_mut()) {
            map.insert("message".into(), json!({ "text": d.primary.message }));
        }
        map.insert("locations".into(), json!([location]));
    }
    let related: Vec<Value> = d
        .secondary
        .iter()
        .enumerate()
        .filter_map(|(i, l)| at.related(i, l))
        .collect();
    if !related.is_empty() {
        map.insert("relatedLocations".into(), Value::Array(related));
    }
    if let Some(fix) = d
        .suggestion
        .as_ref()
        .and_then(|replacement| at.fix(d.primary.span, replacement))
    {
        map.insert("fixes".into(), json!([fix]));
    }
    if let Some(s) = &d.suppressed {
        let mut suppression = json!({
            "kind": "inSource",
            "status": "accepted",
            "justification": s.reason,
        });
        if let (Some(physical), Some(map)) = (at.physical(s.at), suppression.as_object_mut()) {
            map.insert("location".into(), json!({ "physicalLocation": physical }));
        }
        map.insert("suppressions".into(), json!([suppression]));
    }
    value
}

/// Turns spans into SARIF locations.
struct Locator<'a> {
    sources: &'a SourceMap,
    cwd: Option<&'a Path>,
}

impl Locator<'_> {
    /// Whether `span` is in standard input (no artifact to name).
    fn is_stdin(&self, span: Span) -> bool {
        self.sources.name(span.file) == crate::policy::STDIN
    }

    /// 1-based line and UTF-16 column of a span's start.
    fn line_col(&self, span: Span) -> (usize, usize) {
        self.sources
            .get(span.file)
            .map_or((0, 0), |f| position(f, span.start()))
    }

    /// `REV:PATH, line L, column C` for a span in a file read from a git
    /// revision.
    fn revision_place(&self, span: Span) -> Option<String> {
        self.sources.revision(span.file)?;
        let (line, column) = self.line_col(span);
        let name = self.sources.name(span.file);
        Some(format!("{name}, line {line}, column {column}"))
    }

    fn physical(&self, span: Span) -> Option<Value> {
        if self.is_stdin(span) {
            return None;
        }
        if let Some(revision) = self.sources.revision(span.file) {
            // The revision's lines are not the working tree's: the file's
            // first line stands for the whole file (code scanning needs a
            // line), and the messages name the revision's place.
            return Some(json!({
                "artifactLocation": artifact(&revision.worktree, self.cwd),
                "region": { "startLine": 1 },
            }));
        }
        let name = self.sources.name(span.file);
        let mut physical = json!({ "artifactLocation": artifact(name, self.cwd) });
        if let (Some(file), Some(map)) = (self.sources.get(span.file), physical.as_object_mut()) {
            map.insert("region".into(), region(file, span));
        }
        Some(physical)
    }

    fn related(&self, index: usize, label: &Label) -> Option<Value> {
        let mut value = json!({ "id": index, "physicalLocation": self.physical(label.span)? });
        let text = match self.revision_place(label.span) {
            Some(place) if label.message.is_empty() => place,
            Some(place) => format!("{} ({place})", label.message),
            None => label.message.clone(),
        };
        if let (false, Some(map)) = (text.is_empty(), value.as_object_mut()) {
            map.insert("message".into(), json!({ "text": text }));
        }
        Some(value)
    }

    fn fix(&self, span: Span, replacement: &str) -> Option<Value> {
        if self.is_stdin(span) || self.sources.revision(span.file).is_some() {
            return None;
        }
        let name = self.sources.name(span.file);
        let deleted = self
            .sources
            .get(span.file)
            .map_or(Value::Null, |f| region(f, span));
        Some(json!({
            "description": { "text": format!("Replace with `{replacement}`.") },
            "artifactChanges": [{
                "artifactLocation": artifact(name, self.cwd),
                "replacements": [{
                    "deletedRegion": deleted,
                    "insertedContent": { "text": replacement },
                }],
            }],
        }))
    }
}

/// A file name as an artifact location: a relative URI under
/// [`SRCROOT`] (absolute names below `cwd` are made relative), else an
/// absolute `file:` URI.
pub fn artifact(name: &str, cwd: Option<&Path>) -> Value {
    let path = Path::new(name);
    let relative = if path.is_absolute() {
        cwd.and_then(|c| path.strip_prefix(c).ok())
    } else {
        Some(path)
    };
    match relative {
        Some(rel) => {
            let rel = rel.to_string_lossy();
            let rel = rel.strip_prefix("./").unwrap_or(&rel);
            json!({ "uri": encode(rel), "uriBaseId": SRCROOT })
        }
        None => json!({ "uri": format!("file://{}", encode(name)) }),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `/`.
pub fn encode(path: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(path, KEEP).to_string()
}

/// A span as a SARIF region: 1-based lines, 1-based columns in UTF-16
/// code units, the end column just past the last character.
pub fn region(file: &SourceFile, span: Span) -> Value {
    let (start_line, start_column) = position(file, span.start());
    let (end_line, end_column) = position(file, span.end());
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

/// 1-based line and UTF-16 column of a byte offset (clamped to the text).
pub fn position(file: &SourceFile, offset: usize) -> (usize, usize) {
    file.line_column(offset, crate::diag::columns::Unit::Utf16)
}
