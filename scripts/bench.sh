#!/usr/bin/env bash
# Prints the checker's figures on synthetic organizations (release build).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench check
