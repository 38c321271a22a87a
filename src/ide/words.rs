//! The fixed words completion offers: statement keywords, operators,
//! scope kinds, each declaration's setting keys and the settings' fixed
//! values (as lowering, src/model/lower*.rs, accepts them).

pub(super) use crate::keywords::{
    OPERATOR_KEYWORDS as OPERATORS, STATEMENT_KEYWORDS as STATEMENTS,
};

pub(super) const SCOPES: &[&str] = &["project", "group", "instance", "user", "role", "idp"];

/// The setting keys (and blocks) a declaration of this kind takes, as
/// lowering accepts them (src/model/lower*.rs).
pub(super) fn settings(kind: &str) -> &'static [&'static str] {
    match kind {
        "account" => &[
            "id",
            "user_list_visibility",
            "api_key_creation",
            "service_id_creation",
            "mfa",
            "public_access_groups",
            "limits",
        ],
        "idp" => &[
            "kind",
            "region",
            "attribute",
            "session",
            "realm",
            "tenant",
            "plan",
            "resource_group",
        ],
        "instance" => &["plan", "region", "resource_group", "tags"],
        "role" => &["actions", "display_name", "description", "iam_name"],
        "project" => &[
            "instances",
            "resource_group",
            "role",
            "description",
            "members",
        ],
        "group" => &[
            "projects",
            "groups",
            "instances",
            "resource_group",
            "role",
            "description",
            "members",
        ],
        "user" => &["idp", "email", "iam_id", "attributes"],
        "service_id" => &["description", "iam_id"],
        "audit" => &["region", "target", "endpoint"],
        _ => &[],
    }
}

/// The fixed values of a setting, where it has them.
pub(super) fn choices(kind: &str, key: &str) -> &'static [&'static str] {
    match (kind, key) {
        ("account", "user_list_visibility") => &["restricted", "unrestricted"],
        ("account", "api_key_creation" | "service_id_creation") => {
            &["allowed", "restricted", "not_set"]
        }
        ("account", "mfa") => &[
            "none",
            "none_no_ropc",
            "totp",
            "totp4all",
            "level1",
            "level2",
            "level3",
        ],
        ("account", "public_access_groups") => &["enabled", "disabled"],
        ("idp", "kind") => &["appid", "saml"],
        ("idp", "plan") => &["graduated-tier", "lite"],
        _ => &[],
    }
}

/// What a keyword means, for its hover (Markdown, written here).
pub(super) fn keyword_doc(word: &str) -> Option<&'static str> {
    Some(match word {
        "contains" => "IAM `CONTAINS`: on a string attribute, a case-sensitive **substring** test (`contains \"ml\"` also admits `chemlab`, Q201); on a list, an element test. Prefer `has` or `equals`.",
        "has" => "a whole value of a list attribute: qpol writes the attribute delimited (`,ml,finance,`) and the rule compares `,ml,`, so `ml` never matches `chemlab`.",
        "equals" => "the attribute is exactly this value (case-sensitive).",
        "not_equals" => "the attribute is not this value; a user without the attribute matches no condition.",
        "equals_ignore_case" => "the attribute is this value, ignoring case.",
        "not_equals_ignore_case" => "the attribute is not this value, ignoring case.",
        "in" => "the attribute is one of the listed values: `in [\"a\", \"b\"]`.",
        "members" => "who belongs: dynamic rules (`where ...`, `from IDP where ...`), `user NAME` and `service_id NAME`; `role NAME` gives them another role than the project's.",
        "where" => "a dynamic rule: every condition (`CLAIM OPERATOR VALUE`, joined by `and`) must hold.",
        "from" => "the identity provider whose users the rule tests (needed when more than one is declared).",
        "and" => "another condition of the same rule: all must hold.",
        "existing" => "the object exists already: qpol refers to it and never creates it.",
        "assert" => "`assert SUBJECT can|cannot ACTION on INSTANCE;`, checked by `qpol test` against the effective access.",
        "allow" => "`allow delete|move INSTANCE;` permits a change that loses jobs; `allow CODE on KIND NAME \"reason\";` acknowledges findings.",
        _ => return None,
    })
}
