//! A small HTTP/1.1 server for the live client's tests: a std TcpListener
//! on 127.0.0.1, one thread per connection (keep-alive, Content-Length
//! bodies), each request answered by the test's handler with canned JSON,
//! a status and headers, a delay, or a dropped connection. It logs every
//! request and counts how many were in flight at once.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request the stub received.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Names lowercase.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// A query parameter, decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(&format!("http://x{}", self.target)).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// What the stub does with a request.
pub enum Reply {
    /// Status, extra headers, JSON body.
    Json(u16, Vec<(String, String)>, Value),
    /// Close the connection without answering.
    Drop,
    /// Wait, then reply.
    After(Duration, Box<Reply>),
}

pub fn ok(body: Value) -> Reply {
    Reply::Json(200, Vec::new(), body)
}

pub fn status(code: u16, body: Value) -> Reply {
    Reply::Json(code, Vec::new(), body)
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

struct Shared {
    log: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    handler: Box<Handler>,
}

/// A running stub; it serves until the test process ends.
pub struct Stub {
    pub url: String,
    shared: Arc<Shared>,
}

impl Stub {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            handler: Box::new(handler),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(stream, &s));
            }
        });
        Stub { url, shared }
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The requests with this method whose path starts with `prefix`.
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.path().starts_with(prefix))
            .count()
    }

    /// The most requests in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let Some(seen) = read_request(&mut reader) else {
            return;
        };
        shared.log.lock().unwrap().push(seen.clone());
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let mut reply = (shared.handler)(&seen);
        while let Reply::After(wait, next) = reply {
            std::thread::sleep(wait);
            reply = *next;
        }
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        match reply {
            Reply::Json(code, headers, body) => {
                let text = if body.is_null() {
                    String::new()
                } else {
                    body.to_string()
                };
                let mut head = format!(
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                    text.len()
                );
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                if writer.write_all(head.as_bytes()).is_err()
                    || writer.write_all(text.as_bytes()).is_err()
                {
                    return;
                }
            }
            Reply::Drop | Reply::After(..) => {
                let _ = writer.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
