//! The requests the server answers, one function each, and the
//! capabilities it announces. A request reads a [`Snapshot`] of its policy
//! (the worker's newest when it analysed exactly the current buffers, else
//! one built now: a file that is not open is read from disk), converts
//! positions with [`Snapshot::locate`] and ranges with [`Snapshot::range`].
//! The queries of `crate::ide` (hover, definition, ...) are answered in
//! `super::queries`; each takes its capability in [`capabilities`] and a
//! line in [`dispatch`].

use super::actions;
use super::position::LineIndex;
use super::queries;
use super::snapshot::{LocateError, Snapshot};
use super::Server;
use lsp_server::{ErrorCode, Request, Response, ResponseError};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    PrepareRenameRequest, References, Rename, Request as LspRequest, WorkspaceSymbolRequest,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    HoverProviderCapability, OneOf, RenameOptions, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextEdit, Url,
};
use std::sync::Arc;

/// The characters after which a client asks for completions unprompted:
/// a space after a keyword (`instances `, `role `, `where project `,
/// `assert `: names, operators, actions come next), `,` in lists
/// (`instances QR-ml,`, `actions job.read,`, member sources) and `.` in
/// action names (`job.`). Not `"`: nothing is offered inside strings.
pub const TRIGGERS: [&str; 3] = [" ", ",", "."];

/// What the server can do (announced in the `initialize` response).
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(lsp_types::TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: lsp_types::WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(TRIGGERS.iter().map(|t| t.to_string()).collect()),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// Answer one request (not `shutdown`: the main loop answers it).
pub fn dispatch(server: &mut Server, req: Request) -> Response {
    match req.method.as_str() {
        Formatting::METHOD => handle::<Formatting>(server, req, formatting),
        CodeActionRequest::METHOD => handle::<CodeActionRequest>(server, req, code_action),
        HoverRequest::METHOD => handle::<HoverRequest>(server, req, queries::hover),
        GotoDefinition::METHOD => handle::<GotoDefinition>(server, req, queries::definition),
        References::METHOD => handle::<References>(server, req, queries::references),
        Rename::METHOD => handle::<Rename>(server, req, queries::rename),
        PrepareRenameRequest::METHOD => {
            handle::<PrepareRenameRequest>(server, req, queries::prepare_rename)
        }
        DocumentSymbolRequest::METHOD => {
            handle::<DocumentSymbolRequest>(server, req, queries::document_symbols)
        }
        WorkspaceSymbolRequest::METHOD => {
            handle::<WorkspaceSymbolRequest>(server, req, queries::workspace_symbols)
        }
        Completion::METHOD => handle::<Completion>(server, req, queries::completion),
        _ => Response::new_err(
            req.id,
            ErrorCode::MethodNotFound as i32,
            format!("qpol lsp does not answer `{}`", req.method),
        ),
    }
}

type Handler<R> =
    fn(&mut Server, <R as LspRequest>::Params) -> Result<<R as LspRequest>::Result, ResponseError>;

/// Decode the parameters, run `f`, encode its result or error.
fn handle<R: LspRequest>(server: &mut Server, req: Request, f: Handler<R>) -> Response {
    let id = req.id.clone();
    let params = match req.extract::<R::Params>(R::METHOD) {
        Ok((_, params)) => params,
        Err(e) => {
            return Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                format!("invalid parameters for `{}`: {e}", R::METHOD),
            )
        }
    };
    match f(server, params) {
        Ok(result) => Response::new_ok(id, result),
        Err(error) => Response {
            id,
            response_result: Err(error),
        },
    }
}

/// An error response with `code` and `message`.
pub fn error(code: ErrorCode, message: impl Into<String>) -> ResponseError {
    ResponseError {
        code: code as i32,
        message: message.into(),
        data: None,
    }
}

impl From<LocateError> for ResponseError {
    fn from(e: LocateError) -> Self {
        error(ErrorCode::InvalidParams, e.to_string())
    }
}

impl Server {
    /// An analysis of the policy `uri` belongs to, as the buffers are now.
    pub fn snapshot(&self, uri: &Url) -> Result<Arc<Snapshot>, ResponseError> {
        let key = self.documents.key(uri);
        let (files, errors) = self.documents.files(&key);
        if !files.iter().any(|f| &f.uri == uri) {
            let why = match errors.iter().find(|e| e.contains(uri.path())) {
                Some(e) => e.clone(),
                None => format!("`{uri}` is not open, and not a `*.qpol` file on disk"),
            };
            return Err(error(ErrorCode::InvalidParams, why));
        }
        match self.shared.snapshot(&key) {
            Some(snapshot) if snapshot.is_of(&files) => Ok(snapshot),
            _ => Ok(Arc::new(Snapshot::build(files))),
        }
    }
}

impl Server {
    /// The snapshot, file and byte offset of a request's position: what a
    /// query of `crate::ide` takes (see `queries.rs` for every request
    /// built on it).
    pub fn position(
        &self,
        at: &lsp_types::TextDocumentPositionParams,
    ) -> Result<(Arc<Snapshot>, crate::diag::FileId, usize), ResponseError> {
        let snapshot = self.snapshot(&at.text_document.uri)?;
        let (file, offset) = snapshot.locate(&at.text_document.uri, at.position)?;
        Ok((snapshot, file, offset))
    }
}

/// `textDocument/formatting`: `qpol fmt`'s layout, as one edit of the
/// lines that change; no edit for a file with syntax errors.
fn formatting(
    server: &mut Server,
    params: lsp_types::DocumentFormattingParams,
) -> Result<Option<Vec<TextEdit>>, ResponseError> {
    let uri = params.text_document.uri;
    let text = server
        .documents
        .text(&uri)
        .map_err(|e| error(ErrorCode::InvalidParams, e))?;
    let Ok(formatted) = crate::fmt::format_text(uri.as_str(), &text) else {
        return Ok(Some(Vec::new()));
    };
    Ok(Some(minimal_edit(&text, &formatted).into_iter().collect()))
}

/// The one edit that turns `old` into `new`: the part between their common
/// prefix and suffix (whole characters), or none when they are equal.
pub fn minimal_edit(old: &str, new: &str) -> Option<TextEdit> {
    if old == new {
        return None;
    }
    let prefix = old
        .char_indices()
        .zip(new.chars())
        .find(|((_, a), b)| a != b)
        .map_or(old.len().min(new.len()), |((i, _), _)| i);
    let (old_rest, new_rest) = (old.get(prefix..)?, new.get(prefix..)?);
    let suffix = old_rest
        .chars()
        .rev()
        .zip(new_rest.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum::<usize>()
        .min(old_rest.len())
        .min(new_rest.len());
    let lines = LineIndex::new(old);
    Some(TextEdit {
        range: lines.range(old, prefix, old.len() - suffix),
        new_text: new_rest.get(..new_rest.len() - suffix)?.to_string(),
    })
}

/// `textDocument/codeAction`: the quick fixes of the findings in the range.
fn code_action(
    server: &mut Server,
    params: lsp_types::CodeActionParams,
) -> Result<Option<lsp_types::CodeActionResponse>, ResponseError> {
    let snapshot = server.snapshot(&params.text_document.uri)?;
    Ok(Some(actions::for_range(
        &snapshot,
        &params.text_document.uri,
        params.range,
    )))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::minimal_edit;

    #[test]
    fn a_position_becomes_a_file_and_offset_or_an_invalid_params_error() {
        let (out, _received) = crossbeam_channel::unbounded();
        let (jobs, _queue) = crossbeam_channel::unbounded();
        let mut server = super::Server {
            out,
            documents: super::super::Documents::default(),
            jobs,
            shared: std::sync::Arc::default(),
            generation: 0,
            shut_down: false,
        };
        let uri = lsp_types::Url::parse("untitled:x").unwrap();
        server
            .documents
            .open(uri.clone(), "# 𝄞\ninstance QR-ml;\n".into(), 1);
        let at = |line, character| lsp_types::TextDocumentPositionParams {
            text_document: lsp_types::TextDocumentIdentifier { uri: uri.clone() },
            position: lsp_types::Position::new(line, character),
        };
        let (snapshot, file, offset) = server.position(&at(1, 9)).unwrap();
        let text = &snapshot.file(file).unwrap().text;
        assert_eq!(&text[offset..offset + 5], "QR-ml");
        // Inside the surrogate pair of `𝄞`: its start.
        assert_eq!(server.position(&at(0, 3)).unwrap().2, 2);
        let past = server.position(&at(7, 0)).err().unwrap();
        assert_eq!(past.code, lsp_server::ErrorCode::InvalidParams as i32);
        assert!(
            past.message.contains("line 7 is past the end"),
            "{}",
            past.message
        );
        let missing = lsp_types::Url::parse("untitled:missing").unwrap();
        let refused = server.snapshot(&missing).err().unwrap();
        assert!(
            refused.message.contains("untitled:missing"),
            "{}",
            refused.message
        );
    }

    fn apply(old: &str, new: &str) -> String {
        let Some(edit) = minimal_edit(old, new) else {
            return old.to_string();
        };
        let lines = super::LineIndex::new(old);
        let start = lines.offset(old, edit.range.start).unwrap();
        let end = lines.offset(old, edit.range.end).unwrap();
        format!("{}{}{}", &old[..start], edit.new_text, &old[end..])
    }

    #[test]
    fn the_minimal_edit_rewrites_only_what_changes() {
        for (old, new) in [
            (
                "role r {actions device.read;}\n",
                "role r { actions device.read; }\n",
            ),
            ("aé𝄞b", "aé𝄞𝄞b"),
            ("aaa", "aa"),
            ("aa", "aaa"),
            ("", "x"),
            ("x", ""),
            ("é", "è"),
        ] {
            assert_eq!(apply(old, new), new, "{old:?} -> {new:?}");
        }
        assert!(minimal_edit("same", "same").is_none());
        let edit = minimal_edit("a\nb c\nd\n", "a\nb  c\nd\n").unwrap();
        assert_eq!((edit.range.start.line, edit.range.start.character), (1, 2));
        assert_eq!(edit.new_text, " ");
    }
}
