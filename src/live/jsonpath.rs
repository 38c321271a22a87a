//! The JSONPath subset of a plan's `yields`: `$`, `.name`, `['name']`,
//! `[0]`, `[*]` and filters `[?(@.k=='v')]` (also `@.a.b`, `@['k']`,
//! and double-quoted, number, `true`/`false`/`null` literals). String
//! literals take RFC 9535's escapes `\'`, `\"` and `\\`, as the `ibm-api`
//! builder writes them (`backends::ibm_api::text::jsonpath_quoted`).
//!
//! [`select`] gives every node a path reaches; [`first_scalar`] the first
//! one as a string, which is what `yields` store.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(usize),
    All,
    /// The nodes of a list (or one object) whose value at `path` equals.
    Filter {
        path: Vec<String>,
        equals: Value,
    },
}

/// Whether `path` is in the subset (the reason if not).
pub fn check(path: &str) -> Result<(), String> {
    Parser::new(path).parse().map(|_| ())
}

/// Every node `path` reaches in `value`, in document order.
pub fn select<'v>(value: &'v Value, path: &str) -> Result<Vec<&'v Value>, String> {
    let steps = Parser::new(path).parse()?;
    let mut nodes = vec![value];
    for step in &steps {
        nodes = nodes.into_iter().flat_map(|n| apply(step, n)).collect();
    }
    Ok(nodes)
}

/// The first node `path` reaches, as text: a string as it is, a number or
/// boolean written out. No node, or a null, object or list: an error.
pub fn first_scalar(value: &Value, path: &str) -> Result<String, String> {
    let nodes = select(value, path)?;
    match nodes.first() {
        None => Err(format!(
            "`{}` matches nothing in the answer",
            super::error::shown(path)
        )),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        Some(other) => Err(format!(
            "`{path}` is {} in the answer, not a string",
            kind(other)
        )),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn apply<'v>(step: &Step, node: &'v Value) -> Vec<&'v Value> {
    match step {
        Step::Field(name) => node.get(name.as_str()).into_iter().collect(),
        Step::Index(i) => node.get(*i).into_iter().collect(),
        Step::All => match node {
            Value::Array(items) => items.iter().collect(),
            Value::Object(map) => map.values().collect(),
            _ => Vec::new(),
        },
        Step::Filter { path, equals } => {
            let candidates: Vec<&Value> = match node {
                Value::Array(items) => items.iter().collect(),
                Value::Object(map) => map.values().collect(),
                _ => Vec::new(),
            };
            candidates
                .into_iter()
                .filter(|c| {
                    path.iter()
                        .try_fold(*c, |v, k| v.get(k.as_str()))
                        .is_some_and(|v| v == equals)
                })
                .collect()
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text,
            chars: text.char_indices().peekable(),
        }
    }

    fn error(&mut self, what: &str) -> String {
        let at = self.chars.peek().map_or(self.text.len(), |(i, _)| *i);
        format!(
            "the JSONPath `{}` is not understood at character {}: {what}",
            super::error::shown(self.text),
            at + 1
        )
    }

    fn eat(&mut self, c: char) -> bool {
        if self.chars.peek().is_some_and(|(_, x)| *x == c) {
            self.chars.next();
            return true;
        }
        false
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{c}`")))
        }
    }

    fn parse(mut self) -> Result<Vec<Step>, String> {
        self.expect('$')?;
        let mut steps = Vec::new();
        while let Some(&(_, c)) = self.chars.peek() {
            steps.push(match c {
                '.' => {
                    self.chars.next();
                    if self.eat('*') {
                        Step::All
                    } else {
                        Step::Field(self.name()?)
                    }
                }
                '[' => {
                    self.chars.next();
                    let step = self.bracket()?;
                    self.expect(']')?;
                    step
                }
                _ => return Err(self.error("expected `.` or `[`")),
            });
        }
        Ok(steps)
    }

    fn name(&mut self) -> Result<String, String> {
        let mut name = String::new();
        while let Some(&(_, c)) = self.chars.peek() {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                name.push(c);
                self.chars.next();
            } else {
                break;
            }
        }
        if name.is_empty() {
            return Err(self.error("expected a field name"));
        }
        Ok(name)
    }

    fn bracket(&mut self) -> Result<Step, String> {
        match self.chars.peek().map(|(_, c)| *c) {
            Some('*') => {
                self.chars.next();
                Ok(Step::All)
            }
            Some('\'' | '"') => Ok(Step::Field(self.quoted()?)),
            Some('?') => {
                self.chars.next();
                self.expect('(')?;
                let step = self.filter()?;
                self.expect(')')?;
                Ok(step)
            }
            Some(c) if c.is_ascii_digit() => {
                let digits = self.digits();
                digits
                    .parse()
                    .map(Step::Index)
                    .map_err(|_| self.error("index too large"))
            }
            _ => Err(self.error("expected an index, a quoted name, `*` or `?(`")),
        }
    }

    fn digits(&mut self) -> String {
        let mut digits = String::new();
        while let Some(&(_, c)) = self.chars.peek() {
            if c.is_ascii_digit() || (digits.is_empty() && c == '-') || c == '.' {
                digits.push(c);
                self.chars.next();
            } else {
                break;
            }
        }
        digits
    }

    fn filter(&mut self) -> Result<Step, String> {
        self.expect('@')?;
        let mut path = Vec::new();
        loop {
            if self.eat('.') {
                path.push(self.name()?);
            } else if self.eat('[') {
                path.push(self.quoted()?);
                self.expect(']')?;
            } else {
                break;
            }
        }
        if path.is_empty() {
            return Err(self.error("expected `@.field`"));
        }
        self.spaces();
        self.expect('=')?;
        self.expect('=')?;
        self.spaces();
        let equals = self.literal()?;
        self.spaces();
        Ok(Step::Filter { path, equals })
    }

    fn spaces(&mut self) {
        while self.chars.peek().is_some_and(|(_, c)| *c == ' ') {
            self.chars.next();
        }
    }

    fn literal(&mut self) -> Result<Value, String> {
        match self.chars.peek().map(|(_, c)| *c) {
            Some('\'' | '"') => Ok(Value::String(self.quoted()?)),
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let digits = self.digits();
                serde_json::from_str(&digits).map_err(|_| self.error("not a number"))
            }
            Some(c) if c.is_ascii_alphabetic() => match self.name()?.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                "null" => Ok(Value::Null),
                _ => Err(self.error("expected a quoted string, a number, true, false or null")),
            },
            _ => Err(self.error("expected a value to compare with")),
        }
    }

    /// A single- or double-quoted string with `\` escapes.
    fn quoted(&mut self) -> Result<String, String> {
        let Some((_, quote)) = self.chars.next() else {
            return Err(self.error("expected a quoted string"));
        };
        let mut out = String::new();
        loop {
            match self.chars.next() {
                None => return Err(self.error("the string is not closed")),
                Some((_, c)) if c == quote => return Ok(out),
                Some((_, '\\')) => match self.chars.next() {
                    Some((_, c @ ('\\' | '\'' | '"' | '/'))) => out.push(c),
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    _ => return Err(self.error("unknown escape")),
                },
                Some((_, c)) => out.push(c),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::backends::ibm_api::text::jsonpath_quoted;
    use serde_json::json;

    fn answer() -> Value {
        json!({
            "id": "AccessGroupId-1",
            "count": 2,
            "resources": [
                {"name": "lite", "id": "p-lite", "email": "a@x.org", "iam_id": "IBMid-a"},
                {"name": "standard", "id": "p-std", "email": "o'brien\\x@x.org", "iam_id": "IBMid-o"},
                {"name": "deep", "meta": {"k": "v"}, "id": "p-deep", "n": 3}
            ]
        })
    }

    #[test]
    fn the_builders_paths() {
        let a = answer();
        assert_eq!(first_scalar(&a, "$.id").unwrap(), "AccessGroupId-1");
        assert_eq!(first_scalar(&a, "$.resources[0].id").unwrap(), "p-lite");
        assert_eq!(
            first_scalar(&a, "$.resources[?(@.name=='standard')].id").unwrap(),
            "p-std"
        );
        assert_eq!(first_scalar(&a, "$.count").unwrap(), "2");
        assert_eq!(
            first_scalar(&a, "$['resources'][1]['iam_id']").unwrap(),
            "IBMid-o"
        );
        assert_eq!(
            first_scalar(&a, "$.resources[?(@.meta.k == \"v\")].id").unwrap(),
            "p-deep"
        );
        assert_eq!(
            first_scalar(&a, "$.resources[?(@.n==3)].id").unwrap(),
            "p-deep"
        );
        assert_eq!(select(&a, "$.resources[*].id").unwrap().len(), 3);
    }

    #[test]
    fn quoted_values_with_the_builders_escapes() {
        let a = answer();
        let email = "o'brien\\x@x.org";
        let path = format!(
            "$.resources[?(@.email=='{}')].iam_id",
            jsonpath_quoted(email)
        );
        assert_eq!(path, r"$.resources[?(@.email=='o\'brien\\x@x.org')].iam_id");
        assert_eq!(first_scalar(&a, &path).unwrap(), "IBMid-o");
    }

    #[test]
    fn misses_and_bad_paths_are_errors() {
        let a = answer();
        let err = first_scalar(&a, "$.resources[?(@.name=='gold')].id").unwrap_err();
        assert!(err.contains("matches nothing"), "{err}");
        let err = first_scalar(&a, "$.resources").unwrap_err();
        assert!(err.contains("a list"), "{err}");
        for bad in [
            "id",
            "$.",
            "$[",
            "$.a[?(@.x='v')]",
            "$.a[?(@.x=='v)]",
            "$[0",
            "$..a",
        ] {
            let err = select(&a, bad).unwrap_err();
            assert!(err.contains("is not understood"), "{bad}: {err}");
        }
    }
}
