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

use qpol::live::plan::Op;
use qpol::live::render;
use support::live::*;
use support::live_scenarios::*;

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
    // An adopted group keeps its own words unless the policy has some...
    account.access_groups[0].description = Some("Project ML".into());
    let out = reconcile_text(ORG, &account);
    assert_eq!(summary(&out.plan), vec![]);
    // ...but qpol's own group is set back to what the policy says.
    let mut account = converged(ORG);
    account.access_groups[0].description = Some("Project ML [qpol]".into());
    let out = reconcile_text(ORG, &account);
    assert_eq!(
        summary(&out.plan),
        vec![("access_group.finance".to_string(), Op::Update)]
    );
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
    // Rules of a group made by hand that qpol adopts count too: 5 + 1.
    let mut account = converged(ORG);
    let ml = account
        .access_groups
        .iter_mut()
        .find(|g| g.name == "ml")
        .unwrap();
    ml.description = Some("Project ml".into());
    for n in 0..5 {
        let mut rule = ml.rules[0].clone();
        rule.id = format!("ClaimRule-hand-{n}");
        rule.name = format!("hand-{n}");
        ml.rules.push(rule);
    }
    let out = reconcile_text(ORG, &account);
    assert_eq!(codes(&out), vec!["Q601"]);
    assert_eq!(
        out.diagnostics[0].message,
        "access group `ml` would hold 6 dynamic rules after this plan; IAM allows at most 5 dynamic rules of one access group"
    );
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
    // It points at the instance that uses the plan.
    let at = err.span().unwrap();
    assert_eq!(&ORG[at.start()..at.end()], "QR-common");
    assert!(err.help().contains("plan"));
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

#[test]
fn etags_are_read_only_for_what_the_plan_updates_or_deletes() {
    let (analysis, allows) = analyse(ORG);
    let d = deployment(&analysis);
    let asked = std::cell::RefCell::new(Vec::new());
    let mut etags = |url: &str| -> Result<Option<String>, qpol::live::reconcile::EtagError> {
        asked.borrow_mut().push(url.to_string());
        Ok(Some("1".into()))
    };
    qpol::live::reconcile::reconcile(&d, &empty_account(), &allows, &mut etags).unwrap();
    qpol::live::reconcile::reconcile(&d, &converged(ORG), &allows, &mut etags).unwrap();
    assert_eq!(*asked.borrow(), Vec::<String>::new());
    let mut account = converged(ORG);
    let ml = account
        .access_groups
        .iter_mut()
        .find(|g| g.name == "ml")
        .unwrap();
    ml.rules[0].expiration = 1;
    let url = format!(
        "https://iam.cloud.ibm.com/v2/groups/{}/rules/{}",
        ml.id, ml.rules[0].id
    );
    qpol::live::reconcile::reconcile(&d, &account, &allows, &mut etags).unwrap();
    assert_eq!(*asked.borrow(), vec![url]);
    // A reader that fails: the plan stops, naming the object.
    let mut failing = |_: &str| -> Result<Option<String>, qpol::live::reconcile::EtagError> {
        Err("connection reset".into())
    };
    let err = qpol::live::reconcile::reconcile(&d, &account, &allows, &mut failing).unwrap_err();
    assert!(
        err.to_string().contains("/rules/") && err.to_string().ends_with("connection reset"),
        "{err}"
    );
}

#[test]
fn a_group_for_an_extra_role_is_listed_under_its_project() {
    let text = ORG.replace(
        "members where project contains \"ml\"; role writer >",
        "members where project contains \"ml\"; members where project equals \"visitors\" role reader; role writer >",
    );
    let out = reconcile_text(&text, &empty_account());
    let groups: Vec<(String, Option<String>)> = out
        .plan
        .actions
        .iter()
        .filter(|a| a.id.starts_with("access_group."))
        .map(|a| (a.object.clone(), a.project.clone()))
        .collect();
    assert!(groups.len() == 3, "{groups:?}");
    assert!(
        groups
            .iter()
            .filter(|(_, p)| p.as_deref() == Some("ml"))
            .count()
            == 2,
        "{groups:?}"
    );
}

#[test]
fn a_rule_named_by_hand_is_adopted_and_a_changed_one_updated_never_doubled() {
    let mut account = converged(ORG);
    let ml = account
        .access_groups
        .iter()
        .position(|g| g.name == "ml")
        .unwrap();
    account.access_groups[ml].rules[0].name = "ML users (by hand)".into();
    // Same content under another name: adopted as it is.
    let out = reconcile_text(ORG, &account);
    assert_eq!(summary(&out.plan), vec![]);
    assert!(out.plan.unmanaged.is_empty(), "{:?}", out.plan.unmanaged);
    // Another value too: that rule is updated (and renamed); no second rule
    // is created beside it to admit users it should no longer admit.
    account.access_groups[ml].rules[0].conditions[0].value = "mlx".into();
    let out = reconcile_text(ORG, &account);
    assert_eq!(
        summary(&out.plan),
        vec![("rule.ml".to_string(), Op::Update)]
    );
    let action = &out.plan.actions[0];
    let fields: Vec<&str> = action.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["name", "conditions"]);
    let request = &action.requests[0];
    assert_eq!(request.method, "PUT");
    assert!(
        request
            .url
            .ends_with(&format!("/rules/{}", account.access_groups[ml].rules[0].id)),
        "{}",
        request.url
    );
}

#[test]
fn an_adopted_group_is_never_marked_so_its_hand_made_rules_stay_untouched() {
    let mut account = converged(ORG);
    let ml = account
        .access_groups
        .iter()
        .position(|g| g.name == "ml")
        .unwrap();
    let group = &mut account.access_groups[ml];
    group.description = Some("made by hand".into());
    let mut other = group.rules[0].clone();
    other.id = "ClaimRule-hand-b".into();
    other.name = "hand-b".into();
    other.conditions[0].value = "\"quant\"".into();
    group.rules.push(other);
    // Its own words are kept (the policy has none for ml)...
    let out = reconcile_text(ORG, &account);
    assert_eq!(summary(&out.plan), vec![]);
    // ...and when the policy words one, the update carries no marker.
    let worded = ORG.replace("project ml <", "project ml < description \"ML team\";");
    let out = reconcile_text(&worded, &account);
    assert_eq!(
        summary(&out.plan),
        vec![("access_group.ml".to_string(), Op::Update)]
    );
    let sent = out.plan.actions[0].requests[0].body.clone().unwrap();
    assert_eq!(
        sent["description"], "ML team",
        "no marker on an adopted group"
    );
    let unmanaged: Vec<&str> = out.plan.unmanaged.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(unmanaged, ["ml / hand-b"]);
    // Applied: the group holds the new description, still unmarked; the
    // hand-made rule is still never touched.
    account.access_groups[ml].description = Some("ML team".into());
    let out = reconcile_text(&worded, &account);
    assert_eq!(summary(&out.plan), vec![]);
    let unmanaged: Vec<&str> = out.plan.unmanaged.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(unmanaged, ["ml / hand-b"]);
}
