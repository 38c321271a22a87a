//! The unified diff `fmt --check` prints, in time linear in the file.
//!
//! A plain Myers diff takes time proportional to the file times the number
//! of changed lines: quadratic when formatting touches every statement.
//! Here the common prefix and suffix are skipped, lines found exactly once
//! on each side anchor the rest (patience diff: their longest increasing
//! run, O(n log n)), and only the small regions between anchors go through
//! Myers, each with a deadline. The output is what `similar` prints: the
//! same header, hunks with three lines of context, and the no-newline hint.

use rustc_hash::{FxHashMap, FxHashSet};
use similar::{Algorithm, DiffOp};
use std::fmt::Write;
use std::time::{Duration, Instant};

/// Lines of context around each change.
const CONTEXT: usize = 3;
/// Regions up to this many lines go to Myers whole (the diff is then
/// exactly `similar`'s); larger ones set their one-sided lines aside first.
const SMALL_REGION: usize = 2_000;
/// Longest a region between anchors may take before a coarser diff.
const REGION_DEADLINE: Duration = Duration::from_millis(200);

/// The unified diff from `old` to `new` (empty when they are equal).
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    let (a, b) = (lines(old), lines(new));
    let ops = merge_equal(diff_ops(&a, &b));
    let mut out = String::new();
    for (i, hunk) in similar::group_diff_ops(ops, CONTEXT).iter().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "--- {old_name}\n+++ {new_name}");
        }
        write_hunk(&mut out, hunk, &a, &b);
    }
    out
}

/// Lines with their ends, split at LF, CRLF and lone CR (as `similar` does).
fn lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let ends = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if ends {
            out.push(text.get(start..=i).unwrap_or(""));
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(text.get(start..).unwrap_or(""));
    }
    out
}

/// The edit script from `a` to `b`.
fn diff_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<DiffOp> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .get(prefix..)
        .unwrap_or_default()
        .iter()
        .rev()
        .zip(b.get(prefix..).unwrap_or_default().iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_end, b_end) = (a.len() - suffix, b.len() - suffix);
    // Lines as numbers, so that comparing them is cheap.
    let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut intern = |line: &'a str| {
        let next = ids.len() as u32;
        *ids.entry(line).or_insert(next)
    };
    let a_ids: Vec<u32> = a.iter().map(|&l| intern(l)).collect();
    let b_ids: Vec<u32> = b.iter().map(|&l| intern(l)).collect();
    let mut ops = Vec::new();
    if prefix > 0 {
        ops.push(equal(0, 0, prefix));
    }
    let (mut i, mut j) = (prefix, prefix);
    for (ai, bj) in anchors(&a_ids, prefix..a_end, &b_ids, prefix..b_end, ids.len()) {
        region(&a_ids, i..ai, &b_ids, j..bj, &mut ops);
        ops.push(equal(ai, bj, 1));
        (i, j) = (ai + 1, bj + 1);
    }
    region(&a_ids, i..a_end, &b_ids, j..b_end, &mut ops);
    if suffix > 0 {
        ops.push(equal(a_end, b_end, suffix));
    }
    ops
}

fn equal(old_index: usize, new_index: usize, len: usize) -> DiffOp {
    DiffOp::Equal {
        old_index,
        new_index,
        len,
    }
}

/// Myers on one region between anchors. In a large region, lines found on
/// one side only are deleted or inserted whatever the rest: they are set
/// aside first (as GNU diff does), so Myers sees only the shared lines.
fn region(
    a: &[u32],
    ar: std::ops::Range<usize>,
    b: &[u32],
    br: std::ops::Range<usize>,
    ops: &mut Vec<DiffOp>,
) {
    if ar.is_empty() && br.is_empty() {
        return;
    }
    let deadline = Instant::now() + REGION_DEADLINE;
    if ar.len() + br.len() <= SMALL_REGION {
        ops.extend(similar::capture_diff_deadline(
            Algorithm::Myers,
            a,
            ar,
            b,
            br,
            Some(deadline),
        ));
        return;
    }
    let in_a: FxHashSet<u32> = a
        .get(ar.clone())
        .unwrap_or_default()
        .iter()
        .copied()
        .collect();
    let in_b: FxHashSet<u32> = b
        .get(br.clone())
        .unwrap_or_default()
        .iter()
        .copied()
        .collect();
    let shared_a: Vec<usize> = ar
        .clone()
        .filter(|&i| a.get(i).is_some_and(|id| in_b.contains(id)))
        .collect();
    let shared_b: Vec<usize> = br
        .clone()
        .filter(|&j| b.get(j).is_some_and(|id| in_a.contains(id)))
        .collect();
    let ids = |side: &[u32], at: &[usize]| -> Vec<u32> {
        at.iter().filter_map(|&i| side.get(i).copied()).collect()
    };
    let (fa, fb) = (ids(a, &shared_a), ids(b, &shared_b));
    let found = similar::capture_diff_deadline(
        Algorithm::Myers,
        &fa,
        0..fa.len(),
        &fb,
        0..fb.len(),
        Some(deadline),
    );
    // The shared lines Myers matched, back in file indices.
    let mut matched = Vec::new();
    for op in found {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for k in 0..len {
                if let (Some(&i), Some(&j)) =
                    (shared_a.get(old_index + k), shared_b.get(new_index + k))
                {
                    matched.push((i, j));
                }
            }
        }
    }
    let (mut i, mut j) = (ar.start, br.start);
    for (mi, mj) in matched.into_iter().chain([(ar.end, br.end)]) {
        match (mi > i, mj > j) {
            (true, true) => ops.push(DiffOp::Replace {
                old_index: i,
                old_len: mi - i,
                new_index: j,
                new_len: mj - j,
            }),
            (true, false) => ops.push(DiffOp::Delete {
                old_index: i,
                old_len: mi - i,
                new_index: j,
            }),
            (false, true) => ops.push(DiffOp::Insert {
                old_index: i,
                new_index: j,
                new_len: mj - j,
            }),
            (false, false) => {}
        }
        if mi < ar.end {
            ops.push(equal(mi, mj, 1));
        }
        (i, j) = (mi + 1, mj + 1);
    }
}

/// Pairs (index in `a`, index in `b`) of lines found once in each range,
/// the longest run increasing on both sides.
fn anchors(
    a: &[u32],
    ar: std::ops::Range<usize>,
    b: &[u32],
    br: std::ops::Range<usize>,
    distinct: usize,
) -> Vec<(usize, usize)> {
    // Per line: count in a, count in b, its index in b.
    let mut seen = vec![(0u8, 0u8, 0usize); distinct];
    for j in br {
        if let Some(s) = b.get(j).and_then(|&id| seen.get_mut(id as usize)) {
            s.1 = s.1.saturating_add(1);
            s.2 = j;
        }
    }
    for i in ar.clone() {
        if let Some(s) = a.get(i).and_then(|&id| seen.get_mut(id as usize)) {
            s.0 = s.0.saturating_add(1);
        }
    }
    let unique: Vec<(usize, usize)> = ar
        .filter_map(|i| {
            let s = a.get(i).and_then(|&id| seen.get(id as usize))?;
            (s.0 == 1 && s.1 == 1).then_some((i, s.2))
        })
        .collect();
    longest_increasing(&unique)
}

/// The longest subsequence of `pairs` (increasing in `.0`) increasing in `.1`.
fn longest_increasing(pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    // tails[k]: index in `pairs` of the smallest tail of a run of length k + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut back: Vec<Option<usize>> = vec![None; pairs.len()];
    for (n, &(_, j)) in pairs.iter().enumerate() {
        let k = tails.partition_point(|&t| pairs.get(t).is_some_and(|p| p.1 < j));
        if let Some(slot) = back.get_mut(n) {
            *slot = k.checked_sub(1).and_then(|p| tails.get(p).copied());
        }
        if k == tails.len() {
            tails.push(n);
        } else if let Some(t) = tails.get_mut(k) {
            *t = n;
        }
    }
    let mut run = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied();
    while let Some(n) = at {
        run.extend(pairs.get(n).copied());
        at = back.get(n).copied().flatten();
    }
    run.reverse();
    run
}

/// Adjacent equal runs as one, so hunks get exactly three lines of context.
fn merge_equal(ops: Vec<DiffOp>) -> Vec<DiffOp> {
    let mut out: Vec<DiffOp> = Vec::with_capacity(ops.len());
    for op in ops {
        if op.old_range().is_empty() && op.new_range().is_empty() {
            continue;
        }
        if let (Some(DiffOp::Equal { len, .. }), DiffOp::Equal { len: more, .. }) =
            (out.last_mut(), op)
        {
            *len += more;
            continue;
        }
        out.push(op);
    }
    out
}

fn write_hunk(out: &mut String, hunk: &[DiffOp], a: &[&str], b: &[&str]) {
    let (Some(first), Some(last)) = (hunk.first(), hunk.last()) else {
        return;
    };
    let range = |start: usize, end: usize| {
        let len = end.saturating_sub(start);
        match len {
            1 => format!("{}", start + 1),
            0 => format!("{start},0"),
            _ => format!("{},{len}", start + 1),
        }
    };
    let _ = writeln!(
        out,
        "@@ -{} +{} @@",
        range(first.old_range().start, last.old_range().end),
        range(first.new_range().start, last.new_range().end)
    );
    let mut line = |tag: char, text: &str| {
        out.push(tag);
        // A lone CR (old Mac line end) is shown as LF: a terminal would
        // otherwise print the next line over this one.
        if let Some(body) = text.strip_suffix('\r') {
            out.push_str(body);
            out.push('\n');
            return;
        }
        out.push_str(text);
        if !text.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    };
    for op in hunk {
        match *op {
            DiffOp::Equal { .. } => {
                for l in a.get(op.old_range()).unwrap_or_default() {
                    line(' ', l);
                }
            }
            _ => {
                for l in a.get(op.old_range()).unwrap_or_default() {
                    line('-', l);
                }
                for l in b.get(op.new_range()).unwrap_or_default() {
                    line('+', l);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn similar_diff(old: &str, new: &str) -> String {
        similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header("a", "b")
            .to_string()
    }

    #[test]
    fn matches_similar_on_small_inputs() {
        let cases = [
            ("", ""),
            ("a\n", "a\n"),
            ("", "a\n"),
            ("a\n", ""),
            ("a", "a\n"),
            ("a\nb\nc\n", "a\nB\nc\n"),
            (
                "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
                "1\n2\nX\n4\n5\n6\n7\n8\n9\n10\nY\n12\n",
            ),
            (
                "a {\n  b;\n}\nc {\n  d;\n}\n",
                "a {\n  b;\n}\n\nc {\n  d;\n}\n",
            ),
        ];
        for (old, new) in cases {
            assert_eq!(
                unified(old, new, "a", "b"),
                similar_diff(old, new),
                "{old:?} -> {new:?}"
            );
        }
    }

    #[test]
    fn a_lone_cr_is_shown_as_a_line_end() {
        let diff = unified("x\r\ny\rz", "x\ny\nz\n", "a", "b");
        assert_eq!(
            diff,
            "--- a\n+++ b\n@@ -1,3 +1,3 @@\n-x\r\n-y\n-z\n\\ No newline at end of file\n+x\n+y\n+z\n"
        );
    }

    /// Replays the ops: they must cover both sides in order, and equal
    /// runs must hold equal lines.
    fn replay(a: &[&str], b: &[&str]) {
        let (mut i, mut j) = (0, 0);
        for op in diff_ops(a, b) {
            assert_eq!((op.old_range().start, op.new_range().start), (i, j));
            if let DiffOp::Equal { .. } = op {
                assert_eq!(a[op.old_range()], b[op.new_range()]);
            }
            (i, j) = (op.old_range().end, op.new_range().end);
        }
        assert_eq!((i, j), (a.len(), b.len()));
    }

    #[test]
    fn large_regions_replay_exactly() {
        let old: String = (0..3000)
            .map(|i| format!("s{} {{ x; }}\n}}\n", i % 7))
            .collect();
        let new: String = (0..3000)
            .map(|i| format!("s{} {{\n  x;\n}}\n", i % 5))
            .collect();
        replay(&lines(&old), &lines(&new));
        replay(&lines(&new), &lines(&old));
        let d = unified(&old, &new, "a", "b");
        assert!(
            d.starts_with(
                "--- a
+++ b
@@ -1,"
            ),
            "{d}"
        );
    }

    #[test]
    fn longest_increasing_run() {
        let pairs = [(0, 3), (1, 1), (2, 2), (3, 0), (4, 4)];
        assert_eq!(longest_increasing(&pairs), vec![(1, 1), (2, 2), (4, 4)]);
    }
}
