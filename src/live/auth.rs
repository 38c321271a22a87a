//! The API key and the IAM token made from it. The key comes from
//! `--api-key-file PATH` or `IBMCLOUD_API_KEY` ([`api_key`]); the token
//! from `POST {iam}/identity/token` (grant type
//! `urn:ibm:params:oauth:grant-type:apikey`), kept until less than 60 s or
//! a tenth of its lifetime is left (half of a short one), and fetched again after a 401.
//!
//! Both are [`Secret`]s: their `Debug` and `Display` print `***`, and the
//! client scrubs them out of every text an answer brings.

use super::error::{Error, Result};
use super::http::Transport;
use serde_json::Value;
use std::fmt;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The environment variable that holds the API key.
pub const KEY_VAR: &str = "IBMCLOUD_API_KEY";

/// The grant type of an API key exchange.
pub const GRANT_TYPE: &str = "urn:ibm:params:oauth:grant-type:apikey";

/// An API key or a token: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An API key read, and what the user should hear about it.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub key: Secret,
    /// E.g. a key file that others can read.
    pub warnings: Vec<String>,
}

/// The API key: the file given with `--api-key-file`, else
/// `IBMCLOUD_API_KEY` of the process environment.
pub fn api_key(file: Option<&Path>) -> Result<ApiKey> {
    api_key_from(file, std::env::var(KEY_VAR).ok())
}

/// As [`api_key`], with the variable's value given.
pub fn api_key_from(file: Option<&Path>, env: Option<String>) -> Result<ApiKey> {
    if let Some(path) = file {
        return key_file(path);
    }
    match env {
        Some(key) if !key.trim().is_empty() => Ok(ApiKey {
            key: Secret::new(key.trim()),
            warnings: Vec::new(),
        }),
        Some(_) => Err(Error::Key(format!(
            "{KEY_VAR} is empty; set it to an API key (`ibmcloud iam api-key-create NAME`) or pass --api-key-file PATH"
        ))),
        None => Err(Error::Key(format!(
            "no API key: set {KEY_VAR}, or pass --api-key-file PATH (a file that holds the key); create one with `ibmcloud iam api-key-create NAME`"
        ))),
    }
}

fn key_file(path: &Path) -> Result<ApiKey> {
    let shown = path.display();
    let text = read_key_file(path).map_err(|e| {
        Error::Key(format!(
            "cannot read the API key file `{shown}`: {e}; check --api-key-file"
        ))
    })?;
    // Spaces and line ends around the key (`echo KEY > file` adds one).
    let key = text.trim();
    if key.trim().is_empty() {
        return Err(Error::Key(format!(
            "the API key file `{shown}` is empty; write the key into it (`ibmcloud iam api-key-create NAME --file {shown}`)"
        )));
    }
    if key.contains(['\n', '\r']) {
        return Err(Error::Key(format!(
            "the API key file `{shown}` holds more than one line; it must hold the key alone"
        )));
    }
    let mut warnings = Vec::new();
    if readable_by_others(path) {
        warnings.push(format!(
            "the API key file `{shown}` can be read by every user of this machine; restrict it with `chmod 600 {shown}`"
        ));
    }
    Ok(ApiKey {
        key: Secret::new(key),
        warnings,
    })
}

/// The most bytes an API key file may hold: a key is 44 characters.
pub const MAX_KEY_FILE_BYTES: u64 = 4 << 10;

/// A key file's text, at most [`MAX_KEY_FILE_BYTES`] read (`/dev/zero`,
/// `/dev/urandom` or a FIFO that never ends stop there).
fn read_key_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "it is larger than {}, not a key file",
            crate::policy::limit_shown(MAX_KEY_FILE_BYTES)
        )));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("it is not UTF-8 text"))
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o004 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> bool {
    false
}

/// A token and when it was obtained.
struct Token {
    value: Secret,
    obtained: Instant,
    lifetime: Duration,
}

impl Token {
    /// Still good for a while: more than 60 s and more than a tenth of its
    /// lifetime left; a token that lives less than two minutes is kept for
    /// half its lifetime (not fetched again for every request).
    fn fresh(&self, now: Instant) -> bool {
        let left = self
            .lifetime
            .saturating_sub(now.saturating_duration_since(self.obtained));
        let margin = Duration::from_secs(60)
            .max(self.lifetime / 10)
            .min(self.lifetime / 2);
        left > margin
    }
}

/// The key and the token of a client.
pub(crate) struct Auth {
    key: Secret,
    token: Mutex<Option<Token>>,
}

impl Auth {
    pub(crate) fn new(key: Secret) -> Auth {
        Auth {
            key,
            token: Mutex::new(None),
        }
    }

    /// A token good for a while: the one held, or a new one. One exchange
    /// at a time: threads that need a token meanwhile wait for it.
    pub(crate) fn bearer(&self, transport: &Transport) -> Result<Secret> {
        let mut held = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(token) = held.as_ref().filter(|t| t.fresh(Instant::now())) {
            return Ok(token.value.clone());
        }
        let token = self.exchange(transport)?;
        let value = token.value.clone();
        *held = Some(token);
        Ok(value)
    }

    /// Forget `stale` (IAM refused it): the next [`Auth::bearer`] fetches
    /// a new token, unless another thread did already.
    pub(crate) fn invalidate(&self, stale: &Secret) {
        let mut held = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if held.as_ref().is_some_and(|t| &t.value == stale) {
            *held = None;
        }
    }

    fn exchange(&self, transport: &Transport) -> Result<Token> {
        let url = super::endpoints::Endpoints::token_url();
        let form = [("grant_type", GRANT_TYPE), ("apikey", self.key.expose())];
        let answer = match transport.post_form(&url, &form) {
            Ok(answer) => answer,
            Err(Error::Api(e)) if key_refusal(&e) => {
                return Err(Error::KeyRefused {
                    code: e.code.unwrap_or_else(|| e.status.to_string()),
                    message: e.message,
                })
            }
            // Not what a token endpoint answers: the endpoint is wrong
            // (a path prefix the server does not serve, another service).
            Err(Error::Api(e)) if e.status < 500 && e.status != 429 => {
                let actual = transport.actual(&url);
                let base = actual.strip_suffix("/identity/token").unwrap_or(&actual);
                return Err(Error::Endpoint {
                    source_name: "the IAM endpoint (QPOL_IAM_URL, --endpoint)".into(),
                    value: base.to_string(),
                    reason: format!(
                        "POST {actual} answered {}{}, which is not how an IAM token endpoint answers an API key; a base URL's path is kept (requests go to BASE/identity/token): give the URL the IAM API answers on (the emulator's has no path, e.g. http://127.0.0.1:8787)",
                        e.status,
                        e.code.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
                    ),
                });
            }
            Err(e) => return Err(e),
        };
        let endpoint = format!("POST {url}");
        let access = answer
            .body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::malformed(&endpoint, "access_token", "missing or not a string")
            })?;
        let value = Secret::new(access);
        transport.scrubber().add(&value);
        Ok(Token {
            value,
            obtained: Instant::now(),
            lifetime: lifetime(&answer.body),
        })
    }
}

/// IAM refusing the key itself: a 400 (`BXNIM0415E`: no such key), or a
/// 401/403 that is not about a bearer token (a token endpoint never asks
/// for one: such an answer comes from some other API at that URL).
fn key_refusal(e: &super::error::ApiError) -> bool {
    const BEARER: [&str; 3] = ["BXNIM0303E", "BXNIM0308E", "BXNIM0408E"];
    match e.status {
        400 => true,
        401 | 403 => !e.code.as_deref().is_some_and(|c| BEARER.contains(&c)),
        _ => false,
    }
}

/// A token's lifetime: `expires_in`, else `expiration` (Unix time) less
/// now, else IAM's usual hour.
fn lifetime(body: &Value) -> Duration {
    if let Some(seconds) = body.get("expires_in").and_then(Value::as_u64) {
        return Duration::from_secs(seconds);
    }
    if let Some(at) = body.get("expiration").and_then(Value::as_u64) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        return Duration::from_secs(at.saturating_sub(now));
    }
    Duration::from_secs(3600)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("QPOLSECRET-abc");
        assert_eq!(format!("{s} {s:?} {:?}", Some(&s)), "*** *** Some(***)");
        assert_eq!(s.expose(), "QPOLSECRET-abc");
    }

    #[test]
    fn a_token_is_refreshed_before_it_expires() {
        let now = Instant::now();
        let token = |lifetime: u64, age: u64| Token {
            value: Secret::new("t"),
            obtained: now.checked_sub(Duration::from_secs(age)).unwrap_or(now),
            lifetime: Duration::from_secs(lifetime),
        };
        assert!(token(3600, 0).fresh(now));
        assert!(token(3600, 3000).fresh(now));
        // 10 % of an hour is 360 s: refreshed when less is left.
        assert!(!token(3600, 3300).fresh(now));
        // Short-lived: refreshed when less than 60 s is left.
        assert!(!token(100, 50).fresh(now));
        assert!(token(100, 30).fresh(now));
        // Shorter than two minutes: kept for half its lifetime.
        assert!(token(30, 0).fresh(now));
        assert!(!token(30, 16).fresh(now));
    }

    #[test]
    fn key_files_lose_one_newline_and_must_hold_a_key() {
        let dir = std::env::temp_dir().join(format!("qpol-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key");
        std::fs::write(&path, "QPOLSECRET-k\n").unwrap();
        let key = api_key_from(Some(&path), Some("other".into())).unwrap();
        assert_eq!(key.key.expose(), "QPOLSECRET-k");
        std::fs::write(&path, "\n").unwrap();
        let err = api_key_from(Some(&path), None).unwrap_err().to_string();
        assert!(err.contains("is empty"), "{err}");
        std::fs::write(&path, "a\nb\n").unwrap();
        let err = api_key_from(Some(&path), None).unwrap_err().to_string();
        assert!(err.contains("more than one line"), "{err}");
        let err = api_key_from(None, None).unwrap_err().to_string();
        assert!(err.contains("IBMCLOUD_API_KEY"), "{err}");
        assert_eq!(
            api_key_from(None, Some(" QPOLSECRET-e ".into()))
                .unwrap()
                .key
                .expose(),
            "QPOLSECRET-e"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("qpol-key-mode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key");
        std::fs::write(&path, "QPOLSECRET-k").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let key = api_key_from(Some(&path), None).unwrap();
        assert!(
            key.warnings.iter().any(|w| w.contains("chmod 600")),
            "{:?}",
            key.warnings
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(api_key_from(Some(&path), None).unwrap().warnings.is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }
}
