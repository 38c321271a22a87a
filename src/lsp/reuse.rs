//! What the analysis thread keeps of one analysis of a policy for the
//! next: for each file, by its position in the policy, its name and text,
//! the source (text and line starts, shared with the analysis), the LSP
//! line index, and its parse (syntax tree and the users read from it), so
//! that an edit in one file parses that file alone.
//!
//! A file is taken again only when its position, name and text are the
//! same (the parse's spans name the file by its position). The parse of a
//! file whose text just changed is not kept (the file being edited changes
//! again at the next edit: copying its parse would be wasted); once it is
//! seen unchanged, it is parsed once more and kept. The result is the
//! same as a fresh parse of every file: the parse of a text depends on
//! nothing but the text and the file's position.

use super::documents::PolicyFile;
use super::position::LineIndex;
use crate::diag::{FileId, SourceFile};
use crate::model::UserReader;
use crate::policy::Policy;
use crate::syntax::Parsed;
use std::sync::Arc;

/// The files of the last analysis of one policy.
#[derive(Debug, Default)]
pub struct Reuse {
    files: Vec<Kept>,
    /// How many files the last [`Reuse::add_all`] parsed (for the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    parsed: usize,
}

/// One file as the last analysis read it.
#[derive(Debug)]
struct Kept {
    name: String,
    source: SourceFile,
    lines: Arc<LineIndex>,
    /// `None` when the text had just changed (see the module's doc).
    parse: Option<(Parsed, Vec<UserReader>)>,
}

/// How a file entered a policy: its id and LSP line index.
pub struct Added {
    pub id: FileId,
    pub lines: Arc<LineIndex>,
}

impl Reuse {
    /// Add `files` to an empty `policy`, in order, parsing only those not
    /// kept from the last call, and keep them for the next.
    pub fn add_all(&mut self, policy: &mut Policy, files: &[PolicyFile]) -> Vec<Added> {
        let mut old = std::mem::take(&mut self.files).into_iter();
        let mut added = Vec::with_capacity(files.len());
        self.parsed = 0;
        for file in files {
            let kept = old.next().filter(|k| k.name == file.name);
            let parsed = !kept
                .as_ref()
                .is_some_and(|k| k.parse.is_some() && same_text(&k.source.text, &file.text));
            let (kept, id) = match kept {
                Some(k) if same_text(&k.source.text, &file.text) => add_same(policy, k),
                // Just edited: parsed, not kept.
                Some(k) => {
                    let id = policy.add_shared(&file.name, Arc::clone(&file.text));
                    (new_kept(policy, id, k.name, None), id)
                }
                None => {
                    let source = SourceFile::new(file.name.clone(), Arc::clone(&file.text));
                    let (id, parse) = add_copied(policy, source);
                    (new_kept(policy, id, file.name.clone(), Some(parse)), id)
                }
            };
            self.parsed += usize::from(parsed);
            added.push(Added {
                id,
                lines: Arc::clone(&kept.lines),
            });
            self.files.push(kept);
        }
        added
    }
}

/// A file whose text did not change: its parse taken again, or (after an
/// edit) made once more and kept from now on.
fn add_same(policy: &mut Policy, mut kept: Kept) -> (Kept, FileId) {
    let id = match &kept.parse {
        Some((parsed, readers)) => {
            policy.add_parsed(kept.source.clone(), parsed.clone(), readers.clone())
        }
        None => {
            let (id, parse) = add_copied(policy, kept.source.clone());
            kept.parse = Some(parse);
            id
        }
    };
    (kept, id)
}

/// Add and parse a source; its id and a copy of its parse.
fn add_copied(policy: &mut Policy, source: SourceFile) -> (FileId, (Parsed, Vec<UserReader>)) {
    let readers_before = policy.read_users.len();
    let id = policy.add_source(source);
    let parsed = policy
        .files
        .last()
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    let readers = policy
        .read_users
        .get(readers_before..)
        .map(<[UserReader]>::to_vec)
        .unwrap_or_default();
    (id, (parsed, readers))
}

/// The entry kept for a file just added to `policy` under `id`.
fn new_kept(
    policy: &Policy,
    id: FileId,
    name: String,
    parse: Option<(Parsed, Vec<UserReader>)>,
) -> Kept {
    let source = policy
        .sources
        .get(id)
        .cloned()
        .unwrap_or_else(|| SourceFile::new(name.clone(), String::new()));
    Kept {
        lines: Arc::new(LineIndex::new(&source.text)),
        name,
        source,
        parse,
    }
}

fn same_text(a: &Arc<String>, b: &Arc<String>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::diagnostics;
    use super::super::documents::PolicyFile;
    use super::super::snapshot::Snapshot;
    use super::Reuse;
    use crate::pipeline::{Analysis, Cancel};
    use crate::policy::Policy;
    use lsp_types::Url;
    use std::sync::Arc;

    /// A small synthetic org as a folder of four files, as the benchmark
    /// writes it: (name, text).
    fn org() -> Vec<(String, String)> {
        let text = crate::synth::generate(&crate::synth::OrgSpec::new(30, 120, 3)).text;
        let names = ["00-base", "10-projects", "20-groups", "30-users"];
        let mut files: Vec<(String, String)> = names
            .iter()
            .map(|n| (format!("/org/{n}.qpol"), String::new()))
            .collect();
        for line in text.lines() {
            let at = match line.split_whitespace().next() {
                Some("project") => 1,
                Some("group") => 2,
                Some("user") => 3,
                _ => 0,
            };
            files[at].1.push_str(line);
            files[at].1.push('\n');
        }
        files
    }

    fn policy_files(files: &[(String, Arc<String>)]) -> Vec<PolicyFile> {
        files
            .iter()
            .map(|(name, text)| PolicyFile {
                uri: Url::from_file_path(name).unwrap(),
                name: name.clone(),
                text: Arc::clone(text),
                version: Some(1),
            })
            .collect()
    }

    /// Replace the first `from` in file `at` (a new text, as an edit makes).
    fn edit(files: &mut [(String, Arc<String>)], at: usize, from: &str, to: &str) {
        let text = &files[at].1;
        assert!(text.contains(from), "{from:?} not in {}", files[at].0);
        files[at].1 = Arc::new(text.replacen(from, to, 1));
    }

    /// A fresh analysis of the same texts, as `qpol check FOLDER` reads them.
    fn fresh(files: &[(String, Arc<String>)]) -> Analysis {
        let mut policy = Policy::default();
        for (name, text) in files {
            policy.add_bytes(name, text.as_bytes().to_vec());
        }
        Analysis::new(policy)
    }

    /// Every step: the incremental snapshot's findings, published
    /// diagnostics and model equal a fresh analysis's; it parsed `parsed`
    /// files; unchanged files keep their text and line index.
    #[test]
    fn an_incremental_snapshot_equals_a_fresh_analysis_over_edits_across_files() {
        let mut files: Vec<(String, Arc<String>)> =
            org().into_iter().map(|(n, t)| (n, Arc::new(t))).collect();
        let mut reuse = Reuse::default();
        let mut previous: Option<Snapshot> = None;
        let mut codes_seen = std::collections::BTreeSet::new();
        let mut step = |files: &[(String, Arc<String>)], parsed: usize, what: &str| {
            let snapshot =
                Snapshot::build_reusing(policy_files(files), &mut reuse, &Cancel::default())
                    .unwrap();
            assert_eq!(reuse.parsed, parsed, "files parsed: {what}");
            let expected = fresh(files);
            assert_eq!(
                snapshot.analysis.diagnostics, expected.diagnostics,
                "{what}"
            );
            assert_eq!(
                serde_json::to_string(&snapshot.analysis.model).unwrap(),
                serde_json::to_string(&expected.model).unwrap(),
                "{what}"
            );
            let full = Snapshot::build(policy_files(files));
            assert_eq!(
                diagnostics::publish(&snapshot),
                diagnostics::publish(&full),
                "{what}"
            );
            for file in &snapshot.files {
                // The text is the buffer's own, not a copy.
                let source = snapshot.analysis.sources.get(file.id).unwrap();
                assert!(Arc::ptr_eq(&source.text, &file.text), "{what}");
                let old = previous.as_ref().and_then(|p| p.file_of(&file.uri));
                // (A file that moved is read anew: its position is its id.)
                if let Some(old) = old.filter(|o| o.text == file.text && o.id == file.id) {
                    assert!(Arc::ptr_eq(&old.lines, &file.lines), "{what}: line index");
                }
            }
            codes_seen.extend(snapshot.analysis.diagnostics.iter().map(|d| d.code.id()));
            previous = Some(snapshot);
        };
        step(&files, 4, "first analysis: every file");
        step(&files, 0, "nothing changed");
        // A rename across files: the reference first, then the declaration.
        edit(&mut files, 2, " prj-3,", " prj-3b,");
        step(&files, 1, "reference renamed (Q101 in the groups file)");
        edit(&mut files, 1, "project prj-3 ", "project prj-3b ");
        step(
            &files,
            2,
            "declaration renamed (groups parsed again, now unchanged)",
        );
        step(&files, 1, "projects parsed again, now unchanged");
        // A syntax error, then its fix.
        edit(&mut files, 1, "project contains", "project =");
        step(&files, 1, "syntax error");
        edit(&mut files, 1, "project =", "project contains");
        step(&files, 1, "fixed");
        // A user edited; a typo in the base file.
        edit(&mut files, 3, "idp org-users;", "idp org-user;");
        step(&files, 2, "user names an unknown idp");
        edit(&mut files, 0, "instance QR-1 ", "instance QR-1x ");
        step(&files, 2, "instance renamed: its references break");
        // A file added before the others: every position moves.
        files.insert(
            0,
            (
                "/org/000-extra.qpol".to_string(),
                Arc::new("project prj-0 { instances QR-0; }\n".to_string()),
            ),
        );
        step(&files, 5, "a file added first (a duplicate project)");
        step(&files, 0, "nothing changed");
        files.remove(0);
        step(&files, 4, "the file removed again");
        // The same texts in new buffers (equal, not the same allocation).
        for file in &mut files {
            file.1 = Arc::new(file.1.as_str().to_string());
        }
        step(&files, 0, "equal texts");
        for code in ["Q001", "Q101"] {
            assert!(
                codes_seen.contains(code),
                "{code} never seen: {codes_seen:?}"
            );
        }
    }
}
