//! One analysis of one policy as the editor sees it: the [`Analysis`] of
//! the pipeline `qpol check` runs, and for each of its files the URI, the
//! text analysed and its line index, so that spans become LSP ranges and
//! LSP positions become offsets. Requests answer from a snapshot; a query
//! of `crate::ide` needs only [`Snapshot::locate`] and [`Snapshot::location`].

use super::documents::PolicyFile;
use super::position::{LineIndex, PositionError};
use crate::diag::{FileId, Span};
use crate::pipeline::Analysis;
use crate::policy::Policy;
use lsp_types::{Location, Position, Range, Url};
use std::sync::Arc;

/// A file of a snapshot.
#[derive(Debug)]
pub struct SnapshotFile {
    pub uri: Url,
    pub id: FileId,
    pub text: Arc<String>,
    pub version: Option<i32>,
    pub lines: LineIndex,
}

/// An analysed policy.
#[derive(Debug)]
pub struct Snapshot {
    pub analysis: Analysis,
    pub files: Vec<SnapshotFile>,
}

impl Snapshot {
    /// Run the pipeline on these files (one policy).
    pub fn build(files: Vec<PolicyFile>) -> Snapshot {
        let mut policy = Policy::default();
        let mut out = Vec::with_capacity(files.len());
        for file in files {
            let id = policy.add_bytes(&file.name, file.text.as_bytes().to_vec());
            out.push(SnapshotFile {
                uri: file.uri,
                id,
                lines: LineIndex::new(&file.text),
                text: file.text,
                version: file.version,
            });
        }
        Snapshot {
            analysis: Analysis::new(policy),
            files: out,
        }
    }

    pub fn file(&self, id: FileId) -> Option<&SnapshotFile> {
        self.files.iter().find(|f| f.id == id)
    }

    pub fn file_of(&self, uri: &Url) -> Option<&SnapshotFile> {
        self.files.iter().find(|f| &f.uri == uri)
    }

    /// The range of a span in its file.
    pub fn range(&self, span: Span) -> Option<Range> {
        let file = self.file(span.file)?;
        Some(file.lines.range(&file.text, span.start(), span.end()))
    }

    /// The location of a span.
    pub fn location(&self, span: Span) -> Option<Location> {
        let file = self.file(span.file)?;
        Some(Location::new(
            file.uri.clone(),
            file.lines.range(&file.text, span.start(), span.end()),
        ))
    }

    /// The file and byte offset of an LSP position, for a query.
    pub fn locate(&self, uri: &Url, pos: Position) -> Result<(FileId, usize), LocateError> {
        let file = self
            .file_of(uri)
            .ok_or_else(|| LocateError::NotInPolicy(uri.clone()))?;
        let offset = file.lines.offset(&file.text, pos)?;
        Ok((file.id, offset))
    }

    /// Whether the snapshot analysed exactly these texts.
    pub fn is_of(&self, files: &[PolicyFile]) -> bool {
        self.files.len() == files.len()
            && self
                .files
                .iter()
                .zip(files)
                .all(|(a, b)| a.uri == b.uri && (Arc::ptr_eq(&a.text, &b.text) || a.text == b.text))
    }
}

/// A position a request cannot be answered at.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    #[error("`{0}` is not a file of the policy analysed")]
    NotInPolicy(Url),
    #[error(transparent)]
    Position(#[from] PositionError),
}
