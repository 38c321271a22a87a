//! `qpol emulator` answers as IBM does: auth, every route's happy path,
//! pagination to the end. ETags, deletes, 409s, limits, admin routes,
//! transcript and the binary: tests/emulator_state.rs; faults and bad HTTP:
//! tests/emulator_faults.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/emulator.rs"]
mod client;

use client::{config, group_path, policy_body, pretty, rule_body, start, Client, ACCOUNT};
use qpol::emulator::Config;
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn auth_good_key_wrong_key_missing_unknown_and_expired_tokens() {
    let emu = start(config(100));
    let anonymous = Client::new(&emu);
    let wrong = anonymous.token_for("not-the-key");
    assert_eq!(wrong.status, 400);
    insta::assert_snapshot!("wrong_key", pretty(&wrong.body));
    let no_token = anonymous.get(&group_path());
    assert_eq!(no_token.status, 401);
    assert_eq!(no_token.body["errors"][0]["code"], "BXNIM0308E");
    let forged = Client {
        addr: emu.addr(),
        token: Some("forged".into()),
    };
    assert_eq!(
        forged.get(&group_path()).body["errors"][0]["code"],
        "BXNIM0303E"
    );
    let good = Client::login(&emu);
    let token = anonymous.token_for("emulator-key");
    assert_eq!(token.body["token_type"], "Bearer");
    assert_eq!(token.body["expires_in"], 3600);
    assert!(token.body["refresh_token"].is_string());
    assert_eq!(good.get(&group_path()).status, 200);

    let short = start(Config {
        token_ttl: Duration::ZERO,
        api_keys: vec!["k2".into()],
        ..config(100)
    });
    let mut c = Client::new(&short);
    assert_eq!(
        c.token_for("emulator-key").status,
        400,
        "only the given keys are accepted"
    );
    c.token = Some(
        c.token_for("k2").body["access_token"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let expired = c.get(&group_path());
    assert_eq!(expired.status, 401);
    assert_eq!(expired.body["errors"][0]["code"], "BXNIM0408E");
}

#[test]
fn access_groups_rules_members_and_settings() {
    let emu = start(config(100));
    let c = Client::login(&emu);
    let group = c.created(
        &group_path(),
        json!({"name": "ml", "description": "ML [qpol]"}),
    );
    insta::assert_snapshot!("group_created", pretty(&group));
    let id = group["id"].as_str().unwrap();
    let got = c.get(&format!("/v2/groups/{id}"));
    assert_eq!(got.body, group);
    let etag = got.header("etag").unwrap().to_string();
    let patched = c.send(
        "PATCH",
        &format!("/v2/groups/{id}"),
        &json!({"name": "ml2"}),
        &[("If-Match", &etag)],
    );
    assert_eq!(
        (patched.status, patched.body["name"].as_str()),
        (200, Some("ml2"))
    );

    let rule = c.created(&format!("/v2/groups/{id}/rules"), rule_body("r1"));
    assert_eq!(rule["access_group_id"], id);
    let rid = rule["id"].as_str().unwrap();
    assert_eq!(
        c.ok(&format!("/v2/groups/{id}/rules"))["rules"][0]["id"],
        rid
    );
    let got = c.get(&format!("/v2/groups/{id}/rules/{rid}"));
    let etag = got.header("etag").unwrap().to_string();
    let mut changed = rule_body("r1");
    changed["expiration"] = json!(2);
    let replaced = c.send(
        "PUT",
        &format!("/v2/groups/{id}/rules/{rid}"),
        &changed,
        &[("If-Match", &etag)],
    );
    assert_eq!(replaced.body["expiration"], 2);
    let mut bad = rule_body("r2");
    bad["expiration"] = json!(25);
    assert_eq!(c.post(&format!("/v2/groups/{id}/rules"), bad).status, 400);
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/v2/groups/{id}/rules/{rid}"),
            &Value::Null,
            &[]
        )
        .status,
        204
    );
    assert_eq!(c.get(&format!("/v2/groups/{id}/rules/{rid}")).status, 404);

    let members = json!({"members": [{"iam_id": "IBMid-a", "type": "user"}, {"iam_id": "iam-ServiceId-x", "type": "service"}]});
    let added = c.send("PUT", &format!("/v2/groups/{id}/members"), &members, &[]);
    assert_eq!(added.status, 207);
    assert_eq!(added.body["members"][1]["status_code"], 200);
    let listed = c.ok(&format!("/v2/groups/{id}/members"));
    assert_eq!(listed["total_count"], 2);
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/v2/groups/{id}/members/IBMid-a"),
            &Value::Null,
            &[]
        )
        .status,
        204
    );
    assert_eq!(c.ok(&format!("/v2/groups/{id}/members"))["total_count"], 1);
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/v2/groups/{id}/members/IBMid-a"),
            &Value::Null,
            &[]
        )
        .status,
        404
    );

    let settings = format!("/v2/groups/settings?account_id={ACCOUNT}");
    assert_eq!(c.ok(&settings)["public_access_enabled"], true);
    let off = c.send(
        "PATCH",
        &settings,
        &json!({"public_access_enabled": false}),
        &[],
    );
    assert_eq!(off.body["public_access_enabled"], false);
    assert_eq!(
        c.get("/v2/groups?account_id=0000").status,
        403,
        "another account"
    );
    assert_eq!(c.send("PUT", &group_path(), &json!({}), &[]).status, 405);
    assert_eq!(c.get("/v2/nothing/here").status, 404);
}

#[test]
fn policies_roles_instances_groups_catalog_identity_and_users() {
    let users = vec![qpol::emulator::User {
        email: "alice@example.com".into(),
        iam_id: "IBMid-alice".into(),
    }];
    let emu = start(Config {
        users,
        ..config(100)
    });
    let c = Client::login(&emu);
    let catalog = c.ok("/api/v1/?q=name:quantum-computing&include=%2A");
    let service = catalog["resources"][0]["id"].as_str().unwrap().to_string();
    let plans = c.ok(&format!("/api/v1/{service}/plan"));
    let names: Vec<&str> = plans["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lite", "premium", "standard"]);
    let appid = c.ok("/api/v1/?q=name:appid&include=%2A")["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        c.ok(&format!("/api/v1/{appid}/plan"))["resources"][0]["name"],
        "graduated-tier"
    );
    assert_eq!(c.ok("/api/v1/?q=name:nothing")["count"], 0);

    let default = c.ok(&format!(
        "/v2/resource_groups?account_id={ACCOUNT}&default=true"
    ));
    assert_eq!(default["resources"][0]["name"], "Default");
    let rg = c.created(
        "/v2/resource_groups",
        json!({"name": "ml", "account_id": ACCOUNT}),
    );
    let rg_id = rg["id"].as_str().unwrap();
    assert_eq!(
        c.ok(&format!("/v2/resource_groups?account_id={ACCOUNT}&name=ml"))["resources"][0]["id"],
        rg_id
    );
    let plan = plans["resources"][2]["id"].as_str().unwrap();
    let inst = c.created("/v2/resource_instances",
        json!({"name": "QR-ml", "target": "us-east", "resource_group": rg_id, "resource_plan_id": plan}));
    insta::assert_snapshot!("instance_created", pretty(&inst));
    let guid = inst["guid"].as_str().unwrap();
    assert_eq!(
        c.ok(&format!(
            "/v2/resource_instances?name=QR-ml&resource_group_id={rg_id}"
        ))["rows_count"],
        1
    );
    assert_eq!(
        c.ok(&format!(
            "/v2/resource_instances?resource_plan_id={service}"
        ))["rows_count"],
        0
    );
    let crn = inst["crn"]
        .as_str()
        .unwrap()
        .replace(':', "%3A")
        .replace('/', "%2F");
    assert_eq!(
        c.ok(&format!("/v2/resource_instances/{crn}"))["guid"],
        guid,
        "found by its CRN"
    );
    let renamed = c.send(
        "PATCH",
        &format!("/v2/resource_instances/{guid}"),
        &json!({"name": "QR-ml2"}),
        &[],
    );
    assert_eq!(renamed.body["name"], "QR-ml2");
    assert_eq!(c.post("/v2/resource_instances", json!({"name": "x", "target": "us-east", "resource_group": rg_id, "resource_plan_id": "nope"})).status, 400);

    let role = c.created(
        "/v2/roles",
        json!({"name": "QiskitWriter", "display_name": "Qiskit writer", "account_id": ACCOUNT,
        "service_name": "quantum-computing", "actions": ["quantum-computing.job.create"]}),
    );
    assert_eq!(
        role["crn"],
        format!(
            "crn:v1:bluemix:public:iam-access-management::a/{ACCOUNT}::customRole:QiskitWriter"
        )
    );
    let roles = c.ok(&format!(
        "/v2/roles?account_id={ACCOUNT}&service_name=quantum-computing"
    ));
    assert_eq!(roles["custom_roles"][0]["id"], role["id"]);
    assert_eq!(
        roles["service_roles"][0]["crn"],
        "crn:v1:bluemix:public:iam::::serviceRole:Reader"
    );
    assert_eq!(
        c.post(
            "/v2/roles",
            json!({"name": "lower", "display_name": "x", "account_id": ACCOUNT,
        "service_name": "quantum-computing", "actions": ["a"]})
        )
        .status,
        400
    );

    let group = c.created(&group_path(), json!({"name": "ml"}));
    let policy = c.created(
        "/v1/policies",
        policy_body(group["id"].as_str().unwrap(), guid),
    );
    insta::assert_snapshot!("policy_created", pretty(&policy));
    let pid = policy["id"].as_str().unwrap();
    assert_eq!(
        c.ok(&format!(
            "/v1/policies?account_id={ACCOUNT}&access_group_id={}",
            group["id"].as_str().unwrap()
        ))["policies"][0]["id"],
        pid
    );
    assert_eq!(
        c.ok(&format!(
            "/v1/policies?account_id={ACCOUNT}&access_group_id=other"
        ))["policies"],
        json!([])
    );
    assert_eq!(
        c.send("DELETE", &format!("/v1/policies/{pid}"), &Value::Null, &[])
            .status,
        204
    );
    assert_eq!(
        c.get(&format!("/v1/policies/{pid}")).body["errors"][0]["code"],
        "policy_not_found"
    );
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/v2/roles/{}", role["id"].as_str().unwrap()),
            &Value::Null,
            &[]
        )
        .status,
        204
    );
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/v2/resource_instances/{guid}"),
            &Value::Null,
            &[]
        )
        .status,
        204
    );

    let settings = c.get(&format!("/v1/accounts/{ACCOUNT}/settings/identity"));
    let tag = settings.body["entity_tag"].as_str().unwrap().to_string();
    let put = c.send(
        "PUT",
        &format!("/v1/accounts/{ACCOUNT}/settings/identity"),
        &json!({"restrict_create_service_id": "RESTRICTED"}),
        &[("If-Match", &tag)],
    );
    assert_eq!(put.body["restrict_create_service_id"], "RESTRICTED");
    assert_ne!(put.body["entity_tag"], json!(tag));
    let bad = c.send(
        "PUT",
        &format!("/v1/accounts/{ACCOUNT}/settings/identity"),
        &json!({"restrict_create_service_id": "MAYBE"}),
        &[("If-Match", "*")],
    );
    assert_eq!(bad.status, 400);

    let sid = c.created(
        "/v1/serviceids/",
        json!({"account_id": ACCOUNT, "name": "ci", "description": "[qpol]"}),
    );
    let sid_id = sid["id"].as_str().unwrap();
    assert_eq!(sid["iam_id"], format!("iam-{sid_id}"));
    assert_eq!(
        c.ok(&format!("/v1/serviceids/?account_id={ACCOUNT}&name=ci"))["serviceids"][0]["id"],
        sid_id
    );
    let tag = sid["entity_tag"].as_str().unwrap();
    let updated = c.send(
        "PUT",
        &format!("/v1/serviceids/{sid_id}"),
        &json!({"description": "new [qpol]"}),
        &[("If-Match", tag)],
    );
    assert_eq!(updated.body["description"], "new [qpol]");
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/v1/serviceids/{sid_id}"),
            &Value::Null,
            &[]
        )
        .status,
        204
    );
    assert_eq!(c.get(&format!("/v1/serviceids/{sid_id}")).status, 404);

    let users = c.ok(&format!(
        "/v2/accounts/{ACCOUNT}/users?search=email%3Aalice%40example.com"
    ));
    assert_eq!(users["resources"][0]["iam_id"], "IBMid-alice");
    assert_eq!(
        c.ok(&format!(
            "/v2/accounts/{ACCOUNT}/users?search=email%3Abob%40example.com"
        ))["total_results"],
        0
    );
}

/// Follow `next` links to the end; every item's `id` (or `iam_id`).
fn follow(
    c: &Client,
    first: &str,
    items: &str,
    next: impl Fn(&Value) -> Option<String>,
) -> Vec<String> {
    let (mut path, mut out, mut pages) = (Some(first.to_string()), Vec::new(), 0);
    while let Some(p) = path {
        let page = c.ok(&p);
        let list = page[items].as_array().unwrap();
        assert!(list.len() <= 2, "a page holds at most the page size");
        out.extend(list.iter().map(|i| {
            i.get("id")
                .or(i.get("iam_id"))
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        }));
        path = next(&page).map(|href| {
            href.trim_start_matches("https://iam.cloud.ibm.com")
                .to_string()
        });
        pages += 1;
        assert!(pages < 10);
    }
    out
}

#[test]
fn every_list_paginates_to_its_end_with_page_size_2() {
    let users: Vec<qpol::emulator::User> = (0..5)
        .map(|n| qpol::emulator::User {
            email: format!("u{n}@example.com"),
            iam_id: format!("IBMid-{n}"),
        })
        .collect();
    let emu = start(Config { users, ..config(2) });
    let c = Client::login(&emu);
    let rg = c.ok(&format!("/v2/resource_groups?account_id={ACCOUNT}"))["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let service = c.ok("/api/v1/?q=name:quantum-computing")["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let plan = c.ok(&format!("/api/v1/{service}/plan"))["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let group0 = c.created(&group_path(), json!({"name": "g0"}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    for n in 1..5 {
        c.created(&group_path(), json!({"name": format!("g{n}")}));
        c.created("/v1/policies", policy_body(&group0, &format!("i{n}")));
        c.created("/v2/resource_instances", json!({"name": format!("i{n}"), "target": "us-east", "resource_group": rg, "resource_plan_id": plan}));
        c.created(
            "/v1/serviceids/",
            json!({"account_id": ACCOUNT, "name": format!("s{n}")}),
        );
    }
    c.created("/v1/policies", policy_body(&group0, "i5"));
    let members: Vec<Value> = (0..5)
        .map(|n| json!({"iam_id": format!("IBMid-{n}"), "type": "user"}))
        .collect();
    assert_eq!(
        c.send(
            "PUT",
            &format!("/v2/groups/{group0}/members"),
            &json!({"members": members}),
            &[]
        )
        .status,
        207
    );

    let href = |v: &Value| {
        v.get("next")
            .map(|n| n["href"].as_str().unwrap().to_string())
    };
    let groups = follow(&c, &format!("{}&limit=50", group_path()), "groups", href);
    assert_eq!(
        groups.len(),
        5,
        "limit is capped at the page size, and every page is followed"
    );
    let first = c.ok(&group_path());
    assert_eq!(
        (first["limit"].as_u64(), first["total_count"].as_u64()),
        (Some(2), Some(5))
    );
    assert!(first["last"]["href"]
        .as_str()
        .unwrap()
        .ends_with("offset=4"));
    assert_eq!(
        follow(&c, &format!("/v2/groups/{group0}/members"), "members", href).len(),
        5
    );
    let policies = follow(
        &c,
        &format!("/v1/policies?account_id={ACCOUNT}&access_group_id={group0}"),
        "policies",
        href,
    );
    assert_eq!(policies.len(), 5);
    let next_url =
        |v: &Value| Some(v["next_url"].as_str().unwrap().to_string()).filter(|s| !s.is_empty());
    assert_eq!(
        follow(&c, "/v2/resource_instances", "resources", next_url).len(),
        4
    );
    let next = |v: &Value| v.get("next").map(|n| n.as_str().unwrap().to_string());
    assert_eq!(
        follow(
            &c,
            &format!("/v1/serviceids/?account_id={ACCOUNT}"),
            "serviceids",
            next
        )
        .len(),
        4
    );
    let users = follow(
        &c,
        &format!("/v2/accounts/{ACCOUNT}/users"),
        "resources",
        |v| v.get("next_url").map(|n| n.as_str().unwrap().to_string()),
    );
    assert_eq!(users.len(), 5);
    let mut unique = groups.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "no item twice");
    assert_eq!(c.get("/v1/policies?account_id=x&start=bogus").status, 403);
    assert_eq!(
        c.get(&format!("/v1/policies?account_id={ACCOUNT}&start=bogus"))
            .status,
        400
    );
}
