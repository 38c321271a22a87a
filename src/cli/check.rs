//! `qpol check PATH [--baseline OLD]`

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
    let policy = match load(&args.path) {
        Ok(p) => p,
        Err(e) => return output::fail(global, &IoError::from_load(&e), &[]),
    };
    let mut result = Analysis::new(policy);
    let mut sources = std::mem::take(&mut result.sources);
    if let Some(baseline_path) = &args.baseline {
        // The baseline's files are numbered after the policy's, so both can be shown.
        let baseline = match crate::policy::load_after(baseline_path, sources) {
            Ok(b) => b,
            Err(e) => return output::fail(global, &IoError::from_load(&e), &[]),
        };
        let old = Analysis::new(baseline);
        if !old.passed() {
            let shown = crate::diag::escape::path(baseline_path);
            output::report(
                &old.diagnostics,
                &old.sources,
                global,
                &[],
                &[IoError::new(
                    baseline_path.display(),
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
