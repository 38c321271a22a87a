//! `live::reconcile` with static members, service ids and users named by
//! email; deletes ordered after their users; the JSON format; and the
//! requests of every scenario checked as IBM's SDK would take them
//! (`.ci/live-plan.sh` replays them through the SDK itself).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use qpol::live::plan::{LivePlan, Op};
use qpol::live::render;
use support::live::*;
use support::live_scenarios::*;

#[test]
fn service_ids_members_and_users() {
    let text = with_members();
    // A user the account does not have: an error naming her.
    let (analysis, allows) = analyse(&text);
    let mut etags =
        |_: &str| -> Result<Option<String>, qpol::live::reconcile::EtagError> { Ok(None) };
    let err = qpol::live::reconcile::reconcile(
        &deployment(&analysis),
        &empty_account(),
        &allows,
        &mut etags,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("the user `ada@example.com` is not in account {ACCOUNT}")
    );
    // Created with the group: the service id's iam_id comes from its create.
    let mut account = with_ada(empty_account());
    let out = plan(&deployment(&analysis), &account, &allows);
    let user = out
        .plan
        .known
        .iter()
        .find(|(k, _)| k.starts_with("user."))
        .unwrap();
    assert_eq!(user.1["iam_id"], "IBMid-ada");
    let placeholder = format!("${{{}.iam_id}}", user.0);
    apply(&mut account, &out.plan);
    assert_eq!(summary(&reconcile_text(&text, &account).plan), vec![]);
    let ml = account
        .access_groups
        .iter()
        .find(|g| g.name == "ml")
        .unwrap();
    assert_eq!(ml.members.len(), 2);
    // The service id's description changed by hand: updated, with its ETag.
    account.service_ids[0].description = Some("renamed by hand".into());
    let out = reconcile_text(&text, &account);
    assert_eq!(
        summary(&out.plan),
        vec![("service_id.ci-runner".to_string(), Op::Update)]
    );
    let request = &out.plan.actions[0].requests[0];
    assert_eq!(
        (request.method.as_str(), request.etag.is_some()),
        ("PUT", true)
    );
    // The hand edit took the marker away: the update does not put it back
    // (only a create marks an object; one that lost it counts as adopted).
    assert_eq!(
        request.body.as_ref().unwrap()["description"],
        "CI pipelines"
    );
    // A member removed by hand is added back, alone.
    let ml = account
        .access_groups
        .iter_mut()
        .find(|g| g.name == "ml")
        .unwrap();
    ml.members.retain(|m| m.iam_id != "IBMid-ada");
    account.service_ids[0].description = Some("CI pipelines [qpol]".into());
    let out = reconcile_text(&text, &account);
    assert_eq!(
        summary(&out.plan),
        vec![("members.ml".to_string(), Op::Update)]
    );
    assert_eq!(
        out.plan.actions[0].requests[0].body.as_ref().unwrap()["members"],
        serde_json::json!([{ "iam_id": placeholder, "type": "user" }])
    );
}

#[test]
fn marked_roles_service_ids_and_rules_go_after_their_users() {
    let text = with_members();
    let mut account = converged_with(&text);
    // The policy no longer has the service id, the role is renamed, and a
    // rule made by hand sits in a marked group and in an unmarked one.
    let text = text
        .replace(" members service_id ci-runner, user", " members user")
        .replace(
            "service_id ci-runner { description \"CI pipelines\"; }\n",
            "",
        )
        .replace("role writer {", "role writer {\n  iam_name QiskitAuthor;");
    let extra = |name: &str| qpol::live::account::Rule {
        id: format!("ClaimRule-{name}"),
        name: name.into(),
        expiration: 24,
        realm_name: "https://example.com".into(),
        conditions: vec![],
    };
    account
        .access_groups
        .iter_mut()
        .find(|g| g.name == "ml")
        .unwrap()
        .rules
        .push(extra("by-hand"));
    let fin = account
        .access_groups
        .iter_mut()
        .find(|g| g.name == "finance")
        .unwrap();
    fin.rules.push(extra("by-hand-too"));
    fin.description = Some("Project finance".into());
    let out = reconcile_text(&text, &account);
    let ops = summary(&out.plan);
    for (id, op) in [
        ("role.writer", Op::Create),
        ("delete.role.QiskitWriter", Op::Delete),
        ("delete.service_id.ci-runner", Op::Delete),
        ("delete.rule.ml.by-hand", Op::Delete),
        ("members.ml", Op::Update),
    ] {
        assert!(
            ops.contains(&(id.to_string(), op)),
            "{id} {op:?} not in {ops:?}"
        );
    }
    assert!(out
        .plan
        .unmanaged
        .iter()
        .any(|u| u.kind == "rule" && u.name == "finance / by-hand-too"));
    // The old role goes after the policies that used it are updated.
    let role = out
        .plan
        .actions
        .iter()
        .find(|a| a.id == "delete.role.QiskitWriter")
        .unwrap();
    let deps = &role.requests[0].depends_on;
    assert!(deps.iter().any(|d| d.starts_with("policy.ml_")), "{deps:?}");
    assert!(
        deps.contains(&"delete.service_id.ci-runner".to_string()),
        "{deps:?}"
    );
    insta::assert_snapshot!("role_renamed", render::human(&out.plan));
    apply(&mut account, &out.plan);
    assert_eq!(summary(&reconcile_text(&text, &account).plan), vec![]);
}

#[test]
fn the_json_format_is_the_live_plan() {
    let out = reconcile_text(&ORG.replace("session 12h", "session 24h"), &converged(ORG));
    let json = serde_json::to_string_pretty(&out.plan).unwrap();
    let back: LivePlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, out.plan);
    assert_eq!(back.format, "qpol-live-plan/1");
    insta::assert_snapshot!("json", json);
}

/// Every request the scenarios send names, for each placeholder, an earlier
/// request it depends on, and updates carry `If-Match`. With
/// `QPOL_LIVE_PLAN_DIR` set, the plans are also written there for
/// `.ci/live-plan.sh`, which replays them through IBM's SDK.
#[test]
fn sdk_request_plans_of_the_scenarios() {
    let dir = std::env::var_os("QPOL_LIVE_PLAN_DIR").map(std::path::PathBuf::from);
    for (name, plan) in scenarios() {
        let value = as_request_plan(&plan);
        let text = serde_json::to_string_pretty(&value).unwrap();
        let problems = support::api_plan::problems(&text);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        for r in value["requests"].as_array().unwrap() {
            // IBM requires If-Match on these updates (its SDK's `if_match`).
            let (method, url) = (r["method"].as_str().unwrap(), r["url"].as_str().unwrap());
            let needs = match method {
                "PUT" => [
                    "/v2/roles/",
                    "/v1/policies/",
                    "/rules/",
                    "/v1/serviceids/",
                    "/settings/identity",
                ]
                .iter()
                .any(|p| url.contains(p)),
                "PATCH" => url.contains("/v2/groups/AccessGroupId-"),
                _ => false,
            };
            if needs {
                assert!(r["headers"]["If-Match"].is_string(), "{name}: {r}");
            }
        }
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{name}.json")), text).unwrap();
        }
    }
}
