//! Which patterns occur in a text, each reported once: an Aho-Corasick
//! automaton over bytes whose output links are marked per text, so a scan
//! costs the text's length plus the number of distinct patterns found,
//! not the number of (overlapping) occurrences. Nested values such as
//! `a`, `aa`, `aaa`, ... occur O(n²) times in a text of length n, but
//! only n of them are distinct.

use rustc_hash::FxHashMap as HashMap;

const NONE: u32 = u32::MAX;

/// A set of patterns, and the scanner that finds which of them a text holds.
pub struct Substrings {
    /// `(state, byte) -> state`.
    next: HashMap<(u32, u8), u32>,
    /// Longest proper suffix state of each state.
    fail: Vec<u32>,
    /// Nearest state on the fail chain (itself excluded) that ends a pattern.
    output: Vec<u32>,
    /// The patterns ending at each state (empty for most).
    ends: Vec<Vec<usize>>,
    /// The text that last reported each state (see [`Substrings::distinct_in`]).
    seen: Vec<u32>,
    stamp: u32,
}

impl Substrings {
    /// An automaton over `patterns` (empty patterns are ignored); pattern ids
    /// are their positions.
    pub fn new<'p>(patterns: impl IntoIterator<Item = &'p str>) -> Substrings {
        let mut next: HashMap<(u32, u8), u32> = HashMap::default();
        let mut ends: Vec<Vec<usize>> = vec![Vec::new()];
        let mut children: Vec<Vec<(u8, u32)>> = vec![Vec::new()];
        for (id, pattern) in patterns.into_iter().enumerate() {
            if pattern.is_empty() {
                continue;
            }
            let mut state = 0u32;
            for &b in pattern.as_bytes() {
                state = match next.get(&(state, b)) {
                    Some(s) => *s,
                    None => {
                        let s = ends.len() as u32;
                        ends.push(Vec::new());
                        children.push(Vec::new());
                        next.insert((state, b), s);
                        if let Some(c) = children.get_mut(state as usize) {
                            c.push((b, s));
                        }
                        s
                    }
                };
            }
            if let Some(e) = ends.get_mut(state as usize) {
                e.push(id);
            }
        }
        let states = ends.len();
        let mut fail = vec![0u32; states];
        let mut output = vec![NONE; states];
        // Breadth first: a state's fail link is known before its children's.
        let mut queue = std::collections::VecDeque::new();
        for &(_, s) in children.first().map_or(&[][..], |c| c.as_slice()) {
            queue.push_back(s);
        }
        while let Some(state) = queue.pop_front() {
            let kids = children.get(state as usize).cloned().unwrap_or_default();
            for (b, child) in kids {
                let mut f = fail.get(state as usize).copied().unwrap_or(0);
                let target = loop {
                    if let Some(t) = next.get(&(f, b)) {
                        if *t != child {
                            break *t;
                        }
                    }
                    if f == 0 {
                        break 0;
                    }
                    f = fail.get(f as usize).copied().unwrap_or(0);
                };
                if let Some(slot) = fail.get_mut(child as usize) {
                    *slot = target;
                }
                let ends_here = ends.get(target as usize).is_some_and(|e| !e.is_empty());
                let inherited = output.get(target as usize).copied().unwrap_or(NONE);
                if let Some(slot) = output.get_mut(child as usize) {
                    *slot = if ends_here { target } else { inherited };
                }
                queue.push_back(child);
            }
        }
        Substrings {
            next,
            fail,
            output,
            ends,
            seen: vec![0; states],
            stamp: 0,
        }
    }

    /// Calls `found` once for each pattern that occurs in `text`.
    pub fn distinct_in(&mut self, text: &str, mut found: impl FnMut(usize)) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.stamp = 1;
        }
        let mut state = 0u32;
        for &b in text.as_bytes() {
            loop {
                if let Some(s) = self.next.get(&(state, b)) {
                    state = *s;
                    break;
                }
                if state == 0 {
                    break;
                }
                state = self.fail.get(state as usize).copied().unwrap_or(0);
            }
            let mut t = if self.ends.get(state as usize).is_some_and(|e| !e.is_empty()) {
                state
            } else {
                self.output.get(state as usize).copied().unwrap_or(NONE)
            };
            // A state already reported for this text has its whole output chain reported.
            while t != NONE && self.seen.get(t as usize).is_some_and(|s| *s != self.stamp) {
                if let Some(s) = self.seen.get_mut(t as usize) {
                    *s = self.stamp;
                }
                for &id in self.ends.get(t as usize).map_or(&[][..], |e| e.as_slice()) {
                    found(id);
                }
                t = self.output.get(t as usize).copied().unwrap_or(NONE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Substrings;

    fn found(s: &mut Substrings, text: &str) -> Vec<usize> {
        let mut out = Vec::new();
        s.distinct_in(text, |id| out.push(id));
        out.sort_unstable();
        out
    }

    #[test]
    fn each_pattern_is_reported_once_per_text() {
        let mut s = Substrings::new(["ml", "chemlab", "lab", "a", "aa", "", "ml"]);
        assert_eq!(found(&mut s, "chemlab"), [0, 1, 2, 3, 6]);
        assert_eq!(found(&mut s, "html-tools"), [0, 6]);
        assert_eq!(found(&mut s, "aaaa"), [3, 4]);
        assert_eq!(found(&mut s, "xyz"), Vec::<usize>::new());
        assert_eq!(found(&mut s, ""), Vec::<usize>::new());
    }

    #[test]
    fn nested_chains_report_each_pattern_once() {
        let patterns: Vec<String> = (1..=50).map(|i| "a".repeat(i)).collect();
        let mut s = Substrings::new(patterns.iter().map(String::as_str));
        let mut calls = 0;
        s.distinct_in(&"a".repeat(50), |_| calls += 1);
        // 50 distinct patterns, though they occur 1275 times.
        assert_eq!(calls, 50);
    }
}
