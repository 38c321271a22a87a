//! Lexical facts the grammar does not keep: where the comments are, and
//! where a statement could start again after a syntax error.

use crate::diag::{FileId, Span};

/// A `#` comment: its text (with the `#`) and span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
    /// Whether only whitespace precedes it on its line.
    pub own_line: bool,
}

/// Every comment of a text, in order, skipping `#` inside strings.
pub fn comments(file: FileId, text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' | b'\r' => {
                i += 1;
                line_start = i;
            }
            b'"' => i = skip_string(bytes, i),
            b'#' => {
                let end = end_of_line(text, i);
                let body = text.get(i..end).unwrap_or("").trim_end();
                let own_line = text.get(line_start..i).is_some_and(|p| p.trim().is_empty());
                out.push(Comment {
                    text: body.to_string(),
                    span: Span::new(file, i, i + body.len()),
                    own_line,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// Index just past a string starting at `start` (a `"`); strings end at the
/// closing quote or, unterminated, at the end of the line.
pub fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The offset of the end of the line holding `i` (its `\n` or `\r`, or the
/// end of the text): a lone CR ends a line, as in old Mac files.
pub fn end_of_line(text: &str, i: usize) -> usize {
    text.get(i..)
        .and_then(|r| r.find(['\n', '\r']))
        .map_or(text.len(), |n| i + n)
}

/// The offset after the line end at `i` (LF, CRLF or CR), or `i` if none is there.
pub fn skip_line_end(text: &str, i: usize) -> usize {
    let rest = text.get(i..).unwrap_or("");
    if rest.starts_with("\r\n") {
        i + 2
    } else if rest.starts_with(['\n', '\r']) {
        i + 1
    } else {
        i
    }
}

/// How many line ends `text` holds: LF, CRLF (one) and lone CR.
pub fn line_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// Skip whitespace and comments from `pos`; returns the next significant index.
pub fn skip_trivia(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(pos) {
        if b == b'#' {
            pos = end_of_line(text, pos);
        } else if b.is_ascii_whitespace() {
            pos += 1;
        } else if text.get(pos..).is_some_and(|r| r.starts_with('\u{FEFF}')) {
            pos += '\u{FEFF}'.len_utf8();
        } else {
            break;
        }
    }
    pos
}

pub use crate::keywords::STATEMENT_KEYWORDS;

pub fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'
}

/// The word (name characters) at `pos`, possibly empty.
pub fn word_at(text: &str, pos: usize) -> &str {
    let bytes = text.as_bytes();
    let mut end = pos;
    while bytes.get(end).is_some_and(|&b| is_ident_byte(b)) {
        end += 1;
    }
    text.get(pos..end).unwrap_or("")
}

/// How many lines of `text[start..end]` start (after blanks) with a
/// statement keyword: about how many statements it holds.
pub fn statement_lines(text: &str, start: usize, end: usize) -> usize {
    let Some(part) = text.get(start..end) else {
        return 0;
    };
    part.split('\n')
        .filter(|line| {
            keyword_at(
                line,
                line.len() - line.trim_start_matches([' ', '\t']).len(),
            )
        })
        .count()
}

/// Does a statement keyword start at `pos`?
pub fn keyword_at(text: &str, pos: usize) -> bool {
    STATEMENT_KEYWORDS.contains(&word_at(text, pos))
}

/// Up to `chunks - 1` offsets that cut `text` into about equal chunks at
/// statement boundaries: a statement keyword at the start of a line, outside
/// every bracket, string and comment.
pub fn statement_boundaries(text: &str, chunks: usize) -> Vec<usize> {
    let mut out = Vec::new();
    if chunks < 2 {
        return out;
    }
    let step = text.len() / chunks;
    let bytes = text.as_bytes();
    let mut depth: usize = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'#' => {
                i = end_of_line(text, i);
                continue;
            }
            b'{' | b'<' => depth += 1,
            b'}' | b'>' => depth = depth.saturating_sub(1),
            b'\n' | b'\r' => {
                let next = i + 1;
                if depth == 0 && next >= step * (out.len() + 1) && keyword_at(text, next) {
                    out.push(next);
                    if out.len() + 1 == chunks {
                        break;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}
