//! `qpol plan PATH`: what `apply` would change in the account, per object
//! and grouped by project, and what that changes for whom (who gains or
//! loses which action on which instance: [`crate::live::access`]). Exit 0 no change, 3 changes, 1 findings (policy
//! errors, a refused instance delete or move, an account limit), 2 usage,
//! I/O, network or API errors. `-o plan.json` saves the plan, with the
//! policy's sources, for `qpol apply plan.json` (`-o -`: to stdout; the
//! report then goes to stderr). `-o` never names one of the policy's own
//! files nor a `*.qpol` file (see `files::guard_output`).

use super::{check, Checked, ConnectArgs, ParallelismArg, Report};
use crate::cli::output::{self, IoError, Stream};
use crate::cli::{files, Global, OutputFormat, PathArg, EXIT_FINDINGS, EXIT_USAGE};
use crate::diag::{escape, Diagnostic, SourceMap};
use crate::live::access::{self as live_access, PlanAccess};
use crate::live::account::Account;
use crate::live::http::Client;
use crate::live::plan::{LivePlan, Saved, Source};
use crate::live::reconcile::Allows;
use crate::live::{ahead, read, render, render_access};
use std::path::{Path, PathBuf};

/// Exit code of a plan with changes (and of `diff` when access changed).
pub const EXIT_CHANGES: u8 = 3;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// A policy file, or a folder of *.qpol files read as one policy
    pub path: PathArg,
    /// Save the plan (JSON, format qpol-live-plan/1, with the policy's
    /// sources) for `qpol apply FILE`; `-` writes it to stdout
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub parallelism: ParallelismArg,
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

/// Where `-o` sends the saved plan.
enum Destination {
    Stdout,
    File(PathBuf),
}

pub fn run(args: &PlanArgs, global: Global) -> u8 {
    let mut failure = Report {
        keys: vec![
            ("plan", serde_json::Value::Null),
            ("output", serde_json::Value::Null),
        ],
        stream: Stream::Stdout,
    };
    let destination = match args.output.as_deref().map(|o| destination(o, &args.path)) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => return failure.fail_all(global, &[e]),
    };
    if matches!(destination, Some(Destination::Stdout)) {
        failure.stream = Stream::Stderr;
    }
    let mut planned = match compute(
        &args.path,
        &args.connect,
        global,
        args.parallelism.get(),
        &failure,
    ) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let access = access(&mut planned);
    let mut code = output::exit_code(&planned.diagnostics, global);
    let mut written = None;
    if code == 0 {
        let saved = Saved {
            plan: &planned.plan,
            sources: &sources(&planned.checked.analysis.sources),
        };
        match &destination {
            None => {}
            Some(Destination::Stdout) => {
                crate::cli::write_stdout(|w| {
                    serde_json::to_writer_pretty(&mut *w, &saved)?;
                    w.write_all(b"\n")
                });
                written = Some("-".to_string());
            }
            Some(Destination::File(path)) => match save(path, &saved) {
                Ok(()) => written = Some(path.display().to_string()),
                Err(e) => {
                    let io = [IoError::new(path.display(), e)];
                    report(&planned, access.as_ref(), global, &io, None, failure.stream);
                    return EXIT_USAGE;
                }
            },
        }
        if !planned.plan.actions.is_empty() {
            code = EXIT_CHANGES;
        }
    }
    report(
        &planned,
        access.as_ref(),
        global,
        &[],
        written.as_deref(),
        failure.stream,
    );
    code
}

/// The file `-o` names, checked before anything is read: `-` (stdout), or
/// a new or regular file that is neither one of the policy's own files nor
/// a `*.qpol` file (the next `qpol plan FOLDER` would read it as policy).
fn destination(file: &Path, policy: &Path) -> Result<Destination, IoError> {
    if file == Path::new("-") {
        return Ok(Destination::Stdout);
    }
    let exact = file.display().to_string();
    let expects = "-o names a regular file to save the plan in, or `-` for standard output";
    let (_, meta) =
        files::target(file).map_err(|m| IoError::new(&exact, format!("{m}; {expects}")))?;
    files::guard_output(file, meta.as_ref(), policy, "the plan", "name it `.json`")
        .map_err(|m| IoError::new(&exact, m))?;
    Ok(Destination::File(file.to_path_buf()))
}

/// The policy's files as a saved plan keeps them.
fn sources(map: &SourceMap) -> Vec<Source> {
    map.files()
        .map(|(_, f)| Source {
            path: f.name.clone(),
            text: f.text.to_string(),
        })
        .collect()
}

/// The plan for the policy at `path`; `Err` is the exit code of a report
/// already printed.
pub fn compute(
    path: &PathArg,
    connect: &ConnectArgs,
    global: Global,
    parallelism: usize,
    failure: &Report,
) -> Result<Planned, u8> {
    let checked = check(path, global, failure)?;
    compute_checked(checked, connect, global, parallelism, failure)
}

/// The plan for a policy checked already (one read from standard input).
pub fn compute_checked(
    checked: Checked,
    connect: &ConnectArgs,
    global: Global,
    parallelism: usize,
    failure: &Report,
) -> Result<Planned, u8> {
    let Some(deployment) = &checked.deployment else {
        return Err(findings(&checked, global, failure));
    };
    let fail = |message: String| failure.fail(global, message);
    let account_id = connect
        .account_id(deployment.account_id.as_deref())
        .map_err(fail)?;
    let client = connect.client(parallelism).map_err(fail)?;
    let account = read::read_account(&client, &account_id).map_err(|e| fail(e.to_string()))?;
    against(checked, client, account, global, failure)
}

/// The policy's findings, when it has errors (no deployment): exit 1.
fn findings(checked: &Checked, global: Global, failure: &Report) -> u8 {
    output::report(
        &checked.diagnostics,
        &checked.analysis.sources,
        global,
        &failure.keys,
        &[],
        failure.stream,
    );
    EXIT_FINDINGS
}

/// The plan of a checked policy against `account`, read with `client`
/// (`apply plan.json` plans its sources again through here).
pub fn against(
    checked: Checked,
    client: Client,
    account: Account,
    global: Global,
    failure: &Report,
) -> Result<Planned, u8> {
    let Some(deployment) = &checked.deployment else {
        return Err(findings(&checked, global, failure));
    };
    let allows = Allows::from_model(&checked.analysis.model);
    let reconciled = ahead::reconcile(&client, deployment, &account, &allows)
        .map_err(|e| failure.fail(global, format!("{e}\nhint: {}", e.help())))?;
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

/// The plan (for people, or as the JSON report's `plan`) and the findings,
/// on stdout unless stdout carries the saved plan (`-o -`).
fn report(
    planned: &Planned,
    access: Option<&PlanAccess>,
    global: Global,
    io_errors: &[IoError],
    written: Option<&str>,
    stream: Stream,
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
                stream,
            );
        }
        _ => {
            let text = human(planned, access, global);
            match stream {
                Stream::Stdout => crate::cli::out_human(text),
                Stream::Stderr => eprint!("{}", escape::for_humans(&text)),
            }
            match written {
                Some("-") | None => {}
                Some(file) => crate::cli::note(format_args!(
                    "plan saved to {file}: `qpol apply {file}` applies it"
                )),
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

/// What the plan changes for whom ([`live_access`]), also kept in the
/// plan document (`access`). `apply` computes it again for what it shows:
/// a saved plan's `access` is never trusted.
pub fn access(planned: &mut Planned) -> Option<PlanAccess> {
    let deployment = planned.checked.deployment.as_ref()?;
    let access = live_access::compute(
        &planned.checked.analysis,
        deployment,
        &planned.account,
        &planned.plan,
    );
    planned.plan.access = serde_json::to_value(&access).ok();
    Some(access)
}

/// The plan for people, with what it changes for whom; when findings
/// refuse it (Q301, Q302, Q601, ...), its last line says so instead of
/// "No changes" or "Plan: ...".
pub fn human(planned: &Planned, access: Option<&PlanAccess>, global: Global) -> String {
    let plan = &planned.plan;
    let section = access
        .filter(|a| !plan.actions.is_empty() || a.changed())
        .map(|a| {
            let mut text = render_access::human(a);
            if a.changed() && !plan.unmanaged.is_empty() {
                text.push_str(
                    "(The objects not managed by qpol, listed below, are left out: they may still grant some of this access.)\n",
                );
            }
            text
        });
    let text = render::human_with(plan, section.as_deref());
    if output::exit_code(&planned.diagnostics, global) == 0 {
        return text;
    }
    let summary = format!("{}\n", render::summary(&planned.plan));
    let body = text.strip_suffix(&summary).unwrap_or(&text);
    format!("{body}Plan refused: the errors below must be fixed first; nothing would be applied.\n")
}

/// Write the saved plan as pretty JSON, atomically.
fn save(path: &std::path::Path, saved: &Saved<'_>) -> Result<(), String> {
    files::write_with(path, |w| {
        serde_json::to_writer_pretty(&mut *w, saved)?;
        w.write_all(b"\n")
    })
}
