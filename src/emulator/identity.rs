//! IAM identity (account identity settings with `entity_tag`, service ids
//! with `pagesize`/`pagetoken` pagination) and user management (the users
//! of `--users FILE`, `search`, `limit` + `start`); shapes as
//! `ibm_platform_services.iam_identity_v1` / `user_management_v1` read them.

use super::http::{Request, Response};
use super::reply::{self, error, get_str, not_found, set};
use super::state::{State, User};
use super::{limits, IAM};
use serde_json::{json, Value};

type Answer = Result<Response, Response>;

const SETTINGS_KEY: &str = "identity/settings";

/// Answer a `/v1/accounts/...`, `/v1/serviceids...` or
/// `/v2/accounts/{id}/users` request; `None` when the path is not one.
pub fn route(state: &mut State, req: &Request, segs: &[&str]) -> Option<Response> {
    let m = req.method.as_str();
    let r = match segs {
        ["v1", "accounts", account, "settings", "identity"] => match m {
            "GET" => get_settings(state, account),
            "PUT" => put_settings(state, req, account),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v1", "serviceids"] => match m {
            "GET" => list_ids(state, req),
            "POST" => create_id(state, req),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v1", "serviceids", id] => match m {
            "GET" => get_id(state, id),
            "PUT" => update_id(state, req, id),
            "DELETE" => delete_id(state, req, id),
            _ => Err(reply::not_allowed(state, req)),
        },
        ["v2", "accounts", account, "users"] => match m {
            "GET" => list_users(state, req, account),
            _ => Err(reply::not_allowed(state, req)),
        },
        _ => return None,
    };
    Some(r.unwrap_or_else(|e| e))
}

/// The identity settings of a new account.
pub fn initial_settings(state: &mut State) -> Value {
    let tag = state.touch(SETTINGS_KEY);
    json!({
        "account_id": state.account_id, "entity_tag": tag,
        "restrict_create_service_id": "NOT_SET", "restrict_create_platform_apikey": "NOT_SET",
        "restrict_user_list_visibility": "NOT_RESTRICTED", "restrict_user_domains": [],
        "allowed_ip_addresses": "", "mfa": "NONE", "user_mfa": [],
        "session_expiration_in_seconds": "NOT_SET", "session_invalidation_in_seconds": "NOT_SET",
        "max_sessions_per_identity": "NOT_SET",
        "system_access_token_expiration_in_seconds": "NOT_SET",
        "system_refresh_token_expiration_in_seconds": "NOT_SET",
    })
}

fn get_settings(state: &mut State, account: &str) -> Answer {
    reply::own_account(state, account)?;
    let tag = state.etag(SETTINGS_KEY);
    Ok(Response::json(200, state.identity_settings.clone()).with_header("ETag", tag))
}

const SETTING_FIELDS: &[&str] = &[
    "restrict_create_service_id",
    "restrict_create_platform_apikey",
    "restrict_user_list_visibility",
    "restrict_user_domains",
    "allowed_ip_addresses",
    "mfa",
    "user_mfa",
    "session_expiration_in_seconds",
    "session_invalidation_in_seconds",
    "max_sessions_per_identity",
    "system_access_token_expiration_in_seconds",
    "system_refresh_token_expiration_in_seconds",
];

fn put_settings(state: &mut State, req: &Request, account: &str) -> Answer {
    reply::own_account(state, account)?;
    reply::if_match(state, req, SETTINGS_KEY)?;
    let body = reply::object(state, req)?;
    for field in [
        "restrict_create_service_id",
        "restrict_create_platform_apikey",
        "restrict_user_list_visibility",
    ] {
        let allowed: &[&str] = if field == "restrict_user_list_visibility" {
            &["RESTRICTED", "NOT_RESTRICTED"]
        } else {
            &["RESTRICTED", "NOT_RESTRICTED", "NOT_SET"]
        };
        if let Some(v) = body.get(field) {
            if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
                return Err(error(
                    state,
                    400,
                    "invalid_value",
                    format!("`{field}` must be one of {}", allowed.join(", ")),
                ));
            }
        }
    }
    let mut settings = state.identity_settings.clone();
    reply::copy_fields(&mut settings, &body, SETTING_FIELDS);
    let tag = state.touch(SETTINGS_KEY);
    set(&mut settings, "entity_tag", json!(tag));
    state.identity_settings = settings.clone();
    Ok(reply::current(state, 200, SETTINGS_KEY, settings))
}

fn list_ids(state: &mut State, req: &Request) -> Answer {
    let account = reply::param(state, req, "account_id")?;
    reply::own_account(state, &account)?;
    let (limit, _) = reply::paging(state, req, "pagesize")?;
    let start = reply::start_token(state, req, "pagetoken")?;
    let name = req.param("name");
    let all: Vec<Value> = state
        .service_ids
        .values()
        .filter(|s| name.as_deref().is_none_or(|n| get_str(s, "name") == n))
        .cloned()
        .collect();
    let base = format!("{IAM}/v1/serviceids/");
    let mut pairs = vec![("account_id", account)];
    if let Some(n) = name {
        pairs.push(("name", n));
    }
    pairs.push(("pagesize", limit.to_string()));
    let mut out = json!({
        "offset": start, "limit": limit, "first": reply::with_query(&base, &pairs),
        "serviceids": reply::page(&all, start, limit),
    });
    if start + limit < all.len() {
        pairs.push(("pagetoken", reply::token_for(start + limit)));
        set(&mut out, "next", json!(reply::with_query(&base, &pairs)));
    }
    Ok(Response::json(200, out))
}

fn create_id(state: &mut State, req: &Request) -> Answer {
    let body = reply::object(state, req)?;
    let account = reply::text(state, &body, "account_id")?;
    reply::own_account(state, &account)?;
    let name = reply::text(state, &body, "name")?;
    limits::check(state, limits::SERVICE_IDS, state.service_ids.len())?;
    let id = format!("ServiceId-{}", state.uuid());
    let now = state.now();
    let key = format!("serviceid/{id}");
    let tag = state.touch(&key);
    let mut sid = json!({
        "id": id, "iam_id": format!("iam-{id}"), "entity_tag": tag, "locked": false,
        "crn": format!("crn:v1:bluemix:public:iam-identity::a/{account}::serviceid:{id}"),
        "created_at": now, "modified_at": now, "account_id": account, "name": name,
        "description": "", "unique_instance_crns": [],
    });
    reply::copy_fields(&mut sid, &body, &["description", "unique_instance_crns"]);
    state.service_ids.insert(id.clone(), sid.clone());
    Ok(reply::current(state, 201, &key, sid))
}

fn find_id(state: &mut State, id: &str) -> Result<Value, Response> {
    match state.service_ids.get(id) {
        Some(s) => Ok(s.clone()),
        None => Err(not_found(state, "service id", id)),
    }
}

fn get_id(state: &mut State, id: &str) -> Answer {
    let sid = find_id(state, id)?;
    Ok(reply::current(state, 200, &format!("serviceid/{id}"), sid))
}

fn update_id(state: &mut State, req: &Request, id: &str) -> Answer {
    let mut sid = find_id(state, id)?;
    let key = format!("serviceid/{id}");
    reply::if_match(state, req, &key)?;
    let body = reply::object(state, req)?;
    reply::copy_fields(
        &mut sid,
        &body,
        &["name", "description", "unique_instance_crns"],
    );
    let now = state.now();
    let tag = state.touch(&key);
    set(&mut sid, "modified_at", json!(now));
    set(&mut sid, "entity_tag", json!(tag));
    state.service_ids.insert(id.to_string(), sid.clone());
    Ok(reply::current(state, 200, &key, sid))
}

fn delete_id(state: &mut State, req: &Request, id: &str) -> Answer {
    find_id(state, id)?;
    let key = format!("serviceid/{id}");
    reply::optional_if_match(state, req, &key)?;
    state.service_ids.remove(id);
    Ok(reply::deleted(state, &key))
}

/// A user as user management lists it.
pub fn user_profile(state: &State, user: &User, n: usize) -> Value {
    let first = user.email.split('@').next().unwrap_or("");
    json!({
        "id": format!("{:032x}", n + 1), "iam_id": user.iam_id, "realm": "IBMid",
        "user_id": user.email, "email": user.email, "firstname": first, "lastname": "",
        "state": "ACTIVE", "phonenumber": "", "altphonenumber": "", "photo": "",
        "account_id": state.account_id, "added_on": super::state::timestamp(0),
    })
}

/// Whether `user` matches a `search` (`FIELD:VALUE`, or text anywhere in
/// the email).
fn matches(user: &Value, search: &str) -> bool {
    match search.split_once(':') {
        Some((field, value)) => {
            let field = match field {
                "ibmid" | "userId" | "user_id" => "user_id",
                other => other,
            };
            get_str(user, field).eq_ignore_ascii_case(value)
        }
        None => get_str(user, "email")
            .to_lowercase()
            .contains(&search.to_lowercase()),
    }
}

fn list_users(state: &mut State, req: &Request, account: &str) -> Answer {
    reply::own_account(state, account)?;
    let (limit, _) = reply::paging(state, req, "limit")?;
    // User management's page token is `_start` (as the SDK sends it).
    let start = reply::start_token(state, req, "_start")?;
    let search = req.param("search");
    let all: Vec<Value> = state
        .users
        .values()
        .filter(|u| search.as_deref().is_none_or(|s| matches(u, s)))
        .cloned()
        .collect();
    let base = format!("/v2/accounts/{account}/users");
    let mut pairs = Vec::new();
    if let Some(s) = search {
        pairs.push(("search", s));
    }
    pairs.push(("limit", limit.to_string()));
    let mut out = json!({
        "total_results": all.len(), "limit": limit, "first_url": reply::with_query(&base, &pairs),
        "resources": reply::page(&all, start, limit),
    });
    if start + limit < all.len() {
        pairs.push(("_start", reply::token_for(start + limit)));
        set(
            &mut out,
            "next_url",
            json!(reply::with_query(&base, &pairs)),
        );
    }
    Ok(Response::json(200, out))
}
