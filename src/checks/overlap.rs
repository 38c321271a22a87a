//! Substring traps of IAM's CONTAINS (Q201, Q202, Q203).
//!
//! Q201 (in [`verdict`]) compares rule values with each other: a CONTAINS
//! value that occurs inside the value another rule expects admits that
//! rule's users too; its severity follows the consequence.
//!
//! Q202 and Q203 look at the declared users: admitted only because a value
//! occurs inside a longer word, or never admitted by a `has` rule because
//! their attribute is a plain string.

mod verdict;

use crate::access::{Access, Via};
use crate::diag::{Code, Diagnostic, Entity, Label, Span};
use crate::model::Model;
use crate::model::{AttrValue, CondValue, Operator};
use std::collections::BTreeSet;

pub fn check(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    verdict::rule_overlaps(access, out);
    if !access.cancelled() {
        user_traps(access, out);
    }
}

fn unit_label(model: &Model, unit: usize) -> String {
    model.units.get(unit).map_or_else(String::new, |u| {
        format!("{} {}", u.kind.word(), u.name.value)
    })
}

fn user_traps(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    let model = access.model;
    let mut warned_undelimited: BTreeSet<(usize, &str)> = BTreeSet::new();
    for (user_id, user) in model.users.iter().enumerate() {
        for m in access.rule_memberships(user_id) {
            let Via::Rule(r) = m.via else { continue };
            let Some(rule) = model
                .units
                .get(m.unit)
                .and_then(|u| u.member_sets.get(m.set))
                .and_then(|s| s.rules.get(r))
            else {
                continue;
            };
            for c in rule
                .conditions
                .iter()
                .filter(|c| c.operator == Operator::Contains)
            {
                let written = access.written_value(user, &c.claim.value);
                let (CondValue::One(v), Some(AttrValue::Str(actual))) =
                    (&c.value.value, written.as_deref())
                else {
                    continue;
                };
                if let Some(word) = accidental_word(actual, v) {
                    let attr_span = user
                        .attributes
                        .get(&c.claim.value)
                        .map_or(user.name.span, |a| a.span);
                    out.push(
                        Diagnostic::new(
                            Code::AccidentalMember,
                            format!(
                                "user `{}` ({} `{actual}`) is admitted by rule `{}` of {} only because `{v}` occurs inside `{word}`",
                                user.name.value,
                                c.claim.value,
                                c.describe(),
                                unit_label(model, m.unit)
                            ),
                            Label::new(attr_span, format!("`{v}` inside `{word}`")),
                        )
                        .with_label(Label::new(c.span, "this rule admits the user"))
                        .with_help(format!("if the user does not belong to {}, rename one of the values or use `has`", unit_label(model, m.unit)))
                        .about([Entity::User(user_id), Entity::Unit(m.unit)]),
                    );
                }
            }
        }
        for (claim, value) in user.attributes.iter() {
            if let (AttrValue::List(items), true) = (&value.value, access.is_delimited(claim)) {
                if let Some(item) = items.iter().find(|i| i.contains(',')) {
                    out.push(comma_in_element(
                        model,
                        &user.name.value,
                        claim,
                        item,
                        value.span,
                    ));
                }
            }
            if access.is_delimited(claim)
                && matches!(value.value, AttrValue::Str(_))
                && warned_undelimited.insert((user_id, claim.as_str()))
            {
                if let AttrValue::Str(s) = &value.value {
                    out.push(undelimited(user.name.value.as_str(), claim, s, value.span));
                }
            }
        }
    }
}

/// A list element holding `,`, in an attribute that a `has` rule tests: qpol
/// writes the list as `,a,b,`, so the element would read as two elements and
/// `has` could match inside it.
fn comma_in_element(model: &Model, user: &str, claim: &str, item: &str, span: Span) -> Diagnostic {
    let rule = model
        .units
        .iter()
        .flat_map(|u| u.member_sets.iter().map(move |s| (u, s)))
        .flat_map(|(u, s)| s.rules.iter().map(move |r| (u, r)))
        .flat_map(|(u, r)| r.conditions.iter().map(move |c| (u, c)))
        .find(|(_, c)| c.operator == Operator::Has && c.claim.value == claim);
    let parts: Vec<String> = item
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| format!("{p:?}"))
        .collect();
    let mut d = Diagnostic::new(
        Code::InvalidValue,
        format!(
            "user `{user}`'s {claim} element `{item}` contains `,`, the delimiter qpol writes between the elements `has` rules read"
        ),
        Label::new(span, format!("`{item}` would read as {} elements", parts.len().max(2))),
    )
    .with_help(format!(
        "`has` matches whole elements, and `{item}` would be written as `,{item},`, where `has` finds each part: write the parts as separate elements (`{claim} [{}]`) or remove the comma",
        parts.join(", ")
    ));
    if let Some((unit, c)) = rule {
        d = d.with_label(Label::new(
            c.span,
            format!(
                "`{}` of {} reads `{claim}` delimited",
                c.describe(),
                unit.name.value
            ),
        ));
    }
    d
}

fn undelimited(user: &str, claim: &str, value: &str, span: Span) -> Diagnostic {
    let items: Vec<String> = value
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(|s| format!("{s:?}"))
        .collect();
    Diagnostic::new(
        Code::UndelimitedAttribute,
        format!("`has` rules on `{claim}` never match user `{user}`, whose {claim} is the plain string `{value}`"),
        Label::new(span, "a string, not a list"),
    )
    .with_help(format!("write it as a list, which qpol stores delimited: `{claim} [{}]`", items.join(", ")))
}

/// If every occurrence of `needle` in `text` sits inside a longer word, that word.
/// Words are separated by whitespace and commas.
fn accidental_word<'t>(text: &'t str, needle: &str) -> Option<&'t str> {
    if needle.is_empty() {
        return None;
    }
    let is_delim = |c: char| c.is_whitespace() || c == ',';
    let mut first_word = None;
    for (start, _) in text.match_indices(needle) {
        let end = start + needle.len();
        let before = text.get(..start).and_then(|s| s.chars().next_back());
        let after = text.get(end..).and_then(|s| s.chars().next());
        let bounded = before.is_none_or(is_delim) && after.is_none_or(is_delim);
        if bounded {
            return None;
        }
        if first_word.is_none() {
            let word_start = text
                .get(..start)
                .and_then(|s| s.rfind(is_delim))
                .map_or(0, |i| i + 1);
            let word_end = text
                .get(end..)
                .and_then(|s| s.find(is_delim))
                .map_or(text.len(), |i| end + i);
            first_word = text.get(word_start..word_end);
        }
    }
    first_word
}

#[cfg(test)]
mod tests {
    use super::accidental_word;

    #[test]
    fn whole_words_are_intended() {
        assert_eq!(accidental_word("ml finance", "ml"), None);
        assert_eq!(accidental_word("finance,ml", "ml"), None);
        assert_eq!(
            accidental_word("html-tools web-team", "ml"),
            Some("html-tools")
        );
        assert_eq!(accidental_word("ml-reader", "ml"), Some("ml-reader"));
        assert_eq!(accidental_word("chemlab ml", "ml"), None);
    }
}
