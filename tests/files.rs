//! No file that is not ours is harmed: `compile -o` and `fmt` refuse what
//! is not a regular file (or is an input), keep symlinks, hard links, owner
//! and mode, refuse read-only files; a folder's unreadable `*.qpol` entries
//! are errors; a failed run writes nothing; temporaries are removed by the
//! next run when their process is dead (signals: tests/signals.rs); devices
//! are refused and reads capped; stdout write errors are not ignored. These
//! tests run as root.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;
use support::fs::{mkfifo, s, temps};
use support::run::{command, qpol, stderr};

use std::os::unix::fs::{symlink, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const MESSY: &str = "instance a{plan lite;region us-east}\n";
const TIDY: &str = "instance a {\n  plan lite;\n  region us-east;\n}\n";

#[test]
fn compile_refuses_targets_that_are_not_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("plan.json");
    mkfifo(&fifo);
    let to_null = dir.path().join("null.json");
    symlink("/dev/null", &to_null).unwrap();
    let dangling = dir.path().join("dangling.json");
    symlink(dir.path().join("nowhere/x"), &dangling).unwrap();
    for (target, word) in [
        (&fifo, "FIFO"),
        (&to_null, "character device"),
        (&dangling, "symlink"),
    ] {
        let o = qpol(&[
            "compile",
            "policies/org.qpol",
            "-t",
            "ibm-api",
            "-o",
            s(target),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", s(target));
        assert!(
            stderr(&o).contains(s(target)) && stderr(&o).contains(word),
            "{}",
            stderr(&o)
        );
    }
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(std::fs::symlink_metadata(&to_null)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(Path::new("/dev/null")
        .metadata()
        .unwrap()
        .file_type()
        .is_char_device());
    assert!(temps(dir.path()).is_empty());
}

#[test]
fn compile_writes_the_file_a_symlink_points_to() {
    let dir = tempfile::tempdir().unwrap();
    // A symlink to a regular file stays a symlink; the file it names is written.
    let real = dir.path().join("real.json");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.json");
    symlink(&real, &link).unwrap();
    let o = qpol(&[
        "compile",
        "policies/org.qpol",
        "-t",
        "ibm-api",
        "-o",
        s(&link),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&real)
        .unwrap()
        .contains("qpol-ibm-api-plan/1"));
}

#[test]
fn compile_refuses_to_overwrite_its_own_input() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("org.qpol");
    std::fs::copy("policies/org.qpol", &policy).unwrap();
    let original = std::fs::read(&policy).unwrap();
    let hard = dir.path().join("hard.json");
    std::fs::hard_link(&policy, &hard).unwrap();
    let soft = dir.path().join("soft.json");
    symlink(&policy, &soft).unwrap();
    for target in [&policy, &hard, &soft] {
        let o = qpol(&["compile", s(&policy), "-t", "ibm-api", "-o", s(target)]);
        assert_eq!(o.status.code(), Some(2), "{}", s(target));
        assert!(stderr(&o).contains("policy file"), "{}", stderr(&o));
        assert_eq!(std::fs::read(&policy).unwrap(), original);
    }
    // A folder policy: any of its files.
    let folder = dir.path().join("policy");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy("policies/org.qpol", folder.join("a.qpol")).unwrap();
    let o = qpol(&[
        "compile",
        s(&folder),
        "-t",
        "ibm-api",
        "-o",
        s(&folder.join("a.qpol")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read(folder.join("a.qpol")).unwrap(), original);
}

#[test]
fn compile_to_stdout_with_dash() {
    let o = qpol(&["compile", "policies/org.qpol", "-t", "ibm-api", "-o", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(plan.to_string().contains("qpol-ibm-api-plan/1"));
    assert!(!Path::new("-").exists());
    // The JSON report goes to stderr then: stdout stays one document.
    let o = qpol(&[
        "--format",
        "json",
        "compile",
        "policies/org.qpol",
        "-o",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let tf: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(tf.to_string().contains("ibm_iam_access_group"));
    let report: serde_json::Value = serde_json::from_str(&stderr(&o)).unwrap();
    assert_eq!(report["output"], "-");
}

#[test]
fn fmt_formats_the_file_a_symlink_points_to() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.qpol");
    std::fs::write(&real, MESSY).unwrap();
    let link = dir.path().join("link.qpol");
    symlink(&real, &link).unwrap();
    let o = qpol(&["fmt", s(&link)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&real).unwrap(), TIDY);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), TIDY);
}

#[test]
fn fmt_keeps_hard_links() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.qpol");
    std::fs::write(&a, MESSY).unwrap();
    let b = dir.path().join("b-link.txt");
    std::fs::hard_link(&a, &b).unwrap();
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::chown(&a, Some(4321), Some(4322)).unwrap();
    let o = qpol(&["fmt", s(&a)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (ma, mb) = (a.metadata().unwrap(), b.metadata().unwrap());
    assert_eq!((ma.ino(), ma.nlink()), (mb.ino(), 2), "hard links kept");
    assert_eq!(std::fs::read_to_string(&b).unwrap(), TIDY);
    assert_eq!(
        (ma.uid(), ma.gid(), ma.mode() & 0o7777),
        (4321, 4322, 0o640)
    );
}

#[test]
fn fmt_keeps_owner_and_mode() {
    // A file with one link, replaced by rename.
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.qpol");
    std::fs::write(&c, MESSY).unwrap();
    std::fs::set_permissions(&c, std::fs::Permissions::from_mode(0o604)).unwrap();
    std::os::unix::fs::chown(&c, Some(4321), Some(4322)).unwrap();
    assert_eq!(qpol(&["fmt", s(&c)]).status.code(), Some(0));
    let mc = c.metadata().unwrap();
    assert_eq!(
        (mc.uid(), mc.gid(), mc.mode() & 0o7777),
        (4321, 4322, 0o604)
    );
    assert_eq!(std::fs::read_to_string(&c).unwrap(), TIDY);
    assert!(temps(dir.path()).is_empty());
}

#[test]
fn fmt_refuses_read_only_files_by_mode() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ro.qpol");
    std::fs::write(&file, MESSY).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let o = qpol(&["fmt", s(&file)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MESSY);
    assert_eq!(file.metadata().unwrap().mode() & 0o777, 0o444);
}

/// A folder with one good policy file and every kind of unreadable entry.
fn folder_with_bad_entries(dir: &Path) -> (PathBuf, Vec<String>) {
    let folder = dir.join("policy");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("good.qpol"), MESSY).unwrap();
    symlink(folder.join("missing"), folder.join("dangling.qpol")).unwrap();
    symlink(folder.join("loop.qpol"), folder.join("loop.qpol")).unwrap();
    mkfifo(&folder.join("fifo.qpol"));
    symlink("/dev/null", folder.join("null.qpol")).unwrap();
    std::fs::create_dir(folder.join("dir.qpol")).unwrap();
    let bad = ["dangling", "loop", "fifo", "null", "dir"]
        .iter()
        .map(|n| s(&folder.join(format!("{n}.qpol"))).to_string())
        .collect();
    (folder, bad)
}

/// Run qpol, failing the test instead of hanging (a FIFO blocks on open).
fn qpol_within(args: &[&str], limit: Duration) -> Output {
    let mut child = command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("qpol {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_folder_names_every_entry_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, bad) = folder_with_bad_entries(dir.path());
    let out = dir.path().join("out");
    let limit = Duration::from_secs(30);
    let o = qpol_within(&["compile", s(&folder), "-o", s(&out)], limit);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    for name in &bad {
        assert!(stderr(&o).contains(name.as_str()), "{name}: {}", stderr(&o));
    }
    assert!(!out.exists(), "a failed run writes nothing");
    let o = qpol_within(&["check", s(&folder)], limit);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn fmt_folder_names_every_entry_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, bad) = folder_with_bad_entries(dir.path());
    let limit = Duration::from_secs(30);
    // fmt names them too, and still formats the readable files.
    let o = qpol_within(&["fmt", s(&folder)], limit);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    for name in &bad {
        assert!(stderr(&o).contains(name.as_str()), "{name}: {}", stderr(&o));
    }
    assert_eq!(
        std::fs::read_to_string(folder.join("good.qpol")).unwrap(),
        TIDY
    );
    // A FIFO named on the command line is refused before it is read.
    let o = qpol_within(&["fmt", &bad[2]], limit);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
}

#[test]
fn deny_warnings_compile_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("main.tf.json");
    std::fs::write(&old, "previous output\n").unwrap();
    let fixture = "tests/fixtures/err/overlapping_rules.qpol";
    let o = qpol(&[
        "--deny",
        "warnings",
        "compile",
        fixture,
        "-o",
        s(dir.path()),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nothing written"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "previous output\n");
    let fresh = dir.path().join("fresh");
    let o = qpol(&["--deny", "warnings", "compile", fixture, "-o", s(&fresh)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!fresh.join("main.tf.json").exists());
}

/// A PID no process can have (above Linux's PID_MAX_LIMIT).
const DEAD_PID: u32 = 4_194_999;

#[test]
fn only_temporaries_of_the_exact_form_for_the_target_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = [
        ".notes.qpol-tmp-999998".to_string(),
        ".x.qpol-tmp-0".to_string(),
        ".x.qpol-tmp-00999997".to_string(),
        ".plan.json.qpol-tmp-0".to_string(),
        format!(".plan.json.qpol-tmp-0{DEAD_PID}"),
        format!(".plan.json.qpol-tmp-+{DEAD_PID}"),
        format!("..plan.json.qpol-tmp-{DEAD_PID}"),
        format!(".xplan.json.qpol-tmp-{DEAD_PID}"),
    ];
    for name in &foreign {
        std::fs::write(dir.path().join(name), "not qpol's").unwrap();
    }
    let ours = dir.path().join(format!(".plan.json.qpol-tmp-{DEAD_PID}"));
    std::fs::write(&ours, "partial").unwrap();
    let plan = dir.path().join("plan.json");
    let o = qpol(&[
        "compile",
        "policies/org.qpol",
        "-t",
        "ibm-api",
        "-o",
        s(&plan),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!ours.exists());
    for name in &foreign {
        assert!(dir.path().join(name).exists(), "{name} was removed");
    }
}

#[test]
fn stale_temporaries_of_dead_processes_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join(format!(".plan.json.qpol-tmp-{DEAD_PID}"));
    let other = dir.path().join(format!(".other.qpol.qpol-tmp-{DEAD_PID}"));
    let alive = dir
        .path()
        .join(format!(".plan.json.qpol-tmp-{}", std::process::id()));
    for t in [&stale, &other, &alive] {
        std::fs::write(t, "partial").unwrap();
    }
    let plan = dir.path().join("plan.json");
    let o = qpol(&[
        "compile",
        "policies/org.qpol",
        "-t",
        "ibm-api",
        "-o",
        s(&plan),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stale.exists(), "{:?}", temps(dir.path()));
    assert!(alive.exists(), "a live process's temporary is kept");
    assert!(
        other.exists(),
        "another target's temporary is not ours to remove"
    );

    let policy = dir.path().join("p.qpol");
    std::fs::write(&policy, MESSY).unwrap();
    let stale = dir.path().join(format!(".p.qpol.qpol-tmp-{DEAD_PID}"));
    std::fs::write(&stale, "partial").unwrap();
    assert_eq!(qpol(&["fmt", s(&policy)]).status.code(), Some(0));
    assert!(!stale.exists());
}

#[test]
fn stdout_write_errors_are_not_ignored() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let mut child = command(&["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(full())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(MESSY.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard output"), "{}", stderr(&o));
    for args in [
        &["check", "policies/org.qpol", "--format", "json"][..],
        &["explain"],
    ] {
        let o = command(args).stdout(full()).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn a_closed_stdout_pipe_is_not_success() {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe { libc::close(fds[0]) };
    let write_end = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) };
    let o = command(&["explain"]).stdout(write_end).output().unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "");
}

/// `compile -o -` into a closed pipe: exit 141 quietly, in every format,
/// never "warnings are denied" nor `"output": null` with no error.
#[test]
fn compile_to_a_closed_pipe_exits_141_quietly() {
    for format in ["human", "json"] {
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        unsafe { libc::close(fds[0]) };
        let write_end = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) };
        let args = [
            "compile",
            "policies/org.qpol",
            "-t",
            "ibm-api",
            "-o",
            "-",
            "--format",
            format,
        ];
        let o = command(&args).stdout(write_end).output().unwrap();
        assert_eq!(o.status.code(), Some(141), "{format}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{format}");
    }
}

/// A device named directly is refused, never read: `/dev/zero` never ends.
#[test]
fn a_device_named_directly_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.qpol");
    std::fs::write(
        &policy,
        "instance a {\n  plan lite;\n  region us-east;\n}\n",
    )
    .unwrap();
    let runs: [&[&str]; 4] = [
        &["check", "/dev/zero"],
        &["fmt", "--check", "/dev/zero"],
        &["check", s(&policy), "--baseline", "/dev/zero"],
        &["--format", "json", "check", "/dev/null"],
    ];
    for args in runs {
        let o = qpol(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let printed = format!("{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
        assert!(
            printed.contains("a character device"),
            "{args:?}: {printed}"
        );
    }
}

/// A FIFO named directly is read (`qpol check <(cat x)` passes one), up to
/// the size cap; standard input has the same cap.
#[test]
fn a_fifo_is_read_and_every_read_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ff.qpol");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(&fifo, "instance a {\n  plan lite;\n  region us-east;\n}\n").unwrap();
        })
    };
    let o = qpol(&["check", s(&fifo)]);
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The cap, lowered for the test.
    let big = dir.path().join("big.qpol");
    std::fs::write(&big, "# comment\n".repeat(100)).unwrap();
    for args in [vec!["check", s(&big)], vec!["fmt", "--check", s(&big)]] {
        let o = command(&args)
            .env("QPOL_MAX_INPUT_BYTES", "500")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("larger than 500 bytes, not a policy")
                && stderr(&o).contains("big.qpol"),
            "{}",
            stderr(&o)
        );
    }
    let mut child = command(&["fmt", "-"])
        .env("QPOL_MAX_INPUT_BYTES", "500")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let _ = std::io::Write::write_all(&mut input, "# comment\n".repeat(100).as_bytes());
    drop(input);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("larger than 500 bytes"),
        "{}",
        stderr(&o)
    );
}

/// `fmt <(...)`: the path is a pipe behind a /dev/fd symlink. In place,
/// qpol says it is a FIFO (not "a symlink that leads to no file") and
/// suggests `qpol fmt -`; `--check` suggests `qpol fmt - < FILE`, never
/// `qpol fmt /dev/fd/63` (which fails).
#[test]
fn fmt_of_a_pipe_says_so_and_suggests_fmt_dash() {
    let bin = env!("CARGO_BIN_EXE_qpol");
    let run = |flags: &str| {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "\"$0\" fmt {flags} <(printf 'instance   X existing;\\n')"
            ))
            .arg(bin)
            .env_remove("QPOL_FORMAT")
            .output()
            .unwrap()
    };
    let o = run("");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("symlink"), "{err}");
    assert!(err.contains("is a FIFO"), "{err}");
    assert!(err.contains("`qpol fmt -`"), "{err}");
    let o = run("--check");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("`qpol fmt - < FILE`"), "{err}");
    assert!(!err.contains("run `qpol fmt /dev/fd"), "{err}");
}
