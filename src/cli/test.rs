//! `qpol test PATH`: check, then evaluate every `assert`; prints
//! `N passed, N failed`.

use super::output::{self, IoError};
use super::{Global, OutputFormat, EXIT_FINDINGS};
use crate::access::assertions;
use crate::pipeline::Analysis;
use crate::policy::load;

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// A policy file, a folder of *.qpol files read as one policy, or `-` for standard input
    pub path: super::PathArg,
}

pub fn run(args: &TestArgs, global: Global) -> u8 {
    let policy = match load(&args.path) {
        Ok(p) => p,
        Err(e) => return output::fail(global, &IoError::from_load(&e), &[]),
    };
    let result = Analysis::new(policy);
    let outcome = assertions::run(&result.access());
    let mut diagnostics = result.diagnostics.clone();
    diagnostics.extend(outcome.diagnostics.iter().cloned());
    crate::diag::sort(&mut diagnostics);
    let summary = format!("{} passed, {} failed", outcome.passed, outcome.failed);
    let extra = [
        ("passed", serde_json::json!(outcome.passed)),
        ("failed", serde_json::json!(outcome.failed)),
    ];
    output::print(&diagnostics, &result.sources, global, &extra);
    if matches!(global.format, OutputFormat::Human | OutputFormat::Github) {
        super::out(format_args!("{summary}\n"));
    }
    let code = output::exit_code(&diagnostics, global);
    // The process ends next: skip freeing the model piece by piece.
    std::mem::forget(result);
    if outcome.failed > 0 {
        EXIT_FINDINGS
    } else {
        code
    }
}
