//! An IBM Cloud account in memory for the live layer's tests: an empty
//! account with the catalog and the default resource group, the policy's
//! deployment, and `apply`, which carries out a live plan's requests on an
//! [`Account`] with fake, deterministic ids, as IBM would (creates yield ids,
//! updates change fields, `DELETE /v2/groups/{id}?force=true` takes the
//! group's policies with it). Placeholders resolve as the executor resolves
//! them. Shared by the reconcile, import and integration tests.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use qpol::backends::deployment::{self, Deployment};
use qpol::live::account::*;
use qpol::live::plan::{LivePlan, Request};
use qpol::live::reconcile::{self, resolve, resolve_value, Allows, Known, Reconciled};
use qpol::pipeline::Analysis;
use serde_json::Value;
use std::collections::BTreeMap;

/// The account id of `policies/org.qpol`.
pub const ACCOUNT: &str = "b2f1c4e8d9a7461c9e3f5a6b7c8d9e0f";

/// An account with nothing qpol makes: the default resource group and the
/// catalog ids of `quantum-computing` (plans lite, standard) and `appid`.
pub fn empty_account() -> Account {
    let mut catalog = BTreeMap::new();
    for (k, v) in [
        ("quantum-computing", "svc-quantum-computing"),
        ("quantum-computing/lite", "plan-qc-lite"),
        ("quantum-computing/standard", "plan-qc-standard"),
        ("quantum-computing/premium", "plan-qc-premium"),
        ("appid", "svc-appid"),
        ("appid/graduated-tier", "plan-appid-graduated"),
        ("appid/lite", "plan-appid-lite"),
    ] {
        catalog.insert(k.to_string(), v.to_string());
    }
    Account {
        account_id: ACCOUNT.into(),
        resource_groups: vec![ResourceGroup {
            id: "rg-default".into(),
            name: "Default".into(),
            default: true,
        }],
        catalog,
        ..Account::default()
    }
}

/// The checked policy `text` (one file, `org.qpol`) and its deployment.
pub fn analyse(text: &str) -> (Analysis, Allows) {
    let analysis = Analysis::new(qpol::Policy::from_texts([("org.qpol", text)]));
    let allows = Allows::from_model(&analysis.model);
    (analysis, allows)
}

pub fn deployment(analysis: &Analysis) -> Deployment {
    deployment::build(analysis.access())
}

/// Reconcile with every ETag answered `"etag-<url>"`.
pub fn plan(d: &Deployment, account: &Account, allows: &Allows) -> Reconciled {
    let mut etags = |url: &str| -> Result<Option<String>, reconcile::EtagError> {
        Ok(Some(format!(
            "etag-{}",
            url.rsplit('/').next().unwrap_or("")
        )))
    };
    reconcile::reconcile(d, account, allows, &mut etags).unwrap()
}

/// The account after the policy `text` was applied to [`empty_account`].
pub fn converged(text: &str) -> Account {
    converged_from(text, empty_account())
}

/// [`converged`], with the users the policy names by email in the account.
pub fn converged_with(text: &str) -> Account {
    let (analysis, _) = analyse(text);
    let d = deployment(&analysis);
    let mut account = empty_account();
    for email in qpol::backends::ibm_api::user_keys(&d).keys() {
        let name = email.split('@').next().unwrap_or("");
        account.users.push(User {
            iam_id: format!("IBMid-{name}"),
            email: (*email).to_string(),
        });
    }
    converged_from(text, account)
}

/// The account after the policy `text` was applied to `account`.
pub fn converged_from(text: &str, mut account: Account) -> Account {
    let (analysis, allows) = analyse(text);
    let d = deployment(&analysis);
    let out = plan(&d, &account, &allows);
    apply(&mut account, &out.plan);
    account
}

/// Carry out the plan's requests in dependency order.
pub fn apply(account: &mut Account, plan: &LivePlan) {
    let mut known = plan.known.clone();
    let mut todo: Vec<&Request> = plan.actions.iter().flat_map(|a| &a.requests).collect();
    let mut done: Vec<String> = Vec::new();
    while !todo.is_empty() {
        let before = todo.len();
        let mut rest = Vec::new();
        for r in todo {
            let ready = r.depends_on.iter().all(|d| {
                done.contains(d) || (known.contains_key(d) && !is_pending(plan, d, &done))
            });
            if ready {
                let mut fake = Fake {
                    account,
                    known: &mut known,
                };
                fake.send(r);
                done.push(r.id.clone());
            } else {
                rest.push(r);
            }
        }
        assert!(
            rest.len() < before,
            "the plan's requests wait on each other: {:?}",
            rest.iter().map(|r| &r.id).collect::<Vec<_>>()
        );
        todo = rest;
    }
    account.normalise();
}

/// A request of the plan with this id that has not run yet.
fn is_pending(plan: &LivePlan, id: &str, done: &[String]) -> bool {
    plan.actions
        .iter()
        .flat_map(|a| &a.requests)
        .any(|r| r.id == id)
        && !done.iter().any(|d| d == id)
}

struct Fake<'a> {
    account: &'a mut Account,
    known: &'a mut Known,
}

fn n_id(prefix: &str, n: usize) -> String {
    format!("{prefix}-{n:04}")
}

impl Fake<'_> {
    fn yields(&mut self, id: &str, fields: &[(&str, String)]) {
        let entry = self.known.entry(id.to_string()).or_default();
        for (k, v) in fields {
            entry.insert((*k).to_string(), v.clone());
        }
    }

    fn serial(&self) -> usize {
        let a = &self.account;
        1 + a.resource_groups.len()
            + a.instances.len()
            + a.roles.len()
            + a.access_groups.len()
            + a.access_groups.iter().map(|g| g.rules.len()).sum::<usize>()
            + a.policies.len()
            + a.service_ids.len()
    }

    fn send(&mut self, r: &Request) {
        let url = resolve(&r.url, self.known).unwrap_or_else(|| panic!("unresolved url {}", r.url));
        let body = r.body.as_ref().map(|b| {
            resolve_value(b, self.known).unwrap_or_else(|| panic!("unresolved body of {}", r.id))
        });
        let path = url
            .split_once("cloud.ibm.com")
            .map_or(url.as_str(), |(_, p)| p)
            .to_string();
        let (path, query) = path.split_once('?').unwrap_or((path.as_str(), ""));
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let body = body.unwrap_or(Value::Null);
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let n = self.serial();
        match (r.method.as_str(), parts.as_slice()) {
            ("GET", _) => {}
            ("POST", ["v2", "resource_groups"]) => {
                let id = n_id("rg", n);
                self.account.resource_groups.push(ResourceGroup {
                    id: id.clone(),
                    name: s("name").unwrap(),
                    default: false,
                });
                self.yields(&r.id, &[("id", id)]);
            }
            ("POST", ["v2", "resource_instances"]) => {
                let plan = s("resource_plan_id").unwrap();
                let catalog = &self.account.catalog;
                let service = catalog
                    .iter()
                    .find(|(_, v)| **v == plan)
                    .map(|(k, _)| k.split('/').next().unwrap().to_string())
                    .unwrap();
                let guid = format!("00000000-0000-4000-8000-{n:012}");
                let region = s("target").unwrap();
                let crn = format!(
                    "crn:v1:bluemix:public:{service}:{region}:a/{}:{guid}::",
                    self.account.account_id
                );
                self.account.instances.push(Instance {
                    id: crn.clone(),
                    guid: guid.clone(),
                    crn: crn.clone(),
                    name: s("name").unwrap(),
                    resource_id: catalog.get(&service).unwrap().clone(),
                    resource_plan_id: plan,
                    region_id: region,
                    resource_group_id: s("resource_group").unwrap(),
                    state: "active".into(),
                });
                self.yields(&r.id, &[("id", crn.clone()), ("crn", crn), ("guid", guid)]);
            }
            ("PATCH", ["v2", "resource_instances", id]) => {
                let i = self
                    .account
                    .instances
                    .iter_mut()
                    .find(|i| i.guid == *id)
                    .unwrap();
                i.resource_plan_id = s("resource_plan_id").unwrap();
            }
            ("DELETE", ["v2", "resource_instances", id]) => {
                self.account.instances.retain(|i| i.guid != *id)
            }
            ("POST", ["v2", "roles"]) => {
                let id = n_id("role", n);
                let crn = format!(
                    "crn:v1:bluemix:public:iam-access-management::a/{}::customRole:{}",
                    self.account.account_id,
                    s("name").unwrap()
                );
                self.account.roles.push(Role {
                    id: id.clone(),
                    crn: crn.clone(),
                    name: s("name").unwrap(),
                    display_name: s("display_name").unwrap(),
                    description: s("description"),
                    actions: strings(&body, "actions"),
                    service_name: s("service_name").unwrap(),
                });
                self.yields(&r.id, &[("id", id), ("crn", crn)]);
            }
            ("PUT", ["v2", "roles", id]) => {
                let role = self.account.roles.iter_mut().find(|x| x.id == *id).unwrap();
                role.display_name = s("display_name").unwrap();
                role.description = s("description");
                role.actions = strings(&body, "actions");
            }
            ("DELETE", ["v2", "roles", id]) => self.account.roles.retain(|x| x.id != *id),
            ("POST", ["v1", "serviceids"]) => {
                let id = n_id("ServiceId", n);
                let iam_id = format!("iam-{id}");
                self.account.service_ids.push(ServiceId {
                    id: id.clone(),
                    iam_id: iam_id.clone(),
                    name: s("name").unwrap(),
                    description: s("description"),
                });
                self.yields(&r.id, &[("id", id), ("iam_id", iam_id)]);
            }
            ("PUT", ["v1", "serviceids", id]) => {
                let x = self
                    .account
                    .service_ids
                    .iter_mut()
                    .find(|x| x.id == *id)
                    .unwrap();
                x.description = s("description");
            }
            ("DELETE", ["v1", "serviceids", id]) => {
                self.account.service_ids.retain(|x| x.id != *id)
            }
            ("PATCH", ["v2", "groups", "settings"]) => {
                let enabled = body
                    .get("public_access_enabled")
                    .and_then(Value::as_bool)
                    .unwrap();
                self.account.access_group_settings = Some(AccessGroupSettings {
                    public_access_enabled: enabled,
                });
            }
            ("POST", ["v2", "groups"]) => {
                let id = n_id("AccessGroupId", n);
                self.account.access_groups.push(AccessGroup {
                    id: id.clone(),
                    name: s("name").unwrap(),
                    description: s("description"),
                    rules: vec![],
                    members: vec![],
                });
                self.yields(&r.id, &[("id", id)]);
            }
            ("PATCH", ["v2", "groups", id]) => {
                let g = self.group(id);
                g.description = s("description");
            }
            ("DELETE", ["v2", "groups", id]) => {
                assert_eq!(
                    query, "force=true",
                    "a group with rules, members or policies needs force"
                );
                self.account.access_groups.retain(|g| g.id != *id);
                self.account.policies.retain(|p| p.access_group_id != *id);
            }
            ("POST", ["v2", "groups", gid, "rules"]) => {
                let id = n_id("ClaimRule", n);
                let rule = rule(&id, &body);
                self.group(gid).rules.push(rule);
                self.yields(&r.id, &[("id", id)]);
            }
            ("PUT", ["v2", "groups", gid, "rules", rid]) => {
                let new = rule(rid, &body);
                let g = self.group(gid);
                let old = g.rules.iter_mut().find(|x| x.id == *rid).unwrap();
                *old = new;
            }
            ("DELETE", ["v2", "groups", gid, "rules", rid]) => {
                self.group(gid).rules.retain(|x| x.id != *rid)
            }
            ("PUT", ["v2", "groups", gid, "members"]) => {
                let members = body["members"].as_array().unwrap().iter().map(|m| Member {
                    iam_id: m["iam_id"].as_str().unwrap().into(),
                    kind: m["type"].as_str().unwrap().into(),
                });
                let g = self.group(gid);
                for m in members {
                    if !g.members.iter().any(|x| x.iam_id == m.iam_id) {
                        g.members.push(m);
                    }
                }
            }
            ("DELETE", ["v2", "groups", gid, "members", iam_id]) => {
                self.group(gid).members.retain(|m| m.iam_id != *iam_id)
            }
            ("POST", ["v1", "policies"]) => {
                let id = n_id("policy", n);
                self.account.policies.push(policy(&id, &body));
                self.yields(&r.id, &[("id", id)]);
            }
            ("PUT", ["v1", "policies", id]) => {
                let p = self
                    .account
                    .policies
                    .iter_mut()
                    .find(|p| p.id == *id)
                    .unwrap();
                *p = policy(id, &body);
            }
            ("DELETE", ["v1", "policies", id]) => self.account.policies.retain(|p| p.id != *id),
            ("PUT", ["v1", "accounts", _, "settings", "identity"]) => {
                let mut x = self
                    .account
                    .identity_settings
                    .clone()
                    .unwrap_or(IdentitySettings {
                        entity_tag: "1".into(),
                        restrict_create_service_id: None,
                        restrict_create_platform_apikey: None,
                        restrict_user_list_visibility: None,
                        mfa: None,
                    });
                let set = |f: &mut Option<String>, k: &str| {
                    if let Some(v) = s(k) {
                        *f = Some(v);
                    }
                };
                set(&mut x.mfa, "mfa");
                set(
                    &mut x.restrict_create_platform_apikey,
                    "restrict_create_platform_apikey",
                );
                set(
                    &mut x.restrict_create_service_id,
                    "restrict_create_service_id",
                );
                set(
                    &mut x.restrict_user_list_visibility,
                    "restrict_user_list_visibility",
                );
                self.account.identity_settings = Some(x);
            }
            (method, _) => panic!("the fake account does not know {method} {url}"),
        }
    }

    fn group(&mut self, id: &str) -> &mut AccessGroup {
        self.account
            .access_groups
            .iter_mut()
            .find(|g| g.id == id)
            .unwrap_or_else(|| panic!("no group {id}"))
    }
}

fn strings(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn rule(id: &str, body: &Value) -> Rule {
    Rule {
        id: id.into(),
        name: body["name"].as_str().unwrap().into(),
        expiration: body["expiration"].as_i64().unwrap(),
        realm_name: body["realm_name"].as_str().unwrap().into(),
        conditions: body["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Condition {
                claim: c["claim"].as_str().unwrap().into(),
                operator: c["operator"].as_str().unwrap().into(),
                value: c["value"].as_str().unwrap().into(),
            })
            .collect(),
    }
}

fn policy(id: &str, body: &Value) -> Policy {
    Policy {
        id: id.into(),
        description: body["description"].as_str().map(str::to_string),
        access_group_id: body["subjects"][0]["attributes"][0]["value"]
            .as_str()
            .unwrap()
            .into(),
        roles: body["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["role_id"].as_str().unwrap().to_string())
            .collect(),
        resource: body["resources"][0]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_string(),
                    a["value"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    }
}

/// The plan's requests as an `ibm-api` request plan that
/// `shared/tools/sdk_conformance.py` replays through IBM's SDK: values of
/// existing objects filled in from `known`, each ETag sent as `If-Match`,
/// `depends_on` limited to the plan's requests, in dependency order.
pub fn as_request_plan(plan: &LivePlan) -> Value {
    let all: Vec<&Request> = plan.actions.iter().flat_map(|a| &a.requests).collect();
    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    let mut todo = all.clone();
    let mut done: Vec<String> = Vec::new();
    let mut out = Vec::new();
    while !todo.is_empty() {
        let before = todo.len();
        let (ready, rest): (Vec<&Request>, Vec<&Request>) = todo.into_iter().partition(|r| {
            r.depends_on
                .iter()
                .all(|d| !ids.contains(&d.as_str()) || done.contains(d))
        });
        for r in ready {
            let mut r = r.clone();
            r.url = fill(&r.url, &plan.known);
            r.body = r.body.map(|b| fill_value(&b, &plan.known));
            r.depends_on.retain(|d| ids.contains(&d.as_str()));
            if let Some(tag) = r.etag.take() {
                r.headers.insert("If-Match".into(), tag);
            }
            done.push(r.id.clone());
            out.push(serde_json::to_value(&r).unwrap());
        }
        assert!(rest.len() < before, "a dependency cycle");
        todo = rest;
    }
    serde_json::json!({ "format": "qpol-ibm-api-plan/1", "requests": out, "variables": {} })
}

/// `${ID.FIELD}` of known objects replaced; the others kept.
fn fill(text: &str, known: &Known) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let escaped = at > 0 && rest.as_bytes()[at - 1] == b'$';
        let end = rest[at..].find('}').map(|e| at + e);
        match end {
            Some(end) if !escaped => {
                let name = &rest[at + 2..end];
                let value = name
                    .rsplit_once('.')
                    .and_then(|(id, field)| known.get(id)?.get(field))
                    .filter(|_| !name.starts_with("var."));
                out.push_str(&rest[..at]);
                match value {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[at..=end]),
                }
                rest = &rest[end + 1..];
            }
            _ => {
                out.push_str(&rest[..at + 2]);
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn fill_value(value: &Value, known: &Known) -> Value {
    match value {
        Value::String(s) => Value::String(fill(s, known)),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_value(v, known)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_value(v, known)))
                .collect(),
        ),
        other => other.clone(),
    }
}
