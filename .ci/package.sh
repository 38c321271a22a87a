#!/usr/bin/env bash
# CI packaging (run by .ci/run after `cargo test`; needs PyPI): the wheel,
# `cargo install`, the GitHub Action and the pre-commit hooks, each used as a
# user would.
#   1. `maturin build --release` after `cargo build --release`: the same
#      build in target/ (fails if maturin compiles anything);
#   2. the wheel's metadata (version = Cargo.toml's, long description = the
#      README, licence) and its binary (no debug info);
#   3. the wheel in a FRESH venv (`--no-index`), run with no cargo or rustc
#      on the PATH: `qpol --version` (version and commit), `qpol check`,
#      `qpol compile`;
#   4. `cargo install --path .` (same target folder) and its `--version`;
#   5. action.yml: its schema, then its steps run on a throw-away policy
#      repository (.ci/package_action.py; pip finds the wheel of 1);
#   6. .pre-commit-hooks.yaml: its schema, `pre-commit try-repo . qpol-check`
#      (CARGO_TARGET_DIR shared: pre-commit's wheel build reuses the
#      compiled dependencies), then examples/ci/pre-commit-config.yaml
#      pointed at this commit in a throw-away repository: qpol-fmt on a
#      formatted and an unformatted file, qpol-check on a broken policy.
#      The hooks are those of HEAD there: commit before running this;
#   7. the sdist builds a wheel again (QPOL_CI_SDIST=0 skips it; its own
#      target folder target/sdist-build, kept between runs);
#   8. a repository made by `qpol init` (the wheel's qpol, no Rust on the
#      PATH) checks, tests, compiles, is unchanged by a second init, and
#      passes its own workflow schema and pre-commit hooks.
# Tools live in target/ci-tools/venv (shared with .ci/formats.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
tools=${QPOL_CI_TOOLS:-$PWD/target/ci-tools}
export CARGO_TARGET_DIR=$repo/target
started=$SECONDS
fail() {
  echo "package: $*" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$tools"
if [ ! -x "$tools/venv/bin/check-jsonschema" ] || [ ! -x "$tools/venv/bin/pre-commit" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check check-jsonschema pre-commit
fi
if [ ! -x "$tools/venv/bin/maturin" ]; then
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.5,<2.0"
fi
py=$tools/venv/bin/python

version=$(awk '/^\[/ { section = $0 } section == "[package]" && $1 == "version" { gsub(/"/, "", $3); print $3; exit }' Cargo.toml)
[ -n "$version" ] || fail "no version in Cargo.toml"
commit=$(git rev-parse HEAD | cut -c1-12)
expected="qpol $version ($commit "

# 1. The release build, then the wheel from the same target folder.
t=$SECONDS
cargo build --release --quiet
release_s=$((SECONDS - t))
t=$SECONDS
"$tools/venv/bin/maturin" build --release --out "$work/wheels" >"$work/maturin.log" 2>&1 ||
  { cat "$work/maturin.log" >&2; fail "maturin build failed"; }
wheel_s=$((SECONDS - t))
if grep -E '^ *Compiling ' "$work/maturin.log" >&2; then
  fail "maturin compiled again what cargo build --release had built (above): the builds do not share target/"
fi
wheels=("$work"/wheels/qpol_cli-"$version"-*.whl)
[ "${#wheels[@]}" -eq 1 ] && [ -f "${wheels[0]}" ] || fail "expected one qpol_cli-$version wheel, got: ${wheels[*]}"
wheel=${wheels[0]}
echo "package: $(basename "$wheel"), $(($(stat -c %s "$wheel") / 1024)) KiB; release build ${release_s} s, then the wheel ${wheel_s} s"

# 2. Metadata and binary of the wheel.
"$py" - "$wheel" "$version" <<'EOF' || fail "the wheel's metadata or binary is wrong (above)"
import email.parser, sys, zipfile
wheel, version = sys.argv[1:3]
z = zipfile.ZipFile(wheel)
names = z.namelist()
dist = f"qpol_cli-{version}.dist-info"
meta = email.parser.Parser().parsestr(z.read(f"{dist}/METADATA").decode())
errors = []
def expect(what, got, want):
    if got != want:
        errors.append(f"{what}: {got!r}, expected {want!r}")
expect("Version", meta["Version"], version)
expect("Name", meta["Name"], "qpol-cli")
# PEP 639 (maturin >= 1.9 or so), else the older License field.
expect("licence", meta["License-Expression"] or meta["License"], "Apache-2.0")
expect("License-File", meta["License-File"], "LICENSE")
expect("licence text", z.read(f"{dist}/licenses/LICENSE"), open("LICENSE", "rb").read())
expect("Description-Content-Type", (meta["Description-Content-Type"] or "").split(";")[0], "text/markdown")
expect("long description", meta.get_payload().strip(), open("README.md", encoding="utf-8").read().strip())
expect("Requires-Python", meta["Requires-Python"], ">=3.8")
urls = meta.get_all("Project-URL") or []
expect("Repository URL", "Repository, https://github.com/qpol-dev/qpol" in urls, True)
binary = f"qpol_cli-{version}.data/scripts/qpol"
if binary not in names:
    errors.append(f"no {binary} in {names}")
else:
    info = z.getinfo(binary)
    expect("binary mode", oct((info.external_attr >> 16) & 0o111), oct(0o111))
    elf = z.read(binary)
    # ELF64 section headers: no .debug_* section (profile.release: no debug info).
    shoff = int.from_bytes(elf[0x28:0x30], "little")
    shentsize, shnum, shstrndx = (int.from_bytes(elf[o:o + 2], "little") for o in (0x3A, 0x3C, 0x3E))
    def header(i):
        h = elf[shoff + i * shentsize:shoff + (i + 1) * shentsize]
        return int.from_bytes(h[0:4], "little"), int.from_bytes(h[0x18:0x20], "little")
    strtab = header(shstrndx)[1]
    sections = [elf[strtab + n:elf.index(b"\0", strtab + n)].decode() for n, _ in map(header, range(shnum))]
    if ".text" not in sections:
        errors.append(f"could not read the binary's sections: {sections}")
    debug = [s for s in sections if s.startswith(".debug_")]
    if debug:
        errors.append(f"the binary carries debug info: {debug}")
for e in errors:
    print("wheel:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
echo "package: the wheel's metadata (version $version, README, Apache-2.0) and binary (no debug info) are right"

# 3. A fresh venv with the wheel only, used with no Rust on the PATH.
venv=$work/venv
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
env -i HOME="$HOME" PATH="$venv/bin:/usr/bin:/bin" VENV="$venv" OUT="$work/out" EXPECTED="$expected" \
  bash -euo pipefail -c '
  if command -v cargo || command -v rustc; then echo "cargo or rustc is on the PATH" >&2; exit 1; fi
  [ "$(command -v qpol)" = "$VENV/bin/qpol" ] || { echo "qpol is not the venv'\''s" >&2; exit 1; }
  line=$("$VENV/bin/qpol" --version)
  case "$line" in "$EXPECTED"*")") ;; *) echo "qpol --version: $line, expected $EXPECTED...)" >&2; exit 1 ;; esac
  qpol check policies/org.qpol >"$OUT.log" 2>&1 || { cat "$OUT.log" >&2; exit 1; }
  qpol compile policies/org.qpol -o "$OUT" >"$OUT.log" 2>&1 || { cat "$OUT.log" >&2; exit 1; }
  grep -q "\"ibm_iam_access_group\"" "$OUT/main.tf.json" || { echo "no access group in main.tf.json" >&2; exit 1; }
  echo "package: the wheel'\''s qpol without Rust: $line; check and compile pass"
' || fail "the installed wheel does not work without Rust (above)"

# 4. cargo install, sharing the target folder.
t=$SECONDS
cargo install --quiet --locked --path . --root "$work/cargo-root"
install_s=$((SECONDS - t))
line=$("$work/cargo-root/bin/qpol" --version)
case "$line" in "$expected"*")") ;; *) fail "cargo install's qpol --version: $line, expected $expected...)" ;; esac
echo "package: cargo install --path . (${install_s} s): $line"

# 5. The Action: its schema (a broken copy must fail), then its steps.
"$tools/venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
sed 's/using: composite/using: compost/' action.yml >"$work/broken-action.yml"
if "$tools/venv/bin/check-jsonschema" --builtin-schema vendor.github-actions "$work/broken-action.yml" >/dev/null 2>&1; then
  fail "check-jsonschema accepts a broken action.yml: is it checking?"
fi
# A policy repository whose pull request changes who gets access.
pr=$work/policy-repo
mkdir -p "$pr/policies"
cp policies/org.qpol "$pr/policies/"
git -C "$pr" init --quiet
git -C "$pr" add policies
git -C "$pr" -c user.name=ci -c user.email=ci@example.com commit --quiet -m base
git -C "$pr" update-ref refs/remotes/origin/main HEAD
sed -i 's/members where project contains "finance"/members where project contains "fin"/' "$pr/policies/org.qpol"
git -C "$pr" -c user.name=ci -c user.email=ci@example.com commit --quiet -am 'finance: wider rule'
action() { # name, event, inputs...; the outputs JSON in $work/NAME.json
  local name=$1 event=$2 rc=0
  shift 2
  mkdir -p "$work/runner-$name"
  (cd "$pr" && PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" \
    "$py" "$repo/.ci/package_action.py" "$repo" "$event" main "$work/runner-$name" "$@" \
    >"$work/$name.json" 2>"$work/$name.log") || rc=$?
  echo "$rc"
}
rc=$(action pr pull_request)
[ "$rc" = 0 ] || { cat "$work/pr.log" >&2; fail "the Action failed on a pull request that only changes access"; }
"$py" - "$work/pr.json" "$work/runner-pr" "$expected" <<'EOF' || { cat "$work/pr.log" >&2; fail "the Action's outputs are wrong (above)"; }
import json, sys
out, runner, expected = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
errors = []
if out["access-changed"] != "true" or out["diff-exit"] != "3":
    errors.append(f"access-changed/diff-exit: {out}")
if not out["version"].startswith(expected):
    errors.append(f"version: {out['version']}")
sarif = json.load(open(out["sarif-file"]))
if sarif.get("version") != "2.1.0":
    errors.append("the SARIF log is not SARIF 2.1.0")
diff = open(f"{runner}/qpol/diff.md").read()
if "finance" not in diff:
    errors.append(f"the diff comment does not name the project: {diff[:300]}")
for e in errors:
    print("action:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF
grep -q 'would run actions/github-script@v7: Post or update the access-diff comment' "$work/pr.log" ||
  { cat "$work/pr.log" >&2; fail "the Action would not comment on the pull request"; }
grep -q 'would run github/codeql-action/upload-sarif@v3' "$work/pr.log" || fail "the Action would not upload SARIF"
rc=$(action strict pull_request fail-on-access-change=true comment=false)
[ "$rc" = 1 ] || { cat "$work/strict.log" >&2; fail "fail-on-access-change=true did not fail the Action on an access change"; }
grep -q 'skipped: Post or update the access-diff comment' "$work/strict.log" || fail "comment=false still comments"
rc=$(action bad pull_request deny-warnings=yes)
[ "$rc" = 1 ] && grep -q 'input deny-warnings must be "true" or "false"' "$work/bad.log" ||
  { cat "$work/bad.log" >&2; fail "the Action took deny-warnings=yes"; }
rc=$(action push push)
[ "$rc" = 0 ] && grep -q 'skipped: Access diff' "$work/push.log" || { cat "$work/push.log" >&2; fail "the Action on a push"; }
# A pull request that deletes an instance: Q302 fails the job, and its
# annotation and SARIF result sit on the pull request's own policy file
# (the baseline is read with --baseline-git, not from a copy in RUNNER_TEMP).
git -C "$pr" reset --quiet --hard origin/main
sed -i '/^instance QR-finance /d; s/instances QR-finance, QR-common/instances QR-common/; /QR-finance;$/d' "$pr/policies/org.qpol"
git -C "$pr" -c user.name=ci -c user.email=ci@example.com commit --quiet -am 'drop QR-finance'
rc=$(action deleted pull_request)
[ "$rc" = 1 ] && grep -q '^::error file=policies/org.qpol,title=Q302 ' "$work/deleted.log" ||
  { cat "$work/deleted.log" >&2; fail "the Action's Q302 annotation is not on policies/org.qpol"; }
"$py" - "$work/deleted.json" <<'EOF' || { cat "$work/deleted.log" >&2; fail "the Action's SARIF Q302 result is misplaced"; }
import json, sys
sarif = json.load(open(json.load(open(sys.argv[1]))["sarif-file"]))
uris = [l["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"] if r["ruleId"] == "Q302" for l in r["locations"]]
sys.exit(0 if uris == ["policies/org.qpol"] else f"Q302 locations: {uris}")
EOF
echo "package: action.yml is valid; on a pull request it reports access-changed, fails when asked to, refuses a bad input, puts a deleted instance's Q302 on the pull request's file; on a push it only checks"

# 6. The pre-commit hooks: the manifest; try-repo of qpol-check here (pip
#    builds the wheel from a clone of this repository, into the shared
#    target folder); then, in a throw-away repository, the configuration of
#    examples/ci/ pointed at this commit (one hook environment for all runs:
#    try-repo would build it again for each).
"$tools/venv/bin/pre-commit" validate-manifest .pre-commit-hooks.yaml
export PRE_COMMIT_HOME=$work/pre-commit-home
t=$SECONDS
"$tools/venv/bin/pre-commit" try-repo "$repo" qpol-check --files policies/org.qpol >"$work/try.log" 2>&1 ||
  { cat "$work/try.log" >&2; fail "pre-commit try-repo . qpol-check failed"; }
try_s=$((SECONDS - t))
grep -qE '^qpol check\.+Passed' "$work/try.log" || { cat "$work/try.log" >&2; fail "qpol-check did not pass"; }
hooks=$work/hooks-repo
mkdir -p "$hooks/policies"
cp policies/org.qpol "$hooks/policies/unformatted.qpol"
"$venv/bin/qpol" fmt - <policies/org.qpol >"$work/formatted.qpol"
cp "$work/formatted.qpol" "$hooks/policies/formatted.qpol"
cmp -s "$hooks/policies/unformatted.qpol" "$work/formatted.qpol" && fail "policies/org.qpol is formatted already: no unformatted copy to try"
rev=$(git rev-parse HEAD)
grep -q "^    rev: v$version\$" examples/ci/pre-commit-config.yaml || fail "examples/ci/pre-commit-config.yaml does not pin v$version"
sed -e "s|repo: https://github.com/qpol-dev/qpol\$|repo: $repo|" -e "s|rev: v$version\$|rev: $rev|" \
  examples/ci/pre-commit-config.yaml >"$hooks/.pre-commit-config.yaml"
grep -q "rev: $rev" "$hooks/.pre-commit-config.yaml" || fail "could not point the example configuration at $rev"
git -C "$hooks" init --quiet
# pre-commit wants its configuration staged, and sees a hook's changes to
# tracked files only: the unformatted file is staged. The formatted one is
# not (its bytes are compared below), so that its edit further down is not
# an unstaged change pre-commit would stash away while qpol-check runs.
git -C "$hooks" add .pre-commit-config.yaml policies/unformatted.qpol
hook() { # hook, files...; exit code, log in $work/hook.log
  local rc=0
  (cd "$hooks" && "$tools/venv/bin/pre-commit" run "$@") >"$work/hook.log" 2>&1 || rc=$?
  echo "$rc"
}
t=$SECONDS
[ "$(hook qpol-fmt --files policies/formatted.qpol)" = 0 ] || { cat "$work/hook.log" >&2; fail "qpol-fmt failed on a formatted file"; }
hook_s=$((SECONDS - t))
grep -qE '^qpol fmt\.+Passed' "$work/hook.log" || { cat "$work/hook.log" >&2; fail "qpol-fmt did not run"; }
cmp -s "$hooks/policies/formatted.qpol" "$work/formatted.qpol" || fail "qpol-fmt changed a formatted file"
[ "$(hook qpol-fmt --files policies/unformatted.qpol)" = 1 ] || { cat "$work/hook.log" >&2; fail "qpol-fmt passed an unformatted file"; }
grep -q 'files were modified by this hook' "$work/hook.log" || { cat "$work/hook.log" >&2; fail "qpol-fmt: no 'files were modified'"; }
cmp -s "$hooks/policies/unformatted.qpol" "$work/formatted.qpol" || fail "qpol-fmt did not rewrite the unformatted file"
# qpol-check reads the folder, not the files passed: a policy with an error
# (a dangling name) fails it whichever .qpol file is committed.
git -C "$hooks" rm --quiet --force policies/unformatted.qpol
sed -i 's/^  resource_group quantum;/  resource_group quantm;/' "$hooks/policies/formatted.qpol"
[ "$(hook qpol-check --files .pre-commit-config.yaml)" = 0 ] || { cat "$work/hook.log" >&2; fail "qpol-check ran for a file that is no .qpol"; }
[ "$(hook qpol-check --files policies/formatted.qpol)" = 1 ] && grep -q 'Q101' "$work/hook.log" ||
  { cat "$work/hook.log" >&2; fail "qpol-check passed a policy with an error"; }
echo "package: .pre-commit-hooks.yaml is valid; try-repo qpol-check passes org.qpol (${try_s} s); with examples/ci/pre-commit-config.yaml at this commit (${hook_s} s for the first run): qpol-fmt passes a formatted file and rewrites an unformatted one, qpol-check fails a policy with an error"
# pre-commit built qpol from its clone into target/: build from this checkout next time.
touch build.rs src/lib.rs src/main.rs

# 7. The sdist builds again, outside git (the commit comes from QPOL_BUILD_COMMIT).
if [ "${QPOL_CI_SDIST:-1}" != 0 ]; then
  "$tools/venv/bin/maturin" sdist --out "$work/sdist" >/dev/null 2>&1 || fail "maturin sdist failed"
  mkdir "$work/sdist/x"
  tar -xzf "$work/sdist/qpol_cli-$version.tar.gz" -C "$work/sdist/x"
  t=$SECONDS
  (cd "$work/sdist/x/qpol_cli-$version" &&
    QPOL_BUILD_COMMIT="$(git -C "$repo" log -1 --format='%H %cs')" CARGO_TARGET_DIR="$repo/target/sdist-build" \
      "$tools/venv/bin/maturin" build --release --out "$work/sdist/wheels" >"$work/sdist.log" 2>&1) ||
    { tail -30 "$work/sdist.log" >&2; fail "the sdist does not build"; }
  "$py" -m zipfile -e "$work"/sdist/wheels/qpol_cli-"$version"-*.whl "$work/sdist/unpacked"
  chmod +x "$work/sdist/unpacked/qpol_cli-$version.data/scripts/qpol"
  line=$("$work/sdist/unpacked/qpol_cli-$version.data/scripts/qpol" --version)
  case "$line" in "$expected"*")") ;; *) fail "the sdist's wheel says $line, expected $expected...)" ;; esac
  echo "package: the sdist builds a wheel ($((SECONDS - t)) s): $line"
fi

# 8. A repository made by `qpol init` with the wheel's qpol, no Rust on the
#    PATH: it checks clean, its asserts pass, it compiles to both targets and
#    is formatted; init again changes no byte and says so. Then its workflow
#    and pre-commit configuration pass their schemas, and its own pre-commit
#    configuration (the source pointed at this commit, as in 6) passes.
org=$work/org
env -i HOME="$HOME" PATH="$venv/bin:/usr/bin:/bin" ORG="$org" bash -euo pipefail -c '
  if command -v cargo || command -v rustc; then echo "cargo or rustc is on the PATH" >&2; exit 1; fi
  qpol init "$ORG" --project ml --project finance >"$ORG.log" || { cat "$ORG.log" >&2; exit 1; }
  cd "$ORG"
  [ -z "$(qpol check policies)" ] || { qpol check policies >&2; echo "qpol check printed findings" >&2; exit 1; }
  qpol test policies | grep -q "^6 passed, 0 failed$" || { echo "qpol test: not 6 passed" >&2; exit 1; }
  qpol compile policies 2>/dev/null && [ -s out/main.tf.json ] || { echo "compile -t terraform failed" >&2; exit 1; }
  qpol compile policies -t ibm-api 2>/dev/null && [ -s out/plan.json ] || { echo "compile -t ibm-api failed" >&2; exit 1; }
  qpol fmt --check policies >/dev/null || { echo "policies/main.qpol is not formatted" >&2; exit 1; }
  before=$(find . -type f -exec sha256sum {} + | sort)
  qpol init . --project ml --project finance >"$ORG.again" || { cat "$ORG.again" >&2; exit 1; }
  grep -q "^Nothing to do: " "$ORG.again" || { cat "$ORG.again" >&2; echo "init again did not say why" >&2; exit 1; }
  [ "$before" = "$(find . -type f -exec sha256sum {} + | sort)" ] || { echo "init again changed files" >&2; exit 1; }
' || fail "the repository qpol init makes does not work with the wheel's qpol (above)"
"$tools/venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows "$org/.github/workflows/qpol.yml" >/dev/null ||
  fail "qpol init's workflow does not pass its schema"
"$tools/venv/bin/pre-commit" validate-config "$org/.pre-commit-config.yaml" ||
  fail "qpol init's .pre-commit-config.yaml is not valid"
sed -i -e "s|repo: https://github.com/qpol-dev/qpol\$|repo: $repo|" -e "s|rev: v$version\$|rev: $rev|" "$org/.pre-commit-config.yaml"
grep -q "rev: $rev" "$org/.pre-commit-config.yaml" || fail "could not point qpol init's pre-commit configuration at $rev"
git -C "$org" init --quiet
git -C "$org" add -A
git -C "$org" check-ignore -q out/main.tf.json || fail "qpol init's .gitignore does not keep out/ out of git"
rc=0
(cd "$org" && "$tools/venv/bin/pre-commit" run --all-files) >"$work/init-hooks.log" 2>&1 || rc=$?
if [ "$rc" != 0 ] || ! grep -qE '^qpol check\.+Passed' "$work/init-hooks.log" || ! grep -qE '^qpol fmt\.+Passed' "$work/init-hooks.log"; then
  cat "$work/init-hooks.log" >&2
  fail "the repository qpol init makes does not pass its own pre-commit hooks"
fi
echo "package: qpol init (the wheel's, no Rust): checks clean, 6 asserts pass, compiles, formatted, unchanged when run again; its workflow and hooks are valid and its own pre-commit hooks pass"

echo "package: all checks passed in $((SECONDS - started)) s"
