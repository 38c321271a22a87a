//! Reading an account: every list followed to its last page as its API
//! pages it (pages of 2 here), groups' rules and members included; a
//! malformed answer names the endpoint and the field.

use super::support::stub::{ok, status, Reply, Seen, Stub};
use super::{client, config, token, TOKEN};
use qpol::live::read::{etag, read_account};
use serde_json::{json, Value};

const ACCOUNT: &str = "5dc1b48400fa455fa966bf1ce087ccf1";

fn items(prefix: &str, n: usize, make: impl Fn(usize) -> Value) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut v = make(i);
            v["id"] = json!(format!("{prefix}-{i}"));
            v
        })
        .collect()
}

/// Page `at` (a position) of `all`, two items long, and the next position.
fn page(all: &[Value], at: Option<String>) -> (Vec<Value>, Option<usize>) {
    let at: usize = at
        .and_then(|a| a.trim_start_matches('t').parse().ok())
        .unwrap_or(0);
    let end = (at + 2).min(all.len());
    (
        all[at.min(end)..end].to_vec(),
        (end < all.len()).then_some(end),
    )
}

/// An account with more of everything than fits on one page.
fn account(r: &Seen) -> Reply {
    let path = r.path().to_string();
    let groups = items(
        "AccessGroupId",
        5,
        |i| json!({"name": format!("g{i}"), "description": "x [qpol]"}),
    );
    match path.as_str() {
        "/identity/token" => ok(token(TOKEN, 3600)),
        "/v2/resource_groups" => ok(json!({"resources": [
            {"id": "rg-default", "name": "Default", "default": true},
            {"id": "rg-ml", "name": "ml", "default": false}]})),
        "/api/v1/" => {
            let q = r.query("q").unwrap_or_default();
            if q != "name:quantum-computing" {
                return ok(json!({"offset": 0, "count": 0, "resource_count": 0, "resources": []}));
            }
            // A decoy first, one entry a page.
            let all = [
                json!({"name": "quantum-computing-decoy", "id": "decoy"}),
                json!({"name": "quantum-computing", "id": "qc"}),
            ];
            let offset: usize = r.query("_offset").and_then(|o| o.parse().ok()).unwrap_or(0);
            ok(
                json!({"offset": offset, "count": 1, "resource_count": 2, "resources": [all[offset.min(1)].clone()]}),
            )
        }
        "/api/v1/qc/plan" => ok(
            json!({"offset": 0, "count": 2, "resource_count": 2, "resources": [
            {"name": "lite", "id": "p-lite"}, {"name": "standard", "id": "p-std"}]}),
        ),
        "/v2/resource_instances" => {
            assert_eq!(r.query("resource_id").as_deref(), Some("qc"));
            let all = items("crn:i", 5, |i| {
                json!({"guid": format!("g{i}"), "crn": format!("crn:i-{i}"), "name": format!("QR-{i}"),
                "resource_id": "qc", "resource_plan_id": "p-std", "region_id": "us-east", "resource_group_id": "rg-ml", "state": "active"})
            });
            let (resources, next) = page(&all, r.query("start"));
            let next_url =
                next.map(|n| format!("/v2/resource_instances?resource_id=qc&limit=2&start=t{n}"));
            ok(json!({"rows_count": resources.len(), "next_url": next_url, "resources": resources}))
        }
        "/v2/roles" => ok(
            json!({"custom_roles": items("role", 2, |i| json!({"crn": format!("crn:role-{i}"), "name": format!("Role{i}"),
            "display_name": "R", "actions": ["quantum-computing.job.read"], "service_name": "quantum-computing"}))}),
        ),
        "/v2/groups" => {
            let (groups, next) = page(&groups, r.query("offset"));
            let next = next.map(|n| json!({"href": format!("https://iam.cloud.ibm.com/v2/groups?account_id={ACCOUNT}&limit=2&offset={n}")}));
            ok(json!({"limit": 2, "total_count": 5, "groups": groups, "next": next}))
        }
        "/v2/groups/settings" => ok(json!({"account_id": ACCOUNT, "public_access_enabled": true})),
        p if p.starts_with("/v2/groups/") && p.ends_with("/rules") => ok(json!({"rules": [
            {"id": format!("rule-{p}"), "name": "r", "expiration": 24, "realm_name": "https://appid",
             "conditions": [{"claim": "project", "operator": "EQUALS", "value": "\"ml\""}]}]})),
        p if p.starts_with("/v2/groups/") && p.ends_with("/members") => {
            let all = items("IBMid", 3, |_| json!({"type": "user"}))
                .into_iter()
                .map(|mut m| {
                    m["iam_id"] = m["id"].clone();
                    m
                })
                .collect::<Vec<_>>();
            let (members, next) = page(&all, r.query("offset"));
            let next = next.map(|n| json!({"href": format!("{p}?limit=2&offset={n}")}));
            ok(json!({"members": members, "next": next, "total_count": 3}))
        }
        "/v1/policies" => {
            let all = items("policy", 5, |i| {
                let subject = if i == 2 {
                    json!({"name": "iam_id", "value": "IBMid-x"})
                } else {
                    json!({"name": "access_group_id", "value": format!("AccessGroupId-{i}")})
                };
                json!({"type": "access", "description": "p [qpol]", "subjects": [{"attributes": [subject]}],
                    "roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}],
                    "resources": [{"attributes": [{"name": "accountId", "value": ACCOUNT, "operator": "stringEquals"},
                                                  {"name": "serviceName", "value": "quantum-computing"}]}]})
            });
            let (policies, next) = page(&all, r.query("start"));
            let next = next.map(|n| json!({"href": "https://iam.cloud.ibm.com/v1/policies", "start": format!("t{n}")}));
            ok(json!({"limit": 2, "policies": policies, "next": next}))
        }
        "/v1/serviceids/" => {
            let all = items(
                "ServiceId",
                3,
                |i| json!({"iam_id": format!("iam-ServiceId-{i}"), "name": format!("s{i}")}),
            );
            let (ids, next) = page(&all, r.query("pagetoken"));
            let next = next.map(|n| {
                format!(
                    "https://iam.cloud.ibm.com/v1/serviceids/?account_id={ACCOUNT}&pagetoken=t{n}"
                )
            });
            ok(json!({"serviceids": ids, "next": next}))
        }
        p if p == format!("/v2/accounts/{ACCOUNT}/users") => {
            let all = items(
                "user",
                3,
                |i| json!({"iam_id": format!("IBMid-u{i}"), "email": format!("u{i}@example.com")}),
            );
            let (users, next) = page(&all, r.query("_start"));
            let next_url =
                next.map(|n| format!("/v2/accounts/{ACCOUNT}/users?limit=2&_start=t{n}"));
            ok(json!({"total_results": 3, "resources": users, "next_url": next_url}))
        }
        p if p == format!("/v1/accounts/{ACCOUNT}/settings/identity") => ok(json!({
            "account_id": ACCOUNT, "entity_tag": "3", "restrict_create_service_id": "RESTRICTED", "mfa": "NONE"})),
        "/v2/groups/AccessGroupId-0" => Reply::Json(
            200,
            vec![("ETag".into(), "\"etag-0\"".into())],
            json!({"id": "AccessGroupId-0"}),
        ),
        _ => status(
            404,
            json!({"errors": [{"code": "not_found", "message": path}]}),
        ),
    }
}

#[test]
fn every_list_is_read_to_its_last_page() {
    let stub = Stub::start(account);
    let c = client(&stub, config());
    let a = read_account(&c, ACCOUNT).unwrap();
    assert_eq!(a.account_id, ACCOUNT);
    // What was sent, for sdk_conformance.py (.ci/live-client.sh).
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("live-client-sent-read.json");
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&c.recorded_plan()).unwrap(),
    )
    .unwrap();
    assert_eq!(a.resource_groups.len(), 2);
    assert_eq!(
        a.catalog
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>(),
        [
            "quantum-computing=qc",
            "quantum-computing/lite=p-lite",
            "quantum-computing/standard=p-std"
        ]
    );
    assert_eq!(
        a.instances
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        ["QR-0", "QR-1", "QR-2", "QR-3", "QR-4"]
    );
    assert_eq!(a.roles.len(), 2);
    assert_eq!(a.access_groups.len(), 5);
    for g in &a.access_groups {
        assert_eq!(g.rules.len(), 1, "{}", g.id);
        assert_eq!(g.rules[0].conditions[0].value, "\"ml\"");
        assert_eq!(
            g.members
                .iter()
                .map(|m| m.iam_id.as_str())
                .collect::<Vec<_>>(),
            ["IBMid-0", "IBMid-1", "IBMid-2"]
        );
    }
    // The policy of a user is not an access group's.
    assert_eq!(
        a.policies.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["policy-0", "policy-1", "policy-3", "policy-4"]
    );
    assert_eq!(a.policies[0].access_group_id, "AccessGroupId-0");
    assert_eq!(a.policies[0].resource["serviceName"], "quantum-computing");
    assert_eq!(a.service_ids.len(), 3);
    assert_eq!(
        a.users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(),
        ["u0@example.com", "u1@example.com", "u2@example.com"]
    );
    let identity = a.identity_settings.as_ref().unwrap();
    assert_eq!(
        (identity.entity_tag.as_str(), identity.mfa.as_deref()),
        ("3", Some("NONE"))
    );
    assert!(
        a.access_group_settings
            .as_ref()
            .unwrap()
            .public_access_enabled
    );
    // Pages were asked for with each API's own parameter.
    assert_eq!(stub.count("GET", "/v2/groups/AccessGroupId-0/members"), 2);
    assert_eq!(stub.count("GET", "/v1/serviceids/"), 2);
    assert_eq!(stub.count("GET", "/v2/resource_instances"), 3);
    assert_eq!(stub.count("GET", "/v1/policies"), 3);
    assert!(stub
        .seen()
        .iter()
        .any(|s| s.path() == "/v2/groups"
            && s.query("hide_public_access").as_deref() == Some("true")));
    // The same account read again: the same fingerprint.
    let again = read_account(&client(&stub, config()), ACCOUNT).unwrap();
    assert_eq!(again.fingerprint(), a.fingerprint());
}

#[test]
fn an_etag_is_read_from_the_header() {
    let stub = Stub::start(account);
    let c = client(&stub, config());
    assert_eq!(
        etag(&c, "https://iam.cloud.ibm.com/v2/groups/AccessGroupId-0")
            .unwrap()
            .as_deref(),
        Some("\"etag-0\"")
    );
    assert_eq!(
        etag(
            &c,
            "https://iam.cloud.ibm.com/v2/groups/settings?account_id=a"
        )
        .unwrap(),
        None
    );
}

#[test]
fn a_malformed_answer_names_the_endpoint_and_the_field() {
    let stub = Stub::start(|r| match r.path() {
        "/v2/groups" => ok(
            json!({"groups": [{"id": "AccessGroupId-1", "name": "ok"}, {"id": "AccessGroupId-2"}]}),
        ),
        _ => account(r),
    });
    let err = read_account(&client(&stub, config()), ACCOUNT)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("GET /v2/groups answered something unexpected at `groups[1].name`: missing; is the endpoint"),
        "{err}"
    );
    let stub = Stub::start(|r| match r.path() {
        "/v2/roles" => ok(json!({"custom_roles": {"not": "a list"}})),
        _ => account(r),
    });
    let err = read_account(&client(&stub, config()), ACCOUNT)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "GET /v2/roles answered something unexpected at `custom_roles`: missing or not a list"
        ),
        "{err}"
    );
    let stub = Stub::start(|r| match r.path() {
        "/v2/resource_instances" => ok(json!({"resources": [{"id": 7}]})),
        _ => account(r),
    });
    let err = read_account(&client(&stub, config()), ACCOUNT)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`resources[0].id`: not a string"), "{err}");
}

#[test]
fn pages_that_never_end_are_an_error_not_a_loop() {
    let stub = Stub::start(|r| match r.path() {
        "/v1/serviceids/" => ok(
            json!({"serviceids": [{"id": "s", "iam_id": "i", "name": "n"}],
            "next": "https://iam.cloud.ibm.com/v1/serviceids/?pagetoken=same"}),
        ),
        _ => account(r),
    });
    let err = read_account(&client(&stub, config()), ACCOUNT)
        .unwrap_err()
        .to_string();
    assert!(err.contains("the pages do not end"), "{err}");
    assert_eq!(stub.count("GET", "/v1/serviceids/"), 2);
}
