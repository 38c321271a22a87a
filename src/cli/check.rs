//! `qpol check PATH [--baseline OLD | --baseline-git REV]`

use super::git::Purpose;
use super::output::{self, IoError};
use super::{Global, PathArg, EXIT_USAGE};
use crate::checks;
use crate::pipeline::Analysis;
use crate::policy::load;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// A policy file, a folder of *.qpol files read as one policy, or `-` for standard input
    pub path: PathArg,
    /// The policy as applied now (a file, a folder or `-`): report instances this change would delete or move
    #[arg(long)]
    pub baseline: Option<PathArg>,
    /// The baseline is PATH as it is in git revision REV (`origin/main`); review formats (github, sarif) then point its findings at PATH's files
    #[arg(long, value_name = "REV", conflicts_with = "baseline")]
    pub baseline_git: Option<String>,
}

pub fn run(args: &CheckArgs, global: Global) -> u8 {
    let stdin = crate::policy::is_stdin;
    if stdin(&args.path) && args.baseline.as_deref().is_some_and(stdin) {
        let error = IoError::new(
            "-",
            "standard input can be read only once: `-` names the policy or the baseline, not both; name the other one by its file",
        );
        return output::fail(global, &[error], &[]);
    }
    if stdin(&args.path) && args.baseline_git.is_some() {
        let error = IoError::new(
            "-",
            "standard input has no git history: --baseline-git reads the policy's own files in the revision; name the policy's file or folder instead of `-`",
        );
        return output::fail(global, &[error], &[]);
    }
    let policy = match load(&args.path) {
        Ok(p) => p,
        Err(e) => return output::fail(global, &IoError::from_load(&e), &[]),
    };
    let mut result = Analysis::new(policy);
    let mut sources = std::mem::take(&mut result.sources);
    // The baseline's files are numbered after the policy's, so both can be shown.
    let baseline = match (&args.baseline, &args.baseline_git) {
        (Some(path), _) => Some((
            crate::policy::load_after(path, sources.clone()).map_err(|e| IoError::from_load(&e)),
            crate::diag::escape::path(path),
        )),
        (None, Some(rev)) => Some((
            super::git::load_at(rev, &args.path, sources.clone(), Purpose::Baseline)
                .map_err(|e| vec![IoError::new("--baseline-git", e)]),
            format!(
                "{}:{}",
                crate::diag::escape::inline(rev),
                crate::diag::escape::path(&args.path)
            ),
        )),
        (None, None) => None,
    };
    if let Some((baseline, shown)) = baseline {
        let baseline = match baseline {
            Ok(b) => b,
            Err(errors) => return output::fail(global, &errors, &[]),
        };
        let mut old = Analysis::new(baseline);
        if !old.passed() {
            // A broken baseline's findings are not the working tree's: never
            // annotated onto its files.
            old.sources.forget_revisions();
            output::report(
                &old.diagnostics,
                &old.sources,
                global,
                &[],
                &[IoError::new(
                    &shown,
                    format!("the baseline `{shown}` has errors; it must check clean"),
                )],
                output::Stream::Stdout,
            );
            return EXIT_USAGE;
        }
        result
            .diagnostics
            .extend(checks::baseline::check(&old.model, &result.model));
        crate::diag::sort(&mut result.diagnostics);
        sources = old.sources;
    }
    output::print(&result.diagnostics, &sources, global, &[]);
    let code = output::exit_code(&result.diagnostics, global);
    // The process ends here: freeing a large model piece by piece would only
    // delay the exit (a quarter of a second for 100,000 users).
    std::mem::forget(result);
    code
}
