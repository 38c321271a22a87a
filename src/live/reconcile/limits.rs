//! The account's IAM limits after the plan: what the account holds, plus
//! what the plan creates, minus what it deletes (Q601), reported before
//! anything is sent.

use super::Reconciler;
use crate::checks::limits::thousands;
use crate::diag::{Code, Diagnostic, Label, Span};
use crate::live::plan::Op;
use crate::model::limits::LimitKind;

impl Reconciler<'_> {
    pub(super) fn limits(&mut self) {
        let a = self.account;
        let count = |op: Op, prefix: &str| -> u64 {
            self.actions
                .iter()
                .filter(|x| x.op == op && x.id.starts_with(prefix))
                .count() as u64
        };
        let deleted_groups: Vec<&str> = a
            .access_groups
            .iter()
            .filter(|g| {
                self.actions.iter().any(|x| {
                    x.op == Op::Delete && x.id == format!("delete.access_group.{}", g.name)
                })
            })
            .map(|g| g.id.as_str())
            .collect();
        let policies_of_deleted = a
            .policies
            .iter()
            .filter(|p| deleted_groups.contains(&p.access_group_id.as_str()))
            .count() as u64;
        let totals = [
            (
                LimitKind::AccessGroups,
                "access groups",
                a.access_groups.len() as u64,
                count(Op::Create, "access_group."),
                count(Op::Delete, "delete.access_group."),
            ),
            (
                LimitKind::CustomRoles,
                "custom roles",
                a.roles.len() as u64,
                count(Op::Create, "role."),
                count(Op::Delete, "delete.role."),
            ),
            (
                LimitKind::ServiceIds,
                "service IDs",
                a.service_ids.len() as u64,
                count(Op::Create, "service_id."),
                count(Op::Delete, "delete.service_id."),
            ),
            (
                LimitKind::Policies,
                "access policies",
                a.policies.len() as u64,
                count(Op::Create, "policy."),
                count(Op::Delete, "delete.policy.") + policies_of_deleted,
            ),
        ];
        for (kind, noun, now, add, remove) in totals {
            let after = (now + add).saturating_sub(remove);
            let message = format!(
                "the account would hold {} {noun} after this plan ({} now, {} created, {} deleted)",
                thousands(after),
                thousands(now),
                thousands(add),
                thousands(remove)
            );
            self.limit(kind, after, message, self.allows.fallback);
        }
        self.per_group();
    }

    /// Dynamic rules and policies of each access group the policy declares:
    /// its own, and those of the live group that qpol does not manage.
    fn per_group(&mut self) {
        let d = self.d;
        for g in &d.access_groups {
            let live = self.account.access_groups.iter().find(|x| x.name == g.name);
            let extra_rules = live.map_or(0, |l| {
                if super::is_marked(l.description.as_deref()) {
                    0
                } else {
                    l.rules
                        .iter()
                        .filter(|r| !g.rules.iter().any(|w| w.name == r.name))
                        .count()
                }
            });
            let extra_policies = live.map_or(0, |l| {
                self.account
                    .policies
                    .iter()
                    .filter(|p| p.access_group_id == l.id && !self.seen.policies.contains(&p.id))
                    .filter(|p| !super::is_marked(p.description.as_deref()))
                    .count()
            });
            let span = self
                .allows
                .units
                .get(&g.name)
                .copied()
                .unwrap_or(self.allows.fallback);
            let rules = (g.rules.len() + extra_rules) as u64;
            let message = format!(
                "access group {} would hold {} dynamic rules after this plan",
                super::code(&g.name),
                thousands(rules)
            );
            self.limit(LimitKind::DynamicRulesPerGroup, rules, message, span);
            let policies = (g.policies.len() + extra_policies) as u64;
            let message = format!(
                "access group {} would hold {} access policies after this plan",
                super::code(&g.name),
                thousands(policies)
            );
            self.limit(LimitKind::PoliciesPerSubject, policies, message, span);
        }
    }

    fn limit(&mut self, kind: LimitKind, need: u64, message: String, span: Span) {
        let limit = self.allows.limit(kind);
        if need <= limit {
            return;
        }
        let info = kind.info();
        let help = if info.raisable {
            format!(
                "nothing was sent; IBM raises this limit on request (a support case); once raised, declare it: `account {{ limits {{ {} {}; }} }}`",
                info.name,
                need
            )
        } else {
            "nothing was sent; IBM does not raise this limit: remove objects the account no longer needs, or split the organization over several accounts of an IBM Cloud enterprise".to_string()
        };
        self.diagnostics.push(
            Diagnostic::new(
                Code::LimitExceeded,
                format!(
                    "{message}; IAM allows at most {} {}",
                    thousands(limit),
                    info.what
                ),
                Label::new(span, format!("past the limit of {}", thousands(limit))),
            )
            .with_help(help),
        );
    }
}
