//! `qpol import`: a live [`Account`] snapshot written back as a formatted
//! `.qpol` policy ([`policy`]).
//!
//! What is imported, as the seed guide sets an account up by hand:
//!
//! * the account's IAM and access-group settings -> `account { }`;
//! * the App ID instances and the realms the dynamic rules name -> `idp`
//!   (region and tenant from `https://REGION.appid.cloud.ibm.com/oauth/v4/GUID`,
//!   `attribute` = the claims the rules test, `session` = their expiration);
//! * resource groups the instances use (the default group is left unnamed,
//!   as the language expresses it), `quantum-computing` instances (plan name
//!   from the catalog's reverse map, region, resource group);
//! * `quantum-computing` custom roles -> `role` (actions without the service
//!   prefix, IAM name, display name, description without [`super::MARKER`]);
//! * access groups whose rules test the idp's claims with quoted values
//!   (`"\"ml\""`, as the provider sends them) and whose policies give Viewer
//!   plus one custom role on instances or resource groups -> `project`, its
//!   static members as declared `user`s (email from the account's users, or
//!   IAM id) and `service_id`s;
//! * an access group whose policies are exactly what a `group` of the other
//!   imported units compiles to -> `group` (see `nesting.rs`).
//!
//! The identity providers' users are not read (no App ID endpoint is
//! called): a note per idp says to declare them by hand for `qpol test`.
//!
//! Names stay the live ones (an access group `ml` is `project ml`), so that
//! the imported policy compiles to the objects the account holds. A live
//! object the language cannot express (another role or resource, an
//! operator or realm it lacks, a member of type profile, a name that is no
//! identifier, ...) is kept at the end as a comment holding the raw object
//! as one line of ASCII JSON, and [`Imported::notes`] says why (the command
//! line prints them as warnings). The same account gives byte-identical text.
//!
//! The text is then checked with the one pipeline ([`Analysis`]): an object
//! whose declaration still has an error (a value IAM accepted but the
//! checker refuses) is turned into a comment too, and a substring overlap
//! between live rules (Q201) is acknowledged with `allow Q201 ... for ...`
//! and a note, so that the imported policy checks clean and says what the
//! account already does.

mod draft;
mod escape;
mod grants;
mod groups;
mod idps;
mod nesting;
mod roles;

use super::account::Account;
use crate::diag::{Code, Entity, Severity};
use crate::pipeline::Analysis;
use crate::policy::Policy;
use std::collections::{BTreeMap, BTreeSet};

/// The file name the imported text is checked under.
const FILE: &str = "import.qpol";

/// Rounds of checking and demoting before the text is returned as it is.
const MAX_ROUNDS: usize = 16;

/// An imported policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The policy, formatted as `qpol fmt` writes it.
    pub text: String,
    /// What was not imported, or imported with a change, one line each, in
    /// printable ASCII (live names are quoted as JSON strings).
    pub notes: Vec<String>,
    /// How many live objects are kept as comments (not imported).
    pub commented: usize,
    /// Errors `qpol check` still finds in the text.
    pub errors: usize,
}

/// How a policy names the account's users, so that an import made to be
/// compared with it (`live::access`, what a plan changes for whom) speaks
/// its language: a static member the policy knows by email or IAM id is
/// written as that literal (`user "ID"`, which the policy's own `user`
/// statements, added by the caller, resolve), and no imported user takes
/// a name the policy gives another.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Emails and IAM ids written as literals.
    pub literal: BTreeSet<String>,
    /// User names an imported user must not be given.
    pub taken: BTreeSet<String>,
}

/// Write a live account as a `.qpol` policy (see the module documentation).
pub fn policy(account: &Account) -> Imported {
    policy_named(account, &Names::default())
}

/// [`policy`], with the users named as `names` says.
pub fn policy_named(account: &Account, names: &Names) -> Imported {
    let mut overrides = Overrides::default();
    let mut round = 0;
    loop {
        round += 1;
        let draft = draft::build(account, &overrides, names);
        let rendered = draft.render();
        let analysis = Analysis::new(Policy::from_texts([(FILE, rendered.text.as_str())]));
        let errors = analysis.errors();
        if errors == 0 || round >= MAX_ROUNDS || !overrides.learn(&rendered, &analysis) {
            let mut notes = draft.all_notes();
            if errors > 0 {
                notes.push(format!(
                    "the imported policy still has {errors} error(s) under `qpol check`; review it before use"
                ));
            }
            let mut imported = finish(rendered.text, notes);
            imported.commented = draft.comments.len();
            imported.errors = errors;
            return imported;
        }
    }
}

/// Format the text; the notes in printable ASCII.
fn finish(text: String, notes: Vec<String>) -> Imported {
    let mut notes: Vec<String> = notes.iter().map(|n| escape::ascii_only(n)).collect();
    let text = match crate::fmt::format_text(FILE, &text) {
        Ok(formatted) => formatted,
        Err(e) => {
            notes.push(format!("the imported policy could not be formatted: {e}"));
            text
        }
    };
    Imported {
        text,
        notes,
        commented: 0,
        errors: 0,
    }
}

/// A live object that becomes one statement of the policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    Account,
    /// By realm.
    Idp(String),
    /// By resource group id.
    ResourceGroup(String),
    /// By instance id.
    Instance(String),
    /// By role id.
    Role(String),
    ServiceId(String),
    /// By access group id.
    Project(String),
    /// An access group written as a group (by id): refused by the checker,
    /// it is written as a project in the next draft.
    Group(String),
    /// By IAM id.
    User(String),
    /// The Q201 acknowledgement of a project (by access group id).
    Allow(String),
}

/// What checking earlier drafts taught: statements to leave out (turned
/// into comments) and overlaps to acknowledge.
#[derive(Debug, Default)]
pub(crate) struct Overrides {
    /// Key -> why (the checker's finding).
    pub demoted: BTreeMap<Key, String>,
    /// Access group id -> the projects its rule admits (`None`: every one).
    pub overlaps: BTreeMap<String, Option<BTreeSet<String>>>,
}

/// A draft as text, with the statement each byte range holds.
pub(crate) struct Rendered {
    pub text: String,
    /// (start, end, key) of each statement, in text order.
    pub ranges: Vec<(usize, usize, Key)>,
}

impl Rendered {
    fn key_at(&self, offset: usize) -> Option<&Key> {
        self.ranges
            .iter()
            .find(|(lo, hi, _)| (*lo..*hi).contains(&offset))
            .map(|(_, _, key)| key)
    }
}

impl Overrides {
    /// Learn from the errors of a draft; false when nothing new was learnt.
    fn learn(&mut self, rendered: &Rendered, analysis: &Analysis) -> bool {
        let mut changed = false;
        for d in analysis
            .diagnostics
            .iter()
            .filter(|d| d.counts_as(Severity::Error))
        {
            let Some(key) = rendered.key_at(d.primary.span.start()) else {
                continue;
            };
            if let (Code::OverlappingRule, Key::Project(group) | Key::Group(group)) = (d.code, key)
            {
                let admitted: BTreeSet<String> = d
                    .admitted
                    .iter()
                    .filter_map(|e| match e {
                        Entity::Unit(u) => analysis.model.units.get(*u),
                        _ => None,
                    })
                    .map(|u| u.name.value.to_string())
                    .collect();
                changed |= self.acknowledge(group, admitted);
                continue;
            }
            if !self.demoted.contains_key(key) {
                let reason = format!("`qpol check` finds {}: {}", d.code.id(), d.message);
                self.demoted.insert(key.clone(), reason);
                changed = true;
            }
        }
        changed
    }

    /// Acknowledge an overlap of a project's rule; false if it already was
    /// (then the acknowledgement becomes a broad one, once).
    fn acknowledge(&mut self, group: &str, admitted: BTreeSet<String>) -> bool {
        match self.overlaps.get_mut(group) {
            None => {
                let named = (!admitted.is_empty()).then_some(admitted);
                self.overlaps.insert(group.to_string(), named);
                true
            }
            Some(Some(known)) => {
                if admitted.is_subset(known) {
                    // Named already and still reported: cover every project.
                    self.overlaps.insert(group.to_string(), None);
                } else {
                    known.extend(admitted);
                }
                true
            }
            Some(None) => false,
        }
    }
}
