//! Editor queries over an [`Analysis`] and byte offsets, with no protocol
//! types: what is under the cursor ([`at`]), [`hover`], go to
//! [`definition`], find [`references`], [`rename`], [`document_symbols`],
//! [`workspace_symbols`] and completion ([`complete`]). The language server
//! wires each in a few lines; tests and the CLI call them directly.
//!
//! Everything is read from the model (each declaration and reference
//! carries its span; `Model::references` holds the static members and
//! `from IDP` of rules) and from the source text around the offset; the
//! syntax tree is never read. A span counts as a name's occurrence only
//! when the source text there is the name, so defaulted or built-in
//! entities (the `reader` preset, a user's implicit idp) are never edited.
//! No offset panics: offsets past the end or inside a UTF-8 character are
//! clamped.

mod complete;
mod hover;
mod lex;
mod markdown;
mod navigate;
mod occurrences;
mod symbols;
mod words;

pub use complete::{complete, Completion, CompletionKind, NAME_LIMIT};
pub use hover::{hover, Hover};
pub use navigate::{definition, references, rename, RenameError};
pub use symbols::{
    document_symbols, workspace_symbols, DocumentSymbol, SymbolKind, WorkspaceSymbol,
};

use crate::diag::{FileId, Span};
use crate::model::{Model, Named, Text};
use crate::pipeline::Analysis;

/// What is under the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The word or value under the cursor.
    pub span: Span,
    pub kind: TargetKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// The name in a declaration (`project ml`).
    Declaration(Named),
    /// A name that refers to a declaration (`instances QR-ml`).
    Reference(Named),
    /// An action of the service, without its `quantum-computing.` prefix.
    Action(Text),
    /// The value of a rule's condition: condition `condition` of rule
    /// `rule` of member set `set` of project or group `unit`.
    RuleValue {
        unit: usize,
        set: usize,
        rule: usize,
        condition: usize,
    },
    /// An attribute name: declared by an idp (`attribute project`) or tested
    /// by a rule (`where project contains ...`), with the idp when known.
    Attribute { idp: Option<usize>, name: Text },
    /// A keyword of the language (outside strings and comments).
    Keyword(&'static str),
}

/// What is under the cursor at byte `offset` of `file`: the innermost
/// declaration name, reference, action, rule value or attribute, else a
/// keyword. `None` on whitespace, punctuation, comments, strings that are
/// not rule values, and offsets outside the file.
pub fn at(analysis: &Analysis, file: FileId, offset: usize) -> Option<Target> {
    let source = analysis.sources.get(file)?;
    let offset = source.clamp(offset);
    let found = occurrences::holding(analysis, file, offset)
        .into_iter()
        // Innermost first; at a boundary between two, the one that starts here.
        .min_by_key(|o| {
            (
                o.span.end() - o.span.start(),
                std::cmp::Reverse(o.span.start()),
            )
        });
    if let Some(o) = found {
        return Some(Target {
            span: o.span,
            kind: o.kind,
        });
    }
    let word = lex::word_at(&source.text, offset)?;
    let keyword = lex::keyword(word.text)?;
    Some(Target {
        span: Span::new(file, word.start, word.start + word.text.len()),
        kind: TargetKind::Keyword(keyword),
    })
}

/// The name of a declared entity (`None` for an index out of range).
pub fn name_of(model: &Model, named: Named) -> Option<&Text> {
    Some(match named {
        Named::Idp(i) => &model.idps.get(i)?.name.value,
        Named::ResourceGroup(i) => &model.resource_groups.get(i)?.name.value,
        Named::Instance(i) => &model.instances.get(i)?.name.value,
        Named::Role(i) => &model.roles.get(i)?.name.value,
        Named::Unit(i) => &model.units.get(i)?.name.value,
        Named::User(i) => &model.users.get(i)?.name.value,
        Named::ServiceId(i) => &model.service_ids.get(i)?.name.value,
    })
}

/// The span of an entity's name in its declaration (`None` for the
/// built-in roles, which no file declares).
pub fn declaration_span(model: &Model, named: Named) -> Option<Span> {
    let span = match named {
        Named::Idp(i) => model.idps.get(i)?.name.span,
        Named::ResourceGroup(i) => model.resource_groups.get(i)?.name.span,
        Named::Instance(i) => model.instances.get(i)?.name.span,
        Named::Role(i) => {
            let role = model.roles.get(i)?;
            if role.preset {
                return None;
            }
            role.name.span
        }
        Named::Unit(i) => model.units.get(i)?.name.span,
        Named::User(i) => model.users.get(i)?.name.span,
        Named::ServiceId(i) => model.service_ids.get(i)?.name.span,
    };
    Some(span)
}

/// What a person calls this kind of name: "instance", "project", ...
pub fn kind_word(model: &Model, named: Named) -> &'static str {
    match named {
        Named::Idp(_) => "idp",
        Named::ResourceGroup(_) => "resource_group",
        Named::Instance(_) => "instance",
        Named::Role(_) => "role",
        Named::Unit(i) => model.units.get(i).map_or("project", |u| u.kind.word()),
        Named::User(_) => "user",
        Named::ServiceId(_) => "service_id",
    }
}
