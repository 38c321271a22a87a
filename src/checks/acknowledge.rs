//! `allow CODE [on KIND NAME] [for KIND NAME, ...] "reason";`: marks the
//! findings an acknowledgement covers as suppressed (kept, for `--format
//! json`, but counted toward nothing) and warns about an acknowledgement
//! that covers none (Q120), like Rust's `#[expect]`, or that repeats an
//! earlier one (Q123). A broad acknowledgement (no `for`, or no `on`) that
//! covers an escalating Q201 gets a note naming what it hides (Q122).
//!
//! A finding matches a scope by the model entity it concerns: the entities
//! its check names ([`Diagnostic::subjects`]: for Q201 the project or group
//! whose rule admits too much, its role and the instances the rule reaches;
//! for Q202 the user and the project or group), or the declaration its
//! primary span lies in (a role for Q222, a user for Q214, ...). Never by
//! the text of its message. `for` must name every project of the finding's
//! [`Diagnostic::admitted`]. Every acknowledgement that matches a finding
//! counts as used; the most precise one is recorded as the suppression.

use crate::diag::{Code, Diagnostic, Entity, Label, Severity, Span, Suppression};
use crate::model::{Acknowledgement, Model};

/// Apply every acknowledgement of the model to the findings; run last,
/// when every finding that an acknowledgement may cover is known.
pub fn apply(model: &Model, diagnostics: &mut Vec<Diagnostic>) {
    let acks = &model.acknowledgements;
    let duplicate_of: Vec<Option<usize>> = acks
        .iter()
        .enumerate()
        .map(|(i, a)| acks.iter().take(i).position(|b| same(a, b)))
        .collect();
    let mut used = vec![false; acks.len()];
    // Per acknowledgement: the admitted projects of the findings it covers.
    let mut for_used: Vec<Vec<Entity>> = vec![Vec::new(); acks.len()];
    // Per acknowledgement: the admitted projects of the error-level Q201 it
    // is the best cover of, while being broad, and how many such findings.
    let mut hidden: Vec<(Vec<Entity>, usize)> = vec![(Vec::new(), 0); acks.len()];
    for d in diagnostics.iter_mut().filter(|d| d.suppressed.is_none()) {
        let mut best: Option<(usize, (bool, bool))> = None;
        for (i, ack) in acks.iter().enumerate() {
            if duplicate_of.get(i).copied().flatten().is_some() || !covers(model, ack, d) {
                continue;
            }
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            if let Some(named) = for_used.get_mut(i) {
                named.extend(d.admitted.iter().copied());
            }
            let precision = (!ack.admitted.is_empty(), ack.scope.is_some());
            if best.is_none_or(|(_, p)| precision > p) {
                best = Some((i, precision));
            }
        }
        let Some((i, precision)) = best else {
            continue;
        };
        let Some(ack) = acks.get(i) else {
            continue;
        };
        d.suppressed = Some(Suppression {
            reason: ack.reason.value.to_string(),
            at: ack.span,
        });
        let broad = precision != (true, true);
        if broad && d.code == Code::OverlappingRule && d.severity == Severity::Error {
            if let Some((entities, count)) = hidden.get_mut(i) {
                for e in &d.admitted {
                    if !entities.contains(e) {
                        entities.push(*e);
                    }
                }
                *count += 1;
            }
        }
    }
    let mut extra = Vec::new();
    for (i, ack) in acks.iter().enumerate() {
        if let Some(first) = duplicate_of
            .get(i)
            .copied()
            .flatten()
            .and_then(|j| acks.get(j))
        {
            extra.push(duplicate(ack, first));
        } else if !used.get(i).copied().unwrap_or(true) {
            extra.push(unused_acknowledgement(model, ack, diagnostics));
        }
        if used.get(i).copied().unwrap_or(false) {
            let named = for_used.get(i).map_or(&[][..], Vec::as_slice);
            extra.extend(unmatched_for_entries(model, ack, named));
        }
        if let Some((entities, count)) = hidden.get(i).filter(|(_, n)| *n > 0) {
            extra.push(broad_note(model, ack, entities, *count, diagnostics));
        }
    }
    diagnostics.extend(extra);
}

/// The `for` entries of a used acknowledgement that name no project its
/// findings admit (Q120), and entries written twice (Q123).
fn unmatched_for_entries(
    model: &Model,
    ack: &Acknowledgement,
    named: &[Entity],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (k, entry) in ack.admitted.iter().enumerate() {
        let what = name(model, entry.value);
        if let Some(first) = ack.admitted.iter().take(k).find(|e| e.value == entry.value) {
            out.push(
                Diagnostic::new(
                    Code::DuplicateAcknowledgement,
                    format!("`for {what}` is written twice in this acknowledgement"),
                    Label::new(entry.span, "written again here"),
                )
                .with_label(Label::new(first.span, "first written here"))
                .with_help("remove the second one"),
            );
        } else if !named.contains(&entry.value) {
            out.push(
                Diagnostic::new(
                    Code::UnusedAcknowledgement,
                    format!("`for {what}`: the rule this acknowledgement covers does not admit {what}'s users"),
                    Label::new(entry.span, "matches no admitted project"),
                )
                .with_help("remove it from the `for` list, or check the name (the finding names the projects the rule admits)"),
            );
        }
    }
    out
}

/// Same code, same scope, same `for` list (in any order).
fn same(a: &Acknowledgement, b: &Acknowledgement) -> bool {
    let entities = |x: &Acknowledgement| {
        let mut v: Vec<Entity> = x.admitted.iter().map(|e| e.value).collect();
        v.sort();
        v.dedup();
        v
    };
    a.code == b.code
        && a.scope.as_ref().map(|s| s.value) == b.scope.as_ref().map(|s| s.value)
        && entities(a) == entities(b)
}

/// Does the acknowledgement cover the finding? Its code, its scope (a
/// subject, or the declaration the finding lies in) and, with `for`, every
/// project the finding admits (a finding that names none is not covered).
fn covers(model: &Model, ack: &Acknowledgement, d: &Diagnostic) -> bool {
    if d.code != ack.code {
        return false;
    }
    let scoped = match &ack.scope {
        None => true,
        Some(scope) => concerns(model, d, scope.value),
    };
    scoped
        && (ack.admitted.is_empty()
            || (!d.admitted.is_empty()
                && d.admitted
                    .iter()
                    .all(|e| ack.admitted.iter().any(|a| a.value == *e))))
}

/// Is the finding about `entity`: a subject, or in its declaration?
fn concerns(model: &Model, d: &Diagnostic, entity: Entity) -> bool {
    d.subjects.contains(&entity)
        || declaration_span(model, entity).is_some_and(|s| contains(s, d.primary.span))
}

/// The span of the declaration of an entity (a preset role has none).
fn declaration_span(model: &Model, entity: Entity) -> Option<Span> {
    let span = match entity {
        Entity::Unit(i) => model.units.get(i)?.span,
        Entity::Instance(i) => model.instances.get(i)?.span,
        Entity::User(i) => model.users.get(i)?.span,
        Entity::Role(i) => model.roles.get(i).filter(|r| !r.preset)?.span,
        Entity::Idp(i) => model.idps.get(i)?.span,
    };
    (span.end() > span.start()).then_some(span)
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start() <= inner.start() && inner.end() <= outer.end()
}

/// What a finding concerns, for a scope to suggest: its first subject, or
/// the declaration its primary span lies in.
fn scope_of(model: &Model, d: &Diagnostic) -> Option<Entity> {
    if let Some(first) = d.subjects.first() {
        return Some(*first);
    }
    let all = (0..model.units.len())
        .map(Entity::Unit)
        .chain((0..model.instances.len()).map(Entity::Instance))
        .chain((0..model.users.len()).map(Entity::User))
        .chain((0..model.roles.len()).map(Entity::Role))
        .chain((0..model.idps.len()).map(Entity::Idp));
    all.into_iter()
        .find(|e| declaration_span(model, *e).is_some_and(|s| contains(s, d.primary.span)))
}

/// The `allow` statement that acknowledges `d` (for an editor's quick
/// fix): `allow CODE on KIND NAME for KIND NAME, ... "REASON";`, scoped on
/// what the finding concerns (no scope for an account-wide one), and the
/// span of that scope's declaration, after which it reads best. `None` for
/// a code that cannot be acknowledged.
pub fn suggested_allow(
    model: &Model,
    d: &Diagnostic,
    reason: &str,
) -> Option<(String, Option<Span>)> {
    crate::model::concerns(d.code)?;
    let scope = scope_of(model, d);
    let on = scope
        .map(|e| format!(" on {}", name(model, e)))
        .unwrap_or_default();
    let statement = format!(
        "allow {}{on}{} \"{reason}\";",
        d.code.id(),
        for_list(model, &d.admitted)
    );
    Some((statement, scope.and_then(|e| declaration_span(model, e))))
}

/// `project ml`, `instance QR-ml`.
fn name(model: &Model, entity: Entity) -> String {
    let (kind, name) = match entity {
        Entity::Unit(i) => model
            .units
            .get(i)
            .map_or(("project", ""), |u| (u.kind.word(), u.name.value.as_str())),
        Entity::Instance(i) => (
            "instance",
            model.instances.get(i).map_or("", |x| x.name.value.as_str()),
        ),
        Entity::User(i) => (
            "user",
            model.users.get(i).map_or("", |x| x.name.value.as_str()),
        ),
        Entity::Role(i) => (
            "role",
            model.roles.get(i).map_or("", |x| x.name.value.as_str()),
        ),
        Entity::Idp(i) => (
            "idp",
            model.idps.get(i).map_or("", |x| x.name.value.as_str()),
        ),
    };
    format!("{kind} {name}")
}

/// ` for project a, project b`, or nothing.
fn for_list(model: &Model, admitted: &[Entity]) -> String {
    if admitted.is_empty() {
        return String::new();
    }
    let names: Vec<String> = admitted.iter().map(|e| name(model, *e)).collect();
    format!(" for {}", names.join(", "))
}

fn duplicate(ack: &Acknowledgement, first: &Acknowledgement) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateAcknowledgement,
        format!(
            "this `allow {}` repeats an earlier one: same scope, same `for`",
            ack.code.id()
        ),
        Label::new(ack.span, "written again here"),
    )
    .with_label(Label::new(first.span, "first written here"))
    .with_help("remove the second one")
}

fn unused_acknowledgement(model: &Model, ack: &Acknowledgement, all: &[Diagnostic]) -> Diagnostic {
    let id = ack.code.id();
    let scope = ack
        .scope
        .as_ref()
        .map(|s| format!(" about {}", name(model, s.value)))
        .unwrap_or_default();
    let admitted: Vec<Entity> = ack.admitted.iter().map(|e| e.value).collect();
    let message = if admitted.is_empty() {
        format!("`allow {id}` acknowledges no finding: the policy has no {id}{scope}")
    } else {
        format!(
            "`allow {id}` acknowledges no finding: the policy has no {id}{scope} that admits only{}",
            for_list(model, &admitted).trim_start_matches(" for")
        )
    };
    let help = match would_cover(model, ack, all) {
        Some(hint) => hint,
        None => format!(
            "remove it if the finding was fixed; otherwise scope it on what the finding concerns (`qpol explain {id}`)"
        ),
    };
    Diagnostic::new(
        Code::UnusedAcknowledgement,
        message,
        Label::new(ack.span, "suppresses nothing"),
    )
    .with_help(help)
}

/// The acknowledgement that would cover a finding of the same code, when
/// the policy has one: the scope is the victim (`on project chemlab`), the
/// `for` list misses a project, or the scope names another entity.
fn would_cover(model: &Model, ack: &Acknowledgement, all: &[Diagnostic]) -> Option<String> {
    let id = ack.code.id();
    let same_code: Vec<&Diagnostic> = all.iter().filter(|d| d.code == ack.code).collect();
    let scope = ack.scope.as_ref().map(|s| s.value);
    // Scoped on an admitted project: the finding is about the culprit.
    let by_victim = scope.and_then(|e| same_code.iter().find(|d| d.admitted.contains(&e)));
    let near = by_victim
        .or_else(|| scope.and_then(|e| same_code.iter().find(|d| concerns(model, d, e))))
        .or_else(|| same_code.first())?;
    let about = scope_of(model, near)?;
    let about_name = name(model, about);
    let example = format!(
        "`allow {id} on {about_name}{} \"...\";`",
        for_list(model, &near.admitted)
    );
    Some(match by_victim {
        Some(_) => format!(
            "the {id} about the users of {} is about {about_name}, whose rule admits them: {example}",
            scope.map(|e| name(model, e)).unwrap_or_default()
        ),
        None => format!("the policy's {id} is about {about_name}: {example} covers it"),
    })
}

fn broad_note(
    model: &Model,
    ack: &Acknowledgement,
    admitted: &[Entity],
    count: usize,
    all: &[Diagnostic],
) -> Diagnostic {
    let id = ack.code.id();
    let whose = if admitted.is_empty() {
        match count {
            1 => format!("a {id} error"),
            n => format!("{n} {id} errors"),
        }
    } else {
        let names: Vec<String> = admitted.iter().map(|e| name(model, *e)).collect();
        format!("the escalation of {}", names.join(", "))
    };
    let culprit = ack.scope.as_ref().map(|s| s.value).or_else(|| {
        all.iter()
            .find(|d| d.suppressed.as_ref().is_some_and(|s| s.at == ack.span))
            .and_then(|d| scope_of(model, d))
    });
    let on = culprit
        .map(|e| format!(" on {}", name(model, e)))
        .unwrap_or_default();
    let for_part = if admitted.is_empty() {
        " for project NAME".to_string()
    } else {
        for_list(model, admitted)
    };
    Diagnostic::new(
        Code::BroadAcknowledgement,
        format!(
            "this broad `allow {id}` hides {whose}: users gain access their own grants do not give, and any project the rule admits later is hidden too"
        ),
        Label::new(ack.span, "covers every project the rule admits"),
    )
    .with_help(format!(
        "name what is meant: `allow {id}{on}{for_part} \"...\";`"
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    //! `for` against [`Diagnostic::admitted`], filled here by hand (the
    //! overlap check fills it for real Q201 findings).
    use super::apply;
    use crate::diag::{Code, Diagnostic, Entity, Label, Severity};
    use crate::model::Model;

    const BASE: &str = r#"
idp org-users { kind appid; region us-south; attribute project; }
instance QR-ml { plan standard; region us-east; }
project ml { instances QR-ml; members where project contains "ml"; role writer; }
project chemlab { instances QR-ml; members where project equals "chemlab"; role reader; }
project ml-nlp { instances QR-ml; members where project equals "ml-nlp"; role reader; }
"#;

    fn model(acks: &str) -> Model {
        let text = format!("{BASE}{acks}");
        crate::checks::check(crate::Policy::from_texts([("p.qpol", text.as_str())])).model
    }

    fn unit(m: &Model, name: &str) -> Entity {
        Entity::Unit(m.units.iter().position(|u| u.name.value == name).unwrap())
    }

    /// An escalating Q201 by ml's rule admitting `victim`, about what the
    /// overlap check names: the culprit, its role, the instances reached.
    fn q201(m: &Model, victim: &str) -> Diagnostic {
        let span = m.units.iter().find(|u| u.name.value == "ml").unwrap().span;
        Diagnostic::new(
            Code::OverlappingRule,
            format!("admits {victim}"),
            Label::new(span, "x"),
        )
        .with_severity(Severity::Error)
        .about([
            unit(m, "ml"),
            Entity::Role(
                m.roles
                    .iter()
                    .position(|r| r.name.value == "writer")
                    .unwrap(),
            ),
            Entity::Instance(0),
        ])
        .admitting([unit(m, victim)])
    }

    fn codes(found: &[Diagnostic]) -> Vec<&'static str> {
        found.iter().map(|d| d.code.id()).collect()
    }

    #[test]
    fn for_covers_only_the_admitted_projects_it_names() {
        let m = model(r#"allow Q201 on project ml for project ml-nlp "ml-nlp is ml's";"#);
        let mut found = vec![q201(&m, "ml-nlp"), q201(&m, "chemlab")];
        apply(&m, &mut found);
        assert!(found[0].suppressed.is_some());
        assert!(
            found[1].suppressed.is_none(),
            "chemlab's escalation stays an error"
        );
        assert_eq!(codes(&found), ["Q201", "Q201"]);
        // Naming both covers both; no note (nothing broad).
        let m = model(
            r#"allow Q201 on project ml for project ml-nlp, project chemlab "both are meant";"#,
        );
        let mut found = vec![q201(&m, "ml-nlp"), q201(&m, "chemlab")];
        apply(&m, &mut found);
        assert!(found.iter().all(|d| d.suppressed.is_some()));
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn a_for_that_names_none_of_the_findings_projects_suggests_the_one_it_would_name() {
        let m = model(r#"allow Q201 on project ml for project ml-nlp "x";"#);
        let mut found = vec![q201(&m, "chemlab")];
        apply(&m, &mut found);
        let unused = found
            .iter()
            .find(|d| d.code == Code::UnusedAcknowledgement)
            .unwrap();
        let help = unused.help.as_deref().unwrap();
        assert!(
            help.contains("`allow Q201 on project ml for project chemlab \"...\";`"),
            "{help}"
        );
    }

    #[test]
    fn a_scope_on_the_admitted_project_points_at_the_culprit() {
        let m = model(r#"allow Q201 on project chemlab "x";"#);
        let mut found = vec![q201(&m, "chemlab")];
        apply(&m, &mut found);
        let unused = found
            .iter()
            .find(|d| d.code == Code::UnusedAcknowledgement)
            .unwrap();
        let help = unused.help.as_deref().unwrap();
        assert!(
            help.contains("the Q201 about the users of project chemlab is about project ml"),
            "{help}"
        );
        assert!(
            help.contains("`allow Q201 on project ml for project chemlab"),
            "{help}"
        );
    }

    #[test]
    fn a_broad_acknowledgement_of_an_escalation_gets_a_note_naming_what_it_hides() {
        for acks in [
            r#"allow Q201 on project ml "x";"#,
            r#"allow Q201 "x";"#,
            r#"allow Q201 on instance QR-ml "x";"#,
            r#"allow Q201 on role writer "x";"#,
        ] {
            let m = model(acks);
            let mut found = vec![q201(&m, "chemlab")];
            apply(&m, &mut found);
            assert!(found[0].suppressed.is_some(), "{acks}");
            let note = found
                .iter()
                .find(|d| d.code == Code::BroadAcknowledgement)
                .unwrap();
            assert_eq!(note.severity, Severity::Note);
            assert!(
                note.message.contains("project chemlab"),
                "{acks}: {}",
                note.message
            );
            let help = note.help.as_deref().unwrap();
            assert!(help.contains("for project chemlab"), "{help}");
        }
    }

    #[test]
    fn every_matching_acknowledgement_is_used_whatever_the_order() {
        for acks in [
            r#"allow Q201 "b"; allow Q201 on project ml "a";"#,
            r#"allow Q201 on project ml "a"; allow Q201 "b";"#,
        ] {
            let m = model(acks);
            let mut found = vec![q201(&m, "chemlab")];
            apply(&m, &mut found);
            assert!(!codes(&found).contains(&"Q120"), "{acks}: {found:?}");
            // The scoped one, the more precise, is recorded.
            assert_eq!(found[0].suppressed.as_ref().unwrap().reason, "a");
        }
    }

    #[test]
    fn an_identical_acknowledgement_is_a_duplicate_not_unused() {
        let m = model(r#"allow Q201 on project ml "a"; allow Q201 on project ml "again";"#);
        let mut found = vec![q201(&m, "chemlab")];
        apply(&m, &mut found);
        assert!(!codes(&found).contains(&"Q120"), "{found:?}");
        let dup = found
            .iter()
            .find(|d| d.code == Code::DuplicateAcknowledgement)
            .unwrap();
        assert_eq!(dup.primary.span, m.acknowledgements[1].span);
        assert_eq!(dup.secondary[0].span, m.acknowledgements[0].span);
    }
}
