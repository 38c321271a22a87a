//! `qpol plan PATH`: what `apply` would change in the account, per object
//! and grouped by project, and what that changes for whom (who gains or
//! loses which action on which instance: [`crate::live::access`]). Exit 0 no change, 3 changes, 1 findings (policy
//! errors, a refused instance delete or move, an account limit), 2 usage,
//! I/O, network or API errors. `-o plan.json` saves the plan for
//! `qpol apply plan.json`.

use super::{check, Checked, ConnectArgs};
use crate::cli::output::{self, IoError};
use crate::cli::{files, Global, OutputFormat, PathArg, EXIT_FINDINGS, EXIT_USAGE};
use crate::diag::{Diagnostic, SourceMap};
use crate::live::access::{self as live_access, PlanAccess};
use crate::live::account::Account;
use crate::live::http::Client;
use crate::live::plan::LivePlan;
use crate::live::reconcile::Allows;
use crate::live::{ahead, read, render, render_access};
use std::path::PathBuf;

/// Exit code of a plan with changes (and of `diff` when access changed).
pub const EXIT_CHANGES: u8 = 3;

/// Requests in flight at most, unless `apply --parallelism` says otherwise.
pub const DEFAULT_PARALLELISM: usize = 8;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// A policy file, or a folder of *.qpol files read as one policy
    pub path: PathArg,
    /// Save the plan (JSON, format qpol-live-plan/1) for `qpol apply FILE`
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// A plan made against the live account.
pub struct Planned {
    pub checked: Checked,
    pub plan: LivePlan,
    /// The policy's findings and the plan's (refusals, limits).
    pub diagnostics: Vec<Diagnostic>,
    pub client: Client,
    /// The account the plan was made against.
    pub account: Account,
}

pub fn run(args: &PlanArgs, global: Global) -> u8 {
    let mut planned = match compute(&args.path, &args.connect, global, DEFAULT_PARALLELISM) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let access = planned.checked.deployment.as_ref().map(|deployment| {
        let access = live_access::compute(
            &planned.checked.analysis,
            deployment,
            &planned.account,
            &planned.plan,
        );
        planned.plan.access = serde_json::to_value(&access).ok();
        access
    });
    let mut code = output::exit_code(&planned.diagnostics, global);
    let mut written = None;
    if code == 0 {
        if let Some(path) = &args.output {
            match save(path, &planned.plan) {
                Ok(()) => written = Some(path.display().to_string()),
                Err(e) => {
                    let io = [IoError::new(path.display(), e)];
                    report(&planned, access.as_ref(), global, &io, None);
                    return EXIT_USAGE;
                }
            }
        }
        if !planned.plan.actions.is_empty() {
            code = EXIT_CHANGES;
        }
    }
    report(&planned, access.as_ref(), global, &[], written.as_deref());
    code
}

/// The plan for the policy at `path`; `Err` is the exit code of a report
/// already printed.
pub fn compute(
    path: &PathArg,
    connect: &ConnectArgs,
    global: Global,
    parallelism: usize,
) -> Result<Planned, u8> {
    let checked = check(path, global)?;
    let Some(deployment) = &checked.deployment else {
        output::print(
            &checked.diagnostics,
            &checked.analysis.sources,
            global,
            &[("plan", serde_json::Value::Null)],
        );
        return Err(EXIT_FINDINGS);
    };
    let fail = |message: String| output::fail(global, &[IoError::new("-", message)], &[]);
    let account_id = connect
        .account_id(deployment.account_id.as_deref())
        .map_err(fail)?;
    let client = connect.client(parallelism).map_err(fail)?;
    let account = read::read_account(&client, &account_id).map_err(|e| fail(e.to_string()))?;
    let allows = Allows::from_model(&checked.analysis.model);
    let reconciled = ahead::reconcile(&client, deployment, &account, &allows)
        .map_err(|e| fail(format!("{e}\nhint: {}", e.help())))?;
    let mut diagnostics = checked.diagnostics.clone();
    diagnostics.extend(reconciled.diagnostics);
    crate::diag::sort(&mut diagnostics);
    Ok(Planned {
        checked,
        plan: reconciled.plan,
        diagnostics,
        client,
        account,
    })
}

/// The plan (for people, or as the JSON report's `plan`) and the findings.
fn report(
    planned: &Planned,
    access: Option<&PlanAccess>,
    global: Global,
    io_errors: &[IoError],
    written: Option<&str>,
) {
    let sources: &SourceMap = &planned.checked.analysis.sources;
    match global.format {
        OutputFormat::Json => {
            let plan = serde_json::to_value(&planned.plan).unwrap_or_default();
            let out = written.map_or(serde_json::Value::Null, serde_json::Value::from);
            output::report(
                &planned.diagnostics,
                sources,
                global,
                &[("plan", plan), ("output", out)],
                io_errors,
                output::Stream::Stdout,
            );
        }
        _ => {
            let plan = &planned.plan;
            let section = access
                .filter(|a| !plan.actions.is_empty() || a.changed())
                .map(render_access::human);
            crate::cli::out_human(render::human_with(plan, section.as_deref()));
            if let Some(file) = written {
                crate::cli::note(format_args!(
                    "plan saved to {file}: `qpol apply {file}` applies it"
                ));
            }
            output::report(
                &planned.diagnostics,
                sources,
                global,
                &[],
                io_errors,
                output::Stream::Stderr,
            );
        }
    }
}

/// Write the plan as pretty JSON, atomically.
fn save(path: &std::path::Path, plan: &LivePlan) -> Result<(), String> {
    files::write_with(path, |w| {
        serde_json::to_writer_pretty(&mut *w, plan)?;
        w.write_all(b"\n")
    })
}
