//! Checks on single values against IAM's and the provider's limits
//! (`shared/reference/`): regions, enumerations, hours, tags, role names.

use super::{Located, Text};
use crate::diag::{did_you_mean, Code, Diagnostic, Label};

/// IBM Cloud regions (multizone and single-campus) a location may name.
pub const REGIONS: &[&str] = &[
    "au-syd", "br-sao", "ca-mon", "ca-tor", "eu-de", "eu-es", "eu-fr2", "eu-gb", "in-che",
    "jp-osa", "jp-tok", "us-east", "us-south",
];

/// Is the value one of `allowed`? Reports Q105 with a did-you-mean otherwise.
pub fn check_choice(
    key: &str,
    value: &Located<Text>,
    allowed: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if allowed.contains(&value.value.as_str()) {
        return true;
    }
    let mut d = Diagnostic::new(
        Code::InvalidValue,
        format!("`{}` is not a value of `{key}`", value.value),
        Label::new(
            value.span,
            format!("expected one of {}", allowed.join(", ")),
        ),
    )
    .with_suggestion(did_you_mean(&value.value, allowed.iter().copied()));
    if d.help.is_none() {
        d.help = Some(format!("`{key}` takes one of: {}", allowed.join(", ")));
    }
    diags.push(d);
    false
}

pub fn check_region(region: &Located<Text>, diags: &mut Vec<Diagnostic>) {
    check_choice("region", region, REGIONS, diags);
}

/// An IBM Cloud account id: 32 lowercase hexadecimal characters (the
/// `a/...` part of a CRN). It goes into URLs and CRNs, so nothing else passes.
pub fn check_account_id(id: &Located<Text>, diags: &mut Vec<Diagnostic>) {
    let valid = id.value.len() == 32
        && id
            .value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !valid {
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("`{}` is not an IBM Cloud account id", id.value),
                Label::new(id.span, "expected 32 lowercase hexadecimal characters"),
            )
            .with_help(
                "write the account id as it appears in CRNs after `a/`, e.g. `id \"0123456789abcdef0123456789abcdef\";`",
            ),
        );
    }
}

/// `12h` -> 12, within IAM's dynamic-rule expiration of 1..24 hours.
pub fn parse_hours(value: &Located<Text>, diags: &mut Vec<Diagnostic>) -> Option<u32> {
    let digits = value.value.strip_suffix('h').unwrap_or(&value.value);
    let Ok(hours) = digits.parse::<u64>() else {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            diags.push(
                Diagnostic::new(
                    Code::ValueOutOfRange,
                    format!("`{}` is too large: a session is 1 to 24 hours", value.value),
                    Label::new(value.span, "must be 1h to 24h"),
                )
                .with_help("IAM's dynamic-rule expiration is 1 to 24 hours: use `24h` at most"),
            );
            return None;
        }
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("`{}` is not a number of hours", value.value),
                Label::new(value.span, "expected hours, e.g. `12h`"),
            )
            .with_help("write the session length in whole hours, from `1h` to `24h`"),
        );
        return None;
    };
    if !(1..=24).contains(&hours) {
        diags.push(
            Diagnostic::new(
                Code::ValueOutOfRange,
                format!("a session of {hours} hours is outside IAM's 1 to 24 hours for dynamic-rule expiration"),
                Label::new(value.span, "must be 1h to 24h"),
            )
            .with_help(format!("use `{}h`", hours.clamp(1, 24))),
        );
        return None;
    }
    u32::try_from(hours).ok()
}

/// Resource instance tags: `^[A-Za-z0-9:_ .-]+$`, 1..128 characters.
pub fn check_tag(tag: &Located<Text>, diags: &mut Vec<Diagnostic>) {
    let len = tag.value.chars().count();
    if !(1..=128).contains(&len) {
        diags.push(
            Diagnostic::new(
                Code::ValueOutOfRange,
                format!("a tag of {len} characters is outside the 1 to 128 IAM accepts"),
                Label::new(tag.span, "tag length"),
            )
            .with_help("shorten the tag or remove it"),
        );
    } else if let Some(bad) = tag
        .value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ":_ .-".contains(*c)))
    {
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "tag `{}` contains `{bad}`, which IAM does not accept in tags",
                    tag.value
                ),
                Label::new(tag.span, "invalid character"),
            )
            .with_help("tags may hold letters, digits, space and `:_.-`"),
        );
    }
}

/// A custom role's display name (1..50), description (1..250) and IAM name
/// (`^[A-Z][A-Za-z0-9]{0,29}$`).
pub fn check_role_values(
    display_name: Option<&Located<Text>>,
    description: Option<&Located<Text>>,
    iam_name: Option<&Located<Text>>,
    diags: &mut Vec<Diagnostic>,
) {
    for (what, value, max) in [
        ("display name", display_name, 50),
        ("description", description, 250),
    ] {
        let Some(value) = value else { continue };
        let len = value.value.chars().count();
        if !(1..=max).contains(&len) {
            diags.push(
                Diagnostic::new(
                    Code::ValueOutOfRange,
                    format!(
                        "a role {what} of {len} characters is outside the 1 to {max} IAM accepts"
                    ),
                    Label::new(value.span, format!("{len} characters")),
                )
                .with_help(format!("write a {what} of 1 to {max} characters")),
            );
        }
    }
    if let Some(name) = iam_name {
        let mut chars = name.value.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.all(|c| c.is_ascii_alphanumeric())
            && name.value.len() <= 30;
        if !valid {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` is not a valid IAM custom role name", name.value),
                    Label::new(name.span, "must match ^[A-Z][A-Za-z0-9]{0,29}$"),
                )
                .with_help("start with a capital letter, then up to 29 letters or digits, e.g. `QiskitWriter`"),
            );
        }
    }
}

/// An email or IAM id (`IBMid-...`, `iam-ServiceId-...`) as IAM takes it:
/// no spaces, quotes, brackets or separators, which no such id holds and
/// which would break the URLs and lookups compiled from it.
pub fn check_identity(id: &Located<Text>, what: &str, diags: &mut Vec<Diagnostic>) {
    let bad = id
        .value
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "'\"`,;<>()[]{}\\".contains(*c));
    if let Some(bad) = bad {
        let help = if bad == ',' || bad == ';' {
            "one id per string: `user \"a@example.com\", user \"b@example.com\"`"
        } else {
            "write an email (`name@example.com`) or an IAM id (`IBMid-...`, `iam-ServiceId-...`)"
        };
        let bad = if bad.is_whitespace() {
            "a space".to_string()
        } else if bad.is_control() {
            "a control character".to_string()
        } else {
            format!("`{bad}`")
        };
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("`{}` is not a valid {what}: it contains {bad}", id.value),
                Label::new(id.span, "invalid character"),
            )
            .with_help(help),
        );
    }
}
