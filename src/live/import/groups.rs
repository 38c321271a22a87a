//! Access groups -> projects and groups: the group's dynamic rules become
//! `members where` sources on its identity provider's claims, its static
//! members declared users and service ids, and its policies (Viewer plus
//! custom roles on Qiskit Runtime instances or resource groups,
//! [`super::grants`]) either a project's `instances`, `resource_group`
//! and `role`, or, when a `group` of the other imported units compiles to
//! exactly those policies ([`super::nesting`]), the group's `projects` and
//! `groups`. A rule, member or policy the language cannot express is kept
//! as a comment; a group with no policy it can express is kept whole as one.

use super::draft::{strip_marker, Ctx, Section};
use super::escape::{is_ident, is_name, make_ident, quote, shown, why_not_ident};
use super::grants::{self, Grant};
use super::nesting::{self, Candidate, Grants, GroupForm, Scope};
use super::Key;
use crate::live::account::{AccessGroup, Condition, Member, Policy, Rule};
use std::collections::{BTreeMap, BTreeSet};

/// An access group on its way to a project or a group: the policies the
/// language can write.
pub(super) struct UnitDraft<'a> {
    g: &'a AccessGroup,
    grants: Vec<Grant<'a>>,
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
        let mut drafts = Vec::new();
        for g in sorted {
            let policies = by_group.remove(g.id.as_str()).unwrap_or_default();
            match self.unit_draft(g, &policies, &mut units) {
                Ok(d) => drafts.push(d),
                Err(why) => self.comment("access group", &g.name, why, g),
            }
        }
        for p in by_group.into_values().flatten() {
            let why = "its access group is not in the account".to_string();
            self.comment("policy", &p.id, why, p);
        }
        let candidates: Vec<Candidate> = drafts.iter().map(|d| self.candidate(d)).collect();
        let forms = nesting::shape(&candidates);
        let mut written = BTreeMap::new();
        for (i, d) in drafts.iter().enumerate() {
            let result = match forms.get(&i) {
                Some(form) => {
                    self.group(d, form, &drafts, &forms);
                    Ok("group")
                }
                None => self.project(d).map(|()| "project"),
            };
            match result {
                Ok(kind) => {
                    written.insert(d.g.id.as_str(), (d.g.name.as_str(), kind));
                }
                Err(why) => self.comment("access group", &d.g.name, why, d.g),
            }
        }
        self.allows(&written);
    }

    /// The policies of an access group the language can write (the others
    /// become comments), or why it is no unit at all (its policies are
    /// then comments too).
    fn unit_draft(
        &mut self,
        g: &'a AccessGroup,
        policies: &[&'a Policy],
        units: &mut BTreeSet<&'a str>,
    ) -> Result<UnitDraft<'a>, String> {
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
        let mut grants = Vec::new();
        for p in policies {
            match self.classify(p) {
                Ok((scope, roles)) => grants.push((*p, scope, roles)),
                Err(why) => {
                    let why = format!("{why} (access group {})", shown(&g.name));
                    self.comment("policy", &p.id, why, *p);
                }
            }
        }
        Ok(UnitDraft { g, grants })
    }

    /// What nesting needs to know of a unit.
    fn candidate(&self, d: &UnitDraft<'a>) -> Candidate {
        let name = &d.g.name;
        let flat = grants::flat(name, &d.grants);
        let mut live = Grants::new();
        let mut unique = true;
        for (_, scope, roles) in &d.grants {
            let roles = roles.iter().cloned().collect();
            unique &= live.insert(scope.clone(), roles).is_none();
        }
        let description = strip_marker(d.g.description.as_deref());
        Candidate {
            name: name.clone(),
            group_described: description == Some(format!("Group {name}").as_str()),
            project_described: description == Some(format!("Project {name}").as_str()),
            flat: flat.role.map(|role| (flat.scopes, role)),
            live: unique.then_some(live),
            refused: self.demoted(&Key::Group(d.g.id.clone())).is_some(),
        }
    }

    /// The flat project of an access group, or why there is none.
    fn project(&mut self, d: &UnitDraft<'a>) -> Result<(), String> {
        let g = d.g;
        let flat = grants::flat(&g.name, &d.grants);
        for (p, why) in flat.rejected {
            self.comment("policy", &p.id, why, p);
        }
        let Some(role) = flat.role else {
            return Err(
                "none of its policies gives Viewer plus one imported custom role on Qiskit Runtime instances or resource groups"
                    .into(),
            );
        };
        let scopes = flat.scopes;
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
        self.policies += scopes.len();
        self.description_and_members(g, "Project", &mut items);
        items.push(format!("role {role}"));
        let text = format!("project {} {{ {}; }}", g.name, items.join("; "));
        self.chunk(Section::Project, &g.name, Key::Project(g.id.clone()), text);
        Ok(())
    }

    /// An access group as a group of other units (`forms` says which are
    /// groups).
    fn group(
        &mut self,
        d: &UnitDraft<'a>,
        form: &GroupForm,
        drafts: &[UnitDraft<'a>],
        forms: &BTreeMap<usize, GroupForm>,
    ) {
        let g = d.g;
        let mut projects = Vec::new();
        let mut groups = Vec::new();
        for &c in &form.children {
            let Some(child) = drafts.get(c) else { continue };
            let list = if forms.contains_key(&c) {
                &mut groups
            } else {
                &mut projects
            };
            list.push(child.g.name.as_str());
        }
        projects.sort_unstable();
        groups.sort_unstable();
        let mut items = Vec::new();
        if !projects.is_empty() {
            items.push(format!("projects {}", projects.join(", ")));
        }
        if !groups.is_empty() {
            items.push(format!("groups {}", groups.join(", ")));
        }
        self.policies += d.grants.len();
        self.description_and_members(g, "Group", &mut items);
        if let Some(role) = &form.role {
            items.push(format!("role {role}"));
        }
        let text = format!("group {} {{ {}; }}", g.name, items.join("; "));
        self.chunk(Section::Project, &g.name, Key::Group(g.id.clone()), text);
    }

    /// A unit's `description` (unless it is qpol's `KIND NAME`) and
    /// `members` (its rules, then its static members).
    fn description_and_members(&mut self, g: &'a AccessGroup, kind: &str, items: &mut Vec<String>) {
        match strip_marker(g.description.as_deref()) {
            Some(d) if d == format!("{kind} {}", g.name) => {}
            Some(d) => items.push(format!("description {}", quote(d))),
            None => self.draft.notes.push(format!(
                "access group {} has no description; qpol describes it \"{kind} {}\"",
                shown(&g.name),
                g.name
            )),
        }
        let mut sources = self.rules(g);
        self.most_rules = self.most_rules.max(sources.len());
        sources.extend(self.members(g));
        if !sources.is_empty() {
            items.push(format!("members {}", sources.join(", ")));
        }
    }

    /// The `where` sources of a group's rules (the others become comments).
    fn rules(&mut self, g: &'a AccessGroup) -> Vec<String> {
        let mut rules: Vec<&'a Rule> = g.rules.iter().collect();
        rules.sort_by(|x, y| (&x.name, &x.id).cmp(&(&y.name, &y.id)));
        let from = self.idps.len() > 1;
        let mut sources = Vec::new();
        for r in rules {
            match self.rule_source(r, from) {
                Ok(source) => {
                    if let Some(idp) = self.idps.get(&r.realm_name) {
                        *self.idp_rules.entry(idp.name.clone()).or_default() += 1;
                    }
                    sources.push(source);
                }
                Err(why) => {
                    let why = format!("{why} (access group {})", shown(&g.name));
                    self.comment("dynamic rule", &r.name, why, r);
                }
            }
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
    fn allows(&mut self, units: &BTreeMap<&str, (&str, &str)>) {
        let kind_of = |name: &str| {
            units
                .values()
                .find(|(n, _)| *n == name)
                .map_or("project", |(_, kind)| *kind)
        };
        for (group, admitted) in &self.overrides.overlaps {
            let Some((unit, kind)) = units.get(group.as_str()) else {
                continue;
            };
            let reason = "imported: the live rules already overlap; narrow them, or keep this";
            let text = match admitted {
                Some(names) => {
                    let list: Vec<String> = names
                        .iter()
                        .map(|n| format!("{} {n}", kind_of(n)))
                        .collect();
                    format!(
                        "allow Q201 on {kind} {unit} for {} {};",
                        list.join(", "),
                        quote(reason)
                    )
                }
                None => format!("allow Q201 on {kind} {unit} {};", quote(reason)),
            };
            self.draft.notes.push(format!(
                "access group {}: its dynamic rule also admits users of other projects (Q201); acknowledged with `allow Q201` so that the import checks clean: review it",
                shown(unit)
            ));
            self.chunk(Section::Allow, unit, Key::Allow(group.clone()), text);
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
