//! The command line: clap definitions and dispatch. Each command is a thin
//! caller of the library in its own module. Exit codes: 0 clean (warnings
//! allowed), 1 findings of error severity (or warnings with
//! `--deny warnings`, or failed assertions, or unformatted files with
//! `fmt --check`), 2 usage or I/O error.

mod check;
mod compile;
mod diff;
mod emulator;
mod explain;
mod files;
mod format;
mod git;
pub mod github;
mod graph;
mod help;
mod init;
mod live;
mod lsp;
mod output;
pub mod sarif;
mod shell;
mod test;

use clap::{FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// `qpol --version`: the version, then the commit it was built from when
/// known (`0.1.0 (1a2b3c4d5e6f 2026-11-26)`; see build.rs).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("QPOL_BUILD_INFO"));

#[derive(Debug, Parser)]
#[command(
    name = "qpol",
    version = VERSION,
    about = "Policy as code for IBM Cloud Qiskit Runtime access"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How diagnostics are printed
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "human",
        env = "QPOL_FORMAT"
    )]
    format: OutputFormat,
    /// When to colour human output
    #[arg(long, global = true, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Treat warnings as errors for the exit code (`--deny warnings`)
    #[arg(long, global = true, value_enum)]
    deny: Option<Deny>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a policy (a file, or a folder of *.qpol files) and report every finding
    Check(check::CheckArgs),
    /// Check a policy and compile it to Terraform JSON or IBM Cloud API requests
    Compile(compile::CompileArgs),
    /// Check a policy and evaluate its `assert` statements
    Test(test::TestArgs),
    /// Rewrite policy files in the canonical layout
    #[command(visible_alias = "format")]
    Fmt(format::FmtArgs),
    /// Explain a diagnostic code, e.g. `qpol explain Q201`; without a code, list them all
    Explain(explain::ExplainArgs),
    /// Draw who gets what (rules, users, projects, groups, roles, instances) as Graphviz DOT or Mermaid
    Graph(graph::GraphArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(shell::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command with `--out DIR`
    Man(shell::ManArgs),
    /// Run the language server (LSP) on stdin and stdout, for editors
    Lsp(lsp::LspArgs),
    /// Show what a change to a policy does to effective access, cloud objects and findings
    Diff(diff::DiffArgs),
    /// Run an in-memory emulator of the IBM Cloud APIs qpol uses, for tests
    Emulator(emulator::EmulatorArgs),
    /// Show what applying a policy would change in an IBM Cloud account (exit 3 when something would)
    Plan(live::plan::PlanArgs),
    /// Make an IBM Cloud account match a policy or a saved plan
    Apply(live::apply::ApplyArgs),
    /// Write a policy (DIR/main.qpol) from an IBM Cloud account set up by hand
    Import(live::import::ImportArgs),
    /// Make a policy repository for a new organization: a commented policy, CI workflow, pre-commit hooks
    Init(init::InitArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning (`check`, `test`, `diff`: the findings a change brings)
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    Warnings,
}

/// Options every command shares.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    pub format: OutputFormat,
    pub color: bool,
    pub deny_warnings: bool,
}

pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

pub fn main() -> ExitCode {
    let parsed = help::command()
        .try_get_matches()
        .and_then(|m| Ok((Cli::from_arg_matches(&m)?, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            graph::format_hint(&e);
            return if e.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let name = matches.subcommand_name().unwrap_or("qpol");
    let source = matches.value_source("format");
    let format = match help::format_for(&cli.command, name, cli.format, source) {
        Ok(format) => format,
        Err(message) => return ExitCode::from(usage_error(message)),
    };
    let global = Global {
        format,
        color: match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                use std::io::IsTerminal;
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        },
        deny_warnings: cli.deny.is_some(),
    };
    // Cheap, and a signal while reading or checking is reported too.
    files::install_handler();
    let code = match &cli.command {
        Command::Check(args) => check::run(args, global),
        Command::Compile(args) => compile::run(args, global),
        Command::Test(args) => test::run(args, global),
        Command::Fmt(args) => format::run(args, global),
        Command::Explain(args) => explain::run(args, global),
        Command::Graph(args) => graph::run(args, global),
        Command::Completions(args) => shell::completions(args, global),
        Command::Man(args) => shell::man(args, global),
        Command::Lsp(args) => lsp::run(args, global),
        Command::Diff(args) => diff::run(args, global),
        Command::Emulator(args) => emulator::run(args, global),
        Command::Plan(args) => live::plan::run(args, global),
        Command::Apply(args) => live::apply::run(args, global),
        Command::Import(args) => live::import::run(args, global),
        Command::Init(args) => init::run(args, global),
    };
    let code = finish_stdout(code);
    // A signal handler already running ends the process (130/143) first.
    files::end_of_run();
    ExitCode::from(code)
}

/// The first error writing stdout; later writes are skipped and the exit
/// code reports it (see [`main`]).
static STDOUT_ERROR: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);

/// Exit code when stdout was closed early (`qpol ... | head`): what a shell
/// reports for a program killed by SIGPIPE, and nothing printed.
pub const EXIT_CLOSED_PIPE: u8 = 141;

/// Write to stdout through `write`; a failure is remembered, turns the exit
/// code into an error at the end of the run, and skips every later write.
/// Returns whether the write succeeded.
pub fn write_stdout(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> bool {
    let mut failed = STDOUT_ERROR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if failed.is_some() {
        return false;
    }
    files::stdout_used();
    match write(&mut std::io::stdout().lock()) {
        Ok(()) => true,
        Err(e) => {
            *failed = Some(e);
            false
        }
    }
}

/// Take the remembered stdout error, so that the caller reports it itself
/// (in its report's `io_errors`) and [`finish_stdout`] stays quiet. A closed
/// pipe is left in place: it ends the run quietly with exit 141.
pub fn take_stdout_error() -> Option<std::io::Error> {
    let mut failed = STDOUT_ERROR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if failed
        .as_ref()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    {
        return None;
    }
    failed.take()
}

/// Whether stdout was closed by its reader (`qpol ... | head`): the run
/// then ends quietly with [`EXIT_CLOSED_PIPE`].
pub fn stdout_closed() -> bool {
    STDOUT_ERROR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Write to stdout (see [`write_stdout`]).
pub fn out(text: impl std::fmt::Display) {
    write_stdout(|w| write!(w, "{text}"));
}

/// The exit code once stdout is flushed: a closed pipe exits quietly with
/// [`EXIT_CLOSED_PIPE`], any other write error (a full disk) is reported
/// and exits 2; otherwise `code`.
fn finish_stdout(code: u8) -> u8 {
    let mut failed = STDOUT_ERROR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if failed.is_none() {
        // A flush writes nothing new: stdout is not marked as used.
        *failed = std::io::Write::flush(&mut std::io::stdout().lock()).err();
    }
    let failed = failed.take();
    match failed {
        None => code,
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_CLOSED_PIPE,
        Some(e) => usage_error(format!("cannot write to standard output: {e}")),
    }
}

/// Write text meant for people (a diff) to stdout, hidden characters escaped.
pub fn out_human(text: impl std::fmt::Display) {
    out(crate::diag::escape::for_humans(&text.to_string()));
}

/// Write a line to stderr, ignoring a closed stream; hidden characters
/// (in file names, say) are escaped.
pub fn note(text: impl std::fmt::Display) {
    use std::io::Write;
    let text = text.to_string();
    let _ = writeln!(
        std::io::stderr().lock(),
        "{}",
        crate::diag::escape::for_humans(&text)
    );
}

/// Report a usage or I/O error on stderr, hidden characters escaped;
/// returns exit code 2.
pub fn usage_error(message: impl std::fmt::Display) -> u8 {
    note(format_args!("error: {message}"));
    EXIT_USAGE
}

pub type PathArg = PathBuf;

pub use shell::{command, man_pages};
