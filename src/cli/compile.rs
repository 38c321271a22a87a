//! `qpol compile PATH [--target terraform|ibm-api] [-o OUT]`: check, then
//! write the target's file atomically (see `files`). A policy with errors,
//! or with warnings under `--deny warnings`, writes nothing and leaves any
//! earlier output untouched. `-o -` writes the file to stdout (the report
//! then goes to stderr). A target that is not a regular file, or that is
//! one of the policy's own files, is refused before anything is read.

use super::output::{IoError, Stream};
use super::{files, note, output, Global, OutputFormat, PathArg, EXIT_USAGE};
use crate::backends::{self, Target};
use crate::diag::escape;
use crate::pipeline::Analysis;
use crate::policy::load;
use std::path::{Path, PathBuf};

/// Where output goes when `-o` is not given.
pub const DEFAULT_OUT_DIR: &str = "out";

#[derive(Debug, clap::Args)]
pub struct CompileArgs {
    /// A policy file, a folder of *.qpol files read as one policy, or `-` for standard input
    pub path: PathArg,
    /// What to produce
    #[arg(long, short, value_enum, default_value = "terraform")]
    pub target: TargetArg,
    /// Output: for terraform a folder (main.tf.json is written into it) or
    /// a `*.tf.json` file, for ibm-api a file, `-` for stdout; default
    /// `out/main.tf.json` or `out/plan.json`
    #[arg(long, short)]
    pub output: Option<PathArg>,
}

/// `--target`: the command line's names of the backends' targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetArg {
    /// Terraform JSON (`main.tf.json`) for the IBM-Cloud/ibm provider
    Terraform,
    /// Ordered IBM Cloud API requests (`plan.json`, format qpol-ibm-api-plan/1)
    #[value(name = "ibm-api")]
    IbmApi,
}

impl From<TargetArg> for Target {
    fn from(arg: TargetArg) -> Target {
        match arg {
            TargetArg::Terraform => Target::Terraform,
            TargetArg::IbmApi => Target::IbmApi,
        }
    }
}

impl CompileArgs {
    /// The target `--target` names.
    pub fn target(&self) -> Target {
        self.target.into()
    }
}

/// Where the compiled file goes.
enum Destination {
    Stdout,
    File(PathBuf),
}

pub fn run(args: &CompileArgs, global: Global) -> u8 {
    let null = || [("output", serde_json::Value::Null)];
    let destination = match destination(args) {
        Ok(d) => d,
        Err(e) => return output::fail(global, &[e], &null()),
    };
    let stream = match destination {
        Destination::Stdout => Stream::Stderr,
        Destination::File(_) => Stream::Stdout,
    };
    let policy = match load(&args.path) {
        Ok(p) => p,
        Err(e) => return output::fail_to(global, &IoError::from_load(&e), &null(), stream),
    };
    let result = Analysis::new(policy);
    let compiled = backends::compile(&result, args.target());
    let code = output::exit_code(&compiled.diagnostics, global);
    let mut io_errors = Vec::new();
    let shown = match &destination {
        Destination::Stdout => "-".to_string(),
        Destination::File(file) => file.display().to_string(),
    };
    // A failed run (errors, or warnings under `--deny warnings`) writes nothing.
    let written = compiled.deployment.is_some()
        && code == 0
        && match &destination {
            Destination::Stdout => {
                let ok = super::write_stdout(|w| {
                    let mut out = std::io::BufWriter::with_capacity(1 << 20, w);
                    compiled.write_to(&mut out)?;
                    std::io::Write::flush(&mut out)
                }) && super::write_stdout(|w| w.flush());
                // The failure belongs in this run's one report.
                if let Some(e) = super::take_stdout_error() {
                    io_errors.push(IoError::new(
                        "-",
                        format!("cannot write to standard output: {e}"),
                    ));
                }
                ok
            }
            Destination::File(file) => match write_output(file, &compiled) {
                Ok(()) => true,
                Err(message) => {
                    io_errors.push(IoError::new(&shown, message));
                    false
                }
            },
        };
    // Stdout closed by its reader: the run ends quietly (exit 141); a report
    // saying "nothing written" would be false, and nobody reads stdout.
    if super::stdout_closed() {
        std::mem::forget(result);
        return code;
    }
    let extra = output::written_to(written, &shown);
    output::report(
        &compiled.diagnostics,
        &result.sources,
        global,
        &extra,
        &io_errors,
        stream,
    );
    if global.format == OutputFormat::Human && io_errors.is_empty() {
        if written {
            if matches!(destination, Destination::File(_)) {
                note(format!("wrote {}", escape::inline(&shown)));
            }
        } else if compiled.deployment.is_some() {
            note("nothing written: warnings are denied (`--deny warnings`); fix them and compile again");
        } else {
            note("nothing written: fix the errors above and compile again");
        }
    }
    std::mem::forget(result);
    if io_errors.is_empty() {
        code
    } else {
        EXIT_USAGE
    }
}

/// The output file `-o` names, checked before the policy is read: `-o`
/// must not name a file that is not a regular one, nor one of the policy's
/// own files (through symlinks and hard links too), and a terraform `-o`
/// that exists must be a folder unless it ends in `.tf.json`.
fn destination(args: &CompileArgs) -> Result<Destination, IoError> {
    if args.output.as_deref() == Some(Path::new("-")) {
        return Ok(Destination::Stdout);
    }
    let file = output_file(args);
    let exact = file.display().to_string();
    let shown = escape::path(&file);
    let expects = match args.target() {
        Target::Terraform => "with `--target terraform`, -o names a folder (main.tf.json is written into it) or a `*.tf.json` file, or `-` for standard output",
        Target::IbmApi => "with `--target ibm-api`, -o names a regular file to write, or `-` for standard output",
    };
    if let (Some(dir), Target::Terraform) = (&args.output, args.target()) {
        let meta = std::fs::metadata(dir).ok().filter(|m| !m.is_dir());
        if let (Some(meta), false) = (meta, file == *dir) {
            return Err(IoError::new(
                dir.display(),
                format!(
                    "`-o {}` is {}: {expects}",
                    escape::path(dir),
                    crate::policy::file_kind_or_file(&meta)
                ),
            ));
        }
    }
    // The first entry that exists above the file must be a folder, or a
    // symlink that leads to one.
    if let Some(parent) = file.parent() {
        let existing = parent
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .find_map(|a| std::fs::symlink_metadata(a).ok().map(|m| (a, m)));
        if let Some((above, link)) = existing {
            let above_shown = escape::path(above);
            match std::fs::metadata(above) {
                Err(e) => {
                    return Err(IoError::new(
                        &exact,
                        format!(
                            "cannot write `{shown}`: `{above_shown}` is {} that leads to no folder ({e}); {expects}: remove the link or point it at a folder",
                            if link.file_type().is_symlink() { "a symlink" } else { "an entry" }
                        ),
                    ))
                }
                Ok(meta) if !meta.is_dir() => {
                    return Err(IoError::new(
                        &exact,
                        format!(
                            "cannot write `{shown}`: `{above_shown}` is {}, not a folder; {expects}",
                            crate::policy::file_kind_or_file(&meta)
                        ),
                    ))
                }
                Ok(_) => {}
            }
        }
    }
    // A path that leads to a pipe or a terminal (`/dev/stdout`) is not a file to replace.
    if let Some(meta) = std::fs::metadata(&file)
        .ok()
        .filter(|m| !m.is_file() && !m.is_dir())
    {
        return Err(IoError::new(
            &exact,
            format!(
                "`{shown}` leads to {}, not a regular file; {expects} (for standard output use `-o -`)",
                crate::policy::file_kind(&meta)
            ),
        ));
    }
    let (_, meta) =
        files::target(&file).map_err(|m| IoError::new(&exact, format!("{m}; {expects}")))?;
    if let Some(meta) = meta {
        let inputs = input_files(&args.path);
        if let Some(input) = inputs.iter().find(|(_, key)| *key == files::key(&meta)) {
            return Err(IoError::new(
                &exact,
                format!(
                    "refusing to write `{shown}`: it is the policy file `{}` (the same file); name another output",
                    escape::path(&input.0)
                ),
            ));
        }
    }
    Ok(Destination::File(file))
}

/// The policy's files with their device and inode.
pub(super) fn input_files(path: &Path) -> Vec<(PathBuf, (u64, u64))> {
    let files = if path.is_dir() {
        crate::policy::folder_files(path)
            .map(|(found, _)| found)
            .unwrap_or_default()
    } else {
        vec![path.to_path_buf()]
    };
    files
        .into_iter()
        .filter_map(|f| {
            let key = files::key(&std::fs::metadata(&f).ok()?);
            Some((f, key))
        })
        .collect()
}

fn output_file(args: &CompileArgs) -> PathBuf {
    match (&args.output, args.target()) {
        // Terraform reads `*.tf.json` files: such a path is the file itself.
        (Some(file), Target::Terraform) if file.to_string_lossy().ends_with(".tf.json") => {
            file.clone()
        }
        (Some(dir), Target::Terraform) => dir.join(args.target().default_file()),
        (Some(file), Target::IbmApi) => file.clone(),
        (None, target) => Path::new(DEFAULT_OUT_DIR).join(target.default_file()),
    }
}

fn write_output(file: &Path, compiled: &backends::Compiled) -> Result<(), String> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the folder `{}`: {e}", escape::path(dir)))?;
    }
    files::write_with(file, |out| compiled.write_to(out))
}
