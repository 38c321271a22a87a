//! Drives the pest grammar one statement at a time, turns pest's errors into
//! diagnostics with the expected tokens, and recovers at the next statement.

use super::allow_help::{allow_help, allow_in_block};
use super::ast::SourceFile;
use super::lexical::{self, skip_trivia, word_at};
use super::recovery::resume_at;
use crate::diag::{did_you_mean, Code, Diagnostic, FileId, Label, Span};
use pest::error::{ErrorVariant, InputLocation};
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
    parse(file, text, true).0
}

/// [`parse_file`] with the pest grammar alone, for every statement: the
/// reference the fast path is tested (and fuzzed) against. Its result is
/// always the same as [`parse_file`]'s.
pub fn parse_file_pest_only(file: FileId, text: &str) -> Parsed {
    parse(file, text, false).0
}

/// [`parse_file`], and how many statements the fast path read (the others
/// were parsed by pest): for tests of its coverage.
#[doc(hidden)]
pub fn parse_file_counting_fast(file: FileId, text: &str) -> (Parsed, usize) {
    parse(file, text, true)
}

fn parse(file: FileId, text: &str, fast: bool) -> (Parsed, usize) {
    let wanted = (text.len() / CHUNK_BYTES).clamp(1, MAX_CHUNKS);
    let mut bounds = vec![0];
    bounds.extend(lexical::statement_boundaries(text, wanted));
    bounds.push(text.len());
    // Room for every statement of the file in the first part's vector, so
    // that the others are appended without growing it (an estimate: the
    // lines that start with a statement keyword).
    let room = lexical::statement_lines(text, 0, text.len());
    let parts: Vec<(Parsed, usize)> = if bounds.len() == 2 {
        vec![parse_range(file, text, (0, text.len()), fast, room)]
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
                            parse_range(file, text, (start, end), fast, room)
                        }),
                    )
                })
                .collect();
            let (start, end) = ranges.first().copied().unwrap_or((0, 0));
            let mut parts = vec![parse_range(file, text, (start, end), fast, room)];
            // A chunk whose thread failed is parsed again here: no statement is lost.
            parts.extend(handles.into_iter().map(|((start, end), h)| {
                h.join()
                    .unwrap_or_else(|_| parse_range(file, text, (start, end), fast, 0))
            }));
            parts
        })
    };
    let mut parts = parts.into_iter();
    let (mut parsed, mut read_fast) = parts.next().unwrap_or_default();
    for (part, fast) in parts {
        read_fast += fast;
        parsed.file.statements.extend(part.file.statements);
        parsed.diagnostics.extend(part.diagnostics);
        parsed.broken.extend(part.broken);
    }
    parsed.comments = lexical::comments(file, text);
    limit_errors(file, &mut parsed);
    report_hidden(file, text, &mut parsed);
    (parsed, read_fast)
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
/// the next one; say where reading stopped.
fn limit_errors(file: FileId, parsed: &mut Parsed) {
    let stop = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::SyntaxError)
        .nth(MAX_SYNTAX_ERRORS)
        .map(|d| d.primary.span.start());
    let Some(stop) = stop else { return };
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
}

/// Parse the statements of `text[start..end]` (spans are file offsets).
/// `room`: how many statements to make room for at once.
fn parse_range(
    file: FileId,
    text: &str,
    (start, end): (usize, usize),
    fast: bool,
    room: usize,
) -> (Parsed, usize) {
    let mut parsed = Parsed::default();
    parsed.file.statements.reserve(room);
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
            parsed.file.statements.push(statement);
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
                    parsed.file.statements.push(statement);
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
    (parsed, read_fast)
}

/// `KIND NAME` at the start of a statement that failed to parse.
fn declared_name(statement: &str) -> Option<(super::ast::DeclKind, super::ast::Text)> {
    let kind = super::ast::DeclKind::from_keyword(word_at(statement, 0))?;
    let after = skip_trivia(statement, kind.keyword().len());
    let name = word_at(statement, after);
    (!name.is_empty()).then(|| (kind, name.into()))
}

fn syntax_error(
    file: FileId,
    text: &str,
    at: usize,
    variant: &ErrorVariant<Rule>,
    punctuation: &[String],
) -> Diagnostic {
    let found = found_token(text, at);
    if found == "\"" {
        if let Some(d) = unclosed_string(file, text, at) {
            return d;
        }
    }
    let end = at + found.len();
    let expected = match variant {
        ErrorVariant::ParsingError { positives, .. } => describe_expected(positives, punctuation),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let shown = if found.is_empty() {
        "end of file".to_string()
    } else {
        format!("`{}`", printable(found))
    };
    let mut d = Diagnostic::new(
        Code::SyntaxError,
        format!("expected {expected}, found {shown}"),
        Label::new(Span::new(file, at, end), format!("expected {expected}")),
    );
    if let ErrorVariant::ParsingError { positives, .. } = variant {
        let word = word_at(text, at);
        let keywords: &[&str] =
            if positives.contains(&Rule::decl_kind) || positives.contains(&Rule::statement) {
                lexical::STATEMENT_KEYWORDS
            } else if positives.contains(&Rule::operator) {
                OPERATORS
            } else if positives.contains(&Rule::verdict) {
                &["can", "cannot"]
            } else {
                &[]
            };
        d = d.with_suggestion(did_you_mean(word, keywords.iter().copied()));
        let in_block = ![Rule::statement, Rule::decl_kind, Rule::block]
            .iter()
            .any(|r| positives.contains(r));
        if d.help.is_none() && in_block {
            match keyword_typo(text, at + found.len()) {
                // The misspelt word is the one the error points at: a quick fix.
                Some((pos, _, meant)) if pos == at => d = d.with_suggestion(Some(meant)),
                Some((_, typo, meant)) => {
                    d.help = Some(format!(
                        "`{typo}` is not a keyword here: did you mean `{meant}`?"
                    ));
                }
                None => {}
            }
        }
        if in_block && allow_in_block(text, at) {
            d.help = Some(
                "`allow` is a statement, not a setting: write it after the block's closing bracket"
                    .into(),
            );
        }
        if d.help.is_none() {
            d.help = unquoted_at(text, at, found)
                .or_else(|| symbol_operator(positives, text, at))
                .or_else(|| Some(help_for(positives, found)));
        }
    }
    d
}

/// A string starting at `at` that its line does not close: unterminated,
/// or (when the next line holds a `"`) written across lines.
fn unclosed_string(file: FileId, text: &str, at: usize) -> Option<Diagnostic> {
    let end = lexical::skip_string(text.as_bytes(), at);
    if end > at + 1 && text.as_bytes().get(end - 1) == Some(&b'"') {
        return None;
    }
    let span = Span::new(file, at, end);
    let next_line = lexical::skip_line_end(text, end);
    let continues = text
        .get(next_line..lexical::end_of_line(text, next_line))
        .is_some_and(|l| l.contains('"'));
    let d = if continues {
        Diagnostic::new(
            Code::SyntaxError,
            "a string cannot span lines: this one is not closed on the line it starts",
            Label::new(span, "not closed on this line"),
        )
        .with_help("close the string on its line; write a line break inside it as `\\n`")
    } else {
        Diagnostic::new(
            Code::SyntaxError,
            "unterminated string: no closing `\"` on its line",
            Label::new(span, "string not closed"),
        )
        .with_help("add the closing `\"` before the end of the line")
    };
    Some(d)
}

/// `user a@example.com`: an email (or any text with `@`) left unquoted.
fn unquoted_at(text: &str, at: usize, found: &str) -> Option<String> {
    if found != "@" {
        return None;
    }
    let bytes = text.as_bytes();
    let mut start = at;
    while start > 0
        && bytes
            .get(start - 1)
            .is_some_and(|&b| lexical::is_ident_byte(b))
    {
        start -= 1;
    }
    let mut end = at;
    while bytes
        .get(end)
        .is_some_and(|&b| lexical::is_ident_byte(b) || b == b'@' || b == b'+')
    {
        end += 1;
    }
    let token = text.get(start..end)?;
    (start < at).then(|| {
        format!(
            "quote it: `\"{}\"` (emails and IAM ids are strings)",
            printable(token)
        )
    })
}

/// `where project = "ml"`: operators are words.
fn symbol_operator(positives: &[Rule], text: &str, at: usize) -> Option<String> {
    if !positives.contains(&Rule::operator) {
        return None;
    }
    let rest = text.get(at..)?;
    let (symbol, word) = if rest.starts_with("!=") {
        ("!=", "not_equals")
    } else if rest.starts_with("==") {
        ("==", "equals")
    } else if rest.starts_with('=') {
        ("=", "equals")
    } else {
        return None;
    };
    Some(format!(
        "operators are words: write `{word}` instead of `{symbol}`, e.g. `project {word} \"ml\"`"
    ))
}

/// How far back [`keyword_typo`] looks for the start of the failed item.
pub(super) const MAX_ITEM_LOOKBACK: usize = 512;

/// Words of a block's items that can start or continue a `members` clause.
const ITEM_KEYWORDS: &[&str] = &[
    "members",
    "user",
    "role",
    "service_id",
    "where",
    "from",
    "and",
    "attributes",
];

/// A misspelt keyword in the item that failed, up to `end` (`memebrs user
/// "a"`, `members usr "a"`, `... rol reader`): the word nearest the error
/// that is close to a keyword and not a name (after `user`, `role`, ...).
fn keyword_typo(text: &str, end: usize) -> Option<(usize, &str, &'static str)> {
    let bytes = text.as_bytes();
    // Items are short: looking back a few hundred bytes is enough, and keeps
    // each of up to 200 errors cheap in a huge file with no `;`.
    let floor = end.saturating_sub(MAX_ITEM_LOOKBACK);
    let mut start = end;
    while start > floor && !bytes.get(start - 1).is_some_and(|b| b";{}<>".contains(b)) {
        start -= 1;
    }
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut pos = start;
    while pos < end {
        match bytes.get(pos) {
            Some(b'"') => {
                // A string is a name's value too: the word after it is free.
                words.push((pos, "\""));
                pos = lexical::skip_string(bytes, pos).max(pos + 1);
            }
            Some(&b) if lexical::is_ident_byte(b) => {
                let word = word_at(text, pos);
                words.push((pos, word));
                pos += word.len().max(1);
            }
            _ => pos += 1,
        }
    }
    let takes_name = ["user", "service_id", "role", "from", "where", "and"];
    let mut candidates: Vec<(usize, &str, Option<&str>)> = Vec::new();
    let mut previous = None;
    for (pos, word) in words {
        candidates.push((pos, word, previous));
        previous = Some(word);
    }
    candidates
        .into_iter()
        .rev()
        .filter(|(_, word, previous)| {
            *word != "\""
                && !ITEM_KEYWORDS.contains(word)
                && !previous.is_some_and(|p| takes_name.contains(&p))
        })
        .find_map(|(pos, word, _)| {
            did_you_mean(word, ITEM_KEYWORDS.iter().copied()).map(|meant| (pos, word, meant))
        })
}

const OPERATORS: &[&str] = &[
    "contains",
    "equals",
    "not_equals",
    "equals_ignore_case",
    "not_equals_ignore_case",
    "in",
    "has",
];

fn help_for(positives: &[Rule], found: &str) -> String {
    let expects = |r: Rule| positives.contains(&r);
    let is_word = found
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    if expects(Rule::statement) || expects(Rule::decl_kind) {
        "a statement starts with one of: account, idp, resource_group, instance, role, project, group, user, service_id, audit, assert, allow".into()
    } else if lexical::STATEMENT_KEYWORDS.contains(&found)
        && (expects(Rule::semicolon) || expects(Rule::rbrace))
    {
        format!("is a `;` or a closing bracket missing before `{found}`?")
    } else if (expects(Rule::flag) || expects(Rule::kw_existing)) && is_word {
        "after a declaration's name comes `existing`, a block `{ ... }` or `;`".into()
    } else if found == "=" || found == ":" {
        "settings are written `key value;`, without `=` or `:`".into()
    } else if found == "allow" {
        "`allow` is a statement, not a setting: write it after the block's closing bracket".into()
    } else if found == "{" || found == "<" {
        "blocks do not nest, except `attributes { }` inside a user and `limits { }` inside the account".into()
    } else if expects(Rule::operator) {
        "conditions are `CLAIM OPERATOR \"value\"`, e.g. `project contains \"ml\"`".into()
    } else if expects(Rule::kw_on) || expects(Rule::verdict) {
        "write `assert SUBJECT can|cannot ACTION on INSTANCE;`".into()
    } else if expects(Rule::string) && is_word {
        format!("values here are strings: write `\"{found}\"`; lists of names in settings need no brackets (`instances a, b;`)")
    } else if found.starts_with(['-', '.']) {
        format!("`{found}` cannot start with `{}`: names and values start with a letter, a digit or `_`", found.get(..1).unwrap_or(""))
    } else {
        "end each setting with `;` and close the block with the bracket that opened it".into()
    }
}

/// What the parser saw at the error: a word, a string start, or one character.
pub(super) fn found_token(text: &str, at: usize) -> &str {
    let word = word_at(text, at);
    if !word.is_empty() {
        return word;
    }
    text.get(at..)
        .and_then(|r| r.chars().next())
        .map_or("", |c| text.get(at..at + c.len_utf8()).unwrap_or(""))
}

/// Control and invisible characters shown as escapes, so a report stays one line.
fn printable(token: &str) -> String {
    token
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// The punctuation pest would have accepted at the error (`;`, `}`, ...).
fn expected_punctuation(error: &pest::error::Error<Rule>) -> Vec<String> {
    let Some(attempts) = error.parse_attempts() else {
        return Vec::new();
    };
    attempts
        .expected_tokens()
        .into_iter()
        .map(|t| t.to_string())
        .filter(|token| PUNCTUATION.contains(&token.as_str()))
        .map(|token| format!("`{token}`"))
        .collect()
}

const PUNCTUATION: &[&str] = &[";", "{", "}", "<", ">", ",", "[", "]", "\""];

fn describe_expected(positives: &[Rule], punctuation: &[String]) -> String {
    let mut names: Vec<&str> = positives.iter().filter_map(|r| rule_name(*r)).collect();
    names.extend(punctuation.iter().map(String::as_str));
    names.sort_unstable();
    names.dedup();
    match names.as_slice() {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::name => "a name",
        Rule::string => "a string",
        Rule::string_list => "a list `[\"a\", \"b\"]`",
        Rule::statement | Rule::declaration | Rule::decl_kind | Rule::assertion | Rule::allow => {
            "a statement"
        }
        Rule::block => "a block `{ ... }`",
        Rule::flag | Rule::kw_existing => "`existing`",
        Rule::setting => "a setting",
        Rule::members | Rule::kw_members => "`members`",
        Rule::attributes | Rule::kw_attributes => "`attributes`",
        Rule::attribute => "an attribute `NAME \"value\"`",
        Rule::limits | Rule::kw_limits => "`limits`",
        Rule::limit => "a limit `NAME NUMBER`",
        Rule::rule | Rule::kw_where => "`where`",
        Rule::kw_from => "`from`",
        Rule::kw_and => "`and`",
        Rule::member_role | Rule::kw_role => "`role`",
        Rule::user_member | Rule::kw_user => "`user`",
        Rule::service_member | Rule::kw_service_id => "`service_id`",
        Rule::condition => "a condition",
        Rule::operator => "an operator (contains, equals, not_equals, in, has, ...)",
        Rule::verdict => "`can` or `cannot`",
        Rule::kw_on => "`on`",
        Rule::kw_for | Rule::allow_for => "`for`",
        Rule::subject => "a user or service id",
        Rule::kw_assert | Rule::kw_allow => "a statement",
        Rule::semicolon => "`;`",
        Rule::comma => "`,`",
        Rule::rbrace => "`}`",
        Rule::rangle => "`>`",
        _ => return None,
    })
}
