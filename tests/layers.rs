//! The layers stay apart: the checks, the access model, the backends and
//! the model (outside its lowering) use the model's own types and never
//! reach into the syntax tree.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

/// Every `*.rs` file under `dir`, recursively, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Lines of `text` that name the syntax layer in code (comments aside).
fn syntax_uses(text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| {
            let words = line.split(|c: char| !(c.is_alphanumeric() || c == '_'));
            line.contains("syntax::")
                || (line.trim_start().starts_with("use ") && words.clone().any(|w| w == "syntax"))
        })
        .map(|(n, line)| format!("{}: {}", n + 1, line.trim()))
        .collect()
}

/// Lowering turns syntax trees into the model: only it may read them.
fn is_lowering(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with("lower") || name == "settings.rs"
}

#[test]
fn checks_access_backends_and_model_do_not_import_the_syntax_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut read = 0;
    for dir in ["checks", "access", "backends", "model"] {
        for path in sources(&root.join(dir)) {
            if dir == "model" && is_lowering(&path) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            read += 1;
            for line in syntax_uses(&text) {
                offenders.push(format!("{}:{line}", path.display()));
            }
        }
    }
    assert!(read > 20, "only {read} source files found under src/");
    assert!(
        offenders.is_empty(),
        "these files import the syntax layer; use the model's types (crate::model::{{AttrValue, CondValue, Operator, Text}}) instead:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_scan_sees_an_import_of_the_syntax_layer() {
    let text = "//! doc about syntax::ast\nuse crate::syntax::ast::AttrValue;\nuse crate::{model, syntax};\n";
    assert_eq!(
        syntax_uses(text),
        [
            "2: use crate::syntax::ast::AttrValue;",
            "3: use crate::{model, syntax};"
        ]
    );
}

#[test]
fn the_access_index_is_built_only_by_the_pipeline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let builders: Vec<String> = sources(&root)
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            text.lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| l.contains("AccessIndex::build(") && !l.contains("pub fn build("))
        })
        .map(|path| path.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(
        builders,
        ["pipeline.rs"],
        "the access index is built once per run, by pipeline::Analysis; use `analysis.access()`"
    );
}

#[test]
fn the_core_does_not_depend_on_the_command_line_parser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    for dir in ["checks", "access", "backends", "model"] {
        for path in sources(&root.join(dir)) {
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                if !line.trim_start().starts_with("//") && line.contains("clap") {
                    offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "map command-line types onto the core's in src/cli instead:\n{}",
        offenders.join("\n")
    );
}

/// (first line, length) of each `fn` of `text` that starts at an indentation
/// of at most four spaces, ending at the `}` at its indentation.
fn function_lengths(text: &str) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let head = line.trim_start();
        let is_fn = ["fn ", "pub fn ", "pub(super) fn ", "pub(crate) fn "]
            .iter()
            .any(|p| head.starts_with(p));
        if !is_fn || indent > 4 || head.ends_with(';') {
            continue;
        }
        let close = format!("{}}}", " ".repeat(indent));
        if let Some(end) = lines[n..].iter().position(|l| *l == close) {
            out.push((n + 1, end + 1));
        }
    }
    out
}

#[test]
fn the_terraform_module_and_the_declaration_pass_are_split_by_kind() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut long = Vec::new();
    for file in [
        "backends/terraform/build.rs",
        "model/lower.rs",
        "model/lower_declare.rs",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let lengths = function_lengths(&text);
        assert!(!lengths.is_empty(), "no function found in {file}");
        for (line, length) in lengths {
            if length > 100 {
                long.push(format!("{file}:{line}: {length} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "split these by resource kind:\n{}",
        long.join("\n")
    );
}
