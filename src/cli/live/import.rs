//! `qpol import [--account ID] -o DIR`: write the live account as a
//! formatted policy, `DIR/main.qpol` (see `live::import`). What the
//! language cannot express is kept in it as comments; each such note is
//! printed as a warning. An existing `main.qpol` is not overwritten
//! without `--force`. `-o` names a folder: `-` (standard output), a file
//! and a device are refused before anything is read. With `--format json`
//! stdout is one document: `output` (the file written, or null), `comments`
//! (the notes), beside the usual keys. Exit 0 written, 2 usage, I/O,
//! network or API errors.

use super::{ConnectArgs, ParallelismArg, Report};
use crate::cli::output::{self, Stream};
use crate::cli::{files, note, Global, OutputFormat};
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
    pub parallelism: ParallelismArg,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

pub fn run(args: &ImportArgs, global: Global) -> u8 {
    let failure = Report {
        keys: vec![
            ("output", serde_json::Value::Null),
            ("comments", serde_json::json!([])),
        ],
        stream: Stream::Stdout,
    };
    let fail = |message: String| failure.fail(global, message);
    let target = args.output.join(FILE);
    let shown = escape::path(&target);
    if let Err(e) = folder(&args.output) {
        return fail(e);
    }
    if target.exists() && !args.force {
        return fail(format!(
            "`{shown}` exists; qpol import does not overwrite it\nhint: choose another folder, or add --force to replace it"
        ));
    }
    let account_id = match args.connect.account_id(None) {
        Ok(id) => id,
        Err(e) => return fail(e),
    };
    let client = match args.connect.client(args.parallelism.get()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let account = match read::read_account(&client, &account_id) {
        Ok(a) => a,
        Err(e) => return fail(e.to_string()),
    };
    let mut imported = import::policy(&account);
    if let Some(others) = other_policies(&args.output) {
        imported.notes.push(format!(
            "{} holds other *.qpol files ({others}): `qpol check` of the folder reads them with {FILE} as one policy; import into an empty folder to review it alone",
            escape::path(&args.output)
        ));
    }
    if let Err(e) = std::fs::create_dir_all(&args.output) {
        return fail(format!("cannot make `{}`: {e}", escape::path(&args.output)));
    }
    if let Err(e) = files::write_with(&target, |w| w.write_all(imported.text.as_bytes())) {
        return fail(e);
    }
    if global.format == OutputFormat::Json {
        let keys = [
            (
                "output",
                serde_json::Value::from(target.display().to_string()),
            ),
            ("comments", serde_json::json!(imported.notes)),
        ];
        let sources = crate::diag::SourceMap::default();
        output::report(&[], &sources, global, &keys, &[], Stream::Stdout);
        return 0;
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

/// `-o` must name a folder, or nothing yet (it is made): not `-`, a file
/// or a device.
fn folder(dir: &std::path::Path) -> Result<(), String> {
    let shown = escape::path(dir);
    let expects = "qpol import writes DIR/main.qpol: name a folder (made if missing)";
    if dir.as_os_str() == "-" {
        return Err(format!(
            "`-o -`: qpol import does not write to standard output; {expects}"
        ));
    }
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(format!(
            "`-o {shown}` is {}, not a folder; {expects}",
            crate::policy::file_kind_or_file(&meta)
        )),
        _ => Ok(()),
    }
}

/// The other `*.qpol` files in `dir` (named, at most three), if any.
fn other_policies(dir: &std::path::Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".qpol") && n != FILE)
        .collect();
    names.sort();
    let more = names.len().saturating_sub(3);
    names.truncate(3);
    let mut shown: Vec<String> = names
        .iter()
        .map(|n| format!("`{}`", escape::inline(n)))
        .collect();
    if more > 0 {
        shown.push(format!("and {more} more"));
    }
    (!shown.is_empty()).then(|| shown.join(", "))
}
