//! Lowering of users, in two steps: read a declaration (settings,
//! attributes, identity), then give the user its identity provider once
//! every provider is declared.
//!
//! The first step needs nothing else of the policy, so a file read from
//! disk has its users read while it is parsed ([`UserReader`], a
//! `syntax::Reader`, one per chunk on the thread parsing it): the syntax
//! trees of a hundred thousand users never exist at once, each is freed as
//! soon as it is read.

use super::lower::{existing_flag, located, missing, Lowerer};
use super::settings::{Allowed, Settings};
use super::*;
use crate::diag::{Code, Diagnostic, Label};
use crate::syntax::ast::{DeclKind, Declaration};

/// The identity provider a read user names, resolved at lowering.
#[derive(Debug, Clone)]
pub(super) enum IdpRef {
    Named(Located<Text>),
    /// None named but attributes given: the policy's only provider.
    Only(Span),
    None,
}

/// Users read while their file was parsed, in the order written, with
/// what reading them found.
#[derive(Debug, Clone, Default)]
pub struct UserReader {
    users: Vec<User>,
    idps: Vec<IdpRef>,
    /// Findings of reading, by the position of the user in `users`: those
    /// of a user declared twice are dropped with it, as when lowered from
    /// the tree (where a duplicate is never read).
    diags: Vec<(usize, Diagnostic)>,
    scratch: Vec<Diagnostic>,
    /// Room to make when the first user is read.
    expected: usize,
}

impl UserReader {
    /// No user was read.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

impl crate::syntax::Reader for UserReader {
    fn expect(&mut self, statements: usize) {
        self.expected = statements;
    }

    fn read(&mut self, d: Box<Declaration>) -> Option<Box<Declaration>> {
        // A user without a name is reported where names are declared.
        if d.kind.value != DeclKind::User || d.name.is_none() {
            return Some(d);
        }
        if self.users.capacity() == 0 {
            // Room for every statement of the chunk at once: a hundred
            // thousand users are not copied as the vectors grow, and the
            // room no user takes is never touched.
            self.users.reserve_exact(self.expected);
            self.idps.reserve_exact(self.expected);
        }
        let (user, idp) = read_user(&d, &mut self.scratch);
        let at = self.users.len();
        self.diags.extend(self.scratch.drain(..).map(|d| (at, d)));
        self.users.push(user);
        self.idps.push(idp);
        None
    }

    fn forget_from(&mut self, offset: usize) {
        let keep = self
            .users
            .iter()
            .take_while(|u| u.span.start() < offset)
            .count();
        self.users.truncate(keep);
        self.idps.truncate(keep);
        self.diags.retain(|(at, _)| *at < keep);
    }
}

/// Read a user's declaration: everything but its identity provider.
fn read_user(d: &Declaration, diags: &mut Vec<Diagnostic>) -> (User, IdpRef) {
    let allowed = Allowed {
        kind: "user",
        keys: &["idp", "email", "iam_id"],
        members: false,
        attributes: true,
    };
    let s = Settings::collect(d.block.as_ref(), &allowed, diags);
    existing_flag(d, false, diags);
    let idp_name = s.name("idp", diags);
    let email = s.string("email", diags);
    let iam_id = s.string("iam_id", diags);
    for (id, what) in [(&email, "email"), (&iam_id, "IAM id")] {
        if let Some(id) = id {
            super::values::check_identity(id, what, diags);
        }
    }
    let mut attributes = AttrMap::default();
    for block in &s.attributes {
        for entry in &block.entries {
            if let Some(first) = attributes.get(&entry.name.value) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("attribute `{}` is given twice", entry.name.value),
                        Label::new(entry.span, "given again here"),
                    )
                    .with_label(Label::new(first.span, "first given here"))
                    .with_help(
                        "give a list to hold several values: `project [\"ml\", \"finance\"]`",
                    ),
                );
                continue;
            }
            attributes.insert(
                entry.name.value.clone(),
                Located::new((&entry.value).into(), entry.span),
            );
        }
    }
    let idp = match idp_name {
        Some(name) => IdpRef::Named(name),
        None if !attributes.is_empty() => IdpRef::Only(d.span),
        None => {
            if email.is_none() && iam_id.is_none() {
                diags.push(missing(d, "idp", "a user logs in through an identity provider (`idp NAME; attributes { ... }`) or is an IAM user (`email \"...\"`)"));
            }
            IdpRef::None
        }
    };
    let name = d
        .name
        .as_ref()
        .map_or_else(|| Located::new(Text::default(), d.kind.span), located);
    let user = User {
        name,
        idp: None,
        attributes,
        email,
        iam_id,
        span: d.span,
    };
    (user, idp)
}

impl Lowerer {
    /// Fill a declared user from its syntax tree.
    pub(super) fn user(&mut self, d: &Declaration, index: usize) {
        let (read, idp) = read_user(d, &mut self.diags);
        let idp = self.user_idp(idp);
        if let Some(user) = self.model.users.get_mut(index) {
            user.idp = idp;
            user.attributes = read.attributes;
            user.email = read.email;
            user.iam_id = read.iam_id;
        }
    }

    fn user_idp(&mut self, idp: IdpRef) -> Option<Located<IdpId>> {
        match idp {
            IdpRef::Named(name) => self
                .resolve(DeclKind::Idp, &name)
                .map(|id| Located::new(id, name.span)),
            IdpRef::Only(at) => self
                .default_idp(at, "a user with attributes")
                .map(|id| Located::new(id, at)),
            IdpRef::None => None,
        }
    }

    /// Declare the users read while parsing, in order, and give each its
    /// identity provider. The first reader's vector becomes the model's
    /// (a hundred thousand users are not copied).
    pub(super) fn add_read_users(&mut self, readers: Vec<UserReader>) {
        for reader in readers {
            let mut found = reader.diags.into_iter().peekable();
            let base = self.model.users.len();
            let mut users = reader.users;
            // Where each declared user sits in `users` (duplicates are not).
            let mut declared_at: Vec<usize> = Vec::with_capacity(users.len());
            for (at, idp) in reader.idps.into_iter().enumerate() {
                let Some(user) = users.get(at) else { break };
                let (name, span) = (user.name.value.clone(), user.name.span);
                let first_of = |first: usize| {
                    let at = *declared_at.get(first.checked_sub(base)?)?;
                    users.get(at).map(|u| u.name.span)
                };
                let declared = self.name_is_free(DeclKind::User, &name, span, Some(&first_of));
                while let Some((_, d)) = found.next_if(|(of, _)| *of == at) {
                    if declared {
                        self.diags.push(d);
                    }
                }
                if !declared {
                    continue;
                }
                let index = base + declared_at.len();
                self.table(DeclKind::User).insert(name, index);
                let idp = self.user_idp(idp);
                if let Some(user) = users.get_mut(at) {
                    user.idp = idp;
                }
                declared_at.push(at);
            }
            if declared_at.len() < users.len() {
                let mut declared = vec![false; users.len()];
                for &at in &declared_at {
                    if let Some(d) = declared.get_mut(at) {
                        *d = true;
                    }
                }
                let mut flags = declared.into_iter();
                users.retain(|_| flags.next().unwrap_or(false));
            }
            if self.model.users.is_empty() {
                self.model.users = users;
            } else {
                self.model.users.extend(users);
            }
        }
    }
}
