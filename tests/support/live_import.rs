//! The account that applying a policy produces, without a cloud: the
//! policy's `ibm-api` request plan "executed" in order with fake ids (each
//! `${ID.FIELD}` replaced by the value its request yielded), each request's
//! body turned into the object IAM or the resource controller would list.
//! qpol's objects carry the marker in their description, as `apply` writes
//! them.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::backends::{self, Target};
use qpol::live::account::*;
use qpol::live::MARKER;
use qpol::pipeline::Analysis;
use qpol::Policy as PolicyFiles;
use serde_json::Value;
use std::collections::BTreeMap;

/// The account id used when the policy gives none.
pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

/// The `requests` of a policy's `ibm-api` plan (the policy must check clean).
pub fn requests(text: &str) -> Vec<Value> {
    let analysis = Analysis::new(PolicyFiles::from_texts([("policy.qpol", text)]));
    let compiled = backends::compile(&analysis, Target::IbmApi);
    let Some(plan) = compiled.text() else {
        let errors: Vec<String> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code.id(), d.message))
            .collect();
        panic!("the policy does not compile: {errors:#?}\n{text}");
    };
    let plan: Value = serde_json::from_str(&plan).unwrap();
    plan["requests"].as_array().unwrap().clone()
}

/// The account after applying `text` to an empty account (with its
/// default resource group).
pub fn applied(text: &str) -> Account {
    let analysis = Analysis::new(PolicyFiles::from_texts([("policy.qpol", text)]));
    let id = analysis
        .model
        .account
        .as_ref()
        .and_then(|a| a.id.as_ref())
        .map_or_else(|| ACCOUNT.to_string(), |id| id.value.to_string());
    let mut fake = Fake {
        account: Account {
            account_id: id,
            resource_groups: vec![ResourceGroup {
                id: "rg-default".into(),
                name: "Default".into(),
                default: true,
            }],
            ..Account::default()
        },
        values: BTreeMap::new(),
        n: 0,
    };
    for r in requests(text) {
        fake.send(&r);
    }
    fake.account.normalise();
    fake.account
}

struct Fake {
    account: Account,
    /// Request id -> field -> value.
    values: BTreeMap<String, BTreeMap<String, String>>,
    n: usize,
}

/// The description as compiled: it ends with the marker already.
fn marked(description: Option<&str>) -> Option<String> {
    Some(match description {
        Some(d) if d.ends_with(MARKER) => d.to_string(),
        Some(d) => format!("{d} {MARKER}"),
        None => MARKER.to_string(),
    })
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

impl Fake {
    fn next(&mut self) -> usize {
        self.n += 1;
        self.n
    }

    /// `${ID.FIELD}` and `${var.account_id}` replaced, `$${` made `${`.
    fn resolve(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            if let Some(after) = tail.strip_prefix("$${") {
                out.push_str("${");
                rest = after;
            } else if let Some(after) = tail.strip_prefix("${") {
                let end = after.find('}').unwrap();
                let name = &after[..end];
                let value = if name == "var.account_id" {
                    self.account.account_id.clone()
                } else {
                    let (id, field) = name.rsplit_once('.').unwrap();
                    self.values[id][field].clone()
                };
                out.push_str(&value);
                rest = &after[end + 1..];
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        out
    }

    fn resolve_value(&self, v: &Value) -> Value {
        match v {
            Value::String(t) => Value::String(self.resolve(t)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.resolve_value(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.resolve_value(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn send(&mut self, r: &Value) {
        let id = s(&r["id"]);
        let url = self.resolve(&s(&r["url"]));
        let body = self.resolve_value(&r["body"]);
        let method = s(&r["method"]);
        let yielded = self.object(&id, &method, &url, &body);
        self.values.insert(id, yielded);
    }

    /// Create the object of one request; what it yields.
    fn object(&mut self, id: &str, method: &str, url: &str, b: &Value) -> BTreeMap<String, String> {
        let n = self.next();
        let a = &mut self.account;
        let kind = id.split('.').next().unwrap();
        let one = |k: &str, v: String| BTreeMap::from([(k.to_string(), v)]);
        match kind {
            "catalog" => {
                let rest = id.strip_prefix("catalog.").unwrap();
                match rest.split_once(".plan.") {
                    Some((service, plan)) => {
                        let pid = format!("plan-{service}-{plan}");
                        a.catalog.insert(format!("{service}/{plan}"), pid.clone());
                        one("id", pid)
                    }
                    None => {
                        let sid = format!("svc-{rest}");
                        a.catalog.insert(rest.to_string(), sid.clone());
                        one("id", sid)
                    }
                }
            }
            "resource_group" if method == "GET" && url.contains("default=true") => {
                one("id", "rg-default".into())
            }
            "resource_group" if method == "GET" => {
                let name = url.rsplit("name=").next().unwrap();
                let g = a.resource_groups.iter().find(|g| g.name == name).unwrap();
                one("id", g.id.clone())
            }
            "resource_group" => {
                let rid = format!("rg-{n}");
                a.resource_groups.push(ResourceGroup {
                    id: rid.clone(),
                    name: s(&b["name"]),
                    default: false,
                });
                one("id", rid)
            }
            "instance" => {
                let plan = s(&b["resource_plan_id"]);
                let (key, _) = a.catalog.iter().find(|(_, v)| **v == plan).unwrap();
                let service = key.split('/').next().unwrap().to_string();
                let guid = format!("{n:08x}-0000-4000-8000-{n:012x}");
                let region = s(&b["target"]);
                let crn = format!(
                    "crn:v1:bluemix:public:{service}:{region}:a/{}:{guid}::",
                    a.account_id
                );
                a.instances.push(Instance {
                    id: crn.clone(),
                    guid: guid.clone(),
                    crn: crn.clone(),
                    name: s(&b["name"]),
                    resource_id: a.catalog[&service].clone(),
                    resource_plan_id: plan,
                    region_id: region,
                    resource_group_id: s(&b["resource_group"]),
                    state: "active".into(),
                });
                BTreeMap::from([("guid".into(), guid), ("crn".into(), crn)])
            }
            "role" => {
                let name = s(&b["name"]);
                let crn = format!(
                    "crn:v1:bluemix:public:iam-access-management::a/{}::customRole:{name}",
                    a.account_id
                );
                a.roles.push(Role {
                    id: format!("role-{n}"),
                    crn: crn.clone(),
                    name,
                    display_name: s(&b["display_name"]),
                    description: marked(b["description"].as_str()),
                    actions: b["actions"].as_array().unwrap().iter().map(s).collect(),
                    service_name: s(&b["service_name"]),
                });
                one("crn", crn)
            }
            "service_id" => {
                let iam = format!("iam-ServiceId-{n}");
                a.service_ids.push(ServiceId {
                    id: format!("ServiceId-{n}"),
                    iam_id: iam.clone(),
                    name: s(&b["name"]),
                    description: marked(b["description"].as_str()),
                });
                one("iam_id", iam)
            }
            "user" => {
                let search = url.rsplit("search=").next().unwrap();
                let email = percent_decode(search)
                    .strip_prefix("email:")
                    .unwrap()
                    .to_string();
                let iam = format!("IBMid-{n:06}");
                a.users.push(User {
                    iam_id: iam.clone(),
                    email,
                });
                one("iam_id", iam)
            }
            "access_group" => {
                let gid = format!("AccessGroupId-{n}");
                a.access_groups.push(AccessGroup {
                    id: gid.clone(),
                    name: s(&b["name"]),
                    description: marked(b["description"].as_str()),
                    rules: Vec::new(),
                    members: Vec::new(),
                });
                one("id", gid)
            }
            "rule" => {
                let group = group_of(a, url);
                let rid = format!("ClaimRule-{n}");
                group.rules.push(Rule {
                    id: rid.clone(),
                    name: s(&b["name"]),
                    expiration: b["expiration"].as_i64().unwrap(),
                    realm_name: s(&b["realm_name"]),
                    conditions: b["conditions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| Condition {
                            claim: s(&c["claim"]),
                            operator: s(&c["operator"]),
                            value: s(&c["value"]),
                        })
                        .collect(),
                });
                one("id", rid)
            }
            "members" => {
                let group = group_of(a, url);
                for m in b["members"].as_array().unwrap() {
                    group.members.push(Member {
                        iam_id: s(&m["iam_id"]),
                        kind: s(&m["type"]),
                    });
                }
                BTreeMap::new()
            }
            "policy" => {
                let pid = format!("policy-{n}");
                let resource = b["resources"][0]["attributes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| (s(&x["name"]), s(&x["value"])))
                    .collect();
                a.policies.push(Policy {
                    id: pid.clone(),
                    description: marked(b["description"].as_str()),
                    access_group_id: s(&b["subjects"][0]["attributes"][0]["value"]),
                    roles: b["roles"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| s(&r["role_id"]))
                        .collect(),
                    resource,
                });
                one("id", pid)
            }
            "account" if id == "account.identity" => {
                let get = |k: &str| b[k].as_str().map(str::to_string);
                a.identity_settings = Some(IdentitySettings {
                    entity_tag: "1-fake".into(),
                    restrict_create_service_id: get("restrict_create_service_id"),
                    restrict_create_platform_apikey: get("restrict_create_platform_apikey"),
                    restrict_user_list_visibility: get("restrict_user_list_visibility"),
                    mfa: get("mfa"),
                });
                BTreeMap::new()
            }
            "account" => {
                a.access_group_settings = Some(AccessGroupSettings {
                    public_access_enabled: b["public_access_enabled"].as_bool().unwrap(),
                });
                BTreeMap::new()
            }
            other => panic!("request {id}: no fake for {other}"),
        }
    }
}

/// The access group of a `/v2/groups/{id}/...` URL.
fn group_of<'a>(a: &'a mut Account, url: &str) -> &'a mut AccessGroup {
    let gid = url
        .split("/v2/groups/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    a.access_groups.iter_mut().find(|g| g.id == gid).unwrap()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Requests with what may differ between a policy and its import left
/// out: a custom role's request id (the policy's role name; an import
/// names roles after their IAM name) becomes `role=IAMNAME` wherever it
/// appears, and the requests are sorted by id (their order follows ids).
pub fn canonical(requests: &[Value]) -> Vec<Value> {
    let mut text = serde_json::to_string(requests).unwrap();
    for r in requests {
        let id = s(&r["id"]);
        if let Some(key) = id.strip_prefix("role.") {
            let name = s(&r["body"]["name"]);
            text = text
                .replace(&format!("${{role.{key}."), &format!("${{role={name}."))
                .replace(&format!("\"role.{key}\""), &format!("\"role={name}\""));
        }
    }
    let mut out: Vec<Value> = serde_json::from_str(&text).unwrap();
    for r in &mut out {
        if let Some(deps) = r["depends_on"].as_array_mut() {
            deps.sort_by_key(|d| d.as_str().unwrap_or_default().to_string());
        }
    }
    out.sort_by_key(|r| s(&r["id"]));
    out
}
