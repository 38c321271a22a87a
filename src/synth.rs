//! Synthetic organizations for the benchmark and the scale tests: N
//! projects, M users, groups three deep, and optional planted substring
//! overlaps whose detection the benchmark verifies.
//!
//! An organization larger than IBM's account limits declares the raised
//! limits it needs (`account { limits { } }`), twice the figures it
//! creates, so it checks clean; `declare_limits: false` leaves them out.
//!
//! Project values are `pNNNNNNx`: fixed width with a terminator, so no value
//! is a substring of another unless an overlap is planted on purpose.
//! Deterministic for a given seed.

use std::fmt::Write;

#[derive(Debug, Clone)]
pub struct OrgSpec {
    pub projects: usize,
    pub users: usize,
    /// Projects per group at the lowest level, groups per group above it.
    pub fan_out: usize,
    pub planted_overlaps: usize,
    pub seed: u64,
    /// Declare the raised IAM limits the organization needs.
    pub declare_limits: bool,
}

impl OrgSpec {
    pub fn new(projects: usize, users: usize, planted_overlaps: usize) -> OrgSpec {
        OrgSpec {
            projects,
            users,
            fan_out: 10,
            planted_overlaps,
            seed: 0x5eed,
            declare_limits: true,
        }
    }
}

/// The policy text and the overlaps planted in it, as (the rule value that
/// admits too much, the project whose users it admits).
#[derive(Debug, Clone)]
pub struct Synthetic {
    pub text: String,
    pub planted: Vec<(String, String)>,
}

/// xorshift64*: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }
}

fn project_value(i: usize) -> String {
    format!("p{i:07}x")
}

pub fn generate(spec: &OrgSpec) -> Synthetic {
    let mut rng = Rng(spec.seed | 1);
    let mut text = String::with_capacity(spec.projects * 220 + spec.users * 70);
    let _ = writeln!(
        text,
        "# synthetic organization: {} projects, {} users",
        spec.projects, spec.users
    );
    if spec.declare_limits {
        limits(&mut text, spec);
    }
    text.push_str(
        "idp org-users { kind appid; region us-south; attribute project; session 12h; }\n",
    );
    text.push_str("resource_group quantum;\n");
    text.push_str(
        "role writer { actions device.read, job.read, job.create, job.cancel, session.create, session.read, session.update, instance.read, instance.configuration.read, instance-usage.read, workload.list; }\n",
    );
    for i in 0..spec.projects {
        let _ = writeln!(
            text,
            "instance QR-{i} {{ plan standard; region us-east; resource_group quantum; }}"
        );
    }
    let _ = writeln!(text, "instance QR-shared {{ plan lite; region us-east; }}");
    let mut planted = Vec::new();
    let stride = (spec.projects / spec.planted_overlaps.max(1)).max(1);
    for i in 0..spec.projects {
        let value = project_value(i);
        let shared = if rng.below(4) == 0 { ", QR-shared" } else { "" };
        let _ = writeln!(
            text,
            "project prj-{i} {{ instances QR-{i}{shared}; members where project contains \"{value}\"; role writer; }}"
        );
        // A planted overlap: a second rule whose value is a substring of this project's.
        if planted.len() < spec.planted_overlaps && i % stride == 0 {
            let short = value.get(1..).unwrap_or("x").to_string();
            let _ = writeln!(
                text,
                "project trap-{i} {{ instances QR-{i}; members where project contains \"{short}\"; role reader; }}"
            );
            planted.push((short, format!("prj-{i}")));
        }
    }
    groups(&mut text, spec);
    for u in 0..spec.users {
        let a = rng.below(spec.projects.max(1));
        let value = if rng.below(5) == 0 {
            format!(
                "{} {}",
                project_value(a),
                project_value(rng.below(spec.projects.max(1)))
            )
        } else {
            project_value(a)
        };
        let _ = writeln!(
            text,
            "user u{u} {{ idp org-users; attributes {{ project \"{value}\" }} }}"
        );
    }
    Synthetic { text, planted }
}

/// `account { limits { } }` with twice what the organization needs of each
/// limit it would fill to 80 % or more (IBM's figures, from the account
/// limits table), and `policies` past IBM's 1,000 recommendation. The
/// figures are upper bounds: each project has at most two instances, and
/// each level of groups reaches every project once.
fn limits(text: &mut String, spec: &OrgSpec) {
    let fan = spec.fan_out.max(2);
    let projects = spec.projects;
    let teams = projects.div_ceil(fan);
    let departments = teams.div_ceil(fan);
    let hubs = departments.div_ceil(fan);
    let groups = teams + departments + hubs;
    let planted = spec.planted_overlaps.min(projects);
    let hub_reach = fan.saturating_pow(3).min(projects) + 1;
    let needs = [
        ("access_groups", projects + planted + groups, 500),
        ("dynamic_rules_per_idp", projects + planted, 2000),
        ("policies", 5 * projects + planted + groups, 1000),
        ("policies_per_subject", hub_reach, 1000),
        ("users", spec.users + groups, 7500),
    ];
    let declared: Vec<String> = needs
        .iter()
        .filter(|(_, need, ibm)| need * 5 >= ibm * 4)
        .map(|(name, need, _)| format!("{name} {};", need * 2))
        .collect();
    if !declared.is_empty() {
        let _ = writeln!(text, "account {{ limits {{ {} }} }}", declared.join(" "));
    }
}

/// Groups three deep: teams of `fan_out` projects, departments of `fan_out`
/// teams, one hub per `fan_out` departments. Every level has a member.
fn groups(text: &mut String, spec: &OrgSpec) {
    let fan = spec.fan_out.max(2);
    let teams = spec.projects.div_ceil(fan);
    for t in 0..teams {
        let members: Vec<String> = (t * fan..((t + 1) * fan).min(spec.projects))
            .map(|p| format!("prj-{p}"))
            .collect();
        let _ = writeln!(
            text,
            "group team-{t} {{ projects {}; members user \"lead{t}@example.com\"; }}",
            members.join(", ")
        );
    }
    let departments = teams.div_ceil(fan);
    for d in 0..departments {
        let members: Vec<String> = (d * fan..((d + 1) * fan).min(teams))
            .map(|t| format!("team-{t}"))
            .collect();
        let _ = writeln!(
            text,
            "group dept-{d} {{ groups {}; members user \"head{d}@example.com\"; role reader; }}",
            members.join(", ")
        );
    }
    let hubs = departments.div_ceil(fan);
    for h in 0..hubs {
        let members: Vec<String> = (h * fan..((h + 1) * fan).min(departments))
            .map(|d| format!("dept-{d}"))
            .collect();
        let _ = writeln!(
            text,
            "group hub-{h} {{ groups {}; members user \"director{h}@example.com\"; role reader; }}",
            members.join(", ")
        );
    }
}
