//! What qpol prints for people never carries a terminal escape sequence or
//! a bidirectional control from the policy: source lines, file names,
//! messages quoting policy text, `qpol test` and `fmt --check` output show
//! them as `\u{1B}`, `\u{202E}`, even with `--color never`. JSON output
//! keeps the exact text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::run::qpol;

use std::path::Path;
use std::process::Output;

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// No raw ESC, RLO, zero-width space or other control in what was printed.
fn assert_nothing_hidden(printed: &str) {
    for c in ['\u{1B}', '\u{202E}', '\u{200B}', '\u{7}'] {
        assert!(
            !printed.contains(c),
            "{c:?} printed raw:\n{}",
            printed.escape_debug()
        );
    }
}

const EVIL_NAME: &str = "evil\u{1B}[31m\u{202E}name.qpol";

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn source_lines_and_file_names_are_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        EVIL_NAME,
        "instance QR-ml { plan standard; region us-east; }\n\
         role w { display_name \"Writer \u{202E} \u{1B}[2J\"; actions device.read, job.read; }\n\
         project ml { instances QR-ml; members user \"a@example.com\"; role w; }\n",
    );
    let out = qpol(&[
        "check".as_ref(),
        "--color".as_ref(),
        "never".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let printed = text(&out);
    assert_nothing_hidden(&printed);
    assert!(
        printed.contains("evil\\u{1B}[31m\\u{202E}name.qpol:2:"),
        "{printed}"
    );
    assert!(
        printed.contains("display_name \"Writer \\u{202E} \\u{1B}[2J\""),
        "{printed}"
    );
    // The label still points at the escaped character.
    let line = printed
        .lines()
        .find(|l| l.contains("display_name"))
        .unwrap();
    let column = line[..line.find("\\u{202E}").unwrap()].chars().count();
    let marker = printed
        .lines()
        .skip_while(|l| !l.contains("display_name"))
        .nth(1)
        .unwrap();
    assert_eq!(
        marker.chars().position(|c| c == '─'),
        Some(column),
        "{printed}"
    );

    // JSON keeps the exact file name and text.
    let json = qpol(&[
        "check".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        path.as_os_str(),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let first = &doc["diagnostics"][0];
    assert!(first["primary"]["file"]
        .as_str()
        .unwrap()
        .ends_with(EVIL_NAME));
}

#[test]
fn messages_quoting_policy_text_and_test_results_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // Written as visible escapes, the value is accepted; printed, it stays visible.
    let path = write(
        dir.path(),
        "p.qpol",
        "instance QR-ml { plan standard; region us-east; }\n\
         project ml { instances QR-ml; members user \"a@example.com\"; role reader; }\n\
         assert user \"x\\u{202E}\\u{1B}[2J@example.com\" can job.read on QR-ml;\n",
    );
    let out = qpol(&[
        "test".as_ref(),
        "--color".as_ref(),
        "never".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let printed = text(&out);
    assert_nothing_hidden(&printed);
    assert!(
        printed.contains("x\\u{202E}\\u{1B}[2J@example.com"),
        "{printed}"
    );
    assert!(printed.contains("0 passed, 1 failed"), "{printed}");
}

#[test]
fn compile_and_fmt_print_file_names_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        EVIL_NAME,
        "instance QR-ml { plan standard; region us-east; }\nproject ml { instances QR-ml; members user \"a@example.com\"; role reader; }\n",
    );
    let out_dir = dir.path().join("out\u{1B}[2J");
    let out = qpol(&[
        "compile".as_ref(),
        path.as_os_str(),
        "-o".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_nothing_hidden(&text(&out));
    assert!(text(&out).contains("out\\u{1B}[2J"), "{}", text(&out));

    std::fs::write(
        &path,
        "instance   QR-ml { plan standard; region us-east; }\n",
    )
    .unwrap();
    let out = qpol(&["fmt".as_ref(), "--check".as_ref(), path.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert_nothing_hidden(&text(&out));
    assert!(text(&out).contains("evil\\u{1B}[31m\\u{202E}name.qpol"));
}

#[test]
fn fmt_writes_hidden_characters_of_a_string_as_visible_escapes() {
    let text = "role w { display_name \"a\\u{202E}b\\u{200B}c\\u{1b}\"; actions device.read; }\n";
    let formatted = qpol::fmt::format_text("p.qpol", text).unwrap();
    assert_nothing_hidden(&formatted);
    assert!(
        formatted.contains(r#""a\u{202e}b\u{200b}c\u{1b}""#),
        "{formatted}"
    );
}

/// A newline or a tab in a file name never reaches a human report raw: it
/// would start a forged line (`+++ fake.qpol`). JSON keeps the exact name.
#[test]
fn file_names_with_line_ends_are_escaped_inline() {
    let dir = tempfile::tempdir().unwrap();
    let forged = dir.path().join("z\n+++ fake.qpol");
    std::fs::write(&forged, "instance   QR {plan standard;region us-east}\n").unwrap();
    let o = qpol(&[
        "fmt",
        "--check",
        "--color",
        "never",
        forged.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let printed = text(&o);
    assert!(
        !printed.lines().any(|l| l.starts_with("+++ fake.qpol")),
        "{printed}"
    );
    assert!(printed.contains("z\\u{A}+++ fake.qpol"), "{printed}");
    // The snippet header of a diagnostic.
    let broken = dir.path().join("nl\nx.qpol");
    std::fs::write(&broken, "instance a {\n").unwrap();
    let o = qpol(&["check", "--color", "never", broken.to_str().unwrap()]);
    let printed = text(&o);
    assert!(printed.contains("nl\\u{A}x.qpol:"), "{printed}");
    // An unreadable file, and a written one.
    let missing = dir.path().join("no\tsuch.qpol");
    let printed = text(&qpol(&["check", missing.to_str().unwrap()]));
    assert!(printed.contains("no\\u{9}such.qpol"), "{printed}");
    let good = dir.path().join("good.qpol");
    std::fs::write(&good, "instance a {\n  plan lite;\n  region us-east;\n}\n").unwrap();
    let out = dir.path().join("o\nut");
    let printed = text(&qpol(&[
        "compile",
        good.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]));
    assert!(
        printed.contains("wrote ") && printed.contains("o\\u{A}ut"),
        "{printed}"
    );
    for line in printed.lines() {
        assert!(!line.starts_with("ut/"), "{printed}");
    }
    // JSON keeps the exact name.
    let o = qpol(&["--format", "json", "check", broken.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        doc["diagnostics"][0]["primary"]["file"],
        broken.to_str().unwrap()
    );
}

/// A line of human output that a decoded `\n` in a policy value forged.
fn forged_lines(printed: &str) -> Vec<&str> {
    printed
        .lines()
        .filter(|l| l.trim_start().starts_with("error[Q999]"))
        .collect()
}

#[test]
fn decoded_line_ends_and_tabs_in_values_never_forge_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let policies = [
        "account { id \"x\\ty\\nerror[Q999] forged\"; }\n",
        "instance QR-ml { plan standard; region us-east; }\n\
         project ml { instances QR-ml; members user \"a\\nerror[Q999] forged@example.com\"; role reader; }\n",
        "idp v { kind saml; attribute p; realm \"https://x.example.com/\\nerror[Q999] forged\"; }\n",
        "idp v { kind appid; region us-south; tenant \"t\\nerror[Q999] forged\"; attribute p; }\n",
    ];
    for (i, policy) in policies.iter().enumerate() {
        let path = write(dir.path(), &format!("p{i}.qpol"), policy);
        let out = qpol(&[
            "check".as_ref(),
            "--color".as_ref(),
            "never".as_ref(),
            path.as_os_str(),
        ]);
        let printed = text(&out);
        assert!(printed.contains("error["), "{printed}");
        assert!(!printed.contains('\t'), "{}", printed.escape_debug());
        assert_eq!(forged_lines(&printed), Vec::<&str>::new(), "{printed}");
        // JSON keeps the exact text.
        let out = qpol(&[
            "check".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            path.as_os_str(),
        ]);
        let json = String::from_utf8_lossy(&out.stdout);
        assert!(json.contains("\\nerror[Q999] forged"), "{json}");
    }
    let path = write(
        dir.path(),
        "t.qpol",
        "instance QR-ml { plan standard; region us-east; }\n\
         project ml { instances QR-ml; members user \"a@example.com\"; role reader; }\n\
         assert user \"x\\nerror[Q999] forged\\t@example.com\" can job.read on QR-ml;\n",
    );
    let out = qpol(&[
        "test".as_ref(),
        "--color".as_ref(),
        "never".as_ref(),
        path.as_os_str(),
    ]);
    let printed = text(&out);
    assert_eq!(forged_lines(&printed), Vec::<&str>::new(), "{printed}");
}
