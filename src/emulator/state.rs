//! The emulated account held in memory: every object as the JSON IBM
//! answers with, their ETags, and the deterministic generators of ids,
//! timestamps, ETags and traces (a counter mixed with `--seed`), so that two
//! runs with the same requests give byte-identical answers.

use super::faults::mix;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A user that user management lists (`--users FILE`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct User {
    pub email: String,
    pub iam_id: String,
}

/// Everything the account holds. Maps are keyed by id, so every list and
/// the `/_emulator/state` dump come out sorted.
#[derive(Debug)]
pub struct State {
    pub account_id: String,
    /// The most a list answers in one page, and its size when the client
    /// gives no `limit`.
    pub page_size: usize,
    seed: u64,
    ids: u64,
    clock: u64,
    etag_count: u64,
    traces: u64,
    pub groups: BTreeMap<String, Value>,
    /// Rules by id; each names its `access_group_id`.
    pub rules: BTreeMap<String, Value>,
    /// Members by group id, then iam id.
    pub members: BTreeMap<String, BTreeMap<String, Value>>,
    pub group_settings: Value,
    pub policies: BTreeMap<String, Value>,
    pub roles: BTreeMap<String, Value>,
    /// Resource instances by guid.
    pub instances: BTreeMap<String, Value>,
    pub resource_groups: BTreeMap<String, Value>,
    pub identity_settings: Value,
    pub service_ids: BTreeMap<String, Value>,
    /// Users by iam id.
    pub users: BTreeMap<String, Value>,
    /// ETags by `KIND/ID`.
    pub etags: BTreeMap<String, String>,
}

impl State {
    pub fn new(account_id: &str, seed: u64, page_size: usize, users: &[User]) -> State {
        let mut state = State {
            account_id: account_id.to_string(),
            page_size: page_size.max(1),
            seed,
            ids: 0,
            clock: 0,
            etag_count: 0,
            traces: 0,
            groups: BTreeMap::new(),
            rules: BTreeMap::new(),
            members: BTreeMap::new(),
            group_settings: Value::Null,
            policies: BTreeMap::new(),
            roles: BTreeMap::new(),
            instances: BTreeMap::new(),
            resource_groups: BTreeMap::new(),
            identity_settings: Value::Null,
            service_ids: BTreeMap::new(),
            users: BTreeMap::new(),
            etags: BTreeMap::new(),
        };
        let now = state.now();
        state.group_settings = json!({
            "account_id": account_id,
            "last_modified_at": now,
            "last_modified_by_id": super::CALLER,
            "public_access_enabled": true,
        });
        state.identity_settings = super::identity::initial_settings(&mut state);
        super::resources::add_default_group(&mut state);
        for (n, user) in users.iter().enumerate() {
            let profile = super::identity::user_profile(&state, user, n);
            state.users.insert(user.iam_id.clone(), profile);
        }
        state
    }

    fn next(&mut self) -> (u64, u64) {
        self.ids += 1;
        let a = mix(self.seed ^ mix(self.ids));
        (a, mix(a ^ 0x5151_5151))
    }

    /// A new UUID-shaped id.
    pub fn uuid(&mut self) -> String {
        let (a, b) = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// A new 32-hex-digit id (resource groups, IBM's style).
    pub fn hex32(&mut self) -> String {
        let (a, b) = self.next();
        format!("{a:016x}{b:016x}")
    }

    /// The next timestamp: one second after the previous one, from
    /// 2026-01-01T00:00:00Z.
    pub fn now(&mut self) -> String {
        self.clock += 1;
        timestamp(self.clock)
    }

    /// A new ETag for `key` (`KIND/ID`), remembered and returned.
    pub fn touch(&mut self, key: &str) -> String {
        self.etag_count += 1;
        let tag = format!(
            "{}-{:016x}",
            self.etag_count,
            mix(self.seed ^ self.etag_count.wrapping_mul(31))
        );
        self.etags.insert(key.to_string(), tag.clone());
        tag
    }

    /// The ETag of `key`, quoted as the header carries it.
    pub fn etag(&self, key: &str) -> String {
        format!(
            "W/\"{}\"",
            self.etags.get(key).map(String::as_str).unwrap_or("0")
        )
    }

    /// Whether an `If-Match` value matches `key`'s ETag (`*` matches
    /// anything; quotes and `W/` are ignored).
    pub fn matches(&self, key: &str, if_match: &str) -> bool {
        let bare = |s: &str| {
            s.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_string()
        };
        if_match.trim() == "*"
            || self
                .etags
                .get(key)
                .is_some_and(|tag| if_match.split(',').any(|v| bare(v) == *tag))
    }

    /// A trace id for an error body.
    pub fn trace(&mut self) -> String {
        self.traces += 1;
        format!(
            "{:016x}",
            mix(self.seed ^ self.traces.wrapping_add(1 << 40))
        )
    }

    /// Forget `key`'s ETag.
    pub fn forget(&mut self, key: &str) {
        self.etags.remove(key);
    }

    /// Everything, for `/_emulator/state`.
    pub fn dump(&self) -> Value {
        json!({
            "account_id": self.account_id,
            "access_groups": self.groups,
            "access_group_rules": self.rules,
            "access_group_members": self.members,
            "access_group_settings": self.group_settings,
            "policies": self.policies,
            "custom_roles": self.roles,
            "resource_instances": self.instances,
            "resource_groups": self.resource_groups,
            "identity_settings": self.identity_settings,
            "service_ids": self.service_ids,
            "users": self.users,
            "etags": self.etags,
        })
    }
}

/// `seconds` after 2026-01-01T00:00:00Z, as IBM writes times.
pub fn timestamp(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(0) + days_from_civil(2026, 1, 1);
    let (y, m, d) = civil_from_days(days);
    let rest = seconds % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rest / 3600,
        (rest / 60) % 60,
        rest % 60
    )
}

// Howard Hinnant's calendar algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_ids_are_deterministic() {
        assert_eq!(timestamp(0), "2026-01-01T00:00:00.000Z");
        assert_eq!(timestamp(86_400 * 59 + 3661), "2026-03-01T01:01:01.000Z");
        let mut a = State::new("acc", 1, 10, &[]);
        let mut b = State::new("acc", 1, 10, &[]);
        let mut c = State::new("acc", 2, 10, &[]);
        let id = a.uuid();
        assert_eq!(id, b.uuid());
        assert_ne!(id, c.uuid());
        assert_eq!(id.len(), 36);
        let tag = a.touch("group/x");
        assert!(a.matches("group/x", &format!("W/\"{tag}\"")));
        assert!(a.matches("group/x", "*"));
        assert!(!a.matches("group/x", "W/\"1-0\""));
        assert_ne!(a.touch("group/x"), tag);
    }
}
