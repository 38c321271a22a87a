//! Every diagnostic code in one table. Codes are stable: never reuse one.
//!
//! `Q0xx` syntax and input, `Q1xx` names and values, `Q2xx` access and
//! membership, `Q3xx` changes against a baseline, `Q4xx` assertions, `Q5xx`
//! what only compiling finds, `Q6xx` IAM's account limits.
//! `qpol explain CODE` prints the explanation written here.

use super::Severity;

/// Declares [`Code`] and [`Code::ALL`] from one list of variants, so `ALL`
/// cannot miss one: a test checks that each has its row in [`TABLE`].
macro_rules! codes {
    ($($(#[$meta:meta])* $variant:ident,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[$meta])* $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
        }
    };
}

codes! {
    SyntaxError,
    InvalidEscape,
    UnreadableInput,
    EmptyPolicy,
    TooManyErrors,
    HiddenCharacter,
    HiddenCharacterInText,
    HiddenInComparedValue,
    HiddenInShownValue,
    UndefinedName,
    DuplicateName,
    UnknownAction,
    ValueOutOfRange,
    InvalidValue,
    UnknownSetting,
    MissingSetting,
    AmbiguousIdp,
    DeprecatedAction,
    DuplicateAction,
    EmptyScope,
    InvalidName,
    LookalikeNames,
    OverlappingRule,
    AccidentalMember,
    UndelimitedAttribute,
    CyclicGroup,
    ProjectWithoutMembers,
    UnreachableInstance,
    UserInNoProject,
    ReaderRoleHasWriteAction,
    RoleWithoutDeviceRead,
    JobDeleteGranted,
    WriterWithoutSessionCreate,
    AuditRegionMismatch,
    InstanceMoved,
    InstanceDeleted,
    InstanceTwins,
    AssertionFailed,
    MemberWithoutId,
    AmbiguousRoleName,
    NotInTarget,
    IdpNotCreated,
    UnusedAcknowledgement,
    NotAcknowledgeable,
    BroadAcknowledgement,
    DuplicateAcknowledgement,
    LimitExceeded,
    NearLimit,
    PastPolicyRecommendation,
    RaisedFixedLimit,
}

/// One row of the table.
pub struct CodeInfo {
    pub code: Code,
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub explanation: &'static str,
}

use Code::*;
use Severity::{Error, Note, Warning};

pub const TABLE: &[CodeInfo] = &[
    CodeInfo { code: SyntaxError, id: "Q001", severity: Error, title: "syntax error",
        explanation: "The text does not follow the qpol grammar. The message lists what was expected at that position. Parsing resumes at the next statement, so later errors are still reported." },
    CodeInfo { code: InvalidEscape, id: "Q002", severity: Error, title: "invalid escape in a string",
        explanation: "Strings accept the escapes \\\" \\\\ \\n \\t \\r and \\u{HEX}. Any other backslash sequence is an error; write \\\\ for a literal backslash." },
    CodeInfo { code: UnreadableInput, id: "Q003", severity: Error, title: "unreadable input",
        explanation: "A policy file must be UTF-8 text. The position of the first byte that is not is reported; nothing of that file is checked." },
    CodeInfo { code: EmptyPolicy, id: "Q004", severity: Warning, title: "empty policy",
        explanation: "The policy declares nothing, so compiling it would create nothing. Check that the right file or folder was given." },
    CodeInfo { code: TooManyErrors, id: "Q005", severity: Error, title: "too many syntax errors",
        explanation: "After 200 syntax errors in one file qpol stops reading it: the file is probably not a qpol policy." },
    CodeInfo { code: HiddenCharacter, id: "Q006", severity: Error, title: "hidden character outside a string",
        explanation: "A control character (such as ESC or a lone carriage return), a bidirectional control (RIGHT-TO-LEFT OVERRIDE and the other Trojan Source characters, CVE-2021-42574) or an invisible character (zero-width space, word joiner, a byte-order mark inside the text) stands in a name or between words. A reviewer sees a different line from the one qpol reads: `QR-ml` followed by a zero-width space looks like `QR-ml` but is not. Names are letters, digits, `-`, `_` and `.`; remove the character. qpol shows such characters as `\\u{200B}` in everything it prints for people." },
    CodeInfo { code: HiddenCharacterInText, id: "Q007", severity: Error, title: "hidden character in a string or comment",
        explanation: "A control, bidirectional or invisible character is written raw inside a string or a comment. Bidirectional controls reorder how the line is displayed, so a reviewed display name, description or rule value (`contains \"ml\"`) can differ from what IAM receives, and a comment can appear to end early or hide code (Trojan Source, CVE-2021-42574). This is an error, not a warning, because a policy is approved by reading it and nothing is lost by refusing: a value that really needs such a character writes it as a visible escape, `\\u{202E}`, which a reviewer sees." },
    CodeInfo { code: HiddenInComparedValue, id: "Q008", severity: Error, title: "hidden character in a value IAM compares",
        explanation: "A rule value (`contains`, `equals`, `in`) holds a control, bidirectional, invisible, noncharacter or private-use character, written as a visible escape such as `\\u{200B}`. IAM compares the value with a token's claim character by character, so the rule can never match what a reviewer reads in the console or in a claim, or matches something else. Retype the value without it. (Emails, IAM ids and realms holding one are Q105.)" },
    CodeInfo { code: HiddenInShownValue, id: "Q009", severity: Warning, title: "hidden character in a value people read",
        explanation: "A display name or description, which the IBM Cloud console shows to people, holds a control, bidirectional, invisible, noncharacter or private-use character written as a visible escape (`\\u{202E}`, `\\u{1B}`). The console may show it reordered, invisible or as a terminal escape, so people read something other than what was reviewed. It is a warning, not an error, because nothing is granted by it; remove it unless it is really meant." },
    CodeInfo { code: UndefinedName, id: "Q101", severity: Error, title: "undefined name",
        explanation: "A statement refers to an instance, role, project, group, identity provider, resource group, user or service id that no statement declares. Declare it, or fix the spelling (the help line suggests the closest declared name)." },
    CodeInfo { code: DuplicateName, id: "Q102", severity: Error, title: "duplicate name",
        explanation: "Two declarations of the same kind share a name, or a setting is given twice. Names become IAM and Terraform names, so each must be unique within its kind." },
    CodeInfo { code: UnknownAction, id: "Q103", severity: Error, title: "unknown quantum-computing action",
        explanation: "A role lists an action that the `quantum-computing` service does not define. IAM would reject the custom role. Actions may be written with or without the `quantum-computing.` prefix." },
    CodeInfo { code: ValueOutOfRange, id: "Q104", severity: Error, title: "value outside IAM's limits",
        explanation: "A number or a length is outside what IAM or the Terraform provider accepts: dynamic-rule expiration is 1 to 24 hours, a role's display name 1 to 50 characters, its description 1 to 250, a custom role name at most 30 characters, tags at most 128, qpol names at most 100, a declared account limit 1 to 100,000,000." },
    CodeInfo { code: InvalidValue, id: "Q105", severity: Error, title: "invalid value",
        explanation: "A setting has a value that IAM does not accept (for example an unknown region, an account setting other than the listed ones, a tag with characters outside `A-Za-z0-9:_ .-`, an App ID tenant that is not 1 to 64 letters, digits and `-`, a realm that is not an `https://` URL, an email or IAM id holding a hidden or look-alike character, or a list element with `,` in an attribute a `has` rule reads)." },
    CodeInfo { code: UnknownSetting, id: "Q106", severity: Error, title: "unknown setting",
        explanation: "A block contains a key that this kind of declaration does not have. The help line suggests the closest key that it has." },
    CodeInfo { code: MissingSetting, id: "Q107", severity: Error, title: "missing setting",
        explanation: "A declaration lacks a setting without which it cannot be created, such as an instance without `plan` or `region`, or a role without `actions`." },
    CodeInfo { code: AmbiguousIdp, id: "Q108", severity: Error, title: "rule without identity provider",
        explanation: "A `members where` rule needs an identity provider. With exactly one `idp` declared it is used; otherwise write `members from IDP where ...`." },
    CodeInfo { code: DeprecatedAction, id: "Q109", severity: Note, title: "action no longer listed by the service",
        explanation: "The seed guide names `program.*` and `user.logout`, which IBM's current Qiskit Runtime documentation no longer lists. They are accepted, but grant nothing on current instances." },
    CodeInfo { code: DuplicateAction, id: "Q110", severity: Warning, title: "action listed twice",
        explanation: "A role lists the same action twice. The second one has no effect; remove it." },
    CodeInfo { code: EmptyScope, id: "Q111", severity: Error, title: "project or group grants nothing",
        explanation: "A project lists no instances and no resource group, or a project or group with members has no role to grant. Its access group would give its members nothing." },
    CodeInfo { code: InvalidName, id: "Q112", severity: Error, title: "invalid name",
        explanation: "A name is too long (more than 100 characters) or a value cannot be used where it is written, such as a `has` value containing the delimiter `,`." },
    CodeInfo { code: LookalikeNames, id: "Q113", severity: Warning, title: "names that look alike",
        explanation: "Two declared names (or two role display names) differ but look the same: their confusable skeletons (Unicode Technical Standard #39) are equal, as for `QR-mI` and `QR-ml`, `rn` and `m`, or a Cyrillic `м` for a Latin `m`. A reviewer cannot tell which one a statement names. Rename one of them." },
    CodeInfo { code: UnusedAcknowledgement, id: "Q120", severity: Warning, title: "acknowledgement suppresses nothing",
        explanation: "An `allow CODE ...` statement acknowledges findings of that code (in its scope), but the policy has none: the finding was fixed, or the scope names another project, group, instance, user or role than the finding concerns. Remove the statement, or correct its scope, so that a future finding is not acknowledged by accident. Like Rust's `#[expect]`." },
    CodeInfo { code: NotAcknowledgeable, id: "Q121", severity: Error, title: "finding cannot be acknowledged",
        explanation: "`allow CODE` acknowledges Q201 and warnings. Other errors (an undefined name, an invalid value, a failed assertion, an instance that would be deleted) describe a policy that IAM would refuse or that does not mean what it says: fix them instead. Notes need no acknowledgement (they never fail a run), and Q120 cannot acknowledge itself. `allow delete INSTANCE;` and `allow move INSTANCE;` are the way to accept Q302 and Q301." },
    CodeInfo { code: BroadAcknowledgement, id: "Q122", severity: Note, title: "broad acknowledgement hides an escalation",
        explanation: "An `allow Q201` without `for` (or without `on`) covers a Q201 that is an error: the rule gives the admitted users access their own grants do not. It covers every project the rule admits, today's and any added later, so the note lists the projects it hides now. Name them: `allow Q201 on project ml for project ml-vision, project ml-nlp \"reason\";` covers only those. A note never fails a run, `--deny warnings` included." },
    CodeInfo { code: DuplicateAcknowledgement, id: "Q123", severity: Warning, title: "acknowledgement written twice",
        explanation: "Two `allow` statements acknowledge the same code with the same scope and the same `for` list: the second adds nothing. Remove it (it points at the first)." },
    CodeInfo { code: OverlappingRule, id: "Q201", severity: Error, title: "dynamic rule admits users another rule expects",
        explanation: "IAM's CONTAINS on a string attribute is a plain, case-sensitive substring test, so `project contains \"ml\"` also admits users whose project is `chemlab` or `ml-reader`. The admitted values are those of `equals`, `in`, `contains`, `has` (delimited, `,ml,`) and `equals_ignore_case` rules (every case variant: both values are lower-cased char by char); `not_equals*` rules expect no value. There is one finding per rule and admitted project or group (or, inside one project, member set); a rule admitting more than five gets one more finding that counts the rest. Its severity follows the consequence. It is an error when the admitted users gain access: the rule's role gives them an action on an instance that their own grants do not give them: what the rules of the same identity provider that surely admit every user carrying their value give (each condition on that claim and true for the value; a rule with a further condition such as `and team equals \"lead\"` does not count), with everything below those in the hierarchy; the message names one such action and instance. It is a warning when their own grants already give every action the rule gives on every instance. Fix it with names that are not substrings of each other, `equals`, or qpol's `has`, which compiles to delimited values (`,ml,`). An overlap that is meant (a parent project that includes its sub-projects) is acknowledged in the policy: `allow Q201 on project ml \"ml-* sub-projects share QR-ml by design\";`, or for one admitted project `allow Q201 on project ml for project chemlab \"why\";` (a finding concerns the project or group whose rule admits too much, its role and the instances the rule reaches)." },
    CodeInfo { code: AccidentalMember, id: "Q202", severity: Warning, title: "user admitted through a substring",
        explanation: "A declared user's attribute matches a CONTAINS rule only because the value occurs inside a longer word (`html-tools` contains `ml`). The user gains the project's access although no word of the attribute names it." },
    CodeInfo { code: UndelimitedAttribute, id: "Q203", severity: Warning, title: "`has` rule cannot match a plain string attribute",
        explanation: "A `has` rule compiles to CONTAINS on a delimited value (`,ml,`). qpol writes list attributes of the users it manages in that form, but this user's attribute is a plain string, which the rule will never match. Write the attribute as a list: `project [\"ml\", \"finance\"]`." },
    CodeInfo { code: CyclicGroup, id: "Q211", severity: Error, title: "cycle among groups",
        explanation: "Groups contain each other in a loop. Nested access groups cannot be cyclic; the message shows the whole cycle. Remove one of the `groups` entries." },
    CodeInfo { code: ProjectWithoutMembers, id: "Q212", severity: Warning, title: "project reachable from nowhere",
        explanation: "A project has no members and no group with members includes it, so nobody can use its instances." },
    CodeInfo { code: UnreachableInstance, id: "Q213", severity: Warning, title: "instance no project can use",
        explanation: "No project or group grants access to this instance (by name or through its resource group). It will be billed but nobody can use it." },
    CodeInfo { code: UserInNoProject, id: "Q214", severity: Warning, title: "user lands in no project",
        explanation: "A declared user matches no dynamic rule and is no static member of any project or group, so the user gets no access at all." },
    CodeInfo { code: ReaderRoleHasWriteAction, id: "Q221", severity: Error, title: "reader role holds write actions",
        explanation: "A role whose name says it reads (`reader`, `viewer`, ...) holds cancel, delete, create or update actions. Remove them, or rename the role if it is meant to write." },
    CodeInfo { code: RoleWithoutDeviceRead, id: "Q222", severity: Warning, title: "role without device.read",
        explanation: "Without `device.read` the role's users cannot list backends or their properties, which every Qiskit Runtime workload does first." },
    CodeInfo { code: JobDeleteGranted, id: "Q223", severity: Note, title: "job.delete granted",
        explanation: "Deleting jobs removes part of the audit trail of what was billed. Grant `job.delete` only where that trade-off is intended." },
    CodeInfo { code: WriterWithoutSessionCreate, id: "Q224", severity: Warning, title: "role runs jobs but cannot open sessions",
        explanation: "The role grants `job.create` but not `session.create`; current Qiskit Runtime workloads open sessions, so they would fail." },
    CodeInfo { code: AuditRegionMismatch, id: "Q225", severity: Warning, title: "audit in another region",
        explanation: "Activity Tracker records the events of instances in its own region; instances elsewhere go unaudited." },
    CodeInfo { code: InstanceMoved, id: "Q301", severity: Error, title: "instance would move to another resource group",
        explanation: "A service instance's resource group is fixed at creation: moving it re-creates the instance and deletes its jobs. Add `allow move INSTANCE;` if that is intended." },
    CodeInfo { code: InstanceDeleted, id: "Q302", severity: Error, title: "instance would be deleted",
        explanation: "Deleting a service instance deletes its jobs, the audit trail of what was billed. Add `allow delete INSTANCE;` if that is intended." },
    CodeInfo { code: InstanceTwins, id: "Q303", severity: Error, title: "instance name held by two or more live instances",
        explanation: "IBM Cloud lets service instances share a name; qpol matches a declared instance with the live one of its name, so with two or more it cannot tell which the policy means (two `qpol apply` runs at the same time can make such twins). `qpol plan` lists them and `apply` sends nothing until one is left: delete the extra ones (their jobs go with them) or rename them." },
    CodeInfo { code: AssertionFailed, id: "Q401", severity: Error, title: "assertion failed",
        explanation: "An `assert` does not hold in the effective-access model. The message explains the path that grants the access, or why none does." },
    CodeInfo { code: MemberWithoutId, id: "Q501", severity: Error, title: "static member without an id",
        explanation: "A `members user NAME` refers to a declared user with neither `email` nor `iam_id`. IAM adds static members by IAM id (or, through an invitation, by email), so the user cannot be added. Give the user one, or admit it through a dynamic rule." },
    CodeInfo { code: AmbiguousRoleName, id: "Q502", severity: Error, title: "ambiguous role display name",
        explanation: "Terraform access-group policies name roles by display name, and the provider looks them up by that name. Two custom roles with one display name, or a display name that IAM's own roles use (Viewer, Reader, Writer, Manager, ...), would grant the wrong role. Give each role its own display name." },
    CodeInfo { code: NotInTarget, id: "Q503", severity: Note, title: "not expressible in this target",
        explanation: "Part of the policy has no request in the chosen target (the ibm-api plan covers the IAM, resource controller, catalog and user management APIs; the audit's Activity Tracker route is not among them). It is left out of that output; the terraform target includes it." },
    CodeInfo { code: IdpNotCreated, id: "Q504", severity: Warning, title: "identity provider neither created nor given",
        explanation: "An `appid` identity provider that is not `existing` is created as an App ID instance (service `appid`) in its `region`, and its rules name that instance's realm. Without a region qpol cannot create it, and without `realm` or `tenant` it cannot name an existing one: the realm becomes an input at apply time (`idp_realm_NAME`). Give the region to create it, or mark it `existing` and give its `tenant` and `region` (or `realm`)." },
    CodeInfo { code: LimitExceeded, id: "Q601", severity: Error, title: "more than the account's IAM limit",
        explanation: "IAM holds at most so many access groups, dynamic rules, custom roles, policies, identity providers, service IDs and users per account (IBM's \"IAM limits\" table), and refuses the create call past the limit, so an apply would stop half-way. qpol counts what the policy creates exactly as compiling does: one access group per project and group (and per extra role of its member sets), one dynamic rule per combination of the values of `in` lists (`project in [a, b, c] and team in [x, y]` is 3 x 2 = 6 rules), one policy per access group and instance or resource group it reaches, nested groups included. The message gives the figure, the limit and what counts. Limits IBM raises on request (dynamic rules, identity providers, service IDs, policies per account) are declared once raised: `account { limits { policies 8000; } }`. The others are fixed: split the organization over several accounts of an IBM Cloud enterprise." },
    CodeInfo { code: NearLimit, id: "Q602", severity: Warning, title: "close to the account's IAM limit",
        explanation: "The policy needs 80 % or more of an account limit (see Q601): the next projects will not fit. Plan the raise (or the split into several accounts) before the limit is reached." },
    CodeInfo { code: PastPolicyRecommendation, id: "Q603", severity: Warning, title: "more policies than IBM recommends",
        explanation: "IBM recommends at most 1,000 access policies per account, for the performance of access decisions; the account holds 4020. Fewer, broader policies help: a project scoping a resource group needs one policy where one per instance needs many. Declaring the account's `policies` limit (`account { limits { policies N; } }`) states that the size is deliberate and silences this warning." },
    CodeInfo { code: RaisedFixedLimit, id: "Q604", severity: Note, title: "raised a limit IBM does not list as raisable",
        explanation: "The policy declares a figure above IBM's for a limit that IBM's table lists as fixed (access groups, access groups per user, custom roles, policies per subject, users). qpol accepts it, as an agreement with IBM support can allow it, but it is not granted by a support case of the usual kind: make sure IBM confirmed it for this account." },
];

const UNLISTED: CodeInfo = CodeInfo {
    code: SyntaxError,
    id: "Q000",
    severity: Error,
    title: "internal error",
    explanation: "This code is missing from the table; please file an issue.",
};

impl Code {
    pub fn info(self) -> &'static CodeInfo {
        // INVARIANT: TABLE has one row per variant (checked by a unit test).
        TABLE
            .iter()
            .find(|row| row.code == self)
            .unwrap_or(&UNLISTED)
    }

    pub fn id(self) -> &'static str {
        self.info().id
    }

    pub fn severity(self) -> Severity {
        self.info().severity
    }

    pub fn from_id(id: &str) -> Option<Code> {
        TABLE
            .iter()
            .find(|row| row.id.eq_ignore_ascii_case(id))
            .map(|row| row.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_exactly_one_row() {
        for code in Code::ALL {
            let rows = TABLE.iter().filter(|row| row.code == *code).count();
            assert_eq!(rows, 1, "{code:?} has {rows} rows in TABLE; it needs one");
            assert_ne!(
                code.id(),
                UNLISTED.id,
                "{code:?} renders as {}",
                UNLISTED.id
            );
        }
        assert_eq!(Code::ALL.len(), TABLE.len());
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut ids: Vec<_> = TABLE.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), TABLE.len());
        assert!(TABLE
            .iter()
            .all(|r| r.id.len() == 4 && r.id.starts_with('Q')));
        for row in TABLE {
            assert_eq!(
                row.code.id(),
                row.id,
                "{:?} must map to its own row",
                row.code
            );
        }
    }
}
