//! The account's IAM limits: IBM's figures (which ones IBM raises on
//! request), and the raised figures a policy declares in
//! `account { limits { policies 8000; } }`, read and checked here.

use super::lower::Lowerer;
use super::{Located, Model};
use crate::diag::{did_you_mean, Code, Diagnostic, Label, Span};
use crate::syntax::ast::{Limits, Value};
use serde::Serialize;

/// One row of IBM's table of account-wide IAM limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    AccessGroups,
    GroupsPerUser,
    CustomRoles,
    DynamicRulesPerGroup,
    DynamicRulesPerIdp,
    IdentityProviders,
    Policies,
    PoliciesPerSubject,
    ServiceIds,
    Users,
}

/// A limit's name in `limits { }`, IBM's figure and whether IBM raises it.
pub struct LimitInfo {
    pub kind: LimitKind,
    pub name: &'static str,
    pub ibm: u64,
    pub raisable: bool,
    /// What the figure counts, as the messages say it.
    pub what: &'static str,
}

/// IBM's figures, from the "IAM limits" table of IBM's IAM documentation.
pub const LIMITS: &[LimitInfo] = &[
    LimitInfo {
        kind: LimitKind::AccessGroups,
        name: "access_groups",
        ibm: 500,
        raisable: false,
        what: "access groups in the account",
    },
    LimitInfo {
        kind: LimitKind::GroupsPerUser,
        name: "groups_per_user",
        ibm: 50,
        raisable: false,
        what: "access groups one user is a member of",
    },
    LimitInfo {
        kind: LimitKind::CustomRoles,
        name: "custom_roles",
        ibm: 40,
        raisable: false,
        what: "custom roles in the account",
    },
    LimitInfo {
        kind: LimitKind::DynamicRulesPerGroup,
        name: "dynamic_rules_per_group",
        ibm: 5,
        raisable: true,
        what: "dynamic rules of one access group",
    },
    LimitInfo {
        kind: LimitKind::DynamicRulesPerIdp,
        name: "dynamic_rules_per_idp",
        ibm: 2000,
        raisable: true,
        what: "dynamic rules naming one identity provider",
    },
    LimitInfo {
        kind: LimitKind::IdentityProviders,
        name: "identity_providers",
        ibm: 5,
        raisable: true,
        what: "identity providers in the account",
    },
    LimitInfo {
        kind: LimitKind::Policies,
        name: "policies",
        ibm: 4020,
        raisable: true,
        what: "access policies in the account (shared with context-based restriction rules)",
    },
    LimitInfo {
        kind: LimitKind::PoliciesPerSubject,
        name: "policies_per_subject",
        ibm: 1000,
        raisable: false,
        what: "access policies of one access group",
    },
    LimitInfo {
        kind: LimitKind::ServiceIds,
        name: "service_ids",
        ibm: 2000,
        raisable: true,
        what: "service IDs in the account",
    },
    LimitInfo {
        kind: LimitKind::Users,
        name: "users",
        ibm: 7500,
        raisable: false,
        what: "users in a billable account (a trial account holds 100: declare `users 100`)",
    },
];

/// The largest figure a policy may declare: far above any account.
pub const MAX_DECLARED: u64 = 100_000_000;

impl LimitKind {
    pub fn info(self) -> &'static LimitInfo {
        // Every kind has a row (checked by a unit test).
        const FALLBACK: LimitInfo = LimitInfo {
            kind: LimitKind::AccessGroups,
            name: "access_groups",
            ibm: 500,
            raisable: false,
            what: "access groups in the account",
        };
        LIMITS.iter().find(|l| l.kind == self).unwrap_or(&FALLBACK)
    }

    pub fn from_name(name: &str) -> Option<LimitKind> {
        LIMITS.iter().find(|l| l.name == name).map(|l| l.kind)
    }
}

/// A limit the policy declares, with where.
#[derive(Debug, Clone, Serialize)]
pub struct DeclaredLimit {
    pub kind: LimitKind,
    pub value: Located<u64>,
    #[serde(skip)]
    pub span: Span,
}

impl Model {
    /// The figure that applies to this account: the declared one, else IBM's.
    pub fn limit(&self, kind: LimitKind) -> (u64, Option<&DeclaredLimit>) {
        let declared = self
            .account
            .as_ref()
            .and_then(|a| a.limits.iter().find(|l| l.kind == kind));
        (
            declared.map_or(kind.info().ibm, |d| d.value.value),
            declared,
        )
    }
}

impl Lowerer {
    /// The entries of the account's `limits { }` blocks.
    pub(super) fn limits(&mut self, blocks: &[&Limits]) -> Vec<DeclaredLimit> {
        let mut out: Vec<DeclaredLimit> = Vec::new();
        for entry in blocks.iter().flat_map(|b| &b.entries) {
            let name = entry.name.value.as_str();
            let Some(kind) = LimitKind::from_name(name) else {
                let names = LIMITS.iter().map(|l| l.name);
                let mut d = Diagnostic::new(
                    Code::UnknownSetting,
                    format!("the account has no limit `{name}`"),
                    Label::new(entry.name.span, "unknown limit"),
                )
                .with_suggestion(did_you_mean(name, names.clone()));
                if d.help.is_none() {
                    d.help = Some(format!(
                        "the limits are: {}",
                        names.collect::<Vec<_>>().join(", ")
                    ));
                }
                self.diags.push(d);
                continue;
            };
            if let Some(first) = out.iter().find(|l| l.kind == kind) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("limit `{name}` is given twice; the second would be ignored"),
                        Label::new(entry.span, "given again here"),
                    )
                    .with_label(Label::new(first.span, "first given here"))
                    .with_help(format!("remove one of the two `{name}` limits")),
                );
                continue;
            }
            let Some(value) = self.limit_value(name, &entry.value) else {
                continue;
            };
            out.push(DeclaredLimit {
                kind,
                value,
                span: entry.span,
            });
        }
        out
    }

    /// A whole number from 1 to [`MAX_DECLARED`] (`8000` or `8_000`).
    fn limit_value(&mut self, name: &str, value: &Value) -> Option<Located<u64>> {
        let text = match value {
            Value::Name(n) => n.value.as_str(),
            Value::Str(_) | Value::List(_) => "",
        };
        let digits = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit() || b == b'_')
            && text.bytes().next().is_some_and(|b| b.is_ascii_digit())
            && !text.ends_with('_');
        if !digits {
            let found = match value {
                Value::Name(n) => format!("`{}`", n.value),
                Value::Str(_) => "a string".to_string(),
                Value::List(_) => "a list".to_string(),
            };
            self.diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("limit `{name}` takes a whole number, found {found}"),
                    Label::new(value.span(), "not a number"),
                )
                .with_help(format!(
                    "write digits without quotes or units, e.g. `{name} {};`",
                    LimitKind::from_name(name).map_or(1000, |k| k.info().ibm * 2)
                )),
            );
            return None;
        }
        let number = text.replace('_', "").parse::<u64>().ok();
        match number {
            Some(n) if (1..=MAX_DECLARED).contains(&n) => Some(Located::new(n, value.span())),
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        Code::ValueOutOfRange,
                        format!("limit `{name}` is {text}: a limit is 1 to 100,000,000"),
                        Label::new(value.span(), "out of range"),
                    )
                    .with_help("declare the figure IBM confirmed for the account"),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_row() {
        for row in LIMITS {
            assert_eq!(row.kind.info().name, row.name);
            assert_eq!(LimitKind::from_name(row.name), Some(row.kind));
        }
        assert_eq!(LIMITS.len(), 10);
    }
}
