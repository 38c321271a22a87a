//! Live objects that no desired object matched: deleted when qpol made them
//! (the marker; an instance when a marked policy refers to it, and then
//! only with `allow delete NAME`), listed as unmanaged otherwise. Deletes
//! come after every create and update, roles and instances last.

use super::{code, is_marked, Error, Reconciler};
use crate::diag::{Code, Diagnostic, Label};
use crate::live::plan::{Action, Op, Request, Unmanaged};
use std::collections::{BTreeMap, BTreeSet};

const IAM: &str = "https://iam.cloud.ibm.com";
const RESOURCE_CONTROLLER: &str = "https://resource-controller.cloud.ibm.com";

impl Reconciler<'_> {
    /// Delete the object at `url` (its ETag read first).
    pub(super) fn delete(
        &mut self,
        id: &str,
        object: String,
        project: Option<String>,
        url: String,
    ) -> Result<(), Error> {
        let etag = self.etag(&url)?;
        self.actions.push(Action {
            id: id.to_string(),
            op: Op::Delete,
            object,
            project,
            changes: Vec::new(),
            requests: vec![Request {
                id: id.to_string(),
                method: "DELETE".into(),
                url,
                headers: BTreeMap::new(),
                body: None,
                depends_on: Vec::new(),
                yields: BTreeMap::new(),
                etag,
            }],
        });
        Ok(())
    }

    fn unmanaged(&mut self, kind: &str, name: &str, id: &str) {
        self.unmanaged.push(Unmanaged {
            kind: kind.into(),
            name: name.into(),
            id: id.into(),
        });
    }

    pub(super) fn leftovers(&mut self) -> Result<(), Error> {
        let account = self.account;
        let mut deleted_groups = BTreeSet::new();
        for g in &account.access_groups {
            if self.seen.groups.contains(&g.id) {
                continue;
            }
            if !is_marked(g.description.as_deref()) {
                self.unmanaged("access group", &g.name, &g.id);
                continue;
            }
            deleted_groups.insert(g.id.clone());
            let url = format!("{IAM}/v2/groups/{}?force=true", g.id);
            let object = format!(
                "access group {} (with its rules, members and policies)",
                code(&g.name)
            );
            self.delete(
                &format!("delete.access_group.{}", g.name),
                object,
                Some(g.name.clone()),
                url,
            )?;
        }
        let group_name = |id: &str| {
            account
                .access_groups
                .iter()
                .find(|g| g.id == id)
                .map(|g| g.name.clone())
        };
        let mut qpol_guids = BTreeSet::new();
        for p in &account.policies {
            let marked = is_marked(p.description.as_deref());
            if marked {
                qpol_guids.extend(p.resource.get("serviceInstance").cloned());
            }
            if self.seen.policies.contains(&p.id) || deleted_groups.contains(&p.access_group_id) {
                continue;
            }
            let group = group_name(&p.access_group_id).unwrap_or_else(|| p.access_group_id.clone());
            let target = policy_target(account, p);
            if !marked {
                self.unmanaged("policy", &format!("{group} on {target}"), &p.id);
                continue;
            }
            let url = format!("{IAM}/v1/policies/{}", p.id);
            let object = format!("policy of {} on {}", code(&group), code(&target));
            self.delete(&format!("delete.policy.{}", p.id), object, Some(group), url)?;
        }
        for r in &account.roles {
            if self.seen.roles.contains(&r.id) {
                continue;
            }
            if !is_marked(r.description.as_deref()) {
                self.unmanaged("custom role", &r.name, &r.id);
                continue;
            }
            let url = format!("{IAM}/v2/roles/{}", r.id);
            self.delete(
                &format!("delete.role.{}", r.name),
                format!("custom role {}", code(&r.name)),
                None,
                url,
            )?;
        }
        for s in &account.service_ids {
            if self.seen.service_ids.contains(&s.id) {
                continue;
            }
            if !is_marked(s.description.as_deref()) {
                self.unmanaged("service id", &s.name, &s.id);
                continue;
            }
            let url = format!("{IAM}/v1/serviceids/{}", s.id);
            let object = format!("service id {}", code(&s.name));
            self.delete(&format!("delete.service_id.{}", s.name), object, None, url)?;
        }
        self.leftover_instances(&qpol_guids)?;
        for g in &account.resource_groups {
            if !g.default && !self.seen.resource_groups.contains(&g.id) {
                self.unmanaged("resource group", &g.name, &g.id);
            }
        }
        Ok(())
    }

    /// Instances no longer declared: qpol's (a marked policy refers to
    /// them) are deleted with `allow delete NAME`, else refused (Q302).
    fn leftover_instances(&mut self, qpol_guids: &BTreeSet<String>) -> Result<(), Error> {
        for i in &self.account.instances {
            if self.seen.instances.contains(&i.id) || i.state == "removed" {
                continue;
            }
            if !qpol_guids.contains(&i.guid) {
                self.unmanaged("instance", &i.name, &i.id);
                continue;
            }
            if self.allows.delete.contains_key(&i.name) {
                let url = format!("{RESOURCE_CONTROLLER}/v2/resource_instances/{}", i.guid);
                let object = format!("instance {} (and all its jobs)", code(&i.name));
                self.delete(&format!("delete.instance.{}", i.name), object, None, url)?;
                continue;
            }
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InstanceDeleted,
                    format!(
                        "instance {} is no longer declared: applying would delete it and all its jobs",
                        code(&i.name)
                    ),
                    Label::new(self.allows.fallback, "the policy applied to the account"),
                )
                .with_help(format!(
                    "keep the declaration, or add `allow delete {};` if its jobs may go",
                    i.name
                )),
            );
        }
        Ok(())
    }

    /// Deletes wait for every create and update; roles and instances also
    /// for the other deletes (the policies that use them go first).
    pub(super) fn order_deletes(&mut self) {
        let mut writes = Vec::new();
        let mut first = Vec::new();
        for a in &self.actions {
            for r in &a.requests {
                match a.op {
                    Op::Delete if !is_last(&a.id) => first.push(r.id.clone()),
                    Op::Delete => {}
                    _ if r.method != "DELETE" => writes.push(r.id.clone()),
                    _ => {}
                }
            }
        }
        for a in self.actions.iter_mut().filter(|a| a.op == Op::Delete) {
            let last = is_last(&a.id);
            for r in &mut a.requests {
                r.depends_on.extend(writes.iter().cloned());
                if last {
                    r.depends_on.extend(first.iter().cloned());
                }
            }
        }
    }
}

/// What a live policy is on, by name where the account has it.
fn policy_target(
    account: &crate::live::account::Account,
    p: &crate::live::account::Policy,
) -> String {
    if let Some(guid) = p.resource.get("serviceInstance") {
        return account
            .instances
            .iter()
            .find(|i| &i.guid == guid)
            .map_or_else(|| guid.clone(), |i| i.name.clone());
    }
    if let Some(id) = p.resource.get("resourceGroupId") {
        return account
            .resource_groups
            .iter()
            .find(|g| &g.id == id)
            .map_or_else(|| id.clone(), |g| g.name.clone());
    }
    "the account".to_string()
}

fn is_last(id: &str) -> bool {
    id.starts_with("delete.role.") || id.starts_with("delete.instance.")
}
