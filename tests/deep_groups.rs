//! Deeply nested groups compile to the policies nesting implies: every
//! group of a long chain reaches the instances below it, with the roles of
//! the projects (or its own role), and shared subgroups (diamonds) count
//! once. How fast a deep chain compiles is measured by `cargo bench --bench
//! check`, not here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::backends::deployment::{Deployment, Scope};
use qpol::backends::{self, Target};
use qpol::Policy;
use serde_json::Value;
use std::collections::BTreeMap;

/// A chain `g0 -> g1 -> ... -> g{depth}` ending in project `p` (instance
/// `QR-a`, role writer); `g{mid}` also scopes `QR-b` with role reader.
fn chain(depth: usize, mid: usize) -> String {
    // Two thousand access groups: more than IAM's 500, declared raised.
    let mut text = String::from(
        "account { limits { access_groups 4000; policies 8000; } }\n\
         instance QR-a { plan standard; region us-east; }\n\
         instance QR-b { plan standard; region us-east; }\n\
         role writer { actions device.read, job.read, job.create; }\n\
         role reader { actions device.read, job.read; }\n",
    );
    for i in 0..depth {
        let extra = if i == mid {
            " instances QR-b; role reader;"
        } else {
            ""
        };
        text.push_str(&format!(
            "group g{i} {{ groups g{}; members user \"u{i}@example.com\";{extra} }}\n",
            i + 1
        ));
    }
    text.push_str(&format!(
        "group g{depth} {{ projects p; members user \"last@example.com\"; }}\n\
         project p {{ instances QR-a; members user \"p@example.com\"; role writer; }}\n"
    ));
    text
}

fn compile(text: &str, target: Target) -> (Deployment, String) {
    let mut policy = Policy::default();
    policy.add_bytes("deep.qpol", text.as_bytes().to_vec());
    let result = qpol::checks::check(policy);
    let compiled = backends::compile(&result, target);
    let text = compiled.text().expect("the policy compiles");
    (compiled.deployment.expect("a deployment"), text)
}

/// Access group name -> [(instance name, role names)], as compiled.
fn policies(d: &Deployment) -> BTreeMap<String, Vec<(String, Vec<String>)>> {
    d.access_groups
        .iter()
        .map(|g| {
            let policies = g
                .policies
                .iter()
                .map(|p| {
                    let Scope::Instance(i) = p.scope else {
                        panic!("only instances are scoped here")
                    };
                    let roles = p
                        .roles
                        .iter()
                        .map(|r| d.roles[*r].display_name.clone())
                        .collect();
                    (d.instances[i].name.clone(), roles)
                })
                .collect();
            (g.name.clone(), policies)
        })
        .collect()
}

fn pair(instance: &str, roles: &[&str]) -> (String, Vec<String>) {
    (
        instance.to_string(),
        roles.iter().map(|r| format!("Qiskit {r}")).collect(),
    )
}

#[test]
fn a_chain_of_2000_groups_compiles_every_level_s_policies() {
    let (depth, mid) = (2_000, 1_000);
    let (deployment, tf) = compile(&chain(depth, mid), Target::Terraform);
    let groups = policies(&deployment);
    // g0..=g{depth} and the project.
    assert_eq!(groups.len(), depth + 2);
    for i in 0..=depth {
        let expected = if i < mid {
            // No role of its own: each project's (or group's) role on its instances.
            vec![pair("QR-a", &["writer"]), pair("QR-b", &["reader"])]
        } else if i == mid {
            vec![pair("QR-a", &["reader"]), pair("QR-b", &["reader"])]
        } else {
            vec![pair("QR-a", &["writer"])]
        };
        assert_eq!(groups[&format!("g{i}")], expected, "group g{i}");
    }
    assert_eq!(groups["p"], vec![pair("QR-a", &["writer"])]);

    // The Terraform output has exactly one resource per group and policy.
    let json: Value = serde_json::from_str(&tf).unwrap();
    let resources = &json["resource"];
    let count = |kind: &str| resources[kind].as_object().map_or(0, |o| o.len());
    assert_eq!(count("ibm_iam_access_group"), depth + 2);
    assert_eq!(
        count("ibm_iam_access_group_policy"),
        2 * (mid + 1) + (depth - mid) + 1
    );
    assert_eq!(count("ibm_iam_access_group_members"), depth + 2);

    // The request plan creates the same groups and policies.
    let (_, api) = compile(&chain(depth, mid), Target::IbmApi);
    let requests = |prefix: &str| api.matches(&format!("\"id\": \"{prefix}.")).count();
    assert_eq!(requests("access_group"), depth + 2);
    assert_eq!(requests("policy"), 2 * (mid + 1) + (depth - mid) + 1);
}

#[test]
fn a_subgroup_shared_by_two_groups_is_reached_through_both() {
    // top -> left -> shared -> p, top -> right -> shared; right has a role.
    let text = "instance QR-a { plan standard; region us-east; }\n\
                instance QR-b { plan standard; region us-east; }\n\
                role writer { actions device.read, job.read, job.create; }\n\
                role reader { actions device.read, job.read; }\n\
                group top { groups left, right; members user \"t@example.com\"; }\n\
                group left { groups shared; members user \"l@example.com\"; }\n\
                group right { groups shared; instances QR-b; members user \"r@example.com\"; role reader; }\n\
                group shared { projects p, q; members user \"s@example.com\"; }\n\
                project p { instances QR-a; members user \"p@example.com\"; role writer; }\n\
                project q { instances QR-a; members user \"q@example.com\"; role reader; }\n";
    let (deployment, _) = compile(text, Target::Terraform);
    let groups = policies(&deployment);
    let both = pair("QR-a", &["reader", "writer"]);
    assert_eq!(groups["top"], vec![both.clone(), pair("QR-b", &["reader"])]);
    assert_eq!(groups["left"], vec![both.clone()]);
    assert_eq!(
        groups["right"],
        vec![pair("QR-a", &["reader"]), pair("QR-b", &["reader"])]
    );
    assert_eq!(groups["shared"], vec![both]);
}
