//! Lowering, first pass: each declared name gets its entry in the model,
//! one kind of declaration at a time, with every setting still empty.

use super::lower::{push, Lowerer};
use super::*;
use crate::syntax::ast::DeclKind;

impl Lowerer {
    /// Add an empty entry of `kind` named `n`; its index in its list.
    pub(super) fn push_empty(
        &mut self,
        kind: DeclKind,
        n: Located<Text>,
        span: Span,
    ) -> Option<usize> {
        let index = match kind {
            DeclKind::Idp => push(
                &mut self.model.idps,
                Idp {
                    name: n,
                    kind: "appid".into(),
                    region: None,
                    attributes: Vec::new(),
                    session_hours: 24,
                    realm: None,
                    tenant: None,
                    plan: None,
                    resource_group: None,
                    existing: false,
                    span,
                },
            ),
            DeclKind::ResourceGroup => push(
                &mut self.model.resource_groups,
                ResourceGroup {
                    name: n,
                    existing: false,
                    span,
                },
            ),
            DeclKind::Instance => push(
                &mut self.model.instances,
                Instance {
                    name: n,
                    plan: None,
                    region: None,
                    resource_group: None,
                    tags: Vec::new(),
                    existing: false,
                    span,
                },
            ),
            DeclKind::Role => push(
                &mut self.model.roles,
                Role {
                    name: n,
                    actions: Vec::new(),
                    display_name: None,
                    description: None,
                    iam_name: None,
                    preset: false,
                    span,
                },
            ),
            DeclKind::Project | DeclKind::Group => push(
                &mut self.model.units,
                Unit {
                    kind: if kind == DeclKind::Project {
                        UnitKind::Project
                    } else {
                        UnitKind::Group
                    },
                    name: n,
                    instances: Vec::new(),
                    resource_groups: Vec::new(),
                    projects: Vec::new(),
                    groups: Vec::new(),
                    member_sets: Vec::new(),
                    role: None,
                    description: None,
                    span,
                },
            ),
            DeclKind::User => push(
                &mut self.model.users,
                User {
                    name: n,
                    idp: None,
                    attributes: AttrMap::default(),
                    email: None,
                    iam_id: None,
                    span,
                },
            ),
            DeclKind::ServiceId => push(
                &mut self.model.service_ids,
                ServiceId {
                    name: n,
                    description: None,
                    iam_id: None,
                    span,
                },
            ),
            DeclKind::Account | DeclKind::Audit => return None,
        };
        Some(index)
    }
}
