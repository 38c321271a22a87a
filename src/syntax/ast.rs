//! The syntax tree: what was written, with a span on every node.
//!
//! The tree is generic on purpose (declarations hold `key value` settings);
//! `model::lower` gives each key its meaning. The formatter prints this tree.

use crate::diag::Span;

/// A name or value as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

pub use crate::text::Text;

pub type Name = Spanned<Text>;

/// One parsed file.
#[derive(Debug, Clone, Default)]
pub struct SourceFile {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone)]
pub enum Statement {
    /// Boxed, as every kind: a file's statements are one vector, and a
    /// vector of boxes is a tenth of the size of one of declarations (a
    /// hundred thousand users are not copied as the vector grows), and each
    /// declaration is freed on its own once lowered.
    Declaration(Box<Declaration>),
    Assertion(Box<Assertion>),
    Allow(Box<Allow>),
}

impl Statement {
    pub fn span(&self) -> Span {
        match self {
            Statement::Declaration(d) => d.span,
            Statement::Assertion(a) => a.span,
            Statement::Allow(a) => a.span,
        }
    }
}

/// The kinds of declaration, in the order the formatter's docs list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclKind {
    Account,
    Idp,
    ResourceGroup,
    Instance,
    Role,
    Project,
    Group,
    User,
    ServiceId,
    Audit,
}

impl DeclKind {
    pub fn keyword(self) -> &'static str {
        match self {
            DeclKind::Account => "account",
            DeclKind::Idp => "idp",
            DeclKind::ResourceGroup => "resource_group",
            DeclKind::Instance => "instance",
            DeclKind::Role => "role",
            DeclKind::Project => "project",
            DeclKind::Group => "group",
            DeclKind::User => "user",
            DeclKind::ServiceId => "service_id",
            DeclKind::Audit => "audit",
        }
    }

    pub fn from_keyword(word: &str) -> Option<DeclKind> {
        Some(match word {
            "account" => DeclKind::Account,
            "idp" => DeclKind::Idp,
            "resource_group" => DeclKind::ResourceGroup,
            "instance" => DeclKind::Instance,
            "role" => DeclKind::Role,
            "project" => DeclKind::Project,
            "group" => DeclKind::Group,
            "user" => DeclKind::User,
            "service_id" => DeclKind::ServiceId,
            "audit" => DeclKind::Audit,
            _ => return None,
        })
    }
}

/// Which delimiters a block was written with (`{ }` or `< >`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Brace,
    Angle,
}

/// `KIND NAME? FLAG? { ITEMS }` or `KIND NAME FLAG? ;`
#[derive(Debug, Clone)]
pub struct Declaration {
    pub kind: Spanned<DeclKind>,
    pub name: Option<Name>,
    pub flag: Option<Name>,
    /// `None` for the short form `resource_group quantum;`.
    pub block: Option<Block>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub delimiter: Delimiter,
    pub items: Vec<Item>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Item {
    Setting(Setting),
    Members(Members),
    Attributes(Attributes),
    Limits(Limits),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Setting(s) => s.span,
            Item::Members(m) => m.span,
            Item::Attributes(a) => a.span,
            Item::Limits(l) => l.span,
        }
    }
}

/// `key value, value`
#[derive(Debug, Clone)]
pub struct Setting {
    pub key: Name,
    pub values: Vec<Value>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Name(Name),
    Str(Spanned<Text>),
    List(Spanned<Vec<Spanned<Text>>>),
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::Name(n) => n.span,
            Value::Str(s) => s.span,
            Value::List(l) => l.span,
        }
    }
}

/// `attributes { project "ml"; teams ["a", "b"] }`
#[derive(Debug, Clone)]
pub struct Attributes {
    pub entries: Vec<Attribute>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: Name,
    pub value: AttrValue,
    pub span: Span,
}

/// `limits { policies 8000; dynamic_rules_per_group 20 }` in an account.
#[derive(Debug, Clone)]
pub struct Limits {
    pub entries: Vec<Limit>,
    pub span: Span,
}

/// `NAME VALUE`: the value is checked to be a number when lowered.
#[derive(Debug, Clone)]
pub struct Limit {
    pub name: Name,
    pub value: Value,
    pub span: Span,
}

/// An identity-provider attribute value: a string, or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    Str(Text),
    List(Vec<Text>),
}

/// `members SOURCE, SOURCE role NAME`
#[derive(Debug, Clone)]
pub struct Members {
    pub sources: Vec<MemberSource>,
    pub role: Option<Name>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum MemberSource {
    Rule(Rule),
    User(MemberRef),
    ServiceId(MemberRef),
}

/// A member named by a declared name or by a literal id / email.
#[derive(Debug, Clone)]
pub enum MemberRef {
    Declared(Name),
    Literal(Spanned<Text>),
}

impl MemberRef {
    pub fn span(&self) -> Span {
        match self {
            MemberRef::Declared(n) => n.span,
            MemberRef::Literal(s) => s.span,
        }
    }
}

/// `from IDP where COND and COND`: one IAM dynamic rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub idp: Option<Name>,
    pub conditions: Vec<Condition>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Condition {
    pub claim: Name,
    pub operator: Spanned<Operator>,
    pub value: Spanned<CondValue>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum CondValue {
    One(Text),
    Many(Vec<Text>),
}

/// Dynamic-rule operators: IAM's, plus qpol's delimited `has`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Contains,
    Equals,
    NotEquals,
    EqualsIgnoreCase,
    NotEqualsIgnoreCase,
    In,
    Has,
}

impl Operator {
    pub fn keyword(self) -> &'static str {
        match self {
            Operator::Contains => "contains",
            Operator::Equals => "equals",
            Operator::NotEquals => "not_equals",
            Operator::EqualsIgnoreCase => "equals_ignore_case",
            Operator::NotEqualsIgnoreCase => "not_equals_ignore_case",
            Operator::In => "in",
            Operator::Has => "has",
        }
    }

    pub fn from_keyword(word: &str) -> Option<Operator> {
        Some(match word {
            "contains" => Operator::Contains,
            "equals" => Operator::Equals,
            "not_equals" => Operator::NotEquals,
            "equals_ignore_case" => Operator::EqualsIgnoreCase,
            "not_equals_ignore_case" => Operator::NotEqualsIgnoreCase,
            "in" => Operator::In,
            "has" => Operator::Has,
            _ => return None,
        })
    }
}

/// `assert SUBJECT can|cannot ACTION on INSTANCE;`
#[derive(Debug, Clone)]
pub struct Assertion {
    pub subject: Subject,
    pub expect_allowed: bool,
    pub action: Name,
    pub instance: Name,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Subject {
    /// A declared user or service id, by name.
    Declared(Name),
    /// `user "alice@example.com"`
    UserLiteral(Spanned<Text>),
    /// `service_id NAME`
    ServiceId(Name),
}

impl Subject {
    pub fn span(&self) -> Span {
        match self {
            Subject::Declared(n) | Subject::ServiceId(n) => n.span,
            Subject::UserLiteral(s) => s.span,
        }
    }
}

/// `allow delete QR-old;` / `allow move QR-ml;`, or an acknowledgement
/// `allow Q201 on project ml "reason";` (`change` is then the code).
#[derive(Debug, Clone)]
pub struct Allow {
    pub change: Name,
    /// The instance of `allow delete|move`; absent in an acknowledgement.
    pub instance: Option<Name>,
    /// `on KIND NAME`.
    pub scope: Option<AllowScope>,
    /// `for project chemlab, project ml-nlp`: the admitted projects named.
    pub admitted: Vec<AllowScope>,
    pub reason: Option<Spanned<Text>>,
    pub span: Span,
}

/// `on project ml`: what an acknowledgement is limited to.
#[derive(Debug, Clone)]
pub struct AllowScope {
    pub kind: Name,
    pub name: Name,
    pub span: Span,
}
