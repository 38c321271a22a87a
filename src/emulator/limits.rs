//! The IAM account limits the emulator enforces (the table of
//! `ibm-cloud-apis.md`): a create past one is refused with IBM's error body,
//! status 400 and code `limit_exceeded` (IAM answers a refused create with
//! 400; 429 would invite a retry, and a retry cannot help).

use super::http::Response;
use super::reply::error;
use super::state::State;

/// One limit: what it counts and its maximum.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub what: &'static str,
    pub max: usize,
}

pub const ACCESS_GROUPS: Limit = Limit {
    what: "access groups per account",
    max: 500,
};
pub const CUSTOM_ROLES: Limit = Limit {
    what: "custom roles per account",
    max: 40,
};
pub const RULES_PER_GROUP: Limit = Limit {
    what: "dynamic rules per access group",
    max: 5,
};
pub const RULES_PER_REALM: Limit = Limit {
    what: "dynamic rules per identity provider",
    max: 2000,
};
pub const POLICIES: Limit = Limit {
    what: "policies per account",
    max: 4020,
};
pub const POLICIES_PER_SUBJECT: Limit = Limit {
    what: "policies per subject",
    max: 1000,
};
pub const SERVICE_IDS: Limit = Limit {
    what: "service IDs per account",
    max: 2000,
};

/// Refuse one more object when `count` already reached `limit`.
pub fn check(state: &mut State, limit: Limit, count: usize) -> Result<(), Response> {
    if count < limit.max {
        return Ok(());
    }
    Err(error(
        state,
        400,
        "limit_exceeded",
        format!(
            "the account reached its limit of {} {}: delete one first, or ask IBM to raise it where it can be raised",
            limit.max, limit.what
        ),
    ))
}

/// The status a refused create gets.
pub const STATUS: u16 = 400;
