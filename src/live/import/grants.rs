//! The policies of an access group: each one's scope and custom roles
//! ([`Ctx::classify`]), or why the language cannot write it (IBM's
//! built-in service roles among them), and the flat project form of a
//! group's policies ([`flat`]).

use super::draft::{Ctx, RgRef, QISKIT};
use super::escape::{is_ident, shown};
use super::nesting::Scope;
use crate::live::account::Policy;
use std::collections::{BTreeMap, BTreeSet};

/// The platform role every project's policies carry beside the custom role.
const VIEWER: &str = "crn:v1:bluemix:public:iam::::role:Viewer";

/// The prefix of IBM's built-in service roles (Reader, Writer, Manager).
const SERVICE_ROLE: &str = "crn:v1:bluemix:public:iam::::serviceRole:";

/// A policy the language can write: its scope and custom roles (qpol
/// names, sorted).
pub type Grant<'a> = (&'a Policy, Scope, Vec<String>);

/// The flat project form of an access group's policies.
pub struct Flat<'a> {
    /// The role most single-role policies give (ties: by name).
    pub role: Option<String>,
    pub scopes: BTreeSet<Scope>,
    /// Policies the project cannot hold, with why.
    pub rejected: Vec<(&'a Policy, String)>,
}

/// The project form of `grants`: one role, on every scope it is given on.
pub fn flat<'a>(group: &str, grants: &[Grant<'a>]) -> Flat<'a> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, roles) in grants {
        if let [one] = roles.as_slice() {
            *counts.entry(one.as_str()).or_default() += 1;
        }
    }
    let role = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(r, _)| r.to_string());
    let mut scopes = BTreeSet::new();
    let mut rejected = Vec::new();
    for (p, scope, roles) in grants {
        let why = match (roles.as_slice(), &role) {
            ([one], Some(r)) if one == r => {
                if scopes.insert(scope.clone()) {
                    continue;
                }
                "another policy of its access group has the same resource and role".to_string()
            }
            ([_], Some(r)) => format!(
                "access group {} gives role {r} elsewhere; a project has one role",
                shown(group)
            ),
            _ => format!(
                "its roles {} are not Viewer plus one imported quantum-computing custom role",
                role_tails(p)
            ),
        };
        rejected.push((*p, why));
    }
    Flat {
        role,
        scopes,
        rejected,
    }
}

/// A policy's roles by the last part of their CRN, quoted.
fn role_tails(p: &Policy) -> String {
    let tails: Vec<&str> = p
        .roles
        .iter()
        .map(|r| r.rsplit(':').next().unwrap_or(r))
        .collect();
    shown(&tails.join(", "))
}

impl<'a> Ctx<'a> {
    /// A policy's scope and custom roles (qpol names), or why the language
    /// cannot write it.
    pub(super) fn classify(&mut self, p: &'a Policy) -> Result<(Scope, Vec<String>), String> {
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
        let built_in: Vec<&str> = p
            .roles
            .iter()
            .filter_map(|r| r.strip_prefix(SERVICE_ROLE))
            .collect();
        if !built_in.is_empty() {
            return Err(built_in_note(&built_in));
        }
        let custom: Option<BTreeSet<String>> = p
            .roles
            .iter()
            .filter(|r| *r != VIEWER)
            .map(|r| self.roles.get(r.as_str()).cloned())
            .collect();
        match custom {
            Some(roles) if !roles.is_empty() && p.roles.iter().any(|r| r == VIEWER) => {
                Ok((scope, roles.into_iter().collect()))
            }
            _ => Err(format!(
                "its roles {} are not Viewer plus imported quantum-computing custom roles",
                role_tails(p)
            )),
        }
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
}

/// Why a policy giving IBM's built-in service roles stays a comment, and
/// what the user can do.
fn built_in_note(roles: &[&str]) -> String {
    format!(
        "it gives IBM's built-in service role {} of quantum-computing, which the language cannot name \
         (every qpol `role`, the `reader` and `writer` presets too, compiles to a custom role qpol creates); \
         to manage this access with qpol, give the project a custom role with the actions it needs \
         (`qpol plan` then shows the new role and the changed policy), or keep managing this access by hand \
         (qpol never changes an object without its marker)",
        shown(&roles.join(", "))
    )
}
