//! What every handler shares: IBM's error body
//! (`{"errors":[{"code","message"}],"trace","status_code"}`), reading a
//! JSON body and its fields, `If-Match` checks, and list paging parameters.

use super::http::{Request, Response};
use super::state::State;
use serde_json::{json, Map, Value};

/// IBM's error body with `status`.
pub fn error(state: &mut State, status: u16, code: &str, message: impl Into<String>) -> Response {
    Response::json(
        status,
        json!({
            "trace": state.trace(),
            "errors": [{"code": code, "message": message.into()}],
            "status_code": status,
        }),
    )
}

pub fn not_found(state: &mut State, what: &str, id: &str) -> Response {
    error(
        state,
        404,
        "not_found",
        format!("{what} `{id}` was not found"),
    )
}

/// The body as a JSON object, or a 400.
pub fn object(state: &mut State, req: &Request) -> Result<Map<String, Value>, Response> {
    match req.json() {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(error(
            state,
            400,
            "invalid_body",
            "the request body must be a JSON object",
        )),
        Err(e) => Err(error(
            state,
            400,
            "invalid_body",
            format!("the request body is not JSON: {e}"),
        )),
    }
}

/// A required non-empty string field of `body`, or a 400.
pub fn text(state: &mut State, body: &Map<String, Value>, field: &str) -> Result<String, Response> {
    match body.get(field).and_then(Value::as_str) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(error(
            state,
            400,
            "missing_field",
            format!("`{field}` is required and must be a non-empty string"),
        )),
    }
}

/// A required field of `body` of any JSON type, or a 400.
pub fn field(state: &mut State, body: &Map<String, Value>, field: &str) -> Result<Value, Response> {
    match body.get(field) {
        Some(v) if !v.is_null() => Ok(v.clone()),
        _ => Err(error(
            state,
            400,
            "missing_field",
            format!("`{field}` is required"),
        )),
    }
}

/// A required query parameter, or a 400.
pub fn param(state: &mut State, req: &Request, name: &str) -> Result<String, Response> {
    match req.param(name) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(error(
            state,
            400,
            "missing_parameter",
            format!("query parameter `{name}` is required"),
        )),
    }
}

/// The account named by a query parameter or path must be the emulated one.
pub fn own_account(state: &mut State, account: &str) -> Result<(), Response> {
    if account == state.account_id {
        Ok(())
    } else {
        Err(error(
            state,
            403,
            "forbidden",
            format!("the token is not authorised for account `{account}`"),
        ))
    }
}

/// An update or delete's `If-Match` against `key`'s ETag: 428 without the
/// header, 412 when it names another version.
pub fn if_match(state: &mut State, req: &Request, key: &str) -> Result<(), Response> {
    match req.header("if-match") {
        None => Err(error(
            state,
            428,
            "precondition_required",
            "the If-Match header is required: send the ETag from a GET, or `*`",
        )),
        Some(value) if state.matches(key, value) => Ok(()),
        Some(_) => Err(precondition_failed(state)),
    }
}

/// [`if_match`] when the request has the header (deletes, which IBM's
/// SDK sends without one, but which a careful client guards).
pub fn optional_if_match(state: &mut State, req: &Request, key: &str) -> Result<(), Response> {
    if req.header("if-match").is_some() {
        if_match(state, req, key)
    } else {
        Ok(())
    }
}

/// An object just written under `key`: a new ETag, sent with the object.
pub fn saved(state: &mut State, status: u16, key: &str, object: Value) -> Response {
    let tag = state.touch(key);
    Response::json(status, object).with_header("ETag", format!("W/\"{tag}\""))
}

/// An object as stored under `key`, with its current ETag.
pub fn current(state: &mut State, status: u16, key: &str, object: Value) -> Response {
    Response::json(status, object).with_header("ETag", state.etag(key))
}

/// The answer to a delete of the object under `key` (its ETag forgotten).
pub fn deleted(state: &mut State, key: &str) -> Response {
    state.forget(key);
    Response::empty(204)
}

pub fn precondition_failed(state: &mut State) -> Response {
    error(
        state,
        412,
        "precondition_failed",
        "the If-Match value does not match the current ETag: the object was changed; read it again",
    )
}

/// `limit` (capped at the page size; the page size when absent) and
/// `offset` (0 when absent), or a 400.
pub fn paging(
    state: &mut State,
    req: &Request,
    limit_name: &str,
) -> Result<(usize, usize), Response> {
    let number = |state: &mut State, name: &str| -> Result<Option<usize>, Response> {
        match req.param(name) {
            None => Ok(None),
            Some(text) => text.parse::<usize>().map(Some).map_err(|_| {
                error(
                    state,
                    400,
                    "invalid_parameter",
                    format!("`{name}` must be a whole number"),
                )
            }),
        }
    };
    let limit = number(state, limit_name)?;
    if limit == Some(0) {
        return Err(error(
            state,
            400,
            "invalid_parameter",
            format!("`{limit_name}` must be at least 1"),
        ));
    }
    let limit = limit.unwrap_or(state.page_size).min(state.page_size);
    let offset = number(state, "offset")?.unwrap_or(0);
    Ok((limit, offset))
}

/// A `start` token (an opaque offset) back to its offset, or a 400.
pub fn start_token(state: &mut State, req: &Request, name: &str) -> Result<usize, Response> {
    match req.param(name) {
        None => Ok(0),
        Some(token) => token
            .strip_prefix("emu-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                error(
                    state,
                    400,
                    "invalid_parameter",
                    format!("`{name}` is not a token this server gave"),
                )
            }),
    }
}

/// The token that [`start_token`] reads back.
pub fn token_for(offset: usize) -> String {
    format!("emu-{offset}")
}

/// One page of `items`.
pub fn page<T: Clone>(items: &[T], offset: usize, limit: usize) -> Vec<T> {
    items.iter().skip(offset).take(limit).cloned().collect()
}

/// `base` with its query replaced by `pairs` (values percent-encoded).
pub fn with_query(base: &str, pairs: &[(&str, String)]) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
        .collect();
    if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", query.join("&"))
    }
}

/// Copy the optional fields `names` of `body` into `target`.
pub fn copy_fields(target: &mut Value, body: &Map<String, Value>, names: &[&str]) {
    for name in names {
        if let (Some(value), Some(map)) = (body.get(*name), target.as_object_mut()) {
            map.insert((*name).to_string(), value.clone());
        }
    }
}

/// Set `target[name] = value` on an object.
pub fn set(target: &mut Value, name: &str, value: Value) {
    if let Some(map) = target.as_object_mut() {
        map.insert(name.to_string(), value);
    }
}

/// The string `target[name]` (empty when absent).
pub fn get_str<'a>(target: &'a Value, name: &str) -> &'a str {
    target.get(name).and_then(Value::as_str).unwrap_or("")
}

/// The path exists, the method does not (not recorded in the transcript:
/// no SDK operation has it).
pub fn not_allowed(state: &mut State, req: &Request) -> Response {
    error(
        state,
        405,
        "method_not_allowed",
        format!("{} is not allowed on {}", req.method, req.path),
    )
}
