//! Reading a declaration's `key value` settings with the types each key
//! expects, reporting unknown, repeated and mistyped settings.

use super::{Located, Text};
use crate::diag::{did_you_mean, Code, Diagnostic, Label};
use crate::syntax::ast::{Attributes, Block, Item, Limits, Members, Setting, Value};

pub(super) struct Settings<'a> {
    settings: Vec<&'a Setting>,
    /// Allowed keys that an unknown key was probably meant as (`plna` -> `plan`).
    misspelt: Vec<&'static str>,
    pub members: Vec<&'a Members>,
    pub attributes: Vec<&'a Attributes>,
    /// `limits { }` blocks: only the account has them.
    pub limits: Vec<&'a Limits>,
}

/// What a block may hold besides the listed settings.
pub(super) struct Allowed<'k> {
    pub kind: &'k str,
    pub keys: &'k [&'static str],
    pub members: bool,
    pub attributes: bool,
}

impl<'a> Settings<'a> {
    pub fn collect(
        block: Option<&'a Block>,
        allowed: &Allowed<'_>,
        diags: &mut Vec<Diagnostic>,
    ) -> Settings<'a> {
        let mut out = Settings {
            settings: Vec::new(),
            misspelt: Vec::new(),
            members: Vec::new(),
            attributes: Vec::new(),
            limits: Vec::new(),
        };
        let Some(block) = block else { return out };
        for item in &block.items {
            match item {
                Item::Setting(s) => {
                    let key = s.key.value.as_str();
                    if key == "members" && allowed.members {
                        // A `members` clause that did not parse as one: say what it needs.
                        diags.push(
                            Diagnostic::new(
                                Code::UnknownSetting,
                                "`members` needs a source: `where ...`, `user ...` or `service_id ...`",
                                Label::new(s.span, "not a members clause"),
                            )
                            .with_help("write `members where CLAIM OPERATOR \"value\"`, `members user \"EMAIL\"` or `members service_id NAME`"),
                        );
                        continue;
                    }
                    if !allowed.keys.contains(&key) {
                        let extra: &[&str] = match (allowed.members, allowed.attributes) {
                            (true, _) => &["members"],
                            (_, true) => &["attributes"],
                            _ => &[],
                        };
                        let candidates = allowed.keys.iter().chain(extra.iter()).copied();
                        if let Some(meant) = did_you_mean(key, allowed.keys.iter().copied()) {
                            out.misspelt.push(meant);
                        }
                        let mut d = Diagnostic::new(
                            Code::UnknownSetting,
                            format!("{} has no setting `{key}`", article(allowed.kind)),
                            Label::new(s.key.span, "unknown setting"),
                        )
                        .with_suggestion(did_you_mean(key, candidates));
                        if d.help.is_none() {
                            d.help = Some(format!(
                                "{} takes: {}",
                                article(allowed.kind),
                                allowed
                                    .keys
                                    .iter()
                                    .chain(extra)
                                    .copied()
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                        diags.push(d);
                        continue;
                    }
                    if let Some(first) = out.settings.iter().find(|f| f.key.value == key) {
                        diags.push(
                            Diagnostic::new(
                                Code::DuplicateName,
                                format!("`{key}` is set twice; the second value would be ignored"),
                                Label::new(s.span, "set again here"),
                            )
                            .with_label(Label::new(first.span, "first set here"))
                            .with_help(format!("remove one of the two `{key}` settings")),
                        );
                        continue;
                    }
                    out.settings.push(s);
                }
                Item::Members(m) if allowed.members => out.members.push(m),
                Item::Attributes(a) if allowed.attributes => out.attributes.push(a),
                Item::Members(m) => diags.push(not_here(allowed.kind, "members", m.span)),
                Item::Attributes(a) => diags.push(not_here(allowed.kind, "attributes", a.span)),
                Item::Limits(l) if allowed.kind == "account" => out.limits.push(l),
                Item::Limits(l) => diags.push(not_here(allowed.kind, "limits", l.span)),
            }
        }
        out
    }

    /// Was the key given, or an unknown key that is probably it misspelt?
    pub fn mentions(&self, key: &str) -> bool {
        self.get(key).is_some() || self.misspelt.contains(&key)
    }

    pub fn get(&self, key: &str) -> Option<&'a Setting> {
        self.settings.iter().copied().find(|s| s.key.value == key)
    }

    pub fn names(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Vec<Located<Text>> {
        let Some(s) = self.get(key) else {
            return Vec::new();
        };
        if s.values.is_empty() {
            diags.push(missing_value(s, "one or more names"));
        }
        s.values
            .iter()
            .filter_map(|v| match v {
                Value::Name(n) => Some(Located::new(n.value.clone(), n.span)),
                other => {
                    diags.push(wrong_type(key, "names", other));
                    None
                }
            })
            .collect()
    }

    pub fn name(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Located<Text>> {
        let s = self.get(key)?;
        single(s, diags)?;
        match s.values.first() {
            Some(Value::Name(n)) => Some(Located::new(n.value.clone(), n.span)),
            Some(other) => {
                diags.push(wrong_type(key, "a name", other));
                None
            }
            None => {
                diags.push(missing_value(s, "a name"));
                None
            }
        }
    }

    pub fn string(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Located<Text>> {
        let s = self.get(key)?;
        single(s, diags)?;
        match s.values.first() {
            Some(Value::Str(v)) => {
                if let Some(what) = match key {
                    "display_name" => Some("display name"),
                    "description" => Some("description"),
                    _ => None,
                } {
                    super::values::check_hidden_value(
                        v.value.as_str(),
                        v.span,
                        what,
                        super::values::ValueUse::Shown,
                        diags,
                    );
                }
                Some(Located::new(v.value.clone(), v.span))
            }
            Some(other) => {
                diags.push(wrong_type(key, "a string", other));
                None
            }
            None => {
                diags.push(missing_value(s, "a string"));
                None
            }
        }
    }

    pub fn strings(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Vec<Located<Text>> {
        let Some(s) = self.get(key) else {
            return Vec::new();
        };
        if s.values.is_empty() {
            diags.push(missing_value(s, "one or more strings"));
        }
        let mut out = Vec::new();
        for v in &s.values {
            match v {
                Value::Str(v) => out.push(Located::new(v.value.clone(), v.span)),
                Value::List(list) => out.extend(
                    list.value
                        .iter()
                        .map(|v| Located::new(v.value.clone(), v.span)),
                ),
                other => diags.push(wrong_type(key, "strings", other)),
            }
        }
        out
    }
}

fn single(s: &Setting, diags: &mut Vec<Diagnostic>) -> Option<()> {
    if let Some(extra) = s.values.get(1) {
        diags.push(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "`{}` takes one value, found {}",
                    s.key.value,
                    s.values.len()
                ),
                Label::new(extra.span(), "extra value"),
            )
            .with_help(format!("keep one value for `{}`", s.key.value)),
        );
        return None;
    }
    Some(())
}

fn article(kind: &str) -> String {
    if kind.starts_with(['a', 'e', 'i', 'o']) {
        format!("an {kind}")
    } else {
        format!("a {kind}")
    }
}

fn not_here(kind: &str, what: &str, span: crate::diag::Span) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownSetting,
        format!("{} cannot have `{what}`", article(kind)),
        Label::new(span, "not allowed here"),
    )
    .with_help(match what {
        "members" => "only projects and groups have members",
        "limits" => "limits belong to the account: `account { limits { policies 8000; } }`",
        _ => "only users have attributes",
    })
}

fn wrong_type(key: &str, expected: &str, found: &Value) -> Diagnostic {
    let (what, help) = match found {
        Value::Name(_) => ("a name", format!("quote it: `{key} \"...\"`")),
        Value::Str(_) => ("a string", format!("write `{key}` without quotes")),
        Value::List(_) => (
            "a list",
            format!("write the values separated by commas: `{key} a, b`"),
        ),
    };
    Diagnostic::new(
        Code::InvalidValue,
        format!("`{key}` takes {expected}, found {what}"),
        Label::new(found.span(), format!("expected {expected}")),
    )
    .with_help(help)
}

fn missing_value(s: &Setting, expected: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MissingSetting,
        format!("`{}` needs {expected}", s.key.value),
        Label::new(s.span, "no value given"),
    )
    .with_help(format!("write `{} VALUE;`", s.key.value))
}
