#!/usr/bin/env bash
# `qnnc emit-qasm --checkpoint M` (docs/qasm.md): every quantum layer of the experiment written
# with its trained weights as literals. The paper's generator features (8 copies of one
# 2-qubit circuit, each with its own weights) train for a few epochs; each of the 8 bound
# programs, simulated by the independent numpy reader (qasm_sim.py), equals the unbound
# program simulated with that copy's tensor read from the checkpoint by Python at 1e-12, the
# copies differ, a bound program reads back with no parameters, and wrong checkpoints are
# refused with the file's name.
set -u
QNNC=$(cd "$(dirname "${QNNC:-build/qnnc}")" && pwd)/$(basename "${QNNC:-build/qnnc}")
root=$(pwd)
PY=/usr/bin/python3
fail() { echo "qasm_bound.sh: $*"; exit 1; }
"$PY" -c "import numpy" 2>/dev/null || { echo "qasm_bound.sh: skipped: python3-numpy not installed"; exit 0; }
[ -n "${QNN_DATA_DIR:-}" ] && [ -f "$QNN_DATA_DIR/astronaut.png" ] ||
    { echo "qasm_bound.sh: skipped (astronaut.png not in QNN_DATA_DIR)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-qasmb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sed -e 's/size = 32, channels/size = 8, channels/' -e 's/grid(size = 32/grid(size = 8/' \
    "$root/examples/generator_features.qnn" > "$tmp/g.qnn"
cd "$tmp"
"$QNNC" run g.qnn --set epochs=3 --quiet --out run > run.log 2>&1 || fail "run failed: $(cat run.log)"

"$QNNC" emit-qasm g.qnn > free.qasm || fail "emit-qasm failed"
[ "$(grep -c '^OPENQASM' free.qasm)" -eq 1 ] || fail "the unbound export is not one program (one distinct circuit)"
"$QNNC" emit-qasm g.qnn --checkpoint run/model.safetensors > bound.qasm 2> bound.err ||
    fail "emit-qasm --checkpoint failed: $(cat bound.err)"
[ "$(grep -c '^OPENQASM' bound.qasm)" -eq 8 ] || fail "not 8 bound programs (one per layer)"
grep -q '^input float\[64\] w_' bound.qasm && fail "a bound program still declares parameters"
grep -q '^// parameters bound from run/model.safetensors (layer 3 of experiment generator_features)$' bound.qasm ||
    fail "no provenance comment"
# split into one file per program
awk '/^\/\/ circuit /{n++} {print > ("b" n ".qasm")}' bound.qasm

"$PY" - "$root/tests/e2e/qasm_sim.py" run/model.safetensors <<'PY' || fail "bound programs differ from the checkpoint's weights"
import json, struct, subprocess, sys
import numpy as np
sim, ck = sys.argv[1], sys.argv[2]
b = open(ck, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
def tensor(name):
    t = h[name]; lo, hi = t["data_offsets"]
    assert t["dtype"] == "F64", t["dtype"]
    return np.frombuffer(b[8 + n + lo:8 + n + hi], dtype="<f8")
def run(prog, pfile, x):
    out = subprocess.run([sys.executable, sim, prog, pfile, x], check=True, capture_output=True, text=True).stdout
    return np.array([float(v) for v in out.split()])
outs = []
for k in range(8):
    w = tensor("layers.2.b%d.layers.%d.w" % (k, 3 + k))
    open("p%d.csv" % k, "w").write(",".join("%.17g" % v for v in w))
    open("none.csv", "w").write("")
    for x in ("0.3,-1.1", "1.7,0.45"):
        want = run("free.qasm", "p%d.csv" % k, x)
        got = run("b%d.qasm" % (k + 1), "none.csv", x)
        if np.max(np.abs(want - got)) > 1e-12:
            sys.exit("copy %d at %s: bound %s, checkpoint %s" % (k, x, got, want))
    outs.append(got)
if min(np.max(np.abs(outs[i] - outs[j])) for i in range(8) for j in range(i)) < 1e-9:
    sys.exit("two copies give the same outputs: bound to the same weights?")
print("qasm_bound: 8 layers bound, equal to the checkpoint's weights at 1e-12")
PY

"$QNNC" from-qasm b1.qasm -o b1.qnn > /dev/null 2> imp.err || fail "a bound program does not read back: $(cat imp.err)"
grep -q "param" b1.qnn && fail "the imported bound circuit has parameters: $(cat b1.qnn)"

# refusals: weights of another model, an unreadable file, two experiments without --experiment
cat > other.qnn <<'QNN'
circuit c() { qubits q[1]; input x[1]; param v[2]; ry(x[0] + v[0]) q[0]; rx(v[1]) q[0]; expval Z(q[0]); }
model m() { quantum c(); }
experiment e1 { data = csv(path = "d.csv", inputs = 1); model = m(); epochs = 1; }
experiment e2 { data = csv(path = "d.csv", inputs = 1); model = m(); epochs = 1; }
QNN
set +e
"$QNNC" emit-qasm other.qnn --experiment e1 --checkpoint run/model.safetensors > /dev/null 2> o1.err; r1=$?
"$QNNC" emit-qasm other.qnn --checkpoint run/model.safetensors > /dev/null 2> o2.err; r2=$?
"$QNNC" emit-qasm g.qnn --checkpoint missing.safetensors > /dev/null 2> o3.err; r3=$?
set -e
[ $r1 -eq 1 ] && grep -q "run/model.safetensors: no tensor \`layers.0.v\`" o1.err || fail "another model's weights: rc $r1: $(cat o1.err)"
[ $r2 -eq 1 ] && grep -q "pick the one the weights belong to with --experiment" o2.err || fail "two experiments: rc $r2: $(cat o2.err)"
[ $r3 -eq 1 ] && grep -q "missing.safetensors" o3.err || fail "missing file: rc $r3: $(cat o3.err)"
echo "qasm_bound.sh: ok"
