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

/// A custom role's display name (1..50), description (1..243: qpol
/// appends ` [qpol]`, IAM takes 250) and IAM name
/// (`^[A-Z][A-Za-z0-9]{0,29}$`).
pub fn check_role_values(
    display_name: Option<&Located<Text>>,
    description: Option<&Located<Text>>,
    iam_name: Option<&Located<Text>>,
    diags: &mut Vec<Diagnostic>,
) {
    // qpol appends ` [qpol]` to the description: it counts in IAM's 250.
    let marker = crate::live::MARKER.chars().count() + 1;
    for (what, value, max, note) in [
        ("display name", display_name, 50, String::new()),
        (
            "description",
            description,
            250 - marker,
            format!(
                " once qpol appends its marker `{}` (IAM allows 250)",
                crate::live::MARKER
            ),
        ),
    ] {
        let Some(value) = value else { continue };
        let len = value.value.chars().count();
        if !(1..=max).contains(&len) {
            diags.push(
                Diagnostic::new(
                    Code::ValueOutOfRange,
                    format!(
                        "a role {what} of {len} characters is outside the 1 to {max} IAM accepts{note}"
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
/// which would break the URLs and lookups compiled from it; and nothing a
/// reader cannot see or tell apart from a plain letter (checked after the
/// string's `\u{..}` escapes are decoded). An IAM id is ASCII. An email may
/// hold `'` (`o'brien@example.com`, quoted where a lookup names it), and
/// non-ASCII letters in its local part, but no character that Unicode
/// compatibility normalization (NFKC) changes (fullwidth `ａ`, ligatures),
/// and its domain is ASCII (an internationalized domain in its `xn--` form).
pub fn check_identity(id: &Located<Text>, what: &str, diags: &mut Vec<Diagnostic>) {
    let value = id.value.as_str();
    let is_email = what != "IAM id" && value.contains('@');
    let noun = if is_email { "email" } else { "IAM id" };
    let invalid = |message: String, label: &str, help: &str| {
        Diagnostic::new(
            Code::InvalidValue,
            message,
            Label::new(id.span, label.to_string()),
        )
        .with_help(help.to_string())
    };
    if let Some((c, kind)) = value
        .chars()
        .find_map(|c| crate::diag::escape::hidden(c).map(|h| (c, h)))
    {
        diags.push(invalid(
            format!(
                "`{value}` is not a valid {what}: it holds {}, {}, and an {noun} never holds a character a reader cannot see",
                crate::diag::escape::name(c),
                kind.describe()
            ),
            "hidden character",
            "retype the id without it; IAM would compare the hidden character too, so the id would name nobody, or someone else",
        ));
        return;
    }
    let forbidden = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || "\"`,;<>()[]{}\\".contains(c)
            || (c == '\'' && !is_email)
    };
    if let Some(bad) = value.chars().find(|c| forbidden(*c)) {
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
        diags.push(invalid(
            format!("`{value}` is not a valid {what}: it contains {bad}"),
            "invalid character",
            help,
        ));
        return;
    }
    if !is_email {
        if let Some(c) = value.chars().find(|c| !c.is_ascii()) {
            diags.push(invalid(
                format!(
                    "`{value}` is not a valid {what}: it contains `{c}` ({}), and an IAM id is ASCII letters, digits and `-`",
                    crate::diag::escape::name(c)
                ),
                "non-ASCII character",
                "copy the IAM id from IAM (`IBMid-...`, `iam-ServiceId-...`); a look-alike letter would name nobody",
            ));
        }
        return;
    }
    let (local, domain) = value.rsplit_once('@').unwrap_or((value, ""));
    if let Some(c) = domain.chars().find(|c| !c.is_ascii()) {
        diags.push(invalid(
            format!(
                "`{value}` is not a valid email: its domain contains `{c}` ({}), and qpol takes an email's domain in ASCII",
                crate::diag::escape::name(c)
            ),
            "non-ASCII domain",
            "write an internationalized domain in its ASCII (punycode) form, `xn--...`; a look-alike letter in a domain names another domain",
        ));
        return;
    }
    if let Some(c) = local.chars().find(|c| changed_by_nfkc(*c)) {
        diags.push(invalid(
            format!(
                "`{value}` is not a valid email: it contains `{c}` ({}), a compatibility form (fullwidth, ligature, ...) that an email never holds",
                crate::diag::escape::name(c)
            ),
            "compatibility character",
            "write the plain letter instead (`a`, not fullwidth `\\u{FF41}`): the address with the compatibility form is another address, or none",
        ));
    }
}

/// How IAM uses a decoded string value: compared with a token's claim (a
/// rule value), or shown to people in the console (a display name, a
/// description).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueUse {
    Compared,
    Shown,
}

/// A hidden character (see [`crate::diag::escape::hidden`]; a NUL is one)
/// that a string holds once its `\u{..}` escapes are decoded: in a value
/// IAM compares it is an error (Q008), since the value can never match what
/// a reviewer reads; in a value people read in the console, a warning (Q009).
pub fn check_hidden_value(
    value: &str,
    span: crate::diag::Span,
    what: &str,
    used: ValueUse,
    diags: &mut Vec<Diagnostic>,
) {
    let Some((c, kind)) = value
        .chars()
        .find_map(|c| crate::diag::escape::hidden(c).map(|h| (c, h)))
    else {
        return;
    };
    let (code, consequence, help) = match used {
        ValueUse::Compared => (
            Code::HiddenInComparedValue,
            "IAM compares it character by character, so the rule never matches the value a reviewer reads",
            "retype the value without it",
        ),
        ValueUse::Shown => (
            Code::HiddenInShownValue,
            "the IBM Cloud console shows it to people, who would not read what was reviewed",
            "remove it, unless the text really needs it",
        ),
    };
    diags.push(
        Diagnostic::new(
            code,
            format!(
                "the {what} holds {}, {}: {consequence}",
                crate::diag::escape::name(c),
                kind.describe()
            ),
            Label::new(span, "hidden character once decoded"),
        )
        .with_help(help),
    );
}

/// Does Unicode compatibility normalization (NFKC) change `c`?
fn changed_by_nfkc(c: char) -> bool {
    use unicode_normalization::UnicodeNormalization;
    !c.is_ascii() && std::iter::once(c).nfkc().ne(std::iter::once(c))
}

/// An App ID tenant id, which qpol appends to the issuer URL
/// (`https://REGION.appid.cloud.ibm.com/oauth/v4/TENANT`): App ID shows it
/// as a GUID; qpol takes 1 to 64 letters, digits and `-`, so that it can
/// only ever be one path segment.
pub fn check_tenant(tenant: &Located<Text>, diags: &mut Vec<Diagnostic>) {
    let t = tenant.value.as_str();
    let valid =
        (1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !valid {
        let why = if t.is_empty() {
            "it is empty".to_string()
        } else if t.len() > 64 {
            format!("it has {} characters", t.chars().count())
        } else {
            let bad = t
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
                .unwrap_or('-');
            format!("it contains {}", shown(bad))
        };
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("`{t}` is not an App ID tenant id: {why}"),
                Label::new(tenant.span, "expected 1 to 64 letters, digits and `-`"),
            )
            .with_help("write the tenant id App ID shows for the instance (a GUID such as `1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d`): it becomes the last segment of the realm `https://REGION.appid.cloud.ibm.com/oauth/v4/TENANT`, so only letters, digits and `-` are taken"),
        );
    }
}

/// An identity provider's realm, the issuer IAM compares with the token's:
/// a non-empty `https://` URL (App ID, or a SAML entity id) whose host is
/// ASCII (a look-alike letter names another host), or for SAML also a
/// `urn:` name; never a space, control, hidden character, quote, `#` or `${`.
pub fn check_realm(realm: &Located<Text>, kind: &str, diags: &mut Vec<Diagnostic>) {
    let r = realm.value.as_str();
    let saml = kind == "saml";
    let scheme_ok = r
        .strip_prefix("https://")
        .is_some_and(|rest| rest.split('/').next().is_some_and(|host| !host.is_empty()))
        || (saml && r.strip_prefix("urn:").is_some_and(|rest| !rest.is_empty()));
    let bad = r.chars().find(|c| {
        c.is_whitespace()
            || c.is_control()
            || crate::diag::escape::hidden(*c).is_some()
            || "\"'`#<>\\".contains(*c)
    });
    let why = if r.is_empty() {
        Some("it is empty".to_string())
    } else if let Some(bad) = bad {
        Some(format!("it contains {}", shown(bad)))
    } else if let Some(c) = https_host(r).and_then(|host| host.chars().find(|c| !c.is_ascii())) {
        Some(format!(
            "its host contains `{c}` ({}), and qpol takes a realm's host in ASCII (an international domain in its `xn--` form)",
            crate::diag::escape::name(c)
        ))
    } else if r.contains("${") {
        Some("it contains `${`".to_string())
    } else if !scheme_ok {
        Some(if saml {
            "it is neither an `https://` URL nor a `urn:` name".to_string()
        } else {
            "it is not an `https://` URL".to_string()
        })
    } else {
        None
    };
    if let Some(why) = why {
        let help = if saml {
            "write the SAML identity provider's entity id, an `https://` URL or a `urn:` name, e.g. `realm \"https://idp.example.com/saml\";`"
        } else {
            "write the App ID issuer, `realm \"https://us-south.appid.cloud.ibm.com/oauth/v4/<tenant-id>\";`, or give `tenant \"<tenant-id>\";` and `region` and let qpol write it"
        };
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!("`{r}` is not a realm: {why}"),
                Label::new(realm.span, "expected the identity provider's issuer URL"),
            )
            .with_help(help),
        );
    }
}

/// The host of an `https://` URL (what lies before its first `/`, `?` or `#`).
fn https_host(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    rest.split(['/', '?', '#']).next()
}

/// A character as a message shows it: `a space`, `U+0007 ...`, or `` `/` ``.
fn shown(c: char) -> String {
    if c == ' ' {
        "a space".to_string()
    } else if c.is_whitespace() || c.is_control() || crate::diag::escape::hidden(c).is_some() {
        crate::diag::escape::name(c)
    } else {
        format!("`{c}`")
    }
}
