//! `qpol emulator`: run the emulator of the IBM Cloud endpoints qpol uses
//! (see [`crate::emulator`]) until killed. Prints one line with its URL
//! once it listens; exit 2 on a bad flag or when the address is taken.

use super::Global;
use crate::emulator::{self, Config, FaultSpec, User};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Admin routes (not IBM's): GET /_emulator/stats, POST /_emulator/stats/reset, \
GET /_emulator/state, POST /_emulator/faults (body: a --faults spec)."
)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port (the printed line shows it)
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    pub listen: String,
    /// The emulated account id (32 hex digits)
    #[arg(long, value_name = "ID", default_value = emulator::DEFAULT_ACCOUNT)]
    pub account: String,
    /// An API key the token endpoint accepts (repeatable). The default
    /// `emulator-key` is for local tests only
    #[arg(long = "api-key", value_name = "KEY")]
    pub api_keys: Vec<String>,
    /// Injected faults, each a probability per request, e.g.
    /// `429:0.1,500:0.05,drop:0.02,latency:20ms,stale:0.05`
    #[arg(long, value_name = "SPEC", default_value = "")]
    pub faults: String,
    /// The most items a list answers per page (and the page size without `limit`)
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub page_size: usize,
    /// Lifetime of the IAM tokens it gives, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub token_ttl: u64,
    /// Record every IBM exchange as one JSON line in FILE
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Seed of ids, timestamps and fault draws
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Users that user management lists: a JSON list of {"email", "iam_id"}
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
}

fn config(args: &EmulatorArgs) -> Result<Config, String> {
    let faults = FaultSpec::parse(&args.faults).map_err(|e| format!("--faults: {e}"))?;
    if args.account.len() != 32
        || !args
            .account
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(format!(
            "--account `{}` is not an IBM Cloud account id: 32 lowercase hexadecimal characters",
            args.account
        ));
    }
    if args.token_ttl == 0 {
        return Err(
            "--token-ttl 0 would give tokens that are expired when given; give at least 1 (seconds)"
                .into(),
        );
    }
    if let Some(n) = args.api_keys.iter().position(|k| k.trim().is_empty()) {
        return Err(format!(
            "--api-key number {} is empty: the token endpoint would accept an empty key; give a key, or leave --api-key out for `{}`",
            n + 1,
            emulator::DEFAULT_API_KEY
        ));
    }
    if args.page_size == 0 {
        return Err("--page-size must be at least 1".into());
    }
    let users = match &args.users {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read --users `{}`: {e}", path.display()))?;
            serde_json::from_str::<Vec<User>>(&text).map_err(|e| {
                format!(
                    "--users `{}`: {e}; write a JSON list of {{\"email\": ..., \"iam_id\": ...}}",
                    path.display()
                )
            })?
        }
    };
    let api_keys = if args.api_keys.is_empty() {
        vec![emulator::DEFAULT_API_KEY.to_string()]
    } else {
        args.api_keys.clone()
    };
    Ok(Config {
        account_id: args.account.clone(),
        api_keys,
        faults,
        page_size: args.page_size,
        token_ttl: Duration::from_secs(args.token_ttl),
        transcript: args.transcript.clone(),
        seed: args.seed,
        users,
        ..Config::default()
    })
}

pub fn run(args: &EmulatorArgs, _global: Global) -> u8 {
    let config = match config(args) {
        Ok(config) => config,
        Err(message) => return super::usage_error(message),
    };
    let listener = match std::net::TcpListener::bind(&args.listen) {
        Ok(listener) => listener,
        Err(e) => {
            return super::usage_error(format!(
                "cannot listen on `{}`: {e}; pick another port, or 0 for a free one",
                args.listen
            ))
        }
    };
    if listener.local_addr().is_ok_and(|a| !a.ip().is_loopback()) {
        super::note(format_args!(
            "warning: listening on `{}`, beyond this machine: the admin routes (/_emulator/state, /_emulator/faults, ...) have no authentication, so whoever reaches the port can read and change the emulated account; listen on 127.0.0.1 unless that is intended (qpol accepts plain http only on 127.0.0.1, localhost and [::1])",
            args.listen
        ));
    }
    let account = config.account_id.clone();
    let transcript = config.transcript.clone();
    let handle = match emulator::serve(listener, config) {
        Ok(handle) => handle,
        Err(e) => return super::usage_error(format!("cannot start the emulator: {e}")),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "qpol emulator listening on {} (account {account})",
        handle.url()
    );
    let _ = stdout.flush();
    drop(stdout);
    // Runs until killed; SIGINT and SIGTERM end the process (130, 143),
    // saying what became of the transcript.
    let status = handle.transcript_status();
    super::files::on_interrupt(Box::new(move || {
        stopped_message(transcript.as_deref(), &status)
    }));
    handle.wait();
    0
}

/// What the emulator says when a signal stops it.
fn stopped_message(
    transcript: Option<&std::path::Path>,
    status: &emulator::transcript::Status,
) -> String {
    let Some(path) = transcript else {
        return "emulator stopped".to_string();
    };
    let shown = crate::diag::escape::path(path);
    match status.failure() {
        Some(e) => format!(
            "emulator stopped; error: the transcript `{shown}` is incomplete: writing it failed ({e}), {} line(s) written, {} lost",
            status.lines(),
            status.lost()
        ),
        None => format!(
            "emulator stopped; the transcript `{shown}` holds {} line(s), each written in full",
            status.lines()
        ),
    }
}
