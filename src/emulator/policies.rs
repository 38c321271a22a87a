//! IAM policy management: access policies v1 (`/v1/policies`, `limit` +
//! `start` token pagination, 409 on an identical policy) and custom roles v2
//! (`/v2/roles`), shapes as `ibm_platform_services.iam_policy_management_v1`
//! reads them.

use super::http::{Request, Response};
use super::reply::{self, error, get_str, not_found, set};
use super::state::State;
use super::{limits, CALLER, IAM};
use serde_json::{json, Map, Value};

type Answer = Result<Response, Response>;

/// Answer a `/v1/policies...` or `/v2/roles...` request; `None` when the
/// path is not one.
pub fn route(state: &mut State, req: &Request, segs: &[&str]) -> Option<Response> {
    let m = req.method.as_str();
    let r = match segs {
        ["v1", "policies"] => match m {
            "GET" => list(state, req),
            "POST" => create(state, req),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v1", "policies", id] => match m {
            "GET" => get(state, id),
            "PUT" => replace(state, req, id),
            "DELETE" => delete(state, req, id),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "roles"] => match m {
            "GET" => list_roles(state, req),
            "POST" => create_role(state, req),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "roles", id] => match m {
            "GET" => get_role(state, id),
            "PUT" => replace_role(state, req, id),
            "DELETE" => delete_role(state, req, id),
            _ => Err(reply::not_allowed(state, req)),
        },
        _ => return None,
    };
    Some(r.unwrap_or_else(|e| e))
}

/// The access group a policy is given to (its `access_group_id` subject).
pub fn subject_of(policy: &Value) -> Option<String> {
    attribute(policy.get("subjects"), "access_group_id")
}

/// The first attribute `name` of a list of `{attributes: [...]}`.
fn attribute(list: Option<&Value>, name: &str) -> Option<String> {
    list?.as_array()?.iter().find_map(|s| {
        s.get("attributes")?
            .as_array()?
            .iter()
            .find(|a| get_str(a, "name") == name)
            .map(|a| get_str(a, "value").to_string())
    })
}

/// A policy's subject, for the per-subject limit: the JSON of its subjects.
fn subject_key(policy: &Value) -> String {
    policy
        .get("subjects")
        .map(Value::to_string)
        .unwrap_or_default()
}

fn list(state: &mut State, req: &Request) -> Answer {
    let account = reply::param(state, req, "account_id")?;
    reply::own_account(state, &account)?;
    let (limit, _) = reply::paging(state, req, "limit")?;
    let start = reply::start_token(state, req, "start")?;
    let group = req.param("access_group_id");
    let iam_id = req.param("iam_id");
    let kind = req.param("type");
    let all: Vec<Value> = state
        .policies
        .values()
        .filter(|p| group.is_none() || subject_of(p) == group)
        .filter(|p| iam_id.is_none() || attribute(p.get("subjects"), "iam_id") == iam_id)
        .filter(|p| kind.as_deref().is_none_or(|k| get_str(p, "type") == k))
        .cloned()
        .collect();
    let mut filters = vec![("account_id", account)];
    for (name, value) in [
        ("access_group_id", group),
        ("iam_id", iam_id),
        ("type", kind),
    ] {
        if let Some(v) = value {
            filters.push((name, v));
        }
    }
    filters.push(("limit", limit.to_string()));
    let base = format!("{IAM}/v1/policies");
    let mut out = json!({
        "limit": limit,
        "first": {"href": reply::with_query(&base, &filters)},
        "policies": reply::page(&all, start, limit),
    });
    if start + limit < all.len() {
        let token = reply::token_for(start + limit);
        let mut next = filters.clone();
        next.push(("start", token.clone()));
        set(
            &mut out,
            "next",
            json!({"href": reply::with_query(&base, &next), "start": token}),
        );
    }
    Ok(Response::json(200, out))
}

/// Check a policy body; the fields IBM stores.
fn policy_fields(state: &mut State, req: &Request) -> Result<Map<String, Value>, Response> {
    let body = reply::object(state, req)?;
    let kind = reply::text(state, &body, "type")?;
    if !matches!(kind.as_str(), "access" | "authorization") {
        return Err(error(
            state,
            400,
            "invalid_type",
            "`type` must be `access` or `authorization`",
        ));
    }
    for list in ["subjects", "resources"] {
        let ok = body
            .get(list)
            .and_then(Value::as_array)
            .is_some_and(|items| {
                !items.is_empty()
                    && items.iter().all(|i| {
                        i.get("attributes")
                            .and_then(Value::as_array)
                            .is_some_and(|attrs| {
                                !attrs.is_empty()
                                    && attrs.iter().all(|a| {
                                        !get_str(a, "name").is_empty() && a.get("value").is_some()
                                    })
                            })
                    })
            });
        if !ok {
            return Err(error(
                state,
                400,
                "invalid_body",
                format!("`{list}` must be a non-empty list of {{attributes: [{{name, value}}]}}"),
            ));
        }
    }
    let roles_ok = body
        .get("roles")
        .and_then(Value::as_array)
        .is_some_and(|roles| {
            !roles.is_empty() && roles.iter().all(|r| !get_str(r, "role_id").is_empty())
        });
    if !roles_ok {
        return Err(error(
            state,
            400,
            "invalid_body",
            "`roles` must be a non-empty list of {role_id}",
        ));
    }
    Ok(body)
}

/// The roles as IBM answers them: each with its `display_name`.
fn named_roles(state: &State, roles: &Value) -> Value {
    let roles = roles.as_array().cloned().unwrap_or_default();
    Value::Array(
        roles
            .into_iter()
            .map(|r| {
                let crn = get_str(&r, "role_id").to_string();
                let custom = state.roles.values().find(|c| get_str(c, "crn") == crn);
                let name = match custom {
                    Some(c) => get_str(c, "display_name").to_string(),
                    None => crn.rsplit(':').next().unwrap_or("").to_string(),
                };
                json!({"role_id": crn, "display_name": name})
            })
            .collect(),
    )
}

/// Whether another policy has the same type, subjects, roles and resources.
fn identical(state: &State, body: &Map<String, Value>, except: &str) -> Option<String> {
    let roles = |v: Option<&Value>| -> Vec<String> {
        let mut ids: Vec<String> = v
            .and_then(Value::as_array)
            .map(|rs| {
                rs.iter()
                    .map(|r| get_str(r, "role_id").to_string())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    };
    state.policies.iter().find_map(|(id, p)| {
        let same = id != except
            && p.get("type") == body.get("type")
            && p.get("subjects") == body.get("subjects")
            && p.get("resources") == body.get("resources")
            && roles(p.get("roles")) == roles(body.get("roles"));
        same.then(|| id.clone())
    })
}

fn create(state: &mut State, req: &Request) -> Answer {
    let body = policy_fields(state, req)?;
    if let Some(id) = identical(state, &body, "") {
        return Err(error(state, 409, "policy_conflict_error", format!("Failed to create policy. A policy with the same subjects, roles and resources already exists: `{id}`")));
    }
    limits::check(state, limits::POLICIES, state.policies.len())?;
    let subject = subject_key(&Value::Object(body.clone()));
    let same_subject = state
        .policies
        .values()
        .filter(|p| subject_key(p) == subject)
        .count();
    limits::check(state, limits::POLICIES_PER_SUBJECT, same_subject)?;
    let id = state.uuid();
    let now = state.now();
    let mut policy = json!({
        "id": id, "href": format!("{IAM}/v1/policies/{id}"), "state": "active",
        "created_at": now, "created_by_id": CALLER, "last_modified_at": now, "last_modified_by_id": CALLER,
    });
    reply::copy_fields(
        &mut policy,
        &body,
        &["type", "subjects", "resources", "description"],
    );
    set(
        &mut policy,
        "roles",
        named_roles(state, body.get("roles").unwrap_or(&Value::Null)),
    );
    state.policies.insert(id.clone(), policy.clone());
    Ok(reply::saved(state, 201, &format!("policy/{id}"), policy))
}

fn find(state: &mut State, id: &str) -> Result<Value, Response> {
    match state.policies.get(id) {
        Some(p) => Ok(p.clone()),
        None => Err(error(
            state,
            404,
            "policy_not_found",
            format!("Policy `{id}` was not found"),
        )),
    }
}

fn get(state: &mut State, id: &str) -> Answer {
    let policy = find(state, id)?;
    Ok(reply::current(state, 200, &format!("policy/{id}"), policy))
}

fn replace(state: &mut State, req: &Request, id: &str) -> Answer {
    let mut policy = find(state, id)?;
    reply::if_match(state, req, &format!("policy/{id}"))?;
    let body = policy_fields(state, req)?;
    if let Some(other) = identical(state, &body, id) {
        return Err(error(state, 409, "policy_conflict_error", format!("Failed to update policy. A policy with the same subjects, roles and resources already exists: `{other}`")));
    }
    reply::copy_fields(
        &mut policy,
        &body,
        &["type", "subjects", "resources", "description"],
    );
    set(
        &mut policy,
        "roles",
        named_roles(state, body.get("roles").unwrap_or(&Value::Null)),
    );
    let now = state.now();
    set(&mut policy, "last_modified_at", json!(now));
    state.policies.insert(id.to_string(), policy.clone());
    Ok(reply::saved(state, 200, &format!("policy/{id}"), policy))
}

fn delete(state: &mut State, req: &Request, id: &str) -> Answer {
    find(state, id)?;
    reply::optional_if_match(state, req, &format!("policy/{id}"))?;
    state.policies.remove(id);
    Ok(reply::deleted(state, &format!("policy/{id}")))
}

/// IBM's platform (system) roles and, for a service, its service roles.
fn builtin(kind: &str, names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .map(|n| {
            json!({"display_name": n, "description": format!("the {n} {kind} role"), "actions": [],
                   "crn": format!("crn:v1:bluemix:public:iam::::{kind}:{n}")})
        })
        .collect()
}

fn list_roles(state: &mut State, req: &Request) -> Answer {
    let account = req.param("account_id");
    if let Some(a) = &account {
        reply::own_account(state, a)?;
    }
    let service = req.param("service_name");
    let custom: Vec<Value> = state
        .roles
        .values()
        .filter(|_| account.is_some())
        .filter(|r| {
            service
                .as_deref()
                .is_none_or(|s| get_str(r, "service_name") == s)
        })
        .cloned()
        .collect();
    let service_roles = if service.is_some() {
        builtin("serviceRole", &["Reader", "Writer", "Manager"])
    } else {
        Vec::new()
    };
    let system = builtin("role", &["Viewer", "Operator", "Editor", "Administrator"]);
    Ok(Response::json(
        200,
        json!({"custom_roles": custom, "service_roles": service_roles, "system_roles": system}),
    ))
}

fn role_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && name.len() <= 30
        && chars.all(|c| c.is_ascii_alphanumeric())
}

/// Check the replaceable fields of a role: `display_name` 1..50
/// characters, `actions` a non-empty list of strings.
fn role_fields(state: &mut State, body: &Map<String, Value>) -> Result<(), Response> {
    let display = reply::text(state, body, "display_name")?;
    if display.chars().count() > 50 {
        return Err(error(
            state,
            400,
            "invalid_display_name",
            "`display_name` must be 1 to 50 characters",
        ));
    }
    let actions_ok = body
        .get("actions")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            !a.is_empty() && a.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty()))
        });
    if !actions_ok {
        return Err(error(
            state,
            400,
            "invalid_actions",
            "`actions` must be a non-empty list of action names",
        ));
    }
    Ok(())
}

fn create_role(state: &mut State, req: &Request) -> Answer {
    let body = reply::object(state, req)?;
    let name = reply::text(state, &body, "name")?;
    let account = reply::text(state, &body, "account_id")?;
    reply::own_account(state, &account)?;
    reply::text(state, &body, "service_name")?;
    role_fields(state, &body)?;
    if !role_name_ok(&name) {
        return Err(error(
            state,
            400,
            "invalid_name",
            format!("custom role name `{name}` must match ^[A-Z][A-Za-z0-9]{{0,29}}$"),
        ));
    }
    if state.roles.values().any(|r| get_str(r, "name") == name) {
        return Err(error(
            state,
            409,
            "role_conflict_error",
            format!("a custom role named `{name}` already exists in the account"),
        ));
    }
    limits::check(state, limits::CUSTOM_ROLES, state.roles.len())?;
    let id = state.uuid();
    let now = state.now();
    let mut role = json!({
        "id": id, "crn": format!("crn:v1:bluemix:public:iam-access-management::a/{account}::customRole:{name}"),
        "href": format!("{IAM}/v2/roles/{id}"),
        "created_at": now, "created_by_id": CALLER, "last_modified_at": now, "last_modified_by_id": CALLER,
    });
    reply::copy_fields(
        &mut role,
        &body,
        &[
            "name",
            "display_name",
            "actions",
            "account_id",
            "service_name",
            "description",
        ],
    );
    state.roles.insert(id.clone(), role.clone());
    Ok(reply::saved(state, 201, &format!("role/{id}"), role))
}

fn find_role(state: &mut State, id: &str) -> Result<Value, Response> {
    match state.roles.get(id) {
        Some(r) => Ok(r.clone()),
        None => Err(not_found(state, "custom role", id)),
    }
}

fn get_role(state: &mut State, id: &str) -> Answer {
    let role = find_role(state, id)?;
    Ok(reply::current(state, 200, &format!("role/{id}"), role))
}

fn replace_role(state: &mut State, req: &Request, id: &str) -> Answer {
    let mut role = find_role(state, id)?;
    reply::if_match(state, req, &format!("role/{id}"))?;
    let body = reply::object(state, req)?;
    role_fields(state, &body)?;
    reply::copy_fields(
        &mut role,
        &body,
        &["display_name", "actions", "description"],
    );
    let now = state.now();
    set(&mut role, "last_modified_at", json!(now));
    state.roles.insert(id.to_string(), role.clone());
    Ok(reply::saved(state, 200, &format!("role/{id}"), role))
}

fn delete_role(state: &mut State, req: &Request, id: &str) -> Answer {
    find_role(state, id)?;
    reply::optional_if_match(state, req, &format!("role/{id}"))?;
    state.roles.remove(id);
    Ok(reply::deleted(state, &format!("role/{id}")))
}
