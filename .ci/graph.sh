#!/usr/bin/env bash
# CI, after `cargo test`: what `qpol graph` draws is read by the real tools.
# Graphviz `dot -Tsvg` renders the DOT of every example (non-empty SVG, the
# hostile names escaped in it) and Mermaid's own parser (`mermaid.parse()`
# of the `mermaid` package, under node with jsdom: no browser) reads the
# Mermaid. Installs what is missing: `apt-get install -y graphviz`, and
# `npm install mermaid@11 jsdom@26` into $QPOL_CI_NPM (default
# ~/.cache/qpol-ci-npm); node and npm (`apt-get install -y nodejs npm`) if
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

command -v dot >/dev/null || { apt-get update && apt-get install -y graphviz; }
# Node 18 (Debian's) is enough: jsdom 26 and mermaid 11 need no more.
command -v npm >/dev/null || { apt-get update && apt-get install -y nodejs npm; }
npm_dir=${QPOL_CI_NPM:-$HOME/.cache/qpol-ci-npm}
if [ ! -d "$npm_dir/node_modules/mermaid" ] || [ ! -d "$npm_dir/node_modules/jsdom" ]; then
  mkdir -p "$npm_dir"
  npm install --prefix "$npm_dir" --no-audit --no-fund --silent mermaid@11 jsdom@26
fi

cargo build --quiet
qpol=target/debug/qpol
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name, then the arguments of `qpol graph`
cases=(
  "org policies/org.qpol"
  "org-focus policies/org.qpol --focus QR-common"
  "org-ravi policies/org.qpol --focus user:Ravi"
  "nested policies/examples/nested"
  "reader-writer policies/examples/reader-writer"
  "hostile tests/data/graph/hostile.qpol"
  "acknowledged tests/data/graph/acknowledged.qpol"
  "overlap tests/fixtures/err/overlap_covered.qpol"
  "cycle tests/fixtures/err/cyclic_groups.qpol --with-errors"
  "escalates tests/fixtures/err/overlap_escalates.qpol --with-errors"
)
mermaid_files=()
for case in "${cases[@]}"; do
  read -r name args <<<"$case"
  # shellcheck disable=SC2086 # the arguments are split on purpose
  "$qpol" graph $args -o "$work/$name.dot" >/dev/null 2>&1 || [ $? -eq 1 ]
  # shellcheck disable=SC2086
  "$qpol" graph $args --to mermaid -o "$work/$name.mmd" >/dev/null 2>&1 || [ $? -eq 1 ]
  [ -s "$work/$name.dot" ] && [ -s "$work/$name.mmd" ] || { echo "graph: $name drew nothing" >&2; exit 1; }
  dot -Tsvg "$work/$name.dot" -o "$work/$name.svg"
  grep -q '<svg' "$work/$name.svg" || { echo "graph: $name.svg is not an SVG" >&2; exit 1; }
  mermaid_files+=("$work/$name.mmd")
done

# The hostile names are text in the SVG: no element of their own.
if grep -q -e '<b>' -e '<script' "$work/hostile.svg"; then
  echo "graph: hostile.svg holds markup from a policy value" >&2
  exit 1
fi
grep -q '&lt;b&gt;' "$work/hostile.svg" || { echo "graph: hostile.svg lost the escaped <b>" >&2; exit 1; }
# The README's picture is the seed scenario as qpol draws it now: the same
# nodes and edges (layout may differ between Graphviz versions).
titles() { grep -o '<title>[^<]*</title>' "$1" | sort; }
if [ "$(titles docs/org-graph.svg)" != "$(titles "$work/org.svg")" ]; then
  echo "graph: docs/org-graph.svg is stale: qpol graph policies/org.qpol | dot -Tsvg > docs/org-graph.svg" >&2
  exit 1
fi
# Red findings reach the SVG.
grep -q '#d00000' "$work/cycle.svg" || { echo "graph: the cycle is not red" >&2; exit 1; }

# In the npm folder, where its packages resolve (ES modules ignore NODE_PATH).
cat >"$npm_dir/qpol-mermaid-parse.mjs" <<'JS'
import { JSDOM } from "jsdom";
import { readFileSync } from "node:fs";
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const result = await mermaid.parse(readFileSync(file, "utf8"));
    if (result.diagramType !== "flowchart-v2") throw new Error(`parsed as ${result.diagramType}`);
  } catch (e) {
    failed++;
    console.error(`graph: ${file}: ${e.message ?? e}`);
  }
}
// The parser is not lenient: a label that breaks out is refused.
try {
  await mermaid.parse('flowchart LR\n  a["x"];click a call alert(1)"]\n');
  console.error("graph: mermaid.parse accepted a broken label");
  failed++;
} catch (e) {}
process.exit(failed ? 1 : 0);
JS
node "$npm_dir/qpol-mermaid-parse.mjs" "${mermaid_files[@]}"
echo "graph: ${#cases[@]} DOT rendered by $(dot -V 2>&1 | head -n1), ${#mermaid_files[@]} Mermaid parsed"
