//! Account limits (Q601-Q604): what the policy creates, counted as
//! compiling creates it ([`count`]), against IAM's account-wide limits:
//! IBM's figures, or the raised ones `account { limits { } }` declares.
//! An error past a limit, a warning from 80 % of one and past IBM's
//! 1,000-policy recommendation, a note for a fixed limit declared raised.

pub mod count;

pub use count::{count, Counts};

use crate::access::Access;
use crate::diag::{Code, Diagnostic, Label, Span};
use crate::model::limits::LimitKind;
use crate::model::Model;

/// IBM's recommended most policies per account.
pub const RECOMMENDED_POLICIES: u64 = 1000;

pub fn check(access: &Access<'_>, out: &mut Vec<Diagnostic>) {
    let model = access.model;
    raised_fixed(model, out);
    let counts = count(access);
    let mut r = Reporter { model, out };
    r.account_wide(&counts);
    r.per_entity(&counts);
    r.written(&counts);
}

/// The most dynamic rules qpol writes for one policy, whatever the declared
/// limits: past it the compiled files would not fit in memory (every
/// combination of a rule's `in` lists is one IAM rule).
pub const MAX_RULES_WRITTEN: u64 = 100_000;

struct Reporter<'a> {
    model: &'a Model,
    out: &'a mut Vec<Diagnostic>,
}

/// One finding before it becomes a diagnostic.
struct Finding {
    kind: LimitKind,
    need: u64,
    /// "the policy needs 600 access groups, one per project and group", without the limit.
    message: String,
    span: Span,
    label: String,
    /// How many other subjects are past the limit too (per-entity limits).
    others: usize,
}

impl Reporter<'_> {
    fn account_wide(&mut self, counts: &Counts) {
        let model = self.model;
        let units = &model.units;
        let fallback = self.fallback();
        let unit_span = |u: usize| units.get(u).map_or(fallback, |u| u.name.span);
        // Access groups, each at its unit.
        let groups: Vec<Span> = counts.groups.iter().map(|g| unit_span(g.unit)).collect();
        let extra_roles = counts.access_groups() > units.len() as u64;
        self.total(
            LimitKind::AccessGroups,
            &groups,
            format!(
                "one per project and group{}",
                if extra_roles {
                    " and per extra role of its member sets"
                } else {
                    ""
                }
            ),
            "access groups",
        );
        // Policies: the access group whose policies cross the limit.
        let mut policy_spans: Vec<(u64, Span)> = Vec::new();
        let mut total = 0u64;
        for g in &counts.groups {
            total = total.saturating_add(g.policies);
            policy_spans.push((total, unit_span(g.unit)));
        }
        let at = |n: u64| {
            policy_spans
                .iter()
                .find(|(t, _)| *t >= n)
                .or(policy_spans.last())
                .map_or(fallback, |(_, s)| *s)
        };
        let (limit, declared) = model.limit(LimitKind::Policies);
        let need = counts.policies();
        let why = "one per access group and instance or resource group it reaches, through nested groups too";
        let span = at(if need > limit { limit + 1 } else { need });
        let reported = self.report(Finding {
            kind: LimitKind::Policies,
            need,
            message: format!(
                "the policy needs {} access policies, {why}",
                thousands(need)
            ),
            span,
            label: "the policies of this access group pass the limit".into(),
            others: 0,
        });
        if !reported && declared.is_none() && need > RECOMMENDED_POLICIES {
            self.out.push(
                Diagnostic::new(
                    Code::PastPolicyRecommendation,
                    format!(
                        "the policy needs {} access policies, {why}; IBM recommends at most {} per account",
                        thousands(need),
                        thousands(RECOMMENDED_POLICIES)
                    ),
                    Label::new(at(RECOMMENDED_POLICIES + 1), "the policies of this access group pass 1,000"),
                )
                .with_help("scope projects by resource group (one policy each) rather than by instance, or declare the account's `policies` limit to say the size is deliberate: `account { limits { policies 4020; } }`"),
            );
        }
        // A preset has no declaration: it is pointed at where the limit is.
        let roles: Vec<Span> = counts
            .custom_role_ids
            .iter()
            .filter_map(|&r| model.roles.get(r))
            .map(|r| {
                if r.preset {
                    self.fallback()
                } else {
                    r.name.span
                }
            })
            .collect();
        self.total(
            LimitKind::CustomRoles,
            &roles,
            "every declared role and each preset (reader, writer) a project uses".into(),
            "custom roles",
        );
        let idps: Vec<Span> = model.idps.iter().map(|i| i.name.span).collect();
        self.total(
            LimitKind::IdentityProviders,
            &idps,
            "one per `idp` declaration".into(),
            "identity providers",
        );
        let sids: Vec<Span> = model.service_ids.iter().map(|s| s.name.span).collect();
        self.total(
            LimitKind::ServiceIds,
            &sids,
            "one per `service_id` declaration, created or existing".into(),
            "service IDs",
        );
        let users: Vec<Span> = model
            .users
            .iter()
            .map(|u| u.name.span)
            .chain(counts.literal_members.iter().map(|(_, span)| *span))
            .collect();
        self.total(
            LimitKind::Users,
            &users,
            "declared users and static members named by an email or IAM id no user declares".into(),
            "users",
        );
    }

    /// A limit on a number of things of the account, the `n`th at `spans[n-1]`.
    fn total(&mut self, kind: LimitKind, spans: &[Span], why: String, noun: &str) {
        let need = spans.len() as u64;
        let (limit, _) = self.model.limit(kind);
        let index = if need > limit {
            limit
        } else {
            need.saturating_sub(1)
        };
        let span = usize::try_from(index)
            .ok()
            .and_then(|i| spans.get(i))
            .copied()
            .unwrap_or_else(|| self.fallback());
        self.report(Finding {
            kind,
            need,
            message: format!("the policy needs {} {noun}, {why}", thousands(need)),
            span,
            label: if need > limit {
                format!("the {} of them", ordinal(limit + 1))
            } else {
                format!("the {} of them", ordinal(need))
            },
            others: 0,
        });
    }

    fn per_entity(&mut self, counts: &Counts) {
        let model = self.model;
        // Dynamic rules per access group: the group with the most.
        let over = |n: u64, kind: LimitKind| n > model.limit(kind).0;
        if let Some(g) = worst(&counts.groups, |g| g.rules) {
            let others = counts
                .groups
                .iter()
                .filter(|x| over(x.rules, LimitKind::DynamicRulesPerGroup))
                .count()
                .saturating_sub(1);
            let unit_span = model
                .units
                .get(g.unit)
                .map_or(self.fallback(), |u| u.name.span);
            let largest = g.largest_rule.and_then(|(n, set, rule)| {
                let rule = model
                    .units
                    .get(g.unit)?
                    .member_sets
                    .get(set)?
                    .rules
                    .get(rule)?;
                Some((n, rule.span, count::product(rule)))
            });
            let (span, detail, label) = match largest {
                Some((n, span, text)) if n == g.rules => (
                    span,
                    format!(": {text}"),
                    "each combination of `in` values is one IAM rule",
                ),
                Some((n, span, text)) if n > 1 => (
                    span,
                    format!(" ({text})"),
                    "each combination of `in` values is one IAM rule",
                ),
                _ => (
                    unit_span,
                    ", one per `members where` rule".to_string(),
                    "this access group",
                ),
            };
            self.report(Finding {
                kind: LimitKind::DynamicRulesPerGroup,
                need: g.rules,
                message: format!(
                    "{} needs {} dynamic rules{detail}",
                    self.group_name(g),
                    thousands(g.rules)
                ),
                span,
                label: label.into(),
                others,
            });
        }
        if let Some(g) = worst(&counts.groups, |g| g.policies) {
            let others = counts
                .groups
                .iter()
                .filter(|x| over(x.policies, LimitKind::PoliciesPerSubject))
                .count()
                .saturating_sub(1);
            let span = model
                .units
                .get(g.unit)
                .map_or(self.fallback(), |u| u.name.span);
            self.report(Finding {
                kind: LimitKind::PoliciesPerSubject,
                need: g.policies,
                message: format!(
                    "{} needs {} access policies, one per instance or resource group it reaches through the projects and groups under it",
                    self.group_name(g),
                    thousands(g.policies)
                ),
                span,
                label: "this access group".into(),
                others,
            });
        }
        // The first of the members in the most access groups.
        let most = counts
            .members
            .iter()
            .enumerate()
            .rev()
            .max_by_key(|(_, n)| **n)
            .filter(|(_, n)| **n > 0);
        if let Some((i, &n)) = most {
            let others = counts
                .members
                .iter()
                .filter(|x| over(u64::from(**x), LimitKind::GroupsPerUser))
                .count()
                .saturating_sub(1);
            let (name, span) = counts.member(model, i);
            self.report(Finding {
                kind: LimitKind::GroupsPerUser,
                need: u64::from(n),
                message: format!(
                    "user `{name}` ends up in {} access groups, through dynamic rules and static membership",
                    thousands(u64::from(n))
                ),
                span,
                label: "this user".into(),
                others,
            });
        }
        let idps: Vec<(usize, &u64)> = counts.rules_per_idp.iter().enumerate().collect();
        if let Some((i, &n)) = worst(&idps, |(_, n)| **n) {
            let others = idps
                .iter()
                .filter(|(_, x)| over(**x, LimitKind::DynamicRulesPerIdp))
                .count()
                .saturating_sub(1);
            let idp = model.idps.get(*i);
            self.report(Finding {
                kind: LimitKind::DynamicRulesPerIdp,
                need: n,
                message: format!(
                    "identity provider `{}` is named by {} dynamic rules (`in` lists count one rule per value)",
                    idp.map_or("", |i| i.name.value.as_str()),
                    thousands(n)
                ),
                span: idp.map_or(self.fallback(), |i| i.name.span),
                label: "this identity provider".into(),
                others,
            });
        }
    }

    fn group_name(&self, g: &count::GroupCount) -> String {
        let Some(unit) = self.model.units.get(g.unit) else {
            return "an access group".into();
        };
        let own = unit.role.as_ref().map(|r| r.value);
        let base = format!("{} `{}`", unit.kind.word(), unit.name.value);
        if g.role == own {
            return base;
        }
        let role = g
            .role
            .and_then(|r| self.model.roles.get(r))
            .map_or("", |r| r.name.value.as_str());
        format!("the access group of {base} for role `{role}`")
    }

    /// An error past the limit, a warning from 80 % of it; whether either was reported.
    fn report(&mut self, f: Finding) -> bool {
        let info = f.kind.info();
        let (limit, declared) = self.model.limit(f.kind);
        let scope = match f.kind {
            LimitKind::GroupsPerUser => "a user can be in",
            LimitKind::DynamicRulesPerGroup => "an access group holds",
            LimitKind::PoliciesPerSubject => "an access group holds",
            LimitKind::DynamicRulesPerIdp => "an identity provider holds",
            LimitKind::Users => "a billable account holds",
            _ => "an account holds",
        };
        let whose = match declared {
            Some(_) => format!("{scope} {} (declared in `limits`)", thousands(limit)),
            None => format!("{scope} {}", thousands(limit)),
        };
        let others = match f.others {
            0 => String::new(),
            1 => " (and 1 more past the limit)".to_string(),
            n => format!(" (and {n} more past the limit)"),
        };
        let example = limit
            .max(f.need)
            .saturating_mul(5)
            .div_ceil(4)
            .min(crate::model::limits::MAX_DECLARED);
        let raise = format!("account {{ limits {{ {} {example}; }} }}", info.name);
        let below_ibm = declared.is_some() && limit < info.ibm;
        let diagnostic = if f.need > limit {
            let help = if below_ibm {
                format!(
                    "the declared figure is below IBM's {}: declare what this account holds (a trial account holds fewer users)",
                    thousands(info.ibm)
                )
            } else if info.raisable {
                format!("IBM raises this limit on request (a support case); once raised, declare it: `{raise}`")
            } else {
                format!(
                    "IBM does not raise this limit: split the organization over several accounts of an IBM Cloud enterprise{}",
                    match f.kind {
                        LimitKind::PoliciesPerSubject => ", or scope by resource group (one policy each) instead of by instance",
                        LimitKind::GroupsPerUser => ", or admit the user through fewer projects and groups",
                        _ => "",
                    }
                )
            };
            Diagnostic::new(
                Code::LimitExceeded,
                format!("{}; {whose}{others}", f.message),
                Label::new(f.span, f.label),
            )
            .with_help(help)
        } else if f.need > 0 && f.need.saturating_mul(5) >= limit.saturating_mul(4) {
            Diagnostic::new(
                Code::NearLimit,
                format!(
                    "{}: {} % of the {} {scope}",
                    f.message,
                    f.need.saturating_mul(100) / limit.max(1),
                    thousands(limit)
                ),
                Label::new(f.span, f.label),
            )
            .with_help(if info.raisable {
                format!("ask IBM to raise it before the policy grows, then declare it: `{raise}`")
            } else {
                "IBM does not raise this limit: plan to split the organization over several accounts of an IBM Cloud enterprise".to_string()
            })
        } else {
            return false;
        };
        let diagnostic = match declared {
            Some(d) => diagnostic.with_label(Label::new(d.span, "limit declared here")),
            None => diagnostic,
        };
        self.out.push(diagnostic);
        true
    }

    /// Refuses a policy whose rules expand past [`MAX_RULES_WRITTEN`].
    fn written(&mut self, counts: &Counts) {
        let total = counts.rules();
        if total <= MAX_RULES_WRITTEN {
            return;
        }
        let model = self.model;
        let largest = count::largest_rule(model, counts);
        let (span, detail) = match largest {
            Some((rule, text)) => (rule.span, format!("; the largest: {text}")),
            None => (self.fallback(), String::new()),
        };
        let shown = thousands(total);
        self.out.push(
            Diagnostic::new(
                Code::LimitExceeded,
                format!(
                    "the policy expands to {shown} IAM dynamic rules{detail}; qpol writes at most {} for one policy",
                    thousands(MAX_RULES_WRITTEN)
                ),
                Label::new(span, "each combination of `in` values is one IAM rule"),
            )
            .with_help("split the `in` lists over several projects, or match one delimited attribute with `has` instead of combining lists; no declared limit raises this"),
        );
    }

    /// Where a finding without a better place points: the account, else the first declaration.
    fn fallback(&self) -> Span {
        let m = self.model;
        m.account
            .as_ref()
            .map(|a| a.span)
            .or(m.units.first().map(|u| u.name.span))
            .or(m.users.first().map(|u| u.name.span))
            .unwrap_or_default()
    }
}

/// The item with the largest count (the first of equals), if any.
fn worst<T>(items: &[T], n: impl Fn(&T) -> u64) -> Option<&T> {
    items.iter().rev().max_by_key(|x| n(x)).filter(|x| n(x) > 0)
}

/// A note for each limit IBM lists as fixed that the account declares above IBM's figure.
fn raised_fixed(model: &Model, out: &mut Vec<Diagnostic>) {
    let Some(account) = &model.account else {
        return;
    };
    for declared in &account.limits {
        let info = declared.kind.info();
        if info.raisable || declared.value.value <= info.ibm {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::RaisedFixedLimit,
                format!(
                    "`{} {}` raises a limit IBM lists as fixed at {} ({})",
                    info.name,
                    declared.value.value,
                    thousands(info.ibm),
                    info.what
                ),
                Label::new(declared.span, "not raisable by a usual support case"),
            )
            .with_help("only IBM support can allow it, by exception: keep IBM's confirmation for this account with the policy"),
        );
    }
}

/// `20000` -> `20,000`.
/// `20,000`; a count that saturated (the product of many `in` lists) is
/// "more than 18,000,000,000,000,000,000".
pub fn thousands(n: u64) -> String {
    if n == u64::MAX {
        return "more than 18,000,000,000,000,000,000".to_string();
    }
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{}{suffix}", thousands(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_and_ordinals() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(500), "500");
        assert_eq!(thousands(4020), "4,020");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "more than 18,000,000,000,000,000,000");
        assert_eq!(ordinal(501), "501st");
        assert_eq!(ordinal(4021), "4,021st");
        assert_eq!(ordinal(12), "12th");
    }
}
