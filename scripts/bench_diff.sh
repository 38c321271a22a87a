#!/usr/bin/env bash
# `qpol diff` of two 20,000-project / 100,000-user organizations that differ
# in 1 % of their projects (every 100th project's rule value changes, so its
# users lose access and its dynamic rule is updated): wall time and peak
# memory of 5 runs of the release build, JSON and Markdown.
# Usage: scripts/bench_diff.sh [PROJECTS USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-20000}
users=${2:-100000}
cargo build --release --quiet --bin qpol --example synth_org
old=$(mktemp --suffix=.qpol)
new=$(mktemp --suffix=.qpol)
trap 'rm -f "$old" "$new"' EXIT
target/release/examples/synth_org "$projects" "$users" 10 > "$old"
awk '/^project prj-[0-9]+ / { n = substr($2, 5) + 0; if (n % 100 == 0) sub(/x"; role/, "y\"; role") } { print }' "$old" > "$new"
changed=$(diff "$old" "$new" | grep -c '^>' || true)
echo "== qpol diff, $projects projects / $users users ($(du -h "$old" | cut -f1)), $changed projects changed"
target/release/qpol diff "$old" "$new" | head -1 || true
for format in json human; do
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f "$format: %e s wall  %U s user  %M KB" \
            target/release/qpol diff "$old" "$new" --format "$format" > /dev/null || true
    done
done
