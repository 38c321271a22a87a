//! Files the CLI tests make and inspect: paths as text, FIFOs, and the
//! temporaries qpol leaves (or must not leave) beside its outputs.

use std::ffi::CString;
use std::path::{Path, PathBuf};

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A FIFO at `path` (reading it blocks until a writer comes).
pub fn mkfifo(path: &Path) {
    let c = CString::new(s(path)).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

/// The names of qpol's temporaries (`.NAME.qpol-tmp-PID`) in `dir`.
pub fn temps(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".qpol-tmp-"))
        .collect()
}

/// The `*.qpol` files of a folder, sorted.
pub fn qpol_files(dir: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "qpol"))
        .collect();
    paths.sort();
    paths
}

/// The bundled example policies: `policies/*.qpol` (the seed scenario, one
/// policy) and the `*.qpol` of each folder of `policies/examples/` (one
/// policy per folder), sorted.
pub fn example_policies() -> Vec<PathBuf> {
    let mut paths = qpol_files("policies");
    for folder in example_folders() {
        paths.extend(qpol_files(s(&folder)));
    }
    paths.sort();
    paths
}

/// The folders of `policies/examples/`, each one policy, sorted.
pub fn example_folders() -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir("policies/examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    folders
}
