//! Terraform evaluates `${...}` and `%{...}` in every string of a JSON
//! module. [`Str`] is the one type of every string field of the module:
//! text from the policy is written with each `${` as `$${` and each `%{` as
//! `%%{`, which Terraform turns back into the literal text before the
//! provider (and so IAM) sees it; references qpol writes itself
//! (`${ibm_x.y.id}`, `${var.x}`) are written as they are. A field cannot be
//! filled without saying which of the two it holds.

use serde::{Serialize, Serializer};
use std::borrow::Cow;

/// A string of the Terraform module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Str {
    /// Text from the policy: escaped when written.
    Lit(String),
    /// An expression qpol wrote (a reference, a variable, a constant, or a
    /// constant prefix before a reference): written as is.
    Expr(String),
}

impl Str {
    pub(super) fn lit(text: impl Into<String>) -> Str {
        Str::Lit(text.into())
    }

    pub(super) fn expr(text: impl Into<String>) -> Str {
        Str::Expr(text.into())
    }
}

impl Serialize for Str {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Str::Lit(text) => serializer.serialize_str(&escape(text)),
            Str::Expr(text) => serializer.serialize_str(text),
        }
    }
}

/// A JSON value made of policy text (the users' attributes): every string
/// in it, object keys included, is escaped when written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LitValue(pub serde_json::Value);

impl Serialize for LitValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        LitRef(&self.0).serialize(serializer)
    }
}

struct LitRef<'a>(&'a serde_json::Value);

impl Serialize for LitRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            serde_json::Value::String(text) => serializer.serialize_str(&escape(text)),
            serde_json::Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&LitRef(item))?;
                }
                seq.end()
            }
            serde_json::Value::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(&escape(key), &LitRef(value))?;
                }
                map.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// Policy text as a Terraform template that evaluates to exactly that text.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains("${") && !text.contains("%{") {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.replace("${", "$${").replace("%{", "%%{"))
}

/// What Terraform makes of a template without expressions: `$${` and
/// `%%{` become `${` and `%{` (the inverse of [`escape`]).
pub fn literal(template: &str) -> Cow<'_, str> {
    if !template.contains("$${") && !template.contains("%%{") {
        return Cow::Borrowed(template);
    }
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest
            .strip_prefix("$${")
            .map(|r| ("${", r))
            .or_else(|| rest.strip_prefix("%%{").map(|r| ("%{", r)))
        {
            out.push_str(after.0);
            rest = after.1;
        } else {
            out.push(c);
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_through_terraform_unescaping() {
        for text in [
            "plain",
            "${file(\"/etc/passwd\")}",
            "%{ if true }x%{ endif }",
            "$${already}",
            "$$${x} %%{y} $ % { }",
            "a$",
            "ends with $",
        ] {
            assert_eq!(literal(&escape(text)), text, "{text}");
        }
        assert_eq!(escape("a ${b} %{c}"), "a $${b} %%{c}");
    }
}
