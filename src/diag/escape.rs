//! Characters a reader cannot see, or that change how a line reads: control
//! characters (C0 but tab and newline, DEL, C1), bidirectional controls
//! (the Trojan Source characters, CVE-2021-42574) and invisible ones
//! (zero-width space and joiners, a byte-order mark inside the text, ...).
//! The syntax check rejects them in policies; everything printed for people
//! shows them as `\u{XXXX}`, the escape a qpol string uses, so a terminal
//! never obeys them. JSON output keeps the exact text (JSON escapes
//! controls; serde writes the rest as it is, for machines).

use std::borrow::Cow;

/// What kind of hidden character a character is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    Control,
    Bidi,
    Invisible,
    /// A noncharacter (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF): never text.
    Noncharacter,
    /// A private-use character: each font draws it its own way, or not at all.
    PrivateUse,
}

impl Hidden {
    pub fn describe(self) -> &'static str {
        match self {
            Hidden::Control => "a control character",
            Hidden::Bidi => "a bidirectional control",
            Hidden::Invisible => "an invisible character",
            Hidden::Noncharacter => "a noncharacter",
            Hidden::PrivateUse => "a private-use character",
        }
    }
}

/// The kind of hidden character `c` is, if it is one: a control, a
/// bidirectional control, every other format character (Unicode category
/// Cf), a blank-looking or invisible one (Hangul fillers, U+2800 BRAILLE
/// PATTERN BLANK, variation selectors, U+FFFC), a noncharacter or a
/// private-use character. Tab, newline and carriage return are not (a lone
/// carriage return is handled by [`for_humans`]).
pub fn hidden(c: char) -> Option<Hidden> {
    match c {
        '\t' | '\n' | '\r' => None,
        c if c.is_control() => Some(Hidden::Control),
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Some(Hidden::Bidi),
        '\u{00AD}'
        | '\u{034F}'
        | '\u{0600}'..='\u{0605}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{0890}'
        | '\u{0891}'
        | '\u{08E2}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{2060}'..='\u{2065}'
        | '\u{206A}'..='\u{206F}'
        | '\u{2800}'
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFC}'
        | '\u{110BD}'
        | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}' => Some(Hidden::Invisible),
        '\u{FDD0}'..='\u{FDEF}' => Some(Hidden::Noncharacter),
        c if u32::from(c) & 0xFFFE == 0xFFFE => Some(Hidden::Noncharacter),
        '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}' => {
            Some(Hidden::PrivateUse)
        }
        _ => None,
    }
}

/// `U+202E (RIGHT-TO-LEFT OVERRIDE)`, or `U+0007` for one without a short name here.
pub fn name(c: char) -> String {
    let known = match c {
        '\u{1B}' => "ESCAPE",
        '\u{7F}' => "DELETE",
        '\u{0D}' => "CARRIAGE RETURN",
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2060}' => "WORD JOINER",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{FEFF}' => "BYTE ORDER MARK",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{2800}' => "BRAILLE PATTERN BLANK",
        '\u{FFFC}' => "OBJECT REPLACEMENT CHARACTER",
        '\u{13430}' => "EGYPTIAN HIEROGLYPH VERTICAL JOINER",
        _ => "",
    };
    let code = format!("U+{:04X}", u32::from(c));
    if known.is_empty() {
        code
    } else {
        format!("{code} ({known})")
    }
}

/// How a hidden character is shown to people: the qpol string escape.
fn visible(c: char) -> String {
    format!("\\u{{{:X}}}", u32::from(c))
}

/// Where a text is shown: inside one line (a message, a file name), where
/// every carriage return is escaped, or as source lines, where a carriage
/// return ends a line (alone or before a newline) like a newline does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Inline,
    Lines,
}

/// Should `c` at `rest` (the text from `c` on) be shown escaped? Inline, a
/// carriage return is left alone only before a newline.
fn escapes(c: char, rest: &str, shown: Shown) -> bool {
    if c == '\r' {
        return shown == Shown::Inline && !rest.get(1..).is_some_and(|r| r.starts_with('\n'));
    }
    hidden(c).is_some()
}

fn needs_escape_as(text: &str, shown: Shown) -> bool {
    if text.is_ascii() {
        let bytes = text.as_bytes();
        return bytes.iter().enumerate().any(|(i, &b)| {
            (b < 0x20
                && b != b'\t'
                && b != b'\n'
                && (b != b'\r' || (shown == Shown::Inline && bytes.get(i + 1) != Some(&b'\n'))))
                || b == 0x7F
        });
    }
    text.char_indices()
        .any(|(i, c)| escapes(c, text.get(i..).unwrap_or(""), shown))
}

/// Does the text hold anything [`for_humans`] would change? Fast on ASCII.
pub fn needs_escape(text: &str) -> bool {
    needs_escape_as(text, Shown::Inline)
}

/// Does a source file hold anything [`escape_source`] would change? Its
/// line ends (LF, CRLF, a lone CR) are not hidden characters.
pub fn source_needs_escape(text: &str) -> bool {
    needs_escape_as(text, Shown::Lines)
}

/// Text for a person: every hidden character as `\u{XXXX}`.
pub fn for_humans(text: &str) -> Cow<'_, str> {
    if !needs_escape(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(escape_mapped(text).text)
}

/// A name (a file name, say) for one line of text a person reads: every
/// control character, line ends and tabs included, and every hidden one as
/// `\u{XXXX}`, so a name can never start a line of its own or forge one.
pub fn inline(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || hidden(c).is_some()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() || hidden(c).is_some() {
                    visible(c)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// A path for a person, as [`inline`] shows names.
pub fn path(path: &std::path::Path) -> String {
    inline(&path.display().to_string()).into_owned()
}

/// Text escaped for people, and where each of its offsets went.
#[derive(Debug, Clone, Default)]
pub struct Escaped {
    pub text: String,
    /// `(offset just past an escaped character in the original, how many
    /// bytes longer the escaped text is from there on)`, ascending.
    shifts: Vec<(usize, usize)>,
}

impl Escaped {
    /// Where an offset of the original text (a char boundary) lies in the
    /// escaped text. An offset inside an escaped character maps to the
    /// start of its escape.
    pub fn map(&self, offset: usize) -> usize {
        let i = self.shifts.partition_point(|&(end, _)| end <= offset);
        let shift = i
            .checked_sub(1)
            .and_then(|i| self.shifts.get(i))
            .map_or(0, |&(_, s)| s);
        offset + shift
    }
}

/// [`for_humans`] with the offset map that keeps spans pointing at the same characters.
pub fn escape_mapped(text: &str) -> Escaped {
    escape_mapped_as(text, Shown::Inline)
}

/// A source file escaped for people, line ends kept, with its offset map.
pub fn escape_source(text: &str) -> Escaped {
    escape_mapped_as(text, Shown::Lines)
}

fn escape_mapped_as(text: &str, shown_as: Shown) -> Escaped {
    let mut out = String::with_capacity(text.len() + 16);
    let mut shifts = Vec::new();
    let mut shift = 0;
    for (i, c) in text.char_indices() {
        if escapes(c, text.get(i..).unwrap_or(""), shown_as) {
            let shown = visible(c);
            shift += shown.len() - c.len_utf8();
            out.push_str(&shown);
            shifts.push((i + c.len_utf8(), shift));
        } else {
            out.push(c);
        }
    }
    Escaped { text: out, shifts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_shown_and_offsets_follow() {
        let text = "a\u{1b}[31mb\u{202E}c\r\nd\re";
        let e = escape_mapped(text);
        assert_eq!(e.text, "a\\u{1B}[31mb\\u{202E}c\r\nd\\u{D}e");
        assert_eq!(for_humans(text), e.text);
        for (i, c) in text.char_indices() {
            if hidden(c).is_none() && c != '\r' {
                let shown = e.text.get(e.map(i)..).and_then(|s| s.chars().next());
                assert_eq!(shown, Some(c), "{i}");
            }
        }
        assert_eq!(e.map(text.len()), e.text.len());
        assert_eq!(for_humans("plain\ttext\n"), "plain\ttext\n");
        // In source lines a lone carriage return ends a line, as LF does.
        assert!(!source_needs_escape("a\rb\r\nc\n"));
        assert_eq!(escape_source("a\rb\u{202E}").text, "a\rb\\u{202E}");
    }

    #[test]
    fn format_blank_noncharacter_and_private_use_are_hidden() {
        for c in [
            '\u{0600}',
            '\u{0605}',
            '\u{06DD}',
            '\u{070F}',
            '\u{0890}',
            '\u{0891}',
            '\u{08E2}',
            '\u{180E}',
            '\u{110BD}',
            '\u{110CD}',
            '\u{13430}',
            '\u{1343F}',
            '\u{E0001}',
            '\u{2800}',
            '\u{FFFC}',
            '\u{FDD0}',
            '\u{FDEF}',
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{1FFFE}',
            '\u{10FFFF}',
            '\u{E000}',
            '\u{F8FF}',
            '\u{F0000}',
            '\u{FFFFD}',
            '\u{100000}',
            '\u{10FFFD}',
        ] {
            assert!(hidden(c).is_some(), "{}", name(c));
            assert_eq!(for_humans(&c.to_string()), visible(c));
        }
        for c in [
            'a',
            '\u{0430}',
            '\u{00E9}',
            '\u{FFFD}',
            '\u{F900}',
            '\u{1F600}',
            '\u{2801}',
        ] {
            assert!(hidden(c).is_none(), "{}", name(c));
        }
    }

    #[test]
    fn inline_names_escape_line_ends_and_tabs() {
        assert_eq!(inline("z\n+++ f\t\r.qpol"), "z\\u{A}+++ f\\u{9}\\u{D}.qpol");
        assert_eq!(inline("a\u{202E}b"), "a\\u{202E}b");
        assert!(matches!(inline("plain name.qpol"), Cow::Borrowed(_)));
    }
}
