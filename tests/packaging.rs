//! The packaging files name this version: the Action reads it from its own
//! Cargo.toml, the example workflow and pre-commit config pin its tag, the
//! README's install lines too, and the wheel takes it from Cargo.toml. A
//! version bump that forgets one of them fails here (no network needed; the
//! wheel, the Action and the hooks themselves are exercised by
//! .ci/package.sh).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read(file: &str) -> String {
    std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every `MARK` of `text` is followed by `v<VERSION>`; there is at least one.
fn pins_this_version(file: &str, text: &str, mark: &str) {
    let tag = format!("v{VERSION}");
    let found: Vec<&str> = text
        .match_indices(mark)
        .map(|(i, _)| {
            let rest = &text[i + mark.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect();
    assert!(!found.is_empty(), "{file} has no `{mark}`");
    for pinned in found {
        assert_eq!(
            pinned, tag,
            "{file}: `{mark}{pinned}`, this version is {tag}"
        );
    }
}

#[test]
fn example_workflow_uses_the_action_of_this_release() {
    let file = "examples/ci/qpol.yml";
    let text = read(file);
    pins_this_version(file, &text, "uses: qpol-dev/qpol@");
    // The Action's inputs it sets exist.
    let action = read("action.yml");
    for input in ["path", "deny-warnings", "comment", "fail-on-access-change"] {
        assert!(text.contains(&format!("{input}: ")), "{file} lacks {input}");
        assert!(
            action.contains(&format!("\n  {input}:\n")),
            "action.yml lacks {input}"
        );
    }
    assert!(
        text.contains("fetch-depth: 0"),
        "{file}: qpol diff --git needs the history"
    );
}

#[test]
fn example_pre_commit_config_pins_this_release() {
    let file = "examples/ci/pre-commit-config.yaml";
    let text = read(file);
    assert!(text.contains(&format!("repo: {}\n", env!("CARGO_PKG_REPOSITORY"))));
    pins_this_version(file, &text, "rev: ");
    let hooks = read(".pre-commit-hooks.yaml");
    for id in ["qpol-check", "qpol-fmt"] {
        assert!(text.contains(&format!("- id: {id}\n")), "{file} lacks {id}");
        assert!(
            hooks.contains(&format!("- id: {id}\n")),
            "the manifest lacks {id}"
        );
    }
}

#[test]
fn readme_install_lines_name_this_release() {
    let text = read("README.md");
    pins_this_version("README.md", &text, "uses: qpol-dev/qpol@");
    pins_this_version("README.md", &text, "github.com/qpol-dev/qpol@");
    pins_this_version("README.md", &text, "--tag ");
    pins_this_version("README.md", &text, "rev: ");
    assert!(
        text.contains(&format!("qpol {VERSION} (")),
        "README's --version line"
    );
}

/// The Action's default version is read from its own Cargo.toml by the awk
/// program of its install step: run that program on this Cargo.toml.
#[test]
fn action_reads_this_version_from_its_cargo_toml() {
    let action = read("action.yml");
    let line = action
        .lines()
        .find(|l| l.contains("awk '") && l.contains("\"$GITHUB_ACTION_PATH/Cargo.toml\""))
        .expect("the install step reads $GITHUB_ACTION_PATH/Cargo.toml with awk");
    let program = line.split('\'').nth(1).unwrap();
    let out = Command::new("awk")
        .args([program, "Cargo.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), VERSION);
    // ... and installs that version of the wheel with pip.
    assert!(
        action.contains("pip install --quiet --disable-pip-version-check --only-binary=:all: \"qpol-cli==$version\"")
    );
    // Inputs reach the shell through `env:` only (no script injection).
    let mut in_run = false;
    for line in action.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("run: |") {
            in_run = true;
        } else if in_run && !line.starts_with("        ") && !trimmed.is_empty() {
            in_run = false;
        }
        assert!(
            !(in_run && line.contains("${{")),
            "action.yml: an expression inside a run script: {line}"
        );
    }
}

/// One version, two packages: the wheel's version is Cargo.toml's.
#[test]
fn pyproject_takes_the_version_from_cargo_toml() {
    let text = read("pyproject.toml");
    assert!(text.contains("dynamic = [\"version\"]"));
    assert!(
        !text.lines().any(|l| l.starts_with("version")),
        "a second version"
    );
    assert!(text.contains("bindings = \"bin\""));
    // `qpol` on PyPI is an unrelated project: never install that one.
    assert!(text.contains("\nname = \"qpol-cli\"\n"));
    assert!(text.contains("readme = \"README.md\""));
    assert!(text.contains("license = \"Apache-2.0\""));
    assert!(read("LICENSE").contains("Apache License\n                        Version 2.0"));
}
