//! Turns a deployment into the requests that create it: the catalog lookups
//! of the plan ids, resource groups, instances, custom roles, service ids,
//! then per access group its rules, members, invitations and policies, and
//! last the account settings. Each request names the earlier ones it needs.

use super::bodies::*;
use super::text::{escape, url_value, Lits, Text};
use super::{order, MissingDependency, Plan, Request};
use crate::backends::deployment::{Deployment, Realm, Scope, PLATFORM_ROLE, SERVICE};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

mod members;
pub use members::user_keys;

const IAM: &str = "https://iam.cloud.ibm.com";
const RESOURCE_CONTROLLER: &str = "https://resource-controller.cloud.ibm.com";
const CATALOG: &str = "https://globalcatalog.cloud.ibm.com/api/v1";
const USER_MANAGEMENT: &str = "https://user-management.cloud.ibm.com";

/// The requests of a deployment, in dependency order.
pub fn plan(d: &Deployment) -> Result<Plan<'_>, MissingDependency> {
    let mut b = Builder {
        d,
        account: Text::raw("${var.account_id}"),
        requests: Vec::new(),
        variables: BTreeMap::new(),
        missing: std::cell::Cell::new(Vec::new()),
    };
    match &d.account_id {
        Some(id) => b.account = Text::lit(id),
        None => {
            b.variables
                .insert("account_id".into(), "The IBM Cloud account id".into());
        }
    }
    let plans = b.catalog();
    let groups = b.resource_groups();
    let instances = b.instances(&plans, &groups);
    let roles = b.roles();
    let service_ids = b.service_ids();
    let users = b.users();
    let refs = Refs {
        groups,
        instances,
        roles,
        service_ids,
        users,
    };
    b.access_groups(&refs);
    b.account_settings();
    let missing = b.missing.take();
    if !missing.is_empty() {
        return Err(MissingDependency { fields: missing });
    }
    let order = order::dependency_order(&b.requests);
    Ok(Plan {
        requests: b.requests,
        order,
        variables: b.variables,
        idp_user_attributes: &d.idp_attributes,
    })
}

struct Builder<'d> {
    d: &'d Deployment,
    /// The account id, or the input that stands for it.
    account: Text<'d>,
    requests: Vec<Request<'d>>,
    variables: BTreeMap<String, String>,
    /// The values asked of requests that are not in the plan.
    missing: std::cell::Cell<Vec<String>>,
}

/// Positions of the requests that create (or look up) each kind of object.
struct ResourceGroups {
    declared: Vec<u32>,
    default: Option<u32>,
}

struct Refs<'d> {
    groups: ResourceGroups,
    instances: Vec<Option<u32>>,
    roles: Vec<u32>,
    service_ids: Vec<u32>,
    /// Email -> the lookup of its IAM id.
    users: BTreeMap<&'d str, u32>,
}

impl ResourceGroups {
    fn of(&self, group: Option<usize>) -> Option<u32> {
        match group {
            Some(g) => self.declared.get(g).copied(),
            None => self.default,
        }
    }
}

/// A request under construction.
fn request<'d>(id: String, method: &'static str, url: String) -> Request<'d> {
    Request {
        id,
        method,
        url,
        headers: &[],
        body: None,
        depends_on: Vec::new(),
        yields: Vec::new(),
    }
}

impl<'d> Request<'d> {
    fn body(mut self, body: Body<'d>) -> Self {
        self.body = Some(body);
        self
    }

    fn after(mut self, positions: impl IntoIterator<Item = Option<u32>>) -> Self {
        for position in positions.into_iter().flatten() {
            if !self.depends_on.contains(&position) {
                self.depends_on.push(position);
            }
        }
        self
    }

    /// Give the field the response yields; call in field order.
    fn yields(mut self, field: &'static str, path: impl Into<Cow<'static, str>>) -> Self {
        self.yields.push((field, path.into()));
        self
    }
}

impl<'d> Builder<'d> {
    fn push(&mut self, request: Request<'d>) -> u32 {
        self.requests.push(request);
        (self.requests.len() - 1) as u32
    }

    /// `${ID.FIELD}` for the value the request at `position` yields. A
    /// request that is not in the plan is recorded, and `plan` fails.
    fn yielded(&self, position: Option<u32>, field: &str) -> String {
        let Some(r) = position.and_then(|p| self.requests.get(p as usize)) else {
            let mut missing = self.missing.take();
            missing.push(match position {
                Some(p) => format!("the `{field}` of request #{p}"),
                None => format!("the `{field}` of a request that was never made"),
            });
            self.missing.set(missing);
            return String::new();
        };
        format!("${{{}.{field}}}", r.id)
    }

    /// For each service the instances use, its catalog entry, then the id
    /// of each plan they use (children of the entry).
    fn catalog(&mut self) -> BTreeMap<(&'static str, &'d str), u32> {
        let mut plans = BTreeMap::new();
        let wanted: BTreeSet<(&'static str, &'d str)> = self
            .d
            .instances
            .iter()
            .filter(|i| !i.existing)
            .map(|i| (i.service, i.plan.as_str()))
            .collect();
        let mut entry = None;
        for (service, plan) in wanted {
            let id = format!("catalog.{service}");
            let position = match entry {
                Some((s, position)) if s == service => position,
                _ => {
                    let position = self.push(
                        request(
                            id.clone(),
                            "GET",
                            format!("{CATALOG}/?q=name:{service}&include=%2A"),
                        )
                        .yields("id", "$.resources[0].id"),
                    );
                    entry = Some((service, position));
                    position
                }
            };
            let entry_id = self.yielded(Some(position), "id");
            let plan_position = self.push(
                request(
                    format!("{id}.plan.{plan}"),
                    "GET",
                    format!("{CATALOG}/{entry_id}/plan"),
                )
                .after([Some(position)])
                .yields(
                    "id",
                    format!("$.resources[?(@.name=='{}')].id", escape(plan)),
                ),
            );
            plans.insert((service, plan), plan_position);
        }
        plans
    }

    /// Resource groups: created, or looked up by name; the default one by flag.
    fn resource_groups(&mut self) -> ResourceGroups {
        let d = self.d;
        let account = self.account.clone();
        let account_in_url = account.in_url().into_owned();
        let mut declared = Vec::with_capacity(d.resource_groups.len());
        for g in &d.resource_groups {
            let id = format!("resource_group.{}", g.key);
            let r = if g.existing {
                request(
                    id,
                    "GET",
                    format!(
                        "{RESOURCE_CONTROLLER}/v2/resource_groups?account_id={account_in_url}&name={}",
                        url_value(&g.name)
                    ),
                )
                .yields("id", "$.resources[0].id")
            } else {
                request(
                    id,
                    "POST",
                    format!("{RESOURCE_CONTROLLER}/v2/resource_groups"),
                )
                .body(Body::ResourceGroup(ResourceGroupBody {
                    account_id: account.clone(),
                    name: Text::lit(&g.name),
                }))
                .yields("id", "$.id")
            };
            declared.push(self.push(r));
        }
        let default = d.uses_default_resource_group.then(|| {
            self.push(
                request(
                    "resource_group.default".into(),
                    "GET",
                    format!(
                        "{RESOURCE_CONTROLLER}/v2/resource_groups?account_id={account_in_url}&default=true"
                    ),
                )
                .yields("id", "$.resources[0].id"),
            )
        });
        ResourceGroups { declared, default }
    }

    fn instances(
        &mut self,
        plans: &BTreeMap<(&'static str, &'d str), u32>,
        groups: &ResourceGroups,
    ) -> Vec<Option<u32>> {
        let d = self.d;
        let mut positions = Vec::with_capacity(d.instances.len());
        for x in &d.instances {
            let id = format!("instance.{}", x.key);
            let rg = groups.of(x.resource_group);
            let r = if x.existing {
                let mut url = format!(
                    "{RESOURCE_CONTROLLER}/v2/resource_instances?name={}",
                    url_value(&x.name)
                );
                let mut after = None;
                if x.resource_group.is_some() {
                    url.push_str(&format!("&resource_group_id={}", self.yielded(rg, "id")));
                    after = rg;
                }
                request(id, "GET", url)
                    .after([after])
                    .yields("crn", "$.resources[0].crn")
                    .yields("guid", "$.resources[0].guid")
            } else {
                let plan = plans.get(&(x.service, x.plan.as_str())).copied();
                request(
                    id,
                    "POST",
                    format!("{RESOURCE_CONTROLLER}/v2/resource_instances"),
                )
                .body(Body::Instance(InstanceBody {
                    name: Text::lit(&x.name),
                    resource_group: Text::raw(self.yielded(rg, "id")),
                    resource_plan_id: Text::raw(self.yielded(plan, "id")),
                    tags: Lits(&x.tags),
                    target: Text::lit(&x.region),
                }))
                .after([rg, plan])
                .yields("crn", "$.crn")
                .yields("guid", "$.guid")
            };
            positions.push(Some(self.push(r)));
        }
        positions
    }

    fn roles(&mut self) -> Vec<u32> {
        let d = self.d;
        let mut positions = Vec::with_capacity(d.roles.len());
        for role in &d.roles {
            let r = request(
                format!("role.{}", role.key),
                "POST",
                format!("{IAM}/v2/roles"),
            )
            .body(Body::Role(RoleBody {
                account_id: self.account.clone(),
                actions: Lits(&role.actions),
                description: role.description.as_deref().map(Text::lit),
                display_name: Text::lit(&role.display_name),
                name: Text::lit(&role.iam_name),
                service_name: SERVICE,
            }))
            .yields("crn", "$.crn");
            positions.push(self.push(r));
        }
        positions
    }

    fn service_ids(&mut self) -> Vec<u32> {
        let d = self.d;
        let mut positions = Vec::with_capacity(d.service_ids.len());
        for s in &d.service_ids {
            let r = request(
                format!("service_id.{}", s.key),
                "POST",
                format!("{IAM}/v1/serviceids/"),
            )
            .body(Body::ServiceId(ServiceIdBody {
                account_id: self.account.clone(),
                description: s.description.as_deref().map(Text::lit),
                name: Text::lit(&s.name),
            }))
            .yields("iam_id", "$.iam_id");
            positions.push(self.push(r));
        }
        positions
    }

    /// The realm each identity provider's rules name, and the request that
    /// creates its App ID instance when this plan does.
    fn realms(&mut self, refs: &Refs<'d>) -> Vec<(Text<'d>, Option<u32>)> {
        let d = self.d;
        d.idps
            .iter()
            .map(|idp| match &idp.realm {
                Realm::Literal(realm) => (Text::lit(realm), None),
                Realm::AppId { region, instance } => {
                    let position = refs.instances.get(*instance).copied().flatten();
                    let guid = self.yielded(position, "guid");
                    let realm = format!("{}{guid}", Realm::appid_prefix(region));
                    (Text::raw(realm), position)
                }
                Realm::Variable(name) => {
                    self.variables.insert(
                        name.clone(),
                        format!("Realm (issuer URL) of identity provider {}", idp.name),
                    );
                    (Text::raw(format!("${{var.{name}}}")), None)
                }
            })
            .collect()
    }

    /// Per access group: the group, its rules, members, invitations and policies.
    fn access_groups(&mut self, refs: &Refs<'d>) {
        let d = self.d;
        let account = self.account.clone();
        let account_in_url = account.in_url().into_owned();
        let realms = self.realms(refs);
        for g in &d.access_groups {
            let group = self.push(
                request(
                    format!("access_group.{}", g.key),
                    "POST",
                    format!("{IAM}/v2/groups?account_id={account_in_url}"),
                )
                .body(Body::AccessGroup(AccessGroupBody {
                    description: Text::lit(&g.description),
                    name: Text::lit(&g.name),
                }))
                .yields("id", "$.id"),
            );
            let group_id = self.yielded(Some(group), "id");
            for rule in &g.rules {
                let realm = realms.get(rule.idp);
                let conditions = rule
                    .conditions
                    .iter()
                    .map(|c| Condition {
                        claim: Text::lit(&c.claim),
                        operator: c.operator,
                        // The provider's fmt.Sprintf("\"%s\"", value), byte for byte.
                        value: Text::Lit(Cow::Owned(format!("\"{}\"", c.value))),
                    })
                    .collect();
                self.push(
                    request(
                        format!("rule.{}", rule.key),
                        "POST",
                        format!("{IAM}/v2/groups/{group_id}/rules"),
                    )
                    .body(Body::Rule(RuleBody {
                        conditions,
                        expiration: d.idps.get(rule.idp).map_or(24, |i| i.expiration_hours),
                        name: Text::lit(&rule.name),
                        realm_name: realm.map_or_else(|| Text::raw(""), |r| r.0.clone()),
                    }))
                    .after([Some(group), realm.and_then(|r| r.1)])
                    .yields("id", "$.id"),
                );
            }
            self.members(g, group, &group_id, refs);
            for p in &g.policies {
                let mut after = vec![Some(group)];
                let mut roles = vec![RoleRef {
                    role_id: Text::raw(format!(
                        "crn:v1:bluemix:public:iam::::role:{PLATFORM_ROLE}"
                    )),
                }];
                for &r in &p.roles {
                    let position = refs.roles.get(r).copied();
                    roles.push(RoleRef {
                        role_id: Text::raw(self.yielded(position, "crn")),
                    });
                    after.push(position);
                }
                let target = match p.scope {
                    Scope::Instance(i) => {
                        let position = refs.instances.get(i).copied().flatten();
                        after.push(position);
                        Attribute {
                            name: "serviceInstance",
                            value: Text::raw(self.yielded(position, "guid")),
                        }
                    }
                    Scope::ResourceGroup(rg) => {
                        let position = refs.groups.of(rg);
                        after.push(position);
                        Attribute {
                            name: "resourceGroupId",
                            value: Text::raw(self.yielded(position, "id")),
                        }
                    }
                };
                let body = PolicyBody {
                    description: Text::lit(&p.description),
                    resources: [Attributes {
                        attributes: vec![
                            Attribute {
                                name: "accountId",
                                value: account.clone(),
                            },
                            Attribute {
                                name: "serviceName",
                                value: Text::raw(SERVICE),
                            },
                            target,
                        ],
                    }],
                    roles,
                    subjects: [Attributes {
                        attributes: vec![Attribute {
                            name: "access_group_id",
                            value: Text::raw(group_id.clone()),
                        }],
                    }],
                    kind: "access",
                };
                self.push(
                    request(
                        format!("policy.{}", p.key),
                        "POST",
                        format!("{IAM}/v1/policies"),
                    )
                    .body(Body::Policy(body))
                    .after(after)
                    .yields("id", "$.id"),
                );
            }
        }
    }

    fn account_settings(&mut self) {
        let Some(a) = &self.d.account else {
            return;
        };
        let account = self.account.in_url().into_owned();
        let identity = IdentitySettingsBody {
            mfa: a.mfa.as_deref().map(Text::lit),
            restrict_create_platform_apikey: a.restrict_create_platform_apikey,
            restrict_create_service_id: a.restrict_create_service_id,
            restrict_user_list_visibility: a.restrict_user_list_visibility,
        };
        if !identity.is_empty() {
            let mut r = request(
                "account.identity".into(),
                "PUT",
                format!("{IAM}/v1/accounts/{account}/settings/identity"),
            )
            .body(Body::IdentitySettings(identity));
            r.headers = &[("If-Match", "*")];
            self.push(r);
        }
        if let Some(enabled) = a.public_access_enabled {
            self.push(
                request(
                    "account.access_groups".into(),
                    "PATCH",
                    format!("{IAM}/v2/groups/settings?account_id={account}"),
                )
                .body(Body::GroupSettings(GroupSettingsBody {
                    public_access_enabled: enabled,
                })),
            );
        }
    }
}
