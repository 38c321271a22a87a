//! `qpol diff OLD NEW` and `qpol diff --git BASE [PATH]`: two analyses side
//! by side (see [`crate::diff`]), printed as Markdown (the default format)
//! or JSON. Exit codes, the first that applies: 2 usage or I/O error (a
//! bad path, a git failure), 1 the new policy has errors (or warnings under
//! `--deny warnings`), 3 effective access changed or a finding newly
//! acknowledged, 0 otherwise. A side that could not be decoded (Q003) is
//! reported and exits 2: it is never compared as an empty policy.

mod ci;

use super::output::{self, IoError};
use super::{Global, OutputFormat, PathArg, EXIT_FINDINGS};
use crate::pipeline::Analysis;
use crate::policy::{is_stdin, load, Policy};

/// Exit code when the change alters effective access (CI can ask for a second review).
pub const EXIT_ACCESS_CHANGED: u8 = 3;

/// The policy a repository holds, for `--git BASE` without a path.
pub const DEFAULT_GIT_PATH: &str = "policies";

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// OLD and NEW policies (files or folders); with --git, at most one: the policy in the working tree (default `policies`)
    #[arg(num_args = 0..=2)]
    pub paths: Vec<PathArg>,
    /// Compare the policy as it is in this git revision (branch, tag, commit) with the working tree
    #[arg(long, value_name = "BASE")]
    pub git: Option<String>,
    /// Cut the Markdown to at most N bytes at a section boundary (for a pull-request comment), with a note saying so
    #[arg(long, value_name = "N")]
    pub max_bytes: Option<usize>,
}

fn usage(global: Global, message: impl std::fmt::Display, path: &str) -> u8 {
    output::fail(global, &[IoError::new(path, message)], &[])
}

/// Both sides' policies, or the exit code of the failure already reported.
fn policies(args: &DiffArgs, global: Global) -> Result<(Policy, Policy), u8> {
    let report = |e: crate::policy::LoadError| output::fail(global, &IoError::from_load(&e), &[]);
    match (&args.git, args.paths.as_slice()) {
        (Some(base), paths) if paths.len() <= 1 => {
            let path = paths
                .first()
                .cloned()
                .unwrap_or_else(|| PathArg::from(DEFAULT_GIT_PATH));
            if is_stdin(&path) {
                return Err(usage(global, "`--git` compares a file or folder of the working tree, not standard input; name it", "-"));
            }
            // Both sides are read (and parsed) side by side; the old
            // side's error, if any, is reported first.
            let (old, new) = both(|| super::git::load_at(base, &path, Default::default(), super::git::Purpose::Diff), || load(&path));
            let old = old
                .ok_or_else(|| read_bug(global))?
                .map_err(|m| usage(global, m, &path.display().to_string()))?;
            Ok((old, new.map_err(|e| output::fail(global, &IoError::from_load(&e), &[]))?))
        }
        (None, [old, new]) => {
            if is_stdin(old) && is_stdin(new) {
                return Err(usage(global, "standard input can be read only once: `-` names OLD or NEW, not both; name the other one by its file", "-"));
            }
            let (old, new) = both(|| load(old), || load(new));
            let old = old.ok_or_else(|| read_bug(global))?;
            Ok((old.map_err(report)?, new.map_err(report)?))
        }
        (Some(_), _) => Err(usage(global, "`--git BASE` takes at most one path (the policy in the working tree): `qpol diff --git main policies/`", "")),
        (None, _) => Err(usage(global, "`qpol diff` needs two policies, `qpol diff OLD NEW`, or a revision, `qpol diff --git BASE [PATH]`", "")),
    }
}

/// Run `first` on another thread and `second` on this one; both results
/// (`first`'s is missing if it panicked: a qpol bug).
fn both<A: Send, B>(
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B,
) -> (Option<A>, B) {
    std::thread::scope(|scope| {
        let handle = scope.spawn(first);
        let b = second();
        (handle.join().ok(), b)
    })
}

/// The exit code for a side whose reading panicked (a qpol bug).
fn read_bug(global: Global) -> u8 {
    usage(global, "internal error: reading the old policy failed (a qpol bug: please report it with the policy)", "")
}

pub fn run(args: &DiffArgs, global: Global) -> u8 {
    let (old, new) = match policies(args, global) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (old, new) = std::thread::scope(|scope| {
        let first = scope.spawn(|| Analysis::new(old));
        let new = Analysis::new(new);
        (first.join(), new)
    });
    let Ok(old) = old else {
        return usage(global, "internal error: analysing the old policy failed (a qpol bug: please report it with the policy)", "");
    };
    if let Some(code) = undecodable(&old, &new, global) {
        return code;
    }
    let diff = crate::diff::compute(&old, &new);
    let failing = diff.findings.errors > 0 || (global.deny_warnings && diff.findings.warnings > 0);
    let code = if failing {
        EXIT_FINDINGS
    } else if diff.needs_review() {
        EXIT_ACCESS_CHANGED
    } else {
        0
    };
    match global.format {
        OutputFormat::Human => super::out(crate::diff::markdown::render_bounded(
            &diff,
            args.max_bytes.unwrap_or(usize::MAX),
        )),
        // For CI: the findings the change brings, baseline ones included.
        OutputFormat::Sarif => ci::sarif(&diff, &old, &new),
        OutputFormat::Github => ci::github(&diff, &old, &new, code),
        OutputFormat::Json => {
            let mut doc = serde_json::to_value(&diff).unwrap_or_default();
            if let Some(map) = doc.as_object_mut() {
                map.insert("exit_code".into(), serde_json::json!(code));
                map.insert("io_errors".into(), serde_json::json!([]));
            }
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            super::out(format_args!("{text}\n"));
        }
    }
    // The process ends next: skip freeing two models piece by piece.
    std::mem::forget(old);
    std::mem::forget(new);
    code
}

/// A side with an undecodable file (Q003): its findings are printed and
/// the run exits 2, as for a file that cannot be read.
fn undecodable(old: &Analysis, new: &Analysis, global: Global) -> Option<u8> {
    let unreadable = |a: &Analysis| -> Vec<crate::diag::Diagnostic> {
        a.diagnostics
            .iter()
            .filter(|d| d.code == crate::diag::Code::UnreadableInput)
            .cloned()
            .collect()
    };
    for (side, a) in [("old", old), ("new", new)] {
        let found = unreadable(a);
        if let Some(first) = found.first() {
            let name = a.sources.name(first.primary.span.file).to_string();
            output::report(
                &found,
                &a.sources,
                global,
                &[],
                &[IoError::new(
                    &name,
                    format!("the {side} policy cannot be decoded, so it cannot be compared; fix or re-save it as UTF-8"),
                )],
                output::Stream::Stdout,
            );
            return Some(super::EXIT_USAGE);
        }
    }
    None
}
