//! Bad input never panics or hangs, and always gets a diagnostic with a
//! location: empty and binary files, truncations, deep and repeated
//! openings, huge files, huge names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::diag::{render, Code, Severity};
use qpol::Policy;

fn check_bytes(bytes: &[u8]) -> qpol::checks::CheckResult {
    let mut policy = Policy::default();
    policy.add_bytes("bad.qpol", bytes.to_vec());
    let result = qpol::checks::check(policy);
    // Rendering must not panic either, whatever the spans.
    for d in result.diagnostics.iter().take(20) {
        let _ = render::human(d, &result.sources, render::Style::Plain);
    }
    let _ = render::json_all(&result.diagnostics, &result.sources, &[]);
    result
}

fn codes(result: &qpol::checks::CheckResult) -> Vec<Code> {
    result.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn empty_and_blank_files_warn_that_nothing_is_declared() {
    for text in ["", "   \n\n", "# only a comment\n", "\u{FEFF}"] {
        let result = check_bytes(text.as_bytes());
        assert_eq!(codes(&result), vec![Code::EmptyPolicy], "{text:?}");
    }
}

#[test]
fn binary_and_non_utf8_input_is_reported_at_the_first_bad_byte() {
    let result = check_bytes(&[0x70, 0x72, 0x6f, 0xff, 0xfe, 0x00, 0x01]);
    assert_eq!(codes(&result), vec![Code::UnreadableInput]);
    assert_eq!(result.diagnostics[0].primary.span.start(), 3);
    // NUL and control bytes are valid UTF-8: they are hidden characters
    // (Q006), reported instead of the syntax errors they also are.
    let result = check_bytes(b"\x00\x01\x02 project \x07");
    assert!(codes(&result).contains(&Code::HiddenCharacter));
    assert!(!codes(&result).contains(&Code::SyntaxError));
}

#[test]
fn every_truncation_of_the_seed_policy_is_handled() {
    let text = std::fs::read_to_string("policies/org.qpol").unwrap();
    let mut cut = 0;
    while cut < text.len() {
        if text.is_char_boundary(cut) {
            let result = check_bytes(&text.as_bytes()[..cut]);
            for d in &result.diagnostics {
                assert!(
                    d.primary.span.end() <= cut,
                    "span past the end at cut {cut}: {d:?}"
                );
            }
        }
        cut += 7;
    }
}

#[test]
fn ten_thousand_nested_openings_give_one_error() {
    for open in ["{", "<", "[", "attributes {"] {
        let text = format!("project a {}", open.repeat(10_000));
        let result = check_bytes(text.as_bytes());
        let syntax = result
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::SyntaxError)
            .count();
        assert_eq!(syntax, 1, "{open}");
    }
}

#[test]
fn ten_thousand_repeated_openings_stop_at_the_error_limit() {
    let text = "project a {\n".repeat(10_000);
    let result = check_bytes(text.as_bytes());
    assert!(codes(&result).contains(&Code::TooManyErrors));
    let syntax = result
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::SyntaxError)
        .count();
    assert_eq!(syntax, 200);
}

#[test]
fn garbage_between_statements_is_one_error_and_later_statements_are_read() {
    let text = "%%% !!! ;;; }}} >>>\n@@@\ninstance QR-ml { plna lite; region us-east; }\n";
    let result = check_bytes(text.as_bytes());
    let found = codes(&result);
    assert_eq!(found.iter().filter(|c| **c == Code::SyntaxError).count(), 1);
    assert!(
        found.contains(&Code::UnknownSetting),
        "the instance after the garbage is checked: {found:?}"
    );
}

#[test]
fn a_name_of_ten_thousand_characters_is_reported() {
    let name = "n".repeat(10_000);
    let text = format!("instance {name} {{ plan lite; region us-east; }}\nproject p {{ instances {name}; members user \"a@b.c\"; role reader; }}\n");
    let result = check_bytes(text.as_bytes());
    assert_eq!(codes(&result), vec![Code::InvalidName]);
    assert_eq!(result.diagnostics[0].severity, Severity::Error);
}

#[test]
fn unterminated_strings_and_stray_closers() {
    for text in [
        "project a { description \"no end; }\nrole r { actions job.read; }",
        "}",
        ">",
        "project a > ",
        "assert",
        "assert x can",
        "project a { members where }",
        "project a { members where x in [\"a\", }",
        "user u { attributes { a \"b\" c } }",
        "\"string at top level\"",
    ] {
        let result = check_bytes(text.as_bytes());
        assert!(result.errors() > 0, "{text:?} must be an error");
        for d in &result.diagnostics {
            assert!(d.primary.span.end() <= text.len());
        }
    }
}

#[test]
fn a_fifty_megabyte_policy_is_read_to_the_end() {
    // 50 MB of valid statements, one broken statement at the very end.
    let unit = "instance QR-x { plan lite; region us-east; }\n";
    let mut text = String::with_capacity(50 * 1024 * 1024 + 64);
    let mut i = 0;
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&unit.replace("QR-x", &format!("QR-{i}")));
        i += 1;
    }
    text.push_str("instance broken { plan lite region us-east; }\n");
    let mut policy = Policy::default();
    policy.add_text("big.qpol", &text);
    let parsed = &policy.files[0].1;
    assert_eq!(parsed.file.statements.len(), i);
    let errors: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::SyntaxError)
        .collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].primary.span.start() > 50 * 1024 * 1024 - 100);
}

/// Runs the real binary on `text` and returns (exit code, stdout, stderr);
/// a panic (101) or an abort (134, stack overflow) fails the test.
fn run_binary(args: &[&str], text: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.qpol");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qpol"))
        .args(args)
        .arg(&file)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        code == 0 || code == 1,
        "{args:?} exited with {code:?} (signal or panic): {}",
        stderr.chars().take(2000).collect::<String>()
    );
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

#[test]
fn a_diagnostic_past_column_65535_is_rendered_clipped() {
    let text = format!("{}bogus;\n", " ".repeat(70_000));
    for cmd in [&["check"][..], &["compile", "-o", "out"]] {
        let (code, stdout, _) = run_binary(cmd, &text);
        assert_eq!(code, 1);
        assert!(stdout.contains("bogus"), "{stdout}");
        assert!(stdout.contains("1:70001"), "{stdout}");
        assert!(stdout.contains('…'), "the line is clipped: {stdout}");
        assert!(stdout.lines().all(|l| l.chars().count() < 600), "{stdout}");
    }
}

#[test]
fn every_span_on_long_lines_renders() {
    // Labels at many columns of long lines, with long context lines.
    let long = format!("project p {{ instances {} }}\n", "x, ".repeat(40_000));
    let text = format!("{long}{}bogus\n{long}", " ".repeat(66_000));
    let result = check_bytes(text.as_bytes());
    assert!(result.errors() > 0);
    for d in &result.diagnostics {
        let shown = render::human(d, &result.sources, render::Style::Plain);
        assert!(shown.lines().all(|l| l.chars().count() < 600), "{shown}");
    }
}

#[test]
fn a_cycle_of_ninety_thousand_groups_is_reported() {
    let n = 90_000;
    let text: String = (0..n)
        .map(|i| format!("group g{i} {{ groups g{}; }}\n", (i + 1) % n))
        .collect();
    let (code, stdout, _) = run_binary(&["check"], &text);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("Q211"),
        "{}",
        &stdout[..stdout.len().min(2000)]
    );
    assert!(stdout.len() < 100_000, "the report stays short");
    let (code, _, _) = run_binary(&["compile", "-o", "out"], &text);
    assert_eq!(code, 1);
}

#[test]
fn a_chain_of_ninety_thousand_groups_checks() {
    let n = 90_000;
    let mut text: String = (0..n)
        .map(|i| format!("group g{i} {{ groups g{}; }}\n", i + 1))
        .collect();
    text.push_str(&format!(
        "group g{n} {{ projects p; members user \"a@b.c\"; }}\nproject p {{ }}\n"
    ));
    let (code, _, _) = run_binary(&["check", "--format", "json"], &text);
    assert!(code <= 1);
    let (_, _, _) = run_binary(&["compile", "-o", "out"], &text);
}

#[test]
fn malformed_acknowledgements_are_errors_with_a_hint_never_panics() {
    for text in [
        "allow;",
        "allow Q201;",
        "allow Q201 on;",
        "allow Q201 on project;",
        "allow Q201 on project ml;",
        "allow Q201 on project ml reason;",
        "allow Q999 \"no such code\";",
        "allow Q \"half a code\";",
        "allow Q201 on \"x\" ml \"kind is a string\";",
        "allow Q201 on project ml \"\u{0}\";",
        "allow delete;",
        "allow delete on project x \"scope on a change\";",
        "allow Q201 on instance QR-x \"unknown instance\";",
        "allow Q201 on role nope \"unknown role\";",
        "allow Q201 on user nobody \"unknown user\";",
    ] {
        let result = check_bytes(text.as_bytes());
        assert!(result.errors() > 0, "{text:?} must be an error");
        for d in &result.diagnostics {
            assert!(d.primary.span.end() <= text.len(), "{text:?}: {d:?}");
            assert!(d.help.is_some(), "{text:?}: {} has no hint", d.message);
        }
    }
}

#[test]
fn broken_limits_blocks_are_errors_with_a_location() {
    for (text, code) in [
        (
            "account { limits { policies 99999999999999999999999999; } }",
            Code::ValueOutOfRange,
        ),
        ("account { limits { policies 0; } }", Code::ValueOutOfRange),
        ("account { limits { policies -5; } }", Code::SyntaxError),
        (
            "account { limits { policies [\"1\"]; } }",
            Code::InvalidValue,
        ),
        ("account { limits { policies 1_; } }", Code::InvalidValue),
        ("account { limits { policies; } }", Code::SyntaxError),
        ("account { limits { policies 10 } } }", Code::SyntaxError),
        (
            "account { limits { limits { policies 10 } } }",
            Code::SyntaxError,
        ),
        ("account { limits policies 10; }", Code::SyntaxError),
        ("account { limits { pollicies 10; } }", Code::UnknownSetting),
        ("user u { limits { users 10; } }", Code::UnknownSetting),
    ] {
        let result = check_bytes(text.as_bytes());
        assert!(
            codes(&result).contains(&code),
            "{text:?}: {:?}",
            result.diagnostics
        );
        for d in &result.diagnostics {
            assert!(d.primary.span.end() <= text.len(), "{text:?}");
            assert!(d.primary.span.end() > 0, "{text:?}: {d:?}");
        }
    }
}
