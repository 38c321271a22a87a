//! The hand-written parser (`src/syntax/fast.rs`) against the pest grammar:
//! for every fixture, every bundled policy, generated policies and mangled
//! ones, `parse_file` (fast path, pest for what it gives up) and
//! `parse_file_pest_only` give the same tree (nodes and spans), the same
//! diagnostics, the same broken names and the same comments.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use qpol::diag::FileId;
use qpol::syntax::{parse_file, parse_file_pest_only};
use std::path::{Path, PathBuf};

/// Both parses, as text (every node of the tree derives `Debug`).
fn both(text: &str) -> (String, String) {
    let fast = format!("{:#?}", parse_file(FileId(0), text));
    let pest = format!("{:#?}", parse_file_pest_only(FileId(0), text));
    (fast, pest)
}

fn assert_same(text: &str, what: &str) {
    let (fast, pest) = both(text);
    if fast != pest {
        let diff = similar_lines(&pest, &fast);
        panic!("fast and pest parses differ for {what}:\n{diff}\n--- input:\n{text}");
    }
}

/// The first differing lines of two renderings.
fn similar_lines(a: &str, b: &str) -> String {
    let (a, b): (Vec<_>, Vec<_>) = (a.lines().collect(), b.lines().collect());
    let first = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let from = first.saturating_sub(8);
    format!(
        "pest:\n{}\nfast:\n{}",
        a[from..(first + 8).min(a.len())].join("\n"),
        b[from..(first + 8).min(b.len())].join("\n")
    )
}

fn qpol_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            qpol_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "qpol") {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_and_bundled_policy_parses_the_same_both_ways() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    qpol_files(&root.join("tests/fixtures"), &mut files);
    qpol_files(&root.join("policies"), &mut files);
    files.sort();
    assert!(files.len() > 50, "fixtures not found: {files:?}");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        assert_same(&text, &path.display().to_string());
    }
}

#[test]
fn a_synthetic_org_parses_the_same_both_ways() {
    let org = qpol::synth::generate(&qpol::synth::OrgSpec::new(200, 1_000, 10));
    assert_same(&org.text, "a synthetic org");
    // ... and the fast path read every statement of it but the account,
    // whose `limits { }` block it leaves to pest.
    let (parsed, read_fast) = qpol::syntax::parse_file_counting_fast(FileId(0), &org.text);
    assert!(read_fast > 1_000);
    assert!(org.text.contains("account { limits {"));
    assert_eq!(read_fast + 1, parsed.file.statements.len());
}

#[test]
fn unusual_forms_parse_the_same_both_ways() {
    let cases = [
        "project existing { }",
        "project a existing;",
        "project;",
        "project a {} ;",
        "project a {} \u{FEFF};",
        "project a {}\u{FEFF}\nproject b {}",
        "project a { instances a \u{FEFF}, b; }",
        "project a { members; }",
        "project a { members user; }",
        "project a { members where x contains \"y\" and; }",
        "project a { members where x contains \"y\" role; }",
        "project a { members user a, ; }",
        "project a { members from from where from in [\"a\",] role role }",
        "user u { attributes project \"x\"; }",
        "user u { attributes { } ; attributes { a \"b\", c [] ; } }",
        "user u { attributes { a b } }",
        "user u { limits { jobs 3; } }",
        "project a < instances x; members user \"a\" >",
        "project a { x \"a\\q\\u{D800}\\u{1234567}\\u{zz}\\u{41}\" }",
        "project a { x \"tab\\\n\" }",
        "project a { x \"unterminated }\nproject b {}",
        "project a { x [\"a\" \"b\"] }",
        "project a { x [,] }",
        "project a { x a b }",
        "project a { x -a }",
        "project a { x a,, }",
        "project a\u{0C}{ }",
        "projectx a { }",
        "project a { } project b { } project c",
        "assert a can read on b;",
        "assert user \"a@b\" cannot read on b;",
        "assert user a can read on b;",
        "assert service_id s can read on b ;",
        "assert service_id \"s\" can read on b;",
        "assert user can read on b;",
        "assert a may read on b;",
        "assert a can read at b;",
        "assert a can read on b",
        "allow delete QR-old;",
        "allow CODE on project p \"why\";",
        "project a { # c\n x # d\n y; # e\n } # f\n ; # g",
        "project a { x y }\r\nproject b { x y }\rproject c {}",
        "project é { }",
        "project a { x \"é\\é\" }",
    ];
    for case in cases {
        assert_same(case, &format!("{case:?}"));
    }
}

// ---- generated policies (the generators of tests/fmt_props.rs, widened) ----

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z_][A-Za-z0-9_.-]{0,8}",
        1 => prop_oneof![
            Just("members"), Just("attributes"), Just("user"), Just("role"), Just("from"),
            Just("where"), Just("and"), Just("existing"), Just("on"), Just("can"), Just("limits"),
        ].prop_map(String::from),
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z #<>{};,]{0,10}".prop_map(|s| format!("\"{s}\"")),
        Just("\"quote \\\" backslash \\\\ tab \\t newline \\n\"".to_string()),
        Just("\"caf\\u{e9} \u{1F600}\"".to_string()),
        Just("\"bad \\q \\u{D800} \\u{1234567} \\u{} \\u\"".to_string()),
        Just("\"\"".to_string()),
    ]
}

fn comment() -> impl Strategy<Value = String> {
    "[ a-z#{}\"<>;]{0,12}".prop_map(|s| format!("# {s}"))
}

fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(" ".to_string()),
        2 => Just("\n  ".to_string()),
        1 => Just("\r\n\t".to_string()),
        1 => comment().prop_map(|c| format!(" {c}\n  ")),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        name(),
        string(),
        prop::collection::vec(string(), 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
        prop::collection::vec(string(), 1..3).prop_map(|v| format!("[ {} , ]", v.join(" ,"))),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    let op = prop_oneof![
        Just("contains"),
        Just("has"),
        Just("equals"),
        Just("not_equals"),
        Just("equals_ignore_case"),
        Just("not_equals_ignore_case"),
        Just("in"),
    ];
    prop_oneof![
        (name(), op, string()).prop_map(|(c, o, v)| format!("{c} {o} {v}")),
        (name(), prop::collection::vec(string(), 1..3))
            .prop_map(|(c, v)| format!("{c} in [{}]", v.join(", "))),
    ]
}

fn member_source() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop::option::of(name()),
            prop::collection::vec(condition(), 1..3)
        )
            .prop_map(|(idp, cs)| {
                let from = idp.map_or(String::new(), |i| format!("from {i} "));
                format!("{from}where {}", cs.join(" and "))
            }),
        string().prop_map(|s| format!("user {s}")),
        name().prop_map(|n| format!("user {n}")),
        name().prop_map(|n| format!("service_id {n}")),
        string().prop_map(|s| format!("service_id {s}")),
    ]
}

fn item() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (name(), prop::collection::vec(value(), 0..4)).prop_map(|(k, vs)| {
            if vs.is_empty() { k } else { format!("{k} {}", vs.join(", ")) }
        }),
        2 => (prop::collection::vec(member_source(), 1..3), prop::option::of(name())).prop_map(|(ss, role)| {
            let role = role.map_or(String::new(), |r| format!(" role {r}"));
            format!("members {}{role}", ss.join(", "))
        }),
        1 => (prop::collection::vec((name(), prop_oneof![string(), prop::collection::vec(string(), 0..3).prop_map(|v| format!("[{}]", v.join(", ")))]), 0..3), prop_oneof![Just("; "), Just(", ")])
            .prop_map(|(entries, sep)| {
                let body: Vec<String> = entries.into_iter().map(|(n, v)| format!("{n} {v}")).collect();
                format!("attributes {{ {} }}", body.join(sep))
            }),
    ]
}

fn statement() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        Just("account"),
        Just("idp"),
        Just("resource_group"),
        Just("instance"),
        Just("role"),
        Just("project"),
        Just("group"),
        Just("user"),
        Just("service_id"),
        Just("audit"),
    ];
    prop_oneof![
        6 => (kind, prop::option::of(name()), any::<bool>(), any::<bool>(), prop::collection::vec((item(), gap()), 0..4), any::<bool>(), any::<bool>())
            .prop_map(|(kind, name, existing, angle, items, trailing_semicolon, after)| {
                let mut s = kind.to_string();
                if let Some(n) = name { s.push(' '); s.push_str(&n); }
                if existing { s.push_str(" existing"); }
                let (open, close) = if angle { ("<", ">") } else { ("{", "}") };
                let mut body = String::new();
                for (item, gap) in &items {
                    body.push_str(item);
                    body.push_str(if trailing_semicolon { ";" } else { " ;" });
                    body.push_str(gap);
                }
                format!("{s} {open} {body} {close}{}", if after { " ;" } else { "" })
            }),
        1 => (name(), Just("resource_group")).prop_map(|(n, k)| format!("{k} {n};")),
        1 => (prop_oneof![name(), string().prop_map(|s| format!("user {s}")), name().prop_map(|n| format!("user {n}")), name().prop_map(|n| format!("service_id {n}"))], any::<bool>(), name(), name())
            .prop_map(|(who, can, action, instance)| format!("assert {who} {} {action} on {instance};", if can { "can" } else { "cannot" })),
        1 => (prop_oneof![Just("delete"), Just("move")], name()).prop_map(|(c, n)| format!("allow {c} {n};")),
    ]
}

fn policy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::option::of(comment()),
            statement(),
            prop_oneof![Just("\n"), Just("\n\n"), Just(" "), Just("")],
        ),
        0..6,
    )
    .prop_map(|statements| {
        let mut text = String::new();
        for (leading, statement, sep) in statements {
            if let Some(c) = leading {
                text.push_str(&c);
                text.push('\n');
            }
            text.push_str(&statement);
            text.push_str(sep);
        }
        text
    })
}

/// Tokens and characters that break or bend statements when inserted.
const SHARDS: &[&str] = &[
    ";",
    ",",
    "{",
    "}",
    "<",
    ">",
    "[",
    "]",
    "\"",
    "\\",
    "#",
    "\n",
    "\r",
    " ",
    "\u{FEFF}",
    "\u{0C}",
    "\u{202E}",
    "é",
    "-",
    "=",
    "members",
    "role",
    "where",
    "and",
    "user",
    "existing",
    "attributes",
    "limits {",
    "assert",
    "allow",
    "project",
    "can",
    "on",
    "in",
    "\\u{",
];

/// A policy with a few edits: characters deleted, shards inserted, a cut.
fn mangled() -> impl Strategy<Value = String> {
    (
        policy(),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                0..4usize,
                prop::sample::select(SHARDS),
            ),
            1..4,
        ),
        any::<Option<prop::sample::Index>>(),
    )
        .prop_map(|(text, edits, cut)| {
            let mut chars: Vec<char> = text.chars().collect();
            for (at, delete, shard) in edits {
                let i = at.index(chars.len() + 1);
                let end = (i + delete).min(chars.len());
                chars.splice(i..end, shard.chars());
            }
            if let Some(cut) = cut {
                chars.truncate(cut.index(chars.len() + 1));
            }
            chars.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generated_policies_parse_the_same_both_ways(text in policy()) {
        let (fast, pest) = both(&text);
        prop_assert!(fast == pest, "{}\n--- input:\n{}", similar_lines(&pest, &fast), text);
        // Valid statements other than `allow` and `limits` are all read by the fast path.
        let (parsed, read_fast) = qpol::syntax::parse_file_counting_fast(FileId(0), &text);
        if !parsed.has_errors() && !text.contains("allow") && !text.contains("limits") {
            prop_assert_eq!(read_fast, parsed.file.statements.len(), "{}", text);
        }
    }

    #[test]
    fn mangled_policies_parse_the_same_both_ways(text in mangled()) {
        let (fast, pest) = both(&text);
        prop_assert!(fast == pest, "{}\n--- input:\n{}", similar_lines(&pest, &fast), text);
    }
}

#[test]
fn forms_added_in_parallel_are_left_to_pest() {
    // `allow ...` statements and `limits { }` blocks are parsed by pest
    // alone, whatever the grammar makes of them.
    for text in [
        "allow delete QR-old;",
        "allow Q201 on project p \"reviewed\";",
        "account a { limits { projects 10; } }",
        "project p { limits 3; }",
    ] {
        let (_, read_fast) = qpol::syntax::parse_file_counting_fast(FileId(0), text);
        assert_eq!(read_fast, 0, "{text}");
        assert_same(text, text);
    }
}

#[test]
fn statement_lines_estimate_the_statements_of_a_file() {
    use qpol::syntax::lexical::statement_lines;
    let text = "# c\nproject a { x y; }\n  role r {\n  actions a;\n}\nuser u;\n\n";
    assert_eq!(statement_lines(text, 0, text.len()), 3);
    assert_eq!(statement_lines(text, 4, 23), 1);
    assert_eq!(statement_lines(text, 3, 2), 0);
}
