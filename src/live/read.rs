//! Reading a live account into an [`Account`] snapshot
//! ([`read_account`]): resource groups; the catalog ids of
//! `quantum-computing` and `appid` and their plans; the instances of both;
//! custom roles; access groups (the public-access one aside) with their
//! rules and members; access policies whose subject is an access group;
//! service ids; users; IAM identity and access-group settings. Every list
//! is followed to its last page as its API pages it ([`Paging`]); the
//! lists are read in parallel, and the groups' rules and members too.
//! An answer that is not what the API documents is an error naming the
//! endpoint and the field. [`etag`] reads one object's ETag, [`etags`]
//! many at once.

use super::account::{
    AccessGroup, AccessGroupSettings, Account, Condition, IdentitySettings, Instance, Member,
    Policy, ResourceGroup, Role, Rule, ServiceId, User,
};
use super::endpoints::{GLOBAL_CATALOG, IAM, RESOURCE_CONTROLLER, USER_MANAGEMENT};
use super::error::{Error, Result};
use super::http::Client;
use super::pages::{endpoint, list, objs, Obj, Paging};
use crate::backends::ibm_api::text::url_value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The services whose instances qpol reads.
pub const SERVICES: [&str; 2] = ["quantum-computing", "appid"];

/// Page size asked of every paged list.
const PAGE: u32 = 100;

/// The whole account (see the module doc).
pub fn read_account(client: &Client, account_id: &str) -> Result<Account> {
    let account = url_value(account_id).into_owned();
    let a = account.as_str();
    let (rgs, catalog_instances, roles, groups, policies, service_ids, users, identity, ag) =
        std::thread::scope(|s| {
            let rgs = s.spawn(|| resource_groups(client, a));
            let catalog = s.spawn(|| catalog_and_instances(client));
            let roles = s.spawn(|| roles(client, a));
            let groups = s.spawn(|| access_groups(client, a));
            let policies = s.spawn(|| policies(client, a));
            let service_ids = s.spawn(|| service_ids(client, a));
            let users = s.spawn(|| users(client, a));
            let identity = s.spawn(|| identity_settings(client, a));
            let ag = s.spawn(|| access_group_settings(client, a));
            (
                join(rgs),
                join(catalog),
                join(roles),
                join(groups),
                join(policies),
                join(service_ids),
                join(users),
                join(identity),
                join(ag),
            )
        });
    let (catalog, instances) = catalog_instances?;
    let mut out = Account {
        account_id: account_id.to_string(),
        resource_groups: rgs?,
        instances,
        roles: roles?,
        access_groups: groups?,
        policies: policies?,
        service_ids: service_ids?,
        users: users?,
        identity_settings: Some(identity?),
        access_group_settings: Some(ag?),
        catalog,
    };
    out.normalise();
    Ok(out)
}

/// A reader thread's result (a thread that panicked: an error, not a panic).
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, Result<T>>) -> Result<T> {
    handle.join().unwrap_or_else(|_| {
        Err(Error::Transport {
            method: "GET".into(),
            url: "-".into(),
            sent_to: String::new(),
            reason: "a reader thread stopped".into(),
            attempts: 0,
        })
    })
}

/// The `ETag` header of `GET url` (canonical), if the API sent one.
pub fn etag(client: &Client, url: &str) -> Result<Option<String>> {
    Ok(client.get(url)?.header("etag").map(str::to_string))
}

/// The [`etag`] of each of `urls`, as many read at a time as the client
/// allows (a plan that updates or deletes hundreds of objects reads
/// hundreds of ETags). After a failure the readers start no new read: a
/// URL missing from the answer was not read.
pub fn etags(client: &Client, urls: &BTreeSet<String>) -> BTreeMap<String, Result<Option<String>>> {
    let urls: Vec<&String> = urls.iter().collect();
    let read = each(client, &urls, |url| etag(client, url));
    urls.into_iter()
        .zip(read)
        .filter_map(|(url, tag)| Some((url.clone(), tag?)))
        .collect()
}

/// `f` of each item, on as many threads as the client lets requests be in
/// flight (fewer would leave its bound unused), items taken in order; a
/// thread stops at its first error. The results by position: `None` for
/// an item no thread reached, which comes after an error.
fn each<T: Sync, R: Send>(
    client: &Client,
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Vec<Option<Result<R>>> {
    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<(usize, Result<R>)>> = Mutex::new(Vec::new());
    let readers = client.max_in_flight().min(items.len());
    std::thread::scope(|s| {
        for _ in 0..readers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let result = f(item);
                let failed = result.is_err();
                found
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((i, result));
                if failed {
                    break;
                }
            });
        }
    });
    let mut out: Vec<Option<Result<R>>> =
        std::iter::repeat_with(|| None).take(items.len()).collect();
    for (i, result) in found.into_inner().unwrap_or_else(|e| e.into_inner()) {
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(result);
        }
    }
    out
}

fn resource_groups(client: &Client, account: &str) -> Result<Vec<ResourceGroup>> {
    let url = format!("{RESOURCE_CONTROLLER}/v2/resource_groups?account_id={account}");
    let items = list(client, &url, "resources", Paging::None)?;
    let at = endpoint("GET", &url);
    objs(&items, &at, "resources")?
        .into_iter()
        .map(|o| {
            Ok(ResourceGroup {
                id: o.str("id")?,
                name: o.str("name")?,
                default: o.bool_or("default", false)?,
            })
        })
        .collect()
}

/// The catalog ids of [`SERVICES`] and their plans, then their instances.
fn catalog_and_instances(client: &Client) -> Result<(BTreeMap<String, String>, Vec<Instance>)> {
    let mut catalog = BTreeMap::new();
    let mut instances = Vec::new();
    for service in SERVICES {
        let url = format!("{GLOBAL_CATALOG}/api/v1/?q=name:{service}&include=%2A");
        let items = list(client, &url, "resources", Paging::CatalogOffset)?;
        let at = endpoint("GET", &url);
        let mut entry = None;
        for o in objs(&items, &at, "resources")? {
            if o.str("name")? == service {
                entry = Some(o.str("id")?);
                break;
            }
        }
        // A catalog without the service: the account can hold none of it.
        let Some(id) = entry else { continue };
        let url = format!("{GLOBAL_CATALOG}/api/v1/{}/plan", url_value(&id));
        let plans = list(client, &url, "resources", Paging::CatalogOffset)?;
        let at = endpoint("GET", &url);
        for o in objs(&plans, &at, "resources")? {
            catalog.insert(format!("{service}/{}", o.str("name")?), o.str("id")?);
        }
        instances.extend(instances_of(client, &id)?);
        catalog.insert(service.to_string(), id);
    }
    Ok((catalog, instances))
}

fn instances_of(client: &Client, resource_id: &str) -> Result<Vec<Instance>> {
    let url = format!(
        "{RESOURCE_CONTROLLER}/v2/resource_instances?resource_id={}&limit={PAGE}",
        url_value(resource_id)
    );
    let items = list(client, &url, "resources", Paging::NextUrl("start"))?;
    let at = endpoint("GET", &url);
    objs(&items, &at, "resources")?
        .into_iter()
        .map(|o| {
            Ok(Instance {
                id: o.str("id")?,
                guid: o.str("guid")?,
                crn: o.str("crn")?,
                name: o.str("name")?,
                resource_id: o.str("resource_id")?,
                resource_plan_id: o.str("resource_plan_id")?,
                region_id: o.opt_str("region_id")?.unwrap_or_default(),
                resource_group_id: o.str("resource_group_id")?,
                state: o.opt_str("state")?.unwrap_or_default(),
            })
        })
        .collect()
}

fn roles(client: &Client, account: &str) -> Result<Vec<Role>> {
    let url = format!("{IAM}/v2/roles?account_id={account}");
    let items = list(client, &url, "custom_roles", Paging::None)?;
    let at = endpoint("GET", &url);
    objs(&items, &at, "custom_roles")?
        .into_iter()
        .map(|o| {
            Ok(Role {
                id: o.str("id")?,
                crn: o.str("crn")?,
                name: o.str("name")?,
                display_name: o.str("display_name")?,
                description: o.opt_str("description")?,
                actions: o.strs("actions")?,
                service_name: o.opt_str("service_name")?.unwrap_or_default(),
            })
        })
        .collect()
}

/// The groups, then the rules and members of each, as many groups at a
/// time as the client allows.
fn access_groups(client: &Client, account: &str) -> Result<Vec<AccessGroup>> {
    let url = format!("{IAM}/v2/groups?account_id={account}&hide_public_access=true&limit={PAGE}");
    let items = list(client, &url, "groups", Paging::OffsetHref)?;
    let at = endpoint("GET", &url);
    let mut groups = objs(&items, &at, "groups")?
        .into_iter()
        .map(|o| {
            Ok(AccessGroup {
                id: o.str("id")?,
                name: o.str("name")?,
                description: o.opt_str("description")?,
                rules: Vec::new(),
                members: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let parts = each(client, &groups, |g| {
        let rules = rules(client, &g.id)?;
        Ok((rules, members(client, &g.id)?))
    });
    for (g, result) in groups.iter_mut().zip(parts) {
        // An item no reader reached comes after one that failed.
        let Some(result) = result else { continue };
        let (rules, members) = result?;
        g.rules = rules;
        g.members = members;
    }
    Ok(groups)
}

fn rules(client: &Client, group: &str) -> Result<Vec<Rule>> {
    let url = format!("{IAM}/v2/groups/{}/rules", url_value(group));
    let items = list(client, &url, "rules", Paging::None)?;
    let at = endpoint("GET", &url);
    objs(&items, &at, "rules")?
        .into_iter()
        .map(|o| {
            Ok(Rule {
                id: o.str("id")?,
                name: o.str("name")?,
                expiration: o.int("expiration")?,
                realm_name: o.str("realm_name")?,
                conditions: o
                    .objs("conditions")?
                    .into_iter()
                    .map(|c| {
                        Ok(Condition {
                            claim: c.str("claim")?,
                            operator: c.str("operator")?,
                            value: c.str("value")?,
                        })
                    })
                    .collect::<Result<_>>()?,
            })
        })
        .collect()
}

fn members(client: &Client, group: &str) -> Result<Vec<Member>> {
    let url = format!("{IAM}/v2/groups/{}/members?limit={PAGE}", url_value(group));
    let items = list(client, &url, "members", Paging::OffsetHref)?;
    let at = endpoint("GET", &url);
    objs(&items, &at, "members")?
        .into_iter()
        .map(|o| {
            Ok(Member {
                iam_id: o.str("iam_id")?,
                kind: o.str("type")?,
            })
        })
        .collect()
}

/// Access policies whose subject is an access group.
fn policies(client: &Client, account: &str) -> Result<Vec<Policy>> {
    let url = format!("{IAM}/v1/policies?account_id={account}&type=access&limit={PAGE}");
    let items = list(client, &url, "policies", Paging::StartObject)?;
    let at = endpoint("GET", &url);
    let mut out = Vec::new();
    for o in objs(&items, &at, "policies")? {
        if o.opt_str("type")?.is_some_and(|t| t != "access") {
            continue;
        }
        let mut group = None;
        for subject in o.objs("subjects")? {
            for a in subject.objs("attributes")? {
                if a.str("name")? == "access_group_id" {
                    group = Some(a.str("value")?);
                }
            }
        }
        let Some(access_group_id) = group else {
            continue;
        };
        let roles = o
            .objs("roles")?
            .iter()
            .map(|r| r.str("role_id"))
            .collect::<Result<_>>()?;
        let mut resource = BTreeMap::new();
        for r in o.objs("resources")? {
            for a in r.objs("attributes")? {
                resource.insert(a.str("name")?, attribute_value(&a)?);
            }
        }
        out.push(Policy {
            id: o.str("id")?,
            description: o.opt_str("description")?,
            access_group_id,
            roles,
            resource,
        });
    }
    Ok(out)
}

/// A resource attribute's value: a string (as IAM writes them), or a
/// number or boolean written out.
fn attribute_value(a: &Obj<'_>) -> Result<String> {
    match a.value.get("value") {
        Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Ok(b.to_string()),
        _ => a.str("value"),
    }
}

fn service_ids(client: &Client, account: &str) -> Result<Vec<ServiceId>> {
    let url = format!("{IAM}/v1/serviceids/?account_id={account}&pagesize={PAGE}");
    let items = list(client, &url, "serviceids", Paging::PageToken)?;
    let at = endpoint("GET", &url);
    objs(&items, &at, "serviceids")?
        .into_iter()
        .map(|o| {
            Ok(ServiceId {
                id: o.str("id")?,
                iam_id: o.str("iam_id")?,
                name: o.str("name")?,
                description: o.opt_str("description")?,
            })
        })
        .collect()
}

fn users(client: &Client, account: &str) -> Result<Vec<User>> {
    let url = format!("{USER_MANAGEMENT}/v2/accounts/{account}/users?limit={PAGE}");
    let items = list(client, &url, "resources", Paging::NextUrl("_start"))?;
    let at = endpoint("GET", &url);
    objs(&items, &at, "resources")?
        .into_iter()
        .map(|o| {
            Ok(User {
                iam_id: o.str("iam_id")?,
                email: o.opt_str("email")?.unwrap_or_default(),
            })
        })
        .collect()
}

fn identity_settings(client: &Client, account: &str) -> Result<IdentitySettings> {
    let url = format!("{IAM}/v1/accounts/{account}/settings/identity");
    let body = client.get(&url)?.body;
    let at = endpoint("GET", &url);
    let o = Obj::new(&body, &at, "settings".into())?;
    Ok(IdentitySettings {
        entity_tag: o.str("entity_tag")?,
        restrict_create_service_id: o.opt_str("restrict_create_service_id")?,
        restrict_create_platform_apikey: o.opt_str("restrict_create_platform_apikey")?,
        restrict_user_list_visibility: o.opt_str("restrict_user_list_visibility")?,
        mfa: o.opt_str("mfa")?,
    })
}

fn access_group_settings(client: &Client, account: &str) -> Result<AccessGroupSettings> {
    let url = format!("{IAM}/v2/groups/settings?account_id={account}");
    let body = client.get(&url)?.body;
    let at = endpoint("GET", &url);
    let o = Obj::new(&body, &at, "settings".into())?;
    Ok(AccessGroupSettings {
        public_access_enabled: o.bool_or("public_access_enabled", false)?,
    })
}
