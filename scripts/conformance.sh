#!/usr/bin/env bash
# Conformance: compile every example and every compilable fixture to both
# targets and run the independent checkers of ../shared/tools on each output:
# tf_schema_check.py (the IBM provider's schema; no template expression but
# plain references) and sdk_conformance.py (each request replayed through
# IBM's Python SDK). Any rejection, or a missing checker, fails the run.
# Usage: scripts/conformance.sh [SHARED_DIR]   (default: ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
tools=$shared/tools
schema=$shared/reference/terraform-ibm-schema.json
for f in "$tools/tf_schema_check.py" "$tools/sdk_conformance.py" "$schema"; do
  [ -f "$f" ] || { echo "conformance: $f is missing (the shared checkers sit beside the repository)" >&2; exit 1; }
done
python3 -c "import ibm_platform_services" 2>/dev/null || {
  echo "conformance: IBM's SDK is missing: pip install ibm-platform-services==0.77.1" >&2; exit 1; }

cargo build --quiet --bin qpol
bin=target/debug/qpol
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

policies=(policies/*.qpol policies/examples/*/*.qpol tests/fixtures/compile/*.qpol tests/fixtures/ok/*.qpol)
passed=0 failed=0
for policy in "${policies[@]}"; do
  name=$(echo "$policy" | tr '/.' '__')
  if ! "$bin" compile "$policy" --target terraform -o "$out/$name.tf.json" >"$out/log" 2>&1 ||
     ! "$bin" compile "$policy" --target ibm-api -o "$out/$name.plan.json" >>"$out/log" 2>&1; then
    echo "FAIL $policy does not compile:"; cat "$out/log"; failed=$((failed + 1)); continue
  fi
  if ! r=$(python3 "$tools/tf_schema_check.py" "$schema" "$out/$name.tf.json" 2>&1); then
    echo "FAIL $policy: tf_schema_check.py rejects its Terraform JSON:"; echo "$r"; failed=$((failed + 1)); continue
  fi
  if ! s=$(python3 "$tools/sdk_conformance.py" "$out/$name.plan.json" 2>&1); then
    echo "FAIL $policy: sdk_conformance.py rejects its request plan:"; echo "$s"; failed=$((failed + 1)); continue
  fi
  echo "ok   $policy (terraform: $(echo "$r" | tail -1); ibm-api: $(echo "$s" | tail -1))"
  passed=$((passed + 1))
done
echo "conformance: $passed policies passed both checkers, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
