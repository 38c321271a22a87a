//! The emulator's HTTP/1.1 wire format: reading one request from a
//! keep-alive connection (request line, headers, a `Content-Length` body,
//! all under size caps so that a hostile client cannot exhaust memory) and
//! writing one response. Nothing here knows about IBM Cloud.

use serde_json::Value;
use std::io::{BufRead, Read, Write};

/// Largest request line plus headers accepted, in bytes.
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// Most header lines accepted in one request.
const MAX_HEADERS: usize = 100;

/// One parsed request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The path as sent (percent-encoded), without the query.
    pub path: String,
    /// The raw query string, without `?` (empty when there is none).
    pub query: String,
    /// Header names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The decoded path segments, empty ones dropped (`/v1/serviceids/`
    /// and `/v1/serviceids` are the same route).
    pub fn segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode)
            .collect()
    }

    /// The decoded query parameters, in order.
    pub fn params(&self) -> Vec<(String, String)> {
        parse_form(&self.query)
    }

    /// The decoded value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The body as JSON (`Null` when empty); `Err` carries the parser's message.
    pub fn json(&self) -> Result<Value, String> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| e.to_string())
    }

    /// Whether the client asked to close the connection after this exchange.
    pub fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Percent-decode one URL component (`+` is a space in forms and queries).
pub fn decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// `a=1&b=2` decoded into pairs.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (decode(name), decode(value)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

/// Why no request could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The client closed the connection (or went quiet) between requests.
    Closed,
    /// The bytes are not an HTTP/1.1 request we accept: answer 400 (or the
    /// given status) and close.
    Malformed(u16, String),
}

/// Read one line of at most `budget` bytes (CRLF or LF ended), without its end.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX).saturating_add(1);
    let n = reader
        .by_ref()
        .take(limit)
        .read_until(b'\n', &mut line)
        .map_err(|_| ReadError::Closed)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget || !line.ends_with(b"\n") {
        return Err(ReadError::Malformed(
            431,
            "request head too large or cut short".into(),
        ));
    }
    *budget -= n;
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| ReadError::Malformed(400, "request head is not UTF-8".into()))
}

/// Read the next request of a connection.
pub fn read_request(reader: &mut impl BufRead) -> Result<Request, ReadError> {
    let mut budget = MAX_HEAD;
    let first = loop {
        // Tolerate blank lines between requests (RFC 9112 2.2).
        match read_line(reader, &mut budget)? {
            None => return Err(ReadError::Closed),
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let mut parts = first.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) => (m, t, v),
        _ => return Err(ReadError::Malformed(400, "malformed request line".into())),
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0")
        || method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || !target.starts_with('/')
    {
        return Err(ReadError::Malformed(400, "malformed request line".into()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut request = Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        ..Request::default()
    };
    loop {
        let line = read_line(reader, &mut budget)?
            .ok_or_else(|| ReadError::Malformed(400, "request head cut short".into()))?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .filter(|(n, _)| !n.is_empty() && !n.contains(' '))
            .ok_or_else(|| ReadError::Malformed(400, "malformed header line".into()))?;
        if request.headers.len() >= MAX_HEADERS {
            return Err(ReadError::Malformed(431, "too many header lines".into()));
        }
        request
            .headers
            .push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    if version == "HTTP/1.0" && request.header("connection").is_none() {
        request.headers.push(("connection".into(), "close".into()));
    }
    if request.header("transfer-encoding").is_some() {
        return Err(ReadError::Malformed(
            501,
            "chunked bodies are not supported; send Content-Length".into(),
        ));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| ReadError::Malformed(400, "bad Content-Length".into()))?,
    };
    if length > MAX_BODY {
        return Err(ReadError::Malformed(413, "request body too large".into()));
    }
    let mut body = vec![0; length];
    reader
        .read_exact(&mut body)
        .map_err(|_| ReadError::Malformed(400, "request body cut short".into()))?;
    request.body = body;
    Ok(request)
}

/// One response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Response {
    pub fn json(status: u16, body: Value) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        207 => "Multi-Status",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Write `response`; `close` adds `Connection: close`.
pub fn write_response(
    out: &mut impl Write,
    response: &Response,
    close: bool,
) -> std::io::Result<()> {
    let body = match &response.body {
        Some(value) => serde_json::to_vec(value).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    if response.body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(&body)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Request, ReadError> {
        read_request(&mut std::io::BufReader::new(text.as_bytes()))
    }

    #[test]
    fn reads_a_request_with_a_body() {
        let r = parse(
            "POST /v2/groups?account_id=a%2Fb HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        )
        .map_err(|e| format!("{e:?}"));
        let r = r.unwrap_or_default();
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/v2/groups");
        assert_eq!(r.param("account_id").as_deref(), Some("a/b"));
        assert_eq!(r.body, b"{}");
        assert_eq!(r.header("host"), Some("x"));
    }

    #[test]
    fn refuses_malformed_and_oversized_requests() {
        assert!(matches!(
            parse("GARBAGE\r\n\r\n"),
            Err(ReadError::Malformed(400, _))
        ));
        assert!(matches!(
            parse("GET / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"),
            Err(ReadError::Malformed(413, _))
        ));
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert!(matches!(parse(&huge), Err(ReadError::Malformed(431, _))));
        assert!(matches!(parse(""), Err(ReadError::Closed)));
        assert!(matches!(
            parse("GET / HTTP/1.1\r\nbad header\r\n\r\n"),
            Err(ReadError::Malformed(400, _))
        ));
    }
}
