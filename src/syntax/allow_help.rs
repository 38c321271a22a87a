//! Help for syntax errors inside an `allow` statement (and an `allow`
//! written inside a block): the forms of `allow`, or the fix of the
//! mistake the words written so far show.

use super::lexical::{skip_trivia, word_at};
use super::syntax_error::{found_token, MAX_ITEM_LOOKBACK};
use crate::diag::did_you_mean;

/// The forms of `allow`, for its syntax errors.
const ALLOW_FORMS: &str = "write `allow CODE \"reason\";`, `allow CODE on KIND NAME \"reason\";` (KIND: project, group, instance, user, role, idp), `allow Q201 on project NAME for project NAME, ... \"reason\";`, or `allow delete|move INSTANCE;`";

/// Help for a syntax error inside an `allow` statement starting at
/// `start`: what went wrong with the words written so far, and the forms.
pub(super) fn allow_help(text: &str, start: usize, at: usize) -> Option<String> {
    let written = text.get(start..at)?;
    let words: Vec<&str> = written
        .split_inclusive(',')
        .flat_map(|part| {
            let (head, comma) = part
                .strip_suffix(',')
                .map_or((part, None), |h| (h, Some(",")));
            head.split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                .filter(|w| !w.is_empty())
                .chain(comma)
        })
        .collect();
    let found = found_token(text, at);
    if let Some(c) = found.chars().next().filter(|c| !c.is_ascii()) {
        if let Some(ascii) = full_width(c) {
            return Some(format!(
                "`{c}` is a full-width character: write `{ascii}` (codes and names are ASCII, e.g. `Q201`)"
            ));
        }
    }
    let near = |w: &str, options: &[&'static str]| did_you_mean(w, options.iter().copied());
    Some(match words.as_slice() {
        ["allow"] => format!("`allow` names a code or a change first: {ALLOW_FORMS}"),
        ["allow", "on", ..] => format!("the code comes before `on`: `allow Q201 on project NAME \"reason\";`; {ALLOW_FORMS}"),
        ["allow", _, "on"] if found.starts_with('"') => {
            "a scope is `on KIND NAME`: `on project ml`, not `on \"ml\"`".to_string()
        }
        ["allow", _, "on", _] if found.starts_with('"') => {
            "a name is written without quotes: `on project ml`".to_string()
        }
        ["allow", .., "for"] | ["allow", .., "for", _] | ["allow", .., ","] | ["allow", .., ",", _]
            if found.starts_with('"') =>
        {
            "`for` names projects as `for project NAME, group NAME`, without quotes".to_string()
        }
        ["allow", code, word, ..] if *word != "on" && *word != "for" => match near(word, &["on", "for"]) {
            Some(meant) => format!("`{word}` is not a keyword here: did you mean `{meant}`? (`allow {code} {meant} project NAME ...`)"),
            None => format!("after the code comes `on KIND NAME`, `for project NAME` or the reason; {ALLOW_FORMS}"),
        },
        _ => ALLOW_FORMS.to_string(),
    })
}

/// Does the item that failed inside a block start with `allow`?
pub(super) fn allow_in_block(text: &str, at: usize) -> bool {
    let bytes = text.as_bytes();
    let floor = at.saturating_sub(MAX_ITEM_LOOKBACK);
    let mut start = at;
    while start > floor && !bytes.get(start - 1).is_some_and(|b| b";{}<>".contains(b)) {
        start -= 1;
    }
    word_at(text, skip_trivia(text, start).min(at)) == "allow"
}

/// The ASCII letter or digit a full-width form (`０`, `Ｑ`) stands for.
fn full_width(c: char) -> Option<char> {
    let code = u32::from(c);
    (0xFF10..=0xFF5A)
        .contains(&code)
        .then(|| char::from_u32(code - 0xFEE0))
        .flatten()
        .filter(char::is_ascii_alphanumeric)
}
