//! Reading a policy: one `.qpol` file, or a folder of them read as one
//! policy (like Terraform reads a folder), into a [`Policy`] of parsed files.

use crate::diag::escape::inline;
use crate::diag::{Code, Diagnostic, FileId, Label, SourceFile, SourceMap, Span};
use crate::model::UserReader;
use crate::syntax::{parse_file, parse_file_reading, Parsed};
use std::path::{Path, PathBuf};

/// Every file of a policy, parsed, with the diagnostics of reading and parsing.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub sources: SourceMap,
    pub files: Vec<(FileId, Parsed)>,
    /// The users of files added with [`Policy::add_bytes`] (files read
    /// from disk), read while parsed: their syntax trees do not hold them.
    pub read_users: Vec<UserReader>,
}

/// Reading failed before any policy text was seen (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read `{}`: {reason}", inline(path))]
    Io { path: String, reason: String },
    #[error("cannot read standard input: {reason}")]
    Stdin { reason: String },
    #[error("`{}` holds no `*.qpol` files", inline(path))]
    NoPolicyFiles { path: String },
    /// `*.qpol` entries of a folder that are not readable regular files.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Entries(Vec<EntryError>),
}

/// A `*.qpol` entry of a folder that cannot be read as a policy file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot read `{}`: {reason}", inline(path))]
pub struct EntryError {
    pub path: String,
    pub reason: String,
}

impl LoadError {
    /// Each failure as (path, whole message), for reports that list them.
    pub fn entries(&self) -> Vec<(String, String)> {
        match self {
            LoadError::Io { path, .. } | LoadError::NoPolicyFiles { path } => {
                vec![(path.clone(), self.to_string())]
            }
            LoadError::Stdin { .. } => vec![(STDIN.to_string(), self.to_string())],
            LoadError::Entries(errors) => errors
                .iter()
                .map(|e| (e.path.clone(), e.to_string()))
                .collect(),
        }
    }
}

/// The `*.qpol` files of a folder, sorted by name, not recursive, and an
/// error for every `*.qpol` entry that is not a regular file or a symlink
/// to one: a dangling symlink, a symlink loop, a FIFO (never opened: it
/// would block), a device, a folder. Nothing is skipped silently.
pub fn folder_files(dir: &Path) -> std::io::Result<(Vec<PathBuf>, Vec<EntryError>)> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "qpol") {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => found.push(path),
            Ok(meta) => errors.push(EntryError {
                path: path.display().to_string(),
                reason: format!(
                    "it is {}, not a regular file; remove it, or rename it so that it does not end in `.qpol`",
                    file_kind(&meta)
                ),
            }),
            Err(e) => errors.push(EntryError {
                path: path.display().to_string(),
                reason: match std::fs::read_link(&path) {
                    Ok(to) => format!(
                        "it is a symlink to `{}`, which cannot be read ({e}); fix or remove the link",
                        crate::diag::escape::path(&to)
                    ),
                    Err(_) => e.to_string(),
                },
            }),
        }
    }
    found.sort();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((found, errors))
}

/// What a file system entry is, for messages: "a FIFO", "a folder", ...
pub fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// [`file_kind`], "a regular file" for one.
pub fn file_kind_or_file(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_file() {
        "a regular file"
    } else {
        file_kind(meta)
    }
}

/// Read a file found in a folder: opened without blocking (an entry that
/// became a FIFO since it was listed must not hang the run) and read only
/// if it is a regular file.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(format!(
            "it is {}, not a regular file",
            file_kind(&meta)
        )));
    }
    let limit = max_input_bytes();
    if meta.len() > limit {
        return Err(std::io::Error::other(format!(
            "it is larger than {}, not a policy",
            limit_shown(limit)
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The most bytes a policy file (or standard input) may hold: 1 GiB. No
/// policy comes near it; a stream that goes on (a device, a FIFO fed
/// without end) stops here instead of filling memory.
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

/// [`MAX_INPUT_BYTES`], or `QPOL_MAX_INPUT_BYTES` when set: that variable
/// exists for tests of the limit, which cannot write a gigabyte.
pub fn max_input_bytes() -> u64 {
    std::env::var("QPOL_MAX_INPUT_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MAX_INPUT_BYTES)
}

/// The limit as people read it: the largest unit that divides it exactly
/// ("1 GiB", "3 MiB", "5 KiB"), else bytes ("0 bytes", "1 byte", "1000 bytes").
pub fn limit_shown(limit: u64) -> String {
    let units = [(30, "GiB"), (20, "MiB"), (10, "KiB")];
    let unit = units
        .iter()
        .find(|(shift, _)| limit > 0 && limit.is_multiple_of(1u64 << shift));
    match unit {
        Some((shift, name)) => format!("{} {name}", limit >> shift),
        None if limit == 1 => "1 byte".to_string(),
        None => format!("{limit} bytes"),
    }
}

/// Read at most `limit` bytes of `reader`; more is an error.
pub fn read_capped(reader: impl std::io::Read, limit: u64) -> std::io::Result<Vec<u8>> {
    read_capped_into(reader, limit, Vec::new())
}

/// [`read_capped`] into `bytes` (empty, perhaps with capacity reserved).
fn read_capped_into(
    reader: impl std::io::Read,
    limit: u64,
    mut bytes: Vec<u8>,
) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(std::io::Error::other(format!(
            "it is larger than {}, not a policy",
            limit_shown(limit)
        )));
    }
    Ok(bytes)
}

/// Read a policy file named on the command line: a regular file or a FIFO
/// (`<(...)` is one), up to [`max_input_bytes`]. A device or a socket is
/// refused before it is opened (`/dev/zero` never ends, a terminal waits).
pub fn read_named(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(path)?;
    let t = meta.file_type();
    if t.is_char_device() || t.is_block_device() || t.is_socket() {
        return Err(std::io::Error::other(format!(
            "it is {}, not a policy file; name a regular file (or `-` for standard input)",
            file_kind(&meta)
        )));
    }
    if meta.is_dir() {
        return Err(std::io::Error::other("it is a folder"));
    }
    let file = std::fs::File::open(path)?;
    if meta.is_file() {
        // Room for the whole file at once: no copies as the buffer grows.
        let size = usize::try_from(meta.len().min(max_input_bytes())).unwrap_or(0);
        return read_capped_into(file, max_input_bytes(), Vec::with_capacity(size + 1));
    }
    read_capped(file, max_input_bytes())
}

/// Read standard input, up to [`max_input_bytes`].
pub fn read_stdin() -> std::io::Result<Vec<u8>> {
    read_capped(std::io::stdin().lock(), max_input_bytes())
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

    /// Add a text, its syntax tree whole (for the formatter and for tests
    /// that look at the tree).
    pub fn add_text(&mut self, name: &str, text: &str) -> FileId {
        let id = self.sources.add(name, text);
        let parsed = self
            .sources
            .get(id)
            .map(|source| parse_file(id, &source.text))
            .unwrap_or_default();
        self.files.push((id, parsed));
        id
    }

    /// Keep the text in the source map (without copying it) and parse it
    /// there, its users read as they are parsed, as [`Policy::add_bytes`]
    /// does for a file read from disk.
    pub fn add_shared(&mut self, name: &str, text: std::sync::Arc<String>) -> FileId {
        self.add_source(SourceFile::new(name, text))
    }

    /// [`Policy::add_shared`] for a source made before (its text and line
    /// starts are shared, not copied).
    pub fn add_source(&mut self, source: SourceFile) -> FileId {
        let text = std::sync::Arc::clone(&source.text);
        let id = self.sources.push(source);
        let (parsed, readers) = parse_file_reading(id, &text, &UserReader::default);
        self.files.push((id, parsed));
        self.read_users.extend(readers);
        id
    }

    /// Add a file parsed before, as [`Policy::add_shared`] parsed it: its
    /// source (text and line starts), its parse and the users read from it.
    /// The parse's spans name the file by its [`FileId`]: it must be the one
    /// this call gives (the file's position among the policy's files).
    pub fn add_parsed(
        &mut self,
        source: SourceFile,
        parsed: Parsed,
        readers: Vec<UserReader>,
    ) -> FileId {
        let id = self.sources.push(source);
        self.files.push((id, parsed));
        self.read_users.extend(readers);
        id
    }

    /// Add a file's bytes, as read from disk for an analysis: its users are
    /// read as they are parsed (see [`Policy::read_users`]) and its comments
    /// are not kept. Bytes that are not UTF-8 give Q003 at the first bad byte.
    pub fn add_bytes(&mut self, name: &str, bytes: Vec<u8>) -> FileId {
        match String::from_utf8(bytes) {
            // The bytes are freed as soon as the source map holds the text.
            Ok(text) => self.add_shared(name, std::sync::Arc::new(text)),
            Err(error) => {
                let valid_up_to = error.utf8_error().valid_up_to();
                let bytes = error.into_bytes();
                let shown =
                    String::from_utf8_lossy(bytes.get(..valid_up_to).unwrap_or(&[])).into_owned();
                let id = self.sources.add(name, shown);
                let diagnostic = Diagnostic::new(
                    Code::UnreadableInput,
                    format!(
                        "`{}` is not UTF-8 text: byte {valid_up_to} is not valid UTF-8",
                        inline(name)
                    ),
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

/// The name standard input goes by in diagnostics and reports.
pub const STDIN: &str = "<stdin>";

/// Whether a command-line path means standard input (`-`).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Read a policy from a file, a folder (its `*.qpol` files, sorted by name,
/// not recursive), or standard input (`-`, named `<stdin>`).
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
    if is_stdin(path) {
        let bytes = read_stdin().map_err(|e| LoadError::Stdin {
            reason: e.to_string(),
        })?;
        let mut policy = Policy {
            sources,
            ..Policy::default()
        };
        policy.add_bytes(STDIN, bytes);
        return Ok(policy);
    }
    let folder = path.is_dir();
    let files: Vec<PathBuf> = if folder {
        let (found, errors) = folder_files(path).map_err(|e| io(path, e))?;
        if !errors.is_empty() {
            return Err(LoadError::Entries(errors));
        }
        if found.is_empty() {
            return Err(LoadError::NoPolicyFiles {
                path: path.display().to_string(),
            });
        }
        found
    } else {
        // A file named on the command line may be a pipe (`<(...)`).
        vec![path.to_path_buf()]
    };
    let mut policy = Policy {
        sources,
        ..Policy::default()
    };
    for file in files {
        let bytes = if folder {
            read_regular(&file)
        } else {
            read_named(&file)
        }
        .map_err(|e| io(&file, e))?;
        policy.add_bytes(&file.display().to_string(), bytes);
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_are_capped() {
        let text = b"instance a {}\n";
        let read = super::read_capped(&text[..], 14);
        assert_eq!(read.ok().as_deref(), Some(&text[..]));
        let error = super::read_capped(&text[..], 13)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("it is larger than 13 bytes, not a policy")
        );
        let error = super::read_capped(std::io::repeat(0), super::MAX_INPUT_BYTES >> 10)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("it is larger than 1 MiB, not a policy")
        );
        assert_eq!(super::limit_shown(super::MAX_INPUT_BYTES), "1 GiB");
    }

    #[test]
    fn the_limit_is_shown_in_a_unit_right_for_any_value() {
        let shown = |n| super::limit_shown(n);
        assert_eq!(shown(0), "0 bytes");
        assert_eq!(shown(1), "1 byte");
        assert_eq!(shown(13), "13 bytes");
        assert_eq!(shown(1000), "1000 bytes");
        assert_eq!(shown(1 << 10), "1 KiB");
        assert_eq!(shown(5 << 20), "5 MiB");
        assert_eq!(shown((1 << 30) + (1 << 20)), "1025 MiB");
        assert_eq!(shown(3 << 30), "3 GiB");
        assert_eq!(shown(u64::MAX), "18446744073709551615 bytes");
    }
}
