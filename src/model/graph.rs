//! The policy as a petgraph graph: groups contain groups and projects,
//! projects and groups scope instances and resource groups, resource groups
//! hold instances. Cycle, reachability and access queries walk it.

use super::{InstanceId, Model, RgId, UnitId, UnitKind};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, EdgeFiltered, EdgeRef};
use petgraph::Direction;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Unit(UnitId),
    Instance(InstanceId),
    ResourceGroup(RgId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// group -> project or group
    Contains,
    /// project or group -> instance or resource group
    Scopes,
    /// resource group -> instance
    Holds,
}

pub struct Graph {
    pub graph: DiGraph<Node, Edge>,
    units: Vec<NodeIndex>,
    instances: Vec<NodeIndex>,
}

impl Graph {
    pub fn build(model: &Model) -> Graph {
        let mut graph = DiGraph::with_capacity(
            model.units.len() + model.instances.len() + model.resource_groups.len(),
            model.units.len() * 3 + model.instances.len(),
        );
        let units: Vec<NodeIndex> = (0..model.units.len())
            .map(|i| graph.add_node(Node::Unit(i)))
            .collect();
        let instances: Vec<NodeIndex> = (0..model.instances.len())
            .map(|i| graph.add_node(Node::Instance(i)))
            .collect();
        let rgs: Vec<NodeIndex> = (0..model.resource_groups.len())
            .map(|i| graph.add_node(Node::ResourceGroup(i)))
            .collect();
        for (i, instance) in model.instances.iter().enumerate() {
            if let (Some(rg), Some(&node)) = (&instance.resource_group, instances.get(i)) {
                if let Some(&rg_node) = rgs.get(rg.value) {
                    graph.add_edge(rg_node, node, Edge::Holds);
                }
            }
        }
        for (i, unit) in model.units.iter().enumerate() {
            let Some(&from) = units.get(i) else { continue };
            for child in unit.projects.iter().chain(&unit.groups) {
                if let Some(&to) = units.get(child.value) {
                    graph.add_edge(from, to, Edge::Contains);
                }
            }
            for instance in &unit.instances {
                if let Some(&to) = instances.get(instance.value) {
                    graph.add_edge(from, to, Edge::Scopes);
                }
            }
            for rg in &unit.resource_groups {
                if let Some(&to) = rgs.get(rg.value) {
                    graph.add_edge(from, to, Edge::Scopes);
                }
            }
        }
        Graph {
            graph,
            units,
            instances,
        }
    }

    /// Every cycle of groups, each as the list of groups in order (one per
    /// strongly connected component), sorted.
    pub fn group_cycles(&self) -> Vec<Vec<UnitId>> {
        let contains = EdgeFiltered::from_fn(&self.graph, |e| *e.weight() == Edge::Contains);
        let mut cycles = Vec::new();
        for component in petgraph::algo::kosaraju_scc(&contains) {
            let members: BTreeSet<NodeIndex> = component.iter().copied().collect();
            let Some(&start) = members.iter().min_by_key(|n| self.unit_of(**n)) else {
                continue;
            };
            let self_loop = self.graph.edges_connecting(start, start).next().is_some();
            if members.len() < 2 && !self_loop {
                continue;
            }
            cycles.push(self.cycle_through(start, &members));
        }
        cycles.sort();
        cycles
    }

    /// A cycle inside one strongly connected component, from `start` back to it.
    fn cycle_through(&self, start: NodeIndex, component: &BTreeSet<NodeIndex>) -> Vec<UnitId> {
        // Depth-first search for a path back to `start`, smallest unit first.
        let mut path = vec![start];
        let mut visited = BTreeSet::from([start]);
        let mut stack = vec![self.next_in(start, component)];
        while let Some(candidates) = stack.last_mut() {
            let Some(next) = candidates.pop() else {
                stack.pop();
                path.pop();
                continue;
            };
            if next == start {
                break;
            }
            if visited.insert(next) {
                path.push(next);
                stack.push(self.next_in(next, component));
            }
        }
        path.iter().filter_map(|n| self.unit_of(*n)).collect()
    }

    /// Successors inside the component, ordered so `pop` yields the smallest.
    fn next_in(&self, node: NodeIndex, component: &BTreeSet<NodeIndex>) -> Vec<NodeIndex> {
        let mut next: Vec<NodeIndex> = self
            .graph
            .edges_directed(node, Direction::Outgoing)
            .filter(|e| *e.weight() == Edge::Contains && component.contains(&e.target()))
            .map(|e| e.target())
            .collect();
        next.sort_by_key(|n| std::cmp::Reverse(self.unit_of(*n)));
        next.dedup();
        next
    }

    fn unit_of(&self, node: NodeIndex) -> Option<UnitId> {
        match self.graph.node_weight(node) {
            Some(Node::Unit(u)) => Some(*u),
            _ => None,
        }
    }

    /// Projects and groups a unit contains, itself included, transitively.
    pub fn descendants(&self, unit: UnitId) -> Vec<UnitId> {
        let Some(&start) = self.units.get(unit) else {
            return Vec::new();
        };
        let contains = EdgeFiltered::from_fn(&self.graph, |e| *e.weight() == Edge::Contains);
        let mut dfs = Dfs::new(&contains, start);
        let mut out = Vec::new();
        while let Some(node) = dfs.next(&contains) {
            out.extend(self.unit_of(node));
        }
        out.sort_unstable();
        out
    }

    /// Projects and groups in strongly connected components of `Contains`
    /// (one unit each unless groups form a cycle, Q211), every component
    /// after the components it contains: a bottom-up order in which what a
    /// group reaches is the union of what its children reach, computed once.
    pub fn units_bottom_up(&self) -> Vec<Vec<UnitId>> {
        let contains = EdgeFiltered::from_fn(&self.graph, |e| *e.weight() == Edge::Contains);
        petgraph::algo::kosaraju_scc(&contains)
            .into_iter()
            .map(|component| {
                let mut units: Vec<UnitId> =
                    component.iter().filter_map(|n| self.unit_of(*n)).collect();
                units.sort_unstable();
                units
            })
            .filter(|units| !units.is_empty())
            .collect()
    }

    /// The projects and groups a unit contains directly.
    pub fn children(&self, unit: UnitId) -> Vec<UnitId> {
        let Some(&node) = self.units.get(unit) else {
            return Vec::new();
        };
        self.graph
            .edges_directed(node, Direction::Outgoing)
            .filter(|e| *e.weight() == Edge::Contains)
            .filter_map(|e| self.unit_of(e.target()))
            .collect()
    }

    /// Groups that contain a unit, itself included, transitively.
    pub fn ancestors(&self, unit: UnitId) -> Vec<UnitId> {
        let Some(&start) = self.units.get(unit) else {
            return Vec::new();
        };
        let reversed = petgraph::visit::Reversed(&self.graph);
        let mut dfs = Dfs::new(reversed, start);
        let mut out = Vec::new();
        while let Some(node) = dfs.next(reversed) {
            out.extend(self.unit_of(node));
        }
        out.sort_unstable();
        out
    }

    /// Is any unit scoping the instance, directly or through its resource group?
    pub fn instance_is_scoped(&self, instance: InstanceId) -> bool {
        let Some(&node) = self.instances.get(instance) else {
            return false;
        };
        self.graph
            .edges_directed(node, Direction::Incoming)
            .any(|e| match self.graph.node_weight(e.source()) {
                Some(Node::Unit(_)) => true,
                Some(Node::ResourceGroup(_)) => self
                    .graph
                    .edges_directed(e.source(), Direction::Incoming)
                    .next()
                    .is_some(),
                _ => false,
            })
    }
}

/// Projects a group reaches (through nested groups), or the project itself.
pub fn projects_under(model: &Model, graph: &Graph, unit: UnitId) -> Vec<UnitId> {
    graph
        .descendants(unit)
        .into_iter()
        .filter(|u| {
            model
                .units
                .get(*u)
                .is_some_and(|x| x.kind == UnitKind::Project)
        })
        .collect()
}
