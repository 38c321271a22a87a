//! Lowering of the account's `limits { }` blocks into declared limits
//! (the limits themselves, IBM's figures, live in [`super::limits`]).

use super::limits::{DeclaredLimit, LimitKind, LIMITS, MAX_DECLARED};
use super::lower::Lowerer;
use super::Located;
use crate::diag::{did_you_mean, Code, Diagnostic, Label};
use crate::syntax::ast::{Limits, Value};

impl Lowerer {
    /// The entries of the account's `limits { }` blocks.
    pub(super) fn limits(&mut self, blocks: &[&Limits]) -> Vec<DeclaredLimit> {
        let mut out: Vec<DeclaredLimit> = Vec::new();
        for entry in blocks.iter().flat_map(|b| &b.entries) {
            let name = entry.name.value.as_str();
            let Some(kind) = LimitKind::from_name(name) else {
                let names = LIMITS.iter().map(|l| l.name);
                let mut d = Diagnostic::new(
                    Code::UnknownSetting,
                    format!("the account has no limit `{name}`"),
                    Label::new(entry.name.span, "unknown limit"),
                )
                .with_suggestion(did_you_mean(name, names.clone()));
                if d.help.is_none() {
                    d.help = Some(format!(
                        "the limits are: {}",
                        names.collect::<Vec<_>>().join(", ")
                    ));
                }
                self.diags.push(d);
                continue;
            };
            if let Some(first) = out.iter().find(|l| l.kind == kind) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("limit `{name}` is given twice; the second would be ignored"),
                        Label::new(entry.span, "given again here"),
                    )
                    .with_label(Label::new(first.span, "first given here"))
                    .with_help(format!("remove one of the two `{name}` limits")),
                );
                continue;
            }
            let Some(value) = self.limit_value(name, &entry.value) else {
                continue;
            };
            out.push(DeclaredLimit {
                kind,
                value,
                span: entry.span,
            });
        }
        out
    }

    /// A whole number from 1 to [`MAX_DECLARED`] (`8000` or `8_000`).
    fn limit_value(&mut self, name: &str, value: &Value) -> Option<Located<u64>> {
        let text = match value {
            Value::Name(n) => n.value.as_str(),
            Value::Str(_) | Value::List(_) => "",
        };
        let digits = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit() || b == b'_')
            && text.bytes().next().is_some_and(|b| b.is_ascii_digit())
            && !text.ends_with('_');
        if !digits {
            let found = match value {
                Value::Name(n) => format!("`{}`", n.value),
                Value::Str(_) => "a string".to_string(),
                Value::List(_) => "a list".to_string(),
            };
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("limit `{name}` takes a whole number, found {found}"),
                    Label::new(value.span(), "not a number"),
                )
                .with_help(format!(
                    "write digits without quotes or units, e.g. `{name} {};`",
                    LimitKind::from_name(name).map_or(1000, |k| k.info().ibm * 2)
                )),
            );
            return None;
        }
        let number = text.replace('_', "").parse::<u64>().ok();
        match number {
            Some(n) if (1..=MAX_DECLARED).contains(&n) => Some(Located::new(n, value.span())),
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        Code::ValueOutOfRange,
                        format!("limit `{name}` is {text}: a limit is 1 to 100,000,000"),
                        Label::new(value.span(), "out of range"),
                    )
                    .with_help("declare the figure IBM confirmed for the account"),
                );
                None
            }
        }
    }
}
