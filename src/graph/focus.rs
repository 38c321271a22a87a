//! `--focus NAME`: the named node with everything upstream of it (what
//! leads to it: the rules, users and groups that reach a project, the
//! projects that scope an instance) and everything downstream (what it
//! leads to: a user's rules, projects, roles and instances). Siblings are
//! left out: focusing on a user does not draw the other users of its
//! projects.

use super::{Node, Picture};
use crate::diag::did_you_mean;

/// The kinds `--focus KIND:NAME` may name.
pub const NODE_KINDS: &[&str] = &[
    "idp",
    "user",
    "service_id",
    "project",
    "group",
    "role",
    "instance",
    "resource_group",
];

/// Why `--focus` names nothing drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FocusError {
    /// `KIND:` is not a kind of node.
    UnknownKind {
        kind: String,
        suggestion: Option<String>,
    },
    /// No node has this name (of this kind).
    UnknownName {
        name: String,
        kind: Option<String>,
        suggestion: Option<String>,
    },
}

impl std::fmt::Display for FocusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inline = |s: &str| crate::diag::escape::inline(s).into_owned();
        match self {
            FocusError::UnknownKind { kind, suggestion } => {
                write!(
                    f,
                    "`--focus {}:...`: `{}` is not a kind of node; the kinds are {}",
                    inline(kind),
                    inline(kind),
                    NODE_KINDS.join(", ")
                )?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            FocusError::UnknownName {
                name,
                kind,
                suggestion,
            } => {
                let what = kind.as_deref().unwrap_or("node");
                write!(
                    f,
                    "`--focus`: the policy has no {what} named `{}`",
                    inline(name)
                )?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{}`?", inline(s)),
                    None => write!(
                        f,
                        "; name an idp, user, project, group, role, instance or resource group the policy declares (`KIND:NAME` picks one kind)"
                    ),
                }
            }
        }
    }
}

impl Picture<'_> {
    /// The nodes `--focus name` keeps, by [`Picture::dense`] position.
    /// `name` is a node's name, or `KIND:NAME` for one kind of node.
    pub fn focus(&self, name: &str) -> Result<Vec<bool>, FocusError> {
        let (kind, name) = match name.split_once(':') {
            Some((kind, rest)) => {
                if !NODE_KINDS.contains(&kind) {
                    return Err(FocusError::UnknownKind {
                        kind: kind.to_string(),
                        suggestion: did_you_mean(kind, NODE_KINDS.iter().copied())
                            .map(str::to_string),
                    });
                }
                (Some(kind), rest)
            }
            None => (None, name),
        };
        let of_kind = |n: &Node| kind.is_none_or(|k| self.kind(*n) == k);
        let seeds: Vec<Node> = self
            .nodes()
            .filter(|n| of_kind(n) && self.name(*n) == Some(name))
            .collect();
        if seeds.is_empty() {
            let names: Vec<&str> = self
                .nodes()
                .filter(of_kind)
                .filter_map(|n| self.name(n))
                .collect();
            return Err(FocusError::UnknownName {
                name: name.to_string(),
                kind: kind.map(str::to_string),
                suggestion: did_you_mean(name, names).map(str::to_string),
            });
        }
        let len = self.dense_len();
        let mut forward: Vec<Vec<u32>> = vec![Vec::new(); len];
        let mut backward: Vec<Vec<u32>> = vec![Vec::new(); len];
        self.edges(&mut |e| {
            let (from, to) = (self.dense(e.from), self.dense(e.to));
            let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            if let Some(out) = forward.get_mut(from) {
                out.push(as_u32(to));
            }
            if let Some(out) = backward.get_mut(to) {
                out.push(as_u32(from));
            }
        });
        let mut kept = vec![false; len];
        for adjacency in [&forward, &backward] {
            let mut seen = vec![false; len];
            let mut todo: Vec<usize> = seeds.iter().map(|n| self.dense(*n)).collect();
            while let Some(n) = todo.pop() {
                match seen.get_mut(n) {
                    Some(s) if !*s => *s = true,
                    _ => continue,
                }
                if let Some(k) = kept.get_mut(n) {
                    *k = true;
                }
                todo.extend(adjacency.get(n).into_iter().flatten().map(|&m| m as usize));
            }
        }
        Ok(kept)
    }
}
