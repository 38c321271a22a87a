//! The plan checked before anything is sent: unique ids, known
//! dependencies, every placeholder answered by a request's `yields` or by
//! `known`, every `yields` a JSONPath of the subset, no cycle; and each
//! request's dependencies by position.

use super::Values;
use crate::backends::ibm_api::text::literal;
use crate::live::error::{Error, Result};
use crate::live::jsonpath;
use crate::live::plan::Request;
use crate::live::template::{self, Ref};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The checked plan: dependencies by position.
pub(super) struct Prepared<'p> {
    pub requests: &'p [Request],
    pub needs: Vec<BTreeSet<usize>>,
    pub dependants: Vec<Vec<usize>>,
}

/// Checks the plan before anything is sent (see the module doc).
pub(super) fn prepare<'p>(requests: &'p [Request], known: &Values) -> Result<Prepared<'p>> {
    let mut position = BTreeMap::new();
    for (i, r) in requests.iter().enumerate() {
        if position.insert(r.id.as_str(), i).is_some() {
            return Err(plan_error(&r.id, "its id is used by another request too"));
        }
    }
    let mut needs = vec![BTreeSet::new(); requests.len()];
    for (i, r) in requests.iter().enumerate() {
        let Some(need) = needs.get_mut(i) else { break };
        for dep in &r.depends_on {
            match position.get(dep.as_str()) {
                Some(&j) => {
                    need.insert(j);
                }
                None if known.contains_key(dep) => {}
                None => {
                    return Err(plan_error(
                        &r.id,
                        &format!(
                        "it depends on `{dep}`, which is neither a request of the plan nor known"
                    ),
                    ))
                }
            }
        }
        for reference in request_refs(r).map_err(|e| plan_error(&r.id, &e))? {
            match position.get(reference.id.as_str()) {
                Some(&j) => {
                    let yields = requests.get(j).map(|d| &d.yields);
                    if !yields.is_some_and(|y| y.contains_key(&reference.field)) {
                        return Err(plan_error(&r.id, &format!(
                            "it uses `${{{}.{}}}`, but request `{}` yields no `{}`",
                            reference.id, reference.field, reference.id, reference.field
                        )));
                    }
                    need.insert(j);
                }
                None if known
                    .get(&reference.id)
                    .is_some_and(|f| f.contains_key(&reference.field)) => {}
                None => {
                    return Err(plan_error(&r.id, &format!(
                        "it uses `${{{}.{}}}`, which no request of the plan yields and the plan does not know; make the plan again with `qpol plan`",
                        reference.id, reference.field
                    )))
                }
            }
        }
        for (field, path) in &r.yields {
            jsonpath::check(&literal(path))
                .map_err(|e| plan_error(&r.id, &format!("yields `{field}`: {e}")))?;
        }
    }
    let mut dependants = vec![Vec::new(); requests.len()];
    for (i, need) in needs.iter().enumerate() {
        for &j in need {
            if let Some(d) = dependants.get_mut(j) {
                d.push(i);
            }
        }
    }
    check_acyclic(requests, &needs, &dependants)?;
    Ok(Prepared {
        requests,
        needs,
        dependants,
    })
}

pub(super) fn plan_error(id: &str, reason: &str) -> Error {
    Error::Plan {
        request: id.to_string(),
        reason: reason.to_string(),
    }
}

/// Every placeholder of a request's URL, headers and body.
fn request_refs(r: &Request) -> std::result::Result<Vec<Ref>, String> {
    let mut all = template::refs(&r.url)?;
    for value in r.headers.values() {
        all.extend(template::refs(value)?);
    }
    if let Some(body) = &r.body {
        body_refs(body, &mut all)?;
    }
    Ok(all)
}

fn body_refs(value: &Value, out: &mut Vec<Ref>) -> std::result::Result<(), String> {
    match value {
        Value::String(s) => out.extend(template::refs(s)?),
        Value::Array(items) => {
            for item in items {
                body_refs(item, out)?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                out.extend(template::refs(key)?);
                body_refs(item, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Kahn's algorithm: a request left over is on a cycle.
fn check_acyclic(
    requests: &[Request],
    needs: &[BTreeSet<usize>],
    dependants: &[Vec<usize>],
) -> Result<()> {
    let mut left: Vec<usize> = needs.iter().map(BTreeSet::len).collect();
    let mut queue: VecDeque<usize> = (0..needs.len())
        .filter(|&i| left.get(i) == Some(&0))
        .collect();
    let mut seen = 0;
    while let Some(i) = queue.pop_front() {
        seen += 1;
        for &d in dependants.get(i).into_iter().flatten() {
            if let Some(n) = left.get_mut(d) {
                *n -= 1;
                if *n == 0 {
                    queue.push_back(d);
                }
            }
        }
    }
    if seen == needs.len() {
        return Ok(());
    }
    let stuck = left
        .iter()
        .position(|&n| n > 0)
        .and_then(|i| requests.get(i))
        .map_or("?", |r| r.id.as_str());
    Err(plan_error(
        stuck,
        "it is on a cycle of dependencies; make the plan again with `qpol plan`",
    ))
}
