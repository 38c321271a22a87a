//! Build script: the commit `qpol --version` names. Sets `QPOL_BUILD_INFO`
//! to ` (COMMIT12 YYYY-MM-DD)` from `QPOL_BUILD_COMMIT` (for packagers: a
//! commit hash, optionally followed by a date) or else from git when the
//! package is the top level of a git checkout; to the empty string when
//! neither answers (no git, not a repository, a crates.io or sdist copy).
//! Never fails the build and never prints git's errors. Cheap: two git
//! processes, rerun only when HEAD moves or the variable changes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=QPOL_BUILD_COMMIT");
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let env = std::env::var("QPOL_BUILD_COMMIT").ok();
    let info = from_env(env.as_deref()).or_else(|| dir.as_deref().and_then(from_git));
    let text = match info {
        Some((commit, Some(date))) => format!(" ({commit} {date})"),
        Some((commit, None)) => format!(" ({commit})"),
        None => String::new(),
    };
    println!("cargo:rustc-env=QPOL_BUILD_INFO={text}");
}

/// The 12-digit commit and the date, when `text` is `HASH [YYYY-MM-DD]`.
pub(crate) fn parse(text: &str) -> Option<(String, Option<String>)> {
    let mut words = text.split_whitespace();
    let hash = words.next()?;
    if hash.len() < 12 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let commit: String = hash.chars().take(12).collect::<String>().to_lowercase();
    let date = words.next().filter(|d| {
        d.len() == 10
            && d.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            })
    });
    Some((commit, date.map(str::to_string)))
}

/// `QPOL_BUILD_COMMIT`; an empty value counts as unset, a malformed one is
/// ignored with a warning.
pub(crate) fn from_env(value: Option<&str>) -> Option<(String, Option<String>)> {
    let value = value?;
    if value.trim().is_empty() {
        return None;
    }
    let parsed = parse(value);
    if parsed.is_none() {
        println!(
            "cargo:warning=QPOL_BUILD_COMMIT is not `HASH [YYYY-MM-DD]` (at least 12 hex digits): ignored"
        );
    }
    parsed
}

/// Runs git in `dir`; its stdout when it succeeds. Variables that point git
/// at another repository (set inside git hooks) are dropped.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_COMMON_DIR")
        .env_remove("GIT_INDEX_FILE")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

/// The commit of HEAD when `dir` (the package folder) is the top of a git
/// checkout (not a copy inside some other repository, e.g. a home folder
/// under git).
pub(crate) fn from_git(dir: &Path) -> Option<(String, Option<String>)> {
    let paths = git(
        dir,
        &[
            "rev-parse",
            "--show-toplevel",
            "--git-dir",
            "--git-common-dir",
        ],
    )?;
    let mut lines = paths.lines();
    let (top, git_dir, common) = (lines.next()?, lines.next()?, lines.next()?);
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(top), dir) {
        return None;
    }
    watch_head(&dir.join(git_dir), &dir.join(common));
    let line = git(
        dir,
        &[
            "log",
            "-1",
            "--no-show-signature",
            "--format=%H %cs",
            "HEAD",
        ],
    )?;
    parse(line.trim())
}

/// Reruns the script when HEAD moves: HEAD itself, this worktree's reflog,
/// and the branch HEAD names (its loose file or packed-refs). Only files that
/// exist are named: cargo reruns a script on every build for a missing one.
fn watch_head(git_dir: &Path, common: &Path) {
    let head = git_dir.join("HEAD");
    let mut files = vec![head.clone(), git_dir.join("logs").join("HEAD")];
    if let Some(reference) = std::fs::read_to_string(&head)
        .ok()
        .and_then(|text| text.strip_prefix("ref:").map(|r| r.trim().to_string()))
    {
        files.push(git_dir.join(&reference));
        files.push(common.join(&reference));
    }
    files.push(common.join("packed-refs"));
    for file in files.iter().filter(|f| f.is_file()) {
        println!("cargo:rerun-if-changed={}", file.display());
    }
}
