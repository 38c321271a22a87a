//! `qpol diff`'s speed, guarded by what it looks at rather than by a
//! stopwatch: on synthetic organizations of two sizes that differ in one
//! project's rule value, the diff expands only the users whose access
//! changes and compiles only the access groups whose objects change, so a
//! return to comparing everything (every user expanded, every object of
//! both sides compiled and serialized) fails here.

use qpol::diff::{self, Work};
use qpol::pipeline::Analysis;
use qpol::policy::Policy;
use qpol::synth::{generate, OrgSpec};

/// The diff of an organization against itself with project 0's rule value changed.
fn diff_one_project(projects: usize) -> diff::Diff {
    let old = generate(&OrgSpec::new(projects, projects * 5, 0)).text;
    let new = old.replacen("contains \"p0000000x\"", "contains \"p0000000y\"", 1);
    assert_ne!(old, new, "the organization has project 0's rule");
    let analyse = |text: &str| Analysis::new(Policy::from_texts([("org.qpol", text)]));
    diff::compute(&analyse(&old), &analyse(&new))
}

fn check(projects: usize) -> Work {
    let d = diff_one_project(projects);
    let mut losers: Vec<&str> = d.access.iter().map(|c| c.user.as_str()).collect();
    losers.sort_unstable();
    losers.dedup();
    assert!(!losers.is_empty(), "some user of project 0 loses access");
    assert!(d.access.iter().all(|c| c.change == "loses"));
    // Every user expanded is one whose access changed: the others were
    // skipped on their unchanged memberships.
    assert_eq!(
        d.work.subjects_expanded,
        losers.len(),
        "{projects} projects"
    );
    // One access group per side (project 0's); the instances and the
    // role are compiled, no other project's or group's objects.
    assert_eq!(d.work.access_groups_compiled, 2, "{projects} projects");
    assert_eq!(d.rules.len(), 1);
    let updated: Vec<&str> = d
        .objects
        .terraform
        .changes
        .iter()
        .map(|c| c.object.as_str())
        .collect();
    assert_eq!(updated, ["ibm_iam_access_group_dynamic_rule.prj-0"]);
    d.work
}

#[test]
fn work_follows_the_change_not_the_organization() {
    let small = check(100);
    let large = check(400);
    // Objects outside access groups (one instance per project) are still
    // compiled: they grow with the organization, the groups' do not.
    assert!(large.objects_compiled < 4 * 400 + 100, "{large:?}");
    assert!(small.objects_compiled < large.objects_compiled);
}
