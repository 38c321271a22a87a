//! Diagnostics: one type for every finding of every stage, the source map
//! that turns spans into files, lines and columns, and the renderers.
//!
//! Checks build [`Diagnostic`] values (data only); [`render`] decides how a
//! person or a machine sees them.

pub mod codes;
pub mod columns;
pub mod escape;
pub mod render;
mod snippet;

pub use codes::Code;

use std::fmt;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range in one file. Offsets are stored as `u32` (every node of the
/// syntax tree and the model carries spans, so their size matters); files
/// over 4 GiB are clamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub file: FileId,
    lo: u32,
    hi: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span {
            file,
            lo: clamp(start),
            hi: clamp(end.max(start)),
        }
    }

    pub fn start(self) -> usize {
        self.lo as usize
    }

    pub fn end(self) -> usize {
        self.hi as usize
    }
}

/// A file's text, shared: made from a `String` without copying it.
pub struct SourceText(pub std::sync::Arc<String>);

impl From<String> for SourceText {
    fn from(text: String) -> Self {
        SourceText(std::sync::Arc::new(text))
    }
}

impl From<&str> for SourceText {
    fn from(text: &str) -> Self {
        SourceText(std::sync::Arc::new(text.to_string()))
    }
}

impl From<std::sync::Arc<String>> for SourceText {
    fn from(text: std::sync::Arc<String>) -> Self {
        SourceText(text)
    }
}

/// One policy file: its display name, its text and where its lines start.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    /// Shared with the parse (held as read: no copy of a large file).
    pub text: std::sync::Arc<String>,
    /// Shared, so that a renderer can hold the file cheaply.
    line_starts: std::sync::Arc<[usize]>,
    /// The file as people are shown it, made on first use (see [`SourceFile::for_humans`]).
    human: std::sync::Arc<std::sync::OnceLock<Option<HumanFile>>>,
    /// Character and UTF-16 counts for columns, made on first use.
    columns: std::sync::Arc<std::sync::OnceLock<columns::Columns>>,
    /// Set for a file read from a git revision (`check --baseline-git`).
    pub revision: Option<std::sync::Arc<Revision>>,
}

/// Where a file read from a git revision lives in the working tree: its
/// lines are the revision's, so a review tool (GitHub annotations, SARIF)
/// is pointed at the working-tree file as a whole, and the message names
/// the revision's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The same file in the working tree, as the command line named it.
    pub worktree: String,
}

/// A file with its hidden characters escaped, and the map from the
/// original's offsets to its own.
pub type HumanFile = std::sync::Arc<(SourceFile, escape::Escaped)>;

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<SourceText>) -> SourceFile {
        let text: std::sync::Arc<String> = text.into().0;
        let mut line_starts = Vec::with_capacity(text.len() / 40 + 1);
        line_starts.push(0);
        // A line ends at LF, CRLF or a lone CR (old Mac files), as in miette.
        // Without a CR (the usual case) the fast search for LF is enough.
        if text.contains('\r') {
            let bytes = text.as_bytes();
            line_starts.extend(bytes.iter().enumerate().filter_map(|(i, &b)| {
                let ends = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
                ends.then_some(i + 1)
            }));
        } else {
            line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        }
        SourceFile {
            name: name.into(),
            text,
            line_starts: line_starts.into(),
            human: std::sync::Arc::default(),
            columns: std::sync::Arc::default(),
            revision: None,
        }
    }

    /// The file as people are shown it: `None` when it has no hidden
    /// character ([`escape`]), else the escaped file and the offset map.
    /// Made once per file, however many diagnostics point into it.
    pub fn for_humans(&self) -> Option<&HumanFile> {
        self.human
            .get_or_init(|| {
                if !escape::source_needs_escape(&self.text) {
                    return None;
                }
                let mut escaped = escape::escape_source(&self.text);
                let text = std::mem::take(&mut escaped.text);
                Some(std::sync::Arc::new((
                    SourceFile::new(self.name.clone(), text),
                    escaped,
                )))
            })
            .as_ref()
    }

    /// 1-based line and column (in characters) of a byte offset, clamped to the text.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.line_column(offset, columns::Unit::Chars)
    }

    /// 1-based line and column, counted in `unit`, of a byte offset
    /// (clamped to the text). A lookup does not scan the line
    /// ([`columns::Columns`], made once per file).
    pub fn line_column(&self, offset: usize, unit: columns::Unit) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line = self.line_index(offset);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let columns = self
            .columns
            .get_or_init(|| columns::Columns::new(&self.text));
        (
            line + 1,
            columns.column(&self.text, start, offset, unit) + 1,
        )
    }

    /// The byte range of lines `first..=last` (0-based, clamped), whole lines.
    pub fn line_range(&self, first: usize, last: usize) -> (usize, usize) {
        let start = self
            .line_starts
            .get(first)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(last + 1)
            .copied()
            .unwrap_or(self.text.len());
        (start.min(self.text.len()), end.min(self.text.len()))
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// Clamp an offset to the text and down to a char boundary.
    pub fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The text of a span, or "" if the span does not fit.
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(self.clamp(span.start())..self.clamp(span.end()))
            .unwrap_or("")
    }
}

/// Every file of one policy, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<SourceText>) -> FileId {
        self.push(SourceFile::new(name, text))
    }

    /// Add a file made before (cheap: its text and line starts are shared).
    pub fn push(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Mark a file as read from a git revision (see [`Revision`]).
    pub fn set_revision(&mut self, id: FileId, revision: Revision) {
        if let Some(file) = self.files.get_mut(id.0 as usize) {
            file.revision = Some(std::sync::Arc::new(revision));
        }
    }

    /// Forget every file's working-tree counterpart: its findings are then
    /// shown under its `REV:PATH` name in every format.
    pub fn forget_revisions(&mut self) {
        for file in &mut self.files {
            file.revision = None;
        }
    }

    /// The working-tree counterpart of a file read from a git revision.
    pub fn revision(&self, id: FileId) -> Option<&Revision> {
        self.get(id)?.revision.as_deref()
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("<unknown>", |f| f.name.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A span with a short text pointing at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Label {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// One finding: a stable code, a severity, a message naming the consequence,
/// a primary label, secondary labels, a help line and, where there is one,
/// the replacement text an editor can offer as a quick fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    /// Did-you-mean replacement for the primary span.
    pub suggestion: Option<String>,
    /// The model entities the finding is about, beyond the declaration its
    /// primary span lies in (an `allow CODE on ...` matches either).
    pub subjects: Vec<Entity>,
    /// Q201: the projects or groups whose users the rule admits by accident.
    /// An acknowledgement that names them (`allow Q201 on project ml for
    /// project ml-vision "..."`) covers the finding only if it names each.
    pub admitted: Vec<Entity>,
    /// Set when an `allow CODE ...` acknowledges the finding: it is then
    /// not printed for people and counts toward nothing.
    pub suppressed: Option<Suppression>,
}

/// A model entity a finding concerns, by its index in the model's list of
/// that kind (units are projects and groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Unit(usize),
    Instance(usize),
    User(usize),
    Role(usize),
    Idp(usize),
}

/// The acknowledgement that suppresses a finding: its reason and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub reason: String,
    pub at: Span,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, message: impl Into<String>, primary: Label) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary,
            secondary: Vec::new(),
            help: None,
            suggestion: None,
            subjects: Vec::new(),
            admitted: Vec::new(),
            suppressed: None,
        }
    }

    /// The same finding with another severity than its code's default.
    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    /// Adds the model entities the finding is about.
    pub fn about(mut self, subjects: impl IntoIterator<Item = Entity>) -> Diagnostic {
        self.subjects.extend(subjects);
        self
    }

    /// Adds the projects or groups a rule admits by accident (Q201).
    pub fn admitting(mut self, admitted: impl IntoIterator<Item = Entity>) -> Diagnostic {
        self.admitted.extend(admitted);
        self
    }

    /// Counts toward the run's errors, warnings or notes (not acknowledged).
    pub fn counts_as(&self, severity: Severity) -> bool {
        self.severity == severity && self.suppressed.is_none()
    }

    pub fn with_label(mut self, label: Label) -> Diagnostic {
        self.secondary.push(label);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a did-you-mean: the help line and the machine-readable replacement.
    pub fn with_suggestion(mut self, suggestion: Option<&str>) -> Diagnostic {
        if let Some(s) = suggestion {
            self.help = Some(format!("did you mean `{s}`?"));
            self.suggestion = Some(s.to_string());
        }
        self
    }

    /// An error that no acknowledgement suppresses.
    pub fn is_error(&self) -> bool {
        self.counts_as(Severity::Error)
    }
}

/// Sort diagnostics by file, position and code so every run prints the same order.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.primary.span, a.code, &a.message).cmp(&(b.primary.span, b.code, &b.message))
    });
}

/// The closest candidate to `word` by edit distance, if it is close enough
/// to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1) + usize::from(word.len() > 6);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}
