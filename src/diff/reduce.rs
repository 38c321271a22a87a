//! Which access groups of two deployments can differ in a cloud object,
//! so that [`super::objects`] compiles only those (and every object that
//! is not an access group's) instead of every object of both sides.
//!
//! An access group's objects (the group, its dynamic rules, its members,
//! its policies; in Terraform and in the API plan) are made of the group
//! itself and of what it refers to: its identity providers' realms and
//! session lengths, the keys of the instances, resource groups, roles and
//! service ids its policies and members name, the lookup keys of its
//! members' emails, and the account id. [`View`] is all of that with every
//! index resolved to what the backends write for it: two groups with equal
//! views compile to equal objects, whatever else changed around them.

use crate::backends::deployment::{AccessGroup, Deployment, Realm, Scope, ServiceMember};
use crate::backends::ibm_api::user_keys;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;

/// The key of the access group that carries every email of a side (never a
/// key the backends make: those are letters, digits, `_` and `-`).
pub(super) const EMAILS: &str = "qpol diff: emails";

/// An instance or resource group as the objects that refer to it name it.
type Key<'d> = Option<(&'d str, bool)>;

#[derive(PartialEq, Eq)]
enum RealmView<'d> {
    Literal(&'d str),
    AppId(&'d str, Key<'d>),
    Variable(&'d str),
}

#[derive(PartialEq, Eq)]
enum ScopeView<'d> {
    Instance(Key<'d>),
    ResourceGroup(Key<'d>),
    Default,
}

#[derive(PartialEq, Eq)]
struct RuleView<'d> {
    key: &'d str,
    name: &'d str,
    conditions: Vec<(&'d str, &'static str, &'d str)>,
    idp: Option<(u32, RealmView<'d>)>,
}

/// Everything an access group's objects are made of.
#[derive(PartialEq, Eq)]
struct View<'d> {
    name: &'d str,
    description: &'d str,
    rules: Vec<RuleView<'d>>,
    /// Each user, with the key of its email's lookup.
    users: Vec<(&'d str, Option<&'d str>)>,
    service_ids: Vec<Result<Option<&'d str>, &'d str>>,
    policies: Vec<(&'d str, ScopeView<'d>, Vec<Option<&'d str>>)>,
}

/// One side's deployment with the lookups a view needs.
struct Resolver<'d> {
    d: &'d Deployment,
    emails: BTreeMap<&'d str, String>,
}

impl<'d> Resolver<'d> {
    fn instance(&self, i: usize) -> Key<'d> {
        self.d
            .instances
            .get(i)
            .map(|x| (x.key.as_str(), x.existing))
    }

    fn resource_group(&self, i: usize) -> Key<'d> {
        self.d
            .resource_groups
            .get(i)
            .map(|g| (g.key.as_str(), g.existing))
    }

    fn idp(&self, i: usize) -> Option<(u32, RealmView<'d>)> {
        let idp = self.d.idps.get(i)?;
        let realm = match &idp.realm {
            Realm::Literal(r) => RealmView::Literal(r),
            Realm::AppId { region, instance } => RealmView::AppId(region, self.instance(*instance)),
            Realm::Variable(v) => RealmView::Variable(v),
        };
        Some((idp.expiration_hours, realm))
    }

    fn view<'a>(&'a self, g: &'a AccessGroup) -> View<'a> {
        let d = self.d;
        let rules = g
            .rules
            .iter()
            .map(|r| RuleView {
                key: &r.key,
                name: &r.name,
                conditions: r
                    .conditions
                    .iter()
                    .map(|c| (c.claim.as_str(), c.operator, c.value.as_str()))
                    .collect(),
                idp: self.idp(r.idp),
            })
            .collect();
        let users = g
            .users
            .iter()
            .map(|u| (u.as_str(), self.emails.get(u.as_str()).map(String::as_str)))
            .collect();
        let service_ids = g
            .service_ids
            .iter()
            .map(|s| match s {
                ServiceMember::Created(i) => Ok(d.service_ids.get(*i).map(|s| s.key.as_str())),
                ServiceMember::IamId(id) => Err(id.as_str()),
            })
            .collect();
        let policies = g
            .policies
            .iter()
            .map(|p| {
                let scope = match p.scope {
                    Scope::Instance(i) => ScopeView::Instance(self.instance(i)),
                    Scope::ResourceGroup(Some(i)) => {
                        ScopeView::ResourceGroup(self.resource_group(i))
                    }
                    Scope::ResourceGroup(None) => ScopeView::Default,
                };
                let roles = p
                    .roles
                    .iter()
                    .map(|r| d.roles.get(*r).map(|r| r.key.as_str()))
                    .collect();
                (p.key.as_str(), scope, roles)
            })
            .collect();
        View {
            name: &g.name,
            description: &g.description,
            rules,
            users,
            service_ids,
            policies,
        }
    }
}

/// The keys of the access groups whose objects may differ between the two
/// deployments: on one side only, or with views that differ (all of them
/// when the account id differs).
pub(super) fn changed_groups(old: &Deployment, new: &Deployment) -> FxHashSet<String> {
    let (a, b) = (
        Resolver {
            d: old,
            emails: user_keys(old),
        },
        Resolver {
            d: new,
            emails: user_keys(new),
        },
    );
    let all = old.account_id != new.account_id;
    let by_key: FxHashMap<&str, &AccessGroup> = new
        .access_groups
        .iter()
        .map(|g| (g.key.as_str(), g))
        .collect();
    let mut out = FxHashSet::default();
    for g in &old.access_groups {
        let same = by_key
            .get(g.key.as_str())
            .is_some_and(|h| !all && a.view(g) == b.view(h));
        if !same {
            out.insert(g.key.clone());
        }
    }
    let old_keys: FxHashSet<&str> = old.access_groups.iter().map(|g| g.key.as_str()).collect();
    for g in &new.access_groups {
        if all || !old_keys.contains(g.key.as_str()) {
            out.insert(g.key.clone());
        }
    }
    out
}

/// Keep only the access groups in `keep`, plus one that carries every
/// email of the side (so its members' lookups keep their keys).
pub(super) fn reduce(d: &mut Deployment, keep: &FxHashSet<String>) {
    let emails: Vec<String> = user_keys(d).into_keys().map(str::to_string).collect();
    d.access_groups.retain(|g| keep.contains(&g.key));
    d.access_groups.push(AccessGroup {
        name: EMAILS.into(),
        project: EMAILS.into(),
        key: EMAILS.into(),
        description: String::new(),
        description_declared: false,
        rules: Vec::new(),
        users: emails,
        service_ids: Vec::new(),
        policies: Vec::new(),
    });
}
