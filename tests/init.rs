//! `qpol init`: the repository it makes checks, tests, compiles and is
//! formatted; running it again changes nothing and says why; files that
//! exist with other content, other policies beside main.qpol, bad answers
//! and paths that are not folders or files stop it before anything is
//! written; `--force` replaces; never a question when stdin is not a
//! terminal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::run::{qpol, qpol_at, stderr, stdout};

use std::path::Path;

/// Every file under `dir` with its content, sorted by path.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn init(dir: &Path, flags: &[&str]) -> std::process::Output {
    let mut args = vec!["init", dir.to_str().unwrap()];
    args.extend_from_slice(flags);
    qpol(&args)
}

/// The temporary folder's path replaced by `DIR`, for snapshots.
fn shown(text: &str, dir: &Path) -> String {
    text.replace(dir.to_str().unwrap(), "DIR")
}

#[test]
fn a_new_repository_checks_tests_compiles_and_is_formatted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("org");
    let made = init(&dir, &[]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    assert_eq!(stderr(&made), "", "no question, no warning off a terminal");
    insta::assert_snapshot!("init_stdout", shown(&stdout(&made), &dir));
    let paths: Vec<String> = tree(&dir).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            ".editorconfig",
            ".github/workflows/qpol.yml",
            ".gitignore",
            ".pre-commit-config.yaml",
            "README.md",
            "policies/main.qpol",
        ]
    );
    let policy = std::fs::read_to_string(dir.join("policies/main.qpol")).unwrap();
    insta::assert_snapshot!("init_main_qpol", policy);

    let check = qpol_at(&dir, &["check", "policies"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    assert_eq!(stdout(&check), "", "checks clean: no finding at all");
    let test = qpol_at(&dir, &["test", "policies"]);
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
    assert!(
        stdout(&test).contains("2 passed, 0 failed"),
        "{}",
        stdout(&test)
    );
    let fmt = qpol_at(&dir, &["fmt", "--check", "policies"]);
    assert_eq!(fmt.status.code(), Some(0), "{}", stdout(&fmt));
    for target in ["terraform", "ibm-api"] {
        let compile = qpol_at(&dir, &["compile", "policies", "-t", target]);
        assert_eq!(compile.status.code(), Some(0), "{}", stderr(&compile));
    }
    let tf = std::fs::read_to_string(dir.join("out/main.tf.json")).unwrap();
    assert!(tf.contains("\"QR-example\""), "the instance is compiled");
    assert!(dir.join("out/plan.json").is_file());

    // The CI files are the examples qpol's README documents, as they are.
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/qpol.yml")).unwrap();
    assert_eq!(
        workflow,
        std::fs::read_to_string("examples/ci/qpol.yml").unwrap()
    );
    let hooks = std::fs::read_to_string(dir.join(".pre-commit-config.yaml")).unwrap();
    assert_eq!(
        hooks,
        std::fs::read_to_string("examples/ci/pre-commit-config.yaml").unwrap()
    );
    let gitignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(gitignore.lines().any(|l| l == "/out/") && gitignore.contains("*.tfstate"));
}

#[test]
fn init_again_changes_nothing_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let flags = [
        "--project",
        "ml",
        "--project",
        "finance",
        "--region",
        "eu-de",
    ];
    assert_eq!(init(dir, &flags).status.code(), Some(0));
    let before = tree(dir);

    let again = init(dir, &flags);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    insta::assert_snapshot!("init_again", shown(&stdout(&again), dir));
    assert_eq!(tree(dir), before);

    // Other answers would change two files: refused, both listed, nothing written.
    let other = init(dir, &["--project", "chem"]);
    assert_eq!(other.status.code(), Some(2));
    insta::assert_snapshot!("init_refused", shown(&stderr(&other), dir));
    assert_eq!(stdout(&other), "");
    assert_eq!(tree(dir), before);
}

#[test]
fn a_missing_file_is_written_and_the_others_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(init(dir, &[]).status.code(), Some(0));
    std::fs::remove_file(dir.join(".editorconfig")).unwrap();
    let repaired = init(dir, &[]);
    assert_eq!(repaired.status.code(), Some(0), "{}", stderr(&repaired));
    let out = stdout(&repaired);
    assert!(out.contains("wrote    .editorconfig"), "{out}");
    assert!(out.contains("kept     policies/main.qpol"), "{out}");
}

#[test]
fn force_replaces_files_with_other_content() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("README.md"), "# ours\n").unwrap();
    let refused = init(dir, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("README.md (other content)"));
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "# ours\n"
    );
    assert!(
        !dir.join("policies").exists(),
        "nothing written when refused"
    );

    let forced = init(dir, &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(stdout(&forced).contains("replaced README.md"));
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.contains("qpol check policies"));
}

#[test]
fn other_policies_beside_main_qpol_stop_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("policies")).unwrap();
    std::fs::write(dir.join("policies/org.qpol"), "resource_group quantum;\n").unwrap();
    let refused = init(dir, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("already holds a policy")
            && stderr(&refused).contains("  policies/org.qpol"),
        "{}",
        stderr(&refused)
    );
    assert!(!dir.join("policies/main.qpol").exists());
    // --force does not remove them, so it does not proceed either.
    let forced = init(dir, &["--force"]);
    assert_eq!(forced.status.code(), Some(2));
    assert!(!dir.join("policies/main.qpol").exists());
}

#[test]
fn saml_several_projects_a_region_and_an_account() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let made = init(
        dir,
        &[
            "--idp",
            "saml",
            "--project",
            "chem-lab",
            "--project",
            "finance",
            "--project",
            "optimize",
            "--region",
            "eu-de",
            "--account",
            "0123456789abcdef0123456789abcdef",
        ],
    );
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let policy = std::fs::read_to_string(dir.join("policies/main.qpol")).unwrap();
    insta::assert_snapshot!("init_saml_main_qpol", policy);
    let test = qpol_at(dir, &["test", "policies"]);
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
    assert!(
        stdout(&test).contains("9 passed, 0 failed"),
        "{}",
        stdout(&test)
    );
    let compile = qpol_at(dir, &["compile", "policies", "-t", "ibm-api", "-o", "-"]);
    assert_eq!(compile.status.code(), Some(0), "{}", stderr(&compile));
    assert!(stdout(&compile).contains("0123456789abcdef0123456789abcdef"));
}

#[test]
fn bad_answers_are_refused_with_a_hint_and_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--project", "m l"],
            "--project: `m l` is not a project name",
        ),
        (&["--project", "ml", "--project", "ML"], "named twice"),
        (&["--region", "us-est"], "did you mean `us-east`"),
        (
            &["--account", "ABC"],
            "--account: `ABC` is not an IBM Cloud account id",
        ),
        (
            &["--project", "ml", "--project", "html"],
            "`ml` occurs inside `html`",
        ),
        (
            &["--project", "\u{1b}[31mred"],
            "`\\u{1B}[31mred` is not a project name",
        ),
    ];
    for (flags, expected) in cases {
        let refused = init(dir, flags);
        assert_eq!(refused.status.code(), Some(2), "{flags:?}");
        assert!(
            stderr(&refused).contains(expected),
            "{flags:?}: {}",
            stderr(&refused)
        );
        assert!(
            !stderr(&refused).contains('\u{1b}'),
            "terminal escapes are shown escaped"
        );
        assert!(tree(dir).is_empty(), "{flags:?} wrote something");
    }
    let unknown = init(dir, &["--idp", "ldap"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("[possible values: appid, saml]"));
}

#[test]
fn paths_that_are_not_folders_or_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let refused = init(&file, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("not a folder"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"x");

    let devnull = init(Path::new("/dev/null"), &[]);
    assert_eq!(devnull.status.code(), Some(2));
    let dash = qpol_at(tmp.path(), &["init", "-"]);
    assert_eq!(dash.status.code(), Some(2));
    assert!(
        stderr(&dash).contains("`./-` for one named `-`"),
        "{}",
        stderr(&dash)
    );
    assert!(!tmp.path().join("-").exists());

    // A folder where a file goes: refused before anything is written.
    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(dir.join("README.md")).unwrap();
    let refused = init(&dir, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("not a regular file"),
        "{}",
        stderr(&refused)
    );
    assert!(!dir.join("policies").exists());
}

#[test]
fn json_lists_what_was_written_and_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let first = init(dir, &["--format", "json"]);
    assert_eq!(first.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(doc["written"].as_array().unwrap().len(), 6);
    assert_eq!(doc["unchanged"], serde_json::json!([]));
    let again = init(dir, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(doc["written"], serde_json::json!([]));
    assert_eq!(doc["unchanged"].as_array().unwrap().len(), 6);
    let refused = init(dir, &["--format", "json", "--project", "x"]);
    assert_eq!(refused.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(doc["written"], serde_json::json!([]));
    assert!(doc["io_errors"].to_string().contains("other content"));
}

#[test]
fn questions_are_asked_on_a_terminal_only() {
    // `script` gives qpol a pseudo-terminal; the answers are typed into it.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("org");
    let command = format!("{} init {}", env!("CARGO_BIN_EXE_qpol"), dir.display());
    let typed = "ml finance\nsaml\neu-de\n\n";
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    let asked = support::run::run_with_input(&mut script, typed);
    assert_eq!(asked.status.code(), Some(0), "{}", stdout(&asked));
    let shown = stdout(&asked);
    assert!(
        shown.contains("Projects, separated by spaces or commas [example]: "),
        "{shown}"
    );
    assert!(shown.contains("IBM Cloud account id (`ibmcloud account show`; Enter: none): "));
    let policy = std::fs::read_to_string(dir.join("policies/main.qpol")).unwrap();
    assert!(policy.contains("project finance {") && policy.contains("kind saml;"));
    assert!(policy.contains("region eu-de;"));
}

#[test]
fn nothing_is_written_through_a_symlink_even_with_force() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("notes.md"), "precious\n").unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir(&dir).unwrap();
    symlink(outside.join("notes.md"), dir.join("README.md")).unwrap();
    for flags in [&[][..], &["--force"][..]] {
        let refused = init(&dir, flags);
        assert_eq!(refused.status.code(), Some(2), "{flags:?}");
        assert!(
            stderr(&refused).contains("is a symlink"),
            "{}",
            stderr(&refused)
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.join("notes.md")).unwrap(),
        "precious\n"
    );
    std::fs::remove_file(dir.join("README.md")).unwrap();
    // A linked folder on the way is refused too.
    symlink(&outside, dir.join(".github")).unwrap();
    let refused = init(&dir, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains(".github` is a symlink"),
        "{}",
        stderr(&refused)
    );
    assert!(!outside.join("workflows").exists());
    assert!(!dir.join("policies").exists());
    // A file where a folder goes.
    std::fs::remove_file(dir.join(".github")).unwrap();
    std::fs::write(dir.join("policies"), "x").unwrap();
    let refused = init(&dir, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("where qpol init needs a folder"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn a_failed_write_names_what_was_written_before_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // README.md is written last: make it unwritable (read-only, with --force).
    std::fs::write(dir.join("README.md"), "ours\n").unwrap();
    let mut perms = std::fs::metadata(dir.join("README.md"))
        .unwrap()
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o444);
    std::fs::set_permissions(dir.join("README.md"), perms).unwrap();
    let failed = init(dir, &["--force"]);
    assert_eq!(failed.status.code(), Some(2));
    let err = stderr(&failed);
    assert!(err.contains("read-only"), "{err}");
    assert!(
        err.contains("written before it: policies/main.qpol, .github/workflows/qpol.yml"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "ours\n"
    );
}

#[test]
fn more_projects_than_a_start_needs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..101).map(|i| format!("p{i:03}")).collect();
    let mut flags: Vec<&str> = Vec::new();
    for n in &names {
        flags.extend(["--project", n]);
    }
    let refused = init(tmp.path(), &flags);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("101 projects"),
        "{}",
        stderr(&refused)
    );
    assert!(tree(tmp.path()).is_empty());
}
