//! `--transcript FILE`: one JSON line per IBM exchange, for IBM's SDK to
//! check (`sdk_response_check.py`): `method`, the canonical IBM `url`,
//! `status`, response `body`, `request_headers` (never `Authorization`) and
//! `request_body`. Token and admin exchanges are not recorded. Each line is
//! flushed as it is written.

use super::http::{Request, Response};
use serde_json::{json, Map, Value};
use std::io::Write;
use std::sync::Mutex;

#[derive(Debug)]
pub struct Transcript {
    file: Mutex<std::fs::File>,
}

impl Transcript {
    pub fn create(path: &std::path::Path) -> std::io::Result<Transcript> {
        Ok(Transcript {
            file: Mutex::new(std::fs::File::create(path)?),
        })
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
        // A full disk must not stop the emulator: the line is lost.
        let _ = writeln!(file, "{line}").and_then(|()| file.flush());
    }
}
