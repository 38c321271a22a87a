//! Custom roles: IAM names and display names derived or taken as written.

use super::{by_name, Builder, CustomRole, SERVICE};
use crate::backends::names::{self, Namespace};
use crate::model::RoleId;
use std::collections::BTreeSet;

impl Builder<'_> {
    /// Custom roles: every declared role, and the presets some policy uses.
    /// Policies refer to model role ids until here; they are renumbered.
    pub(super) fn roles(&mut self) {
        let used: BTreeSet<RoleId> = self
            .out
            .access_groups
            .iter()
            .flat_map(|g| &g.policies)
            .flat_map(|p| p.roles.iter().copied())
            .collect();
        let mut iam_names = Namespace::new("", Some(30));
        let mut display_names = Namespace::new(" ", Some(50));
        let mut keys = Namespace::new("_", None);
        let order = by_name(&self.model.roles, |r| &r.name.value);
        // Names the user wrote are reserved first; derived ones avoid them
        // (clashes among written ones are the checker's Q502).
        for &r in &order {
            let Some(role) = self.model.roles.get(r) else {
                continue;
            };
            if let Some(iam) = &role.iam_name {
                iam_names.reserve(&iam.value);
            }
            if let Some(display) = &role.display_name {
                display_names.reserve(&display.value);
            }
        }
        for r in order {
            let Some(role) = self.model.roles.get(r) else {
                continue;
            };
            if role.preset && !used.contains(&r) {
                continue;
            }
            self.role_index.insert(r, self.out.roles.len());
            self.out.roles.push(CustomRole {
                key: keys.claim(&names::terraform_name(&role.name.value)),
                iam_name: match &role.iam_name {
                    Some(n) => n.value.to_string(),
                    None => iam_names.claim(&names::iam_role_name(&role.name.value)),
                },
                display_name: match &role.display_name {
                    Some(n) => n.value.to_string(),
                    None => display_names.claim(&names::role_display_name(&role.name.value)),
                },
                description: Some(super::marked(
                    role.description.as_ref().map(|d| d.value.as_str()),
                )),
                actions: role
                    .actions
                    .iter()
                    .map(|a| format!("{SERVICE}.{}", a.value))
                    .collect(),
            });
        }
        let index = &self.role_index;
        for policy in self
            .out
            .access_groups
            .iter_mut()
            .flat_map(|g| &mut g.policies)
        {
            policy.roles = policy
                .roles
                .iter()
                .filter_map(|r| index.get(r).copied())
                .collect();
            policy.roles.sort_unstable();
        }
    }
}
