//! Writing live values into a policy safely: which live names the language
//! can use as identifiers, string literals (the formatter's `quote`), and
//! the ASCII-only text of comments and notes, so that no live value (a
//! newline, a bidirectional control, `${`) can end a comment, inject
//! policy text or reach a terminal as it is.

use serde_json::Value;

/// Words that end or start a clause where a name may stand (`members
/// user NAME role R`, `from NAME where`, `KIND NAME existing`): a live name
/// equal to one is never written as a declared name, so that no reader (or
/// parser) takes it for the keyword. Other keywords are unambiguous where
/// names stand (`project project { ... }` parses).
const KEYWORDS: &[&str] = &[
    "and",
    "existing",
    "for",
    "from",
    "members",
    "on",
    "role",
    "service_id",
    "user",
    "where",
];

/// Can the language write this live name as an identifier, unchanged?
/// Letters, digits, `-`, `_` and `.`, starting with a letter, digit or
/// `_`, at most [`crate::model::MAX_NAME_LEN`] characters, not a keyword.
pub fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    first_ok
        && name.len() <= crate::model::MAX_NAME_LEN
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !KEYWORDS.contains(&name)
}

/// Can the language write this live text where a plain name stands (a
/// claim): [`is_ident`] without the keyword rule.
pub fn is_name(name: &str) -> bool {
    is_ident(name) || KEYWORDS.contains(&name)
}

/// Why a live name cannot be an identifier, for a note.
pub fn why_not_ident(name: &str) -> String {
    if name.is_empty() {
        "its name is empty".into()
    } else if name.len() > crate::model::MAX_NAME_LEN {
        format!(
            "its name is longer than the {} characters a qpol name may have",
            crate::model::MAX_NAME_LEN
        )
    } else if KEYWORDS.contains(&name) {
        format!("its name {} is a keyword of the language", shown(name))
    } else {
        format!(
            "its name {} holds characters a qpol name cannot (letters, digits, `-`, `_`, `.`)",
            shown(name)
        )
    }
}

/// An identifier made from a live text: invalid characters become `-`, a
/// name that would not start right gets `x` before it, a keyword gets
/// `-1` after it; never empty (`fallback`).
pub fn make_ident(text: &str, fallback: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = out.trim_matches(|c| c == '-' || c == '.').to_string();
    out = trimmed;
    if out.is_empty() {
        out = fallback.to_string();
    }
    if !out
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        out.insert(0, 'x');
    }
    out.truncate(60);
    if KEYWORDS.contains(&out.as_str()) {
        out.push_str("-1");
    }
    out
}

/// A qpol string literal that parses back to `s` (hidden characters as
/// visible `\u{...}` escapes).
pub fn quote(s: &str) -> String {
    crate::fmt::quote(s)
}

/// A live value as a JSON string literal in printable ASCII: how names
/// appear in comments and notes.
pub fn shown(s: &str) -> String {
    ascii_json(&Value::String(s.to_string()))
}

/// One-line JSON in printable ASCII: every character outside ` `..`~` is
/// a `\uXXXX` escape (JSON already escapes the C0 controls; this also
/// escapes DEL, every non-ASCII character and so U+2028, bidirectional
/// controls and the like). Non-ASCII only ever occurs inside JSON strings,
/// where the escape means the same character.
pub fn ascii_json(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    ascii_only(&text)
}

/// `text` with every character outside printable ASCII as `\uXXXX` (UTF-16
/// units, as JSON writes them): safe on a comment line and in a terminal.
pub fn ascii_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_ident("QR-ml"));
        assert!(is_ident("7lab"));
        assert!(is_ident("a.b_c"));
        assert!(!is_ident("QR ml"));
        assert!(!is_ident("-x"));
        assert!(!is_ident("where"));
        assert!(is_ident("project"));
        assert!(is_name("where"));
        assert!(!is_ident(""));
        assert!(!is_ident(&"a".repeat(101)));
        assert!(!is_ident("QR-ｍl"));
        assert_eq!(make_ident("QR finance", "x"), "QR-finance");
        assert_eq!(make_ident("-.", "anon"), "anon");
        assert_eq!(make_ident("where", "x"), "where-1");
        assert_eq!(make_ident("role", "x"), "role-1");
        assert!(is_ident(&make_ident("ü", "x")));
    }

    #[test]
    fn comments_stay_on_one_ascii_line() {
        let text = ascii_json(&serde_json::json!({"name": "a\nb\u{2028}c\u{202e}\u{7f}😀"}));
        assert_eq!(text, r#"{"name":"a\nb\u2028c\u202e\u007f\ud83d\ude00"}"#);
        let back: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(
            back.get("name").and_then(Value::as_str),
            Some("a\nb\u{2028}c\u{202e}\u{7f}😀")
        );
    }
}
