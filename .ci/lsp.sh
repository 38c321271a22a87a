#!/usr/bin/env bash
# The language server in a real editor: Neovim's built-in LSP client
# (headless) opens a policy with a planted overlap and a misspelt instance;
# the diagnostics, quick fixes, formatting, hover and definition it
# received are checked.
# Needs `nvim` (Debian: apt-get install -y neovim) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvim >/dev/null || { apt-get update && apt-get install -y neovim; }
command -v python3 >/dev/null || { apt-get update && apt-get install -y python3; }
cargo build --quiet --bin qpol
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp tests/nvim/planted.qpol "$work/org.qpol"
target/debug/qpol fmt - <tests/nvim/planted.qpol >"$work/expected.txt"
QPOL_BIN="$PWD/target/debug/qpol" QPOL_NVIM_OUT="$work/out.json" \
  timeout 120 nvim --headless -u tests/nvim/test-init.lua "$work/org.qpol" </dev/null ||
  { echo "nvim failed:"; cat "$work/out.json" 2>/dev/null; exit 1; }
python3 - "$work/out.json" "$work/expected.txt" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
expected = open(sys.argv[2]).read()
assert "error" not in got, got["error"]
found = [(d["code"], d["lnum"], d["col"], d["end_lnum"], d["end_col"], d["severity"]) for d in got["diagnostics"]]
assert found == [("Q201", 3, 61, 3, 65, 1), ("Q101", 5, 23, 5, 29, 1)], found
assert "users of project chemlab would get" in got["diagnostics"][0]["message"], got["diagnostics"][0]
assert got["code_actions"] == ["replace `QR-mll` with `QR-ml`"], got["code_actions"]
assert got["formatted"] == expected, (got["formatted"], expected)
for key in ("hover", "definition"):
    assert isinstance(got[key], dict) or isinstance(got[key], list), (key, got[key])
hover = got["hover"]["contents"]
assert hover["kind"] == "markdown", got["hover"]
assert "**instance** `QR-ml`" in hover["value"], got["hover"]
assert "members of project `ml` with role `writer`" in hover["value"], got["hover"]
target = got["definition"]
target = target[0] if isinstance(target, list) else target
start = (target.get("targetSelectionRange") or target.get("range"))["start"]
assert (start["line"], start["character"]) == (1, 9), ("QR-ml is declared on line 2", target)
print(f"nvim {got['nvim']}: diagnostics {[f[0] for f in found]}, quick fix, formatting, hover, definition ok")
PY
