//! Runs a plan's requests ([`execute`]): each after the requests it
//! depends on (`depends_on`, and every request a `${ID.FIELD}` of it
//! names), at most [`Options::parallelism`] at a time (worker threads
//! taking ready requests from one queue, lowest plan position first).
//!
//! Before anything is sent the whole plan is checked (`prepare`): unique ids, known
//! dependencies, every placeholder answered by a request's `yields` or by
//! `known`, every `yields` a JSONPath of the subset, no cycle.
//!
//! While it runs: placeholders are filled (percent-encoded in URLs, `$${`
//! kept as a literal `${`), `If-Match: ETAG` goes with each request that
//! has an `etag` (a 412 is reported as changed by hand, nothing is
//! overwritten), `yields` are read from each answer. A write whose
//! connection was lost ([`Error::Ambiguous`]) is looked up with the
//! caller's [`Find`] before it is sent again. A request that fails for
//! good stops everything that depends on it; the others go on, unless it
//! could not reach its endpoint after all its attempts (a network down):
//! then nothing new starts (each would wait out its own retries). The
//! [`Outcome`] lists what was done, what failed (IBM's status, code and
//! message) and what was not run.

mod prepare;

use prepare::{plan_error, prepare, Prepared};

use super::error::{Error, Result};
use super::http::{self, Client};
use super::jsonpath;
use super::plan::Request;
use super::progress::{Event, Progress};
use super::template::{self, Ref};
use crate::backends::ibm_api::text::literal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Condvar, Mutex};

/// Values by object id, then field: `access_group.ml` -> `id` -> `...`.
pub type Values = BTreeMap<String, BTreeMap<String, String>>;

/// Looks up whether a write was done already, after its connection was
/// lost: implemented by the caller (e.g. a create found by name and
/// [`super::MARKER`]).
pub trait Find: Sync {
    /// `request` as it was sent (placeholders filled): `Some(values)` when
    /// its effect is in the account (for a create, the fields the request
    /// yields, e.g. `id`), `None` when it is not (it is then sent again).
    /// Also asked after a create answered 409 (another apply made the
    /// object first): found, it is used instead.
    fn find(&self, request: &http::Request) -> Result<Option<BTreeMap<String, String>>>;

    /// Just before a create of an object whose name IBM does not keep
    /// unique (an instance, a rule): the values of one already there
    /// (made by another apply meanwhile), used instead of creating it.
    fn existing(&self, _request: &http::Request) -> Result<Option<BTreeMap<String, String>>> {
        Ok(None)
    }

    /// Just after such a create answered `body`: when an earlier twin made
    /// by another apply is there, the object just made is deleted and the
    /// twin's values returned; `None` keeps the object just made.
    fn settle(
        &self,
        _request: &http::Request,
        _body: &Value,
    ) -> Result<Option<BTreeMap<String, String>>> {
        Ok(None)
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight at most (at least 1).
    pub parallelism: usize,
    /// Times an ambiguous write is looked up and sent again at most.
    pub ambiguous_rounds: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            parallelism: 8,
            ambiguous_rounds: 2,
        }
    }
}

/// A request done.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub id: String,
    pub method: String,
    /// Canonical, placeholders filled.
    pub url: String,
    /// Found done by [`Find`] after a lost connection; not sent again.
    pub found: bool,
}

/// A request that failed for good.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    pub id: String,
    pub method: String,
    pub url: String,
    pub body: Option<Value>,
    pub error: Error,
}

impl Failed {
    /// IBM's status, if it answered.
    pub fn status(&self) -> Option<u16> {
        self.error.status()
    }

    /// IBM's error code, if it sent one.
    pub fn code(&self) -> Option<&str> {
        self.error.api().and_then(|e| e.code.as_deref())
    }
}

/// A request not run: a request it needs failed, or the network failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRun {
    pub id: String,
    /// The failed request it (indirectly) needs, or the one that found
    /// the endpoint unreachable.
    pub blocked_by: String,
    /// Not sent because an earlier request could not reach the endpoint
    /// after all its attempts (a network down would fail it the same
    /// way, each after its own retries).
    pub unreachable: bool,
}

/// What an execution did, each list in plan order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub done: Vec<Done>,
    pub failed: Vec<Failed>,
    pub not_run: Vec<NotRun>,
    /// `known` and every value the requests yielded.
    pub values: Values,
}

impl Outcome {
    /// Everything was done.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.not_run.is_empty()
    }
}

/// What one request gave: its yields and whether [`Find`] found it done.
type Ran = Result<(BTreeMap<String, String>, bool)>;

/// The state the workers share.
struct State {
    ready: BTreeSet<usize>,
    left: Vec<usize>,
    finished: usize,
    values: Values,
    done: Vec<(usize, Done)>,
    failed: Vec<(usize, Failed)>,
    not_run: Vec<(usize, NotRun)>,
    /// The request whose endpoint could not be reached: nothing new starts.
    halted: Option<String>,
}

/// Run `requests` (see the module doc). `Err` only for a plan that cannot
/// run as written, before anything is sent; failures of requests are in
/// the [`Outcome`].
pub fn execute(
    client: &Client,
    requests: &[Request],
    known: &Values,
    find: Option<&dyn Find>,
    progress: &dyn Progress,
    options: &Options,
) -> Result<Outcome> {
    let prepared = prepare(requests, known)?;
    let left: Vec<usize> = prepared.needs.iter().map(BTreeSet::len).collect();
    let state = Mutex::new(State {
        ready: (0..requests.len())
            .filter(|&i| left.get(i) == Some(&0))
            .collect(),
        left,
        finished: 0,
        values: known.clone(),
        done: Vec::new(),
        failed: Vec::new(),
        not_run: Vec::new(),
        halted: None,
    });
    let wake = Condvar::new();
    let worker = Worker {
        client,
        prepared: &prepared,
        find,
        progress,
        options,
        state: &state,
        wake: &wake,
    };
    progress.start(requests.len());
    let threads = options.parallelism.clamp(1, requests.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| worker.run());
        }
    });
    progress.finish();
    let mut state = state.into_inner().unwrap_or_else(|e| e.into_inner());
    state.done.sort_by_key(|(i, _)| *i);
    state.failed.sort_by_key(|(i, _)| *i);
    state.not_run.sort_by_key(|(i, _)| *i);
    Ok(Outcome {
        done: state.done.into_iter().map(|(_, d)| d).collect(),
        failed: state.failed.into_iter().map(|(_, f)| f).collect(),
        not_run: state.not_run.into_iter().map(|(_, n)| n).collect(),
        values: state.values,
    })
}

struct Worker<'a> {
    client: &'a Client,
    prepared: &'a Prepared<'a>,
    find: Option<&'a dyn Find>,
    progress: &'a dyn Progress,
    options: &'a Options,
    state: &'a Mutex<State>,
    wake: &'a Condvar,
}

impl Worker<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) {
        let total = self.prepared.requests.len();
        let mut state = self.lock();
        loop {
            if let Some(i) = state.ready.pop_first() {
                if let Some(halted) = state.halted.clone() {
                    self.skip(&mut state, i, &halted, true);
                    self.wake.notify_all();
                    continue;
                }
                let resolved = self
                    .prepared
                    .requests
                    .get(i)
                    .map(|r| (r, resolve(r, &state.values)));
                drop(state);
                let result = resolved.map(|(r, resolved)| (r, self.one(r, resolved)));
                state = self.lock();
                if let Some((r, result)) = result {
                    self.record(&mut state, i, r, result);
                }
                self.wake.notify_all();
                continue;
            }
            if state.finished >= total {
                self.wake.notify_all();
                return;
            }
            state = self.wake.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Send one request (resolved), look it up after a lost connection.
    fn one(
        &self,
        r: &Request,
        resolved: std::result::Result<http::Request, Error>,
    ) -> (http::Request, Ran) {
        let resolved = match resolved {
            Ok(resolved) => resolved,
            Err(e) => return (http::Request::new(&r.method, &r.url), Err(e)),
        };
        self.progress.event(&Event::Started {
            id: &r.id,
            method: &resolved.method,
            url: &resolved.url,
        });
        if let Some(values) = self.existing(&resolved) {
            return (
                resolved,
                values.and_then(|v| found(r, v)).map(|v| (v, true)),
            );
        }
        let mut rounds = 0;
        let result = loop {
            match self.client.send(&resolved) {
                Ok(answer) => break self.settled(r, &resolved, &answer.body),
                // Another apply made it first (a name IBM keeps unique).
                Err(Error::Api(e)) if e.status == 409 && resolved.method == "POST" => {
                    break match self.find.map(|f| f.find(&resolved)) {
                        Some(Ok(Some(values))) => found(r, values).map(|v| (v, true)),
                        Some(Err(lookup)) => Err(lookup),
                        _ => Err(Error::Api(e)),
                    };
                }
                Err(Error::Ambiguous { .. })
                    if self.find.is_some() && rounds < self.options.ambiguous_rounds =>
                {
                    rounds += 1;
                    let Some(find) = self.find else { continue };
                    match find.find(&resolved) {
                        Ok(Some(values)) => break found(r, values).map(|v| (v, true)),
                        Ok(None) => continue,
                        Err(e) => break Err(e),
                    }
                }
                Err(e) => break Err(e),
            }
        };
        (resolved, result)
    }

    /// A create's twin already in the account (see [`Find::existing`]).
    fn existing(&self, resolved: &http::Request) -> Option<Result<BTreeMap<String, String>>> {
        if resolved.method != "POST" {
            return None;
        }
        self.find?.existing(resolved).transpose()
    }

    /// The yields of a request done, or of the earlier twin of the object
    /// it created (see [`Find::settle`]).
    fn settled(&self, r: &Request, resolved: &http::Request, body: &Value) -> Ran {
        let twin = match self.find {
            Some(find) if resolved.method == "POST" => find.settle(resolved, body)?,
            _ => None,
        };
        match twin {
            Some(values) => found(r, values).map(|v| (v, true)),
            None => yielded(r, body).map(|v| (v, false)),
        }
    }

    fn record(
        &self,
        state: &mut State,
        i: usize,
        r: &Request,
        (sent, result): (http::Request, Ran),
    ) {
        state.finished += 1;
        match result {
            Ok((values, found)) => {
                self.progress.event(&Event::Done {
                    id: &r.id,
                    method: &sent.method,
                    url: &sent.url,
                    found,
                });
                if !values.is_empty() {
                    state.values.insert(r.id.clone(), values);
                }
                state.done.push((
                    i,
                    Done {
                        id: r.id.clone(),
                        method: sent.method,
                        url: sent.url,
                        found,
                    },
                ));
                for &d in self.prepared.dependants.get(i).into_iter().flatten() {
                    if let Some(n) = state.left.get_mut(d) {
                        *n -= 1;
                        if *n == 0 {
                            state.ready.insert(d);
                        }
                    }
                }
            }
            Err(error) => {
                let message = error.to_string();
                self.progress.event(&Event::Failed {
                    id: &r.id,
                    method: &sent.method,
                    url: &sent.url,
                    message: &message,
                });
                if matches!(error, Error::Transport { .. } | Error::Ambiguous { .. })
                    && state.halted.is_none()
                {
                    state.halted = Some(r.id.clone());
                }
                state.failed.push((
                    i,
                    Failed {
                        id: r.id.clone(),
                        method: sent.method,
                        url: sent.url,
                        body: sent.body,
                        error,
                    },
                ));
                self.block_dependants(state, i, &r.id, false);
            }
        }
    }

    /// Request `i` and everything that needs it are not run.
    fn skip(&self, state: &mut State, i: usize, blocked_by: &str, unreachable: bool) {
        let Some(r) = self.prepared.requests.get(i) else {
            return;
        };
        state.finished += 1;
        self.progress.event(&Event::NotRun {
            id: &r.id,
            blocked_by,
            unreachable,
        });
        state.not_run.push((
            i,
            NotRun {
                id: r.id.clone(),
                blocked_by: blocked_by.to_string(),
                unreachable,
            },
        ));
        self.block_dependants(state, i, blocked_by, unreachable);
    }

    /// Everything that needs request `i` (directly or not) is not run.
    fn block_dependants(&self, state: &mut State, i: usize, failed_id: &str, unreachable: bool) {
        let mut todo: Vec<usize> = self.prepared.dependants.get(i).cloned().unwrap_or_default();
        let mut blocked = BTreeSet::new();
        while let Some(d) = todo.pop() {
            if !blocked.insert(d) {
                continue;
            }
            todo.extend(self.prepared.dependants.get(d).into_iter().flatten());
        }
        for d in blocked {
            let Some(r) = self.prepared.requests.get(d) else {
                continue;
            };
            if state.not_run.iter().any(|(j, _)| *j == d) {
                continue;
            }
            state.ready.remove(&d);
            state.finished += 1;
            self.progress.event(&Event::NotRun {
                id: &r.id,
                blocked_by: failed_id,
                unreachable,
            });
            state.not_run.push((
                d,
                NotRun {
                    id: r.id.clone(),
                    blocked_by: failed_id.to_string(),
                    unreachable,
                },
            ));
        }
    }
}

/// The request with its placeholders filled from `values`, and `If-Match`.
fn resolve(r: &Request, values: &Values) -> Result<http::Request> {
    let lookup = |x: &Ref| values.get(&x.id).and_then(|f| f.get(&x.field)).cloned();
    let fail = |e: String| plan_error(&r.id, &e);
    let mut out = http::Request::new(
        &r.method,
        template::fill(&r.url, true, lookup).map_err(fail)?,
    );
    for (name, value) in &r.headers {
        out.headers.insert(
            name.clone(),
            template::fill(value, false, lookup).map_err(fail)?,
        );
    }
    if let Some(etag) = &r.etag {
        out.headers.insert("If-Match".to_string(), etag.clone());
    }
    out.body = match &r.body {
        Some(body) => Some(fill_body(body, &lookup).map_err(fail)?),
        None => None,
    };
    Ok(out)
}

fn fill_body(
    value: &Value,
    lookup: &dyn Fn(&Ref) -> Option<String>,
) -> std::result::Result<Value, String> {
    Ok(match value {
        Value::String(s) => Value::String(template::fill(s, false, lookup)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| fill_body(v, lookup))
                .collect::<std::result::Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (key, item) in map {
                out.insert(
                    template::fill(key, false, lookup)?,
                    fill_body(item, lookup)?,
                );
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// The request's `yields` read from its answer.
fn yielded(r: &Request, body: &Value) -> Result<BTreeMap<String, String>> {
    r.yields
        .iter()
        .map(|(field, path)| {
            jsonpath::first_scalar(body, &literal(path))
                .map(|v| (field.clone(), v))
                .map_err(|e| {
                    Error::malformed(
                        &format!("{} {}", r.method, r.url),
                        path,
                        format!(
                            "{e} (request `{}` was done, but its `{field}` is missing)",
                            r.id
                        ),
                    )
                })
        })
        .collect()
}

/// The values [`Find`] gave, which must hold every field the request yields.
fn found(r: &Request, values: BTreeMap<String, String>) -> Result<BTreeMap<String, String>> {
    if let Some(field) = r.yields.keys().find(|f| !values.contains_key(*f)) {
        return Err(plan_error(
            &r.id,
            &format!("it was found done after a lost connection, but without its `{field}`"),
        ));
    }
    Ok(values)
}
