//! The scenarios of the live reconcile tests: policy variants of
//! `policies/org.qpol`, accounts edited by hand, and the plans between them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::live::*;
use qpol::live::plan::{LivePlan, Op};
use qpol::live::reconcile::Reconciled;

pub const ORG: &str = include_str!("../../policies/org.qpol");

pub fn reconcile_text(text: &str, account: &qpol::live::account::Account) -> Reconciled {
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

pub fn summary(plan: &LivePlan) -> Vec<(String, Op)> {
    plan.actions.iter().map(|a| (a.id.clone(), a.op)).collect()
}

pub fn codes(out: &Reconciled) -> Vec<&'static str> {
    out.diagnostics.iter().map(|d| d.code.id()).collect()
}

/// The converged org with one hand edit of each kind qpol updates.
pub fn hand_edited() -> qpol::live::account::Account {
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

/// org.qpol without instance QR-finance (project finance keeps QR-common).
pub fn without_finance_instance(allow: &str) -> String {
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

/// org.qpol with a service id and a user named by email among ml's members.
pub fn with_members() -> String {
    ORG.replace(
        "members where project contains \"ml\";",
        "members where project contains \"ml\"; members service_id ci-runner, user \"ada@example.com\";",
    ) + "service_id ci-runner { description \"CI pipelines\"; }\n"
}

pub fn with_ada(mut account: qpol::live::account::Account) -> qpol::live::account::Account {
    account.users.push(qpol::live::account::User {
        iam_id: "IBMid-ada".into(),
        email: "ada@example.com".into(),
    });
    account
}

/// The plans of the scenarios above, as request plans for IBM's SDK.
pub fn scenarios() -> Vec<(&'static str, LivePlan)> {
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
