//! Completion from the text around the cursor, which may not parse: the
//! statement holding the cursor is lexed from its start (found from the
//! spans of the statements the analysis did read), a stack of open blocks
//! says which declaration and block the cursor is in, and the words of the
//! current item since the last `;` say what comes next. Names, actions
//! and attributes come from the analysis (the last good model).

use super::lex::{tokens, Token, TokenKind};
use super::words::{choices, settings, OPERATORS, SCOPES, STATEMENTS};
use crate::diag::{Code, FileId};
use crate::model::{actions, Model, UnitKind};
use crate::pipeline::Analysis;

/// Names offered at most (the client asks again as the word grows).
pub const NAME_LIMIT: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CompletionKind {
    Keyword,
    /// A setting key inside a block.
    Setting,
    /// One of the fixed values of a setting (`mfa totp`).
    Value,
    Operator,
    Action,
    Attribute,
    Code,
    Idp,
    ResourceGroup,
    Instance,
    Role,
    Project,
    Group,
    User,
    ServiceId,
}

/// One completion item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
}

/// Where the cursor is: the headers of the open blocks (outermost first)
/// and the tokens of the current item before the word being typed.
struct Context<'t> {
    blocks: Vec<Vec<&'t str>>,
    item: Vec<Token<'t>>,
    /// The word being typed (up to the cursor).
    prefix: &'t str,
}

/// The completions at byte `offset` of `file`: none inside a string or a
/// comment. Never panics, whatever the offset or the text.
pub fn complete(analysis: &Analysis, file: FileId, offset: usize) -> Vec<Completion> {
    let Some(source) = analysis.sources.get(file) else {
        return Vec::new();
    };
    let offset = source.clamp(offset);
    let text = source.text.as_str();
    let start = statement_start(analysis, file, offset);
    let Some(context) = context(text, start, offset) else {
        return Vec::new();
    };
    let mut out = Completions {
        model: &analysis.model,
        prefix: context.prefix.to_lowercase(),
        items: Vec::new(),
    };
    match context.blocks.as_slice() {
        [] => top_level(&mut out, &context.item),
        [.., inner] => {
            let decl = context.blocks.first().map_or(&[][..], |b| b.as_slice());
            in_block(&mut out, decl, inner, &context.item);
        }
    }
    out.finish()
}

/// Where the statement holding `offset` starts: the start of a statement
/// the analysis read that holds it, else the end of the last one before it.
fn statement_start(analysis: &Analysis, file: FileId, offset: usize) -> usize {
    let m = &analysis.model;
    let spans = m
        .idps
        .iter()
        .map(|x| x.span)
        .chain(m.resource_groups.iter().map(|x| x.span))
        .chain(m.instances.iter().map(|x| x.span))
        .chain(m.roles.iter().filter(|r| !r.preset).map(|x| x.span))
        .chain(m.units.iter().map(|x| x.span))
        .chain(m.users.iter().map(|x| x.span))
        .chain(m.service_ids.iter().map(|x| x.span))
        .chain(m.account.iter().map(|x| x.span))
        .chain(m.audit.iter().map(|x| x.span))
        .chain(m.assertions.iter().map(|x| x.span))
        .chain(m.allows.iter().map(|x| x.span))
        .chain(m.acknowledgements.iter().map(|x| x.span));
    spans
        .filter(|s| s.file == file && s.start() < offset && s.end() > s.start())
        .map(|s| if offset < s.end() { s.start() } else { s.end() })
        .max()
        .unwrap_or(0)
}

/// The context at `offset`, lexing from `start`; `None` inside a string or
/// a comment.
fn context(text: &str, start: usize, offset: usize) -> Option<Context<'_>> {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut item: Vec<Token<'_>> = Vec::new();
    let mut prefix = "";
    let upto = text.get(..offset)?;
    for token in tokens(upto, start) {
        match token.kind {
            TokenKind::Comment => {
                // A comment runs to the line end: the cursor is in it when
                // it ends at the cursor with no line end between.
                if token.end() == offset {
                    return None;
                }
                continue;
            }
            TokenKind::Str if token.end() == offset && !string_closed(token.text) => {
                return None;
            }
            TokenKind::Name if token.end() == offset => {
                prefix = token.text;
                continue;
            }
            _ => {}
        }
        match token.text {
            "{" | "<" => {
                let header = item
                    .iter()
                    .filter(|t| t.kind == TokenKind::Name)
                    .map(|t| t.text)
                    .collect();
                blocks.push(header);
                item.clear();
            }
            "}" | ">" => {
                blocks.pop();
                item.clear();
            }
            ";" => item.clear(),
            _ => item.push(token),
        }
    }
    Some(Context {
        blocks,
        item,
        prefix,
    })
}

/// Does a string token end with its closing quote (not an escaped one)?
fn string_closed(token: &str) -> bool {
    let mut escaped = false;
    for c in token.chars().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return true,
            _ => {}
        }
    }
    false
}

/// The items gathered, filtered by the word typed so far.
struct Completions<'m> {
    model: &'m Model,
    prefix: String,
    items: Vec<Completion>,
}

impl Completions<'_> {
    fn add(&mut self, label: &str, kind: CompletionKind, detail: Option<String>) {
        if !matches_prefix(label, &self.prefix) {
            return;
        }
        self.items.push(Completion {
            label: label.to_string(),
            kind,
            detail,
        });
    }

    fn words(&mut self, words: &[&str], kind: CompletionKind) {
        for w in words {
            self.add(w, kind, None);
        }
    }

    fn instances(&mut self) {
        let model = self.model;
        for i in &model.instances {
            let detail = i
                .region
                .as_ref()
                .map(|r| format!("instance in {}", r.value));
            self.add(
                &i.name.value,
                CompletionKind::Instance,
                detail.or(Some("instance".into())),
            );
        }
    }

    fn roles(&mut self) {
        let model = self.model;
        for r in &model.roles {
            let detail = format!("role, {} actions", r.actions.len());
            self.add(&r.name.value, CompletionKind::Role, Some(detail));
        }
    }

    fn units(&mut self, kind: Option<UnitKind>) {
        let model = self.model;
        for u in model
            .units
            .iter()
            .filter(|u| kind.is_none_or(|k| u.kind == k))
        {
            let k = match u.kind {
                UnitKind::Project => CompletionKind::Project,
                UnitKind::Group => CompletionKind::Group,
            };
            self.add(&u.name.value, k, Some(u.kind.word().into()));
        }
    }

    fn users(&mut self) {
        let model = self.model;
        for u in &model.users {
            self.add(&u.name.value, CompletionKind::User, Some("user".into()));
        }
    }

    fn service_ids(&mut self) {
        let model = self.model;
        for s in &model.service_ids {
            self.add(
                &s.name.value,
                CompletionKind::ServiceId,
                Some("service_id".into()),
            );
        }
    }

    fn idps(&mut self) {
        let model = self.model;
        for i in &model.idps {
            self.add(
                &i.name.value,
                CompletionKind::Idp,
                Some(format!("idp ({})", i.kind)),
            );
        }
    }

    fn resource_groups(&mut self) {
        let model = self.model;
        for g in &model.resource_groups {
            self.add(
                &g.name.value,
                CompletionKind::ResourceGroup,
                Some("resource_group".into()),
            );
        }
    }

    fn actions(&mut self) {
        for a in actions::all() {
            self.add(
                a,
                CompletionKind::Action,
                actions::description(a).map(String::from),
            );
        }
    }

    /// The attributes of the named idp; of the only one when none is named;
    /// else of every idp.
    fn attributes(&mut self, idp: Option<&str>) {
        let model = self.model;
        let chosen: Vec<_> = match idp {
            Some(name) => model.idps.iter().filter(|i| i.name.value == name).collect(),
            None => model.idps.iter().collect(),
        };
        let mut seen = std::collections::BTreeSet::new();
        for i in chosen {
            for a in &i.attributes {
                if seen.insert(a.value.as_str()) {
                    let detail = format!("attribute of idp {}", i.name.value);
                    self.add(&a.value, CompletionKind::Attribute, Some(detail));
                }
            }
        }
    }

    /// Names of the declarations a scope kind (`on project ...`) names.
    fn scope_names(&mut self, kind: &str) {
        match kind {
            "project" => self.units(Some(UnitKind::Project)),
            "group" => self.units(Some(UnitKind::Group)),
            "instance" => self.instances(),
            "user" => self.users(),
            "role" => self.roles(),
            "idp" => self.idps(),
            _ => {}
        }
    }

    /// Keywords and fixed words first, in the order given; names sorted,
    /// those starting with the word typed first; names capped.
    fn finish(mut self) -> Vec<Completion> {
        let prefix = self.prefix;
        let (mut names, fixed): (Vec<_>, Vec<_>) = self.items.drain(..).partition(|c| {
            !matches!(
                c.kind,
                CompletionKind::Keyword
                    | CompletionKind::Setting
                    | CompletionKind::Value
                    | CompletionKind::Operator
            )
        });
        names.sort_by(|a, b| {
            let starts = |c: &Completion| !c.label.to_lowercase().starts_with(&prefix);
            (starts(a), &a.label, a.kind).cmp(&(starts(b), &b.label, b.kind))
        });
        names.dedup_by(|a, b| a.label == b.label && a.kind == b.kind);
        names.truncate(NAME_LIMIT);
        let mut out = fixed;
        out.extend(names);
        out
    }
}

/// The word typed so far is empty, or its characters occur in order in
/// the label (case-insensitive), as editors filter.
fn matches_prefix(label: &str, prefix: &str) -> bool {
    let label = label.to_lowercase();
    let mut chars = label.chars();
    prefix.chars().all(|p| chars.any(|c| c == p))
}

fn names<'t>(item: &[Token<'t>]) -> Vec<&'t str> {
    item.iter()
        .map(|t| match t.kind {
            TokenKind::Name => t.text,
            TokenKind::Str => "\"",
            _ => t.text,
        })
        .collect()
}

/// Outside every block: statement keywords, then `assert` and `allow`.
fn top_level(out: &mut Completions<'_>, item: &[Token<'_>]) {
    let words = names(item);
    match words.as_slice() {
        [] => out.words(STATEMENTS, CompletionKind::Keyword),
        ["assert", rest @ ..] => assertion(out, rest),
        ["allow", rest @ ..] => allow(out, rest),
        _ => {}
    }
}

/// `assert (user|service_id)? SUBJECT can|cannot ACTION on INSTANCE`.
fn assertion(out: &mut Completions<'_>, rest: &[&str]) {
    let rest = match rest {
        ["user"] => return out.users(),
        ["service_id"] => return out.service_ids(),
        ["user" | "service_id", tail @ ..] => tail,
        other => other,
    };
    match rest {
        [] => {
            out.words(&["user", "service_id"], CompletionKind::Keyword);
            out.users();
            out.service_ids();
        }
        [_] => out.words(&["can", "cannot"], CompletionKind::Keyword),
        [_, "can" | "cannot"] => out.actions(),
        [_, _, _] => out.words(&["on"], CompletionKind::Keyword),
        [_, _, _, "on"] => out.instances(),
        _ => {}
    }
}

/// `allow delete|move INSTANCE`, `allow CODE on KIND NAME for KIND NAME, ...`.
fn allow(out: &mut Completions<'_>, rest: &[&str]) {
    match rest {
        [] => {
            out.words(&["delete", "move"], CompletionKind::Keyword);
            for code in Code::ALL
                .iter()
                .filter(|c| crate::model::concerns(**c).is_some())
            {
                out.add(
                    code.id(),
                    CompletionKind::Code,
                    Some(code.info().title.into()),
                );
            }
        }
        ["delete" | "move"] => out.instances(),
        [.., "on" | "for" | ","] => out.words(SCOPES, CompletionKind::Keyword),
        [.., "on" | "for" | ",", kind] => out.scope_names(kind),
        [_] => out.words(&["on", "for"], CompletionKind::Keyword),
        [_, "on", _, _] => out.words(&["for"], CompletionKind::Keyword),
        _ => {}
    }
}

/// Inside a block: `decl` is the outermost block's header (`user alice`),
/// `inner` the innermost's (`attributes`, or the declaration again).
fn in_block(out: &mut Completions<'_>, decl: &[&str], inner: &[&str], item: &[Token<'_>]) {
    let kind = decl.first().copied().unwrap_or("");
    let words = names(item);
    if inner.first() == Some(&"attributes") {
        if words.is_empty() {
            out.attributes(user_idp(out.model, decl));
        }
        return;
    }
    if inner.first() == Some(&"limits") {
        if words.is_empty() {
            for l in crate::model::limits::LIMITS {
                out.add(l.name, CompletionKind::Setting, Some(l.what.into()));
            }
        }
        return;
    }
    match words.as_slice() {
        [] => {
            for key in settings(kind) {
                out.add(
                    key,
                    CompletionKind::Setting,
                    Some(format!("{kind} setting")),
                );
            }
        }
        ["members", rest @ ..] => members(out, rest),
        [key] | [key, .., ","] => setting_value(out, kind, key),
        _ => {}
    }
}

/// The idp of the user being declared (`user alice` in the model), if any.
fn user_idp<'m>(model: &'m Model, decl: &[&str]) -> Option<&'m str> {
    let ["user", name, ..] = decl else {
        return None;
    };
    let user = model.users.iter().find(|u| u.name.value == *name)?;
    let idp = user.idp.as_ref()?;
    model.idps.get(idp.value).map(|i| i.name.value.as_str())
}

/// The values of `key` in a declaration of `kind`.
fn setting_value(out: &mut Completions<'_>, kind: &str, key: &str) {
    match key {
        "instances" => out.instances(),
        "projects" => out.units(Some(UnitKind::Project)),
        "groups" => out.units(Some(UnitKind::Group)),
        "role" => out.roles(),
        "resource_group" => out.resource_groups(),
        "idp" if kind == "user" => out.idps(),
        "actions" => out.actions(),
        _ => out.words(choices(kind, key), CompletionKind::Value),
    }
}

/// `members SOURCE, SOURCE role NAME`: the current source is what follows
/// the last `,` outside a `[...]` list.
fn members(out: &mut Completions<'_>, rest: &[&str]) {
    let mut depth = 0usize;
    let mut from = 0;
    for (i, w) in rest.iter().enumerate() {
        match *w {
            "[" => depth += 1,
            "]" => depth = depth.saturating_sub(1),
            "," if depth == 0 => from = i + 1,
            _ => {}
        }
    }
    let source = rest.get(from..).unwrap_or(&[]);
    let idp = match source {
        ["from", name, ..] => Some(*name),
        _ => None,
    };
    match source {
        [.., "role"] => out.roles(),
        [] => out.words(
            &["where", "from", "user", "service_id"],
            CompletionKind::Keyword,
        ),
        ["from"] => out.idps(),
        ["from", _] => out.words(&["where"], CompletionKind::Keyword),
        ["user"] => out.users(),
        ["service_id"] => out.service_ids(),
        ["user" | "service_id", _] => out.words(&["role"], CompletionKind::Keyword),
        [.., "where" | "and"] => out.attributes(idp),
        [.., "where" | "and", _] => out.words(OPERATORS, CompletionKind::Operator),
        [.., "\"" | "]"] if source.contains(&"where") => {
            out.words(&["and", "role"], CompletionKind::Keyword)
        }
        _ => {}
    }
}
