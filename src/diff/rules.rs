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
    let mut out = Vec::new();
    for key in keys {
        let (o, n) = (old.find_unit(key), new.find_unit(key));
        let sets = |side: &Side<'_>, id: Option<usize>| {
            id.and_then(|i| side.model.units.get(i))
                .map_or(0, |u| u.member_sets.len())
        };
        for set in 0..sets(old, o).max(sets(new, n)) {
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
            let mut notes = Vec::new();
            notes.extend(widening(&old_rules, &new_rules));
            let own = (key.0, key.1);
            notes.extend(examples(
                new.model,
                own,
                &old_rules,
                &new_rules,
                "now also admits",
            ));
            notes.extend(examples(
                old.model,
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
    if ov.contains(nv.as_str()) {
        Some(format!(
            "now also admits any `{claim}` containing {nv:?}, not only those containing {ov:?}"
        ))
    } else if nv.contains(ov.as_str()) {
        Some(format!(
            "now admits only a `{claim}` containing {nv:?}, no longer any containing {ov:?}"
        ))
    } else {
        Some(format!(
            "now admits any `{claim}` containing {nv:?} instead of {ov:?}"
        ))
    }
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

/// The projects and groups of `model` (other than `own`) whose rule values
/// `gained` admits and `lost` did not: "now also admits the users of
/// project chemlab (`project contains "chemlab"`)".
fn examples(
    model: &Model,
    own: (&str, &str),
    lost: &[DynamicRule],
    gained: &[DynamicRule],
    verb: &str,
) -> Option<String> {
    if gained.is_empty() {
        return None;
    }
    let mut hits: Vec<String> = Vec::new();
    for unit in &model.units {
        if (unit.kind.word(), unit.name.value.as_str()) == own {
            continue;
        }
        let values = unit
            .member_sets
            .iter()
            .flat_map(|s| &s.rules)
            .flat_map(|r| &r.conditions)
            .filter(|c| {
                !matches!(
                    c.operator,
                    Operator::NotEquals | Operator::NotEqualsIgnoreCase
                )
            });
        let admitted = values.into_iter().any(|c| {
            let vals: Vec<&str> = match &c.value.value {
                CondValue::One(v) => vec![v.as_str()],
                CondValue::Many(vs) => vs.iter().map(|v| v.as_str()).collect(),
            };
            vals.into_iter().any(|v| {
                let value = if c.operator == Operator::Has {
                    AttrValue::Str(crate::model::delimit([v]))
                } else {
                    AttrValue::Str(v.into())
                };
                let claim = c.claim.value.as_str();
                admits_any(gained, claim, &value) && !admits_any(lost, claim, &value)
            })
        });
        if admitted {
            hits.push(format!("{} `{}`", unit.kind.word(), unit.name.value));
        }
    }
    if hits.is_empty() {
        return None;
    }
    let more = hits.len().saturating_sub(SHOWN);
    hits.truncate(SHOWN);
    let mut text = format!("{verb} the users of {}", hits.join(", "));
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
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
