//! An index from attribute values to the dynamic rules that may admit them,
//! so membership is found without trying every rule on every user.
//!
//! Each rule is filed under one of its conditions: CONTAINS values (and the
//! delimited `,v,` of `has`) go into an Aho-Corasick automaton per claim,
//! found in a string attribute in one pass; EQUALS / IN values and list
//! elements into hash maps. Rules with no indexable condition are always
//! candidates. Candidates are then checked in full by `Access::rule_admits`.

use crate::model::Model;
use crate::model::{AttrValue, CondValue, Operator};
use aho_corasick::AhoCorasick;
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;

/// A rule's address: unit, member set, rule.
pub type RuleRef = (usize, usize, usize);

#[derive(Default)]
struct ClaimIndex {
    patterns: Vec<String>,
    pattern_rules: Vec<Vec<RuleRef>>,
    pattern_ids: HashMap<String, usize>,
    automaton: Option<AhoCorasick>,
    /// Exact values: EQUALS / IN on strings, CONTAINS on list elements.
    exact: HashMap<String, Vec<RuleRef>>,
}

#[derive(Default)]
pub struct RuleIndex {
    claims: BTreeMap<String, ClaimIndex>,
    always: Vec<RuleRef>,
}

impl RuleIndex {
    pub fn build(model: &Model) -> RuleIndex {
        let mut index = RuleIndex::default();
        for (u, unit) in model.units.iter().enumerate() {
            for (s, set) in unit.member_sets.iter().enumerate() {
                for (r, rule) in set.rules.iter().enumerate() {
                    index.file((u, s, r), rule);
                }
            }
        }
        for claim in index.claims.values_mut() {
            if !claim.patterns.is_empty() {
                claim.automaton = AhoCorasick::new(&claim.patterns).ok();
            }
        }
        index
    }

    fn file(&mut self, at: RuleRef, rule: &crate::model::DynamicRule) {
        for c in &rule.conditions {
            let values: Vec<&str> = match &c.value.value {
                CondValue::One(v) => vec![v.as_str()],
                CondValue::Many(vs) => vs.iter().map(|v| v.as_str()).collect(),
            };
            let claim = self.claims.entry(c.claim.value.to_string()).or_default();
            match c.operator {
                Operator::Contains | Operator::Has => {
                    for v in values {
                        let pattern = c.operator.iam_value(v).to_string();
                        claim.exact.entry(pattern.clone()).or_default().push(at);
                        let next = claim.patterns.len();
                        let id = *claim.pattern_ids.entry(pattern.clone()).or_insert(next);
                        if id == next {
                            claim.patterns.push(pattern);
                            claim.pattern_rules.push(Vec::new());
                        }
                        if let Some(rules) = claim.pattern_rules.get_mut(id) {
                            rules.push(at);
                        }
                    }
                    return;
                }
                Operator::Equals | Operator::In => {
                    for v in values {
                        claim.exact.entry(v.to_string()).or_default().push(at);
                    }
                    return;
                }
                _ => {}
            }
        }
        self.always.push(at);
    }

    /// Rules that may admit a user with these (written) attribute values.
    pub fn candidates<'a, V: std::ops::Deref<Target = AttrValue>>(
        &self,
        attributes: impl Iterator<Item = (&'a str, V)>,
    ) -> Vec<RuleRef> {
        let mut out = self.always.clone();
        for (claim, value) in attributes {
            let Some(index) = self.claims.get(claim) else {
                continue;
            };
            match &*value {
                AttrValue::Str(s) => {
                    if let Some(exact) = index.exact.get(s.as_str()) {
                        out.extend(exact);
                    }
                    if let Some(ac) = &index.automaton {
                        for m in ac.find_overlapping_iter(s.as_str()) {
                            if let Some(rules) = index.pattern_rules.get(m.pattern().as_usize()) {
                                out.extend(rules);
                            }
                        }
                    }
                }
                AttrValue::List(items) => {
                    for item in items {
                        if let Some(exact) = index.exact.get(item.as_str()) {
                            out.extend(exact);
                        }
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
