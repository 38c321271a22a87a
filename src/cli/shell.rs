//! Shell integration: `qpol completions SHELL` prints a completion script
//! (clap_complete), `qpol man` prints the manual page in roff and
//! `qpol man --out DIR` writes `qpol.1` and one `qpol-COMMAND.1` per
//! command (clap_mangen). Both are made from the clap definitions, so they
//! always list every command and flag.

use super::output::IoError;
use super::{files, note, output, Global, OutputFormat, PathArg};
use crate::diag::escape;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Install, e.g.: `qpol completions bash > ~/.local/share/bash-completion/completions/qpol`, \
`qpol completions zsh > ~/.zfunc/_qpol`, `qpol completions fish > ~/.config/fish/completions/qpol.fish`."
)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write qpol.1 and qpol-COMMAND.1 for each command into DIR instead of printing qpol.1 (DIR is made if only its last level is missing)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathArg>,
}

/// The command line's definition, as the completions and the man pages see it.
pub fn command() -> clap::Command {
    super::help::command()
}

pub fn completions(args: &CompletionsArgs, _global: Global) -> u8 {
    let mut script = Vec::new();
    let mut cmd = super::help::completion_command();
    clap_complete::generate(args.shell, &mut cmd, "qpol", &mut script);
    if args.shell == clap_complete::Shell::Bash {
        script = super::help::bash_files_first(&String::from_utf8_lossy(&script)).into_bytes();
    }
    super::write_stdout(|w| w.write_all(&script));
    0
}

/// The manual pages: `qpol.1`, then `qpol-COMMAND.1` for each command, in
/// the order of `qpol --help`.
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = command();
    cmd.build();
    let mut pages = Vec::new();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    pages.push(("qpol.1".to_string(), page));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        // clap takes a `&'static str` name (without its `string` feature):
        // a few short names, made once per run.
        let name: &'static str = Box::leak(format!("qpol-{}", sub.get_name()).into_boxed_str());
        let mut page = Vec::new();
        clap_mangen::Man::new(
            sub.clone()
                .name(name)
                .bin_name(format!("qpol {}", sub.get_name())),
        )
        .render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

pub fn man(args: &ManArgs, global: Global) -> u8 {
    let pages = match man_pages() {
        Ok(pages) => pages,
        Err(e) => {
            return output::fail(
                global,
                &[IoError::new(
                    "-",
                    format!("cannot make the manual page: {e}"),
                )],
                &[],
            )
        }
    };
    let Some(dir) = &args.out else {
        if let Some((_, page)) = pages.first() {
            super::write_stdout(|w| w.write_all(page));
        }
        return 0;
    };
    if let Err(message) = out_folder(dir) {
        return output::fail(global, &[IoError::new(dir.display(), message)], &[]);
    }
    let mut errors = Vec::new();
    let mut written = Vec::new();
    for (name, page) in &pages {
        let file = dir.join(name);
        match files::write_with(&file, |w| w.write_all(page)) {
            Ok(()) => written.push(file.display().to_string()),
            Err(message) => errors.push(IoError::new(file.display(), message)),
        }
    }
    if !errors.is_empty() {
        return output::fail(global, &errors, &[]);
    }
    match global.format {
        OutputFormat::Json => super::out(format_args!(
            "{}\n",
            serde_json::json!({ "files": written, "io_errors": [] })
        )),
        OutputFormat::Human | OutputFormat::Sarif | OutputFormat::Github => note(format!(
            "wrote {} manual pages to {}",
            written.len(),
            escape::path(dir)
        )),
    }
    0
}

/// `man --out DIR`: an existing folder, or a new one made in a folder that
/// exists (only the last level is created: a typo in a parent is not
/// silently made into folders).
fn out_folder(dir: &std::path::Path) -> Result<(), String> {
    let shown = escape::path(dir);
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(format!(
                "`{shown}` is a file; --out names a folder (made if only its last level is missing)"
            ))
        }
        Err(_) => {}
    }
    let parent = match dir.parent() {
        Some(p) if p.as_os_str().is_empty() => std::path::Path::new("."),
        Some(p) => p,
        None => std::path::Path::new("."),
    };
    if !parent.is_dir() {
        return Err(format!(
            "the folder `{}` does not exist; --out makes only the last level of DIR (create the others first)",
            escape::path(parent)
        ));
    }
    std::fs::create_dir(dir)
        .map_err(|e| format!("cannot create the folder `{shown}`: {e}; --out names a folder"))
}
