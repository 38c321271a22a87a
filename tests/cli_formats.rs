//! The CLI's machine formats at their edges: columns of many findings on one
//! long non-ASCII line (SARIF, GitHub, JSON agree with a naive count),
//! standard input under `--format github`/`sarif` (no file location),
//! formats refused by commands that cannot produce them (and `QPOL_FORMAT`
//! applied only where it can), help texts with exit codes and environment
//! variables, output paths of `man` and `graph`, and shell completions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::run::{command, qpol, qpol_in, stderr, stdout};

use serde_json::Value;
use std::collections::BTreeMap;

/// A one-line policy of about 100,000 characters: a non-ASCII rule value
/// first, then `n` undeclared instances. Returns the text and, per name,
/// its byte offset.
fn long_line(n: usize) -> (String, BTreeMap<String, usize>) {
    let mut text = String::from(
        "idp org-users { kind appid; region us-south; attribute project; }\n\
         project p { members where project equals \"é😀𝄞ü\"; role reader; instances ",
    );
    let mut at = BTreeMap::new();
    for i in 0..n {
        if i > 0 {
            // Non-ASCII between the names too (a comment would end the line).
            text.push_str(", ");
        }
        let name = format!("QR{i}");
        at.insert(name.clone(), text.len());
        text.push_str(&name);
    }
    text.push_str("; }\n");
    (text, at)
}

/// 1-based (line, column) of a byte offset, counted the slow way.
fn naive(text: &str, offset: usize, utf16: bool) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let part = &text[line_start..offset];
    let column = if utf16 {
        part.encode_utf16().count()
    } else {
        part.chars().count()
    };
    (line, column + 1)
}

#[test]
fn many_findings_on_a_long_non_ascii_line_get_their_columns() {
    let (text, at) = long_line(14_000);
    assert!(text.len() > 100_000);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.qpol");
    std::fs::write(&file, &text).unwrap();
    let path = file.to_str().unwrap();

    let o = qpol(&["--format", "sarif", "check", path]);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut seen = 0;
    for r in doc["runs"][0]["results"].as_array().unwrap() {
        let message = r["message"]["text"].as_str().unwrap();
        let Some(name) = message
            .strip_prefix("instance `")
            .and_then(|m| m.split('`').next())
        else {
            continue;
        };
        let region = &r["locations"][0]["physicalLocation"]["region"];
        let start = at[name];
        let expected_start = naive(&text, start, true);
        let expected_end = naive(&text, start + name.len(), true);
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(expected_start.0 as u64), Some(expected_start.1 as u64)),
            "{name}"
        );
        assert_eq!(
            region["endColumn"].as_u64(),
            Some(expected_end.1 as u64),
            "{name}"
        );
        seen += 1;
    }
    assert_eq!(seen, 14_000);

    // GitHub and JSON count characters.
    let o = qpol(&["--format", "github", "check", path]);
    let out = stdout(&o);
    for name in ["QR0", "QR777", "QR13999"] {
        let (line, col) = naive(&text, at[name], false);
        let expected = format!(",line={line},col={col},");
        let annotation = out
            .lines()
            .find(|l| l.contains(&format!("`{name}` is not declared")))
            .unwrap();
        assert!(annotation.contains(&expected), "{annotation}");
    }
    let o = qpol(&["--format", "json", "check", path]);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let last = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("`QR13999`"))
        .unwrap()
        .to_string();
    let (line, col) = naive(&text, at["QR13999"], false);
    assert!(
        last.contains(&format!("\"line\":{line}")) && last.contains(&format!("\"column\":{col}")),
        "{last}"
    );
}

/// A policy with a typo (a did-you-mean fix) and a finding with no fix.
const TYPO: &str = "instance QR { plan standard; region us-east; }\n\
                    project p { instances QR, QX; role reader; }\n";

#[test]
fn standard_input_has_no_file_location_in_ci_formats() {
    let o = qpol_in(&["--format", "github", "check", "-"], TYPO);
    let out = stdout(&o);
    assert!(!out.contains("file="), "{out}");
    assert!(!out.contains("stdin>"), "{out}");
    let typo = out.lines().find(|l| l.contains("`QX`")).unwrap();
    assert!(
        typo.starts_with("::error title=Q101 undefined name::instance `QX` is not declared (standard input, line 2, column 27)"),
        "{typo}"
    );

    let o = qpol_in(&["--format", "sarif", "check", "-"], TYPO);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{doc}");
    for r in results {
        assert!(r.get("locations").is_none(), "{r}");
        assert!(r.get("fixes").is_none(), "{r}");
    }
    assert!(!doc.to_string().contains("stdin%3E"), "{doc}");
    assert!(
        results.iter().any(|r| r["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("instance `QX` is not declared (standard input, line 2, column 27)")),
        "{doc}"
    );
}

#[test]
fn diff_help_names_its_exit_codes_and_the_environment() {
    let o = qpol(&["diff", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("diff_help", stdout(&o));
    // Every command's long help has its exit codes; the short one stays short.
    for command in [
        "check",
        "compile",
        "test",
        "fmt",
        "explain",
        "graph",
        "completions",
        "man",
        "lsp",
        "diff",
    ] {
        let text = stdout(&qpol(&[command, "--help"]));
        assert!(text.contains("\nExit codes:\n"), "{command}: {text}");
        assert!(
            text.contains("QPOL_FORMAT") && text.contains("NO_COLOR"),
            "{command}"
        );
        assert!(
            !stdout(&qpol(&[command, "-h"])).contains("Exit codes:"),
            "{command}"
        );
    }
    let root = stdout(&qpol(&["--help"]));
    assert!(
        root.contains("3 access changed (diff)") && root.contains("NO_COLOR"),
        "{root}"
    );
    // The man page of diff too.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    assert_eq!(
        qpol(&["man", "--out", out.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let page = std::fs::read_to_string(out.join("qpol-diff.1")).unwrap();
    assert!(page.contains("effective access changed"), "{page}");
    assert!(page.contains("QPOL_FORMAT"), "{page}");
}

/// `qpol` with `QPOL_FORMAT` set to `value`.
fn qpol_env(value: &str, args: &[&str]) -> std::process::Output {
    command(args)
        .env("QPOL_FORMAT", value)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

const POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/org.qpol");

#[test]
fn an_empty_qpol_format_counts_as_unset() {
    let o = qpol_env("", &["check", POLICY]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 errors"), "{}", stdout(&o));
    let o = qpol_env("json", &["check", POLICY]);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["errors"], 0);
}

#[test]
fn a_format_a_command_cannot_print_is_refused_as_a_flag_and_ignored_from_the_environment() {
    for (args, command_name) in [
        (vec!["fmt", "--check", POLICY], "fmt"),
        (vec!["explain", "Q201"], "explain"),
        (vec!["graph", POLICY], "graph"),
        (vec!["completions", "bash"], "completions"),
    ] {
        for value in ["sarif", "github"] {
            let mut flagged = vec!["--format", value];
            flagged.extend(&args);
            let o = qpol(&flagged);
            assert_eq!(o.status.code(), Some(2), "{flagged:?}");
            assert!(o.stdout.is_empty(), "{flagged:?}");
            let err = stderr(&o);
            assert!(
                err.contains(&format!(
                    "error: `qpol {command_name}` cannot print `--format {value}`: it prints human or json"
                )) && err.contains("hint: `--format sarif|github` is for check, compile, test and diff"),
                "{err}"
            );
            // From the environment: the command's own (human) output.
            let o = qpol_env(value, &args);
            assert_ne!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            assert!(
                !stdout(&o).starts_with("{") && !stdout(&o).starts_with("::"),
                "{args:?}"
            );
        }
    }
    // `fmt --check` under QPOL_FORMAT=sarif: its unified diff and exit 1.
    let o = qpol_env("sarif", &["fmt", "--check", POLICY]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("--- "), "{}", stdout(&o));
    // Commands that can print it still do, from the environment too.
    let o = qpol_env("github", &["check", POLICY]);
    assert!(
        stdout(&o).starts_with("::notice file=") && stdout(&o).contains("\nqpol: 0 errors"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn completions_offer_files_for_paths_and_codes_for_explain() {
    let script = stdout(&qpol(&["completions", "bash"]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("qpol.bash");
    std::fs::write(&file, &script).unwrap();
    std::fs::write(dir.path().join("org.qpol"), "").unwrap();
    let run = |words: &str, cword: usize| {
        let program = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; _qpol qpol \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &program])
            .current_dir(dir.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for command in ["check", "compile", "test", "fmt", "graph", "diff"] {
        let offered = run(&format!("qpol {command} ''"), 2);
        assert!(
            offered.lines().any(|l| l == "org.qpol"),
            "{command}: {offered}"
        );
        assert!(!offered.contains("--help"), "{command}: {offered}");
        // A dash still gives the flags.
        assert!(
            run(&format!("qpol {command} --h"), 2).contains("--help"),
            "{command}"
        );
    }
    assert!(run("qpol check --baseline ''", 3).contains("org.qpol"));
    assert!(run("qpol graph --to ''", 3).contains("mermaid"));
    assert_eq!(
        run("qpol explain Q20", 2)
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["Q201", "Q202", "Q203"]
    );
    // zsh completes the paths with files and folders.
    let zsh = stdout(&qpol(&["completions", "zsh"]));
    assert!(
        zsh.contains("policy file, a folder") && zsh.contains(":_files'"),
        "{zsh}"
    );
    assert!(zsh.contains(":_files -/'"), "man --out: folders");
    // The completion definition does not change what `explain` accepts.
    let o = qpol(&["explain", "Q2O1"]);
    assert!(stderr(&o).contains("Q201"), "{}", stderr(&o));
}

#[test]
fn the_readme_github_sample_is_the_real_output() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let prompt = "$ qpol check --format github tests/fixtures/err/undefined_names.qpol";
    let block: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != prompt)
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .collect();
    let o = command(&[
        "--format",
        "github",
        "check",
        "tests/fixtures/err/undefined_names.qpol",
    ])
    .current_dir(env!("CARGO_MANIFEST_DIR"))
    .output()
    .unwrap();
    let real = stdout(&o);
    let real: Vec<&str> = real.lines().collect();
    // The sample: the real first line, `...`, the real last line.
    assert_eq!(block.len(), 3, "{block:?}");
    assert_eq!(block[0], real[0]);
    assert_eq!(block[1], "...");
    assert_eq!(block[2], *real.last().unwrap());
}

/// The `run: |` script of the workflow (or action) step named `name`.
fn workflow_step(workflow: &str, name: &str) -> (String, String) {
    let lines: Vec<&str> = workflow.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("- name: {name}"))
        .unwrap_or_else(|| panic!("no step {name}"));
    let step: Vec<&str> = lines[start + 1..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with("- name:"))
        .copied()
        .collect();
    let run = step
        .iter()
        .position(|l| l.trim() == "run: |")
        .map(|i| {
            let indent = step[i].len() - step[i].trim_start().len();
            step[i + 1..]
                .iter()
                .take_while(|l| l.len() - l.trim_start().len() > indent || l.is_empty())
                .map(|l| l.trim_start())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    (step.join("\n"), run)
}

/// The diff and comment steps live in the Action (action.yml) that the
/// example workflow uses.
#[test]
fn the_ci_example_fails_on_findings_and_posts_no_comment_on_errors() {
    let action =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    // Run the diff step with a stand-in qpol that exits with each code.
    let (_, script) = workflow_step(&action, "Access diff against the base branch");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::create_dir(dir.path().join("qpol")).unwrap();
    for code in [0, 1, 2, 3] {
        let fake = bin.join("qpol");
        std::fs::write(
            &fake,
            format!("#!/bin/sh\necho \"$*\" > args\necho diff\nexit {code}\n"),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        for (fail_on_change, deny) in [("false", "false"), ("true", "true")] {
            let output = dir.path().join("output");
            let o = std::process::Command::new("bash")
                .args(["-eo", "pipefail", "-c", &script])
                .current_dir(dir.path())
                .env(
                    "PATH",
                    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
                )
                .env("GITHUB_OUTPUT", &output)
                .env("RUNNER_TEMP", dir.path())
                .env("POLICY", "policies")
                .env("BASE_REF", "main")
                .env("DENY_WARNINGS", deny)
                .env("FAIL_ON_ACCESS_CHANGE", fail_on_change)
                .output()
                .unwrap();
            let fails = code == 1 || code == 2 || (code == 3 && fail_on_change == "true");
            assert_eq!(
                !o.status.success(),
                fails,
                "exit {code}, {fail_on_change}: {o:?}"
            );
            let outputs = std::fs::read_to_string(&output).unwrap();
            assert!(outputs.starts_with(&format!("exit={code}\n")), "{outputs}");
            let changed = match code {
                3 => "access-changed=true\n",
                2 => "",
                1 => "access-changed=unknown\n",
                _ => "access-changed=false\n",
            };
            assert_eq!(outputs.contains("access-changed="), !changed.is_empty());
            assert!(outputs.contains(changed), "{outputs}");
            let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
            assert!(
                args.contains("--git origin/main policies --max-bytes 60000"),
                "{args}"
            );
            assert_eq!(args.contains("--deny warnings"), deny == "true", "{args}");
            assert_eq!(
                std::fs::read_to_string(dir.path().join("qpol/diff.md")).unwrap(),
                "diff\n"
            );
            std::fs::remove_file(&output).unwrap();
        }
    }
    // The comment is posted for 0, 1 and 3, never for 2 (nor before the step ran).
    let (comment, _) = workflow_step(&action, "Post or update the access-diff comment");
    assert!(
        comment.contains("steps.diff.outputs.exit == '1'"),
        "{comment}"
    );
    assert!(
        !comment.contains("'2'") && !comment.contains("!= ''"),
        "{comment}"
    );
    // Both checks run against the base branch's policy; the install is pinned.
    for step in ["Check (annotations)", "Check (SARIF)"] {
        let (text, _) = workflow_step(&action, step);
        assert!(text.contains("--baseline-git \"$BASELINE_REV\""), "{text}");
    }
    let (baseline, script) = workflow_step(&action, "The base branch's policy (the baseline)");
    assert!(
        script.contains("git archive \"origin/$BASE_REF\""),
        "{baseline}"
    );
    let (install, _) = workflow_step(&action, "Install qpol");
    assert!(install.contains("pip install"), "{install}");
    assert!(install.contains("\"qpol-cli==$version\""), "{install}");
    assert!(install.contains("--only-binary=:all:"), "{install}");
}

#[test]
fn man_out_makes_only_the_last_level_and_graph_never_writes_a_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("missing/deep/man");
    let o = qpol(&["man", "--out", deep.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing/deep` does not exist"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("missing").exists());
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let o = qpol(&["man", "--out", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("file` is a file; --out names a folder"),
        "{}",
        stderr(&o)
    );
    let last = dir.path().join("man1");
    assert_eq!(
        qpol(&["man", "--out", last.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    assert!(last.join("qpol-diff.1").is_file());

    // graph -o into a policy folder as `*.qpol`: refused, nothing written.
    let policy = dir.path().join("pol");
    std::fs::create_dir(&policy).unwrap();
    std::fs::copy(POLICY, policy.join("org.qpol")).unwrap();
    for name in ["x.qpol", "X.QPOL"] {
        let target = policy.join(name);
        let o = qpol(&[
            "graph",
            policy.to_str().unwrap(),
            "-o",
            target.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(
            stderr(&o).contains("a `*.qpol` file would be read as policy"),
            "{}",
            stderr(&o)
        );
        assert!(!target.exists());
    }
    let dot = policy.join("x.dot");
    let o = qpol(&[
        "graph",
        policy.to_str().unwrap(),
        "-o",
        dot.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
