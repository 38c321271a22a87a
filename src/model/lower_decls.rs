//! Lowering of the declarations that stand alone: account, audit, identity
//! providers, instances and roles (settings typed, values checked,
//! references resolved).

use super::lower::{missing, Lowerer};
use super::values::{check_account_id, check_choice, check_region, parse_hours};
use super::*;
use crate::diag::{Code, Diagnostic, Label};
use crate::syntax::ast::{DeclKind, Declaration};

/// The App ID plans an identity provider qpol creates may use.
const APPID_PLANS: &[&str] = &["graduated-tier", "lite"];

impl Lowerer {
    pub(super) fn account(&mut self, d: &Declaration) {
        const KEYS: &[&str] = &[
            "id",
            "user_list_visibility",
            "api_key_creation",
            "service_id_creation",
            "mfa",
            "public_access_groups",
        ];
        let s = self.settings(d, "account", KEYS, false, false);
        self.existing(d, false);
        let limits = self.limits(&s.limits);
        let diags = &mut self.diags;
        let id = s.string("id", diags);
        if let Some(id) = &id {
            check_account_id(id, diags);
        }
        let mut choice = |key: &str, allowed: &[&str]| {
            let value = s.name(key, diags)?;
            check_choice(key, &value, allowed, diags).then_some(value)
        };
        let account = Account {
            id,
            user_list_visibility: choice("user_list_visibility", &["restricted", "unrestricted"]),
            api_key_creation: choice("api_key_creation", &["allowed", "restricted", "not_set"]),
            service_id_creation: choice(
                "service_id_creation",
                &["allowed", "restricted", "not_set"],
            ),
            mfa: choice(
                "mfa",
                &[
                    "none",
                    "none_no_ropc",
                    "totp",
                    "totp4all",
                    "level1",
                    "level2",
                    "level3",
                ],
            ),
            public_access_groups: choice("public_access_groups", &["enabled", "disabled"]),
            limits,
            span: d.span,
        };
        self.model.account = Some(account);
    }

    pub(super) fn audit(&mut self, d: &Declaration) {
        let s = self.settings(d, "audit", &["region", "target", "endpoint"], false, false);
        self.existing(d, false);
        let region = s.name("region", &mut self.diags);
        if let Some(r) = &region {
            check_region(r, &mut self.diags);
        }
        let target = s.name("target", &mut self.diags);
        if let Some(t) = &target {
            check_choice(
                "target",
                t,
                &[
                    "cloud_logs",
                    "cloud_object_storage",
                    "event_streams",
                    "app_config",
                ],
                &mut self.diags,
            );
        }
        let endpoint = s.string("endpoint", &mut self.diags).map(|l| l.value);
        self.model.audit = Some(Audit {
            region,
            target,
            endpoint,
            span: d.span,
        });
    }

    pub(super) fn idp(&mut self, d: &Declaration, index: usize) {
        let s = self.settings(
            d,
            "idp",
            &[
                "kind",
                "region",
                "attribute",
                "session",
                "realm",
                "tenant",
                "plan",
                "resource_group",
            ],
            false,
            false,
        );
        let existing = self.existing(d, true);
        let diags = &mut self.diags;
        let kind = s.name("kind", diags);
        if let Some(k) = &kind {
            check_choice("kind", k, &["appid", "saml"], diags);
        }
        let region = s.name("region", diags);
        if let Some(r) = &region {
            check_region(r, diags);
        }
        let attributes = s.names("attribute", diags);
        let session_hours = s
            .name("session", diags)
            .and_then(|v| parse_hours(&v, diags))
            .unwrap_or(24);
        let kind_name = kind.as_ref().map_or("appid", |k| k.value.as_str());
        let realm = s.string("realm", diags);
        if let Some(r) = &realm {
            super::values::check_realm(r, kind_name, diags);
        }
        let realm = realm.map(|l| l.value);
        let tenant = s.string("tenant", diags);
        if let Some(t) = &tenant {
            super::values::check_tenant(t, diags);
        }
        let tenant = tenant.map(|l| l.value);
        let plan = s.name("plan", diags);
        if let Some(p) = &plan {
            check_choice("plan", p, APPID_PLANS, diags);
        }
        let resource_group = s.name("resource_group", &mut self.diags).and_then(|rg| {
            self.resolve(DeclKind::ResourceGroup, &rg)
                .map(|id| Located::new(id, rg.span))
        });
        if let Some(idp) = self.model.idps.get_mut(index) {
            idp.plan = plan.map(|p| p.value);
            idp.resource_group = resource_group;
            idp.kind = kind.map_or_else(|| Text::from("appid"), |k| k.value);
            idp.region = region.map(|r| r.value);
            idp.attributes = attributes;
            idp.session_hours = session_hours;
            idp.realm = realm;
            idp.tenant = tenant;
            idp.existing = existing;
        }
    }

    pub(super) fn instance(&mut self, d: &Declaration, index: usize) {
        let s = self.settings(
            d,
            "instance",
            &["plan", "region", "resource_group", "tags"],
            false,
            false,
        );
        let existing = self.existing(d, true);
        let plan = s.name("plan", &mut self.diags);
        let region = s.name("region", &mut self.diags);
        if let Some(r) = &region {
            check_region(r, &mut self.diags);
        }
        for (key, value) in [("plan", &plan), ("region", &region)] {
            if value.is_none() && !s.mentions(key) && !existing {
                self.diags.push(missing(
                    d,
                    key,
                    "an instance is created with a plan and a region",
                ));
            }
        }
        let resource_group = s.name("resource_group", &mut self.diags).and_then(|rg| {
            self.resolve(DeclKind::ResourceGroup, &rg)
                .map(|id| Located::new(id, rg.span))
        });
        let tags = s.strings("tags", &mut self.diags);
        for tag in &tags {
            super::values::check_tag(tag, &mut self.diags);
        }
        if let Some(instance) = self.model.instances.get_mut(index) {
            instance.plan = plan;
            instance.region = region;
            instance.resource_group = resource_group;
            instance.tags = tags;
            instance.existing = existing;
        }
    }

    pub(super) fn role(&mut self, d: &Declaration, index: usize) {
        let s = self.settings(
            d,
            "role",
            &["actions", "display_name", "description", "iam_name"],
            false,
            false,
        );
        self.existing(d, false);
        let actions: Vec<Located<Text>> = s
            .names("actions", &mut self.diags)
            .into_iter()
            .map(|a| Located::new(Text::from(actions::normalize(&a.value)), a.span))
            .collect();
        if !s.mentions("actions") {
            self.diags.push(missing(
                d,
                "actions",
                "a custom role needs at least one quantum-computing action",
            ));
        }
        let display_name = s.string("display_name", &mut self.diags);
        let description = s.string("description", &mut self.diags);
        let iam_name = s.name("iam_name", &mut self.diags);
        super::values::check_role_values(
            display_name.as_ref(),
            description.as_ref(),
            iam_name.as_ref(),
            &mut self.diags,
        );
        if let Some(role) = self.model.roles.get_mut(index) {
            role.actions = actions;
            role.display_name = display_name;
            role.description = description;
            role.iam_name = iam_name;
        }
    }

    /// The identity provider a rule or user without `from`/`idp` refers to.
    pub(super) fn default_idp(&mut self, at: Span, what: &str) -> Option<IdpId> {
        match self.model.idps.len() {
            1 => Some(0),
            0 => {
                self.diags.push(
                    Diagnostic::new(
                        Code::AmbiguousIdp,
                        format!("{what} needs an identity provider, and none is declared"),
                        Label::new(at, "no idp to use"),
                    )
                    .with_help("declare one: `idp org-users { kind appid; attribute project; }`"),
                );
                None
            }
            n => {
                let names: Vec<_> = self
                    .model
                    .idps
                    .iter()
                    .map(|i| i.name.value.as_str())
                    .collect();
                self.diags.push(
                    Diagnostic::new(
                        Code::AmbiguousIdp,
                        format!("{what} does not say which of the {n} identity providers it uses"),
                        Label::new(at, "which idp?"),
                    )
                    .with_help(format!(
                        "name one of {}: `members from {} where ...` or `idp {};`",
                        names.join(", "),
                        names.first().unwrap_or(&""),
                        names.first().unwrap_or(&"")
                    )),
                );
                None
            }
        }
    }
}
