//! Users read while their file is parsed (`Policy::add_bytes`, the way
//! `qpol check` and `compile` read files) leave the syntax tree at once and
//! lower to the same model and findings as users lowered from the whole
//! tree (`Policy::from_texts`, the formatter's way).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use qpol::pipeline::Analysis;
use qpol::syntax::ast::{DeclKind, Statement};
use qpol::Policy;

fn read(files: &[(&str, &str)]) -> Policy {
    let mut policy = Policy::default();
    for (name, text) in files {
        policy.add_bytes(name, text.as_bytes().to_vec());
    }
    policy
}

/// Both ways give the same model (spans included) and the same findings.
fn assert_same(files: &[(&str, &str)]) {
    let by_reader = Analysis::new(read(files));
    let from_tree = Analysis::new(Policy::from_texts(files.iter().copied()));
    let name = files.first().map_or("", |f| f.0);
    assert_eq!(
        format!("{:?}", by_reader.model),
        format!("{:?}", from_tree.model),
        "{name}: the models differ"
    );
    assert_eq!(
        by_reader.diagnostics, from_tree.diagnostics,
        "{name}: the findings differ"
    );
}

fn user_names(analysis: &Analysis) -> Vec<&str> {
    analysis
        .model
        .users
        .iter()
        .map(|u| u.name.value.as_str())
        .collect()
}

fn users_in_tree(policy: &Policy) -> usize {
    policy
        .files
        .iter()
        .flat_map(|(_, p)| &p.file.statements)
        .filter(|s| matches!(s, Statement::Declaration(d) if d.kind.value == DeclKind::User))
        .count()
}

#[test]
fn every_fixture_and_example_lowers_the_same_both_ways() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for dir in [
        "policies",
        "tests/fixtures/ok",
        "tests/fixtures/err",
        "tests/fixtures/compile",
    ] {
        for path in support::fs::qpol_files(root.join(dir).to_str().unwrap()) {
            // A file that is not UTF-8 is one finding, read no further.
            let Ok(text) = String::from_utf8(std::fs::read(&path).unwrap()) else {
                continue;
            };
            let name = path.display().to_string();
            assert_same(&[(name.as_str(), text.as_str())]);
            seen += 1;
        }
    }
    assert!(seen > 40, "only {seen} policies compared");
}

#[test]
fn read_users_leave_the_tree_and_unnamed_ones_stay_to_be_reported() {
    let text = "idp org { kind appid; attribute project; }\n\
                user a { idp org; attributes { project \"x\" } }\n\
                user { idp org; }\n\
                user b { email \"b@example.com\"; }\n";
    let policy = read(&[("p.qpol", text)]);
    assert_eq!(
        users_in_tree(&policy),
        1,
        "only the user without a name stays"
    );
    assert_eq!(users_in_tree(&Policy::from_texts([("p.qpol", text)])), 3);
    let analysis = Analysis::new(policy);
    assert_eq!(user_names(&analysis), ["a", "b"]);
    assert!(analysis
        .diagnostics
        .iter()
        .any(|d| d.message == "user needs a name"));
}

#[test]
fn users_in_every_situation_lower_the_same_both_ways() {
    let cases = [
        // Users written before the identity provider they name.
        "user a { idp org; attributes { project \"ml\" } }\nidp org { kind appid; attribute project; }\n",
        // Declared twice, the second with its own errors: the duplicate is
        // reported, its settings are not read.
        "idp org { kind appid; attribute project; }\n\
         user a { idp org; attributes { project \"x\" } }\n\
         user a { idp nope; colour blue; attributes { project \"y\"; project \"z\" } }\n",
        // Two providers: a user with attributes must name one.
        "idp one { kind appid; attribute project; }\nidp two { kind appid; attribute project; }\n\
         user a { attributes { project \"x\" } }\nuser b { idp tow; }\n",
        // No provider at all; a user with nothing; a misspelt flag; a long name.
        "user a { attributes { project \"x\" } }\nuser b { }\nuser c exisitng { email \"c@example.com\"; }\n",
        // Only users: the policy is not empty.
        "user a { email \"a@example.com\"; }\n",
    ];
    for text in cases {
        assert_same(&[("p.qpol", text)]);
    }
    let long = format!("user {} {{ email \"l@example.com\"; }}\n", "n".repeat(120));
    assert_same(&[("p.qpol", long.as_str())]);
    // Users spread over the files of a folder, one declared in both.
    assert_same(&[
        (
            "a.qpol",
            "idp org { kind appid; attribute project; }\nuser a { idp org; }\n",
        ),
        (
            "b.qpol",
            "user b { idp org; }\nuser a { email \"a@example.com\"; }\n",
        ),
    ]);
}

#[test]
fn users_after_the_point_where_reading_stopped_are_forgotten() {
    // Past 200 syntax errors the rest of the file is not read: a user
    // written there must not be declared by the reader either.
    let mut text =
        String::from("idp org { kind appid; attribute project; }\nuser early { idp org; }\n");
    for _ in 0..210 {
        text.push_str("project { ;\n");
    }
    text.push_str("user late { idp org; }\n");
    let analysis = Analysis::new(read(&[("p.qpol", text.as_str())]));
    assert_eq!(user_names(&analysis), ["early"]);
    assert_same(&[("p.qpol", text.as_str())]);
}

#[test]
fn a_large_file_read_in_chunks_lowers_the_same_both_ways() {
    // Above 1 MB the file is parsed in two chunks, each with its reader.
    let synthetic = qpol::synth::generate(&qpol::synth::OrgSpec::new(3_000, 30_000, 2));
    assert!(synthetic.text.len() > 2 << 20);
    let policy = read(&[("org.qpol", synthetic.text.as_str())]);
    assert_eq!(users_in_tree(&policy), 0);
    assert_eq!(policy.read_users.len(), 2, "one reader per chunk");
    assert_same(&[("org.qpol", synthetic.text.as_str())]);
}
