//! Accounts for the import tests, built by hand: the seed guide's
//! account as a person makes it in the console, the same with hostile and
//! inexpressible objects added, one with what only the checker refuses,
//! and the text of a generated organization.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use qpol::live::account::*;
use std::collections::BTreeMap;

pub const APPID_GUID: &str = "5f6a7b8c-1d2e-4f30-9a1b-2c3d4e5f6a7b";
pub const REALM: &str =
    "https://us-south.appid.cloud.ibm.com/oauth/v4/5f6a7b8c-1d2e-4f30-9a1b-2c3d4e5f6a7b";
pub const SEED_ACCOUNT: &str = "5dc1b48400fa455fa966bf1ce087ccf1";
pub const CUSTOM: &str = "crn:v1:bluemix:public:iam-access-management::a/5dc1b48400fa455fa966bf1ce087ccf1::customRole:QiskitRuntimeUser";
pub const VIEWER: &str = "crn:v1:bluemix:public:iam::::role:Viewer";

pub fn instance(name: &str, n: u32, plan: &str, rg: &str) -> Instance {
    let guid = format!("{n:08x}-aaaa-4bbb-8ccc-{n:012x}");
    let crn = format!("crn:v1:bluemix:public:quantum-computing:us-east:a/{SEED_ACCOUNT}:{guid}::");
    Instance {
        id: crn.clone(),
        guid,
        crn,
        name: name.into(),
        resource_id: "svc-qc".into(),
        resource_plan_id: plan.into(),
        region_id: "us-east".into(),
        resource_group_id: rg.into(),
        state: "active".into(),
    }
}

pub fn rule(id: &str, name: &str, claim: &str, operator: &str, value: &str) -> Rule {
    Rule {
        id: id.into(),
        name: name.into(),
        expiration: 12,
        realm_name: REALM.into(),
        conditions: vec![Condition {
            claim: claim.into(),
            operator: operator.into(),
            value: value.into(),
        }],
    }
}

pub fn policy(
    id: &str,
    group: &str,
    roles: &[&str],
    resource: &[(&str, &str)],
) -> qpol::live::account::Policy {
    qpol::live::account::Policy {
        id: id.into(),
        description: None,
        access_group_id: group.into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        resource: resource
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

pub fn on_instance(guid: &str) -> Vec<(&'static str, String)> {
    vec![
        ("accountId", SEED_ACCOUNT.to_string()),
        ("serviceName", "quantum-computing".to_string()),
        ("serviceInstance", guid.to_string()),
    ]
}

/// The seed guide's scenario, set up by hand in the console: no marker,
/// the guide's custom role (with its program.* and user.logout actions),
/// access groups `project-ml` and `project-finance`, an admin added by
/// email and a CI service id.
pub fn seed_account() -> Account {
    let ml = instance("QR-ml", 1, "plan-qc-standard", "rg-quantum");
    let finance = instance("QR-finance", 2, "plan-qc-standard", "rg-quantum");
    let common = instance("QR-common", 3, "plan-qc-lite", "rg-quantum");
    let appid = Instance {
        id: format!("crn:v1:bluemix:public:appid:us-south:a/{SEED_ACCOUNT}:{APPID_GUID}::"),
        guid: APPID_GUID.into(),
        crn: format!("crn:v1:bluemix:public:appid:us-south:a/{SEED_ACCOUNT}:{APPID_GUID}::"),
        name: "org-users".into(),
        resource_id: "svc-appid".into(),
        resource_plan_id: "plan-appid-graduated".into(),
        region_id: "us-south".into(),
        resource_group_id: "rg-default".into(),
        state: "active".into(),
    };
    let pol = |id: &str, group: &str, guid: &str, roles: &[&str]| {
        let resource = on_instance(guid);
        let pairs: Vec<(&str, &str)> = resource.iter().map(|(k, v)| (*k, v.as_str())).collect();
        policy(id, group, roles, &pairs)
    };
    let mut account = Account {
        account_id: SEED_ACCOUNT.into(),
        resource_groups: vec![
            ResourceGroup {
                id: "rg-default".into(),
                name: "Default".into(),
                default: true,
            },
            ResourceGroup {
                id: "rg-quantum".into(),
                name: "quantum".into(),
                default: false,
            },
        ],
        instances: vec![ml.clone(), finance.clone(), common.clone(), appid],
        roles: vec![Role {
            id: "role-1".into(),
            crn: CUSTOM.into(),
            name: "QiskitRuntimeUser".into(),
            display_name: "Qiskit Runtime user".into(),
            description: Some("Work with Qiskit Runtime service instances".into()),
            actions: [
                "device.read",
                "job.cancel",
                "job.create",
                "job.read",
                "program.create",
                "program.delete",
                "program.read",
                "program.update",
                "user.logout",
                "job.delete",
            ]
            .iter()
            .map(|a| format!("quantum-computing.{a}"))
            .collect(),
            service_name: "quantum-computing".into(),
        }],
        access_groups: vec![
            AccessGroup {
                id: "AccessGroupId-ml".into(),
                name: "project-ml".into(),
                description: Some("Project ml: machine learning".into()),
                rules: vec![rule(
                    "ClaimRule-1",
                    "ml users",
                    "project",
                    "CONTAINS",
                    "\"ml\"",
                )],
                members: vec![Member {
                    iam_id: "IBMid-270001".into(),
                    kind: "user".into(),
                }],
            },
            AccessGroup {
                id: "AccessGroupId-fin".into(),
                name: "project-finance".into(),
                description: None,
                rules: vec![rule(
                    "ClaimRule-2",
                    "finance users",
                    "project",
                    "CONTAINS",
                    "\"finance\"",
                )],
                members: vec![Member {
                    iam_id: "iam-ServiceId-ci".into(),
                    kind: "service".into(),
                }],
            },
        ],
        policies: vec![
            pol("pol-1", "AccessGroupId-ml", &ml.guid, &[CUSTOM, VIEWER]),
            pol("pol-2", "AccessGroupId-ml", &common.guid, &[VIEWER, CUSTOM]),
            pol(
                "pol-3",
                "AccessGroupId-fin",
                &finance.guid,
                &[VIEWER, CUSTOM],
            ),
            pol(
                "pol-4",
                "AccessGroupId-fin",
                &common.guid,
                &[VIEWER, CUSTOM],
            ),
        ],
        service_ids: vec![ServiceId {
            id: "ServiceId-ci".into(),
            iam_id: "iam-ServiceId-ci".into(),
            name: "ci-bot".into(),
            description: Some("Runs the nightly jobs".into()),
        }],
        users: vec![User {
            iam_id: "IBMid-270001".into(),
            email: "admin@example.com".into(),
        }],
        identity_settings: Some(IdentitySettings {
            entity_tag: "3-abc".into(),
            restrict_create_service_id: Some("NOT_SET".into()),
            restrict_create_platform_apikey: Some("NOT_RESTRICTED".into()),
            restrict_user_list_visibility: Some("RESTRICTED".into()),
            mfa: Some("NONE".into()),
        }),
        access_group_settings: Some(AccessGroupSettings {
            public_access_enabled: true,
        }),
        catalog: BTreeMap::from([
            ("quantum-computing".into(), "svc-qc".into()),
            (
                "quantum-computing/standard".into(),
                "plan-qc-standard".into(),
            ),
            ("quantum-computing/lite".into(), "plan-qc-lite".into()),
            ("appid".into(), "svc-appid".into()),
            ("appid/graduated-tier".into(), "plan-appid-graduated".into()),
        ]),
    };
    account.normalise();
    account
}

/// The seed account with hostile values and objects the language cannot
/// express added.
pub fn hostile_account() -> Account {
    let mut a = seed_account();
    let ml_guid = a
        .instances
        .iter()
        .find(|x| x.name == "QR-ml")
        .unwrap()
        .guid
        .clone();
    let on_ml = on_instance(&ml_guid);
    let on_ml: Vec<(&str, &str)> = on_ml.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let injected = "evil\nproject pwn { instances QR-ml; members where project contains \"\"; role runtime-user; }";
    let group = |id: &str, name: &str, rules: Vec<Rule>, members: Vec<Member>| AccessGroup {
        id: id.into(),
        name: name.into(),
        description: Some(format!("{name} team")),
        rules,
        members,
    };
    // A name that would inject policy text, a 10k-character one, a
    // fullwidth look-alike: no identifier can hold them.
    a.access_groups
        .push(group("AccessGroupId-evil", injected, vec![], vec![]));
    a.access_groups.push(group(
        "AccessGroupId-long",
        &"g".repeat(10_000),
        vec![],
        vec![],
    ));
    a.instances
        .push(instance("QR-ｍl", 7, "plan-qc-standard", "rg-quantum"));
    // IAM's built-in service role: not a custom role qpol manages.
    a.access_groups
        .push(group("AccessGroupId-admins", "admins", vec![], vec![]));
    a.policies.push(policy(
        "pol-admins",
        "AccessGroupId-admins",
        &[VIEWER, "crn:v1:bluemix:public:iam::::serviceRole:Manager"],
        &on_ml,
    ));
    // A project that imports, with hostile values in its strings and parts
    // the language lacks: an IN rule, an unquoted value, a rule with another
    // expiration, a profile member, a policy with another attribute.
    let mut two = rule("ClaimRule-5", "lab-a", "project", "CONTAINS", "\"lab\"");
    two.conditions.push(Condition {
        claim: "team".into(),
        operator: "EQUALS".into(),
        value: "\"${var.x} \\\" é\"".into(),
    });
    let hidden = rule(
        "ClaimRule-4",
        "lab-0",
        "project",
        "EQUALS",
        "\"\u{202e}gnp.exe\"",
    );
    let mut short = rule("ClaimRule-8", "lab-d", "project", "EQUALS", "\"lab\"");
    short.expiration = 3;
    let mut lab = group(
        "AccessGroupId-lab",
        "lab",
        vec![
            hidden,
            two,
            rule("ClaimRule-6", "lab-b", "project", "IN", "[\"a\",\"b\"]"),
            rule(
                "ClaimRule-7",
                "lab-c",
                "project",
                "CONTAINS",
                "lab\n# not a comment",
            ),
            short,
        ],
        vec![Member {
            iam_id: "iam-Profile-1".into(),
            kind: "profile".into(),
        }],
    );
    lab.description = Some(format!(
        "Lab: ${{x}} \"quoted\" {} [qpol]",
        "d".repeat(10_000)
    ));
    a.access_groups.push(lab);
    a.policies.push(policy(
        "pol-lab",
        "AccessGroupId-lab",
        &[VIEWER, CUSTOM],
        &on_ml,
    ));
    let mut extra = on_ml.clone();
    extra.push(("resourceType", "job"));
    a.policies.push(policy(
        "pol-lab-2",
        "AccessGroupId-lab",
        &[VIEWER, CUSTOM],
        &extra,
    ));
    // A SAML realm: a second identity provider, so rules name theirs.
    a.access_groups.push(group(
        "AccessGroupId-partners",
        "partners",
        vec![Rule {
            realm_name: "https://idp.example.com/saml2".into(),
            ..rule(
                "ClaimRule-9",
                "partners",
                "org",
                "EQUALS_IGNORE_CASE",
                "\"Partner Co\"",
            )
        }],
        vec![],
    ));
    a.policies.push(policy(
        "pol-partners",
        "AccessGroupId-partners",
        &[VIEWER, CUSTOM],
        &on_ml,
    ));
    // Overlapping live rules: `contains "ml"` admits html's users (Q201).
    a.access_groups.push(group(
        "AccessGroupId-web",
        "web",
        vec![rule("ClaimRule-10", "web", "project", "EQUALS", "\"html\"")],
        vec![],
    ));
    a.policies.push(policy(
        "pol-web",
        "AccessGroupId-web",
        &[VIEWER, CUSTOM],
        &on_ml,
    ));
    // A role of another service, whose description would inject lines.
    a.roles.push(Role {
        id: "role-cos".into(),
        crn: "crn:v1:bluemix:public:iam-access-management::a/x::customRole:CosReader".into(),
        name: "CosReader".into(),
        display_name: "COS reader".into(),
        description: Some("reads\n}\nproject pwn2 { role x; }".into()),
        actions: vec!["cloud-object-storage.object.get".into()],
        service_name: "cloud-object-storage".into(),
    });
    a.normalise();
    a
}

/// What only the checker refuses: a region the language does not know
/// (Q105) and a custom role displayed as an IAM role (Q502).
pub fn refused_account() -> Account {
    let mut a = seed_account();
    let mut mars = instance("QR-mars", 9, "plan-qc-standard", "rg-quantum");
    mars.region_id = "mars-north".into();
    let on_mars = on_instance(&mars.guid);
    let on_mars: Vec<(&str, &str)> = on_mars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    a.policies.push(policy(
        "pol-mars",
        "AccessGroupId-ml",
        &[VIEWER, CUSTOM],
        &on_mars,
    ));
    a.instances.push(mars);
    let viewer_crn = "crn:v1:bluemix:public:iam-access-management::a/x::customRole:QiskitView";
    a.roles.push(Role {
        id: "role-view".into(),
        crn: viewer_crn.into(),
        name: "QiskitView".into(),
        display_name: "Viewer".into(),
        description: None,
        actions: vec!["quantum-computing.device.read".into()],
        service_name: "quantum-computing".into(),
    });
    a.access_groups.push(AccessGroup {
        id: "AccessGroupId-view".into(),
        name: "watchers".into(),
        description: None,
        rules: vec![rule("ClaimRule-11", "w", "project", "EQUALS", "\"watch\"")],
        members: vec![],
    });
    let ml = a
        .instances
        .iter()
        .find(|x| x.name == "QR-ml")
        .unwrap()
        .guid
        .clone();
    let on_ml = on_instance(&ml);
    let on_ml: Vec<(&str, &str)> = on_ml.iter().map(|(k, v)| (*k, v.as_str())).collect();
    a.policies.push(policy(
        "pol-view",
        "AccessGroupId-view",
        &[VIEWER, viewer_crn],
        &on_ml,
    ));
    a.normalise();
    a
}

/// A 300-project organization: every rule form (`contains`, `equals`,
/// `has`, `in`, `and`), static members by email and service id, projects
/// with a second role (two access groups), resource-group scopes.
pub fn organization(projects: usize) -> String {
    let mut p = String::from(
        "account { id \"00112233445566778899aabbccddeeff\"; user_list_visibility restricted; mfa totp; public_access_groups disabled; }\n\
         idp org-users { kind appid; region eu-de; attribute project, team; session 8h; plan lite; resource_group quantum; }\n\
         resource_group quantum;\nresource_group lab;\n\
         service_id ci-bot { description \"CI runs\"; }\n\
         role writer { display_name \"Qiskit writer\"; actions device.read, job.create, job.read, job.cancel, session.create, session.read, session.update; }\n\
         role lead { iam_name QiskitTeamLead; display_name \"Team lead\"; description \"Leads: ${not a placeholder}\"; actions device.read, job.read, job.create, job.cancel, job.delete, session.create, session.read, session.update; }\n",
    );
    for i in 0..projects / 2 {
        let plan = if i % 3 == 0 { "lite" } else { "standard" };
        let rg = if i % 2 == 0 { "quantum" } else { "lab" };
        p.push_str(&format!(
            "instance QR-{i:03} {{ plan {plan}; region us-east; resource_group {rg}; }}\n"
        ));
    }
    for i in 0..projects {
        let name = format!("p-{i:03}");
        let rule = match i % 4 {
            0 => format!("where project equals \"{name}\""),
            1 => format!("where project has \"{name}\""),
            2 => format!(
                "where project contains \"{name}\" and team equals \"t{}\"",
                i % 7
            ),
            _ => format!("where project in [\"{name}\", \"x-{i:03}\"]"),
        };
        let scope = if i % 50 == 7 {
            "resource_group lab".to_string()
        } else {
            format!(
                "instances QR-{:03}, QR-{:03}",
                i / 2,
                (i / 2 + 1) % (projects / 2)
            )
        };
        let role = if i % 9 == 0 { "lead" } else { "writer" };
        let mut members = format!("members {rule}");
        if i % 10 == 0 {
            members.push_str(&format!(", user \"user-{i:03}@example.com\""));
        }
        if i % 15 == 0 {
            members.push_str(", service_id ci-bot");
        }
        let mut body = format!("{scope}; {members}; role {role};");
        if i % 25 == 0 {
            body.push_str(&format!(
                " members where team equals \"review-{i:03}\" role reader;"
            ));
        }
        if i % 6 == 0 {
            body.push_str(&format!(" description \"Project number {i}\";"));
        }
        p.push_str(&format!("project {name} {{ {body} }}\n"));
    }
    p
}
