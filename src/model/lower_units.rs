//! Lowering of projects and groups (scope, members, dynamic rules, roles),
//! assertions and `allow` statements.

use super::lower::{missing, Lowerer};
use super::*;
use crate::diag::{did_you_mean, Code, Diagnostic, Label};
use crate::syntax::ast::{self, DeclKind, Declaration, MemberSource};

impl Lowerer {
    pub(super) fn unit(&mut self, d: &Declaration, index: usize) {
        let is_group = d.kind.value == DeclKind::Group;
        let keys: &[&'static str] = if is_group {
            &[
                "projects",
                "groups",
                "instances",
                "resource_group",
                "role",
                "description",
            ]
        } else {
            &["instances", "resource_group", "role", "description"]
        };
        let kind_word = if is_group { "group" } else { "project" };
        let s = self.settings(d, kind_word, keys, true, false);
        self.existing(d, false);
        let instances = {
            let names = s.names("instances", &mut self.diags);
            self.resolve_all(DeclKind::Instance, names)
        };
        let resource_groups = {
            let names = s.names("resource_group", &mut self.diags);
            self.resolve_all(DeclKind::ResourceGroup, names)
        };
        let projects = {
            let names = s.names("projects", &mut self.diags);
            self.resolve_all(DeclKind::Project, names)
        };
        let groups = {
            let names = s.names("groups", &mut self.diags);
            self.resolve_all(DeclKind::Group, names)
        };
        self.check_unit_kinds(&projects, UnitKind::Project, "projects");
        self.check_unit_kinds(&groups, UnitKind::Group, "groups");
        let role_name = s.name("role", &mut self.diags);
        let role = self.role_ref(role_name);
        let description = s.string("description", &mut self.diags);
        let member_sets: Vec<MemberSet> = s.members.iter().map(|m| self.member_set(m)).collect();
        if !is_group
            && instances.is_empty()
            && resource_groups.is_empty()
            && !s.mentions("instances")
            && !s.mentions("resource_group")
        {
            self.diags.push(
                Diagnostic::new(
                    Code::EmptyScope,
                    format!(
                        "project `{}` grants access to no instance",
                        d.name.as_ref().map_or("", |n| n.value.as_str())
                    ),
                    Label::new(
                        d.name.as_ref().map_or(d.kind.span, |n| n.span),
                        "no `instances` and no `resource_group`",
                    ),
                )
                .with_help("add `instances NAME, NAME;` or `resource_group NAME;`"),
            );
        }
        if !is_group && role.is_none() && !s.mentions("role") {
            if let Some(set) = member_sets.iter().find(|m| m.role.is_none()) {
                self.diags.push(
                    missing(d, "role", "its members need a role")
                        .with_label(Label::new(set.span, "these members get no role")),
                );
            }
        }
        if let Some(unit) = self.model.units.get_mut(index) {
            unit.instances = instances;
            unit.resource_groups = resource_groups;
            unit.projects = projects;
            unit.groups = groups;
            unit.role = role;
            unit.description = description;
            unit.member_sets = member_sets;
        }
    }

    fn resolve_all(&mut self, kind: DeclKind, names: Vec<Located<Text>>) -> Vec<Located<usize>> {
        let mut out: Vec<Located<usize>> = Vec::new();
        for name in names {
            let Some(id) = self.resolve(kind, &name) else {
                continue;
            };
            if out.iter().any(|o| o.value == id) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("`{}` is listed twice", name.value),
                        Label::new(name.span, "listed again here"),
                    )
                    .with_help("remove the second mention"),
                );
                continue;
            }
            out.push(Located::new(id, name.span));
        }
        out
    }

    /// `projects` must name projects and `groups` groups (they share a namespace).
    fn check_unit_kinds(&mut self, refs: &[Located<UnitId>], expected: UnitKind, key: &str) {
        for r in refs {
            let Some(unit) = self.model.units.get(r.value) else {
                continue;
            };
            if unit.kind != expected {
                let d = Diagnostic::new(
                    Code::InvalidValue,
                    format!(
                        "`{}` is a {}, but `{key}` lists {}s",
                        unit.name.value,
                        unit.kind.word(),
                        expected.word()
                    ),
                    Label::new(r.span, format!("a {}", unit.kind.word())),
                )
                .with_label(Label::new(unit.name.span, "declared here"))
                .with_help(format!("list it under `{}s`", unit.kind.word()));
                self.diags.push(d);
            }
        }
    }

    fn role_ref(&mut self, name: Option<Located<Text>>) -> Option<Located<RoleId>> {
        let name = name?;
        self.resolve(DeclKind::Role, &name)
            .map(|id| Located::new(id, name.span))
    }

    fn member_set(&mut self, m: &ast::Members) -> MemberSet {
        let mut set = MemberSet {
            rules: Vec::new(),
            users: Vec::new(),
            service_ids: Vec::new(),
            role: None,
            span: m.span,
        };
        for source in &m.sources {
            match source {
                MemberSource::Rule(rule) => {
                    if let Some(r) = self.dynamic_rule(rule) {
                        set.rules.push(r);
                    }
                }
                MemberSource::User(r) => {
                    if let Some(r) = self.member_ref(DeclKind::User, r) {
                        set.users.push(r);
                    }
                }
                MemberSource::ServiceId(r) => {
                    if let Some(r) = self.member_ref(DeclKind::ServiceId, r) {
                        set.service_ids.push(r);
                    }
                }
            }
        }
        set.role = self.role_ref(m.role.as_ref().map(super::lower::located));
        set
    }

    fn member_ref(&mut self, kind: DeclKind, r: &ast::MemberRef) -> Option<MemberRef> {
        match r {
            ast::MemberRef::Declared(name) => {
                let id = self.resolve(kind, &super::lower::located(name))?;
                let named = match kind {
                    DeclKind::ServiceId => Named::ServiceId(id),
                    _ => Named::User(id),
                };
                self.model.references.push(Located::new(named, name.span));
                Some(MemberRef::Declared(id))
            }
            ast::MemberRef::Literal(s) if s.value.trim().is_empty() => {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        "an empty member id adds nobody",
                        Label::new(s.span, "empty"),
                    )
                    .with_help("write the user's email or IAM id"),
                );
                None
            }
            ast::MemberRef::Literal(s) => {
                let id = super::lower::located(s);
                super::values::check_identity(&id, "member id", &mut self.diags);
                Some(MemberRef::Literal(id.value))
            }
        }
    }

    fn dynamic_rule(&mut self, rule: &ast::Rule) -> Option<DynamicRule> {
        let idp = match &rule.idp {
            Some(name) => {
                let idp = self.resolve(DeclKind::Idp, &super::lower::located(name));
                if let Some(id) = idp {
                    self.model
                        .references
                        .push(Located::new(Named::Idp(id), name.span));
                }
                idp
            }
            None => self.default_idp(rule.span, "a `members where` rule"),
        };
        let mut conditions = Vec::new();
        for c in &rule.conditions {
            self.check_condition(c, idp);
            conditions.push(Condition {
                claim: super::lower::located(&c.claim),
                operator: c.operator.value.into(),
                value: Located::new((&c.value.value).into(), c.value.span),
                span: c.span,
            });
        }
        Some(DynamicRule {
            idp,
            conditions,
            span: rule.span,
        })
    }

    fn check_condition(&mut self, c: &ast::Condition, idp: Option<IdpId>) {
        use crate::syntax::ast::{CondValue, Operator};
        let op = c.operator.value;
        match (&c.value.value, op) {
            (CondValue::One(_), Operator::In) => self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    "`in` compares with a list of values",
                    Label::new(c.value.span, "a single string"),
                )
                .with_help(format!(
                    "write `{} in [\"a\", \"b\"]`, or use `equals`",
                    c.claim.value
                )),
            ),
            (CondValue::Many(_), op) if op != Operator::In => self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` compares with one value, not a list", op.keyword()),
                    Label::new(c.value.span, "a list"),
                )
                .with_help(format!(
                    "use `in` for a list, or write one string after `{}`",
                    op.keyword()
                )),
            ),
            _ => {}
        }
        let values: Vec<&Text> = match &c.value.value {
            CondValue::One(v) => vec![v],
            CondValue::Many(vs) => vs.iter().collect(),
        };
        if values.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    "`in []` admits nobody",
                    Label::new(c.value.span, "empty list"),
                )
                .with_help("list at least one value"),
            );
        }
        for v in &values {
            super::values::check_hidden_value(
                v.as_str(),
                c.value.span,
                "rule value",
                super::values::ValueUse::Compared,
                &mut self.diags,
            );
        }
        for v in values {
            if v.is_empty() && matches!(op, Operator::Contains | Operator::Has) {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "`{} \"\"` admits every user who has the attribute",
                            op.keyword()
                        ),
                        Label::new(c.value.span, "empty value"),
                    )
                    .with_help("give the project's value, e.g. `contains \"ml\"`"),
                );
            }
            if op == Operator::Has && v.contains(',') {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidName,
                        format!("`has` value `{v}` contains `,`, the delimiter qpol writes around each value"),
                        Label::new(c.value.span, "contains the delimiter"),
                    )
                    .with_help("use a value without commas"),
                );
            }
        }
        let Some(declared) = idp.and_then(|i| self.model.idps.get(i)) else {
            return;
        };
        if declared.attributes.is_empty()
            || declared.attributes.iter().any(|a| a.value == c.claim.value)
        {
            return;
        }
        let idp_name = declared.name.value.clone();
        let names: Vec<Text> = declared
            .attributes
            .iter()
            .map(|a| a.value.clone())
            .collect();
        let mut d = Diagnostic::new(
            Code::UndefinedName,
            format!(
                "attribute `{}` is not declared by identity provider `{idp_name}`",
                c.claim.value
            ),
            Label::new(c.claim.span, "unknown attribute"),
        )
        .with_suggestion(did_you_mean(
            &c.claim.value,
            names.iter().map(|n| n.as_str()),
        ));
        if d.help.is_none() {
            d.help = Some(format!(
                "add it to the idp: `attribute {}, {};`",
                names.join(", "),
                c.claim.value
            ));
        }
        self.diags.push(d);
    }

    pub(super) fn assertion(&mut self, a: &ast::Assertion) {
        let subject = match &a.subject {
            ast::Subject::Declared(name) => {
                let n = super::lower::located(name);
                if let Some(&id) = self.names_users().get(&name.value) {
                    Some(Subject::User(id))
                } else if let Some(&id) = self.names_service_ids().get(&name.value) {
                    Some(Subject::ServiceId(id))
                } else {
                    self.resolve(DeclKind::User, &n).map(Subject::User)
                }
            }
            ast::Subject::ServiceId(name) => self
                .resolve(DeclKind::ServiceId, &super::lower::located(name))
                .map(Subject::ServiceId),
            ast::Subject::UserLiteral(s) => Some(Subject::Literal(s.value.clone())),
        };
        let action = Text::from(actions::normalize(&a.action.value));
        let known = actions::is_known(&action);
        if !known {
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownAction,
                    format!("`{action}` is not a quantum-computing action"),
                    Label::new(a.action.span, "unknown action"),
                )
                .with_suggestion(did_you_mean(&action, actions::all())),
            );
        }
        let instance = self.resolve(DeclKind::Instance, &super::lower::located(&a.instance));
        let (Some(subject), Some(instance), true) = (subject, instance, known) else {
            return;
        };
        self.model.assertions.push(Assertion {
            subject: Located::new(subject, a.subject.span()),
            expect_allowed: a.expect_allowed,
            action: Located::new(action, a.action.span),
            instance: Located::new(instance, a.instance.span),
            span: a.span,
        });
    }

    pub(super) fn allow(&mut self, a: &ast::Allow) {
        let change = match a.change.value.as_str() {
            "delete" => Change::Delete,
            "move" => Change::Move,
            code if super::lower_allow::looks_like_code(code) => {
                self.acknowledgement(a);
                return;
            }
            other => {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("`allow {other}` is not a change qpol knows"),
                        Label::new(
                            a.change.span,
                            "expected `delete`, `move` or a code such as Q201",
                        ),
                    )
                    .with_suggestion(did_you_mean(other, ["delete", "move"])),
                );
                if let Some(d) = self.diags.last_mut() {
                    if d.help.is_none() {
                        d.help = Some("write `allow delete INSTANCE;`, `allow move INSTANCE;` or `allow CODE on KIND NAME \"reason\";`".into());
                    }
                }
                return;
            }
        };
        let Some(instance) = self.change_target(a) else {
            return;
        };
        self.model.allows.push(Allow {
            change,
            instance: super::lower::located(instance),
            span: a.span,
        });
    }
}
