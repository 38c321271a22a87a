//! `--format sarif` and `--format github`: reviewed snapshots of three
//! fixtures (a did-you-mean fix, related locations, acknowledged findings),
//! the structure of every log (rules, indexes, regions inside their file,
//! README anchors), UTF-16 columns, failures that are not findings, and
//! workflow commands that no policy value or file name can forge.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::run::{qpol_at, stdout};

use serde_json::Value;
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn sarif_at(dir: &Path, args: &[&str]) -> (Value, Option<i32>) {
    let mut all = vec!["--format", "sarif"];
    all.extend(args);
    let o = qpol_at(dir, &all);
    let doc = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", stdout(&o)));
    (doc, o.status.code())
}

fn sarif(args: &[&str]) -> Value {
    sarif_at(Path::new(FIXTURES), args).0
}

fn github(args: &[&str]) -> String {
    let mut all = vec!["--format", "github"];
    all.extend(args);
    stdout(&qpol_at(Path::new(FIXTURES), &all))
}

/// The run without the rules (snapshotted once, in `rules_cover_every_code`).
fn results_only(doc: &Value) -> Value {
    let mut run = doc["runs"][0].clone();
    run["tool"]["driver"]["rules"] = Value::String("(every code)".into());
    run["tool"]["driver"]["version"] = Value::String("(version)".into());
    run["tool"]["driver"]["semanticVersion"] = Value::String("(version)".into());
    run
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

const SNAPSHOTTED: [(&str, &str); 3] = [
    ("fix", "err/undefined_names.qpol"),
    ("related", "err/overlapping_rules.qpol"),
    ("acknowledged", "ok/acknowledged.qpol"),
];

#[test]
fn sarif_snapshots() {
    for (name, path) in SNAPSHOTTED {
        let doc = sarif(&["check", path]);
        assert_eq!(doc["version"], "2.1.0");
        assert_eq!(
            doc["$schema"],
            "https://json.schemastore.org/sarif-2.1.0.json"
        );
        insta::assert_snapshot!(format!("sarif_{name}"), pretty(&results_only(&doc)));
    }
}

#[test]
fn github_snapshots() {
    for (name, path) in SNAPSHOTTED {
        insta::assert_snapshot!(format!("github_{name}"), github(&["check", path]));
    }
}

#[test]
fn the_fixtures_carry_a_fix_related_locations_and_suppressions() {
    let fix = &sarif(&["check", "err/undefined_names.qpol"])["runs"][0]["results"][0];
    let change = &fix["fixes"][0]["artifactChanges"][0];
    assert_eq!(
        change["artifactLocation"]["uri"],
        "err/undefined_names.qpol"
    );
    assert_eq!(
        change["replacements"][0]["insertedContent"]["text"],
        "quantum"
    );
    // `quantm` on line 5, columns 64..70.
    let deleted = &change["replacements"][0]["deletedRegion"];
    assert_eq!(
        (
            &deleted["startLine"],
            &deleted["startColumn"],
            &deleted["endColumn"]
        ),
        (&5.into(), &64.into(), &70.into())
    );

    let overlap = &sarif(&["check", "err/overlapping_rules.qpol"])["runs"][0]["results"][0];
    let related = &overlap["relatedLocations"][0];
    assert_eq!(related["id"], 0);
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 8);
    assert!(related["message"]["text"]
        .as_str()
        .unwrap()
        .contains("project chemlab expects"));

    let doc = sarif(&["check", "ok/acknowledged.qpol"]);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let reasons: Vec<_> = results
        .iter()
        .filter_map(|r| r["suppressions"].as_array())
        .map(|s| {
            assert_eq!(s[0]["kind"], "inSource");
            s[0]["justification"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "runners submit single jobs, never sessions",
            "ml-* sub-projects share QR-ml by design",
            "Ravi works with the ml team",
            "service accounts are declared for later",
        ]
    );
    // The note about the broad acknowledgement itself is not suppressed.
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "Q122" && r.get("suppressions").is_none()));
}

#[test]
fn rules_cover_every_code() {
    let doc = sarif(&["check", "ok/seed.qpol"]);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<_> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let codes: Vec<_> = qpol::diag::Code::ALL.iter().map(|c| c.id()).collect();
    assert_eq!(ids, codes);
    for (rule, code) in rules.iter().zip(qpol::diag::Code::ALL) {
        let info = code.info();
        assert_eq!(rule["fullDescription"]["text"], info.explanation);
        assert_eq!(
            rule["defaultConfiguration"]["level"],
            qpol::cli::sarif::level(info.severity)
        );
        assert!(rule["help"]["text"]
            .as_str()
            .unwrap()
            .starts_with(info.explanation));
    }
    let driver = &doc["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "qpol");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    insta::assert_snapshot!("sarif_rules", pretty(&Value::from(rules[..3].to_vec())));
}

/// The heading anchors of the README, as GitHub makes them.
fn readme_anchors() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    readme
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

#[test]
fn help_uris_point_at_readme_sections() {
    let anchors = readme_anchors();
    for code in qpol::diag::Code::ALL {
        let uri = qpol::cli::sarif::help_uri(*code);
        let (page, anchor) = uri.split_once('#').unwrap();
        assert!(page.ends_with("/README.md"), "{uri}");
        assert!(
            anchors.iter().any(|a| a == anchor),
            "{uri}: no README heading has the anchor #{anchor}"
        );
    }
}

/// Every result names a rule by id and index, and every region lies inside
/// its file (lines, and columns in UTF-16 code units).
fn assert_well_formed(doc: &Value, dir: &Path) {
    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "{result}");
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        let mut places: Vec<&Value> = vec![&result["locations"][0]["physicalLocation"]];
        if let Some(related) = result["relatedLocations"].as_array() {
            places.extend(related.iter().map(|r| &r["physicalLocation"]));
        }
        if let Some(s) = result["suppressions"].as_array() {
            places.extend(s.iter().map(|s| &s["location"]["physicalLocation"]));
        }
        for place in places {
            let artifact = &place["artifactLocation"];
            assert_eq!(artifact["uriBaseId"], "%SRCROOT%", "{result}");
            let uri = artifact["uri"].as_str().unwrap();
            let text = std::fs::read_to_string(dir.join(uri)).unwrap_or_default();
            let lines: Vec<&str> = text.split('\n').collect();
            let region = &place["region"];
            let at = |line: &str, column: &str| {
                let l = region[line].as_u64().unwrap() as usize;
                let c = region[column].as_u64().unwrap() as usize;
                assert!(l >= 1 && l <= lines.len(), "{uri}: line {l} in {result}");
                let width = lines[l - 1].encode_utf16().count();
                assert!(
                    c >= 1 && c <= width + 1,
                    "{uri}:{l}: column {c} in {result}"
                );
                (l, c)
            };
            let start = at("startLine", "startColumn");
            let end = at("endLine", "endColumn");
            assert!(start <= end, "{result}");
        }
    }
}

#[test]
fn every_log_is_well_formed() {
    let dir = Path::new(FIXTURES);
    for folder in ["ok", "err"] {
        for entry in std::fs::read_dir(dir.join(folder)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if !name.ends_with(".qpol") || name == "not_utf8.qpol" {
                continue;
            }
            let path = format!("{folder}/{name}");
            let (doc, code) = sarif_at(dir, &["check", &path]);
            assert!(matches!(code, Some(0 | 1)), "{path}: exit {code:?}");
            assert_well_formed(&doc, dir);
        }
    }
    let (doc, _) = sarif_at(dir, &["check", "folder"]);
    assert_well_formed(&doc, dir);
}

#[test]
fn output_is_deterministic_and_relative() {
    let first = sarif(&["check", "err/overlapping_rules.qpol"]);
    let second = sarif(&["check", "err/overlapping_rules.qpol"]);
    assert_eq!(first, second);
    // An absolute name below the working directory becomes relative.
    let absolute = format!("{FIXTURES}/err/overlapping_rules.qpol");
    let third = sarif(&["check", &absolute]);
    assert_eq!(first["runs"][0]["results"], third["runs"][0]["results"]);
    assert!(!third.to_string().contains(FIXTURES));
}

#[test]
fn columns_count_utf16_code_units() {
    let dir = tempfile::tempdir().unwrap();
    // U+1F600 is two UTF-16 code units, `é` one: the name after them starts
    // at character 47 but UTF-16 column 48.
    std::fs::write(
        dir.path().join("u16.qpol"),
        "idp org-users { kind appid; region us-south; attribute project; }\n\
         user Fatima { attributes { project \"\u{1F600}\u{E9}\" } idp org-userz; }\n",
    )
    .unwrap();
    let (doc, _) = sarif_at(dir.path(), &["check", "u16.qpol"]);
    let region = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (&region["startColumn"], &region["endColumn"]),
        (&48.into(), &57.into())
    );
    assert_well_formed(&doc, dir.path());
    // GitHub counts characters, as the human and JSON forms do.
    let o = qpol_at(dir.path(), &["--format", "github", "check", "u16.qpol"]);
    assert!(
        stdout(&o).contains(",line=2,col=47,endLine=2,endColumn=56,"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn test_puts_its_counts_in_the_run() {
    let doc = sarif(&["test", "err/failing_assertions.qpol"]);
    let run = &doc["runs"][0];
    assert!(run["properties"]["failed"].as_u64().unwrap() >= 1, "{run}");
    assert!(run["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "Q401"));
    let text = github(&["test", "err/failing_assertions.qpol"]);
    assert!(
        text.contains("::error file=err/failing_assertions.qpol,"),
        "{text}"
    );
    assert!(text.trim_end().ends_with(" failed"), "{text}");
}

#[test]
fn failures_that_are_not_findings() {
    let (doc, code) = sarif_at(Path::new(FIXTURES), &["check", "missing.qpol"]);
    assert_eq!(code, Some(2));
    let invocation = &doc["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert!(note["message"]["text"]
        .as_str()
        .unwrap()
        .contains("missing.qpol"));
    let text = github(&["check", "missing.qpol"]);
    assert!(text.starts_with("::error title=qpol::"), "{text}");
}

#[test]
fn escaping_follows_the_runner() {
    use qpol::cli::github::{escape_data, escape_property};
    assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
    assert_eq!(
        escape_property("50% a\r\nb: c, d"),
        "50%25 a%0D%0Ab%3A c%2C d"
    );
}

/// Every line is one command qpol meant, or the summary.
fn assert_commands_only(text: &str, findings: usize) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), findings + 1, "{text}");
    for line in &lines[..findings] {
        assert!(
            line.starts_with("::error file=") || line.starts_with("::warning file="),
            "{text}"
        );
    }
    assert!(lines[findings].starts_with("qpol: "), "{text}");
}

#[test]
fn a_value_or_a_file_name_cannot_forge_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("inj");
    std::fs::create_dir(&folder).unwrap();
    let policy = "idp org-users { kind appid; region us-south; attribute project; }\n\
        instance QR { plan standard; region us-east; }\n\
        project a { instances QR; members where project contains \"ml\"; role writer; }\n\
        project b { instances QR; members where project equals \"xml\\n::error file=x,line=1::pwned%0A\"; role reader; }\n";
    std::fs::write(folder.join("x\n::error file=y::pwned.qpol"), policy).unwrap();
    let o = qpol_at(dir.path(), &["--format", "github", "check", "inj"]);
    let text = stdout(&o);
    assert_commands_only(&text, 1);
    assert!(
        text.starts_with("::error file=inj/x%0A%3A%3Aerror file=y%3A%3Apwned.qpol,line=3,"),
        "{text}"
    );
    // The value's line break and percent sign are escaped, not decoded.
    assert!(
        text.contains("`xml\\u{A}::error file=x,line=1::pwned%250A`"),
        "{text}"
    );
    assert!(!text.contains("\n::error file=x"), "{text}");
    assert!(!text.contains("\n::error file=y"), "{text}");
}

#[test]
fn the_readme_shows_a_real_annotation() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let shown = readme
        .lines()
        .find(|l| l.starts_with("::error file=tests/fixtures/err/undefined_names.qpol"))
        .expect("the CI formats section shows an annotation");
    let o = qpol_at(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "--format",
            "github",
            "check",
            "tests/fixtures/err/undefined_names.qpol",
        ],
    );
    assert!(stdout(&o).lines().any(|l| l == shown), "{}", stdout(&o));
}
