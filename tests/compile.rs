//! Compile tests: every example policy and every `fixtures/compile/*.qpol`
//! compiles to both targets; each output is an insta snapshot and passes the
//! provider's schema and the plan format (`support/`; CI also runs IBM's
//! independent checkers on them, `scripts/conformance.sh`). Also: both
//! targets create the same rules, output is deterministic and key-sorted,
//! and a policy with errors (`fixtures/err`) compiles to nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::backends::{self, Target};
use qpol::diag::render::{self, Style};
use qpol::diag::Severity;
use qpol::Policy;
use serde_json::Value;
use std::fs;
use std::path::Path;

mod support;
use support::fs::{example_policies, qpol_files};

fn policy_of(path: &Path) -> Policy {
    let name = format!(
        "{}/{}",
        path.parent()
            .and_then(|p| p.file_name())
            .unwrap()
            .to_string_lossy(),
        path.file_name().unwrap().to_string_lossy()
    );
    let mut policy = Policy::default();
    policy.add_bytes(&name, fs::read(path).unwrap());
    policy
}

/// Both targets' text; panics with the diagnostics if either has errors.
fn compile_both(path: &Path) -> (String, String) {
    let result = qpol::checks::check(policy_of(path));
    let mut out = Vec::new();
    for target in [Target::Terraform, Target::IbmApi] {
        let compiled = backends::compile(&result, target);
        let Some(text) = compiled.text() else {
            panic!(
                "{} does not compile to {target:?}:\n{}",
                path.display(),
                render::human_all(&compiled.diagnostics, &result.sources, Style::Plain)
            );
        };
        out.push(text);
    }
    let api = out.pop().unwrap();
    let tf = out.pop().unwrap();
    (tf, api)
}

/// Both outputs checked in Rust against the provider's schema and the
/// plan format; the shared Python checkers run on the same outputs in CI
/// (`scripts/conformance.sh`).
fn check_both(tf: &str, api: &str) {
    let tf_problems = support::tf_schema::problems(tf);
    assert!(
        tf_problems.is_empty(),
        "Terraform JSON fails the provider schema:\n{}",
        tf_problems.join("\n")
    );
    let api_problems = support::api_plan::problems(api);
    assert!(
        api_problems.is_empty(),
        "the request plan breaks its format:\n{}",
        api_problems.join("\n")
    );
}

#[test]
fn compile_fixtures_snapshot_and_pass_the_schema_and_plan_checks() {
    insta::glob!("fixtures/compile/*.qpol", |path| {
        let (tf, api) = compile_both(path);
        insta::assert_snapshot!("terraform", tf);
        insta::assert_snapshot!("ibm_api", api);
        check_both(&tf, &api);
        targets_agree(&tf, &api);
    });
}

#[test]
fn example_policies_snapshot_and_pass_the_schema_and_plan_checks() {
    let paths = example_policies();
    assert!(paths.len() >= 3, "expected the example policies");
    for path in paths {
        let (tf, api) = compile_both(&path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        insta::with_settings!({ snapshot_suffix => name }, {
            insta::assert_snapshot!("terraform", tf);
            insta::assert_snapshot!("ibm_api", api);
        });
        check_both(&tf, &api);
        targets_agree(&tf, &api);
    }
}

#[test]
fn clean_check_fixtures_pass_the_schema_and_plan_checks() {
    let paths = qpol_files("tests/fixtures/ok");
    assert!(paths.len() >= 5, "expected the clean fixtures");
    for path in paths {
        let (tf, api) = compile_both(&path);
        check_both(&tf, &api);
        targets_agree(&tf, &api);
    }
}

/// `(access group, rule name, [(claim, operator, value as IAM receives it)])`.
type RuleView = (String, String, Vec<(String, String, String)>);

/// The same dynamic rules and the same number of policies in both targets;
/// a rule's value is the Terraform value quoted as the provider quotes it
/// (each target's escaping of `${` undone).
fn targets_agree(tf: &str, api: &str) {
    let tf: Value = serde_json::from_str(tf).unwrap();
    let api: Value = serde_json::from_str(api).unwrap();
    let groups = &tf["resource"]["ibm_iam_access_group"];
    let mut tf_rules: Vec<RuleView> = Vec::new();
    for rule in tf["resource"]["ibm_iam_access_group_dynamic_rule"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        let key = rule["access_group_id"]
            .as_str()
            .unwrap()
            .trim_start_matches("${ibm_iam_access_group.")
            .trim_end_matches(".id}");
        let conditions = rule["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["claim"].as_str().unwrap().to_string(),
                    c["operator"].as_str().unwrap().to_string(),
                    format!(
                        "\"{}\"",
                        backends::terraform::literal(c["value"].as_str().unwrap())
                    ),
                )
            })
            .collect();
        tf_rules.push((
            groups[key]["name"].as_str().unwrap().to_string(),
            rule["name"].as_str().unwrap().to_string(),
            conditions,
        ));
    }
    let requests = api["requests"].as_array().unwrap();
    let group_names: std::collections::BTreeMap<String, String> = requests
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with("access_group."))
        .map(|r| {
            (
                format!("${{{}.id}}", r["id"].as_str().unwrap()),
                r["body"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut api_rules: Vec<RuleView> = Vec::new();
    for r in requests
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with("rule."))
    {
        let url = r["url"].as_str().unwrap();
        let group = group_names
            .iter()
            .find(|(placeholder, _)| url.contains(placeholder.as_str()))
            .map(|(_, name)| name.clone())
            .unwrap();
        let conditions = r["body"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["claim"].as_str().unwrap().to_string(),
                    c["operator"].as_str().unwrap().to_string(),
                    backends::ibm_api::literal(c["value"].as_str().unwrap()).into_owned(),
                )
            })
            .collect();
        api_rules.push((
            group,
            r["body"]["name"].as_str().unwrap().to_string(),
            conditions,
        ));
    }
    tf_rules.sort();
    api_rules.sort();
    assert_eq!(tf_rules, api_rules, "the targets create different rules");
    let tf_policies = tf["resource"]["ibm_iam_access_group_policy"]
        .as_object()
        .map_or(0, |m| m.len());
    let api_policies = requests
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with("policy."))
        .count();
    assert_eq!(
        tf_policies, api_policies,
        "the targets create different policies"
    );
    // The same static members: users (by email or IAM id) and service ids.
    let tf_members: usize = tf["resource"]["ibm_iam_access_group_members"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .map(|m| {
            ["ibm_ids", "iam_service_ids"]
                .iter()
                .map(|k| m[*k].as_array().map_or(0, Vec::len))
                .sum::<usize>()
        })
        .sum();
    let api_members: usize = requests
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with("members."))
        .map(|r| r["body"]["members"].as_array().unwrap().len())
        .sum();
    assert_eq!(tf_members, api_members, "the targets add different members");
}

#[test]
fn output_is_pretty_printed_with_sorted_keys() {
    let (tf, api) = compile_both(Path::new("policies/org.qpol"));
    for text in [tf, api] {
        // serde_json's map is sorted: re-printing changes nothing only if
        // every object's keys already were.
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string_pretty(&value).unwrap() + "\n", text);
    }
}

/// The statements of `fixtures/compile/hierarchy_and_members.qpol`, one per
/// entry, to be spread over files in different ways.
fn statements() -> Vec<String> {
    let text = fs::read_to_string("tests/fixtures/compile/hierarchy_and_members.qpol").unwrap();
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        current.push_str(line);
        current.push('\n');
        if line.ends_with('}') || line.ends_with(';') && !line.starts_with("  ") {
            if !current.trim().is_empty() {
                out.push(std::mem::take(&mut current));
            }
            current.clear();
        }
    }
    assert!(
        out.len() > 15,
        "expected the fixture's statements, got {out:?}"
    );
    out
}

fn compile_folder(files: &[(String, String)], target: Target) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    let result = qpol::checks::check(qpol::load(dir.path()).unwrap());
    backends::compile(&result, target).text().unwrap()
}

#[test]
fn output_does_not_depend_on_statement_order_or_files() {
    let statements = statements();
    let one_file = vec![("all.qpol".to_string(), statements.concat())];
    let mut reversed = statements.clone();
    reversed.reverse();
    let reversed_file = vec![("all.qpol".to_string(), reversed.concat())];
    // Round-robin over three files whose names sort opposite to their contents.
    let mut spread: Vec<(String, String)> = (0..3)
        .map(|i| (format!("{}-part.qpol", 3 - i), String::new()))
        .collect();
    for (i, s) in statements.iter().enumerate() {
        spread[i % 3].1.push_str(s);
    }
    for target in [Target::Terraform, Target::IbmApi] {
        let first = compile_folder(&one_file, target);
        assert_eq!(
            first,
            compile_folder(&one_file, target),
            "{target:?}: two runs differ"
        );
        assert_eq!(
            first,
            compile_folder(&reversed_file, target),
            "{target:?}: order matters"
        );
        assert_eq!(
            first,
            compile_folder(&spread, target),
            "{target:?}: files matter"
        );
    }
}

#[test]
fn a_policy_with_errors_compiles_to_nothing() {
    let paths = qpol_files("tests/fixtures/err");
    let mut with_errors = Vec::new();
    for path in paths {
        // What the fixture says it reports (`# expect: Q101 Q102`), not
        // what the checker found: compile is held to the fixture.
        let source = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        let expected: Vec<qpol::diag::Code> = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect:"))
            .unwrap_or_default()
            .split_whitespace()
            .map(|id| qpol::diag::Code::from_id(id).unwrap())
            .collect();
        assert!(!expected.is_empty(), "{}: no `# expect:`", path.display());
        // Assertions are evaluated by `qpol test`, not by compile.
        let expected: Vec<_> = expected
            .into_iter()
            .filter(|c| *c != qpol::diag::Code::AssertionFailed)
            .collect();
        let result = qpol::checks::check(policy_of(&path));
        // Q201's severity is decided per finding (escalation or not); every
        // other code has the table's.
        let q201 = qpol::diag::Code::OverlappingRule;
        let expects_error = expected
            .iter()
            .any(|c| *c != q201 && c.severity() == Severity::Error)
            || result
                .diagnostics
                .iter()
                .any(|d| d.code == q201 && d.severity == Severity::Error);
        for target in [Target::Terraform, Target::IbmApi] {
            let compiled = backends::compile(&result, target);
            for code in &expected {
                assert!(
                    compiled.diagnostics.iter().any(|d| d.code == *code),
                    "{} {target:?}: compile does not report {}",
                    path.display(),
                    code.id()
                );
            }
            if expects_error {
                assert!(
                    compiled.text().is_none(),
                    "{} {target:?}: an error fixture compiled to output",
                    path.display()
                );
            }
        }
        if expects_error && !result.passed() {
            with_errors.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    // What only the cloud would refuse (Q501, Q502) is an error too.
    for name in ["member_without_id.qpol", "ambiguous_display_names.qpol"] {
        assert!(with_errors.iter().any(|n| n == name), "{with_errors:?}");
    }
}

#[test]
fn an_app_id_neither_created_nor_named_is_a_warning_and_an_input() {
    let path = Path::new("tests/fixtures/compile/identity_providers.qpol");
    let result = qpol::checks::check(policy_of(path));
    let q504: Vec<&str> = result
        .diagnostics
        .iter()
        .filter(|d| d.code.id() == "Q504")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(q504.len(), 1, "{q504:?}");
    assert!(q504[0].contains("legacy"), "{}", q504[0]);
    let (tf, api) = compile_both(path);
    let tf: Value = serde_json::from_str(&tf).unwrap();
    let api: Value = serde_json::from_str(&api).unwrap();
    assert!(tf["variable"]["idp_realm_legacy"].is_object());
    assert!(api["variables"]["idp_realm_legacy"].is_string());
    // The one qpol creates is an App ID instance, and its realm its guid.
    let staff = &tf["resource"]["ibm_resource_instance"]["appid_staff"];
    assert_eq!(staff["service"], "appid");
    assert_eq!(staff["plan"], "lite");
    assert_eq!(
        staff["resource_group_id"],
        "${ibm_resource_group.identity.id}"
    );
}

#[test]
fn the_request_plan_is_reachable_from_the_library_in_file_order() {
    let result = qpol::checks::check(policy_of(Path::new("policies/org.qpol")));
    assert!(result.passed());
    let deployment = backends::deployment::build(result.access());
    let plan = backends::ibm_api::plan(&deployment).unwrap();
    let file: Value =
        serde_json::from_str(&backends::compile(&result, Target::IbmApi).text().unwrap()).unwrap();
    let in_file = file["requests"].as_array().unwrap();
    let in_library: Vec<_> = plan.requests().collect();
    assert_eq!(in_library.len(), in_file.len());
    let mut seen = std::collections::BTreeSet::new();
    for (request, printed) in in_library.iter().zip(in_file) {
        assert_eq!(request.id, printed["id"]);
        assert_eq!(request.url, printed["url"]);
        let depends_on: Vec<&str> = plan.depends_on(request).collect();
        assert_eq!(serde_json::json!(depends_on), printed["depends_on"]);
        assert!(
            depends_on.iter().all(|d| seen.contains(*d)),
            "{}",
            request.id
        );
        seen.insert(request.id.as_str());
        let body = request
            .body
            .as_ref()
            .map(|b| serde_json::to_value(b).unwrap());
        assert_eq!(body.as_ref(), printed.get("body"));
    }
}

/// The in-Rust checkers can fail: each planted mistake is reported.
#[test]
fn the_schema_and_plan_checks_reject_what_the_cloud_would() {
    let (tf, api) = compile_both(Path::new("policies/org.qpol"));
    let tf: Value = serde_json::from_str(&tf).unwrap();
    let group = tf["resource"]["ibm_iam_access_group"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let planted: [(&str, Value); 6] = [
        ("is not an argument", serde_json::json!({"bogus": "x"})),
        (
            "is computed by the provider",
            serde_json::json!({"version": "1"}),
        ),
        (
            "must be of type string",
            serde_json::json!({"description": 7}),
        ),
        (
            "would evaluate",
            serde_json::json!({"description": "${file(\"/etc/passwd\")}"}),
        ),
        (
            "template directive",
            serde_json::json!({"description": "%{ if true }x%{ endif }"}),
        ),
        (
            "is not declared",
            serde_json::json!({"description": "${ibm_iam_access_group.nowhere.id}"}),
        ),
    ];
    for (expected, patch) in planted {
        let mut broken = tf.clone();
        let body = broken["resource"]["ibm_iam_access_group"][&group]
            .as_object_mut()
            .unwrap();
        body.extend(patch.as_object().unwrap().clone());
        let problems = support::tf_schema::problems(&broken.to_string());
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected}: {problems:?}"
        );
    }
    let mut missing = tf.clone();
    missing["resource"]["ibm_iam_access_group"][&group]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let problems = support::tf_schema::problems(&missing.to_string());
    assert!(
        problems.iter().any(|p| p.contains("`name` is missing")),
        "{problems:?}"
    );
    let mut literal = tf;
    literal["resource"]["ibm_iam_access_group"][&group]["description"] =
        Value::from("costs $${file(x)} and %%{ if }");
    assert!(support::tf_schema::problems(&literal.to_string()).is_empty());

    let api: Value = serde_json::from_str(&api).unwrap();
    let mut reordered = api.clone();
    reordered["requests"].as_array_mut().unwrap().reverse();
    let problems = support::api_plan::problems(&reordered.to_string());
    assert!(
        problems.iter().any(|p| p.contains("does not come earlier")),
        "{problems:?}"
    );
    for (url, expected) in [
        (
            "https://iam.cloud.ibm.com/v2/groups/${nowhere.id}/rules",
            Some("not in depends_on"),
        ),
        (
            "https://iam.cloud.ibm.com/v2/groups/$${nowhere.id}/rules",
            None,
        ),
        (
            "https://example.com/v2/groups",
            Some("not an IBM Cloud API host"),
        ),
    ] {
        let mut changed = api.clone();
        let last = changed["requests"]
            .as_array_mut()
            .unwrap()
            .last_mut()
            .unwrap();
        last["url"] = Value::from(url);
        let problems = support::api_plan::problems(&changed.to_string());
        match expected {
            Some(expected) => assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{problems:?}"
            ),
            None => assert!(problems.is_empty(), "{problems:?}"),
        }
    }
    assert_eq!(
        support::api_plan::placeholders("a ${x.id} b $${y.id} ${var.z}"),
        ["x.id", "var.z"]
    );
}

/// An inconsistent deployment (a qpol bug) is an error, never a plan that
/// refers to `${.id}`: here an instance in a resource group that is not there.
#[test]
fn a_request_plan_with_a_missing_dependency_is_an_internal_error() {
    use backends::deployment::{Deployment, Instance};
    let deployment = Deployment {
        instances: vec![Instance {
            name: "QR-ml".into(),
            key: "qr_ml".into(),
            service: "quantum-computing",
            plan: "standard".into(),
            region: "us-east".into(),
            resource_group: Some(3),
            tags: Vec::new(),
            existing: false,
        }],
        main_region: "us-east".into(),
        ..Deployment::default()
    };
    let error = backends::ibm_api::plan(&deployment).err().unwrap();
    assert_eq!(
        error.fields,
        ["the `id` of a request that was never made"],
        "{error}"
    );
    let mut out = Vec::new();
    let error = backends::ibm_api::write(&deployment, &mut out).unwrap_err();
    assert!(error.to_string().starts_with("internal error:"), "{error}");
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    let compiled = backends::Compiled {
        deployment: Some(deployment),
        target: Target::IbmApi,
        diagnostics: Vec::new(),
    };
    assert_eq!(compiled.text(), None);
}
