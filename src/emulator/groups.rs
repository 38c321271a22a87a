//! IAM access groups (`/v2/groups...`): groups with `limit`/`offset`
//! pagination and `first`/`next`/`last` hrefs, their dynamic rules, their
//! members, and the account's access-group settings; shapes as
//! `ibm_platform_services.iam_access_groups_v2` reads them.

use super::http::{Request, Response};
use super::reply::{self, error, get_str, not_found, set};
use super::state::State;
use super::{limits, CALLER, IAM};
use serde_json::{json, Value};

/// Answer a `/v2/groups...` request; `None` when the path is not one.
pub fn route(state: &mut State, req: &Request, segs: &[&str]) -> Option<Response> {
    let m = req.method.as_str();
    let r = match segs {
        ["v2", "groups"] => match m {
            "GET" => list(state, req),
            "POST" => create(state, req),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "groups", "settings"] => match m {
            "GET" | "PATCH" => settings(state, req),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "groups", id] => match m {
            "GET" => get(state, id),
            "PATCH" => update(state, req, id),
            "DELETE" => delete(state, req, id),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "groups", id, "rules"] => match m {
            "GET" => list_rules(state, id),
            "POST" => add_rule(state, req, id),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "groups", id, "rules", rule] => match m {
            "GET" => get_rule(state, id, rule),
            "PUT" => replace_rule(state, req, id, rule),
            "DELETE" => remove_rule(state, req, id, rule),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "groups", id, "members"] => match m {
            "GET" => list_members(state, req, id),
            "PUT" => add_members(state, req, id),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "groups", id, "members", iam_id] => match m {
            "DELETE" => remove_member(state, id, iam_id),
            _ => Err(reply::not_allowed(state, req)),
        },
        _ => return None,
    };
    Some(r.unwrap_or_else(|e| e))
}

type Answer = Result<Response, Response>;

fn key(id: &str) -> String {
    format!("group/{id}")
}

/// `limit`/`offset` links of IAM's lists: `first`, `previous`, `next`, `last`.
fn links(base: &str, extra: &[(&str, String)], limit: usize, offset: usize, total: usize) -> Value {
    let href = |offset: usize| {
        let mut pairs = extra.to_vec();
        pairs.push(("limit", limit.to_string()));
        pairs.push(("offset", offset.to_string()));
        json!({"href": reply::with_query(base, &pairs)})
    };
    let last = if total == 0 {
        0
    } else {
        (total - 1) / limit * limit
    };
    let mut out = json!({
        "limit": limit, "offset": offset, "total_count": total,
        "first": href(0), "last": href(last),
    });
    if offset + limit < total {
        set(&mut out, "next", href(offset + limit));
    }
    if offset > 0 {
        set(&mut out, "previous", href(offset.saturating_sub(limit)));
    }
    out
}

fn list(state: &mut State, req: &Request) -> Answer {
    let account = reply::param(state, req, "account_id")?;
    reply::own_account(state, &account)?;
    let (limit, offset) = reply::paging(state, req, "limit")?;
    let all: Vec<Value> = state.groups.values().cloned().collect();
    let base = format!("{IAM}/v2/groups");
    let mut out = links(&base, &[("account_id", account)], limit, offset, all.len());
    set(
        &mut out,
        "groups",
        Value::Array(reply::page(&all, offset, limit)),
    );
    Ok(Response::json(200, out))
}

fn name_taken(state: &State, name: &str, except: &str) -> bool {
    state
        .groups
        .iter()
        .any(|(id, g)| id != except && get_str(g, "name").eq_ignore_ascii_case(name))
}

fn create(state: &mut State, req: &Request) -> Answer {
    let account = reply::param(state, req, "account_id")?;
    reply::own_account(state, &account)?;
    let body = reply::object(state, req)?;
    let name = reply::text(state, &body, "name")?;
    if name_taken(state, &name, "") {
        return Err(error(
            state,
            409,
            "group_name_conflict",
            format!("an access group named `{name}` already exists in the account"),
        ));
    }
    limits::check(state, limits::ACCESS_GROUPS, state.groups.len())?;
    let id = format!("AccessGroupId-{}", state.uuid());
    let now = state.now();
    let group = json!({
        "id": id, "name": name,
        "description": body.get("description").and_then(Value::as_str).unwrap_or(""),
        "account_id": account, "created_at": now, "created_by_id": CALLER,
        "last_modified_at": now, "last_modified_by_id": CALLER,
        "href": format!("{IAM}/v2/groups/{id}"), "is_federated": false,
    });
    state.groups.insert(id.clone(), group.clone());
    Ok(reply::saved(state, 201, &key(&id), group))
}

fn find(state: &mut State, id: &str) -> Result<Value, Response> {
    match state.groups.get(id) {
        Some(g) => Ok(g.clone()),
        None => Err(not_found(state, "access group", id)),
    }
}

fn get(state: &mut State, id: &str) -> Answer {
    let group = find(state, id)?;
    Ok(reply::current(state, 200, &key(id), group))
}

fn update(state: &mut State, req: &Request, id: &str) -> Answer {
    let mut group = find(state, id)?;
    reply::if_match(state, req, &key(id))?;
    let body = reply::object(state, req)?;
    if let Some(name) = body.get("name").and_then(Value::as_str) {
        if name_taken(state, name, id) {
            return Err(error(
                state,
                409,
                "group_name_conflict",
                format!("an access group named `{name}` already exists in the account"),
            ));
        }
    }
    reply::copy_fields(&mut group, &body, &["name", "description"]);
    let now = state.now();
    set(&mut group, "last_modified_at", json!(now));
    state.groups.insert(id.to_string(), group.clone());
    Ok(reply::saved(state, 200, &key(id), group))
}

fn policies_of(state: &State, id: &str) -> Vec<String> {
    state
        .policies
        .iter()
        .filter(|(_, p)| super::policies::subject_of(p).as_deref() == Some(id))
        .map(|(pid, _)| pid.clone())
        .collect()
}

fn delete(state: &mut State, req: &Request, id: &str) -> Answer {
    find(state, id)?;
    reply::optional_if_match(state, req, &key(id))?;
    let force = req.param("force").is_some_and(|v| v == "true");
    let rules: Vec<String> = state
        .rules
        .iter()
        .filter(|(_, r)| get_str(r, "access_group_id") == id)
        .map(|(rid, _)| rid.clone())
        .collect();
    let members = state.members.get(id).map_or(0, |m| m.len());
    let policies = policies_of(state, id);
    if !force && (!rules.is_empty() || members > 0 || !policies.is_empty()) {
        return Err(error(
            state,
            400,
            "group_not_empty",
            format!(
                "access group `{id}` has {} rules, {members} members and {} policies: delete it with `force=true`",
                rules.len(),
                policies.len()
            ),
        ));
    }
    for rid in rules {
        state.rules.remove(&rid);
        state.forget(&format!("rule/{rid}"));
    }
    for pid in policies {
        state.policies.remove(&pid);
        state.forget(&format!("policy/{pid}"));
    }
    state.members.remove(id);
    state.groups.remove(id);
    Ok(reply::deleted(state, &key(id)))
}

fn list_rules(state: &mut State, id: &str) -> Answer {
    find(state, id)?;
    let rules: Vec<Value> = state
        .rules
        .values()
        .filter(|r| get_str(r, "access_group_id") == id)
        .cloned()
        .collect();
    Ok(Response::json(200, json!({ "rules": rules })))
}

/// Check a rule body: `expiration` 1..24, `realm_name`, `conditions` with
/// `claim`, `operator`, `value` each.
fn rule_fields(
    state: &mut State,
    req: &Request,
) -> Result<serde_json::Map<String, Value>, Response> {
    let body = reply::object(state, req)?;
    reply::text(state, &body, "realm_name")?;
    match body.get("expiration").and_then(Value::as_i64) {
        Some(1..=24) => {}
        _ => {
            return Err(error(
                state,
                400,
                "invalid_expiration",
                "`expiration` must be a whole number of hours from 1 to 24",
            ))
        }
    }
    let conditions = body.get("conditions").and_then(Value::as_array);
    let valid = conditions.is_some_and(|cs| {
        !cs.is_empty()
            && cs.iter().all(|c| {
                ["claim", "operator", "value"].iter().all(|f| {
                    c.get(*f)
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty())
                })
            })
    });
    if !valid {
        return Err(error(
            state,
            400,
            "invalid_conditions",
            "`conditions` must be a non-empty list of {claim, operator, value}",
        ));
    }
    Ok(body)
}

fn add_rule(state: &mut State, req: &Request, id: &str) -> Answer {
    let group = find(state, id)?;
    let body = rule_fields(state, req)?;
    let in_group = state
        .rules
        .values()
        .filter(|r| get_str(r, "access_group_id") == id)
        .count();
    limits::check(state, limits::RULES_PER_GROUP, in_group)?;
    let realm = get_str(&Value::Object(body.clone()), "realm_name").to_string();
    let in_realm = state
        .rules
        .values()
        .filter(|r| get_str(r, "realm_name") == realm)
        .count();
    limits::check(state, limits::RULES_PER_REALM, in_realm)?;
    let rid = format!("ClaimRule-{}", state.uuid());
    let now = state.now();
    let mut rule = json!({
        "id": rid, "access_group_id": id, "account_id": get_str(&group, "account_id"),
        "created_at": now, "created_by_id": CALLER,
        "last_modified_at": now, "last_modified_by_id": CALLER,
    });
    reply::copy_fields(
        &mut rule,
        &body,
        &["name", "expiration", "realm_name", "conditions"],
    );
    state.rules.insert(rid.clone(), rule.clone());
    Ok(reply::saved(state, 201, &format!("rule/{rid}"), rule))
}

fn find_rule(state: &mut State, id: &str, rule: &str) -> Result<Value, Response> {
    find(state, id)?;
    match state
        .rules
        .get(rule)
        .filter(|r| get_str(r, "access_group_id") == id)
    {
        Some(r) => Ok(r.clone()),
        None => Err(not_found(state, "rule", rule)),
    }
}

fn get_rule(state: &mut State, id: &str, rule: &str) -> Answer {
    let found = find_rule(state, id, rule)?;
    Ok(reply::current(state, 200, &format!("rule/{rule}"), found))
}

fn replace_rule(state: &mut State, req: &Request, id: &str, rule: &str) -> Answer {
    let mut found = find_rule(state, id, rule)?;
    reply::if_match(state, req, &format!("rule/{rule}"))?;
    let body = rule_fields(state, req)?;
    reply::copy_fields(
        &mut found,
        &body,
        &["name", "expiration", "realm_name", "conditions"],
    );
    let now = state.now();
    set(&mut found, "last_modified_at", json!(now));
    state.rules.insert(rule.to_string(), found.clone());
    Ok(reply::saved(state, 200, &format!("rule/{rule}"), found))
}

fn remove_rule(state: &mut State, req: &Request, id: &str, rule: &str) -> Answer {
    find_rule(state, id, rule)?;
    reply::optional_if_match(state, req, &format!("rule/{rule}"))?;
    state.rules.remove(rule);
    Ok(reply::deleted(state, &format!("rule/{rule}")))
}

fn list_members(state: &mut State, req: &Request, id: &str) -> Answer {
    find(state, id)?;
    let (limit, offset) = reply::paging(state, req, "limit")?;
    let all: Vec<Value> = state
        .members
        .get(id)
        .map(|m| m.values().cloned().collect())
        .unwrap_or_default();
    let base = format!("{IAM}/v2/groups/{id}/members");
    let mut out = links(&base, &[], limit, offset, all.len());
    set(
        &mut out,
        "members",
        Value::Array(reply::page(&all, offset, limit)),
    );
    Ok(Response::json(200, out))
}

fn add_members(state: &mut State, req: &Request, id: &str) -> Answer {
    find(state, id)?;
    let body = reply::object(state, req)?;
    let list = body
        .get("members")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let valid = !list.is_empty()
        && list.iter().all(|m| {
            !get_str(m, "iam_id").is_empty()
                && matches!(get_str(m, "type"), "user" | "service" | "profile")
        });
    if !valid {
        return Err(error(
            state,
            400,
            "invalid_members",
            "`members` must be a non-empty list of {iam_id, type: user, service or profile}",
        ));
    }
    let mut answered = Vec::new();
    for m in &list {
        let (iam_id, kind) = (
            get_str(m, "iam_id").to_string(),
            get_str(m, "type").to_string(),
        );
        let now = state.now();
        let user = state.users.get(&iam_id).cloned().unwrap_or(Value::Null);
        let member = json!({
            "iam_id": iam_id, "type": kind, "membership_type": "static",
            "name": get_str(&user, "firstname"), "email": get_str(&user, "email"), "description": "",
            "href": format!("{IAM}/v2/groups/{id}/members/{iam_id}"),
            "created_at": now, "created_by_id": CALLER,
        });
        state
            .members
            .entry(id.to_string())
            .or_default()
            .insert(iam_id.clone(), member);
        answered.push(json!({"iam_id": iam_id, "type": kind, "created_at": now, "created_by_id": CALLER, "status_code": 200}));
    }
    Ok(Response::json(207, json!({ "members": answered })))
}

fn remove_member(state: &mut State, id: &str, iam_id: &str) -> Answer {
    find(state, id)?;
    match state.members.get_mut(id).and_then(|m| m.remove(iam_id)) {
        Some(_) => Ok(Response::empty(204)),
        None => Err(not_found(state, "member", iam_id)),
    }
}

fn settings(state: &mut State, req: &Request) -> Answer {
    let account = reply::param(state, req, "account_id")?;
    reply::own_account(state, &account)?;
    if req.method == "PATCH" {
        let body = reply::object(state, req)?;
        match body.get("public_access_enabled") {
            Some(Value::Bool(on)) => {
                let now = state.now();
                set(
                    &mut state.group_settings,
                    "public_access_enabled",
                    json!(on),
                );
                set(&mut state.group_settings, "last_modified_at", json!(now));
            }
            _ => {
                return Err(error(
                    state,
                    400,
                    "missing_field",
                    "`public_access_enabled` (true or false) is required",
                ))
            }
        }
    }
    Ok(Response::json(200, state.group_settings.clone()))
}
