//! What the cloud would refuse or misread in a policy that is otherwise
//! consistent: static members IAM cannot add (Q501), custom-role display
//! names Terraform's lookup by name cannot tell apart (Q502), App ID
//! identity providers neither created nor named (Q504). The compiler relies
//! on these holding; `qpol check` reports them so nothing fails later.

use crate::diag::{Code, Diagnostic, Label};
use crate::model::{self, MemberRef, Model};
use std::collections::BTreeMap;

/// IAM's own role names: a custom role's display name must not shadow them.
const BUILT_IN_ROLES: &[&str] = &[
    "Viewer",
    "Operator",
    "Editor",
    "Administrator",
    "Reader",
    "Writer",
    "Manager",
];

pub(super) fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    static_members(model, out);
    display_names(model, out);
    identity_providers(model, out);
}

/// Q501: `members user NAME` for a declared user with neither email nor IAM id.
fn static_members(model: &Model, out: &mut Vec<Diagnostic>) {
    for set in model.units.iter().flat_map(|u| &u.member_sets) {
        for member in &set.users {
            let MemberRef::Declared(u) = member else {
                continue;
            };
            let Some(user) = model.users.get(*u) else {
                continue;
            };
            if user.email.is_some() || user.iam_id.is_some() {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Code::MemberWithoutId,
                    format!(
                        "user `{}` is a static member but has no email or IAM id, so IAM cannot add it",
                        user.name.value
                    ),
                    Label::new(set.span, "static member"),
                )
                .with_label(Label::new(user.name.span, "declared without `email` or `iam_id`"))
                .with_help("give the user `email \"...\"` or `iam_id \"IBMid-...\"`, or admit it by a dynamic rule"),
            );
        }
    }
}

/// Q502: Terraform names a policy's roles by display name: two custom roles
/// with one display name, or one named like an IAM role, are ambiguous.
fn display_names(model: &Model, out: &mut Vec<Diagnostic>) {
    let mut roles: Vec<&model::Role> = model.roles.iter().collect();
    roles.sort_by(|a, b| a.name.value.cmp(&b.name.value));
    let mut seen: BTreeMap<&str, &model::Role> = BTreeMap::new();
    for role in roles {
        let Some(display) = &role.display_name else {
            continue;
        };
        let builtin = BUILT_IN_ROLES
            .iter()
            .any(|b| b.eq_ignore_ascii_case(&display.value));
        if builtin {
            out.push(
                Diagnostic::new(
                    Code::AmbiguousRoleName,
                    format!(
                        "role `{}` has the display name `{}` of an IAM built-in role",
                        role.name.value, display.value
                    ),
                    Label::new(display.span, "an IAM role's name"),
                )
                .with_help("policies refer to roles by display name: choose one IAM does not use, e.g. `Qiskit writer`"),
            );
        }
        let Some(first) = seen.get(display.value.as_str()) else {
            seen.insert(display.value.as_str(), role);
            continue;
        };
        let mut d = Diagnostic::new(
            Code::AmbiguousRoleName,
            format!(
                "roles `{}` and `{}` share the display name `{}`",
                first.name.value, role.name.value, display.value
            ),
            Label::new(display.span, "same display name"),
        )
        .with_help("policies refer to roles by display name: give each role its own");
        if let Some(other) = &first.display_name {
            d = d.with_label(Label::new(
                other.span,
                format!("role `{}` has it too", first.name.value),
            ));
        }
        out.push(d);
    }
}

/// Q504: an App ID that qpol cannot create (no region) and that names no
/// existing instance (no tenant, no realm): its realm is left as an input.
fn identity_providers(model: &Model, out: &mut Vec<Diagnostic>) {
    for idp in &model.idps {
        let named = idp.realm.is_some() || idp.tenant.is_some();
        if idp.kind != "appid" || idp.existing || named || idp.region.is_some() {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::IdpNotCreated,
                format!(
                    "identity provider {} has no region, so qpol cannot create its App ID instance, and no `tenant` or `realm` naming an existing one",
                    idp.name.value
                ),
                Label::new(idp.name.span, "its realm becomes an input at apply time"),
            )
            .with_help("add `region REGION;` to create the App ID instance, or mark it `existing` with its `tenant` and `region`"),
        );
    }
}
