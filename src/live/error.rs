//! The errors of the live layer: one enum for endpoints, keys, HTTP,
//! answers that do not parse and plans that cannot run. Every message
//! names where the problem is (a variable, a file, a request) and ends
//! with what to do; none holds an API key or a token (the client scrubs
//! every text an answer brings before it is put in an error). A value an
//! error quotes is bounded ([`shown`]): a 10,000-character URL or
//! placeholder prints its first [`SHOWN_CHARS`] characters and a count.

use serde_json::Value;
use std::fmt;

/// The most characters of one value an error quotes.
pub const SHOWN_CHARS: usize = 200;

/// `text` as an error quotes it: control and hidden characters escaped,
/// at most [`SHOWN_CHARS`] characters, then `... (N more characters)`.
pub fn shown(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(SHOWN_CHARS).collect();
    let more = chars.count();
    let head = crate::diag::escape::inline(&head);
    if more == 0 {
        head.to_string()
    } else {
        format!("{head}... ({more} more characters)")
    }
}

/// An error of IBM Cloud's: its status and the parts of its error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub method: String,
    /// The canonical IBM Cloud URL of the request.
    pub url: String,
    pub status: u16,
    /// IBM's error code (`BXNIM0415E`, `not_found`, ...), when it sent one.
    pub code: Option<String>,
    pub message: String,
    /// IBM's trace (or transaction) id, for a support case.
    pub trace: Option<String>,
    /// How many times the request was sent.
    pub attempts: u32,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} answered {}", self.method, self.url, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(trace) = &self.trace {
            write!(f, " (trace {trace})")?;
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

/// Why a live operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An endpoint variable or flag holds a URL qpol refuses.
    #[error("`{source_name}` is `{}`: {reason}", shown(.value))]
    Endpoint {
        /// `QPOL_IAM_URL`, `--endpoint`, ...
        source_name: String,
        /// The value, without any user:password part.
        value: String,
        reason: String,
    },
    /// A canonical URL of a plan that names no IBM Cloud service qpol knows.
    #[error("`{}` is not on an IBM Cloud service qpol knows; a plan's URLs start with https://iam.cloud.ibm.com, https://resource-controller.cloud.ibm.com, https://globalcatalog.cloud.ibm.com or https://user-management.cloud.ibm.com", shown(.url))]
    UnknownService { url: String },
    /// No API key, or a key file that cannot be used.
    #[error("{0}")]
    Key(String),
    /// IAM refused the API key: wrong, expired or deleted.
    #[error("IAM refused the API key ({code}: {message}): check IBMCLOUD_API_KEY (or the file given with --api-key-file); create a key with `ibmcloud iam api-key-create NAME`")]
    KeyRefused { code: String, message: String },
    /// IBM Cloud answered with an error status.
    #[error("{}; {}", .0, api_help(.0))]
    Api(Box<ApiError>),
    /// The connection failed, every attempt.
    #[error("{method} {}{} failed: {reason} after {attempts} attempts; check the network and the endpoint (QPOL_*_URL, --endpoint)", shown(.url), via(.url, .sent_to))]
    Transport {
        method: String,
        /// Canonical.
        url: String,
        /// The URL actually used (the configured endpoint's).
        sent_to: String,
        reason: String,
        attempts: u32,
    },
    /// A write whose connection was lost after it was sent: it may or may
    /// not have been done, so it is not sent again blindly.
    #[error("{method} {url}: the connection was lost after the request was sent ({reason}); it may have been done: look the object up before sending it again")]
    Ambiguous {
        method: String,
        url: String,
        reason: String,
    },
    /// An answer that is not what the API documents.
    #[error("{endpoint} answered something unexpected at `{field}`: {detail}; is the endpoint an IBM Cloud API (QPOL_*_URL, --endpoint)?")]
    Malformed {
        endpoint: String,
        field: String,
        detail: String,
    },
    /// A plan that cannot be executed as written (nothing was sent).
    #[error("request `{}`: {reason}", shown(.request))]
    Plan { request: String, reason: String },
}

/// ` (sent to URL)` when the configured endpoint is not IBM's own.
fn via(url: &str, actual: &str) -> String {
    if actual.is_empty() || actual == url {
        String::new()
    } else {
        format!(" (sent to {})", shown(actual))
    }
}

/// What to do about an IBM Cloud error, by status.
fn api_help(e: &ApiError) -> &'static str {
    match e.status {
        401 => "the IAM token was refused although IAM gave it for the API key: it expired or was revoked before use; run again, and if it persists check that the endpoints (QPOL_*_URL, --endpoint) are one IBM Cloud and the key belongs to this account",
        403 => "the API key's identity lacks the access this needs: ask an account administrator for it",
        404 => "the object is not there: it may have been deleted by hand; run `qpol plan` again",
        409 => "it conflicts with what the account holds: run `qpol plan` again",
        412 => "the object was changed by hand since the plan was made: run `qpol plan` again and review",
        429 => "IBM Cloud is limiting the request rate: wait a little and run again",
        400..=499 => "IBM Cloud refused the request as sent: see its message",
        _ => "IBM Cloud failed: run again later; the next run continues where this one stopped",
    }
}

impl Error {
    /// The HTTP status IBM Cloud answered, if the error is one of its.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// IBM's error, if the error is one of its.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// A malformed answer of `endpoint` at `field`.
    pub fn malformed(endpoint: &str, field: &str, detail: impl Into<String>) -> Error {
        Error::Malformed {
            endpoint: endpoint.to_string(),
            field: field.to_string(),
            detail: detail.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The parts of an IBM Cloud error body, whichever API wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorBody {
    pub code: Option<String>,
    pub message: String,
    pub trace: Option<String>,
}

/// IBM's error bodies: `{"errors":[{"code","message"}],"trace"}` (most
/// platform APIs), `{"errorCode","errorMessage","context":{"requestId"}}`
/// (IAM identity), `{"error_code","message","transaction_id"}` (resource
/// controller); anything else is kept as text (shortened).
pub fn parse_error_body(text: &str) -> ErrorBody {
    let Ok(body) = serde_json::from_str::<Value>(text) else {
        let short: String = text.trim().chars().take(200).collect();
        return ErrorBody {
            message: short,
            ..ErrorBody::default()
        };
    };
    let first = body.get("errors").and_then(|e| e.get(0));
    let pick = |keys: &[(&Option<&Value>, &str)]| {
        keys.iter().find_map(|(v, k)| {
            v.and_then(|v| v.get(k)).and_then(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        })
    };
    let root = Some(&body);
    let context = body.get("context");
    let code = pick(&[
        (&first, "code"),
        (&root, "errorCode"),
        (&root, "error_code"),
        (&root, "code"),
    ]);
    let message = pick(&[
        (&first, "message"),
        (&root, "errorMessage"),
        (&root, "message"),
        (&root, "error"),
        (&root, "description"),
    ])
    .unwrap_or_default();
    let trace = pick(&[
        (&root, "trace"),
        (&context, "requestId"),
        (&root, "transaction_id"),
    ]);
    ErrorBody {
        code,
        message,
        trace,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_bounded() {
        assert_eq!(shown("QR-ml"), "QR-ml");
        let long = "${".repeat(10_000);
        let s = shown(&long);
        assert!(s.starts_with("${${"), "{s}");
        assert!(s.ends_with("... (19800 more characters)"), "{s}");
        assert!(s.len() < 260, "{}", s.len());
        assert_eq!(shown("a\u{1b}b"), "a\\u{1B}b");
        let err = Error::Plan {
            request: "x".repeat(5000),
            reason: "r".into(),
        };
        assert!(err.to_string().len() < 300);
    }

    #[test]
    fn error_bodies_of_each_api() {
        let platform = parse_error_body(
            r#"{"errors":[{"code":"not_found","message":"Group not found"}],"trace":"t-1","status_code":404}"#,
        );
        assert_eq!(
            platform,
            ErrorBody {
                code: Some("not_found".into()),
                message: "Group not found".into(),
                trace: Some("t-1".into())
            }
        );
        let iam = parse_error_body(
            r#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found.","context":{"requestId":"r-2"}}"#,
        );
        assert_eq!(iam.code.as_deref(), Some("BXNIM0415E"));
        assert_eq!(iam.trace.as_deref(), Some("r-2"));
        let rc = parse_error_body(
            r#"{"message":"bad plan","status_code":400,"error_code":"RC-ServiceBrokerErr","transaction_id":"x-3"}"#,
        );
        assert_eq!(rc.code.as_deref(), Some("RC-ServiceBrokerErr"));
        assert_eq!(rc.message, "bad plan");
        assert_eq!(rc.trace.as_deref(), Some("x-3"));
        assert_eq!(
            parse_error_body("<html>Bad gateway</html>").message,
            "<html>Bad gateway</html>"
        );
    }
}
