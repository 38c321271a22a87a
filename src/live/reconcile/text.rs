//! Text helpers of reconciliation: `${ID.FIELD}` placeholders resolved
//! with the values of existing objects, and descriptions compared with or
//! without the marker.

use super::Known;
use crate::live::MARKER;
use serde_json::Value;

/// `text` with every `${ID.FIELD}` replaced by `known[ID][FIELD]` and every
/// `$${` by a literal `${`; `None` if some placeholder has no known value
/// (it names an object the plan creates).
pub fn resolve(text: &str, known: &Known) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((head, tail)) = rest.split_once('$') {
        out.push_str(head);
        if let Some(after) = tail.strip_prefix("${") {
            out.push_str("${");
            rest = after;
        } else if let Some(inner) = tail.strip_prefix('{') {
            let (name, after) = inner.split_once('}')?;
            let (id, field) = name.rsplit_once('.')?;
            out.push_str(known.get(id)?.get(field)?);
            rest = after;
        } else {
            out.push('$');
            rest = tail;
        }
    }
    out.push_str(rest);
    Some(out)
}

/// [`resolve`] on every string of a JSON value.
pub fn resolve_value(value: &Value, known: &Known) -> Option<Value> {
    Some(match value {
        Value::String(s) => Value::String(resolve(s, known)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve_value(v, known))
                .collect::<Option<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Some((k.clone(), resolve_value(v, known)?)))
                .collect::<Option<_>>()?,
        ),
        other => other.clone(),
    })
}

/// Does the description end with the marker (qpol made the object)?
pub fn is_marked(description: Option<&str>) -> bool {
    description.is_some_and(|d| d.trim_end().ends_with(MARKER))
}

/// The description without the marker qpol appends.
fn unmarked(description: &str) -> &str {
    let d = description.trim_end();
    d.strip_suffix(MARKER).unwrap_or(d).trim_end()
}

/// The description to send to an existing object: with the marker only
/// when the object has it already. An adopted object (made by hand) is
/// never marked by an update: what it holds that the policy does not
/// declare (a hand-made group's other rules and members) stays unmanaged.
pub fn for_existing(desired: Option<&str>, live: Option<&str>) -> Option<String> {
    let desired = desired?;
    if is_marked(live) {
        Some(desired.to_string())
    } else {
        Some(unmarked(desired).to_string()).filter(|d| !d.is_empty())
    }
}

/// Are two descriptions the same, whether or not either has the marker?
/// (An adopted object made by hand has none: that is no change.)
pub fn same_description(desired: Option<&str>, live: Option<&str>) -> bool {
    unmarked(desired.unwrap_or("")) == unmarked(live.unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_resolve_and_literals_stay() {
        let mut known = Known::new();
        known
            .entry("access_group.ml".into())
            .or_default()
            .insert("id".into(), "AccessGroupId-1".into());
        assert_eq!(
            resolve("/v2/groups/${access_group.ml.id}/rules", &known).as_deref(),
            Some("/v2/groups/AccessGroupId-1/rules")
        );
        assert_eq!(
            resolve("a $${b} $ c", &known).as_deref(),
            Some("a ${b} $ c")
        );
        assert_eq!(resolve("${role.writer.crn}", &known), None);
    }

    #[test]
    fn the_marker_is_no_difference() {
        assert!(same_description(
            Some("Project ml [qpol]"),
            Some("Project ml")
        ));
        assert!(same_description(Some("[qpol]"), None));
        assert!(!same_description(
            Some("Project ml [qpol]"),
            Some("Project ML")
        ));
        assert!(is_marked(Some("Project ml [qpol]")));
        assert!(!is_marked(Some("Project ml")));
    }
}
