//! `qpol graph`'s picture of a policy: who gets what, and through what.
//!
//! Nodes are the identity providers, their dynamic rules (labelled with the
//! condition text), declared users and service IDs (and members named only
//! by email or IAM id), projects, groups, roles, instances and the resource
//! groups projects scope. Edges follow access: `user -> rule` (matches),
//! `rule -> project` (admits), `user -> project` (member), `group ->
//! project` (includes), `project -> role`, `project -> instance` (the role
//! and its number of actions). Nothing here checks anything: memberships
//! come from [`Access`], and what is drawn red comes from the analysis's
//! findings (Q201: a rule that also admits another project's users; Q211:
//! groups in a cycle). [`render`] writes the picture as DOT or Mermaid,
//! streaming the edges, so a 20,000-project organization is never held as
//! a second graph.

mod focus;
pub mod render;

use crate::access::{Access, Via};
use crate::diag::{Code, Diagnostic, Entity, Span};
use crate::model::{MemberRef, Model, RoleId, UnitId, UnitKind};
use crate::pipeline::Analysis;
use crate::text::Text;
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};

pub use focus::{FocusError, NODE_KINDS};

/// One node of the picture, by its index in the model's list of its kind
/// (rules by their position among every rule, literals among the members
/// named by email or IAM id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Idp(usize),
    Rule(usize),
    User(usize),
    ServiceId(usize),
    Literal(usize),
    Unit(UnitId),
    Role(RoleId),
    Instance(usize),
    ResourceGroup(usize),
}

/// What an edge says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// idp -> rule: the identity provider whose users the rule tests.
    RuleOf,
    /// rule -> the project or group it adds members to.
    Admits,
    /// rule -> a project or group whose users it admits too (Q201).
    AlsoAdmits,
    /// user -> rule: the user's attributes satisfy it.
    Matches,
    /// user, service ID or literal -> project or group: a static member.
    Member,
    /// group -> project or group.
    Includes,
    /// project or group -> role: what its members get.
    Grants,
    /// project or group -> instance or resource group: its scope.
    Scopes,
    /// resource group -> instance.
    Holds,
}

/// How an edge or a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    Plain,
    /// A finding: an overlap (Q201) or a cycle (Q211).
    Finding,
    /// A finding acknowledged by an `allow` statement: drawn dashed.
    Acknowledged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: Node,
    pub to: Node,
    pub relation: Relation,
    pub mark: Mark,
}

/// A policy's picture: the model and its access index, the rules and
/// literal members numbered, and the findings to draw red.
pub struct Picture<'a> {
    pub(crate) access: Access<'a>,
    /// Every dynamic rule: (unit, member set, rule).
    pub(crate) rules: Vec<(UnitId, usize, usize)>,
    /// Index in `rules` of each unit's first rule, per member set.
    rule_base: Vec<Vec<usize>>,
    /// Members named by email or IAM id, in order of first appearance.
    pub(crate) literals: Vec<Text>,
    literal_ids: HashMap<Text, usize>,
    /// Q201: rule -> the units it admits too.
    overlaps: BTreeMap<usize, BTreeMap<UnitId, Mark>>,
    /// Q211: `groups` entries that close a cycle, (group, child).
    cycle_edges: BTreeSet<(UnitId, UnitId)>,
    /// The groups of those entries.
    cycle_units: BTreeSet<UnitId>,
    /// Roles drawn: declared ones, and presets some unit uses.
    roles_shown: Vec<bool>,
    /// Resource groups some unit scopes.
    rgs_shown: Vec<bool>,
}

impl<'a> Picture<'a> {
    pub fn new(analysis: &'a Analysis) -> Picture<'a> {
        let access = analysis.access();
        let model = access.model;
        let mut rules = Vec::new();
        let mut rule_base = Vec::with_capacity(model.units.len());
        let mut literals = Vec::new();
        let mut literal_ids: HashMap<Text, usize> = HashMap::default();
        for (u, unit) in model.units.iter().enumerate() {
            let mut bases = Vec::with_capacity(unit.member_sets.len());
            for (s, set) in unit.member_sets.iter().enumerate() {
                bases.push(rules.len());
                rules.extend((0..set.rules.len()).map(|r| (u, s, r)));
                for member in set.users.iter().chain(&set.service_ids) {
                    if let MemberRef::Literal(text) = member {
                        if !literal_ids.contains_key(text) {
                            literal_ids.insert(text.clone(), literals.len());
                            literals.push(text.clone());
                        }
                    }
                }
            }
            rule_base.push(bases);
        }
        let mut roles_shown: Vec<bool> = model.roles.iter().map(|r| !r.preset).collect();
        let mut rgs_shown = vec![false; model.resource_groups.len()];
        for unit in &model.units {
            let sets = unit.member_sets.iter().filter_map(|s| s.role.as_ref());
            for role in unit.role.iter().chain(sets) {
                if let Some(shown) = roles_shown.get_mut(role.value) {
                    *shown = true;
                }
            }
            for rg in &unit.resource_groups {
                if let Some(shown) = rgs_shown.get_mut(rg.value) {
                    *shown = true;
                }
            }
        }
        let mut picture = Picture {
            access,
            rules,
            rule_base,
            literals,
            literal_ids,
            overlaps: BTreeMap::new(),
            cycle_edges: BTreeSet::new(),
            cycle_units: BTreeSet::new(),
            roles_shown,
            rgs_shown,
        };
        picture.mark_findings(&analysis.diagnostics);
        picture
    }

    pub fn model(&self) -> &'a Model {
        self.access.model
    }

    /// What the findings say to draw red: the rule of each Q201 (found by
    /// the span of its condition value) with the units it admits, and the
    /// `groups` entries each Q211 labels.
    fn mark_findings(&mut self, diagnostics: &[Diagnostic]) {
        let model = self.access.model;
        let mark = |d: &Diagnostic| {
            if d.suppressed.is_some() {
                Mark::Acknowledged
            } else {
                Mark::Finding
            }
        };
        if diagnostics.iter().any(|d| d.code == Code::OverlappingRule) {
            let mut by_value: HashMap<Span, usize> = HashMap::default();
            for (id, &(u, s, r)) in self.rules.iter().enumerate() {
                for c in self.rule(u, s, r).iter().flat_map(|r| &r.conditions) {
                    by_value.insert(c.value.span, id);
                }
            }
            for d in diagnostics
                .iter()
                .filter(|d| d.code == Code::OverlappingRule)
            {
                let Some(&rule) = by_value.get(&d.primary.span) else {
                    continue;
                };
                for entity in &d.admitted {
                    if let Entity::Unit(unit) = entity {
                        let slot = self.overlaps.entry(rule).or_default();
                        let old = slot.get(unit).copied().unwrap_or(Mark::Acknowledged);
                        // An unacknowledged finding wins over an acknowledged one.
                        slot.insert(*unit, old.min(mark(d)));
                    }
                }
            }
        }
        if diagnostics.iter().any(|d| d.code == Code::CyclicGroup) {
            let mut entries: HashMap<Span, (UnitId, UnitId)> = HashMap::default();
            for (u, unit) in model.units.iter().enumerate() {
                for child in &unit.groups {
                    entries.insert(child.span, (u, child.value));
                }
            }
            for d in diagnostics.iter().filter(|d| d.code == Code::CyclicGroup) {
                for label in std::iter::once(&d.primary).chain(&d.secondary) {
                    if let Some(&(from, to)) = entries.get(&label.span) {
                        self.cycle_edges.insert((from, to));
                        self.cycle_units.extend([from, to]);
                    }
                }
            }
        }
    }

    pub(crate) fn rule(
        &self,
        u: UnitId,
        s: usize,
        r: usize,
    ) -> Option<&'a crate::model::DynamicRule> {
        let model = self.access.model;
        model
            .units
            .get(u)
            .and_then(|unit| unit.member_sets.get(s))
            .and_then(|set| set.rules.get(r))
    }

    fn rule_id(&self, u: UnitId, s: usize, r: usize) -> Option<usize> {
        self.rule_base
            .get(u)
            .and_then(|b| b.get(s))
            .map(|base| base + r)
    }

    /// Every node, in a fixed order: kind by kind, each in model order.
    pub fn nodes(&self) -> impl Iterator<Item = Node> + '_ {
        let model = self.access.model;
        (0..model.idps.len())
            .map(Node::Idp)
            .chain((0..self.rules.len()).map(Node::Rule))
            .chain((0..model.users.len()).map(Node::User))
            .chain((0..model.service_ids.len()).map(Node::ServiceId))
            .chain((0..self.literals.len()).map(Node::Literal))
            .chain((0..model.units.len()).map(Node::Unit))
            .chain(shown(&self.roles_shown).map(Node::Role))
            .chain((0..model.instances.len()).map(Node::Instance))
            .chain(shown(&self.rgs_shown).map(Node::ResourceGroup))
    }

    /// How a node is drawn: red when it takes part in a finding.
    pub fn node_mark(&self, node: Node) -> Mark {
        match node {
            Node::Rule(r) => self
                .overlaps
                .get(&r)
                .and_then(|units| units.values().min().copied())
                .unwrap_or(Mark::Plain),
            Node::Unit(u) if self.cycle_units.contains(&u) => Mark::Finding,
            _ => Mark::Plain,
        }
    }

    /// Every edge, in a fixed order, handed to `emit` one at a time.
    pub fn edges(&self, emit: &mut dyn FnMut(Edge)) {
        let model = self.access.model;
        let mut edge = |from, to, relation, mark| {
            emit(Edge {
                from,
                to,
                relation,
                mark,
            })
        };
        for (id, &(u, s, r)) in self.rules.iter().enumerate() {
            if let Some(idp) = self.rule(u, s, r).and_then(|r| r.idp) {
                edge(
                    Node::Idp(idp),
                    Node::Rule(id),
                    Relation::RuleOf,
                    Mark::Plain,
                );
            }
            edge(Node::Rule(id), Node::Unit(u), Relation::Admits, Mark::Plain);
            for (unit, mark) in self.overlaps.get(&id).into_iter().flatten() {
                edge(
                    Node::Rule(id),
                    Node::Unit(*unit),
                    Relation::AlsoAdmits,
                    *mark,
                );
            }
        }
        for user in 0..model.users.len() {
            for m in self.access.rule_memberships(user) {
                if let (Via::Rule(r), Some(rule)) = (&m.via, self.rule_id(m.unit, m.set, 0)) {
                    let rule = Node::Rule(rule + r);
                    edge(Node::User(user), rule, Relation::Matches, Mark::Plain);
                }
            }
        }
        for (u, unit) in model.units.iter().enumerate() {
            let mut members = BTreeSet::new();
            for set in &unit.member_sets {
                for m in &set.users {
                    members.insert(match m {
                        MemberRef::Declared(user) => Node::User(*user),
                        MemberRef::Literal(l) => self.literal(l),
                    });
                }
                for m in &set.service_ids {
                    members.insert(match m {
                        MemberRef::Declared(sid) => Node::ServiceId(*sid),
                        MemberRef::Literal(l) => self.literal(l),
                    });
                }
            }
            for member in members {
                edge(member, Node::Unit(u), Relation::Member, Mark::Plain);
            }
        }
        for (u, unit) in model.units.iter().enumerate() {
            for child in unit.projects.iter().chain(&unit.groups) {
                let mark = if self.cycle_edges.contains(&(u, child.value)) {
                    Mark::Finding
                } else {
                    Mark::Plain
                };
                edge(
                    Node::Unit(u),
                    Node::Unit(child.value),
                    Relation::Includes,
                    mark,
                );
            }
            for role in self.unit_roles(u) {
                edge(
                    Node::Unit(u),
                    Node::Role(role),
                    Relation::Grants,
                    Mark::Plain,
                );
            }
            for instance in &unit.instances {
                let to = Node::Instance(instance.value);
                edge(Node::Unit(u), to, Relation::Scopes, Mark::Plain);
            }
            for rg in &unit.resource_groups {
                let to = Node::ResourceGroup(rg.value);
                edge(Node::Unit(u), to, Relation::Scopes, Mark::Plain);
            }
        }
        for (i, instance) in model.instances.iter().enumerate() {
            if let Some(rg) = &instance.resource_group {
                if self.rgs_shown.get(rg.value).copied().unwrap_or(false) {
                    let from = Node::ResourceGroup(rg.value);
                    edge(from, Node::Instance(i), Relation::Holds, Mark::Plain);
                }
            }
        }
    }

    fn literal(&self, text: &Text) -> Node {
        Node::Literal(self.literal_ids.get(text).copied().unwrap_or_default())
    }

    /// The roles a unit's members get, in role order: each member set's
    /// own, else the unit's.
    pub fn unit_roles(&self, unit: UnitId) -> Vec<RoleId> {
        let Some(unit) = self.access.model.units.get(unit) else {
            return Vec::new();
        };
        let mut roles: Vec<RoleId> = unit
            .member_sets
            .iter()
            .filter_map(|s| unit.role_of(s))
            .chain(unit.role.as_ref().map(|r| r.value))
            .collect();
        roles.sort_unstable();
        roles.dedup();
        roles
    }

    /// A node's position among all nodes, kinds in the order of [`Picture::nodes`].
    pub fn dense(&self, node: Node) -> usize {
        let model = self.access.model;
        let counts = [
            model.idps.len(),
            self.rules.len(),
            model.users.len(),
            model.service_ids.len(),
            self.literals.len(),
            model.units.len(),
            model.roles.len(),
            model.instances.len(),
        ];
        let (before, i) = match node {
            Node::Idp(i) => (0, i),
            Node::Rule(i) => (1, i),
            Node::User(i) => (2, i),
            Node::ServiceId(i) => (3, i),
            Node::Literal(i) => (4, i),
            Node::Unit(i) => (5, i),
            Node::Role(i) => (6, i),
            Node::Instance(i) => (7, i),
            Node::ResourceGroup(i) => (8, i),
        };
        counts.iter().take(before).sum::<usize>() + i
    }

    /// How many dense positions there are (see [`Picture::dense`]).
    pub fn dense_len(&self) -> usize {
        let model = self.access.model;
        self.dense(Node::ResourceGroup(model.resource_groups.len()))
    }

    /// A node's name, as `--focus` matches it (rules have none).
    pub fn name(&self, node: Node) -> Option<&str> {
        let model = self.access.model;
        let name = match node {
            Node::Idp(i) => &model.idps.get(i)?.name.value,
            Node::Rule(_) => return None,
            Node::User(i) => &model.users.get(i)?.name.value,
            Node::ServiceId(i) => &model.service_ids.get(i)?.name.value,
            Node::Literal(i) => self.literals.get(i)?,
            Node::Unit(i) => &model.units.get(i)?.name.value,
            Node::Role(i) => &model.roles.get(i)?.name.value,
            Node::Instance(i) => &model.instances.get(i)?.name.value,
            Node::ResourceGroup(i) => &model.resource_groups.get(i)?.name.value,
        };
        Some(name.as_str())
    }

    /// The word `--focus KIND:NAME` and labels use for a node's kind.
    pub fn kind(&self, node: Node) -> &'static str {
        match node {
            Node::Idp(_) => "idp",
            Node::Rule(_) => "rule",
            Node::User(_) | Node::Literal(_) => "user",
            Node::ServiceId(_) => "service_id",
            Node::Unit(u) => self
                .access
                .model
                .units
                .get(u)
                .map_or("project", |u| u.kind.word()),
            Node::Role(_) => "role",
            Node::Instance(_) => "instance",
            Node::ResourceGroup(_) => "resource_group",
        }
    }

    /// Is this unit a group (drawn differently from a project)?
    pub fn is_group(&self, unit: UnitId) -> bool {
        self.access
            .model
            .units
            .get(unit)
            .is_some_and(|u| u.kind == UnitKind::Group)
    }
}

/// The positions holding `true`.
fn shown(flags: &[bool]) -> impl Iterator<Item = usize> + '_ {
    flags
        .iter()
        .enumerate()
        .filter(|(_, s)| **s)
        .map(|(i, _)| i)
}
