//! `qpol emulator`'s flags as a careless or hostile user gives them:
//! values that make no sense are refused with a clear message, listening
//! beyond the machine is warned about, a transcript that cannot be written
//! is said loudly, and a signal says what became of the transcript.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/emulator.rs"]
mod client;

use client::{Client, ACCOUNT};
use std::io::{BufRead, Read};
use std::process::{Child, Command, Stdio};

fn emulator(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qpol"));
    c.arg("emulator").args(args);
    c
}

#[test]
fn senseless_values_are_refused_with_a_clear_message() {
    let cases: [(&[&str], &str); 4] = [
        (&["--token-ttl", "0"], "--token-ttl 0"),
        (&["--api-key", ""], "--api-key number 1 is empty"),
        (
            &["--api-key", "k", "--api-key", " "],
            "--api-key number 2 is empty",
        ),
        (
            &["--faults", "429:0.1,429:0.9"],
            "fault `429` is given twice",
        ),
    ];
    for (args, expected) in cases {
        let out = emulator(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} started");
    }
}

/// Start the emulator; its address once it listens.
fn started(args: &[&str]) -> (Child, std::net::SocketAddr) {
    let mut child = emulator(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|a| a.rsplit(':').next())
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    (child, format!("127.0.0.1:{port}").parse().unwrap())
}

/// SIGTERM, then everything it said on stderr.
fn terminate(mut child: Child) -> (Option<i32>, String) {
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), err)
}

/// One exchange the transcript records.
fn one_exchange(addr: std::net::SocketAddr) {
    let mut c = Client { addr, token: None };
    let token = c.token_for("emulator-key");
    c.token = Some(token.body["access_token"].as_str().unwrap().to_string());
    c.ok(&format!("/v2/resource_groups?account_id={ACCOUNT}"));
}

#[test]
fn listening_beyond_the_machine_warns_that_admin_routes_have_no_auth() {
    let (child, _) = started(&["--listen", "0.0.0.0:0"]);
    let (_, err) = terminate(child);
    assert!(err.contains("warning: listening on `0.0.0.0:0`"), "{err}");
    assert!(err.contains("no authentication"), "{err}");
    let (child, _) = started(&["--listen", "127.0.0.1:0"]);
    let (_, err) = terminate(child);
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn a_transcript_that_cannot_be_written_is_said_loudly() {
    let (child, addr) = started(&["--transcript", "/dev/full"]);
    one_exchange(addr);
    let (code, err) = terminate(child);
    assert_eq!(code, Some(143), "{err}");
    assert!(
        err.contains("error: cannot write the transcript `/dev/full`"),
        "{err}"
    );
    assert!(err.contains("is incomplete"), "{err}");
    assert!(err.contains("1 lost"), "{err}");
    assert!(!err.contains("nothing was written"), "{err}");
}

#[test]
fn sigterm_says_what_the_transcript_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let (child, addr) = started(&["--transcript", path.to_str().unwrap()]);
    one_exchange(addr);
    let (code, err) = terminate(child);
    assert_eq!(code, Some(143), "{err}");
    assert!(!err.contains("nothing was written"), "{err}");
    assert!(err.contains("holds 1 line(s)"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
}
