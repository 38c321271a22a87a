//! `qpol fmt [--check] PATH...`: rewrite files in place (see `files`: a
//! symlink's target is formatted, owner, mode and hard links are kept, a
//! read-only file is refused), or with `--check` show a diff and exit 1
//! when a file is not formatted. `-` reads standard input and writes
//! standard output (with `--check`, its diff; its syntax errors go to
//! stderr). A file with syntax errors is
//! refused and left untouched. With `--format json` the whole run is one
//! document: each file's `status` (and its `diff`, or for `-` its
//! `formatted` text) under `files`, syntax errors under `diagnostics`.

use super::output::{self, IoError};
use super::{files, usage_error, Global, OutputFormat, EXIT_FINDINGS, EXIT_USAGE};
use crate::diag::escape::inline;
use crate::fmt::{format_text, FormatError};
use crate::policy::{Policy, STDIN};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Files or folders to format (`-` for standard input)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Change nothing; show a diff and exit 1 if a file is not formatted
    #[arg(long)]
    pub check: bool,
}

/// What one run has seen, printed as one report at its end for JSON.
struct Run {
    global: Global,
    check: bool,
    /// The files with syntax errors, for their diagnostics' sources.
    broken: Policy,
    diagnostics: Vec<crate::diag::Diagnostic>,
    files: Vec<serde_json::Value>,
    io_errors: Vec<IoError>,
}

impl Run {
    fn json(&self) -> bool {
        self.global.format == OutputFormat::Json
    }

    /// A file's outcome under `files`; `text` is its diff or formatted text.
    fn file(&mut self, name: &str, status: &str, text: Option<(&str, &str)>) {
        let mut entry = serde_json::json!({ "path": name, "status": status });
        if let (Some((key, text)), Some(map)) = (text, entry.as_object_mut()) {
            map.insert(key.to_string(), serde_json::Value::from(text));
        }
        self.files.push(entry);
    }

    /// A file that could not be read or written: exit code 2.
    fn io_error(&mut self, name: &str, message: String) -> u8 {
        if self.json() {
            self.file(name, "error", None);
            self.io_errors.push(IoError::new(name, message));
            EXIT_USAGE
        } else {
            usage_error(message)
        }
    }

    /// A file with syntax errors (or not UTF-8): its diagnostics, exit 1.
    /// For people they go to stdout, or to stderr for `-`, whose stdout
    /// carries only the formatted text (or its diff).
    fn broken(&mut self, name: &str, bytes: Vec<u8>, why: &str) -> u8 {
        let id = self.broken.add_bytes(name, bytes);
        let found: Vec<_> = self
            .broken
            .files
            .iter()
            .filter(|(file, _)| *file == id)
            .flat_map(|(_, parsed)| parsed.diagnostics.iter().filter(|d| d.is_error()))
            .cloned()
            .collect();
        if self.json() {
            self.file(name, "syntax_errors", None);
            self.diagnostics.extend(found);
        } else {
            let stream = if name == STDIN {
                output::Stream::Stderr
            } else {
                output::Stream::Stdout
            };
            output::report(&found, &self.broken.sources, self.global, &[], &[], stream);
            super::note(format_args!("error: `{}` {why}", inline(name)));
        }
        EXIT_FINDINGS
    }
}

pub fn run(args: &FmtArgs, global: Global) -> u8 {
    let mut run = Run {
        global,
        check: args.check,
        broken: Policy::default(),
        diagnostics: Vec::new(),
        files: Vec::new(),
        io_errors: Vec::new(),
    };
    if args.paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        let message = "standard input can be read only once: name `-` once";
        let code = run.io_error(STDIN, message.to_string());
        if run.json() {
            output::report(
                &[],
                &run.broken.sources,
                global,
                &[("files", serde_json::Value::from(run.files))],
                &run.io_errors,
                output::Stream::Stdout,
            );
        }
        return code;
    }
    let mut code = 0;
    let mut found = Vec::new();
    for path in &args.paths {
        if path.as_os_str() == "-" {
            found.push((path.clone(), false));
        } else if path.is_dir() {
            match crate::policy::folder_files(path) {
                Ok((files, errors)) => {
                    found.extend(files.into_iter().map(|f| (f, true)));
                    for e in errors {
                        code = code.max(run.io_error(&e.path, e.to_string()));
                    }
                }
                Err(e) => {
                    let name = path.display().to_string();
                    let message = format!("cannot read `{}`: {e}", inline(&name));
                    code = code.max(run.io_error(&name, message));
                }
            }
        } else {
            found.push((path.clone(), false));
        }
    }
    for (file, in_folder) in found {
        code = code.max(format_one(&mut run, &file, in_folder));
    }
    if run.json() {
        crate::diag::sort(&mut run.diagnostics);
        output::report(
            &run.diagnostics,
            &run.broken.sources,
            global,
            &[("files", serde_json::Value::from(run.files))],
            &run.io_errors,
            output::Stream::Stdout,
        );
    }
    code
}

fn format_one(run: &mut Run, path: &Path, in_folder: bool) -> u8 {
    let stdin = path.as_os_str() == "-";
    let check = run.check;
    let name = if stdin {
        STDIN.to_string()
    } else {
        path.display().to_string()
    };
    // The name in text for people: one line, whatever the file is called.
    let shown = inline(&name).into_owned();
    let bytes = if stdin {
        match crate::policy::read_stdin() {
            Ok(bytes) => bytes,
            Err(e) => return run.io_error(&name, format!("cannot read standard input: {e}")),
        }
    } else {
        // A file to rewrite must be a regular one: refuse a FIFO before
        // reading it blocks (`--check` may read a pipe, `<(...)`).
        if let (false, Err(message)) = (check, files::target(path)) {
            let stream = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
            let message = if stream {
                format!("{message}; to format a stream, pipe it through `qpol fmt -` (`qpol fmt - < FILE` prints the formatted text)")
            } else {
                message
            };
            return run.io_error(&name, message);
        }
        let read = if in_folder {
            crate::policy::read_regular(path)
        } else {
            crate::policy::read_named(path)
        };
        match read {
            Ok(b) => b,
            Err(e) => return run.io_error(&name, format!("cannot read `{shown}`: {e}")),
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => return run.broken(&name, e.into_bytes(), "was not formatted"),
    };
    let format = if check {
        crate::fmt::format_for_check
    } else {
        format_text
    };
    let formatted = match format(&name, &text) {
        Ok(f) => f,
        Err(FormatError::Syntax(_)) => {
            let why = "has syntax errors and was not formatted";
            return run.broken(&name, text.into_bytes(), why);
        }
        Err(e @ FormatError::Unsound(_)) => return run.io_error(&name, format!("`{shown}`: {e}")),
    };
    if stdin && !check {
        if run.json() {
            let status = if formatted == text {
                "unchanged"
            } else {
                "formatted"
            };
            run.file(&name, status, Some(("formatted", &formatted)));
        } else {
            super::out(&formatted);
        }
        return 0;
    }
    if formatted == text {
        run.file(&name, "unchanged", None);
        return 0;
    }
    if check {
        if run.json() {
            let diff =
                crate::fmt::diff::unified(&text, &formatted, &name, &format!("{name} (formatted)"));
            run.file(&name, "unformatted", Some(("diff", &diff)));
        } else {
            // The headers name the file escaped: a name cannot forge a line.
            let diff = crate::fmt::diff::unified(
                &text,
                &formatted,
                &shown,
                &format!("{shown} (formatted)"),
            );
            super::out_human(&diff);
            if stdin {
                super::note("`<stdin>` is not formatted; format it with `qpol fmt -`");
            } else if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
                super::note(format_args!(
                    "`{shown}` is not formatted; run `qpol fmt {shown}`"
                ));
            } else {
                // A pipe or a device cannot be rewritten in place.
                super::note(format_args!(
                    "`{shown}` is not formatted; it is not a regular file, so format its text with `qpol fmt - < FILE`"
                ));
            }
        }
        return EXIT_FINDINGS;
    }
    match files::write_with(path, |out| out.write_all(formatted.as_bytes())) {
        Ok(()) => {
            run.file(&name, "formatted", None);
            if !run.json() {
                super::note(format_args!("formatted {shown}"));
            }
            0
        }
        Err(message) => run.io_error(&name, message),
    }
}
