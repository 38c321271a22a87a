//! The bundled examples as a user opens them: `policies/` is one policy
//! (the seed scenario; a folder's `*.qpol` are read together, not its
//! subfolders), and each folder of `policies/examples/` is a policy of its
//! own. An editor rooted at any of these folders shows no duplicate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::fs::{example_folders, s};
use support::run::{qpol, stderr, stdout};

/// `qpol check FOLDER`: exits 0, with no error and no duplicate name.
fn checks_clean(folder: &str) {
    let out = qpol(&["check", folder]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{folder}:\n{text}");
    assert!(!text.contains("Q102"), "{folder}:\n{text}");
    assert!(!text.contains("error["), "{folder}:\n{text}");
}

#[test]
fn the_policies_folder_is_one_clean_policy() {
    checks_clean("policies/");
    let top: Vec<_> = std::fs::read_dir("policies")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".qpol"))
        .collect();
    assert_eq!(top, ["org.qpol"], "policies/ holds the seed scenario alone");
}

#[test]
fn each_example_folder_checks_clean_on_its_own() {
    let folders = example_folders();
    let names: Vec<_> = folders
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["nested", "reader-writer"]);
    for folder in &folders {
        checks_clean(s(folder));
        // Its assertions pass, as in `qpol test`.
        let out = qpol(&["test", s(folder)]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        assert!(
            stdout(&out).contains(" passed, 0 failed"),
            "{}",
            stdout(&out)
        );
    }
}
