//! Strings of the request plan. `${ID.FIELD}` and `${var.NAME}` are the
//! plan's placeholders, so a literal `${` in a value is written `$${`
//! (format `qpol-ibm-api-plan/1`): [`Text`] is the type of every string
//! field of a body that can hold policy text, and escapes it when written;
//! what qpol writes itself (placeholders, constants) stays as it is.
//! [`literal`] turns a plan string back into the value IAM receives.
//! Values placed in a URL are percent-encoded instead ([`url_value`]), which
//! leaves no `${` in them.

use crate::model::AttrValue;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A string of a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'d> {
    /// Text from the policy: every `${` is written `$${`.
    Lit(Cow<'d, str>),
    /// A placeholder or a constant qpol wrote: written as is.
    Raw(Cow<'d, str>),
}

impl<'d> Text<'d> {
    /// Policy text, borrowed.
    pub fn lit(text: &'d str) -> Text<'d> {
        Text::Lit(Cow::Borrowed(text))
    }

    /// A placeholder or constant qpol wrote.
    pub fn raw(text: impl Into<Cow<'d, str>>) -> Text<'d> {
        Text::Raw(text.into())
    }

    /// The text as the plan writes it.
    pub fn as_written(&self) -> Cow<'_, str> {
        match self {
            Text::Lit(text) => escape(text),
            Text::Raw(text) => Cow::Borrowed(text),
        }
    }

    /// The text as a URL path segment or query value: policy text
    /// percent-encoded, placeholders as they are.
    pub fn in_url(&self) -> Cow<'_, str> {
        match self {
            Text::Lit(text) => url_value(text),
            Text::Raw(text) => Cow::Borrowed(text),
        }
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_written())
    }
}

/// Policy text as a plan string: each `${` written `$${`.
pub fn escape(text: &str) -> Cow<'_, str> {
    if text.contains("${") {
        Cow::Owned(text.replace("${", "$${"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The literal value of a plan string without placeholders: each `$${`
/// becomes `${` (the inverse of what the plan builder writes). An executor
/// substitutes the placeholders `${ID.FIELD}` and `${var.NAME}` first and
/// never inside `$${`.
pub fn literal(plan_string: &str) -> Cow<'_, str> {
    if plan_string.contains("$${") {
        Cow::Owned(plan_string.replace("$${", "${"))
    } else {
        Cow::Borrowed(plan_string)
    }
}

/// Characters left as they are in a URL value: RFC 3986's unreserved ones.
const URL_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A value for a URL path segment or query parameter, percent-encoded
/// (everything but RFC 3986's unreserved characters).
pub fn url_value(value: &str) -> Cow<'_, str> {
    utf8_percent_encode(value, URL_VALUE).into()
}

/// Policy strings (actions, tags), each escaped.
#[derive(Debug, Clone, Copy)]
pub struct Lits<'d>(pub &'d [String]);

impl Lits<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Lits<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|t| escape(t)))
    }
}

/// The users' identity-provider attributes, every key and value escaped.
pub(super) struct Attributes<'d>(pub &'d BTreeMap<String, BTreeMap<String, AttrValue>>);

impl Serialize for Attributes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.0
                .iter()
                .map(|(user, claims)| (escape(user), Claims(claims))),
        )
    }
}

struct Claims<'a>(&'a BTreeMap<String, AttrValue>);

impl Serialize for Claims<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(claim, value)| {
            (
                escape(claim),
                match value {
                    AttrValue::Str(text) => Value::One(escape(text)),
                    AttrValue::List(items) => {
                        Value::Many(items.iter().map(|t| escape(t)).collect())
                    }
                },
            )
        }))
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum Value<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

/// `text` inside a single-quoted JSONPath string literal (RFC 9535): `\`
/// and `'` are escaped with a backslash (`o\'brien@example.com`).
pub fn jsonpath_quoted(text: &str) -> Cow<'_, str> {
    if text.contains(['\\', '\'']) {
        Cow::Owned(text.replace('\\', "\\\\").replace('\'', "\\'"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        for text in ["plain", "${x}", "$${x}", "$$${x}", "a$", "${a} ${b}"] {
            assert_eq!(literal(&escape(text)), text, "{text}");
        }
    }

    #[test]
    fn url_values_keep_only_unreserved_characters() {
        assert_eq!(
            url_value("a+b&c=d e/f?${x}"),
            "a%2Bb%26c%3Dd%20e%2Ff%3F%24%7Bx%7D"
        );
        assert_eq!(url_value("Rg-1.x_~"), "Rg-1.x_~");
    }
}
