//! `qpol lsp` against hostile or unusual clients, over stdio: frames with
//! huge or lying `Content-Length`s, bodies that are not messages, files
//! changed on disk behind the editor's back, unreadable files of a folder
//! policy, a second `initialize`, changes that arrive late, a client that
//! vanishes during an analysis or stops reading, and a rename onto a
//! built-in role's name. Every wait has a timeout.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/lsp_client.rs"]
#[allow(dead_code)] // shared with tests/lsp.rs
mod lsp_client;

use lsp_client::{did_change, did_open, uri, Client};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const INSTANCES: &str = "instance QR-ml { plan standard; region us-east; }\n";
const PROJECTS: &str =
    "project ml { instances QR-ml; members user \"f@example.com\"; role writer; }\n";

/// The codes of published diagnostics (`-` for one without a code).
fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("-").to_string())
        .collect()
}

/// The JSON, pretty, with the temporary folder written `$DIR`.
fn shown(value: &Value, dir: &std::path::Path) -> String {
    serde_json::to_string_pretty(value)
        .unwrap()
        .replace(&dir.display().to_string(), "$DIR")
}

fn raw_frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

fn shut_down(mut client: Client) {
    let shutdown = client.request("shutdown", json!(null));
    assert!(shutdown.get("error").is_none(), "{shutdown}");
    client.notify("exit", json!(null));
    assert_eq!(client.wait_exit().code(), Some(0));
}

#[test]
fn a_frame_larger_than_the_limit_ends_the_server_with_a_clear_message() {
    let mut client = Client::spawn();
    client.write_raw(b"Content-Length: 99999999999999\r\n\r\n{}");
    assert_eq!(client.wait_exit().code(), Some(1));
    assert!(
        client.stderr().contains(
            "a message of 99999999999999 bytes is larger than the limit of 1 GiB; the input cannot be read past it"
        ),
        "{}",
        client.stderr()
    );
    // The limit is the policy read limit (QPOL_MAX_INPUT_BYTES): a message
    // under it is read, one over it ends the server.
    let mut client = Client::spawn_with(|c| {
        c.env("QPOL_MAX_INPUT_BYTES", "1000");
    });
    let init = client.request("initialize", json!({ "capabilities": {} }));
    assert!(init.get("result").is_some(), "{init}");
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        did_open("untitled:a", &"#".repeat(2000)),
    );
    assert_eq!(client.wait_exit().code(), Some(1));
    assert!(
        client
            .stderr()
            .contains("bytes is larger than the limit of 1000 bytes"),
        "{}",
        client.stderr()
    );
}

/// The peak resident memory of a process, in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_declared_length_is_not_allocated_before_its_bytes_arrive() {
    let mut client = Client::spawn();
    client.write_raw(b"Content-Length: 900000000\r\n\r\n{}");
    std::thread::sleep(Duration::from_millis(500));
    let peak = peak_kib(client.pid());
    assert!(peak < 200_000, "{peak} KiB resident for a 2-byte body");
    assert_eq!(client.close_and_wait().code(), Some(1));
    assert!(
        client.stderr().contains(
            "the client closed the connection in the middle of a message (2 of 900000000 bytes received)"
        ),
        "{}",
        client.stderr()
    );
}

#[test]
fn a_body_that_is_not_a_message_is_answered_and_the_server_goes_on() {
    let mut client = Client::start();
    let file = "untitled:a";
    client.notify(
        "textDocument/didOpen",
        did_open(file, "role r { actions device.read; }\n"),
    );
    // A lone surrogate escape (what JSON.stringify makes of one), not
    // JSON, JSON but no message, a request with a lone surrogate.
    let lone = r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"untitled:a","version":2},"contentChanges":[{"text":"role \ud800;"}]}}"#;
    client.write_raw(&raw_frame(lone));
    client.write_raw(&raw_frame("{{{{{"));
    client.write_raw(&raw_frame("[1, 2]"));
    let request =
        r#"{"jsonrpc":"2.0","id":42,"method":"workspace/symbol","params":{"query":"\udfff"}}"#;
    client.write_raw(&raw_frame(request));
    let mut errors = Vec::new();
    for _ in 0..4 {
        let m = client
            .wait(|m| m.get("error").is_some())
            .unwrap_or_else(|| panic!("{errors:?}"));
        errors.push((m["id"].clone(), m["error"]["code"].clone()));
    }
    assert_eq!(
        errors,
        [
            (json!(null), json!(-32700)),
            (json!(null), json!(-32700)),
            (json!(null), json!(-32600)),
            (json!(42), json!(-32700)),
        ]
    );
    // Still serving, the bad change not applied.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": file } }),
    );
    assert_eq!(symbols["result"][0]["name"], "r", "{symbols}");
    let logged = "qpol lsp: ignored a message that is not valid JSON: lone leading surrogate";
    let said = client.wait_stderr(logged);
    assert!(said.contains(logged), "{said}");
    assert!(!said.contains("closed the connection"), "{said}");
    shut_down(client);
}

#[test]
fn files_changed_on_disk_are_watched_and_analysed_again() {
    let dir = tempfile::tempdir().unwrap();
    let (a_path, b_path, c_path) = (
        dir.path().join("a.qpol"),
        dir.path().join("b.qpol"),
        dir.path().join("c.qpol"),
    );
    std::fs::write(&a_path, INSTANCES).unwrap();
    std::fs::write(&b_path, PROJECTS).unwrap();
    let (a, b, c) = (uri(&a_path), uri(&b_path), uri(&c_path));
    let mut client = Client::spawn();
    let capabilities =
        json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } });
    let init = client.request("initialize", json!({ "capabilities": capabilities }));
    assert!(init.get("result").is_some(), "{init}");
    client.notify("initialized", json!({}));
    let register = client
        .wait(|m| m["method"] == "client/registerCapability")
        .unwrap();
    insta::assert_snapshot!(
        "watch_registration",
        serde_json::to_string_pretty(&register["params"]).unwrap()
    );
    client.send(&json!({ "jsonrpc": "2.0", "id": register["id"], "result": null }));
    client.notify("textDocument/didOpen", did_open(&a, INSTANCES));
    client.diagnostics(&b, |p| p["diagnostics"] == json!([]));
    let watched = |client: &mut Client, changes: Value| {
        client.notify(
            "workspace/didChangeWatchedFiles",
            json!({ "changes": changes }),
        );
    };
    // Changed on disk: a typo in the other file.
    std::fs::write(&b_path, PROJECTS.replace("QR-ml;", "QR-mll;")).unwrap();
    watched(&mut client, json!([{ "uri": b, "type": 2 }]));
    let typo = client.diagnostics(&b, |p| p["diagnostics"] != json!([]));
    assert_eq!(codes(&typo), ["Q101"]);
    // Created.
    std::fs::write(&c_path, "instance QR-ml { plan lite; region us-east; }\n").unwrap();
    watched(&mut client, json!([{ "uri": c, "type": 1 }]));
    let created = client.diagnostics(&c, |p| p["diagnostics"] != json!([]));
    assert!(codes(&created).contains(&"Q102".to_string()), "{created}");
    // Deleted: both files leave the policy and are cleared.
    std::fs::remove_file(&b_path).unwrap();
    std::fs::remove_file(&c_path).unwrap();
    watched(
        &mut client,
        json!([{ "uri": b, "type": 3 }, { "uri": c, "type": 3 }]),
    );
    client.diagnostics(&b, |p| p["diagnostics"] == json!([]));
    client.diagnostics(&c, |p| p["diagnostics"] == json!([]));
    shut_down(client);
}

#[test]
fn no_watcher_is_registered_for_a_client_that_cannot_register_one() {
    let mut client = Client::start();
    let id = client.send_request("shutdown", json!(null));
    let first = client
        .wait(|m| m["method"] == "client/registerCapability" || m["id"] == id)
        .unwrap();
    assert_eq!(first["id"], id, "{first}");
    client.notify("exit", json!(null));
    assert_eq!(client.wait_exit().code(), Some(0));
}

#[test]
fn an_unreadable_file_of_the_folder_is_an_error_in_every_open_file_and_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("a.qpol");
    std::fs::write(&open, INSTANCES).unwrap();
    let fifo = dir.path().join("b.qpol");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Sparse: larger than the 1 GiB limit, and no disk space.
    let big = std::fs::File::create(dir.path().join("c.qpol")).unwrap();
    big.set_len((1 << 30) + 1).unwrap();
    drop(big);
    // What the command line says of this folder.
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_qpol"))
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    let file = uri(&open);
    let mut client = Client::start();
    client.notify("textDocument/didOpen", did_open(&file, INSTANCES));
    let published = client.diagnostics(&file, |p| p["version"] == 1);
    insta::assert_snapshot!("unreadable_files", shown(&published, dir.path()));
    let messages: Vec<&str> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].contains("b.qpol") && messages[0].contains("a FIFO"));
    assert!(messages[1].contains("c.qpol") && messages[1].contains("larger than 1 GiB"));
    client.notify(
        "textDocument/didChange",
        did_change(&file, 2, (1, 0), (1, 0), "#\n"),
    );
    let again = client.diagnostics(&file, |p| p["version"] == 2);
    assert_eq!(codes(&again), ["-", "-", "Q213"]);
    let shown_messages: Vec<&Value> = client
        .notifications
        .iter()
        .filter(|m| m["method"] == "window/showMessage")
        .collect();
    assert_eq!(shown_messages.len(), 2, "{shown_messages:#?}");
    assert_eq!(shown_messages[0]["params"]["type"], 1, "an error");
    shut_down(client);
}

#[test]
fn a_second_initialize_is_an_invalid_request() {
    let mut client = Client::spawn();
    let init = client.request("initialize", json!({ "capabilities": {} }));
    assert!(init.get("result").is_some(), "{init}");
    let early = client.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(early["error"]["code"], -32600, "{early}");
    client.notify("initialized", json!({}));
    let late = client.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(late["error"]["code"], -32600, "{late}");
    assert_eq!(
        late["error"]["message"],
        "the server is initialized already: `initialize` is sent once"
    );
    shut_down(client);
}

#[test]
fn a_change_older_than_the_document_is_ignored_and_logged() {
    let mut client = Client::start();
    let file = "untitled:a";
    client.notify(
        "textDocument/didOpen",
        did_open(file, "role r { actions device.read; }\n"),
    );
    let whole = |version: i32, text: &str| json!({ "textDocument": { "uri": file, "version": version }, "contentChanges": [{ "text": text }] });
    client.notify(
        "textDocument/didChange",
        whole(3, "role s { actions device.read; }\n"),
    );
    client.notify(
        "textDocument/didChange",
        whole(2, "role t { actions device.read; }\n"),
    );
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": file } }),
    );
    assert_eq!(symbols["result"][0]["name"], "s", "{symbols}");
    // (Logged before the answer: kept among the notifications.)
    let logged = client
        .notifications
        .iter()
        .find(|m| m["method"] == "window/logMessage")
        .unwrap();
    assert_eq!(
        logged["params"]["message"],
        "ignored a change of `untitled:a` to version 2: the document is at version 3 already"
    );
    shut_down(client);
}

#[test]
fn the_end_of_input_during_an_analysis_ends_the_server_at_once() {
    let mut client = Client::spawn_with(|c| {
        c.env("QPOL_LSP_ANALYSIS_DELAY_MS", "15000");
    });
    let init = client.request("initialize", json!({ "capabilities": {} }));
    assert!(init.get("result").is_some(), "{init}");
    client.notify("initialized", json!({}));
    client.notify("textDocument/didOpen", did_open("untitled:a", INSTANCES));
    std::thread::sleep(Duration::from_millis(300));
    let closed = Instant::now();
    assert_eq!(client.close_and_wait().code(), Some(1));
    assert!(
        closed.elapsed() < Duration::from_secs(5),
        "exited {:?} after the end of its input",
        closed.elapsed()
    );
    assert!(
        client
            .stderr()
            .contains("the client closed the connection without `exit`"),
        "{}",
        client.stderr()
    );
}

#[test]
fn a_client_that_stops_reading_ends_the_server() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut client = Client::spawn_with(move |c| {
        c.stdout(writer);
    });
    // Its answer cannot be written: the server ends though stdin is open.
    client.send_request("initialize", json!({ "capabilities": {} }));
    assert_eq!(client.wait_exit().code(), Some(1));
    assert!(
        client
            .stderr()
            .contains("cannot write to the client (standard output): Broken pipe"),
        "{}",
        client.stderr()
    );
}

#[test]
fn renaming_onto_a_built_in_role_says_it_is_built_in() {
    let mut client = Client::start();
    let file = "untitled:a";
    let text = "role ops { actions device.read; }\nrole writer { actions job.read; }\n";
    client.notify("textDocument/didOpen", did_open(file, text));
    let rename = |client: &mut Client, name: &str| {
        client.request(
            "textDocument/rename",
            json!({ "textDocument": { "uri": file }, "position": { "line": 0, "character": 6 }, "newName": name }),
        )
    };
    let builtin = rename(&mut client, "reader");
    assert_eq!(builtin["error"]["code"], -32803, "{builtin}");
    assert_eq!(
        builtin["error"]["message"],
        "`reader` is the name of a built-in role; choose another name"
    );
    // `writer` is declared here: an ordinary collision.
    let declared = rename(&mut client, "writer");
    assert_eq!(
        declared["error"]["message"],
        "role `writer` is already declared; choose another name"
    );
    shut_down(client);
}
