//! Hidden characters in the source (Trojan Source, CVE-2021-42574): control
//! characters, bidirectional controls and invisible characters
//! ([`crate::diag::escape::hidden`]) make a reviewer read a line other than
//! the one qpol reads. Outside strings and comments they are Q006; inside
//! a string or a comment, Q007. Both are errors: nothing a policy needs is
//! lost, since a string can still hold such a character written as a
//! visible escape (`\u{202E}`). A byte-order mark at the very start of a
//! file is not hidden text.

use crate::diag::escape::{self, Hidden};
use crate::diag::{Code, Diagnostic, FileId, Label, Span};

/// At most this many findings per file (a run of hidden characters is one).
const MAX_FINDINGS: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Code,
    String,
    Comment,
}

/// Every run of hidden characters in `text`, as diagnostics.
pub fn scan(file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !escape::source_needs_escape(text) {
        return out;
    }
    let mut place = Place::Code;
    let mut escaped = false;
    // The run being collected: start, end, first character, its kind, where.
    let mut run: Option<(usize, usize, char, Hidden, Place)> = None;
    for (i, c) in text.char_indices() {
        let kind = match c {
            '\u{FEFF}' if i == 0 => None,
            // A line end, alone (old Mac files) or before a newline.
            '\r' => None,
            c => escape::hidden(c),
        };
        match (kind, run) {
            (Some(_), Some((start, end, first, k, p))) if end == i && p == place => {
                run = Some((start, i + c.len_utf8(), first, k, p));
            }
            (Some(k), _) => {
                if let Some(r) = run.take() {
                    out.push(finding(file, text, r));
                }
                run = Some((i, i + c.len_utf8(), c, k, place));
            }
            (None, _) => {}
        }
        if out.len() >= MAX_FINDINGS {
            return out;
        }
        place = match (place, c) {
            (Place::Code, '"') => Place::String,
            (Place::Code, '#') => Place::Comment,
            (Place::String, _) if escaped => {
                escaped = false;
                Place::String
            }
            (Place::String, '\\') => {
                escaped = true;
                Place::String
            }
            (Place::String, '"') | (_, '\n' | '\r') => Place::Code,
            (p, _) => p,
        };
    }
    if let Some(r) = run {
        out.push(finding(file, text, r));
    }
    out
}

fn finding(
    file: FileId,
    text: &str,
    (start, end, first, kind, place): (usize, usize, char, Hidden, Place),
) -> Diagnostic {
    let more = text
        .get(start..end)
        .map_or(0, |s| s.chars().count())
        .saturating_sub(1);
    let what = format!(
        "{}, {}{}",
        escape::name(first),
        kind.describe(),
        match more {
            0 => String::new(),
            1 => ", and 1 more hidden character".to_string(),
            n => format!(", and {n} more hidden characters"),
        }
    );
    let span = Span::new(file, start, end);
    match place {
        Place::Code => Diagnostic::new(
            Code::HiddenCharacter,
            format!("{what}, outside a string: the line does not read as it is written"),
            Label::new(span, "hidden character"),
        )
        .with_help("remove it: names are letters, digits, `-`, `_` and `.`, with only spaces and line breaks between words"),
        Place::String => Diagnostic::new(
            Code::HiddenCharacterInText,
            format!("{what}, in a string: the value is not what a reviewer reads"),
            Label::new(span, "hidden character"),
        )
        .with_help(format!(
            "remove it; if the value must hold it, write it visibly as `{}`",
            first_escape(first)
        )),
        Place::Comment => Diagnostic::new(
            Code::HiddenCharacterInText,
            format!("{what}, in a comment: the line may not read as qpol reads it"),
            Label::new(span, "hidden character"),
        )
        .with_help("remove it from the comment"),
    }
}

fn first_escape(c: char) -> String {
    format!("\\u{{{:X}}}", u32::from(c))
}
