//! A small lexer for text that may not parse: names, strings, punctuation,
//! comments skipped. Strings and comments never span lines (the grammar's
//! `string` stops at a line end, a comment runs to it), so a line can be
//! read on its own.

/// One token, by byte offsets into the text it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token<'t> {
    pub start: usize,
    pub text: &'t str,
    pub kind: TokenKind,
}

impl Token<'_> {
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// A name or keyword: letters, digits, `-`, `_`, `.`.
    Name,
    /// A string, quotes included (unterminated ones end at the line end).
    Str,
    /// `;` `,` `{` `}` `<` `>` `[` `]`, or any other single character.
    Punct,
    /// `#` to the line end.
    Comment,
}

pub(super) use crate::keywords::keyword;

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// The tokens of `text` from byte `from` on (a char boundary outside a
/// string or comment), comments included.
pub(super) fn tokens(text: &str, from: usize) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let Some(rest) = text.get(from..) else {
        return out;
    };
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let start = from + i;
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        let kind = if c == '#' {
            while let Some((j, d)) = chars.next_if(|(_, d)| *d != '\n' && *d != '\r') {
                end = from + j + d.len_utf8();
            }
            TokenKind::Comment
        } else if c == '"' {
            let mut escaped = false;
            while let Some((j, d)) = chars.next_if(|(_, d)| *d != '\n' && *d != '\r') {
                end = from + j + d.len_utf8();
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == '"' {
                    break;
                }
            }
            TokenKind::Str
        } else if is_name_char(c) {
            while let Some((j, d)) = chars.next_if(|(_, d)| is_name_char(*d)) {
                end = from + j + d.len_utf8();
            }
            TokenKind::Name
        } else {
            TokenKind::Punct
        };
        if let Some(t) = text.get(start..end) {
            out.push(Token {
                start,
                text: t,
                kind,
            });
        }
    }
    out
}

/// Where the line holding `offset` starts (after LF, CR or CRLF).
pub(super) fn line_start(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .and_then(|t| t.rfind(['\n', '\r']))
        .map_or(0, |i| i + 1)
}

/// The name token that holds `offset` or ends at it, outside strings and
/// comments (`offset` a char boundary).
pub(super) fn word_at(text: &str, offset: usize) -> Option<Token<'_>> {
    let start = line_start(text, offset);
    let end = text
        .get(offset..)
        .and_then(|t| t.find(['\n', '\r']))
        .map_or(text.len(), |i| offset + i);
    let line = text.get(..end)?;
    tokens(line, start)
        .into_iter()
        .find(|t| t.kind == TokenKind::Name && t.start <= offset && offset <= t.end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_comments_hold_no_words() {
        let text = "project ml { # role writer\n  description \"role x\"; role writer }";
        let words: Vec<&str> = tokens(text, 0)
            .iter()
            .filter(|t| t.kind == TokenKind::Name)
            .map(|t| t.text)
            .collect();
        assert_eq!(words, ["project", "ml", "description", "role", "writer"]);
        assert_eq!(word_at(text, 20), None, "inside a comment");
        let in_string = text.find("x\"").unwrap_or(0);
        assert_eq!(word_at(text, in_string), None, "inside a string");
        let role = text.rfind("role").unwrap_or(0);
        assert_eq!(word_at(text, role + 2).map(|t| t.text), Some("role"));
        assert_eq!(word_at(text, role + 4).map(|t| t.text), Some("role"));
    }

    #[test]
    fn an_escaped_quote_does_not_end_a_string() {
        let toks = tokens("x \"a\\\"b\" y", 0);
        let texts: Vec<&str> = toks.iter().map(|t| t.text).collect();
        assert_eq!(texts, ["x", "\"a\\\"b\"", "y"]);
    }

    #[test]
    fn an_unterminated_string_ends_at_the_line_end() {
        let toks = tokens("a \"bc\nd", 0);
        let texts: Vec<&str> = toks.iter().map(|t| t.text).collect();
        assert_eq!(texts, ["a", "\"bc", "d"]);
    }
}
