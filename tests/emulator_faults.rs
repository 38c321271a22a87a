//! `qpol emulator`'s injected faults (429 with Retry-After, 500, dropped
//! connections with and without the write applied, latency, stale ETags;
//! none on the token endpoint or the admin routes; changed at run time),
//! malformed HTTP, keep-alive, and the concurrency count of its statistics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/emulator.rs"]
mod client;

use client::{config, read_answer, request_bytes, start, Client, ACCOUNT};
use qpol::emulator::{Config, FaultSpec};
use serde_json::{json, Value};
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn with_faults(spec: &str) -> Config {
    Config {
        faults: FaultSpec::parse(spec).unwrap(),
        ..config(100)
    }
}

fn groups() -> String {
    format!("/v2/groups?account_id={ACCOUNT}")
}

#[test]
fn every_request_gets_429_with_retry_after_but_not_the_token_or_admin_routes() {
    let emu = start(with_faults("429:1"));
    let c = Client::login(&emu);
    let a = c.get(&groups());
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after"), Some("1"));
    assert_eq!(a.body["errors"][0]["code"], "too_many_requests");
    assert_eq!(
        c.ok("/_emulator/stats")["faults_injected"],
        json!({"429": 1})
    );
    let off = c.send_raw("POST", "/_emulator/faults", &[], b"").unwrap();
    assert_eq!(off.status, 204);
    assert_eq!(c.get(&groups()).status, 200, "faults changed at run time");
    let bad = c
        .send_raw("POST", "/_emulator/faults", &[], b"boom:1")
        .unwrap();
    assert_eq!(bad.status, 400);
}

#[test]
fn every_request_gets_500() {
    let emu = start(with_faults("500:1"));
    let c = Client::login(&emu);
    let a = c.post(&groups(), json!({"name": "ml"}));
    assert_eq!(a.status, 500);
    assert_eq!(a.body["status_code"], 500);
    assert_eq!(
        c.ok("/_emulator/state")["access_groups"],
        json!({}),
        "a 500 writes nothing"
    );
}

#[test]
fn drops_close_without_answering_and_half_apply_the_write_first() {
    let emu = start(Config {
        seed: 42,
        ..with_faults("drop:1")
    });
    let c = Client::login(&emu);
    let mut answered = 0;
    for n in 0..40 {
        if c.send_raw(
            "POST",
            &groups(),
            &[],
            json!({"name": format!("g{n}")}).to_string().as_bytes(),
        )
        .is_some()
        {
            answered += 1;
        }
    }
    assert_eq!(answered, 0, "no answer at all");
    let state = c.ok("/_emulator/state");
    let applied = state["access_groups"].as_object().unwrap().len();
    assert!(
        (8..=32).contains(&applied),
        "about half of 40 drops applied the create: {applied}"
    );
    let stats = c.ok("/_emulator/stats");
    assert_eq!(stats["faults_injected"]["drop"], 40);
    assert_eq!(stats["writes"], applied);

    // The same seed drops the same way.
    let again = start(Config {
        seed: 42,
        ..with_faults("drop:1")
    });
    let c2 = Client::login(&again);
    for n in 0..40 {
        c2.send_raw(
            "POST",
            &groups(),
            &[],
            json!({"name": format!("g{n}")}).to_string().as_bytes(),
        );
    }
    let names = |s: &Value| {
        let mut v: Vec<String> = s["access_groups"]
            .as_object()
            .unwrap()
            .values()
            .map(|g| g["name"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&c2.ok("/_emulator/state")), names(&state));
}

#[test]
fn latency_delays_every_answer_but_the_tokens() {
    // The latency is long enough that a loaded machine's slowness cannot
    // pass for it on the token endpoint.
    let emu = start(with_faults("latency:4s"));
    let started = Instant::now();
    let c = Client::login(&emu);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "no latency on the token endpoint"
    );
    let started = Instant::now();
    assert_eq!(c.get(&groups()).status, 200);
    assert!(started.elapsed() >= Duration::from_secs(4));
}

#[test]
fn stale_answers_412_to_if_match_requests_only() {
    let emu = start(with_faults("stale:1"));
    let c = Client::login(&emu);
    let id = c.created(&groups(), json!({"name": "ml"}))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v2/groups/{id}");
    let tag = c.get(&path).header("etag").unwrap().to_string();
    let stale = c.send(
        "PATCH",
        &path,
        &json!({"description": "x"}),
        &[("If-Match", &tag)],
    );
    assert_eq!(stale.status, 412);
    assert_eq!(c.ok(&path)["description"], "", "nothing changed");
    assert_eq!(
        c.ok("/_emulator/stats")["faults_injected"],
        json!({"stale": 1})
    );
}

#[test]
fn mixed_faults_are_reproducible_with_a_seed() {
    let run = || {
        let emu = start(Config {
            seed: 7,
            ..with_faults("429:0.2,500:0.2,drop:0.1")
        });
        let c = Client::login(&emu);
        (0..60)
            .map(|_| {
                c.send_raw("GET", &groups(), &[], b"")
                    .map_or(0, |a| a.status)
            })
            .collect::<Vec<u16>>()
    };
    let first = run();
    assert_eq!(first, run());
    for status in [0, 200, 429, 500] {
        assert!(first.contains(&status), "{status} in {first:?}");
    }
}

fn raw(emu: &qpol::emulator::Handle, bytes: &[u8]) -> (Option<client::Answer>, bool) {
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(bytes).unwrap();
    let mut reader = BufReader::new(s);
    let answer = read_answer(&mut reader);
    let mut rest = Vec::new();
    // Closed: the end of the stream, or a reset (a request left unread).
    let closed = reader
        .read_to_end(&mut rest)
        .map_or(true, |_| rest.is_empty());
    (answer, closed)
}

#[test]
fn malformed_requests_get_400_and_the_connection_closes() {
    let emu = start(config(100));
    for bytes in [
        &b"NOT HTTP\r\n\r\n"[..],
        b"GET /v2/groups HTTP/1.1\r\nbroken header\r\n\r\n",
        b"GET /v2/groups HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
        b"GET relative HTTP/1.1\r\n\r\n",
        b"GET /v2/groups HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort",
    ] {
        let (answer, closed) = {
            let mut s = TcpStream::connect(emu.addr()).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(bytes).unwrap();
            s.shutdown(std::net::Shutdown::Write).unwrap();
            let mut reader = BufReader::new(s);
            let a = read_answer(&mut reader);
            let mut rest = Vec::new();
            (
                a,
                reader
                    .read_to_end(&mut rest)
                    .map_or(true, |_| rest.is_empty()),
            )
        };
        let answer =
            answer.unwrap_or_else(|| panic!("no answer to {:?}", String::from_utf8_lossy(bytes)));
        assert_eq!(answer.status, 400, "{:?}", String::from_utf8_lossy(bytes));
        assert!(answer.body["errors"][0]["message"].is_string());
        assert!(closed);
    }
    let huge = format!(
        "POST /v2/groups HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        1u64 << 40
    );
    let (answer, closed) = raw(&emu, huge.as_bytes());
    assert_eq!((answer.unwrap().status, closed), (413, true));
    let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(100_000));
    let (answer, _) = raw(&emu, long.as_bytes());
    assert_eq!(answer.unwrap().status, 431);
    // The server still answers.
    assert_eq!(Client::new(&emu).token_for("emulator-key").status, 200);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let emu = start(config(100));
    let c = Client::login(&emu);
    let auth = format!("Bearer {}", c.token.clone().unwrap());
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    for n in 0..3 {
        let body = json!({"name": format!("g{n}")}).to_string();
        s.write_all(&request_bytes(
            "POST",
            &groups(),
            &[("Authorization", &auth)],
            body.as_bytes(),
        ))
        .unwrap();
        assert_eq!(read_answer(&mut reader).unwrap().status, 201);
    }
    s.write_all(&request_bytes(
        "GET",
        &groups(),
        &[("Authorization", &auth)],
        b"",
    ))
    .unwrap();
    assert_eq!(read_answer(&mut reader).unwrap().body["total_count"], 3);
}

#[test]
fn max_in_flight_counts_concurrent_requests() {
    let emu = start(with_faults("latency:400ms"));
    let c = Client::login(&emu);
    let token = c.token.clone();
    let addr = emu.addr();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (token, barrier) = (token.clone(), barrier.clone());
            std::thread::spawn(move || {
                let c = Client { addr, token };
                barrier.wait();
                c.get(&groups()).status
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
    let stats = c.ok("/_emulator/stats");
    let max = stats["max_in_flight"].as_u64().unwrap();
    assert!(
        (2..=4).contains(&max),
        "4 clients at once, 400 ms each: {max}"
    );
    assert_eq!(stats["by_method"]["GET"], 4);
    c.post("/_emulator/stats/reset", Value::Null);
    c.get(&groups());
    assert_eq!(c.ok("/_emulator/stats")["max_in_flight"], 1);
}

#[test]
fn idle_connections_past_the_cap_get_503_and_closing_one_frees_its_place() {
    let emu = start(Config {
        max_connections: 2,
        ..config(100)
    });
    let idle: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(emu.addr()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (answer, closed) = raw(&emu, b"GET /_emulator/stats HTTP/1.1\r\n\r\n");
    assert_eq!((answer.unwrap().status, closed), (503, true));
    drop(idle);
    let started = Instant::now();
    loop {
        let (answer, _) = raw(
            &emu,
            b"GET /_emulator/stats HTTP/1.1\r\nConnection: close\r\n\r\n",
        );
        if answer.unwrap().status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "places are freed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
