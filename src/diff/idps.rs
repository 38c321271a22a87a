//! Identity providers whose change reaches every federated user: an App ID
//! instance that compile re-creates (another region, kind or resource
//! group) loses its users and their attributes, and a changed realm or
//! tenant rewrites every dynamic rule that names the provider. Either is
//! an access change even when no rule's text changed.

use super::IdpChange;
use crate::model::{Idp, Model};

/// The identity providers, by name, declared on both sides whose instance
/// is replaced or whose rules' realm changes.
pub(super) fn diff(old: &Model, new: &Model) -> Vec<IdpChange> {
    let mut out = Vec::new();
    for (id, after) in new.idps.iter().enumerate() {
        let name = after.name.value.as_str();
        let Some(before) = old.idps.iter().find(|i| i.name.value == name) else {
            continue;
        };
        let rules = new
            .units
            .iter()
            .flat_map(|u| &u.member_sets)
            .flat_map(|s| &s.rules)
            .filter(|r| r.idp == Some(id))
            .count();
        let group = |m: &Model, i: &Idp| {
            i.resource_group
                .as_ref()
                .and_then(|g| m.resource_groups.get(g.value))
                .map_or_else(|| "default".to_string(), |g| g.name.value.to_string())
        };
        let field = |v: &Option<crate::model::Text>| {
            v.as_ref()
                .map_or_else(|| "(unset)".to_string(), |t| t.to_string())
        };
        let managed = !before.existing && !after.existing;
        let placement = [
            ("kind", before.kind.to_string(), after.kind.to_string()),
            ("region", field(&before.region), field(&after.region)),
            ("resource group", group(old, before), group(new, after)),
        ];
        let realm = [
            ("realm", field(&before.realm), field(&after.realm)),
            ("tenant", field(&before.tenant), field(&after.tenant)),
            (
                "existing",
                before.existing.to_string(),
                after.existing.to_string(),
            ),
        ];
        let differ = |list: &[(&str, String, String)]| -> Vec<String> {
            list.iter()
                .filter(|(_, x, y)| x != y)
                .map(|(what, x, y)| format!("{what} {x} -> {y}"))
                .collect()
        };
        let (moved, realm) = (differ(&placement), differ(&realm));
        let (change, mut details) = if managed && !moved.is_empty() {
            ("replaced", moved)
        } else if !realm.is_empty() || !moved.is_empty() {
            ("realm", [moved, realm].concat())
        } else {
            continue;
        };
        let note = if change == "replaced" {
            format!(
                "compile re-creates its App ID instance: federated users lose their identity and attributes until they are registered in the new instance, and every dynamic rule naming it ({rules}) is rewritten for the new realm"
            )
        } else {
            format!(
                "every dynamic rule naming it ({rules}) is rewritten for another realm: federated users keep access only if the new realm issues the same attributes"
            )
        };
        details.sort();
        out.push(IdpChange {
            idp: name.to_string(),
            change,
            detail: details.join(", "),
            rules,
            note,
        });
    }
    out
}
