//! One draft of the imported policy: the account settings, resource groups
//! and instances of a snapshot as statements (identity providers are
//! [`super::idps`], roles [`super::roles`], access groups
//! [`super::groups`]), what is left out as comments with the raw object,
//! and the text with each statement's range.

use super::escape::{ascii_json, ascii_only, is_ident, quote, shown, why_not_ident};
use super::{Key, Names, Overrides, Rendered};
use crate::backends::names::Namespace;
use crate::live::account::{Account, Instance};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The catalog name of Qiskit Runtime.
pub const QISKIT: &str = "quantum-computing";
pub const APPID: &str = "appid";

/// Sections of the policy, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Account,
    Idp,
    ResourceGroup,
    Instance,
    Role,
    ServiceId,
    Project,
    User,
    Allow,
}

/// One statement.
#[derive(Debug)]
pub struct Chunk {
    pub section: Section,
    pub name: String,
    pub key: Key,
    pub text: String,
}

/// A live object kept as a comment.
#[derive(Debug)]
pub struct Commented {
    /// `access group`, `policy`, ... and a name or id: the order, and the
    /// first line of the comment.
    pub kind: &'static str,
    pub name: String,
    pub reason: String,
    /// The raw object, one line of ASCII JSON.
    pub raw: String,
}

#[derive(Debug, Default)]
pub struct Draft {
    pub chunks: Vec<Chunk>,
    pub comments: Vec<Commented>,
    /// Notes that are not about a comment (a rename, a default taken).
    pub notes: Vec<String>,
}

/// How a resource group is written where an instance or idp names it.
#[derive(Debug, Clone)]
pub enum RgRef {
    /// The account's default group: not named.
    Default,
    Named(String),
    Bad(String),
}

/// An identity provider of the draft.
#[derive(Debug, Clone)]
pub struct IdpInfo {
    pub name: String,
    pub session: i64,
}

/// What the statements refer to, filled as the draft is built.
pub struct Ctx<'a> {
    pub account: &'a Account,
    pub overrides: &'a Overrides,
    pub names: &'a Names,
    pub draft: Draft,
    /// Resource group id -> how it is named.
    pub rgs: BTreeMap<&'a str, RgRef>,
    /// Resource group ids some statement names (declared at the end).
    pub used_rgs: BTreeSet<&'a str>,
    /// The default group, named as a project's scope (declared `existing`).
    pub default_scope: bool,
    /// Instance guid -> name.
    pub instances: BTreeMap<&'a str, String>,
    /// Role CRN -> qpol name.
    pub roles: BTreeMap<&'a str, String>,
    /// Realm -> identity provider.
    pub idps: BTreeMap<String, IdpInfo>,
    /// IAM id -> declared user name; service id IAM id -> declared name.
    pub users: BTreeMap<String, String>,
    pub user_names: Namespace,
    /// The account's users: IAM id -> email.
    pub emails: BTreeMap<&'a str, &'a str>,
    pub service_ids: BTreeMap<String, String>,
    /// What the account's raised limits must hold: the most rules of one
    /// access group, rules per idp name, policies.
    pub most_rules: usize,
    pub idp_rules: BTreeMap<String, usize>,
    pub policies: usize,
}

/// Build a draft of the policy for `account`, leaving out what `overrides` says.
pub fn build(account: &Account, overrides: &Overrides, names: &Names) -> Draft {
    let mut cx = Ctx {
        account,
        overrides,
        names,
        draft: Draft::default(),
        rgs: BTreeMap::new(),
        used_rgs: BTreeSet::new(),
        default_scope: false,
        instances: BTreeMap::new(),
        roles: BTreeMap::new(),
        idps: BTreeMap::new(),
        users: BTreeMap::new(),
        user_names: Namespace::new("-", Some(100)),
        emails: account
            .users
            .iter()
            .map(|u| (u.iam_id.as_str(), u.email.as_str()))
            .collect(),
        service_ids: BTreeMap::new(),
        most_rules: 0,
        idp_rules: BTreeMap::new(),
        policies: 0,
    };
    for name in &names.taken {
        cx.user_names.reserve(name);
    }
    cx.resource_group_refs();
    cx.instances();
    cx.roles();
    cx.idps();
    cx.groups();
    cx.resource_groups();
    cx.settings();
    cx.draft
}

impl<'a> Ctx<'a> {
    pub fn chunk(&mut self, section: Section, name: &str, key: Key, text: String) {
        self.draft.chunks.push(Chunk {
            section,
            name: name.to_string(),
            key,
            text,
        });
    }

    /// Keep `object` as a comment; `why` goes into the comment and a note.
    pub fn comment(
        &mut self,
        kind: &'static str,
        name: &str,
        why: String,
        object: &impl Serialize,
    ) {
        let raw = serde_json::to_value(object).unwrap_or_default();
        self.draft.comments.push(Commented {
            kind,
            name: name.to_string(),
            reason: why,
            raw: ascii_json(&raw),
        });
    }

    /// Why a statement is left out, if the checker said so.
    pub fn demoted(&self, key: &Key) -> Option<String> {
        self.overrides.demoted.get(key).cloned()
    }

    fn settings(&mut self) {
        let a = self.account;
        let mut items = Vec::new();
        if is_account_id(&a.account_id) {
            items.push(format!("id {}", quote(&a.account_id)));
        } else {
            let why = format!(
                "account id {} is not 32 lowercase hexadecimal digits; `account {{ id }}` is left out",
                shown(&a.account_id)
            );
            self.draft.notes.push(why);
        }
        let mut unknown = Vec::new();
        if let Some(s) = &a.identity_settings {
            let restriction = |v: &Option<String>, restricted: &'static str| match v.as_deref() {
                None => Ok(None),
                Some("RESTRICTED") => Ok(Some("restricted")),
                Some("NOT_RESTRICTED") => Ok(Some(restricted)),
                Some("NOT_SET") => Ok(Some("not_set")),
                Some(other) => Err(other.to_string()),
            };
            for (key, value, allowed) in [
                (
                    "user_list_visibility",
                    &s.restrict_user_list_visibility,
                    "unrestricted",
                ),
                (
                    "api_key_creation",
                    &s.restrict_create_platform_apikey,
                    "allowed",
                ),
                (
                    "service_id_creation",
                    &s.restrict_create_service_id,
                    "allowed",
                ),
            ] {
                match restriction(value, allowed) {
                    // User list visibility has no NOT_SET in the language.
                    Ok(Some("not_set")) if key == "user_list_visibility" => {
                        unknown.push(format!("{key} NOT_SET"))
                    }
                    Ok(Some(v)) => items.push(format!("{key} {v}")),
                    Ok(None) => {}
                    Err(other) => unknown.push(format!("{key} {}", shown(&other))),
                }
            }
            const MFA: &[&str] = &[
                "none",
                "none_no_ropc",
                "totp",
                "totp4all",
                "level1",
                "level2",
                "level3",
            ];
            if let Some(mfa) = &s.mfa {
                let lower = mfa.to_ascii_lowercase();
                if MFA.contains(&lower.as_str()) {
                    items.push(format!("mfa {lower}"));
                } else {
                    unknown.push(format!("mfa {}", shown(mfa)));
                }
            }
        }
        if let Some(g) = &a.access_group_settings {
            let v = if g.public_access_enabled {
                "enabled"
            } else {
                "disabled"
            };
            items.push(format!("public_access_groups {v}"));
        }
        if !unknown.is_empty() {
            self.draft.notes.push(format!(
                "account settings the language cannot express are left as they are: {}",
                unknown.join(", ")
            ));
        }
        let limits = self.limits();
        if !limits.is_empty() {
            items.push(format!("limits {{ {}; }}", limits.join("; ")));
        }
        if items.is_empty() {
            return;
        }
        if let Some(why) = self.demoted(&Key::Account) {
            self.comment("account settings", &a.account_id, why, &a.identity_settings);
            return;
        }
        let text = format!("account {{ {}; }}", items.join("; "));
        self.chunk(Section::Account, "", Key::Account, text);
    }

    /// The limits IBM raises that the account is past (IBM's figure for
    /// policies past its recommended 1,000: the size is deliberate).
    fn limits(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.most_rules > 5 {
            out.push(format!("dynamic_rules_per_group {}", self.most_rules));
        }
        if let Some(most) = self.idp_rules.values().copied().max().filter(|n| *n > 2000) {
            out.push(format!("dynamic_rules_per_idp {most}"));
        }
        if self.idps.len() > 5 {
            out.push(format!("identity_providers {}", self.idps.len()));
        }
        if self.policies > 1000 {
            out.push(format!("policies {}", self.policies.max(4020)));
        }
        if self.service_ids.len() > 2000 {
            out.push(format!("service_ids {}", self.service_ids.len()));
        }
        out
    }

    /// How each resource group is named.
    fn resource_group_refs(&mut self) {
        let mut groups: Vec<_> = self.account.resource_groups.iter().collect();
        groups.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        let mut seen = BTreeSet::new();
        for g in groups {
            let r = if let Some(why) = self.demoted(&Key::ResourceGroup(g.id.clone())) {
                RgRef::Bad(why)
            } else if g.default {
                RgRef::Default
            } else if !is_ident(&g.name) {
                RgRef::Bad(format!(
                    "resource group {}: {}",
                    shown(&g.name),
                    why_not_ident(&g.name)
                ))
            } else if !seen.insert(g.name.as_str()) {
                RgRef::Bad(format!("two resource groups are named {}", shown(&g.name)))
            } else {
                RgRef::Named(g.name.clone())
            };
            self.rgs.insert(g.id.as_str(), r);
        }
    }

    /// The `resource_group NAME` setting of an object in group `id` (empty
    /// for the default group), or why it cannot be written.
    pub fn rg_setting(&mut self, id: &'a str) -> Result<String, String> {
        match self.rgs.get(id) {
            Some(RgRef::Default) => Ok(String::new()),
            Some(RgRef::Named(name)) => {
                self.used_rgs.insert(id);
                Ok(format!("resource_group {name}"))
            }
            Some(RgRef::Bad(why)) => Err(why.clone()),
            None => Err(format!(
                "its resource group {} is not in the account",
                shown(id)
            )),
        }
    }

    /// Declarations of the resource groups the statements name.
    fn resource_groups(&mut self) {
        let a = self.account;
        for g in &a.resource_groups {
            let scope_default = g.default && self.default_scope && is_ident(&g.name);
            if !self.used_rgs.contains(g.id.as_str()) && !scope_default {
                continue;
            }
            let text = if g.default {
                format!("resource_group {} existing;", g.name)
            } else {
                format!("resource_group {};", g.name)
            };
            self.chunk(
                Section::ResourceGroup,
                &g.name,
                Key::ResourceGroup(g.id.clone()),
                text,
            );
        }
    }

    /// The plan name of a catalog plan id of `service`.
    pub fn plan_name(&self, service: &str, plan_id: &str) -> Option<&'a str> {
        self.account.catalog.iter().find_map(|(key, id)| {
            let (s, plan) = key.split_once('/')?;
            (s == service && id == plan_id).then_some(plan)
        })
    }

    /// The catalog service of an instance.
    pub fn service_of(&self, x: &Instance) -> Option<&'a str> {
        self.account
            .catalog
            .iter()
            .find(|(key, id)| !key.contains('/') && **id == x.resource_id)
            .map(|(key, _)| key.as_str())
    }

    fn instances(&mut self) {
        let a = self.account;
        let mut sorted: Vec<&'a Instance> = a.instances.iter().collect();
        sorted.sort_by(|x, y| (&x.name, &x.id).cmp(&(&y.name, &y.id)));
        let mut names = BTreeSet::new();
        for x in sorted {
            match self.service_of(x) {
                Some(QISKIT) => {}
                Some(APPID) => continue,
                _ => {
                    let why = "its service is neither quantum-computing nor appid in the catalog"
                        .to_string();
                    self.comment("instance", &x.name, why, x);
                    continue;
                }
            }
            match self.instance(x, &mut names) {
                Ok(text) => {
                    self.instances.insert(x.guid.as_str(), x.name.clone());
                    self.chunk(
                        Section::Instance,
                        &x.name,
                        Key::Instance(x.id.clone()),
                        text,
                    );
                }
                Err(why) => self.comment("instance", &x.name, why, x),
            }
        }
    }

    fn instance(
        &mut self,
        x: &'a Instance,
        names: &mut BTreeSet<&'a str>,
    ) -> Result<String, String> {
        if let Some(why) = self.demoted(&Key::Instance(x.id.clone())) {
            return Err(why);
        }
        if matches!(x.state.as_str(), "removed" | "pending_reclamation") {
            return Err(format!("it is {} (being deleted)", shown(&x.state)));
        }
        if !is_ident(&x.name) {
            return Err(why_not_ident(&x.name));
        }
        if !names.insert(x.name.as_str()) {
            return Err("another instance has the same name (the first by id is imported)".into());
        }
        let plan = self.plan_name(QISKIT, &x.resource_plan_id).ok_or_else(|| {
            format!(
                "its plan {} is not in the catalog",
                shown(&x.resource_plan_id)
            )
        })?;
        if !is_ident(plan) {
            return Err(format!(
                "its plan {} is not a name the language can write",
                shown(plan)
            ));
        }
        // The region is the checker's to judge (Q105): `policy` leaves out
        // a declaration it refuses.
        if !is_ident(&x.region_id) {
            return Err(format!("its region {} is not a name", shown(&x.region_id)));
        }
        let rg = self.rg_setting(&x.resource_group_id)?;
        let mut items = vec![format!("plan {plan}"), format!("region {}", x.region_id)];
        if !rg.is_empty() {
            items.push(rg);
        }
        Ok(format!("instance {} {{ {}; }}", x.name, items.join("; ")))
    }
}

/// A description without qpol's marker (and the blank before it); `None`
/// when nothing is left.
pub fn strip_marker(description: Option<&str>) -> Option<&str> {
    let d = description?;
    let d = d.strip_suffix(crate::live::MARKER).map_or(d, str::trim_end);
    (!d.is_empty()).then_some(d)
}

fn is_account_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Draft {
    /// The policy text: a header, the statements by section and name, then
    /// the comments.
    pub fn render(&self) -> Rendered {
        let mut text = String::from(
            "# Imported by `qpol import` from a live IBM Cloud account.\n\
             # Objects the language cannot express are kept at the end as comments,\n\
             # each with the raw object as one line of JSON.\n\n",
        );
        let mut chunks: Vec<&Chunk> = self.chunks.iter().collect();
        chunks.sort_by(|a, b| (a.section, &a.name, &a.key).cmp(&(b.section, &b.name, &b.key)));
        let mut ranges = Vec::with_capacity(chunks.len());
        for (n, c) in chunks.into_iter().enumerate() {
            if n > 0 {
                text.push('\n');
            }
            let lo = text.len();
            text.push_str(&c.text);
            ranges.push((lo, text.len(), c.key.clone()));
            text.push('\n');
        }
        let comments = self.sorted_comments();
        if !comments.is_empty() {
            text.push_str("\n# Not imported:\n");
            for c in comments {
                text.push_str(&format!(
                    "# {} {}: {}\n# {}\n",
                    c.kind,
                    shown(&c.name),
                    ascii_only(&c.reason),
                    c.raw
                ));
            }
        }
        Rendered { text, ranges }
    }

    fn sorted_comments(&self) -> Vec<&Commented> {
        let mut comments: Vec<&Commented> = self.comments.iter().collect();
        comments.sort_by(|a, b| (a.kind, &a.name, &a.raw).cmp(&(b.kind, &b.name, &b.raw)));
        comments
    }

    /// Every note: one per comment, then the others.
    pub fn all_notes(&self) -> Vec<String> {
        self.sorted_comments()
            .into_iter()
            .map(|c| {
                format!(
                    "{} {} not imported: {}; kept as a comment",
                    c.kind,
                    shown(&c.name),
                    c.reason
                )
            })
            .chain(self.notes.iter().cloned())
            .collect()
    }
}
