//! The executor: dependency order, the concurrency bound, placeholders
//! (`$${` literal, URL values encoded), JSONPath yields, If-Match and 412,
//! what is not run after a failure, and a lost create looked up with Find.

use super::support::stub::{ok, status, Reply, Seen, Stub};
use super::{client, config, token, TOKEN};
use qpol::live::error::Result;
use qpol::live::execute::{execute, Find, Options, Outcome, Values};
use qpol::live::http;
use qpol::live::plan::Request;
use qpol::live::progress::{Lines, Silent};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn request(id: &str, method: &str, url: &str) -> Request {
    Request {
        id: id.into(),
        method: method.into(),
        url: format!("https://iam.cloud.ibm.com{url}"),
        headers: BTreeMap::new(),
        body: None,
        depends_on: Vec::new(),
        yields: BTreeMap::new(),
        etag: None,
    }
}

fn after(mut r: Request, deps: &[&str]) -> Request {
    r.depends_on = deps.iter().map(|d| d.to_string()).collect();
    r
}

fn yields(mut r: Request, field: &str, path: &str) -> Request {
    r.yields.insert(field.into(), path.into());
    r
}

fn run(stub: &Stub, requests: &[Request], known: &Values, parallelism: usize) -> Outcome {
    let options = Options {
        parallelism,
        ..Options::default()
    };
    execute(
        &client(stub, config()),
        requests,
        known,
        None,
        &Silent,
        &options,
    )
    .unwrap()
}

/// Creates answer `{"id": "<path>-id", "resources": [...]}` after 30 ms.
fn echo(r: &Seen) -> Reply {
    if r.path() == "/identity/token" {
        return ok(token(TOKEN, 3600));
    }
    Reply::After(
        Duration::from_millis(30),
        Box::new(ok(json!({
            "id": format!("{}-id", r.path().trim_start_matches('/').replace('/', "_")),
            "resources": [{"name": "lite", "id": "p-lite"}, {"name": "o'brien", "id": "p-quote"}]
        }))),
    )
}

fn paths(stub: &Stub) -> Vec<String> {
    stub.seen()
        .iter()
        .filter(|s| s.path() != "/identity/token")
        .map(|s| format!("{} {}", s.method, s.target))
        .collect()
}

#[test]
fn dependencies_run_first_and_never_more_than_the_bound_in_flight() {
    let stub = Stub::start(echo);
    let mut requests: Vec<Request> = (0..12)
        .map(|i| request(&format!("r{i}"), "GET", &format!("/v2/x/{i}")))
        .collect();
    requests.push(after(request("last", "POST", "/v2/last"), &["r3", "r11"]));
    let outcome = run(&stub, &requests, &Values::new(), 3);
    assert!(outcome.is_complete(), "{outcome:#?}");
    assert_eq!(outcome.done.len(), 13);
    // Never more than 3 at a time, and more than one at once.
    assert!(
        (2..=3).contains(&stub.max_in_flight()),
        "{}",
        stub.max_in_flight()
    );
    assert_eq!(
        paths(&stub).last().map(String::as_str),
        Some("POST /v2/last")
    );
    // One at a time: the plan's order.
    let stub = Stub::start(echo);
    run(&stub, &requests, &Values::new(), 1);
    assert_eq!(stub.max_in_flight(), 1);
    let expected: Vec<String> = requests
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.url.trim_start_matches("https://iam.cloud.ibm.com")
            )
        })
        .collect();
    assert_eq!(paths(&stub), expected);
}

#[test]
fn placeholders_yields_and_literal_dollar_braces() {
    let stub = Stub::start(echo);
    let mut group = yields(
        request("access_group.ml", "POST", "/v2/groups"),
        "id",
        "$.id",
    );
    group.body = Some(json!({"name": "ml", "description": "costs $${HOME} [qpol]"}));
    let plan = yields(
        request("catalog.plan", "GET", "/v2/catalog"),
        "id",
        r"$.resources[?(@.name=='o\'brien')].id",
    );
    let mut rule = after(
        request(
            "rule.ml",
            "POST",
            "/v2/groups/${access_group.ml.id}/rules?plan=${catalog.plan.id}&a=${var.account_id}",
        ),
        &["access_group.ml"],
    );
    rule.body = Some(
        json!({"realm_name": "${var.realm}", "${var.key}": ["$${x.y}", "${catalog.plan.id}"]}),
    );
    rule.headers
        .insert("X-Group".into(), "${access_group.ml.id}".into());
    let known: Values = [(
        "var".to_string(),
        BTreeMap::from([
            ("account_id".to_string(), "a b/c".to_string()),
            ("realm".to_string(), "https://appid/t".to_string()),
            ("key".to_string(), "k".to_string()),
        ]),
    )]
    .into();
    let outcome = run(&stub, &[group, plan, rule], &known, 4);
    assert!(outcome.is_complete(), "{outcome:#?}");
    assert_eq!(outcome.values["access_group.ml"]["id"], "v2_groups-id");
    assert_eq!(outcome.values["catalog.plan"]["id"], "p-quote");
    let seen = stub.seen();
    let create = seen
        .iter()
        .find(|s| s.method == "POST" && s.path() == "/v2/groups")
        .unwrap();
    assert_eq!(create.json()["description"], "costs ${HOME} [qpol]");
    let rule = seen.iter().find(|s| s.path().ends_with("/rules")).unwrap();
    assert_eq!(
        rule.target,
        "/v2/groups/v2_groups-id/rules?plan=p-quote&a=a%20b%2Fc"
    );
    assert_eq!(
        rule.json(),
        json!({"realm_name": "https://appid/t", "k": ["${x.y}", "p-quote"]})
    );
    assert_eq!(rule.headers["x-group"], "v2_groups-id");
    assert_eq!(
        outcome.done.iter().find(|d| d.id == "rule.ml").unwrap().url,
        "https://iam.cloud.ibm.com/v2/groups/v2_groups-id/rules?plan=p-quote&a=a%20b%2Fc"
    );
}

#[test]
fn a_plan_that_cannot_run_sends_nothing() {
    let stub = Stub::start(echo);
    let c = client(&stub, config());
    let cases = [
        (vec![request("a", "GET", "/v2/${ghost.id}")], "request `a`: it uses `${ghost.id}`, which no request of the plan yields and the plan does not know"),
        (vec![request("a", "GET", "/v2/x"), request("b", "GET", "/v2/${a.id}")], "request `b`: it uses `${a.id}`, but request `a` yields no `id`"),
        (vec![after(request("a", "GET", "/v2/x"), &["nowhere"])], "request `a`: it depends on `nowhere`"),
        (vec![after(request("a", "GET", "/v2/x"), &["b"]), after(request("b", "GET", "/v2/y"), &["a"])], "is on a cycle"),
        (vec![request("a", "GET", "/v2/x"), request("a", "GET", "/v2/y")], "request `a`: its id is used by another request too"),
        (vec![yields(request("a", "GET", "/v2/x"), "id", "$.a[?(@.b='c')]")], "yields `id`: the JSONPath"),
        (vec![request("a", "GET", "/v2/${open")], "never closed"),
    ];
    for (requests, expected) in cases {
        let err = execute(
            &c,
            &requests,
            &Values::new(),
            None,
            &Silent,
            &Options::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(expected), "{expected}: {err}");
    }
    assert!(stub.seen().is_empty(), "{:?}", stub.seen());
}

#[test]
fn a_huge_offending_value_is_quoted_in_part() {
    let stub = Stub::start(echo);
    let c = client(&stub, config());
    let huge = format!("/v2/{}", "${".repeat(10_000));
    let err = execute(
        &c,
        &[request(&"r".repeat(3000), "GET", &huge)],
        &Values::new(),
        None,
        &Silent,
        &Options::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("never closed"), "{err}");
    assert!(err.contains("more characters)"), "{err}");
    assert!(err.len() < 1000, "{} characters: {err}", err.len());
    assert!(stub.seen().is_empty());
}

#[test]
fn if_match_goes_with_an_etag_and_a_412_is_changed_by_hand() {
    let stub = Stub::start(|r| match (r.method.as_str(), r.path()) {
        (_, "/identity/token") => ok(token(TOKEN, 3600)),
        ("PUT", "/v2/stale") => status(
            412,
            json!({"errors": [{"code": "precondition_failed", "message": "etag mismatch"}], "trace": "t-412"}),
        ),
        _ => ok(json!({})),
    });
    let mut stale = request("group.stale", "PUT", "/v2/stale");
    stale.etag = Some("W/\"1-abc\"".into());
    let mut fresh = request("group.fresh", "PUT", "/v2/fresh");
    fresh.etag = Some("\"2\"".into());
    let dependant = after(
        request("rule.stale", "POST", "/v2/stale/rules"),
        &["group.stale"],
    );
    let deeper = after(
        request("member.stale", "PUT", "/v2/stale/members"),
        &["rule.stale"],
    );
    let lines = Lines::new(Vec::new());
    let outcome = execute(
        &client(&stub, config()),
        &[stale, fresh, dependant, deeper],
        &Values::new(),
        None,
        &lines,
        &Options::default(),
    )
    .unwrap();
    let sent: BTreeMap<String, Option<String>> = stub
        .seen()
        .iter()
        .filter(|s| s.method == "PUT")
        .map(|s| (s.path().to_string(), s.headers.get("if-match").cloned()))
        .collect();
    assert_eq!(sent["/v2/stale"].as_deref(), Some("W/\"1-abc\""));
    assert_eq!(sent["/v2/fresh"].as_deref(), Some("\"2\""));
    assert_eq!(
        outcome
            .done
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>(),
        ["group.fresh"]
    );
    let failed = &outcome.failed[0];
    assert_eq!(
        (failed.id.as_str(), failed.status(), failed.code()),
        ("group.stale", Some(412), Some("precondition_failed"))
    );
    assert!(
        failed
            .error
            .to_string()
            .contains("changed by hand since the plan"),
        "{}",
        failed.error
    );
    assert_eq!(
        outcome
            .not_run
            .iter()
            .map(|n| (n.id.as_str(), n.blocked_by.as_str()))
            .collect::<Vec<_>>(),
        [
            ("rule.stale", "group.stale"),
            ("member.stale", "group.stale")
        ]
    );
    assert_eq!(
        stub.count("POST", "/v2/stale/rules") + stub.count("PUT", "/v2/stale/members"),
        0
    );
    let mut printed: Vec<String> = String::from_utf8(lines.into_inner())
        .unwrap()
        .lines()
        .map(|l| l[l.find(']').unwrap() + 2..].to_string())
        .collect();
    printed.sort();
    insta::assert_snapshot!(printed.join("\n"), @r###"
    FAILED PUT https://iam.cloud.ibm.com/v2/stale (group.stale): PUT https://iam.cloud.ibm.com/v2/stale answered 412 precondition_failed: etag mismatch (trace t-412); the object was changed by hand since the plan was made: run `qpol plan` again and review
    done PUT https://iam.cloud.ibm.com/v2/fresh (group.fresh)
    not run member.stale: it needs group.stale, which failed
    not run rule.stale: it needs group.stale, which failed
    "###);
}

/// Finds what the stub created before it dropped the connection.
struct ByName(Arc<Mutex<Vec<Value>>>, AtomicUsize);

impl Find for ByName {
    fn find(&self, request: &http::Request) -> Result<Option<BTreeMap<String, String>>> {
        self.1.fetch_add(1, Ordering::SeqCst);
        let name = request.body.as_ref().and_then(|b| b.get("name")).cloned();
        let created = self.0.lock().unwrap();
        Ok(created
            .iter()
            .find(|c| c.get("name") == name.as_ref())
            .map(|c| BTreeMap::from([("id".to_string(), c["id"].as_str().unwrap().to_string())])))
    }
}

#[test]
fn a_create_whose_connection_dropped_is_looked_up_before_it_is_sent_again() {
    let created = Arc::new(Mutex::new(Vec::new()));
    let store = created.clone();
    let stub = Stub::start(move |r| match (r.method.as_str(), r.path()) {
        (_, "/identity/token") => ok(token(TOKEN, 3600)),
        // The group is created, then the connection drops.
        ("POST", "/v2/groups") => {
            let name = r.json()["name"].clone();
            let mut all = store.lock().unwrap();
            let id = format!("AccessGroupId-{}", all.len());
            all.push(json!({"id": id, "name": name}));
            if name == "dropped" {
                Reply::Drop
            } else {
                ok(json!({"id": id}))
            }
        }
        // Never created: dropped before it was done.
        ("POST", "/v2/lost") => Reply::Drop,
        _ => ok(json!({})),
    });
    let find = ByName(created.clone(), AtomicUsize::new(0));
    let mut group = yields(
        request("access_group.dropped", "POST", "/v2/groups"),
        "id",
        "$.id",
    );
    group.body = Some(json!({"name": "dropped"}));
    let rule = after(
        request(
            "rule",
            "POST",
            "/v2/groups/${access_group.dropped.id}/rules",
        ),
        &["access_group.dropped"],
    );
    // After the rule: once a request has lost its connection for good no
    // new one starts, so a `lost` that failed first (a loaded machine's
    // timing) would leave the rule unsent.
    let mut lost = after(request("lost", "POST", "/v2/lost"), &["rule"]);
    lost.body = Some(json!({"name": "lost"}));
    let outcome = execute(
        &client(&stub, config()),
        &[group, rule, lost],
        &Values::new(),
        Some(&find),
        &Silent,
        &Options::default(),
    )
    .unwrap();
    // Found, not created twice; its id flows on.
    assert_eq!(created.lock().unwrap().len(), 1);
    assert_eq!(
        paths(&stub)
            .iter()
            .filter(|p| *p == "POST /v2/groups")
            .count(),
        1
    );
    let done = outcome
        .done
        .iter()
        .find(|d| d.id == "access_group.dropped")
        .unwrap();
    assert!(done.found);
    assert_eq!(stub.count("POST", "/v2/groups/AccessGroupId-0/rules"), 1);
    // Not found: sent again (twice at most), then reported as ambiguous.
    assert_eq!(stub.count("POST", "/v2/lost"), 3);
    assert_eq!(
        outcome
            .failed
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>(),
        ["lost"]
    );
    assert!(outcome.failed[0]
        .error
        .to_string()
        .contains("it may have been done"));
    assert_eq!(find.1.load(Ordering::SeqCst), 1 + 2);
    // Without a Find, a lost create is a failure, never re-sent blindly.
    let stub = Stub::start(|r| {
        if r.path() == "/identity/token" {
            ok(token(TOKEN, 3600))
        } else {
            Reply::Drop
        }
    });
    let outcome = run(
        &stub,
        &[request("lost", "POST", "/v2/lost")],
        &Values::new(),
        2,
    );
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(stub.count("POST", "/v2/lost"), 1);
}

#[test]
fn a_yield_missing_from_the_answer_fails_that_request() {
    let stub = Stub::start(echo);
    let a = yields(request("a", "GET", "/v2/a"), "crn", "$.crn");
    let b = after(request("b", "GET", "/v2/${a.crn}"), &["a"]);
    let outcome = run(&stub, &[a, b], &Values::new(), 2);
    assert_eq!(outcome.failed[0].id, "a");
    let message = outcome.failed[0].error.to_string();
    assert!(
        message.contains("`$.crn` matches nothing")
            && message.contains("request `a` was done, but its `crn` is missing"),
        "{message}"
    );
    assert_eq!(outcome.not_run[0].id, "b");
}

#[test]
fn once_the_endpoint_does_not_answer_nothing_new_is_sent() {
    let stub = Stub::start(|r: &Seen| {
        if r.path() == "/identity/token" {
            ok(token(TOKEN, 3600))
        } else {
            Reply::Drop
        }
    });
    let mut requests: Vec<Request> = (0..6)
        .map(|i| request(&format!("r{i}"), "GET", &format!("/v2/r{i}")))
        .collect();
    // A request that needs one never sent is not run for the same reason.
    requests.push(after(request("d", "GET", "/v2/d"), &["r5"]));
    let outcome = run(&stub, &requests, &Values::new(), 1);
    assert_eq!(
        outcome
            .failed
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>(),
        ["r0"]
    );
    assert_eq!(
        outcome
            .not_run
            .iter()
            .map(|n| (n.id.as_str(), n.blocked_by.as_str(), n.unreachable))
            .collect::<Vec<_>>(),
        [
            ("r1", "r0", true),
            ("r2", "r0", true),
            ("r3", "r0", true),
            ("r4", "r0", true),
            ("r5", "r0", true),
            ("d", "r0", true)
        ]
    );
    // Only r0's attempts went out (config(): 4 attempts).
    assert_eq!(stub.count("GET", "/v2/r0"), 4);
    for i in 1..6 {
        assert_eq!(stub.count("GET", &format!("/v2/r{i}")), 0, "r{i} was sent");
    }
}
