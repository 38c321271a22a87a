//! `qpol apply plan.json`: a plan saved by `qpol plan -o`, read (a regular
//! file or a FIFO, at most as large as a policy, a device refused: see
//! `policy::read_named`) and checked before anything is sent. The account
//! must not have changed since the plan was made (its fingerprint), and
//! the plan must be exactly what its policy plans now: the policy's
//! sources, saved beside the plan, are planned again against the account
//! just read, and the two must be the same, requests, ETags and known
//! values included. So an edited plan (a request to another host, a `..`
//! path, another method, an ETag with a line break, a changed id) or one
//! made by another qpol version is refused whole, nothing sent; a plan
//! without sources (saved by an older qpol) is refused the same way.

use super::plan::{against, Planned};
use super::{checked, ConnectArgs, Report};
use crate::cli::Global;
use crate::diag::escape;
use crate::live::plan::{LivePlan, SavedSources, Source, FORMAT};
use crate::live::read;
use crate::policy::Policy;
use std::path::Path;

/// A saved plan as read from its file.
pub struct File {
    /// The path as people see it (escaped).
    pub shown: String,
    pub plan: LivePlan,
    pub sources: Vec<Source>,
}

/// Why a saved plan is not applied (exit 1, nothing sent).
pub enum Refusal {
    /// Reported already (an I/O or API error, findings): this exit code.
    Reported(u8),
    /// Say this (`error: ...`, with its hint) and exit 1.
    Refused(String),
}

/// The saved plan at `path`, `None` when `path` is a policy (a folder, a
/// `*.qpol` file, `-`, or a file that does not hold a JSON object).
pub fn read_file(path: &Path) -> Result<Option<File>, String> {
    if path.as_os_str() == "-" || path.is_dir() || path.extension().is_some_and(|e| e == "qpol") {
        return Ok(None);
    }
    let shown = escape::path(path);
    let text =
        crate::policy::read_named(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    match json_body(&text) {
        Some(body) => parse(shown, body).map(Some),
        None => Ok(None),
    }
}

/// What `qpol apply -` reads on standard input: a saved plan (`qpol plan
/// POLICY -o - | qpol apply --yes -`) or a policy's text.
pub enum Stdin {
    Plan(File),
    Policy(Vec<u8>),
}

/// Standard input, read once: a saved plan when it holds a JSON object
/// (a policy never starts with `{`), else a policy. Empty input is refused:
/// in `qpol plan ... -o - | qpol apply --yes -` it means the plan failed,
/// and an empty policy would delete everything qpol manages.
pub fn read_stdin() -> Result<Stdin, String> {
    let text =
        crate::policy::read_stdin().map_err(|e| format!("cannot read standard input: {e}"))?;
    let body = text.strip_prefix(BOM).unwrap_or(&text);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("standard input is empty: there is no plan or policy to apply (did the command before `|` fail?); nothing was sent\nhint: `qpol plan POLICY -o - | qpol apply --yes -` applies a plan only when `qpol plan` wrote one".into());
    }
    match json_body(&text) {
        Some(body) => parse("-".to_string(), body).map(Stdin::Plan),
        None => Ok(Stdin::Policy(text)),
    }
}

/// A UTF-8 byte order mark, as some editors write before a file's text.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The JSON text of `text` (after a byte order mark, if any) when it holds
/// an object, as a saved plan does; `None` for anything else (a policy).
fn json_body(text: &[u8]) -> Option<&[u8]> {
    let body = text.strip_prefix(BOM).unwrap_or(text);
    (body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')).then_some(body)
}

/// A saved plan's text, its file shown as `shown` in errors.
fn parse(shown: String, text: &[u8]) -> Result<File, String> {
    let plan: LivePlan = serde_json::from_slice(text).map_err(|e| {
        format!("`{shown}` is not a saved plan (line {}, column {}): {e}\nhint: make one with `qpol plan POLICY -o {shown}`", e.line(), e.column())
    })?;
    if plan.format != FORMAT {
        return Err(format!(
            "`{shown}` has format `{}`, not `{FORMAT}`\nhint: make the plan again with `qpol plan POLICY -o {shown}`",
            escape::inline(&plan.format)
        ));
    }
    let sources: SavedSources = serde_json::from_slice(text).map_err(|e| {
        format!(
            "`{shown}` is not a saved plan: its `sources` (line {}, column {}): {e}\nhint: make the plan again with `qpol plan POLICY -o {shown}`",
            e.line(),
            e.column()
        )
    })?;
    Ok(File {
        shown,
        plan,
        sources: sources.sources,
    })
}

/// How to make a fresh plan, for the hints: `qpol plan POLICY -o FILE`,
/// with the policy's path when it was one file.
pub fn replan_hint(file: &File) -> String {
    let policy = match file.sources.as_slice() {
        [one] => escape::inline(&one.path).into_owned(),
        _ => "POLICY".to_string(),
    };
    format!("qpol plan {policy} -o {}", file.shown)
}

/// The saved plan checked against the account and its own policy: the
/// plan planned again (the same as the saved one) with its client,
/// findings and policy.
pub fn check(
    file: &File,
    connect: &ConnectArgs,
    parallelism: usize,
    global: Global,
    failure: &Report,
) -> Result<Planned, Refusal> {
    let again = replan_hint(file);
    if file.sources.is_empty() {
        return Err(Refusal::Refused(format!(
            "`{}` holds no policy sources (saved by an older qpol?): the saved plan cannot be checked against what its policy plans; nothing was sent\nhint: run `{again}` again and review it",
            file.shown
        )));
    }
    let fail = |message: String| Refusal::Reported(failure.fail(global, message));
    let client = connect.client(parallelism).map_err(fail)?;
    connect
        .account_id(Some(&file.plan.account_id))
        .map_err(fail)?;
    let now =
        read::read_account(&client, &file.plan.account_id).map_err(|e| fail(e.to_string()))?;
    if now.fingerprint() != file.plan.account_fingerprint {
        return Err(Refusal::Refused(format!(
            "plan is stale: the account changed since the plan was made; nothing was sent\nhint: run `{again}` again and review it"
        )));
    }
    let mut policy = Policy::default();
    for s in &file.sources {
        policy.add_bytes(&s.path, s.text.clone().into_bytes());
    }
    let planned =
        against(checked(policy), client, now, global, failure).map_err(Refusal::Reported)?;
    if let Some(difference) = difference(&file.plan, &planned.plan) {
        return Err(Refusal::Refused(format!(
            "the saved plan `{}` does not match what its policy plans ({difference}): it was edited, or made by another qpol version; nothing was sent\nhint: run `{again}` again and review it",
            file.shown
        )));
    }
    Ok(planned)
}

/// Where the saved plan differs from the plan made again, `None` when
/// they are the same. The fresh plan goes through JSON first, as the saved
/// one did, so that nothing but a real difference counts.
fn difference(saved: &LivePlan, fresh: &LivePlan) -> Option<String> {
    let Some(mut fresh) = serde_json::to_vec(fresh)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<LivePlan>(&bytes).ok())
    else {
        return Some("the plan made again cannot be read back".to_string());
    };
    // What the plan changes for whom is shown, never sent: not compared.
    fresh.access.clone_from(&saved.access);
    if *saved == fresh {
        return None;
    }
    let first = saved
        .actions
        .iter()
        .zip(&fresh.actions)
        .find(|(a, b)| a != b)
        .map(|(a, _)| a.id.as_str());
    Some(match first {
        Some(id) => format!("first at action `{}`", escape::inline(id)),
        None if saved.actions.len() != fresh.actions.len() => format!(
            "{} actions saved, {} planned",
            saved.actions.len(),
            fresh.actions.len()
        ),
        None if saved.known != fresh.known => "in `known`".to_string(),
        None => "outside its actions".to_string(),
    })
}
