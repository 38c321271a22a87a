#!/usr/bin/env bash
# Prints the checker's figures on synthetic organizations (release build):
# first each phase of `qpol check` on the 20,000-project / 100,000-user org
# (time, heap, resident memory: examples/phases.rs), then the end-to-end
# `qpol check` figures (wall time, peak memory) and the other benchmarks
# (benches/check.rs), then the language server's (examples/lsp_bench.rs).
# `scripts/bench.sh phases` prints the phases only, `scripts/bench.sh lsp`
# the language server's figures only.
set -euo pipefail
cd "$(dirname "$0")/.."
lsp_bench() {
    cargo build --release --quiet --bin qpol --example lsp_bench
    echo "== qpol lsp: didChange to publishDiagnostics, 200 edits (release build)"
    target/release/examples/lsp_bench 2000 10000
    echo
    target/release/examples/lsp_bench 20000 100000
}
if [ "${1:-}" = lsp ]; then
    lsp_bench
    exit 0
fi
cargo build --release --quiet --bin qpol --example synth_org --example phases
org=$(mktemp --suffix=.qpol)
trap 'rm -f "$org"' EXIT
target/release/examples/synth_org 20000 100000 10 > "$org"
echo "== phases of qpol check, 20k projects / 100k users ($(du -h "$org" | cut -f1))"
target/release/examples/phases "$org"
echo
echo "== qpol check end to end (3 runs: wall, peak RSS)"
for _ in 1 2 3; do
    /usr/bin/time -f "%e s  %M KB" target/release/qpol check "$org" --format json > /dev/null
done
if [ "${1:-}" = phases ]; then
    exit 0
fi
echo
cargo bench --bench check
echo
lsp_bench
