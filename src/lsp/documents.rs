//! The editor's open buffers, and which policy a file belongs to: the
//! `*.qpol` files of its folder (on disk, each open buffer in place of its
//! file), as `qpol check FOLDER` reads them; a file that is not a `*.qpol`
//! in a readable folder (an unsaved buffer, `untitled:`) is a policy alone.

use super::position::LineIndex;
use lsp_types::{TextDocumentContentChangeEvent, Url};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One open buffer: its text as the editor holds it, and its version.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: Arc<String>,
    pub version: i32,
}

/// The policy a file belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKey {
    /// Every `*.qpol` of this folder.
    Folder(PathBuf),
    /// This document alone.
    Single(Url),
}

/// A file of a policy to analyse: where it is, and its text.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    pub uri: Url,
    /// The name diagnostics use (the path, as `qpol check` shows it).
    pub name: String,
    pub text: Arc<String>,
    /// The buffer's version when the text is an open buffer's.
    pub version: Option<i32>,
}

/// The open buffers, by URI.
#[derive(Debug, Clone, Default)]
pub struct Documents {
    open: BTreeMap<Url, Document>,
}

impl Documents {
    pub fn open(&mut self, uri: Url, text: String, version: i32) {
        self.open.insert(
            uri,
            Document {
                text: Arc::new(text),
                version,
            },
        );
    }

    pub fn close(&mut self, uri: &Url) {
        self.open.remove(uri);
    }

    pub fn get(&self, uri: &Url) -> Option<&Document> {
        self.open.get(uri)
    }

    /// Apply the editor's changes, in order; a range past the end of the
    /// text is clamped to it (an edit never fails). `Ok(false)` when the
    /// document is not open; `Err(current version)` (nothing applied) when
    /// `version` is older than the document's: a change arriving late.
    pub fn change(
        &mut self,
        uri: &Url,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Result<bool, i32> {
        let Some(doc) = self.open.get_mut(uri) else {
            return Ok(false);
        };
        if version < doc.version {
            return Err(doc.version);
        }
        let text = Arc::make_mut(&mut doc.text);
        for change in changes {
            match change.range {
                None => *text = change.text,
                Some(range) => {
                    let index = LineIndex::new(text);
                    let start = index.offset_clamped(text, range.start);
                    let end = index.offset_clamped(text, range.end).max(start);
                    text.replace_range(start..end, &change.text);
                }
            }
        }
        doc.version = version;
        Ok(true)
    }

    /// The policy `uri` belongs to.
    pub fn key(&self, uri: &Url) -> PolicyKey {
        folder_of(uri).map_or_else(|| PolicyKey::Single(uri.clone()), PolicyKey::Folder)
    }

    /// The text of a file: its open buffer, else the file on disk.
    pub fn text(&self, uri: &Url) -> Result<Arc<String>, String> {
        if let Some(doc) = self.open.get(uri) {
            return Ok(Arc::clone(&doc.text));
        }
        let path = uri
            .to_file_path()
            .map_err(|()| format!("`{uri}` is not open and is not a file on disk"))?;
        let bytes = crate::policy::read_regular(&path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        String::from_utf8(bytes)
            .map(Arc::new)
            .map_err(|_| format!("`{}` is not UTF-8 text", path.display()))
    }

    /// The files of a policy, sorted by name: the folder's `*.qpol` files
    /// (open buffers in place of theirs, and open buffers of the folder not
    /// saved yet), or the one document. Files that cannot be read are left
    /// out and named in the second list.
    pub fn files(&self, key: &PolicyKey) -> (Vec<PolicyFile>, Vec<String>) {
        match key {
            PolicyKey::Single(uri) => match self.text(uri) {
                Ok(text) => (vec![self.file(uri, uri.to_string(), text)], Vec::new()),
                Err(e) => (Vec::new(), vec![e]),
            },
            PolicyKey::Folder(dir) => self.folder_files(dir),
        }
    }

    fn folder_files(&self, dir: &Path) -> (Vec<PolicyFile>, Vec<String>) {
        let mut paths: BTreeMap<PathBuf, Url> = BTreeMap::new();
        let mut errors = Vec::new();
        match crate::policy::folder_files(dir) {
            Ok((found, bad)) => {
                errors.extend(bad.iter().map(ToString::to_string));
                for path in found {
                    if let Ok(uri) = Url::from_file_path(&path) {
                        paths.insert(path, uri);
                    }
                }
            }
            Err(e) => errors.push(format!("cannot list `{}`: {e}", dir.display())),
        }
        for uri in self.open.keys() {
            if let Some(path) = uri.to_file_path().ok().filter(|p| in_folder(p, dir)) {
                paths.insert(path, uri.clone());
            }
        }
        let mut files = Vec::new();
        for (path, uri) in paths {
            match self.text(&uri) {
                Ok(text) => files.push(self.file(&uri, path.display().to_string(), text)),
                Err(e) => errors.push(e),
            }
        }
        (files, errors)
    }

    fn file(&self, uri: &Url, name: String, text: Arc<String>) -> PolicyFile {
        PolicyFile {
            uri: uri.clone(),
            name,
            text,
            version: self.open.get(uri).map(|d| d.version),
        }
    }

    /// The policies some open buffer belongs to.
    pub fn keys(&self) -> Vec<PolicyKey> {
        let mut keys: Vec<PolicyKey> = self.open.keys().map(|u| self.key(u)).collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// The folder whose policy a `file:` URI of a `*.qpol` file belongs to.
fn folder_of(uri: &Url) -> Option<PathBuf> {
    let path = uri.to_file_path().ok()?;
    if path.extension().is_none_or(|e| e != "qpol") {
        return None;
    }
    let dir = path.parent()?;
    dir.is_dir().then(|| dir.to_path_buf())
}

fn in_folder(path: &Path, dir: &Path) -> bool {
    path.parent() == Some(dir) && path.extension().is_some_and(|e| e == "qpol")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|(a, b)| Range::new(Position::new(a.0, a.1), Position::new(b.0, b.1))),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn changes_apply_in_order_and_clamp() {
        let uri = Url::parse("untitled:a").unwrap();
        let mut docs = Documents::default();
        docs.open(uri.clone(), "role r;\nx\n".into(), 1);
        let edits = vec![
            change(Some(((0, 5), (0, 6))), "rr"),
            change(Some(((1, 0), (1, 1))), "y𝄞z"),
            // Past the end of the text: appended.
            change(Some(((9, 0), (9, 3))), "!"),
            // Inside `𝄞`: its start.
            change(Some(((1, 2), (1, 2))), "-"),
        ];
        assert_eq!(docs.change(&uri, 2, edits), Ok(true));
        assert_eq!(docs.get(&uri).unwrap().text.as_str(), "role rr;\ny-𝄞z\n!");
        assert_eq!(docs.get(&uri).unwrap().version, 2);
        assert_eq!(
            docs.change(&uri, 3, vec![change(None, "all new")]),
            Ok(true)
        );
        assert_eq!(docs.get(&uri).unwrap().text.as_str(), "all new");
        // Older than the document: ignored.
        assert_eq!(docs.change(&uri, 2, vec![change(None, "old")]), Err(3));
        assert_eq!(docs.get(&uri).unwrap().text.as_str(), "all new");
        assert_eq!(
            docs.change(&Url::parse("untitled:b").unwrap(), 1, Vec::new()),
            Ok(false)
        );
    }

    #[test]
    fn a_qpol_file_in_a_folder_is_part_of_the_folders_policy() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.qpol"),
            "role r { actions device.read; }\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a policy").unwrap();
        let mut docs = Documents::default();
        let open = Url::from_file_path(dir.path().join("b.qpol")).unwrap();
        docs.open(open.clone(), "instance i;".into(), 7);
        let key = docs.key(&open);
        assert_eq!(key, PolicyKey::Folder(dir.path().to_path_buf()));
        let (files, errors) = docs.files(&key);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<_> = files
            .iter()
            .map(|f| {
                (
                    f.uri.path().rsplit('/').next().unwrap().to_string(),
                    f.version,
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("a.qpol".to_string(), None),
                ("b.qpol".to_string(), Some(7))
            ]
        );
        let lone = Url::from_file_path(dir.path().join("notes.txt")).unwrap();
        assert_eq!(docs.key(&lone), PolicyKey::Single(lone.clone()));
        assert_eq!(docs.files(&PolicyKey::Single(lone)).0.len(), 1);
    }
}
