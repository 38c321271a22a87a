//! Property test of the formatter on generated policies: every form of the
//! language, both delimiters, one-line and multi-line layouts, strings with
//! escapes, comments in every position. Formatting succeeds, is idempotent,
//! keeps the model and keeps every comment in order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_.-]{0,8}"
}

/// A string literal as written (with escapes) — the value does not matter.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z #<>{};,]{0,10}".prop_map(|s| format!("\"{s}\"")),
        Just("\"quote \\\" backslash \\\\ tab \\t newline \\n\"".to_string()),
        Just("\"caf\\u{e9} \u{1F600}\"".to_string()),
        Just("\"\"".to_string()),
    ]
}

fn comment() -> impl Strategy<Value = String> {
    "[ a-z#{}\"<>;]{0,12}".prop_map(|s| format!("# {s}"))
}

/// Whitespace between tokens: spaces, newlines, or a comment and a newline.
fn gap() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(" ".to_string()),
        2 => Just("\n  ".to_string()),
        1 => Just("\n\n".to_string()),
        1 => comment().prop_map(|c| format!(" {c}\n  ")),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        name(),
        string(),
        prop::collection::vec(string(), 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
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
        1 => prop::collection::vec((name(), prop_oneof![string(), prop::collection::vec(string(), 0..3).prop_map(|v| format!("[{}]", v.join(", ")))]), 0..3)
            .prop_map(|entries| {
                let body: Vec<String> = entries.into_iter().map(|(n, v)| format!("{n} {v}")).collect();
                format!("attributes {{ {} }}", body.join("; "))
            }),
        1 => prop::collection::vec((name(), value()), 0..3)
            .prop_map(|entries| {
                let body: Vec<String> = entries.into_iter().map(|(n, v)| format!("{n} {v}")).collect();
                format!("limits {{ {} }}", body.join("; "))
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
        6 => (kind, prop::option::of(name()), any::<bool>(), any::<bool>(), prop::collection::vec((item(), gap()), 0..4), any::<bool>())
            .prop_map(|(kind, name, existing, angle, items, trailing_semicolon)| {
                let mut s = kind.to_string();
                if let Some(n) = name { s.push(' '); s.push_str(&n); }
                if existing { s.push_str(" existing"); }
                let (open, close) = if angle { ("<", ">") } else { ("{", "}") };
                let last = items.len().saturating_sub(1);
                let mut body = String::new();
                for (i, (item, gap)) in items.iter().enumerate() {
                    body.push_str(item);
                    if i < last || trailing_semicolon {
                        body.push(';');
                    } else if gap.contains('#') {
                        continue; // a comment here would swallow the closing bracket
                    }
                    body.push_str(gap);
                }
                format!("{s} {open} {body} {close}")
            }),
        1 => (name(), Just("resource_group")).prop_map(|(n, k)| format!("{k} {n};")),
        1 => (prop_oneof![name(), string().prop_map(|s| format!("user {s}")), name().prop_map(|n| format!("service_id {n}"))], any::<bool>(), name(), name())
            .prop_map(|(who, can, action, instance)| format!("assert {who} {} {action} on {instance};", if can { "can" } else { "cannot" })),
        1 => (prop_oneof![Just("delete"), Just("move")], name(), prop::option::of(string()))
            .prop_map(|(c, n, reason)| format!("allow {c} {n}{};", reason.map(|r| format!(" {r}")).unwrap_or_default())),
        // Acknowledgements: a code, an optional scope, the reason.
        1 => ("Q[0-9]{3}", prop::option::of((prop_oneof![Just("project"), Just("group"), Just("instance"), Just("user"), Just("role")], name())), prop::option::of(string()))
            .prop_map(|(code, scope, reason)| {
                let scope = scope.map(|(kind, n)| format!(" on {kind}   {n}")).unwrap_or_default();
                let reason = reason.map(|r| format!("\n  {r}")).unwrap_or_default();
                format!("allow {code}{scope}{reason};")
            }),
    ]
}

fn policy() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            (
                prop::option::of(comment()),
                statement(),
                prop::option::of(comment()),
                prop_oneof![Just("\n"), Just("\n\n"), Just(" ")],
            ),
            0..6,
        ),
        prop::option::of(comment()),
    )
        .prop_map(|(statements, last)| {
            let mut text = String::new();
            for (leading, statement, trailing, sep) in statements {
                if let Some(c) = leading {
                    text.push_str(&c);
                    text.push('\n');
                }
                text.push_str(&statement);
                if let Some(c) = trailing {
                    text.push(' ');
                    text.push_str(&c);
                    text.push('\n');
                } else {
                    text.push_str(sep);
                }
            }
            if let Some(c) = last {
                text.push_str(&c);
            }
            text
        })
}

fn comments(text: &str) -> Vec<String> {
    qpol::syntax::lexical::comments(qpol::diag::FileId(0), text)
        .into_iter()
        .map(|c| c.text)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn formatting_is_sound(text in policy()) {
        let parsed = qpol::Policy::from_texts([("p.qpol", text.as_str())]);
        prop_assume!(!parsed.files[0].1.has_errors());
        let once = qpol::fmt::format_text("p.qpol", &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let twice = qpol::fmt::format_text("p.qpol", &once).map_err(|e| TestCaseError::fail(format!("{e}\n{once}")))?;
        prop_assert_eq!(&once, &twice, "not idempotent:\n{}", text);
        prop_assert_eq!(qpol::fmt::model_json(&text), qpol::fmt::model_json(&once));
        prop_assert_eq!(comments(&text), comments(&once));
    }

    #[test]
    fn generated_policies_parse(text in policy()) {
        // The generator writes valid syntax: if this fails, the generator or the parser is wrong.
        let parsed = qpol::Policy::from_texts([("p.qpol", text.as_str())]);
        let errors: Vec<_> = parsed.files[0].1.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
        prop_assert!(errors.is_empty(), "{:?}\n{}", errors, text);
    }
}
