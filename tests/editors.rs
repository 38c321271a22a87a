//! The editor files of `editors/`: the TextMate grammar is valid (its
//! references resolve, its regexes compile) and highlights every keyword
//! and operator of the language; the Neovim, Helix and VS Code snippets
//! start `qpol lsp` for `*.qpol` files.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::Value;
use std::path::Path;

fn editors(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("editors")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The grammar's lookarounds (a name or keyword is whole when no name
/// character is next to it) are Oniguruma's; the `regex` crate has none:
/// they are checked by [`whole`].
const BEFORE: &str = r"(?<![\w.-])";
const AFTER: &str = r"(?![\w.-])";

/// Every (scope name, regex) of the grammar, lookarounds stripped.
fn patterns(value: &Value, out: &mut Vec<(String, regex::Regex)>) {
    match value {
        Value::Object(map) => {
            for key in ["match", "begin", "end"] {
                if let Some(source) = map.get(key).and_then(Value::as_str) {
                    let stripped = source.replace(BEFORE, "").replace(AFTER, "");
                    assert!(
                        !stripped.contains("(?<") && !stripped.contains("(?="),
                        "other lookaround in {source}"
                    );
                    let re =
                        regex::Regex::new(&stripped).unwrap_or_else(|e| panic!("{source}: {e}"));
                    let name = map
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    out.push((name, re));
                }
            }
            map.values().for_each(|v| patterns(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| patterns(v, out)),
        _ => {}
    }
}

/// The scope the grammar gives `word` when it stands alone.
fn scope_of(all: &[(String, regex::Regex)], word: &str) -> Option<String> {
    all.iter()
        .find(|(_, re)| re.find(word).is_some_and(|m| m.as_str() == word))
        .map(|(name, _)| name.clone())
}

#[test]
fn the_textmate_grammar_is_valid_and_names_every_keyword() {
    let grammar: Value = serde_json::from_str(&editors("qpol.tmLanguage.json")).unwrap();
    assert_eq!(grammar["scopeName"], "source.qpol");
    let repository = grammar["repository"].as_object().unwrap();
    let text = grammar.to_string();
    for include in text.split("\"include\":\"#").skip(1) {
        let key = include.split('"').next().unwrap();
        assert!(
            repository.contains_key(key),
            "#{key} is not in the repository"
        );
    }
    let mut all = Vec::new();
    patterns(&grammar["repository"], &mut all);
    // In the order the top-level patterns try them.
    let order: Vec<&str> = grammar["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["include"].as_str().unwrap().trim_start_matches('#'))
        .collect();
    let mut ordered = Vec::new();
    for key in order {
        patterns(&repository[key], &mut ordered);
    }
    assert!(all.len() >= ordered.len());
    let declarations = [
        "account",
        "idp",
        "resource_group",
        "instance",
        "role",
        "project",
        "group",
        "user",
        "service_id",
        "audit",
    ];
    for word in declarations {
        assert_eq!(
            scope_of(&ordered, word).as_deref(),
            Some("storage.type.declaration.qpol"),
            "{word}"
        );
    }
    for word in [
        "assert",
        "allow",
        "can",
        "cannot",
        "on",
        "for",
        "members",
        "where",
        "from",
        "and",
        "attributes",
        "limits",
        "existing",
    ] {
        assert!(
            scope_of(&ordered, word).unwrap().starts_with("keyword."),
            "{word}"
        );
    }
    for op in [
        "contains",
        "has",
        "equals",
        "not_equals",
        "equals_ignore_case",
        "not_equals_ignore_case",
        "in",
    ] {
        assert_eq!(
            scope_of(&ordered, op).as_deref(),
            Some("keyword.operator.condition.qpol"),
            "{op}"
        );
    }
    let cases = [
        ("# a comment", "comment.line.number-sign.qpol"),
        // A string begins at `"` (and ends at the next one).
        ("\"", "string.quoted.double.qpol"),
        ("Q201", "constant.other.diagnostic-code.qpol"),
        ("12h", "constant.numeric.qpol"),
        ("QR-ml", "variable.other.name.qpol"),
        ("job.read", "variable.other.name.qpol"),
        (";", "punctuation.terminator.qpol"),
    ];
    for (word, scope) in cases {
        assert_eq!(scope_of(&ordered, word).as_deref(), Some(scope), "{word}");
    }
}

#[test]
fn the_editor_snippets_start_qpol_lsp_for_qpol_files() {
    let neovim = editors("qpol.lua");
    assert!(
        neovim.contains("cmd = { 'qpol', 'lsp' }") && neovim.contains("qpol = 'qpol'"),
        "{neovim}"
    );
    let helix = editors("languages.toml");
    assert!(
        helix.contains("command = \"qpol\"\nargs = [\"lsp\"]")
            && helix.contains("file-types = [\"qpol\"]"),
        "{helix}"
    );
    let vscode: Value = serde_json::from_str(&editors("vscode/package.json")).unwrap();
    assert_eq!(
        vscode["contributes"]["languages"][0]["extensions"][0],
        ".qpol"
    );
    let grammar = vscode["contributes"]["grammars"][0]["path"]
        .as_str()
        .unwrap();
    let from_extension = editors(&format!("vscode/{grammar}"));
    assert_eq!(
        from_extension,
        editors("qpol.tmLanguage.json"),
        "the extension's grammar is the shipped one"
    );
    assert!(editors("vscode/extension.js").contains("args: ['lsp']"));
}

/// The fenced blocks of `lang` in the README's section "Editor support".
fn readme_blocks(lang: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Editor support"))
        .unwrap_or_else(|| panic!("README has no section \"Editor support\""));
    let fence = format!("```{lang}\n");
    section
        .split(fence.as_str())
        .skip(1)
        .map(|rest| rest.split("```\n").next().unwrap().to_string())
        .collect()
}

#[test]
fn the_readme_shows_the_shipped_editor_files() {
    // Neovim: the whole of editors/qpol.lua, as .ci/lsp.sh loads it.
    assert_eq!(readme_blocks("lua"), [editors("qpol.lua")]);
    // It runs on Neovim 0.7 (no vim.lsp.start, no vim.fs) as on 0.8+.
    let neovim = editors("qpol.lua");
    assert!(!neovim.contains("vim.fs."), "{neovim}");
    for fallback in [
        "if vim.lsp.start then",
        "vim.lsp.start_client(config)",
        "vim.lsp.buf_attach_client(args.buf, id)",
        "has('nvim-0.8')",
    ] {
        assert!(neovim.contains(fallback), "{fallback}: {neovim}");
    }
    // Helix: editors/languages.toml without its leading comments.
    let helix: String = editors("languages.toml")
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(readme_blocks("toml"), [helix]);
}
