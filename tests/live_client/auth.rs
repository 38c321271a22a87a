//! The IAM token: exchanged once, reused, refreshed before it expires and
//! after a 401; a wrong key is one request and one clear error; no key or
//! token in any error or Debug output.

use super::support::stub::{ok, status, Reply, Seen, Stub};
use super::{client, config, token, KEY, TOKEN};
use qpol::live::auth::{api_key_from, Secret};
use qpol::live::endpoints::Endpoints;
use qpol::live::error::Error;
use qpol::live::execute::{execute, Options};
use qpol::live::http::{Client, Request};
use qpol::live::plan;
use qpol::live::progress::Lines;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn groups(_: &Seen) -> Reply {
    ok(json!({"groups": []}))
}

#[test]
fn the_key_is_exchanged_once_for_a_token_that_goes_with_every_request() {
    let stub = Stub::start(|r| match r.path() {
        "/identity/token" => ok(token(TOKEN, 3600)),
        _ => groups(r),
    });
    let c = client(&stub, config());
    c.get("https://iam.cloud.ibm.com/v2/groups?account_id=a")
        .unwrap();
    c.get("https://iam.cloud.ibm.com/v2/groups?account_id=b")
        .unwrap();
    let seen = stub.seen();
    assert_eq!(seen.len(), 3, "{seen:#?}");
    let exchange = &seen[0];
    assert_eq!(
        (exchange.method.as_str(), exchange.path()),
        ("POST", "/identity/token")
    );
    assert_eq!(
        exchange.headers.get("content-type").map(String::as_str),
        Some("application/x-www-form-urlencoded")
    );
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(exchange.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        form.get("grant_type").map(String::as_str),
        Some("urn:ibm:params:oauth:grant-type:apikey")
    );
    assert_eq!(form.get("apikey").map(String::as_str), Some(KEY));
    for api in &seen[1..] {
        assert_eq!(
            api.headers.get("authorization"),
            Some(&format!("Bearer {TOKEN}"))
        );
    }
}

#[test]
fn a_token_near_its_expiry_is_refreshed() {
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    // 1 s tokens: kept for half their life, so a use 0.6 s later gets a new one.
    let stub = Stub::start(move |r| match r.path() {
        "/identity/token" => {
            let i = count.fetch_add(1, Ordering::SeqCst);
            ok(token(&format!("{TOKEN}-{i}"), 1))
        }
        _ => groups(r),
    });
    let c = client(&stub, config());
    c.get("https://iam.cloud.ibm.com/v2/groups").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    c.get("https://iam.cloud.ibm.com/v2/groups").unwrap();
    assert_eq!(stub.count("POST", "/identity/token"), 2);
    let bearers: Vec<_> = stub
        .seen()
        .iter()
        .filter(|s| s.path() == "/v2/groups")
        .map(|s| s.headers["authorization"].clone())
        .collect();
    assert_eq!(
        bearers,
        [format!("Bearer {TOKEN}-0"), format!("Bearer {TOKEN}-1")]
    );
}

#[test]
fn a_401_gets_a_new_token_once() {
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    let stub = Stub::start(move |r| match r.path() {
        "/identity/token" => {
            let i = count.fetch_add(1, Ordering::SeqCst);
            ok(token(&format!("{TOKEN}-{i}"), 3600))
        }
        // The first token is revoked; the second works, except here.
        "/v2/groups"
            if r.headers["authorization"].ends_with("-1") && r.query("account_id").is_none() =>
        {
            groups(r)
        }
        _ => status(
            401,
            json!({"errors": [{"code": "BXNIM0408E", "message": "revoked"}], "trace": "t"}),
        ),
    });
    let c = client(&stub, config());
    c.get("https://iam.cloud.ibm.com/v2/groups").unwrap();
    let seen: Vec<_> = stub
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path()))
        .collect();
    assert_eq!(
        seen,
        [
            "POST /identity/token",
            "GET /v2/groups",
            "POST /identity/token",
            "GET /v2/groups"
        ]
    );
    // Refused again with a new token: an error, no third token.
    let err = c
        .get("https://iam.cloud.ibm.com/v2/groups?account_id=x")
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(
        err.to_string().contains("the IAM token was refused"),
        "{err}"
    );
    assert_eq!(stub.count("POST", "/identity/token"), 3);
    assert_eq!(stub.seen().len(), 7);
}

#[test]
fn a_wrong_key_is_one_request_and_one_clear_error() {
    // IAM's message may echo what it was sent: it must not reach the user.
    let stub = Stub::start(|r| {
        status(
            400,
            json!({"errorCode": "BXNIM0415E",
                   "errorMessage": format!("Provided API key could not be found: {}", r.body),
                   "context": {"requestId": "r-1"}}),
        )
    });
    let c = client(&stub, config());
    let err = c.get("https://iam.cloud.ibm.com/v2/groups").unwrap_err();
    assert!(matches!(err, Error::KeyRefused { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "IAM refused the API key (BXNIM0415E: Provided API key could not be found"
        ),
        "{text}"
    );
    assert!(text.contains("check IBMCLOUD_API_KEY"), "{text}");
    assert!(
        !text.contains("QPOLSECRET") && !format!("{err:?}").contains("QPOLSECRET"),
        "{text}"
    );
    assert_eq!(stub.seen().len(), 1);
}

/// Every error and Debug output the client produces, with the fake key
/// and a token IAM gave: none holds either.
#[test]
fn no_key_or_token_in_any_error_or_debug_output() {
    let stub = Stub::start(|r| match r.path() {
        "/identity/token" => ok(token(TOKEN, 3600)),
        "/v2/echo" => status(
            400,
            json!({"errors": [{"code": "bad", "message": format!("you sent {:?}", r.headers.get("authorization"))}],
                   "trace": format!("{TOKEN}")}),
        ),
        "/v2/down" => status(500, json!({"message": TOKEN})),
        "/v2/drop" => Reply::Drop,
        _ => ok(json!({"id": TOKEN})),
    });
    let c = client(&stub, config());
    let mut printed = Vec::new();
    for (method, path) in [
        ("GET", "/v2/echo"),
        ("GET", "/v2/down"),
        ("POST", "/v2/drop"),
        ("GET", "/v2/drop"),
    ] {
        let err = c
            .send(&Request::new(
                method,
                format!("https://iam.cloud.ibm.com{path}"),
            ))
            .unwrap_err();
        printed.push(err.to_string());
        printed.push(format!("{err:?}"));
    }
    // The executor's report of a failure.
    let requests = vec![plan::Request {
        id: "x".into(),
        method: "GET".into(),
        url: "https://iam.cloud.ibm.com/v2/echo".into(),
        headers: BTreeMap::new(),
        body: None,
        depends_on: Vec::new(),
        yields: BTreeMap::new(),
        etag: None,
    }];
    let lines = Lines::new(Vec::new());
    let outcome = execute(
        &c,
        &requests,
        &BTreeMap::new(),
        None,
        &lines,
        &Options::default(),
    )
    .unwrap();
    printed.push(format!("{outcome:?}"));
    printed.push(String::from_utf8(lines.into_inner()).unwrap());
    // Keys read, clients and errors of setup.
    let key = api_key_from(None, Some(KEY.into())).unwrap();
    printed.push(format!("{key:?} {}", key.key));
    printed.push(format!("{:?}", Secret::new(TOKEN)));
    let refused = Stub::start(|r| {
        status(
            401,
            json!({"errorCode": "BXNIM0415E", "errorMessage": r.body.clone()}),
        )
    });
    let c = Client::new(
        Endpoints::all(&refused.url).unwrap(),
        Some(Secret::new(KEY)),
        config(),
    )
    .unwrap();
    let err = c.get("https://iam.cloud.ibm.com/v2/groups").unwrap_err();
    printed.push(format!("{err} {err:?}"));
    let all = printed.join("\n");
    assert!(!all.contains("QPOLSECRET"), "{all}");
    // The errors did get through, scrubbed.
    assert!(
        all.contains("you sent Some(\\\"Bearer ***\\\")") || all.contains("Bearer ***"),
        "{all}"
    );
}
