//! The global catalog look-ups qpol makes: `GET /api/v1/?q=name:SERVICE`
//! (the service entry of `quantum-computing` or `appid`) and
//! `GET /api/v1/{id}/plan` (its plans), shapes as
//! `ibm_platform_services.global_catalog_v1` reads them. Fixed ids.

use super::http::{Request, Response};
use super::reply;
use super::state::State;
use serde_json::{json, Value};

const HOST: &str = "https://globalcatalog.cloud.ibm.com/api/v1";

/// (plan name, plan id).
type Plan = (&'static str, &'static str);

/// (service name, display name, service id, plans).
pub const SERVICES: &[(&str, &str, &str, &[Plan])] = &[
    (
        "quantum-computing",
        "Qiskit Runtime",
        "3c8a8c1e-5d8e-4b0f-9a3e-0d1c2b3a4f51",
        &[
            ("lite", "3c8a8c1e-0001-4b0f-9a3e-0d1c2b3a4f51"),
            ("premium", "3c8a8c1e-0003-4b0f-9a3e-0d1c2b3a4f51"),
            ("standard", "3c8a8c1e-0002-4b0f-9a3e-0d1c2b3a4f51"),
        ],
    ),
    (
        "appid",
        "App ID",
        "AdvancedMobileAccess-d6aece47-d840-45b0-8ab9-ad15354deeea",
        &[
            ("graduated-tier", "1b2c3d4e-0002-4f5a-8b6c-7d8e9f0a1b2c"),
            ("lite", "1b2c3d4e-0001-4f5a-8b6c-7d8e9f0a1b2c"),
        ],
    ),
];

/// The service a plan id belongs to: (service name, service id, plan name).
pub fn plan(plan_id: &str) -> Option<(&'static str, &'static str, &'static str)> {
    SERVICES.iter().find_map(|(service, _, id, plans)| {
        plans
            .iter()
            .find(|(_, p)| *p == plan_id)
            .map(|(name, _)| (*service, *id, *name))
    })
}

fn entry(name: &str, display: &str, id: &str, kind: &str, parent: Option<&str>) -> Value {
    let mut e = json!({
        "id": id, "name": name, "kind": kind, "active": true, "disabled": false,
        "overview_ui": {"en": {"display_name": display, "description": display, "long_description": display}},
        "images": {"image": "https://globalcatalog.cloud.ibm.com/api/v1/images/service.svg"},
        "tags": [], "provider": {"name": "IBM", "email": "catalog@ibm.com"},
        "url": format!("{HOST}/{id}"), "children_url": format!("{HOST}/{id}/%2A"),
        "catalog_crn": format!("crn:v1:bluemix:public:globalcatalog::::{kind}:{id}"),
        "created": "2020-01-01T00:00:00.000Z", "updated": "2026-01-01T00:00:00.000Z",
    });
    if let Some(parent) = parent {
        reply::set(&mut e, "parent_id", json!(parent));
    }
    e
}

fn result(resources: Vec<Value>, url: String) -> Value {
    json!({
        "offset": 0, "limit": 50, "count": resources.len(), "resource_count": resources.len(),
        "first": url, "last": url, "resources": resources,
    })
}

/// Answer an `/api/v1/...` request; `None` when the path is not one.
pub fn route(state: &mut State, req: &Request, segs: &[&str]) -> Option<Response> {
    let r = match segs {
        ["api", "v1"] if req.method == "GET" => {
            let q = req.param("q").unwrap_or_default();
            let wanted = q.strip_prefix("name:").unwrap_or(&q).to_string();
            let found: Vec<Value> = SERVICES
                .iter()
                .filter(|(name, ..)| *name == wanted)
                .map(|(name, display, id, _)| entry(name, display, id, "service", None))
                .collect();
            let url = format!("{HOST}/?{}", req.query);
            Response::json(200, result(found, url))
        }
        ["api", "v1", id, kind] if req.method == "GET" => {
            match SERVICES.iter().find(|(.., sid, _)| sid == id) {
                Some((_, display, sid, plans)) => {
                    let found: Vec<Value> = plans
                        .iter()
                        .filter(|_| *kind == "plan" || *kind == "*")
                        .map(|(name, pid)| {
                            entry(name, &format!("{display} {name}"), pid, "plan", Some(sid))
                        })
                        .collect();
                    Response::json(200, result(found, format!("{HOST}/{id}/{kind}")))
                }
                None => reply::not_found(state, "catalog entry", id),
            }
        }
        ["api", "v1"] | ["api", "v1", _, _] => reply::not_allowed(state, req),
        _ => return None,
    };
    Some(r)
}
