//! `qpol graph PATH [--to dot|mermaid] [--focus NAME] [-o FILE]`: check,
//! then draw who gets what (see [`crate::graph`]). The graph goes to
//! stdout (the findings then go to stderr) or, with `-o FILE`, to a file
//! written atomically (the findings then go to stdout). A policy with
//! errors draws nothing and exits 1, unless `--with-errors` is given (to
//! see the overlaps and cycles in red): the graph is then drawn and the
//! exit code is still 1.

use super::output::{IoError, Stream};
use super::{files, note, output, Global, OutputFormat, PathArg, EXIT_USAGE};
use crate::diag::escape;
use crate::graph::render::{self, Language};
use crate::graph::Picture;
use crate::pipeline::Analysis;
use crate::policy::load;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "The graph language is chosen with `--to`: the global `--format human|json` \
only decides how findings are printed (on stderr when the graph goes to stdout).\n\n\
Red: a rule that also admits the users of another project or group (Q201) and groups in a cycle \
(Q211); dashed: such a finding acknowledged by an `allow`.\n\n\
Render: `qpol graph policies/org.qpol | dot -Tsvg > org.svg`."
)]
pub struct GraphArgs {
    /// A policy file, a folder of *.qpol files read as one policy, or `-` for standard input
    pub path: PathArg,
    /// The graph language: Graphviz DOT or a Mermaid flowchart (`--format` is for findings)
    #[arg(long, value_enum, default_value = "dot", value_name = "LANGUAGE")]
    pub to: LanguageArg,
    /// Draw only NAME (an idp, user, project, group, role, instance, ...;
    /// `KIND:NAME` picks one kind) with everything upstream of it (what
    /// reaches it) and downstream (what it reaches)
    #[arg(long, value_name = "NAME")]
    pub focus: Option<String>,
    /// Write the graph to FILE (atomically) instead of stdout; `-` is stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathArg>,
    /// Draw the graph even when the policy has errors (the exit code stays 1)
    #[arg(long)]
    pub with_errors: bool,
}

/// `--to`: the graph languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LanguageArg {
    /// Graphviz DOT (`dot -Tsvg`)
    Dot,
    /// A Mermaid flowchart (GitHub renders ```mermaid blocks)
    Mermaid,
}

pub fn run(args: &GraphArgs, global: Global) -> u8 {
    let null = || [("output", serde_json::Value::Null)];
    let destination = match destination(args) {
        Ok(d) => d,
        Err(e) => return output::fail(global, &[e], &null()),
    };
    let stream = match destination {
        None => Stream::Stderr,
        Some(_) => Stream::Stdout,
    };
    let policy = match load(&args.path) {
        Ok(p) => p,
        Err(e) => return output::fail_to(global, &IoError::from_load(&e), &null(), stream),
    };
    let analysis = Analysis::new(policy);
    let code = output::exit_code(&analysis.diagnostics, global);
    let (written, io_errors) = if code == 0 || args.with_errors {
        draw(args, &analysis, destination.as_deref())
    } else {
        (false, Vec::new())
    };
    if super::stdout_closed() {
        std::mem::forget(analysis);
        return code;
    }
    let shown = destination
        .as_deref()
        .map_or_else(|| "-".to_string(), |f| f.display().to_string());
    let extra = output::written_to(written, &shown);
    output::report(
        &analysis.diagnostics,
        &analysis.sources,
        global,
        &extra,
        &io_errors,
        stream,
    );
    if global.format == OutputFormat::Human && io_errors.is_empty() {
        if written && destination.is_some() {
            note(format!("wrote {}", escape::inline(&shown)));
        } else if !written {
            note("nothing drawn: fix the errors above, or draw them with `--with-errors`");
        }
    }
    std::mem::forget(analysis);
    if io_errors.is_empty() {
        code
    } else {
        EXIT_USAGE
    }
}

/// Draw the picture to its destination: whether it was written, and the
/// failures (an unknown `--focus` name, a failed write).
fn draw(args: &GraphArgs, analysis: &Analysis, file: Option<&Path>) -> (bool, Vec<IoError>) {
    let picture = Picture::new(analysis);
    let kept = match args.focus.as_deref().map(|name| picture.focus(name)) {
        None => None,
        Some(Ok(kept)) => Some(kept),
        Some(Err(e)) => return (false, vec![IoError::new("--focus", e)]),
    };
    let language = match args.to {
        LanguageArg::Dot => Language::Dot,
        LanguageArg::Mermaid => Language::Mermaid,
    };
    let fill = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, w);
        render::write(&picture, language, kept.as_deref(), &mut out)?;
        std::io::Write::flush(&mut out)
    };
    match file {
        None => {
            let ok = super::write_stdout(fill);
            match super::take_stdout_error() {
                Some(e) => (
                    false,
                    vec![IoError::new(
                        "-",
                        format!("cannot write to standard output: {e}"),
                    )],
                ),
                None => (ok, Vec::new()),
            }
        }
        Some(file) => {
            let shown = file.display().to_string();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    let message = format!("cannot create the folder `{}`: {e}", escape::path(dir));
                    return (false, vec![IoError::new(&shown, message)]);
                }
            }
            match files::write_with(file, fill) {
                Ok(()) => (true, Vec::new()),
                Err(message) => (false, vec![IoError::new(&shown, message)]),
            }
        }
    }
}

/// The file `-o` names (`None`: stdout), checked before the policy is
/// read: a regular file or nothing, and not one of the policy's own files.
fn destination(args: &GraphArgs) -> Result<Option<PathBuf>, IoError> {
    let Some(file) = args.output.as_deref().filter(|f| *f != Path::new("-")) else {
        return Ok(None);
    };
    let exact = file.display().to_string();
    let expects = "-o names a regular file to write the graph to, or `-` for standard output";
    let (_, meta) =
        files::target(file).map_err(|m| IoError::new(&exact, format!("{m}; {expects}")))?;
    files::guard_output(
        file,
        meta.as_ref(),
        &args.path,
        "the graph",
        "name it `.dot` or `.mmd`",
    )
    .map_err(|m| IoError::new(&exact, m))?;
    Ok(Some(file.to_path_buf()))
}

/// After clap refused the command line: `qpol graph --format dot` gets a
/// hint that the graph language is `--to` (`--format` is for findings).
pub fn format_hint(error: &clap::Error) {
    if error.kind() != clap::error::ErrorKind::InvalidValue {
        return;
    }
    // Lossy: an argument that is not UTF-8 must not stop the hint (nor panic).
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let graph = args.iter().any(|a| a == "graph");
    let language = args.windows(2).any(|w| {
        matches!(w, [flag, value] if flag == "--format" && (value == "dot" || value == "mermaid"))
    }) || args.iter().any(|a| a == "--format=dot" || a == "--format=mermaid");
    if graph && language {
        note("hint: `qpol graph` takes the graph language as `--to dot|mermaid`; `--format human|json` is for the findings");
    }
}
