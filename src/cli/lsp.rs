//! `qpol lsp`: run the language server on stdin and stdout (see
//! [`crate::lsp`]). Exit 0 after `shutdown` and `exit`; 1 when the client
//! goes away without them or sends `exit` first (as the protocol asks).

use super::Global;

#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// Accepted for clients that pass it (VS Code): stdio is the only transport
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_args: &LspArgs, _global: Global) -> u8 {
    match crate::lsp::run_stdio() {
        Ok(()) => 0,
        Err(e) => {
            super::note(format_args!("qpol lsp: {e}"));
            super::EXIT_FINDINGS
        }
    }
}
