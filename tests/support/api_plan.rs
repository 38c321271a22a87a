//! The ibm-api request plan's own rules (`qpol-ibm-api-plan/1`, the plan
//! format of IBM Cloud's reference), checked in Rust so that `cargo test`
//! needs nothing beside the clone: ids unique; every dependency and every
//! `${ID.FIELD}` placeholder names an earlier request listed in
//! `depends_on` that yields FIELD; `${var.NAME}` is a declared variable;
//! `$${` is literal text; URLs go to the IBM Cloud hosts of the SDK. CI also
//! replays the plans through IBM's Python SDK (`scripts/conformance.sh`).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const HOSTS: &[&str] = &[
    "https://iam.cloud.ibm.com/",
    "https://resource-controller.cloud.ibm.com/",
    "https://globalcatalog.cloud.ibm.com/",
    "https://user-management.cloud.ibm.com/",
];

/// Every problem found in one plan (empty when it passes).
pub fn problems(plan_json: &str) -> Vec<String> {
    let plan: Value = match serde_json::from_str(plan_json) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let mut problems = Vec::new();
    if plan["format"] != "qpol-ibm-api-plan/1" {
        problems.push(format!(
            "format is {}, not qpol-ibm-api-plan/1",
            plan["format"]
        ));
    }
    let variables = plan["variables"].as_object().cloned().unwrap_or_default();
    // id -> the fields it yields, for the requests seen so far.
    let mut earlier: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for request in plan["requests"].as_array().into_iter().flatten() {
        let id = request["id"].as_str().unwrap_or_default().to_string();
        let method = request["method"].as_str().unwrap_or_default();
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method) {
            problems.push(format!("{id}: method {method:?}"));
        }
        let url = request["url"].as_str().unwrap_or_default();
        if !HOSTS.iter().any(|h| url.starts_with(h)) {
            problems.push(format!("{id}: {url} is not an IBM Cloud API host"));
        }
        let depends_on: BTreeSet<&str> = request["depends_on"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for d in &depends_on {
            if !earlier.contains_key(*d) {
                problems.push(format!("{id}: depends on {d}, which does not come earlier"));
            }
        }
        let mut texts = vec![url.to_string()];
        collect_strings(&request["body"], &mut texts);
        collect_strings(&request["headers"], &mut texts);
        for text in &texts {
            for placeholder in placeholders(text) {
                let Some((source, field)) = placeholder.rsplit_once('.') else {
                    problems.push(format!("{id}: ${{{placeholder}}} names no field"));
                    continue;
                };
                if source == "var" {
                    if !variables.contains_key(field) {
                        problems.push(format!("{id}: variable {field} is not declared"));
                    }
                } else if !depends_on.contains(source) {
                    problems.push(format!(
                        "{id}: ${{{placeholder}}} but {source} is not in depends_on"
                    ));
                } else if !earlier.get(source).is_some_and(|f| f.contains(field)) {
                    problems.push(format!("{id}: {source} yields no {field}"));
                }
            }
        }
        let yields = request["yields"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        if earlier.insert(id.clone(), yields).is_some() {
            problems.push(format!("{id}: id used twice"));
        }
    }
    problems
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// The `ID.FIELD` of every `${ID.FIELD}` in `text`; `$${` is a literal `${`.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let escaped = start > 0 && rest[..start].ends_with('$');
        let after = &rest[start + 2..];
        if escaped {
            rest = after;
            continue;
        }
        match after.find('}') {
            Some(end) => {
                found.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => {
                found.push(after.to_string());
                break;
            }
        }
    }
    found
}
