//! Go to definition, find references and rename, across every file of the
//! policy.

use super::occurrences::{everywhere, name_span};
use super::{at, declaration_span, kind_word, name_of, TargetKind};
use crate::diag::{FileId, Span};
use crate::model::{Model, Named, MAX_NAME_LEN};
use crate::pipeline::Analysis;
use std::fmt;

/// Where the name (or attribute) under the cursor is declared. `None` for
/// the built-in roles, actions, rule values, keywords and attributes of no
/// declared idp.
pub fn definition(analysis: &Analysis, file: FileId, offset: usize) -> Option<Span> {
    let target = at(analysis, file, offset)?;
    match target.kind {
        TargetKind::Declaration(named) | TargetKind::Reference(named) => {
            let span = declaration_span(&analysis.model, named)?;
            name_span(analysis, span, named)
        }
        TargetKind::Attribute { idp, name } => analysis
            .model
            .idps
            .get(idp?)?
            .attributes
            .iter()
            .find(|a| a.value == name)
            .map(|a| a.span),
        TargetKind::Action(_) | TargetKind::RuleValue { .. } | TargetKind::Keyword(_) => None,
    }
}

/// Every place the name, attribute or action under the cursor is written,
/// in file and offset order; the declaration is included when asked.
pub fn references(
    analysis: &Analysis,
    file: FileId,
    offset: usize,
    include_declaration: bool,
) -> Vec<Span> {
    let Some(target) = at(analysis, file, offset) else {
        return Vec::new();
    };
    let same = |kind: &TargetKind| match (&target.kind, kind) {
        (TargetKind::Declaration(a) | TargetKind::Reference(a), TargetKind::Reference(b)) => a == b,
        (TargetKind::Declaration(a) | TargetKind::Reference(a), TargetKind::Declaration(b)) => {
            include_declaration && a == b
        }
        (TargetKind::Action(a), TargetKind::Action(b)) => a == b,
        (TargetKind::Attribute { idp: a, name: x }, TargetKind::Attribute { idp: b, name: y }) => {
            a == b && x == y
        }
        _ => false,
    };
    let mut out: Vec<Span> = everywhere(analysis)
        .into_iter()
        .filter(|o| same(&o.kind))
        .map(|o| o.span)
        .collect();
    out.dedup();
    out
}

/// Why a rename is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameError {
    /// The cursor is on no declared name.
    NothingToRename,
    /// `reader` and `writer` when no file declares them.
    BuiltIn(String),
    /// The new name is a built-in role's (`reader`, `writer`, undeclared).
    BuiltInName(String),
    /// Not a name of the grammar, or too long.
    InvalidName(String),
    /// Another declaration of the same namespace has the name, or a
    /// declaration a bare name could also mean (a user and a service id:
    /// `assert NAME can ...` names either).
    Collision {
        name: String,
        kind: String,
        at: Option<Span>,
        /// Why a declaration of another kind is in the way.
        reason: Option<&'static str>,
    },
}

impl fmt::Display for RenameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenameError::NothingToRename => f.write_str(
                "nothing to rename here: put the cursor on the name of a project, group, instance, role, user, service id, idp or resource group",
            ),
            RenameError::BuiltIn(name) => write!(
                f,
                "`{name}` is a built-in role; declare `role {name} {{ ... }}` to rename it"
            ),
            RenameError::BuiltInName(name) => write!(
                f,
                "`{name}` is the name of a built-in role; choose another name"
            ),
            RenameError::InvalidName(why) => f.write_str(why),
            RenameError::Collision {
                name, kind, reason, ..
            } => match reason {
                Some(why) => write!(
                    f,
                    "{kind} `{name}` is already declared ({why}); choose another name"
                ),
                None => write!(
                    f,
                    "{kind} `{name}` is already declared; choose another name"
                ),
            },
        }
    }
}

impl std::error::Error for RenameError {}

/// The edits that rename the name under the cursor to `new_name`: its
/// declaration and every reference, in every file, in file and offset
/// order. Refused when the cursor is on nothing renameable, the name is
/// not valid, or it collides with a declaration of the same namespace
/// (projects and groups share one) or, for users and service ids, with one
/// of the other kind (an assertion's bare subject names either).
pub fn rename(
    analysis: &Analysis,
    file: FileId,
    offset: usize,
    new_name: &str,
) -> Result<Vec<(FileId, Span, String)>, RenameError> {
    let named = match at(analysis, file, offset).map(|t| t.kind) {
        Some(TargetKind::Declaration(n) | TargetKind::Reference(n)) => n,
        _ => return Err(RenameError::NothingToRename),
    };
    let model = &analysis.model;
    if let Named::Role(r) = named {
        if model.roles.get(r).is_some_and(|r| r.preset) {
            let name = name_of(model, named).map_or_else(String::new, |n| n.to_string());
            return Err(RenameError::BuiltIn(name));
        }
    }
    check_name(new_name)?;
    if let Some(other) = taken(model, named, new_name) {
        if let Named::Role(r) = other {
            if model.roles.get(r).is_some_and(|r| r.preset) {
                return Err(RenameError::BuiltInName(new_name.to_string()));
            }
        }
        let crossed = matches!(
            (named, other),
            (Named::User(_), Named::ServiceId(_)) | (Named::ServiceId(_), Named::User(_))
        );
        return Err(RenameError::Collision {
            name: new_name.to_string(),
            kind: kind_word(model, other).replace('_', " "),
            at: declaration_span(model, other),
            reason: crossed.then_some(SUBJECT_CLASH),
        });
    }
    let mut edits: Vec<(FileId, Span, String)> = everywhere(analysis)
        .into_iter()
        .filter(|o| {
            matches!(o.kind, TargetKind::Declaration(n) | TargetKind::Reference(n) if n == named)
        })
        .map(|o| (o.span.file, o.span, new_name.to_string()))
        .collect();
    edits.dedup();
    Ok(edits)
}

/// The grammar's `name`: a letter, digit or `_`, then letters, digits, `-`,
/// `_` and `.`; at most [`MAX_NAME_LEN`] characters.
fn check_name(name: &str) -> Result<(), RenameError> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err(RenameError::InvalidName("a name cannot be empty".into()));
    };
    if !(first.is_ascii_alphanumeric() || first == '_') {
        return Err(RenameError::InvalidName(format!(
            "`{}` is not a name: a name starts with a letter, a digit or `_`",
            crate::diag::escape::inline(name)
        )));
    }
    if let Some(bad) = chars.find(|c| !super::lex::is_name_char(*c)) {
        return Err(RenameError::InvalidName(format!(
            "`{}` is not a name: {} is not allowed (letters, digits, `-`, `_` and `.`)",
            crate::diag::escape::inline(name),
            crate::diag::escape::inline(&format!("`{bad}`"))
        )));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(RenameError::InvalidName(format!(
            "a name of {} characters is longer than the {MAX_NAME_LEN} qpol accepts",
            name.len()
        )));
    }
    Ok(())
}

/// Why a user and a service id cannot share a name.
const SUBJECT_CLASH: &str =
    "`assert NAME can ...` names a user or a service id, and would mean the user";

/// Another entity of `named`'s namespace called `name`; for a user or a
/// service id, also one of the other kind.
fn taken(model: &Model, named: Named, name: &str) -> Option<Named> {
    fn find<'a>(
        mut names: impl Iterator<Item = &'a crate::model::Text>,
        name: &str,
    ) -> Option<usize> {
        names.position(|n| n == name)
    }
    let other = match named {
        Named::Idp(_) => find(model.idps.iter().map(|x| &x.name.value), name).map(Named::Idp),
        Named::ResourceGroup(_) => find(model.resource_groups.iter().map(|x| &x.name.value), name)
            .map(Named::ResourceGroup),
        Named::Instance(_) => {
            find(model.instances.iter().map(|x| &x.name.value), name).map(Named::Instance)
        }
        Named::Role(_) => find(model.roles.iter().map(|x| &x.name.value), name).map(Named::Role),
        Named::Unit(_) => find(model.units.iter().map(|x| &x.name.value), name).map(Named::Unit),
        Named::User(_) | Named::ServiceId(_) => {
            let user = find(model.users.iter().map(|x| &x.name.value), name).map(Named::User);
            let sid =
                find(model.service_ids.iter().map(|x| &x.name.value), name).map(Named::ServiceId);
            // The same kind first: its collision is the plainer message.
            match named {
                Named::User(_) => user.filter(|o| *o != named).or(sid),
                _ => sid.filter(|o| *o != named).or(user),
            }
        }
    };
    other.filter(|o| *o != named)
}
