//! The order the plan lists its requests in: each after every request it
//! depends on (Kahn's algorithm), and among those ready at one time the
//! smallest id first, so the file is byte-identical from run to run.

use super::Request;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Positions into `requests`, in dependency order. Every request appears
/// exactly once, even if (against the builder's invariant) some formed a
/// cycle: those come last, in build order, rather than vanish.
pub(super) fn dependency_order(requests: &[Request<'_>]) -> Vec<u32> {
    let count = requests.len();
    // Dependents of each request, in one flat array (offsets per request).
    let mut offsets = vec![0usize; count + 1];
    for r in requests {
        for &dep in &r.depends_on {
            if let Some(slot) = offsets.get_mut(dep as usize + 1) {
                *slot += 1;
            }
        }
    }
    for i in 0..count {
        let before = offsets.get(i).copied().unwrap_or(0);
        if let Some(slot) = offsets.get_mut(i + 1) {
            *slot += before;
        }
    }
    let mut fill = offsets.clone();
    let mut dependents = vec![0u32; offsets.get(count).copied().unwrap_or(0)];
    let mut waiting_on = vec![0u32; count];
    for (index, r) in requests.iter().enumerate() {
        for &dep in &r.depends_on {
            let Some(at) = fill.get_mut(dep as usize) else {
                continue;
            };
            if let Some(slot) = dependents.get_mut(*at) {
                *slot = index as u32;
                *at += 1;
                if let Some(n) = waiting_on.get_mut(index) {
                    *n += 1;
                }
            }
        }
    }

    let mut ready: BinaryHeap<Reverse<(&str, u32)>> = requests
        .iter()
        .enumerate()
        .filter(|(i, _)| waiting_on.get(*i) == Some(&0))
        .map(|(i, r)| Reverse((r.id.as_str(), i as u32)))
        .collect();
    let mut order = Vec::with_capacity(count);
    let mut placed = vec![false; count];
    while let Some(Reverse((_, index))) = ready.pop() {
        order.push(index);
        if let Some(p) = placed.get_mut(index as usize) {
            *p = true;
        }
        let from = offsets.get(index as usize).copied().unwrap_or(0);
        let to = offsets.get(index as usize + 1).copied().unwrap_or(from);
        for &next in dependents.get(from..to).unwrap_or(&[]) {
            if let Some(n) = waiting_on.get_mut(next as usize) {
                *n -= 1;
                if *n == 0 {
                    if let Some(r) = requests.get(next as usize) {
                        ready.push(Reverse((r.id.as_str(), next)));
                    }
                }
            }
        }
    }
    order.extend(
        placed
            .iter()
            .enumerate()
            .filter(|(_, p)| !**p)
            .map(|(i, _)| i as u32),
    );
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: &str, depends_on: &[u32]) -> Request<'static> {
        Request {
            id: id.into(),
            method: "GET",
            url: String::new(),
            headers: &[],
            body: None,
            depends_on: depends_on.to_vec(),
            yields: Vec::new(),
        }
    }

    fn ids(requests: &[Request<'_>]) -> Vec<String> {
        dependency_order(requests)
            .into_iter()
            .filter_map(|i| requests.get(i as usize))
            .map(|r| r.id.clone())
            .collect()
    }

    #[test]
    fn dependencies_first_then_smallest_id() {
        // c needs b, b needs a; d and e are free: ready ones go by id.
        let requests = [
            request("b", &[2]),
            request("c", &[0]),
            request("a", &[]),
            request("e", &[]),
            request("d", &[]),
        ];
        assert_eq!(ids(&requests), ["a", "b", "c", "d", "e"]);
        let requests = [request("z", &[]), request("a", &[0])];
        assert_eq!(ids(&requests), ["z", "a"]);
    }

    #[test]
    fn a_cycle_keeps_every_request() {
        let requests = [request("x", &[1]), request("y", &[0]), request("w", &[])];
        assert_eq!(ids(&requests), ["w", "x", "y"]);
    }
}
