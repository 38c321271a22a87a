//! Twins: two objects with one name where IBM does not keep names unique
//! (service instances; dynamic rules of an access group). Two `qpol apply`
//! runs at once would each create the missing ones, so [`AccountFinder`]
//! (the executor's [`super::execute::Find`]) asks, with one cheap read:
//!
//! * just before such a create ([`existing`]): is one there already (made
//!   by the other apply meanwhile)? It is then used, not created again;
//! * just after it ([`settle`]): is there an earlier twin? The earliest
//!   made (by `created_at`, then id) is the one both applies keep: the one
//!   just made is deleted at once (it is seconds old, nothing uses it) and
//!   the earlier one used instead. Any apply that creates later sees the
//!   earliest, and its creator sees none before it, so both agree.
//!
//! Names IBM keeps unique (access groups, custom roles, resource groups,
//! identical policies) need none of this: the second create answers 409,
//! and the executor looks the object up instead.
//!
//! [`AccountFinder`]: super::find::AccountFinder

use super::error::Result;
use super::http::{Client, Request};
use serde_json::Value;
use std::collections::BTreeMap;

const IAM: &str = "https://iam.cloud.ibm.com";
const RESOURCE_CONTROLLER: &str = "https://resource-controller.cloud.ibm.com";

/// A live object with the name of a create.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Twin {
    created_at: String,
    id: String,
    /// What the create yields (`id`, `crn`, `guid` of an instance).
    values: BTreeMap<String, String>,
    /// Where to delete it.
    url: String,
}

/// What kind of create `request` is, if one whose names are not unique.
enum Kind<'r> {
    Instance {
        name: &'r str,
        group: &'r str,
        plan: &'r str,
    },
    Rule {
        group: String,
        name: &'r str,
    },
}

fn kind(request: &Request) -> Option<Kind<'_>> {
    if request.method != "POST" {
        return None;
    }
    let body = request.body.as_ref()?;
    let text = |f: &str| body.get(f).and_then(Value::as_str);
    let path = request.url.split(['?', '#']).next().unwrap_or("");
    if path == format!("{RESOURCE_CONTROLLER}/v2/resource_instances") {
        return Some(Kind::Instance {
            name: text("name")?,
            group: text("resource_group")?,
            plan: text("resource_plan_id")?,
        });
    }
    let group = path
        .strip_prefix(&format!("{IAM}/v2/groups/"))?
        .strip_suffix("/rules")?;
    (!group.is_empty() && !group.contains('/')).then(|| Kind::Rule {
        group: group.to_string(),
        name: text("name").unwrap_or_default(),
    })
}

/// The live objects with the name (and place) of the create `request`;
/// `None` when its kind keeps names unique.
fn twins(client: &Client, request: &Request) -> Result<Option<Vec<Twin>>> {
    let Some(kind) = kind(request) else {
        return Ok(None);
    };
    let text = |v: &Value, f: &str| v.get(f).and_then(Value::as_str).unwrap_or("").to_string();
    let mut out = Vec::new();
    match kind {
        Kind::Instance { name, group, plan } => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("name", name)
                .append_pair("resource_group_id", group)
                .append_pair("resource_plan_id", plan)
                .append_pair("limit", "100")
                .finish();
            let url = format!("{RESOURCE_CONTROLLER}/v2/resource_instances?{query}");
            let answer = client.get(&url)?;
            let rows = answer.body.get("resources").and_then(Value::as_array);
            for i in rows.into_iter().flatten() {
                let state = text(i, "state");
                if text(i, "name") != name
                    || matches!(state.as_str(), "removed" | "pending_reclamation")
                {
                    continue;
                }
                let guid = text(i, "guid");
                out.push(Twin {
                    created_at: text(i, "created_at"),
                    id: guid.clone(),
                    values: [
                        ("id", text(i, "id")),
                        ("crn", text(i, "crn")),
                        ("guid", guid.clone()),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                    url: format!("{RESOURCE_CONTROLLER}/v2/resource_instances/{guid}"),
                });
            }
        }
        Kind::Rule { group, name } => {
            let answer = client.get(&format!("{IAM}/v2/groups/{group}/rules"))?;
            let rows = answer.body.get("rules").and_then(Value::as_array);
            for r in rows
                .into_iter()
                .flatten()
                .filter(|r| text(r, "name") == name)
            {
                let id = text(r, "id");
                out.push(Twin {
                    created_at: text(r, "created_at"),
                    id: id.clone(),
                    values: BTreeMap::from([("id".to_string(), id.clone())]),
                    url: format!("{IAM}/v2/groups/{group}/rules/{id}"),
                });
            }
        }
    }
    out.retain(|t| !t.id.is_empty());
    out.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    Ok(Some(out))
}

/// Before the create `request`: the values of the earliest twin already
/// there, if any.
pub fn existing(client: &Client, request: &Request) -> Result<Option<BTreeMap<String, String>>> {
    Ok(twins(client, request)?.and_then(|t| t.into_iter().next().map(|t| t.values)))
}

/// After the create `request` answered `body`: `None` when the object it
/// made is the earliest of its name (kept); else it is deleted and the
/// earliest twin's values are returned.
pub fn settle(
    client: &Client,
    request: &Request,
    body: &Value,
) -> Result<Option<BTreeMap<String, String>>> {
    let ours = match kind(request) {
        Some(Kind::Instance { .. }) => body.get("guid"),
        Some(Kind::Rule { .. }) => body.get("id"),
        None => return Ok(None),
    };
    let Some(ours) = ours.and_then(Value::as_str) else {
        return Ok(None);
    };
    let Some(all) = twins(client, request)? else {
        return Ok(None);
    };
    let mine = all.iter().find(|t| t.id == ours);
    let created = mine.map_or_else(
        || body.get("created_at").and_then(Value::as_str).unwrap_or(""),
        |t| t.created_at.as_str(),
    );
    let Some(earliest) = all
        .iter()
        .find(|t| t.id != ours && (t.created_at.as_str(), t.id.as_str()) < (created, ours))
    else {
        return Ok(None);
    };
    let url = match (mine, kind(request)) {
        (Some(t), _) => t.url.clone(),
        (None, Some(Kind::Instance { .. })) => {
            format!("{RESOURCE_CONTROLLER}/v2/resource_instances/{ours}")
        }
        (None, Some(Kind::Rule { group, .. })) => format!("{IAM}/v2/groups/{group}/rules/{ours}"),
        (None, None) => return Ok(None),
    };
    client.send(&Request::new("DELETE", url))?;
    Ok(Some(earliest.values.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_instance_and_rule_creates_are_twin_checked() {
        let mut r = Request::new(
            "POST",
            format!("{RESOURCE_CONTROLLER}/v2/resource_instances"),
        );
        r.body = Some(json!({"name": "QR-ml", "resource_group": "g", "resource_plan_id": "p"}));
        assert!(matches!(
            kind(&r),
            Some(Kind::Instance { name: "QR-ml", .. })
        ));
        let mut r = Request::new("POST", format!("{IAM}/v2/groups/AccessGroupId-1/rules"));
        r.body = Some(json!({"name": "ml"}));
        assert!(matches!(kind(&r), Some(Kind::Rule { name: "ml", .. })));
        let mut r = Request::new("POST", format!("{IAM}/v2/groups?account_id=a"));
        r.body = Some(json!({"name": "ml"}));
        assert!(kind(&r).is_none());
        let mut r = Request::new("PUT", format!("{IAM}/v2/groups/g/rules"));
        r.body = Some(json!({"name": "ml"}));
        assert!(kind(&r).is_none());
    }
}
