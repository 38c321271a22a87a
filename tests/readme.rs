//! Keeps the README honest: its code table matches the code registry, its
//! `qpol` examples parse, and it starts with the two set-up commands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use qpol::diag::codes::TABLE;

fn readme() -> String {
    std::fs::read_to_string("README.md").unwrap()
}

/// Fenced blocks as (tag, body).
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(tag)) => current = Some((tag.trim().to_string(), String::new())),
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

#[test]
fn every_code_is_documented_and_no_other() {
    let text = readme();
    for row in TABLE {
        let line = format!("| {} | {} |", row.id, row.severity);
        assert!(
            text.contains(&line),
            "README lacks the row for {} ({})",
            row.id,
            row.severity
        );
    }
    let mentioned: Vec<&str> = text
        .match_indices('Q')
        .filter_map(|(i, _)| text.get(i..i + 4))
        .filter(|w| w.len() == 4 && w[1..].chars().all(|c| c.is_ascii_digit()))
        .collect();
    for id in mentioned {
        assert!(
            TABLE.iter().any(|r| r.id == id),
            "README mentions unknown code {id}"
        );
    }
}

#[test]
fn qpol_examples_parse() {
    let examples: Vec<String> = blocks(&readme())
        .into_iter()
        .filter(|(tag, _)| tag == "qpol")
        .map(|(_, b)| b)
        .collect();
    assert!(
        examples.len() >= 10,
        "expected the language section's examples"
    );
    for example in examples {
        let policy = qpol::Policy::from_texts([("README.md", example.as_str())]);
        let errors: Vec<_> = policy
            .syntax_diagnostics()
            .filter(|d| d.is_error())
            .collect();
        assert!(
            errors.is_empty(),
            "README example does not parse:\n{example}\n{errors:?}"
        );
    }
}

#[test]
fn starts_with_the_two_set_up_commands() {
    let (_, first) = blocks(&readme()).into_iter().next().unwrap();
    assert!(first.contains("cargo run --release -- compile policies/org.qpol"));
    assert!(first.contains("cargo test"));
}

/// Is every key of `part` in `whole` with an equal value (recursively)?
fn contained(part: &serde_json::Value, whole: &serde_json::Value) -> bool {
    match (part, whole) {
        (serde_json::Value::Object(p), serde_json::Value::Object(w)) => p
            .iter()
            .all(|(k, v)| w.get(k).is_some_and(|wv| contained(v, wv))),
        _ => part == whole,
    }
}

#[test]
fn compiled_excerpts_are_what_compile_writes() {
    let excerpts: Vec<serde_json::Value> = blocks(&readme())
        .into_iter()
        .filter(|(tag, _)| tag == "json")
        .map(|(_, body)| serde_json::from_str(&body).unwrap())
        .collect();
    assert_eq!(excerpts.len(), 2, "the Terraform and the API excerpt");
    let result =
        qpol::checks::check(qpol::load(std::path::Path::new("policies/org.qpol")).unwrap());
    let compiled = |target| {
        let text = qpol::backends::compile(&result, target).text().unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    let tf = compiled(qpol::backends::Target::Terraform);
    assert!(
        contained(&excerpts[0], &tf),
        "the README's Terraform excerpt is stale"
    );
    let plan = compiled(qpol::backends::Target::IbmApi);
    let requests = plan["requests"].as_array().unwrap();
    assert!(
        requests.contains(&excerpts[1]),
        "the README's request excerpt is stale"
    );
}

/// The grammar summary says what the parser does about separators between
/// attributes: `;` or `,` is required, except before the closing bracket.
#[test]
fn grammar_summary_states_the_attribute_separators_the_parser_requires() {
    let text = readme();
    let rule = text
        .lines()
        .find(|l| l.starts_with("attributes  ="))
        .expect("the grammar summary's attributes rule");
    assert!(
        rule.contains(r#"( ";" | "," | before-closing-bracket ) )*"#),
        "README says: {rule}"
    );
    let errors = |attrs: &str| {
        let text = format!(
            "idp org {{ region us-south; attribute project, team; }}\nuser Eve {{ attributes {{ {attrs} }} }}\n"
        );
        let policy = qpol::Policy::from_texts([("t.qpol", text.as_str())]);
        policy.syntax_diagnostics().filter(|d| d.is_error()).count()
    };
    assert!(errors(r#"project "a" team "b""#) > 0);
    for ok in [r#"project "a"; team "b""#, r#"project "a", team "b";"#] {
        assert_eq!(errors(ok), 0, "{ok}");
    }
}

/// The repository is named in one place, Cargo.toml; the CI examples that
/// install qpol from it and the SARIF help links use that same address, and
/// the workflow pins the release of Cargo.toml's version.
#[test]
fn ci_examples_name_the_repository_of_cargo_toml() {
    let repository = env!("CARGO_PKG_REPOSITORY");
    assert!(repository.starts_with("https://"), "{repository}");
    assert_eq!(qpol::cli::sarif::REPOSITORY, repository);
    for file in ["examples/ci/qpol.yml", "examples/ci/pre-commit-config.yaml"] {
        let text = std::fs::read_to_string(file).unwrap();
        let named: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == '`')
            .filter(|word| word.starts_with("https://github.com/"))
            .collect();
        assert!(!named.is_empty(), "{file} names no repository");
        // The pinned release (this version's tag) is checked by tests/packaging.rs.
        for url in named {
            assert_eq!(url, repository, "{file}");
        }
    }
}
