//! Line endings: LF, CRLF and old Mac CR-only files read alike: a lone CR
//! ends a line (and a comment) everywhere, and diagnostics name the right line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::backends::{self, Target};
use qpol::diag::render;

fn check(text: &str) -> qpol::checks::CheckResult {
    let mut policy = qpol::Policy::default();
    policy.add_text("org.qpol", text);
    qpol::checks::check(policy)
}

/// Each diagnostic as `code line:column message` (JSON form, no source text).
fn findings(result: &qpol::checks::CheckResult) -> Vec<String> {
    result
        .diagnostics
        .iter()
        .map(|d| {
            let v = render::json_value(d, &result.sources);
            format!(
                "{} {}:{}-{}:{} {}",
                v["code"],
                v["primary"]["line"],
                v["primary"]["column"],
                v["primary"]["end_line"],
                v["primary"]["end_column"],
                v["message"]
            )
        })
        .collect()
}

#[test]
fn a_cr_only_copy_of_the_seed_policy_checks_and_compiles_like_the_original() {
    let lf = std::fs::read_to_string("policies/org.qpol").unwrap();
    assert!(lf.starts_with('#'));
    for ending in ["\r", "\r\n"] {
        let other = lf.replace('\n', ending);
        let (a, b) = (check(&lf), check(&other));
        assert_eq!(findings(&a), findings(&b), "{ending:?}");
        if ending == "\r" {
            let human = |r: &qpol::checks::CheckResult| {
                render::human_all(&r.diagnostics, &r.sources, render::Style::Plain)
            };
            assert_eq!(human(&a), human(&b));
        }
        for target in [Target::Terraform, Target::IbmApi] {
            let (x, y) = (backends::compile(&a, target), backends::compile(&b, target));
            assert!(x.text().is_some());
            assert_eq!(x.text(), y.text(), "{ending:?} {target:?}");
        }
    }
}

#[test]
fn a_cr_only_file_names_the_right_line() {
    let text = "# a comment\rproject p { instances QR-x; members user \"a@b.c\"; }\r\rbogus;\r";
    let result = check(text);
    let shown = findings(&result);
    assert!(
        shown.iter().any(|f| f.starts_with("\"Q001\" 4:1-")),
        "{shown:#?}"
    );
    let d = result
        .diagnostics
        .iter()
        .find(|d| d.code.id() == "Q001")
        .unwrap();
    let human = render::human(d, &result.sources, render::Style::Plain);
    assert!(human.contains("[org.qpol:4:1]"), "{human}");
    assert!(human.contains(" 4 │ bogus;"), "{human}");
}

#[test]
fn cr_only_comments_end_at_the_cr_when_formatting() {
    let text = "# one\rresource_group quantum; # two\r# three\rresource_group other;\r";
    let out = qpol::fmt::format_text("f.qpol", text).unwrap();
    assert_eq!(
        out,
        "# one\nresource_group quantum; # two\n# three\nresource_group other;\n"
    );
}

#[test]
fn a_hidden_character_in_a_cr_only_file_is_shown_escaped_on_its_own_line() {
    let text = "# one\rinstance QR-\u{202E}ml { plan lite; region us-east; }\rbogus\r";
    let result = check(text);
    let human = render::human_all(&result.diagnostics, &result.sources, render::Style::Plain);
    // The lone CRs end lines (they are not hidden characters), the RLO is.
    assert!(human.contains(" 2 │ instance QR-\\u{202E}ml {"), "{human}");
    assert!(human.contains(" 3 │ bogus"), "{human}");
    assert!(!human.contains("\\u{D}"), "{human}");
    assert!(!human.contains('\u{202E}'), "{human}");
    let codes: Vec<&str> = result.diagnostics.iter().map(|d| d.code.id()).collect();
    assert!(
        codes.contains(&"Q006") && codes.contains(&"Q001"),
        "{codes:?}"
    );
    assert!(
        !codes.contains(&"Q007"),
        "a CR is no hidden character: {codes:?}"
    );
}
