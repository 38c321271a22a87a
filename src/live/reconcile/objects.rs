//! Account-wide objects matched with the live ones: resource groups and
//! instances by name, custom roles and service ids by name, the account
//! settings singletons.

use super::{change, code, Error, Reconciler};
use crate::diag::{Code, Diagnostic, Label};
use crate::live::plan::{Action, Op, Request};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const IAM: &str = "https://iam.cloud.ibm.com";
const RESOURCE_CONTROLLER: &str = "https://resource-controller.cloud.ibm.com";

impl Reconciler<'_> {
    pub(super) fn resource_groups(&mut self) {
        let d = self.d;
        for g in d.resource_groups.iter().filter(|g| !g.existing) {
            let id = format!("resource_group.{}", g.key);
            let live = self
                .account
                .resource_groups
                .iter()
                .find(|x| x.name == g.name)
                .map(|x| x.id.clone());
            match live {
                Some(live) => {
                    self.seen.resource_groups.insert(live.clone());
                    self.know(&id, &[("id", &live)]);
                }
                None => self.create(&id, format!("resource group {}", code(&g.name)), None),
            }
        }
    }

    pub(super) fn instances(&mut self) -> Result<(), Error> {
        let d = self.d;
        for x in d.instances.iter().filter(|x| !x.existing) {
            let id = format!("instance.{}", x.key);
            let object = format!("instance {}", code(&x.name));
            let service = self.value(&format!("catalog.{}", x.service), "id");
            let all: Vec<_> = self
                .account
                .instances
                .iter()
                .filter(|i| {
                    i.name == x.name
                        && Some(&i.resource_id) == service.as_ref()
                        && i.state != "removed"
                })
                .cloned()
                .collect();
            if all.len() > 1 {
                self.twins(&id, &x.name, &all);
                continue;
            }
            let live = all.into_iter().next();
            let Some(live) = live else {
                self.create(&id, object, None);
                continue;
            };
            self.seen.instances.insert(live.id.clone());
            let body = self.resolved_body(&id);
            let field = |f: &str| body.as_ref().and_then(|b| b.get(f)).and_then(Value::as_str);
            let group = field("resource_group").map(str::to_string);
            let plan = field("resource_plan_id").map(str::to_string);
            // The guid: the id is a CRN, whose slashes a path would need encoded.
            let url = format!("{RESOURCE_CONTROLLER}/v2/resource_instances/{}", live.guid);
            let mut moves = Vec::new();
            if live.region_id != x.region {
                moves.push(change("region", live.region_id.as_str(), x.region.as_str()));
            }
            if group.as_deref() != Some(live.resource_group_id.as_str()) {
                let to = group.map_or(Value::Null, Value::String);
                moves.push(change(
                    "resource_group",
                    live.resource_group_id.as_str(),
                    to,
                ));
            }
            if !moves.is_empty() {
                self.replace_instance(&id, object, &x.name, &live, moves, url)?;
                continue;
            }
            self.know(
                &id,
                &[("id", &live.id), ("crn", &live.crn), ("guid", &live.guid)],
            );
            if let Some(plan) = plan.filter(|p| *p != live.resource_plan_id) {
                let changes = vec![change(
                    "plan",
                    live.resource_plan_id.as_str(),
                    plan.as_str(),
                )];
                let request = self.update_request(
                    id.clone(),
                    "PATCH",
                    url,
                    json!({ "resource_plan_id": plan }),
                )?;
                self.push_update(&id, object, None, changes, vec![request]);
            }
        }
        Ok(())
    }

    /// Two or more live instances with the name of one declared instance
    /// (two applies that ran at once, or a twin made by hand): which one
    /// the policy means cannot be told, so nothing is planned for it and
    /// the plan is refused (Q303) until the extra ones are gone. None of
    /// them is listed as unmanaged or as no longer declared.
    fn twins(&mut self, id: &str, name: &str, all: &[crate::live::account::Instance]) {
        for i in all {
            self.seen.instances.insert(i.id.clone());
        }
        let used = |i: &&crate::live::account::Instance| {
            self.account
                .policies
                .iter()
                .any(|p| p.resource.get("serviceInstance") == Some(&i.guid))
        };
        if let Some(first) = all.iter().find(used).or(all.first()) {
            // Values for the rest of the plan (refused anyway): the one
            // policies use, so that they are not planned again.
            self.know(
                id,
                &[
                    ("id", &first.id),
                    ("crn", &first.crn),
                    ("guid", &first.guid),
                ],
            );
        }
        let list: Vec<String> = all
            .iter()
            .map(|i| {
                format!(
                    "{} (region {}, resource group {})",
                    code(&i.crn),
                    code(&i.region_id),
                    code(&i.resource_group_id)
                )
            })
            .collect();
        let span = self.allows.instance_span(name);
        self.diagnostics.push(
            Diagnostic::new(
                Code::InstanceTwins,
                format!(
                    "the account holds {} instances named {}: {}",
                    all.len(),
                    code(name),
                    list.join(", ")
                ),
                Label::new(span, "declared once here"),
            )
            .with_help(
                "keep one: delete the extra ones by hand (`ibmcloud resource service-instance-delete CRN`; their jobs go with them) or rename them (`ibmcloud resource service-instance-update CRN --name NEW`), then plan again; two `qpol apply` runs at once can make such twins: run one at a time per account"
            ),
        );
    }

    /// An instance in another region or resource group: deleted and created
    /// anew (its jobs are lost), only with `allow move NAME`.
    fn replace_instance(
        &mut self,
        id: &str,
        object: String,
        name: &str,
        live: &crate::live::account::Instance,
        changes: Vec<crate::live::plan::Change>,
        url: String,
    ) -> Result<(), Error> {
        if !self.allows.moves.contains_key(name) {
            let what: Vec<String> = changes
                .iter()
                .map(|c| {
                    let show = |v: &Option<Value>| match v {
                        Some(Value::String(s)) => code(s),
                        _ => "a new one".to_string(),
                    };
                    format!(
                        "{} from {} to {}",
                        c.field.replace('_', " "),
                        show(&c.from),
                        show(&c.to)
                    )
                })
                .collect();
            let span = self.allows.instance_span(name);
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InstanceMoved,
                    format!(
                        "instance {} would move ({}): applying would delete it and all its jobs, then create it anew",
                        code(name),
                        what.join(", ")
                    ),
                    Label::new(span, "declared here; the account has it elsewhere"),
                )
                .with_help(format!(
                    "keep its region and resource group, or add `allow move {name};` if its jobs may go"
                )),
            );
            // Refused: the plan keeps the live instance as it is.
            self.know(
                id,
                &[("id", &live.id), ("crn", &live.crn), ("guid", &live.guid)],
            );
            return Ok(());
        }
        let Some(mut create) = self.desired.get(id).cloned() else {
            return Ok(());
        };
        let etag = self.etag(&url)?;
        let delete_id = format!("delete.{id}");
        create.depends_on.push(delete_id.clone());
        self.created.insert(id.to_string());
        self.actions.push(Action {
            id: id.to_string(),
            op: Op::Replace,
            object,
            project: None,
            changes,
            requests: vec![
                Request {
                    id: delete_id,
                    method: "DELETE".into(),
                    url,
                    headers: Default::default(),
                    body: None,
                    depends_on: Vec::new(),
                    yields: Default::default(),
                    etag,
                },
                create,
            ],
        });
        Ok(())
    }

    pub(super) fn roles(&mut self) -> Result<(), Error> {
        let d = self.d;
        for role in &d.roles {
            let id = format!("role.{}", role.key);
            let object = format!("custom role {}", code(&role.iam_name));
            let live = self
                .account
                .roles
                .iter()
                .find(|r| r.name == role.iam_name)
                .cloned();
            let Some(live) = live else {
                self.create(&id, object, None);
                continue;
            };
            self.seen.roles.insert(live.id.clone());
            self.know(&id, &[("id", &live.id), ("crn", &live.crn)]);
            let mut changes = Vec::new();
            if live.display_name != role.display_name {
                changes.push(change(
                    "display_name",
                    live.display_name.as_str(),
                    role.display_name.as_str(),
                ));
            }
            let description =
                super::for_existing(role.description.as_deref(), live.description.as_deref());
            if !super::same_description(role.description.as_deref(), live.description.as_deref()) {
                changes.push(change(
                    "description",
                    live.description.clone().map_or(Value::Null, Value::String),
                    description.clone().map_or(Value::Null, Value::String),
                ));
            }
            let want: BTreeSet<&str> = role.actions.iter().map(String::as_str).collect();
            let have: BTreeSet<&str> = live.actions.iter().map(String::as_str).collect();
            if want != have {
                changes.push(change("actions", json!(have), json!(want)));
            }
            if changes.is_empty() {
                continue;
            }
            let body = json!({
                "actions": role.actions,
                "description": description,
                "display_name": role.display_name,
            });
            let request = self.update_request(
                id.clone(),
                "PUT",
                format!("{IAM}/v2/roles/{}", live.id),
                body,
            )?;
            self.push_update(&id, object, None, changes, vec![request]);
        }
        Ok(())
    }

    pub(super) fn service_ids(&mut self) -> Result<(), Error> {
        let d = self.d;
        for s in &d.service_ids {
            let id = format!("service_id.{}", s.key);
            let object = format!("service id {}", code(&s.name));
            let live = self
                .account
                .service_ids
                .iter()
                .find(|x| x.name == s.name)
                .cloned();
            let Some(live) = live else {
                self.create(&id, object, None);
                continue;
            };
            self.seen.service_ids.insert(live.id.clone());
            self.know(&id, &[("id", &live.id), ("iam_id", &live.iam_id)]);
            if super::same_description(s.description.as_deref(), live.description.as_deref()) {
                continue;
            }
            let description =
                super::for_existing(s.description.as_deref(), live.description.as_deref());
            let changes = vec![change(
                "description",
                live.description.clone().map_or(Value::Null, Value::String),
                description.clone().map_or(Value::Null, Value::String),
            )];
            let body = json!({ "description": description, "name": s.name });
            let url = format!("{IAM}/v1/serviceids/{}", live.id);
            let request = self.update_request(id.clone(), "PUT", url, body)?;
            self.push_update(&id, object, None, changes, vec![request]);
        }
        Ok(())
    }

    /// IAM identity settings (`If-Match` the snapshot's entity tag) and
    /// the access groups' public access.
    pub(super) fn account_settings(&mut self) {
        let identity_id = "account.identity";
        if let Some(mut request) = self.desired.get(identity_id).cloned() {
            let live = self.account.identity_settings.as_ref();
            let mut changes = Vec::new();
            if let Some(Value::Object(fields)) = &request.body {
                for (field, want) in fields {
                    let have = live.and_then(|s| match field.as_str() {
                        "mfa" => s.mfa.clone(),
                        "restrict_create_platform_apikey" => {
                            s.restrict_create_platform_apikey.clone()
                        }
                        "restrict_create_service_id" => s.restrict_create_service_id.clone(),
                        "restrict_user_list_visibility" => s.restrict_user_list_visibility.clone(),
                        _ => None,
                    });
                    if want.as_str() != have.as_deref() {
                        changes.push(change(
                            field,
                            have.map_or(Value::Null, Value::String),
                            want.clone(),
                        ));
                    }
                }
            }
            if let Some(tag) = live.map(|s| s.entity_tag.clone()) {
                request.headers.remove("If-Match");
                request.etag = Some(tag);
            }
            self.push_update(
                identity_id,
                "identity settings".into(),
                None,
                changes,
                vec![request],
            );
        }
        let groups_id = "account.access_groups";
        if let Some(request) = self.desired.get(groups_id).cloned() {
            let want = request
                .body
                .as_ref()
                .and_then(|b| b.get("public_access_enabled"))
                .and_then(Value::as_bool);
            let have = self
                .account
                .access_group_settings
                .as_ref()
                .map(|s| s.public_access_enabled);
            if let Some(want) = want.filter(|w| Some(*w) != have) {
                let changes = vec![change(
                    "public_access_enabled",
                    have.map_or(Value::Null, Value::Bool),
                    want,
                )];
                self.push_update(
                    groups_id,
                    "access group settings".into(),
                    None,
                    changes,
                    vec![request],
                );
            }
        }
    }

    /// `known[id][field]`.
    pub(super) fn value(&self, id: &str, field: &str) -> Option<String> {
        self.known.get(id).and_then(|k| k.get(field)).cloned()
    }
}
