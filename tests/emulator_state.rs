//! `qpol emulator`'s account state: ETags and 412, forced deletes, 409s,
//! the account limits, the admin routes, determinism, the transcript; and
//! the binary starts and prints its URL.
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

#[test]
fn a_stale_if_match_gets_412_and_every_change_a_new_etag() {
    let emu = start(config(100));
    let c = Client::login(&emu);
    let id = c.created(&group_path(), json!({"name": "ml"}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v2/groups/{id}");
    let first = c.get(&path).header("etag").unwrap().to_string();
    assert_eq!(
        c.get(&path).header("etag"),
        Some(first.as_str()),
        "no change, same ETag"
    );
    let missing = c.send("PATCH", &path, &json!({"description": "a"}), &[]);
    assert_eq!(missing.status, 428);
    let ok = c.send(
        "PATCH",
        &path,
        &json!({"description": "a"}),
        &[("If-Match", &first)],
    );
    assert_eq!(ok.status, 200);
    let second = c.get(&path).header("etag").unwrap().to_string();
    assert_ne!(first, second);
    let stale = c.send(
        "PATCH",
        &path,
        &json!({"description": "b"}),
        &[("If-Match", &first)],
    );
    assert_eq!(stale.status, 412);
    insta::assert_snapshot!("precondition_failed", pretty(&stale.body));
    assert_eq!(c.get(&path).body["description"], "a", "nothing overwritten");
    assert_eq!(
        c.send(
            "PATCH",
            &path,
            &json!({"description": "c"}),
            &[("If-Match", "*")]
        )
        .status,
        200
    );

    let policy = c.created("/v1/policies", policy_body(&id, "i1"));
    let ppath = format!("/v1/policies/{}", policy["id"].as_str().unwrap());
    let tag = c.get(&ppath).header("etag").unwrap().to_string();
    let replaced = c.send(
        "PUT",
        &ppath,
        &policy_body(&id, "i2"),
        &[("If-Match", &tag)],
    );
    assert_eq!(replaced.status, 200);
    assert_eq!(
        c.send(
            "PUT",
            &ppath,
            &policy_body(&id, "i3"),
            &[("If-Match", &tag)]
        )
        .status,
        412
    );
    let role = c.created(
        "/v2/roles",
        json!({"name": "R", "display_name": "R", "account_id": ACCOUNT,
        "service_name": "quantum-computing", "actions": ["a"]}),
    );
    let rpath = format!("/v2/roles/{}", role["id"].as_str().unwrap());
    let body = json!({"display_name": "R2", "actions": ["b"]});
    assert_eq!(
        c.send("PUT", &rpath, &body, &[("If-Match", "W/\"9-0\"")])
            .status,
        412
    );
    let tag = c.get(&rpath).header("etag").unwrap().to_string();
    assert_eq!(
        c.send("PUT", &rpath, &body, &[("If-Match", &tag)]).body["display_name"],
        "R2"
    );
    // A delete that names an old ETag is refused too; without one, or with
    // the current one, it goes ahead.
    let stale_delete = c.send("DELETE", &rpath, &Value::Null, &[("If-Match", &tag)]);
    assert_eq!(stale_delete.status, 412);
    let tag = c.get(&rpath).header("etag").unwrap().to_string();
    assert_eq!(
        c.send("DELETE", &rpath, &Value::Null, &[("If-Match", &tag)])
            .status,
        204
    );
    assert_eq!(c.send("DELETE", &ppath, &Value::Null, &[]).status, 204);
}

#[test]
fn deleting_a_group_with_contents_needs_force_which_deletes_them_too() {
    let emu = start(config(100));
    let c = Client::login(&emu);
    let id = c.created(&group_path(), json!({"name": "ml"}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = c.created(&group_path(), json!({"name": "other"}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.created(&format!("/v2/groups/{id}/rules"), rule_body("r"));
    c.send(
        "PUT",
        &format!("/v2/groups/{id}/members"),
        &json!({"members": [{"iam_id": "IBMid-a", "type": "user"}]}),
        &[],
    );
    c.created("/v1/policies", policy_body(&id, "i1"));
    c.created("/v1/policies", policy_body(&other, "i1"));
    let refused = c.send("DELETE", &format!("/v2/groups/{id}"), &Value::Null, &[]);
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["errors"][0]["code"], "group_not_empty");
    let forced = c.send(
        "DELETE",
        &format!("/v2/groups/{id}?force=true"),
        &Value::Null,
        &[],
    );
    assert_eq!(forced.status, 204);
    let state = c.ok("/_emulator/state");
    assert_eq!(state["access_groups"].as_object().unwrap().len(), 1);
    assert_eq!(state["access_group_rules"], json!({}));
    assert_eq!(state["access_group_members"], json!({}));
    let policies = state["policies"].as_object().unwrap();
    assert_eq!(policies.len(), 1, "the other group's policy stays");
    assert_eq!(
        c.send("DELETE", &format!("/v2/groups/{other}"), &Value::Null, &[])
            .status,
        400,
        "it has a policy"
    );
}

#[test]
fn duplicates_get_409() {
    let emu = start(config(100));
    let c = Client::login(&emu);
    let id = c.created(&group_path(), json!({"name": "ml"}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dup = c.post(&group_path(), json!({"name": "ML"}));
    assert_eq!(dup.status, 409);
    insta::assert_snapshot!("duplicate_group", pretty(&dup.body));
    c.created("/v1/policies", policy_body(&id, "i1"));
    assert_eq!(
        c.post("/v1/policies", policy_body(&id, "i1")).body["errors"][0]["code"],
        "policy_conflict_error"
    );
    let role = json!({"name": "R", "display_name": "R", "account_id": ACCOUNT, "service_name": "quantum-computing", "actions": ["a"]});
    c.created("/v2/roles", role.clone());
    assert_eq!(c.post("/v2/roles", role).status, 409);
    c.created(
        "/v2/resource_groups",
        json!({"name": "rg", "account_id": ACCOUNT}),
    );
    assert_eq!(
        c.post(
            "/v2/resource_groups",
            json!({"name": "rg", "account_id": ACCOUNT})
        )
        .status,
        409
    );
}

#[test]
fn account_limits_refuse_the_create_past_them() {
    let emu = start(config(100));
    let c = Client::login(&emu);
    for n in 0..500 {
        c.created(&group_path(), json!({"name": format!("g{n}")}));
    }
    let refused = c.post(&group_path(), json!({"name": "g500"}));
    assert_eq!(refused.status, 400);
    insta::assert_snapshot!("limit_access_groups", pretty(&refused.body));
    let group = c.ok(&format!("{}&limit=1", group_path()))["groups"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for n in 0..5 {
        c.created(
            &format!("/v2/groups/{group}/rules"),
            rule_body(&format!("r{n}")),
        );
    }
    let sixth = c.post(&format!("/v2/groups/{group}/rules"), rule_body("r5"));
    assert_eq!(sixth.body["errors"][0]["code"], "limit_exceeded");
    assert!(sixth.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("5 dynamic rules per access group"));
    for n in 0..40 {
        c.created(
            "/v2/roles",
            json!({"name": format!("R{n}"), "display_name": "R", "account_id": ACCOUNT,
            "service_name": "quantum-computing", "actions": ["a"]}),
        );
    }
    let role = c.post(
        "/v2/roles",
        json!({"name": "R40", "display_name": "R", "account_id": ACCOUNT,
        "service_name": "quantum-computing", "actions": ["a"]}),
    );
    assert!(role.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("40 custom roles"));
}

#[test]
fn per_subject_policy_and_service_id_limits() {
    let emu = start(config(100));
    let c = Client::login(&emu);
    for n in 0..1000 {
        c.created("/v1/policies", policy_body("g", &format!("i{n}")));
    }
    let refused = c.post("/v1/policies", policy_body("g", "i1000"));
    assert!(refused.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("1000 policies per subject"));
    c.created("/v1/policies", policy_body("h", "i0"));
    for n in 0..2000 {
        c.created(
            "/v1/serviceids/",
            json!({"account_id": ACCOUNT, "name": format!("s{n}")}),
        );
    }
    let refused = c.post(
        "/v1/serviceids/",
        json!({"account_id": ACCOUNT, "name": "s2000"}),
    );
    assert!(refused.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("2000 service IDs"));
}

#[test]
fn admin_stats_count_requests_writes_and_methods_and_reset() {
    let emu = start(config(100));
    let c = Client::login(&emu);
    c.created(&group_path(), json!({"name": "ml"}));
    c.post(&group_path(), json!({"name": "ml"}));
    c.get(&group_path());
    let stats = c.ok("/_emulator/stats");
    insta::assert_snapshot!("stats", pretty(&stats));
    let reset = c.post("/_emulator/stats/reset", Value::Null);
    assert_eq!(reset.body["requests"], 0);
    assert_eq!(c.ok("/_emulator/stats")["by_method"], json!({}));
    assert_eq!(c.get("/_emulator/nothing").status, 404);
}

#[test]
fn same_seed_same_requests_same_state() {
    let run = |seed: u64| {
        let emu = start(Config {
            seed,
            ..config(100)
        });
        let c = Client::login(&emu);
        let id = c.created(&group_path(), json!({"name": "ml"}))["id"]
            .as_str()
            .unwrap()
            .to_string();
        c.created(&format!("/v2/groups/{id}/rules"), rule_body("r"));
        c.created("/v1/policies", policy_body(&id, "i1"));
        c.ok("/_emulator/state")
    };
    let a = run(1);
    assert_eq!(a, run(1));
    assert_ne!(a, run(2));
    let text = serde_json::to_string(&a).unwrap();
    assert!(
        text.contains("2026-01-01T00:00:0"),
        "timestamps from the clock"
    );
}

#[test]
fn transcript_records_ibm_exchanges_with_canonical_urls_and_no_authorization() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let emu = start(Config {
        transcript: Some(path.clone()),
        ..config(100)
    });
    let c = Client::login(&emu);
    c.created(&group_path(), json!({"name": "ml"}));
    c.ok("/api/v1/?q=name:appid");
    c.ok(&format!("/v2/resource_groups?account_id={ACCOUNT}"));
    c.ok(&format!("/v2/accounts/{ACCOUNT}/users"));
    c.get("/v2/unknown");
    c.send("PUT", &group_path(), &json!({}), &[]);
    c.ok("/_emulator/stats");
    drop(emu);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let urls: Vec<&str> = lines.iter().map(|l| l["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            format!("https://iam.cloud.ibm.com/v2/groups?account_id={ACCOUNT}"),
            "https://globalcatalog.cloud.ibm.com/api/v1/?q=name:appid".to_string(),
            format!(
                "https://resource-controller.cloud.ibm.com/v2/resource_groups?account_id={ACCOUNT}"
            ),
            format!("https://user-management.cloud.ibm.com/v2/accounts/{ACCOUNT}/users"),
        ],
        "token, unknown paths, wrong methods and admin routes are not recorded"
    );
    assert_eq!(lines[0]["status"], 201);
    assert_eq!(lines[0]["request_body"], json!({"name": "ml"}));
    assert_eq!(lines[0]["body"]["name"], "ml");
    assert!(!text.to_lowercase().contains("authorization") && !text.contains("Bearer"));
    assert!(!text.contains(c.token.as_deref().unwrap()));
}

#[test]
fn the_binary_prints_its_url_and_serves_on_it() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_qpol"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "secret-k",
            "--seed",
            "3",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let re = regex::Regex::new(
        r"^qpol emulator listening on http://127\.0\.0\.1:(\d+) \(account ([0-9a-f]{32})\)\n$",
    )
    .unwrap();
    let caps = re
        .captures(&line)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert_eq!(&caps[2], ACCOUNT);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", &caps[1]).parse().unwrap();
    let mut c = Client { addr, token: None };
    assert_eq!(
        c.token_for("emulator-key").status,
        400,
        "--api-key replaces the default"
    );
    let token = c.token_for("secret-k");
    c.token = Some(token.body["access_token"].as_str().unwrap().to_string());
    assert_eq!(
        c.ok(&format!("/v2/resource_groups?account_id={ACCOUNT}"))["resources"][0]["name"],
        "Default"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_qpol"))
        .args(["emulator", "--faults", "429:7"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--faults") && err.contains("not a probability"),
        "{err}"
    );
}
