//! Drives the pest grammar one statement at a time, turns pest's errors into
//! diagnostics with the expected tokens, and recovers at the next statement.

use super::allow_help::allow_help;
use super::ast::{Declaration, SourceFile, Statement};
use super::lexical::{self, skip_trivia, word_at};
use super::recovery::resume_at;
use super::syntax_error::{expected_punctuation, syntax_error};
use crate::diag::{Code, Diagnostic, FileId, Label, Span};
use pest::error::InputLocation;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/qpol.pest"]
pub(super) struct QpolParser;

/// Syntax errors after which a file is given up.
const MAX_SYNTAX_ERRORS: usize = 200;

/// The syntax tree of one file with every syntax error found in it, and its
/// comments (for the formatter).
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub file: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    pub comments: Vec<lexical::Comment>,
    /// Kinds and names of declarations that failed to parse: references to
    /// them are not reported again as undefined.
    pub broken: Vec<(super::ast::DeclKind, super::ast::Text)>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Files above this size are parsed in chunks, in parallel.
const CHUNK_BYTES: usize = 1 << 20;
/// At most this many chunks (fixed, so output never depends on the machine).
const MAX_CHUNKS: usize = 2;

/// Parse one file. Never panics; every problem becomes a diagnostic.
///
/// A large file is cut at statement boundaries (a statement keyword at the
/// start of a line, outside any bracket) into at most [`MAX_CHUNKS`] chunks
/// parsed on their own threads; the results are joined in order. Each
/// statement is first read by the hand-written parser (`fast.rs`); one it
/// gives up on is parsed by the pest grammar.
pub fn parse_file(file: FileId, text: &str) -> Parsed {
    parse(file, text, true, &|| KeepAll).0
}

/// Takes declarations off a parse as they are read, so that a large file's
/// syntax tree never exists whole: each chunk of the file has its own
/// reader, on the thread that parses the chunk. What a reader declines is
/// kept in the tree.
pub trait Reader: Send {
    /// Whether the parse collects the file's comments (the formatter needs
    /// them; an analysis, which never prints the policy back, does not).
    const KEEPS_COMMENTS: bool = false;
    /// How many statements the chunk holds at most (lines that start one):
    /// told before the first is read, so that room is made once.
    fn expect(&mut self, _statements: usize) {}
    /// Read one declaration, or give it back (`Some`) to the tree.
    fn read(&mut self, declaration: Box<Declaration>) -> Option<Box<Declaration>>;
    /// Forget what was read at or after `offset`: reading stopped there.
    fn forget_from(&mut self, offset: usize);
}

/// The reader of [`parse_file`]: keeps every declaration in the tree.
struct KeepAll;

impl Reader for KeepAll {
    const KEEPS_COMMENTS: bool = true;

    fn read(&mut self, declaration: Box<Declaration>) -> Option<Box<Declaration>> {
        Some(declaration)
    }

    fn forget_from(&mut self, _: usize) {}
}

/// [`parse_file`], with each chunk's declarations offered to a reader made
/// by `new_reader` as they are parsed; the readers are returned in the
/// file's order.
pub fn parse_file_reading<R: Reader>(
    file: FileId,
    text: &str,
    new_reader: &(dyn Fn() -> R + Sync),
) -> (Parsed, Vec<R>) {
    let (parsed, _, readers) = parse(file, text, true, new_reader);
    (parsed, readers)
}

/// [`parse_file`] with the pest grammar alone, for every statement: the
/// reference the fast path is tested (and fuzzed) against. Its result is
/// always the same as [`parse_file`]'s.
pub fn parse_file_pest_only(file: FileId, text: &str) -> Parsed {
    parse(file, text, false, &|| KeepAll).0
}

/// [`parse_file`], and how many statements the fast path read (the others
/// were parsed by pest): for tests of its coverage.
#[doc(hidden)]
pub fn parse_file_counting_fast(file: FileId, text: &str) -> (Parsed, usize) {
    let (parsed, read_fast, _) = parse(file, text, true, &|| KeepAll);
    (parsed, read_fast)
}

fn parse<R: Reader>(
    file: FileId,
    text: &str,
    fast: bool,
    new_reader: &(dyn Fn() -> R + Sync),
) -> (Parsed, usize, Vec<R>) {
    let wanted = (text.len() / CHUNK_BYTES).clamp(1, MAX_CHUNKS);
    let mut bounds = vec![0];
    bounds.extend(lexical::statement_boundaries(text, wanted));
    bounds.push(text.len());
    // Room for every statement of the file in the first part's vector, so
    // that the others are appended without growing it (an estimate: the
    // lines that start with a statement keyword).
    let room = lexical::statement_lines(text, 0, text.len());
    let parts: Vec<(Parsed, usize, R)> = if bounds.len() == 2 {
        vec![parse_range(
            file,
            text,
            (0, text.len()),
            fast,
            room,
            new_reader(),
        )]
    } else {
        // The first chunk is parsed on this thread: its memory is then reused
        // by the model when lowering frees the syntax tree.
        let ranges: Vec<(usize, usize)> = bounds
            .windows(2)
            .map(|w| {
                (
                    w.first().copied().unwrap_or(0),
                    w.get(1).copied().unwrap_or(0),
                )
            })
            .collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = ranges
                .iter()
                .skip(1)
                .map(|&(start, end)| {
                    (
                        (start, end),
                        scope.spawn(move || {
                            let room = lexical::statement_lines(text, start, end);
                            parse_range(file, text, (start, end), fast, room, new_reader())
                        }),
                    )
                })
                .collect();
            let (start, end) = ranges.first().copied().unwrap_or((0, 0));
            let mut parts = vec![parse_range(
                file,
                text,
                (start, end),
                fast,
                room,
                new_reader(),
            )];
            // A chunk whose thread failed is parsed again here: no statement is lost.
            parts.extend(handles.into_iter().map(|((start, end), h)| {
                h.join().unwrap_or_else(|_| {
                    parse_range(file, text, (start, end), fast, 0, new_reader())
                })
            }));
            parts
        })
    };
    let mut parsed = Parsed::default();
    let mut read_fast = 0;
    let mut readers = Vec::with_capacity(parts.len());
    for (part, fast, reader) in parts {
        read_fast += fast;
        if parsed.file.statements.is_empty() {
            parsed.file.statements = part.file.statements;
        } else {
            parsed.file.statements.extend(part.file.statements);
        }
        parsed.diagnostics.extend(part.diagnostics);
        parsed.broken.extend(part.broken);
        readers.push(reader);
    }
    if R::KEEPS_COMMENTS {
        parsed.comments = lexical::comments(file, text);
    }
    if let Some(stop) = limit_errors(file, &mut parsed) {
        for reader in &mut readers {
            reader.forget_from(stop);
        }
    }
    report_hidden(file, text, &mut parsed);
    (parsed, read_fast, readers)
}

/// Add the hidden characters of the text (Q006, Q007); a syntax error at a
/// hidden character outside a string is that same finding, said less well.
fn report_hidden(file: FileId, text: &str, parsed: &mut Parsed) {
    let hidden = super::hidden::scan(file, text);
    if hidden.is_empty() {
        return;
    }
    let outside: Vec<Span> = hidden
        .iter()
        .filter(|d| d.code == Code::HiddenCharacter)
        .map(|d| d.primary.span)
        .collect();
    parsed.diagnostics.retain(|d| {
        let at = d.primary.span.start();
        d.code != Code::SyntaxError || !outside.iter().any(|s| s.start() <= at && at < s.end())
    });
    parsed.diagnostics.extend(hidden);
}

/// Keep the first [`MAX_SYNTAX_ERRORS`] syntax errors and what comes before
/// the next one; say where reading stopped (and return that offset).
fn limit_errors(file: FileId, parsed: &mut Parsed) -> Option<usize> {
    let stop = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::SyntaxError)
        .nth(MAX_SYNTAX_ERRORS)
        .map(|d| d.primary.span.start());
    let stop = stop?;
    parsed
        .diagnostics
        .retain(|d| d.primary.span.start() < stop && d.code != Code::TooManyErrors);
    parsed.file.statements.retain(|s| s.span().start() < stop);
    parsed.diagnostics.push(
        Diagnostic::new(
            Code::TooManyErrors,
            format!(
                "more than {MAX_SYNTAX_ERRORS} syntax errors: the rest of the file is not read"
            ),
            Label::new(Span::new(file, stop, stop), "reading stopped here"),
        )
        .with_help("is this a qpol policy? fix the first errors and run again"),
    );
    Some(stop)
}

/// Parse the statements of `text[start..end]` (spans are file offsets).
/// `room`: how many statements to make room for at once. Declarations are
/// offered to `reader` as they are read.
fn parse_range<R: Reader>(
    file: FileId,
    text: &str,
    (start, end): (usize, usize),
    fast: bool,
    room: usize,
    mut reader: R,
) -> (Parsed, usize, R) {
    let mut parsed = Parsed::default();
    parsed.file.statements.reserve(room);
    reader.expect(room);
    let mut read_fast = 0;
    let mut pos = skip_trivia(text, start).min(end);
    let mut errors = 0;
    let chunk = text.get(..end).filter(|_| fast);
    let mut scratch = super::fast::Scratch::default();
    while pos < end {
        if let Some(read) = chunk.and_then(|chunk| {
            super::fast::statement(file, chunk, pos, &mut parsed.diagnostics, &mut scratch)
        }) {
            let (statement, statement_end) = read;
            keep(&mut parsed, &mut reader, statement);
            read_fast += 1;
            pos = skip_trivia(text, statement_end.max(pos + 1)).min(end);
            continue;
        }
        let Some(rest) = text.get(pos..end) else {
            break;
        };
        // The first word says which statement this is: one rule less per statement.
        let entry = match word_at(rest, 0) {
            "assert" => Rule::assertion,
            "allow" => Rule::allow,
            _ => Rule::declaration,
        };
        match QpolParser::parse(entry, rest) {
            Ok(mut pairs) => {
                let Some(pair) = pairs.next() else { break };
                let statement_end = pos + pair.as_span().end();
                let mut builder = super::build::Builder {
                    file,
                    offset: pos,
                    diagnostics: &mut parsed.diagnostics,
                };
                if let Some(statement) = builder.statement(pair) {
                    keep(&mut parsed, &mut reader, statement);
                }
                pos = skip_trivia(text, statement_end.max(pos + 1)).min(end);
            }
            Err(error) => {
                let at = pos
                    + match error.location {
                        InputLocation::Pos(p) => p,
                        InputLocation::Span((s, _)) => s,
                    };
                errors += 1;
                let punctuation = expected_punctuation(&error);
                let mut d = syntax_error(file, text, at, &error.variant, &punctuation);
                if entry == Rule::allow {
                    if let Some(help) = allow_help(text, pos, at) {
                        d.help = Some(help);
                        d.suggestion = None;
                    }
                }
                parsed.diagnostics.push(d);
                if let Some(broken) = declared_name(rest) {
                    parsed.broken.push(broken);
                }
                if errors > MAX_SYNTAX_ERRORS {
                    break;
                }
                pos = skip_trivia(text, resume_at(text, pos, at)).min(end);
            }
        }
    }
    (parsed, read_fast, reader)
}

/// Offer a declaration to the reader; keep what it gives back.
fn keep(parsed: &mut Parsed, reader: &mut impl Reader, statement: Statement) {
    let kept = match statement {
        Statement::Declaration(d) => reader.read(d).map(Statement::Declaration),
        other => Some(other),
    };
    if let Some(statement) = kept {
        parsed.file.statements.push(statement);
    }
}

/// `KIND NAME` at the start of a statement that failed to parse.
fn declared_name(statement: &str) -> Option<(super::ast::DeclKind, super::ast::Text)> {
    let kind = super::ast::DeclKind::from_keyword(word_at(statement, 0))?;
    let after = skip_trivia(statement, kind.keyword().len());
    let name = word_at(statement, after);
    (!name.is_empty()).then(|| (kind, name.into()))
}
