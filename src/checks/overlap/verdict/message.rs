//! Q201's text: the whole rule, the admitted project, group or member set,
//! the verdict and the acknowledgement that would name them.

use super::{fold, AdmittedUnit, Attacker, Grants, Group, Kind, Victim, VALUES};
use crate::diag::{Code, Diagnostic, Label, Severity};
use crate::model::{Condition, DynamicRule, InstanceId, Model};

fn unit_label(model: &Model, unit: usize) -> String {
    model.units.get(unit).map_or_else(String::new, |u| {
        format!("{} {}", u.kind.word(), u.name.value)
    })
}

/// The whole rule as written: every condition.
fn rule_text(rule: &DynamicRule) -> String {
    rule.conditions
        .iter()
        .map(Condition::describe)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// How a finding names the admitted users' place: their project or group,
/// or (inside the rule's own project) their member set.
fn admitted_label(
    model: &Model,
    attacker: &Attacker<'_>,
    unit: usize,
    victim: Option<&Victim<'_>>,
) -> String {
    match victim {
        Some(v) if unit == attacker.unit => {
            format!(
                "the member set `where {}` of {}",
                rule_text(v.rule),
                unit_label(model, unit)
            )
        }
        _ => unit_label(model, unit),
    }
}

/// "`job.delete` on QR-ml": one action the admitted users gain, and where.
fn gain_text(
    model: &Model,
    grants: &Grants<'_, '_>,
    (instance, action): (InstanceId, u32),
) -> String {
    let instance = model
        .instances
        .get(instance)
        .map_or("?", |i| i.name.value.as_str());
    format!("`{}` on {instance}", grants.action(action))
}

/// `who` names the admitted users' place; `whose` is its possessive.
fn verdict(
    model: &Model,
    grants: &Grants<'_, '_>,
    (who, whose): (&str, &str),
    gained: Option<(InstanceId, u32)>,
) -> String {
    match gained {
        Some(gain) => format!(
            "users of {who} would get {}, which {whose} grants do not give",
            gain_text(model, grants, gain)
        ),
        None => "their own grants already give everything this rule gives".to_string(),
    }
}

/// The verdict when the admitted unit's rules admit only some of the users
/// carrying the value (a further condition): the others have no own grants.
fn conditional_verdict(
    model: &Model,
    grants: &Grants<'_, '_>,
    who: &str,
    gained: Option<(InstanceId, u32)>,
) -> String {
    match gained {
        Some(gain) => format!(
            "{who} admits only some of them (a further condition); the others would get {}, which no rule that admits them all gives",
            gain_text(model, grants, gain)
        ),
        None => verdict(model, grants, (who, who), gained),
    }
}

fn help(attacker: &Attacker<'_>, model: &Model, admitted: &str) -> String {
    let claim = &attacker.condition.claim.value;
    format!(
        "rename so that no value is a substring of another, match whole values with `{claim} equals {:?}`, or use `{claim} has {:?}`, which qpol compiles to delimited values; if the overlap is meant, acknowledge it: `allow Q201 on {} for {admitted} \"why\";`",
        attacker.value,
        attacker.value,
        unit_label(model, attacker.unit)
    )
}

fn severity(gained: bool) -> Severity {
    if gained {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// One finding per admitted project or group.
pub(super) fn finding(
    model: &Model,
    grants: &Grants<'_, '_>,
    attacker: &Attacker<'_>,
    unit: &AdmittedUnit,
    groups: &[Group<'_>],
) -> Diagnostic {
    let claim = &attacker.condition.claim.value;
    let victims: Vec<(&Group<'_>, &Victim<'_>)> = unit
        .values
        .iter()
        .filter_map(|&(g, v)| {
            let group = groups.get(g)?;
            Some((group, group.victims.get(v)?))
        })
        .collect();
    let who = admitted_label(model, attacker, unit.unit, victims.first().map(|x| x.1));
    // The admitted unit's own rules all carry a further condition: they admit
    // only some of the users carrying the value.
    let conditional = unit.unit != attacker.unit && victims.iter().all(|(_, v)| !v.sure);
    let (short, whose) = if unit.unit == attacker.unit {
        ("that member set".to_string(), "its".to_string())
    } else {
        (who.clone(), format!("{who}'s"))
    };
    // CONTAINS is case-sensitive: a case-insensitive rule's value is
    // admitted in the case that holds the substring.
    let mut values: Vec<String> = victims
        .iter()
        .map(|(g, v)| match g.kind {
            Kind::Fold => format!("`{}` in any case, `{}` among them", v.value, fold(v.value)),
            _ => format!("`{}`", v.value),
        })
        .collect();
    values.dedup();
    let more = values.len().saturating_sub(VALUES);
    values.truncate(VALUES);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let mut d = Diagnostic::new(
        Code::OverlappingRule,
        format!(
            "rule `{}` of {} also admits users whose {claim} is {}{tail} ({who}): {}",
            rule_text(attacker.rule),
            unit_label(model, attacker.unit),
            values.join(", "),
            if conditional {
                conditional_verdict(model, grants, &who, unit.gained)
            } else {
                verdict(model, grants, (&short, &whose), unit.gained)
            }
        ),
        Label::new(
            attacker.condition.value.span,
            format!("{:?} is a substring of each of them", attacker.value),
        ),
    )
    .with_severity(severity(unit.gained.is_some()))
    .with_help(help(attacker, model, &unit_label(model, unit.unit)));
    let mut labelled = Vec::new();
    for (_, v) in victims.iter().take(VALUES) {
        if !labelled.contains(&v.condition.value.span) {
            labelled.push(v.condition.value.span);
            d = d.with_label(Label::new(
                v.condition.value.span,
                format!(
                    "{} expects {}",
                    unit_label(model, v.unit),
                    v.condition.describe()
                ),
            ));
        }
    }
    d
}

/// The admitted units beyond the first [`NAMED`], in one finding.
pub(super) fn summary(
    model: &Model,
    grants: &Grants<'_, '_>,
    attacker: &Attacker<'_>,
    rest: &[AdmittedUnit],
) -> Diagnostic {
    let first = rest.iter().find(|u| u.gained.is_some()).or(rest.first());
    let who = first.map_or_else(String::new, |u| unit_label(model, u.unit));
    let names: Vec<String> = rest
        .iter()
        .take(VALUES)
        .map(|u| unit_label(model, u.unit))
        .collect();
    Diagnostic::new(
        Code::OverlappingRule,
        format!(
            "rule `{}` of {} also admits the users of {} more projects or groups ({}{}): {}",
            rule_text(attacker.rule),
            unit_label(model, attacker.unit),
            rest.len(),
            names.join(", "),
            if rest.len() > VALUES { ", ..." } else { "" },
            verdict(
                model,
                grants,
                (&who, &format!("{who}'s")),
                first.and_then(|u| u.gained)
            )
        ),
        Label::new(
            attacker.condition.value.span,
            format!(
                "{:?} is a substring of the values they expect",
                attacker.value
            ),
        ),
    )
    .with_severity(severity(rest.iter().any(|u| u.gained.is_some())))
    .with_help(help(attacker, model, &who))
}
