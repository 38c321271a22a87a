//! What `apply` shows while it runs: [`Progress`] receives an [`Event`]
//! for each request; [`Bar`] draws an indicatif bar (a terminal),
//! [`Lines`] writes one plain line per finished request (CI, logs), and
//! [`Silent`] shows nothing. [`for_stderr`] picks by whether standard
//! error is a terminal. Events carry canonical URLs and ids, no secret;
//! every id, URL and message is shown escaped (`diag::escape::inline`), so
//! a live name (`delete.access_group.NAME`) or an edited plan cannot clear
//! the terminal or forge a line.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One step of an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    Started {
        id: &'a str,
        method: &'a str,
        url: &'a str,
    },
    /// Sent and answered; `found`: an earlier, interrupted send had done
    /// it already (found by look-up, not sent again).
    Done {
        id: &'a str,
        method: &'a str,
        url: &'a str,
        found: bool,
    },
    Failed {
        id: &'a str,
        method: &'a str,
        url: &'a str,
        message: &'a str,
    },
    /// Not run: `blocked_by` failed.
    NotRun {
        id: &'a str,
        blocked_by: &'a str,
        /// `blocked_by` found the endpoint unreachable; nothing new starts.
        unreachable: bool,
    },
}

/// Receives the events of one execution, from several threads.
pub trait Progress: Sync {
    /// Before anything is sent: how many requests there are.
    fn start(&self, total: usize);
    fn event(&self, event: &Event<'_>);
    /// After the last event.
    fn finish(&self);
}

/// Shows nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _total: usize) {}
    fn event(&self, _event: &Event<'_>) {}
    fn finish(&self) {}
}

/// One line per finished request: `[3/12] done POST URL (ID)`.
pub struct Lines<W: Write + Send> {
    out: Mutex<W>,
    total: AtomicUsize,
    count: AtomicUsize,
}

impl<W: Write + Send> Lines<W> {
    pub fn new(out: W) -> Lines<W> {
        Lines {
            out: Mutex::new(out),
            total: AtomicUsize::new(0),
            count: AtomicUsize::new(0),
        }
    }

    /// The writer back (tests read what was written).
    pub fn into_inner(self) -> W {
        self.out.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// The line of a finished event, without the counter; `None` for a start.
pub fn describe(event: &Event<'_>) -> Option<String> {
    use crate::diag::escape::inline as e;
    match event {
        Event::Started { .. } => None,
        Event::Done {
            id,
            method,
            url,
            found,
        } => Some(if *found {
            format!(
                "done {} {} ({}, found done already)",
                e(method),
                e(url),
                e(id)
            )
        } else {
            format!("done {} {} ({})", e(method), e(url), e(id))
        }),
        Event::Failed {
            id,
            method,
            url,
            message,
        } => Some(format!(
            "FAILED {} {} ({}): {}",
            e(method),
            e(url),
            e(id),
            e(message)
        )),
        Event::NotRun {
            id,
            blocked_by,
            unreachable: false,
        } => Some(format!(
            "not run {}: it needs {}, which failed",
            e(id),
            e(blocked_by)
        )),
        Event::NotRun {
            id,
            blocked_by,
            unreachable: true,
        } => Some(format!(
            "not run {}: not sent: the endpoint stopped answering, at {}",
            e(id),
            e(blocked_by)
        )),
    }
}

impl<W: Write + Send> Progress for Lines<W> {
    fn start(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
    }

    fn event(&self, event: &Event<'_>) {
        let Some(line) = describe(event) else {
            return;
        };
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed);
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "[{n}/{total}] {line}");
    }

    fn finish(&self) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = out.flush();
    }
}

/// An indicatif bar on standard error; failures are printed above it.
pub struct Bar(indicatif::ProgressBar);

impl Bar {
    pub fn new() -> Bar {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar(bar)
    }
}

impl Default for Bar {
    fn default() -> Bar {
        Bar::new()
    }
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        self.0.set_length(total as u64);
    }

    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Started { id, .. } => self
                .0
                .set_message(crate::diag::escape::inline(id).into_owned()),
            Event::Done { .. } => self.0.inc(1),
            Event::Failed { .. } | Event::NotRun { .. } => {
                if let Some(line) = describe(event) {
                    self.0.println(line);
                }
                self.0.inc(1);
            }
        }
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// A bar when standard error is a terminal, plain lines otherwise.
pub fn for_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bar::new())
    } else {
        Box::new(Lines::new(std::io::stderr()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_of_a_line_is_escaped() {
        let failed = Event::Failed {
            id: "zz\u{1b}]0;pwned\u{7}",
            method: "GET",
            url: "https://iam.cloud.ibm.com/v2/x\r\n[99/99] done FORGED",
            message: "no\nway",
        };
        assert_eq!(
            describe(&failed).as_deref(),
            Some("FAILED GET https://iam.cloud.ibm.com/v2/x\\u{D}\\u{A}[99/99] done FORGED (zz\\u{1B}]0;pwned\\u{7}): no\\u{A}way")
        );
        let not_run = Event::NotRun {
            id: "a\nb",
            blocked_by: "c\u{1b}",
            unreachable: false,
        };
        assert_eq!(
            describe(&not_run).as_deref(),
            Some("not run a\\u{A}b: it needs c\\u{1B}, which failed")
        );
    }
}
