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
    let mut data = Data::default();
    let mut res = Resources::default();

    let rg_ref = |i: Option<usize>| {
        Str::expr(match i.and_then(|i| d.resource_groups.get(i)) {
            Some(g) if g.existing => format!("${{data.ibm_resource_group.{}.id}}", g.key),
            Some(g) => format!("${{ibm_resource_group.{}.id}}", g.key),
            None => "${data.ibm_resource_group.default.id}".to_string(),
        })
    };
    for g in &d.resource_groups {
        if g.existing {
            data.ibm_resource_group.insert(
                g.key.clone(),
                ResourceGroupLookup {
                    is_default: None,
                    name: Some(Str::lit(&g.name)),
                },
            );
        } else {
            res.ibm_resource_group.insert(
                g.key.clone(),
                ResourceGroup {
                    name: Str::lit(&g.name),
                },
            );
        }
    }
    if d.uses_default_resource_group {
        data.ibm_resource_group.insert(
            "default".into(),
            ResourceGroupLookup {
                is_default: Some(true),
                name: None,
            },
        );
    }

    let instance_ref = |i: usize| match d.instances.get(i) {
        Some(x) if x.existing => format!("${{data.ibm_resource_instance.{}.guid}}", x.key),
        Some(x) => format!("${{ibm_resource_instance.{}.guid}}", x.key),
        None => String::new(),
    };
    let lits = |texts: &[String]| texts.iter().map(Str::lit).collect::<Vec<_>>();
    for x in &d.instances {
        if x.existing {
            data.ibm_resource_instance.insert(
                x.key.clone(),
                InstanceLookup {
                    location: (!x.region.is_empty()).then(|| Str::lit(&x.region)),
                    name: Str::lit(&x.name),
                    resource_group_id: x.resource_group.map(|g| rg_ref(Some(g))),
                    service: x.service,
                },
            );
        } else {
            res.ibm_resource_instance.insert(
                x.key.clone(),
                Instance {
                    lifecycle: Lifecycle {
                        prevent_destroy: true,
                    },
                    location: Str::lit(&x.region),
                    name: Str::lit(&x.name),
                    plan: Str::lit(&x.plan),
                    resource_group_id: rg_ref(x.resource_group),
                    service: x.service,
                    tags: lits(&x.tags),
                },
            );
        }
    }

    for r in &d.roles {
        res.ibm_iam_custom_role.insert(
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
        res.ibm_iam_service_id.insert(
            s.key.clone(),
            ServiceId {
                description: s.description.as_ref().map(Str::lit),
                name: Str::lit(&s.name),
            },
        );
    }

    let realms: Vec<Str> = d
        .idps
        .iter()
        .map(|idp| match &idp.realm {
            Realm::Literal(realm) => Str::lit(realm),
            // The prefix holds a checked region name: no template characters.
            Realm::AppId { region, instance } => Str::expr(format!(
                "{}{}",
                Realm::appid_prefix(region),
                instance_ref(*instance)
            )),
            Realm::Variable(name) => vars.reference(
                name,
                &format!("Realm (issuer URL) of identity provider {}", idp.name),
                None,
            ),
        })
        .collect();

    for g in &d.access_groups {
        let group_id = Str::expr(format!("${{ibm_iam_access_group.{}.id}}", g.key));
        res.ibm_iam_access_group.insert(
            g.key.clone(),
            AccessGroup {
                description: Str::lit(&g.description),
                name: Str::lit(&g.name),
            },
        );
        for rule in &g.rules {
            let idp = d.idps.get(rule.idp);
            res.ibm_iam_access_group_dynamic_rule.insert(
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
            res.ibm_iam_access_group_members.insert(
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
        for p in &g.policies {
            let resource = match p.scope {
                Scope::Instance(i) => PolicyResource {
                    resource_group_id: None,
                    resource_instance_id: Some(Str::expr(instance_ref(i))),
                    service: SERVICE,
                },
                Scope::ResourceGroup(rg) => PolicyResource {
                    resource_group_id: Some(rg_ref(rg)),
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
            res.ibm_iam_access_group_policy.insert(
                p.key.clone(),
                Policy {
                    access_group_id: group_id.clone(),
                    resources: vec![resource],
                    roles,
                },
            );
        }
    }

    if let Some(a) = &d.account {
        if a.mfa.is_some()
            || a.restrict_create_platform_apikey.is_some()
            || a.restrict_create_service_id.is_some()
            || a.restrict_user_list_visibility.is_some()
        {
            res.ibm_iam_account_settings.insert(
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
            res.ibm_iam_access_group_account_settings.insert(
                "account".into(),
                AccessGroupSettings {
                    public_access_enabled: enabled,
                },
            );
        }
    }

    if let Some(audit) = &d.audit {
        let crn = match &audit.target_crn {
            Some(crn) => Str::lit(crn),
            None => vars.reference(
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
                    bucket: vars.reference(
                        "audit_cos_bucket",
                        "Bucket that receives audit events",
                        None,
                    ),
                    endpoint: vars.reference("audit_cos_endpoint", "Endpoint of that bucket", None),
                    service_to_service_enabled: true,
                    target_crn: crn,
                }]);
            }
            "event_streams" => {
                target.eventstreams_endpoint = Some(vec![EventStreamsEndpoint {
                    brokers: Str::expr(vars.declare(
                        "audit_event_streams_brokers",
                        "Event Streams brokers",
                        None,
                        "list(string)",
                    )),
                    service_to_service_enabled: true,
                    target_crn: crn,
                    topic: vars.reference("audit_event_streams_topic", "Event Streams topic", None),
                }]);
            }
            "app_config" => target.appconfig_endpoint = Some(vec![TargetCrn { target_crn: crn }]),
            _ => target.cloudlogs_endpoint = Some(vec![TargetCrn { target_crn: crn }]),
        }
        res.ibm_atracker_target.insert("audit".into(), target);
        res.ibm_atracker_route.insert(
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

    Module {
        data,
        output,
        provider: Provider {
            ibm: ProviderConfig {
                region: Str::expr(region),
            },
        },
        resource: res,
        terraform: TerraformBlock {
            required_providers: RequiredProviders {
                ibm: ProviderSource {
                    source: "IBM-Cloud/ibm",
                    version: ">= 1.70.0",
                },
            },
        },
        variable: vars.0,
    }
}
