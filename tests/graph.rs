//! `qpol graph`: DOT and Mermaid snapshots of the seed scenario and of a
//! focused view, the findings drawn red, escaping of hostile names, a
//! structural check of the DOT of every example, and the command's exits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::run::{qpol, stderr, stdout};

use qpol::graph::render::{self, Language};
use qpol::graph::Picture;
use qpol::pipeline::Analysis;
use std::collections::BTreeSet;
use std::path::Path;

fn analysis_of(text: &str) -> Analysis {
    Analysis::new(qpol::Policy::from_texts([("t.qpol", text)]))
}

fn draw(analysis: &Analysis, language: Language, focus: Option<&str>) -> String {
    let picture = Picture::new(analysis);
    let kept = focus.map(|f| picture.focus(f).unwrap());
    let mut out = Vec::new();
    render::write(&picture, language, kept.as_deref(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn draw_file(path: &str, language: Language, focus: Option<&str>) -> String {
    let analysis = Analysis::new(qpol::load(Path::new(path)).unwrap());
    draw(&analysis, language, focus)
}

/// A small DOT reader: quoted strings end where they should, braces and
/// brackets balance, every statement is a node or an edge, and every
/// edge's endpoints are declared before it. Returns (nodes, edges).
fn check_dot(dot: &str) -> (BTreeSet<String>, Vec<(String, String, String)>) {
    // Tokens: quoted strings (unescaped), and everything else split on blanks and punctuation.
    let mut tokens: Vec<String> = Vec::new();
    let mut chars = dot.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut s = String::from("\"");
                loop {
                    match chars.next() {
                        Some('\\') => s.push(chars.next().expect("a dangling backslash")),
                        Some('"') => break,
                        Some('\n') => panic!("a newline inside a quoted string: {s}"),
                        Some(c) => s.push(c),
                        None => panic!("an unterminated string: {s}"),
                    }
                }
                tokens.push(s);
            }
            c if c.is_whitespace() => {}
            '{' | '}' | '[' | ']' | ';' | ',' | '=' => tokens.push(c.to_string()),
            '-' if chars.peek() == Some(&'>') => {
                chars.next();
                tokens.push("->".to_string());
            }
            c => {
                let mut word = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                assert!(
                    word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "unexpected token {word:?}"
                );
                tokens.push(word);
            }
        }
    }
    let mut depth = 0i32;
    for t in &tokens {
        match t.as_str() {
            "{" | "[" => depth += 1,
            "}" | "]" => depth -= 1,
            _ => {}
        }
        assert!(depth >= 0, "a closing bracket too many");
    }
    assert_eq!(depth, 0, "unbalanced braces or brackets");
    assert_eq!(&tokens[..3], ["digraph", "qpol", "{"]);
    assert_eq!(tokens.last().map(String::as_str), Some("}"));
    // Statements: split the body at `;` outside brackets.
    let body = &tokens[3..tokens.len() - 1];
    let mut nodes = BTreeSet::new();
    let mut edges = Vec::new();
    let mut statement: Vec<&str> = Vec::new();
    let mut in_attrs = false;
    for t in body {
        match t.as_str() {
            "[" => in_attrs = true,
            "]" => in_attrs = false,
            _ => {}
        }
        if t == ";" && !in_attrs {
            let label = statement
                .iter()
                .position(|t| *t == "label")
                .map(|i| statement[i + 2].trim_start_matches('"').to_string());
            match statement.as_slice() {
                ["graph" | "node" | "edge", "[", ..] => {}
                [id, "[", ..] => {
                    assert!(nodes.insert(id.to_string()), "{id} declared twice");
                    assert!(label.is_some(), "{id} has no label");
                }
                [from, "->", to, "[", ..] => {
                    assert!(nodes.contains(*from), "edge from undeclared {from}");
                    assert!(nodes.contains(*to), "edge to undeclared {to}");
                    edges.push((from.to_string(), to.to_string(), label.unwrap()));
                }
                other => panic!("not a node or an edge: {other:?}"),
            }
            statement.clear();
        } else {
            statement.push(t);
        }
    }
    assert!(statement.is_empty(), "a statement without `;`");
    (nodes, edges)
}

/// Every line of a Mermaid flowchart qpol writes: a node with one quoted
/// label, an edge with one quoted label, or a style line; a label holds
/// no quote, pipe, bracket or `<` but the `<br>` qpol puts there.
fn check_mermaid(text: &str) -> (BTreeSet<String>, usize) {
    let node = regex::Regex::new(
        r#"^  ([a-z]+[0-9]+)(\[\[|\{\{|\(\[|\[/|\[\(|\[|\()"([^"]*)"(\]\]|\}\}|\]\)|/\]|\)\]|\]|\))$"#,
    )
    .unwrap();
    let edge = regex::Regex::new(r#"^  ([a-z]+[0-9]+) -->\|"([^"|]*)"\| ([a-z]+[0-9]+)$"#).unwrap();
    let style = regex::Regex::new(
        r"^  (classDef [a-z]+ [-a-z:#0-9, ]+|class [a-z0-9,]+ [a-z]+|linkStyle [0-9,]+ [-a-z:#0-9, ]+)$",
    )
    .unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    let mut nodes = BTreeSet::new();
    let mut edges = 0;
    for line in lines {
        if let Some(c) = node.captures(line) {
            let label = c[3].replace("<br>", "");
            assert!(
                !label.contains(['<', '>', '[', ']', '{', '}', '|']),
                "{line}"
            );
            assert!(nodes.insert(c[1].to_string()), "{line}");
        } else if let Some(c) = edge.captures(line) {
            assert!(nodes.contains(&c[1]) && nodes.contains(&c[3]), "{line}");
            edges += 1;
        } else {
            assert!(style.is_match(line), "not a line qpol writes: {line:?}");
        }
    }
    (nodes, edges)
}

#[test]
fn seed_scenario_as_dot() {
    let dot = draw_file("policies/org.qpol", Language::Dot, None);
    check_dot(&dot);
    insta::assert_snapshot!("org_dot", dot);
}

#[test]
fn seed_scenario_as_mermaid() {
    let mermaid = draw_file("policies/org.qpol", Language::Mermaid, None);
    check_mermaid(&mermaid);
    insta::assert_snapshot!("org_mermaid", mermaid);
}

#[test]
fn focus_keeps_what_reaches_the_node_and_what_it_reaches() {
    let dot = draw_file("policies/org.qpol", Language::Dot, Some("QR-common"));
    let (nodes, _) = check_dot(&dot);
    // Both projects scope QR-common; their rules, the idp and every user
    // reach it. Their other instances and the role are not upstream.
    assert!(nodes.contains("unit0") && nodes.contains("unit1"), "{dot}");
    assert!(
        !nodes.contains("inst0") && !nodes.contains("role0"),
        "{dot}"
    );
    insta::assert_snapshot!("org_focus_qr_common_dot", dot);
    let mermaid = draw_file("policies/org.qpol", Language::Mermaid, Some("Ravi"));
    let (nodes, edges) = check_mermaid(&mermaid);
    // Ravi's rule, project, role and instances, nobody else.
    assert_eq!(
        nodes.into_iter().collect::<Vec<_>>(),
        ["inst1", "inst2", "role0", "rule1", "unit1", "user1"]
    );
    assert_eq!(edges, 5);
    insta::assert_snapshot!("org_focus_ravi_mermaid", mermaid);
}

#[test]
fn focus_by_kind_and_unknown_names() {
    let text = "instance ml { plan lite; region us-east; }\n\
        project ml { instances ml; members user \"a@example.com\"; role reader; }\n";
    let analysis = analysis_of(text);
    let picture = Picture::new(&analysis);
    let both = picture.focus("ml").unwrap();
    let instance_only = picture.focus("instance:ml").unwrap();
    assert!(both.iter().filter(|k| **k).count() > instance_only.iter().filter(|k| **k).count());
    let e = picture.focus("mll").unwrap_err().to_string();
    assert_eq!(
        e,
        "`--focus`: the policy has no node named `mll`; did you mean `ml`?"
    );
    let e = picture.focus("projet:ml").unwrap_err().to_string();
    assert!(
        e.contains("`projet` is not a kind of node") && e.contains("did you mean `project`?"),
        "{e}"
    );
    let e = picture.focus("role:ml").unwrap_err().to_string();
    assert!(
        e.starts_with("`--focus`: the policy has no role named `ml`"),
        "{e}"
    );
    // A member named by email is a node too.
    assert!(picture.focus("a@example.com").is_ok());
}

#[test]
fn overlaps_are_red_and_acknowledged_ones_dashed() {
    let dot = draw_file(
        "tests/fixtures/err/overlap_covered.qpol",
        Language::Dot,
        None,
    );
    check_dot(&dot);
    insta::assert_snapshot!("overlap_covered_dot", dot);
    let text = include_str!("data/graph/acknowledged.qpol");
    let analysis = analysis_of(text);
    assert!(analysis.passed(), "{:?}", analysis.diagnostics);
    let dot = draw(&analysis, Language::Dot, None);
    let (_, edges) = check_dot(&dot);
    assert!(
        edges.contains(&(
            "rule0".to_string(),
            "unit1".to_string(),
            "also admits (Q201, allowed)".to_string()
        )),
        "{dot}"
    );
    assert!(dot.contains("style=dashed"), "{dot}");
    let mermaid = draw(&analysis, Language::Mermaid, None);
    check_mermaid(&mermaid);
    assert!(
        mermaid.contains("  class rule0 acknowledged\n"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("  linkStyle 2 stroke:#d00000"),
        "{mermaid}"
    );
}

#[test]
fn cycles_are_red() {
    let path = "tests/fixtures/err/cyclic_groups.qpol";
    let dot = draw_file(path, Language::Dot, None);
    let (_, edges) = check_dot(&dot);
    let red: Vec<_> = edges
        .iter()
        .filter(|(_, _, l)| l == "includes (cycle, Q211)")
        .map(|(a, b, _)| format!("{a}->{b}"))
        .collect();
    assert_eq!(
        red,
        [
            "unit1->unit2",
            "unit2->unit3",
            "unit3->unit1",
            "unit4->unit4"
        ]
    );
    // hub -> ml is not part of the cycle.
    assert!(
        dot.contains("  unit1 -> unit0 [label=\"includes\"];"),
        "{dot}"
    );
    let mermaid = draw_file(path, Language::Mermaid, None);
    check_mermaid(&mermaid);
    assert!(
        mermaid.contains("  class unit1,unit2,unit3,unit4 finding\n"),
        "{mermaid}"
    );
}

/// Names and values that would break out of a label or inject Mermaid.
const HOSTILE: &str = include_str!("data/graph/hostile.qpol");

#[test]
fn hostile_names_stay_inside_their_dot_labels() {
    let analysis = analysis_of(HOSTILE);
    assert!(analysis.passed(), "{:?}", analysis.diagnostics);
    let dot = draw(&analysis, Language::Dot, None);
    let (nodes, edges) = check_dot(&dot);
    assert_eq!(nodes.len(), 7, "{dot}");
    assert_eq!(edges.len(), 6, "{dot}");
    // Quotes and backslashes escaped; the newline shown, not written.
    assert!(
        dot.contains(r#"rule0 [label="rule\nproject contains \"a\\\"];click x call alert(1)\"", shape=note];"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#"\\ back\\nline <b>&amp; %% |pipe| #35; `tick`"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#"member0 [label="user a&b%%c@example.com", shape=ellipse];"#),
        "{dot}"
    );
}

#[test]
fn hostile_names_stay_inside_their_mermaid_labels() {
    let analysis = analysis_of(HOSTILE);
    let mermaid = draw(&analysis, Language::Mermaid, None);
    let (nodes, edges) = check_mermaid(&mermaid);
    assert_eq!((nodes.len(), edges), (7, 6), "{mermaid}");
    // What would break out (a quote, a bracket, `;`) or start a comment,
    // a directive or markdown (`%%`, a backtick) is an entity code.
    assert!(
        !mermaid.contains("%%") && !mermaid.contains('`') && !mermaid.contains("<b>"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains(r#"  rule0{{"rule<br>project contains #34;a#92;#34;#93;#59;click x call alert(1)#34;"}}"#),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("  member0([\"user a#38;b#37;#37;c@example.com\"])"),
        "{mermaid}"
    );
    assert!(mermaid.contains(" #92;#92; back#92;nline #60;b#62;#38;amp#59; #37;#37; #124;pipe#124; #35;35#59; #96;tick#96;"), "{mermaid}");
}

#[test]
fn every_example_draws_well_formed_dot_and_mermaid() {
    let mut paths: Vec<_> = ["tests/fixtures/ok", "tests/fixtures/err"]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "qpol"))
        .chain(support::fs::example_policies())
        .collect();
    paths.sort();
    assert!(paths.len() > 30);
    for path in paths {
        let Ok(policy) = qpol::load(&path) else {
            continue;
        };
        let analysis = Analysis::new(policy);
        let (nodes, edges) = check_dot(&draw(&analysis, Language::Dot, None));
        let (m_nodes, m_edges) = check_mermaid(&draw(&analysis, Language::Mermaid, None));
        assert_eq!(nodes, m_nodes, "{}", path.display());
        assert_eq!(edges.len(), m_edges, "{}", path.display());
    }
}

#[test]
fn the_command_draws_clean_policies_and_refuses_broken_ones() {
    let out = qpol(&["graph", "policies/org.qpol", "--to", "mermaid"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        draw_file("policies/org.qpol", Language::Mermaid, None)
    );
    // The findings (a note here) go to stderr, beside the graph.
    assert!(stderr(&out).contains("Q223"), "{}", stderr(&out));

    let broken = "tests/fixtures/err/cyclic_groups.qpol";
    let out = qpol(&["graph", broken]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("Q211") && stderr(&out).contains("nothing drawn"),
        "{}",
        stderr(&out)
    );
    let out = qpol(&["graph", broken, "--with-errors"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("includes (cycle, Q211)"));

    let out = qpol(&["graph", "policies/org.qpol", "--focus", "QR-comon"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("did you mean `QR-common`?"),
        "{}",
        stderr(&out)
    );

    let out = qpol(&["graph", "policies/org.qpol", "--format", "dot"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`--to dot|mermaid`"),
        "{}",
        stderr(&out)
    );

    let out = qpol(&[
        "--format",
        "json",
        "graph",
        "policies/org.qpol",
        "--focus",
        "nobody",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(doc["io_errors"][0]["path"], "--focus");
}

#[test]
fn the_command_writes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub/org.dot");
    let out = qpol(&["graph", "policies/org.qpol", "-o", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written, draw_file("policies/org.qpol", Language::Dot, None));
    assert!(
        stdout(&out).contains("Q223"),
        "findings on stdout: {}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("wrote "), "{}", stderr(&out));
    // Never over the policy itself, nor into a folder.
    let policy = dir.path().join("p.qpol");
    std::fs::copy("policies/org.qpol", &policy).unwrap();
    let out = qpol(&[
        "graph",
        policy.to_str().unwrap(),
        "-o",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("it is the policy file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&policy).unwrap(),
        std::fs::read_to_string("policies/org.qpol").unwrap()
    );
    let out = qpol(&[
        "graph",
        "policies/org.qpol",
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_large_organization_is_drawn_whole() {
    let org = qpol::synth::generate(&qpol::synth::OrgSpec::new(2_000, 10_000, 5));
    let analysis = analysis_of(&org.text);
    // (How fast: benches/, not a timed test.)
    let dot = draw(&analysis, Language::Dot, None);
    let (nodes, edges) = check_dot(&dot);
    assert!(
        nodes.len() > 12_000 && edges.len() > 12_000,
        "{} {}",
        nodes.len(),
        edges.len()
    );
}
