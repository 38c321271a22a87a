//! Nested groups: which access groups are written as `group`s of other
//! projects and groups rather than as flat projects.
//!
//! `compile` gives a `group` the policies of what it reaches (see
//! `backends::deployment::groups`): with a `role` of its own, that role on
//! every instance or resource group of the units under it; without one,
//! on each of them the roles of the units under it that scope it. An
//! access group is written as a `group` only when such a group of units
//! already imported compiles to exactly its live policies (so effective
//! access cannot change); otherwise it stays a flat project.
//!
//! Children are chosen among the units decided before it (units are
//! decided by the size of their reach, so a child never reaches more than
//! its parent and there is no cycle): the ones reaching most first, each
//! only if it adds a scope (or a role on one) and is not under a child
//! already chosen. A unit that reaches as much as the group is a child
//! only when the group carries qpol's description of a group (`Group
//! NAME`); an access group described `Project NAME` is never a group. Two
//! groups that reach the same: the first by name holds the next one.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

/// Where a policy gives its roles (instance or resource group name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Instance(String),
    ResourceGroup(String),
}

/// Scope -> the custom roles (qpol names) given on it.
pub type Grants = BTreeMap<Scope, BTreeSet<String>>;

/// What nesting needs to know of one imported access group.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub name: String,
    /// Its live description says what qpol writes for a group / a project.
    pub group_described: bool,
    pub project_described: bool,
    /// Its flat project form: the scopes and the role, if it has one.
    pub flat: Option<(BTreeSet<Scope>, String)>,
    /// Every policy it has, when no two share a scope.
    pub live: Option<Grants>,
    /// The checker refused it as a group in an earlier draft.
    pub refused: bool,
}

/// How an access group is written as a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupForm {
    /// Indices of the candidates it holds, by name.
    pub children: Vec<usize>,
    /// Its own role (`None`: its members get the roles of the units under it).
    pub role: Option<String>,
}

/// What a decided unit reaches, as `compile` sees it.
#[derive(Debug, Clone, Default)]
struct Reach {
    all: BTreeSet<Scope>,
    by_role: Grants,
}

impl Reach {
    fn flat(scopes: &BTreeSet<Scope>, role: &str) -> Reach {
        let one: BTreeSet<String> = [role.to_string()].into();
        Reach {
            all: scopes.clone(),
            by_role: scopes.iter().map(|s| (s.clone(), one.clone())).collect(),
        }
    }
}

/// The group form of each candidate that has one (by index).
pub fn shape(units: &[Candidate]) -> BTreeMap<usize, GroupForm> {
    let size = |u: &Candidate| {
        u.live
            .as_ref()
            .map(BTreeMap::len)
            .or_else(|| u.flat.as_ref().map(|(s, _)| s.len()))
            .unwrap_or(0)
    };
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|&i| {
        units
            .get(i)
            .map(|u| (size(u), u.group_described, Reverse(u.name.clone())))
    });
    let mut reach: Vec<Option<Reach>> = vec![None; units.len()];
    let mut below: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); units.len()];
    let mut forms = BTreeMap::new();
    for i in order {
        let Some(unit) = units.get(i) else { continue };
        let decided = match group_form(unit, &reach, &below) {
            Some((form, r)) => {
                let mut under = BTreeSet::new();
                for &c in &form.children {
                    under.insert(c);
                    under.extend(below.get(c).into_iter().flatten().copied());
                }
                if let Some(b) = below.get_mut(i) {
                    *b = under;
                }
                forms.insert(i, form);
                Some(r)
            }
            None => unit.flat.as_ref().map(|(s, role)| Reach::flat(s, role)),
        };
        if let Some(slot) = reach.get_mut(i) {
            *slot = decided;
        }
    }
    forms
}

/// The group form of `unit` among the units decided so far, and its reach.
fn group_form(
    unit: &Candidate,
    reach: &[Option<Reach>],
    below: &[BTreeSet<usize>],
) -> Option<(GroupForm, Reach)> {
    if unit.refused || unit.project_described {
        return None;
    }
    let live = unit.live.as_ref()?;
    let scopes: BTreeSet<Scope> = live.keys().cloned().collect();
    let mut candidates: Vec<(usize, &Reach)> = reach
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, r.as_ref()?)))
        .filter(|(_, r)| !r.all.is_empty() && r.all.is_subset(&scopes))
        .filter(|(_, r)| unit.group_described || r.all != scopes)
        .collect();
    candidates.sort_by_key(|(i, r)| {
        (
            Reverse(r.all.len()),
            Reverse(below.get(*i).map_or(0, BTreeSet::len)),
            *i,
        )
    });
    // Without a role of its own: the roles of the units under it.
    let fits = |r: &Reach| {
        r.by_role
            .iter()
            .all(|(s, roles)| live.get(s).is_some_and(|l| roles.is_subset(l)))
    };
    let inheriting: Vec<(usize, &Reach)> = candidates
        .iter()
        .copied()
        .filter(|(_, r)| fits(r))
        .collect();
    let (children, got) = choose(&inheriting, below, |r| &r.by_role);
    if !children.is_empty() && got.by_role == *live {
        let form = GroupForm {
            children,
            role: None,
        };
        return Some((form, got));
    }
    // With a role of its own: the same role on every scope it reaches.
    let roles: Vec<&BTreeSet<String>> =
        live.values().collect::<BTreeSet<_>>().into_iter().collect();
    let [only] = roles.as_slice() else {
        return None;
    };
    let names: Vec<&String> = only.iter().collect();
    let [role] = names.as_slice() else {
        return None;
    };
    let (children, got) = choose(&candidates, below, |r| &r.all);
    (!children.is_empty() && got.all == scopes).then(|| {
        let form = GroupForm {
            children,
            role: Some((*role).clone()),
        };
        (form, got)
    })
}

/// Greedily the candidates that add something `key` does not hold yet and
/// are not under one already chosen; their merged reach.
fn choose<K: SubsetOf>(
    candidates: &[(usize, &Reach)],
    below: &[BTreeSet<usize>],
    key: impl Fn(&Reach) -> &K,
) -> (Vec<usize>, Reach) {
    let mut got = Reach::default();
    let mut chosen: Vec<usize> = Vec::new();
    for (i, r) in candidates {
        let under_chosen = chosen
            .iter()
            .any(|c| below.get(*c).is_some_and(|b| b.contains(i)));
        if under_chosen || key(r).subset_of(key(&got)) {
            continue;
        }
        merge(&mut got, r);
        chosen.push(*i);
    }
    chosen.sort_unstable();
    (chosen, got)
}

fn merge(into: &mut Reach, other: &Reach) {
    into.all.extend(other.all.iter().cloned());
    for (s, roles) in &other.by_role {
        into.by_role
            .entry(s.clone())
            .or_default()
            .extend(roles.iter().cloned());
    }
}

/// Inclusion of scope sets and of grants (scope by scope).
trait SubsetOf {
    fn subset_of(&self, other: &Self) -> bool;
}

impl SubsetOf for BTreeSet<Scope> {
    fn subset_of(&self, other: &Self) -> bool {
        self.is_subset(other)
    }
}

impl SubsetOf for Grants {
    fn subset_of(&self, other: &Self) -> bool {
        self.iter()
            .all(|(s, roles)| other.get(s).is_some_and(|o| roles.is_subset(o)))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn scopes(names: &[&str]) -> BTreeSet<Scope> {
        names
            .iter()
            .map(|n| Scope::Instance(n.to_string()))
            .collect()
    }

    fn project(name: &str, instances: &[&str], role: &str) -> Candidate {
        let s = scopes(instances);
        Candidate {
            name: name.into(),
            group_described: false,
            project_described: true,
            live: Some(Reach::flat(&s, role).by_role),
            flat: Some((s, role.into())),
            refused: false,
        }
    }

    fn group(name: &str, grants: &[(&str, &[&str])]) -> Candidate {
        let live: Grants = grants
            .iter()
            .map(|(i, roles)| {
                let roles = roles.iter().map(|r| r.to_string()).collect();
                (Scope::Instance(i.to_string()), roles)
            })
            .collect();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, roles) in grants {
            for r in *roles {
                *counts.entry(r).or_default() += 1;
            }
        }
        let role = counts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(r, _)| r.to_string());
        Candidate {
            name: name.into(),
            group_described: true,
            project_described: false,
            flat: role.map(|r| (live.keys().cloned().collect(), r)),
            live: Some(live),
            refused: false,
        }
    }

    #[test]
    fn two_levels_come_back_and_inexact_groups_stay_flat() {
        let units = vec![
            project("ml", &["QR-ml", "QR-common"], "writer"),
            project("finance", &["QR-finance", "QR-common"], "reader"),
            // Inherits: writer and reader on the shared instance.
            group(
                "research",
                &[
                    ("QR-ml", &["writer"]),
                    ("QR-finance", &["reader"]),
                    ("QR-common", &["reader", "writer"]),
                ],
            ),
            // Its own role on the same instances: `groups research`.
            group(
                "lab",
                &[
                    ("QR-ml", &["admin"]),
                    ("QR-finance", &["admin"]),
                    ("QR-common", &["admin"]),
                ],
            ),
            // One instance more than any unit reaches: flat.
            group("odd", &[("QR-ml", &["writer"]), ("QR-x", &["writer"])]),
            // The shared instance without reader: no exact group.
            group(
                "partial",
                &[
                    ("QR-ml", &["writer"]),
                    ("QR-finance", &["reader"]),
                    ("QR-common", &["writer"]),
                ],
            ),
        ];
        let forms = shape(&units);
        assert_eq!(
            forms.get(&2),
            Some(&GroupForm {
                children: vec![0, 1],
                role: None
            })
        );
        assert_eq!(
            forms.get(&3),
            Some(&GroupForm {
                children: vec![2],
                role: Some("admin".into())
            })
        );
        assert_eq!(forms.len(), 2, "{forms:?}");
    }

    #[test]
    fn a_project_described_as_one_or_refused_stays_flat() {
        let mut units = vec![
            project("ml", &["QR-ml"], "writer"),
            project("ml-too", &["QR-ml", "QR-x"], "writer"),
            project("x", &["QR-x"], "writer"),
        ];
        assert!(shape(&units).is_empty());
        units[1].project_described = false;
        assert_eq!(
            shape(&units).get(&1).map(|f| f.children.clone()),
            Some(vec![0, 2])
        );
        units[1].refused = true;
        assert!(shape(&units).is_empty());
    }

    #[test]
    fn equal_reach_nests_only_under_a_group_description() {
        let mut units = vec![
            project("ml", &["QR-ml"], "writer"),
            group("team", &[("QR-ml", &["writer"])]),
        ];
        assert_eq!(
            shape(&units).get(&1).map(|f| f.children.clone()),
            Some(vec![0])
        );
        units[1].group_described = false;
        assert!(shape(&units).is_empty());
    }
}
