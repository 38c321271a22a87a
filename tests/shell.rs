//! `qpol completions SHELL` and `qpol man`: every shell's script and every
//! manual page name every command; the bash script is valid bash.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::run::{qpol, stderr, stdout};

/// Every command of `qpol --help` (clap's own `help` aside).
fn commands() -> Vec<String> {
    let names: Vec<String> = qpol::cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "help")
        .collect();
    for expected in [
        "check",
        "compile",
        "test",
        "fmt",
        "explain",
        "graph",
        "completions",
        "man",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    names
}

#[test]
fn every_shell_completes_every_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = qpol(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.len() > 1000, "{shell}: {script}");
        for command in commands() {
            assert!(script.contains(&command), "{shell} lacks {command}");
        }
        // Flags of a command, and (bash, zsh, fish) values of an enumerated flag.
        assert!(script.contains("focus"), "{shell}");
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(script.contains("mermaid"), "{shell}");
        }
    }
    let out = qpol(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_bash_completion_is_valid_bash_and_completes() {
    let script = stdout(&qpol(&["completions", "bash"]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("qpol.bash");
    std::fs::write(&file, &script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Load it and ask what `qpol gr<TAB>` and `qpol graph --t<TAB>` complete to.
    let run = |words: &str, cword: usize| {
        let program = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; _qpol qpol \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &program])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(run("qpol gr", 1).trim(), "graph");
    assert!(run("qpol graph --to ''", 3).contains("mermaid"));
}

#[test]
fn the_man_page_names_every_command() {
    let out = qpol(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section}");
    }
    for command in commands() {
        assert!(page.contains(&format!("qpol\\-{command}(1)")), "{command}");
    }
}

#[test]
fn man_out_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("man1");
    let out = qpol(&["man", "--out", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut names: Vec<String> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = commands().iter().map(|c| format!("qpol-{c}.1")).collect();
    expected.push("qpol.1".to_string());
    expected.sort();
    assert_eq!(names, expected);
    let graph = std::fs::read_to_string(target.join("qpol-graph.1")).unwrap();
    assert!(graph.contains(".SH NAME\nqpol\\-graph"), "{graph}");
    assert!(
        graph.contains("\\-\\-focus") && graph.contains("\\-\\-to"),
        "{graph}"
    );
    assert!(stderr(&out).contains("wrote"), "{}", stderr(&out));
    // A file where the folder should be: exit 2, named.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let out = qpol(&["man", "--out", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--out names a folder"),
        "{}",
        stderr(&out)
    );
}
