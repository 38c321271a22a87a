//! Retries: a 429 waits its Retry-After (capped), 5xx and dropped
//! connections are retried a bounded number of times, a write lost after
//! sending is not sent again, IBM's error bodies are reported.

use super::support::stub::{ok, status, Reply, Stub};
use super::{client, config, token, TOKEN};
use qpol::live::endpoints::Endpoints;
use qpol::live::error::Error;
use qpol::live::http::{Client, Config, Request};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A stub whose `path` answers `faults` in turn, then 200; tokens always.
fn flaky(path: &'static str, faults: Vec<fn() -> Reply>) -> Stub {
    let n = Arc::new(AtomicUsize::new(0));
    Stub::start(move |r| {
        if r.path() == "/identity/token" {
            return ok(token(TOKEN, 3600));
        }
        if r.path() != path {
            return status(404, json!({}));
        }
        let i = n.fetch_add(1, Ordering::SeqCst);
        match faults.get(i) {
            Some(fault) => fault(),
            None => ok(json!({"id": "done"})),
        }
    })
}

fn too_many(after: &str) -> Reply {
    Reply::Json(
        429,
        vec![("Retry-After".into(), after.into())],
        json!({"errors": [{"code": "rate_limited", "message": "slow down"}]}),
    )
}

#[test]
fn a_429_waits_as_long_as_retry_after_says() {
    let stub = flaky("/v2/groups", vec![|| too_many("1")]);
    let c = client(&stub, config());
    let started = Instant::now();
    let answer = c.get("https://iam.cloud.ibm.com/v2/groups").unwrap();
    assert_eq!(answer.body, json!({"id": "done"}));
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stub.count("GET", "/v2/groups"), 2);
}

#[test]
fn retry_after_is_capped() {
    let stub = flaky("/v2/groups", vec![|| too_many("3600")]);
    let c = client(
        &stub,
        Config {
            retry_after_cap: Duration::from_millis(100),
            ..config()
        },
    );
    let started = Instant::now();
    c.get("https://iam.cloud.ibm.com/v2/groups").unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    let stub = Stub::start(|r| match r.path() {
        "/identity/token" => ok(token(TOKEN, 3600)),
        _ => status(
            503,
            json!({"errors": [{"code": "unavailable", "message": "try later"}], "trace": "tr-5"}),
        ),
    });
    let c = client(
        &stub,
        Config {
            attempts: 3,
            ..config()
        },
    );
    let err = c.get("https://iam.cloud.ibm.com/v2/groups").unwrap_err();
    assert_eq!(stub.count("GET", "/v2/groups"), 3);
    let api = err.api().unwrap();
    assert_eq!(
        (api.status, api.code.as_deref(), api.trace.as_deref()),
        (503, Some("unavailable"), Some("tr-5"))
    );
    assert_eq!(
        err.to_string(),
        "GET https://iam.cloud.ibm.com/v2/groups answered 503 unavailable: try later (trace tr-5) after 3 attempts; IBM Cloud failed: run again later; the next run continues where this one stopped"
    );
    // 429s too, then success within the bound.
    let stub = flaky(
        "/v2/groups",
        vec![|| too_many("0"), || status(500, json!({})), || {
            too_many("0")
        }],
    );
    let c = client(&stub, config());
    assert!(c.get("https://iam.cloud.ibm.com/v2/groups").is_ok());
    assert_eq!(stub.count("GET", "/v2/groups"), 4);
}

#[test]
fn a_client_error_is_not_retried() {
    let stub = flaky(
        "/v2/groups",
        vec![|| {
            status(
                400,
                json!({"errors": [{"code": "invalid", "message": "bad name"}]}),
            )
        }],
    );
    let c = client(&stub, config());
    let err = c
        .send(&Request::new("POST", "https://iam.cloud.ibm.com/v2/groups"))
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("400 invalid: bad name"), "{err}");
    assert_eq!(stub.count("POST", "/v2/groups"), 1);
}

#[test]
fn a_dropped_read_is_sent_again_but_a_dropped_write_is_ambiguous() {
    let stub = flaky("/v2/groups", vec![|| Reply::Drop]);
    let c = client(&stub, config());
    assert!(c.get("https://iam.cloud.ibm.com/v2/groups").is_ok());
    assert_eq!(stub.count("GET", "/v2/groups"), 2);

    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let stub = flaky("/v2/groups", vec![|| Reply::Drop]);
        let c = client(&stub, config());
        let err = c
            .send(&Request::new(method, "https://iam.cloud.ibm.com/v2/groups"))
            .unwrap_err();
        assert!(matches!(err, Error::Ambiguous { .. }), "{method}: {err:?}");
        assert!(err.to_string().contains("it may have been done"), "{err}");
        assert_eq!(stub.count(method, "/v2/groups"), 1, "{method}");
    }
    // A gateway's 504 after a create: ambiguous too.
    let stub = flaky("/v2/groups", vec![|| status(504, json!({}))]);
    let c = client(&stub, config());
    let err = c
        .send(&Request::new("POST", "https://iam.cloud.ibm.com/v2/groups"))
        .unwrap_err();
    assert!(matches!(err, Error::Ambiguous { .. }), "{err:?}");
}

#[test]
fn a_closed_port_fails_after_the_bounded_attempts() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = Client::new(
        Endpoints::all(&format!("http://127.0.0.1:{port}")).unwrap(),
        None,
        config(),
    )
    .unwrap();
    let err = c.get("https://iam.cloud.ibm.com/v2/groups").unwrap_err();
    match &err {
        Error::Transport {
            attempts, reason, ..
        } => {
            assert_eq!(*attempts, 4);
            assert!(reason.contains("cannot connect"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // A write that never connected was never sent: retried, not ambiguous.
    let err = c
        .send(&Request::new("POST", "https://iam.cloud.ibm.com/v2/groups"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { attempts: 4, .. }),
        "{err:?}"
    );
}

#[test]
fn backoff_waits_stay_within_the_jitter_bounds() {
    // Three 500s with base 40 ms, cap 80 ms: waits of at most 40 + 80 + 80.
    let stub = flaky(
        "/v2/groups",
        vec![|| status(500, json!({})), || status(500, json!({})), || {
            status(500, json!({}))
        }],
    );
    let c = client(
        &stub,
        Config {
            backoff_base: Duration::from_millis(40),
            backoff_cap: Duration::from_millis(80),
            ..config()
        },
    );
    let started = Instant::now();
    c.get("https://iam.cloud.ibm.com/v2/groups").unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(200 + 1500),
        "{:?}",
        started.elapsed()
    );
    for attempt in 1..10 {
        for _ in 0..50 {
            let wait = qpol::live::http::backoff(
                attempt,
                Duration::from_millis(40),
                Duration::from_millis(80),
                fastrand::f64(),
            );
            let bound = Duration::from_millis((40u64 << (attempt - 1)).min(80));
            assert!(wait <= bound, "{attempt}: {wait:?} > {bound:?}");
        }
    }
}

#[test]
fn sent_requests_are_recorded_as_a_plan_without_the_token_exchange() {
    let stub = flaky("/v2/groups", vec![]);
    let c = client(&stub, config());
    let mut request = Request::new("POST", "https://iam.cloud.ibm.com/v2/groups");
    request.body = Some(json!({"name": "ml"}));
    c.send(&request).unwrap();
    c.get("https://iam.cloud.ibm.com/v2/groups").unwrap();
    assert_eq!(
        c.recorded_plan(),
        json!({"format": "qpol-ibm-api-plan/1", "requests": [
            {"id": "sent.0", "method": "POST", "url": "https://iam.cloud.ibm.com/v2/groups", "body": {"name": "ml"}, "depends_on": []},
            {"id": "sent.1", "method": "GET", "url": "https://iam.cloud.ibm.com/v2/groups", "depends_on": []}
        ]})
    );
    assert_eq!(c.recorded().len(), 2);
}
