//! IAM identity's token endpoint (`POST /identity/token`, grant types
//! `urn:ibm:params:oauth:grant-type:apikey` and `refresh_token`) and the
//! check of `Authorization: Bearer` on every other route. Tokens are
//! JWT-shaped (unsigned) so that clients that read `exp` from them work;
//! their lifetime is `--token-ttl`. A key or token is never echoed.

use super::faults::mix;
use super::http::{parse_form, Request, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const APIKEY_GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";

/// The tokens given out and when each expires.
#[derive(Debug)]
pub struct Tokens {
    keys: Vec<String>,
    ttl: Duration,
    seed: u64,
    count: u64,
    access: HashMap<String, Instant>,
    refresh: HashMap<String, Instant>,
}

/// Why a request's token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Unknown,
    Expired,
}

impl Tokens {
    pub fn new(keys: Vec<String>, ttl: Duration, seed: u64) -> Tokens {
        Tokens {
            keys,
            ttl,
            seed,
            count: 0,
            access: HashMap::new(),
            refresh: HashMap::new(),
        }
    }

    /// Check `Authorization: Bearer TOKEN`.
    pub fn check(&self, req: &Request) -> Result<(), Refusal> {
        let header = req.header("authorization").ok_or(Refusal::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(Refusal::Missing)?;
        let expiry = self.access.get(token.trim()).ok_or(Refusal::Unknown)?;
        if Instant::now() < *expiry {
            Ok(())
        } else {
            Err(Refusal::Expired)
        }
    }

    /// Answer `POST /identity/token`.
    pub fn exchange(&mut self, req: &Request, account: &str) -> Response {
        let form: HashMap<String, String> = parse_form(&String::from_utf8_lossy(&req.body))
            .into_iter()
            .collect();
        let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
        match grant {
            APIKEY_GRANT => match form.get("apikey") {
                Some(key) if !key.is_empty() => {
                    if self.keys.iter().any(|k| k == key) {
                        self.issue(account)
                    } else {
                        iam_error(400, "BXNIM0415E", "Provided API key could not be found.")
                    }
                }
                _ => iam_error(400, "BXNIM0109E", "Property missing or empty. Property: apikey"),
            },
            "refresh_token" => {
                let token = form.get("refresh_token").cloned().unwrap_or_default();
                match self.refresh.get(&token) {
                    Some(expiry) if Instant::now() < *expiry => self.issue(account),
                    _ => iam_error(400, "BXNIM0407E", "Provided refresh token is invalid or expired."),
                }
            }
            _ => iam_error(
                400,
                "BXNIM0103E",
                "Unsupported grant type: use urn:ibm:params:oauth:grant-type:apikey with apikey=KEY",
            ),
        }
    }

    fn issue(&mut self, account: &str) -> Response {
        self.count += 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let ttl = self.ttl.as_secs();
        let nonce = mix(self.seed ^ mix(self.count));
        let claims = json!({
            "iam_id": "IBMid-emulator", "sub": "emulator@example.com", "account": {"bss": account},
            "iat": now, "exp": now + ttl, "jti": format!("{nonce:016x}-{}", self.count),
        });
        let access = jwt(&claims);
        let refresh = format!("emulator-refresh-{nonce:016x}-{}", self.count);
        let expiry = Instant::now() + self.ttl;
        self.access.insert(access.clone(), expiry);
        self.refresh
            .insert(refresh.clone(), expiry + Duration::from_secs(30 * 86_400));
        Response::json(
            200,
            json!({
                "access_token": access, "refresh_token": refresh, "ims_user_id": 0,
                "token_type": "Bearer", "expires_in": ttl, "expiration": now + ttl,
                "scope": "ibm openid",
            }),
        )
    }
}

/// IAM identity's error body: `errorCode`, `errorMessage`, `context`.
pub fn iam_error(status: u16, code: &str, message: &str) -> Response {
    Response::json(
        status,
        json!({
            "errorCode": code, "errorMessage": message,
            "context": {"requestType": "incoming.Identity_Token", "clusterName": "emulator",
                        "instanceId": "iam-emulator", "url": "https://iam.cloud.ibm.com"},
        }),
    )
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let [b0, b1, b2] = [0, 1, 2].map(|i| chunk.get(i).copied().unwrap_or(0));
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 63;
            if let Some(c) = ALPHABET.get(index as usize) {
                out.push(char::from(*c));
            }
        }
    }
    out
}

fn jwt(claims: &Value) -> String {
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let body = base64url(claims.to_string().as_bytes());
    format!("{header}.{body}.{}", base64url(b"emulator"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_without_padding() {
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
