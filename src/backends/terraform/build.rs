//! Fills the Terraform module from a deployment: one resource (or data
//! source) per cloud object, references by interpolation, variables for
//! what the policy does not know.

use super::template::{LitValue, Str};
use super::*;
use crate::backends::deployment::{Realm, Scope, ServiceMember, PLATFORM_ROLE, SERVICE};

/// Adds variables to the module as they are referred to.
struct Variables(Named<Variable>);

impl Variables {
    fn string(&mut self, name: &str, description: &str, default: Option<String>) -> String {
        self.declare(name, description, default, "string")
    }

    fn declare(
        &mut self,
        name: &str,
        description: &str,
        default: Option<String>,
        kind: &'static str,
    ) -> String {
        self.0.entry(name.to_string()).or_insert_with(|| Variable {
            default,
            description: description.to_string(),
            kind,
        });
        format!("${{var.{name}}}")
    }

    fn reference(&mut self, name: &str, description: &str, default: Option<String>) -> Str {
        Str::expr(self.string(name, description, default))
    }
}

pub(super) fn module(d: &Deployment) -> Module {
    let mut vars = Variables(Named::new());
    let region = vars.string(
        "region",
        "The region the provider works in",
        Some(d.main_region.clone()),
    );
    let mut m = Filler {
        d,
        vars,
        data: Data::default(),
        res: Resources::default(),
    };
    m.resource_groups();
    m.instances();
    m.roles_and_service_ids();
    let realms = m.realms();
    for g in &d.access_groups {
        m.access_group(g, &realms);
    }
    m.account();
    m.audit();
    Module {
        data: m.data,
        output: outputs(d),
        provider: Provider {
            ibm: ProviderConfig {
                region: Str::expr(region),
            },
        },
        resource: m.res,
        terraform: TerraformBlock {
            required_providers: RequiredProviders {
                ibm: ProviderSource {
                    source: "IBM-Cloud/ibm",
                    version: ">= 1.70.0",
                },
            },
        },
        variable: m.vars.0,
    }
}

/// The module being filled, one kind of resource at a time.
struct Filler<'d> {
    d: &'d Deployment,
    vars: Variables,
    data: Data,
    res: Resources,
}

fn lits(texts: &[String]) -> Vec<Str> {
    texts.iter().map(Str::lit).collect()
}

impl Filler<'_> {
    /// A resource group's id: created, looked up, or the account's default.
    fn rg_ref(&self, i: Option<usize>) -> Str {
        Str::expr(match i.and_then(|i| self.d.resource_groups.get(i)) {
            Some(g) if g.existing => format!("${{data.ibm_resource_group.{}.id}}", g.key),
            Some(g) => format!("${{ibm_resource_group.{}.id}}", g.key),
            None => "${data.ibm_resource_group.default.id}".to_string(),
        })
    }

    /// An instance's guid, created or looked up.
    fn instance_ref(&self, i: usize) -> String {
        match self.d.instances.get(i) {
            Some(x) if x.existing => format!("${{data.ibm_resource_instance.{}.guid}}", x.key),
            Some(x) => format!("${{ibm_resource_instance.{}.guid}}", x.key),
            None => String::new(),
        }
    }

    fn resource_groups(&mut self) {
        let d = self.d;
        for g in &d.resource_groups {
            if g.existing {
                self.data.ibm_resource_group.insert(
                    g.key.clone(),
                    ResourceGroupLookup {
                        is_default: None,
                        name: Some(Str::lit(&g.name)),
                    },
                );
            } else {
                self.res.ibm_resource_group.insert(
                    g.key.clone(),
                    ResourceGroup {
                        name: Str::lit(&g.name),
                    },
                );
            }
        }
        if d.uses_default_resource_group {
            self.data.ibm_resource_group.insert(
                "default".into(),
                ResourceGroupLookup {
                    is_default: Some(true),
                    name: None,
                },
            );
        }
    }

    fn instances(&mut self) {
        let d = self.d;
        for x in &d.instances {
            if x.existing {
                self.data.ibm_resource_instance.insert(
                    x.key.clone(),
                    InstanceLookup {
                        location: (!x.region.is_empty()).then(|| Str::lit(&x.region)),
                        name: Str::lit(&x.name),
                        resource_group_id: x.resource_group.map(|g| self.rg_ref(Some(g))),
                        service: x.service,
                    },
                );
            } else {
                self.res.ibm_resource_instance.insert(
                    x.key.clone(),
                    Instance {
                        lifecycle: Lifecycle {
                            prevent_destroy: true,
                        },
                        location: Str::lit(&x.region),
                        name: Str::lit(&x.name),
                        plan: Str::lit(&x.plan),
                        resource_group_id: self.rg_ref(x.resource_group),
                        service: x.service,
                        tags: lits(&x.tags),
                    },
                );
            }
        }
    }

    fn roles_and_service_ids(&mut self) {
        let d = self.d;
        for r in &d.roles {
            self.res.ibm_iam_custom_role.insert(
                r.key.clone(),
                CustomRole {
                    actions: lits(&r.actions),
                    description: r.description.as_ref().map(Str::lit),
                    display_name: Str::lit(&r.display_name),
                    name: Str::lit(&r.iam_name),
                    service: SERVICE,
                },
            );
        }
        for s in &d.service_ids {
            self.res.ibm_iam_service_id.insert(
                s.key.clone(),
                ServiceId {
                    description: s.description.as_ref().map(Str::lit),
                    name: Str::lit(&s.name),
                },
            );
        }
    }

    /// Each identity provider's realm (issuer URL), by deployment index.
    fn realms(&mut self) -> Vec<Str> {
        let d = self.d;
        d.idps
            .iter()
            .map(|idp| match &idp.realm {
                Realm::Literal(realm) => Str::lit(realm),
                // The prefix holds a checked region name: no template characters.
                Realm::AppId { region, instance } => Str::expr(format!(
                    "{}{}",
                    Realm::appid_prefix(region),
                    self.instance_ref(*instance)
                )),
                Realm::Variable(name) => self.vars.reference(
                    name,
                    &format!("Realm (issuer URL) of identity provider {}", idp.name),
                    None,
                ),
            })
            .collect()
    }

    /// An access group with its rules, members and policies.
    fn access_group(&mut self, g: &crate::backends::deployment::AccessGroup, realms: &[Str]) {
        let d = self.d;
        let group_id = Str::expr(format!("${{ibm_iam_access_group.{}.id}}", g.key));
        self.res.ibm_iam_access_group.insert(
            g.key.clone(),
            AccessGroup {
                description: Str::lit(&g.description),
                name: Str::lit(&g.name),
            },
        );
        for rule in &g.rules {
            let idp = d.idps.get(rule.idp);
            self.res.ibm_iam_access_group_dynamic_rule.insert(
                rule.key.clone(),
                DynamicRule {
                    access_group_id: group_id.clone(),
                    conditions: rule
                        .conditions
                        .iter()
                        .map(|c| Condition {
                            claim: Str::lit(&c.claim),
                            operator: c.operator,
                            value: Str::lit(&c.value),
                        })
                        .collect(),
                    expiration: idp.map_or(24, |i| i.expiration_hours),
                    identity_provider: realms
                        .get(rule.idp)
                        .cloned()
                        .unwrap_or_else(|| Str::expr("")),
                    name: Str::lit(&rule.name),
                },
            );
        }
        if !g.users.is_empty() || !g.service_ids.is_empty() {
            self.res.ibm_iam_access_group_members.insert(
                g.key.clone(),
                Members {
                    access_group_id: group_id.clone(),
                    iam_service_ids: g
                        .service_ids
                        .iter()
                        .map(|s| match s {
                            ServiceMember::Created(i) => {
                                Str::expr(d.service_ids.get(*i).map_or_else(String::new, |s| {
                                    format!("${{ibm_iam_service_id.{}.iam_id}}", s.key)
                                }))
                            }
                            ServiceMember::IamId(id) => Str::lit(id),
                        })
                        .collect(),
                    ibm_ids: lits(&g.users),
                },
            );
        }
        self.policies(g, &group_id);
    }

    /// The access group's policies: the platform role and its custom roles on each scope.
    fn policies(&mut self, g: &crate::backends::deployment::AccessGroup, group_id: &Str) {
        let d = self.d;
        for p in &g.policies {
            let resource = match p.scope {
                Scope::Instance(i) => PolicyResource {
                    resource_group_id: None,
                    resource_instance_id: Some(Str::expr(self.instance_ref(i))),
                    service: SERVICE,
                },
                Scope::ResourceGroup(rg) => PolicyResource {
                    resource_group_id: Some(self.rg_ref(rg)),
                    resource_instance_id: None,
                    service: SERVICE,
                },
            };
            let mut roles = vec![Str::expr(PLATFORM_ROLE)];
            roles.extend(
                p.roles
                    .iter()
                    .filter_map(|r| d.roles.get(*r))
                    .map(|r| Str::expr(format!("${{ibm_iam_custom_role.{}.display_name}}", r.key))),
            );
            self.res.ibm_iam_access_group_policy.insert(
                p.key.clone(),
                Policy {
                    access_group_id: group_id.clone(),
                    description: Str::lit(&p.description),
                    resources: vec![resource],
                    roles,
                },
            );
        }
    }

    fn account(&mut self) {
        let d = self.d;
        if let Some(a) = &d.account {
            if a.mfa.is_some()
                || a.restrict_create_platform_apikey.is_some()
                || a.restrict_create_service_id.is_some()
                || a.restrict_user_list_visibility.is_some()
            {
                self.res.ibm_iam_account_settings.insert(
                    "account".into(),
                    AccountSettings {
                        mfa: a.mfa.as_ref().map(Str::lit),
                        restrict_create_platform_apikey: a.restrict_create_platform_apikey,
                        restrict_create_service_id: a.restrict_create_service_id,
                        restrict_user_list_visibility: a.restrict_user_list_visibility,
                    },
                );
            }
            if let Some(enabled) = a.public_access_enabled {
                self.res.ibm_iam_access_group_account_settings.insert(
                    "account".into(),
                    AccessGroupSettings {
                        public_access_enabled: enabled,
                    },
                );
            }
        }
    }

    /// The Activity Tracker target and route of `audit`.
    fn audit(&mut self) {
        let d = self.d;
        if let Some(audit) = &d.audit {
            let crn = match &audit.target_crn {
                Some(crn) => Str::lit(crn),
                None => self.vars.reference(
                    "audit_target_crn",
                    &format!(
                        "CRN of the {} instance that receives audit events",
                        audit.target_type
                    ),
                    None,
                ),
            };
            let mut target = AtrackerTarget {
                cloudlogs_endpoint: None,
                appconfig_endpoint: None,
                cos_endpoint: None,
                eventstreams_endpoint: None,
                name: Str::expr("qpol-audit"),
                region: Str::lit(&audit.region),
                target_type: Str::lit(&audit.target_type),
            };
            match audit.target_type.as_str() {
                "cloud_object_storage" => {
                    target.cos_endpoint = Some(vec![CosEndpoint {
                        bucket: self.vars.reference(
                            "audit_cos_bucket",
                            "Bucket that receives audit events",
                            None,
                        ),
                        endpoint: self.vars.reference(
                            "audit_cos_endpoint",
                            "Endpoint of that bucket",
                            None,
                        ),
                        service_to_service_enabled: true,
                        target_crn: crn,
                    }]);
                }
                "event_streams" => {
                    target.eventstreams_endpoint = Some(vec![EventStreamsEndpoint {
                        brokers: Str::expr(self.vars.declare(
                            "audit_event_streams_brokers",
                            "Event Streams brokers",
                            None,
                            "list(string)",
                        )),
                        service_to_service_enabled: true,
                        target_crn: crn,
                        topic: self.vars.reference(
                            "audit_event_streams_topic",
                            "Event Streams topic",
                            None,
                        ),
                    }]);
                }
                "app_config" => {
                    target.appconfig_endpoint = Some(vec![TargetCrn { target_crn: crn }])
                }
                _ => target.cloudlogs_endpoint = Some(vec![TargetCrn { target_crn: crn }]),
            }
            self.res.ibm_atracker_target.insert("audit".into(), target);
            self.res.ibm_atracker_route.insert(
                "audit".into(),
                AtrackerRoute {
                    name: Str::expr("qpol-audit"),
                    rules: vec![RouteRule {
                        locations: vec![Str::lit(&audit.region)],
                        target_ids: vec![Str::expr("${ibm_atracker_target.audit.id}")],
                    }],
                },
            );
        }
    }
}

/// The module's outputs: the attribute values for the identity provider.
fn outputs(d: &Deployment) -> Named<Output> {
    let mut output = Named::new();
    if !d.idp_attributes.is_empty() {
        output.insert(
            "idp_user_attributes".into(),
            Output {
                description: Str::expr("Attribute values to set for each declared user in the identity provider (delimited where `has` rules read them)"),
                value: LitValue(serde_json::to_value(&d.idp_attributes).unwrap_or_default()),
            },
        );
    }
    output
}
