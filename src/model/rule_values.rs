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
}
