//! The values dynamic rules compare: operators, the value a condition
//! compares with, and an identity-provider attribute's value. The model's
//! own types (lowering converts the syntax tree's), so the checks, the
//! access model and the backends never depend on the syntax layer.

use super::Text;
use serde::Serialize;

/// An identity-provider attribute value: a string, or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    Str(Text),
    List(Vec<Text>),
}

/// What a condition compares with: one value, or a list (`in`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CondValue {
    One(Text),
    Many(Vec<Text>),
}

/// Dynamic-rule operators: IAM's, plus qpol's delimited `has`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Contains,
    Equals,
    NotEquals,
    EqualsIgnoreCase,
    NotEqualsIgnoreCase,
    In,
    Has,
}

/// `,ml,finance,`: the delimited form qpol writes for a list attribute that
/// a `has` rule reads; of one value, `,ml,`, what `has "ml"` looks for in
/// it. The one place the delimiter is written.
pub fn delimit<'a>(items: impl IntoIterator<Item = &'a str>) -> Text {
    let mut out = Text::from(",");
    for (n, item) in items.into_iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(',');
    out
}

impl Operator {
    /// The operator as a policy writes it.
    pub fn keyword(self) -> &'static str {
        match self {
            Operator::Contains => "contains",
            Operator::Equals => "equals",
            Operator::NotEquals => "not_equals",
            Operator::EqualsIgnoreCase => "equals_ignore_case",
            Operator::NotEqualsIgnoreCase => "not_equals_ignore_case",
            Operator::In => "in",
            Operator::Has => "has",
        }
    }

    /// The value IAM's rule compares with for `value`: delimited for `has`
    /// (which compiles to CONTAINS `,value,`), else `value` itself.
    pub fn iam_value(self, value: &str) -> Text {
        match self {
            Operator::Has => delimit([value]),
            _ => Text::from(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiting_wraps_and_separates_with_commas() {
        assert_eq!(delimit(["ml", "finance"]), ",ml,finance,");
        assert_eq!(delimit(["ml"]), ",ml,");
        assert_eq!(delimit([]), ",,");
        assert_eq!(Operator::Has.iam_value("ml"), ",ml,");
        assert_eq!(Operator::Contains.iam_value("ml"), "ml");
        assert_eq!(Operator::In.iam_value("ml"), "ml");
    }
}
