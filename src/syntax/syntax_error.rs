//! What a syntax error says: pest's expected tokens in words, the token
//! found, and the help and did-you-mean for the usual slips (a missing `;`,
//! an unquoted value, a misspelt keyword, an unclosed string).

use super::allow_help::allow_in_block;
use super::lexical::{self, word_at};
use super::parser::Rule;
use crate::diag::{did_you_mean, Code, Diagnostic, FileId, Label, Span};
use pest::error::ErrorVariant;

pub(super) fn syntax_error(
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
pub(super) fn expected_punctuation(error: &pest::error::Error<Rule>) -> Vec<String> {
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
