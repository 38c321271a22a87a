#!/usr/bin/env bash
# The apply benchmark of issue 13 (release build; not a timed test): a
# 400-project organization applied to `qpol emulator` with 20 ms of injected
# latency on every request, then applied again.
#
# The organization is the synthetic one (examples/synth_org.rs: 400 projects,
# an instance each and a shared one, a custom role, a dynamic rule per
# project, teams / departments / a hub with a named member each) inside
# IBM's account limits: 445 access groups of 500, about 1,700 policies of
# 4,020 (declared as `policies 4020`, IBM's limit, to say the size is
# deliberate), 400 rules of 2,000. Its group members are given to the
# emulator as the account's users. `qpol check` must exit 0 (the near-limit
# warning on access groups is expected).
#
# Each run starts a fresh emulator on a free port and prints:
#   apply: wall time of `qpol apply --yes` (the whole command: check, read,
#     plan, execute), the emulator's counts (requests, writes,
#     max_in_flight), the ideal (requests / parallelism x latency) and the
#     ratio of the wall time to it;
#   converge: the same for a second `qpol apply` (it only reads and must
#     send no write: the script fails if it does);
#   plan: wall time and peak RSS of `qpol plan` on the fresh account (before
#     the first apply) and on the converged one.
#
# Usage: scripts/bench_apply.sh [RUNS]   (default 3)
# Environment: PROJECTS (400), PARALLELISM (8), LATENCY_MS (20).
# Needs curl; /usr/bin/time (GNU time) for the peak RSS figures.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
projects=${PROJECTS:-400}
parallelism=${PARALLELISM:-8}
latency_ms=${LATENCY_MS:-20}
account=b2f1c4e8d9a7461c9e3f5a6b7c8d9e0f
key=emulator-key

command -v curl > /dev/null || { echo "bench_apply.sh needs curl" >&2; exit 2; }
cargo build --release --quiet --bin qpol --example synth_org
qpol=$PWD/target/release/qpol

work=$(mktemp -d)
emulator_pid=
cleanup() {
    if [ -n "$emulator_pid" ]; then
        kill "$emulator_pid" 2> /dev/null || true
        wait "$emulator_pid" 2> /dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The organization, inside the account limits.
{
    echo "account { id \"$account\"; limits { policies 4020; } }"
    target/release/examples/synth_org "$projects" "$projects" | grep -v '^account '
} > "$work/org.qpol"
# The users its groups name by email, as the account's users.
grep -o 'user "[^"]*@[^"]*"' "$work/org.qpol" | cut -d'"' -f2 | sort -u |
    awk 'BEGIN { printf "[" } { if (NR > 1) printf ","; printf "{\"email\":\"%s\",\"iam_id\":\"IBMid-bench%04d\"}", $0, NR } END { print "]" }' \
    > "$work/users.json"

check_status=0
check_summary=$("$qpol" check "$work/org.qpol" 2> /dev/null | tail -n 1) || check_status=$?
echo "== qpol apply: $projects projects, --parallelism $parallelism, ${latency_ms} ms latency per request (release build)"
echo "machine: $(nproc) CPUs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "org: $(wc -l < "$work/org.qpol") lines; qpol check: $check_summary (exit $check_status)"
if [ "$check_status" -ne 0 ]; then
    echo "the organization does not check clean" >&2
    exit 1
fi

now() { date +%s%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<< "$2"; }
ideal() { awk -v n="$1" -v p="$parallelism" -v l="$latency_ms" 'BEGIN { printf "%.2f", n / p * l / 1000 }'; }
ratio() { awk -v w="$1" -v i="$2" 'BEGIN { printf "%.2f", (i > 0 ? w / i : 0) }'; }

start_emulator() {
    "$qpol" emulator --listen 127.0.0.1:0 --users "$work/users.json" \
        --faults "latency:${latency_ms}ms" --seed "$1" > "$work/emulator.out" 2>&1 &
    emulator_pid=$!
    for _ in $(seq 100); do
        url=$(grep -so 'http://[0-9.:]*' "$work/emulator.out" || true)
        [ -n "$url" ] && return 0
        sleep 0.05
    done
    echo "the emulator did not start: $(cat "$work/emulator.out")" >&2
    exit 1
}

stop_emulator() {
    kill "$emulator_pid" 2> /dev/null || true
    wait "$emulator_pid" 2> /dev/null || true
    emulator_pid=
}

# `qpol ARGS` against the emulator: sets t_s (wall seconds) and t_kb (peak
# RSS, "-" without GNU time). Exit status 0 and 3 (changes) are fine.
timed() {
    local status=0 t0 t1
    t_kb=-
    t0=$(now)
    if [ -x /usr/bin/time ]; then
        QPOL_ENDPOINT=$url IBMCLOUD_API_KEY=$key /usr/bin/time -f '%M' -o "$work/rss" \
            "$qpol" "$@" > "$work/out" 2> "$work/err" || status=$?
        t_kb=$(tail -n 1 "$work/rss")
    else
        QPOL_ENDPOINT=$url IBMCLOUD_API_KEY=$key "$qpol" "$@" > "$work/out" 2> "$work/err" || status=$?
    fi
    t1=$(now)
    t_s=$(seconds "$t0" "$t1")
    if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
        echo "qpol $* exited $status:" >&2
        tail -n 20 "$work/out" "$work/err" >&2
        exit 1
    fi
}

stats() { curl -sf "$url/_emulator/stats"; }
reset() { curl -sf -X POST "$url/_emulator/stats/reset" > /dev/null; }
mb() { [ "$1" = - ] && echo "-" || awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }

printf '%-3s | %s | %s | %s\n' run \
    "apply: s  requests  writes  in_flight  ideal_s  ratio" \
    "converge: s  requests  writes  ratio" \
    "plan fresh / converged: s, peak RSS"
for run in $(seq "$runs"); do
    start_emulator "$run"
    timed plan "$work/org.qpol"
    plan_fresh_s=$t_s plan_fresh_kb=$t_kb
    reset
    timed apply "$work/org.qpol" --yes --parallelism "$parallelism"
    apply_s=$t_s
    s=$(stats)
    requests=$(field requests "$s")
    writes=$(field writes "$s")
    in_flight=$(field max_in_flight "$s")
    apply_ideal=$(ideal "$requests")
    grep -q "Applied $writes of $writes requests" "$work/out" ||
        { echo "the first apply did not apply everything: $(tail -n 3 "$work/out")" >&2; exit 1; }
    reset
    timed apply "$work/org.qpol" --yes --parallelism "$parallelism"
    converge_s=$t_s
    s=$(stats)
    c_requests=$(field requests "$s")
    c_writes=$(field writes "$s")
    if [ "$c_writes" != 0 ]; then
        echo "the second apply sent $c_writes writes; a converged account must get none" >&2
        exit 1
    fi
    timed plan "$work/org.qpol"
    plan_converged_s=$t_s plan_converged_kb=$t_kb
    printf '%-3s | %s | %s | %s\n' "$run" \
        "$(printf '%8s  %8s  %6s  %9s  %7s  %5s' "$apply_s" "$requests" "$writes" "$in_flight" "$apply_ideal" "$(ratio "$apply_s" "$apply_ideal")")" \
        "$(printf '%11s  %8s  %6s  %5s' "$converge_s" "$c_requests" "$c_writes" "$(ratio "$converge_s" "$(ideal "$c_requests")")")" \
        "$plan_fresh_s s, $(mb "$plan_fresh_kb") / $plan_converged_s s, $(mb "$plan_converged_kb")"
    stop_emulator
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ideal = requests / parallelism x latency; ratio = wall time / ideal (the wall time includes starting qpol, checking the policy and reading the account)"
