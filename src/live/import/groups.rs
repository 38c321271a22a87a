//! Access groups -> projects: the group's dynamic rules become `members
//! where` sources on its identity provider's claims, its static members
//! declared users and service ids, and its policies (Viewer plus one custom
//! role on Qiskit Runtime instances or resource groups) the project's
//! `instances`, `resource_group` and `role`. A rule, member or policy the
//! language cannot express is kept as a comment; a group with no policy it
//! can express is kept whole as one.

use super::draft::{strip_marker, Ctx, RgRef, Section, QISKIT};
use super::escape::{is_ident, is_name, make_ident, quote, shown, why_not_ident};
use super::Key;
use crate::live::account::{AccessGroup, Condition, Member, Policy, Rule};
use std::collections::{BTreeMap, BTreeSet};

/// The platform role every project's policies carry beside the custom role.
const VIEWER: &str = "crn:v1:bluemix:public:iam::::role:Viewer";

/// Where a policy gives its role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    Instance(String),
    ResourceGroup(String),
}

impl<'a> Ctx<'a> {
    pub(super) fn groups(&mut self) {
        let a = self.account;
        let mut by_group: BTreeMap<&str, Vec<&'a Policy>> = BTreeMap::new();
        for p in &a.policies {
            by_group
                .entry(p.access_group_id.as_str())
                .or_default()
                .push(p);
        }
        let mut sorted: Vec<&'a AccessGroup> = a.access_groups.iter().collect();
        sorted.sort_by(|x, y| (&x.name, &x.id).cmp(&(&y.name, &y.id)));
        let mut units = BTreeSet::new();
        let mut projects = BTreeMap::new();
        for g in sorted {
            let policies = by_group.remove(g.id.as_str()).unwrap_or_default();
            match self.project(g, &policies, &mut units) {
                Ok(()) => {
                    projects.insert(g.id.as_str(), g.name.as_str());
                }
                Err(why) => self.comment("access group", &g.name, why, g),
            }
        }
        for p in by_group.into_values().flatten() {
            let why = "its access group is not in the account".to_string();
            self.comment("policy", &p.id, why, p);
        }
        self.allows(&projects);
    }

    /// The project of an access group, or why there is none (its policies
    /// are then comments too).
    fn project(
        &mut self,
        g: &'a AccessGroup,
        policies: &[&'a Policy],
        units: &mut BTreeSet<&'a str>,
    ) -> Result<(), String> {
        let early = if let Some(why) = self.demoted(&Key::Project(g.id.clone())) {
            Some(why)
        } else if !is_ident(&g.name) {
            Some(why_not_ident(&g.name))
        } else if !units.insert(g.name.as_str()) {
            Some("another access group has the same name".to_string())
        } else {
            None
        };
        if let Some(why) = early {
            for p in policies {
                let not = format!("its access group {} is not imported", shown(&g.name));
                self.comment("policy", &p.id, not, *p);
            }
            return Err(why);
        }
        let (scopes, role) = self.scopes(g, policies)?;
        let mut items = Vec::new();
        let instances: Vec<&str> = scopes
            .iter()
            .filter_map(|s| match s {
                Scope::Instance(n) => Some(n.as_str()),
                Scope::ResourceGroup(_) => None,
            })
            .collect();
        let rgs: Vec<&str> = scopes
            .iter()
            .filter_map(|s| match s {
                Scope::ResourceGroup(n) => Some(n.as_str()),
                Scope::Instance(_) => None,
            })
            .collect();
        if !instances.is_empty() {
            items.push(format!("instances {}", instances.join(", ")));
        }
        if !rgs.is_empty() {
            items.push(format!("resource_group {}", rgs.join(", ")));
        }
        match strip_marker(g.description.as_deref()) {
            Some(d) if d == format!("Project {}", g.name) => {}
            Some(d) => items.push(format!("description {}", quote(d))),
            None => self.draft.notes.push(format!(
                "access group {} has no description; qpol describes it \"Project {}\"",
                shown(&g.name),
                g.name
            )),
        }
        let mut sources = self.rules(g);
        self.most_rules = self.most_rules.max(sources.len());
        self.policies += scopes.len();
        sources.extend(self.members(g));
        if !sources.is_empty() {
            items.push(format!("members {}", sources.join(", ")));
        }
        items.push(format!("role {role}"));
        let text = format!("project {} {{ {}; }}", g.name, items.join("; "));
        self.chunk(Section::Project, &g.name, Key::Project(g.id.clone()), text);
        Ok(())
    }

    /// The scopes and role of a group's policies: the custom role most of
    /// them give (ties: by name); every other policy is a comment.
    fn scopes(
        &mut self,
        g: &'a AccessGroup,
        policies: &[&'a Policy],
    ) -> Result<(BTreeSet<Scope>, String), String> {
        let mut good = Vec::new();
        for p in policies {
            match self.classify(p) {
                Ok((scope, role)) => good.push((*p, scope, role)),
                Err(why) => {
                    let why = format!("{why} (access group {})", shown(&g.name));
                    self.comment("policy", &p.id, why, *p);
                }
            }
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, _, role) in &good {
            *counts.entry(role.as_str()).or_default() += 1;
        }
        let Some(role) = counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(r, _)| r.to_string())
        else {
            return Err(
                "none of its policies gives Viewer plus one imported custom role on Qiskit Runtime instances or resource groups"
                    .into(),
            );
        };
        let mut scopes = BTreeSet::new();
        for (p, scope, r) in good {
            if r != role {
                let why = format!(
                    "access group {} gives role {} elsewhere; a project has one role",
                    shown(&g.name),
                    role
                );
                self.comment("policy", &p.id, why, p);
            } else if !scopes.insert(scope) {
                let why = "another policy of its access group has the same resource and role";
                self.comment("policy", &p.id, why.to_string(), p);
            }
        }
        Ok((scopes, role))
    }

    /// A policy's scope and custom role (qpol name), or why it has none.
    fn classify(&mut self, p: &'a Policy) -> Result<(Scope, String), String> {
        let mut resource = p.resource.clone();
        if resource.remove("serviceName").as_deref() != Some(QISKIT) {
            return Err("it is not on the quantum-computing service".into());
        }
        if resource.remove("accountId").as_deref() != Some(self.account.account_id.as_str()) {
            return Err("its resource does not name the account".into());
        }
        let scope = if let Some(guid) = resource.remove("serviceInstance") {
            let name = self
                .instances
                .get(guid.as_str())
                .ok_or("it is on an instance that is not imported")?;
            Scope::Instance(name.clone())
        } else if let Some(id) = resource.remove("resourceGroupId") {
            Scope::ResourceGroup(self.rg_scope(&id)?)
        } else {
            return Err("it is on the whole service, not on instances".into());
        };
        if !resource.is_empty() {
            let keys: Vec<&str> = resource.keys().map(String::as_str).collect();
            return Err(format!(
                "its resource has attributes the language does not write: {}",
                shown(&keys.join(", "))
            ));
        }
        let others: Vec<&String> = p.roles.iter().filter(|r| *r != VIEWER).collect();
        let role = match others.as_slice() {
            [one] if p.roles.iter().any(|r| r == VIEWER) => self.roles.get(one.as_str()),
            _ => None,
        };
        let shown_roles = || {
            let tails: Vec<&str> = p
                .roles
                .iter()
                .map(|r| r.rsplit(':').next().unwrap_or(r))
                .collect();
            shown(&tails.join(", "))
        };
        let role = role.ok_or_else(|| {
            format!(
                "its roles {} are not Viewer plus one imported quantum-computing custom role",
                shown_roles()
            )
        })?;
        Ok((scope, role.clone()))
    }

    /// The name a project's `resource_group` gives a group id.
    fn rg_scope(&mut self, id: &str) -> Result<String, String> {
        let group = self.account.resource_groups.iter().find(|g| g.id == id);
        match (self.rgs.get(id).cloned(), group) {
            (Some(RgRef::Named(name)), Some(g)) => {
                self.used_rgs.insert(g.id.as_str());
                Ok(name)
            }
            (Some(RgRef::Default), Some(g)) if is_ident(&g.name) => {
                self.default_scope = true;
                Ok(g.name.clone())
            }
            (Some(RgRef::Bad(why)), _) => Err(why),
            _ => Err("its resource group is not one the language can name".into()),
        }
    }

    /// The `where` sources of a group's rules (the others become comments).
    fn rules(&mut self, g: &'a AccessGroup) -> Vec<String> {
        let mut rules: Vec<&'a Rule> = g.rules.iter().collect();
        rules.sort_by(|x, y| (&x.name, &x.id).cmp(&(&y.name, &y.id)));
        let from = self.idps.len() > 1;
        let mut sources = Vec::new();
        let mut live_names = Vec::new();
        for r in rules {
            match self.rule_source(r, from) {
                Ok(source) => {
                    if let Some(idp) = self.idps.get(&r.realm_name) {
                        *self.idp_rules.entry(idp.name.clone()).or_default() += 1;
                    }
                    sources.push(source);
                    live_names.push(r.name.as_str());
                }
                Err(why) => {
                    let why = format!("{why} (access group {})", shown(&g.name));
                    self.comment("dynamic rule", &r.name, why, r);
                }
            }
        }
        let qpol_names: Vec<String> = match live_names.len() {
            1 => vec![format!("{}-members", g.name)],
            n => (1..=n).map(|i| format!("{}-members-{i}", g.name)).collect(),
        };
        if live_names.iter().zip(&qpol_names).any(|(l, q)| l != q) {
            self.draft.notes.push(format!(
                "access group {}: qpol names its rules {}, not {}",
                shown(&g.name),
                shown(&qpol_names.join(", ")),
                shown(&live_names.join(", "))
            ));
        }
        sources
    }

    fn rule_source(&self, r: &Rule, from: bool) -> Result<String, String> {
        let idp = self
            .idps
            .get(&r.realm_name)
            .ok_or_else(|| format!("its realm {} is not imported", shown(&r.realm_name)))?;
        if r.expiration != idp.session {
            return Err(format!(
                "its expiration of {} hours is not the {} hours of its identity provider's other rules",
                r.expiration, idp.session
            ));
        }
        if r.conditions.is_empty() {
            return Err("it has no condition".into());
        }
        let conditions = r
            .conditions
            .iter()
            .map(condition)
            .collect::<Result<Vec<_>, _>>()?;
        let from = if from {
            format!("from {} ", idp.name)
        } else {
            String::new()
        };
        Ok(format!("{from}where {}", conditions.join(" and ")))
    }

    /// Static members as declared users and service ids.
    fn members(&mut self, g: &'a AccessGroup) -> Vec<String> {
        let mut members: Vec<&'a Member> = g.members.iter().collect();
        members.sort_by(|x, y| (&x.kind, &x.iam_id).cmp(&(&y.kind, &y.iam_id)));
        let mut sources = Vec::new();
        for m in members {
            let source = match m.kind.as_str() {
                "user" => self.user_ref(&m.iam_id).map(|n| format!("user {n}")),
                "service" => self.service_ref(&m.iam_id),
                other => Err(format!(
                    "members of type {} are not ones the language has",
                    shown(other)
                )),
            };
            match source {
                Ok(s) => sources.push(s),
                Err(why) => {
                    let why = format!("{why} (access group {})", shown(&g.name));
                    self.comment("member", &m.iam_id, why, m);
                }
            }
        }
        sources
    }

    /// The declared user of an IAM id (by email when the account's users
    /// give one), declared on first use; as [`super::Names`] says when it
    /// names the id or email.
    fn user_ref(&mut self, iam_id: &str) -> Result<String, String> {
        if let Some(name) = self.users.get(iam_id) {
            return Ok(name.clone());
        }
        let email = self.emails.get(iam_id).copied();
        for id in [Some(iam_id), email].into_iter().flatten() {
            if self.names.literal.contains(id) {
                let written = quote(id);
                self.users.insert(iam_id.to_string(), written.clone());
                return Ok(written);
            }
        }
        let key = Key::User(iam_id.to_string());
        if let Some(why) = self.demoted(&key) {
            return Err(why);
        }
        let email = self
            .emails
            .get(iam_id)
            .copied()
            .filter(|e| plausible_id(e, true));
        let (wanted, setting) = match email {
            Some(e) => (
                e.split('@').next().unwrap_or(e),
                format!("email {}", quote(e)),
            ),
            None if plausible_id(iam_id, false) => (iam_id, format!("iam_id {}", quote(iam_id))),
            None => return Err("its IAM id is not one the language can write".into()),
        };
        let name = self.user_names.claim(&make_ident(wanted, "user"));
        let text = format!("user {name} {{ {setting}; }}");
        self.chunk(Section::User, &name, key, text);
        self.users.insert(iam_id.to_string(), name.clone());
        Ok(name)
    }

    /// `service_id NAME` of a service id of the account (declared on first
    /// use: created by qpol when it carries the marker, else existing by IAM
    /// id), or `service_id "IAM-ID"`.
    fn service_ref(&mut self, iam_id: &str) -> Result<String, String> {
        if let Some(name) = self.service_ids.get(iam_id) {
            return Ok(format!("service_id {name}"));
        }
        let key = Key::ServiceId(iam_id.to_string());
        let declared = self.demoted(&key).is_none().then(|| {
            self.account
                .service_ids
                .iter()
                .find(|s| s.iam_id == iam_id && is_ident(&s.name))
        });
        let taken = |name: &str| self.service_ids.values().any(|n| n == name);
        match declared.flatten() {
            Some(s) if !taken(&s.name) => {
                let marked = s
                    .description
                    .as_deref()
                    .is_some_and(|d| d.ends_with(crate::live::MARKER));
                let text = if marked {
                    match strip_marker(s.description.as_deref()) {
                        Some(d) => format!("service_id {} {{ description {}; }}", s.name, quote(d)),
                        None => format!("service_id {};", s.name),
                    }
                } else {
                    format!("service_id {} {{ iam_id {}; }}", s.name, quote(iam_id))
                };
                self.chunk(Section::ServiceId, &s.name, key, text);
                self.service_ids.insert(iam_id.to_string(), s.name.clone());
                Ok(format!("service_id {}", s.name))
            }
            _ if plausible_id(iam_id, false) => Ok(format!("service_id {}", quote(iam_id))),
            _ => Err("its IAM id is not one the language can write".into()),
        }
    }

    /// `allow Q201` for the overlaps of live rules the checker found.
    fn allows(&mut self, projects: &BTreeMap<&str, &str>) {
        for (group, admitted) in &self.overrides.overlaps {
            let Some(project) = projects.get(group.as_str()) else {
                continue;
            };
            let reason = "imported: the live rules already overlap; narrow them, or keep this";
            let text = match admitted {
                Some(names) => {
                    let list: Vec<String> = names.iter().map(|n| format!("project {n}")).collect();
                    format!(
                        "allow Q201 on project {project} for {} {};",
                        list.join(", "),
                        quote(reason)
                    )
                }
                None => format!("allow Q201 on project {project} {};", quote(reason)),
            };
            self.draft.notes.push(format!(
                "access group {}: its dynamic rule also admits users of other projects (Q201); acknowledged with `allow Q201` so that the import checks clean: review it",
                shown(project)
            ));
            self.chunk(Section::Allow, project, Key::Allow(group.clone()), text);
        }
    }
}

/// One condition of a live rule, written as the language writes it.
fn condition(c: &Condition) -> Result<String, String> {
    if !is_name(&c.claim) {
        return Err(format!("its claim {} is not a name", shown(&c.claim)));
    }
    const OPERATORS: &[&str] = &[
        "CONTAINS",
        "EQUALS",
        "NOT_EQUALS",
        "EQUALS_IGNORE_CASE",
        "NOT_EQUALS_IGNORE_CASE",
    ];
    if !OPERATORS.contains(&c.operator.as_str()) {
        return Err(format!(
            "its operator {} is not one the language has",
            shown(&c.operator)
        ));
    }
    let value = c
        .value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(|| {
            format!(
                "its value {} is not quoted as the Terraform provider and qpol send it (\"\\\"ml\\\"\")",
                shown(&c.value)
            )
        })?;
    if let Some(hidden) = value
        .chars()
        .find(|ch| crate::diag::escape::hidden(*ch).is_some())
    {
        return Err(format!(
            "its value holds U+{:04X}, a character a reader cannot see (IAM compares it, so the rule never matches what a reviewer reads)",
            u32::from(hidden)
        ));
    }
    let operator = match c.operator.as_str() {
        "CONTAINS" => {
            let delimited = value
                .strip_prefix(',')
                .and_then(|v| v.strip_suffix(','))
                .filter(|v| !v.is_empty() && !v.contains(','));
            if let Some(inner) = delimited {
                return Ok(format!("{} has {}", c.claim, quote(inner)));
            }
            if value.is_empty() {
                return Err("its CONTAINS \"\" admits every user who has the claim".into());
            }
            "contains"
        }
        "EQUALS" => "equals",
        "NOT_EQUALS" => "not_equals",
        "EQUALS_IGNORE_CASE" => "equals_ignore_case",
        "NOT_EQUALS_IGNORE_CASE" => "not_equals_ignore_case",
        other => {
            return Err(format!(
                "its operator {} is not one the language has",
                shown(other)
            ))
        }
    };
    Ok(format!("{} {operator} {}", c.claim, quote(value)))
}

/// Could this be written as an email or IAM id (`user "..."`)?
fn plausible_id(id: &str, email: bool) -> bool {
    !id.is_empty()
        && id.len() <= 256
        && id.chars().all(|c| {
            ('!'..='~').contains(&c) && !"\"`,;<>()[]{}\\".contains(c) && (c != '\'' || email)
        })
        && (!email || id.contains('@'))
}
