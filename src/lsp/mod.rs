//! `qpol lsp`: a language server over stdio (`lsp-server` for the
//! JSON-RPC messages, `lsp-types` for their contents; [`transport`] reads
//! and writes the frames, bounded). It owns the
//! protocol: the lifecycle (initialize, initialized, shutdown, exit), the
//! open buffers, diagnostics as you type ([`worker`]), files changed on
//! disk ([`watch`]), and the requests ([`requests`]: formatting, code actions; [`queries`]: hover,
//! definition, references, rename, symbols, completion). Every finding comes from the
//! one pipeline (`crate::pipeline::Analysis`), so the editor and `qpol
//! check` agree.

mod actions;
pub mod diagnostics;
pub mod documents;
pub mod position;
mod queries;
mod requests;
mod reuse;
pub mod snapshot;
pub mod transport;
mod watch;
mod worker;

use crossbeam_channel::Sender;
use documents::{Documents, PolicyKey};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, LogMessage, Notification as _,
};
use std::sync::Arc;
use std::time::Duration;

/// How long the edits of a burst must pause before the policy is
/// analysed again (an edit after such a pause is analysed at once).
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// Why the server stopped other than by `exit` after `shutdown`.
#[derive(Debug, thiserror::Error)]
pub enum LspError {
    #[error("the client closed the connection {0}")]
    Disconnected(&'static str),
    #[error("`exit` came before `shutdown`")]
    ExitWithoutShutdown,
    #[error("reading or writing the connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Transport(transport::Failure),
}

/// Serve over stdin and stdout until `exit` or until the client goes away.
pub fn run_stdio() -> Result<(), LspError> {
    let (connection, transport) = transport::stdio()?;
    let result = serve(connection);
    if let Err(e) = result {
        // The connection is gone or useless: do not wait for the worker
        // or the reader (the process ends with them). Say why it ended.
        return Err(match (e, transport.failure()) {
            (LspError::Disconnected(_), Some(failure)) => LspError::Transport(failure),
            (e, _) => e,
        });
    }
    // Every sender is gone: the writer writes what is queued and ends. A
    // client that stops reading is not an error once it asked to exit.
    match transport.finish() {
        Some(transport::Failure::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Some(failure) => Err(LspError::Transport(failure)),
        None => Ok(()),
    }
}

/// The lifecycle around the main loop; the worker thread ends with it.
fn serve(connection: Connection) -> Result<(), LspError> {
    let params = initialize(&connection)?;
    if watch::client_can_watch(&params) {
        send(&connection.sender, watch::registration());
    }
    let debounce = params
        .get("initializationOptions")
        .and_then(|o| o.get("debounce_ms"))
        .and_then(serde_json::Value::as_u64)
        .map_or(DEBOUNCE, Duration::from_millis);
    let shared = Arc::new(worker::Shared::default());
    let (jobs, queue) = crossbeam_channel::unbounded();
    let out = connection.sender.clone();
    let worker_shared = Arc::clone(&shared);
    let worker = std::thread::Builder::new()
        .name("qpol-analysis".into())
        .spawn(move || worker::run(queue, out, worker_shared, debounce))?;
    let mut server = Server {
        out: connection.sender.clone(),
        documents: Documents::default(),
        jobs,
        shared,
        generation: 0,
        shut_down: false,
    };
    let result = server.main_loop(&connection);
    drop(server);
    // The worker's queue is closed: it finishes its job and ends. When the
    // client is gone, its job is not waited for.
    if result.is_ok() {
        let _ = worker.join();
    }
    result
}

/// Wait for `initialize`, answer with the capabilities, wait for
/// `initialized`. Requests before `initialize` get ServerNotInitialized.
fn initialize(connection: &Connection) -> Result<serde_json::Value, LspError> {
    loop {
        match connection.receiver.recv() {
            Err(_) => return Err(LspError::Disconnected("before `initialize`")),
            Ok(Message::Request(req)) if req.method == "initialize" => {
                let result = serde_json::json!({
                    "capabilities": requests::capabilities(),
                    "serverInfo": { "name": "qpol", "version": env!("CARGO_PKG_VERSION") },
                });
                send(&connection.sender, Response::new_ok(req.id, result));
                return initialized(connection).map(|()| req.params);
            }
            Ok(Message::Request(req)) => send(
                &connection.sender,
                Response::new_err(
                    req.id,
                    ErrorCode::ServerNotInitialized as i32,
                    format!(
                        "`{}` before `initialize`: send `initialize` first",
                        req.method
                    ),
                ),
            ),
            Ok(Message::Notification(n)) if n.method == "exit" => {
                return Err(LspError::ExitWithoutShutdown)
            }
            Ok(Message::Notification(_)) => {}
            Ok(Message::Response(_)) => {}
        }
    }
}

fn initialized(connection: &Connection) -> Result<(), LspError> {
    loop {
        match connection.receiver.recv() {
            Err(_) => return Err(LspError::Disconnected("before `initialized`")),
            Ok(Message::Notification(n)) if n.method == "initialized" => return Ok(()),
            Ok(Message::Request(req)) if req.method == "initialize" => {
                send(&connection.sender, initialized_already(req.id));
            }
            Ok(Message::Notification(n)) if n.method == "exit" => {
                return Err(LspError::ExitWithoutShutdown)
            }
            Ok(Message::Request(req)) => send(
                &connection.sender,
                Response::new_err(
                    req.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "waiting for the `initialized` notification".into(),
                ),
            ),
            Ok(_) => {}
        }
    }
}

/// The answer to an `initialize` after the first.
fn initialized_already(id: lsp_server::RequestId) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidRequest as i32,
        "the server is initialized already: `initialize` is sent once".into(),
    )
}

/// Send a message; a closed connection ends the main loop at its next read.
fn send(out: &Sender<Message>, message: impl Into<Message>) {
    let _ = out.send(message.into());
}

/// The main loop's state: the open buffers and the analysis queue.
pub struct Server {
    out: Sender<Message>,
    documents: Documents,
    jobs: Sender<worker::Job>,
    shared: Arc<worker::Shared>,
    generation: u64,
    shut_down: bool,
}

impl Server {
    fn main_loop(&mut self, connection: &Connection) -> Result<(), LspError> {
        for message in &connection.receiver {
            match message {
                Message::Request(req) => self.request(req),
                Message::Notification(n) if n.method == "exit" => {
                    return match self.shut_down {
                        true => Ok(()),
                        false => Err(LspError::ExitWithoutShutdown),
                    };
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
        Err(LspError::Disconnected("without `exit`"))
    }

    fn request(&mut self, req: Request) {
        let response = if req.method == "initialize" {
            initialized_already(req.id)
        } else if req.method == "shutdown" {
            self.shut_down = true;
            Response::new_ok(req.id, ())
        } else if self.shut_down {
            Response::new_err(
                req.id,
                ErrorCode::InvalidRequest as i32,
                format!(
                    "`{}` after `shutdown`: only `exit` is expected now",
                    req.method
                ),
            )
        } else {
            requests::dispatch(self, req)
        };
        send(&self.out, response);
    }

    fn notification(&mut self, n: Notification) {
        let uri = match n.method.as_str() {
            DidOpenTextDocument::METHOD => n
                .extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                .ok()
                .map(|p| {
                    let doc = p.text_document;
                    self.documents.open(doc.uri.clone(), doc.text, doc.version);
                    doc.uri
                }),
            DidChangeTextDocument::METHOD => n
                .extract::<lsp_types::DidChangeTextDocumentParams>(DidChangeTextDocument::METHOD)
                .ok()
                .and_then(|p| {
                    let doc = p.text_document;
                    match self.documents.change(&doc.uri, doc.version, p.content_changes) {
                        Err(current) => {
                            self.log(format!(
                                "ignored a change of `{}` to version {}: the document is at version {current} already",
                                doc.uri, doc.version
                            ));
                            None
                        }
                        Ok(_) => Some(doc.uri),
                    }
                }),
            DidSaveTextDocument::METHOD => n
                .extract::<lsp_types::DidSaveTextDocumentParams>(DidSaveTextDocument::METHOD)
                .ok()
                .map(|p| p.text_document.uri),
            DidCloseTextDocument::METHOD => n
                .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                .ok()
                .map(|p| {
                    self.documents.close(&p.text_document.uri);
                    p.text_document.uri
                }),
            DidChangeWatchedFiles::METHOD => {
                if let Ok(p) = n.extract(DidChangeWatchedFiles::METHOD) {
                    self.files_changed(p);
                }
                None
            }
            // `$/cancelRequest` and the rest: requests are answered in
            // order, so there is nothing to cancel.
            _ => None,
        };
        if let Some(uri) = uri {
            let key = self.documents.key(&uri);
            self.schedule(key);
        }
    }

    /// Say something in the editor's log of the server.
    fn log(&self, message: String) {
        let params = lsp_types::LogMessageParams {
            typ: lsp_types::MessageType::WARNING,
            message,
        };
        send(
            &self.out,
            Notification::new(LogMessage::METHOD.into(), params),
        );
    }

    /// Queue an analysis of a policy as the buffers are now.
    fn schedule(&mut self, key: PolicyKey) {
        self.generation += 1;
        let cancel = self.shared.schedule(&key, self.generation);
        let _ = self.jobs.send(worker::Job {
            key,
            generation: self.generation,
            documents: self.documents.clone(),
            at: std::time::Instant::now(),
            cancel,
        });
    }
}
