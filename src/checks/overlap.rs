//! Substring traps of IAM's CONTAINS (Q201, Q202, Q203).
//!
//! Q201 compares rule values with each other: a CONTAINS value that occurs
//! inside the value another rule expects admits that rule's users too. All
//! CONTAINS values of a claim go into one Aho-Corasick automaton and every
//! expected value is scanned once, so the check is linear in the total
//! length of the values, not quadratic in the number of rules.
//!
//! Q201's severity follows the consequence: an error when the admitted
//! users gain an action on an instance that the rules expecting their value
//! (their own member sets, and what lies below those) do not give them; a
//! warning when those already give everything. Each member set's grants are
//! computed once, so the verdict adds work per admitted value, not per user.
//!
//! Q202 and Q203 look at the declared users: admitted only because a value
//! occurs inside a longer word, or never admitted by a `has` rule because
//! their attribute is a plain string.

use crate::access::{Access, Via};
use crate::diag::{Code, Diagnostic, Entity, Label, Severity, Span};
use crate::model::{AttrValue, CondValue, Operator};
use crate::model::{Condition, InstanceId, Model};
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
    rule_overlaps(access, out);
    user_traps(access, out);
}

/// A member set, by unit and index.
type SetRef = (usize, usize);

/// What a member set's members may do: `(instance, action)` pairs.
type Grants<'m> = BTreeSet<(InstanceId, &'m str)>;

fn rule_overlaps(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    let model = access.model;
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
    let mut grants = GrantCache::new(access);
    for (claim, attacking) in &attackers {
        let Some(victims) = victims.get(claim) else {
            continue;
        };
        let Ok(automaton) = AhoCorasick::new(attacking.iter().map(|e| e.value)) else {
            continue;
        };
        // carried value -> the member sets that expect it (the users' own grants)
        let mut expecting: BTreeMap<&str, BTreeSet<SetRef>> = BTreeMap::new();
        for (victim, carried) in victims {
            expecting
                .entry(carried.as_str())
                .or_default()
                .insert((victim.unit, victim.set));
        }
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
            let verdicts: Vec<Admitted<'_, '_>> = admitted
                .into_iter()
                .map(|(carried, victim)| {
                    let own = expecting.get(carried).into_iter().flatten();
                    let gained = grants.gained((attacker.unit, attacker.set), own);
                    Admitted {
                        carried,
                        victim,
                        gained,
                    }
                })
                .collect();
            let subjects = grants.subjects((attacker.unit, attacker.set));
            out.push(overlap_diagnostic(model, attacker, verdicts).about(subjects));
        }
    }
}

/// One value an attacking rule admits, and what its users gain by it.
struct Admitted<'a, 'm> {
    carried: &'a str,
    victim: &'a Entry<'m>,
    /// An action on an instance the rule gives them and their own rules do not.
    gained: Option<(InstanceId, &'m str)>,
}

/// Member sets' grants, each computed once.
struct GrantCache<'a, 'm> {
    access: &'a Access<'m>,
    /// `(weight, instance, action)`, sorted: the most telling grant first.
    sets: BTreeMap<SetRef, Vec<(u8, InstanceId, &'m str)>>,
}

impl<'a, 'm> GrantCache<'a, 'm> {
    fn new(access: &'a Access<'m>) -> Self {
        GrantCache {
            access,
            sets: BTreeMap::new(),
        }
    }

    fn of(&mut self, set: SetRef) -> &[(u8, InstanceId, &'m str)] {
        let access = self.access;
        self.sets.entry(set).or_insert_with(|| {
            let model = access.model;
            let mut out = Vec::new();
            for (instance, role, _) in access.set_grants(set.0, set.1) {
                if let Some(role) = model.roles.get(role) {
                    out.extend(
                        role.actions
                            .iter()
                            .map(|a| (weight(&a.value), instance, a.value.as_str())),
                    );
                }
            }
            out.sort_unstable();
            out.dedup();
            out
        })
    }

    /// The attacker's most telling grant that none of `own` gives: a delete
    /// before another write, a write before a read, then by instance and
    /// action. Every grant skipped is one of `own`'s, so the cost is linear
    /// in the size of `own`'s grants, however much the attacker grants.
    fn gained<'s>(
        &mut self,
        attacker: SetRef,
        own: impl Iterator<Item = &'s SetRef>,
    ) -> Option<(InstanceId, &'m str)> {
        let mut have = Grants::new();
        for set in own {
            have.extend(self.of(*set).iter().map(|g| (g.1, g.2)));
        }
        self.of(attacker)
            .iter()
            .map(|g| (g.1, g.2))
            .find(|g| !have.contains(g))
    }

    /// The finding concerns the attacker's unit, its role and the instances it reaches.
    fn subjects(&mut self, attacker: SetRef) -> Vec<Entity> {
        let mut out = vec![Entity::Unit(attacker.0)];
        let model = self.access.model;
        let role = model.units.get(attacker.0).and_then(|u| {
            u.member_sets
                .get(attacker.1)
                .and_then(|s| s.role.as_ref())
                .or(u.role.as_ref())
        });
        out.extend(role.map(|r| Entity::Role(r.value)));
        let instances: BTreeSet<InstanceId> = self.of(attacker).iter().map(|g| g.1).collect();
        out.extend(instances.into_iter().map(Entity::Instance));
        out
    }
}

/// How little an action can do: 0 deletes, 1 other writes, 2 reads and lists.
fn weight(action: &str) -> u8 {
    if action.ends_with(".delete") {
        0
    } else if action.ends_with(".read") || action.ends_with(".list") {
        2
    } else {
        1
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

/// Q201: an error when some admitted users gain access (named), else a warning.
fn overlap_diagnostic(
    model: &Model,
    attacker: &Entry<'_>,
    mut admitted: Vec<Admitted<'_, '_>>,
) -> Diagnostic {
    let claim = &attacker.condition.claim.value;
    // Values whose users gain access first, so that they are named.
    admitted.sort_by_key(|a| (a.gained.is_none(), a.carried));
    let named: Vec<String> = admitted
        .iter()
        .take(MAX_VICTIMS)
        .map(|a| format!("`{}` ({})", a.carried, unit_label(model, a.victim.unit)))
        .collect();
    let more = admitted.len().saturating_sub(MAX_VICTIMS);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let escalation = admitted.iter().find_map(|a| Some((a, a.gained?)));
    let verdict = match escalation {
        Some((a, (instance, action))) => {
            let victim = unit_label(model, a.victim.unit);
            let instance = model
                .instances
                .get(instance)
                .map_or("?", |i| i.name.value.as_str());
            format!("users of {victim} would get `{action}` on {instance}, which {victim}'s grants do not give")
        }
        None => "their own grants already give everything this rule gives".to_string(),
    };
    let mut d = Diagnostic::new(
        Code::OverlappingRule,
        format!(
            "rule `{claim} contains {:?}` of {} also admits users whose {claim} is {}{tail}: {verdict}",
            attacker.value,
            unit_label(model, attacker.unit),
            named.join(", ")
        ),
        Label::new(attacker.condition.value.span, format!("{:?} is a substring of each of them", attacker.value)),
    )
    .with_severity(if escalation.is_some() {
        Severity::Error
    } else {
        Severity::Warning
    })
    .with_help(format!(
        "rename so that no value is a substring of another, match whole values with `{claim} equals {:?}`, or use `{claim} has {:?}`, which qpol compiles to delimited values; if the overlap is meant, acknowledge it: `allow Q201 on {} \"why\";`",
        attacker.value, attacker.value, unit_label(model, attacker.unit)
    ));
    for a in admitted.iter().take(MAX_VICTIMS) {
        d = d.with_label(Label::new(
            a.victim.condition.value.span,
            format!(
                "{} expects {claim} {:?}",
                unit_label(model, a.victim.unit),
                a.victim.value
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
