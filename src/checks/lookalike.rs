//! Names that look alike (Q113): two declarations whose names differ but
//! whose confusable skeletons (Unicode Technical Standard #39, crate
//! `unicode-security`) are equal, such as `QR-mI` and `QR-ml`, or role
//! display names that differ only by a Cyrillic `м` for a Latin `m`. A
//! reviewer cannot tell which one a statement names.

use crate::diag::{Code, Diagnostic, Entity, Label, Span};
use crate::model::{Located, Model, Text};
use std::sync::OnceLock;
use unicode_security::confusable_detection::skeleton;

pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let mut names: Vec<(&'static str, &Located<Text>)> = Vec::new();
    names.extend(model.idps.iter().map(|x| ("idp", &x.name)));
    names.extend(
        model
            .resource_groups
            .iter()
            .map(|x| ("resource_group", &x.name)),
    );
    names.extend(model.instances.iter().map(|x| ("instance", &x.name)));
    names.extend(
        model
            .roles
            .iter()
            .filter(|r| !r.preset)
            .map(|x| ("role", &x.name)),
    );
    names.extend(model.units.iter().map(|x| (x.kind.word(), &x.name)));
    names.extend(model.users.iter().map(|x| ("user", &x.name)));
    names.extend(model.service_ids.iter().map(|x| ("service_id", &x.name)));
    report(model, &names, "name", diags);
    let display: Vec<(&'static str, &Located<Text>)> = model
        .roles
        .iter()
        .filter_map(|r| r.display_name.as_ref())
        .map(|d| ("role display name", d))
        .collect();
    report(model, &display, "display name", diags);
}

/// One warning for each written form that looks like an earlier, different one.
fn report(
    model: &Model,
    names: &[(&'static str, &Located<Text>)],
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    // Sorting pairs beats hashing 100,000 names into groups of one.
    let mut keyed: Vec<(String, usize)> = names
        .iter()
        .enumerate()
        .map(|(i, (_, name))| (skeleton_of(&name.value), i))
        .collect();
    keyed.sort_unstable();
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        let mut group: Vec<(&'static str, &Located<Text>)> = run
            .iter()
            .filter_map(|(_, i)| names.get(*i).copied())
            .collect();
        group.sort_by_key(|(_, n)| n.span);
        let Some(&(first_kind, first)) = group.first() else {
            continue;
        };
        let mut seen: Vec<&str> = vec![first.value.as_str()];
        for &(kind, name) in group.iter().skip(1) {
            if seen.contains(&name.value.as_str()) {
                continue;
            }
            seen.push(name.value.as_str());
            diags.push(
                Diagnostic::new(
                    Code::LookalikeNames,
                    format!(
                        "{kind} `{}` looks like {first_kind} `{}`: a reviewer cannot tell the two {what}s apart",
                        name.value, first.value
                    ),
                    Label::new(name.span, format!("looks like `{}`", first.value)),
                )
                .with_label(Label::new(first.span, "declared here"))
                .with_help(format!(
                    "rename one of them so that the {what}s differ visibly"
                ))
                // Both declarations: `allow Q113 on instance QR-ml` names either.
                .about(
                    entity_at(model, first.span)
                        .into_iter()
                        .chain(entity_at(model, name.span)),
                ),
            );
        }
    }
}

/// The UTS #39 skeleton of a name. Names are mostly ASCII, and an ASCII
/// string's skeleton is the skeletons of its characters one after the other
/// (NFD leaves ASCII alone): those come from a table made once, which is
/// several times faster on an organization's 100,000 names.
fn skeleton_of(name: &str) -> String {
    if !name.is_ascii() {
        return skeleton(name).collect();
    }
    static ASCII: OnceLock<Vec<String>> = OnceLock::new();
    let table = ASCII.get_or_init(|| {
        (0u8..128)
            .map(|b| skeleton(char::from(b).encode_utf8(&mut [0; 4])).collect())
            .collect()
    });
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if let Some(s) = table.get(usize::from(b)) {
            out.push_str(s);
        }
    }
    out
}

/// The declaration whose name (or role display name) is written at `span`.
fn entity_at(model: &Model, span: Span) -> Option<Entity> {
    let at = |n: &Located<Text>| n.span == span;
    None.or_else(|| {
        model
            .instances
            .iter()
            .position(|x| at(&x.name))
            .map(Entity::Instance)
    })
    .or_else(|| {
        model
            .units
            .iter()
            .position(|x| at(&x.name))
            .map(Entity::Unit)
    })
    .or_else(|| {
        model
            .users
            .iter()
            .position(|x| at(&x.name))
            .map(Entity::User)
    })
    .or_else(|| model.idps.iter().position(|x| at(&x.name)).map(Entity::Idp))
    .or_else(|| {
        model
            .roles
            .iter()
            .position(|x| at(&x.name) || x.display_name.as_ref().is_some_and(at))
            .map(Entity::Role)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_table_gives_the_crate_s_skeletons() {
        for name in [
            "QR-ml",
            "QR-mI",
            "rn",
            "m",
            "I1l|0O",
            "chem",
            "chern",
            "a`b'c\"d",
            "w vv",
            "qr.dotted",
            "7lab",
            "x_y-z~",
        ] {
            assert_eq!(
                skeleton_of(name),
                skeleton(name).collect::<String>(),
                "{name}"
            );
        }
        let all: String = (32u8..127).map(char::from).collect();
        assert_eq!(skeleton_of(&all), skeleton(&all).collect::<String>());
        assert_eq!(skeleton_of("QR-mI"), skeleton_of("QR-ml"));
    }
}
