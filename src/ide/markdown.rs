//! Markdown for hovers: names and values are user text, so every piece of
//! it is escaped (plain text) or fenced (code spans), with control and
//! hidden characters shown as `\u{XXXX}`.

use crate::diag::escape;

/// `text` as a code span that nothing in it can close or break: a fence
/// longer than any run of backticks inside, padded when it starts or ends
/// with one.
pub(super) fn code(text: &str) -> String {
    let text = escape::inline(text);
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `text` as plain Markdown text: every character that Markdown or HTML
/// could read (emphasis, code, links, HTML, entities, list and heading
/// marks) is backslash-escaped.
pub(super) fn text(text: &str) -> String {
    let text = escape::inline(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_{}[]()<>#+-.!|~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_control_characters() {
        assert_eq!(code("QR-ml"), "`QR-ml`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a\nb"), "`a\\u{A}b`");
    }

    #[test]
    fn plain_text_escapes_markdown_and_html() {
        assert_eq!(text("*ml* <b>"), "\\*ml\\* \\<b\\>");
        assert_eq!(text("ml_team"), "ml\\_team");
    }
}
