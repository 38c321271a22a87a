//! Where each IBM Cloud service is. Plans and reads are built with IBM's
//! canonical URLs ([`IAM`], [`RESOURCE_CONTROLLER`], [`GLOBAL_CATALOG`],
//! [`USER_MANAGEMENT`]); [`Endpoints::map`] puts each onto the configured
//! base URL at send time, and refuses any other host, so that a token only
//! ever goes where the user said.
//!
//! Configuration ([`Endpoints::from_env`]): `--endpoint URL` (or
//! `QPOL_ENDPOINT`) serves all four services (the emulator routes by path);
//! `QPOL_IAM_URL`, `QPOL_RESOURCE_CONTROLLER_URL`, `QPOL_GLOBAL_CATALOG_URL`
//! and `QPOL_USER_MANAGEMENT_URL` then override their own service. Plain
//! `http` is accepted on 127.0.0.1, localhost and `[::1]` only (a token would
//! travel in clear anywhere else); `https` anywhere.

use super::error::{Error, Result};
use url::{Host, Url};

/// IAM: identity tokens, access groups, policies, roles, service ids.
pub const IAM: &str = "https://iam.cloud.ibm.com";
/// Resource controller: instances and resource groups.
pub const RESOURCE_CONTROLLER: &str = "https://resource-controller.cloud.ibm.com";
/// Global catalog (its API is under `/api/v1`).
pub const GLOBAL_CATALOG: &str = "https://globalcatalog.cloud.ibm.com";
/// User management: the account's users.
pub const USER_MANAGEMENT: &str = "https://user-management.cloud.ibm.com";

/// The environment variable of one endpoint for all services.
pub const ENDPOINT_VAR: &str = "QPOL_ENDPOINT";

/// The base URL of each service, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Each an absolute `http(s)` URL without a trailing `/`.
    pub iam: String,
    pub resource_controller: String,
    pub global_catalog: String,
    pub user_management: String,
}

/// (canonical base, environment variable) of each service, in field order.
const SERVICES: [(&str, &str); 4] = [
    (IAM, "QPOL_IAM_URL"),
    (RESOURCE_CONTROLLER, "QPOL_RESOURCE_CONTROLLER_URL"),
    (GLOBAL_CATALOG, "QPOL_GLOBAL_CATALOG_URL"),
    (USER_MANAGEMENT, "QPOL_USER_MANAGEMENT_URL"),
];

impl Endpoints {
    /// IBM Cloud's own hosts.
    pub fn canonical() -> Endpoints {
        Endpoints {
            iam: IAM.to_string(),
            resource_controller: RESOURCE_CONTROLLER.to_string(),
            global_catalog: GLOBAL_CATALOG.to_string(),
            user_management: USER_MANAGEMENT.to_string(),
        }
    }

    /// One base URL for every service (`--endpoint`, the emulator).
    pub fn all(url: &str) -> Result<Endpoints> {
        let base = parse_base(url, "--endpoint")?;
        Ok(Endpoints {
            iam: base.clone(),
            resource_controller: base.clone(),
            global_catalog: base.clone(),
            user_management: base,
        })
    }

    /// From `--endpoint` (`endpoint`, or `QPOL_ENDPOINT` when `None`) and
    /// the per-service variables of the process environment.
    pub fn from_env(endpoint: Option<&str>) -> Result<Endpoints> {
        Endpoints::from_vars(endpoint, |name| std::env::var(name).ok())
    }

    /// As [`Endpoints::from_env`], reading variables through `var`: the
    /// one endpoint first, then each service's own variable over it.
    pub fn from_vars(
        endpoint: Option<&str>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Endpoints> {
        let mut out = match endpoint {
            Some(url) => Endpoints::all(url)?,
            None => match var(ENDPOINT_VAR).filter(|v| !v.is_empty()) {
                Some(url) => {
                    let base = parse_base(&url, ENDPOINT_VAR)?;
                    Endpoints {
                        iam: base.clone(),
                        resource_controller: base.clone(),
                        global_catalog: base.clone(),
                        user_management: base,
                    }
                }
                None => Endpoints::canonical(),
            },
        };
        for (i, (_, name)) in SERVICES.iter().enumerate() {
            if let Some(value) = var(name).filter(|v| !v.is_empty()) {
                let url = parse_base(&value, name)?;
                if let Some(slot) = out.slots().into_iter().nth(i) {
                    *slot = url;
                }
            }
        }
        Ok(out)
    }

    fn slots(&mut self) -> [&mut String; 4] {
        [
            &mut self.iam,
            &mut self.resource_controller,
            &mut self.global_catalog,
            &mut self.user_management,
        ]
    }

    fn bases(&self) -> [&String; 4] {
        [
            &self.iam,
            &self.resource_controller,
            &self.global_catalog,
            &self.user_management,
        ]
    }

    /// The actual URL of a canonical IBM Cloud URL: the configured base,
    /// then the canonical path and query. Any other host is refused.
    pub fn map(&self, canonical_url: &str) -> Result<String> {
        for (i, (canonical, _)) in SERVICES.iter().enumerate() {
            let Some(rest) = canonical_url.strip_prefix(canonical) else {
                continue;
            };
            if !(rest.is_empty() || rest.starts_with(['/', '?'])) {
                continue;
            }
            let Some(base) = self.bases().into_iter().nth(i) else {
                break;
            };
            return Ok(format!("{base}{rest}"));
        }
        Err(Error::UnknownService {
            url: canonical_url.to_string(),
        })
    }

    /// The IAM token endpoint, `POST {iam}/identity/token` (canonical).
    pub fn token_url() -> String {
        format!("{IAM}/identity/token")
    }
}

/// A base URL from `source_name`: absolute, http(s), no credentials,
/// query or fragment; plain http only on the loopback interface. Returned
/// without a trailing `/`.
fn parse_base(value: &str, source_name: &str) -> Result<String> {
    let refuse = |shown: &str, reason: &str| Error::Endpoint {
        source_name: source_name.to_string(),
        value: shown.to_string(),
        reason: reason.to_string(),
    };
    let url = Url::parse(value.trim()).map_err(|e| {
        refuse(
            value,
            &format!("not a URL ({e}); write it as https://HOST[:PORT][/PATH]"),
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(refuse(
            shown.as_str(),
            "it holds a user name or password; remove them: qpol authenticates with IBMCLOUD_API_KEY",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(
            value,
            "a base URL has no `?query` or `#fragment`; remove them",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(refuse(
                value,
                "plain http would send the IAM token in clear; use https, or http only on 127.0.0.1, localhost or [::1] (the emulator)",
            ))
        }
        other => {
            return Err(refuse(
                value,
                &format!("the scheme `{other}` is not supported; use https (or http on 127.0.0.1 for the emulator)"),
            ))
        }
    }
    if url.host().is_none() {
        return Err(refuse(value, "it names no host; write https://HOST[:PORT]"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_are_ibm_and_map_to_themselves() {
        let e = Endpoints::from_vars(None, vars(&[])).unwrap();
        assert_eq!(e, Endpoints::canonical());
        let url = "https://iam.cloud.ibm.com/v2/groups?account_id=a";
        assert_eq!(e.map(url).unwrap(), url);
        let url = "https://globalcatalog.cloud.ibm.com/api/v1/?q=name:x";
        assert_eq!(e.map(url).unwrap(), url);
    }

    #[test]
    fn one_endpoint_serves_all_and_service_variables_override_it() {
        let e = Endpoints::from_vars(
            Some("http://127.0.0.1:8080"),
            vars(&[("QPOL_IAM_URL", "https://iam.test.example/base/")]),
        )
        .unwrap();
        assert_eq!(
            e.map("https://resource-controller.cloud.ibm.com/v2/resource_instances?start=x")
                .unwrap(),
            "http://127.0.0.1:8080/v2/resource_instances?start=x"
        );
        assert_eq!(
            e.map("https://globalcatalog.cloud.ibm.com/api/v1/x/plan")
                .unwrap(),
            "http://127.0.0.1:8080/api/v1/x/plan"
        );
        assert_eq!(
            e.map("https://iam.cloud.ibm.com/identity/token").unwrap(),
            "https://iam.test.example/base/identity/token"
        );
        let e = Endpoints::from_vars(None, vars(&[("QPOL_ENDPOINT", "http://[::1]:9")])).unwrap();
        assert_eq!(
            e.map("https://user-management.cloud.ibm.com/v2/accounts/a/users")
                .unwrap(),
            "http://[::1]:9/v2/accounts/a/users"
        );
    }

    #[test]
    fn other_hosts_are_never_mapped() {
        let e = Endpoints::canonical();
        for url in [
            "https://evil.example/v2/groups",
            "https://iam.cloud.ibm.com.evil.example/v2/groups",
            "http://iam.cloud.ibm.com/v2/groups",
        ] {
            let err = e.map(url).unwrap_err().to_string();
            assert!(err.contains("not on an IBM Cloud service"), "{err}");
        }
    }

    #[test]
    fn bad_urls_are_refused_with_a_hint() {
        let cases = [
            ("http://iam.example.com", "in clear"),
            ("http://10.0.0.1:80", "in clear"),
            ("ftp://127.0.0.1", "scheme `ftp`"),
            ("not a url", "not a URL"),
            ("https://user:pw@iam.example.com", "user name or password"),
            ("https://iam.example.com/?x=1", "no `?query`"),
        ];
        for (value, expected) in cases {
            let err = Endpoints::from_vars(Some(value), vars(&[]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{value}: {err}");
            assert!(err.starts_with("`--endpoint` is `"), "{err}");
            assert!(!err.contains("pw@"), "{err}");
        }
        let err = Endpoints::from_vars(
            None,
            vars(&[("QPOL_GLOBAL_CATALOG_URL", "http://example.org")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("`QPOL_GLOBAL_CATALOG_URL` is `http://example.org`"),
            "{err}"
        );
        for ok in [
            "http://localhost:1",
            "http://127.0.0.1:2",
            "https://example.org:8443/x",
        ] {
            assert!(Endpoints::all(ok).is_ok(), "{ok}");
        }
    }
}
