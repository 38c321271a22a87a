#!/usr/bin/env bash
# `qpol emulator` against IBM's own SDK: start it on a free port with a
# transcript, drive every route (.ci/emulator.py), then check every recorded
# response with ../shared/tools/sdk_response_check.py and every successful
# request (turned into a plan) with ../shared/tools/sdk_conformance.py.
# Needs python3 and ibm-platform-services (installed by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${QPOL_SHARED_TOOLS:-../shared/tools}
bin=target/debug/qpol
[ -x "$bin" ] || bin=target/release/qpol
[ -x "$bin" ] || { cargo build --quiet; bin=target/debug/qpol; }
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
account=b2f1c4e8d9a7461c9e3f5a6b7c8d9e0f
cat >"$work/users.json" <<'JSON'
[{"email": "alice@example.com", "iam_id": "IBMid-alice"},
 {"email": "bob@example.com", "iam_id": "IBMid-bob"},
 {"email": "carol@example.com", "iam_id": "IBMid-carol"}]
JSON
"$bin" emulator --listen 127.0.0.1:0 --account "$account" --page-size 2 --seed 1 \
  --users "$work/users.json" --transcript "$work/transcript.jsonl" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/out" && break; sleep 0.1; done
url=$(sed -n 's/^qpol emulator listening on \(http[^ ]*\) .*/\1/p' "$work/out")
[ -n "$url" ] || { cat "$work/err" >&2; echo "emulator did not start" >&2; exit 1; }
python3 .ci/emulator.py drive "$url" "$account"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
python3 "$tools/sdk_response_check.py" "$work/transcript.jsonl" | grep -v "^ok  "
python3 .ci/emulator.py plan "$work/transcript.jsonl" "$work/plan.json"
python3 "$tools/sdk_conformance.py" "$work/plan.json" | grep -v "^ok  "
echo "emulator: responses and requests pass IBM's SDK checks"
