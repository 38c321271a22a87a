//! Lowering of the values dynamic rules compare: the syntax tree's
//! operators and values become the model's own types.

use super::{AttrValue, CondValue, Operator};
use crate::syntax::ast;

impl From<ast::Operator> for Operator {
    fn from(op: ast::Operator) -> Operator {
        match op {
            ast::Operator::Contains => Operator::Contains,
            ast::Operator::Equals => Operator::Equals,
            ast::Operator::NotEquals => Operator::NotEquals,
            ast::Operator::EqualsIgnoreCase => Operator::EqualsIgnoreCase,
            ast::Operator::NotEqualsIgnoreCase => Operator::NotEqualsIgnoreCase,
            ast::Operator::In => Operator::In,
            ast::Operator::Has => Operator::Has,
        }
    }
}

impl From<&ast::CondValue> for CondValue {
    fn from(value: &ast::CondValue) -> CondValue {
        match value {
            ast::CondValue::One(v) => CondValue::One(v.clone()),
            ast::CondValue::Many(vs) => CondValue::Many(vs.clone()),
        }
    }
}

impl From<&ast::AttrValue> for AttrValue {
    fn from(value: &ast::AttrValue) -> AttrValue {
        match value {
            ast::AttrValue::Str(v) => AttrValue::Str(v.clone()),
            ast::AttrValue::List(vs) => AttrValue::List(vs.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_keeps_its_keyword() {
        let all = [
            ast::Operator::Contains,
            ast::Operator::Equals,
            ast::Operator::NotEquals,
            ast::Operator::EqualsIgnoreCase,
            ast::Operator::NotEqualsIgnoreCase,
            ast::Operator::In,
            ast::Operator::Has,
        ];
        for op in all {
            assert_eq!(Operator::from(op).keyword(), op.keyword());
        }
    }
}
