//! `live::reconcile` and `live::render`: the ibm-api plan of a policy
//! against an account in memory (tests/support/live.rs), for each kind of
//! difference: creates, updates, replaces, deletes, refusals (Q301, Q302),
//! account limits (Q601), unmanaged objects, hostile names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use qpol::live::plan::{LivePlan, Op};
use qpol::live::reconcile::Reconciled;
use qpol::live::render;
use support::live::*;

const ORG: &str = include_str!("../policies/org.qpol");

fn reconcile_text(text: &str, account: &qpol::live::account::Account) -> Reconciled {
    let (analysis, allows) = analyse(text);
    assert!(
        !analysis
            .diagnostics
            .iter()
            .any(|d| d.severity == qpol::diag::Severity::Error),
        "the test policy has errors"
    );
    plan(&deployment(&analysis), account, &allows)
}

fn summary(plan: &LivePlan) -> Vec<(String, Op)> {
    plan.actions.iter().map(|a| (a.id.clone(), a.op)).collect()
}

fn codes(out: &Reconciled) -> Vec<&'static str> {
    out.diagnostics.iter().map(|d| d.code.id()).collect()
}

#[test]
fn an_empty_account_gets_every_request_of_the_compiled_plan() {
    let out = reconcile_text(ORG, &empty_account());
    assert!(out.diagnostics.is_empty());
    // Everything is created; the account's settings (which every account
    // has, with defaults) are updated.
    for a in &out.plan.actions {
        let expected = if a.id.starts_with("account.") {
            Op::Update
        } else {
            Op::Create
        };
        assert_eq!(a.op, expected, "{}", a.id);
    }
    // The same requests as `compile --target ibm-api`, the look-ups aside.
    let (analysis, _) = analyse(ORG);
    let d = deployment(&analysis);
    let compiled = serde_json::to_value(qpol::backends::ibm_api::plan(&d).unwrap()).unwrap();
    let mut expected: Vec<serde_json::Value> = compiled["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] != "GET")
        .cloned()
        .collect();
    let mut got: Vec<serde_json::Value> = out
        .plan
        .actions
        .iter()
        .flat_map(|a| &a.requests)
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let by_id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_string();
    expected.sort_by_key(by_id);
    got.sort_by_key(by_id);
    assert_eq!(got, expected);
    // The look-ups are answered from the account.
    assert_eq!(
        out.plan.known["catalog.quantum-computing.plan.standard"]["id"],
        "plan-qc-standard"
    );
    assert_eq!(out.plan.known["resource_group.default"]["id"], "rg-default");
    insta::assert_snapshot!("empty_account", render::human(&out.plan));
}

#[test]
fn a_converged_account_gives_no_action() {
    let account = converged(ORG);
    let out = reconcile_text(ORG, &account);
    assert_eq!(summary(&out.plan), vec![]);
    assert!(out.plan.unmanaged.is_empty(), "{:?}", out.plan.unmanaged);
    assert_eq!(
        render::human(&out.plan),
        "No changes. The account matches the policy.\n"
    );
    // What the executor needs of the existing objects is known.
    assert!(out.plan.known["access_group.ml"]["id"].starts_with("AccessGroupId-"));
    assert!(out.plan.known["instance.QR-ml"]["guid"].starts_with("00000000-"));
}

#[test]
fn a_hand_made_account_without_the_marker_is_adopted_unchanged() {
    let mut account = converged(ORG);
    let strip = |d: &mut Option<String>| {
        *d = d
            .as_ref()
            .map(|t| t.trim_end_matches("[qpol]").trim_end().to_string())
            .filter(|t| !t.is_empty());
    };
    account
        .access_groups
        .iter_mut()
        .for_each(|g| strip(&mut g.description));
    account
        .roles
        .iter_mut()
        .for_each(|r| strip(&mut r.description));
    account
        .policies
        .iter_mut()
        .for_each(|p| strip(&mut p.description));
    let out = reconcile_text(ORG, &account);
    assert_eq!(summary(&out.plan), vec![]);
    // ...but a real difference in the text is one.
    account.access_groups[0].description = Some("Project ML".into());
    let out = reconcile_text(ORG, &account);
    assert_eq!(
        summary(&out.plan),
        vec![("access_group.finance".to_string(), Op::Update)]
    );
}

/// The converged org with one hand edit of each kind qpol updates.
fn hand_edited() -> qpol::live::account::Account {
    let mut account = converged(ORG);
    let group = |a: &mut qpol::live::account::Account, name: &str| {
        a.access_groups.iter().position(|g| g.name == name).unwrap()
    };
    let ml = group(&mut account, "ml");
    account.access_groups[ml].rules[0].expiration = 24;
    account.access_groups[ml].rules[0].conditions[0].value = "\"ml-old\"".into();
    account.access_groups[ml].description = Some("Machine learning [qpol]".into());
    account.access_groups[ml]
        .members
        .push(qpol::live::account::Member {
            iam_id: "IBMid-stranger".into(),
            kind: "user".into(),
        });
    account.roles[0]
        .actions
        .retain(|a| a != "quantum-computing.job.delete");
    account.roles[0].display_name = "Writer".into();
    let ml_id = account.access_groups[ml].id.clone();
    let p = account
        .policies
        .iter()
        .position(|p| p.access_group_id == ml_id)
        .unwrap();
    account.policies[p].roles.truncate(1);
    let i = account
        .instances
        .iter()
        .position(|i| i.name == "QR-ml")
        .unwrap();
    account.instances[i].resource_plan_id = "plan-qc-lite".into();
    account
        .identity_settings
        .as_mut()
        .unwrap()
        .restrict_user_list_visibility = Some("NOT_RESTRICTED".into());
    account.identity_settings.as_mut().unwrap().entity_tag = "7".into();
    account
}

#[test]
fn each_kind_of_update() {
    let mut account = hand_edited();
    let out = reconcile_text(ORG, &account);
    assert!(out.plan.actions.iter().all(|a| a.op == Op::Update));
    // Every update carries the ETag the reader gave (settings: the entity tag).
    for r in out
        .plan
        .actions
        .iter()
        .flat_map(|a| &a.requests)
        .filter(|r| r.method != "DELETE")
    {
        assert!(
            r.etag.is_some() || r.url.ends_with("/members"),
            "{} has no ETag",
            r.id
        );
    }
    let identity = out
        .plan
        .actions
        .iter()
        .find(|a| a.id == "account.identity")
        .unwrap();
    assert_eq!(identity.requests[0].etag.as_deref(), Some("7"));
    insta::assert_snapshot!("updates", render::human(&out.plan));
    insta::assert_snapshot!(
        "updates_requests",
        serde_json::to_string_pretty(
            &out.plan
                .actions
                .iter()
                .flat_map(|a| &a.requests)
                .collect::<Vec<_>>()
        )
        .unwrap()
    );
    // Applied, the account has converged.
    apply(&mut account, &out.plan);
    assert_eq!(summary(&reconcile_text(ORG, &account).plan), vec![]);
}

#[test]
fn extra_groups_are_deleted_only_when_marked() {
    let mut account = converged(ORG);
    for (id, name, description) in [
        ("AccessGroupId-hand", "auditors", Some("Made by hand")),
        (
            "AccessGroupId-old",
            "old-project",
            Some("Project old-project [qpol]"),
        ),
    ] {
        account
            .access_groups
            .push(qpol::live::account::AccessGroup {
                id: id.into(),
                name: name.into(),
                description: description.map(str::to_string),
                rules: vec![],
                members: vec![],
            });
    }
    let out = reconcile_text(ORG, &account);
    assert_eq!(
        summary(&out.plan),
        vec![("delete.access_group.old-project".to_string(), Op::Delete)]
    );
    let request = &out.plan.actions[0].requests[0];
    assert_eq!(request.method, "DELETE");
    assert!(
        request
            .url
            .ends_with("/v2/groups/AccessGroupId-old?force=true"),
        "{}",
        request.url
    );
    assert_eq!(request.etag.as_deref(), Some("etag-AccessGroupId-old"));
    assert_eq!(out.plan.unmanaged.len(), 1);
    assert_eq!(out.plan.unmanaged[0].name, "auditors");
    insta::assert_snapshot!("extra_groups", render::human(&out.plan));
}

/// org.qpol without instance QR-finance (project finance keeps QR-common).
fn without_finance_instance(allow: &str) -> String {
    let text = ORG
        .replace(
            "instance QR-finance { plan standard; region us-east; resource_group quantum; }\n",
            "",
        )
        .replace("instances QR-finance, QR-common", "instances QR-common")
        .replace("assert Ravi can job.create on QR-finance;\n", "")
        .replace("assert Fatima cannot job.read on QR-finance;\n", "")
        .replace("assert Amyra can job.delete on QR-finance;\n", "");
    format!("{text}{allow}")
}

#[test]
fn a_removed_instance_is_refused_unless_allowed() {
    let account = converged(ORG);
    let out = reconcile_text(&without_finance_instance(""), &account);
    assert_eq!(codes(&out), vec!["Q302"]);
    assert!(!out
        .plan
        .actions
        .iter()
        .any(|a| a.id.starts_with("delete.instance")));
    // Its policy (marked) goes; the instance stays.
    assert!(out
        .plan
        .actions
        .iter()
        .any(|a| a.op == Op::Delete && a.id.starts_with("delete.policy.")));
    insta::assert_snapshot!(
        "removed_refused",
        format!(
            "{}\n{}",
            out.diagnostics[0].message,
            out.diagnostics[0].help.as_deref().unwrap()
        )
    );

    let out = reconcile_text(
        &without_finance_instance("allow delete QR-finance;\n"),
        &account,
    );
    assert!(out.diagnostics.is_empty(), "{:?}", codes(&out));
    let delete = out
        .plan
        .actions
        .iter()
        .find(|a| a.id == "delete.instance.QR-finance")
        .unwrap();
    // After the policy that used it.
    let policy = out
        .plan
        .actions
        .iter()
        .find(|a| a.id.starts_with("delete.policy."))
        .unwrap();
    assert!(delete.requests[0]
        .depends_on
        .contains(&policy.requests[0].id));
    insta::assert_snapshot!("removed_allowed", render::human(&out.plan));
}

#[test]
fn a_moved_instance_is_refused_unless_allowed() {
    let account = converged(ORG);
    let moved = ORG.replace(
        "instance QR-ml { plan standard; region us-east;",
        "instance QR-ml { plan standard; region eu-de;",
    );
    let out = reconcile_text(&moved, &account);
    assert_eq!(codes(&out), vec!["Q301"]);
    assert_eq!(summary(&out.plan), vec![]);
    let d = &out.diagnostics[0];
    assert!(
        d.message.contains("region from `us-east` to `eu-de`"),
        "{}",
        d.message
    );
    assert!(d.help.as_deref().unwrap().contains("allow move QR-ml;"));

    let out = reconcile_text(&format!("{moved}allow move QR-ml;\n"), &account);
    assert!(out.diagnostics.is_empty());
    let replace = out
        .plan
        .actions
        .iter()
        .find(|a| a.op == Op::Replace)
        .unwrap();
    assert_eq!(replace.id, "instance.QR-ml");
    assert_eq!(replace.requests[0].method, "DELETE");
    assert_eq!(replace.requests[1].method, "POST");
    assert!(replace.requests[1]
        .depends_on
        .contains(&replace.requests[0].id));
    // The policy on the old instance is replaced by one on the new.
    insta::assert_snapshot!("moved_allowed", render::human(&out.plan));
    let mut account = account;
    apply(&mut account, &out.plan);
    assert_eq!(
        summary(&reconcile_text(&format!("{moved}allow move QR-ml;\n"), &account).plan),
        vec![]
    );
}

#[test]
fn a_renamed_project_deletes_the_old_group_and_creates_the_new() {
    let mut account = converged(ORG);
    let renamed = ORG.replace("project finance <", "project fin <");
    let out = reconcile_text(&renamed, &account);
    let ops = summary(&out.plan);
    assert!(ops.contains(&("access_group.fin".to_string(), Op::Create)));
    assert!(ops.contains(&("delete.access_group.finance".to_string(), Op::Delete)));
    // The delete waits for the new group's policies.
    let delete = out
        .plan
        .actions
        .iter()
        .find(|a| a.op == Op::Delete)
        .unwrap();
    assert!(delete.requests[0]
        .depends_on
        .iter()
        .any(|d| d.starts_with("policy.fin_")));
    insta::assert_snapshot!("renamed", render::human(&out.plan));
    apply(&mut account, &out.plan);
    assert_eq!(summary(&reconcile_text(&renamed, &account).plan), vec![]);
}

#[test]
fn account_limits_count_what_the_account_holds() {
    let mut account = empty_account();
    for n in 0..499 {
        account
            .access_groups
            .push(qpol::live::account::AccessGroup {
                id: format!("AccessGroupId-hand-{n:03}"),
                name: format!("hand-{n:03}"),
                description: None,
                rules: vec![],
                members: vec![],
            });
    }
    let out = reconcile_text(ORG, &account);
    assert_eq!(codes(&out), vec!["Q601"]);
    insta::assert_snapshot!(
        "limits",
        format!(
            "{}\n{}",
            out.diagnostics[0].message,
            out.diagnostics[0].help.as_deref().unwrap()
        )
    );
    // 498 hand-made groups leave room for the policy's two.
    account.access_groups.pop();
    assert!(reconcile_text(ORG, &account).diagnostics.is_empty());
}

#[test]
fn a_missing_look_up_is_an_error_naming_it() {
    let mut account = empty_account();
    account.catalog.remove("quantum-computing/lite");
    let (analysis, allows) = analyse(ORG);
    let mut etags =
        |_: &str| -> Result<Option<String>, qpol::live::reconcile::EtagError> { Ok(None) };
    let err =
        qpol::live::reconcile::reconcile(&deployment(&analysis), &account, &allows, &mut etags)
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("the global catalog entry `quantum-computing/lite` is not in account {ACCOUNT}")
    );
    account = empty_account();
    account.resource_groups.clear();
    let err =
        qpol::live::reconcile::reconcile(&deployment(&analysis), &account, &allows, &mut etags)
            .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the default resource group is not in account"),
        "{err}"
    );
}

#[test]
fn hostile_names_render_inert() {
    let mut account = converged(ORG);
    for (n, name) in [
        "evil\n+ create access group `admins`",
        "\u{1b}[31mred\u{1b}[0m",
        "${access_group.ml.id}",
    ]
    .iter()
    .enumerate()
    {
        account
            .access_groups
            .push(qpol::live::account::AccessGroup {
                id: format!("AccessGroupId-evil-{n}"),
                name: (*name).into(),
                description: Some(format!("{name} [qpol]")),
                rules: vec![],
                members: vec![],
            });
        account.roles.push(qpol::live::account::Role {
            id: format!("role-evil-{n}"),
            crn: format!("crn-evil-{n}"),
            name: (*name).into(),
            display_name: (*name).into(),
            description: None,
            actions: vec![],
            service_name: "quantum-computing".into(),
        });
    }
    let text = render::human(&reconcile_text(ORG, &account).plan);
    assert!(!text.contains('\u{1b}'));
    assert!(text.lines().all(|l| !l.starts_with("+ create")), "{text}");
    insta::assert_snapshot!("hostile", text);
}

#[test]
fn the_plan_is_deterministic() {
    let mut account = converged(ORG);
    account.access_groups.reverse();
    account.policies.reverse();
    let a = serde_json::to_string(
        &reconcile_text(&ORG.replace("project ml <", "project ml2 <"), &account).plan,
    )
    .unwrap();
    account.access_groups.reverse();
    let b = serde_json::to_string(
        &reconcile_text(&ORG.replace("project ml <", "project ml2 <"), &account).plan,
    )
    .unwrap();
    assert_eq!(a, b);
    let c = serde_json::to_string(
        &reconcile_text(&ORG.replace("project ml <", "project ml2 <"), &account).plan,
    )
    .unwrap();
    assert_eq!(b, c);
}

/// org.qpol with a service id and a user named by email among ml's members.
fn with_members() -> String {
    ORG.replace(
        "members where project contains \"ml\";",
        "members where project contains \"ml\"; members service_id ci-runner, user \"ada@example.com\";",
    ) + "service_id ci-runner { description \"CI pipelines\"; }\n"
}

fn with_ada(mut account: qpol::live::account::Account) -> qpol::live::account::Account {
    account.users.push(qpol::live::account::User {
        iam_id: "IBMid-ada".into(),
        email: "ada@example.com".into(),
    });
    account
}

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
    assert_eq!(
        request.body.as_ref().unwrap()["description"],
        "CI pipelines [qpol]"
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

/// The plans of the scenarios above, as request plans for IBM's SDK.
fn scenarios() -> Vec<(&'static str, LivePlan)> {
    let removed = without_finance_instance("allow delete QR-finance;\n");
    let moved = ORG.replace(
        "instance QR-ml { plan standard; region us-east;",
        "instance QR-ml { plan standard; region eu-de;",
    ) + "allow move QR-ml;\n";
    let renamed = ORG.replace("project finance <", "project fin <");
    let members = with_members();
    let mut edited_members = converged_with(&members);
    edited_members.service_ids[0].description = Some("by hand".into());
    let ml = edited_members
        .access_groups
        .iter_mut()
        .find(|g| g.name == "ml")
        .unwrap();
    ml.members.retain(|m| m.kind != "user");
    vec![
        ("empty", reconcile_text(ORG, &empty_account()).plan),
        ("updates", reconcile_text(ORG, &hand_edited()).plan),
        ("removed", reconcile_text(&removed, &converged(ORG)).plan),
        ("moved", reconcile_text(&moved, &converged(ORG)).plan),
        ("renamed", reconcile_text(&renamed, &converged(ORG)).plan),
        ("members", reconcile_text(&members, &edited_members).plan),
    ]
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
