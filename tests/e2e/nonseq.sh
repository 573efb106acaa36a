#!/usr/bin/env bash
# Non-sequential models (language.md 5.3): a model with split (8 two-qubit circuits), residual
# and parallel trains (the loss falls), its checkpoint evaluates to the same outputs with
# `qnnc eval`, the native binary of `qnnc build` writes the same weights and outputs as
# `qnnc run`, `qnnc info` prints the tree, and the checkpoint names nested tensors by the
# layer's place in the list (with PyTorch shapes).
set -u
QNNC=$(cd "$(dirname "${QNNC:-build/qnnc}")" && pwd)/$(basename "${QNNC:-build/qnnc}")
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-nonseq.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "nonseq.sh: $*"; exit 1; }
[ -n "${QNN_DATA_DIR:-}" ] && [ -f "$QNN_DATA_DIR/astronaut.png" ] ||
    { echo "nonseq.sh: skipped (astronaut.png not in QNN_DATA_DIR)"; exit 0; }
sed -e 's/size = 32, channels/size = 12, channels/' -e 's/grid(size = 32/grid(size = 12/' \
    -e 's/epochs = 100;/epochs = 40;/' "$root/examples/generator_features.qnn" > "$tmp/g.qnn"
cd "$tmp"

"$QNNC" info g.qnn > info.txt || fail "info failed"
grep -q "model circuit_features: 2 -> 8, 352 parameters" info.txt || fail "not 352 parameters: $(cat info.txt)"
grep -qE "^ +2  split +16 -> 8 +288  8 copies on slices of 2" info.txt || fail "split not in the tree"
grep -qE "^ +10    quantum +2 -> 1 +36  \[copy 7\]" info.txt || fail "copy 7 not in the tree"
grep -qE "^ +15  parallel +32 +1056  2 branches" info.txt || fail "parallel not in the tree"

"$QNNC" run g.qnn --quiet --out run > run.log 2>&1 || fail "run failed: $(cat run.log)"
/usr/bin/python3 - run/metrics.jsonl <<'PY' || fail "the loss did not fall"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[0]["kind"] == "header" and rows[0]["model_name"], rows[0]
rows = rows[1:]
first, last = rows[0]["loss"], rows[-1]["loss"]
print("nonseq: loss %.4g -> %.4g over %d epochs" % (first, last, len(rows)))
sys.exit(0 if last < 0.8 * first else 1)
PY
/usr/bin/python3 - run/model.safetensors <<'PY' || fail "checkpoint names or shapes"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
h = json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])
want = {"layers.0.weight": [16, 2], "layers.2.b0.layers.3.w": [3, 2, 2, 3],
        "layers.2.b7.layers.10.w": [3, 2, 2, 3], "layers.12.b0.layers.13.weight": [32, 32],
        "layers.15.b1.layers.18.weight": [16, 32], "layers.20.bias": [1]}
for k, s in want.items():
    if h.get(k, {}).get("shape") != s:
        sys.exit("%s: %s, want %s" % (k, h.get(k), s))
n = sum(1 for k in h if k.startswith("layers.2.b"))
if n != 8: sys.exit("%d split tensors, want 8" % n)
PY

"$QNNC" eval g.qnn --checkpoint run/model.safetensors --quiet --out ev > ev.log 2>&1 ||
    fail "eval failed: $(cat ev.log)"
cmp -s run/fit.csv ev/fit.csv || fail "qnnc eval of the checkpoint differs from the run's fit.csv"

"$QNNC" build g.qnn -o gbin --quiet > build.log 2>&1 || fail "build failed: $(cat build.log)"
./gbin --quiet --out bin > bin.log 2>&1 || fail "native run failed: $(cat bin.log)"
for f in model.safetensors fit.csv fit.png; do
    cmp -s "run/$f" "bin/$f" || fail "native binary's $f differs from qnnc run's"
done
# the Python bridge (`--emit shared`): the nested tensors, and the model's gradients against
# central differences in float64 (inputs, and parameters of a split copy, a residual, a branch)
QNNC="$QNNC" PYTHONPATH="$root/python" /usr/bin/python3 - g.qnn <<'PY' || fail "Python bridge"
import os, sys
import numpy as np
import qnn
m = qnn.compile(sys.argv[1], qnnc=os.environ["QNNC"], cache_dir="pycache").model()
names = [t[0] for t in m.tensors]
assert "layers.2.b5.layers.8.w" in names and "layers.15.b0.layers.16.weight" in names, names
rng = np.random.default_rng(1)
x, c = rng.uniform(-1, 1, (10, 2)), rng.normal(size=(10, 1))
loss = lambda: float(np.sum(c * m.forward(x)))
m.forward(x)
g, gx = m.backward(c)
h, worst = 1e-6, 0.0
for i in range(x.size):
    k = np.unravel_index(i, x.shape); keep = x[k]
    x[k] = keep + h; lp = loss(); x[k] = keep - h; lm = loss(); x[k] = keep
    worst = max(worst, abs(gx[k] - (lp - lm) / (2 * h)) / max(1, abs(gx[k])))
for name in ["layers.2.b5.layers.8.w", "layers.12.b0.layers.13.weight", "layers.15.b1.layers.18.bias"]:
    p = m.parameters[name]
    for j in range(3):
        k = np.unravel_index(j, p.shape); keep = p[k]
        p[k] = keep + h; m.set_tensors({name: p}); lp = loss()
        p[k] = keep - h; m.set_tensors({name: p}); lm = loss()
        p[k] = keep; m.set_tensors({name: p})
        worst = max(worst, abs(g[name][k] - (lp - lm) / (2 * h)) / max(1, abs(g[name][k])))
print("nonseq: Python bridge, worst relative gradient error %.2g" % worst)
sys.exit(0 if worst < 1e-6 else 1)
PY
echo "nonseq.sh: ok"
