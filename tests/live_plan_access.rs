//! `qpol plan` says what access changes for whom: the binary against the
//! emulator for (a) a fresh account (everyone the policy names gains),
//! (b) a converged account (no access change), (c) a changed policy (a
//! rule's value, a project's role, a project removed: gains and losses, for
//! whom and why) and (d) an account with a hand-made access group qpol does
//! not manage (never read as access lost). Text and JSON are snapshots.
//! In-process: converged accounts of large organizations, and the seed
//! guide's account made by hand, against their policies: no access change.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "support/live_accounts.rs"]
mod accounts;
#[path = "support/emulator.rs"]
mod emulator_support;
#[path = "support/live.rs"]
#[allow(dead_code)]
mod live;
#[path = "support/run.rs"]
#[allow(dead_code)]
mod run;

use em::start;
use emulator_support as em;
use qpol::emulator::{Config, Handle};
use qpol::live::access::PlanAccess;
use qpol::live::account::Account;
use qpol::live::render_access;
use qpol::synth::{generate, OrgSpec};
use run::{command, stderr, stdout};
use serde_json::{json, Value};
use std::process::Output;

const ORG: &str = "policies/org.qpol";
const KEY: &str = "QPOLSECRET-plan-access-key-0123456789";

fn emulator(seed: u64) -> Handle {
    start(Config {
        api_keys: vec![KEY.to_string(), qpol::emulator::DEFAULT_API_KEY.to_string()],
        seed,
        ..Config::default()
    })
}

fn qpol(e: &Handle, args: &[&str]) -> Output {
    command(args)
        .env("IBMCLOUD_API_KEY", KEY)
        .env("QPOL_ENDPOINT", e.url())
        .env_remove("QPOL_IAM_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// `qpol plan PATH` as text (exit 3 unless `converged`), and the plan
/// document's `access` from `--format json`, which `-o` saves too.
fn plan(e: &Handle, path: &str, expected: i32) -> (String, Value) {
    let text = qpol(e, &["plan", path]);
    assert_eq!(
        code(&text),
        expected,
        "{}\n{}",
        stdout(&text),
        stderr(&text)
    );
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("plan.json");
    let json = qpol(
        e,
        &[
            "plan",
            path,
            "--format",
            "json",
            "-o",
            saved.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&json), expected, "{}", stderr(&json));
    let doc: Value = serde_json::from_str(&stdout(&json)).unwrap();
    let access = doc["plan"]["access"].clone();
    assert_eq!(access["computed"], true, "{access}");
    if expected == 3 {
        let file: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
        assert_eq!(
            file["access"], access,
            "the saved plan holds the same access change"
        );
    }
    (stdout(&text), access)
}

fn applied(e: &Handle, path: &str) {
    // One request at a time: the emulator's ids, and so the order of
    // the plan's deletes, are the same from run to run.
    let apply = qpol(e, &["apply", path, "--yes", "--parallelism", "1"]);
    assert_eq!(code(&apply), 0, "{}\n{}", stdout(&apply), stderr(&apply));
}

#[test]
fn a_fresh_account_everyone_the_policy_names_gains() {
    let e = emulator(11);
    let (text, access) = plan(&e, ORG, 3);
    insta::assert_snapshot!("fresh_text", text);
    insta::assert_snapshot!("fresh_json", em::pretty(&access));
    assert!(text.contains("+ user `Fatima` gains"), "{text}");
    assert!(!text.contains(" loses "), "{text}");
}

#[test]
fn a_converged_account_shows_no_access_change() {
    let e = emulator(12);
    applied(&e, ORG);
    let (text, access) = plan(&e, ORG, 0);
    insta::assert_snapshot!("converged_text", text);
    insta::assert_snapshot!("converged_json", em::pretty(&access));
    assert_eq!(access["summary"], "no change in access");
}

/// `policies/org.qpol` with a third project, `ops`, and its user.
fn with_ops() -> String {
    std::fs::read_to_string(ORG).unwrap().replace(
        "user Fatima",
        "project ops < instances QR-common; members where project contains \"ops\"; role writer >\n\
         user Chen { idp org-users; attributes { project \"ops\" } }\n\
         user Fatima",
    )
}

#[test]
fn a_changed_policy_shows_who_gains_and_who_loses_what() {
    let e = emulator(13);
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.qpol");
    std::fs::write(&base, with_ops()).unwrap();
    applied(&e, base.to_str().unwrap());
    // ml's rule value changes, finance gets a narrower role, ops goes.
    let changed = with_ops()
        .replace(
            "members where project contains \"ml\"",
            "members where project contains \"ml-team\"",
        )
        .replace(
            "members where project contains \"finance\"; role writer",
            "members where project contains \"finance\"; role reader",
        )
        .replace(
            "project ops < instances QR-common; members where project contains \"ops\"; role writer >\n",
            "",
        )
        .replace(
            "user Fatima",
            "role reader { actions job.read, instance.read, device.read; }\nuser Fatima",
        );
    let path = dir.path().join("changed.qpol");
    std::fs::write(&path, changed).unwrap();
    let (text, access) = plan(&e, path.to_str().unwrap(), 3);
    insta::assert_snapshot!("changed_text", text);
    insta::assert_snapshot!("changed_json", em::pretty(&access));
    for expected in [
        "- user `Chen` loses",
        "(project `ops` was removed)",
        "- user `Ravi` loses `job.cancel`, `job.create`",
        "the role of project `finance` changed from `writer` to `reader`",
        "- user `Amyra` loses",
        "~ rule `project contains \"ml\"` -> `project contains \"ml-team\"`",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
}

#[test]
fn a_hand_made_group_qpol_does_not_manage_is_no_access_lost() {
    let e = emulator(14);
    applied(&e, ORG);
    let c = em::Client::login(&e);
    let s = c.ok("/_emulator/state");
    let realm = s["access_group_rules"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["realm_name"]
        .clone();
    let finance = s["resource_instances"]
        .as_object()
        .unwrap()
        .values()
        .find(|i| i["name"] == "QR-finance")
        .unwrap()["guid"]
        .clone();
    let role = s["custom_roles"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["crn"]
        .clone();
    // By hand, following the guide: users of ml also get QR-finance.
    let group = c.created(
        &em::group_path(),
        json!({"name": "handmade", "description": "made in the console"}),
    );
    let id = group["id"].as_str().unwrap();
    c.created(
        &format!("/v2/groups/{id}/rules"),
        json!({"name": "handmade-members", "expiration": 12, "realm_name": realm,
               "conditions": [{"claim": "project", "operator": "CONTAINS", "value": "\"ml\""}]}),
    );
    let mut policy = em::policy_body(id, finance.as_str().unwrap());
    policy["description"] = json!("by hand");
    policy["roles"] =
        json!([{"role_id": "crn:v1:bluemix:public:iam::::role:Viewer"}, {"role_id": role}]);
    policy["resources"][0]["attributes"] = json!([
        {"name": "accountId", "value": qpol::emulator::DEFAULT_ACCOUNT},
        {"name": "serviceName", "value": "quantum-computing"},
        {"name": "serviceInstance", "value": finance}]);
    c.created("/v1/policies", policy);

    // A change of description only: the plan has an action, no access change.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("org.qpol");
    std::fs::write(
        &path,
        std::fs::read_to_string(ORG)
            .unwrap()
            .replace("project ml <", "project ml < description \"ML team\";"),
    )
    .unwrap();
    let (text, access) = plan(&e, path.to_str().unwrap(), 3);
    insta::assert_snapshot!("handmade_text", text);
    insta::assert_snapshot!("handmade_json", em::pretty(&access));
    assert!(text.contains("access group `handmade`"), "{text}");
    assert_eq!(access["summary"], "no change in access", "{text}");
    assert!(!text.contains("may still grant"), "{text}");

    // Project finance goes: its users lose QR-finance through qpol's
    // group, and the plan says the hand-made objects are not counted (the
    // hand-made group still grants ml's users QR-finance).
    std::fs::write(
        &path,
        std::fs::read_to_string(ORG)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("project finance"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let (text, _) = plan(&e, path.to_str().unwrap(), 3);
    assert!(text.contains("loses"), "{text}");
    assert!(
        text.contains("(The objects not managed by qpol, listed below, are left out: they may still grant some of this access.)"),
        "{text}"
    );
}

/// What the plan of `text` against `account` changes for whom.
fn access_of(text: &str, account: &Account) -> PlanAccess {
    let (analysis, allows) = live::analyse(text);
    let d = live::deployment(&analysis);
    let out = live::plan(&d, account, &allows);
    qpol::live::access::compute(&analysis, &d, account, &out.plan)
}

#[test]
fn converged_large_organizations_show_no_access_change() {
    // Static members by email and service id, projects with a second
    // role, resource-group scopes; then groups of projects.
    for text in [
        accounts::organization(300),
        generate(&OrgSpec::new(300, 300, 0)).text,
    ] {
        let mut account = live::converged_with(&text);
        // The account the policy names (its policies' resources say so).
        let (analysis, _) = live::analyse(&text);
        if let Some(id) = live::deployment(&analysis).account_id {
            account.account_id = id;
        }
        let a = access_of(&text, &account);
        assert!(a.computed, "{:?}", a.reason);
        assert!(!a.changed(), "{}", render_access::human(&a));
    }
}

#[test]
fn the_seed_account_made_by_hand_against_its_import_shows_no_access_change() {
    let account = accounts::seed_account();
    let text = qpol::live::import::policy(&account).text;
    let a = access_of(&text, &account);
    assert!(a.computed, "{:?}", a.reason);
    assert!(!a.changed(), "{}", render_access::human(&a));
}

#[test]
fn a_rule_qpol_does_not_manage_in_an_adopted_group_is_said_not_computed() {
    let mut account = accounts::seed_account();
    let text = qpol::live::import::policy(&account).text;
    let ml = account
        .access_groups
        .iter()
        .position(|g| g.name == "project-ml")
        .unwrap();
    // By hand: users of "ai" get ml too; apply leaves that rule in place.
    let mut rule = account.access_groups[ml].rules[0].clone();
    rule.id = "rule-by-hand".into();
    rule.name = "ai users".into();
    rule.conditions[0].value = "\"ai\"".into();
    account.access_groups[ml].rules.push(rule);
    let a = access_of(&text, &account);
    assert!(!a.computed);
    insta::assert_snapshot!(render_access::human(&a), @"Access changes: not computed: access group `project-ml` keeps a dynamic rule qpol does not manage (`ai users`), which apply leaves in place beside the policy's, so the access the account will give is not known exactly.");
}

#[test]
fn a_member_the_language_cannot_express_is_said_not_computed() {
    let text = std::fs::read_to_string(ORG).unwrap();
    let mut account = live::converged(&text);
    let ml = account
        .access_groups
        .iter()
        .position(|g| g.name == "ml")
        .unwrap();
    // A trusted profile in a group qpol made: the plan removes it.
    account.access_groups[ml]
        .members
        .push(qpol::live::account::Member {
            iam_id: "iam-Profile-1".into(),
            kind: "profile".into(),
        });
    let a = access_of(&text, &account);
    assert!(!a.computed);
    let shown = render_access::human(&a);
    assert_eq!(shown.lines().count(), 1, "{shown}");
    assert!(
        shown.starts_with("Access changes: not computed: 1 object qpol manages in the account cannot be written as policy"),
        "{shown}"
    );
    assert!(shown.contains("iam-Profile-1"), "{shown}");
}

#[test]
fn hostile_names_print_inert_and_a_long_change_is_cut() {
    use qpol::diff::{AccessChange, AccessOnly, Cause, UnitRef};
    let unit = UnitRef {
        kind: "project",
        name: "ml\n+ create access group `admin`".into(),
    };
    let access = (0..60)
        .map(|n| AccessChange {
            unit: unit.clone(),
            user: format!("eve{n}\u{1b}[31m`${{x}}\u{202e}"),
            subject: "user",
            change: if n % 2 == 0 { "gains" } else { "loses" },
            instance: "QR-\r\nml".into(),
            actions: vec!["job.read".into()],
            cause: Cause::User,
            why: String::new(),
        })
        .collect();
    let a = PlanAccess {
        computed: true,
        reason: None,
        notes: vec!["a note\nwith a newline".into()],
        summary: "30 users gain access, 30 lose".into(),
        change: AccessOnly {
            access,
            ..AccessOnly::default()
        },
    };
    let shown = render_access::human(&a);
    assert!(!shown.contains('\u{1b}') && !shown.contains('\r') && !shown.contains('\u{202e}'));
    // The summary, one project line, 50 changes, "and 10 more", the note.
    assert_eq!(shown.lines().count(), 1 + 1 + 50 + 1 + 1, "{shown}");
    insta::assert_snapshot!("hostile_text", shown);
}

#[test]
fn a_plan_saved_before_the_access_field_still_reads_and_keeps_its_fingerprint() {
    let text = std::fs::read_to_string(ORG).unwrap();
    let account = live::empty_account();
    let (analysis, allows) = live::analyse(&text);
    let d = live::deployment(&analysis);
    let mut plan = live::plan(&d, &account, &allows).plan;
    let older = serde_json::to_value(&plan).unwrap();
    assert!(older.get("access").is_none(), "no access, no field");
    let read: qpol::live::plan::LivePlan = serde_json::from_value(older).unwrap();
    assert!(read.access.is_none());
    assert_eq!(read.account_fingerprint, plan.account_fingerprint);
    assert_eq!(read.actions.len(), plan.actions.len());
    let a = qpol::live::access::compute(&analysis, &d, &account, &plan);
    let fingerprint = plan.account_fingerprint.clone();
    plan.access = Some(serde_json::to_value(&a).unwrap());
    let saved = serde_json::to_string(&plan).unwrap();
    let read: qpol::live::plan::LivePlan = serde_json::from_str(&saved).unwrap();
    assert_eq!(read.account_fingerprint, fingerprint);
    assert_eq!(read.access.unwrap()["summary"], a.summary);
}
