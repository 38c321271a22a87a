//! The analysis thread: diagnostics as you type. The main loop sends a
//! [`Job`] per edit (the open buffers at that moment and a generation
//! number); within a burst of edits the worker waits until they pause for
//! the debounce delay (at most ten times that delay in all), keeps only
//! the newest job of each policy, runs the pipeline, and
//! publishes only if no newer edit of that policy came meanwhile (a stale
//! result is dropped; the newer job is already queued). Diagnostics go to
//! every file of the policy; a file that left the policy is cleared.
//! An edit after a pause of at least the debounce delay is analysed at
//! once (no added latency); the edits of a burst are coalesced.
//!
//! A newer edit of a policy cancels the analysis of the older one that is
//! running ([`Cancel`]: it stops at its next check, between phases or
//! inside the longest loops), so the newer one starts sooner. Each policy
//! keeps what its last analysis parsed ([`Reuse`]): an edit re-parses the
//! edited file only. The previous analysis is freed on a thread of its own,
//! after the new one is published.

use super::diagnostics;
use super::documents::{Documents, PolicyKey};
use super::reuse::Reuse;
use super::snapshot::Snapshot;
use crate::pipeline::Cancel;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use lsp_server::{Message, Notification};
use lsp_types::notification::{LogMessage, Notification as _, PublishDiagnostics, ShowMessage};
use lsp_types::{LogMessageParams, MessageType, Url};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Analyse a policy as the buffers were at one edit.
#[derive(Debug)]
pub struct Job {
    pub key: PolicyKey,
    pub generation: u64,
    pub documents: Documents,
    /// When the edit was made.
    pub at: Instant,
    /// Asked when a newer edit of the policy is scheduled.
    pub cancel: Cancel,
}

/// What the main loop and the worker share.
#[derive(Debug, Default)]
pub struct Shared {
    /// The newest generation scheduled for each policy, and its cancel.
    latest: Mutex<HashMap<PolicyKey, (u64, Cancel)>>,
    /// The newest published analysis of each policy.
    snapshots: Mutex<HashMap<PolicyKey, Arc<Snapshot>>>,
}

impl Shared {
    /// Make `generation` the newest of the policy: the analysis of the one
    /// before is cancelled. Returns the new generation's cancel.
    pub fn schedule(&self, key: &PolicyKey, generation: u64) -> Cancel {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        let cancel = Cancel::default();
        if let Some((_, older)) = latest.insert(key.clone(), (generation, cancel.clone())) {
            older.cancel();
        }
        cancel
    }

    fn is_latest(&self, key: &PolicyKey, generation: u64) -> bool {
        let latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        latest.get(key).is_none_or(|(g, _)| *g == generation)
    }

    /// The newest published analysis of a policy.
    pub fn snapshot(&self, key: &PolicyKey) -> Option<Arc<Snapshot>> {
        let snapshots = self
            .snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        snapshots.get(key).cloned()
    }

    /// Publish a policy's analysis; returns the one it replaces.
    fn store(&self, key: PolicyKey, snapshot: Arc<Snapshot>) -> Option<Arc<Snapshot>> {
        let mut snapshots = self
            .snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        snapshots.insert(key, snapshot)
    }
}

/// Run jobs until the channel closes (the main loop ended).
pub fn run(jobs: Receiver<Job>, out: Sender<Message>, shared: Arc<Shared>, debounce: Duration) {
    let mut published: HashMap<PolicyKey, BTreeSet<Url>> = HashMap::new();
    let mut logged: HashMap<PolicyKey, Vec<String>> = HashMap::new();
    let mut reuse: HashMap<PolicyKey, Reuse> = HashMap::new();
    let delay = test_delay();
    // When the edit before the newest batch was made.
    let mut last_edit: Option<Instant> = None;
    while let Ok(first) = jobs.recv() {
        let started = Instant::now();
        let previous = last_edit;
        let mut newest = first.at;
        let mut pending = BTreeMap::new();
        pending.insert(first.key.clone(), first);
        let mut received = 1;
        // What came while the last analysis ran.
        while let Ok(job) = jobs.try_recv() {
            newest = newest.max(job.at);
            received += 1;
            pending.insert(job.key.clone(), job);
        }
        // An edit after a pause is analysed at once; a burst waits until
        // its edits pause for `debounce`.
        let alone = received == 1 && previous.is_none_or(|p| newest.duration_since(p) >= debounce);
        if !alone {
            loop {
                let wait = debounce
                    .saturating_sub(newest.elapsed())
                    .min((debounce * 10).saturating_sub(started.elapsed()));
                if wait.is_zero() {
                    break;
                }
                match jobs.recv_timeout(wait) {
                    Ok(job) => {
                        newest = newest.max(job.at);
                        pending.insert(job.key.clone(), job);
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        }
        last_edit = Some(newest);
        for (key, job) in pending {
            if !shared.is_latest(&key, job.generation) {
                continue;
            }
            let (files, errors) = match &key {
                PolicyKey::Single(uri) if job.documents.get(uri).is_none() => {
                    (Vec::new(), Vec::new())
                }
                _ => job.documents.files(&key),
            };
            pause(delay, &job.cancel);
            let reused = reuse.entry(key.clone()).or_default();
            let Some(snapshot) = Snapshot::build_reusing(files, reused, &job.cancel) else {
                continue;
            };
            if !shared.is_latest(&key, job.generation) {
                continue;
            }
            let snapshot = Arc::new(snapshot);
            // Said once, not at every edit; shown once while it lasts.
            if logged.get(&key) != Some(&errors) {
                let before = logged.remove(&key).unwrap_or_default();
                for message in &errors {
                    let params = LogMessageParams {
                        typ: MessageType::WARNING,
                        message: message.clone(),
                    };
                    send(&out, LogMessage::METHOD, params);
                    if !before.contains(message) {
                        send(&out, ShowMessage::METHOD, diagnostics::shown(message));
                    }
                }
                logged.insert(key.clone(), errors.clone());
            }
            let now: BTreeSet<Url> = snapshot.files.iter().map(|f| f.uri.clone()).collect();
            for params in diagnostics::with_unreadable(diagnostics::publish(&snapshot), &errors) {
                send(&out, PublishDiagnostics::METHOD, params);
            }
            for gone in published.remove(&key).unwrap_or_default().difference(&now) {
                send(
                    &out,
                    PublishDiagnostics::METHOD,
                    diagnostics::clear(gone.clone()),
                );
            }
            published.insert(key.clone(), now);
            retire(shared.store(key, snapshot));
        }
    }
}

/// Free a replaced analysis (a large policy's takes tens of milliseconds)
/// on a thread of its own, so that the next edit's analysis need not wait.
fn retire(old: Option<Arc<Snapshot>>) {
    if let Some(old) = old {
        // Should no thread start, the analysis is freed here.
        let _ = std::thread::Builder::new()
            .name("qpol-free".into())
            .spawn(move || drop(old));
    }
}

/// `QPOL_LSP_ANALYSIS_DELAY_MS`: a pause before each analysis, cut short
/// by its cancel. It exists for the tests of cancellation, which need an
/// analysis still running when the next edit comes.
fn test_delay() -> Duration {
    std::env::var("QPOL_LSP_ANALYSIS_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::ZERO, Duration::from_millis)
}

fn pause(delay: Duration, cancel: &Cancel) {
    let end = Instant::now() + delay;
    while !cancel.is_cancelled() && Instant::now() < end {
        std::thread::sleep(
            Duration::from_millis(5).min(end.saturating_duration_since(Instant::now())),
        );
    }
}

/// Send a notification; a closed connection is the main loop's to notice.
fn send(out: &Sender<Message>, method: &str, params: impl serde::Serialize) {
    let _ = out.send(Message::Notification(Notification::new(
        method.to_string(),
        params,
    )));
}
