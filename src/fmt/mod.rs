//! The formatter: prints a parsed file in one canonical layout and keeps
//! every comment.
//!
//! Layout: one statement per block, `{ }` delimiters, two-space indent, one
//! item per line ending in `;`, long value lists filled to 100 columns,
//! at most one blank line kept wherever the source had blank lines.
//! Comments are attached by position: *leading* (on their own lines before a
//! statement or item), *trailing* (after code on the same line) and
//! *dangling* (before a closing `}`); a comment inside an item is moved to
//! its own line before the item.
//!
//! [`format_text`] refuses a file with syntax errors and checks its own
//! output: the output must parse, keep every comment and lower to the same
//! model as the input (the soundness check).

pub mod diff;
mod print;

pub use print::quote;

use crate::diag::Diagnostic;
use crate::policy::Policy;

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The input has syntax errors; nothing is formatted.
    #[error("the file has syntax errors; fix them before formatting")]
    Syntax(Vec<Diagnostic>),
    /// The formatter's output would change the policy (a qpol bug).
    #[error("internal error: formatting would change {0}; the file was left untouched, please file an issue")]
    Unsound(&'static str),
}

/// Format one file's text.
pub fn format_text(name: &str, text: &str) -> Result<String, FormatError> {
    format_with(name, text, true)
}

/// [`format_text`] without the soundness check, for `fmt --check`: it only
/// shows what formatting would change and writes nothing, and `fmt` itself
/// still checks before writing. Half the time: the output is not parsed.
pub fn format_for_check(name: &str, text: &str) -> Result<String, FormatError> {
    format_with(name, text, false)
}

fn format_with(name: &str, text: &str, sound: bool) -> Result<String, FormatError> {
    let mut policy = Policy::default();
    policy.add_text(name, text);
    let Some((_, parsed)) = policy.files.first() else {
        return Err(FormatError::Unsound("the file"));
    };
    if parsed.has_errors() {
        return Err(FormatError::Syntax(
            parsed
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .cloned()
                .collect(),
        ));
    }
    let formatted = print::Printer::new(text).file(&parsed.file, &parsed.comments);
    if sound {
        soundness(&policy, name, &formatted)?;
    }
    Ok(formatted)
}

/// The output parses, keeps every comment and means the same as the input
/// (`input`, already parsed). Each text is parsed and lowered once.
fn soundness(input: &Policy, name: &str, output: &str) -> Result<(), FormatError> {
    let reformatted = Policy::from_texts([(name, output)]);
    let (Some((_, original)), Some((_, reparsed))) =
        (input.files.first(), reformatted.files.first())
    else {
        return Err(FormatError::Unsound("the file"));
    };
    if reparsed.has_errors() {
        return Err(FormatError::Unsound(
            "the syntax (the output does not parse)",
        ));
    }
    let texts = |p: &crate::syntax::Parsed| {
        p.comments
            .iter()
            .map(|c| c.text.clone())
            .collect::<Vec<_>>()
    };
    if texts(original) != texts(reparsed) {
        return Err(FormatError::Unsound("the comments"));
    }
    if policy_json(input) != policy_json(&reformatted) {
        return Err(FormatError::Unsound("the meaning of the policy"));
    }
    Ok(())
}

/// The model of a text as JSON (spans left out), for comparing meanings.
pub fn model_json(text: &str) -> String {
    policy_json(&Policy::from_texts([("policy.qpol", text)]))
}

fn policy_json(policy: &Policy) -> String {
    let (model, _) = crate::model::lower(policy);
    serde_json::to_string(&model).unwrap_or_default()
}
