//! `allow CODE [on KIND NAME] "reason";`: marks the findings an
//! acknowledgement covers as suppressed (kept, for `--format json`, but
//! counted toward nothing) and warns about an acknowledgement that covers
//! none (Q120), like Rust's `#[expect]`.
//!
//! A finding matches a scope by the model entity it concerns: the entities
//! its check names ([`Diagnostic::subjects`]: for Q201 the project or group
//! whose rule admits too much, its role and the instances the rule reaches;
//! for Q202 the user and the project or group), or the declaration its
//! primary span lies in (a role for Q222, a user for Q214, ...). Never by
//! the text of its message.

use crate::diag::{Code, Diagnostic, Entity, Label, Span, Suppression};
use crate::model::Model;

/// Apply every acknowledgement of the model to the findings; run last,
/// when every finding that an acknowledgement may cover is known.
pub fn apply(model: &Model, diagnostics: &mut Vec<Diagnostic>) {
    let mut unused = Vec::new();
    for ack in &model.acknowledgements {
        let scope = ack.scope.as_ref().map(|s| s.value);
        let declared = scope.and_then(|e| declaration_span(model, e));
        let mut used = false;
        for d in diagnostics
            .iter_mut()
            .filter(|d| d.code == ack.code && d.suppressed.is_none())
        {
            let covered = match scope {
                None => true,
                Some(entity) => {
                    d.subjects.contains(&entity)
                        || declared.is_some_and(|s| contains(s, d.primary.span))
                }
            };
            if covered {
                d.suppressed = Some(Suppression {
                    reason: ack.reason.value.to_string(),
                    at: ack.span,
                });
                used = true;
            }
        }
        if !used {
            unused.push(unused_acknowledgement(model, ack));
        }
    }
    diagnostics.extend(unused);
}

/// The span of the declaration of an entity (a preset role has none).
fn declaration_span(model: &Model, entity: Entity) -> Option<Span> {
    let span = match entity {
        Entity::Unit(i) => model.units.get(i)?.span,
        Entity::Instance(i) => model.instances.get(i)?.span,
        Entity::User(i) => model.users.get(i)?.span,
        Entity::Role(i) => model.roles.get(i).filter(|r| !r.preset)?.span,
    };
    (span.end() > span.start()).then_some(span)
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start() <= inner.start() && inner.end() <= outer.end()
}

fn unused_acknowledgement(model: &Model, ack: &crate::model::Acknowledgement) -> Diagnostic {
    let id = ack.code.id();
    let scope = ack
        .scope
        .as_ref()
        .map(|s| format!(" {}", describe(model, s.value)))
        .unwrap_or_default();
    Diagnostic::new(
        Code::UnusedAcknowledgement,
        format!("`allow {id}` acknowledges no finding: the policy has no {id}{scope}"),
        Label::new(ack.span, "suppresses nothing"),
    )
    .with_help(format!(
        "remove it if the finding was fixed; otherwise scope it on what the finding concerns (`qpol explain {id}`)"
    ))
}

/// `about project ml`, `about instance QR-ml`.
fn describe(model: &Model, entity: Entity) -> String {
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
    };
    format!("about {kind} {name}")
}
