//! `qpol import [--account ID] -o DIR`: write the live account as a
//! formatted policy, `DIR/main.qpol` (see `live::import`). What the
//! language cannot express is kept in it as comments; each such note is
//! printed as a warning. An existing `main.qpol` is not overwritten
//! without `--force`. Exit 0 written, 2 usage, I/O, network or API errors.

use super::ConnectArgs;
use crate::cli::output::{self, IoError};
use crate::cli::{files, note, Global};
use crate::diag::escape;
use crate::live::{import, read};
use std::path::PathBuf;

/// The file `import` writes in its folder.
pub const FILE: &str = "main.qpol";

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The folder to write main.qpol into (made if missing)
    #[arg(long = "output", short = 'o', value_name = "DIR")]
    pub output: PathBuf,
    /// Replace an existing DIR/main.qpol
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

pub fn run(args: &ImportArgs, global: Global) -> u8 {
    let fail = |message: String| output::fail(global, &[IoError::new("-", message)], &[]);
    let target = args.output.join(FILE);
    let shown = escape::path(&target);
    if target.exists() && !args.force {
        return fail(format!(
            "`{shown}` exists; qpol import does not overwrite it\nhint: choose another folder, or add --force to replace it"
        ));
    }
    let account_id = match args.connect.account_id(None) {
        Ok(id) => id,
        Err(e) => return fail(e),
    };
    let client = match args.connect.client(super::plan::DEFAULT_PARALLELISM) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let account = match read::read_account(&client, &account_id) {
        Ok(a) => a,
        Err(e) => return fail(e.to_string()),
    };
    let imported = import::policy(&account);
    if let Err(e) = std::fs::create_dir_all(&args.output) {
        return fail(format!("cannot make `{}`: {e}", escape::path(&args.output)));
    }
    if let Err(e) = files::write_with(&target, |w| w.write_all(imported.text.as_bytes())) {
        return fail(e);
    }
    for n in &imported.notes {
        note(format_args!("warning: {n}"));
    }
    note(format_args!(
        "wrote {shown}: {} notes; next: `qpol check {shown}` and `qpol plan {shown}`",
        imported.notes.len()
    ));
    0
}
