//! Every place the model locates: declaration names, references, actions,
//! rule values and attribute names, each with its span. A name's span is
//! kept only where the source text is the name (a span that covers
//! `project ml` is narrowed to `ml`; a defaulted one is dropped).

use super::TargetKind;
use crate::diag::{Entity, FileId, Span};
use crate::model::{actions, Named, Text};
use crate::pipeline::Analysis;

/// One located thing.
#[derive(Debug, Clone)]
pub(super) struct Occurrence {
    pub span: Span,
    pub kind: TargetKind,
}

/// Gathers occurrences, of one file or of all.
struct Collector<'a> {
    analysis: &'a Analysis,
    file: Option<FileId>,
    /// Only what holds this offset (with `file`).
    offset: Option<usize>,
    out: Vec<Occurrence>,
}

impl Collector<'_> {
    fn wants(&self, span: Span) -> bool {
        self.file.is_none_or(|f| f == span.file)
            && self
                .offset
                .is_none_or(|o| span.start() <= o && o <= span.end())
    }

    fn push(&mut self, span: Span, kind: TargetKind) {
        if self.wants(span) {
            self.out.push(Occurrence { span, kind });
        }
    }

    /// A name: kept when the source text at `span` is the name, or ends
    /// with it after a space (then narrowed to it).
    fn name(&mut self, span: Span, named: Named, declaration: bool) {
        if !self.wants(span) {
            return;
        }
        let Some(narrowed) = name_span(self.analysis, span, named) else {
            return;
        };
        let kind = if declaration {
            TargetKind::Declaration(named)
        } else {
            TargetKind::Reference(named)
        };
        self.out.push(Occurrence {
            span: narrowed,
            kind,
        });
    }
}

/// The part of `span` that is `named`'s name, if the text there is it.
pub(super) fn name_span(analysis: &Analysis, span: Span, named: Named) -> Option<Span> {
    let name = super::name_of(&analysis.model, named)?;
    let text = analysis.sources.get(span.file)?.slice(span);
    if text.is_empty() || name.is_empty() {
        return None;
    }
    if text == name.as_str() {
        return Some(span);
    }
    let head = text.strip_suffix(name.as_str())?;
    head.ends_with(char::is_whitespace)
        .then(|| Span::new(span.file, span.end() - name.len(), span.end()))
}

/// Every occurrence in `file` whose span holds `offset` (or ends at it).
pub(super) fn holding(analysis: &Analysis, file: FileId, offset: usize) -> Vec<Occurrence> {
    collect(analysis, Some(file), Some(offset))
}

/// Every occurrence in every file.
pub(super) fn everywhere(analysis: &Analysis) -> Vec<Occurrence> {
    collect(analysis, None, None)
}

fn collect(analysis: &Analysis, file: Option<FileId>, offset: Option<usize>) -> Vec<Occurrence> {
    let mut c = Collector {
        analysis,
        file,
        offset,
        out: Vec::new(),
    };
    declarations(&mut c);
    units(&mut c);
    statements(&mut c);
    let m = &analysis.model;
    for r in &m.references {
        c.name(r.span, r.value, false);
    }
    c.out.sort_by_key(|o| o.span);
    c.out
}

fn declarations(c: &mut Collector<'_>) {
    let m = &c.analysis.model;
    for (i, idp) in m.idps.iter().enumerate() {
        c.name(idp.name.span, Named::Idp(i), true);
        for a in &idp.attributes {
            c.push(a.span, attribute(Some(i), &a.value));
        }
        if let Some(rg) = &idp.resource_group {
            c.name(rg.span, Named::ResourceGroup(rg.value), false);
        }
    }
    for (i, rg) in m.resource_groups.iter().enumerate() {
        c.name(rg.name.span, Named::ResourceGroup(i), true);
    }
    for (i, instance) in m.instances.iter().enumerate() {
        c.name(instance.name.span, Named::Instance(i), true);
        if let Some(rg) = &instance.resource_group {
            c.name(rg.span, Named::ResourceGroup(rg.value), false);
        }
    }
    for (i, role) in m.roles.iter().enumerate() {
        if role.preset {
            continue;
        }
        c.name(role.name.span, Named::Role(i), true);
        for a in &role.actions {
            c.push(a.span, action(&a.value));
        }
    }
    for (i, user) in m.users.iter().enumerate() {
        if !c.wants(user.span) {
            continue;
        }
        c.name(user.name.span, Named::User(i), true);
        if let Some(idp) = &user.idp {
            c.name(idp.span, Named::Idp(idp.value), false);
        }
        for (key, value) in user.attributes.iter() {
            if let Some(span) = key_in_entry(c.analysis, key, value.span) {
                c.push(span, attribute(user.idp.as_ref().map(|i| i.value), key));
            }
        }
    }
    for (i, sid) in m.service_ids.iter().enumerate() {
        c.name(sid.name.span, Named::ServiceId(i), true);
    }
}

fn units(c: &mut Collector<'_>) {
    let m = &c.analysis.model;
    for (u, unit) in m.units.iter().enumerate() {
        if !c.wants(unit.span) {
            continue;
        }
        c.name(unit.name.span, Named::Unit(u), true);
        for i in &unit.instances {
            c.name(i.span, Named::Instance(i.value), false);
        }
        for rg in &unit.resource_groups {
            c.name(rg.span, Named::ResourceGroup(rg.value), false);
        }
        for p in unit.projects.iter().chain(&unit.groups) {
            c.name(p.span, Named::Unit(p.value), false);
        }
        if let Some(r) = &unit.role {
            c.name(r.span, Named::Role(r.value), false);
        }
        for (s, set) in unit.member_sets.iter().enumerate() {
            if let Some(r) = &set.role {
                c.name(r.span, Named::Role(r.value), false);
            }
            for (r, rule) in set.rules.iter().enumerate() {
                for (k, cond) in rule.conditions.iter().enumerate() {
                    c.push(cond.claim.span, attribute(rule.idp, &cond.claim.value));
                    c.push(
                        cond.value.span,
                        TargetKind::RuleValue {
                            unit: u,
                            set: s,
                            rule: r,
                            condition: k,
                        },
                    );
                }
            }
        }
    }
}

/// Assertions, `allow delete|move` and acknowledgements.
fn statements(c: &mut Collector<'_>) {
    let m = &c.analysis.model;
    for a in &m.assertions {
        match a.subject.value {
            crate::model::Subject::User(u) => c.name(a.subject.span, Named::User(u), false),
            crate::model::Subject::ServiceId(s) => {
                c.name(a.subject.span, Named::ServiceId(s), false)
            }
            crate::model::Subject::Literal(_) => {}
        }
        c.push(a.action.span, action(&a.action.value));
        c.name(a.instance.span, Named::Instance(a.instance.value), false);
    }
    for allow in &m.allows {
        if let Some(i) = m
            .instances
            .iter()
            .position(|i| i.name.value == allow.instance.value)
        {
            c.name(allow.instance.span, Named::Instance(i), false);
        }
    }
    for ack in &m.acknowledgements {
        for scope in ack.scope.iter().chain(&ack.admitted) {
            let named = match scope.value {
                Entity::Unit(i) => Named::Unit(i),
                Entity::Instance(i) => Named::Instance(i),
                Entity::User(i) => Named::User(i),
                Entity::Role(i) => Named::Role(i),
                Entity::Idp(i) => Named::Idp(i),
            };
            c.name(scope.span, named, false);
        }
    }
}

/// The span of `key` in a user's attribute entry (`project "ml"`): the
/// model keeps the entry's span, which starts with the key.
fn key_in_entry(analysis: &Analysis, key: &str, entry: Span) -> Option<Span> {
    let text = analysis.sources.get(entry.file)?.slice(entry);
    let rest = text.strip_prefix(key)?;
    rest.starts_with(|c: char| !super::lex::is_name_char(c))
        .then(|| Span::new(entry.file, entry.start(), entry.start() + key.len()))
}

fn action(name: &Text) -> TargetKind {
    TargetKind::Action(Text::from(actions::normalize(name)))
}

fn attribute(idp: Option<usize>, name: &Text) -> TargetKind {
    TargetKind::Attribute {
        idp,
        name: name.clone(),
    }
}
