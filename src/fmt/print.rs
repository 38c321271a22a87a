//! The printer behind `qpol fmt`: syntax tree + comments -> canonical text.

use crate::syntax::ast::*;
use crate::syntax::lexical::Comment;

const INDENT: &str = "  ";
const WIDTH: usize = 100;

pub(super) struct Printer<'s> {
    source: &'s str,
    out: String,
    comments: Vec<Comment>,
    next_comment: usize,
    /// Source offset of the end of what was printed last.
    last_end: usize,
}

impl<'s> Printer<'s> {
    pub fn new(source: &'s str) -> Printer<'s> {
        Printer {
            source,
            out: String::new(),
            comments: Vec::new(),
            next_comment: 0,
            last_end: 0,
        }
    }

    pub fn file(mut self, file: &SourceFile, comments: &[Comment]) -> String {
        self.comments = comments.to_vec();
        for statement in &file.statements {
            self.statement(statement);
        }
        self.trailing_comment(usize::MAX);
        self.leading_comments(usize::MAX, "");
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.out
    }

    /// Comments starting before `pos`, not yet printed.
    fn take_before(&mut self, pos: usize) -> Vec<Comment> {
        let mut taken = Vec::new();
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start() >= pos {
                break;
            }
            taken.push(c.clone());
            self.next_comment += 1;
        }
        taken
    }

    /// A comment on the same source line as what was printed last, before `pos`.
    fn trailing_comment(&mut self, pos: usize) {
        let Some(c) = self.comments.get(self.next_comment) else {
            return;
        };
        let same_line = self
            .source
            .get(self.last_end..c.span.start())
            .is_some_and(|gap| !gap.contains(['\n', '\r']));
        if c.span.start() < pos && !c.own_line && same_line && !self.out.is_empty() {
            let text = c.text.clone();
            let end = c.span.end();
            self.next_comment += 1;
            if self.out.ends_with('\n') {
                self.out.pop();
            }
            self.out.push(' ');
            self.out.push_str(&text);
            self.out.push('\n');
            self.last_end = end;
        }
    }

    /// Own-line comments before `pos`, each on its own line at `indent`.
    fn leading_comments(&mut self, pos: usize, indent: &str) {
        for c in self.take_before(pos) {
            self.line(indent, &c.text, c.span.start(), c.span.end());
        }
    }

    /// Print one line, keeping one blank line where the source had any.
    fn line(&mut self, indent: &str, text: &str, start: usize, end: usize) {
        let gap = self
            .source
            .get(self.last_end.min(start)..start)
            .unwrap_or("");
        let blank = crate::syntax::lexical::line_breaks(gap) >= 2 && gap.trim().is_empty();
        let after_open = self.out.ends_with("{\n");
        if blank && !self.out.is_empty() && !after_open {
            self.out.push('\n');
        }
        self.out.push_str(indent);
        self.out.push_str(text);
        self.out.push('\n');
        self.last_end = end.max(self.last_end);
    }

    fn statement(&mut self, statement: &Statement) {
        let span = statement.span();
        self.trailing_comment(span.start());
        self.leading_comments(span.start(), "");
        match statement {
            Statement::Declaration(d) => self.declaration(d),
            Statement::Assertion(a) => {
                self.leading_comments(span.end(), "");
                let subject = match &a.subject {
                    Subject::Declared(n) => n.value.to_string(),
                    Subject::UserLiteral(s) => format!("user {}", quote(&s.value)),
                    Subject::ServiceId(n) => format!("service_id {}", n.value),
                };
                let verdict = if a.expect_allowed { "can" } else { "cannot" };
                let text = format!(
                    "assert {subject} {verdict} {} on {};",
                    a.action.value, a.instance.value
                );
                self.line("", &text, span.start(), span.end());
            }
            Statement::Allow(a) => {
                self.leading_comments(span.end(), "");
                // Codes and scope kinds are case-insensitive: written `Q201`, `project`.
                let change = a.change.value.as_str();
                let change = if crate::model::looks_like_code(change) {
                    change.to_ascii_uppercase()
                } else {
                    change.to_string()
                };
                let mut text = format!("allow {change}");
                if let Some(instance) = &a.instance {
                    text.push(' ');
                    text.push_str(&instance.value);
                }
                if let Some(scope) = &a.scope {
                    let kind = scope.kind.value.to_ascii_lowercase();
                    text.push_str(&format!(" on {kind} {}", scope.name.value));
                }
                for (i, target) in a.admitted.iter().enumerate() {
                    let kind = target.kind.value.to_ascii_lowercase();
                    let lead = if i == 0 { " for" } else { "," };
                    text.push_str(&format!("{lead} {kind} {}", target.name.value));
                }
                if let Some(reason) = &a.reason {
                    text.push(' ');
                    text.push_str(&quote(&reason.value));
                }
                text.push(';');
                self.line("", &text, span.start(), span.end());
            }
        }
    }

    fn declaration(&mut self, d: &Declaration) {
        let mut header = d.kind.value.keyword().to_string();
        for part in [&d.name, &d.flag].into_iter().flatten() {
            header.push(' ');
            header.push_str(&part.value);
        }
        let Some(block) = &d.block else {
            self.leading_comments(d.span.end(), "");
            header.push(';');
            self.line("", &header, d.span.start(), d.span.end());
            return;
        };
        // Comments inside the header move above the statement.
        self.leading_comments(block.span.start(), "");
        if block.items.is_empty() && !self.has_comment_before(block.span.end()) {
            header.push_str(" {}");
            self.line("", &header, d.span.start(), d.span.end());
            return;
        }
        header.push_str(" {");
        self.line("", &header, d.span.start(), block.span.start() + 1);
        self.items(&block.items, block.span.end(), INDENT);
        self.line("", "}", block.span.end(), d.span.end());
    }

    fn has_comment_before(&self, pos: usize) -> bool {
        self.comments
            .get(self.next_comment)
            .is_some_and(|c| c.span.start() < pos)
    }

    /// Items of a block ending at `block_end`, with their comments.
    fn items(&mut self, items: &[Item], block_end: usize, indent: &str) {
        for item in items {
            let span = item.span();
            self.trailing_comment(span.start());
            self.leading_comments(span.end(), indent);
            match item {
                Item::Setting(s) => {
                    let text = setting(s, indent.len());
                    self.line(indent, &text, span.start(), span.end());
                }
                Item::Members(m) => self.line(indent, &members(m), span.start(), span.end()),
                Item::Attributes(a) if a.entries.is_empty() => {
                    self.line(indent, "attributes {}", span.start(), span.end())
                }
                Item::Attributes(a) => {
                    self.line(indent, "attributes {", span.start(), span.start());
                    let inner = format!("{indent}{INDENT}");
                    for entry in &a.entries {
                        let text = format!("{} {};", entry.name.value, attr_value(&entry.value));
                        self.line(&inner, &text, entry.span.start(), entry.span.end());
                    }
                    self.line(indent, "}", span.end(), span.end());
                }
                Item::Limits(l) if l.entries.is_empty() => {
                    self.line(indent, "limits {}", span.start(), span.end())
                }
                Item::Limits(l) => {
                    self.line(indent, "limits {", span.start(), span.start());
                    let inner = format!("{indent}{INDENT}");
                    for entry in &l.entries {
                        let text = format!("{} {};", entry.name.value, value(&entry.value));
                        self.line(&inner, &text, entry.span.start(), entry.span.end());
                    }
                    self.line(indent, "}", span.end(), span.end());
                }
            }
            // A `;` after the item belongs to it.
            let after = crate::syntax::lexical::skip_trivia(self.source, span.end());
            if self.source.as_bytes().get(after) == Some(&b';') {
                self.last_end = self.last_end.max(after + 1);
            }
        }
        self.trailing_comment(block_end);
        self.leading_comments(block_end, indent);
    }
}

fn setting(s: &Setting, indent: usize) -> String {
    let key = &s.key.value;
    if s.values.is_empty() {
        return format!("{key};");
    }
    let values: Vec<String> = s.values.iter().map(value).collect();
    let one_line = format!("{key} {};", values.join(", "));
    if indent + one_line.len() <= WIDTH {
        return one_line;
    }
    // Fill to the width, continuation lines aligned under the first value.
    let align = indent + key.len() + 1;
    let mut out = format!("{key} ");
    let mut column = align;
    for (i, v) in values.iter().enumerate() {
        let last = i + 1 == values.len();
        let piece = if last {
            format!("{v};")
        } else {
            format!("{v},")
        };
        if column > align && column + 1 + piece.len() > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(align));
            column = align;
        } else if column > align {
            out.push(' ');
            column += 1;
        }
        out.push_str(&piece);
        column += piece.len();
    }
    out
}

fn members(m: &Members) -> String {
    let sources: Vec<String> = m
        .sources
        .iter()
        .map(|s| match s {
            MemberSource::Rule(r) => {
                let from = r
                    .idp
                    .as_ref()
                    .map_or(String::new(), |i| format!("from {} ", i.value));
                let conditions: Vec<String> = r
                    .conditions
                    .iter()
                    .map(|c| {
                        let v = match &c.value.value {
                            CondValue::One(v) => quote(v),
                            CondValue::Many(vs) => list(vs.iter()),
                        };
                        format!("{} {} {v}", c.claim.value, c.operator.value.keyword())
                    })
                    .collect();
                format!("{from}where {}", conditions.join(" and "))
            }
            MemberSource::User(r) => format!("user {}", member_ref(r)),
            MemberSource::ServiceId(r) => format!("service_id {}", member_ref(r)),
        })
        .collect();
    let role = m
        .role
        .as_ref()
        .map_or(String::new(), |r| format!(" role {}", r.value));
    format!("members {}{role};", sources.join(", "))
}

fn member_ref(r: &MemberRef) -> String {
    match r {
        MemberRef::Declared(n) => n.value.to_string(),
        MemberRef::Literal(s) => quote(&s.value),
    }
}

fn value(v: &Value) -> String {
    match v {
        Value::Name(n) => n.value.to_string(),
        Value::Str(s) => quote(&s.value),
        Value::List(l) => list(l.value.iter().map(|s| &s.value)),
    }
}

fn attr_value(v: &AttrValue) -> String {
    match v {
        AttrValue::Str(s) => quote(s),
        AttrValue::List(l) => list(l.iter()),
    }
}

fn list<'a>(items: impl Iterator<Item = &'a Text>) -> String {
    format!(
        "[{}]",
        items.map(|s| quote(s)).collect::<Vec<_>>().join(", ")
    )
}

/// A string literal that parses back to `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Controls, bidirectional and invisible characters stay visible escapes (Q007).
            c if c.is_control() || crate::diag::escape::hidden(c).is_some() => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
