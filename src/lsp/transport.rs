//! The stdio transport of `qpol lsp`: JSON-RPC frames in and out, and
//! nothing of the protocol beyond them. Frames in: `Content-Length`
//! headers, then a body read as its bytes arrive (never allocated from the
//! header), at most [`crate::policy::max_input_bytes`]; each body becomes
//! an `lsp_server::Message` for the main loop. A body that is not a
//! message is answered (-32700 when it is not JSON, -32600 when it is JSON
//! but no message) and the server goes on. Frames out: the main loop's and
//! the worker's messages, written to stdout. What cannot go on ends the
//! connection with its reason ([`Transport::failure`]): a frame too large
//! or malformed (the stream cannot be resynchronised), the input ending in
//! the middle of a message, a read error, or a stdout nobody reads.

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{Connection, ErrorCode, Message, RequestId, Response, ResponseError};
use std::io::{BufRead, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// The longest header line read (a real one is about 30 bytes).
const MAX_HEADER_LINE: u64 = 8 << 10;

/// Why the connection ended other than by the client closing its end
/// between two messages.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(
        "a message of {length} bytes is larger than the limit of {limit}; the input cannot be \
         read past it, so the server stops (set QPOL_MAX_INPUT_BYTES to raise the limit)"
    )]
    TooLarge { length: u64, limit: String },
    #[error(
        "a message header is not `Content-Length: N`: `{0}`; the input cannot be read past it"
    )]
    BadHeader(String),
    #[error("a message header line is longer than {MAX_HEADER_LINE} bytes; the input cannot be read past it")]
    HeaderTooLong,
    #[error("a message has no `Content-Length` header; the input cannot be read past it")]
    NoLength,
    #[error("the client closed the connection in the middle of a message header")]
    TruncatedHeader,
    #[error(
        "the client closed the connection in the middle of a message ({got} of {length} bytes received)"
    )]
    Truncated { got: u64, length: u64 },
    #[error("cannot read standard input: {0}")]
    Read(std::io::Error),
    #[error("cannot write to the client (standard output): {0}")]
    Write(std::io::Error),
}

/// The threads behind a [`Connection`] over stdio.
pub struct Transport {
    state: Arc<State>,
    writer: JoinHandle<()>,
}

/// What the reader, the writer and [`Transport`] share.
struct State {
    /// The main loop's input; taken (closing it) when the connection ends.
    incoming: Mutex<Option<Sender<Message>>>,
    failure: Mutex<Option<Failure>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    /// End the connection: the main loop reads what is queued, then sees
    /// it closed. The first failure is the one reported.
    fn fail(&self, failure: Failure) {
        lock(&self.failure).get_or_insert(failure);
        self.close();
    }

    fn close(&self) {
        lock(&self.incoming).take();
    }

    /// Hand a message to the main loop; `false` once the connection ended.
    fn deliver(&self, message: Message) -> bool {
        let sender = lock(&self.incoming).clone();
        sender.is_some_and(|s| s.send(message).is_ok())
    }
}

/// A connection over stdin and stdout.
pub fn stdio() -> std::io::Result<(Connection, Transport)> {
    let (incoming, receiver) = crossbeam_channel::unbounded();
    let (sender, outgoing) = crossbeam_channel::unbounded();
    let state = Arc::new(State {
        incoming: Mutex::new(Some(incoming)),
        failure: Mutex::new(None),
    });
    let limit = crate::policy::max_input_bytes();
    let reader_state = Arc::clone(&state);
    std::thread::Builder::new()
        .name("qpol-lsp-reader".into())
        .spawn(move || {
            read_loop(
                &mut std::io::stdin().lock(),
                &reader_state,
                limit,
                &std::io::stdout(),
            );
        })?;
    let writer_state = Arc::clone(&state);
    let writer = std::thread::Builder::new()
        .name("qpol-lsp-writer".into())
        .spawn(move || write_loop(&outgoing, &writer_state, &std::io::stdout()))?;
    Ok((Connection { sender, receiver }, Transport { state, writer }))
}

impl Transport {
    /// Why the connection ended, when it was not the client closing its
    /// end between messages (or after `exit`).
    pub fn failure(&self) -> Option<Failure> {
        lock(&self.state.failure).take()
    }

    /// Wait until every message sent is written (all senders are gone).
    pub fn finish(self) -> Option<Failure> {
        let _ = self.writer.join();
        lock(&self.state.failure).take()
    }
}

/// Something frames are written to: stdout, or a buffer in tests. Each
/// frame is written under one lock, so frames of two threads never mix.
pub trait Output: Sync {
    fn write_frame(&self, frame: &[u8]) -> std::io::Result<()>;
}

impl Output for std::io::Stdout {
    fn write_frame(&self, frame: &[u8]) -> std::io::Result<()> {
        let mut out = self.lock();
        out.write_all(frame)?;
        out.flush()
    }
}

impl Output for Mutex<Vec<u8>> {
    fn write_frame(&self, frame: &[u8]) -> std::io::Result<()> {
        lock(self).extend_from_slice(frame);
        Ok(())
    }
}

/// Write the server's messages until every sender is gone or a write fails.
fn write_loop(outgoing: &Receiver<Message>, state: &State, out: &impl Output) {
    for message in outgoing {
        let mut frame = Vec::new();
        let written = message
            .write(&mut frame)
            .and_then(|()| out.write_frame(&frame));
        if let Err(e) = written {
            state.fail(Failure::Write(e));
            return;
        }
    }
}

/// Read frames until the input ends, `exit` comes, or a frame cannot be read.
fn read_loop(input: &mut impl BufRead, state: &State, limit: u64, out: &impl Output) {
    loop {
        let body = match read_frame(input, limit) {
            Ok(Some(body)) => body,
            Ok(None) => return state.close(),
            Err(failure) => return state.fail(failure),
        };
        match serde_json::from_slice::<Message>(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if !state.deliver(message) || exit {
                    return;
                }
            }
            Err(e) => {
                let (frame, said) = refusal(&body, &e);
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "qpol lsp: {}",
                    crate::diag::escape::for_humans(&said)
                );
                if let Err(e) = out.write_frame(&frame) {
                    return state.fail(Failure::Write(e));
                }
            }
        }
    }
}

/// One frame's body; `None` when the input ends between frames.
pub fn read_frame(input: &mut impl BufRead, limit: u64) -> Result<Option<Vec<u8>>, Failure> {
    let mut length = None;
    let mut started = false;
    loop {
        let mut line = Vec::new();
        let read = input
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
            .map_err(Failure::Read)?;
        if read == 0 {
            return match started {
                false => Ok(None),
                true => Err(Failure::TruncatedHeader),
            };
        }
        if !line.ends_with(b"\n") {
            return match u64::try_from(read).unwrap_or(u64::MAX) >= MAX_HEADER_LINE {
                true => Err(Failure::HeaderTooLong),
                false => Err(Failure::TruncatedHeader),
            };
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            // Blank lines before the first header are tolerated.
            if !started {
                continue;
            }
            break;
        }
        started = true;
        let Some((name, value)) = text.split_once(':') else {
            return Err(Failure::BadHeader(shown(text)));
        };
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            let n = value.trim().parse::<u64>();
            length = Some(n.map_err(|_| Failure::BadHeader(shown(text)))?);
        }
    }
    let length = length.ok_or(Failure::NoLength)?;
    if length > limit {
        return Err(Failure::TooLarge {
            length,
            limit: crate::policy::limit_shown(limit),
        });
    }
    // Grows as bytes arrive: a header cannot make the server allocate.
    let mut body = Vec::new();
    input
        .by_ref()
        .take(length)
        .read_to_end(&mut body)
        .map_err(Failure::Read)?;
    let got = u64::try_from(body.len()).unwrap_or(u64::MAX);
    if got < length {
        return Err(Failure::Truncated { got, length });
    }
    Ok(Some(body))
}

/// A header line for a message: at most 80 characters.
fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// The error response to a body that is not a message, and what to log.
/// It carries the request's id when one can be read (the client waits for
/// it), else `null` as JSON-RPC asks.
fn refusal(body: &[u8], e: &serde_json::Error) -> (Vec<u8>, String) {
    #[derive(serde::Deserialize)]
    struct Probe {
        id: Option<RequestId>,
        method: Option<serde::de::IgnoredAny>,
    }
    let (code, what) = match e.classify() {
        serde_json::error::Category::Data => (
            ErrorCode::InvalidRequest,
            "ignored a message that is JSON but not a JSON-RPC request, notification or response",
        ),
        _ => (
            ErrorCode::ParseError,
            "ignored a message that is not valid JSON",
        ),
    };
    let said = format!("{what}: {e}");
    // (A struct would also be read from an array: `[1, 2]` has no id.)
    let object = body.trim_ascii_start().starts_with(b"{");
    let id = serde_json::from_slice::<Probe>(body)
        .ok()
        .filter(|_| object)
        .filter(|p| p.method.is_some())
        .and_then(|p| p.id);
    let mut frame = Vec::new();
    match id {
        Some(id) => {
            let response = Response::new_err(id, code as i32, said.clone());
            let _ = Message::Response(response).write(&mut frame);
        }
        None => {
            let error = ResponseError {
                code: code as i32,
                message: said.clone(),
                data: None,
            };
            let body = serde_json::json!({ "jsonrpc": "2.0", "id": null, "error": error });
            let text = body.to_string();
            frame = format!("Content-Length: {}\r\n\r\n{text}", text.len()).into_bytes();
        }
    }
    (frame, said)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn frames(input: &[u8], limit: u64) -> Vec<Result<Option<Vec<u8>>, String>> {
        let mut reader = std::io::BufReader::new(input);
        let mut out = Vec::new();
        loop {
            let r = read_frame(&mut reader, limit).map_err(|e| e.to_string());
            let end = !matches!(r, Ok(Some(_)));
            out.push(r);
            if end {
                return out;
            }
        }
    }

    #[test]
    fn frames_are_read_by_their_length_and_every_bad_frame_is_named() {
        let two = b"Content-Length: 2\r\n\r\n{}content-length:3\nContent-Type: x\n\n[1]";
        assert_eq!(
            frames(two, 100),
            [
                Ok(Some(b"{}".to_vec())),
                Ok(Some(b"[1]".to_vec())),
                Ok(None)
            ]
        );
        let err = |input: &[u8], limit| frames(input, limit).pop().unwrap().unwrap_err();
        assert!(err(b"Content-Length: 99999999999999\r\n\r\n{}", 1 << 30)
            .starts_with("a message of 99999999999999 bytes is larger than the limit of 1 GiB"));
        assert!(err(b"Content-Length: 5\r\n\r\n{}", 100)
            .contains("in the middle of a message (2 of 5 bytes received)"));
        assert!(err(b"Content-Length: 5\r\n", 100).contains("middle of a message header"));
        assert!(err(b"Content-Length: x\r\n\r\n", 100).contains("`Content-Length: x`"));
        assert!(err(b"hello\r\n\r\n", 100).contains("`hello`"));
        assert!(err(b"Content-Type: y\r\n\r\n", 100).contains("no `Content-Length`"));
        assert!(err(&[b'a'; 9000], 100).contains("longer than 8192 bytes"));
    }

    #[test]
    fn a_body_that_is_no_message_is_answered_and_reading_goes_on() {
        let mut input = Vec::new();
        for body in [
            r#"{"jsonrpc":"2.0","method":"x","params":{"t":"\ud800"}}"#,
            r#"{"jsonrpc":"2.0","id":7,"method":"y","params":{"t":"\ud800"}}"#,
            r#"[1, 2]"#,
            r#"{"jsonrpc":"2.0","method":"exit"}"#,
        ] {
            input.extend(format!("Content-Length: {}\r\n\r\n{body}", body.len()).bytes());
        }
        let (sender, receiver) = crossbeam_channel::unbounded();
        let state = State {
            incoming: Mutex::new(Some(sender)),
            failure: Mutex::new(None),
        };
        let out = Mutex::new(Vec::new());
        read_loop(&mut std::io::BufReader::new(&input[..]), &state, 1000, &out);
        let written = String::from_utf8(out.into_inner().unwrap()).unwrap();
        let mut reader = std::io::BufReader::new(written.as_bytes());
        let replies: Vec<serde_json::Value> = std::iter::from_fn(|| {
            read_frame(&mut reader, 1000)
                .unwrap()
                .map(|b| serde_json::from_slice(&b).unwrap())
        })
        .collect();
        let ids: Vec<_> = replies
            .iter()
            .map(|r| (&r["id"], &r["error"]["code"]))
            .collect();
        assert_eq!(
            ids,
            [
                (&serde_json::json!(null), &serde_json::json!(-32700)),
                (&serde_json::json!(7), &serde_json::json!(-32700)),
                (&serde_json::json!(null), &serde_json::json!(-32600)),
            ]
        );
        let delivered: Vec<Message> = receiver.try_iter().collect();
        assert!(
            matches!(&delivered[..], [Message::Notification(n)] if n.method == "exit"),
            "{delivered:?}"
        );
        assert!(lock(&state.failure).is_none());
    }
}
