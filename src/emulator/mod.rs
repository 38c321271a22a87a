//! `qpol emulator`: an in-memory emulator of the IBM Cloud endpoints qpol
//! uses, on one local port, routing by path (the paths of IAM, resource
//! controller, global catalog and user management do not collide).
//!
//! One module per concern:
//!
//! - [`http`]: our own small HTTP/1.1 server side (keep-alive,
//!   `Content-Length` bodies, size caps) and [`server`]: the accept loop and
//!   the order in which a request is handled;
//! - [`token`]: the IAM token endpoint and the bearer check;
//! - [`groups`], [`policies`], [`resources`], [`catalog`], [`identity`]:
//!   the IBM routes, answering as IBM does (paths, bodies, ETags,
//!   pagination, error bodies) over the account in [`state`], with the
//!   account [`limits`] enforced; [`reply`] holds what they share;
//! - [`faults`]: injected 429s, 500s, dropped connections, latency and stale
//!   ETags, from a seeded generator;
//! - [`admin`]: `/_emulator/` statistics, state dump and fault changes;
//! - [`transcript`]: the JSONL record that IBM's SDK checks.
//!
//! Everything is deterministic for a given `--seed` and request sequence:
//! ids come from a counter mixed with the seed, timestamps from a clock
//! that ticks once per object.

pub mod admin;
pub mod catalog;
pub mod faults;
pub mod groups;
pub mod http;
pub mod identity;
pub mod limits;
pub mod policies;
pub mod reply;
pub mod resources;
pub mod server;
pub mod state;
pub mod token;
pub mod transcript;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use faults::FaultSpec;
pub use state::User;

/// The account of the seed policy: the default `--account`.
pub const DEFAULT_ACCOUNT: &str = "b2f1c4e8d9a7461c9e3f5a6b7c8d9e0f";
/// The default `--api-key`: for local tests only.
pub const DEFAULT_API_KEY: &str = "emulator-key";
/// Who the emulator says created and changed objects.
pub const CALLER: &str = "IBMid-emulator";
/// IAM's canonical base URL.
pub const IAM: &str = "https://iam.cloud.ibm.com";

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct Config {
    pub account_id: String,
    /// The API keys the token endpoint accepts.
    pub api_keys: Vec<String>,
    pub faults: FaultSpec,
    /// The most a list answers in one page (and its size without `limit`).
    pub page_size: usize,
    pub token_ttl: Duration,
    pub transcript: Option<PathBuf>,
    pub seed: u64,
    pub users: Vec<User>,
    /// Most connections open at once; one more is answered 503 and closed
    /// (a client that opens connections and sends nothing cannot exhaust
    /// the emulator's threads).
    pub max_connections: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            account_id: DEFAULT_ACCOUNT.to_string(),
            api_keys: vec![DEFAULT_API_KEY.to_string()],
            faults: FaultSpec::default(),
            page_size: 100,
            token_ttl: Duration::from_secs(3600),
            transcript: None,
            seed: 0,
            users: Vec::new(),
            max_connections: 512,
        }
    }
}

/// A running emulator.
#[derive(Debug)]
pub struct Handle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Handle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Lines of the transcript written and lost (all zero without one).
    pub fn transcript_status(&self) -> Arc<transcript::Status> {
        self.shared
            .transcript
            .as_ref()
            .map_or_else(Arc::default, |t| t.status())
    }

    /// Block until the server stops (never, unless [`Handle::shutdown`] is
    /// called from elsewhere).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Stop accepting connections; open connections end after their
    /// current request.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = std::net::TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop();
        }
    }
}

/// Serve `config` on `listener` in a background thread.
pub fn serve(listener: TcpListener, config: Config) -> std::io::Result<Handle> {
    let addr = listener.local_addr()?;
    let transcript = match &config.transcript {
        Some(path) => Some(transcript::Transcript::create(path)?),
        None => None,
    };
    let shared = Arc::new(server::Shared {
        state: Mutex::new(state::State::new(
            &config.account_id,
            config.seed,
            config.page_size,
            &config.users,
        )),
        tokens: Mutex::new(token::Tokens::new(
            config.api_keys.clone(),
            config.token_ttl,
            config.seed,
        )),
        stats: admin::Stats::default(),
        faults: Mutex::new(config.faults.clone()),
        rng: Mutex::new(faults::Rng::new(config.seed)),
        transcript,
        stop: AtomicBool::new(false),
        connections: std::sync::atomic::AtomicUsize::new(0),
        max_connections: config.max_connections.max(1),
    });
    let for_thread = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("emulator-accept".into())
        .spawn(move || server::accept_loop(listener, for_thread))?;
    Ok(Handle {
        addr,
        shared,
        thread: Some(thread),
    })
}

/// Answer an IBM route; `None` when no service has the path.
pub fn route(
    state: &mut state::State,
    req: &http::Request,
    segs: &[&str],
) -> Option<http::Response> {
    groups::route(state, req, segs)
        .or_else(|| policies::route(state, req, segs))
        .or_else(|| resources::route(state, req, segs))
        .or_else(|| catalog::route(state, req, segs))
        .or_else(|| identity::route(state, req, segs))
}

/// The canonical IBM URL of a request: the host of the service that owns
/// its path, then the path and query as sent.
pub fn canonical_url(req: &http::Request, segs: &[&str]) -> String {
    let host = match segs {
        ["v2", "resource_instances", ..] | ["v2", "resource_groups", ..] => {
            "https://resource-controller.cloud.ibm.com"
        }
        ["api", "v1", ..] => "https://globalcatalog.cloud.ibm.com",
        ["v2", "accounts", ..] => "https://user-management.cloud.ibm.com",
        _ => IAM,
    };
    if req.query.is_empty() {
        format!("{host}{}", req.path)
    } else {
        format!("{host}{}?{}", req.path, req.query)
    }
}
