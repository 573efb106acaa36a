#!/usr/bin/env bash
# End-to-end: rule 10, wire blocks (passes.h, compiler/cg_block.c) through the CLI. A
# StronglyEntanglingLayers-like circuit (Rot layers, CNOT chains, per-sample RY/RX encodings)
# at 17 qubits, where pass_fuse makes blocks: `qnnc info` counts them; `qnnc grad` compiled
# (blocks) agrees with the reference interpreter (`--reference`, no fusion) on outputs and
# both Jacobians to 1e-10, and f32 within its precision; at 8 qubits there are no blocks.
# About 10 s (two 17-qubit compilations and one interpreter run).
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
QNNC=$(cd "$(dirname "$QNNC")" && pwd)/$(basename "$QNNC")
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c "import numpy" 2>/dev/null || PY=python3
"$PY" -c "import numpy" 2>/dev/null || { echo "wire_blocks.sh: skipped: python3-numpy not installed"; exit 0; }
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

cat > c.qnn <<'QNN'
circuit sel(int n = 17, int layers = 2) {
    qubits q[n];
    input x[2];
    param w[layers][n][3];
    for i in 0..n { ry(x[0]) q[i]; rx(x[1]) q[i]; }
    for l in 0..layers {
        for i in 0..n { rot(w[l][i][0], w[l][i][1], w[l][i][2]) q[i]; }
        for i in 0..n - 1 { cnot q[i], q[i + 1]; }
    }
    expval Z(q[0]);
    expval X(q[5]) @ Z(q[16]);
}
circuit small(int n = 8) {
    qubits q[n];
    input x[1];
    param w[n][3];
    for i in 0..n { ry(x[0]) q[i]; }
    for i in 0..n { rot(w[i][0], w[i][1], w[i][2]) q[i]; }
    for i in 0..n - 1 { cnot q[i], q[i + 1]; }
    expval Z(q[0]);
}
QNN
printf '0.3,-0.7\n1.1,0.4\n' > x.csv

"$QNNC" info c.qnn > info.txt
grep -A3 '^circuit sel' info.txt | grep -q 'sweeps over the state: 100 before fusion -> 39 after (fused1q 17, fusedblock 22)' ||
    { cat info.txt; echo "wire_blocks: 17 qubits should be in 22 blocks"; exit 1; }
grep -A3 '^circuit small' info.txt | grep 'sweeps over the state' | grep -vq fusedblock ||
    { cat info.txt; echo "wire_blocks: 8 qubits should have no blocks"; exit 1; }

"$QNNC" grad c.qnn --circuit sel --seed 3 --inputs x.csv --out jit.json
"$QNNC" grad c.qnn --circuit sel --seed 3 --inputs x.csv --reference --out ref.json
"$QNNC" grad c.qnn --circuit sel --seed 3 --inputs x.csv --precision f32 --out f32.json
"$PY" - <<'PY'
import json, numpy as np
def load(f):
    j = json.load(open(f))
    pts = j["points"]
    return [np.array([p[k] for p in pts]) for k in ("output", "d_params", "d_inputs")]
a, r, s = load("jit.json"), load("ref.json"), load("f32.json")
assert a[1].shape == (2, 2, 102) and a[2].shape == (2, 2, 2), (a[1].shape, a[2].shape)
assert np.abs(a[1]).max() > 1e-3  # the gradients are not all zero
for name, x, y in zip(("outputs", "d_params", "d_inputs"), a, r):
    err = np.abs(x - y).max()
    assert err <= 1e-10, (name, err)
for name, x, y in zip(("outputs", "d_params", "d_inputs"), s, r):
    err = np.abs(x - y).max()
    assert err <= 5e-4, ("f32", name, err)  # 2^17 amplitudes summed in float
print("wire_blocks: 17 qubits, 22 blocks: compiled = interpreter to %.1e (f32 %.1e)" %
      (max(np.abs(x - y).max() for x, y in zip(a, r)), max(np.abs(x - y).max() for x, y in zip(s, r))))
PY

# Training goes through the quantum layer's kept forward states (rt_circuit forward_keep /
# vjp_kept) over the block kernels: QIREN at 17 qubits (24 blocks) on 2 points, 2 epochs,
# trains as the reference interpreter (no fusion) does, to 1e-12 in the loss.
cp "$root/tests/e2e/small.qnn" "$root/examples/embed/signal.csv" .
head -3 signal.csv > s2.csv
sed -i 's/signal.csv/s2.csv/' small.qnn
"$QNNC" run small.qnn --quiet --set model.n=17 --set epochs=2 --out a
"$QNNC" run small.qnn --quiet --set model.n=17 --set epochs=2 --out r --reference
"$PY" - <<'PY'
import json
def losses(d):
    return [r["loss"] for r in map(json.loads, open(d + "/metrics.jsonl")) if "loss" in r]
a, r = losses("a"), losses("r")
assert len(a) == len(r) == 2, (a, r)
d = max(abs(x - y) / abs(y) for x, y in zip(a, r))
assert d < 1e-12, (a, r)
print("wire_blocks: QIREN at 17 qubits trains as the interpreter (loss rel. diff %.1e)" % d)
PY
