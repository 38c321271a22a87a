//! `qpol explain [CODE]`: the documentation of a diagnostic code. With
//! `--format json`: `{"codes": [{"code", "severity", "title"}, ...]}`, or
//! one code's `{"code", "severity", "title", "explanation"}` (and
//! `actions` for Q103); an unknown code is a document with `io_errors`.

use super::{output, Global, OutputFormat};
use crate::diag::codes::{Code, CodeInfo, TABLE};

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A code such as Q201; without one, every code is listed
    pub code: Option<String>,
}

fn json(info: &CodeInfo) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    map.insert("code".into(), info.id.into());
    map.insert("severity".into(), info.severity.to_string().into());
    map.insert("title".into(), info.title.into());
    map
}

pub fn run(args: &ExplainArgs, global: Global) -> u8 {
    if global.format == OutputFormat::Json {
        return run_json(args, global);
    }
    let Some(id) = &args.code else {
        for row in TABLE {
            super::out(format_args!(
                "{}  {:<8} {}\n",
                row.id, row.severity, row.title
            ));
        }
        return 0;
    };
    let Some(code) = Code::from_id(id) else {
        return super::usage_error(unknown(id));
    };
    let info = code.info();
    super::out(format_args!(
        "{} ({}): {}\n\n{}\n",
        info.id, info.severity, info.title, info.explanation
    ));
    if let Some(what) = crate::model::concerns(code) {
        super::out(format_args!(
            "\nAcknowledging it: its findings concern {what}.\n"
        ));
    }
    if code == Code::UnknownAction {
        super::out("\nActions of quantum-computing:\n");
        for a in crate::model::actions::all() {
            super::out(format_args!("  {a}\n"));
        }
    }
    0
}

/// The message for a code that does not exist, with a did-you-mean.
fn unknown(id: &str) -> String {
    let suggestion = crate::diag::did_you_mean(&id.to_uppercase(), TABLE.iter().map(|r| r.id));
    let hint = suggestion.map_or_else(
        || "run `qpol explain` to list them".to_string(),
        |s| format!("did you mean `{s}`?"),
    );
    format!("`{id}` is not a qpol diagnostic code; {hint}")
}

fn run_json(args: &ExplainArgs, global: Global) -> u8 {
    let doc = match &args.code {
        None => serde_json::json!({ "codes": TABLE.iter().map(json).collect::<Vec<_>>() }),
        Some(id) => {
            let Some(code) = Code::from_id(id) else {
                return output::fail(global, &[output::IoError::new(id, unknown(id))], &[]);
            };
            let info = code.info();
            let mut map = json(info);
            map.insert("explanation".into(), info.explanation.into());
            if let Some(what) = crate::model::concerns(code) {
                map.insert("concerns".into(), what.into());
            }
            if code == Code::UnknownAction {
                let actions: Vec<String> = crate::model::actions::all()
                    .map(|a| a.to_string())
                    .collect();
                map.insert("actions".into(), actions.into());
            }
            serde_json::Value::Object(map)
        }
    };
    super::out(format_args!("{doc:#}\n"));
    0
}
