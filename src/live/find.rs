//! After a write whose answer was lost (a dropped connection, a crash of
//! the network), whether it happened: [`AccountFinder`] reads the account
//! again and looks the object up by the natural key `reconcile` matches
//! on (an access group by name, a rule by group and name, a policy by
//! subject and resource, ...). The executor calls it before sending a
//! create again, so an interrupted apply never makes an object twice, and
//! after a create answered 409 (another apply made it first). Instances
//! and rules, whose names IBM does not keep unique, are also looked up
//! just before and after their create ([`super::twins`]).

use super::account::Account;
use super::error::Result;
use super::execute::Find;
use super::http::{Client, Request};
use super::read::read_account;
use serde_json::Value;
use std::collections::BTreeMap;

/// Looks writes up in the account `account_id` through `client`.
pub struct AccountFinder<'c> {
    pub client: &'c Client,
    pub account_id: String,
}

impl Find for AccountFinder<'_> {
    fn find(&self, request: &Request) -> Result<Option<BTreeMap<String, String>>> {
        let account = read_account(self.client, &self.account_id)?;
        Ok(lookup(&account, request))
    }

    fn existing(&self, request: &Request) -> Result<Option<BTreeMap<String, String>>> {
        super::twins::existing(self.client, request)
    }

    fn settle(&self, request: &Request, body: &Value) -> Result<Option<BTreeMap<String, String>>> {
        super::twins::settle(self.client, request, body)
    }
}

/// The values a lost write would have yielded, when its effect is in the
/// account; `None` when it is not (or qpol cannot tell: it is sent again).
pub fn lookup(account: &Account, request: &Request) -> Option<BTreeMap<String, String>> {
    let body = request.body.as_ref().unwrap_or(&Value::Null);
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    let path = path_of(&request.url);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let found = |pairs: &[(&str, &str)]| {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["v2", "groups"]) => account
            .access_groups
            .iter()
            .find(|g| g.name == name)
            .and_then(|g| found(&[("id", &g.id)])),
        ("POST", ["v2", "groups", group, "rules"]) => account
            .access_groups
            .iter()
            .filter(|g| g.id == *group)
            .flat_map(|g| &g.rules)
            .find(|r| r.name == name)
            .and_then(|r| found(&[("id", &r.id)])),
        ("PUT", ["v2", "groups", group, "members"]) => {
            let wanted: Vec<&str> = body
                .get("members")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.get("iam_id").and_then(Value::as_str))
                .collect();
            let group = account.access_groups.iter().find(|g| g.id == *group)?;
            let all = wanted
                .iter()
                .all(|w| group.members.iter().any(|m| m.iam_id == *w));
            all.then(BTreeMap::new)
        }
        ("POST", ["v2", "roles"]) => account
            .roles
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| found(&[("id", &r.id), ("crn", &r.crn)])),
        ("POST", ["v2", "resource_groups"]) => account
            .resource_groups
            .iter()
            .find(|g| g.name == name)
            .and_then(|g| found(&[("id", &g.id)])),
        ("POST", ["v2", "resource_instances"]) => account
            .instances
            .iter()
            .find(|i| i.name == name)
            .and_then(|i| found(&[("id", &i.id), ("crn", &i.crn), ("guid", &i.guid)])),
        ("POST", ["v1", "serviceids"]) => account
            .service_ids
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| found(&[("id", &s.id), ("iam_id", &s.iam_id)])),
        ("POST", ["v1", "policies"]) => {
            let group = body
                .pointer("/subjects/0/attributes/0/value")
                .and_then(Value::as_str)?;
            let resource: BTreeMap<String, String> = body
                .pointer("/resources/0/attributes")
                .and_then(Value::as_array)?
                .iter()
                .filter_map(|a| {
                    Some((
                        a.get("name")?.as_str()?.to_string(),
                        a.get("value")?.as_str()?.to_string(),
                    ))
                })
                .collect();
            account
                .policies
                .iter()
                .find(|p| p.access_group_id == group && p.resource == resource)
                .and_then(|p| found(&[("id", &p.id)]))
        }
        // Deletes: done when the object is gone.
        ("DELETE", ["v2", "groups", id]) => {
            (!account.access_groups.iter().any(|g| g.id == *id)).then(BTreeMap::new)
        }
        ("DELETE", ["v1", "policies", id]) => {
            (!account.policies.iter().any(|p| p.id == *id)).then(BTreeMap::new)
        }
        ("DELETE", ["v2", "roles", id]) => {
            (!account.roles.iter().any(|r| r.id == *id)).then(BTreeMap::new)
        }
        ("DELETE", ["v2", "groups", group, "rules", id]) => (!account
            .access_groups
            .iter()
            .filter(|g| g.id == *group)
            .flat_map(|g| &g.rules)
            .any(|r| r.id == *id))
        .then(BTreeMap::new),
        // Updates and anything else: sent again (an update is idempotent;
        // its ETag check refuses a second one that would undo a change).
        _ => None,
    }
}

/// The path of a URL, without scheme, host and query.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| rest.get(i..).unwrap_or(""));
    path.split(['?', '#']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_leaves_host_and_query_out() {
        assert_eq!(
            path_of("https://iam.cloud.ibm.com/v2/groups?account_id=x"),
            "/v2/groups"
        );
        assert_eq!(path_of("http://127.0.0.1:8080"), "");
    }
}
