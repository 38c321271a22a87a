//! SIGINT and SIGTERM: at any point of a run (reading, checking, writing a
//! file or stdout) qpol exits 130/143, leaves no temporary, and says on
//! stderr what was written in full, or that nothing was, or that stdout is
//! incomplete.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::fs::{mkfifo, s, temps};
use support::run::{command, stderr};

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// Start `args`, wait until a temporary appears in `dir`, send `signal`.
/// `None` when the run finished before a temporary was seen.
fn interrupt(args: &[&str], dir: &Path, signal: i32) -> Option<Output> {
    let child = command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if dir.exists() && !temps(dir).is_empty() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            panic!("no temporary appeared");
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let out = child.wait_with_output().unwrap();
    (out.status.code() != Some(0)).then_some(out)
}

#[test]
fn an_interrupted_compile_or_fmt_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let synthetic = qpol::synth::generate(&qpol::synth::OrgSpec::new(4000, 40000, 0));
    let big = dir.path().join("big.qpol");
    std::fs::write(&big, &synthetic.text).unwrap();
    let out = dir.path().join("out");
    let plan = out.join("plan.json");
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let args = ["compile", s(&big), "-t", "ibm-api", "-o", s(&plan)];
        let o = (0..3)
            .find_map(|_| {
                let _ = std::fs::remove_file(&plan);
                interrupt(&args, &out, signal)
            })
            .expect("compile finished before it could be interrupted");
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        assert!(temps(&out).is_empty(), "{:?}", temps(&out));
        // The handler says whether the output had been written in full.
        let said = if plan.exists() {
            format!(
                "interrupted; `{}` had already been written in full",
                s(&plan)
            )
        } else {
            "interrupted; nothing was written".to_string()
        };
        assert!(stderr(&o).contains(&said), "{}", stderr(&o));
    }
    // fmt: an unformatted copy (no indentation).
    let messy: String = synthetic
        .text
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n");
    let file = dir.path().join("messy.qpol");
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let attempt = || {
            std::fs::write(&file, &messy).unwrap();
            interrupt(&["fmt", s(&file)], dir.path(), signal)
        };
        let o = (0..3).find_map(|_| attempt()).expect("fmt finished first");
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        assert!(stderr(&o).contains("interrupted; "), "{}", stderr(&o));
        assert!(temps(dir.path()).is_empty(), "{:?}", temps(dir.path()));
    }
}

/// A signal before any write (qpol blocked reading a FIFO nobody writes)
/// still says so and exits 128 + signal.
#[test]
fn a_signal_before_any_write_says_nothing_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("p.qpol");
    mkfifo(&fifo);
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let child = command(&["check", s(&fifo)])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Time for qpol to start and block opening the FIFO.
        std::thread::sleep(Duration::from_millis(700));
        let pid = i32::try_from(child.id()).unwrap();
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        assert_eq!(stderr(&o), "interrupted; nothing was written\n");
    }
}

/// `compile -o -` interrupted while streaming: the handler says the
/// standard output is incomplete.
#[test]
fn a_signal_mid_stream_says_stdout_is_incomplete() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let synthetic = qpol::synth::generate(&qpol::synth::OrgSpec::new(2000, 20000, 0));
    let big = dir.path().join("big.qpol");
    std::fs::write(&big, &synthetic.text).unwrap();
    let mut child = command(&["compile", s(&big), "-t", "ibm-api", "-o", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first bytes: qpol is now writing, and blocks on the full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("interrupted; the standard output is incomplete"),
        "{}",
        stderr(&o)
    );
    drop(stdout);
}
