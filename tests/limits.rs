//! Account limits: what `qpol check` counts equals what compiling creates
//! (access groups, dynamic rules, policies, custom roles) in the Terraform
//! JSON and in the ibm-api plan, for every example and compile fixture;
//! the `limits { }` block is read, checked and formatted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::backends::{self, Target};
use qpol::checks::limits;
use qpol::diag::Code;
use qpol::Policy;
use serde_json::Value;
use std::fs;

mod support;
use support::fs::{example_policies, qpol_files};

/// Terraform resources of one type.
fn tf_count(tf: &Value, resource: &str) -> u64 {
    tf["resource"][resource]
        .as_object()
        .map_or(0, |o| o.len() as u64)
}

/// Plan requests creating something: POST to a URL whose path ends so.
fn api_count(plan: &Value, path_end: &str) -> u64 {
    plan["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST")
        .filter(|r| {
            let url = r["url"].as_str().unwrap();
            url.split('?').next().unwrap().ends_with(path_end)
        })
        .count() as u64
}

/// Counted and compiled figures agree, in both targets.
fn assert_counts_match(name: &str, text: &str) {
    let result = qpol::checks::check(Policy::from_texts([(name, text)]));
    assert!(
        result.passed(),
        "{name} has errors: {:?}",
        result.diagnostics
    );
    let access = result.access();
    let counts = limits::count(&access);
    let tf: Value = serde_json::from_str(
        &backends::compile(&result, Target::Terraform)
            .text()
            .unwrap(),
    )
    .unwrap();
    let plan: Value =
        serde_json::from_str(&backends::compile(&result, Target::IbmApi).text().unwrap()).unwrap();
    let figures = [
        (
            "access groups",
            counts.access_groups(),
            tf_count(&tf, "ibm_iam_access_group"),
            api_count(&plan, "/v2/groups"),
        ),
        (
            "dynamic rules",
            counts.rules(),
            tf_count(&tf, "ibm_iam_access_group_dynamic_rule"),
            api_count(&plan, "/rules"),
        ),
        (
            "policies",
            counts.policies(),
            tf_count(&tf, "ibm_iam_access_group_policy"),
            api_count(&plan, "/v1/policies"),
        ),
        (
            "custom roles",
            counts.custom_roles,
            tf_count(&tf, "ibm_iam_custom_role"),
            api_count(&plan, "/v2/roles"),
        ),
    ];
    for (what, counted, terraform, api) in figures {
        assert_eq!(counted, terraform, "{name}: {what} counted vs Terraform");
        assert_eq!(counted, api, "{name}: {what} counted vs ibm-api plan");
    }
    // Per access group too: rules and policies of each, in Terraform.
    let mut per_group: Vec<(u64, u64)> = counts
        .groups
        .iter()
        .map(|g| (g.rules, g.policies))
        .collect();
    per_group.sort_unstable();
    let groups = tf["resource"]["ibm_iam_access_group"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let refers = |resource: &str, key: &str| {
        let id = format!("${{ibm_iam_access_group.{key}.id}}");
        tf["resource"][resource].as_object().map_or(0, |o| {
            o.values()
                .filter(|r| r["access_group_id"] == id.as_str())
                .count() as u64
        })
    };
    let mut compiled: Vec<(u64, u64)> = groups
        .keys()
        .map(|k| {
            (
                refers("ibm_iam_access_group_dynamic_rule", k),
                refers("ibm_iam_access_group_policy", k),
            )
        })
        .collect();
    compiled.sort_unstable();
    assert_eq!(
        per_group, compiled,
        "{name}: rules and policies per access group"
    );
}

#[test]
fn counted_figures_equal_the_compiled_outputs() {
    let mut paths = example_policies();
    paths.extend(qpol_files("tests/fixtures/compile"));
    assert!(paths.len() >= 8);
    for path in paths {
        let text = fs::read_to_string(&path).unwrap();
        assert_counts_match(&path.display().to_string(), &text);
    }
}

#[test]
fn counted_figures_equal_the_compiled_outputs_of_a_nested_synthetic_org() {
    // Groups three deep, traps with a second role, shared instances.
    let mut spec = qpol::synth::OrgSpec::new(130, 300, 2);
    spec.fan_out = 4;
    let synthetic = qpol::synth::generate(&spec);
    assert_counts_match("synth.qpol", &synthetic.text);
}

#[test]
fn in_lists_multiply_and_roles_split_access_groups() {
    let text = r#"
idp staff { kind appid; realm "https://us-south.appid.cloud.ibm.com/oauth/v4/abc"; attribute project, team; }
instance QR-ml { plan standard; region us-east; }
role writer { actions device.read, job.read, job.create, session.create; }
role reader { actions device.read, job.read; }
project ml {
  instances QR-ml;
  members where project in ["ml", "ml-2", "ml-3"] and team in ["a", "b"];
  members where team equals "ops" role reader;
  role writer;
}
"#;
    let raised = format!("account {{ limits {{ dynamic_rules_per_group 20; }} }}\n{text}");
    assert_counts_match("in.qpol", &raised);
    let result = qpol::checks::check(Policy::from_texts([("in.qpol", text)]));
    let access = result.access();
    let counts = limits::count(&access);
    assert_eq!(counts.access_groups(), 2);
    let rules: Vec<u64> = counts.groups.iter().map(|g| g.rules).collect();
    assert_eq!(rules, [6, 1]);
    // 6 of 5 rules: an error that shows the product, at the rule.
    let q601: Vec<_> = result
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::LimitExceeded)
        .collect();
    assert_eq!(q601.len(), 1, "{:?}", result.diagnostics);
    assert!(
        q601[0].message.contains(
            "project `ml` needs 6 dynamic rules: 3 x 2 = 6 rules from `project in [\"ml\", \"ml-2\", \"ml-3\"] and team in [\"a\", \"b\"]`; an access group holds 5"
        ),
        "{}",
        q601[0].message
    );
    let rule_at = text.find("project in").unwrap();
    let span = q601[0].primary.span;
    assert!(span.start() < rule_at && rule_at < span.end());
}

#[test]
fn a_declared_limit_replaces_ibms_figure() {
    let text = r#"
account { limits { dynamic_rules_per_group 20; } }
idp staff { kind appid; realm "https://us-south.appid.cloud.ibm.com/oauth/v4/abc"; attribute project, team; }
instance QR-ml { plan standard; region us-east; }
role writer { actions device.read, job.read, job.create, session.create; }
project ml { instances QR-ml; members where project in ["ml", "ml-2", "ml-3"] and team in ["a", "b"]; role writer; }
"#;
    let result = qpol::checks::check(Policy::from_texts([("raised.qpol", text)]));
    let codes: Vec<Code> = result.diagnostics.iter().map(|d| d.code).collect();
    assert!(result.passed(), "{:?}", result.diagnostics);
    assert!(!codes.contains(&Code::LimitExceeded));
    assert!(!codes.contains(&Code::NearLimit), "6 of 20 is not near");
    assert!(
        !codes.contains(&Code::RaisedFixedLimit),
        "rules per group are raisable"
    );
}
