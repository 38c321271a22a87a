//! The emulator's own routes under `/_emulator/` (not IBM's; no token, no
//! faults, not counted, not recorded): `GET stats`, `POST stats/reset`,
//! `GET state` (everything, sorted) and `POST faults` (body: a `--faults`
//! spec), and the counters behind `stats`.

use super::faults::FaultSpec;
use super::http::{Request, Response};
use super::server::Shared;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What `/_emulator/stats` reports.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicUsize,
    pub writes: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub by_method: Mutex<BTreeMap<String, usize>>,
    pub faults: Mutex<BTreeMap<String, usize>>,
}

impl Stats {
    /// A request starts: counted, and in flight until [`Stats::end`].
    pub fn begin(&self, method: &str) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let mut by = self
            .by_method
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *by.entry(method.to_string()).or_default() += 1;
    }

    pub fn end(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn fault(&self, name: &str) {
        let mut faults = self
            .faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *faults.entry(name.to_string()).or_default() += 1;
    }

    fn report(&self) -> serde_json::Value {
        let by = self
            .by_method
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let faults = self
            .faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        json!({
            "requests": self.requests.load(Ordering::SeqCst),
            "writes": self.writes.load(Ordering::SeqCst),
            "max_in_flight": self.max_in_flight.load(Ordering::SeqCst),
            "by_method": by,
            "faults_injected": faults,
        })
    }

    fn reset(&self) {
        self.requests.store(0, Ordering::SeqCst);
        self.writes.store(0, Ordering::SeqCst);
        // Requests in flight now stay counted until they end.
        self.max_in_flight
            .store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
        self.by_method
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

fn admin_error(status: u16, message: String) -> Response {
    Response::json(
        status,
        json!({"trace": "emulator", "errors": [{"code": "emulator_admin", "message": message}], "status_code": status}),
    )
}

/// Answer a `/_emulator/...` request.
pub fn handle(shared: &Shared, req: &Request, segs: &[&str]) -> Response {
    match (req.method.as_str(), segs) {
        ("GET", ["_emulator", "stats"]) => Response::json(200, shared.stats.report()),
        ("POST", ["_emulator", "stats", "reset"]) => {
            shared.stats.reset();
            Response::json(200, shared.stats.report())
        }
        ("GET", ["_emulator", "state"]) => Response::json(200, shared.lock_state().dump()),
        ("POST", ["_emulator", "faults"]) => {
            match FaultSpec::parse(&String::from_utf8_lossy(&req.body)) {
                Ok(spec) => {
                    *shared.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = spec;
                    Response::empty(204)
                }
                Err(e) => admin_error(400, e),
            }
        }
        (_, ["_emulator", "stats"] | ["_emulator", "stats", "reset"] | ["_emulator", "state"] | ["_emulator", "faults"]) => {
            admin_error(405, format!("{} is not allowed on {}", req.method, req.path))
        }
        _ => admin_error(
            404,
            "the admin routes are GET /_emulator/stats, POST /_emulator/stats/reset, GET /_emulator/state, POST /_emulator/faults".into(),
        ),
    }
}
