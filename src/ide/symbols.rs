//! Document symbols (the outline of one file: declarations, with a
//! project's member sets and an idp's attributes as children; assertions
//! and allows) and workspace symbols (declared names matching a query).

use crate::diag::{FileId, Span};
use crate::model::Named;
use crate::pipeline::Analysis;

/// Workspace symbols returned at most.
pub const WORKSPACE_LIMIT: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SymbolKind {
    Account,
    Idp,
    ResourceGroup,
    Instance,
    Role,
    Project,
    Group,
    User,
    ServiceId,
    Audit,
    MemberSet,
    Attribute,
    Assertion,
    Allow,
}

/// One entry of a file's outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSymbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The whole declaration or clause.
    pub span: Span,
    /// The name (or the keyword of a nameless declaration).
    pub selection: Span,
    pub children: Vec<DocumentSymbol>,
}

/// One declared name of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The name in its declaration.
    pub span: Span,
}

fn leaf(name: String, kind: SymbolKind, span: Span, selection: Span) -> DocumentSymbol {
    DocumentSymbol {
        name,
        kind,
        span,
        selection,
        children: Vec::new(),
    }
}

/// The text of a span on one line, spaces collapsed, at most 60 characters.
fn summary(analysis: &Analysis, span: Span) -> String {
    let text = analysis
        .sources
        .get(span.file)
        .map_or("", |f| f.slice(span));
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut line = crate::diag::escape::inline(&words.join(" ")).into_owned();
    if line.chars().count() > 60 {
        line = line.chars().take(59).collect::<String>() + "…";
    }
    line
}

/// The outline of `file`, in the order written.
pub fn document_symbols(analysis: &Analysis, file: FileId) -> Vec<DocumentSymbol> {
    let m = &analysis.model;
    let mut out = Vec::new();
    for (named, span) in declared(analysis) {
        if span.file != file {
            continue;
        }
        let Some(name) = super::name_of(m, named) else {
            continue;
        };
        let selection = super::declaration_span(m, named).unwrap_or(span);
        let mut symbol = leaf(name.to_string(), kind_of(analysis, named), span, selection);
        match named {
            Named::Unit(u) => {
                for set in m.units.get(u).iter().flat_map(|u| &u.member_sets) {
                    let text = summary(analysis, set.span);
                    symbol
                        .children
                        .push(leaf(text, SymbolKind::MemberSet, set.span, set.span));
                }
            }
            Named::Idp(i) => {
                for a in m.idps.get(i).iter().flat_map(|i| &i.attributes) {
                    symbol.children.push(leaf(
                        a.value.to_string(),
                        SymbolKind::Attribute,
                        a.span,
                        a.span,
                    ));
                }
            }
            _ => {}
        }
        out.push(symbol);
    }
    let keyword =
        |span: Span, word: &str| Span::new(span.file, span.start(), span.start() + word.len());
    if let Some(a) = m.account.as_ref().filter(|a| a.span.file == file) {
        out.push(leaf(
            "account".into(),
            SymbolKind::Account,
            a.span,
            keyword(a.span, "account"),
        ));
    }
    if let Some(a) = m.audit.as_ref().filter(|a| a.span.file == file) {
        out.push(leaf(
            "audit".into(),
            SymbolKind::Audit,
            a.span,
            keyword(a.span, "audit"),
        ));
    }
    for a in m.assertions.iter().filter(|a| a.span.file == file) {
        out.push(leaf(
            summary(analysis, a.span),
            SymbolKind::Assertion,
            a.span,
            a.span,
        ));
    }
    let allows = m
        .allows
        .iter()
        .map(|a| a.span)
        .chain(m.acknowledgements.iter().map(|a| a.span));
    for span in allows.filter(|s| s.file == file) {
        out.push(leaf(summary(analysis, span), SymbolKind::Allow, span, span));
    }
    out.sort_by_key(|s| s.span);
    out
}

/// Every declared name and its declaration's span (built-in roles left out).
fn declared(analysis: &Analysis) -> Vec<(Named, Span)> {
    let m = &analysis.model;
    let mut out: Vec<(Named, Span)> = Vec::new();
    out.extend(
        m.idps
            .iter()
            .enumerate()
            .map(|(i, x)| (Named::Idp(i), x.span)),
    );
    out.extend(
        m.resource_groups
            .iter()
            .enumerate()
            .map(|(i, x)| (Named::ResourceGroup(i), x.span)),
    );
    out.extend(
        m.instances
            .iter()
            .enumerate()
            .map(|(i, x)| (Named::Instance(i), x.span)),
    );
    out.extend(
        m.roles
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.preset)
            .map(|(i, x)| (Named::Role(i), x.span)),
    );
    out.extend(
        m.units
            .iter()
            .enumerate()
            .map(|(i, x)| (Named::Unit(i), x.span)),
    );
    out.extend(
        m.users
            .iter()
            .enumerate()
            .map(|(i, x)| (Named::User(i), x.span)),
    );
    out.extend(
        m.service_ids
            .iter()
            .enumerate()
            .map(|(i, x)| (Named::ServiceId(i), x.span)),
    );
    out
}

fn kind_of(analysis: &Analysis, named: Named) -> SymbolKind {
    match named {
        Named::Idp(_) => SymbolKind::Idp,
        Named::ResourceGroup(_) => SymbolKind::ResourceGroup,
        Named::Instance(_) => SymbolKind::Instance,
        Named::Role(_) => SymbolKind::Role,
        Named::Unit(u) => match analysis.model.units.get(u).map(|u| u.kind) {
            Some(crate::model::UnitKind::Group) => SymbolKind::Group,
            _ => SymbolKind::Project,
        },
        Named::User(_) => SymbolKind::User,
        Named::ServiceId(_) => SymbolKind::ServiceId,
    }
}

/// How well `name` matches `query` (lower is better), or `None`: 0 the
/// same, 1 a prefix, 2 a substring, 3 the query's characters in order;
/// letters compared case-insensitively.
fn score(name: &str, query: &str) -> Option<u8> {
    if query.is_empty() {
        return Some(3);
    }
    let name = name.to_lowercase();
    if name == query {
        return Some(0);
    }
    if name.starts_with(query) {
        return Some(1);
    }
    if name.contains(query) {
        return Some(2);
    }
    let mut chars = name.chars();
    query.chars().all(|q| chars.any(|c| c == q)).then_some(3)
}

/// Declared names matching `query` (case-insensitive: exact, prefix,
/// substring, then the query's characters in order), best first, then by
/// name, kind and position; at most [`WORKSPACE_LIMIT`].
pub fn workspace_symbols(analysis: &Analysis, query: &str) -> Vec<WorkspaceSymbol> {
    let query = query.trim().to_lowercase();
    let m = &analysis.model;
    let mut found: Vec<(u8, &str, SymbolKind, Span)> = Vec::new();
    for (named, span) in declared(analysis) {
        let Some(name) = super::name_of(m, named) else {
            continue;
        };
        if let Some(s) = score(name, &query) {
            let selection = super::declaration_span(m, named).unwrap_or(span);
            found.push((s, name.as_str(), kind_of(analysis, named), selection));
        }
    }
    found.sort();
    found
        .into_iter()
        .take(WORKSPACE_LIMIT)
        .map(|(_, name, kind, span)| WorkspaceSymbol {
            name: name.to_string(),
            kind,
            span,
        })
        .collect()
}
