//! Nothing from a policy is ever executed or misread: text Terraform would
//! evaluate (`${...}`, `%{...}`) is escaped in `main.tf.json`, a literal
//! `${` is `$${` in the request plan (whose placeholders are `${ID.FIELD}`),
//! and values in URLs are percent-encoded. Each escaped string parses back
//! to the policy's text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::backends::{self, ibm_api, terraform, Target};
use qpol::Policy;
use serde_json::Value;

fn compile(text: &str, target: Target) -> Value {
    let mut policy = Policy::default();
    policy.add_bytes("escaping.qpol", text.as_bytes().to_vec());
    let result = qpol::checks::check(policy);
    let compiled = backends::compile(&result, target);
    serde_json::from_str(&compiled.text().expect("compiles")).unwrap()
}

fn fixture() -> String {
    std::fs::read_to_string("tests/fixtures/compile/template_text.qpol").unwrap()
}

/// Every string of a JSON value, with where it is.
fn strings(value: &Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((at, s.clone())),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                strings(v, format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                strings(v, format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

const POLICY_TEXTS: [(&str, &str); 6] = [
    ("display_name", "Writer ${file(\"/etc/passwd\")}"),
    (
        "description",
        "Runs jobs %{ if true }always%{ endif } and $${escaped} and $$${x}",
    ),
    (
        "description",
        "Machine learning ${path.module} %{ for x in y }",
    ),
    ("description", "CI ${var.region}"),
    ("project", "${path.module} ${file(\"/etc/shadow\")}"),
    ("realm", "https://idp.example.com/%{path}/saml"),
];

#[test]
fn terraform_escapes_every_template_in_policy_text() {
    let tf = compile(&fixture(), Target::Terraform);
    let mut all = Vec::new();
    strings(&tf, String::new(), &mut all);
    for (at, s) in &all {
        // What is left after the escapes is only qpol's own references.
        let rest = s.replace("$${", "").replace("%%{", "");
        assert!(!rest.contains("%{"), "{at}: {s}");
        for expr in rest.split("${").skip(1) {
            let expr = expr.split('}').next().unwrap();
            assert!(
                expr.starts_with("ibm_") || expr.starts_with("data.") || expr.starts_with("var."),
                "{at}: {s}"
            );
            assert!(!expr.contains('('), "{at}: {s}");
        }
    }
    let literals: Vec<String> = all
        .iter()
        .map(|(_, s)| terraform::literal(s).into_owned())
        .collect();
    for (what, text) in POLICY_TEXTS {
        assert!(
            literals.iter().any(|l| l.contains(text)),
            "{what} {text:?} does not parse back from main.tf.json"
        );
    }
    let rule = &tf["resource"]["ibm_iam_access_group_dynamic_rule"]["ml"];
    assert_eq!(rule["conditions"][0]["value"], "$${path.module}");
    assert_eq!(
        tf["resource"]["ibm_iam_custom_role"]["writer"]["display_name"],
        "Writer $${file(\"/etc/passwd\")}"
    );
    assert_eq!(
        tf["output"]["idp_user_attributes"]["value"]["Amyra"]["team"][0],
        "%%{ if a }"
    );
    // qpol's own references stay references.
    assert_eq!(rule["access_group_id"], "${ibm_iam_access_group.ml.id}");
}

#[test]
fn the_request_plan_writes_a_literal_dollar_brace_doubled() {
    let plan = compile(&fixture(), Target::IbmApi);
    let mut all = Vec::new();
    strings(&plan, String::new(), &mut all);
    for (at, s) in &all {
        for expr in s.replace("$${", "").split("${").skip(1) {
            let expr = expr.split('}').next().unwrap();
            assert!(
                !expr.contains('(') && !expr.contains(' ') && !expr.starts_with("path."),
                "{at}: {s} holds a placeholder qpol did not write"
            );
        }
    }
    let literals: Vec<String> = all
        .iter()
        .map(|(_, s)| ibm_api::literal(s).into_owned())
        .collect();
    for (what, text) in POLICY_TEXTS {
        assert!(
            literals.iter().any(|l| l.contains(text)),
            "{what} {text:?} does not parse back from plan.json"
        );
    }
    let rule = plan["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "rule.ml")
        .unwrap();
    assert_eq!(
        rule["body"]["conditions"][0]["value"],
        "\"$${path.module}\""
    );
    assert_eq!(
        ibm_api::literal(rule["body"]["conditions"][0]["value"].as_str().unwrap()),
        "\"${path.module}\""
    );
    // `%{` means nothing to the plan: kept as it is.
    assert_eq!(plan["idp_user_attributes"]["Amyra"]["team"][0], "%{ if a }");
}

#[test]
fn literal_undoes_only_the_escape() {
    assert_eq!(ibm_api::literal("a $${x} ${y}"), "a ${x} ${y}");
    assert_eq!(ibm_api::literal("$$${x}"), "$${x}");
    assert_eq!(terraform::literal("$${x} %%{y} %{z}"), "${x} %{y} %{z}");
}

/// The request whose id is `id`, from a printed plan.
fn request<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no request {id}"))
}

#[test]
fn an_email_in_a_lookup_query_is_percent_encoded() {
    let plan = compile(
        r#"instance QR-ml { plan standard; region us-east; }
project ml { instances QR-ml; members user "a+b&c=d@example.com"; role reader; }"#,
        Target::IbmApi,
    );
    let lookup = plan["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_str().unwrap().starts_with("user."))
        .unwrap();
    let url = lookup["url"].as_str().unwrap();
    let query = url.split_once('?').unwrap().1;
    assert_eq!(query, "search=email%3Aa%2Bb%26c%3Dd%40example.com", "{url}");
}

#[test]
fn every_policy_value_in_a_url_is_percent_encoded_and_placeholders_stay() {
    use qpol::backends::deployment::{Deployment, Instance, ResourceGroup};
    // Built by hand: the checker lets no such names through, the backend
    // must not rely on it.
    let d = Deployment {
        account_id: Some("a/b?c=${x}".into()),
        resource_groups: vec![ResourceGroup {
            name: "rg&name=other".into(),
            key: "rg".into(),
            existing: true,
        }],
        instances: vec![Instance {
            name: "QR ml/../x".into(),
            key: "QR-ml".into(),
            service: "quantum-computing",
            plan: "standard".into(),
            region: "us-east".into(),
            resource_group: Some(0),
            tags: Vec::new(),
            existing: true,
        }],
        main_region: "us-east".into(),
        ..Deployment::default()
    };
    let mut out = Vec::new();
    ibm_api::write(&d, &mut out).unwrap();
    let plan: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        request(&plan, "resource_group.rg")["url"],
        "https://resource-controller.cloud.ibm.com/v2/resource_groups?account_id=a%2Fb%3Fc%3D%24%7Bx%7D&name=rg%26name%3Dother"
    );
    assert_eq!(
        request(&plan, "instance.QR-ml")["url"],
        "https://resource-controller.cloud.ibm.com/v2/resource_instances?name=QR%20ml%2F..%2Fx&resource_group_id=${resource_group.rg.id}"
    );
}

#[test]
fn an_apostrophe_in_an_email_is_escaped_in_the_lookup_jsonpath() {
    let text = r#"instance QR-ml { plan standard; region us-east; }
project ml { instances QR-ml; members user "o'brien@example.com"; role reader; }"#;
    let plan = compile(text, Target::IbmApi);
    let lookup = plan["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_str().unwrap().starts_with("user."))
        .unwrap();
    assert_eq!(
        lookup["yields"]["iam_id"],
        r"$.resources[?(@.email=='o\'brien@example.com')].iam_id"
    );
    let url = lookup["url"].as_str().unwrap();
    assert!(
        url.ends_with("search=email%3Ao%27brien%40example.com"),
        "{url}"
    );
    let tf = compile(text, Target::Terraform).to_string();
    assert!(tf.contains("\"o'brien@example.com\""), "{tf}");
}
