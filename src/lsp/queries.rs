//! The editor queries of `crate::ide` as LSP requests: hover, definition,
//! references, rename and prepareRename, document and workspace symbols,
//! completion. Each converts the request's position with
//! [`Server::position`], asks `crate::ide`, and turns spans back into LSP
//! ranges with the snapshot; nothing here knows the language.

use super::requests::error;
use super::snapshot::Snapshot;
use super::Server;
use crate::ide;
use lsp_server::{ErrorCode, ResponseError};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionParams, CompletionResponse,
    CompletionTextEdit, DocumentChanges, DocumentSymbolParams, DocumentSymbolResponse,
    GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents, HoverParams, Location,
    MarkupContent, MarkupKind, OneOf, OptionalVersionedTextDocumentIdentifier,
    PrepareRenameResponse, ReferenceParams, RenameParams, SymbolInformation, SymbolKind,
    TextDocumentEdit, TextDocumentPositionParams, TextEdit, WorkspaceEdit, WorkspaceSymbolParams,
};
use std::sync::Arc;

/// Workspace symbols answered at most (over every open policy).
const WORKSPACE_LIMIT: usize = 100;

/// `textDocument/hover`: `ide::hover`'s Markdown and the range it is about.
pub fn hover(server: &mut Server, p: HoverParams) -> Result<Option<Hover>, ResponseError> {
    let (snapshot, file, offset) = server.position(&p.text_document_position_params)?;
    Ok(ide::hover(&snapshot.analysis, file, offset).map(|h| Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: h.markdown,
        }),
        range: snapshot.range(h.span),
    }))
}

/// `textDocument/definition`: the declaration of the name under the cursor.
pub fn definition(
    server: &mut Server,
    p: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>, ResponseError> {
    let (snapshot, file, offset) = server.position(&p.text_document_position_params)?;
    Ok(ide::definition(&snapshot.analysis, file, offset)
        .and_then(|span| snapshot.location(span))
        .map(GotoDefinitionResponse::Scalar))
}

/// `textDocument/references`, the declaration included on request.
pub fn references(
    server: &mut Server,
    p: ReferenceParams,
) -> Result<Option<Vec<Location>>, ResponseError> {
    let (snapshot, file, offset) = server.position(&p.text_document_position)?;
    let include = p.context.include_declaration;
    let spans = ide::references(&snapshot.analysis, file, offset, include);
    Ok(Some(
        spans
            .into_iter()
            .filter_map(|s| snapshot.location(s))
            .collect(),
    ))
}

fn refused(e: &ide::RenameError) -> ResponseError {
    error(ErrorCode::RequestFailed, e.to_string())
}

/// `textDocument/rename`: the edits of every file, as versioned document
/// changes (in file order, so the answer is the same every time); a
/// refused rename is an error with `ide::rename`'s message.
pub fn rename(
    server: &mut Server,
    p: RenameParams,
) -> Result<Option<WorkspaceEdit>, ResponseError> {
    let (snapshot, file, offset) = server.position(&p.text_document_position)?;
    let edits =
        ide::rename(&snapshot.analysis, file, offset, &p.new_name).map_err(|e| refused(&e))?;
    let mut changes: Vec<TextDocumentEdit> = Vec::new();
    for (id, span, new_text) in edits {
        let (Some(doc), Some(range)) = (snapshot.file(id), snapshot.range(span)) else {
            continue;
        };
        let edit = OneOf::Left(TextEdit { range, new_text });
        match changes.last_mut() {
            Some(last) if last.text_document.uri == doc.uri => last.edits.push(edit),
            _ => changes.push(TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: doc.uri.clone(),
                    version: doc.version,
                },
                edits: vec![edit],
            }),
        }
    }
    Ok(Some(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Edits(changes)),
        ..WorkspaceEdit::default()
    }))
}

/// `textDocument/prepareRename`: the name under the cursor (its range and
/// text), or the message `rename` would refuse with.
pub fn prepare_rename(
    server: &mut Server,
    p: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>, ResponseError> {
    let (snapshot, file, offset) = server.position(&p)?;
    let analysis = &snapshot.analysis;
    let target = ide::at(analysis, file, offset);
    let named = match target.as_ref().map(|t| &t.kind) {
        Some(ide::TargetKind::Declaration(n) | ide::TargetKind::Reference(n)) => *n,
        _ => return Err(refused(&ide::RenameError::NothingToRename)),
    };
    let name = ide::name_of(&analysis.model, named).map_or_else(String::new, |n| n.to_string());
    // Renaming to its own name is refused exactly when any rename is.
    ide::rename(analysis, file, offset, &name).map_err(|e| refused(&e))?;
    let range = target.and_then(|t| snapshot.range(t.span));
    Ok(
        range.map(|range| PrepareRenameResponse::RangeWithPlaceholder {
            range,
            placeholder: name,
        }),
    )
}

/// `textDocument/documentSymbol`: the file's outline, hierarchical.
pub fn document_symbols(
    server: &mut Server,
    p: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>, ResponseError> {
    let uri = p.text_document.uri;
    let snapshot = server.snapshot(&uri)?;
    let Some(file) = snapshot.file_of(&uri) else {
        return Ok(None);
    };
    let symbols = ide::document_symbols(&snapshot.analysis, file.id);
    Ok(Some(DocumentSymbolResponse::Nested(
        symbols
            .into_iter()
            .filter_map(|s| document_symbol(&snapshot, s))
            .collect(),
    )))
}

#[allow(deprecated)] // `deprecated` is a required field of the struct.
fn document_symbol(
    snapshot: &Snapshot,
    s: ide::DocumentSymbol,
) -> Option<lsp_types::DocumentSymbol> {
    let children: Vec<lsp_types::DocumentSymbol> = s
        .children
        .into_iter()
        .filter_map(|c| document_symbol(snapshot, c))
        .collect();
    Some(lsp_types::DocumentSymbol {
        name: s.name,
        detail: None,
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: snapshot.range(s.span)?,
        selection_range: snapshot.range(s.selection)?,
        children: (!children.is_empty()).then_some(children),
    })
}

/// `workspace/symbol`: the declared names matching the query in every
/// policy an open buffer belongs to, each policy's best first.
#[allow(deprecated)] // `deprecated` is a required field of the struct.
pub fn workspace_symbols(
    server: &mut Server,
    p: WorkspaceSymbolParams,
) -> Result<Option<lsp_types::WorkspaceSymbolResponse>, ResponseError> {
    let mut out = Vec::new();
    for key in server.documents.keys() {
        let (files, _errors) = server.documents.files(&key);
        let snapshot = match server.shared.snapshot(&key) {
            Some(snapshot) if snapshot.is_of(&files) => snapshot,
            _ => Arc::new(Snapshot::build(files)),
        };
        for s in ide::workspace_symbols(&snapshot.analysis, &p.query) {
            let Some(location) = snapshot.location(s.span) else {
                continue;
            };
            out.push(SymbolInformation {
                name: s.name,
                kind: symbol_kind(s.kind),
                tags: None,
                deprecated: None,
                location,
                container_name: None,
            });
        }
    }
    out.truncate(WORKSPACE_LIMIT);
    Ok(Some(lsp_types::WorkspaceSymbolResponse::Flat(out)))
}

fn symbol_kind(kind: ide::SymbolKind) -> SymbolKind {
    use ide::SymbolKind as K;
    match kind {
        K::Account => SymbolKind::NAMESPACE,
        K::Idp => SymbolKind::INTERFACE,
        K::ResourceGroup => SymbolKind::PACKAGE,
        K::Instance => SymbolKind::OBJECT,
        K::Role => SymbolKind::CLASS,
        K::Project => SymbolKind::MODULE,
        K::Group => SymbolKind::STRUCT,
        K::User => SymbolKind::VARIABLE,
        K::ServiceId => SymbolKind::KEY,
        K::Audit => SymbolKind::EVENT,
        K::MemberSet => SymbolKind::ARRAY,
        K::Attribute => SymbolKind::FIELD,
        K::Assertion => SymbolKind::BOOLEAN,
        K::Allow => SymbolKind::CONSTANT,
    }
}

/// `textDocument/completion`: `ide::complete`'s words, each replacing the
/// word being typed (the name characters before the cursor), in its order.
/// Incomplete when the names were cut at `ide`'s limit.
pub fn completion(
    server: &mut Server,
    p: CompletionParams,
) -> Result<Option<CompletionResponse>, ResponseError> {
    let (snapshot, file, offset) = server.position(&p.text_document_position)?;
    let Some(doc) = snapshot.file(file) else {
        return Ok(None);
    };
    let start = word_start(&doc.text, offset);
    let range = doc.lines.range(&doc.text, start, offset);
    let found = ide::complete(&snapshot.analysis, file, offset);
    let is_incomplete = found.len() >= ide::NAME_LIMIT;
    let items = found
        .into_iter()
        .enumerate()
        .map(|(i, c)| CompletionItem {
            kind: Some(completion_kind(c.kind)),
            detail: c.detail,
            sort_text: Some(format!("{i:04}")),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                range,
                new_text: c.label.clone(),
            })),
            label: c.label,
            ..CompletionItem::default()
        })
        .collect();
    Ok(Some(CompletionResponse::List(CompletionList {
        is_incomplete,
        items,
    })))
}

/// The start of the name being typed before `offset`: the name characters
/// of the grammar (letters, digits, `-`, `_`, `.`) just before it.
pub fn word_start(text: &str, offset: usize) -> usize {
    let before = text.get(..offset).unwrap_or("");
    let kept = before
        .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .len();
    kept.min(offset)
}

fn completion_kind(kind: ide::CompletionKind) -> CompletionItemKind {
    use ide::CompletionKind as K;
    match kind {
        K::Keyword => CompletionItemKind::KEYWORD,
        K::Setting => CompletionItemKind::PROPERTY,
        K::Value => CompletionItemKind::ENUM_MEMBER,
        K::Operator => CompletionItemKind::OPERATOR,
        K::Action => CompletionItemKind::FUNCTION,
        K::Attribute => CompletionItemKind::FIELD,
        K::Code => CompletionItemKind::CONSTANT,
        K::Idp => CompletionItemKind::INTERFACE,
        K::ResourceGroup => CompletionItemKind::FOLDER,
        K::Instance => CompletionItemKind::VALUE,
        K::Role => CompletionItemKind::CLASS,
        K::Project => CompletionItemKind::MODULE,
        K::Group => CompletionItemKind::STRUCT,
        K::User => CompletionItemKind::VARIABLE,
        K::ServiceId => CompletionItemKind::REFERENCE,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_word_being_typed_starts_after_the_last_non_name_character() {
        let text = "role r { actions job.re";
        assert_eq!(super::word_start(text, text.len()), 17);
        assert_eq!(super::word_start(text, 8), 8, "after `{{`: nothing typed");
        assert_eq!(super::word_start("é-x", 4), 2, "multibyte before the word");
        assert_eq!(super::word_start("abc", 99), 0, "an offset past the end");
    }
}
