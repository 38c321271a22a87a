//! The account's IAM limits: IBM's figures (which ones IBM raises on
//! request), and the raised figures a policy declares in
//! `account { limits { policies 8000; } }`, read and checked here.

use super::{Located, Model};
use crate::diag::Span;
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
