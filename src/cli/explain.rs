//! `qpol explain [CODE]`: the documentation of a diagnostic code.

use crate::diag::codes::{Code, TABLE};

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A code such as Q201; without one, every code is listed
    pub code: Option<String>,
}

pub fn run(args: &ExplainArgs) -> u8 {
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
        let suggestion = crate::diag::did_you_mean(&id.to_uppercase(), TABLE.iter().map(|r| r.id));
        let hint = suggestion.map_or_else(
            || "run `qpol explain` to list them".to_string(),
            |s| format!("did you mean `{s}`?"),
        );
        return super::usage_error(format!("`{id}` is not a qpol diagnostic code; {hint}"));
    };
    let info = code.info();
    super::out(format_args!(
        "{} ({}): {}\n\n{}\n",
        info.id, info.severity, info.title, info.explanation
    ));
    if code == Code::UnknownAction {
        super::out("\nActions of quantum-computing:\n");
        for a in crate::model::actions::all() {
            super::out(format_args!("  {a}\n"));
        }
    }
    0
}
