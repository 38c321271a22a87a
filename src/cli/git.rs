//! `qpol diff --git BASE [PATH]`: the policy at PATH as it is in revision
//! BASE, read with `git` run as a subprocess (never through a shell):
//! `rev-parse` finds the repository and the commit, `ls-tree` the file or
//! the folder's `*.qpol` files, `cat-file` their bytes. Every failure is a
//! message that says what to do (the caller exits 2).

use crate::policy::Policy;
use std::path::Path;
use std::process::Command;

/// Run `git -C DIR ARGS...`; its stdout, or a message with git's own reason.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        // A path is a path, never a pathspec with magic (`:(glob)`).
        .env("GIT_LITERAL_PATHSPECS", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "cannot run `git`: {e}; install git, or compare two paths with `qpol diff OLD NEW`"
            )
        })?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(stderr.lines().next().unwrap_or("").trim().to_string())
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes)
        .trim_end_matches(['\n', '\r'])
        .to_string()
}

/// One `ls-tree -z` entry: mode, type, object, path.
fn entries(listing: &[u8]) -> Vec<(String, String, String, String)> {
    listing
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let e = String::from_utf8_lossy(e);
            let (meta, path) = e.split_once('\t')?;
            let mut meta = meta.split(' ');
            let (mode, kind, object) = (meta.next()?, meta.next()?, meta.next()?);
            Some((mode.into(), kind.into(), object.into(), path.into()))
        })
        .collect()
}

/// The policy at `path` in revision `base`. A policy that does not exist
/// there reads as an empty one (everything in it is new).
pub fn load_at(base: &str, path: &Path) -> Result<Policy, String> {
    let shown = crate::diag::escape::path(path);
    let base_shown = crate::diag::escape::inline(base);
    if base.is_empty() || base.starts_with('-') {
        return Err(format!(
            "`{base_shown}` is not a revision; name a branch, tag or commit, e.g. `--git origin/main`"
        ));
    }
    let meta = std::fs::metadata(path).map_err(|e| {
        format!("cannot read `{shown}`: {e}; name the policy file or folder of the working tree")
    })?;
    let folder = meta.is_dir();
    let dir = if folder {
        path.to_path_buf()
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => Path::new(".").to_path_buf(),
        }
    };
    let top = git(&dir, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        format!("`{shown}` is not inside a git repository ({e}); run from a clone, or compare two paths with `qpol diff OLD NEW`")
    })?;
    let top = text(top);
    let prefix = text(git(&dir, &["rev-parse", "--show-prefix"]).map_err(|e| format!("git: {e}"))?);
    let spec = format!("{base}^{{commit}}");
    let commit = git(&dir, &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec])
        .map(text)
        .ok()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            format!(
                "revision `{base_shown}` does not exist in the repository at `{}`; fetch it first (`git fetch origin main`) or name a branch, tag or commit that exists",
                crate::diag::escape::inline(&top)
            )
        })?;
    let rel = if folder {
        prefix.trim_end_matches('/').to_string()
    } else {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{prefix}{name}")
    };
    let mut args = vec!["ls-tree", "-z", "--full-tree", commit.as_str()];
    let folder_spec = format!("{rel}/");
    if folder && !rel.is_empty() {
        args.extend(["--", folder_spec.as_str()]);
    } else if !folder {
        args.extend(["--", rel.as_str()]);
    }
    let listing = git(&dir, &args).map_err(|e| format!("git ls-tree: {e}"))?;
    let mut policy = Policy::default();
    for (mode, kind, object, file) in entries(&listing) {
        if kind != "blob" || (folder && !file.ends_with(".qpol")) {
            continue;
        }
        if mode == "120000" {
            return Err(format!(
                "`{base_shown}:{}` is a symlink in that revision; qpol reads only regular files there",
                crate::diag::escape::inline(&file)
            ));
        }
        let bytes =
            git(&dir, &["cat-file", "blob", &object]).map_err(|e| format!("git cat-file: {e}"))?;
        let limit = crate::policy::max_input_bytes();
        if bytes.len() as u64 > limit {
            return Err(format!(
                "`{base_shown}:{}` is larger than the input limit, not a policy",
                crate::diag::escape::inline(&file)
            ));
        }
        policy.add_bytes(&format!("{base}:{file}"), bytes);
    }
    if policy.files.is_empty() {
        // Not in that revision: an empty policy, named for its findings.
        policy.add_bytes(&format!("{base}:{rel}"), Vec::new());
    }
    Ok(policy)
}
