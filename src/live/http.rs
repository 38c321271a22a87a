//! One HTTP client for every IBM Cloud call ([`Client`]): canonical URLs
//! mapped onto the configured endpoints, the IAM token attached (and
//! fetched again once after a 401), JSON in and out.
//!
//! Faults: a 429 waits for `Retry-After` (seconds or an HTTP date, capped),
//! a 5xx or a failed connection waits an exponential backoff with full
//! jitter ([`backoff`]); at most [`Config::attempts`] sends. A write (POST,
//! PUT, PATCH, DELETE) whose connection was lost after it was sent is not
//! sent again: it fails with [`Error::Ambiguous`] and the caller decides
//! (look the object up first). IBM's error bodies become [`ApiError`]s.
//!
//! With [`Config::record`], every request sent (never the token exchange)
//! is kept, canonical URL and body, for the conformance check
//! ([`Client::recorded_plan`]).

use super::auth::{Auth, Secret};
use super::endpoints::Endpoints;
use super::error::{parse_error_body, ApiError, Error, Result};
pub use super::retry::{backoff, retry_after};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Timeouts, retries and recording.
#[derive(Debug, Clone)]
pub struct Config {
    /// How many times a request is sent at most (at least 1).
    pub attempts: u32,
    /// The first backoff's upper bound; doubled each attempt.
    pub backoff_base: Duration,
    /// No backoff longer than this.
    pub backoff_cap: Duration,
    /// No `Retry-After` wait longer than this.
    pub retry_after_cap: Duration,
    pub connect_timeout: Duration,
    /// The whole request, answer included.
    pub timeout: Duration,
    /// Keep what was sent (see [`Client::recorded`]).
    pub record: bool,
    /// Requests in flight at most, over every thread that shares the
    /// client (reads, look-ups and the executor alike; at least 1).
    pub max_in_flight: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            attempts: 5,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            record: false,
            max_in_flight: 8,
        }
    }
}

/// A request: method, canonical IBM Cloud URL, headers, JSON body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: Option<Value>,
}

impl Request {
    pub fn new(method: &str, url: impl Into<String>) -> Request {
        Request {
            method: method.to_ascii_uppercase(),
            url: url.into(),
            ..Request::default()
        }
    }

    pub fn get(url: impl Into<String>) -> Request {
        Request::new("GET", url)
    }

    /// Changes the account: not sent again after a lost connection.
    pub fn is_write(&self) -> bool {
        is_write(&self.method)
    }
}

fn is_write(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// An answer: status, headers (names lowercase), JSON body (`null` when
/// empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// A request as sent (after placeholders), for the conformance check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sent {
    pub method: String,
    /// Canonical.
    pub url: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// The secrets of a client, replaced by `***` in any text it reports.
#[derive(Default)]
pub(crate) struct Scrubber(Mutex<Vec<String>>);

impl Scrubber {
    pub(crate) fn add(&self, secret: &Secret) {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !secret.expose().is_empty() && !all.iter().any(|s| s == secret.expose()) {
            all.push(secret.expose().to_string());
        }
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().fold(text.to_string(), |text, secret| {
            text.replace(secret.as_str(), "***")
        })
    }
}

/// The body of a request on the wire.
enum Payload<'a> {
    None,
    Json(&'a Value),
    Form(&'a [(&'a str, &'a str)]),
}

/// Sends requests with retries; knows no token (see [`Client`]).
pub(crate) struct Transport {
    http: reqwest::blocking::Client,
    endpoints: Endpoints,
    config: Config,
    scrubber: Scrubber,
}

impl Transport {
    pub(crate) fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// The URL a canonical one is sent to (itself when it maps nowhere).
    pub(crate) fn actual(&self, canonical_url: &str) -> String {
        self.endpoints
            .map(canonical_url)
            .unwrap_or_else(|_| canonical_url.to_string())
    }

    /// The IAM token exchange: a form POST, safe to send again (it
    /// creates nothing).
    pub(crate) fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<Response> {
        let request = Request::new("POST", url);
        self.exchange(&request, Payload::Form(form), None, true)
    }

    /// Send `request` until it succeeds, fails for good, or the attempts
    /// are spent. `resendable`: a lost connection may be retried.
    fn exchange(
        &self,
        request: &Request,
        payload: Payload<'_>,
        bearer: Option<&Secret>,
        resendable: bool,
    ) -> Result<Response> {
        let actual = self.endpoints.map(&request.url)?;
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| Error::Plan {
                request: request.url.clone(),
                reason: format!("`{}` is not an HTTP method", request.method),
            })?;
        let attempts = self.config.attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut builder = self
                .http
                .request(method.clone(), &actual)
                .header("Accept", "application/json");
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            if let Some(token) = bearer {
                builder = builder.bearer_auth(token.expose());
            }
            builder = match payload {
                Payload::None => builder,
                Payload::Json(body) => builder.json(body),
                Payload::Form(form) => builder.form(form),
            };
            let failure = match builder.send().and_then(read) {
                Ok((status, headers, text)) => {
                    match self.answer(request, status, headers, &text, attempt) {
                        Answer::Done(result) => return result,
                        Answer::Retry(wait) if attempt < attempts => {
                            std::thread::sleep(wait);
                            continue;
                        }
                        Answer::Retry(_) => {
                            return Err(Error::Api(Box::new(
                                self.api_error(request, status, &text, attempt),
                            )))
                        }
                    }
                }
                Err(e) => e,
            };
            let reason = self.scrubber.scrub(&describe(&failure));
            if !failure.is_connect() && request.is_write() && !resendable {
                return Err(Error::Ambiguous {
                    method: request.method.clone(),
                    url: request.url.clone(),
                    reason,
                });
            }
            if attempt >= attempts {
                return Err(Error::Transport {
                    method: request.method.clone(),
                    url: request.url.clone(),
                    sent_to: actual.clone(),
                    reason,
                    attempts: attempt,
                });
            }
            std::thread::sleep(self.backoff(attempt));
        }
    }

    /// What an answer means: a result, or wait and send again.
    fn answer(
        &self,
        request: &Request,
        status: u16,
        headers: BTreeMap<String, String>,
        text: &str,
        attempt: u32,
    ) -> Answer {
        if (200..300).contains(&status) {
            let body = if text.trim().is_empty() {
                Ok(Value::Null)
            } else {
                serde_json::from_str(text).map_err(|e| {
                    Error::malformed(
                        &format!("{} {}", request.method, request.url),
                        "body",
                        format!("not JSON ({e})"),
                    )
                })
            };
            return Answer::Done(body.map(|body| Response {
                status,
                headers,
                body,
            }));
        }
        // A gateway gave up: a create may have been done behind it.
        if request.method == "POST" && matches!(status, 502 | 504) {
            return Answer::Done(Err(Error::Ambiguous {
                method: request.method.clone(),
                url: request.url.clone(),
                reason: format!("answered {status}"),
            }));
        }
        if status == 429 {
            let wait = headers
                .get("retry-after")
                .and_then(|v| retry_after(v, SystemTime::now()))
                .map(|d| d.min(self.config.retry_after_cap))
                .unwrap_or_else(|| self.backoff(attempt));
            return Answer::Retry(wait);
        }
        if status >= 500 {
            return Answer::Retry(self.backoff(attempt));
        }
        Answer::Done(Err(Error::Api(Box::new(
            self.api_error(request, status, text, attempt),
        ))))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        backoff(
            attempt,
            self.config.backoff_base,
            self.config.backoff_cap,
            fastrand::f64(),
        )
    }

    fn api_error(&self, request: &Request, status: u16, text: &str, attempts: u32) -> ApiError {
        let parsed = parse_error_body(text);
        ApiError {
            method: request.method.clone(),
            url: request.url.clone(),
            status,
            code: parsed.code.map(|c| self.scrubber.scrub(&c)),
            message: self.scrubber.scrub(&parsed.message),
            trace: parsed.trace.map(|t| self.scrubber.scrub(&t)),
            attempts,
        }
    }
}

enum Answer {
    Done(Result<Response>),
    Retry(Duration),
}

/// Status, headers (lowercase names) and text of an answer.
fn read(
    response: reqwest::blocking::Response,
) -> reqwest::Result<(u16, BTreeMap<String, String>, String)> {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_ascii_lowercase(),
                value.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    let text = response.text()?;
    Ok((status, headers, text))
}

/// A transport failure in words, without the URL (the error names it).
fn describe(e: &reqwest::Error) -> String {
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    let mut deepest = e.to_string();
    while let Some(c) = cause {
        deepest = c.to_string();
        cause = c.source();
    }
    if e.is_timeout() {
        format!("timed out ({deepest})")
    } else if e.is_connect() {
        format!("cannot connect ({deepest})")
    } else {
        deepest
    }
}

/// The client of every live command.
pub struct Client {
    transport: Transport,
    auth: Option<Auth>,
    recorded: Option<Mutex<Vec<Sent>>>,
    slots: Slots,
}

/// A counting semaphore: how many requests may be in flight at once.
#[derive(Debug)]
struct Slots {
    free: Mutex<usize>,
    freed: std::sync::Condvar,
}

impl Slots {
    fn new(n: usize) -> Slots {
        Slots {
            free: Mutex::new(n.max(1)),
            freed: std::sync::Condvar::new(),
        }
    }

    /// Wait for a free slot; it is given back when the guard is dropped.
    fn take(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SlotGuard(self)
    }
}

struct SlotGuard<'s>(&'s Slots);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}

impl Client {
    /// A client of `endpoints`; with a key, every request carries a token.
    pub fn new(endpoints: Endpoints, key: Option<Secret>, config: Config) -> Result<Client> {
        let loopback = [
            &endpoints.iam,
            &endpoints.resource_controller,
            &endpoints.global_catalog,
            &endpoints.user_management,
        ]
        .iter()
        .all(|u| {
            url::Url::parse(u)
                .is_ok_and(|u| matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
        });
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("qpol/", env!("CARGO_PKG_VERSION")));
        if loopback {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| Error::Transport {
            method: "-".into(),
            url: "-".into(),
            sent_to: String::new(),
            reason: format!("cannot set up the HTTP client ({e})"),
            attempts: 0,
        })?;
        let scrubber = Scrubber::default();
        let auth = key.map(|key| {
            scrubber.add(&key);
            Auth::new(key)
        });
        let recorded = config.record.then(|| Mutex::new(Vec::new()));
        let slots = Slots::new(config.max_in_flight);
        Ok(Client {
            slots,
            transport: Transport {
                http,
                endpoints,
                config,
                scrubber,
            },
            auth,
            recorded,
        })
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.transport.endpoints
    }

    /// Requests it lets be in flight at once ([`Config::max_in_flight`]):
    /// how many threads a reader may keep busy.
    pub fn max_in_flight(&self) -> usize {
        self.transport.config.max_in_flight.max(1)
    }

    /// Exchange the key for a token now, once, before requests go out in
    /// parallel: a refused key is one error, not one per reader thread.
    pub fn authenticate(&self) -> Result<()> {
        match &self.auth {
            Some(auth) => auth.bearer(&self.transport).map(drop),
            None => Ok(()),
        }
    }

    /// Send `request`: `Ok` for a 2xx answer, else the error (see the
    /// module doc for retries).
    pub fn send(&self, request: &Request) -> Result<Response> {
        if let Some(recorded) = &self.recorded {
            let mut all = recorded.lock().unwrap_or_else(|e| e.into_inner());
            all.push(Sent {
                method: request.method.clone(),
                url: request.url.clone(),
                headers: request.headers.clone(),
                body: request.body.clone(),
            });
        }
        let _slot = self.slots.take();
        let payload = match &request.body {
            Some(body) => Payload::Json(body),
            None => Payload::None,
        };
        let Some(auth) = &self.auth else {
            return self.transport.exchange(request, payload, None, false);
        };
        let token = auth.bearer(&self.transport)?;
        match self
            .transport
            .exchange(request, payload, Some(&token), false)
        {
            Err(Error::Api(e)) if e.status == 401 => {
                auth.invalidate(&token);
                let token = auth.bearer(&self.transport)?;
                let payload = match &request.body {
                    Some(body) => Payload::Json(body),
                    None => Payload::None,
                };
                self.transport
                    .exchange(request, payload, Some(&token), false)
            }
            other => other,
        }
    }

    /// `GET url`.
    pub fn get(&self, url: &str) -> Result<Response> {
        self.send(&Request::get(url))
    }

    /// Text with the key and every token replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        self.transport.scrubber.scrub(text)
    }

    /// What was sent, in order (with [`Config::record`]).
    pub fn recorded(&self) -> Vec<Sent> {
        self.recorded
            .as_ref()
            .map(|r| r.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }

    /// Every request sent (reads too, never the token exchange), as an
    /// `ibm-api` request plan (`qpol-ibm-api-plan/1`) with its values
    /// filled in, which `sdk_conformance.py` checks.
    pub fn recorded_plan(&self) -> Value {
        let requests: Vec<Value> = self
            .recorded()
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let mut r = serde_json::Map::new();
                r.insert("id".into(), json!(format!("sent.{i}")));
                r.insert("method".into(), json!(s.method));
                r.insert("url".into(), json!(s.url));
                if !s.headers.is_empty() {
                    r.insert("headers".into(), json!(s.headers));
                }
                if let Some(body) = s.body {
                    r.insert("body".into(), body);
                }
                r.insert("depends_on".into(), json!([]));
                Value::Object(r)
            })
            .collect();
        json!({"format": crate::backends::ibm_api::FORMAT, "requests": requests})
    }
}
