//! `qpol apply PATH` (a policy) or `qpol apply plan.json` (a saved plan):
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

use super::plan::{compute, Planned};
use super::ConnectArgs;
use crate::cli::output::{self, IoError};
use crate::cli::{note, out_human, Global, OutputFormat, PathArg, EXIT_FINDINGS, EXIT_USAGE};
use crate::diag::{escape, SourceMap, Span};
use crate::live::execute::{self, Options, Outcome};
use crate::live::find::AccountFinder;
use crate::live::plan::{LivePlan, FORMAT};
use crate::live::reconcile::Allows;
use crate::live::{progress, read, render};
use std::collections::BTreeMap;
use std::io::IsTerminal;

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A policy (file or folder of *.qpol files), or a plan saved by `qpol plan -o FILE`
    pub path: PathArg,
    /// Requests in flight at most
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// Apply without asking (required when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

pub fn run(args: &ApplyArgs, global: Global) -> u8 {
    let fail = |message: String| output::fail(global, &[IoError::new("-", message)], &[]);
    let (plan, client, places) = match saved_plan(&args.path) {
        Ok(Some(plan)) => {
            let client = match args.connect.client(usize::from(args.parallelism)) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            if let Err(e) = args.connect.account_id(Some(&plan.account_id)) {
                return fail(e);
            }
            match read::read_account(&client, &plan.account_id) {
                Ok(now) if now.fingerprint() != plan.account_fingerprint => {
                    note("error: plan is stale: the account changed since the plan was made; nothing was sent\nhint: run `qpol plan -o FILE` again and review it");
                    return EXIT_FINDINGS;
                }
                Ok(_) => (plan, client, Places::default()),
                Err(e) => return fail(e.to_string()),
            }
        }
        Ok(None) => {
            let planned = match compute(
                &args.path,
                &args.connect,
                global,
                usize::from(args.parallelism),
            ) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let code = output::exit_code(&planned.diagnostics, global);
            let Planned {
                checked,
                plan,
                diagnostics,
                client,
                ..
            } = planned;
            output::report(
                &diagnostics,
                &checked.analysis.sources,
                global,
                &[],
                &[],
                output::Stream::Stderr,
            );
            if code != 0 {
                return code;
            }
            let places = Places::new(&checked.analysis);
            (plan, client, places)
        }
        Err(e) => return fail(e),
    };
    if plan.actions.is_empty() {
        out_human(format!("{}\n", render::summary(&plan)));
        return 0;
    }
    if global.format != OutputFormat::Json {
        out_human(render::human(&plan));
    }
    if !args.yes {
        if let Err(code) = confirm(&plan) {
            return code;
        }
    }
    let requests: Vec<_> = plan
        .actions
        .iter()
        .flat_map(|a| a.requests.iter().cloned())
        .collect();
    let finder = AccountFinder {
        client: &client,
        account_id: plan.account_id.clone(),
    };
    let options = Options {
        parallelism: usize::from(args.parallelism),
        ..Options::default()
    };
    let bar = progress::for_stderr();
    let tally = super::tally::Tally::new(&*bar);
    tally.install();
    let outcome = match execute::execute(
        &client,
        &requests,
        &plan.known,
        Some(&finder),
        &tally,
        &options,
    ) {
        Ok(o) => o,
        Err(e) => return fail(format!("{e}; nothing was sent")),
    };
    drop(tally);
    drop(bar);
    summarize(&plan, &outcome, &places, global)
}

/// A saved plan at `path`, `None` when `path` is a policy.
fn saved_plan(path: &PathArg) -> Result<Option<LivePlan>, String> {
    if path.as_os_str() == "-" || path.is_dir() || path.extension().is_some_and(|e| e == "qpol") {
        return Ok(None);
    }
    let shown = escape::path(path);
    let text = std::fs::read(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let looks_like_json = text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !looks_like_json {
        return Ok(None);
    }
    let plan: LivePlan = serde_json::from_slice(&text).map_err(|e| {
        format!("`{shown}` is not a saved plan (line {}, column {}): {e}\nhint: make one with `qpol plan POLICY -o {shown}`", e.line(), e.column())
    })?;
    if plan.format != FORMAT {
        return Err(format!(
            "`{shown}` has format `{}`, not `{FORMAT}`\nhint: make the plan again with `qpol plan POLICY -o {shown}`",
            escape::inline(&plan.format)
        ));
    }
    Ok(Some(plan))
}

/// Ask on the terminal; refuse without `--yes` when nobody can answer.
fn confirm(plan: &LivePlan) -> Result<(), u8> {
    if !std::io::stdin().is_terminal() {
        note("error: not applying without --yes: standard input is not a terminal\nhint: review the plan above, then run again with --yes");
        return Err(EXIT_USAGE);
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
        note("Not applied: nothing was sent.");
        Err(0)
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
fn summarize(plan: &LivePlan, outcome: &Outcome, places: &Places, global: Global) -> u8 {
    let action_of = |id: &str| {
        plan.actions
            .iter()
            .find(|a| a.requests.iter().any(|r| r.id == id))
    };
    let found = outcome.done.iter().filter(|d| d.found).count();
    let mut text = format!(
        "Applied {} of {} requests",
        outcome.done.len(),
        outcome.done.len() + outcome.failed.len() + outcome.not_run.len()
    );
    if found > 0 {
        text.push_str(&format!(
            " ({found} found done after a lost connection, not sent again)"
        ));
    }
    text.push_str(".\n");
    for f in &outcome.failed {
        let (object, place) = match action_of(&f.id) {
            Some(a) => (a.object.clone(), places.of(a.project.as_deref(), &a.object)),
            None => (f.id.clone(), None),
        };
        // IBM's errors name the request themselves.
        if f.error.api().is_some() {
            text.push_str(&format!("error: {object}: {}\n", f.error));
        } else {
            text.push_str(&format!(
                "error: {}: {} {}: {}\n",
                object, f.method, f.url, f.error
            ));
        }
        if let Some(place) = place {
            text.push_str(&format!("  --> {place}\n"));
        }
    }
    for n in &outcome.not_run {
        text.push_str(&format!(
            "not run: {} (it needs {}, which failed)\n",
            n.id, n.blocked_by
        ));
    }
    if !outcome.is_complete() {
        text.push_str("Run `qpol apply` again once the cause is fixed: it reads the account again and sends only what is missing.\n");
    }
    match global.format {
        OutputFormat::Json => {
            let json = serde_json::json!({
                "done": outcome.done.iter().map(|d| serde_json::json!({"id": d.id, "method": d.method, "url": d.url, "found": d.found})).collect::<Vec<_>>(),
                "failed": outcome.failed.iter().map(|f| serde_json::json!({"id": f.id, "method": f.method, "url": f.url, "status": f.status(), "code": f.code(), "message": f.error.to_string()})).collect::<Vec<_>>(),
                "not_run": outcome.not_run.iter().map(|n| serde_json::json!({"id": n.id, "blocked_by": n.blocked_by})).collect::<Vec<_>>(),
            });
            crate::cli::out(format!("{json}\n"));
        }
        _ => out_human(text),
    }
    if outcome.is_complete() {
        0
    } else {
        EXIT_FINDINGS
    }
}
