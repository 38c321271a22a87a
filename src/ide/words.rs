//! The fixed words completion offers: statement keywords, operators,
//! scope kinds, each declaration's setting keys and the settings' fixed
//! values (as lowering, src/model/lower*.rs, accepts them).

pub(super) const STATEMENTS: &[&str] = &[
    "account",
    "idp",
    "resource_group",
    "instance",
    "role",
    "project",
    "group",
    "user",
    "service_id",
    "audit",
    "assert",
    "allow",
];

pub(super) const OPERATORS: &[&str] = &[
    "contains",
    "has",
    "equals",
    "not_equals",
    "equals_ignore_case",
    "not_equals_ignore_case",
    "in",
];

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
