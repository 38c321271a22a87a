//! Substring traps of IAM's CONTAINS (Q201, Q202, Q203).
//!
//! Q201 compares rule values with each other: a CONTAINS value that occurs
//! inside the value another rule expects admits that rule's users too. All
//! CONTAINS values of a claim go into one Aho-Corasick automaton and every
//! expected value is scanned once, so the check is linear in the total
//! length of the values, not quadratic in the number of rules.
//!
//! Q202 and Q203 look at the declared users: admitted only because a value
//! occurs inside a longer word, or never admitted by a `has` rule because
//! their attribute is a plain string.

use crate::access::{Access, Via};
use crate::diag::{Code, Diagnostic, Label, Span};
use crate::model::{AttrValue, CondValue, Operator};
use crate::model::{Condition, Model};
use aho_corasick::AhoCorasick;
use std::collections::{BTreeMap, BTreeSet};

/// At most this many victims are named for one rule; the rest are counted.
const MAX_VICTIMS: usize = 3;

/// A condition value with its place in the model.
struct Entry<'m> {
    unit: usize,
    set: usize,
    idp: Option<usize>,
    condition: &'m Condition,
    value: &'m str,
}

pub fn check(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    rule_overlaps(access.model, out);
    user_traps(access, out);
}

fn rule_overlaps(model: &Model, out: &mut Vec<Diagnostic>) {
    // Per claim: CONTAINS values (attackers) and every value a rule expects users to carry (victims).
    let mut attackers: BTreeMap<&str, Vec<Entry<'_>>> = BTreeMap::new();
    let mut victims: BTreeMap<&str, Vec<(Entry<'_>, String)>> = BTreeMap::new();
    for (u, unit) in model.units.iter().enumerate() {
        for (s, set) in unit.member_sets.iter().enumerate() {
            for rule in &set.rules {
                for c in &rule.conditions {
                    let values: Vec<&str> = match &c.value.value {
                        CondValue::One(v) => vec![v.as_str()],
                        CondValue::Many(vs) => vs.iter().map(|v| v.as_str()).collect(),
                    };
                    for value in values {
                        let entry = || Entry {
                            unit: u,
                            set: s,
                            idp: rule.idp,
                            condition: c,
                            value,
                        };
                        let carried = match c.operator {
                            Operator::Contains | Operator::Equals | Operator::In => {
                                value.to_string()
                            }
                            Operator::Has => c.operator.iam_value(value).to_string(),
                            _ => continue,
                        };
                        if c.operator == Operator::Contains && !value.is_empty() {
                            attackers
                                .entry(c.claim.value.as_str())
                                .or_default()
                                .push(entry());
                        }
                        victims
                            .entry(c.claim.value.as_str())
                            .or_default()
                            .push((entry(), carried));
                    }
                }
            }
        }
    }
    for (claim, attacking) in &attackers {
        let Some(victims) = victims.get(claim) else {
            continue;
        };
        let Ok(automaton) = AhoCorasick::new(attacking.iter().map(|e| e.value)) else {
            continue;
        };
        // attacker index -> victims it admits (by carried value, first rule carrying it)
        let mut hits: BTreeMap<usize, BTreeMap<&str, &Entry<'_>>> = BTreeMap::new();
        for (victim, carried) in victims {
            for m in automaton.find_overlapping_iter(carried.as_str()) {
                let a = m.pattern().as_usize();
                let Some(attacker) = attacking.get(a) else {
                    continue;
                };
                if attacker.value == victim.value
                    || attacker.idp != victim.idp
                    || same_access(model, attacker, victim)
                {
                    continue;
                }
                hits.entry(a)
                    .or_default()
                    .entry(carried.as_str())
                    .or_insert(victim);
            }
        }
        for (a, admitted) in hits {
            let Some(attacker) = attacking.get(a) else {
                continue;
            };
            out.push(overlap_diagnostic(model, attacker, &admitted));
        }
    }
}

/// Same project and same role: admitting each other's users changes nothing.
fn same_access(model: &Model, a: &Entry<'_>, b: &Entry<'_>) -> bool {
    if a.unit != b.unit {
        return false;
    }
    let role = |e: &Entry<'_>| {
        let unit = model.units.get(e.unit)?;
        match unit.member_sets.get(e.set) {
            Some(set) => unit.role_of(set),
            None => unit.role.as_ref().map(|r| r.value),
        }
    };
    a.set == b.set || role(a) == role(b)
}

fn unit_label(model: &Model, unit: usize) -> String {
    model.units.get(unit).map_or_else(String::new, |u| {
        format!("{} {}", u.kind.word(), u.name.value)
    })
}

fn overlap_diagnostic(
    model: &Model,
    attacker: &Entry<'_>,
    admitted: &BTreeMap<&str, &Entry<'_>>,
) -> Diagnostic {
    let claim = &attacker.condition.claim.value;
    let named: Vec<String> = admitted
        .iter()
        .take(MAX_VICTIMS)
        .map(|(carried, victim)| format!("`{carried}` ({})", unit_label(model, victim.unit)))
        .collect();
    let more = admitted.len().saturating_sub(MAX_VICTIMS);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let mut d = Diagnostic::new(
        Code::OverlappingRule,
        format!(
            "rule `{claim} contains {:?}` of {} also admits users whose {claim} is {}{tail}",
            attacker.value,
            unit_label(model, attacker.unit),
            named.join(", ")
        ),
        Label::new(attacker.condition.value.span, format!("{:?} is a substring of each of them", attacker.value)),
    )
    .with_help(format!(
        "rename so that no value is a substring of another, match whole values with `{claim} equals {:?}`, or use `{claim} has {:?}`, which qpol compiles to delimited values",
        attacker.value, attacker.value
    ));
    for (_, victim) in admitted.iter().take(MAX_VICTIMS) {
        d = d.with_label(Label::new(
            victim.condition.value.span,
            format!(
                "{} expects {claim} {:?}",
                unit_label(model, victim.unit),
                victim.value
            ),
        ));
    }
    d
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
                        .with_help(format!("if the user does not belong to {}, rename one of the values or use `has`", unit_label(model, m.unit))),
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
