//! The emulator's server: the accept loop (a thread per connection,
//! keep-alive), and the handling of one request in order: admin routes,
//! the token endpoint, the bearer token, injected faults, then the IBM
//! route (see [`super::route`]), its statistics and its transcript line.

use super::admin::{self, Stats};
use super::faults::{self, Fault, FaultSpec, Rng};
use super::http::{self, ReadError, Request, Response};
use super::state::State;
use super::token::{Refusal, Tokens};
use super::transcript::Transcript;
use serde_json::json;
use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// What every connection thread shares.
#[derive(Debug)]
pub struct Shared {
    pub state: Mutex<State>,
    pub tokens: Mutex<Tokens>,
    pub stats: Stats,
    pub faults: Mutex<FaultSpec>,
    pub rng: Mutex<Rng>,
    pub transcript: Option<Transcript>,
    pub stop: AtomicBool,
    /// Connections open now, and the most allowed.
    pub connections: AtomicUsize,
    pub max_connections: usize,
}

impl Shared {
    pub fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How long a connection may stay quiet before it is closed.
const IDLE: Duration = Duration::from_secs(120);

/// Accept connections until `shared.stop` is set.
pub fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = stream else { continue };
        if shared.connections.fetch_add(1, Ordering::SeqCst) >= shared.max_connections {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
            let body = json!({"trace": "emulator", "errors": [{"code": "too_many_connections",
                "message": "too many open connections: close idle ones and retry"}], "status_code": 503});
            let _ = http::write_response(&mut stream, &Response::json(503, body), true);
            continue;
        }
        let mine = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("emulator-conn".into())
            .spawn(move || {
                connection(stream, &mine);
                mine.connections.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            // No thread: the connection is already closed.
            shared.connections.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// What to do with one request.
enum Outcome {
    Answer(Response),
    /// Close the connection without answering.
    Drop,
}

fn connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let req = match http::read_request(&mut reader) {
            Ok(req) => req,
            Err(ReadError::Closed) => return,
            Err(ReadError::Malformed(status, message)) => {
                let body = json!({"trace": "emulator", "errors": [{"code": "bad_request", "message": message}], "status_code": status});
                let _ = http::write_response(&mut writer, &Response::json(status, body), true);
                return;
            }
        };
        let segments = req.segments();
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let admin = segs.first() == Some(&"_emulator");
        if !admin {
            shared.stats.begin(&req.method);
        }
        let outcome = if admin {
            Outcome::Answer(admin::handle(shared, &req, &segs))
        } else {
            exchange(shared, &req, &segs)
        };
        // No longer in flight once its answer is made: a client that reads
        // it and sends the next request at once is not counted twice.
        if !admin {
            shared.stats.end();
        }
        let close = req.wants_close();
        let written = match &outcome {
            Outcome::Answer(response) => http::write_response(&mut writer, response, close).is_ok(),
            Outcome::Drop => false,
        };
        if !written || close || shared.stop.load(Ordering::SeqCst) {
            let _ = writer.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

fn unauthorized(shared: &Shared, refusal: Refusal) -> Response {
    let (code, message) = match refusal {
        Refusal::Missing => (
            "BXNIM0308E",
            "no `Authorization: Bearer TOKEN` header: get a token from POST /identity/token",
        ),
        Refusal::Unknown => (
            "BXNIM0303E",
            "the bearer token is not valid: get a new one from POST /identity/token",
        ),
        Refusal::Expired => (
            "BXNIM0408E",
            "the bearer token has expired: get a new one from POST /identity/token",
        ),
    };
    super::reply::error(&mut shared.lock_state(), 401, code, message)
}

/// One IBM request: token endpoint, authorisation, faults, route.
fn exchange(shared: &Shared, req: &Request, segs: &[&str]) -> Outcome {
    if segs == ["identity", "token"] {
        if req.method != "POST" {
            let mut state = shared.lock_state();
            return Outcome::Answer(super::reply::not_allowed(&mut state, req));
        }
        let account = shared.lock_state().account_id.clone();
        let mut tokens = shared.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        return Outcome::Answer(tokens.exchange(req, &account));
    }
    let checked = shared
        .tokens
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .check(req);
    if let Err(refusal) = checked {
        return Outcome::Answer(unauthorized(shared, refusal));
    }
    let spec = shared
        .faults
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let fault = {
        let mut rng = shared.rng.lock().unwrap_or_else(PoisonError::into_inner);
        faults::draw(&spec, &mut rng, req.header("if-match").is_some())
    };
    if !spec.latency.is_zero() {
        std::thread::sleep(spec.latency);
    }
    if fault != Fault::None {
        shared.stats.fault(fault.name());
    }
    let answer = |status: u16, code: &str, message: &str| {
        let mut state = shared.lock_state();
        Outcome::Answer(super::reply::error(&mut state, status, code, message))
    };
    match fault {
        Fault::TooMany => {
            return match answer(
                429,
                "too_many_requests",
                "Too many requests: retry after the time in Retry-After",
            ) {
                Outcome::Answer(r) => Outcome::Answer(r.with_header("Retry-After", "1")),
                Outcome::Drop => Outcome::Drop,
            }
        }
        Fault::ServerError => {
            return answer(
                500,
                "internal_error",
                "Internal server error (injected by the emulator)",
            )
        }
        Fault::Stale => {
            return Outcome::Answer(super::reply::precondition_failed(&mut shared.lock_state()))
        }
        Fault::Drop(false) => return Outcome::Drop,
        Fault::Drop(true) | Fault::None => {}
    }
    let response = routed(shared, req, segs);
    if fault == Fault::Drop(true) {
        Outcome::Drop
    } else {
        Outcome::Answer(response)
    }
}

/// The IBM route's answer; counts writes and records the exchange.
fn routed(shared: &Shared, req: &Request, segs: &[&str]) -> Response {
    let (response, known) = {
        let mut state = shared.lock_state();
        match super::route(&mut state, req, segs) {
            Some(response) => (response, true),
            None => (
                super::reply::error(
                    &mut state,
                    404,
                    "not_found",
                    format!("no API at {}", req.path),
                ),
                false,
            ),
        }
    };
    let write = !matches!(req.method.as_str(), "GET" | "HEAD");
    if write && (200..300).contains(&response.status) {
        shared.stats.writes.fetch_add(1, Ordering::SeqCst);
    }
    if let (Some(transcript), true) = (&shared.transcript, known && response.status != 405) {
        transcript.record(req, &super::canonical_url(req, segs), &response);
    }
    response
}
