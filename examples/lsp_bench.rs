//! The language server's benchmark: `cargo run --release --example lsp_bench -- PROJECTS USERS [EDITS]`
//! (run by `scripts/bench.sh lsp`).
//!
//! Writes a synthetic org (`qpol::synth`) as a folder policy of four files
//! (base, projects, groups, users), starts the RELEASE `qpol lsp`
//! (`target/release/qpol`, or `$QPOL_BIN`) with its default debounce,
//! opens the projects and groups files, and plays a scripted session of
//! EDITS (default 200) incremental `didChange` edits, paced like a typist
//! (one every 100 ms, or as soon as the previous edit was published when
//! that takes longer): renames of a project and its reference in the groups
//! file (two `didChange`s, as an editor's rename sends them), typos that
//! create a Q101 and the edits that fix them, new projects appended, and
//! rule value edits. Each edit's latency runs from sending its (last)
//! `didChange` to receiving the `publishDiagnostics` of the projects file
//! with that version. Prints median, p99 and max (overall and per kind),
//! the server's peak RSS (VmHWM) and `qpol check`'s on the same folder,
//! and the server's CPU time over the edits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#[path = "../tests/support/lsp_framing.rs"]
mod lsp_framing;
use lsp_framing::{frame, read_message};
use serde_json::{json, Value};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const PACE: Duration = Duration::from_millis(100);
const TIMEOUT: Duration = Duration::from_secs(120);
const KINDS: [&str; 5] = ["rename", "typo", "fix", "append", "value"];

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("PROJECTS USERS [EDITS] are numbers"))
        .collect();
    let (projects, users) = (args[0], args[1]);
    let edits = args.get(2).copied().unwrap_or(200);
    let bin = std::env::var_os("QPOL_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/qpol"),
        PathBuf::from,
    );
    let dir = std::env::temp_dir().join(format!("qpol-lsp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = qpol::synth::generate(&qpol::synth::OrgSpec::new(projects, users, 10)).text;
    let mut files = split(&text);
    for (name, lines) in &files {
        std::fs::write(dir.join(name), join(lines)).unwrap();
    }
    println!(
        "== qpol lsp, {projects} projects / {users} users as a folder of {} files ({} KB), {edits} edits",
        files.len(),
        text.len() / 1024
    );
    let check_rss = check_peak_rss(&bin, &dir);
    let mut server = Server::start(&bin);
    let (projects_uri, groups_uri) = (uri(&dir, "10-projects.qpol"), uri(&dir, "20-groups.qpol"));
    let opened = Instant::now();
    server.open(&groups_uri, &join(&files[2].1));
    server.open(&projects_uri, &join(&files[1].1));
    server.published(&projects_uri, 1);
    println!(
        "first diagnostics after didOpen: {} ms",
        ms(opened.elapsed())
    );
    let cpu_at_start = server.cpu_seconds();
    let mut session = Session {
        server,
        files: &mut files,
        projects_uri,
        groups_uri,
        version: 1,
    };
    let mut latencies: Vec<(usize, Duration)> = Vec::new();
    let mut q101_ok = 0;
    let mut typo_line = 0;
    for n in 0..edits {
        let kind = n % KINDS.len();
        let (latency, q101) = session.edit(n, kind, &mut typo_line);
        q101_ok += usize::from(match kind {
            1 => q101 > 0,
            2 => q101 == 0,
            _ => true,
        });
        latencies.push((kind, latency));
        std::thread::sleep(PACE.saturating_sub(latency));
    }
    let hwm = session.server.peak_rss_kb();
    let cpu = session.server.cpu_seconds() - cpu_at_start;
    session.server.stop();
    let _ = std::fs::remove_dir_all(&dir);
    report(&latencies, q101_ok, hwm, check_rss);
    println!(
        "server CPU time over the edits: {cpu:.1} s ({:.0} ms per edit; less noisy than wall time on a busy machine)",
        cpu * 1000.0 / edits.max(1) as f64
    );
    if q101_ok != latencies.len() {
        eprintln!("some edits were not published with the Q101s they should have");
        std::process::exit(1);
    }
}

/// The org's statements by kind: one file each (names sort as they are read).
fn split(text: &str) -> Vec<(&'static str, Vec<String>)> {
    let mut files: Vec<(&'static str, Vec<String>)> = [
        "00-base.qpol",
        "10-projects.qpol",
        "20-groups.qpol",
        "30-users.qpol",
    ]
    .into_iter()
    .map(|n| (n, Vec::new()))
    .collect();
    for line in text.lines() {
        let at = match line.split_whitespace().next() {
            Some("project") => 1,
            Some("group") => 2,
            Some("user") => 3,
            _ => 0,
        };
        files[at].1.push(line.to_string());
    }
    files
}

fn join(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn uri(dir: &Path, name: &str) -> String {
    format!("file://{}", dir.join(name).display())
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The scripted editor: the buffers it holds and the server it edits.
struct Session<'a> {
    server: Server,
    files: &'a mut Vec<(&'static str, Vec<String>)>,
    projects_uri: String,
    groups_uri: String,
    version: i32,
}

impl Session<'_> {
    /// Make edit `n` of `kind`; its latency and the Q101s then published
    /// for the projects file.
    fn edit(&mut self, n: usize, kind: usize, typo_line: &mut usize) -> (Duration, usize) {
        let lines = &self.files[1].1;
        let prj: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].starts_with("project prj-"))
            .collect();
        let line = prj[(n * 7919) % prj.len()];
        let old = lines[line].clone();
        let sent = match kind {
            0 => {
                let name = old.split_whitespace().nth(1).unwrap().to_string();
                let new = format!("{name}r{n}");
                if let Some((g, text)) = self.files[2].1.iter().enumerate().find_map(|(g, l)| {
                    let r = rename_ref(l, &name, &new)?;
                    Some((g, r))
                }) {
                    self.change(2, g, text);
                }
                self.change(
                    1,
                    line,
                    old.replacen(&format!("project {name} "), &format!("project {new} "), 1),
                )
            }
            1 => {
                *typo_line = line;
                self.change(1, line, old.replacen("instances QR-", "instances QRx-", 1))
            }
            2 => {
                let fixed =
                    self.files[1].1[*typo_line].replacen("instances QRx-", "instances QR-", 1);
                self.change(1, *typo_line, fixed)
            }
            3 => {
                let at = self.files[1].1.len();
                let text = format!("project new-{n} {{ instances QR-0; members where project contains \"n{n:07}z\"; role writer; }}");
                self.version += 1;
                let sent = self.server.change(
                    &self.projects_uri,
                    self.version,
                    (at, 0),
                    (at, 0),
                    &format!("{text}\n"),
                );
                self.files[1].1.push(text);
                sent
            }
            _ => self.change(1, line, old.replacen("contains \"", "contains \"v", 1)),
        };
        let (published, received) = self.server.published(&self.projects_uri, self.version);
        let q101 = published["params"]["diagnostics"]
            .as_array()
            .map_or(0, |d| d.iter().filter(|d| d["code"] == "Q101").count());
        (received.duration_since(sent), q101)
    }

    /// Replace line `line` of file `file` (1 projects, 2 groups); when it was sent.
    fn change(&mut self, file: usize, line: usize, text: String) -> Instant {
        let uri = if file == 1 {
            self.projects_uri.clone()
        } else {
            self.groups_uri.clone()
        };
        let end = self.files[file].1[line].len();
        self.version += 1;
        let sent = self
            .server
            .change(&uri, self.version, (line, 0), (line, end), &text);
        self.files[file].1[line] = text;
        sent
    }
}

/// `line` with the reference `name` (a whole word) renamed to `new`, if it has one.
fn rename_ref(line: &str, name: &str, new: &str) -> Option<String> {
    if !line.starts_with("group ") {
        return None;
    }
    for end in [",", ";"] {
        let from = format!(" {name}{end}");
        if line.contains(&from) {
            return Some(line.replacen(&from, &format!(" {new}{end}"), 1));
        }
    }
    None
}

/// `qpol check DIR`'s peak RSS in KB (run before the server: the only child so far).
fn check_peak_rss(bin: &Path, dir: &Path) -> i64 {
    let status = Command::new(bin)
        .args(["check", "--format", "json"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.code().is_some_and(|c| c <= 1),
        "qpol check failed: {status}"
    );
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; it was zeroed.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss
}

/// The server process and the messages it sent, each with when it arrived.
struct Server {
    child: std::process::Child,
    stdin: ChildStdin,
    messages: Receiver<(Value, Instant)>,
    next_id: i64,
}

impl Server {
    fn start(bin: &Path) -> Server {
        let mut child = Command::new(bin)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send((message, Instant::now())).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        let mut server = Server {
            child,
            stdin,
            messages,
            next_id: 0,
        };
        server.request("initialize", json!({ "capabilities": {} }));
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, message: &Value) {
        self.stdin.write_all(&frame(message)).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait(|m| m["id"] == json!(id) && m.get("method").is_none())
            .0
    }

    fn wait(&mut self, f: impl Fn(&Value) -> bool) -> (Value, Instant) {
        let end = Instant::now() + TIMEOUT;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let (message, at) = self
                .messages
                .recv_timeout(left)
                .expect("the server answered in time");
            if f(&message) {
                return (message, at);
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        let doc = json!({ "uri": uri, "languageId": "qpol", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": doc }));
    }

    /// Replace a range (line, UTF-16 column: the org is ASCII); when it was sent.
    fn change(
        &mut self,
        uri: &str,
        version: i32,
        from: (usize, usize),
        to: (usize, usize),
        text: &str,
    ) -> Instant {
        let range = json!({
            "start": { "line": from.0, "character": from.1 },
            "end": { "line": to.0, "character": to.1 },
        });
        let params = json!({
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{ "range": range, "text": text }],
        });
        let sent = Instant::now();
        self.notify("textDocument/didChange", params);
        sent
    }

    /// The `publishDiagnostics` of `uri` at `version`, and when it arrived.
    fn published(&mut self, uri: &str, version: i32) -> (Value, Instant) {
        self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        })
    }

    /// The server's peak resident size, in KB (VmHWM).
    fn peak_rss_kb(&self) -> i64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// The server's CPU time (user and system, every thread), in seconds.
    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // After the command name (in parentheses): state is field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        // SAFETY: sysconf reads a constant of the system.
        ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let _ = self.child.wait();
    }
}

/// Median, p99 and max of sorted latencies.
fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    if v.is_empty() {
        return "no edits".to_string();
    }
    let p99 = v[(v.len() * 99).div_ceil(100).saturating_sub(1)];
    format!(
        "median {} ms  p99 {} ms  max {} ms  ({} edits)",
        ms(v[v.len() / 2]),
        ms(p99),
        ms(v[v.len() - 1]),
        v.len()
    )
}

fn report(latencies: &[(usize, Duration)], q101_ok: usize, hwm: i64, check_rss: i64) {
    println!(
        "didChange -> publishDiagnostics: {}",
        stats(latencies.iter().map(|l| l.1).collect())
    );
    for (k, name) in KINDS.iter().enumerate() {
        let of_kind = latencies.iter().filter(|l| l.0 == k).map(|l| l.1).collect();
        println!("  {name:<7} {}", stats(of_kind));
    }
    println!(
        "edits whose Q101s were as expected (typo: some, fix: none): {q101_ok} of {}",
        latencies.len()
    );
    let ratio = if check_rss > 0 {
        hwm as f64 / check_rss as f64
    } else {
        0.0
    };
    println!(
        "peak RSS: qpol lsp {} MB, qpol check {} MB ({ratio:.2}x)",
        hwm / 1024,
        check_rss / 1024
    );
}
