//! The `ibm-api` target: the IBM Cloud REST requests that create a
//! deployment, in dependency order (format `qpol-ibm-api-plan/1`, see
//! shared/reference/ibm-cloud-apis.md). Bodies are what IBM's
//! platform-services SDKs send; `${ID.FIELD}` stands for a value an earlier
//! request yields, `${var.NAME}` for an input at apply time. A dynamic
//! rule's value is quoted exactly as the Terraform provider quotes it, so
//! both targets create identical rules.

use super::deployment::{Deployment, Realm, Scope, ServiceMember, PLATFORM_ROLE, SERVICE};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

const IAM: &str = "https://iam.cloud.ibm.com";
const RESOURCE_CONTROLLER: &str = "https://resource-controller.cloud.ibm.com";
const CATALOG: &str = "https://globalcatalog.cloud.ibm.com/api/v1";
const USER_MANAGEMENT: &str = "https://user-management.cloud.ibm.com";

#[derive(Serialize)]
struct Plan {
    format: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    idp_user_attributes: BTreeMap<String, BTreeMap<String, crate::syntax::ast::AttrValue>>,
    requests: Vec<Request>,
    /// Inputs the plan refers to as `${var.NAME}`, with what each is.
    variables: BTreeMap<String, String>,
}

#[derive(Serialize, Clone)]
pub struct Request {
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    depends_on: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<&'static str, &'static str>,
    id: String,
    method: &'static str,
    url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    yields: BTreeMap<&'static str, String>,
}

impl Request {
    fn new(id: String, method: &'static str, url: String) -> Request {
        Request {
            body: None,
            depends_on: Vec::new(),
            headers: BTreeMap::new(),
            id,
            method,
            url,
            yields: BTreeMap::new(),
        }
    }

    fn body(mut self, body: Value) -> Request {
        self.body = Some(body);
        self
    }

    fn after(mut self, ids: impl IntoIterator<Item = String>) -> Request {
        for id in ids {
            if !self.depends_on.contains(&id) {
                self.depends_on.push(id);
            }
        }
        self
    }

    fn yields(mut self, field: &'static str, path: impl Into<String>) -> Request {
        self.yields.insert(field, path.into());
        self
    }
}

/// Add an optional field to a request body.
fn set(body: &mut Value, key: &str, value: Value) {
    if let Some(object) = body.as_object_mut() {
        object.insert(key.to_string(), value);
    }
}

/// `${ID.FIELD}`
fn placeholder(id: &str, field: &str) -> String {
    format!("${{{id}.{field}}}")
}

/// Write the request plan of a deployment, pretty-printed, ending with a newline.
pub fn write(d: &Deployment, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &plan(d))?;
    out.write_all(b"\n")?;
    out.flush()
}

fn plan(d: &Deployment) -> Plan {
    let mut variables = BTreeMap::new();
    let account = match &d.account_id {
        Some(id) => id.clone(),
        None => {
            variables.insert("account_id".into(), "The IBM Cloud account id".into());
            "${var.account_id}".into()
        }
    };
    let mut requests = Vec::new();

    // Catalog: the service entry, then the id of each plan the instances use.
    let service = format!("catalog.{SERVICE}");
    let plans: BTreeSet<&str> = d
        .instances
        .iter()
        .filter(|i| !i.existing)
        .map(|i| i.plan.as_str())
        .collect();
    if !plans.is_empty() {
        requests.push(
            Request::new(
                service.clone(),
                "GET",
                format!("{CATALOG}/?q=name:{SERVICE}&include=%2A"),
            )
            .yields("id", "$.resources[0].id"),
        );
    }
    for plan in &plans {
        requests.push(
            Request::new(
                format!("{service}.plan.{plan}"),
                "GET",
                format!("{CATALOG}/{}/plan", placeholder(&service, "id")),
            )
            .after([service.clone()])
            .yields("id", format!("$.resources[?(@.name=='{plan}')].id")),
        );
    }

    // Resource groups: created, or looked up by name; the default one by flag.
    let rg_id = |g: Option<usize>| match g.and_then(|g| d.resource_groups.get(g)) {
        Some(g) => format!("resource_group.{}", g.key),
        None => "resource_group.default".to_string(),
    };
    for (index, g) in d.resource_groups.iter().enumerate() {
        let id = rg_id(Some(index));
        requests.push(if g.existing {
            Request::new(
                id,
                "GET",
                format!(
                    "{RESOURCE_CONTROLLER}/v2/resource_groups?account_id={account}&name={}",
                    g.name
                ),
            )
            .yields("id", "$.resources[0].id")
        } else {
            Request::new(
                id,
                "POST",
                format!("{RESOURCE_CONTROLLER}/v2/resource_groups"),
            )
            .body(json!({"name": g.name, "account_id": account}))
            .yields("id", "$.id")
        });
    }
    if d.uses_default_resource_group {
        requests.push(
            Request::new(
                rg_id(None),
                "GET",
                format!(
                    "{RESOURCE_CONTROLLER}/v2/resource_groups?account_id={account}&default=true"
                ),
            )
            .yields("id", "$.resources[0].id"),
        );
    }

    let instance_id = |i: usize| {
        d.instances
            .get(i)
            .map_or_else(String::new, |x| format!("instance.{}", x.key))
    };
    for (i, x) in d.instances.iter().enumerate() {
        let rg = rg_id(x.resource_group);
        let request = if x.existing {
            let mut url = format!(
                "{RESOURCE_CONTROLLER}/v2/resource_instances?name={}",
                x.name
            );
            let mut after = Vec::new();
            if x.resource_group.is_some() {
                url.push_str(&format!("&resource_group_id={}", placeholder(&rg, "id")));
                after.push(rg);
            }
            Request::new(instance_id(i), "GET", url)
                .after(after)
                .yields("guid", "$.resources[0].guid")
                .yields("crn", "$.resources[0].crn")
        } else {
            let plan = format!("{service}.plan.{}", x.plan);
            let mut body = json!({
                "name": x.name,
                "target": x.region,
                "resource_group": placeholder(&rg, "id"),
                "resource_plan_id": placeholder(&plan, "id"),
            });
            if !x.tags.is_empty() {
                set(&mut body, "tags", json!(x.tags));
            }
            Request::new(
                instance_id(i),
                "POST",
                format!("{RESOURCE_CONTROLLER}/v2/resource_instances"),
            )
            .body(body)
            .after([rg, plan])
            .yields("guid", "$.guid")
            .yields("crn", "$.crn")
        };
        requests.push(request);
    }

    let role_id = |r: usize| {
        d.roles
            .get(r)
            .map_or_else(String::new, |r| format!("role.{}", r.key))
    };
    for (r, role) in d.roles.iter().enumerate() {
        let mut body = json!({
            "display_name": role.display_name,
            "actions": role.actions,
            "name": role.iam_name,
            "account_id": account,
            "service_name": SERVICE,
        });
        if let Some(description) = &role.description {
            set(&mut body, "description", json!(description));
        }
        requests.push(
            Request::new(role_id(r), "POST", format!("{IAM}/v2/roles"))
                .body(body)
                .yields("crn", "$.crn"),
        );
    }

    for s in &d.service_ids {
        let mut body = json!({"account_id": account, "name": s.name});
        if let Some(description) = &s.description {
            set(&mut body, "description", json!(description));
        }
        requests.push(
            Request::new(
                format!("service_id.{}", s.key),
                "POST",
                format!("{IAM}/v1/serviceids/"),
            )
            .body(body)
            .yields("iam_id", "$.iam_id"),
        );
    }

    let realms: Vec<String> = d
        .idps
        .iter()
        .map(|idp| match &idp.realm {
            Realm::Literal(realm) => realm.clone(),
            Realm::Variable(name) => {
                variables.insert(
                    name.clone(),
                    format!("Realm (issuer URL) of identity provider {}", idp.name),
                );
                format!("${{var.{name}}}")
            }
        })
        .collect();

    for g in &d.access_groups {
        let group = format!("access_group.{}", g.key);
        let group_id = placeholder(&group, "id");
        requests.push(
            Request::new(
                group.clone(),
                "POST",
                format!("{IAM}/v2/groups?account_id={account}"),
            )
            .body(json!({"name": g.name, "description": g.description}))
            .yields("id", "$.id"),
        );
        for rule in &g.rules {
            let conditions: Vec<Value> = rule
                .conditions
                .iter()
                .map(|c| {
                    // The provider's fmt.Sprintf("\"%s\"", value), byte for byte.
                    json!({"claim": c.claim, "operator": c.operator, "value": format!("\"{}\"", c.value)})
                })
                .collect();
            requests.push(
                Request::new(
                    format!("rule.{}", rule.key),
                    "POST",
                    format!("{IAM}/v2/groups/{group_id}/rules"),
                )
                .body(json!({
                    "name": rule.name,
                    "expiration": d.idps.get(rule.idp).map_or(24, |i| i.expiration_hours),
                    "realm_name": realms.get(rule.idp).cloned().unwrap_or_default(),
                    "conditions": conditions,
                }))
                .after([group.clone()])
                .yields("id", "$.rule_id"),
            );
        }
        // IAM ids join directly; people known by email are invited into the group.
        let (emails, iam_ids): (Vec<&String>, Vec<&String>) =
            g.users.iter().partition(|u| u.contains('@'));
        let mut members: Vec<Value> = iam_ids
            .iter()
            .map(|id| json!({"iam_id": id, "type": "user"}))
            .collect();
        let mut after = vec![group.clone()];
        for s in &g.service_ids {
            let iam_id = match s {
                ServiceMember::Created(i) => {
                    let Some(sid) = d.service_ids.get(*i) else {
                        continue;
                    };
                    let id = format!("service_id.{}", sid.key);
                    after.push(id.clone());
                    placeholder(&id, "iam_id")
                }
                ServiceMember::IamId(id) => id.clone(),
            };
            members.push(json!({"iam_id": iam_id, "type": "service"}));
        }
        if !members.is_empty() {
            requests.push(
                Request::new(
                    format!("members.{}", g.key),
                    "PUT",
                    format!("{IAM}/v2/groups/{group_id}/members"),
                )
                .body(json!({ "members": members }))
                .after(after),
            );
        }
        if !emails.is_empty() {
            let users: Vec<Value> = emails
                .iter()
                .map(|e| json!({"email": e, "account_role": "Member"}))
                .collect();
            requests.push(
                Request::new(
                    format!("invite.{}", g.key),
                    "POST",
                    format!("{USER_MANAGEMENT}/v2/accounts/{account}/users"),
                )
                .body(json!({"users": users, "access_groups": [group_id]}))
                .after([group.clone()]),
            );
        }
        for p in &g.policies {
            let mut after = vec![group.clone()];
            let mut roles = vec![
                json!({"role_id": format!("crn:v1:bluemix:public:iam::::role:{PLATFORM_ROLE}")}),
            ];
            for r in &p.roles {
                let id = role_id(*r);
                roles.push(json!({"role_id": placeholder(&id, "crn")}));
                after.push(id);
            }
            let target = match p.scope {
                Scope::Instance(i) => {
                    let id = instance_id(i);
                    let attribute =
                        json!({"name": "serviceInstance", "value": placeholder(&id, "guid")});
                    after.push(id);
                    attribute
                }
                Scope::ResourceGroup(rg) => {
                    let id = rg_id(rg);
                    let attribute =
                        json!({"name": "resourceGroupId", "value": placeholder(&id, "id")});
                    after.push(id);
                    attribute
                }
            };
            requests.push(
                Request::new(
                    format!("policy.{}", p.key),
                    "POST",
                    format!("{IAM}/v1/policies"),
                )
                .body(json!({
                    "type": "access",
                    "subjects": [{"attributes": [{"name": "access_group_id", "value": group_id}]}],
                    "roles": roles,
                    "resources": [{"attributes": [
                        {"name": "accountId", "value": account},
                        {"name": "serviceName", "value": SERVICE},
                        target,
                    ]}],
                }))
                .after(after)
                .yields("id", "$.id"),
            );
        }
    }

    if let Some(a) = &d.account {
        let mut body = serde_json::Map::new();
        let mut set = |key: &str, value: Option<&str>| {
            if let Some(v) = value {
                body.insert(key.to_string(), json!(v));
            }
        };
        set(
            "restrict_user_list_visibility",
            a.restrict_user_list_visibility,
        );
        set(
            "restrict_create_platform_apikey",
            a.restrict_create_platform_apikey,
        );
        set("restrict_create_service_id", a.restrict_create_service_id);
        set("mfa", a.mfa.as_deref());
        if !body.is_empty() {
            let mut request = Request::new(
                "account.identity".into(),
                "PUT",
                format!("{IAM}/v1/accounts/{account}/settings/identity"),
            )
            .body(Value::Object(body));
            request.headers.insert("If-Match", "*");
            requests.push(request);
        }
        if let Some(enabled) = a.public_access_enabled {
            requests.push(
                Request::new(
                    "account.access_groups".into(),
                    "PATCH",
                    format!("{IAM}/v2/groups/settings?account_id={account}"),
                )
                .body(json!({ "public_access_enabled": enabled })),
            );
        }
    }

    Plan {
        format: "qpol-ibm-api-plan/1",
        idp_user_attributes: d.idp_attributes.clone(),
        requests: in_dependency_order(requests),
        variables,
    }
}

/// Kahn's algorithm: a request comes after everything it depends on; among
/// the requests ready at one time, the smallest id first.
fn in_dependency_order(requests: Vec<Request>) -> Vec<Request> {
    let ids: BTreeSet<String> = requests.iter().map(|r| r.id.clone()).collect();
    let mut waiting: BTreeMap<String, (Request, BTreeSet<String>)> = requests
        .into_iter()
        .map(|r| {
            let deps = r
                .depends_on
                .iter()
                .filter(|d| ids.contains(*d))
                .cloned()
                .collect();
            (r.id.clone(), (r, deps))
        })
        .collect();
    let mut dependents: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, (_, deps)) in &waiting {
        for dep in deps {
            dependents.entry(dep.clone()).or_default().push(id.clone());
        }
    }
    let mut ready: BTreeSet<String> = waiting
        .iter()
        .filter(|(_, (_, deps))| deps.is_empty())
        .map(|(id, _)| id.clone())
        .collect();
    let mut out = Vec::with_capacity(waiting.len());
    while let Some(id) = ready.pop_first() {
        let Some((request, _)) = waiting.remove(&id) else {
            continue;
        };
        out.push(request);
        for next in dependents.remove(&id).unwrap_or_default() {
            if let Some((_, deps)) = waiting.get_mut(&next) {
                deps.remove(&id);
                if deps.is_empty() {
                    ready.insert(next);
                }
            }
        }
    }
    // A cycle cannot arise from a deployment; should one ever, its requests
    // still come out (last, by id) rather than vanish.
    out.extend(waiting.into_values().map(|(r, _)| r));
    out
}
