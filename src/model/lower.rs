//! Lowering: syntax trees -> [`Model`]. Declares every name first (so order
//! in the files never matters), then reads each declaration's settings and
//! resolves its references, reporting undefined and duplicate names with a
//! did-you-mean.

use super::settings::{Allowed, Settings};
use super::*;
use crate::diag::{did_you_mean, Code, Diagnostic, Label};
use crate::policy::Policy;
use crate::syntax::ast::{self, DeclKind, Declaration, Statement};
use rustc_hash::FxHashMap as HashMap;

/// Longest name qpol accepts (names become IAM access group and Terraform names).
pub const MAX_NAME_LEN: usize = 100;

/// Lower every parsed file of a policy into one model (the syntax trees
/// are copied; [`lower_owned`] consumes them instead).
pub fn lower(policy: &Policy) -> (Model, Vec<Diagnostic>) {
    let statements = policy
        .files
        .iter()
        .map(|(_, p)| p.file.statements.clone())
        .collect();
    let broken = policy
        .files
        .iter()
        .flat_map(|(_, p)| p.broken.iter().cloned())
        .collect();
    lower_owned(statements, broken, policy.read_users.clone())
}

/// Lower statements into one model, dropping each declaration once it is
/// read: the model's allocations reuse the syntax tree's memory, so peak
/// memory stays near the larger of the two rather than their sum.
/// `broken` names declarations that failed to parse; `read_users` holds
/// the users read while the files were parsed.
pub fn lower_owned(
    files: Vec<Vec<Statement>>,
    broken: Vec<(DeclKind, Text)>,
    read_users: Vec<super::UserReader>,
) -> (Model, Vec<Diagnostic>) {
    let mut cx = Lowerer::default();
    for (kind, name) in broken {
        let namespace = if matches!(kind, DeclKind::Group) {
            DeclKind::Project
        } else {
            kind
        };
        cx.broken.insert((namespace, name));
    }
    cx.reserve(&files);
    // Identity providers first: a user refers to nothing else, so with
    // them declared each user is read as soon as it is declared, and its
    // syntax tree freed before the next is read.
    let mut idps = Vec::new();
    for statement in files.iter().flatten() {
        if let Statement::Declaration(d) = statement {
            if d.kind.value == DeclKind::Idp {
                idps.push(cx.declare(d));
            }
        }
    }
    let mut idps = idps.into_iter();
    cx.add_read_users(read_users);
    // Every other name is declared next, in the order written; what is
    // not read yet is kept (a small vector: users are the bulk).
    let mut kept = Vec::new();
    for statement in files.into_iter().flatten() {
        match statement {
            Statement::Declaration(d) => {
                let index = match d.kind.value {
                    DeclKind::Idp => idps.next().flatten(),
                    DeclKind::User => {
                        if let Some(index) = cx.declare(&d) {
                            cx.fill(&d, index);
                        }
                        continue;
                    }
                    _ => cx.declare(&d),
                };
                kept.push((Statement::Declaration(d), index));
            }
            other => kept.push((other, None)),
        }
    }
    cx.add_presets();
    let mut others = Vec::new();
    for (statement, index) in kept {
        match statement {
            Statement::Declaration(d) => {
                if let Some(index) = index {
                    cx.fill(&d, index);
                }
            }
            other => others.push(other),
        }
    }
    for statement in &others {
        match statement {
            Statement::Assertion(a) => cx.assertion(a),
            Statement::Allow(a) => cx.allow(a),
            Statement::Declaration(_) => {}
        }
    }
    (cx.model, cx.diags)
}

/// Name tables, one namespace per kind (projects and groups share one).
#[derive(Default)]
pub(super) struct Names {
    idps: HashMap<Text, usize>,
    resource_groups: HashMap<Text, usize>,
    instances: HashMap<Text, usize>,
    roles: HashMap<Text, usize>,
    units: HashMap<Text, usize>,
    users: HashMap<Text, usize>,
    service_ids: HashMap<Text, usize>,
}

/// The lowering state; `lower_units` adds the methods for projects, groups,
/// assertions and allows.
#[derive(Default)]
pub(super) struct Lowerer {
    pub(super) model: Model,
    pub(super) diags: Vec<Diagnostic>,
    names: Names,
    /// Names of declarations that did not parse (already reported).
    broken: std::collections::BTreeSet<(DeclKind, Text)>,
}

pub(super) fn located(name: &ast::Name) -> Located<Text> {
    Located::new(name.value.clone(), name.span)
}

impl Lowerer {
    /// Size the model's vectors once: a hundred thousand users must not be
    /// copied by repeated doubling.
    fn reserve(&mut self, files: &[Vec<Statement>]) {
        let mut counts = [0usize; 10];
        for statement in files.iter().flatten() {
            if let Statement::Declaration(d) = statement {
                if let Some(c) = counts.get_mut(d.kind.value as usize) {
                    *c += 1;
                }
            }
        }
        let count = |k: DeclKind| counts.get(k as usize).copied().unwrap_or(0);
        let m = &mut self.model;
        m.idps.reserve(count(DeclKind::Idp));
        m.resource_groups.reserve(count(DeclKind::ResourceGroup));
        m.instances.reserve(count(DeclKind::Instance));
        m.roles.reserve(count(DeclKind::Role) + 2);
        m.units
            .reserve(count(DeclKind::Project) + count(DeclKind::Group));
        m.users.reserve(count(DeclKind::User));
        m.service_ids.reserve(count(DeclKind::ServiceId));
        let n = &mut self.names;
        n.instances.reserve(count(DeclKind::Instance));
        n.units
            .reserve(count(DeclKind::Project) + count(DeclKind::Group));
        n.users.reserve(count(DeclKind::User));
    }

    /// Pass 1: give the declaration a slot and its name a table entry.
    /// Declare a name (or the account, the audit): its entry in the model
    /// with every setting empty, filled later by `fill`. `None` when it
    /// cannot be declared (no name, a duplicate).
    fn declare(&mut self, d: &Declaration) -> Option<usize> {
        let kind = d.kind.value;
        if matches!(kind, DeclKind::Account | DeclKind::Audit) {
            return self.declare_singleton(d);
        }
        let name = self.new_name(d)?;
        let index = self.push_empty(kind, located(name), d.span)?;
        self.table(kind).insert(name.value.clone(), index);
        Some(index)
    }

    /// `account` and `audit`: no name, at most one of each.
    fn declare_singleton(&mut self, d: &Declaration) -> Option<usize> {
        let kind = d.kind.value;
        if let Some(name) = &d.name {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{}` takes no name", kind.keyword()),
                    Label::new(name.span, "remove this name"),
                )
                .with_help(format!("write `{} {{ ... }}`", kind.keyword())),
            );
        }
        let existing = match kind {
            DeclKind::Account => self.model.account.as_ref().map(|a| a.span),
            _ => self.model.audit.as_ref().map(|a| a.span),
        };
        if let Some(first) = existing {
            self.diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    format!("`{}` is declared twice", kind.keyword()),
                    Label::new(d.kind.span, "declared again here"),
                )
                .with_label(Label::new(first, "first declared here"))
                .with_help("a policy has one such declaration; merge the two"),
            );
            return None;
        }
        match kind {
            DeclKind::Account => {
                self.model.account = Some(Account {
                    span: d.span,
                    ..Account::default()
                })
            }
            _ => {
                self.model.audit = Some(Audit {
                    region: None,
                    target: None,
                    endpoint: None,
                    span: d.span,
                })
            }
        }
        Some(0)
    }

    /// The declaration's name, unless it has none or it is taken (both
    /// reported); a name too long is reported and kept.
    fn new_name<'d>(&mut self, d: &'d Declaration) -> Option<&'d ast::Name> {
        let kind = d.kind.value;
        let Some(name) = &d.name else {
            self.diags.push(
                Diagnostic::new(
                    Code::MissingSetting,
                    format!("{} needs a name", kind.keyword()),
                    Label::new(d.kind.span, "no name follows"),
                )
                .with_help(format!("write `{} NAME {{ ... }}`", kind.keyword())),
            );
            return None;
        };
        self.name_is_free(kind, &name.value, name.span, None)
            .then_some(name)
    }

    /// Whether a name can be declared: reported when taken (`None`), and
    /// reported but kept when too long. `first_of` finds the span of a
    /// first declaration that is not in the model yet.
    pub(super) fn name_is_free(
        &mut self,
        kind: DeclKind,
        name: &Text,
        span: Span,
        first_of: Option<&dyn Fn(usize) -> Option<Span>>,
    ) -> bool {
        if name.len() > MAX_NAME_LEN {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidName,
                    format!(
                        "name of {} characters is longer than the {MAX_NAME_LEN} qpol accepts",
                        name.chars().count()
                    ),
                    Label::new(span, "name too long"),
                )
                .with_help("names become IAM access group and Terraform names; shorten it"),
            );
        }
        let table = self.table(kind);
        let Some(&first) = table.get(name) else {
            return true;
        };
        let first_span = first_of
            .and_then(|f| f(first))
            .unwrap_or_else(|| self.name_span(kind, first));
        let what = if matches!(kind, DeclKind::Project | DeclKind::Group) {
            "project or group"
        } else {
            kind.keyword()
        };
        self.diags.push(
            Diagnostic::new(
                Code::DuplicateName,
                format!("{what} `{name}` is declared twice"),
                Label::new(span, "declared again here"),
            )
            .with_label(Label::new(first_span, "first declared here"))
            .with_help("rename one of them; each becomes its own IAM object and must be unique"),
        );
        false
    }

    pub(super) fn names_users(&self) -> &HashMap<Text, usize> {
        &self.names.users
    }

    pub(super) fn names_service_ids(&self) -> &HashMap<Text, usize> {
        &self.names.service_ids
    }

    pub(super) fn table(&mut self, kind: DeclKind) -> &mut HashMap<Text, usize> {
        match kind {
            DeclKind::Idp => &mut self.names.idps,
            DeclKind::ResourceGroup => &mut self.names.resource_groups,
            DeclKind::Instance => &mut self.names.instances,
            DeclKind::Role => &mut self.names.roles,
            DeclKind::User => &mut self.names.users,
            DeclKind::ServiceId => &mut self.names.service_ids,
            _ => &mut self.names.units,
        }
    }

    fn name_span(&self, kind: DeclKind, index: usize) -> crate::diag::Span {
        let m = &self.model;
        let span = match kind {
            DeclKind::Idp => m.idps.get(index).map(|e| e.name.span),
            DeclKind::ResourceGroup => m.resource_groups.get(index).map(|e| e.name.span),
            DeclKind::Instance => m.instances.get(index).map(|e| e.name.span),
            DeclKind::Role => m.roles.get(index).map(|e| e.name.span),
            DeclKind::User => m.users.get(index).map(|e| e.name.span),
            DeclKind::ServiceId => m.service_ids.get(index).map(|e| e.name.span),
            _ => m.units.get(index).map(|e| e.name.span),
        };
        span.unwrap_or_default()
    }

    /// The built-in `reader` and `writer` roles, unless declared.
    fn add_presets(&mut self) {
        for preset in ["reader", "writer"] {
            if self.names.roles.contains_key(preset) {
                continue;
            }
            let actions = actions::preset(preset).unwrap_or(&[]);
            let index = push(
                &mut self.model.roles,
                Role {
                    name: Located::new(Text::from(preset), Span::default()),
                    actions: actions
                        .iter()
                        .map(|a| Located::new(Text::from(*a), Span::default()))
                        .collect(),
                    display_name: None,
                    description: None,
                    iam_name: None,
                    preset: true,
                    span: Span::default(),
                },
            );
            self.names.roles.insert(Text::from(preset), index);
        }
    }

    /// Resolve a reference, or report it (Q101) with the closest declared name.
    pub(super) fn resolve(&mut self, kind: DeclKind, name: &Located<Text>) -> Option<usize> {
        let table = self.table(kind);
        if let Some(&index) = table.get(&name.value) {
            return Some(index);
        }
        let suggestion =
            did_you_mean(&name.value, table.keys().map(|k| k.as_str())).map(str::to_string);
        let namespace = if matches!(kind, DeclKind::Group) {
            DeclKind::Project
        } else {
            kind
        };
        if self.broken.contains(&(namespace, name.value.clone())) {
            return None;
        }
        let what = match kind {
            DeclKind::Project | DeclKind::Group => "project or group",
            DeclKind::ResourceGroup => "resource group",
            DeclKind::ServiceId => "service id",
            DeclKind::Idp => "identity provider",
            other => other.keyword(),
        };
        let mut d = Diagnostic::new(
            Code::UndefinedName,
            format!("{what} `{}` is not declared", name.value),
            Label::new(name.span, format!("no {what} of this name")),
        )
        .with_suggestion(suggestion.as_deref());
        if d.help.is_none() {
            d.help = Some(format!(
                "declare it: `{} {} ...`",
                kind.keyword(),
                name.value
            ));
        }
        self.diags.push(d);
        None
    }

    /// Pass 2: read the settings of one declaration.
    fn fill(&mut self, d: &Declaration, index: usize) {
        match d.kind.value {
            DeclKind::Account => self.account(d),
            DeclKind::Audit => self.audit(d),
            DeclKind::Idp => self.idp(d, index),
            DeclKind::ResourceGroup => {
                self.settings(d, "resource group", &[], false, false);
                let existing = self.existing(d, true);
                if let Some(rg) = self.model.resource_groups.get_mut(index) {
                    rg.existing = existing;
                }
            }
            DeclKind::Instance => self.instance(d, index),
            DeclKind::Role => self.role(d, index),
            DeclKind::Project | DeclKind::Group => self.unit(d, index),
            DeclKind::User => self.user(d, index),
            DeclKind::ServiceId => {
                let s = self.settings(d, "service id", &["description", "iam_id"], false, false);
                let description = s.string("description", &mut self.diags).map(|l| l.value);
                let iam_id = s.string("iam_id", &mut self.diags);
                if let Some(id) = &iam_id {
                    super::values::check_identity(id, "IAM id", &mut self.diags);
                }
                let iam_id = iam_id.map(|l| l.value);
                self.existing(d, false);
                if let Some(sid) = self.model.service_ids.get_mut(index) {
                    sid.description = description;
                    sid.iam_id = iam_id;
                }
            }
        }
    }

    pub(super) fn settings<'a>(
        &mut self,
        d: &'a Declaration,
        kind: &str,
        keys: &[&'static str],
        members: bool,
        attributes: bool,
    ) -> Settings<'a> {
        Settings::collect(
            d.block.as_ref(),
            &Allowed {
                kind,
                keys,
                members,
                attributes,
            },
            &mut self.diags,
        )
    }

    /// The `existing` flag after the name, where the kind allows it.
    pub(super) fn existing(&mut self, d: &Declaration, allowed: bool) -> bool {
        existing_flag(d, allowed, &mut self.diags)
    }
}

/// The `existing` flag after the name, where the kind allows it; any other
/// word there is reported.
pub(super) fn existing_flag(d: &Declaration, allowed: bool, diags: &mut Vec<Diagnostic>) -> bool {
    let Some(flag) = &d.flag else { return false };
    if allowed && flag.value == "existing" {
        return true;
    }
    let help = if allowed {
        "the only word allowed after the name is `existing`"
    } else {
        "remove it"
    };
    diags.push(
        Diagnostic::new(
            Code::InvalidValue,
            format!(
                "unexpected `{}` after the name of {} `{}`",
                flag.value,
                d.kind.value.keyword(),
                d.name.as_ref().map_or("", |n| n.value.as_str())
            ),
            Label::new(flag.span, "not understood here"),
        )
        .with_suggestion(if allowed {
            did_you_mean(&flag.value, ["existing"])
        } else {
            None
        })
        .with_help(help),
    );
    false
}

pub(super) fn push<T>(v: &mut Vec<T>, item: T) -> usize {
    v.push(item);
    v.len() - 1
}

pub(super) fn missing(d: &Declaration, key: &str, why: &str) -> Diagnostic {
    let name = d
        .name
        .as_ref()
        .map_or(String::new(), |n| format!(" `{}`", n.value));
    Diagnostic::new(
        Code::MissingSetting,
        format!("{}{name} has no `{key}`", d.kind.value.keyword()),
        Label::new(
            d.name.as_ref().map_or(d.kind.span, |n| n.span),
            format!("`{key}` missing"),
        ),
    )
    .with_help(format!("{why}: add `{key} ...;`"))
}
