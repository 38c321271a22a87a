//! Access groups matched by name, and inside a matched group its dynamic
//! rules (by name, else a rule made by hand under another name with the
//! same content), static members (as a set) and policies (by resource
//! attributes).

use super::{change, code, is_marked, text::resolve, Error, Reconciler};
use crate::backends::deployment::{AccessGroup, Policy, Scope};
use crate::live::account::{self, AccessGroup as LiveGroup};
use crate::live::plan::{Change, Request, Unmanaged};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const IAM: &str = "https://iam.cloud.ibm.com";

impl Reconciler<'_> {
    pub(super) fn access_groups(&mut self) -> Result<(), Error> {
        let d = self.d;
        for g in &d.access_groups {
            let id = format!("access_group.{}", g.key);
            let project = Some(g.project.clone());
            let live = self
                .account
                .access_groups
                .iter()
                .find(|x| x.name == g.name)
                .cloned();
            let Some(live) = live else {
                self.create(
                    &id,
                    format!("access group {}", code(&g.name)),
                    project.clone(),
                );
                for rule in &g.rules {
                    let object = format!("rule {}", code(&rule.name));
                    self.create(&format!("rule.{}", rule.key), object, project.clone());
                }
                let members = format!("members.{}", g.key);
                self.create(
                    &members,
                    format!("members of {}", code(&g.name)),
                    project.clone(),
                );
                for p in &g.policies {
                    let object = self.policy_object(g, p);
                    self.create(&format!("policy.{}", p.key), object, project.clone());
                }
                continue;
            };
            self.seen.groups.insert(live.id.clone());
            self.know(&id, &[("id", &live.id)]);
            // An adopted group keeps its own text unless the policy words one.
            let adopted = !is_marked(live.description.as_deref());
            if (g.description_declared || !adopted)
                && !super::same_description(Some(&g.description), live.description.as_deref())
            {
                let description =
                    super::for_existing(Some(&g.description), live.description.as_deref());
                let changes = vec![change(
                    "description",
                    live.description.clone().map_or(Value::Null, Value::String),
                    description.clone().map_or(Value::Null, Value::String),
                )];
                let body =
                    json!({ "description": description.unwrap_or_default(), "name": g.name });
                let url = format!("{IAM}/v2/groups/{}", live.id);
                let request = self.update_request(id.clone(), "PATCH", url, body)?;
                let object = format!("access group {}", code(&g.name));
                self.push_update(&id, object, project.clone(), changes, vec![request]);
            }
            self.rules(g, &live)?;
            self.members(g, &live);
            for p in &g.policies {
                let object = self.policy_object(g, p);
                self.policy(&format!("policy.{}", p.key), object, &live, project.clone())?;
            }
        }
        Ok(())
    }

    fn rules(&mut self, g: &AccessGroup, live: &LiveGroup) -> Result<(), Error> {
        let project = Some(g.project.clone());
        let marked = is_marked(live.description.as_deref());
        let wants: Vec<Value> = g
            .rules
            .iter()
            .map(|rule| {
                let want = self
                    .desired
                    .get(&format!("rule.{}", rule.key))
                    .and_then(|d| d.body.clone())
                    .unwrap_or(Value::Null);
                super::text::resolve_value(&want, &self.known).unwrap_or(want)
            })
            .collect();
        let pairs = pair_rules(g, live, &wants);
        let mut matched = BTreeSet::new();
        for ((rule, want), have) in g.rules.iter().zip(&wants).zip(pairs) {
            let id = format!("rule.{}", rule.key);
            let object = format!("rule {}", code(&rule.name));
            let Some(have) = have else {
                self.create(&id, object, project.clone());
                continue;
            };
            matched.insert(have.id.clone());
            self.know(&id, &[("id", &have.id)]);
            let Some(desired) = self.desired.get(&id).cloned() else {
                continue;
            };
            let mut changes = rule_changes(want, have);
            if !changes.is_empty() && have.name != rule.name {
                changes.insert(0, change("name", have.name.as_str(), rule.name.as_str()));
            }
            if changes.is_empty() {
                continue;
            }
            let url = format!("{IAM}/v2/groups/{}/rules/{}", live.id, have.id);
            let mut request =
                self.update_request(id.clone(), "PUT", url, desired.body.unwrap_or(Value::Null))?;
            request.depends_on = desired.depends_on;
            self.push_update(&id, object, project.clone(), changes, vec![request]);
        }
        for have in live.rules.iter().filter(|r| !matched.contains(&r.id)) {
            if !marked {
                self.unmanaged.push(Unmanaged {
                    kind: "rule".into(),
                    name: format!("{} / {}", live.name, have.name),
                    id: have.id.clone(),
                });
                continue;
            }
            let url = format!("{IAM}/v2/groups/{}/rules/{}", live.id, have.id);
            let id = format!("delete.rule.{}.{}", live.name, have.name);
            self.delete(
                &id,
                format!("rule {}", code(&have.name)),
                project.clone(),
                url,
            )?;
        }
        Ok(())
    }

    /// Static members as a set: the missing ones added in one request, the
    /// extra ones removed one by one, only from a group qpol made.
    fn members(&mut self, g: &AccessGroup, live: &LiveGroup) {
        let id = format!("members.{}", g.key);
        let desired = self.desired.get(&id).cloned();
        let wanted: Vec<Value> = desired
            .as_ref()
            .and_then(|r| r.body.as_ref())
            .and_then(|b| b.get("members"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let have: BTreeSet<&str> = live.members.iter().map(|m| m.iam_id.as_str()).collect();
        let mut want = BTreeSet::new();
        let mut missing = Vec::new();
        for m in &wanted {
            let raw = m.get("iam_id").and_then(Value::as_str).unwrap_or("");
            let resolved = resolve(raw, &self.known);
            if let Some(r) = &resolved {
                want.insert(r.clone());
            }
            if resolved.as_deref().is_none_or(|r| !have.contains(r)) {
                missing.push(m.clone());
            }
        }
        let marked = is_marked(live.description.as_deref());
        let extra: Vec<&account::Member> = live
            .members
            .iter()
            .filter(|m| marked && !want.contains(&m.iam_id))
            .collect();
        if missing.is_empty() && extra.is_empty() {
            return;
        }
        let mut requests = Vec::new();
        if let (Some(mut add), false) = (desired, missing.is_empty()) {
            add.body = Some(json!({ "members": missing }));
            requests.push(add);
        }
        for (n, m) in extra.iter().enumerate() {
            requests.push(Request {
                id: format!("{id}.remove.{}", n + 1),
                method: "DELETE".into(),
                url: format!("{IAM}/v2/groups/{}/members/{}", live.id, m.iam_id),
                headers: BTreeMap::new(),
                body: None,
                depends_on: Vec::new(),
                yields: BTreeMap::new(),
                etag: None,
            });
        }
        let mut to: Vec<String> = have
            .iter()
            .filter(|h| want.contains(**h) || !marked)
            .map(|h| (*h).to_string())
            .collect();
        to.extend(
            missing
                .iter()
                .filter_map(|m| m.get("iam_id").and_then(Value::as_str))
                .map(str::to_string),
        );
        to.sort();
        let changes = vec![change("members", json!(have), json!(to))];
        let object = format!("members of {}", code(&g.name));
        self.push_update(&id, object, Some(g.project.clone()), changes, requests);
    }

    /// `policy of `ml` on `QR-ml``, for people.
    fn policy_object(&self, g: &AccessGroup, p: &Policy) -> String {
        let d = self.d;
        let target = match p.scope {
            Scope::Instance(i) => d.instances.get(i).map_or("?", |i| i.name.as_str()),
            Scope::ResourceGroup(Some(rg)) => {
                d.resource_groups.get(rg).map_or("?", |g| g.name.as_str())
            }
            Scope::ResourceGroup(None) => "the default resource group",
        };
        format!("policy of {} on {}", code(&g.name), code(target))
    }

    /// A policy of a matched group, matched by its resource attributes.
    fn policy(
        &mut self,
        id: &str,
        object: String,
        live: &LiveGroup,
        project: Option<String>,
    ) -> Result<(), Error> {
        let Some(body) = self.resolved_body(id) else {
            self.create(id, object, project);
            return Ok(());
        };
        let attributes = |v: Option<&Value>| -> BTreeMap<String, String> {
            v.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    Some((
                        a.get("name")?.as_str()?.to_string(),
                        a.get("value")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        };
        let resource = attributes(body.pointer("/resources/0/attributes"));
        let found = self
            .account
            .policies
            .iter()
            .find(|p| {
                p.access_group_id == live.id
                    && p.resource == resource
                    && !self.seen.policies.contains(&p.id)
            })
            .cloned();
        let Some(have) = found else {
            self.create(id, object, project);
            return Ok(());
        };
        self.seen.policies.insert(have.id.clone());
        self.know(id, &[("id", &have.id)]);
        // Adopted (made by hand, no marker): its description is its own.
        // qpol's is generated, not the policy's words: it is neither
        // compared nor sent (an update keeps the live one), so the policy
        // stays unmarked and unmanaged if qpol later drops it.
        let mut body = body;
        if !is_marked(have.description.as_deref()) {
            if let Some(fields) = body.as_object_mut() {
                match &have.description {
                    Some(d) => fields.insert("description".into(), Value::from(d.as_str())),
                    None => fields.remove("description"),
                };
            }
        }
        let want_roles: BTreeSet<&str> = body
            .get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("role_id").and_then(Value::as_str))
            .collect();
        let have_roles: BTreeSet<&str> = have.roles.iter().map(String::as_str).collect();
        let mut changes = Vec::new();
        if want_roles != have_roles {
            changes.push(change("roles", json!(have_roles), json!(want_roles)));
        }
        let description = body.get("description").and_then(Value::as_str);
        if !super::same_description(description, have.description.as_deref()) {
            let from = have.description.clone().map_or(Value::Null, Value::String);
            changes.push(change(
                "description",
                from,
                description.map_or(Value::Null, Value::from),
            ));
        }
        if changes.is_empty() {
            return Ok(());
        }
        let url = format!("{IAM}/v1/policies/{}", have.id);
        let request = self.update_request(id.to_string(), "PUT", url, body)?;
        self.push_update(id, object, project, changes, vec![request]);
        Ok(())
    }
}

/// The live rule each of `g`'s rules is, if any: the one of its name;
/// else one made by hand under a name qpol does not use that admits
/// exactly the same users (adopted as it is: the language cannot name
/// rules); else the next such rule by name (updated, and renamed, so a
/// changed value never leaves the old rule admitting users beside a new one).
fn pair_rules<'l>(
    g: &AccessGroup,
    live: &'l LiveGroup,
    wants: &[Value],
) -> Vec<Option<&'l account::Rule>> {
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    let mut pairs: Vec<Option<&account::Rule>> = g
        .rules
        .iter()
        .map(|rule| {
            let have = live.rules.iter().find(|r| r.name == rule.name);
            if let Some(have) = have {
                taken.insert(have.id.as_str());
            }
            have
        })
        .collect();
    let mut others: Vec<&account::Rule> = live
        .rules
        .iter()
        .filter(|r| g.rules.iter().all(|rule| rule.name != r.name))
        .collect();
    others.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    for (pair, want) in pairs.iter_mut().zip(wants) {
        if pair.is_some() {
            continue;
        }
        let same = others
            .iter()
            .find(|r| !taken.contains(r.id.as_str()) && rule_changes(want, r).is_empty());
        if let Some(r) = same {
            taken.insert(r.id.as_str());
            *pair = Some(*r);
        }
    }
    for pair in pairs.iter_mut() {
        if pair.is_some() {
            continue;
        }
        let next = others.iter().find(|r| !taken.contains(r.id.as_str()));
        if let Some(r) = next {
            taken.insert(r.id.as_str());
            *pair = Some(*r);
        }
    }
    pairs
}

/// The differences of a dynamic rule: expiration, realm and conditions.
fn rule_changes(want: &Value, have: &account::Rule) -> Vec<Change> {
    let mut changes = Vec::new();
    let expiration = want.get("expiration").and_then(Value::as_i64);
    if expiration != Some(have.expiration) {
        changes.push(change(
            "expiration",
            have.expiration,
            expiration.map_or(Value::Null, Value::from),
        ));
    }
    let realm = want.get("realm_name").and_then(Value::as_str).unwrap_or("");
    if realm != have.realm_name {
        changes.push(change("realm_name", have.realm_name.as_str(), realm));
    }
    let triple = |c: &Value| {
        let f = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        (f("claim"), f("operator"), f("value"))
    };
    let want_conditions: BTreeSet<(String, String, String)> = want
        .get("conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(triple)
        .collect();
    let have_conditions: BTreeSet<(String, String, String)> = have
        .conditions
        .iter()
        .map(|c| (c.claim.clone(), c.operator.clone(), c.value.clone()))
        .collect();
    if want_conditions != have_conditions {
        let show = |set: &BTreeSet<(String, String, String)>| {
            json!(set
                .iter()
                .map(|(c, o, v)| format!("{c} {o} {v}"))
                .collect::<Vec<_>>())
        };
        changes.push(change(
            "conditions",
            show(&have_conditions),
            show(&want_conditions),
        ));
    }
    changes
}
