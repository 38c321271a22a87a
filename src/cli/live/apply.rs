//! `qpol apply PATH` (a policy) or `qpol apply plan.json` (a saved plan;
//! `-` reads either on standard input):
//! make the account match. The plan's requests run in dependency order, at
//! most `--parallelism` at a time; a saved plan whose account changed since
//! it was made is refused ("plan is stale"). After an interruption (Ctrl-C,
//! a crash, a dropped connection) the next `apply` re-reads the account and
//! sends only what is missing; a create whose answer was lost is looked up
//! before it is sent again (`live::find`), so nothing is made twice.
//! Exit 0 done (or nothing to do), 1 findings, a stale plan or requests
//! that failed (what was done and what was not is listed), 2 usage, I/O,
//! network or API errors before anything was sent, 130 interrupted (Ctrl-C:
//! what was done so far is said, see `tally`).

use super::plan::{compute, compute_checked, Planned};
use super::saved::{self, Refusal};
use super::{ConnectArgs, ParallelismArg, Report};
use crate::cli::output::{self, IoError, Stream};
use crate::cli::{note, out_human, Global, OutputFormat, PathArg, EXIT_FINDINGS, EXIT_USAGE};
use crate::diag::{escape, SourceMap, Span};
use crate::live::execute::{self, Options, Outcome};
use crate::live::find::AccountFinder;
use crate::live::plan::LivePlan;
use crate::live::reconcile::Allows;
use crate::live::{progress, render};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::IsTerminal;

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A policy (file or folder of *.qpol files), a plan saved by `qpol plan -o FILE`, or `-`: standard input holding either (`qpol plan POLICY -o - | qpol apply --yes -`)
    pub path: PathArg,
    #[command(flatten)]
    pub parallelism: ParallelismArg,
    /// Apply without asking (required when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// The keys of apply's `--format json` document besides the diagnostics'
/// and `io_errors`, empty: the same on success and on every failure.
fn keys(
    plan: Option<&LivePlan>,
    outcome: Option<&Outcome>,
    refused: Option<&str>,
) -> Vec<(&'static str, Value)> {
    let plan = plan.map_or(Value::Null, |p| serde_json::to_value(p).unwrap_or_default());
    let (done, failed, not_run) = outcome.map_or((json!([]), json!([]), json!([])), |o| {
        (
            o.done.iter().map(|d| json!({"id": d.id, "method": d.method, "url": d.url, "found": d.found})).collect(),
            o.failed.iter().map(|f| json!({"id": f.id, "method": f.method, "url": f.url, "status": f.status(), "code": f.code(), "message": f.error.to_string()})).collect(),
            o.not_run.iter().map(|n| json!({"id": n.id, "blocked_by": n.blocked_by, "unreachable": n.unreachable})).collect(),
        )
    });
    vec![
        ("plan", plan),
        ("refused", refused.map_or(Value::Null, Value::from)),
        ("done", done),
        ("failed", failed),
        ("not_run", not_run),
    ]
}

/// A plan ready to send, and what its report needs.
struct Ready {
    planned: Planned,
    places: Places,
    /// `Some` for a saved plan: how to make a fresh one (the saved plan is
    /// stale once anything of it was sent).
    replan: Option<String>,
}

pub fn run(args: &ApplyArgs, global: Global) -> u8 {
    let failure = Report {
        keys: keys(None, None, None),
        stream: Stream::Stdout,
    };
    let parallelism = args.parallelism.get();
    let input = if crate::policy::is_stdin(&args.path) {
        saved::read_stdin().map(|input| match input {
            saved::Stdin::Plan(file) => Input::Plan(file),
            saved::Stdin::Policy(text) => Input::Policy(Some(text)),
        })
    } else {
        saved::read_file(&args.path).map(|file| file.map_or(Input::Policy(None), Input::Plan))
    };
    let ready = match input {
        Err(e) => return failure.fail(global, e),
        Ok(Input::Plan(file)) => {
            match saved::check(&file, &args.connect, parallelism, global, &failure) {
                Ok(planned) => Ready {
                    places: Places::new(&planned.checked.analysis),
                    planned,
                    replan: Some(saved::replan_hint(&file)),
                },
                Err(Refusal::Reported(code)) => return code,
                Err(Refusal::Refused(message)) => {
                    return refuse(global, None, &message, EXIT_FINDINGS)
                }
            }
        }
        Ok(Input::Policy(stdin)) => match policy_plan(args, stdin, global, &failure) {
            Ok(planned) => Ready {
                places: Places::new(&planned.checked.analysis),
                planned,
                replan: None,
            },
            Err(code) => return code,
        },
    };
    send(ready, args, global)
}

/// What `qpol apply` was given: a saved plan, or a policy (with its text
/// when it came on standard input, read already).
enum Input {
    Plan(saved::File),
    Policy(Option<Vec<u8>>),
}

/// The plan of the policy at `args.path`, or of the one read from
/// standard input.
fn policy_plan(
    args: &ApplyArgs,
    stdin: Option<Vec<u8>>,
    global: Global,
    failure: &Report,
) -> Result<Planned, u8> {
    let parallelism = args.parallelism.get();
    let Some(text) = stdin else {
        return compute(&args.path, &args.connect, global, parallelism, failure);
    };
    let mut policy = crate::policy::Policy::default();
    policy.add_bytes(crate::policy::STDIN, text);
    let checked = super::checked(policy);
    compute_checked(checked, &args.connect, global, parallelism, failure)
}

/// Say why nothing is sent (`error: ...` on stderr; the JSON document's
/// `refused`) and return `code`.
fn refuse(global: Global, ready: Option<&Ready>, message: &str, code: u8) -> u8 {
    if global.format == OutputFormat::Json {
        let (diagnostics, sources, plan) = match ready {
            Some(r) => (
                &r.planned.diagnostics[..],
                &r.planned.checked.analysis.sources,
                Some(&r.planned.plan),
            ),
            None => (&[][..], &SourceMap::default(), None),
        };
        let first = message.lines().next().unwrap_or_default();
        output::report(
            diagnostics,
            sources,
            global,
            &keys(plan, None, Some(first)),
            &[],
            Stream::Stdout,
        );
    }
    note(format_args!("error: {message}"));
    code
}

/// Findings, the plan, the prompt, then the requests; the report.
fn send(mut ready: Ready, args: &ApplyArgs, global: Global) -> u8 {
    let access = super::plan::access(&mut ready.planned);
    let planned = &ready.planned;
    let plan = &planned.plan;
    let json = global.format == OutputFormat::Json;
    let code = output::exit_code(&planned.diagnostics, global);
    let sources = &planned.checked.analysis.sources;
    if !json {
        output::report(
            &planned.diagnostics,
            sources,
            global,
            &[],
            &[],
            Stream::Stderr,
        );
    }
    if code != 0 || plan.actions.is_empty() {
        if json {
            output::report(
                &planned.diagnostics,
                sources,
                global,
                &keys(Some(plan), None, None),
                &[],
                Stream::Stdout,
            );
        } else if code == 0 {
            out_human(format!("{}\n", render::summary(plan)));
        }
        return code;
    }
    if !json {
        out_human(super::plan::human(planned, access.as_ref(), global));
    }
    if !args.yes {
        if let Err((message, code)) = confirm(plan) {
            return refuse(global, Some(&ready), message, code);
        }
    }
    let requests: Vec<_> = plan
        .actions
        .iter()
        .flat_map(|a| a.requests.iter().cloned())
        .collect();
    let finder = AccountFinder {
        client: &planned.client,
        account_id: plan.account_id.clone(),
    };
    let options = Options {
        parallelism: args.parallelism.get(),
        ..Options::default()
    };
    let bar = progress::for_stderr();
    let tally = super::tally::Tally::new(&*bar, rerun_hint(ready.replan.as_deref()));
    tally.install();
    let outcome = execute::execute(
        &planned.client,
        &requests,
        &plan.known,
        Some(&finder),
        &tally,
        &options,
    );
    drop(tally);
    drop(bar);
    match outcome {
        Ok(outcome) => summarize(&ready, &outcome, global),
        Err(e) => {
            let message = format!("{e}; nothing was sent");
            let keys = keys(Some(plan), None, None);
            output::report(
                &planned.diagnostics,
                sources,
                global,
                &keys,
                &[IoError::new("-", message)],
                Stream::Stdout,
            );
            EXIT_USAGE
        }
    }
}

/// How to finish after an interrupted or failed apply: `qpol apply` again,
/// or for a saved plan (stale now) a fresh plan.
fn rerun_hint(replan: Option<&str>) -> String {
    match replan {
        None => "run `qpol apply` again: it reads the account again and sends only what is missing, nothing twice".to_string(),
        Some(replan) => format!("the saved plan is stale now: run `{replan}` again, review it and apply it (or `qpol apply` the policy): it reads the account again and plans only what is missing, nothing twice"),
    }
}

/// Ask on the terminal; refuse without `--yes` when nobody can answer. A
/// declined apply exits 1 (as Terraform's "Apply cancelled").
fn confirm(plan: &LivePlan) -> Result<(), (&'static str, u8)> {
    if !std::io::stdin().is_terminal() {
        return Err(("not applying without --yes: standard input is not a terminal\nhint: review the plan above, then run again with --yes", EXIT_USAGE));
    }
    eprint!(
        "Apply these {} changes to account {}? Only `yes` applies: ",
        plan.actions.len(),
        plan.account_id
    );
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(("Apply cancelled: nothing was sent.", EXIT_FINDINGS))
    }
}

/// Where in the policy each project and instance is declared.
#[derive(Default)]
struct Places {
    spans: BTreeMap<String, Span>,
    sources: SourceMap,
}

impl Places {
    fn new(analysis: &crate::pipeline::Analysis) -> Places {
        let allows = Allows::from_model(&analysis.model);
        let mut spans = allows.units;
        spans.extend(allows.instances);
        Places {
            spans,
            sources: analysis.sources.clone(),
        }
    }

    /// `file:line:column` of the declaration behind an action.
    fn of(&self, project: Option<&str>, object: &str) -> Option<String> {
        let name = project.or_else(|| object.split('`').nth(1))?;
        let span = self.spans.get(name)?;
        let file = self.sources.get(span.file)?;
        let (line, column) = file.line_col(span.start());
        Some(format!("{}:{line}:{column}", self.sources.name(span.file)))
    }
}

/// What was done and what was not; exit 0 or 1.
fn summarize(ready: &Ready, outcome: &Outcome, global: Global) -> u8 {
    let plan = &ready.planned.plan;
    let action_of = |id: &str| {
        plan.actions
            .iter()
            .find(|a| a.requests.iter().any(|r| r.id == id))
    };
    let e = |text: &str| escape::inline(text).into_owned();
    let found = outcome.done.iter().filter(|d| d.found).count();
    let mut text = format!(
        "Applied {} of {} requests",
        outcome.done.len(),
        outcome.done.len() + outcome.failed.len() + outcome.not_run.len()
    );
    if found > 0 {
        text.push_str(&format!(
            " ({found} found done already: by an earlier run, a lost connection or a run at the same time; not sent again)"
        ));
    }
    text.push_str(".\n");
    for f in &outcome.failed {
        let (object, place) = match action_of(&f.id) {
            Some(a) => (
                a.object.clone(),
                ready.places.of(a.project.as_deref(), &a.object),
            ),
            None => (f.id.clone(), None),
        };
        let error = e(&f.error.to_string());
        // IBM's errors name the request themselves.
        if f.error.api().is_some() {
            text.push_str(&format!("error: {}: {error}\n", e(&object)));
        } else {
            text.push_str(&format!(
                "error: {}: {} {}: {error}\n",
                e(&object),
                e(&f.method),
                e(&f.url)
            ));
        }
        if let Some(place) = place {
            text.push_str(&format!("  --> {}\n", e(&place)));
        }
    }
    for n in &outcome.not_run {
        let (id, by) = (e(&n.id), e(&n.blocked_by));
        if n.unreachable {
            text.push_str(&format!(
                "not run: {id} (not sent: the endpoint stopped answering, at {by})\n"
            ));
        } else {
            text.push_str(&format!("not run: {id} (it needs {by}, which failed)\n"));
        }
    }
    if !outcome.is_complete() {
        let hint = match &ready.replan {
            None => "Run `qpol apply` again once the cause is fixed: it reads the account again and sends only what is missing.".to_string(),
            Some(replan) => format!("The saved plan is stale now: once the cause is fixed, run `{replan}` again, review it and apply it; it plans only what is missing."),
        };
        text.push_str(&hint);
        text.push('\n');
    }
    match global.format {
        OutputFormat::Json => {
            let keys = keys(Some(plan), Some(outcome), None);
            let sources = &ready.planned.checked.analysis.sources;
            output::report(
                &ready.planned.diagnostics,
                sources,
                global,
                &keys,
                &[],
                Stream::Stdout,
            );
        }
        _ => out_human(text),
    }
    if outcome.is_complete() {
        0
    } else {
        EXIT_FINDINGS
    }
}
