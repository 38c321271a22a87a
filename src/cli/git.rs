//! `qpol diff --git BASE [PATH]`: the policy at PATH as it is in revision
//! BASE, read with `git` run as a subprocess (never through a shell):
//! `rev-parse` finds the repository and the commit, `ls-tree` the file or
//! the folder's `*.qpol` files, `cat-file` their bytes. Every failure is a
//! message that says what to do (the caller exits 2).

use crate::diag::{Revision, SourceMap};
use crate::policy::Policy;
use std::path::Path;
use std::process::Command;

/// Why a `git` run failed.
enum GitError {
    /// `git` could not be started (not installed, not on PATH).
    Missing(String),
    /// git ran and refused: the first line of its own reason.
    Failed(String),
}

impl GitError {
    /// The message for a step that needs git, `what` naming the step.
    fn during(self, what: &str) -> String {
        match self {
            GitError::Missing(message) => message,
            GitError::Failed(reason) => format!("{what}: {reason}"),
        }
    }
}

/// Run `git -C DIR ARGS...`; its stdout, or why not.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
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
            GitError::Missing(format!(
                "cannot run `git`: {e}; install git, or compare two paths with `qpol diff OLD NEW`"
            ))
        })?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(GitError::Failed(
        stderr.lines().next().unwrap_or("").trim().to_string(),
    ))
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

/// What the policy read from a revision is for: the flag that names the
/// revision and the way out in messages, and what a policy missing from
/// the revision means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `qpol diff --git`: a policy missing from the revision is empty
    /// (everything in the working tree's is new).
    Diff,
    /// `qpol check --baseline-git`: a policy missing from the revision is
    /// an error, never an empty baseline that no deletion could fail.
    Baseline,
}

impl Purpose {
    fn flag(self) -> &'static str {
        match self {
            Purpose::Diff => "--git",
            Purpose::Baseline => "--baseline-git",
        }
    }

    /// How to do without git.
    fn way_out(self) -> &'static str {
        match self {
            Purpose::Diff => "compare two paths with `qpol diff OLD NEW`",
            Purpose::Baseline => "name the baseline's file or folder with `--baseline OLD`",
        }
    }
}

/// The policy at `path` in revision `base`, read as the revision has it: a
/// file there is a one-file policy, a folder there its `*.qpol` files,
/// whichever `path` is in the working tree. Its files are numbered after
/// those of `after` (see [`crate::policy::load_after`]), named
/// `BASE:PATH-IN-REPOSITORY`, and marked with their working-tree
/// counterparts ([`crate::diag::Revision`]). A policy missing from the
/// revision is as `purpose` says.
pub fn load_at(
    base: &str,
    path: &Path,
    after: SourceMap,
    purpose: Purpose,
) -> Result<Policy, String> {
    let shown = crate::diag::escape::path(path);
    let base_shown = crate::diag::escape::inline(base);
    let (flag, way_out) = (purpose.flag(), purpose.way_out());
    if base.is_empty() || base.starts_with('-') {
        return Err(format!(
            "`{base_shown}` is not a revision; name a branch, tag or commit, e.g. `{flag} origin/main`"
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
    let top = git(&dir, &["rev-parse", "--show-toplevel"]).map_err(|e| match e {
        GitError::Missing(message) => message,
        GitError::Failed(reason) => format!(
            "`{shown}` is not inside a git repository ({reason}); run from a clone, or {way_out}"
        ),
    })?;
    let top = text(top);
    let prefix = text(git(&dir, &["rev-parse", "--show-prefix"]).map_err(|e| e.during("git"))?);
    let commit = revision(&dir, base).ok_or_else(|| {
        let top = crate::diag::escape::inline(&top);
        if revision(&dir, "HEAD").is_none() {
            format!(
                "the repository at `{top}` has no commits yet, so there is no `{base_shown}` to compare with; commit the policy first, or {way_out}"
            )
        } else {
            format!(
                "revision `{base_shown}` does not exist in the repository at `{top}`; fetch it first (`git fetch origin main`) or name a branch, tag or commit that exists"
            )
        }
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
    let (rev_folder, listing) = listing_at(&dir, &commit, &rel)?;
    let mut policy = Policy {
        sources: after,
        ..Policy::default()
    };
    // The working-tree file each of the revision's files stands for.
    let counterpart = |file: &str| {
        let worktree = if folder && rev_folder {
            path.join(file.rsplit('/').next().unwrap_or(file))
        } else {
            path.to_path_buf()
        };
        Revision {
            worktree: worktree.to_string_lossy().into_owned(),
        }
    };
    let mut added = false;
    for (mode, kind, object, file) in entries(&listing) {
        if kind != "blob" || (rev_folder && !file.ends_with(".qpol")) {
            continue;
        }
        let object = if mode == SYMLINK {
            follow_symlink(&dir, &commit, &file, &object).map_err(|why| {
                format!(
                    "`{base_shown}:{}` {why}",
                    crate::diag::escape::inline(&file)
                )
            })?
        } else {
            object
        };
        let bytes =
            git(&dir, &["cat-file", "blob", &object]).map_err(|e| e.during("git cat-file"))?;
        let limit = crate::policy::max_input_bytes();
        if bytes.len() as u64 > limit {
            return Err(format!(
                "`{base_shown}:{}` is larger than the input limit, not a policy",
                crate::diag::escape::inline(&file)
            ));
        }
        let id = policy.add_bytes(&format!("{base}:{file}"), bytes);
        policy.sources.set_revision(id, counterpart(&file));
        added = true;
    }
    if !added {
        let place = crate::diag::escape::inline(&rel);
        if purpose == Purpose::Baseline {
            return Err(format!(
                "`{base_shown}:{place}` holds no policy (no such file, or a folder without *.qpol files): there is no baseline to compare with, and checking against none would let any deletion through; if the policy is new, check without {flag}; if it moved, name its old place with `--baseline OLD` (a checkout of {base_shown})"
            ));
        }
        // Not in that revision: an empty policy, named for its findings.
        let id = policy.add_bytes(&format!("{base}:{rel}"), Vec::new());
        let worktree = path.to_string_lossy().into_owned();
        policy.sources.set_revision(id, Revision { worktree });
    }
    Ok(policy)
}

/// What revision `commit` has at `rel` (repository-relative; empty for the
/// top): whether it is a folder, and the `ls-tree -z` listing of the file
/// or of the folder's entries (empty when there is nothing there).
fn listing_at(dir: &Path, commit: &str, rel: &str) -> Result<(bool, Vec<u8>), String> {
    let ls_tree = |spec: &str| {
        let mut args = vec!["ls-tree", "-z", "--full-tree", commit];
        if !spec.is_empty() {
            args.extend(["--", spec]);
        }
        git(dir, &args).map_err(|e| e.during("git ls-tree"))
    };
    if rel.is_empty() {
        return Ok((true, ls_tree("")?));
    }
    let entry = ls_tree(rel)?;
    let is_tree = entries(&entry)
        .iter()
        .any(|(_, kind, _, file)| kind == "tree" && file == rel);
    if is_tree {
        Ok((true, ls_tree(&format!("{rel}/"))?))
    } else {
        Ok((false, entry))
    }
}

/// The mode `ls-tree` gives a symbolic link.
const SYMLINK: &str = "120000";

/// How many links in a row a symlink may go through, as the kernel's
/// `ELOOP` limit does for the working tree.
const MAX_LINKS: usize = 40;

/// The commit a revision names, if it names one.
fn revision(dir: &Path, name: &str) -> Option<String> {
    let spec = format!("{name}^{{commit}}");
    git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )
    .map(text)
    .ok()
    .filter(|c| !c.is_empty())
}

/// The blob a symlink at `file` (repository-relative) leads to in
/// `commit`, following links as `qpol check` does in the working tree;
/// why not when the link leaves the repository, dangles or loops.
fn follow_symlink(dir: &Path, commit: &str, file: &str, object: &str) -> Result<String, String> {
    let mut file = file.to_string();
    let mut object = object.to_string();
    for _ in 0..MAX_LINKS {
        let target =
            git(dir, &["cat-file", "blob", &object]).map_err(|e| e.during("git cat-file"))?;
        let target = String::from_utf8_lossy(&target).into_owned();
        let parent = file.rsplit_once('/').map_or("", |(parent, _)| parent);
        let path = resolve_link(parent, &target).ok_or_else(|| {
            format!(
                "is a symlink to `{}`, outside the repository in that revision; qpol reads only files inside it there",
                crate::diag::escape::inline(&target)
            )
        })?;
        let listing = git(dir, &["ls-tree", "-z", "--full-tree", commit, "--", &path])
            .map_err(|e| e.during("git ls-tree"))?;
        let Some((mode, kind, next, _)) = entries(&listing).into_iter().find(|e| e.3 == path)
        else {
            return Err(format!(
                "is a symlink to `{}`, which does not exist in that revision",
                crate::diag::escape::inline(&target)
            ));
        };
        if kind != "blob" {
            return Err(format!(
                "is a symlink to `{}`, which is not a file in that revision",
                crate::diag::escape::inline(&target)
            ));
        }
        if mode != SYMLINK {
            return Ok(next);
        }
        file = path;
        object = next;
    }
    Err(format!(
        "goes through more than {MAX_LINKS} symlinks in that revision"
    ))
}

/// The repository-relative path a link `target` in folder `parent` names;
/// `None` when it is absolute or climbs out of the repository.
fn resolve_link(parent: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = parent.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::resolve_link;

    #[test]
    fn link_targets_resolve_inside_the_repository_only() {
        assert_eq!(
            resolve_link("policies", "org.qpol").as_deref(),
            Some("policies/org.qpol")
        );
        assert_eq!(
            resolve_link("policies", "../common/a.qpol").as_deref(),
            Some("common/a.qpol")
        );
        assert_eq!(resolve_link("", "./a//b.qpol").as_deref(), Some("a/b.qpol"));
        assert_eq!(resolve_link("policies", "../../etc/passwd"), None);
        assert_eq!(resolve_link("policies", "/etc/passwd"), None);
        assert_eq!(resolve_link("", ".."), None);
    }
}
