#!/usr/bin/env bash
# CI, after `cargo test`: the requests of live plans (`live::reconcile`:
# creates, updates with If-Match, deletes, a replace, member changes) replayed
# through IBM's own Python SDK by ../shared/tools/sdk_conformance.py. The
# test `sdk_request_plans_of_the_scenarios` writes one request plan per
# scenario into $QPOL_LIVE_PLAN_DIR; each must pass. Needs python3 and
# `pip install ibm-platform-services==0.77.1` (installed by .ci/run's
# conformance step). Usage: .ci/live-plan.sh [SHARED_DIR] (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
shared=${1:-../shared}
checker=$shared/tools/sdk_conformance.py
[ -f "$checker" ] || { echo "live-plan: $checker is missing (the shared checkers sit beside the repository)" >&2; exit 1; }
python3 -c "import ibm_platform_services" 2>/dev/null || {
  echo "live-plan: IBM's SDK is missing: pip install ibm-platform-services==0.77.1" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
QPOL_LIVE_PLAN_DIR="$out" cargo test --quiet --test live_reconcile_members sdk_request_plans_of_the_scenarios >/dev/null
plans=("$out"/*.json)
[ -e "${plans[0]}" ] || { echo "live-plan: the test wrote no plan" >&2; exit 1; }
failed=0
for plan in "${plans[@]}"; do
  if r=$(python3 "$checker" "$plan" 2>&1); then
    echo "ok   $(basename "$plan" .json): $(echo "$r" | tail -1)"
  else
    echo "FAIL $(basename "$plan" .json):"; echo "$r" | grep -v '^ok'; failed=$((failed + 1))
  fi
done
echo "live-plan: ${#plans[@]} plans, $failed failed"
[ "$failed" -eq 0 ]
