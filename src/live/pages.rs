//! Lists that span pages, followed to their end as each API pages them
//! ([`Paging`]), and typed access to the fields of an answer ([`Obj`])
//! whose errors name the endpoint and the field, never panic.

use super::error::{Error, Result};
use super::http::Client;
use serde_json::Value;
use std::collections::BTreeSet;

/// How an API says where its next page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// One page: the whole list.
    None,
    /// Access groups and members: `next.href` holds the next `offset`.
    OffsetHref,
    /// Policies: `next.start` (or `start` in `next.href`).
    StartObject,
    /// Service ids: `next` is a URL holding the next `pagetoken`.
    PageToken,
    /// Resource instances (`start`) and users (`_start`): `next_url` holds
    /// the token under this name.
    NextUrl(&'static str),
    /// Global catalog: `_offset`, from `next` or `offset + count` while
    /// below `resource_count`.
    CatalogOffset,
}

impl Paging {
    /// The query parameter of the next page and its value, if any.
    fn next(self, body: &Value) -> Option<(&'static str, String)> {
        let next = body.get("next");
        match self {
            Paging::None => None,
            Paging::OffsetHref => {
                let href = next?.get("href")?.as_str()?;
                Some(("offset", query_param(href, "offset")?))
            }
            Paging::StartObject => {
                let next = next?;
                let start = match next.get("start").and_then(Value::as_str) {
                    Some(start) => start.to_string(),
                    None => query_param(next.get("href")?.as_str()?, "start")?,
                };
                Some(("start", start))
            }
            Paging::PageToken => Some(("pagetoken", query_param(next?.as_str()?, "pagetoken")?)),
            Paging::NextUrl(name) => {
                let url = body.get("next_url")?.as_str()?;
                Some((name, query_param(url, name)?))
            }
            Paging::CatalogOffset => {
                if let Some(offset) = next
                    .and_then(Value::as_str)
                    .and_then(|u| query_param(u, "_offset"))
                {
                    return Some(("_offset", offset));
                }
                let offset = body.get("offset")?.as_u64()?;
                let count = body.get("count")?.as_u64()?;
                let total = body.get("resource_count")?.as_u64()?;
                (count > 0 && offset + count < total)
                    .then(|| ("_offset", (offset + count).to_string()))
            }
        }
    }
}

/// The value of query parameter `name` of `href` (absolute or not).
pub fn query_param(href: &str, name: &str) -> Option<String> {
    let base = url::Url::parse("https://base.invalid/").ok()?;
    let url = base.join(href).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `url` with query parameter `name` set to `value` (replacing it).
pub fn with_query(url: &str, name: &str, value: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(name, value);
    parsed.to_string()
}

/// `METHOD path` of a canonical URL, for messages.
pub fn endpoint(method: &str, url: &str) -> String {
    let path = url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.path().to_string());
    format!("{method} {path}")
}

/// Every item of the list `items` of `url`, page after page.
pub fn list(client: &Client, url: &str, items: &str, paging: Paging) -> Result<Vec<Value>> {
    let where_ = endpoint("GET", url);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut next_url = url.to_string();
    loop {
        let body = client.get(&next_url)?.body;
        let page = body
            .get(items)
            .and_then(Value::as_array)
            .ok_or_else(|| Error::malformed(&where_, items, "missing or not a list"))?;
        out.extend(page.iter().cloned());
        let Some((name, token)) = paging.next(&body) else {
            return Ok(out);
        };
        if page.is_empty() || !seen.insert(token.clone()) {
            return Err(Error::malformed(
                &where_,
                "next",
                format!("the pages do not end (`{name}={token}` again, or an empty page with a next one)"),
            ));
        }
        next_url = with_query(url, name, &token);
    }
}

/// An object of an answer, at `at` (`groups[3]`) of `endpoint`.
pub struct Obj<'v> {
    pub value: &'v Value,
    pub endpoint: &'v str,
    pub at: String,
}

impl<'v> Obj<'v> {
    pub fn new(value: &'v Value, endpoint: &'v str, at: String) -> Result<Obj<'v>> {
        if !value.is_object() {
            return Err(Error::malformed(endpoint, &at, "not an object"));
        }
        Ok(Obj {
            value,
            endpoint,
            at,
        })
    }

    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.at)
    }

    fn error(&self, key: &str, detail: &str) -> Error {
        Error::malformed(self.endpoint, &self.field(key), detail)
    }

    /// A string that must be there.
    pub fn str(&self, key: &str) -> Result<String> {
        match self.value.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            None | Some(Value::Null) => Err(self.error(key, "missing")),
            Some(_) => Err(self.error(key, "not a string")),
        }
    }

    /// A string that may be absent or null.
    pub fn opt_str(&self, key: &str) -> Result<Option<String>> {
        match self.value.get(key) {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            None | Some(Value::Null) => Ok(None),
            Some(_) => Err(self.error(key, "not a string")),
        }
    }

    /// A whole number that must be there.
    pub fn int(&self, key: &str) -> Result<i64> {
        match self.value.get(key) {
            Some(v) => v
                .as_i64()
                .ok_or_else(|| self.error(key, "not a whole number")),
            None => Err(self.error(key, "missing")),
        }
    }

    /// A boolean; `default` when absent.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        match self.value.get(key) {
            Some(Value::Bool(b)) => Ok(*b),
            None | Some(Value::Null) => Ok(default),
            Some(_) => Err(self.error(key, "not a boolean")),
        }
    }

    /// A list (absent or null: empty), each item an [`Obj`].
    pub fn objs(&self, key: &str) -> Result<Vec<Obj<'v>>> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| Obj::new(v, self.endpoint, format!("{}[{i}]", self.field(key))))
                .collect(),
            Some(_) => Err(self.error(key, "not a list")),
        }
    }

    /// A list of strings (absent or null: empty).
    pub fn strs(&self, key: &str) -> Result<Vec<String>> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| self.error(key, "holds something that is not a string"))
                })
                .collect(),
            Some(_) => Err(self.error(key, "not a list")),
        }
    }
}

/// The items of a list as [`Obj`]s named `items[i]`.
pub fn objs<'v>(items: &'v [Value], endpoint: &'v str, name: &str) -> Result<Vec<Obj<'v>>> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| Obj::new(v, endpoint, format!("{name}[{i}]")))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn next_pages_of_each_api() {
        let p = |paging: Paging, body: Value| paging.next(&body);
        assert_eq!(
            p(
                Paging::OffsetHref,
                json!({"next": {"href": "https://iam.cloud.ibm.com/v2/groups?account_id=a&limit=2&offset=2"}})
            ),
            Some(("offset", "2".into()))
        );
        assert_eq!(p(Paging::OffsetHref, json!({"groups": []})), None);
        assert_eq!(
            p(Paging::StartObject, json!({"next": {"start": "tok"}})),
            Some(("start", "tok".into()))
        );
        assert_eq!(
            p(
                Paging::PageToken,
                json!({"next": "https://iam.cloud.ibm.com/v1/serviceids/?pagetoken=pt&pagesize=1"})
            ),
            Some(("pagetoken", "pt".into()))
        );
        assert_eq!(
            p(
                Paging::NextUrl("_start"),
                json!({"next_url": "/v2/accounts/a/users?_start=u2&limit=1"})
            ),
            Some(("_start", "u2".into()))
        );
        assert_eq!(
            p(
                Paging::CatalogOffset,
                json!({"offset": 0, "count": 2, "resource_count": 3})
            ),
            Some(("_offset", "2".into()))
        );
        assert_eq!(
            p(
                Paging::CatalogOffset,
                json!({"offset": 2, "count": 1, "resource_count": 3})
            ),
            None
        );
    }

    #[test]
    fn query_parameters_are_replaced() {
        assert_eq!(
            with_query(
                "https://iam.cloud.ibm.com/v2/groups?account_id=a&offset=0",
                "offset",
                "4"
            ),
            "https://iam.cloud.ibm.com/v2/groups?account_id=a&offset=4"
        );
    }

    #[test]
    fn fields_are_typed_and_errors_name_them() {
        let v = json!({"name": 3, "list": [{"x": "y"}, 4]});
        let o = Obj::new(&v, "GET /v2/groups", "groups[0]".into()).unwrap();
        let err = o.str("name").unwrap_err().to_string();
        assert!(
            err.contains("GET /v2/groups")
                && err.contains("`groups[0].name`")
                && err.contains("not a string"),
            "{err}"
        );
        let err = o.str("id").unwrap_err().to_string();
        assert!(err.contains("`groups[0].id`: missing"), "{err}");
        let err = o
            .objs("list")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("`groups[0].list[1]`: not an object"), "{err}");
    }
}
