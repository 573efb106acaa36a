#!/usr/bin/env bash
# End-to-end: `qnnc grad` (docs/grad.md). Outputs and both Jacobians of a circuit and of a
# model (with batch norm) agree with central finite differences of the forward (f64, 1e-6);
# the reference interpreter and f32 agree with the JIT; --seed gives the weights training
# starts from (a checkpoint after one epoch at a vanishing learning rate); --samples
# statistics equal a recomputation from the per-sample dump; .npy in and out; --widths writes
# its table and plot; bad input is one line with exit status 1, bad usage exit status 2.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
QNNC=$(cd "$(dirname "$QNNC")" && pwd)/$(basename "$QNNC")
# the finite differences and the file checks are NumPy's (as in python.sh)
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c "import numpy" 2>/dev/null || PY=python3
"$PY" -c "import numpy" 2>/dev/null || { echo "grad.sh: skipped: python3-numpy not installed"; exit 0; }
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

cat > c.qnn <<'QNN'
circuit reup(int n = 2, int depth = 2) {
    qubits q[n];
    input x[n];
    param w[depth + 1][n][2];
    param s init normal(0, 0.5);
    for k in 0..depth {
        for i in 0..n { ry(w[k][i][0]) q[i]; rz(w[k][i][1]) q[i]; }
        cnot q[0], q[1];
        for i in 0..n { rx(x[i] * s + 0.3 * x[i] * x[i]) q[i]; }
    }
    for i in 0..n { ry(w[depth][i][0]) q[i]; rz(w[depth][i][1]) q[i]; }
    for i in 0..n { expval Z(q[i]); }
    expval 0.5 * X(q[0]) @ X(q[1]) + 0.25 * Y(q[1]);
}
circuit noinput(int n = 3) {
    qubits q[n];
    param w[n];
    for i in 0..n { ry(w[i]) q[i]; }
    for i in 0..n - 1 { cz q[i], q[i + 1]; }
    expval Z(q[0]) @ Z(q[1]);
}
QNN
printf 'x0,x1\n0.1,0.2\n-0.7,1.3\n' > x.csv

# 1. a circuit with three argument values: outputs and Jacobians against finite differences
"$QNNC" grad c.qnn --circuit reup --seed 5 --inputs x.csv --out j.json
"$QNNC" grad c.qnn --circuit reup --seed 5 --inputs x.csv --out j.csv
"$QNNC" grad c.qnn --circuit reup --seed 5 --inputs x.csv --wrt params --out jp.npy
"$QNNC" grad c.qnn --circuit reup --seed 5 --inputs x.csv --reference --out ref.json
"$QNNC" grad c.qnn --circuit reup --seed 5 --inputs x.csv --precision f32 --out f32.json
"$PY" - "$QNNC" <<'PY'
import json, subprocess, sys, numpy as np
qnnc = sys.argv[1]
j = json.load(open("j.json"))
p = np.array(j["params"]); X = np.array([pt["input"] for pt in j["points"]])
Y = np.array([pt["output"] for pt in j["points"]])
JP = np.array([pt["d_params"] for pt in j["points"]]); JX = np.array([pt["d_inputs"] for pt in j["points"]])
assert JP.shape == (2, 3, 13) and JX.shape == (2, 3, 2), (JP.shape, JX.shape)
assert len(j["param_names"]) == 13 and j["param_names"][0] == "w[0][0][0]" and j["param_names"][12] == "s"
def fwd(params, xs):
    np.save("fp.npy", params); np.save("fx.npy", xs)
    out = subprocess.run([qnnc, "grad", "c.qnn", "--circuit", "reup", "--params", "fp.npy",
                          "--inputs", "fx.npy", "--wrt", "inputs", "--reference", "--out", "f.json"], check=True)
    return np.array([pt["output"] for pt in json.load(open("f.json"))["points"]])
assert np.allclose(fwd(p, X), Y, atol=1e-14)
h = 1e-5
for i in range(len(p)):
    e = np.zeros_like(p); e[i] = h
    d = (fwd(p + e, X) - fwd(p - e, X)) / (2 * h)
    assert np.allclose(d, JP[:, :, i], atol=1e-6), (i, d, JP[:, :, i])
# inputs: every perturbed point in one call (points are independent)
rows = []
for b in range(2):
    for jj in range(2):
        for sgn in (1, -1):
            r = X[b].copy(); r[jj] += sgn * h; rows.append(r)
F = fwd(p, np.array(rows)).reshape(2, 2, 2, 3)
d = (F[:, :, 0, :] - F[:, :, 1, :]) / (2 * h)            # [b][j][k]
assert np.allclose(d.transpose(0, 2, 1), JX, atol=1e-6), (d, JX)
# the CSV and the .npy hold the same numbers
c = np.loadtxt("j.csv", delimiter=",", skiprows=1)
assert c.shape == (6, 3 + 13 + 2)
assert np.array_equal(c[:, 2], Y.reshape(-1)) and np.array_equal(c[:, 3:16], JP.reshape(6, 13))
assert np.array_equal(c[:, 16:], JX.reshape(6, 2))
assert np.array_equal(np.load("jp.npy"), JP)
# the reference interpreter, and f32 within its precision
r = json.load(open("ref.json"))
assert np.allclose(np.array([pt["d_params"] for pt in r["points"]]), JP, atol=1e-10)
f = json.load(open("f32.json"))
assert f["precision"] == 32
assert np.allclose(np.array([pt["d_inputs"] for pt in f["points"]]), JX, atol=1e-4)
PY

# 2. a model with batch norm (tests/e2e/small.qnn): the points form one batch, as in training
cp "$root/tests/e2e/small.qnn" "$root/examples/embed/signal.csv" .
printf '0.1\n0.5\n-0.3\n0.9\n' > xm.csv
"$QNNC" grad small.qnn --inputs xm.csv --out m.json
"$PY" - "$QNNC" <<'PY'
import json, subprocess, sys, numpy as np
qnnc = sys.argv[1]
j = json.load(open("m.json"))
p = np.array(j["params"]); X = np.array([pt["input"] for pt in j["points"]])
Y = np.array([pt["output"] for pt in j["points"]])
JP = np.array([pt["d_params"] for pt in j["points"]]); JX = np.array([pt["d_inputs"] for pt in j["points"]])
assert JP.shape == (4, 1, 106) and j["param_names"][0] == "layers.0.weight[0]"
def fwd(params, xs):
    np.save("fp.npy", params); np.save("fx.npy", xs.reshape(-1, 1))
    subprocess.run([qnnc, "grad", "small.qnn", "--params", "fp.npy", "--inputs", "fx.npy",
                    "--wrt", "inputs", "--reference", "--out", "f.json"], check=True)
    return np.array([pt["output"] for pt in json.load(open("f.json"))["points"]])
h = 1e-5
for i in [0, 3, 7, 12, 20, 50, 60, 100, 105]:
    e = np.zeros_like(p); e[i] = h
    d = (fwd(p + e, X) - fwd(p - e, X)) / (2 * h)
    assert np.allclose(d, JP[:, :, i], atol=1e-6), (i, d, JP[:, :, i])
for b in range(4):   # d y[b] / d x[b], the others held: the batch statistics move with x[b]
    e = np.zeros_like(X); e[b] = h
    d = (fwd(p, X + e) - fwd(p, X - e)) / (2 * h)
    assert abs(d[b, 0] - JX[b, 0, 0]) < 1e-6, (b, d, JX[b])
PY
# running statistics: points independent, one point is enough
"$QNNC" grad small.qnn --input 0.3 --bn running --wrt inputs --out one.csv
"$QNNC" grad small.qnn --input 0.3 2> bn.err && exit 1 || true
grep -q "needs at least 2 input points" bn.err || { cat bn.err; exit 1; }

# 3. --seed reproduces the initial weights of training: one epoch at a learning rate too small
# to move any weight leaves the checkpoint at the initialisation
"$QNNC" run small.qnn -q --set epochs=1 --set optimizer.lr=1e-300 --out r0
"$QNNC" grad small.qnn --inputs xm.csv --wrt params --out s7.json
"$QNNC" grad small.qnn --inputs xm.csv --seed 8 --wrt params --out s8.json
"$QNNC" grad small.qnn --inputs xm.csv --checkpoint r0/model.safetensors --out ck.json
"$PY" - <<'PY'
import json, struct, numpy as np
b = open("r0/model.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); data = b[8 + n:]
s7 = json.load(open("s7.json")); s8 = json.load(open("s8.json")); ck = json.load(open("ck.json"))
assert s7["weights"] == "seed 7" and s8["weights"] == "seed 8"
ckpt = {}
for name, t in h.items():
    if name == "__metadata__": continue
    a, z = t["data_offsets"]; ckpt[name] = np.frombuffer(data[a:z], dtype="<f8")
flat = []
for name in s7["param_names"]:
    base, idx = name[:name.index("[")], int(name[name.index("[") + 1:-1])
    flat.append(ckpt[base].reshape(-1)[idx])
assert np.allclose(flat, s7["params"], rtol=0, atol=1e-12), "seed 7 is not the training init"
assert not np.allclose(s8["params"], s7["params"])
assert np.allclose(ck["params"], s7["params"], rtol=0, atol=1e-12)
PY

# a circuit's seed draws what a model whose first layer is that circuit draws from the seed
printf '0.1,0.2,0.3\n0.4,0.5,0.6\n' > d.csv
cat > eq.qnn <<'QNN'
import "c.qnn";
model m { quantum reup(n = 2); linear(3, 1); }
experiment e { data = csv("d.csv", inputs = 2, outputs = 1); model = m; seed = 11; }
QNN
"$QNNC" grad eq.qnn --input 0.1,0.2 --wrt params --out e.json
"$QNNC" grad c.qnn --circuit reup --seed 11 --input 0.1,0.2 --wrt params --out e11.json
"$PY" -c "
import json; e = json.load(open('e.json')); c = json.load(open('e11.json'))
assert e['params'][:13] == c['params'] and e['param_names'][12] == 'layers.0.s[0]'"

# 4. --samples: the statistics equal a recomputation from the dump; sample 0 is the --seed draw
"$QNNC" grad c.qnn --circuit reup --input 0.1,0.2 --samples 25 --seed 3 --dump d.csv --out st.csv -q
"$QNNC" grad c.qnn --circuit reup --input 0.1,0.2 --seed 3 --wrt params --out s3.json
"$QNNC" grad c.qnn --circuit noinput --samples 30 --init uniform --dump du.csv --out su.json -q
"$PY" - <<'PY'
import json, numpy as np
d = np.loadtxt("d.csv", delimiter=",", skiprows=1)
assert d.shape == (25, 1 + 13 + 3 * 13)
g = d[:, 14:]
st = np.loadtxt("st.csv", delimiter=",", skiprows=1)
assert st.shape == (39, 4)
assert np.allclose(st[:, 2], g.mean(0), rtol=1e-12, atol=1e-15)
assert np.allclose(st[:, 3], g.var(0, ddof=1), rtol=1e-10, atol=1e-15)
s3 = json.load(open("s3.json"))
assert np.array_equal(d[0, 1:14], np.array(s3["params"]))
assert np.array_equal(d[0, 14:], np.array(s3["points"][0]["d_params"]).reshape(-1))
u = np.loadtxt("du.csv", delimiter=",", skiprows=1)
su = json.load(open("su.json"))
assert su["samples"] == 30 and (u[:, 1:4] >= 0).all() and (u[:, 1:4] < 2 * np.pi).all()
assert np.allclose(np.array(su["variance"]).reshape(-1), u[:, 4:].var(0, ddof=1), rtol=1e-10)
assert abs(su["var_first"] - u[:, 4].var(ddof=1)) < 1e-12
PY

# 5. --widths: one row per width, and the plot
"$QNNC" grad "$root/examples/barren_plateau.qnn" --circuit hea --samples 20 --init uniform \
    --width-arg n --widths 2,3,4 --out bp.csv -q
[ "$(wc -l < bp.csv)" -eq 4 ] && head -1 bp.csv | grep -q '^width,qubits,params,var_first,mean_var$'
[ "$(head -c 8 bp.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || { echo "no PNG"; exit 1; }

# 6. bad input: one line naming the file, exit status 1; bad usage: exit status 2
expect() { # STATUS PATTERN -- COMMAND...
  local want=$1 pat=$2; shift 3
  set +e; "$@" > out.txt 2> err.txt; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || { echo "exit $rc, expected $want: $*"; cat err.txt; exit 1; }
  [ "$(wc -l < err.txt)" -eq 1 ] || { echo "not one line: $*"; cat err.txt; exit 1; }
  grep -qF -- "$pat" err.txt || { echo "expected '$pat': $*"; cat err.txt; exit 1; }
}
printf '1,2,3\n' > x3.csv
expect 1 "c.qnn has no circuit \`reupp\` (did you mean \`reup\`?)" -- "$QNNC" grad c.qnn --circuit reupp --input 1,2
expect 1 "x3.csv: row 1 has 3 values; circuit \`reup\` takes 2 inputs per point" -- "$QNNC" grad c.qnn --circuit reup --inputs x3.csv
expect 1 "--input has 1 value; circuit \`reup\` takes 2 inputs" -- "$QNNC" grad c.qnn --circuit reup --input 1
expect 1 "takes 2 inputs per point: give them" -- "$QNNC" grad c.qnn --circuit reup
"$PY" -c "import numpy as np; np.save('x3.npy', np.zeros((4, 3))); np.save('p5.npy', np.zeros(5)); np.save('x2.npy', np.zeros((2, 2), dtype=np.float32)); np.save('xi.npy', np.zeros((2, 2), dtype=np.int64))"
expect 1 "x3.npy: an array of 2 dimensions [4, ...]; circuit \`reup\` takes 2 inputs" -- "$QNNC" grad c.qnn --circuit reup --inputs x3.npy
expect 1 "xi.npy: dtype '<i8' is not supported" -- "$QNNC" grad c.qnn --circuit reup --inputs xi.npy
expect 1 "p5.npy: 5 values; circuit \`reup\` has 13 parameters" -- "$QNNC" grad c.qnn --circuit reup --inputs x2.npy --params p5.npy
"$QNNC" run c.qnn > /dev/null 2>&1 || true
cat > other.qnn <<'QNN'
import "qiren.qnn";
experiment other {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = qiren(d = 1, n = 2, hidden = 1, depth = 1);
    epochs = 1;
}
QNN
expect 1 "r0/model.safetensors:" -- "$QNNC" grad other.qnn --input 0.1 --bn running --checkpoint r0/model.safetensors
expect 1 "c.qnn has no experiment" -- "$QNNC" grad c.qnn --input 0.1
expect 2 "\`--wrt\` takes params, inputs or both, not \`all\`" -- "$QNNC" grad c.qnn --circuit reup --wrt all
expect 2 "\`--checkpoint\` holds a model's weights" -- "$QNNC" grad c.qnn --circuit reup --checkpoint m.st
expect 2 "unknown option \`--sample\` (did you mean \`--samples\`?)" -- "$QNNC" grad c.qnn --sample 3
expect 2 "a .npy file holds one array" -- "$QNNC" grad c.qnn --circuit reup --input 1,2 --out a.npy
expect 2 "\`--samples\` needs a number from 2" -- "$QNNC" grad c.qnn --circuit reup --samples 1
# a circuit argument's mistake is located in its option, as --set diagnostics are
set +e; "$QNNC" grad c.qnn --circuit reup --set depth=x --input 1,2 2> set.err; rc=$?; set -e
[ "$rc" -eq 1 ] && grep -qF -- "--set:1:7: error: argument \`depth\` of \`reup\` must be an integer" set.err \
    || { echo "exit $rc"; cat set.err; exit 1; }
echo "grad.sh: ok"
