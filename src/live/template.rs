//! A plan string's placeholders: `${ID.FIELD}` (ID may hold dots: the
//! field is what follows the last one) stands for a value a request yields
//! or the plan knows; `$${` is a literal `${` and starts no placeholder
//! (as `backends::ibm_api::text::escape` writes it). [`refs`] lists the
//! placeholders of a string, [`fill`] substitutes them.

use super::error::shown;
use crate::backends::ibm_api::text::url_value;

/// A placeholder: the request (or known object) id and the field.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ref {
    pub id: String,
    pub field: String,
}

/// Walk `text`: literal pieces are appended as they are (`$${` as `${`),
/// each placeholder is replaced by what `value` gives for it.
fn scan(
    text: &str,
    mut value: impl FnMut(Ref) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        if let Some(after) = from.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = from.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return Err(format!(
                    "`{}` opens a placeholder `${{` that is never closed; write a literal `${{` as `$${{`",
                    shown(text)
                ));
            };
            let inner = after.get(..end).unwrap_or_default();
            let Some((id, field)) = inner.rsplit_once('.') else {
                return Err(format!(
                    "`${{{}}}` in `{}` is not a placeholder `${{ID.FIELD}}`; write a literal `${{` as `$${{`",
                    shown(inner),
                    shown(text)
                ));
            };
            if id.is_empty() || field.is_empty() {
                return Err(format!(
                    "`${{{}}}` in `{}` is not a placeholder `${{ID.FIELD}}`",
                    shown(inner),
                    shown(text)
                ));
            }
            out.push_str(&value(Ref {
                id: id.to_string(),
                field: field.to_string(),
            })?);
            rest = after.get(end + 1..).unwrap_or_default();
        } else {
            out.push('$');
            rest = from.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The placeholders of `text`, or why it is malformed.
pub fn refs(text: &str) -> Result<Vec<Ref>, String> {
    let mut found = Vec::new();
    scan(text, |r| {
        found.push(r);
        Ok(String::new())
    })?;
    Ok(found)
}

/// `text` with every placeholder replaced by `lookup`'s value
/// (percent-encoded when `in_url`) and every `$${` by `${`.
pub fn fill(
    text: &str,
    in_url: bool,
    lookup: impl Fn(&Ref) -> Option<String>,
) -> Result<String, String> {
    scan(text, |r| match lookup(&r) {
        Some(v) if in_url => Ok(url_value(&v).into_owned()),
        Some(v) => Ok(v),
        None => Err(format!("no value for `${{{}.{}}}`", r.id, r.field)),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::backends::ibm_api::text::{escape, literal};

    fn lookup(r: &Ref) -> Option<String> {
        match (r.id.as_str(), r.field.as_str()) {
            ("access_group.ml", "id") => Some("AccessGroupId-1".into()),
            ("catalog.quantum-computing.plan.std", "id") => Some("p/1 x".into()),
            _ => None,
        }
    }

    #[test]
    fn placeholders_are_filled_and_escapes_undone() {
        assert_eq!(
            fill("/v2/groups/${access_group.ml.id}/rules", false, lookup).unwrap(),
            "/v2/groups/AccessGroupId-1/rules"
        );
        assert_eq!(
            fill("$${access_group.ml.id} costs $5 $", false, lookup).unwrap(),
            "${access_group.ml.id} costs $5 $"
        );
        assert_eq!(
            fill("x/${catalog.quantum-computing.plan.std.id}", true, lookup).unwrap(),
            "x/p%2F1%20x"
        );
        for text in ["plain", "${x}", "$${x}", "$$${x}", "a$", "${a} $${b}", "$"] {
            assert_eq!(
                fill(&escape(text), false, lookup).unwrap(),
                literal(&escape(text)),
                "{text}"
            );
        }
    }

    #[test]
    fn refs_and_malformed_placeholders() {
        assert_eq!(
            refs("${a.b.c} $${d.e} ${f.g}").unwrap(),
            vec![
                Ref {
                    id: "a.b".into(),
                    field: "c".into()
                },
                Ref {
                    id: "f".into(),
                    field: "g".into()
                }
            ]
        );
        assert!(refs("${nodot}").unwrap_err().contains("not a placeholder"));
        assert!(refs("${open").unwrap_err().contains("never closed"));
        assert!(fill("${x.y}", false, lookup)
            .unwrap_err()
            .contains("no value for `${x.y}`"));
    }
}
