//! Identity providers: one per realm the dynamic rules name, and one per
//! App ID instance. An App ID realm
//! (`https://REGION.appid.cloud.ibm.com/oauth/v4/GUID`) whose instance is
//! in the account is written as the idp qpol creates (named like the
//! instance, its region, plan and resource group); another App ID realm as
//! an `existing` one with its `tenant`; any other realm as a SAML one with
//! its `realm`. `attribute` lists the claims the rules test (every claim
//! any rule of the realm tests, by name), `session` is the expiration most
//! of the realm's rules have. The provider's users are not read (App ID's
//! cloud directory is not an API qpol calls): a note says so.

use super::draft::{Ctx, IdpInfo, Section, APPID};
use super::escape::{is_ident, is_name, make_ident, quote, shown};
use super::Key;
use crate::backends::names::Namespace;
use crate::live::account::Instance;
use std::collections::{BTreeMap, BTreeSet};

/// The plans of an App ID instance the language can create.
const APPID_PLANS: &[&str] = &["graduated-tier", "lite"];
const APPID_DEFAULT_PLAN: &str = "graduated-tier";

/// What the rules of one realm use.
#[derive(Default)]
struct Usage<'a> {
    /// Expiration (hours) -> how many rules have it.
    expirations: BTreeMap<i64, usize>,
    claims: BTreeSet<&'a str>,
}

/// `(region, tenant)` of an App ID realm.
pub fn appid_realm(realm: &str) -> Option<(&str, &str)> {
    let rest = realm.strip_prefix("https://")?;
    let (region, rest) = rest.split_once(".appid.cloud.ibm.com/oauth/v4/")?;
    (!region.is_empty() && !rest.is_empty() && !rest.contains('/')).then_some((region, rest))
}

/// The App ID issuer URL of an instance.
fn realm_of(x: &Instance) -> String {
    format!(
        "https://{}.appid.cloud.ibm.com/oauth/v4/{}",
        x.region_id, x.guid
    )
}

impl<'a> Ctx<'a> {
    pub(super) fn idps(&mut self) {
        let a = self.account;
        let mut realms: BTreeMap<String, Usage<'a>> = BTreeMap::new();
        for rule in a.access_groups.iter().flat_map(|g| &g.rules) {
            let usage = realms.entry(rule.realm_name.clone()).or_default();
            *usage.expirations.entry(rule.expiration).or_default() += 1;
            usage.claims.extend(
                rule.conditions
                    .iter()
                    .map(|c| c.claim.as_str())
                    .filter(|c| is_name(c)),
            );
        }
        let mut appids: Vec<&'a Instance> = a
            .instances
            .iter()
            .filter(|x| self.service_of(x) == Some(APPID))
            .collect();
        appids.sort_by(|x, y| (&x.name, &x.id).cmp(&(&y.name, &y.id)));
        for x in &appids {
            realms.entry(realm_of(x)).or_default();
        }
        // The App ID instances qpol would create: named like the instance.
        let mut names = Namespace::new("-", Some(100));
        let mut created: BTreeMap<String, (&'a Instance, String)> = BTreeMap::new();
        for x in &appids {
            let realm = realm_of(x);
            if !realms.contains_key(&realm) || created.contains_key(&realm) {
                continue;
            }
            match self.created_idp(x) {
                Ok(items) if names.reserve(&x.name) => {
                    created.insert(realm, (*x, items));
                }
                Ok(_) => {}
                Err(why) if !self.used_by_rules(&realm) => {
                    realms.remove(&realm);
                    self.comment("App ID instance", &x.name, why, *x);
                }
                Err(_) => {}
            }
        }
        for (realm, usage) in &realms {
            let session = session(&usage.expirations);
            let mut items = vec![String::new()];
            let (name, head) = match created.get(realm) {
                Some((x, rest)) => {
                    items.push(rest.clone());
                    (x.name.clone(), format!("idp {}", x.name))
                }
                None => {
                    let (name, settings) = self.named_idp(realm, &appids, &mut names);
                    items.push(settings);
                    (name.clone(), format!("idp {name} existing"))
                }
            };
            let claims: Vec<&str> = usage.claims.iter().copied().collect();
            if !claims.is_empty() {
                items.push(format!("attribute {}", claims.join(", ")));
            }
            if session != 24 {
                items.push(format!("session {session}h"));
            }
            let key = Key::Idp(realm.clone());
            if let Some(why) = self.demoted(&key) {
                self.comment("identity provider", realm, why, &realm);
                continue;
            }
            items.retain(|i| !i.is_empty());
            let text = format!("{head} {{ {}; }}", items.join("; "));
            self.idps.insert(
                realm.clone(),
                IdpInfo {
                    name: name.clone(),
                    session,
                },
            );
            self.chunk(Section::Idp, &name, key, text);
            if !claims.is_empty() {
                self.draft.notes.push(unread_users(&name, &claims));
            }
        }
    }

    fn used_by_rules(&self, realm: &str) -> bool {
        self.account
            .access_groups
            .iter()
            .flat_map(|g| &g.rules)
            .any(|r| r.realm_name == realm)
    }

    /// The settings of an App ID idp qpol creates, after its name.
    fn created_idp(&mut self, x: &'a Instance) -> Result<String, String> {
        if let Some(why) = self.demoted(&Key::Instance(x.id.clone())) {
            return Err(why);
        }
        if !is_ident(&x.name) {
            return Err(super::escape::why_not_ident(&x.name));
        }
        if !is_ident(&x.region_id) {
            return Err(format!("its region {} is not a name", shown(&x.region_id)));
        }
        let plan = self
            .plan_name(APPID, &x.resource_plan_id)
            .filter(|p| APPID_PLANS.contains(p))
            .ok_or_else(|| "its plan is not an App ID plan qpol can create".to_string())?;
        let rg = self.rg_setting(&x.resource_group_id)?;
        let mut items = vec![format!("kind appid; region {}", x.region_id)];
        if plan != APPID_DEFAULT_PLAN {
            items.push(format!("plan {plan}"));
        }
        if !rg.is_empty() {
            items.push(rg);
        }
        Ok(items.join("; "))
    }

    /// A realm qpol does not create: its name and settings.
    fn named_idp(
        &self,
        realm: &str,
        appids: &[&'a Instance],
        names: &mut Namespace,
    ) -> (String, String) {
        let tenant_ok =
            |t: &str| t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        match appid_realm(realm) {
            Some((region, tenant)) if is_ident(region) && tenant_ok(tenant) => {
                let wanted = appids.iter().find(|x| x.guid == tenant).map_or_else(
                    || format!("appid-{region}"),
                    |x| make_ident(&x.name, "appid"),
                );
                let name = names.claim(&wanted);
                let settings = format!("kind appid; region {region}; tenant {}", quote(tenant));
                (name, settings)
            }
            Some(_) => (
                names.claim("appid"),
                format!("kind appid; realm {}", quote(realm)),
            ),
            None => {
                let host = realm
                    .split_once("://")
                    .map_or(realm, |(_, rest)| rest.split('/').next().unwrap_or(rest));
                let name = names.claim(&make_ident(host, "idp"));
                (name, format!("kind saml; realm {}", quote(realm)))
            }
        }
    }
}

/// The note that an identity provider's users are not read.
fn unread_users(idp: &str, claims: &[&str]) -> String {
    let attributes: Vec<String> = claims.iter().map(|c| format!("{c} \"...\"")).collect();
    format!(
        "identity provider {idp}: its users (the App ID cloud directory, or the SAML provider's) are not read, \
         so the policy declares none of them; for `qpol test` asserts about who gets access, add each as \
         `user NAME {{ idp {idp}; attributes {{ {} }} }}` by hand",
        attributes.join("; ")
    )
}

/// The expiration most rules of a realm have (1 to 24 hours; ties: the
/// shortest), 24 when none has one.
fn session(expirations: &BTreeMap<i64, usize>) -> i64 {
    expirations
        .iter()
        .filter(|(hours, _)| (1..=24).contains(*hours))
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or(24, |(hours, _)| *hours)
}
