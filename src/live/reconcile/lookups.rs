//! The plan's look-ups answered from the snapshot: catalog ids, the default
//! resource group, users by email, and the objects a policy declares
//! `existing` (resource groups and instances by name).

use super::{code, Error, Reconciler};
use crate::backends::ibm_api::user_keys;
use crate::diag::Span;

impl Reconciler<'_> {
    pub(super) fn lookups(&mut self) -> Result<(), Error> {
        let ids: Vec<String> = self
            .desired
            .keys()
            .filter(|id| id.starts_with("catalog."))
            .cloned()
            .collect();
        for id in ids {
            let Some(rest) = id.strip_prefix("catalog.") else {
                continue;
            };
            let key = match rest.split_once(".plan.") {
                Some((service, plan)) => format!("{service}/{plan}"),
                None => rest.to_string(),
            };
            // The first instance that uses the entry points at it.
            let user = self.d.instances.iter().find(|i| {
                !i.existing && (key == i.service || key == format!("{}/{}", i.service, i.plan))
            });
            let at = user.and_then(|i| self.allows.instances.get(&i.name).copied());
            let value = self.account.catalog.get(&key).cloned().ok_or_else(|| {
                self.missing_at(
                    at,
                    format!("the global catalog entry {}", code(&key)),
                    "check the instance's `plan` (a plan of the service in the IBM Cloud catalog), or that the API key may read the global catalog",
                )
            })?;
            self.know(&id, &[("id", &value)]);
        }
        if self.desired.contains_key("resource_group.default") {
            let default = self
                .account
                .resource_groups
                .iter()
                .find(|g| g.default)
                .map(|g| g.id.clone())
                .ok_or_else(|| {
                    self.missing(
                        "the default resource group".to_string(),
                        "name a resource group for the instances (`resource_group NAME;`)",
                    )
                })?;
            self.know("resource_group.default", &[("id", &default)]);
        }
        self.users()?;
        self.existing()
    }

    fn users(&mut self) -> Result<(), Error> {
        for (email, key) in user_keys(self.d) {
            let iam_id = self
                .account
                .users
                .iter()
                .find(|u| u.email == email)
                .map(|u| u.iam_id.clone())
                .ok_or_else(|| {
                    self.missing(
                        format!("the user {}", code(email)),
                        "invite the user to the account first, or name the member by IAM id",
                    )
                })?;
            self.know(&format!("user.{key}"), &[("iam_id", &iam_id)]);
        }
        Ok(())
    }

    fn existing(&mut self) -> Result<(), Error> {
        let d = self.d;
        for g in d.resource_groups.iter().filter(|g| g.existing) {
            let id = self
                .account
                .resource_groups
                .iter()
                .find(|x| x.name == g.name)
                .map(|x| x.id.clone())
                .ok_or_else(|| {
                    self.missing(
                        format!("the existing resource group {}", code(&g.name)),
                        "create it, or drop `existing` so that qpol creates it",
                    )
                })?;
            self.seen.resource_groups.insert(id.clone());
            self.know(&format!("resource_group.{}", g.key), &[("id", &id)]);
        }
        for x in d.instances.iter().filter(|x| x.existing) {
            let group = x
                .resource_group
                .and_then(|g| d.resource_groups.get(g))
                .and_then(|g| self.known.get(&format!("resource_group.{}", g.key)))
                .and_then(|k| k.get("id"))
                .cloned();
            let found = self
                .account
                .instances
                .iter()
                .find(|i| i.name == x.name && group.as_ref().is_none_or(|g| *g == i.resource_group_id))
                .cloned()
                .ok_or_else(|| {
                    self.missing_at(
                        self.allows.instances.get(&x.name).copied(),
                        format!("the existing instance {}", code(&x.name)),
                        "check its name and resource group, or drop `existing` so that qpol creates it",
                    )
                })?;
            self.seen.instances.insert(found.id.clone());
            self.know(
                &format!("instance.{}", x.key),
                &[
                    ("id", &found.id),
                    ("crn", &found.crn),
                    ("guid", &found.guid),
                ],
            );
        }
        Ok(())
    }

    fn missing(&self, what: String, help: &str) -> Error {
        self.missing_at(None, what, help)
    }

    fn missing_at(&self, at: Option<Span>, what: String, help: &str) -> Error {
        Error::Missing {
            what,
            account: self.account.account_id.clone(),
            help: help.to_string(),
            at,
        }
    }
}
