//! The requests the executor sends for a real plan (`compile -t ibm-api`
//! of policies/org.qpol), every placeholder filled from answers of a stub,
//! recorded as a plan for `sdk_conformance.py` (.ci/live-client.sh runs it
//! on the file this test writes: target/tmp/live-client-sent-org.json).

use super::support::run::{command, stdout};
use super::support::stub::{ok, Seen, Stub};
use super::{client, config, token, TOKEN};
use qpol::live::execute::{execute, Options, Values};
use qpol::live::plan::Request;
use qpol::live::progress::Silent;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Answers every request with every field a `yields` of the plan reads:
/// `id`, `crn`, `guid`, `iam_id`, and `resources` holding one
/// item per name a filter asks for.
fn answer(names: Vec<String>) -> impl Fn(&Seen) -> super::support::stub::Reply {
    let n = Arc::new(AtomicUsize::new(0));
    move |r| {
        if r.path() == "/identity/token" {
            return ok(token(TOKEN, 3600));
        }
        let i = n.fetch_add(1, Ordering::SeqCst);
        let item = |name: &str| {
            json!({"id": format!("{name}-id-{i}"), "name": name,
            "crn": format!("crn:v1:bluemix:public:quantum-computing:us-east:a/5dc1b48400fa455fa966bf1ce087ccf1:{i}::"),
            "guid": format!("0000000{i}-e42a-4ead-a9a4-2b9a8444e29f")})
        };
        let mut body = item("first");
        body["iam_id"] = json!(format!("iam-ServiceId-{i}"));
        body["resources"] = Value::Array(
            std::iter::once(item("first"))
                .chain(names.iter().map(|n| item(n)))
                .collect(),
        );
        ok(body)
    }
}

#[test]
fn the_org_plan_runs_and_what_it_sent_is_recorded() {
    let out = command(&["compile", "policies/org.qpol", "-t", "ibm-api", "-o", "-"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let requests: Vec<Request> = serde_json::from_value(plan["requests"].clone()).unwrap();
    let filter = regex::Regex::new(r"@\.name=='([^']*)'").unwrap();
    let names = requests
        .iter()
        .flat_map(|r| r.yields.values())
        .filter_map(|y| filter.captures(y).map(|c| c[1].to_string()))
        .collect();
    let stub = Stub::start(answer(names));
    let c = client(&stub, config());
    let outcome = execute(
        &c,
        &requests,
        &Values::new(),
        None,
        &Silent,
        &Options::default(),
    )
    .unwrap();
    assert!(outcome.is_complete(), "{outcome:#?}");
    assert_eq!(outcome.done.len(), requests.len());
    let sent = c.recorded_plan();
    let text = serde_json::to_string_pretty(&sent).unwrap();
    assert!(!text.contains("${"), "{text}");
    assert_eq!(sent["requests"].as_array().unwrap().len(), requests.len());
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("live-client-sent-org.json");
    std::fs::write(&file, text).unwrap();
}
