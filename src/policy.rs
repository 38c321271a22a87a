//! Reading a policy: one `.qpol` file, or a folder of them read as one
//! policy (like Terraform reads a folder), into a [`Policy`] of parsed files.

use crate::diag::{Code, Diagnostic, FileId, Label, SourceMap, Span};
use crate::syntax::{parse_file, Parsed};
use std::path::{Path, PathBuf};

/// Every file of a policy, parsed, with the diagnostics of reading and parsing.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub sources: SourceMap,
    pub files: Vec<(FileId, Parsed)>,
}

/// Reading failed before any policy text was seen (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read `{path}`: {reason}")]
    Io { path: String, reason: String },
    #[error("`{path}` holds no `*.qpol` files")]
    NoPolicyFiles { path: String },
}

impl Policy {
    /// A policy from in-memory texts, as (display name, text) pairs.
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = (&'a str, &'a str)>) -> Policy {
        let mut policy = Policy::default();
        for (name, text) in texts {
            policy.add_text(name, text);
        }
        policy
    }

    pub fn add_text(&mut self, name: &str, text: &str) -> FileId {
        let id = self.sources.add(name, text);
        let parsed = parse_file(id, text);
        self.files.push((id, parsed));
        id
    }

    /// Add a file's bytes; bytes that are not UTF-8 give Q003 at the first bad byte.
    pub fn add_bytes(&mut self, name: &str, bytes: Vec<u8>) -> FileId {
        match String::from_utf8(bytes) {
            Ok(text) => self.add_text(name, &text),
            Err(error) => {
                let valid_up_to = error.utf8_error().valid_up_to();
                let bytes = error.into_bytes();
                let shown =
                    String::from_utf8_lossy(bytes.get(..valid_up_to).unwrap_or(&[])).into_owned();
                let id = self.sources.add(name, shown);
                let diagnostic = Diagnostic::new(
                    Code::UnreadableInput,
                    format!("`{name}` is not UTF-8 text: byte {valid_up_to} is not valid UTF-8"),
                    Label::new(
                        Span::new(id, valid_up_to, valid_up_to),
                        "first byte that is not UTF-8",
                    ),
                )
                .with_help("save the file as UTF-8; qpol reads nothing of a file it cannot decode");
                self.files.push((
                    id,
                    Parsed {
                        diagnostics: vec![diagnostic],
                        ..Parsed::default()
                    },
                ));
                id
            }
        }
    }

    /// Every diagnostic of reading and parsing.
    pub fn syntax_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.files.iter().flat_map(|(_, p)| p.diagnostics.iter())
    }
}

/// Read a policy from a file or a folder (its `*.qpol` files, sorted by name,
/// not recursive).
pub fn load(path: &Path) -> Result<Policy, LoadError> {
    load_after(path, SourceMap::default())
}

/// Like [`load`], with the files numbered after those of `sources` (so a
/// baseline's diagnostics can be shown beside the policy's).
pub fn load_after(path: &Path, sources: SourceMap) -> Result<Policy, LoadError> {
    let io = |p: &Path, e: std::io::Error| LoadError::Io {
        path: p.display().to_string(),
        reason: e.to_string(),
    };
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| io(path, e))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "qpol"))
            .collect();
        found.sort();
        if found.is_empty() {
            return Err(LoadError::NoPolicyFiles {
                path: path.display().to_string(),
            });
        }
        found
    } else {
        vec![path.to_path_buf()]
    };
    let mut policy = Policy {
        sources,
        files: Vec::new(),
    };
    for file in files {
        let bytes = std::fs::read(&file).map_err(|e| io(&file, e))?;
        policy.add_bytes(&file.display().to_string(), bytes);
    }
    Ok(policy)
}
