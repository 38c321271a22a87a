//! One analysis of one policy as the editor sees it: the [`Analysis`] of
//! the pipeline `qpol check` runs, and for each of its files the URI, the
//! text analysed and its line index, so that spans become LSP ranges and
//! LSP positions become offsets. Requests answer from a snapshot; a query
//! of `crate::ide` needs only [`Snapshot::locate`] and [`Snapshot::location`].

use super::documents::PolicyFile;
use super::position::{LineIndex, PositionError};
use super::reuse::{Added, Reuse};
use crate::diag::{FileId, Span};
use crate::pipeline::{Analysis, Cancel};
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
    /// Shared with the next snapshot when the text does not change.
    pub lines: Arc<LineIndex>,
}

/// An analysed policy.
#[derive(Debug)]
pub struct Snapshot {
    pub analysis: Analysis,
    pub files: Vec<SnapshotFile>,
}

impl Snapshot {
    /// Run the pipeline on these files (one policy), every file parsed.
    pub fn build(files: Vec<PolicyFile>) -> Snapshot {
        let (policy, out) = Snapshot::read(files, None);
        Snapshot {
            analysis: Analysis::new(policy),
            files: out,
        }
    }

    /// [`Snapshot::build`], parsing only the files `reuse` does not hold
    /// from the last analysis of the policy (and keeping them for the
    /// next); `None` when `cancel` was asked before it ended.
    pub fn build_reusing(
        files: Vec<PolicyFile>,
        reuse: &mut Reuse,
        cancel: &Cancel,
    ) -> Option<Snapshot> {
        let (policy, out) = Snapshot::read(files, Some(reuse));
        if cancel.is_cancelled() {
            return None;
        }
        Some(Snapshot {
            analysis: Analysis::new_cancellable(policy, cancel)?,
            files: out,
        })
    }

    /// The policy of these files, parsed, and the snapshot's files.
    fn read(files: Vec<PolicyFile>, reuse: Option<&mut Reuse>) -> (Policy, Vec<SnapshotFile>) {
        let mut policy = Policy::default();
        let added = match reuse {
            Some(reuse) => reuse.add_all(&mut policy, &files),
            None => files
                .iter()
                .map(|file| Added {
                    id: policy.add_shared(&file.name, Arc::clone(&file.text)),
                    lines: Arc::new(LineIndex::new(&file.text)),
                })
                .collect(),
        };
        let out = files
            .into_iter()
            .zip(added)
            .map(|(file, added)| SnapshotFile {
                uri: file.uri,
                id: added.id,
                lines: added.lines,
                // The analysis's own (an equal text kept from the last one).
                text: policy
                    .sources
                    .get(added.id)
                    .map_or(file.text, |s| Arc::clone(&s.text)),
                version: file.version,
            })
            .collect();
        (policy, out)
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
