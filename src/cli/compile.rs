//! `qpol compile PATH [--target terraform|ibm-api] [-o OUT]`: check, then
//! write the target's file atomically. A policy with errors writes nothing
//! and leaves any earlier output untouched.

use super::format::write_atomically_with;
use super::{note, output, usage_error, Global, OutputFormat, PathArg};
use crate::backends::{self, Target};
use crate::checks;
use crate::policy::load;
use std::path::{Path, PathBuf};

/// Where output goes when `-o` is not given.
pub const DEFAULT_OUT_DIR: &str = "out";

#[derive(Debug, clap::Args)]
pub struct CompileArgs {
    /// A policy file, or a folder of *.qpol files read as one policy
    pub path: PathArg,
    /// What to produce
    #[arg(long, short, value_enum, default_value = "terraform")]
    pub target: Target,
    /// Output: for terraform a folder (main.tf.json is written into it) or
    /// a `*.tf.json` file, for ibm-api a file; default `out/main.tf.json` or
    /// `out/plan.json`
    #[arg(long, short)]
    pub output: Option<PathArg>,
}

pub fn run(args: &CompileArgs, global: Global) -> u8 {
    let policy = match load(&args.path) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    let result = checks::check(policy);
    let compiled = backends::compile(&result, args.target);
    let file = output_file(args);
    let written = match &compiled.deployment {
        Some(_) => match write_output(&file, &compiled) {
            Ok(()) => true,
            Err(e) => {
                output::print(&compiled.diagnostics, &result.sources, global, &[]);
                return usage_error(format!("cannot write `{}`: {e}", file.display()));
            }
        },
        None => false,
    };
    let shown = file.display().to_string();
    let extra = [(
        "output",
        if written {
            serde_json::Value::from(shown.as_str())
        } else {
            serde_json::Value::Null
        },
    )];
    output::print(&compiled.diagnostics, &result.sources, global, &extra);
    if global.format == OutputFormat::Human {
        if written {
            note(format!("wrote {shown}"));
        } else {
            note("nothing written: fix the errors above and compile again");
        }
    }
    let code = output::exit_code(&compiled.diagnostics, global);
    std::mem::forget(result);
    code
}

fn output_file(args: &CompileArgs) -> PathBuf {
    match (&args.output, args.target) {
        // Terraform reads `*.tf.json` files: such a path is the file itself.
        (Some(file), Target::Terraform) if file.to_string_lossy().ends_with(".tf.json") => {
            file.clone()
        }
        (Some(dir), Target::Terraform) => dir.join(args.target.default_file()),
        (Some(file), Target::IbmApi) => file.clone(),
        (None, target) => Path::new(DEFAULT_OUT_DIR).join(target.default_file()),
    }
}

fn write_output(file: &Path, compiled: &backends::Compiled) -> std::io::Result<()> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_atomically_with(file, |out| compiled.write_to(out))
}
