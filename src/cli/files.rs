//! Writing a file without harming what is not ours. The file is written
//! beside its target as `.NAME.qpol-tmp-PID`, then renamed over it, so an
//! interrupted write never leaves a truncated file. Only a regular file (or
//! nothing) is replaced: a symlink is followed to the file it points to, and
//! a FIFO, a device or a folder is refused. The owner and mode of the old
//! file are kept, a read-only file is refused, and a file with several hard
//! links is rewritten in place so that every link keeps the new content.
//! Temporaries still being written are removed on SIGINT and SIGTERM
//! (exit 130 and 143), which then name on stderr the files already written
//! in full (each output is either untouched or whole, never half written);
//! temporaries of processes that no longer run are removed by the next
//! write of the same file. The handler is installed at the start of every
//! command, and the end of a run takes its lock for good (see
//! [`end_of_run`]): a run either completes or is reported interrupted.

use std::collections::BTreeSet;
use std::fs::{File, Metadata, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Temporaries being written now, and the files this run has written in
/// full (recorded under the lock that wrote them). The signal handler holds
/// this lock while it removes the temporaries, names the written files and
/// exits, so a rename or an in-place copy done under the lock is never cut
/// in half by SIGINT or SIGTERM, and never left unsaid.
static LIVE: Mutex<Live> = Mutex::new(Live {
    temps: Vec::new(),
    written: Vec::new(),
});

struct Live {
    temps: Vec<PathBuf>,
    /// Written files, as shown to people (escaped).
    written: Vec<String>,
}

/// Whether anything was written to stdout (a stream cut by a signal is
/// incomplete).
static STDOUT_USED: AtomicBool = AtomicBool::new(false);

/// Record that stdout is being written to.
pub fn stdout_used() {
    STDOUT_USED.store(true, Ordering::SeqCst);
}

/// What the signal handler says on stderr before it exits.
fn interrupted_message(written: &[String], stdout: bool) -> String {
    let cut = if stdout {
        "the standard output is incomplete"
    } else {
        ""
    };
    if written.is_empty() {
        return if stdout {
            format!("interrupted; {cut}; no file was written")
        } else {
            "interrupted; nothing was written".to_string()
        };
    }
    let names: Vec<String> = written.iter().map(|w| format!("`{w}`")).collect();
    let names = names.join(", ");
    if stdout {
        format!("interrupted; {names} had already been written in full, every other file is untouched; {cut}")
    } else {
        format!("interrupted; {names} had already been written in full, every other output is untouched")
    }
}

/// The end of a run: take the lock the signal handler holds, and keep it
/// until the process exits. A handler already running finishes first (the
/// process exits 130 or 143 through it, its message said); a signal caught
/// after this point finds the run complete and says nothing.
pub fn end_of_run() {
    std::mem::forget(end_of_run_guard());
}

fn end_of_run_guard() -> MutexGuard<'static, Live> {
    live()
}

/// Files whose stale temporaries this run has already removed.
static CLEANED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
static HANDLER: OnceLock<()> = OnceLock::new();

/// What a run that changes something other than files (`apply`: the
/// account) says when interrupted, instead of naming files.
type Report = Box<dyn Fn() -> String + Send>;
static REPORT: Mutex<Option<Report>> = Mutex::new(None);

/// Have the signal handler say `report()` (what was done, how to finish)
/// instead of "nothing was written".
pub fn on_interrupt(report: Report) {
    *REPORT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(report);
}

const TEMP_MARK: &str = ".qpol-tmp-";

fn live() -> MutexGuard<'static, Live> {
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Remove the live temporaries on SIGINT or SIGTERM, then exit 128 + signal.
/// Installed at the start of every command, so a signal while reading or
/// checking says "nothing was written" too.
pub fn install_handler() {
    HANDLER.get_or_init(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let live = live();
                for temp in &live.temps {
                    let _ = std::fs::remove_file(temp);
                }
                let report = REPORT
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .as_ref()
                    .map(|r| r());
                super::note(report.unwrap_or_else(|| {
                    interrupted_message(&live.written, STDOUT_USED.load(Ordering::SeqCst))
                }));
                std::process::exit(128 + signal);
            }
        });
    });
}

/// Device and inode: two paths with the same key are one file (through
/// symlinks and hard links).
pub fn key(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// The file a write to `path` would replace: the path itself, or the file
/// a symlink points to, with its metadata when it exists. A dangling
/// symlink, a symlink loop and anything but a regular file are refused.
pub fn target(path: &Path) -> Result<(PathBuf, Option<Metadata>), String> {
    let shown = crate::diag::escape::path(path);
    let real = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((path.to_path_buf(), None)),
        Err(e) => return Err(format!("cannot read `{shown}`: {e}")),
        Ok(m) if m.file_type().is_symlink() => match std::fs::canonicalize(path) {
            Ok(real) => real,
            // `/dev/fd/63` of `<(...)` leads to a pipe that has no path.
            Err(_) if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) => {
                path.to_path_buf()
            }
            Err(e) => return Err(format!(
                "`{shown}` is a symlink that leads to no file ({e}); remove it or point it at a regular file"
            )),
        },
        Ok(_) => path.to_path_buf(),
    };
    let meta = std::fs::metadata(&real).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "`{shown}` is {}, not a regular file; qpol only replaces regular files: name a new or regular file",
            crate::policy::file_kind(&meta)
        ));
    }
    Ok((real, Some(meta)))
}

/// Refuse an output (`-o`) that would harm the policy at `policy`: one of
/// its own files (`meta` is the target's, from [`target`]; the same device
/// and inode, through symlinks and hard links), or any `*.qpol` file (the
/// next run of a folder policy would read it as policy). `what` names the
/// output ("the graph"), `rename` says what to name it instead.
pub fn guard_output(
    file: &Path,
    meta: Option<&Metadata>,
    policy: &Path,
    what: &str,
    rename: &str,
) -> Result<(), String> {
    let shown = crate::diag::escape::path(file);
    if let Some(meta) = meta {
        let inputs = super::compile::input_files(policy);
        if let Some(input) = inputs.iter().find(|(_, k)| *k == key(meta)) {
            return Err(format!(
                "refusing to write `{shown}`: it is the policy file `{}` (the same file); name another output",
                crate::diag::escape::path(&input.0)
            ));
        }
    }
    if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("qpol"))
    {
        return Err(format!(
            "refusing to write {what} to `{shown}`: a `*.qpol` file would be read as policy (and break it); {rename}"
        ));
    }
    Ok(())
}

/// Write `path` with the content produced by `fill` (see the module doc).
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let (real, old) = target(path)?;
    let shown = crate::diag::escape::path(path);
    if let Some(meta) = &old {
        // By mode, not by a failing open: root can open anything.
        if meta.permissions().mode() & 0o222 == 0 {
            return Err(format!(
                "`{shown}` is read-only (mode {:o}); qpol does not rewrite read-only files: make it writable first (chmod u+w)",
                meta.permissions().mode() & 0o7777
            ));
        }
        // Opening for writing without truncating changes nothing, and tells
        // whether we may write the file ourselves.
        OpenOptions::new()
            .write(true)
            .open(&real)
            .map_err(|e| format!("cannot write `{shown}`: {e}"))?;
    }
    let dir = real
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let file_name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale(&dir, &file_name);
    let temp = dir.join(format!(".{file_name}{TEMP_MARK}{}", std::process::id()));
    install_handler();
    live().temps.push(temp.clone());
    let result = write_temp(&temp, old.as_ref(), fill)
        .and_then(|in_place| finish(&temp, &real, in_place, &shown))
        .map_err(|e| format!("cannot write `{shown}`: {e}"));
    let mut live = live();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    live.temps.retain(|t| t != &temp);
    result
}

/// Write the temporary, with the old file's mode and owner. Returns whether
/// the old file must be rewritten in place instead of renamed over: it has
/// several hard links (a rename would leave the others with the old text),
/// or its owner cannot be given to a new file.
fn write_temp(
    temp: &Path,
    old: Option<&Metadata>,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<bool> {
    // A temporary of ours from an earlier process with our PID is dead.
    let _ = std::fs::remove_file(temp);
    let mut options = OpenOptions::new();
    // `create_new` never follows a symlink planted at the temporary's name.
    options.write(true).create_new(true);
    if let Some(meta) = old {
        options.mode(meta.permissions().mode() & 0o7777);
    }
    let file = options.open(temp)?;
    let mut in_place = false;
    if let Some(meta) = old {
        let mine = file.metadata()?;
        if (mine.uid(), mine.gid()) != (meta.uid(), meta.gid())
            && std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid())).is_err()
        {
            in_place = true;
        }
        // After the owner: chown clears set-id bits.
        file.set_permissions(meta.permissions())?;
        in_place |= meta.nlink() > 1;
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 20, &file);
    fill(&mut out)?;
    out.flush()?;
    drop(out);
    file.sync_all()?;
    Ok(in_place)
}

/// Rename the temporary over the target, or copy it into the target in
/// place. Both happen under the lock of live temporaries, so SIGINT and
/// SIGTERM wait until the target is whole. (Only SIGKILL or a crash during
/// an in-place copy can leave a hard-linked file half written; the
/// temporary is complete by then, and atomic rename cannot keep links.)
/// The file is recorded as written under the same lock, so a signal handled
/// right after says so.
fn finish(temp: &Path, real: &Path, in_place: bool, shown: &str) -> std::io::Result<()> {
    let mut live = live();
    if in_place {
        let mut from = File::open(temp)?;
        let mut to = OpenOptions::new().write(true).truncate(true).open(real)?;
        std::io::copy(&mut from, &mut to)?;
        to.sync_all()?;
        live.written.push(shown.to_string());
        std::fs::remove_file(temp)
    } else {
        std::fs::rename(temp, real)?;
        live.written.push(shown.to_string());
        Ok(())
    }
}

/// Remove the temporaries `.NAME.qpol-tmp-PID` of `dir` left for the file
/// `name` by processes that no longer run (once per file and run): exactly
/// the names qpol writes, PID a positive decimal without leading zeros, so
/// no file qpol did not create is touched. Liveness is read from /proc;
/// without it nothing is removed. A process of another PID namespace
/// writing into the same folder would look dead: such sharing is not
/// supported.
pub fn remove_stale(dir: &Path, name: &str) {
    {
        let mut cleaned = CLEANED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !cleaned.insert(dir.join(name)) {
            return;
        }
    }
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}{TEMP_MARK}");
    for entry in entries.filter_map(Result::ok) {
        let entry_name = entry.file_name();
        let Some(pid) = entry_name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix.as_str()))
            .filter(|pid| is_pid(pid))
        else {
            continue;
        };
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A PID as qpol writes it: a positive decimal without leading zeros.
fn is_pid(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('0')
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u32>().is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_finished_write_is_recorded_for_the_signal_handler() {
        let dir = std::env::temp_dir().join(format!("qpol-files-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("a\nb.json");
        let result = super::write_with(&file, |out| out.write_all(b"{}"));
        assert_eq!(result, Ok(()));
        let written = super::live().written.clone();
        let shown = crate::diag::escape::path(&file);
        assert!(written.contains(&shown), "{written:?}");
        let message = super::interrupted_message(&written, false);
        assert!(message.contains(&format!("`{shown}` had already been written in full")));
        assert!(!message.contains('\n'));
        assert_eq!(
            super::interrupted_message(&[], false),
            "interrupted; nothing was written"
        );
        assert_eq!(
            super::interrupted_message(&[], true),
            "interrupted; the standard output is incomplete; no file was written"
        );
        let both = super::interrupted_message(&["a".to_string()], true);
        assert_eq!(both, "interrupted; `a` had already been written in full, every other file is untouched; the standard output is incomplete");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The end of a run waits for a handler that holds the lock, then
    /// holds it itself (so a later signal cannot say "interrupted").
    #[test]
    fn the_end_of_a_run_waits_for_the_handler_then_keeps_its_lock() {
        let handler = super::live();
        let (tx, rx) = std::sync::mpsc::channel();
        let main = std::thread::spawn(move || {
            let guard = super::end_of_run_guard();
            let _ = tx.send(());
            let held = super::LIVE.try_lock().is_err();
            drop(guard);
            held
        });
        let waited = rx
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err();
        drop(handler);
        assert!(waited, "the end of the run did not wait for the handler");
        assert!(main.join().unwrap_or(false));
    }
}
