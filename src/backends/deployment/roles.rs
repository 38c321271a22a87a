//! Custom roles: IAM names and display names derived or taken as written,
//! and the display-name clashes Terraform's lookup by name cannot resolve.

use super::{by_name, Builder, CustomRole, BUILT_IN_ROLES, SERVICE};
use crate::backends::names::{self, Namespace};
use crate::diag::{Code, Diagnostic, Label};
use crate::model::{self, RoleId};
use std::collections::{BTreeMap, BTreeSet};

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
        // Names the user wrote are reserved first; derived ones avoid them.
        let mut explicit_display: BTreeMap<String, &model::Role> = BTreeMap::new();
        for &r in &order {
            let Some(role) = self.model.roles.get(r) else {
                continue;
            };
            if let Some(iam) = &role.iam_name {
                iam_names.reserve(&iam.value);
            }
            if let Some(display) = &role.display_name {
                self.check_display_name(role, display, &mut explicit_display);
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
                description: role.description.as_ref().map(|d| d.value.to_string()),
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

    /// Terraform names a policy's roles by display name: two custom roles
    /// with one display name, or one named like an IAM role, are ambiguous.
    pub(super) fn check_display_name<'r>(
        &mut self,
        role: &'r model::Role,
        display: &model::Located<model::Text>,
        seen: &mut BTreeMap<String, &'r model::Role>,
    ) {
        let builtin = BUILT_IN_ROLES
            .iter()
            .any(|b| b.eq_ignore_ascii_case(&display.value));
        if builtin {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::AmbiguousRoleName,
                    format!("role `{}` has the display name `{}` of an IAM built-in role", role.name.value, display.value),
                    Label::new(display.span, "an IAM role's name"),
                )
                .with_help("policies refer to roles by display name: choose one IAM does not use, e.g. `Qiskit writer`"),
            );
        }
        if let Some(first) = seen.get(display.value.as_str()) {
            let secondary = first
                .display_name
                .as_ref()
                .map(|d| Label::new(d.span, format!("role `{}` has it too", first.name.value)));
            let mut d = Diagnostic::new(
                Code::AmbiguousRoleName,
                format!(
                    "roles `{}` and `{}` share the display name `{}`",
                    first.name.value, role.name.value, display.value
                ),
                Label::new(display.span, "same display name"),
            )
            .with_help("policies refer to roles by display name: give each role its own");
            if let Some(label) = secondary {
                d = d.with_label(label);
            }
            self.diagnostics.push(d);
        } else {
            seen.insert(display.value.to_string(), role);
        }
    }
}
