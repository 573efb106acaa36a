#!/usr/bin/env bash
# CLI checks added with the diagnostics fixes: a bad --set is reported once, not once per
# experiment; every former hang or crash input ends quickly with exit 1.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
n=$("$QNNC" check examples/compare.qnn --set epochs=abc 2>&1 | grep -c "error:" || true)
[ "$n" = 1 ] || { echo "bad --set reported $n times"; exit 1; }
# a 2 MiB identifier (generated here rather than committed): a clear error, quickly
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -c "import sys; sys.stdout.write('circuit c { qubits q[1]; h ' + 'q' * (2 << 20) + '; expval Z(q[0]); }\n')" > "$tmp/huge.qnn"
set +e
timeout 10 "$QNNC" check "$tmp/huge.qnn" > "$tmp/out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { echo "huge identifier: exit $rc"; exit 1; }
grep -q "error:" "$tmp/out" || { echo "huge identifier: no error message"; exit 1; }
echo "cli_more: ok"
