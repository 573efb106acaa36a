#!/usr/bin/env bash
# End-to-end: noise channels and the density-matrix simulation (docs/semantics.md §8).
# (1) tests/noise/dm_ref.py: every channel, readout error, a two-qubit kraus and trainable
#     strengths through `qnnc grad --reference`, against numpy Kraus sums at 1e-12 and
#     numpy central finite differences; a noiseless circuit equal to the state vector (JIT).
# (2) The state-vector code generator refuses a channel with its line.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PY" tests/noise/dm_ref.py "$tmp"

cat > "$tmp/n.qnn" <<'QNN'
circuit c {
    qubits q[1];
    ry(0.3) q[0];
    bit_flip(0.1) q[0];
    expval Z(q[0]);
}
QNN
if "$QNNC" grad "$tmp/n.qnn" --circuit c > "$tmp/out.txt" 2>&1; then
    echo "noise.sh: the JIT simulated a channel as a state vector"; exit 1
fi
grep -q "line 4: \`bit_flip\` is a noise channel" "$tmp/out.txt" ||
    { cat "$tmp/out.txt"; echo "noise.sh: the refusal does not name the channel and line"; exit 1; }
"$QNNC" grad "$tmp/n.qnn" --circuit c --reference > "$tmp/ref.csv"
# <Z> = (1 - 2p) cos(0.3)
"$PY" -c "
import csv, math, sys
rows = list(csv.reader(open('$tmp/ref.csv')))
v = float(rows[1][2]); want = 0.8 * math.cos(0.3)
sys.exit(0 if abs(v - want) < 1e-14 else 'bit_flip: %r, want %r' % (v, want))"
echo "noise.sh: ok"
