//! Resource controller (`/v2/resource_instances`, `limit` + `start` token
//! pagination with `next_url`) and resource manager (`/v2/resource_groups`,
//! with the account's `Default` group from the start); shapes as
//! `ibm_platform_services.resource_controller_v2` / `resource_manager_v2`
//! read them.

use super::http::{Request, Response};
use super::reply::{self, error, get_str, not_found, set};
use super::state::State;
use super::{catalog, CALLER};
use serde_json::{json, Value};

type Answer = Result<Response, Response>;

/// Answer a `/v2/resource_instances...` or `/v2/resource_groups...`
/// request; `None` when the path is not one.
pub fn route(state: &mut State, req: &Request, segs: &[&str]) -> Option<Response> {
    let m = req.method.as_str();
    let r = match segs {
        ["v2", "resource_instances"] => match m {
            "GET" => list(state, req),
            "POST" => create(state, req),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "resource_instances", id] => match m {
            "GET" => get(state, id),
            "PATCH" => update(state, req, id),
            "DELETE" => delete(state, req, id),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "resource_groups"] => match m {
            "GET" => list_groups(state, req),
            "POST" => create_group(state, req),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "resource_groups", id] => match m {
            "GET" => get_group(state, id),
            "DELETE" => delete_group(state, id),
            _ => Err(reply::not_allowed(state, req)),
        },
        _ => return None,
    };
    Some(r.unwrap_or_else(|e| e))
}

fn group_value(state: &mut State, id: &str, name: &str, default: bool) -> Value {
    let now = state.now();
    let account = state.account_id.clone();
    json!({
        "id": id, "name": name, "default": default, "state": "ACTIVE", "account_id": account,
        "crn": format!("crn:v1:bluemix:public:resource-controller::a/{account}::resource-group:{id}"),
        "quota_id": "7ce89f4a4d9ec5ddd05aca6c3f7d8d6b",
        "quota_url": "/v2/quota_definitions/7ce89f4a4d9ec5ddd05aca6c3f7d8d6b",
        "payment_methods_url": format!("/v2/resource_groups/{id}/payment_methods"),
        "teams_url": format!("/v2/resource_groups/{id}/teams"),
        "resource_linkages": [], "created_at": now, "updated_at": now,
    })
}

/// The account's `Default` resource group, there from the start.
pub fn add_default_group(state: &mut State) {
    let id = state.hex32();
    let group = group_value(state, &id, "Default", true);
    state.resource_groups.insert(id, group);
}

fn list_groups(state: &mut State, req: &Request) -> Answer {
    if let Some(account) = req.param("account_id") {
        reply::own_account(state, &account)?;
    }
    let name = req.param("name");
    let default = req.param("default");
    let found: Vec<Value> = state
        .resource_groups
        .values()
        .filter(|g| name.as_deref().is_none_or(|n| get_str(g, "name") == n))
        .filter(|g| {
            default.as_deref().is_none_or(|d| {
                g.get("default")
                    .and_then(Value::as_bool)
                    .map(|b| b.to_string())
                    .as_deref()
                    == Some(d)
            })
        })
        .cloned()
        .collect();
    Ok(Response::json(200, json!({ "resources": found })))
}

fn create_group(state: &mut State, req: &Request) -> Answer {
    let body = reply::object(state, req)?;
    let name = reply::text(state, &body, "name")?;
    if let Some(account) = body.get("account_id").and_then(Value::as_str) {
        reply::own_account(state, account)?;
    }
    if state
        .resource_groups
        .values()
        .any(|g| get_str(g, "name") == name)
    {
        return Err(error(
            state,
            409,
            "resource_group_conflict",
            format!("a resource group named `{name}` already exists in the account"),
        ));
    }
    let id = state.hex32();
    let group = group_value(state, &id, &name, false);
    let crn = group.get("crn").cloned().unwrap_or(Value::Null);
    state.resource_groups.insert(id.clone(), group);
    Ok(Response::json(201, json!({"id": id, "crn": crn})))
}

fn get_group(state: &mut State, id: &str) -> Answer {
    match state.resource_groups.get(id) {
        Some(g) => Ok(Response::json(200, g.clone())),
        None => Err(not_found(state, "resource group", id)),
    }
}

fn delete_group(state: &mut State, id: &str) -> Answer {
    let group = get_group(state, id)?;
    let default = group
        .body
        .as_ref()
        .and_then(|g| g.get("default"))
        .and_then(Value::as_bool)
        == Some(true);
    let used = state
        .instances
        .values()
        .any(|i| get_str(i, "resource_group_id") == id);
    if default || used {
        return Err(error(
            state,
            400,
            "resource_group_in_use",
            format!("resource group `{id}` is the default group or still holds instances"),
        ));
    }
    state.resource_groups.remove(id);
    Ok(Response::empty(204))
}

fn list(state: &mut State, req: &Request) -> Answer {
    let (limit, _) = reply::paging(state, req, "limit")?;
    let start = reply::start_token(state, req, "start")?;
    let filters: Vec<(&str, String)> = [
        "guid",
        "name",
        "resource_group_id",
        "resource_id",
        "resource_plan_id",
        "type",
        "state",
    ]
    .iter()
    .filter_map(|f| req.param(f).map(|v| (*f, v)))
    .collect();
    let all: Vec<Value> = state
        .instances
        .values()
        .filter(|i| {
            filters.iter().all(|(f, v)| match i.get(*f) {
                Some(Value::String(s)) => s == v,
                _ => false,
            })
        })
        .cloned()
        .collect();
    let rows = reply::page(&all, start, limit);
    // IBM sends `null` after the last page; the SDK's model requires a
    // string, and its pager reads an empty one as the end too.
    let next = if start + limit < all.len() {
        let mut pairs = filters.clone();
        pairs.push(("limit", limit.to_string()));
        pairs.push(("start", reply::token_for(start + limit)));
        reply::with_query("/v2/resource_instances", &pairs)
    } else {
        String::new()
    };
    Ok(Response::json(
        200,
        json!({"rows_count": rows.len(), "next_url": next, "resources": rows}),
    ))
}

fn create(state: &mut State, req: &Request) -> Answer {
    let body = reply::object(state, req)?;
    let name = reply::text(state, &body, "name")?;
    let target = reply::text(state, &body, "target")?;
    let group_id = reply::text(state, &body, "resource_group")?;
    let plan_id = reply::text(state, &body, "resource_plan_id")?;
    let Some(group) = state.resource_groups.get(&group_id).cloned() else {
        return Err(error(
            state,
            400,
            "invalid_resource_group",
            format!("resource group `{group_id}` does not exist in the account"),
        ));
    };
    let Some((service, service_id, _)) = catalog::plan(&plan_id) else {
        return Err(error(state, 400, "invalid_plan", format!("`{plan_id}` is not a plan id of the catalog: look it up with GET /api/v1/{{service id}}/plan")));
    };
    let guid = state.uuid();
    let now = state.now();
    let account = state.account_id.clone();
    let crn = format!("crn:v1:bluemix:public:{service}:{target}:a/{account}:{guid}::");
    let mut instance = json!({
        "id": crn, "guid": guid, "crn": crn, "url": format!("/v2/resource_instances/{guid}"),
        "name": name, "region_id": target, "account_id": account,
        "resource_plan_id": plan_id, "resource_id": service_id,
        "resource_group_id": group_id, "resource_group_crn": get_str(&group, "crn"),
        "target_crn": format!("crn:v1:bluemix:public:globalcatalog::::deployment:{plan_id}%3A{target}"),
        "state": "active", "type": "service_instance", "allow_cleanup": false, "locked": false,
        "migrated": false, "parameters": body.get("parameters").cloned().unwrap_or(json!({})),
        "created_at": now, "updated_at": now, "created_by": CALLER, "updated_by": CALLER,
        "dashboard_url": format!("https://cloud.ibm.com/services/{service}/{guid}"),
        "last_operation": {"type": "create", "state": "succeeded", "async": false,
                           "description": "Completed create instance operation",
                           "cancelable": false, "poll": false},
        "plan_history": [{"resource_plan_id": plan_id, "start_date": now}],
        "resource_keys_url": format!("/v2/resource_instances/{guid}/resource_keys"),
        "resource_bindings_url": format!("/v2/resource_instances/{guid}/resource_bindings"),
        "resource_aliases_url": format!("/v2/resource_instances/{guid}/resource_aliases"),
    });
    reply::copy_fields(&mut instance, &body, &["allow_cleanup"]);
    state.instances.insert(guid.clone(), instance.clone());
    Ok(reply::saved(
        state,
        201,
        &format!("instance/{guid}"),
        instance,
    ))
}

/// An instance by guid or by CRN (its `id`).
fn find(state: &mut State, id: &str) -> Result<(String, Value), Response> {
    let found = state
        .instances
        .iter()
        .find(|(guid, i)| *guid == id || get_str(i, "crn") == id)
        .map(|(g, i)| (g.clone(), i.clone()));
    match found {
        Some(f) => Ok(f),
        None => Err(not_found(state, "resource instance", id)),
    }
}

fn get(state: &mut State, id: &str) -> Answer {
    let (guid, instance) = find(state, id)?;
    Ok(reply::current(
        state,
        200,
        &format!("instance/{guid}"),
        instance,
    ))
}

fn update(state: &mut State, req: &Request, id: &str) -> Answer {
    let (guid, mut instance) = find(state, id)?;
    reply::optional_if_match(state, req, &format!("instance/{guid}"))?;
    let body = reply::object(state, req)?;
    if let Some(plan_id) = body.get("resource_plan_id").and_then(Value::as_str) {
        if catalog::plan(plan_id).is_none() {
            return Err(error(
                state,
                400,
                "invalid_plan",
                format!("`{plan_id}` is not a plan id of the catalog"),
            ));
        }
    }
    reply::copy_fields(
        &mut instance,
        &body,
        &["name", "parameters", "resource_plan_id", "allow_cleanup"],
    );
    let now = state.now();
    set(&mut instance, "updated_at", json!(now));
    set(
        &mut instance,
        "last_operation",
        json!({"type": "update", "state": "succeeded", "async": false, "description": "Completed update instance operation", "cancelable": false, "poll": false}),
    );
    state.instances.insert(guid.clone(), instance.clone());
    Ok(reply::saved(
        state,
        200,
        &format!("instance/{guid}"),
        instance,
    ))
}

fn delete(state: &mut State, req: &Request, id: &str) -> Answer {
    let (guid, _) = find(state, id)?;
    reply::optional_if_match(state, req, &format!("instance/{guid}"))?;
    state.instances.remove(&guid);
    Ok(reply::deleted(state, &format!("instance/{guid}")))
}
