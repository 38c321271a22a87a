//! What changed dynamic rules do to users who are not declared: for every
//! member set whose rules differ, the rules before and after, and which
//! attribute values of other projects' rules it now admits or no longer
//! admits (the values Q201 compares), so a reviewer sees that
//! `project contains "m"` now also takes in the users of `chemlab`.

use super::access::Side;
use super::{RuleChange, UnitRef};
use crate::access::condition_matches;
use crate::model::{AttrValue, CondValue, DynamicRule, Model, Operator};
use std::collections::BTreeSet;

/// Examples named per direction; the rest are counted.
const SHOWN: usize = 5;

pub(super) fn diff(old: &Side<'_>, new: &Side<'_>) -> Vec<RuleChange> {
    let mut keys: BTreeSet<(&'static str, &str)> = BTreeSet::new();
    for side in [old, new] {
        keys.extend(
            side.model
                .units
                .iter()
                .map(|u| (u.kind.word(), u.name.value.as_str())),
        );
    }
    // Every rule value of each side, indexed once the first rule differs.
    let mut indexed: Option<(Vec<Value<'_>>, Vec<Value<'_>>)> = None;
    let mut out = Vec::new();
    for key in keys {
        let (o, n) = (old.find_unit(key), new.find_unit(key));
        let sets = |side: &Side<'_>, id: Option<usize>| {
            id.and_then(|i| side.model.units.get(i))
                .map_or(0, |u| u.member_sets.len())
        };
        for set in 0..sets(old, o).max(sets(new, n)) {
            if same_rules(old, o, new, n, set) {
                continue;
            }
            let before = o.map(|u| old.rules_of(u, set)).unwrap_or_default();
            let after = n.map(|u| new.rules_of(u, set)).unwrap_or_default();
            if before == after {
                continue;
            }
            let rules = |side: &Side<'_>, id: Option<usize>| -> Vec<DynamicRule> {
                id.and_then(|i| side.model.units.get(i))
                    .and_then(|u| u.member_sets.get(set))
                    .map(|s| s.rules.clone())
                    .unwrap_or_default()
            };
            let (old_rules, new_rules) = (rules(old, o), rules(new, n));
            let (old_values, new_values) =
                indexed.get_or_insert_with(|| (values(old.model), values(new.model)));
            let mut notes = Vec::new();
            notes.extend(widening(&old_rules, &new_rules));
            let own = (key.0, key.1);
            notes.extend(examples(
                new.model,
                new_values,
                own,
                &old_rules,
                &new_rules,
                "now also admits",
            ));
            notes.extend(examples(
                old.model,
                old_values,
                own,
                &new_rules,
                &old_rules,
                "no longer admits",
            ));
            out.push(RuleChange {
                unit: UnitRef {
                    kind: key.0,
                    name: key.1.to_string(),
                },
                set,
                before,
                after,
                notes,
            });
        }
    }
    out
}

/// A rule value of a model, as the attribute value of a user it admits:
/// (unit, claim, value).
type Value<'m> = (usize, &'m str, AttrValue);

/// The member set's rules are written alike on both sides (the same
/// conditions, so the same text): nothing to compare in words.
fn same_rules(
    old: &Side<'_>,
    o: Option<usize>,
    new: &Side<'_>,
    n: Option<usize>,
    set: usize,
) -> bool {
    fn rules<'s>(side: &'s Side<'_>, id: Option<usize>, set: usize) -> &'s [DynamicRule] {
        id.and_then(|i| side.model.units.get(i))
            .and_then(|u| u.member_sets.get(set))
            .map_or(&[], |s| s.rules.as_slice())
    }
    fn conditions(r: &DynamicRule) -> impl Iterator<Item = (&str, Operator, &CondValue)> {
        r.conditions
            .iter()
            .map(|c| (c.claim.value.as_str(), c.operator, &c.value.value))
    }
    let (a, b) = (rules(old, o, set), rules(new, n, set));
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| conditions(x).eq(conditions(y)))
}

/// `contains "ml"` became `contains "m"`: every value the old one admitted
/// and more.
fn widening(old: &[DynamicRule], new: &[DynamicRule]) -> Option<String> {
    let (Some(o), Some(n)) = (single(old), single(new)) else {
        return None;
    };
    let same = o.claim.value == n.claim.value && o.operator == n.operator;
    let (CondValue::One(ov), CondValue::One(nv)) = (&o.value.value, &n.value.value) else {
        return None;
    };
    if !same || o.operator != Operator::Contains || ov == nv {
        return None;
    }
    let claim = &n.claim.value;
    let (wider, narrower) = (ov.contains(nv.as_str()), nv.contains(ov.as_str()));
    // Quoted, a backtick as `\u{60}`: the note puts each value between backticks.
    let (ov, nv) = (quoted(ov), quoted(nv));
    if wider {
        Some(format!(
            "now also admits any `{claim}` containing `{nv}`, not only those containing `{ov}`"
        ))
    } else if narrower {
        Some(format!(
            "now admits only a `{claim}` containing `{nv}`, no longer any containing `{ov}`"
        ))
    } else {
        Some(format!(
            "now admits any `{claim}` containing `{nv}` instead of `{ov}`"
        ))
    }
}

fn quoted(value: &str) -> String {
    format!("{value:?}").replace('`', "\\u{60}")
}

fn single(rules: &[DynamicRule]) -> Option<&crate::model::Condition> {
    match rules {
        [rule] => match rule.conditions.as_slice() {
            [c] => Some(c),
            _ => None,
        },
        _ => None,
    }
}

/// Every value a rule of `model` expects (`not_equals*` expect none), as
/// the attribute value of a user it admits: (unit, claim, value).
fn values(model: &Model) -> Vec<Value<'_>> {
    let mut out = Vec::new();
    for (id, unit) in model.units.iter().enumerate() {
        let conditions = unit
            .member_sets
            .iter()
            .flat_map(|s| &s.rules)
            .flat_map(|r| &r.conditions);
        for c in conditions {
            if matches!(
                c.operator,
                Operator::NotEquals | Operator::NotEqualsIgnoreCase
            ) {
                continue;
            }
            let expected: Vec<&str> = match &c.value.value {
                CondValue::One(v) => vec![v.as_str()],
                CondValue::Many(vs) => vs.iter().map(|v| v.as_str()).collect(),
            };
            for v in expected {
                let value = if c.operator == Operator::Has {
                    AttrValue::Str(crate::model::delimit([v]))
                } else {
                    AttrValue::Str(v.into())
                };
                out.push((id, c.claim.value.as_str(), value));
            }
        }
    }
    out
}

/// The projects and groups of `model` (other than `own`) whose rule values
/// `gained` admits and `lost` did not: "now also admits the users of
/// project chemlab".
fn examples(
    model: &Model,
    values: &[Value<'_>],
    own: (&str, &str),
    lost: &[DynamicRule],
    gained: &[DynamicRule],
    verb: &str,
) -> Option<String> {
    if gained.is_empty() {
        return None;
    }
    let mut units: Vec<usize> = values
        .iter()
        .filter(|(_, claim, value)| {
            admits_any(gained, claim, value) && !admits_any(lost, claim, value)
        })
        .map(|(unit, _, _)| *unit)
        .collect();
    units.dedup();
    let hits: Vec<String> = units
        .into_iter()
        .filter_map(|u| model.units.get(u))
        .filter(|u| (u.kind.word(), u.name.value.as_str()) != own)
        .map(|u| format!("{} `{}`", u.kind.word(), u.name.value))
        .collect();
    if hits.is_empty() {
        return None;
    }
    let total = hits.len();
    let shown: Vec<String> = hits.into_iter().take(SHOWN).collect();
    let mut text = format!("{verb} the users of {}", shown.join(", "));
    if total > SHOWN {
        text.push_str(&format!(" and {} more", total - SHOWN));
    }
    Some(text)
}

/// Does some rule admit a user whose `claim` is `value` (its conditions on
/// other claims aside)?
fn admits_any(rules: &[DynamicRule], claim: &str, value: &AttrValue) -> bool {
    rules.iter().any(|r| {
        let mut on_claim = r
            .conditions
            .iter()
            .filter(|c| c.claim.value == claim)
            .peekable();
        on_claim.peek().is_some()
            && on_claim.all(|c| condition_matches(c.operator, &c.value.value, value))
    })
}
