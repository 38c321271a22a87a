//! Lowering of `allow` acknowledgements: `allow CODE on KIND NAME for KIND
//! NAME, ... "reason";` (scope and `for` optional, `for` only for Q201, the
//! reason required and visible). Only Q201 and warning codes that a policy
//! can hold can be acknowledged; codes and scope kinds are case-insensitive.
//! `allow delete|move INSTANCE;` stays in `lower_units`.

use super::lower::Lowerer;
use super::*;
use crate::diag::codes::TABLE;
use crate::diag::{did_you_mean, Code, Diagnostic, Entity, Label, Severity};
use crate::syntax::ast::{self, DeclKind};

/// The scope kinds an acknowledgement takes, as written after `on`.
const SCOPES: [&str; 6] = ["project", "group", "instance", "user", "role", "idp"];

/// `Q201`, `q222`: a word that is meant as a diagnostic code.
pub fn looks_like_code(word: &str) -> bool {
    let mut chars = word.chars();
    matches!(chars.next(), Some('Q' | 'q'))
        && word.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric())
        && word.chars().skip(1).any(|c| c.is_ascii_digit())
}

/// Can findings of this code be acknowledged? Q201 and warnings, except
/// the acknowledgements' own (Q120, Q123) and Q004 (a policy holding an
/// acknowledgement is never empty, so it could never cover one).
pub fn acknowledgeable(code: Code) -> bool {
    code == Code::OverlappingRule
        || (code.severity() == Severity::Warning
            && !matches!(
                code,
                Code::UnusedAcknowledgement | Code::DuplicateAcknowledgement | Code::EmptyPolicy
            ))
}

const EXAMPLE: &str = "allow Q201 on project ml \"ml-* sub-projects share QR-ml by design\";";

impl Lowerer {
    /// The instance of `allow delete|move INSTANCE;`, or a reported error.
    pub(super) fn change_target<'a>(&mut self, a: &'a ast::Allow) -> Option<&'a ast::Name> {
        let change = &a.change.value;
        if let Some(scope) = &a.scope {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`allow {change}` names an instance, not a scope"),
                    Label::new(scope.span, "no scope here"),
                )
                .with_help(format!("write `allow {change} INSTANCE;`")),
            );
            return None;
        }
        if let Some(target) = a.admitted.first() {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`allow {change}` names an instance, not the projects a rule admits"),
                    Label::new(target.span, "no `for` here"),
                )
                .with_help(format!("write `allow {change} INSTANCE;`")),
            );
            return None;
        }
        if a.instance.is_none() {
            self.diags.push(
                Diagnostic::new(
                    Code::MissingSetting,
                    format!("`allow {change}` does not name the instance"),
                    Label::new(a.span, "which instance?"),
                )
                .with_help(format!("write `allow {change} INSTANCE;`")),
            );
        }
        a.instance.as_ref()
    }

    /// `allow CODE [on KIND NAME] "reason";` into the model, or errors.
    pub(super) fn acknowledgement(&mut self, a: &ast::Allow) {
        let word = a.change.value.as_str();
        let Some(code) = Code::from_id(word) else {
            let ids = TABLE.iter().map(|row| row.id);
            let upper = word.to_ascii_uppercase();
            // `Q0201`: the same number written with a leading zero.
            let renumbered = upper
                .get(1..)
                .and_then(|digits| digits.parse::<u32>().ok())
                .map(|n| format!("Q{n:03}"))
                .filter(|id| Code::from_id(id).is_some());
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("`{word}` is not a qpol diagnostic code"),
                    Label::new(a.change.span, "unknown code"),
                )
                .with_suggestion(renumbered.as_deref().or(did_you_mean(&upper, ids))),
            );
            if let Some(d) = self.diags.last_mut() {
                if d.help.is_none() {
                    d.help = Some("`qpol explain` lists the codes".into());
                }
            }
            return;
        };
        if !acknowledgeable(code) {
            let (id, title) = (code.id(), code.info().title);
            let message = match code.severity() {
                _ if code == Code::UnusedAcknowledgement => {
                    "Q120 cannot acknowledge itself: remove the acknowledgement that suppresses nothing".to_string()
                }
                _ if code == Code::DuplicateAcknowledgement => {
                    "Q123 cannot be acknowledged: remove the acknowledgement written twice".to_string()
                }
                _ if code == Code::EmptyPolicy => {
                    "Q004 (empty policy) can never be acknowledged: a policy holding `allow` is not empty".to_string()
                }
                Severity::Note => format!(
                    "{id} ({title}) is a note, which never fails a run: there is nothing to acknowledge"
                ),
                _ => format!(
                    "{id} ({title}) is an error, and of errors only Q201 can be acknowledged: fix what it reports"
                ),
            };
            let mut d = Diagnostic::new(
                Code::NotAcknowledgeable,
                message,
                Label::new(a.change.span, "not acknowledgeable"),
            )
            .with_help("`allow CODE` takes Q201 and warning codes; `qpol explain Q121` says why");
            if matches!(code, Code::InstanceDeleted | Code::InstanceMoved) {
                let change = if code == Code::InstanceDeleted {
                    "delete"
                } else {
                    "move"
                };
                d = d.with_help(format!(
                    "to accept {}, write `allow {change} INSTANCE;`",
                    code.id()
                ));
            }
            self.diags.push(d);
            return;
        }
        if let Some(name) = &a.instance {
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!(
                        "`{}` after `allow {word}` needs `on` and a kind",
                        name.value
                    ),
                    Label::new(name.span, "a scope is `on KIND NAME`"),
                )
                .with_help(format!(
                    "write `allow {word} on {} {} \"reason\";` (kinds: {})",
                    self.kind_of(&name.value),
                    name.value,
                    SCOPES.join(", ")
                )),
            );
            return;
        }
        let reason = match &a.reason {
            Some(r) if visible(&r.value) => r,
            other => {
                let at = other.as_ref().map_or(a.span, |r| r.span);
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingSetting,
                        format!("`allow {word}` needs a reason: why is the finding intended?"),
                        Label::new(at, "no visible reason given"),
                    )
                    .with_help(format!(
                        "end the statement with the reason as a string, e.g. `{EXAMPLE}`"
                    )),
                );
                return;
            }
        };
        if let Some((c, kind)) = reason
            .value
            .chars()
            .find_map(|c| crate::diag::escape::hidden(c).map(|h| (c, h)))
        {
            self.diags.push(
                Diagnostic::new(
                    Code::HiddenInShownValue,
                    format!(
                        "the reason holds {}, {}: reviewers of the policy and of the report would not read what is written",
                        crate::diag::escape::name(c),
                        kind.describe()
                    ),
                    Label::new(reason.span, "hidden character once decoded"),
                )
                .with_help("remove it: a reason is text for people"),
            );
        }
        if code != Code::OverlappingRule {
            if let Some(first) = a.admitted.first() {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "`for` names the projects a Q201 rule admits; {} findings admit no one",
                            code.id()
                        ),
                        Label::new(first.span, "only for Q201"),
                    )
                    .with_help(format!(
                        "remove the `for` part: `allow {} on KIND NAME \"reason\";`",
                        code.id()
                    )),
                );
                return;
            }
        }
        let scope = match &a.scope {
            None => None,
            Some(scope) => match self.scope(scope, "on") {
                Some(entity) => Some(Located::new(entity, scope.span)),
                None => return,
            },
        };
        let mut admitted = Vec::new();
        for target in &a.admitted {
            let entity = self.scope(target, "for");
            if let Some(entity) = entity {
                if !matches!(entity, Entity::Unit(_)) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!(
                                "a rule admits the users of projects and groups, not of {}s",
                                target.kind.value.to_ascii_lowercase()
                            ),
                            Label::new(target.kind.span, "expected `project` or `group`"),
                        )
                        .with_help("write `for project NAME` or `for group NAME`"),
                    );
                    return;
                }
                admitted.push(Located::new(entity, target.span));
            } else {
                return;
            }
        }
        self.model.acknowledgements.push(Acknowledgement {
            code,
            scope,
            admitted,
            reason: Located::new(reason.value.clone(), reason.span),
            span: a.span,
        });
    }

    /// `on KIND NAME` resolved to the entity, or reported (unknown kind, undefined name).
    fn scope(&mut self, scope: &ast::AllowScope, lead: &str) -> Option<Entity> {
        let lower = scope.kind.value.to_ascii_lowercase();
        let kind = lower.as_str();
        let decl = match kind {
            "project" => DeclKind::Project,
            "group" => DeclKind::Group,
            "instance" => DeclKind::Instance,
            "user" => DeclKind::User,
            "role" => DeclKind::Role,
            "idp" => DeclKind::Idp,
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("an acknowledgement cannot be scoped on `{kind}`"),
                        Label::new(
                            scope.kind.span,
                            format!("expected one of {}", SCOPES.join(", ")),
                        ),
                    )
                    .with_suggestion(did_you_mean(kind, SCOPES)),
                );
                if let Some(d) = self.diags.last_mut() {
                    if d.help.is_none() {
                        d.help = Some(format!(
                            "scopes are `on KIND NAME` with KIND one of {}",
                            SCOPES.join(", ")
                        ));
                    }
                }
                return None;
            }
        };
        if let Some(d) = self.other_kind(scope, kind, decl, lead) {
            self.diags.push(d);
            return None;
        }
        let id = self.resolve(decl, &super::lower::located(&scope.name))?;
        if decl == DeclKind::Idp {
            return Some(Entity::Idp(id));
        }
        let Some(unit) = self
            .model
            .units
            .get(id)
            .filter(|_| decl == DeclKind::Project || decl == DeclKind::Group)
        else {
            return Some(match decl {
                DeclKind::Instance => Entity::Instance(id),
                DeclKind::User => Entity::User(id),
                _ => Entity::Role(id),
            });
        };
        let expected = if decl == DeclKind::Group {
            UnitKind::Group
        } else {
            UnitKind::Project
        };
        if unit.kind != expected {
            let actual = unit.kind.word();
            let d = Diagnostic::new(
                Code::InvalidValue,
                format!("`{}` is a {actual}, not a {kind}", unit.name.value),
                Label::new(
                    scope.kind.span,
                    format!("`{}` is a {actual}", unit.name.value),
                ),
            )
            .with_label(Label::new(unit.name.span, "declared here"))
            .with_suggestion(Some(actual));
            self.diags.push(d);
            return None;
        }
        Some(Entity::Unit(id))
    }

    /// The scope kind of a declared name (`project` when it is none).
    fn kind_of(&self, name: &str) -> &'static str {
        let m = &self.model;
        if let Some(u) = m.units.iter().find(|u| u.name.value == name) {
            u.kind.word()
        } else if m.instances.iter().any(|x| x.name.value == name) {
            "instance"
        } else if m.users.iter().any(|x| x.name.value == name) {
            "user"
        } else if m.roles.iter().any(|x| x.name.value == name) {
            "role"
        } else if m.idps.iter().any(|x| x.name.value == name) {
            "idp"
        } else {
            "project"
        }
    }

    /// `on user ml` where `ml` is no user but a project: says what it is
    /// (a project and a group share a namespace: that case is reported later).
    fn other_kind(
        &self,
        scope: &ast::AllowScope,
        kind: &str,
        decl: DeclKind,
        lead: &str,
    ) -> Option<Diagnostic> {
        let name = scope.name.value.as_str();
        let m = &self.model;
        let declared = |k: DeclKind| match k {
            DeclKind::Project | DeclKind::Group => m.units.iter().any(|u| u.name.value == name),
            DeclKind::Instance => m.instances.iter().any(|x| x.name.value == name),
            DeclKind::User => m.users.iter().any(|x| x.name.value == name),
            DeclKind::Role => m.roles.iter().any(|x| x.name.value == name),
            _ => m.idps.iter().any(|x| x.name.value == name),
        };
        if declared(decl) {
            return None;
        }
        let others = [
            DeclKind::Project,
            DeclKind::Instance,
            DeclKind::User,
            DeclKind::Role,
            DeclKind::Idp,
        ];
        if !others.into_iter().any(declared) {
            return None;
        }
        let actual = self.kind_of(name);
        Some(
            Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "`{name}` is a{} {actual}, not a{} {kind}",
                    article(actual),
                    article(kind)
                ),
                Label::new(
                    scope.kind.span,
                    format!("`{name}` is a{} {actual}", article(actual)),
                ),
            )
            .with_suggestion(Some(actual))
            .with_help(if lead == "for" && !matches!(actual, "project" | "group") {
                "`for` names the projects or groups whose users a rule admits".to_string()
            } else {
                format!("write `{lead} {actual} {name}`")
            }),
        )
    }
}

/// `n` before a vowel sound: "an instance", "an idp" (but "a user").
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o']) {
        "n"
    } else {
        ""
    }
}

/// Does a reason hold something a reader sees? Blanks, control, format
/// and other invisible characters do not count.
fn visible(text: &str) -> bool {
    text.chars()
        .any(|c| !c.is_whitespace() && crate::diag::escape::hidden(c).is_none())
}

/// What the findings of an acknowledgeable code concern, for `qpol
/// explain`: the scopes an `allow CODE on KIND NAME` may name (None for a
/// code that cannot be acknowledged).
pub fn concerns(code: Code) -> Option<&'static str> {
    if !acknowledgeable(code) {
        return None;
    }
    Some(match code {
        Code::OverlappingRule => "the project or group whose rule admits too much (`on project ml`), its role, the instances the rule reaches; `for project NAME, ...` names the admitted projects, one Q201 each: `allow Q201 on project ml for project ml-vision \"why\";`",
        Code::AccidentalMember => "the user admitted (`on user NAME`) and the project or group whose rule admits the user (`on project NAME`, which also covers users declared later)",
        Code::HiddenInShownValue => "the declaration whose display name or description holds the character (`on role NAME`, `on project NAME`, ...)",
        Code::DuplicateAction | Code::RoleWithoutDeviceRead | Code::WriterWithoutSessionCreate => "the role (`on role NAME`)",
        Code::LookalikeNames => "both declarations whose names look alike (`on instance QR-ml` or `on instance QR-mI`)",
        Code::UndelimitedAttribute | Code::UserInNoProject => "the user (`on user NAME`), or the declaration the finding points into",
        Code::ProjectWithoutMembers => "the project (`on project NAME`)",
        Code::UnreachableInstance => "the instance (`on instance NAME`)",
        Code::AuditRegionMismatch => "each instance left unaudited (`on instance NAME`)",
        Code::IdpNotCreated => "the identity provider (`on idp NAME`)",
        _ => "the declaration the finding points into; account-wide findings take no scope (`allow CODE \"why\";`)",
    })
}
