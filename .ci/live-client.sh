#!/usr/bin/env bash
# CI, after `cargo test`: the requests the live client sent in its tests,
# replayed through IBM's Python SDK by ../shared/tools/sdk_conformance.py.
# tests/live_client writes two transcripts (as request plans, values filled
# in) to target/tmp/: the org policy's plan executed against a stub, and a
# whole account read (every list, every page). The follow-up pages of user
# management (`_start`) and the global catalog (`_offset`) are left out of
# the check: the checker matches query keys to the SDK's parameter names
# (`start`, `offset`), while the SDK sends them as `_start` and `_offset`
# (see list_users and list_catalog_entries in ibm_platform_services).
# Needs python3 and `pip install ibm-platform-services==0.77.1`.
# Usage: .ci/live-client.sh [SHARED_DIR]   (default: ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
shared=${1:-../shared}
checker=$shared/tools/sdk_conformance.py
[ -f "$checker" ] || { echo "live-client: $checker is missing" >&2; exit 1; }

cargo test --quiet --test live_client -- conformance:: read::every_list >/dev/null
tmp=target/tmp
python3 "$checker" "$tmp/live-client-sent-org.json"
python3 - "$tmp/live-client-sent-read.json" "$tmp/live-client-sent-read-checked.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
kept = [r for r in plan["requests"] if "_start=" not in r["url"] and "_offset=" not in r["url"]]
print(f"live-client: {len(plan['requests']) - len(kept)} follow-up page requests left out (_start, _offset)")
plan["requests"] = kept
json.dump(plan, open(sys.argv[2], "w"), indent=1)
PY
python3 "$checker" "$tmp/live-client-sent-read-checked.json"
