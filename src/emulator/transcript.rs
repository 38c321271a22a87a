//! `--transcript FILE`: one JSON line per IBM exchange, for IBM's SDK to
//! check (`sdk_response_check.py`): `method`, the canonical IBM `url`,
//! `status`, response `body`, `request_headers` (never `Authorization`) and
//! `request_body`. Token and admin exchanges are not recorded. Each line is
//! flushed as it is written. A line that cannot be written (a full disk)
//! is counted as lost and said loudly on stderr the first time; the
//! [`Status`] keeps the count for the emulator's last words.

use super::http::{Request, Response};
use serde_json::{json, Map, Value};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct Transcript {
    file: Mutex<std::fs::File>,
    path: std::path::PathBuf,
    status: Arc<Status>,
}

/// Lines written and lost, and the first write error.
#[derive(Debug, Default)]
pub struct Status {
    lines: AtomicU64,
    lost: AtomicU64,
    failure: Mutex<Option<String>>,
}

impl Status {
    pub fn lines(&self) -> u64 {
        self.lines.load(Ordering::SeqCst)
    }

    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::SeqCst)
    }

    /// The first write error, if any line was lost.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl Transcript {
    pub fn create(path: &std::path::Path) -> std::io::Result<Transcript> {
        Ok(Transcript {
            file: Mutex::new(std::fs::File::create(path)?),
            path: path.to_path_buf(),
            status: Arc::default(),
        })
    }

    /// Its counts, shared.
    pub fn status(&self) -> Arc<Status> {
        Arc::clone(&self.status)
    }

    /// Record one exchange whose canonical URL is `url`.
    pub fn record(&self, req: &Request, url: &str, response: &Response) {
        let headers: Map<String, Value> = req
            .headers
            .iter()
            .filter(|(name, _)| name != "authorization" && name != "cookie")
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect();
        let request_body = match req.json() {
            Ok(v) => v,
            Err(_) => json!(String::from_utf8_lossy(&req.body)),
        };
        let line = json!({
            "method": req.method, "url": url, "status": response.status,
            "body": response.body.clone().unwrap_or(Value::Null),
            "request_headers": headers, "request_body": request_body,
        });
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A full disk must not stop the emulator, nor go unnoticed: the
        // line is lost and the first loss is said loudly.
        match writeln!(file, "{line}").and_then(|()| file.flush()) {
            Ok(()) => {
                self.status.lines.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                self.status.lost.fetch_add(1, Ordering::SeqCst);
                let mut failure = self
                    .status
                    .failure
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if failure.is_none() {
                    *failure = Some(e.to_string());
                    eprintln!(
                        "error: cannot write the transcript `{}`: {e}; the exchanges from now on are lost, so a conformance check of this file would miss them",
                        crate::diag::escape::path(&self.path)
                    );
                }
            }
        }
    }
}
