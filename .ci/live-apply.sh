#!/usr/bin/env bash
# `qpol plan`, `apply` and `import` against the emulator, checked by IBM's own
# SDK: the emulator records every exchange of a session (a fresh apply of the
# bundled policy, a converged plan, an import, then an apply of a changed
# policy: updates and deletes) in a transcript; every response must be one
# the SDK's models read (sdk_response_check.py) and every request qpol sent
# one the SDK would send (sdk_conformance.py).
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${QPOL_SHARED_TOOLS:-../shared/tools}
bin=target/debug/qpol
[ -x "$bin" ] || { cargo build --quiet; }
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$bin" emulator --listen 127.0.0.1:0 --page-size 2 --seed 7 --api-key ci-key \
  --transcript "$work/transcript.jsonl" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/out" && break; sleep 0.1; done
url=$(sed -n 's/^qpol emulator listening on \(http[^ ]*\) .*/\1/p' "$work/out")
[ -n "$url" ] || { cat "$work/err" >&2; echo "emulator did not start" >&2; exit 1; }
export IBMCLOUD_API_KEY=ci-key QPOL_ENDPOINT=$url
run() { # expected exit code, then the command
  local want=$1; shift
  local got=0; "$bin" "$@" >"$work/last.out" 2>"$work/last.err" || got=$?
  [ "$got" = "$want" ] || { cat "$work/last.out" "$work/last.err" >&2; echo "qpol $*: exit $got, expected $want" >&2; exit 1; }
}
run 3 plan policies/org.qpol
run 0 apply policies/org.qpol --yes
run 0 plan policies/org.qpol
run 0 import --account b2f1c4e8d9a7461c9e3f5a6b7c8d9e0f -o "$work/imported"
# A changed policy: a project gone (its marked group deleted), a role's
# actions and a rule's session changed (updates with If-Match).
sed -e '/^project finance/d' -e 's/session 12h/session 8h/' -e 's/job.delete, //' \
  -e '/Ravi\|Amyra/d' policies/org.qpol >"$work/changed.qpol"
run 3 plan "$work/changed.qpol"
run 0 apply "$work/changed.qpol" --yes
run 0 plan "$work/changed.qpol"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
grep -c . "$work/transcript.jsonl" | sed 's/^/exchanges recorded: /'
for method in POST PUT PATCH DELETE; do # the session must exercise every kind of write
  n=$(grep -c "\"method\": *\"$method\"" "$work/transcript.jsonl" || true)
  echo "$method: $n"
  [ "$n" -gt 0 ] || [ "$method" = PATCH ] || { echo "no $method in the session" >&2; exit 1; }
done
python3 "$tools/sdk_response_check.py" "$work/transcript.jsonl" | grep -v "^ok  "
python3 .ci/emulator.py plan "$work/transcript.jsonl" "$work/plan.json"
python3 "$tools/sdk_conformance.py" "$work/plan.json" | grep -v "^ok  "
echo "live-apply: a plan/apply/import session passes IBM's SDK checks"
