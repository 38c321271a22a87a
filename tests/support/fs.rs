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
