//! The README's quick start is what qpol prints: each `console` block of
//! the section is replayed in a temporary folder (the edits the text
//! describes made in between) and its output compared, exactly where the
//! block shows all of it, line by line in order where it elides with `...`.
//! The plan and apply run against the emulator. Output is stdout, then
//! stderr (a terminal shows both).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "support/emulator.rs"]
mod emulator_support;
#[path = "support/live_bin.rs"]
#[allow(dead_code)]
mod live_bin;
#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;
use run::{qpol_at, stdout};

use std::path::Path;

/// The README's emulator account stands for the reader's own.
const README_ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

/// The quick start's `console` blocks: (commands, output) per `$` line.
fn steps() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("## Quick start\n")
        .expect("a Quick start section");
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    for line in section[..end].lines() {
        match (inside, line) {
            (false, "```console") => inside = true,
            (true, "```") => inside = false,
            (true, l) if l.starts_with("$ ") => steps.push((l[2..].to_string(), String::new())),
            (true, l) => {
                let (_, out) = steps.last_mut().expect("output after a command");
                out.push_str(l);
                out.push('\n');
            }
            _ => {}
        }
    }
    steps
}

/// `shown` (the README's) against `real`: equal, or with `...` lines
/// standing for any lines, the rest in order.
fn matches(shown: &str, real: &str) -> bool {
    if !shown.lines().any(|l| l == "...") {
        return shown == real;
    }
    let mut real_lines = real.lines();
    shown
        .lines()
        .filter(|l| *l != "...")
        .all(|want| real_lines.any(|l| l == want))
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "the quick start's edit needs `{from}`");
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_quick_start_prints_what_the_readme_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let e = live_bin::emulator("quick-start-key", "", 1, None);
    let mut cwd = tmp.path().to_path_buf();
    let mut checked = 0;
    for (command, shown) in steps() {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            ["cd", dir] => {
                cwd = cwd.join(dir);
                continue;
            }
            ["export", ..] | ["terraform", ..] => continue,
            ["qpol", "check", ..] => {
                // The edit the text describes: QR-common in both projects.
                let policy = cwd.join("policies/main.qpol");
                edit(
                    &policy,
                    "  instances QR-ml;",
                    "  instances QR-ml, QR-common;",
                );
                edit(
                    &policy,
                    "  instances QR-finance;",
                    "  instances QR-finance, QR-common;",
                );
            }
            ["qpol", "test", ..] => {
                // Declared, with the assert the text adds.
                let policy = cwd.join("policies/main.qpol");
                edit(
                    &policy,
                    "resource_group quantum;\n",
                    "resource_group quantum;\n\ninstance QR-common { plan standard; region us-east; resource_group quantum; }\n",
                );
                edit(
                    &policy,
                    "assert finance-member cannot job.read on QR-ml;\n",
                    "assert finance-member cannot job.read on QR-ml;\nassert finance-member can job.read on QR-common;\n",
                );
                let clean = qpol_at(&cwd, &["check", "policies"]);
                assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
                assert_eq!(stdout(&clean), "", "check prints nothing once declared");
            }
            _ => {}
        }
        let args: Vec<String> = words[1..]
            .iter()
            .map(|w| w.replace(README_ACCOUNT, qpol::emulator::DEFAULT_ACCOUNT))
            .collect();
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--color", "never"]);
        if args.first() == Some(&"apply") {
            // The reader answers the prompt; off a terminal that is --yes.
            args.push("--yes");
        }
        let output = live_bin::cmd(&e, "quick-start-key", &args)
            .current_dir(&cwd)
            .output()
            .unwrap();
        // A terminal shows both streams; qpol's `wrote FILE` is on stderr.
        let real = stdout(&output) + &run::stderr(&output);
        assert!(
            matches(&shown, &real),
            "`{command}` printed:\n{real}\nthe README shows:\n{shown}"
        );
        checked += 1;
    }
    assert_eq!(checked, 6, "init, check, test, compile, plan, apply");
}
