//! What `--help` and the man pages say beyond the flags (each command's exit
//! codes, the environment variables), and which `--format` values each
//! command can print: an explicit `--format sarif|github` on a command that
//! cannot print it is refused; the same value from `QPOL_FORMAT` (set once
//! for a whole CI job) falls back to human output there; an empty
//! `QPOL_FORMAT` counts as unset. Path arguments carry value hints, so
//! that shell completions offer files.

use super::{Cli, Command, OutputFormat};
use clap::parser::ValueSource;
use clap::CommandFactory;

/// The environment variables qpol reads, for every command's long help.
pub const ENVIRONMENT: &str = "Environment:\n  \
QPOL_FORMAT  the default of --format (human, json, sarif, github); empty counts as unset. \
A value the command cannot print (sarif or github for fmt, explain, graph, completions, man, lsp) \
is ignored there (human output), so one value can be set for a whole CI job; \
the same value given as --format is refused.\n  \
NO_COLOR     when set (to anything), --color auto prints no colour.\n  \
IBMCLOUD_API_KEY  the API key of plan, apply and import (or --api-key-file); never printed.\n  \
QPOL_ENDPOINT     one base URL for every IBM Cloud service (the emulator's); per service: QPOL_IAM_URL, \
QPOL_RESOURCE_CONTROLLER_URL, QPOL_GLOBAL_CATALOG_URL, QPOL_USER_MANAGEMENT_URL.";

/// Exit codes every command shares, after its own.
const COMMON_EXITS: &str =
    "  2    usage or I/O error (bad flag, unreadable file, failed write)\n  \
130  interrupted (SIGINT; 143 for SIGTERM): nothing is left half written\n  \
141  stdout was closed early (`qpol ... | head`)";

/// The exit codes particular to a command (before [`COMMON_EXITS`]).
fn exits(name: &str) -> &'static str {
    match name {
        "check" => {
            "  0    no error (warnings and notes allowed)\n  \
1    findings of error severity (warnings too under --deny warnings), \
Q301/Q302 from --baseline included\n"
        }
        "compile" => {
            "  0    compiled and written\n  \
1    findings of error severity (warnings too under --deny warnings): nothing is written\n"
        }
        "test" => {
            "  0    no error and every assert passed\n  \
1    findings of error severity, or a failed assert\n"
        }
        "fmt" => {
            "  0    formatted (with --check: every file already formatted)\n  \
1    --check: a file is not formatted; or a file refused for its syntax errors\n"
        }
        "explain" => "  0    printed (an unknown code is a usage error)\n",
        "graph" => {
            "  0    drawn\n  \
1    findings of error severity: nothing drawn (unless --with-errors; the code stays 1)\n"
        }
        "diff" => {
            "  The first that applies:\n  \
2    usage or I/O error (a bad path, a BASE that does not exist, a git failure, a side that cannot be decoded)\n  \
1    the NEW policy has errors (Q301/Q302 included; warnings under --deny warnings)\n  \
3    effective access changed, or a finding newly acknowledged by `allow`: CI should ask for a second review\n  \
0    no change in access\n"
        }
        "plan" => {
            "  0    the account matches the policy\n  \
1    findings of error severity: policy errors, a refused instance delete or move (Q302/Q301), an account limit (Q601)\n  \
2    usage or I/O error, no API key, a key IAM refuses, an unreachable or failing API\n  \
3    applying would change the account (the plan lists what)\n"
        }
        "apply" => {
            "  0    applied (or nothing to apply)\n  \
1    findings of error severity, a stale saved plan or one that does not match what its policy plans, \
a declined prompt (nothing sent in all these), or requests that failed \
(what was done and what was not is listed; `qpol apply` again finishes the job)\n  \
2    usage or I/O error, no API key, a key IAM refuses, no --yes off a terminal (nothing sent)\n"
        }
        "import" => {
            "  0    the policy was written\n  \
2    usage or I/O error, no API key, a key IAM refuses, an existing DIR/main.qpol without --force\n"
        }
        "lsp" => {
            "  0    the client sent shutdown and exit\n  \
1    the client closed the connection without exit\n"
        }
        _ => "  0    done\n",
    }
}

/// The long help after the flags of subcommand `name`: its exit codes and
/// the environment variables.
fn after(name: &str) -> String {
    let common = if matches!(name, "diff" | "plan" | "apply" | "import") {
        // These list their own 2, in order.
        COMMON_EXITS.lines().skip(1).collect::<Vec<_>>().join("\n")
    } else {
        COMMON_EXITS.to_string()
    };
    format!("Exit codes:\n{}{common}\n\n{ENVIRONMENT}", exits(name))
}

/// The command line's definition with the texts above: `--help`, the man
/// pages and the completions all come from it. An empty `QPOL_FORMAT`
/// is dropped here (clap would take it as a missing value).
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    if std::env::var_os("QPOL_FORMAT").is_some_and(|v| v.is_empty()) {
        cmd = cmd.mut_arg("format", |a| a.env(None));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name.as_str(), |sub| {
            let text = match sub.get_after_help() {
                Some(own) => format!("{own}\n\n{}", after(&name)),
                None => after(&name),
            };
            path_hints(sub.after_long_help(text))
        });
    }
    cmd.after_long_help(format!(
        "Exit codes (each command's --help has its own): 0 clean, 1 findings, \
2 usage or I/O error, 3 access changed (diff) or the account would change (plan), 130/143 interrupted, 141 stdout closed.\n\n{ENVIRONMENT}"
    ))
}

/// Every path argument (by its name: `path`, `paths`, `baseline`,
/// `output`, `out`) gets a value hint: a folder for `man --out`, a file
/// for `-o`, a file or folder otherwise.
fn path_hints(mut sub: clap::Command) -> clap::Command {
    use clap::ValueHint;
    let found: Vec<String> = sub
        .get_arguments()
        .map(|a| a.get_id().as_str().to_string())
        .filter(|id| ["path", "paths", "baseline", "output", "out"].contains(&id.as_str()))
        .collect();
    for id in found {
        let hint = match id.as_str() {
            "out" => ValueHint::DirPath,
            "output" => ValueHint::FilePath,
            _ => ValueHint::AnyPath,
        };
        sub = sub.mut_arg(id.as_str(), |a| a.value_hint(hint));
    }
    sub
}

/// The definition the completion scripts are made from: [`command`], and
/// `explain`'s code with every Q code as a possible value (for completion
/// only: `qpol explain` itself answers an unknown code with a did-you-mean).
pub fn completion_command() -> clap::Command {
    let codes: Vec<&'static str> = crate::diag::codes::TABLE.iter().map(|r| r.id).collect();
    command().mut_subcommand("explain", |sub| {
        sub.mut_arg("code", |a| {
            a.value_parser(clap::builder::PossibleValuesParser::new(codes))
        })
    })
}

/// The bash script clap_complete writes offers a command's flags, not
/// files, for its first argument. Each command whose arguments are paths
/// offers files there (and flags once a `-` is typed).
pub fn bash_files_first(script: &str) -> String {
    let mut out = String::with_capacity(script.len() + 1024);
    let mut command: Option<&str> = None;
    for line in script.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed
            .strip_prefix("qpol__subcmd__")
            .and_then(|r| r.strip_suffix(')'))
        {
            command = Some(name);
        }
        let takes_paths = matches!(
            command,
            Some("check" | "compile" | "test" | "fmt" | "graph" | "diff" | "format")
        );
        if takes_paths && trimmed.starts_with("if [[ ${cur} == -* || ${COMP_CWORD} -eq ") {
            out.push_str(
                "            if [[ ${cur} != -* && ${prev} != -* ]] ; then\n\
                 \x20               compopt -o filenames 2>/dev/null\n\
                 \x20               COMPREPLY=( $(compgen -f -- \"${cur}\") )\n\
                 \x20               return 0\n\
                 \x20           fi\n",
            );
            command = None;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The `--format` values `command` can print.
fn supports(command: &Command, format: OutputFormat) -> bool {
    match command {
        Command::Check(_) | Command::Compile(_) | Command::Test(_) | Command::Diff(_) => true,
        _ => matches!(format, OutputFormat::Human | OutputFormat::Json),
    }
}

/// The format a run prints in: `format` when `command` can print it; else
/// human output when the value came from `QPOL_FORMAT`, or an error (the
/// message, for exit 2) when it was given as `--format`.
pub fn format_for(
    command: &Command,
    name: &str,
    format: OutputFormat,
    source: Option<ValueSource>,
) -> Result<OutputFormat, String> {
    if supports(command, format) {
        return Ok(format);
    }
    if source != Some(ValueSource::CommandLine) {
        return Ok(OutputFormat::Human);
    }
    let value = match format {
        OutputFormat::Sarif => "sarif",
        OutputFormat::Github => "github",
        OutputFormat::Human | OutputFormat::Json => "human",
    };
    Err(format!(
        "`qpol {name}` cannot print `--format {value}`: it prints human or json\n\
hint: `--format sarif|github` is for check, compile, test and diff; drop the flag \
(a QPOL_FORMAT={value} set for a whole CI job is ignored by `qpol {name}`)"
    ))
}
