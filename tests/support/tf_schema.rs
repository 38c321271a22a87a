//! Terraform JSON checked against the IBM provider's schema, in Rust, so that
//! `cargo test` validates compiled output on a clone with nothing beside it.
//!
//! The schema (`tests/data/terraform-ibm-schema.json`, provider v2.5.0) is
//! data: every resource type, attribute and block with its type, whether it
//! is required or computed, and the provider's validations. Checked here:
//! known types, attributes and blocks; required ones present; computed-only
//! ones not set; value types; allowed values, ranges, lengths and patterns;
//! valid resource names; and that every `${...}` is a plain reference to a
//! declared resource, variable or local with an attribute its type has —
//! anything else is an expression Terraform would evaluate. CI also runs the
//! independent shared checker on the same outputs (`scripts/conformance.sh`).

use regex::Regex;
use serde_json::{Map, Value};
use std::sync::OnceLock;

const SCHEMA: &str = include_str!("../data/terraform-ibm-schema.json");
const META: &[&str] = &["count", "for_each", "depends_on", "provider", "lifecycle"];

fn schema() -> &'static Value {
    static SCHEMA_VALUE: OnceLock<Value> = OnceLock::new();
    SCHEMA_VALUE.get_or_init(|| serde_json::from_str(SCHEMA).expect("the committed schema is JSON"))
}

/// Every problem found in one `*.tf.json` document (empty when it passes).
pub fn problems(tf_json: &str) -> Vec<String> {
    let module: Value = match serde_json::from_str(tf_json) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let mut checker = Checker {
        module: &module,
        problems: Vec::new(),
    };
    checker.run();
    checker.problems
}

struct Checker<'a> {
    module: &'a Value,
    problems: Vec<String>,
}

impl Checker<'_> {
    fn problem(&mut self, at: &str, what: impl std::fmt::Display) {
        self.problems.push(format!("{at}: {what}"));
    }

    fn run(&mut self) {
        let top = self.module.as_object().cloned().unwrap_or_default();
        let known_top = [
            "terraform",
            "provider",
            "variable",
            "locals",
            "resource",
            "data",
            "output",
        ];
        for key in top.keys().filter(|k| !known_top.contains(&k.as_str())) {
            self.problem(key, "is not a Terraform top-level block");
        }
        let source = &self.module["terraform"]["required_providers"]["ibm"]["source"];
        if source.as_str().map(str::to_lowercase).as_deref() != Some("ibm-cloud/ibm") {
            self.problem(
                "terraform",
                "required_providers.ibm.source must be IBM-Cloud/ibm",
            );
        }
        let name = Regex::new(r"^[A-Za-z_][A-Za-z0-9_-]*$").expect("pattern");
        for (section, schema_section) in [("resource", "resources"), ("data", "data_sources")] {
            for (rtype, named) in top
                .get(section)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                for (rname, body) in named.as_object().into_iter().flatten() {
                    let at = format!("{section}.{rtype}.{rname}");
                    if !name.is_match(rname) {
                        self.problem(&at, "is not a valid Terraform name");
                    }
                    match schema()[schema_section].get(rtype.as_str()) {
                        Some(spec) => self.body(&at, spec, body, true),
                        None => self.problem(&at, format!("{rtype} is not a {section} type")),
                    }
                    self.strings(&at, body);
                }
            }
        }
        for section in ["output", "locals", "provider", "variable"] {
            if let Some(value) = top.get(section) {
                self.strings(section, value);
            }
        }
    }

    fn body(&mut self, at: &str, spec: &Value, body: &Value, top: bool) {
        let Some(body) = body.as_object() else {
            return self.problem(at, "must be an object");
        };
        let attrs = spec["attributes"].as_object().cloned().unwrap_or_default();
        let blocks = spec["blocks"].as_object().cloned().unwrap_or_default();
        for (key, value) in body {
            let here = format!("{at}.{key}");
            if top && META.contains(&key.as_str()) {
                if key == "depends_on" && !value.is_array() {
                    self.problem(&here, "must be a list of references");
                }
            } else if let Some(attr) = attrs.get(key) {
                self.attribute(&here, attr, value);
            } else if let Some(block) = blocks.get(key) {
                let items = match value {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                if let Some(max) = block["max_items"].as_u64() {
                    if items.len() as u64 > max {
                        self.problem(
                            &here,
                            format!("at most {max} blocks, found {}", items.len()),
                        );
                    }
                }
                for (i, item) in items.iter().enumerate() {
                    self.body(&format!("{here}[{i}]"), block, item, false);
                }
            } else {
                self.problem(&here, "is not an argument or block of this type");
            }
        }
        self.required(at, &attrs, body, "argument");
        self.required(at, &blocks, body, "block");
    }

    fn required(
        &mut self,
        at: &str,
        specs: &Map<String, Value>,
        body: &Map<String, Value>,
        what: &str,
    ) {
        for (name, spec) in specs {
            if spec["required"] == true && !body.contains_key(name) {
                self.problem(at, format!("required {what} `{name}` is missing"));
            }
            for other in spec["conflicts_with"].as_array().into_iter().flatten() {
                if body.contains_key(name) && other.as_str().is_some_and(|o| body.contains_key(o)) {
                    self.problem(at, format!("`{name}` conflicts with {other}"));
                }
            }
        }
    }

    fn attribute(&mut self, at: &str, attr: &Value, value: &Value) {
        let settable = attr["optional"] == true || attr["required"] == true;
        if attr["computed"] == true && !settable {
            return self.problem(at, "is computed by the provider and cannot be set");
        }
        let tf_type = attr["type"].as_str().unwrap_or("string");
        if let Some(wrong) = type_error(tf_type, value) {
            return self.problem(at, wrong);
        }
        let values = match value {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        for v in values.iter().filter(|v| !interpolated(v)) {
            if let Some(wrong) = validation_error(&attr["validation"], v) {
                self.problem(at, wrong);
            }
        }
    }

    /// Every string: `$${` and `%%{` are literal text; any other `${...}`
    /// must be a plain reference to something declared, and `%{` is a
    /// template directive Terraform would run.
    fn strings(&mut self, at: &str, value: &Value) {
        match value {
            Value::String(text) => self.references(at, text),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.strings(&format!("{at}[{i}]"), item);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    if key == "depends_on" {
                        for r in item
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                        {
                            self.reference(&format!("{at}.depends_on"), r);
                        }
                    } else {
                        self.strings(&format!("{at}.{key}"), item);
                    }
                }
            }
            _ => {}
        }
    }

    fn references(&mut self, at: &str, text: &str) {
        let literal = text.replace("$${", "").replace("%%{", "");
        if literal.contains("%{") {
            self.problem(
                at,
                format!("{text:?} holds a template directive (a literal one is %%{{)"),
            );
        }
        let mut rest = literal.as_str();
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return self.problem(at, format!("{text:?}: unterminated ${{"));
            };
            self.reference(at, &after[..end]);
            rest = &after[end + 1..];
        }
    }

    /// `ibm_x.name[.attr]`, `data.ibm_x.name[.attr]`, `var.x`, `local.x`.
    fn reference(&mut self, at: &str, expr: &str) {
        let plain = Regex::new(
            r"^(?:(data\.)?(ibm_[a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_]+))?|(var|local)\.([A-Za-z0-9_-]+))$",
        )
        .expect("pattern");
        let Some(m) = plain.captures(expr.trim()) else {
            return self.problem(
                at,
                format!("${{{expr}}} is an expression Terraform would evaluate"),
            );
        };
        if let (Some(kind), Some(name)) = (m.get(5), m.get(6)) {
            let table = if kind.as_str() == "var" {
                "variable"
            } else {
                "locals"
            };
            if self.module[table].get(name.as_str()).is_none() {
                self.problem(at, format!("{expr} is not declared"));
            }
            return;
        }
        let data = m.get(1).is_some();
        let (rtype, rname) = (&m[2], &m[3]);
        let section = if data { "data" } else { "resource" };
        if self.module[section][rtype].get(rname).is_none() {
            return self.problem(
                at,
                format!("{expr}: {section} {rtype}.{rname} is not declared"),
            );
        }
        let spec = &schema()[if data { "data_sources" } else { "resources" }][rtype];
        if let Some(attr) = m.get(4).map(|a| a.as_str()) {
            if attr != "id"
                && spec["attributes"].get(attr).is_none()
                && spec["blocks"].get(attr).is_none()
            {
                self.problem(at, format!("{expr}: {rtype} has no attribute `{attr}`"));
            }
        }
    }
}

fn interpolated(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.replace("$${", "").contains("${"))
}

fn type_error(tf_type: &str, value: &Value) -> Option<String> {
    if interpolated(value) {
        return None;
    }
    let ok = match tf_type {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "bool" => value.is_boolean(),
        t if t.starts_with("list(") || t.starts_with("set(") => {
            let inner = &t[t.find('(').map_or(0, |i| i + 1)..t.len() - 1];
            let Some(items) = value.as_array() else {
                return Some(format!("must be a list ({t})"));
            };
            if t.starts_with("set(") {
                let distinct: std::collections::BTreeSet<String> =
                    items.iter().map(Value::to_string).collect();
                if distinct.len() != items.len() {
                    return Some("set has duplicate elements".into());
                }
            }
            return items
                .iter()
                .find_map(|i| {
                    if inner == "object" {
                        None
                    } else {
                        type_error(inner, i)
                    }
                })
                .map(|e| format!("elements {e}"));
        }
        t if t.starts_with("map(") => value.is_object(),
        _ => true,
    };
    (!ok).then(|| format!("must be of type {tf_type}, found {value}"))
}

fn validation_error(rule: &Value, value: &Value) -> Option<String> {
    let allowed: Option<Vec<String>> = match rule.get("allowed") {
        Some(list) => Some(
            list.as_array()?
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
        ),
        None => rule["text"]
            .as_str()
            .filter(|t| t.contains("StringInSlice"))
            .map(|t| t.split('"').skip(1).step_by(2).map(String::from).collect()),
    };
    if let (Some(allowed), Some(v)) = (&allowed, value.as_str()) {
        if !allowed.iter().any(|a| a == v) {
            return Some(format!("{v:?} is not one of {allowed:?}"));
        }
    }
    if let Some(n) = value.as_f64().filter(|_| value.is_number()) {
        let below = rule["min"].as_f64().is_some_and(|min| n < min);
        let above = rule["max"].as_f64().is_some_and(|max| n > max);
        if below || above {
            return Some(format!("{n} is outside {}..{}", rule["min"], rule["max"]));
        }
    }
    if let Some(s) = value.as_str() {
        let len = s.chars().count();
        let bound = |key: &str| rule[key].as_str().and_then(|b| b.parse::<usize>().ok());
        if bound("min_value_length").is_some_and(|lo| len < lo)
            || bound("max_value_length").is_some_and(|hi| len > hi)
        {
            return Some(format!(
                "{s:?} has {len} characters, outside the provider's limits"
            ));
        }
        if let Some(pattern) = rule["regexp"].as_str() {
            if Regex::new(pattern).is_ok_and(|re| !re.is_match(s)) {
                return Some(format!("{s:?} does not match {pattern}"));
            }
        }
    }
    None
}
