//! The editor queries of `qpol lsp` over stdio, one test per request:
//! hover, definition, references, rename and prepareRename, document and
//! workspace symbols, completion (the requests of `tests/lsp.rs` are the
//! lifecycle, diagnostics, formatting and quick fixes).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "support/lsp_client.rs"]
#[allow(dead_code)] // shared with tests/lsp.rs, which uses all of it
mod lsp_client;

use lsp_client::{did_open, uri, Client};
use serde_json::{json, Value};

/// A planted overlap (`ml` admits `chemlab`) and a misspelt instance (`QR-mll`).
const PLANTED: &str = r#"idp org-users { kind appid; region us-south; attribute project; }
instance QR-ml { plan standard; region us-east; }
instance QR-chem { plan standard; region us-east; }
project ml { instances QR-ml; members where project contains "ml"; role writer; }
project chemlab { instances QR-chem; members where project contains "chemlab"; role writer; }
project web {instances QR-mll; members where project equals "web"; role writer;}
"#;

/// A client with PLANTED open as `org.qpol` of a temporary folder.
fn opened() -> (Client, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = uri(&dir.path().join("org.qpol"));
    let mut client = Client::start();
    client.notify("textDocument/didOpen", did_open(&file, PLANTED));
    (client, file, dir)
}

fn at(file: &str, line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": file }, "position": { "line": line, "character": character } })
}

/// (line, start character, end character) of a one-line range.
fn span(range: &Value) -> (u64, u64, u64) {
    assert_eq!(range["start"]["line"], range["end"]["line"], "{range}");
    (
        range["start"]["line"].as_u64().unwrap(),
        range["start"]["character"].as_u64().unwrap(),
        range["end"]["character"].as_u64().unwrap(),
    )
}

fn shut_down(mut client: Client) {
    let shutdown = client.request("shutdown", json!(null));
    assert!(shutdown.get("error").is_none(), "{shutdown}");
    client.notify("exit", json!(null));
    assert_eq!(client.wait_exit().code(), Some(0));
}

#[test]
fn every_query_is_advertised() {
    let mut client = Client::spawn();
    let init = client.request("initialize", json!({ "capabilities": {} }));
    let caps = &init["result"]["capabilities"];
    for key in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
        "workspaceSymbolProvider",
    ] {
        assert_eq!(caps[key], true, "{key}: {init}");
    }
    assert_eq!(caps["renameProvider"]["prepareProvider"], true, "{init}");
    assert_eq!(
        caps["completionProvider"]["triggerCharacters"],
        json!([" ", ",", "."]),
        "{init}"
    );
}

#[test]
fn hover_gives_markdown_and_the_range_it_is_about() {
    let (mut client, file, _dir) = opened();
    // On the reference to QR-ml in project ml.
    let response = client.request("textDocument/hover", at(&file, 3, 24));
    let result = &response["result"];
    assert_eq!(result["contents"]["kind"], "markdown", "{response}");
    assert_eq!(span(&result["range"]), (3, 23, 28));
    let markdown = result["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("QR-ml"), "{markdown}");
    insta::assert_snapshot!("hover_instance", markdown);
    // On the rule value "ml": the overlap it causes.
    let value = client.request("textDocument/hover", at(&file, 3, 63));
    let value = value["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("chemlab"), "{value}");
    // On blanks: nothing.
    let blank = client.request("textDocument/hover", at(&file, 3, 12));
    assert_eq!(blank["result"], Value::Null, "{blank}");
    // A line past the end: invalid parameters.
    let past = client.request("textDocument/hover", at(&file, 99, 0));
    assert_eq!(past["error"]["code"], -32602, "{past}");
    shut_down(client);
}

#[test]
fn definition_goes_to_the_declaration_in_another_file_of_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let instances = dir.path().join("10-instances.qpol");
    std::fs::write(
        &instances,
        "instance QR-ml { plan standard; region us-east; }\n",
    )
    .unwrap();
    let projects = uri(&dir.path().join("20-projects.qpol"));
    let mut client = Client::start();
    let text = "project ml { instances QR-ml; members user \"f@example.com\"; role writer; }\n";
    client.notify("textDocument/didOpen", did_open(&projects, text));
    let response = client.request("textDocument/definition", at(&projects, 0, 25));
    let target = &response["result"];
    assert_eq!(target["uri"], uri(&instances), "{response}");
    assert_eq!(span(&target["range"]), (0, 9, 14));
    // The built-in `writer` is declared nowhere.
    let builtin = client.request("textDocument/definition", at(&projects, 0, 68));
    assert_eq!(builtin["result"], Value::Null, "{builtin}");
    shut_down(client);
}

#[test]
fn references_with_and_without_the_declaration() {
    let (mut client, file, _dir) = opened();
    let find = |client: &mut Client, include: bool| -> Vec<(u64, u64, u64)> {
        let mut params = at(&file, 3, 24);
        params["context"] = json!({ "includeDeclaration": include });
        let response = client.request("textDocument/references", params);
        let found = response["result"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"));
        found
            .iter()
            .map(|l| {
                assert_eq!(l["uri"], file);
                span(&l["range"])
            })
            .collect()
    };
    assert_eq!(find(&mut client, true), [(1, 9, 14), (3, 23, 28)]);
    assert_eq!(find(&mut client, false), [(3, 23, 28)]);
    shut_down(client);
}

fn rename(client: &mut Client, file: &str, line: u32, character: u32, name: &str) -> Value {
    let mut params = at(file, line, character);
    params["newName"] = json!(name);
    client.request("textDocument/rename", params)
}

#[test]
fn rename_edits_every_occurrence_or_is_refused_with_a_message() {
    let (mut client, file, _dir) = opened();
    let response = rename(&mut client, &file, 3, 24, "QR-x");
    let changes = response["result"]["documentChanges"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"));
    assert_eq!(changes.len(), 1, "{response}");
    assert_eq!(
        changes[0]["textDocument"],
        json!({ "uri": file, "version": 1 })
    );
    let edits: Vec<((u64, u64, u64), &str)> = changes[0]["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (span(&e["range"]), e["newText"].as_str().unwrap()))
        .collect();
    assert_eq!(edits, [((1, 9, 14), "QR-x"), ((3, 23, 28), "QR-x")]);
    // A collision, a bad name, a built-in role, nothing: refused.
    for (line, character, name, message) in [
        (
            3,
            24,
            "QR-chem",
            "instance `QR-chem` is already declared; choose another name",
        ),
        (
            3,
            24,
            "-x",
            "`-x` is not a name: a name starts with a letter, a digit or `_`",
        ),
        (
            3,
            77,
            "w",
            "`writer` is a built-in role; declare `role writer { ... }` to rename it",
        ),
        (3, 12, "x", "nothing to rename here"),
    ] {
        let refused = rename(&mut client, &file, line, character, name);
        assert_eq!(refused["error"]["code"], -32803, "{refused}");
        let got = refused["error"]["message"].as_str().unwrap();
        assert!(got.starts_with(message), "{got}");
    }
    shut_down(client);
}

#[test]
fn prepare_rename_gives_the_name_or_the_reason_it_cannot_be_renamed() {
    let (mut client, file, _dir) = opened();
    let response = client.request("textDocument/prepareRename", at(&file, 3, 24));
    let result = &response["result"];
    assert_eq!(result["placeholder"], "QR-ml", "{response}");
    assert_eq!(span(&result["range"]), (3, 23, 28));
    let builtin = client.request("textDocument/prepareRename", at(&file, 3, 77));
    assert_eq!(builtin["error"]["code"], -32803, "{builtin}");
    assert!(builtin["error"]["message"]
        .as_str()
        .unwrap()
        .contains("built-in role"));
    let keyword = client.request("textDocument/prepareRename", at(&file, 3, 2));
    assert!(
        keyword["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("nothing to rename"),
        "{keyword}"
    );
    shut_down(client);
}

/// name kind (line, from, to) [children], one line each, indented.
fn outline(symbols: &Value, depth: usize, out: &mut String) {
    for s in symbols.as_array().unwrap() {
        let selection = span(&s["selectionRange"]);
        let range = &s["range"];
        out.push_str(&format!(
            "{}{} kind {} name {:?} range {}:{}-{}:{}\n",
            "  ".repeat(depth),
            s["name"].as_str().unwrap(),
            s["kind"],
            selection,
            range["start"]["line"],
            range["start"]["character"],
            range["end"]["line"],
            range["end"]["character"],
        ));
        if let Some(children) = s.get("children") {
            outline(children, depth + 1, out);
        }
    }
}

#[test]
fn document_symbols_are_the_outline_with_member_sets_as_children() {
    let (mut client, file, _dir) = opened();
    let response = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": file } }),
    );
    let mut text = String::new();
    outline(&response["result"], 0, &mut text);
    assert!(text.contains("ml kind 2 name (3, 8, 10)"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("  ")),
        "children: {text}"
    );
    insta::assert_snapshot!("document_symbols", text);
    shut_down(client);
}

#[test]
fn workspace_symbols_match_the_query_best_first() {
    let (mut client, file, _dir) = opened();
    let response = client.request("workspace/symbol", json!({ "query": "qr-" }));
    let found: Vec<(&str, u64, (u64, u64, u64))> = response["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|s| {
            assert_eq!(s["location"]["uri"], file);
            (
                s["name"].as_str().unwrap(),
                s["kind"].as_u64().unwrap(),
                span(&s["location"]["range"]),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("QR-chem", 19, (2, 9, 16)), ("QR-ml", 19, (1, 9, 14))]
    );
    let none = client.request("workspace/symbol", json!({ "query": "zzz" }));
    assert_eq!(none["result"], json!([]), "{none}");
    shut_down(client);
}

#[test]
fn completion_replaces_the_word_being_typed() {
    let (mut client, file, _dir) = opened();
    let typed = "project x { instances QR-c";
    client.notify(
        "textDocument/didChange",
        lsp_client::did_change(&file, 2, (6, 0), (6, 0), typed),
    );
    let response = client.request("textDocument/completion", at(&file, 6, 26));
    let items = response["result"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"));
    let labels: Vec<&str> = items.iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels.first(), Some(&"QR-chem"), "{labels:?}");
    let first = &items[0];
    assert_eq!(first["textEdit"]["newText"], "QR-chem");
    assert_eq!(span(&first["textEdit"]["range"]), (6, 22, 26));
    assert_eq!(response["result"]["isIncomplete"], false);
    // Actions after `actions`, with what each allows.
    client.notify(
        "textDocument/didChange",
        lsp_client::did_change(&file, 3, (6, 0), (6, 26), "role r { actions job.re"),
    );
    let actions = client.request("textDocument/completion", at(&file, 6, 23));
    let items = actions["result"]["items"].as_array().unwrap();
    let read = items
        .iter()
        .find(|i| i["label"] == "job.read")
        .unwrap_or_else(|| panic!("{actions}"));
    assert_eq!(span(&read["textEdit"]["range"]), (6, 17, 23));
    assert!(read["detail"].is_string(), "{read}");
    // Inside a comment: nothing.
    client.notify(
        "textDocument/didChange",
        lsp_client::did_change(&file, 4, (6, 0), (6, 23), "# role r { actions job.re"),
    );
    let comment = client.request("textDocument/completion", at(&file, 6, 25));
    assert_eq!(comment["result"]["items"], json!([]), "{comment}");
    shut_down(client);
}

/// Labels of a completion request sent as a client does after typing a
/// trigger character at the end of line `line`'s `typed`.
fn triggered(
    client: &mut Client,
    file: &str,
    version: i32,
    typed: &str,
    trigger: &str,
) -> Vec<String> {
    client.notify(
        "textDocument/didChange",
        lsp_client::did_change(file, version, (6, 0), (7, 0), &format!("{typed}\n")),
    );
    let mut params = at(file, 6, typed.len() as u32);
    params["context"] = json!({ "triggerKind": 2, "triggerCharacter": trigger });
    let response = client.request("textDocument/completion", params);
    response["result"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_trigger_character_brings_the_names_that_come_next() {
    let (mut client, file, _dir) = opened();
    client.notify(
        "textDocument/didChange",
        lsp_client::did_change(&file, 2, (6, 0), (6, 0), "\n"),
    );
    // A space after `instances`, and a `,` in its list: the instances.
    let instances = ["QR-chem", "QR-ml"];
    assert_eq!(
        triggered(&mut client, &file, 3, "project x { instances ", " "),
        instances
    );
    assert_eq!(
        triggered(&mut client, &file, 4, "project x { instances QR-ml,", ","),
        instances
    );
    // A space after `role`: the roles (the built-in ones here).
    assert_eq!(
        triggered(&mut client, &file, 5, "project x { role ", " "),
        ["reader", "writer"]
    );
    // `.` in an action name: the actions of that family first, then the
    // others that hold `job.`.
    let jobs = triggered(&mut client, &file, 6, "role r { actions job.", ".");
    assert_eq!(
        jobs[..4],
        ["job.cancel", "job.create", "job.delete", "job.read"],
        "{jobs:?}"
    );
    assert!(jobs.iter().all(|l| l.contains("job.")), "{jobs:?}");
    // A space where nothing is expected (after a project's name): nothing.
    assert_eq!(
        triggered(&mut client, &file, 7, "project x ", " "),
        Vec::<String>::new()
    );
    shut_down(client);
}
