//! A minimal LSP client for the tests: runs `qpol lsp`, writes JSON-RPC
//! messages with their `Content-Length` framing, and reads the server's
//! messages on a thread, so that every wait has a timeout.

use serde_json::{json, Value};
use std::io::{BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
    /// Every notification received so far, in order.
    pub notifications: Vec<Value>,
    /// What the server wrote on stderr so far.
    stderr: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    /// The thread that collects stderr: joined once the server has exited,
    /// so that `stderr()` then holds everything it wrote.
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

#[path = "lsp_framing.rs"]
mod lsp_framing;
pub use lsp_framing::frame;
use lsp_framing::read_message;

impl Client {
    /// `qpol lsp`, not yet initialized.
    pub fn spawn() -> Client {
        Client::spawn_with(|_| {})
    }

    /// [`Client::spawn`] with these environment variables set.
    pub fn spawn_env(vars: &[(&str, &str)]) -> Client {
        Client::spawn_with(|command| {
            command.envs(vars.iter().copied());
        })
    }

    /// [`Client::spawn`] with `configure` applied to the command (an
    /// environment variable, say).
    pub fn spawn_with(configure: impl FnOnce(&mut Command)) -> Client {
        let mut command = Command::new(env!("CARGO_BIN_EXE_qpol"));
        command
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        configure(&mut command);
        let mut child = command.spawn().unwrap();
        let stderr: std::sync::Arc<std::sync::Mutex<Vec<u8>>> = std::sync::Arc::default();
        let mut pipe = child.stderr.take().unwrap();
        let collected = std::sync::Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || {
            let mut chunk = [0; 4096];
            while let Ok(n @ 1..) = std::io::Read::read(&mut pipe, &mut chunk) {
                collected.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        let stdout = child.stdout.take();
        let (tx, messages) = std::sync::mpsc::channel();
        // (No reader when `configure` sent stdout elsewhere.)
        std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            stdin: child.stdin.take(),
            child,
            messages,
            next_id: 0,
            notifications: Vec::new(),
            stderr,
            stderr_reader: Some(stderr_reader),
        }
    }

    /// What the server wrote on stderr so far.
    #[allow(dead_code)]
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// What the server wrote on stderr once it holds `needle` (or after
    /// [`TIMEOUT`]): a running server's log reaches the reader thread some
    /// time after the answers that follow it on stdout.
    #[allow(dead_code)]
    pub fn wait_stderr(&self, needle: &str) -> String {
        let end = Instant::now() + TIMEOUT;
        loop {
            let said = self.stderr();
            if said.contains(needle) || Instant::now() > end {
                return said;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The server's process id.
    #[allow(dead_code)]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `qpol lsp`, initialized (the debounce as the server's default).
    pub fn start() -> Client {
        let mut client = Client::spawn();
        let result = client.request("initialize", json!({ "capabilities": {} }));
        assert!(result.get("result").is_some(), "{result}");
        client.notify("initialized", json!({}));
        client
    }

    pub fn write_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    pub fn send(&mut self, message: &Value) {
        self.write_raw(&frame(message));
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Send a request; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// Send a request and wait for its response (the whole message).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.wait(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
            .unwrap_or_else(|| panic!("no response to `{method}` within {TIMEOUT:?}"))
    }

    /// Wait for a message matching `f` (notifications are kept).
    pub fn wait(&mut self, f: impl Fn(&Value) -> bool) -> Option<Value> {
        let end = Instant::now() + TIMEOUT;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let message = match self.messages.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            };
            if message.get("id").is_none() {
                self.notifications.push(message.clone());
            }
            if f(&message) {
                return Some(message);
            }
        }
    }

    /// Wait for diagnostics of `uri` that satisfy `f`; returns their params.
    pub fn diagnostics(&mut self, uri: &str, f: impl Fn(&Value) -> bool) -> Value {
        let found = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && f(&m["params"])
        });
        found.map(|m| m["params"].clone()).unwrap_or_else(|| {
            panic!(
                "no such diagnostics for {uri}; received: {:#?}",
                self.notifications
            )
        })
    }

    /// Close the server's stdin and wait (with a timeout) for it to exit.
    pub fn close_and_wait(&mut self) -> ExitStatus {
        drop(self.stdin.take());
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> ExitStatus {
        let end = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The pipe is closed with the process: the reader ends
                // after the last bytes, which `stderr()` must see.
                if let Some(reader) = self.stderr_reader.take() {
                    reader.join().unwrap();
                }
                return status;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("the server did not exit within {TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Open a document.
pub fn did_open(uri: &str, text: &str) -> Value {
    json!({ "textDocument": { "uri": uri, "languageId": "qpol", "version": 1, "text": text } })
}

/// Replace `(line, character)..(line, character)` with `text`.
pub fn did_change(uri: &str, version: i32, from: (u32, u32), to: (u32, u32), text: &str) -> Value {
    json!({
        "textDocument": { "uri": uri, "version": version },
        "contentChanges": [{
            "range": {
                "start": { "line": from.0, "character": from.1 },
                "end": { "line": to.0, "character": to.1 }
            },
            "text": text
        }]
    })
}

/// `file://` URI of a path.
pub fn uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}
