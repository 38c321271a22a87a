//! `qpol lsp` over stdio, driven as an editor drives it: the lifecycle,
//! diagnostics as you type (one file and a folder policy), formatting,
//! quick fixes, invalid positions, files that are not open, and clients
//! that go away. Every wait has a timeout.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::{did_change, did_open, uri, Client};
use serde_json::{json, Value};

/// A planted overlap (`ml` admits `chemlab`) and a misspelt instance (`QR-mll`).
const PLANTED: &str = r#"idp org-users { kind appid; region us-south; attribute project; }
instance QR-ml { plan standard; region us-east; }
instance QR-chem { plan standard; region us-east; }
project ml { instances QR-ml; members where project contains "ml"; role writer; }
project chemlab { instances QR-chem; members where project contains "chemlab"; role writer; }
project web {instances QR-mll; members where project equals "web"; role writer;}
"#;

/// (code, start line, start character, end line, end character) of each diagnostic.
fn summary(params: &Value) -> Vec<(String, u64, u64, u64, u64)> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let r = &d["range"];
            (
                d["code"].as_str().unwrap().to_string(),
                r["start"]["line"].as_u64().unwrap(),
                r["start"]["character"].as_u64().unwrap(),
                r["end"]["line"].as_u64().unwrap(),
                r["end"]["character"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn codes(params: &Value) -> Vec<String> {
    summary(params).into_iter().map(|s| s.0).collect()
}

/// The JSON, pretty, with the temporary folder written `$DIR`.
fn shown(value: &Value, dir: &std::path::Path) -> String {
    serde_json::to_string_pretty(value)
        .unwrap()
        .replace(&dir.display().to_string(), "$DIR")
}

/// Apply LSP text edits (sorted, not overlapping) to `text`.
fn apply(text: &str, edits: &Value) -> String {
    let offset = |p: &Value| {
        let (line, character) = (
            p["line"].as_u64().unwrap() as usize,
            p["character"].as_u64().unwrap() as usize,
        );
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let rest = &text[start..];
        let mut units = 0;
        for (i, c) in rest.char_indices() {
            if units >= character || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<&Value> = edits.as_array().unwrap().iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(offset(&e["range"]["start"])));
    let mut out = text.to_string();
    for e in edits {
        let (a, b) = (offset(&e["range"]["start"]), offset(&e["range"]["end"]));
        out.replace_range(a..b, e["newText"].as_str().unwrap());
    }
    out
}

#[test]
fn lifecycle_capabilities_unknown_requests_shutdown_and_exit() {
    let mut client = Client::spawn();
    let early = client.request("textDocument/formatting", json!({}));
    assert_eq!(early["error"]["code"], -32002, "{early}");
    let init = client.request("initialize", json!({ "capabilities": {} }));
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["documentFormattingProvider"], true, "{init}");
    assert_eq!(
        caps["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix"])
    );
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(init["result"]["serverInfo"]["name"], "qpol");
    client.notify("initialized", json!({}));
    let unknown = client.request("qpol/noSuchRequest", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let bad = client.request("textDocument/formatting", json!({ "textDocument": 5 }));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    // Unknown notifications are ignored; the server still answers.
    client.notify("qpol/whatever", json!(null));
    let shutdown = client.request("shutdown", json!(null));
    assert_eq!(shutdown["result"], Value::Null, "{shutdown}");
    assert!(shutdown.get("error").is_none());
    let late = client.request("textDocument/formatting", json!({}));
    assert_eq!(late["error"]["code"], -32600, "{late}");
    client.notify("exit", json!(null));
    assert_eq!(client.wait_exit().code(), Some(0));
}

#[test]
fn exit_without_shutdown_exits_with_1() {
    let mut client = Client::start();
    client.notify("exit", json!(null));
    assert_eq!(client.wait_exit().code(), Some(1));
}

#[test]
fn diagnostics_as_you_type_then_cleared_by_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = uri(&dir.path().join("org.qpol"));
    let mut client = Client::start();
    client.notify("textDocument/didOpen", did_open(&file, PLANTED));
    let published = client.diagnostics(&file, |p| !p["diagnostics"].as_array().unwrap().is_empty());
    assert_eq!(
        summary(&published),
        [
            ("Q201".to_string(), 3, 61, 3, 65),
            ("Q101".to_string(), 5, 23, 5, 29),
        ]
    );
    assert_eq!(published["version"], 1);
    insta::assert_snapshot!("planted_diagnostics", shown(&published, dir.path()));
    // Fix the name, then the rule: each edit re-checks.
    client.notify(
        "textDocument/didChange",
        did_change(&file, 2, (5, 23), (5, 29), "QR-ml"),
    );
    let after_name = client.diagnostics(&file, |p| p["version"] == 2);
    assert_eq!(codes(&after_name), ["Q201"]);
    client.notify(
        "textDocument/didChange",
        did_change(&file, 3, (3, 52), (3, 60), "equals"),
    );
    let fixed = client.diagnostics(&file, |p| p["version"] == 3);
    assert_eq!(codes(&fixed), Vec::<String>::new());
    let shutdown = client.request("shutdown", json!(null));
    assert!(shutdown.get("error").is_none());
    client.notify("exit", json!(null));
    assert_eq!(client.wait_exit().code(), Some(0));
}

#[test]
fn a_syntax_error_does_not_hide_the_other_statements_findings() {
    let dir = tempfile::tempdir().unwrap();
    let file = uri(&dir.path().join("org.qpol"));
    let broken = PLANTED.replace(
        "instance QR-chem { plan standard;",
        "instance QR-chem { plan standard",
    );
    let mut client = Client::start();
    client.notify("textDocument/didOpen", did_open(&file, &broken));
    let published = client.diagnostics(&file, |p| !p["diagnostics"].as_array().unwrap().is_empty());
    let found = codes(&published);
    assert!(found.contains(&"Q001".to_string()), "{found:?}");
    assert!(found.contains(&"Q101".to_string()), "{found:?}");
}

#[test]
fn newer_edits_cancel_stale_work() {
    let dir = tempfile::tempdir().unwrap();
    let file = uri(&dir.path().join("org.qpol"));
    let mut client = Client::start();
    client.notify("textDocument/didOpen", did_open(&file, PLANTED));
    for version in 2..=21 {
        client.notify(
            "textDocument/didChange",
            did_change(&file, version, (6, 0), (6, 0), "#\n"),
        );
    }
    let last = client.diagnostics(&file, |p| p["version"] == 21);
    assert_eq!(codes(&last), ["Q201", "Q101"]);
    let published: Vec<&Value> = client
        .notifications
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .collect();
    assert!(
        published.len() < 5,
        "21 versions, {} analyses published",
        published.len()
    );
}

/// A newer edit stops the older edit's analysis while it runs: each
/// analysis is held 4 s at its start (`QPOL_LSP_ANALYSIS_DELAY_MS`, a pause
/// its cancel cuts short), so the newer version is published after one
/// such pause, not two; its diagnostics are right, and no older version is
/// published after it.
#[test]
fn a_newer_edit_stops_the_running_analysis_and_nothing_stale_follows() {
    let dir = tempfile::tempdir().unwrap();
    let file = uri(&dir.path().join("org.qpol"));
    let mut client = Client::spawn_env(&[("QPOL_LSP_ANALYSIS_DELAY_MS", "4000")]);
    assert!(client
        .request("initialize", json!({ "capabilities": {} }))
        .get("result")
        .is_some());
    client.notify("initialized", json!({}));
    client.notify("textDocument/didOpen", did_open(&file, PLANTED));
    assert_eq!(
        codes(&client.diagnostics(&file, |p| p["version"] == 1)),
        ["Q201", "Q101"]
    );
    // After a pause: analysed at once, and held in its delay ...
    std::thread::sleep(std::time::Duration::from_millis(200));
    let misspelt = ((5, 23), (5, 29));
    client.notify(
        "textDocument/didChange",
        did_change(&file, 2, misspelt.0, misspelt.1, "QR-mlx"),
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    // ... when the fix comes.
    let sent = std::time::Instant::now();
    client.notify(
        "textDocument/didChange",
        did_change(&file, 3, misspelt.0, (5, 29), "QR-ml"),
    );
    let fixed = client.diagnostics(&file, |p| p["version"] == 3);
    let waited = sent.elapsed();
    assert_eq!(codes(&fixed), ["Q201"]);
    assert!(
        waited < std::time::Duration::from_millis(6000),
        "the stale analysis ran on: the fix waited {waited:?}"
    );
    // Nothing more comes for this file.
    client.request("shutdown", Value::Null);
    let versions: Vec<&Value> = client
        .notifications
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .map(|m| &m["params"]["version"])
        .collect();
    assert_eq!(versions, [&json!(1), &json!(3)]);
}

#[test]
fn formatting_gives_qpol_fmts_layout_and_nothing_for_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = uri(&dir.path().join("org.qpol"));
    let mut client = Client::start();
    client.notify("textDocument/didOpen", did_open(&file, PLANTED));
    let params = json!({ "textDocument": { "uri": file }, "options": { "tabSize": 8, "insertSpaces": false } });
    let response = client.request("textDocument/formatting", params.clone());
    let edits = &response["result"];
    let formatted = apply(PLANTED, edits);
    assert_eq!(
        formatted,
        qpol::fmt::format_text("org.qpol", PLANTED).unwrap()
    );
    assert_ne!(formatted, PLANTED);
    insta::assert_snapshot!("formatting_edits", shown(edits, dir.path()));
    // Formatted already: no edit.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": file, "version": 2 },
            "contentChanges": [{ "text": formatted }]
        }),
    );
    assert_eq!(
        client.request("textDocument/formatting", params.clone())["result"],
        json!([])
    );
    // A syntax error: no edit, no crash, and the server goes on.
    client.notify(
        "textDocument/didChange",
        did_change(&file, 3, (0, 0), (0, 0), "project {{ ;\n"),
    );
    let broken = client.request("textDocument/formatting", params.clone());
    assert_eq!(broken["result"], json!([]), "{broken}");
    assert!(client
        .request("shutdown", json!(null))
        .get("error")
        .is_none());
}

/// The quick fixes offered on `line` of `file`, as (title, edits of the file).
fn fixes(client: &mut Client, file: &str, line: u64) -> Vec<(String, Value)> {
    let response = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": file },
            "range": { "start": { "line": line, "character": 0 }, "end": { "line": line, "character": 200 } },
            "context": { "diagnostics": [] }
        }),
    );
    response["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|a| {
            assert_eq!(a["kind"], "quickfix");
            (
                a["title"].as_str().unwrap().to_string(),
                a["edit"]["changes"][file].clone(),
            )
        })
        .collect()
}

#[test]
fn quick_fixes_did_you_mean_has_allow_and_the_missing_semicolon() {
    let dir = tempfile::tempdir().unwrap();
    let file = uri(&dir.path().join("org.qpol"));
    let mut client = Client::start();
    client.notify("textDocument/didOpen", did_open(&file, PLANTED));
    client.diagnostics(&file, |p| !p["diagnostics"].as_array().unwrap().is_empty());
    let name = fixes(&mut client, &file, 5);
    assert_eq!(name.len(), 1, "{name:?}");
    assert_eq!(name[0].0, "replace `QR-mll` with `QR-ml`");
    assert_eq!(
        apply(PLANTED, &name[0].1),
        PLANTED.replace("QR-mll", "QR-ml")
    );
    let overlap = fixes(&mut client, &file, 3);
    let titles: Vec<&str> = overlap.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        titles,
        [
            "use `has` (whole delimited values) instead of `contains`",
            "add `allow Q201 on project ml for project chemlab \"why this is meant\";`"
        ]
    );
    assert_eq!(
        apply(PLANTED, &overlap[0].1),
        PLANTED.replace(r#"contains "ml""#, r#"has "ml""#)
    );
    let acknowledged = apply(PLANTED, &overlap[1].1);
    assert!(acknowledged.contains("role writer; }\nallow Q201 on project ml for project chemlab \"why this is meant\";\nproject chemlab"), "{acknowledged}");
    insta::assert_snapshot!(
        "quick_fixes",
        shown(&json!({ "line 5": name, "line 3": overlap }), dir.path())
    );
    // The acknowledgement applied: the finding is gone.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": file, "version": 2 },
            "contentChanges": [{ "text": acknowledged.replace("QR-mll", "QR-ml") }]
        }),
    );
    let after = client.diagnostics(&file, |p| p["version"] == 2);
    assert_eq!(codes(&after), Vec::<String>::new());
    // A missing `;` is inserted after the last token before the error.
    let text = "instance QR-ml { plan standard region us-east; }\n";
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": file, "version": 3 },
            "contentChanges": [{ "text": text }]
        }),
    );
    client.diagnostics(&file, |p| p["version"] == 3);
    let semicolon = fixes(&mut client, &file, 0);
    assert_eq!(semicolon[0].0, "insert the missing `;`");
    assert_eq!(
        apply(text, &semicolon[0].1),
        "instance QR-ml { plan standard; region us-east; }\n"
    );
}

#[test]
fn invalid_positions_are_clamped_and_never_crash() {
    let dir = tempfile::tempdir().unwrap();
    let file = uri(&dir.path().join("org.qpol"));
    let mut client = Client::start();
    client.notify(
        "textDocument/didOpen",
        did_open(&file, "role r { actions device.read; } # 𝄞x\n"),
    );
    // Inside the surrogate pair of `𝄞` (characters 34..36): its start.
    client.notify(
        "textDocument/didChange",
        did_change(&file, 2, (0, 35), (0, 35), "!"),
    );
    // Past the end of a line, and lines past the end of the file.
    client.notify(
        "textDocument/didChange",
        did_change(&file, 3, (0, 999), (0, 999), ";"),
    );
    client.notify(
        "textDocument/didChange",
        did_change(&file, 4, (99, 5), (120, 0), "instance i;"),
    );
    let response = client.request("textDocument/formatting", json!({ "textDocument": { "uri": file }, "options": { "tabSize": 2, "insertSpaces": true } }));
    let text = "role r { actions device.read; } # !𝄞x;\ninstance i;";
    assert_eq!(
        apply(text, &response["result"]),
        qpol::fmt::format_text("x", text).unwrap()
    );
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": file },
            "range": { "start": { "line": 4000000000u64, "character": 1 }, "end": { "line": 4000000000u64, "character": 7 } },
            "context": { "diagnostics": [] }
        }),
    );
    assert_eq!(actions["result"], json!([]), "{actions}");
    assert!(client
        .request("shutdown", json!(null))
        .get("error")
        .is_none());
}

#[test]
fn a_file_that_is_not_open_is_read_from_disk_or_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("org.qpol");
    std::fs::write(&path, PLANTED).unwrap();
    let file = uri(&path);
    let mut client = Client::start();
    let format = json!({ "textDocument": { "uri": file }, "options": { "tabSize": 2, "insertSpaces": true } });
    let formatted = client.request("textDocument/formatting", format);
    assert_eq!(
        apply(PLANTED, &formatted["result"]),
        qpol::fmt::format_text("x", PLANTED).unwrap()
    );
    let name = fixes(&mut client, &file, 5);
    assert_eq!(name[0].0, "replace `QR-mll` with `QR-ml`");
    let missing = uri(&dir.path().join("missing.qpol"));
    let refused = client.request("textDocument/formatting", json!({ "textDocument": { "uri": missing }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing.qpol"),
        "{refused}"
    );
    let remote = client.request("textDocument/codeAction", json!({
        "textDocument": { "uri": "https://example.com/x.qpol" },
        "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
        "context": { "diagnostics": [] }
    }));
    assert_eq!(remote["error"]["code"], -32602, "{remote}");
    assert!(client
        .request("shutdown", json!(null))
        .get("error")
        .is_none());
}

#[test]
fn a_client_that_goes_away_mid_request_ends_the_server() {
    // Closed right after a request.
    let mut client = Client::start();
    client.notify("textDocument/didOpen", did_open("untitled:a", PLANTED));
    client.send_request("textDocument/formatting", json!({ "textDocument": { "uri": "untitled:a" }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(client.close_and_wait().code(), Some(1));
    // Closed in the middle of a message.
    let mut client = Client::start();
    let message = lsp_client::frame(&json!({ "jsonrpc": "2.0", "id": 9, "method": "shutdown" }));
    client.write_raw(&message[..message.len() - 5]);
    assert_eq!(client.close_and_wait().code(), Some(1));
    // Garbage instead of a message.
    let mut client = Client::start();
    client.write_raw(b"Content-Length: 5\r\n\r\n{{{{{");
    assert_eq!(client.close_and_wait().code(), Some(1));
}

#[test]
fn a_folder_is_one_policy_and_an_edit_rechecks_the_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let instances = dir.path().join("10-instances.qpol");
    let projects = dir.path().join("20-projects.qpol");
    let instances_text = "instance QR-ml { plan standard; region us-east; }\n";
    std::fs::write(&instances, instances_text).unwrap();
    std::fs::write(
        &projects,
        "project ml { instances QR-ml; members user \"f@example.com\"; role writer; }\n",
    )
    .unwrap();
    let (a, b) = (uri(&instances), uri(&projects));
    let mut client = Client::start();
    // Only the projects are open: the instances are read from disk, and
    // both files get diagnostics.
    client.notify(
        "textDocument/didOpen",
        did_open(&b, &std::fs::read_to_string(&projects).unwrap()),
    );
    // (Published in the order of the files' names.)
    client.diagnostics(&a, |p| p["diagnostics"] == json!([]));
    assert_eq!(
        codes(&client.diagnostics(&b, |_| true)),
        Vec::<String>::new()
    );
    // Renaming the instance in the other file breaks the reference here.
    client.notify("textDocument/didOpen", did_open(&a, instances_text));
    client.notify(
        "textDocument/didChange",
        did_change(&a, 2, (0, 9), (0, 14), "QR-x"),
    );
    let broken = client.diagnostics(&b, |p| !p["diagnostics"].as_array().unwrap().is_empty());
    assert_eq!(summary(&broken), [("Q101".to_string(), 0, 23, 0, 28)]);
    assert_eq!(broken["version"], 1);
    client.notify(
        "textDocument/didChange",
        did_change(&a, 3, (0, 9), (0, 13), "QR-ml"),
    );
    client.diagnostics(&b, |p| p["diagnostics"] == json!([]));
    // Closed, the file is read from disk again (still checked).
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": a } }),
    );
    client.diagnostics(&a, |p| p["version"].is_null());
    assert!(client
        .request("shutdown", json!(null))
        .get("error")
        .is_none());
}

#[test]
fn a_buffer_outside_a_folder_policy_is_checked_alone_and_cleared_when_closed() {
    let mut client = Client::start();
    client.notify(
        "textDocument/didOpen",
        did_open("untitled:Untitled-1", PLANTED),
    );
    let published = client.diagnostics("untitled:Untitled-1", |p| {
        !p["diagnostics"].as_array().unwrap().is_empty()
    });
    assert_eq!(codes(&published), ["Q201", "Q101"]);
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": "untitled:Untitled-1" } }),
    );
    client.diagnostics("untitled:Untitled-1", |p| p["diagnostics"] == json!([]));
    assert!(client
        .request("shutdown", json!(null))
        .get("error")
        .is_none());
}

#[test]
fn an_unreadable_entry_of_the_folder_is_logged_once_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.qpol");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let file = uri(&dir.path().join("org.qpol"));
    let mut client = Client::start();
    client.notify("textDocument/didOpen", did_open(&file, PLANTED));
    client.diagnostics(&file, |p| p["version"] == 1);
    client.notify(
        "textDocument/didChange",
        did_change(&file, 2, (6, 0), (6, 0), "#\n"),
    );
    let last = client.diagnostics(&file, |p| p["version"] == 2);
    // The unreadable entry first (no code: `qpol check` exits 2 on it),
    // then the findings of the rest.
    let (unreadable, findings) = last["diagnostics"].as_array().unwrap().split_at(1);
    assert!(unreadable[0].get("code").is_none(), "{last}");
    let findings = json!({ "diagnostics": findings });
    assert_eq!(codes(&findings), ["Q201", "Q101"]);
    let logged: Vec<&Value> = client
        .notifications
        .iter()
        .filter(|m| m["method"] == "window/logMessage")
        .collect();
    assert_eq!(logged.len(), 1, "{logged:#?}");
    let message = logged[0]["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("pipe.qpol") && message.contains("a FIFO"),
        "{message}"
    );
}

#[test]
fn an_edit_after_a_pause_is_analysed_at_once_and_a_burst_once_it_pauses() {
    let dir = tempfile::tempdir().unwrap();
    let file = uri(&dir.path().join("org.qpol"));
    let mut client = Client::spawn();
    let init = json!({ "capabilities": {}, "initializationOptions": { "debounce_ms": 3000 } });
    assert!(client.request("initialize", init).get("result").is_some());
    client.notify("initialized", json!({}));
    let opened = std::time::Instant::now();
    client.notify("textDocument/didOpen", did_open(&file, PLANTED));
    client.diagnostics(&file, |p| p["version"] == 1);
    let waited = opened.elapsed();
    assert!(
        waited < std::time::Duration::from_millis(2000),
        "an edit after a pause waited {waited:?}"
    );
    for version in 2..=6 {
        client.notify(
            "textDocument/didChange",
            did_change(&file, version, (6, 0), (6, 0), "#\n"),
        );
    }
    let burst = std::time::Instant::now();
    client.diagnostics(&file, |p| p["version"] == 6);
    assert!(
        burst.elapsed() >= std::time::Duration::from_millis(2500),
        "a burst is analysed once it pauses"
    );
    let versions: Vec<&Value> = client
        .notifications
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .map(|m| &m["params"]["version"])
        .collect();
    assert_eq!(versions, [&json!(1), &json!(6)]);
}
