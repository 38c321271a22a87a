//! `qpol fmt [--check] PATH...`: rewrite files in place (atomically), or
//! with `--check` show a diff and exit 1 when a file is not formatted.
//! `-` reads standard input and writes standard output. A file with syntax
//! errors is refused and left untouched.

use super::{output, usage_error, Global, EXIT_FINDINGS};
use crate::fmt::{format_text, FormatError};
use crate::policy::Policy;
use std::io::Read;
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

pub fn run(args: &FmtArgs, global: Global) -> u8 {
    let mut files = Vec::new();
    for path in &args.paths {
        if path.as_os_str() == "-" {
            files.push(path.clone());
        } else if path.is_dir() {
            match policy_files(path) {
                Ok(found) => files.extend(found),
                Err(e) => return usage_error(format!("cannot read `{}`: {e}", path.display())),
            }
        } else {
            files.push(path.clone());
        }
    }
    let mut code = 0;
    for file in files {
        code = code.max(format_one(&file, args.check, global));
    }
    code
}

fn policy_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "qpol"))
        .collect();
    found.sort();
    Ok(found)
}

fn format_one(path: &Path, check: bool, global: Global) -> u8 {
    let stdin = path.as_os_str() == "-";
    let name = if stdin {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let bytes = if stdin {
        let mut buf = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut buf) {
            return usage_error(format!("cannot read standard input: {e}"));
        }
        buf
    } else {
        match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return usage_error(format!("cannot read `{name}`: {e}")),
        }
    };
    let Ok(text) = String::from_utf8(bytes.clone()) else {
        let mut policy = Policy::default();
        policy.add_bytes(&name, bytes);
        let diagnostics: Vec<_> = policy.syntax_diagnostics().cloned().collect();
        output::print(&diagnostics, &policy.sources, global, &[]);
        super::note(format_args!("error: `{name}` was not formatted"));
        return EXIT_FINDINGS;
    };
    let format = if check && !stdin {
        crate::fmt::format_for_check
    } else {
        format_text
    };
    let formatted = match format(&name, &text) {
        Ok(f) => f,
        Err(FormatError::Syntax(diagnostics)) => {
            let policy = Policy::from_texts([(name.as_str(), text.as_str())]);
            output::print(&diagnostics, &policy.sources, global, &[]);
            super::note(format_args!(
                "error: `{name}` has syntax errors and was not formatted"
            ));
            return EXIT_FINDINGS;
        }
        Err(e @ FormatError::Unsound(_)) => return usage_error(format!("`{name}`: {e}")),
    };
    if stdin {
        super::out(&formatted);
        return 0;
    }
    if formatted == text {
        return 0;
    }
    if check {
        let diff =
            crate::fmt::diff::unified(&text, &formatted, &name, &format!("{name} (formatted)"));
        super::out(&diff);
        super::note(format_args!(
            "`{name}` is not formatted; run `qpol fmt {name}`"
        ));
        return EXIT_FINDINGS;
    }
    match write_atomically(path, &formatted) {
        Ok(()) => {
            super::note(format_args!("formatted {name}"));
            0
        }
        Err(e) => usage_error(format!("cannot write `{name}`: {e}")),
    }
}

/// Write to a temporary file beside the target, then rename over it, so an
/// interrupted write never leaves a truncated policy.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    write_atomically_with(path, |out| out.write_all(text.as_bytes()))
}

/// [`write_atomically`], the content written by `fill`.
pub fn write_atomically_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.qpol-tmp-{}", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        fill(&mut file)?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&temp, meta.permissions());
    }
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}
