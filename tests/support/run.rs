//! Running the `qpol` binary as a user does: arguments, optional standard
//! input, and the captured output as text.

use std::ffi::OsStr;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Run qpol with `args` and no standard input (`QPOL_FORMAT` unset).
pub fn qpol<S: AsRef<OsStr>>(args: &[S]) -> Output {
    command(args).stdin(Stdio::null()).output().unwrap()
}

/// Run qpol with `args`, `input` on its standard input.
pub fn qpol_in<S: AsRef<OsStr>>(args: &[S], input: &str) -> Output {
    run_with_input(&mut command(args), input)
}

/// Run `command` with `input` on its standard input, capturing its output.
pub fn run_with_input(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Run qpol in `dir` (file names in the output are relative to it), with
/// no standard input.
pub fn qpol_at(dir: &std::path::Path, args: &[&str]) -> Output {
    command(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The command, not yet started (for tests that need a child process).
pub fn command<S: AsRef<OsStr>>(args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qpol"));
    command.args(args).env_remove("QPOL_FORMAT");
    command
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
