//! Names that look alike (Q113): two declarations whose names differ but
//! whose confusable skeletons (Unicode Technical Standard #39, crate
//! `unicode-security`) are equal, such as `QR-mI` and `QR-ml`, or role
//! display names that differ only by a Cyrillic `м` for a Latin `m`. A
//! reviewer cannot tell which one a statement names.

use crate::diag::{Code, Diagnostic, Label};
use crate::model::{Located, Model, Text};
use rustc_hash::FxHashMap;
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
    report(&names, "name", diags);
    let display: Vec<(&'static str, &Located<Text>)> = model
        .roles
        .iter()
        .filter_map(|r| r.display_name.as_ref())
        .map(|d| ("role display name", d))
        .collect();
    report(&display, "display name", diags);
}

/// One warning for each written form that looks like an earlier, different one.
fn report(names: &[(&'static str, &Located<Text>)], what: &str, diags: &mut Vec<Diagnostic>) {
    let mut groups: FxHashMap<String, Vec<(&'static str, &Located<Text>)>> = FxHashMap::default();
    for &(kind, name) in names {
        groups
            .entry(skeleton(&name.value).collect())
            .or_default()
            .push((kind, name));
    }
    for group in groups.values_mut() {
        if group.len() < 2 {
            continue;
        }
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
                )),
            );
        }
    }
}
