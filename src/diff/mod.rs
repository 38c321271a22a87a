//! `qpol diff`: what a change to a policy does, computed from two
//! [`Analysis`]es side by side — the change in effective access of every
//! declared user and service id ([`access`]), what changed rules admit for users who are
//! not declared ([`rules`]), the cloud objects compile would create,
//! update, replace or delete for both targets ([`objects`]), and new and
//! resolved findings ([`findings`]). [`members`] adds what every member
//! set whose grants changed does to principals that are not declared (rule
//! members, static emails and service ids), [`idps`] a replaced identity
//! provider. [`markdown`] prints it for a pull-request comment; the JSON
//! shape is this module's types.

pub mod access;
mod cause;
pub mod findings;
pub mod idps;
pub mod markdown;
mod markdown_members;
pub mod members;
pub mod objects;
mod reduce;
pub mod rules;

use crate::pipeline::Analysis;
use serde::Serialize;

/// The JSON document's format tag.
pub const FORMAT: &str = "qpol-diff/1";

/// A project or group, by kind and name.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UnitRef {
    /// `project` or `group`.
    pub kind: &'static str,
    pub name: String,
}

/// Why a user gains or loses an action (old and new as on the two sides).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// The user is declared on one side only.
    User,
    /// The service id is declared on one side only.
    ServiceId,
    /// The project or group is declared on one side only.
    Unit { unit: UnitRef },
    /// The user is listed as a static member on one side only.
    StaticMember { unit: UnitRef },
    /// The member set's rules changed.
    Rule {
        unit: UnitRef,
        before: Vec<String>,
        after: Vec<String>,
    },
    /// The user's attribute (or its idp) changed, so a rule matches or no longer does.
    Attribute {
        claim: String,
        before: Option<String>,
        after: Option<String>,
    },
    /// A group includes a project or group, or a project an instance, on one side only.
    Includes { unit: UnitRef, what: String },
    /// The role a member set gets changed.
    RoleOf {
        unit: UnitRef,
        before: String,
        after: String,
    },
    /// The role itself gained or lost the actions.
    RoleActions { role: String },
}

impl Cause {
    /// The cause in words; `quote` shows a name or a rule.
    pub fn describe(
        &self,
        user: &str,
        gained: bool,
        actions: &[String],
        quote: &dyn Fn(&str) -> String,
    ) -> String {
        let unit_of = |u: &UnitRef| format!("{} {}", u.kind, quote(&u.name));
        let (now, no_longer) = ("now", "no longer");
        let when = if gained { now } else { no_longer };
        let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "(unset)".into(), quote);
        let rules = |r: &[String]| {
            if r.is_empty() {
                "(no rule)".to_string()
            } else {
                r.iter().map(|x| quote(x)).collect::<Vec<_>>().join(" or ")
            }
        };
        match self {
            Cause::User => format!(
                "user {} {}",
                quote(user),
                if gained { "is new" } else { "was removed" }
            ),
            Cause::ServiceId => format!(
                "service id {} {}",
                quote(user),
                if gained { "is new" } else { "was removed" }
            ),
            Cause::Unit { unit } => format!(
                "{} {}",
                unit_of(unit),
                if gained { "is new" } else { "was removed" }
            ),
            Cause::StaticMember { unit } => {
                format!("{when} listed as a member of {}", unit_of(unit))
            }
            Cause::Rule {
                unit,
                before,
                after,
            } => format!(
                "the rule of {} changed from {} to {}",
                unit_of(unit),
                rules(before),
                rules(after)
            ),
            Cause::Attribute {
                claim,
                before,
                after,
            } => format!(
                "{}'s {} changed from {} to {}",
                quote(user),
                quote(claim),
                opt(before),
                opt(after)
            ),
            Cause::Includes { unit, what } => {
                let (kind, name) = what.split_once(' ').unwrap_or(("", what));
                format!("{} {when} includes {kind} {}", unit_of(unit), quote(name))
            }
            Cause::RoleOf {
                unit,
                before,
                after,
            } => format!(
                "the role of {} changed from {} to {}",
                unit_of(unit),
                quote(before),
                quote(after)
            ),
            Cause::RoleActions { role } => format!(
                "role {} {} {}",
                quote(role),
                if gained { "gained" } else { "lost" },
                actions
                    .iter()
                    .map(|a| quote(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A declared user gains or loses actions on one instance, through one
/// project or group, for one cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessChange {
    /// The project or group whose member set grants (or granted) the access.
    pub unit: UnitRef,
    /// The user's name, or the service id's.
    pub user: String,
    /// `service_id` for a service id; absent for a user.
    #[serde(skip_serializing_if = "is_user")]
    pub subject: &'static str,
    /// `gains` or `loses`.
    pub change: &'static str,
    pub instance: String,
    pub actions: Vec<String>,
    pub cause: Cause,
    /// The cause in words.
    pub why: String,
}

fn is_user(subject: &&'static str) -> bool {
    *subject == "user"
}

/// A member set whose dynamic rules changed: what it does to users who are
/// not declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    pub unit: UnitRef,
    /// The member set's index in its project or group.
    pub set: usize,
    /// Its rules, as written (an empty list: no rule).
    pub before: Vec<String>,
    pub after: Vec<String>,
    /// What it admits now that it did not, or no longer admits.
    pub notes: Vec<String>,
}

/// A member set's grants changed: what its members gain or lose (its rule
/// members, who live in the identity provider, are never listed one by one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetChange {
    pub unit: UnitRef,
    /// The member set's index in its project or group.
    pub set: usize,
    /// The rules that admit its members, on the side that grants (or granted) the access.
    pub rules: Vec<String>,
    /// `gains` or `loses`.
    pub change: &'static str,
    pub instance: String,
    pub actions: Vec<String>,
    pub cause: Cause,
    /// The cause in words.
    pub why: String,
}

/// An identity provider whose instance is replaced or whose realm changes:
/// every federated user's identity and every dynamic rule naming it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdpChange {
    pub idp: String,
    /// `replaced` (a new App ID instance) or `realm` (the rules' realm changes).
    pub change: &'static str,
    /// What changed: `region us-south -> eu-de`.
    pub detail: String,
    /// Dynamic rules of the new policy that name it.
    pub rules: usize,
    /// What it does, in words.
    pub note: String,
}

/// A finding the new policy acknowledges (`allow CODE ... "reason"`) that
/// the old one reported or did not have: silenced, not resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledged {
    #[serde(flatten)]
    pub finding: Finding,
    pub reason: String,
}

/// A change of one cloud object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectChange {
    /// `create`, `update`, `replace` or `delete`; for the API plan also
    /// `look-up` (an instance now `existing`: looked up, kept).
    pub change: &'static str,
    /// The Terraform resource address or the API request id.
    pub object: String,
    /// A Qiskit Runtime instance that would be deleted or re-created: its jobs are lost.
    pub loses_jobs: bool,
    /// What changed, where qpol knows (an instance's region or resource group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The loss is acknowledged by an `allow delete` / `allow move` of the new policy.
    pub allowed: bool,
}

/// The object changes of one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TargetChanges {
    /// False when a side has errors (compile would write nothing): see `reason`.
    pub compared: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub changes: Vec<ObjectChange>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Objects {
    pub terraform: TargetChanges,
    pub ibm_api: TargetChanges,
}

/// One finding, located on its side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: crate::diag::Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Findings {
    /// On the new side only (compared by code and message, not position).
    pub new: Vec<Finding>,
    /// On the old side only (and not acknowledged on the new side).
    pub resolved: Vec<Finding>,
    /// Acknowledged on the new side only: a reviewer must see them.
    pub acknowledged: Vec<Acknowledged>,
    /// Errors and warnings on the new side, new or not.
    pub errors: usize,
    pub warnings: usize,
}

/// How much a diff had to look at (not printed): the tests of its speed
/// count it, so that a diff whose cost follows the organization's size
/// rather than the change's fails a test rather than a stopwatch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Declared users and service ids whose access was expanded on both sides.
    pub subjects_expanded: usize,
    /// Access groups compiled (both sides): those whose objects may differ.
    pub access_groups_compiled: usize,
    /// Cloud objects compiled and fingerprinted (both sides, both targets):
    /// every object that is not an access group's, and those of the
    /// access groups compiled.
    pub objects_compiled: usize,
}

/// Everything `qpol diff` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub format: &'static str,
    pub summary: String,
    /// Some principal (declared user, static member, a member set's rule
    /// members) gains or loses an action, a rule admits other values, or
    /// an identity provider is replaced.
    pub access_changed: bool,
    pub access: Vec<AccessChange>,
    pub rules: Vec<RuleChange>,
    /// Member sets whose grants changed, for their rule members.
    pub member_sets: Vec<SetChange>,
    pub idps: Vec<IdpChange>,
    pub objects: Objects,
    pub findings: Findings,
    /// What `check --baseline` adds (Q301, Q302), as diagnostics: their
    /// labels point into either side (see [`crate::checks::baseline`]).
    #[serde(skip)]
    pub baseline: Vec<crate::diag::Diagnostic>,
    #[serde(skip)]
    pub work: Work,
}

/// Compare two analyses.
pub fn compute(old: &Analysis, new: &Analysis) -> Diff {
    let mut work = Work::default();
    let (changes, rules, objects, member_sets) = std::thread::scope(|scope| {
        let objects = scope.spawn(|| {
            let mut work = Work::default();
            (objects::diff(old, new, &mut work), work)
        });
        let o = access::Side::new(old);
        let n = access::Side::new(new);
        let changed = access::changed_sets(&o, &n);
        let mut changes = access::diff(&o, &n, &changed, &mut work);
        let (principals, sets) = members::diff(&o, &n, &changed);
        members::add_principals(&mut changes, principals);
        let rules = rules::diff(&o, &n);
        let (objects, counted) = objects.join().unwrap_or_else(|_| {
            let mut work = Work::default();
            (objects::diff(old, new, &mut work), work)
        });
        work.objects_compiled = counted.objects_compiled;
        work.access_groups_compiled = counted.access_groups_compiled;
        (changes, rules, objects, sets)
    });
    // What `check --baseline OLD` adds (Q301, Q302), when OLD checks clean.
    let baseline = if old.passed() {
        crate::checks::baseline::check(&old.model, &new.model)
    } else {
        Vec::new()
    };
    let findings = findings::diff(old, new, &baseline);
    let idps = idps::diff(&old.model, &new.model);
    let access_changed =
        !changes.is_empty() || !rules.is_empty() || !member_sets.is_empty() || !idps.is_empty();
    let mut diff = Diff {
        format: FORMAT,
        summary: String::new(),
        access_changed,
        access: changes,
        rules,
        member_sets,
        idps,
        objects,
        findings,
        baseline,
        work,
    };
    diff.summary = summary(&diff);
    diff
}

/// The access part of a [`Diff`] alone (no objects, no findings): what
/// `qpol plan` says a plan changes for whom.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccessOnly {
    pub access: Vec<AccessChange>,
    pub rules: Vec<RuleChange>,
    pub member_sets: Vec<SetChange>,
    pub idps: Vec<IdpChange>,
}

/// Compare the effective access of two analyses, as [`compute`] does, and
/// nothing else.
pub fn access_only(old: &Analysis, new: &Analysis) -> AccessOnly {
    let mut work = Work::default();
    let o = access::Side::new(old);
    let n = access::Side::new(new);
    let changed = access::changed_sets(&o, &n);
    let mut changes = access::diff(&o, &n, &changed, &mut work);
    let (principals, sets) = members::diff(&o, &n, &changed);
    members::add_principals(&mut changes, principals);
    AccessOnly {
        access: changes,
        rules: rules::diff(&o, &n),
        member_sets: sets,
        idps: idps::diff(&old.model, &new.model),
    }
}

impl Diff {
    /// A second reviewer should look: access changed, or the change
    /// acknowledges a finding (exit 3 when nothing fails).
    pub fn needs_review(&self) -> bool {
        self.access_changed || !self.findings.acknowledged.is_empty()
    }
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `qpol: 3 users gain access, 1 loses; ...`
fn summary(d: &Diff) -> String {
    let mut parts = access_summary(&d.access, &d.member_sets, &d.rules, &d.idps);
    if parts.is_empty() {
        parts.push("no change in access".into());
    }
    let tf = &d.objects.terraform;
    if tf.compared {
        let count = |c: &str| tf.changes.iter().filter(|x| x.change == c).count();
        let objects: Vec<String> = [
            ("create", "created"),
            ("update", "updated"),
            ("replace", "replaced"),
            ("delete", "deleted"),
        ]
        .iter()
        .filter(|(c, _)| count(c) > 0)
        .map(|(c, word)| format!("{} {word}", plural(count(c), "object", "objects")))
        .collect();
        let lost = tf.changes.iter().filter(|c| c.loses_jobs).count();
        parts.push(if objects.is_empty() {
            "no object changes".into()
        } else if lost > 0 {
            format!(
                "{} ({} jobs)",
                objects.join(", "),
                plural(lost, "instance loses its", "instances lose their")
            )
        } else {
            objects.join(", ")
        });
    } else {
        parts.push("objects not compared".into());
    }
    let new = &d.findings.new;
    let mut codes: Vec<&str> = new.iter().map(|f| f.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut findings = if new.is_empty() {
        "no new findings".to_string()
    } else {
        format!(
            "{} ({})",
            plural(new.len(), "new finding", "new findings"),
            codes.join(", ")
        )
    };
    if !d.findings.acknowledged.is_empty() {
        findings.push_str(&format!(", {} acknowledged", d.findings.acknowledged.len()));
    }
    if !d.findings.resolved.is_empty() {
        findings.push_str(&format!(", {} resolved", d.findings.resolved.len()));
    }
    parts.push(findings);
    format!("qpol: {}", parts.join("; "))
}

/// The access parts of the summary (`3 users gain access, 1 loses`, ...);
/// empty when nothing changed. `qpol plan` says the same of an account.
pub fn access_summary(
    access: &[AccessChange],
    member_sets: &[SetChange],
    rules: &[RuleChange],
    idps: &[IdpChange],
) -> Vec<String> {
    let count = |subject: &str, change: &str| {
        let mut names: Vec<&str> = access
            .iter()
            .filter(|c| c.subject == subject && c.change == change)
            .map(|c| c.user.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    let mut parts = Vec::new();
    for (subject, one, many) in [
        ("user", "user", "users"),
        ("service_id", "service id", "service ids"),
    ] {
        let (gain, lose) = (count(subject, "gains"), count(subject, "loses"));
        let (gains, gain_) = (format!("{one} gains"), format!("{many} gain"));
        let (loses, lose_) = (format!("{one} loses"), format!("{many} lose"));
        parts.extend(match (gain, lose) {
            (0, 0) => None,
            (g, 0) => Some(format!("{} access", plural(g, &gains, &gain_))),
            (0, l) => Some(format!("{} access", plural(l, &loses, &lose_))),
            (g, l) => Some(format!(
                "{} access, {l} {}",
                plural(g, &gains, &gain_),
                if l == 1 { "loses" } else { "lose" }
            )),
        });
    }
    let sets = |change: &str| {
        let mut keys: Vec<(&UnitRef, usize)> = member_sets
            .iter()
            .filter(|c| c.change == change)
            .map(|c| (&c.unit, c.set))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len()
    };
    match (sets("gains"), sets("loses")) {
        (0, 0) => {}
        (g, 0) => parts.push(format!(
            "{} access",
            plural(g, "member set gains", "member sets gain")
        )),
        (0, l) => parts.push(format!(
            "{} access",
            plural(l, "member set loses", "member sets lose")
        )),
        (g, l) => parts.push(format!(
            "{} access, {l} {}",
            plural(g, "member set gains", "member sets gain"),
            if l == 1 { "loses" } else { "lose" }
        )),
    }
    if !rules.is_empty() {
        parts.push(format!(
            "{} changed (see users who are not declared)",
            plural(rules.len(), "rule", "rules")
        ));
    }
    for idp in idps {
        parts.push(format!("identity provider {} {}", idp.idp, idp.change));
    }
    parts
}
