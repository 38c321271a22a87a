//! A raw HTTP/1.1 client for the emulator's tests (std TcpStream, one
//! connection per request unless told otherwise), and an emulator started
//! in-process on a free port, and the request bodies the tests share.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use qpol::emulator::{self, Config, Handle};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

pub const ACCOUNT: &str = emulator::DEFAULT_ACCOUNT;

/// One answer: status, headers (lower-case names), JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Read one response from `reader`; `None` when the connection closed first.
pub fn read_answer(reader: &mut impl BufRead) -> Option<Answer> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status: u16 = line.split(' ').nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap()
    };
    Some(Answer {
        status,
        headers,
        body,
    })
}

/// The bytes of one request.
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A client of one emulator, holding its token.
pub struct Client {
    pub addr: std::net::SocketAddr,
    pub token: Option<String>,
}

impl Client {
    pub fn new(handle: &Handle) -> Client {
        Client {
            addr: handle.addr(),
            token: None,
        }
    }

    /// A client with a token from the default key.
    pub fn login(handle: &Handle) -> Client {
        let mut c = Client::new(handle);
        let a = c.token_for(emulator::DEFAULT_API_KEY);
        assert_eq!(a.status, 200, "{}", a.body);
        c.token = Some(a.body["access_token"].as_str().unwrap().to_string());
        c
    }

    pub fn token_for(&self, key: &str) -> Answer {
        let body =
            format!("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={key}");
        self.send_raw(
            "POST",
            "/identity/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
        .unwrap()
    }

    /// Send one request on a new connection; `None` when the connection was
    /// closed without an answer.
    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Option<Answer> {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(auth) = &auth {
            all.push(("Authorization", auth));
        }
        all.push(("Connection", "close"));
        stream
            .write_all(&request_bytes(method, path, &all, body))
            .unwrap();
        read_answer(&mut BufReader::new(stream))
    }

    /// Send `body` (JSON unless `Null`) with `headers`; panics on a dropped connection.
    pub fn send(&self, method: &str, path: &str, body: &Value, headers: &[(&str, &str)]) -> Answer {
        let bytes = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        self.send_raw(method, path, headers, &bytes)
            .unwrap_or_else(|| panic!("{method} {path}: connection closed without an answer"))
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send("GET", path, &Value::Null, &[])
    }

    pub fn post(&self, path: &str, body: Value) -> Answer {
        self.send("POST", path, &body, &[])
    }

    /// `GET path` and assert 200.
    pub fn ok(&self, path: &str) -> Value {
        let a = self.get(path);
        assert_eq!(a.status, 200, "GET {path}: {}", a.body);
        a.body
    }

    /// `POST path` and assert 201; the body.
    pub fn created(&self, path: &str, body: Value) -> Value {
        let a = self.post(path, body);
        assert_eq!(a.status, 201, "POST {path}: {}", a.body);
        a.body
    }
}

/// Start an emulator on a free port of 127.0.0.1.
pub fn start(config: Config) -> Handle {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    emulator::serve(listener, config).unwrap()
}

/// The default config with `page_size` and `seed` 1.
pub fn config(page_size: usize) -> Config {
    Config {
        page_size,
        seed: 1,
        ..Config::default()
    }
}

/// `/v2/groups?account_id=ACCOUNT`.
pub fn group_path() -> String {
    format!("/v2/groups?account_id={ACCOUNT}")
}

/// An access policy of `group` on `instance`.
pub fn policy_body(group: &str, instance: &str) -> Value {
    json!({"type": "access", "description": "[qpol]",
        "subjects": [{"attributes": [{"name": "access_group_id", "value": group}]}],
        "roles": [{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}],
        "resources": [{"attributes": [{"name": "accountId", "value": ACCOUNT},
                                      {"name": "serviceInstance", "value": instance}]}]})
}

/// A dynamic rule named `name`.
pub fn rule_body(name: &str) -> Value {
    json!({"name": name, "expiration": 12, "realm_name": "https://us-south.appid.cloud.ibm.com/oauth/v4/t",
           "conditions": [{"claim": "project", "operator": "CONTAINS", "value": "\"ml\""}]})
}

/// JSON as a snapshot shows it.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}
