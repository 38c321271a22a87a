#!/usr/bin/env bash
# The language server in a real editor: Neovim's built-in LSP client
# (headless), configured by the README's editors/qpol.lua alone (the built
# qpol first on PATH), opens tests/nvim/planted.qpol inside a copy of
# policies/ (one policy with org.qpol: a planted overlap and a misspelt
# instance); the diagnostics, quick fix, formatting, hover, definition (in
# org.qpol), completion and the shared client it received are checked.
# Works with Debian's Neovim 0.7 and with 0.8 or later.
# Needs `nvim` (Debian: apt-get install -y neovim) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvim >/dev/null || { apt-get update && apt-get install -y neovim; }
command -v python3 >/dev/null || { apt-get update && apt-get install -y python3; }
cargo build --quiet --bin qpol
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r policies "$work/policies"
cp tests/nvim/planted.qpol "$work/policies/planted.qpol"
target/debug/qpol fmt - <tests/nvim/planted.qpol >"$work/expected.txt"
QPOL_BIN="$PWD/target/debug/qpol" QPOL_NVIM_OUT="$work/out.json" \
  timeout 120 nvim --headless -u tests/nvim/test-init.lua "$work/policies/planted.qpol" </dev/null ||
  { echo "nvim failed:"; cat "$work/out.json" 2>/dev/null; exit 1; }
python3 - "$work/out.json" "$work/expected.txt" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
expected = open(sys.argv[2]).read()
assert "error" not in got, got["error"]
assert got["filetype"] == "qpol", got["filetype"]
found = [(d["code"], d["lnum"], d["col"], d["end_lnum"], d["end_col"], d["severity"]) for d in got["diagnostics"]]
assert found == [("Q201", 2, 63, 2, 68, 1), ("Q101", 3, 23, 3, 31, 1)], found
assert "also admits users whose project is `finance`" in got["diagnostics"][0]["message"], got["diagnostics"][0]
assert got["code_actions"] == ["replace `QR-comon` with `QR-common`"], got["code_actions"]
assert got["formatted"] == expected, (got["formatted"], expected)
for key in ("hover", "definition"):
    assert isinstance(got[key], dict) or isinstance(got[key], list), (key, got[key])
hover = got["hover"]["contents"]
assert hover["kind"] == "markdown", got["hover"]
assert "**instance** `QR-fin`" in hover["value"], got["hover"]
assert "members of project `fin` with role `writer`" in hover["value"], got["hover"]
assert "users of project `finance`, admitted by rule" in hover["value"], got["hover"]
target = got["definition"]
target = target[0] if isinstance(target, list) else target
assert (target.get("targetUri") or target["uri"]).endswith("/policies/org.qpol"), target
start = (target.get("targetSelectionRange") or target.get("range"))["start"]
assert (start["line"], start["character"]) == (24, 5), ("role writer is declared on org.qpol's line 25", target)
completion = got["completion"]
assert isinstance(completion, list), completion
for name in ("QR-common", "QR-fin", "QR-finance", "QR-ml"):
    assert name in completion, ("after `instances `", name, completion)
assert got["trigger_characters"] == [" ", ",", "."], got["trigger_characters"]
assert got["same_client"] is True and got["qpol_clients"] == 1, ("one client per folder", got)
print(f"nvim {got['nvim']}: diagnostics {[f[0] for f in found]}, quick fix, formatting, hover, "
      f"definition, completion, one client per folder ok")
PY
