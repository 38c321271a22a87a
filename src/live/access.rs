//! What a live plan changes for whom: the effective access the account
//! gives today against the access the policy gives, compared as `qpol diff`
//! compares two policies ([`crate::diff::access_only`]).
//!
//! The old side is the account read back as a policy ([`super::import`])
//! and analysed with the one pipeline; the new side is the policy's own
//! analysis. To keep the comparison honest:
//!
//! * objects the plan lists as unmanaged (never touched) are left out of
//!   the old side, as are the extra members and rules of an access group
//!   qpol adopted but did not make (apply leaves them too): they give the
//!   same access before and after;
//! * users are the policy's on both sides (the account does not know who
//!   has which attribute: the identity provider does), and a static member
//!   the policy knows is written by its email or IAM id, which resolves to
//!   the policy's user;
//! * when the old side cannot be read back exactly (an object the language
//!   cannot express, a text with errors), nothing is listed and
//!   [`PlanAccess::reason`] says why;
//! * a project or group whose access groups are not one per unit
//!   (a `group`, a member set with a role of its own) is read back as
//!   other projects: its rule changes for users who are not declared are
//!   left out, and a note says so (declared users' gains and losses, by
//!   instance and action, do not depend on it).
//!
//! [`super::render_access`] prints it for people; the plan document holds
//! it as JSON (`access`).

use super::account::Account;
use super::import::{self, Names};
use super::plan::{LivePlan, Unmanaged};
use crate::backends::deployment::{Deployment, ServiceMember};
use crate::diff::AccessOnly;
use crate::model::{MemberRef, Model, UnitKind};
use crate::pipeline::Analysis;
use crate::policy::Policy;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The access change of a plan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanAccess {
    /// False when it could not be computed exactly: `reason` says why and
    /// nothing is listed.
    pub computed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What is left out of an otherwise exact comparison.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// `2 users gain access, 1 loses; ...`, or `no change in access`.
    pub summary: String,
    #[serde(flatten)]
    pub change: AccessOnly,
}

impl PlanAccess {
    /// Some principal gains or loses access, a rule admits others, or an
    /// identity provider is replaced.
    pub fn changed(&self) -> bool {
        let c = &self.change;
        !c.access.is_empty()
            || !c.rules.is_empty()
            || !c.member_sets.is_empty()
            || !c.idps.is_empty()
    }

    fn not_computed(reason: String) -> PlanAccess {
        PlanAccess {
            computed: false,
            reason: Some(reason),
            summary: "access change not computed".into(),
            ..PlanAccess::default()
        }
    }
}

/// Plan actions (by id prefix) that change an access group's rules.
const RULE_ACTIONS: [&str; 4] = [
    "rule.",
    "delete.rule.",
    "access_group.",
    "delete.access_group.",
];

/// The file names the old side is analysed under.
const ACCOUNT_FILE: &str = "account.qpol";
const USERS_FILE: &str = "policy-users.qpol";

/// What `plan` changes for whom: `account` as it is against `policy` (its
/// analysis and deployment), the objects `plan` leaves alone left out.
pub fn compute(
    policy: &Analysis,
    deployment: &Deployment,
    account: &Account,
    plan: &LivePlan,
) -> PlanAccess {
    let managed = match managed_view(account, deployment, &plan.unmanaged) {
        Ok(m) => m,
        Err(reason) => return PlanAccess::not_computed(reason),
    };
    let names = names(&policy.model);
    let imported = import::policy_named(&managed, &names);
    if imported.commented > 0 {
        // The notes start with one per comment.
        let first = imported.notes.first().map_or("", String::as_str);
        return PlanAccess::not_computed(format!(
            "{} qpol manages in the account cannot be written as policy, so the access the account gives today is not known exactly (first: {first})",
            crate::diff::plural(imported.commented, "object", "objects")
        ));
    }
    let users = users_text(&policy.model, &imported.text);
    let old = Analysis::new(Policy::from_texts([
        (ACCOUNT_FILE, imported.text.as_str()),
        (USERS_FILE, users.as_str()),
    ]));
    if imported.errors > 0 || old.errors() > 0 {
        return PlanAccess::not_computed(
            "the account read back as policy does not check clean, so the access it gives today is not known exactly".into(),
        );
    }
    let mut change = crate::diff::access_only(&old, policy);
    // A rule that reads differently but that the plan does not touch is
    // the same rule in IAM (`in [a, b]` read back as `equals a or equals b`).
    let touched: BTreeSet<&str> = plan
        .actions
        .iter()
        .filter(|a| RULE_ACTIONS.iter().any(|p| a.id.starts_with(p)))
        .filter_map(|a| a.project.as_deref())
        .collect();
    change
        .rules
        .retain(|r| touched.contains(r.unit.name.as_str()));
    cancel(&mut change.access);
    let mut notes = Vec::new();
    let uneven = uneven_units(&policy.model, deployment);
    if !uneven.is_empty() {
        let had = change.rules.len() + change.member_sets.len();
        change.rules.retain(|r| !uneven.contains(&r.unit.name));
        change
            .member_sets
            .retain(|s| !uneven.contains(&s.unit.name));
        if change.rules.len() + change.member_sets.len() < had {
            let listed: Vec<String> = uneven.iter().map(|n| super::reconcile::code(n)).collect();
            notes.push(format!(
                "what changes for users who are not declared is not shown for {}: their access groups are not one per project",
                listed.join(", ")
            ));
        }
    }
    let parts = crate::diff::access_summary(
        &change.access,
        &change.member_sets,
        &change.rules,
        &change.idps,
    );
    let summary = if parts.is_empty() {
        "no change in access".to_string()
    } else {
        parts.join("; ")
    };
    std::mem::forget(old);
    PlanAccess {
        computed: true,
        reason: None,
        notes,
        summary,
        change,
    }
}

/// The account as far as qpol manages it: without the objects the plan
/// lists as unmanaged, the policies of access groups left out, and the
/// static members apply keeps in an access group it adopted but did not
/// make (it only removes members from groups with the marker). `Err`:
/// why the account after apply is not the policy's access alone.
fn managed_view(
    account: &Account,
    deployment: &Deployment,
    unmanaged: &[Unmanaged],
) -> Result<Account, String> {
    let skip = |kind: &str, id: &str| unmanaged.iter().any(|u| u.kind == kind && u.id == id);
    let mut view = account.clone();
    view.access_groups.retain(|g| !skip("access group", &g.id));
    let groups: BTreeSet<&str> = view.access_groups.iter().map(|g| g.id.as_str()).collect();
    view.policies
        .retain(|p| !skip("policy", &p.id) && groups.contains(p.access_group_id.as_str()));
    // What the policies kept refer to stays, unmanaged or not (an adopted
    // policy may name a role or instance qpol does not manage); service
    // ids stay: only their memberships grant anything.
    let used: BTreeSet<&str> = view
        .policies
        .iter()
        .flat_map(|p| p.roles.iter().chain(p.resource.values()))
        .map(String::as_str)
        .collect();
    let keep = |kind: &str, id: &str, key: &str| !skip(kind, id) || used.contains(key);
    let roles = account.roles.iter();
    view.roles = roles
        .filter(|r| keep("custom role", &r.id, &r.crn))
        .cloned()
        .collect();
    let instances = account.instances.iter().filter(|i| i.state != "removed");
    view.instances = instances
        .filter(|i| keep("instance", &i.id, &i.guid))
        .cloned()
        .collect();
    let groups_used: BTreeSet<&str> = view
        .instances
        .iter()
        .map(|i| i.resource_group_id.as_str())
        .collect();
    view.resource_groups
        .retain(|g| keep("resource group", &g.id, &g.id) || groups_used.contains(g.id.as_str()));
    let emails: BTreeMap<&str, &str> = account
        .users
        .iter()
        .map(|u| (u.email.as_str(), u.iam_id.as_str()))
        .collect();
    for g in &mut view.access_groups {
        let Some(desired) = deployment.access_groups.iter().find(|d| d.name == g.name) else {
            continue;
        };
        // Apply leaves a rule it does not manage in place: one that reads
        // like one of the policy's changes nothing; another one would.
        if let Some(r) = g
            .rules
            .iter()
            .find(|r| skip("rule", &r.id) && !desired.rules.iter().any(|d| same_conditions(r, d)))
        {
            return Err(format!(
                "access group {} keeps a dynamic rule qpol does not manage ({}), which apply leaves in place beside the policy's, so the access the account will give is not known exactly",
                super::reconcile::code(&g.name),
                super::reconcile::code(&r.name)
            ));
        }
        if super::reconcile::is_marked(g.description.as_deref()) {
            continue;
        }
        let mut wanted: BTreeSet<&str> = desired
            .users
            .iter()
            .map(|u| emails.get(u.as_str()).copied().unwrap_or(u.as_str()))
            .collect();
        for s in &desired.service_ids {
            match s {
                ServiceMember::IamId(id) => {
                    wanted.insert(id.as_str());
                }
                ServiceMember::Created(i) => {
                    let name = deployment.service_ids.get(*i).map(|s| s.name.as_str());
                    wanted.extend(
                        account
                            .service_ids
                            .iter()
                            .filter(|s| Some(s.name.as_str()) == name)
                            .map(|s| s.iam_id.as_str()),
                    );
                }
            }
        }
        g.members.retain(|m| wanted.contains(m.iam_id.as_str()));
    }
    Ok(view)
}

/// A live rule with the conditions of a rule of the policy.
fn same_conditions(
    live: &super::account::Rule,
    desired: &crate::backends::deployment::Rule,
) -> bool {
    live.conditions.len() == desired.conditions.len()
        && live
            .conditions
            .iter()
            .zip(&desired.conditions)
            .all(|(l, d)| {
                let value = serde_json::to_string(&d.value).unwrap_or_default();
                l.claim == d.claim && l.operator == d.operator && l.value == value
            })
}

/// How the policy names static members: the emails and IAM ids of its
/// declared users and its literal members are written as literals; its
/// user names are reserved.
fn names(model: &Model) -> Names {
    let mut names = Names::default();
    for u in &model.users {
        names.taken.insert(u.name.value.to_string());
        for id in [&u.email, &u.iam_id].into_iter().flatten() {
            names.literal.insert(id.value.to_string());
        }
    }
    for set in model.units.iter().flat_map(|u| &u.member_sets) {
        for m in &set.users {
            if let MemberRef::Literal(l) = m {
                names.literal.insert(l.to_string());
            }
        }
    }
    names
}

/// The policy's users as statements, and the identity providers they name
/// that the account's text does not declare.
fn users_text(model: &Model, imported: &str) -> String {
    let declared: BTreeSet<&str> = imported
        .lines()
        .filter_map(|l| l.strip_prefix("idp "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let quote = crate::fmt::quote;
    let mut out = String::new();
    for idp in model.idps.iter() {
        if declared.contains(idp.name.value.as_str()) {
            continue;
        }
        let mut items = vec![format!("kind {}", idp.kind)];
        items.extend(idp.region.as_ref().map(|r| format!("region {r}")));
        items.extend(idp.realm.as_ref().map(|r| format!("realm {}", quote(r))));
        items.extend(idp.tenant.as_ref().map(|t| format!("tenant {}", quote(t))));
        if !idp.attributes.is_empty() {
            let list: Vec<&str> = idp.attributes.iter().map(|a| a.value.as_str()).collect();
            items.push(format!("attribute {}", list.join(", ")));
        }
        items.push(format!("session {}h", idp.session_hours));
        let _ = writeln!(out, "idp {} {{ {}; }}", idp.name.value, items.join("; "));
    }
    for u in &model.users {
        let mut items = Vec::new();
        let idp = u.idp.as_ref().and_then(|i| model.idps.get(i.value));
        items.extend(idp.map(|i| format!("idp {}", i.name.value)));
        items.extend(
            u.email
                .as_ref()
                .map(|e| format!("email {}", quote(&e.value))),
        );
        items.extend(
            u.iam_id
                .as_ref()
                .map(|e| format!("iam_id {}", quote(&e.value))),
        );
        let attributes: Vec<String> = u
            .attributes
            .iter()
            .map(|(k, v)| match &v.value {
                crate::model::AttrValue::Str(s) => format!("{k} {}", quote(s)),
                crate::model::AttrValue::List(l) => {
                    let items: Vec<String> = l.iter().map(|s| quote(s)).collect();
                    format!("{k} [{}]", items.join(", "))
                }
            })
            .collect();
        let mut body: String = items.iter().map(|i| format!("{i}; ")).collect();
        if !attributes.is_empty() {
            let _ = write!(body, "attributes {{ {} }} ", attributes.join("; "));
        }
        if body.is_empty() {
            let _ = writeln!(out, "user {};", u.name.value);
        } else {
            let _ = writeln!(out, "user {} {{ {body}}}", u.name.value);
        }
    }
    out
}

/// Names of the projects and groups whose access groups are not exactly
/// one named like them (a `group`, a member set with a role of its own):
/// read back from the account, they are other projects.
fn uneven_units(model: &Model, deployment: &Deployment) -> BTreeSet<String> {
    let mut by_unit: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for g in &deployment.access_groups {
        by_unit
            .entry(g.project.as_str())
            .or_default()
            .push(g.name.as_str());
    }
    let mut out = BTreeSet::new();
    for u in &model.units {
        let name = u.name.value.as_str();
        let groups = by_unit.get(name).map_or(&[][..], |v| v.as_slice());
        if u.kind != UnitKind::Project || groups.len() > 1 || groups.iter().any(|g| *g != name) {
            out.insert(name.to_string());
            out.extend(groups.iter().map(|g| (*g).to_string()));
        }
    }
    out
}

/// Drop what a principal gains on an instance through one project and
/// loses through another (a `group` read back as a project): no change.
fn cancel(access: &mut Vec<crate::diff::AccessChange>) {
    type Key<'a> = (&'a str, &'a str, &'a str, &'a str);
    let mut gained: BTreeSet<Key<'_>> = BTreeSet::new();
    let mut lost: BTreeSet<Key<'_>> = BTreeSet::new();
    for c in access.iter() {
        let set = if c.change == "gains" {
            &mut gained
        } else {
            &mut lost
        };
        for a in &c.actions {
            set.insert((c.subject, c.user.as_str(), c.instance.as_str(), a.as_str()));
        }
    }
    let both: BTreeSet<(String, String, String, String)> = gained
        .intersection(&lost)
        .map(|(s, u, i, a)| (s.to_string(), u.to_string(), i.to_string(), a.to_string()))
        .collect();
    if both.is_empty() {
        return;
    }
    for c in access.iter_mut() {
        c.actions.retain(|a| {
            !both.contains(&(
                c.subject.to_string(),
                c.user.clone(),
                c.instance.clone(),
                a.clone(),
            ))
        });
    }
    access.retain(|c| !c.actions.is_empty());
}
