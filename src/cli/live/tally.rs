//! What `apply` has done so far, for the message of an interrupted run
//! (Ctrl-C, SIGTERM): [`Tally`] forwards every progress event to the
//! display and counts it, and [`Tally::install`] has the signal handler of
//! `cli::files` report it ("N of M requests done, K in flight ...", then
//! how to finish: `qpol apply` again, or a fresh plan for a saved one)
//! instead of "nothing was written". Ids and URLs are escaped
//! (`diag::escape::inline`): a live name cannot forge a line.

use crate::live::progress::{Event, Progress};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    done: usize,
    failed: usize,
    /// `METHOD URL (ID)` of the requests sent and not answered yet.
    in_flight: BTreeSet<String>,
}

/// `METHOD URL (ID)`, each part on one line whatever it holds.
fn in_flight(id: &str, method: &str, url: &str) -> String {
    let e = crate::diag::escape::inline;
    format!("{} {} ({})", e(method), e(url), e(id))
}

/// Counts the events of an execution and shows them through `inner`.
pub struct Tally<'a> {
    inner: &'a dyn Progress,
    counts: Arc<Mutex<Counts>>,
    /// How to finish the job, after `hint: `.
    hint: String,
}

impl<'a> Tally<'a> {
    pub fn new(inner: &'a dyn Progress, hint: String) -> Tally<'a> {
        Tally {
            inner,
            counts: Arc::default(),
            hint,
        }
    }

    /// From now on an interruption reports this tally.
    pub fn install(&self) {
        let counts = Arc::clone(&self.counts);
        let hint = self.hint.clone();
        crate::cli::files::on_interrupt(Box::new(move || {
            message(
                &counts.lock().unwrap_or_else(PoisonError::into_inner),
                &hint,
            )
        }));
    }
}

fn message(c: &Counts, hint: &str) -> String {
    let mut text = format!("interrupted: {} of {} requests were done", c.done, c.total);
    if c.failed > 0 {
        text.push_str(&format!(", {} failed", c.failed));
    }
    if c.in_flight.is_empty() {
        text.push_str("; no request was in flight");
    } else {
        text.push_str(&format!(
            "; {} in flight may or may not have been done:",
            c.in_flight.len()
        ));
        for r in &c.in_flight {
            text.push_str(&format!("\n  {r}"));
        }
    }
    text.push_str("\nhint: ");
    text.push_str(hint);
    text
}

impl Progress for Tally<'_> {
    fn start(&self, total: usize) {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .total = total;
        self.inner.start(total);
    }

    fn event(&self, event: &Event<'_>) {
        {
            let mut c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            match event {
                Event::Started { id, method, url } => {
                    c.in_flight.insert(in_flight(id, method, url));
                }
                Event::Done {
                    id, method, url, ..
                } => {
                    c.in_flight.remove(&in_flight(id, method, url));
                    c.done += 1;
                }
                Event::Failed {
                    id, method, url, ..
                } => {
                    c.in_flight.remove(&in_flight(id, method, url));
                    c.failed += 1;
                }
                Event::NotRun { .. } => {}
            }
        }
        self.inner.event(event);
    }

    fn finish(&self) {
        self.inner.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_says_what_was_done_and_how_to_finish() {
        let mut c = Counts {
            total: 15,
            done: 4,
            ..Counts::default()
        };
        c.in_flight
            .insert("POST https://iam.cloud.ibm.com/v2/roles (role.writer)".into());
        assert_eq!(
            message(&c, "run `qpol apply` again: it reads the account again and sends only what is missing, nothing twice"),
            "interrupted: 4 of 15 requests were done; 1 in flight may or may not have been done:\n  POST https://iam.cloud.ibm.com/v2/roles (role.writer)\nhint: run `qpol apply` again: it reads the account again and sends only what is missing, nothing twice"
        );
    }
}
