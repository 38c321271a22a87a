//! A hand-written parser for the statements large policies are made of:
//! declarations (blocks of settings, `members` clauses, `attributes { }`)
//! and assertions. It builds exactly the tree the pest grammar
//! (`grammar/qpol.pest`, via `build.rs`) builds: same nodes, same spans,
//! same string decoding and escape diagnostics.
//!
//! It is conservative by construction: at the first thing it does not fully
//! understand (any error, any unusual construct: `allow`, `limits`, a
//! byte-order mark between tokens, ...) it gives the statement up and the
//! caller parses it with pest, so every syntax error still comes from the
//! grammar, which stays the definition of the language.
//!
//! Each function follows one grammar rule and, like pest's PEG, takes the
//! first alternative that applies and is greedy; where pest would backtrack
//! into another alternative, this parser gives up instead.

use super::ast::*;
use super::build::unescape;
use super::lexical::{end_of_line, is_ident_byte};
use crate::diag::{Diagnostic, FileId, Span};

/// Parse the statement that starts at `start` (a significant character) of
/// `text`, which ends where the caller's chunk ends. Returns the statement
/// and the offset just past its last token, or `None` (with `diagnostics`
/// untouched) when pest must parse it.
pub(super) fn statement(
    file: FileId,
    text: &str,
    start: usize,
    diagnostics: &mut Vec<Diagnostic>,
    scratch: &mut Scratch,
) -> Option<(Statement, usize)> {
    let mark = diagnostics.len();
    scratch.clear();
    let mut cursor = Cursor {
        file,
        text,
        bytes: text.as_bytes(),
        pos: start,
        diagnostics,
        bom: false,
        scratch,
    };
    match cursor.statement() {
        Some(statement) if !cursor.bom => Some((statement, cursor.pos)),
        _ => {
            cursor.diagnostics.truncate(mark);
            None
        }
    }
}

/// Lists being read, kept from one statement to the next: each list of the
/// tree is collected here, then copied out in one allocation of its exact
/// size (no growing, no spare capacity).
#[derive(Default)]
pub(super) struct Scratch {
    items: Vec<Item>,
    values: Vec<Value>,
    strings: Vec<Spanned<Text>>,
    entries: Vec<Attribute>,
    sources: Vec<MemberSource>,
    conditions: Vec<Condition>,
}

impl Scratch {
    fn clear(&mut self) {
        self.items.clear();
        self.values.clear();
        self.strings.clear();
        self.entries.clear();
        self.sources.clear();
        self.conditions.clear();
    }
}

struct Cursor<'t, 'd> {
    file: FileId,
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    diagnostics: &'d mut Vec<Diagnostic>,
    /// Whether a byte-order mark stopped [`Cursor::skip`]: pest skips it
    /// as whitespace, so the statement is left to pest.
    bom: bool,
    scratch: &'d mut Scratch,
}

/// Can a name start with this byte? (`ASCII_ALPHANUMERIC | "_"`)
fn starts_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'t> Cursor<'t, '_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// pest's implicit whitespace and comments, without the byte-order
    /// mark: a statement with one between its tokens is left to pest.
    fn skip(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'#' => self.pos = end_of_line(self.text, self.pos),
                0xEF => {
                    self.bom |= self.bytes.get(self.pos + 1..self.pos + 3) == Some(&[0xBB, 0xBF]);
                    break;
                }
                _ => break,
            }
        }
    }

    /// The word (name characters) at the cursor, possibly empty.
    fn word(&self) -> &'t str {
        let mut end = self.pos;
        while self.bytes.get(end).is_some_and(|&b| is_ident_byte(b)) {
            end += 1;
        }
        self.text.get(self.pos..end).unwrap_or("")
    }

    /// Consume the keyword `kw` (a whole word) if it is at the cursor.
    fn keyword(&mut self, kw: &str) -> bool {
        if self.word() == kw {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    fn punct(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Option<Name> {
        if !self.peek().is_some_and(starts_name) {
            return None;
        }
        let start = self.pos;
        let word = self.word();
        self.pos += word.len();
        Some(Spanned::new(Text::from(word), self.span(start, self.pos)))
    }

    /// A string literal: any character but `"`, `\`, CR and LF, or `\`
    /// and any character but CR and LF, between quotes.
    fn string(&mut self) -> Option<Spanned<Text>> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.pos;
        let mut i = start + 1;
        loop {
            match *self.bytes.get(i)? {
                b'"' => break,
                b'\\' => match *self.bytes.get(i + 1)? {
                    b'\n' | b'\r' => return None,
                    _ => i += 2,
                },
                b'\n' | b'\r' => return None,
                _ => i += 1,
            }
        }
        let raw = self.text.get(start + 1..i)?;
        let value = unescape(raw, start + 1, self.file, self.diagnostics);
        self.pos = i + 1;
        Some(Spanned::new(value, self.span(start, self.pos)))
    }

    /// `[ "a", "b", ]`
    fn string_list(&mut self) -> Option<Spanned<Vec<Spanned<Text>>>> {
        let start = self.pos;
        if !self.punct(b'[') {
            return None;
        }
        let mark = self.scratch.strings.len();
        self.skip();
        if !self.punct(b']') {
            loop {
                let value = self.string()?;
                self.scratch.strings.push(value);
                self.skip();
                if self.punct(b',') {
                    self.skip();
                    if self.punct(b']') {
                        break;
                    }
                } else if self.punct(b']') {
                    break;
                } else {
                    return None;
                }
            }
        }
        let values = self.scratch.strings.drain(mark..).collect();
        Some(Spanned::new(values, self.span(start, self.pos)))
    }

    fn statement(&mut self) -> Option<Statement> {
        let word = self.word();
        if word == "assert" {
            return self.assertion().map(|a| Statement::Assertion(Box::new(a)));
        }
        let kind = DeclKind::from_keyword(word)?;
        self.declaration(kind)
            .map(|d| Statement::Declaration(Box::new(d)))
    }

    /// `KIND NAME? existing? ({ ITEMS } ;? | ;)`
    fn declaration(&mut self, kind: DeclKind) -> Option<Declaration> {
        let start = self.pos;
        self.pos += kind.keyword().len();
        let kind = Spanned::new(kind, self.span(start, self.pos));
        self.skip();
        let name = if self.peek().is_some_and(starts_name) {
            let name = self.name();
            self.skip();
            name
        } else {
            None
        };
        let flag_start = self.pos;
        let flag = if self.keyword("existing") {
            let flag = Spanned::new(Text::from("existing"), self.span(flag_start, self.pos));
            self.skip();
            Some(flag)
        } else {
            None
        };
        let block = match self.peek()? {
            b';' => {
                self.pos += 1;
                None
            }
            b'{' | b'<' => {
                let block = self.block()?;
                let end = self.pos;
                self.skip();
                if !self.punct(b';') {
                    self.pos = end;
                }
                Some(block)
            }
            _ => return None,
        };
        Some(Declaration {
            kind,
            name,
            flag,
            block,
            span: self.span(start, self.pos),
        })
    }

    /// `{ ITEMS }` or `< ITEMS >`
    fn block(&mut self) -> Option<Block> {
        let start = self.pos;
        let (delimiter, close) = match self.peek()? {
            b'{' => (Delimiter::Brace, b'}'),
            b'<' => (Delimiter::Angle, b'>'),
            _ => return None,
        };
        self.pos += 1;
        let mark = self.scratch.items.len();
        loop {
            self.skip();
            if self.punct(close) {
                break;
            }
            match self.word() {
                "attributes" => {
                    if let Some(attributes) = self.attempt(Self::attributes) {
                        self.scratch.items.push(Item::Attributes(attributes));
                        self.skip();
                        self.punct(b';');
                        continue;
                    }
                    // `attributes` as a setting's key.
                    let setting = self.setting()?;
                    self.scratch.items.push(Item::Setting(setting));
                }
                "members" => {
                    let item = match self.attempt(Self::members) {
                        Some(members) => Item::Members(members),
                        None => Item::Setting(self.setting()?),
                    };
                    self.scratch.items.push(item);
                }
                // A form added to the grammar in parallel: pest knows it.
                "limits" => return None,
                _ => {
                    let setting = self.setting()?;
                    self.scratch.items.push(Item::Setting(setting));
                }
            }
            self.skip();
            // `;`, or the closing bracket (read by the next turn).
            if !self.punct(b';') && self.peek() != Some(close) {
                return None;
            }
        }
        let items = self.scratch.items.drain(mark..).collect();
        Some(Block {
            delimiter,
            items,
            span: self.span(start, self.pos),
        })
    }

    /// Run `parse`; if it fails, undo what it read (as pest does before it
    /// tries the next alternative of a choice).
    fn attempt<T>(&mut self, parse: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let (pos, mark) = (self.pos, self.diagnostics.len());
        let parsed = parse(self);
        if parsed.is_none() {
            self.pos = pos;
            self.diagnostics.truncate(mark);
        }
        parsed
    }

    /// `key value, value`
    fn setting(&mut self) -> Option<Setting> {
        let key = self.name()?;
        let start = key.span.start();
        let mut end = self.pos;
        let mark = self.scratch.values.len();
        self.skip();
        if self
            .peek()
            .is_some_and(|b| b == b'"' || b == b'[' || starts_name(b))
        {
            loop {
                let value = self.value()?;
                self.scratch.values.push(value);
                end = self.pos;
                self.skip();
                if !self.punct(b',') {
                    break;
                }
                self.skip();
            }
        }
        self.pos = end;
        let values = self.scratch.values.drain(mark..).collect();
        Some(Setting {
            key,
            values,
            span: self.span(start, end),
        })
    }

    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b'[' => self.string_list().map(Value::List),
            _ => self.name().map(Value::Name),
        }
    }

    /// `attributes { NAME VALUE; ... }`
    fn attributes(&mut self) -> Option<Attributes> {
        let start = self.pos;
        self.pos += "attributes".len();
        self.skip();
        if !self.punct(b'{') {
            return None;
        }
        let mark = self.scratch.entries.len();
        loop {
            self.skip();
            if self.punct(b'}') {
                break;
            }
            let name = self.name()?;
            self.skip();
            let value = match self.peek()? {
                b'"' => AttrValue::Str(self.string()?.value),
                b'[' => AttrValue::List(
                    self.string_list()?
                        .value
                        .into_iter()
                        .map(|s| s.value)
                        .collect(),
                ),
                _ => return None,
            };
            let span = self.span(name.span.start(), self.pos);
            self.scratch.entries.push(Attribute { name, value, span });
            self.skip();
            if !self.punct(b';') && !self.punct(b',') && self.peek() != Some(b'}') {
                return None;
            }
        }
        let entries = self.scratch.entries.drain(mark..).collect();
        Some(Attributes {
            entries,
            span: self.span(start, self.pos),
        })
    }

    /// `members SOURCE, SOURCE role NAME`
    fn members(&mut self) -> Option<Members> {
        let start = self.pos;
        self.pos += "members".len();
        let mark = self.scratch.sources.len();
        let mut end;
        loop {
            self.skip();
            let source = self.member_source()?;
            self.scratch.sources.push(source);
            end = self.pos;
            self.skip();
            if !self.punct(b',') {
                break;
            }
        }
        let role = if self.keyword("role") {
            self.skip();
            let name = self.name()?;
            end = self.pos;
            Some(name)
        } else {
            None
        };
        self.pos = end;
        let sources = self.scratch.sources.drain(mark..).collect();
        Some(Members {
            sources,
            role,
            span: self.span(start, end),
        })
    }

    fn member_source(&mut self) -> Option<MemberSource> {
        match self.word() {
            "from" | "where" => self.rule().map(MemberSource::Rule),
            "user" => {
                self.pos += "user".len();
                self.member_ref().map(MemberSource::User)
            }
            "service_id" => {
                self.pos += "service_id".len();
                self.member_ref().map(MemberSource::ServiceId)
            }
            _ => None,
        }
    }

    fn member_ref(&mut self) -> Option<MemberRef> {
        self.skip();
        if self.peek()? == b'"' {
            self.string().map(MemberRef::Literal)
        } else {
            self.name().map(MemberRef::Declared)
        }
    }

    /// `from IDP where COND and COND`
    fn rule(&mut self) -> Option<super::ast::Rule> {
        let start = self.pos;
        let idp = if self.keyword("from") {
            self.skip();
            let idp = self.name()?;
            self.skip();
            Some(idp)
        } else {
            None
        };
        if !self.keyword("where") {
            return None;
        }
        let mark = self.scratch.conditions.len();
        let mut end;
        loop {
            self.skip();
            let condition = self.condition()?;
            self.scratch.conditions.push(condition);
            end = self.pos;
            self.skip();
            if !self.keyword("and") {
                break;
            }
        }
        // pest's `condition ~ (kw_and ~ condition)*` keeps the whitespace
        // and comments after a lone condition in the rule's span (and only
        // then): the repetition's first attempt is not undone. The cursor
        // stays after the last token.
        let conditions: Vec<Condition> = self.scratch.conditions.drain(mark..).collect();
        let span_end = if conditions.len() == 1 { self.pos } else { end };
        self.pos = end;
        Some(super::ast::Rule {
            idp,
            conditions,
            span: self.span(start, span_end),
        })
    }

    /// `CLAIM OPERATOR "value"` or `CLAIM OPERATOR ["a", "b"]`
    fn condition(&mut self) -> Option<Condition> {
        let claim = self.name()?;
        self.skip();
        let op_start = self.pos;
        let word = self.word();
        let operator = Operator::from_keyword(word)?;
        self.pos += word.len();
        let operator = Spanned::new(operator, self.span(op_start, self.pos));
        self.skip();
        let value = match self.peek()? {
            b'[' => {
                let list = self.string_list()?;
                Spanned::new(
                    CondValue::Many(list.value.into_iter().map(|s| s.value).collect()),
                    list.span,
                )
            }
            _ => {
                let s = self.string()?;
                Spanned::new(CondValue::One(s.value), s.span)
            }
        };
        Some(Condition {
            span: self.span(claim.span.start(), self.pos),
            claim,
            operator,
            value,
        })
    }

    /// `assert SUBJECT can|cannot ACTION on INSTANCE;`
    fn assertion(&mut self) -> Option<Assertion> {
        let start = self.pos;
        self.pos += "assert".len();
        self.skip();
        let keyword = match self.word() {
            w @ ("user" | "service_id") => {
                self.pos += w.len();
                self.skip();
                Some(w)
            }
            _ => None,
        };
        let subject = if self.peek()? == b'"' {
            Subject::UserLiteral(self.string()?)
        } else {
            let name = self.name()?;
            if keyword == Some("service_id") {
                Subject::ServiceId(name)
            } else {
                Subject::Declared(name)
            }
        };
        self.skip();
        let expect_allowed = match self.word() {
            "can" => true,
            "cannot" => false,
            _ => return None,
        };
        self.pos += if expect_allowed { 3 } else { 6 };
        self.skip();
        let action = self.name()?;
        self.skip();
        if !self.keyword("on") {
            return None;
        }
        self.skip();
        let instance = self.name()?;
        self.skip();
        if !self.punct(b';') {
            return None;
        }
        Some(Assertion {
            subject,
            expect_allowed,
            action,
            instance,
            span: self.span(start, self.pos),
        })
    }
}
