//! Turns pest's pairs for one statement into the syntax tree, unescaping
//! strings on the way (a bad escape is a diagnostic, not a failure).

use super::ast::*;
use super::parser::Rule;
use crate::diag::{Code, Diagnostic, FileId, Label, Span};
use pest::iterators::Pair;

pub(super) struct Builder<'d> {
    pub file: FileId,
    /// Where the statement's slice starts in the file.
    pub offset: usize,
    pub diagnostics: &'d mut Vec<Diagnostic>,
}

impl Builder<'_> {
    /// The pair's span in the file. pest lets a sequence that ends in an
    /// optional element (`block ~ ";"?`, `member_role?`, a setting's values)
    /// swallow the whitespace and comments before the element it did not
    /// find; those are trimmed off so comments stay outside the node.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let end = match pair.as_rule() {
            Rule::declaration | Rule::members | Rule::setting | Rule::statement => {
                s.start() + tight_len(s.as_str())
            }
            _ => s.end(),
        };
        Span::new(self.file, self.offset + s.start(), self.offset + end)
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        Spanned::new(Text::from(pair.as_str()), self.span(&pair))
    }

    /// A `declaration`, `assertion` or `allow` pair (or a `statement` holding one).
    pub fn statement(&mut self, pair: Pair<'_, Rule>) -> Option<Statement> {
        let inner = if pair.as_rule() == Rule::statement {
            pair.into_inner().next()?
        } else {
            pair
        };
        match inner.as_rule() {
            Rule::declaration => self
                .declaration(inner)
                .map(|d| Statement::Declaration(Box::new(d))),
            Rule::assertion => self
                .assertion(inner)
                .map(|a| Statement::Assertion(Box::new(a))),
            Rule::allow => self.allow(inner).map(|a| Statement::Allow(Box::new(a))),
            _ => None,
        }
    }

    fn declaration(&mut self, pair: Pair<'_, Rule>) -> Option<Declaration> {
        let span = self.span(&pair);
        let mut parts = pair.into_inner();
        let kind_pair = parts.next()?;
        let kind = Spanned::new(
            DeclKind::from_keyword(kind_pair.as_str())?,
            self.span(&kind_pair),
        );
        let mut decl = Declaration {
            kind,
            name: None,
            flag: None,
            block: None,
            span,
        };
        for part in parts {
            match part.as_rule() {
                Rule::name => decl.name = Some(self.name(part)),
                Rule::flag => decl.flag = Some(self.name(part)),
                Rule::block => decl.block = Some(self.block(part)),
                _ => {}
            }
        }
        Some(decl)
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Block {
        let span = self.span(&pair);
        let delimiter = if pair.as_str().starts_with('<') {
            Delimiter::Angle
        } else {
            Delimiter::Brace
        };
        let items = fitted(
            pair.into_inner()
                .filter_map(|item| self.item(item))
                .collect(),
        );
        Block {
            delimiter,
            items,
            span,
        }
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        match pair.as_rule() {
            Rule::setting => {
                let span = self.span(&pair);
                let mut parts = pair.into_inner();
                let key = self.name(parts.next()?);
                let values = fitted(parts.filter_map(|v| self.value(v)).collect());
                Some(Item::Setting(Setting { key, values, span }))
            }
            Rule::members => Some(Item::Members(self.members(pair))),
            Rule::attributes => Some(Item::Attributes(self.attributes(pair))),
            Rule::limits => Some(Item::Limits(self.limits(pair))),
            _ => None,
        }
    }

    fn value(&mut self, pair: Pair<'_, Rule>) -> Option<Value> {
        match pair.as_rule() {
            Rule::name => Some(Value::Name(self.name(pair))),
            Rule::string => Some(Value::Str(self.string(pair))),
            Rule::string_list => Some(Value::List(self.string_list(pair))),
            _ => None,
        }
    }

    fn string(&mut self, pair: Pair<'_, Rule>) -> Spanned<Text> {
        let span = self.span(&pair);
        // The pair is the whole literal; its body lies between the quotes.
        let text = pair.as_str();
        let raw = text.get(1..text.len().saturating_sub(1)).unwrap_or("");
        let value = unescape(raw, span.start() + 1, self.file, self.diagnostics);
        Spanned::new(value, span)
    }

    fn string_list(&mut self, pair: Pair<'_, Rule>) -> Spanned<Vec<Spanned<Text>>> {
        let span = self.span(&pair);
        let values = fitted(
            pair.into_inner()
                .filter(|p| p.as_rule() == Rule::string)
                .map(|s| self.string(s))
                .collect(),
        );
        Spanned::new(values, span)
    }

    fn attributes(&mut self, pair: Pair<'_, Rule>) -> Attributes {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        for attr in pair.into_inner().filter(|p| p.as_rule() == Rule::attribute) {
            let attr_span = self.span(&attr);
            let mut parts = attr.into_inner();
            let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                continue;
            };
            let name = self.name(name);
            let value = match value.as_rule() {
                Rule::string_list => AttrValue::List(
                    self.string_list(value)
                        .value
                        .into_iter()
                        .map(|s| s.value)
                        .collect(),
                ),
                _ => AttrValue::Str(self.string(value).value),
            };
            entries.push(Attribute {
                name,
                value,
                span: attr_span,
            });
        }
        Attributes {
            entries: fitted(entries),
            span,
        }
    }

    fn limits(&mut self, pair: Pair<'_, Rule>) -> Limits {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        for limit in pair.into_inner().filter(|p| p.as_rule() == Rule::limit) {
            let limit_span = self.span(&limit);
            let mut parts = limit.into_inner();
            let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                continue;
            };
            let name = self.name(name);
            let Some(value) = self.value(value) else {
                continue;
            };
            entries.push(Limit {
                name,
                value,
                span: limit_span,
            });
        }
        Limits {
            entries: fitted(entries),
            span,
        }
    }

    fn members(&mut self, pair: Pair<'_, Rule>) -> Members {
        let span = self.span(&pair);
        let mut members = Members {
            sources: Vec::new(),
            role: None,
            span,
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::rule => members.sources.push(MemberSource::Rule(self.rule(part))),
                Rule::user_member => {
                    if let Some(r) = self.member_ref(part) {
                        members.sources.push(MemberSource::User(r));
                    }
                }
                Rule::service_member => {
                    if let Some(r) = self.member_ref(part) {
                        members.sources.push(MemberSource::ServiceId(r));
                    }
                }
                Rule::member_role => members.role = part.into_inner().nth(1).map(|n| self.name(n)),
                _ => {}
            }
        }
        members.sources.shrink_to_fit();
        members
    }

    fn member_ref(&mut self, pair: Pair<'_, Rule>) -> Option<MemberRef> {
        let target = pair.into_inner().nth(1)?;
        Some(match target.as_rule() {
            Rule::string => MemberRef::Literal(self.string(target)),
            _ => MemberRef::Declared(self.name(target)),
        })
    }

    fn rule(&mut self, pair: Pair<'_, Rule>) -> super::ast::Rule {
        let span = self.span(&pair);
        let mut rule = super::ast::Rule {
            idp: None,
            conditions: Vec::new(),
            span,
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::name => rule.idp = Some(self.name(part)),
                Rule::condition => {
                    if let Some(c) = self.condition(part) {
                        rule.conditions.push(c);
                    }
                }
                _ => {}
            }
        }
        rule.conditions.shrink_to_fit();
        rule
    }

    fn condition(&mut self, pair: Pair<'_, Rule>) -> Option<Condition> {
        let span = self.span(&pair);
        let mut parts = pair.into_inner();
        let claim = self.name(parts.next()?);
        let op_pair = parts.next()?;
        let operator = Spanned::new(
            Operator::from_keyword(op_pair.as_str())?,
            self.span(&op_pair),
        );
        let value_pair = parts.next()?;
        let value = match value_pair.as_rule() {
            Rule::string_list => {
                let list = self.string_list(value_pair);
                Spanned::new(
                    CondValue::Many(list.value.into_iter().map(|s| s.value).collect()),
                    list.span,
                )
            }
            _ => {
                let s = self.string(value_pair);
                Spanned::new(CondValue::One(s.value), s.span)
            }
        };
        Some(Condition {
            claim,
            operator,
            value,
            span,
        })
    }

    fn assertion(&mut self, pair: Pair<'_, Rule>) -> Option<Assertion> {
        let span = self.span(&pair);
        let mut parts = pair.into_inner().skip(1); // kw_assert
        let subject_pair = parts.next()?;
        let subject = self.subject(subject_pair)?;
        let expect_allowed = parts.next()?.as_str() == "can";
        let action = self.name(parts.next()?);
        let _on = parts.next()?;
        let instance = self.name(parts.next()?);
        Some(Assertion {
            subject,
            expect_allowed,
            action,
            instance,
            span,
        })
    }

    fn subject(&mut self, pair: Pair<'_, Rule>) -> Option<Subject> {
        let mut parts = pair.into_inner().peekable();
        let keyword = match parts.peek().map(Pair::as_rule) {
            Some(Rule::kw_user) => parts.next().map(|_| "user"),
            Some(Rule::kw_service_id) => parts.next().map(|_| "service_id"),
            _ => None,
        };
        let target = parts.next()?;
        Some(match (keyword, target.as_rule()) {
            (_, Rule::string) => Subject::UserLiteral(self.string(target)),
            (Some("service_id"), _) => Subject::ServiceId(self.name(target)),
            _ => Subject::Declared(self.name(target)),
        })
    }

    fn allow(&mut self, pair: Pair<'_, Rule>) -> Option<Allow> {
        let span = self.span(&pair);
        let mut parts = pair.into_inner().skip(1);
        let change = self.name(parts.next()?);
        let mut allow = Allow {
            change,
            instance: None,
            scope: None,
            admitted: Vec::new(),
            reason: None,
            span,
        };
        for part in parts {
            match part.as_rule() {
                Rule::name => allow.instance = Some(self.name(part)),
                Rule::string => allow.reason = Some(self.string(part)),
                Rule::allow_scope => {
                    let scope_span = self.span(&part);
                    let mut words = part.into_inner().skip(1); // kw_on
                    allow.scope = Some(AllowScope {
                        kind: self.name(words.next()?),
                        name: self.name(words.next()?),
                        span: scope_span,
                    });
                }
                Rule::allow_for => {
                    for target in part
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::allow_target)
                    {
                        let target_span = self.span(&target);
                        let mut words = target.into_inner();
                        allow.admitted.push(AllowScope {
                            kind: self.name(words.next()?),
                            name: self.name(words.next()?),
                            span: target_span,
                        });
                    }
                }
                _ => {}
            }
        }
        Some(allow)
    }
}

/// The vector without spare capacity. Vectors collected from pest's pairs
/// start at four elements, and most hold one or two: unfitted, they were a
/// third of a large policy's syntax tree.
fn fitted<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}

/// Length of `text` without its trailing whitespace and comments.
fn tight_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut last = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i = super::lexical::skip_string(bytes, i);
                last = i;
            }
            b'#' => i = super::lexical::end_of_line(text, i),
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                i += 1;
                last = i;
            }
        }
    }
    last.min(text.len())
}

/// Resolve escapes; `start` is the file offset of `raw`. Unknown escapes are
/// reported (Q002) and kept as written.
pub(super) fn unescape(
    raw: &str,
    start: usize,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> Text {
    if !raw.contains('\\') {
        return Text::from(raw);
    }
    let mut out = Text::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else { break };
        match e {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'u' => {
                let rest = raw.get(i + 2..).unwrap_or("");
                let code_point = rest
                    .strip_prefix('{')
                    .and_then(|r| r.split_once('}'))
                    .filter(|(hex, _)| (1..=6).contains(&hex.len()))
                    .and_then(|(hex, _)| u32::from_str_radix(hex, 16).ok().map(|n| (hex.len(), n)));
                let decoded = code_point.and_then(|(len, n)| char::from_u32(n).map(|c| (len, c)));
                if let (Some((len, n)), None) = (code_point, decoded) {
                    // Well formed, but not a Unicode scalar value.
                    let escape = raw.get(i..i + len + 4).unwrap_or("");
                    diagnostics.push(not_a_scalar(file, start + i, escape, n));
                    out.push_str(raw.get(i..i + len + 4).unwrap_or(""));
                    for _ in 0..len + 2 {
                        chars.next();
                    }
                    continue;
                }
                if let Some(hex) = too_many_digits(rest) {
                    let escape = raw.get(i..i + hex.len() + 4).unwrap_or("");
                    diagnostics.push(too_long(file, start + i, escape, hex));
                    out.push_str(escape);
                    for _ in 0..hex.len() + 2 {
                        chars.next();
                    }
                    continue;
                }
                match decoded {
                    Some((len, ch)) => {
                        out.push(ch);
                        for _ in 0..len + 2 {
                            chars.next();
                        }
                    }
                    None => {
                        diagnostics.push(bad_escape(
                            file,
                            start + i,
                            "\\u",
                            "write a unicode escape as `\\u{1F600}` (1 to 6 hex digits)",
                        ));
                        out.push_str("\\u");
                    }
                }
            }
            other => {
                let shown = format!("\\{other}");
                diagnostics.push(bad_escape(
                    file,
                    start + i,
                    &shown,
                    "write `\\\\` for a literal backslash",
                ));
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

/// `\u{D800}` or `\u{110000}`: a code point no string can hold.
fn not_a_scalar(file: FileId, at: usize, escape: &str, n: u32) -> Diagnostic {
    let what = if (0xD800..=0xDFFF).contains(&n) {
        format!("U+{n:04X} is a UTF-16 surrogate, not a Unicode scalar value")
    } else {
        format!("U+{n:04X} is past U+10FFFF, the last Unicode code point")
    };
    Diagnostic::new(
        Code::InvalidEscape,
        format!("escape `{escape}` in a string: {what}"),
        Label::new(
            Span::new(file, at, at + escape.len()),
            "no character has this code point",
        ),
    )
    .with_help("strings hold Unicode scalar values, U+0000 to U+D7FF and U+E000 to U+10FFFF: write the character itself, or its code point as `\\u{1F600}`")
}

/// The hex digits of `{HEX}` at the start of `rest` when there are more
/// than the 6 a code point takes.
fn too_many_digits(rest: &str) -> Option<&str> {
    let (hex, _) = rest.strip_prefix('{')?.split_once('}')?;
    (hex.len() > 6 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// `\u{FFFFFFFF}`: more hex digits than any code point has.
fn too_long(file: FileId, at: usize, escape: &str, hex: &str) -> Diagnostic {
    let significant = hex.trim_start_matches('0');
    let what = if significant.len() > 6
        || u32::from_str_radix(significant, 16).map_or(true, |n| n > 0x10FFFF)
    {
        ", and its value is past U+10FFFF, the last Unicode code point"
    } else {
        ""
    };
    let shown = if escape.len() > 24 {
        format!("{}…}}", escape.get(..20).unwrap_or(escape))
    } else {
        escape.to_string()
    };
    Diagnostic::new(
        Code::InvalidEscape,
        format!(
            "escape `{shown}` in a string has {} hex digits, at most 6 are allowed{what}",
            hex.len()
        ),
        Label::new(
            Span::new(file, at, at + escape.len()),
            "too many hex digits",
        ),
    )
    .with_help("a unicode escape is `\\u{`, 1 to 6 hex digits up to 10FFFF, then `}`, e.g. `\\u{1F600}`; leave out leading zeros (`\\u{41}`)")
}

fn bad_escape(file: FileId, at: usize, escape: &str, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidEscape,
        format!("unknown escape `{escape}` in a string"),
        Label::new(
            Span::new(file, at, at + escape.len()),
            "not an escape qpol knows",
        ),
    )
    .with_help(help)
}
