#!/usr/bin/env bash
# CI formats (run by .ci/run after `cargo test`): every SARIF log the release
# binary writes for the bundled policies and the ok/err fixtures passes
# Microsoft's SARIF Multitool with no error and no warning, and the example
# CI files of examples/ci/ pass their schemas. The tools are installed under
# target/ci-tools (outside the sources) when they are not there yet:
# `npm install @microsoft/sarif-multitool`, and a Python venv with
# check-jsonschema and pre-commit (both work offline once installed).
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${QPOL_CI_TOOLS:-$PWD/target/ci-tools}
mkdir -p "$tools"

if [ ! -e "$tools/node_modules/.bin/sarif-multitool" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools" @microsoft/sarif-multitool
fi
if [ ! -x "$tools/venv/bin/check-jsonschema" ] || [ ! -x "$tools/venv/bin/pre-commit" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check check-jsonschema pre-commit
fi

cargo build --release --quiet
qpol=$PWD/target/release/qpol
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. SARIF: `check` of every policy and fixture, `test` of the ok ones, one
#    folder policy; exit 0 or 1 (findings), never 2.
mkdir "$work/sarif"
n=0
sarif() { # name, then qpol's arguments
  local name=$1 rc=0
  shift
  "$qpol" --format sarif "$@" >"$work/sarif/$name.sarif" 2>"$work/stderr" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "formats: qpol --format sarif $* exited $rc:" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
  n=$((n + 1))
}
for f in policies/*.qpol policies/examples/*/*.qpol tests/fixtures/ok/*.qpol tests/fixtures/err/*.qpol; do
  sarif "check-$(echo "$f" | tr / -)" check "$f"
done
for f in policies/*.qpol policies/examples/*/*.qpol tests/fixtures/ok/*.qpol; do
  sarif "test-$(echo "$f" | tr / -)" test "$f"
done
sarif check-folder check tests/fixtures/folder
# Standard input: results with no physical location (no `<stdin>` artifact).
sarif check-stdin check - <tests/fixtures/err/undefined_names.qpol
# A baseline read from git whose instance the working tree deletes: Q302 is
# located in the working tree's file (no revision copy as an artifact).
gitrepo=$work/repo
mkdir -p "$gitrepo/policies"
cp policies/org.qpol "$gitrepo/policies/"
git -C "$gitrepo" init --quiet
git -C "$gitrepo" add policies
git -C "$gitrepo" -c user.name=ci -c user.email=ci@example.com -c commit.gpgsign=false commit --quiet -m base
sed -i '/^instance QR-finance /d; s/instances QR-finance, QR-common/instances QR-common/; /QR-finance;$/d' "$gitrepo/policies/org.qpol"
pushd "$gitrepo" >/dev/null
sarif check-baseline-git check policies/org.qpol --baseline-git HEAD
popd >/dev/null
grep -q '"ruleId": "Q302"' "$work/sarif/check-baseline-git.sarif" ||
  { echo "formats: no Q302 in the --baseline-git log" >&2; exit 1; }

# The Multitool exits 0 whatever it finds: read its report. First make sure
# it does report a broken log (so a silent tool cannot pass everything).
printf '%s' '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a b"}}}]}]}]}' >"$work/broken.sarif"
validate() { # files...; prints the report
  (cd "$tools" && npx --no-install sarif-multitool validate "$@") 2>&1
}
if ! validate "$work/broken.sarif" | grep -q ': error SARIF'; then
  echo "formats: the SARIF Multitool did not report the broken log; is it working?" >&2
  exit 1
fi
report=$(validate "$work"/sarif/*.sarif)
if ! grep -q 'Analysis completed successfully' <<<"$report"; then
  echo "$report" >&2
  echo "formats: the SARIF Multitool did not complete" >&2
  exit 1
fi
if grep -E ': (error|warning) [A-Z]+[0-9]+' <<<"$report" >&2; then
  echo "formats: the SARIF Multitool reported the errors or warnings above" >&2
  exit 1
fi
echo "formats: $n SARIF logs pass the SARIF Multitool (no error, no warning)"

# 2. The example CI files.
"$tools/venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows examples/ci/qpol.yml
# check-jsonschema has no built-in pre-commit schema: pre-commit validates its own config.
"$tools/venv/bin/pre-commit" validate-config examples/ci/pre-commit-config.yaml
echo "formats: examples/ci/qpol.yml and examples/ci/pre-commit-config.yaml are valid"
