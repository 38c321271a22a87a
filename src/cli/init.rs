//! `qpol init [DIR]`: make a policy repository for a new organization (the
//! files of `scaffold`). The answers come from flags; on a terminal the
//! ones not given are asked for (never when stdin is not a terminal, or
//! with `--yes`). The policy is checked and its asserts run before anything
//! is written. Files that exist with the same content are left alone; files
//! that exist with other content (or other `*.qpol` files beside the
//! policy) stop the run before anything is written, listed, unless
//! `--force`. Exit 0 written or nothing to do, 2 usage or I/O error.

use super::output::{self, IoError, Stream};
use super::{files, out, Global, OutputFormat};
use crate::diag::escape;
use crate::scaffold::{self, Answers, File, Idp};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The repository folder (made if missing)
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// A project to start with; repeat for more [default: example]
    #[arg(long = "project", value_name = "NAME")]
    pub projects: Vec<String>,
    /// How users log in: an App ID instance qpol creates, or a SAML identity provider of the account [default: appid]
    #[arg(long, value_enum, value_name = "KIND")]
    pub idp: Option<IdpArg>,
    /// The region of the instances and of the App ID instance [default: us-east]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The IBM Cloud account id (32 hexadecimal characters), written into the policy's `account` block
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Replace files that exist with other content
    #[arg(long)]
    pub force: bool,
    /// Ask nothing: the flags, and defaults for the rest (always so when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IdpArg {
    Appid,
    Saml,
}

/// What writing one file would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    Same,
    Differs,
}

pub fn run(args: &InitArgs, global: Global) -> u8 {
    let keys = [
        ("written", serde_json::json!([])),
        ("unchanged", serde_json::json!([])),
    ];
    let fail = |message: String| {
        output::fail_to(global, &[IoError::new("-", message)], &keys, Stream::Stdout)
    };
    let interactive = !args.yes && {
        use std::io::IsTerminal;
        std::io::stdin().is_terminal()
    };
    let answers = if interactive {
        let stdin = std::io::stdin();
        ask(args, &mut stdin.lock(), &mut std::io::stderr())
    } else {
        from_flags(args)
    };
    let answers = match answers {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let repository = match prepare(&answers) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let states = match survey(&args.dir, &repository) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let shown_dir = escape::path(&args.dir);
    if args.dir.as_os_str() == "-" {
        return fail(
            "`-` is not a folder here: qpol init writes files, not standard output; name a folder (`./-` for one named `-`)".to_string(),
        );
    }
    let differing: Vec<&str> = states
        .iter()
        .filter(|(_, s)| *s == State::Differs)
        .map(|(f, _)| f.path)
        .collect();
    let others = other_policies(&args.dir.join("policies"));
    if !others.is_empty() {
        let mut lines = vec![format!(
            "qpol init wrote nothing: {shown_dir}/policies already holds a policy; main.qpol beside it would be read as one policy with it"
        )];
        lines.extend(others.iter().map(|p| format!("  policies/{p}")));
        lines.push(
            "hint: run qpol init in an empty folder, or move those files out of policies/ first (--force does not remove them)"
                .to_string(),
        );
        return fail(lines.join("\n"));
    }
    if !args.force && !differing.is_empty() {
        let mut lines = vec![format!(
            "qpol init wrote nothing: {shown_dir} already holds files it would change"
        )];
        lines.extend(differing.iter().map(|p| format!("  {p} (other content)")));
        lines.push(
            "hint: run it in an empty folder, move those files away, or add --force to replace them"
                .to_string(),
        );
        return fail(lines.join("\n"));
    }
    let mut written = Vec::new();
    for (file, state) in &states {
        if *state == State::Same {
            continue;
        }
        if let Err(e) = write(&args.dir, file) {
            let done = if written.is_empty() {
                "nothing was written".to_string()
            } else {
                format!("written before it: {}", written.join(", "))
            };
            return fail(format!(
                "{e}\n{done}\nhint: fix the cause and run qpol init again with the same answers: it keeps the files that are already right"
            ));
        }
        written.push(file.path);
    }
    let unchanged: Vec<&str> = states
        .iter()
        .filter(|(_, s)| *s == State::Same)
        .map(|(f, _)| f.path)
        .collect();
    if global.format == OutputFormat::Json {
        let keys = [
            ("written", serde_json::json!(written)),
            ("unchanged", serde_json::json!(unchanged)),
        ];
        let sources = crate::diag::SourceMap::default();
        output::report(&[], &sources, global, &keys, &[], Stream::Stdout);
        return 0;
    }
    if written.is_empty() {
        out(format_args!(
            "Nothing to do: {shown_dir} already holds the {} files qpol init writes, with the same content:\n",
            unchanged.len()
        ));
        for path in &unchanged {
            out(format_args!("  {path}\n"));
        }
        out("(qpol init leaves a file that exists as it is; --force replaces files whose content differs)\n");
        return 0;
    }
    report(&args.dir, &answers, &states);
    0
}

/// The answers from the flags alone, defaults for the rest.
fn from_flags(args: &InitArgs) -> Result<Answers, String> {
    let defaults = Answers::default();
    let answers = Answers {
        projects: if args.projects.is_empty() {
            defaults.projects
        } else {
            args.projects.clone()
        },
        idp: match args.idp {
            Some(IdpArg::Saml) => Idp::Saml,
            Some(IdpArg::Appid) | None => Idp::AppId,
        },
        region: args.region.clone().unwrap_or(defaults.region),
        account: args.account.clone(),
    };
    scaffold::check_projects(&answers.projects).map_err(flag("--project"))?;
    scaffold::check_region(&answers.region).map_err(flag("--region"))?;
    if let Some(id) = &answers.account {
        scaffold::check_account(id).map_err(flag("--account"))?;
    }
    Ok(answers)
}

fn flag(name: &'static str) -> impl Fn(String) -> String {
    move |e| format!("{name}: {e}")
}

/// Ask for what the flags left out, on `output`, reading lines of `input`.
/// An empty line takes the default; a wrong answer is asked again (three
/// times, then the run stops); end of input takes the defaults.
fn ask(
    args: &InitArgs,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> Result<Answers, String> {
    let mut answers = from_flags(args)?;
    let _ = writeln!(
        output,
        "qpol init: a few questions (Enter takes the [default]; --yes skips them)"
    );
    if args.projects.is_empty() {
        answers.projects = question(
            input,
            output,
            "Projects, separated by spaces or commas",
            scaffold::DEFAULT_PROJECT,
            |text| {
                let names: Vec<String> = text
                    .split([',', ' ', '\t'])
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .collect();
                scaffold::check_projects(&names).map(|()| names)
            },
        )?;
    }
    if args.idp.is_none() {
        answers.idp = question(
            input,
            output,
            "Identity provider, appid or saml",
            "appid",
            |text| Idp::parse(text).ok_or_else(|| "answer appid or saml".to_string()),
        )?;
    }
    if args.region.is_none() {
        answers.region = question(
            input,
            output,
            "Region of the instances",
            scaffold::DEFAULT_REGION,
            |text| scaffold::check_region(text).map(|()| text.to_string()),
        )?;
    }
    if args.account.is_none() {
        answers.account = question(
            input,
            output,
            "IBM Cloud account id (`ibmcloud account show`; Enter: none)",
            "",
            |text| match text {
                "" => Ok(None),
                id => scaffold::check_account(id).map(|()| Some(id.to_string())),
            },
        )?;
    }
    Ok(answers)
}

/// One question: the answer `parse` accepts, the default's on an empty line
/// or at end of input.
fn question<T>(
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    text: &str,
    default: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, String> {
    for _ in 0..3 {
        let _ = match default {
            "" => write!(output, "{text}: "),
            _ => write!(output, "{text} [{default}]: "),
        };
        let _ = output.flush();
        let mut line = String::new();
        let read = input
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the answer: {e}"))?;
        let answer = line.trim();
        if read == 0 {
            let _ = writeln!(output);
            return Err(format!(
                "no answer to `{text}` (end of input): nothing was written; answer with flags and --yes to run without questions"
            ));
        }
        match parse(if answer.is_empty() { default } else { answer }) {
            Ok(value) => return Ok(value),
            Err(e) => {
                let _ = writeln!(output, "  {e}");
            }
        }
    }
    Err(format!(
        "no valid answer to `{text}` after three tries; give it as a flag (see `qpol init --help`)"
    ))
}

/// The repository's files, the policy formatted, checked clean and its
/// asserts passing (or why not: the answers make a policy with findings).
fn prepare(answers: &Answers) -> Result<Vec<File>, String> {
    let mut repository = scaffold::repository(answers);
    for file in repository.iter_mut() {
        if file.path == scaffold::POLICY_FILE {
            file.contents = crate::fmt::format_text(file.path, &file.contents).map_err(|e| {
                format!("internal error: the policy qpol init made does not format: {e}")
            })?;
            verify(&file.contents)?;
        }
    }
    Ok(repository)
}

/// The policy checks clean (no error, no warning) and its asserts pass.
fn verify(text: &str) -> Result<(), String> {
    let policy = crate::policy::Policy::from_texts([(scaffold::POLICY_FILE, text)]);
    let analysis = crate::pipeline::Analysis::new(policy);
    let outcome = crate::access::assertions::run(&analysis.access());
    let mut findings: Vec<String> = analysis
        .diagnostics
        .iter()
        .chain(&outcome.diagnostics)
        .filter(|d| d.counts_as(crate::diag::Severity::Warning))
        .map(|d| format!("  {}: {}", d.code.id(), d.message))
        .collect();
    if findings.is_empty() && outcome.failed == 0 {
        return Ok(());
    }
    findings.sort();
    findings.dedup();
    let overlap = findings
        .iter()
        .any(|f| f.starts_with("  Q201") || f.starts_with("  Q202"));
    let hint = if overlap {
        "choose project names none of which occurs inside another, or start with one of them and add the others by hand (`qpol explain Q201` shows how overlapping names can be kept apart)"
    } else {
        "start with fewer or other answers and add the rest by hand; `qpol explain CODE` says more about each finding"
    };
    Err(format!(
        "qpol init wrote nothing: the policy these answers make has findings:\n{}\nhint: {hint}",
        findings.join("\n")
    ))
}

/// What writing each file would do; an existing path that is not a regular
/// file (a folder, a device, a dangling symlink) stops the run.
fn survey<'a>(dir: &Path, repository: &'a [File]) -> Result<Vec<(&'a File, State)>, String> {
    if let Ok(meta) = std::fs::metadata(dir) {
        if !meta.is_dir() {
            return Err(format!(
                "`{}` is {}, not a folder; qpol init makes a repository in a folder: name a folder (made if missing)",
                escape::path(dir),
                crate::policy::file_kind_or_file(&meta)
            ));
        }
    }
    if std::fs::symlink_metadata(dir).is_ok() && std::fs::metadata(dir).is_err() {
        return Err(format!(
            "`{}` is a symlink that leads nowhere; name a folder (made if missing)",
            escape::path(dir)
        ));
    }
    let mut states = Vec::with_capacity(repository.len());
    for file in repository {
        no_detour(dir, file.path)?;
        let path = dir.join(file.path);
        let (_, meta) = files::target(&path)?;
        let state = match meta {
            None => State::New,
            Some(_) => match std::fs::read(&path) {
                Ok(old) if old == file.contents.as_bytes() => State::Same,
                Ok(_) => State::Differs,
                Err(e) => return Err(format!("cannot read `{}`: {e}", escape::path(&path))),
            },
        };
        states.push((file, state));
    }
    Ok(states)
}

/// Every step of `relative` below `dir` is a real folder (or missing) and
/// the file itself no symlink: qpol init writes only inside the repository,
/// never through a link to somewhere else (not even with --force).
fn no_detour(dir: &Path, relative: &str) -> Result<(), String> {
    let mut path = dir.to_path_buf();
    let steps: Vec<&str> = relative.split('/').collect();
    for (i, step) in steps.iter().enumerate() {
        path.push(step);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return Ok(());
        };
        let last = i + 1 == steps.len();
        let shown = escape::path(&path);
        if meta.file_type().is_symlink() {
            return Err(format!(
                "`{shown}` is a symlink; qpol init writes only inside the repository, never through a link: remove it, or run qpol init in another folder"
            ));
        }
        if !last && !meta.is_dir() {
            return Err(format!(
                "`{shown}` is {}, where qpol init needs a folder (for {relative}); move it away, or run qpol init in another folder",
                crate::policy::file_kind_or_file(&meta)
            ));
        }
    }
    Ok(())
}

/// The `*.qpol` files in `dir` other than the policy qpol init writes.
fn other_policies(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".qpol") && n != "main.qpol")
        .map(|n| escape::inline(&n).to_string())
        .collect();
    names.sort();
    names
}

fn write(dir: &Path, file: &File) -> Result<(), String> {
    let path = dir.join(file.path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot make `{}`: {e}", escape::path(parent)))?;
    }
    files::write_with(&path, |w| w.write_all(file.contents.as_bytes()))
}

/// `word` as a shell reads it back: as it is when it is plain, else in
/// single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '+' | '@'));
    if word.chars().any(|c| c.is_control() || !c.is_ascii()) {
        // Bash's $'...': control characters and non-ASCII as \xHH bytes,
        // so nothing reaches the terminal raw (no escape, no bidi control).
        let mut quoted = String::from("$'");
        for c in word.chars() {
            match c {
                '\\' | '\'' => {
                    quoted.push('\\');
                    quoted.push(c);
                }
                c if c.is_control() || !c.is_ascii() => {
                    for byte in c.to_string().bytes() {
                        quoted.push_str(&format!("\\x{byte:02x}"));
                    }
                }
                c => quoted.push(c),
            }
        }
        quoted.push('\'');
        return quoted;
    }
    if plain && word.starts_with('-') {
        format!("./{word}")
    } else if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// What was written, and what to run next.
fn report(dir: &Path, answers: &Answers, states: &[(&File, State)]) {
    let shown = escape::path(dir);
    out(format_args!(
        "Made a qpol policy repository in {shown}: {}\n\n",
        scaffold::summary(answers)
    ));
    let width = states.iter().map(|(f, _)| f.path.len()).max().unwrap_or(0);
    for (file, state) in states {
        let what = match state {
            State::New => "wrote",
            State::Differs => "replaced",
            State::Same => "kept",
        };
        out(format_args!(
            "  {what:<8} {:<width$}  {}\n",
            file.path, file.purpose
        ));
    }
    let cd = if dir == Path::new(".") {
        String::new()
    } else {
        // The real name, quoted so a shell reads it back (escaped for
        // display only when it is not UTF-8).
        format!(
            "  cd {}\n",
            dir.to_str().map_or_else(|| shown.to_string(), shell_word)
        )
    };
    out(format_args!(
        "\nNext:\n{cd}  qpol check policies       # edit policies/main.qpol until this is clean\n  qpol test policies        # its asserts: who may and may not do what\n  qpol compile policies     # out/main.tf.json, then: terraform -chdir=out init && terraform -chdir=out apply\n  git init -b main && pre-commit install   # checks on every commit (the GitHub workflow runs them on pull requests)\n"
    ));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(flags: &[&str]) -> InitArgs {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            init: InitArgs,
        }
        let mut argv = vec!["init"];
        argv.extend_from_slice(flags);
        Wrap::parse_from(argv).init
    }

    fn asked(flags: &[&str], typed: &str) -> (Result<Answers, String>, String) {
        let mut input = std::io::Cursor::new(typed.as_bytes().to_vec());
        let mut shown = Vec::new();
        let answers = ask(&args(flags), &mut input, &mut shown);
        (answers, String::from_utf8_lossy(&shown).into_owned())
    }

    #[test]
    fn enter_takes_every_default() {
        let (answers, shown) = asked(&[], "\n\n\n\n");
        assert_eq!(answers, Ok(Answers::default()));
        assert!(shown.contains("Projects, separated by spaces or commas [example]: "));
        assert!(shown.contains("Region of the instances [us-east]: "));
    }

    #[test]
    fn answers_are_read_and_wrong_ones_asked_again() {
        let (answers, shown) = asked(
            &[],
            "ml, finance\nldap\nsaml\neu-de\n0123456789abcdef0123456789abcdef\n",
        );
        let answers = answers.unwrap();
        assert_eq!(answers.projects, ["ml", "finance"]);
        assert_eq!(answers.idp, Idp::Saml);
        assert_eq!(answers.region, "eu-de");
        assert_eq!(
            answers.account.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert!(shown.contains("answer appid or saml"), "{shown}");
    }

    #[test]
    fn flags_are_not_asked_again() {
        let (answers, shown) = asked(&["--project", "chem", "--idp", "saml"], "\n\n");
        let answers = answers.unwrap();
        assert_eq!(answers.projects, ["chem"]);
        assert_eq!(answers.idp, Idp::Saml);
        assert_eq!(answers.region, "us-east");
        assert!(!shown.contains("Projects"));
        assert!(!shown.contains("Identity provider"));
    }

    #[test]
    fn end_of_input_at_a_question_stops_the_run() {
        let (answers, _) = asked(&[], "ml\n");
        assert!(
            answers.is_err_and(|e| e.contains("end of input") && e.contains("nothing was written"))
        );
    }

    #[test]
    fn three_wrong_answers_stop_the_run() {
        let (answers, _) = asked(&[], "-x\n-y\n-z\n");
        assert!(answers.is_err_and(|e| e.contains("after three tries")));
    }

    #[test]
    fn folder_names_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_word("my-org/sub"), "my-org/sub");
        assert_eq!(shell_word("my org"), "'my org'");
        assert_eq!(shell_word("-x"), "./-x");
        assert_eq!(shell_word("a\nb's\u{1b}"), "$'a\\x0ab\\'s\\x1b'");
        assert_eq!(shell_word("é\u{202e}"), "$'\\xc3\\xa9\\xe2\\x80\\xae'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }

    #[test]
    fn overlapping_project_names_are_refused_before_writing() {
        let answers = Answers {
            projects: vec!["ml".to_string(), "html".to_string()],
            ..Answers::default()
        };
        let error = prepare(&answers).unwrap_err();
        assert!(error.contains("`ml` occurs inside `html`"), "{error}");
    }
}
