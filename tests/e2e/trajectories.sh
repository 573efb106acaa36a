#!/usr/bin/env bash
# End-to-end: `simulation = trajectories` (docs/semantics.md §10.4, language.md §6.16).
# (1) qnnc grad of a noisy experiment: trajectories (K = 4000) against the density matrix,
#     outputs and gradients within 3 / sqrt(K) (an output of one run lies in [-1, 1], so its
#     standard error is at most 1 / sqrt(K)); the noiseless values are further off than that.
# (2) qnnc run: the same seed gives the same predictions, 1 and 2 threads identical ones,
#     another seed others; the run prints the standard error of the trajectory means; the
#     parameter-shift vjp trains as the adjoint one on the same draws.
# (3) 16 qubits: the density matrix is refused with its size, trajectories run, and qnnc info
#     gives the state vector per thread beside the density matrix's size.
# (4) precision f32 on a density-matrix experiment is not silently f64: a note says so.
# (5) a native binary of a trajectories experiment takes --set trajectories=K; a library
#     (one trajectory per call) is refused.
# The agreement within 3 standard errors per output (1-8 qubits) is test_trajectory's.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
QNNC=$(cd "$(dirname "$QNNC")" && pwd)/$(basename "$QNNC")
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() { echo "trajectories.sh: $*"; exit 1; }
root=$(pwd)
cd "$tmp"
printf 't\n0.3\n-0.7\n' > x.csv

cat > n.qnn <<'QNN'
circuit c {
    qubits q[3];
    input x[1];
    param w[3];
    ry(x[0]) q[0];
    ry(w[0]) q[1];
    cnot q[0], q[1];
    depolarizing(0.3) q[1];
    rx(w[1]) q[2];
    cnot q[1], q[2];
    bit_flip(0.2) q[2];
    ry(w[2]) q[0];
    phase_flip(0.25) q[0];
    expval Z(q[2]);
    expval X(q[0]);
}
model m { quantum c; }
experiment e {
    data = csv("two.csv", inputs = 1, outputs = 2);
    model = m;
    epochs = 2;
    outputs = [csv("pred.csv")];
}
QNN
printf 't,a,b\n-0.8,0.1,0.2\n-0.3,-0.2,0.1\n0.2,0.3,0\n0.7,-0.1,0.4\n' > two.csv
"$QNNC" grad n.qnn --inputs x.csv --seed 3 > dm.csv
"$QNNC" grad n.qnn --inputs x.csv --seed 3 --set simulation=trajectories --set trajectories=4000 > tr.csv
sed -e 's/depolarizing(0.3) q\[1\];//; s/bit_flip(0.2) q\[2\];//; s/phase_flip(0.25) q\[0\];//' n.qnn > clean.qnn
"$QNNC" grad clean.qnn --inputs x.csv --seed 3 > sv.csv
"$PY" - <<'PY'
import csv, math
def rows(p): return [[float(v) for v in r] for r in list(csv.reader(open(p)))[1:]]
dm, tr, sv = rows("dm.csv"), rows("tr.csv"), rows("sv.csv")
bound = 3 / math.sqrt(4000)
worst = max(abs(a - b) for r, s in zip(dm, tr) for a, b in zip(r[2:], s[2:]))
assert worst < bound, ("trajectories vs density matrix", worst, bound)
noisy = max(abs(a - b) for r, s in zip(dm, sv) for a, b in zip(r[2:], s[2:]))
assert noisy > 3 * bound, ("the noise is too weak for the test to tell", noisy)
print("trajectories.sh: |trajectories - rho| <= %.4f (bound %.4f), |noiseless - rho| = %.3f" % (worst, bound, noisy))
PY

# (2) reproducible, thread-independent; the standard error is reported
run() { "$QNNC" run n.qnn --set simulation=trajectories --set trajectories=64 "$@" 2> run.err > /dev/null || { cat run.err; die "run $*"; }; }
run --out a --threads 1
grep -q "e: trajectories: the final evaluation's 8 circuit outputs are means of 64 runs, standard error mean" run.err ||
    { cat run.err; die "no standard error reported"; }
run --out b --threads 2
run --out c --threads 1
run --out d --threads 1 --set seed=9
cmp -s a/pred.csv b/pred.csv || die "1 and 2 threads differ"
cmp -s a/pred.csv c/pred.csv || die "the same seed gave other predictions"
if cmp -s a/pred.csv d/pred.csv; then die "another seed gave the same predictions"; fi

# the same draws through the parameter-shift vjp: the same training (the Pauli choices are
# constants of a run, so both rules differentiate the same circuits)
run --out s --threads 1 --grad shift --set log_every=1
run --out a1 --threads 1 --set log_every=1
"$PY" - a1/metrics.jsonl s/metrics.jsonl <<'PY'
import json, sys
def losses(p): return [r["loss"] for r in map(json.loads, open(p)) if "loss" in r]
a, b = losses(sys.argv[1]), losses(sys.argv[2])
assert len(a) == 2 and max(abs(x - y) for x, y in zip(a, b)) < 1e-12, (a, b)
PY

# (3) 16 qubits
cat > big.qnn <<'QNN'
circuit c {
    qubits q[16];
    input x[1];
    param w[16];
    for i in 0..16 { ry(x[0] * w[i]) q[i]; }
    for i in 0..15 { cnot q[i], q[i + 1]; }
    expval Z(q[15]);
}
model m { quantum c; }
experiment e {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = m;
    epochs = 1;
    noise = depolarizing(0.01, after = [cnot]);
    simulation = trajectories;
    trajectories = 2;
}
QNN
printf 't,value\n-0.8,0.1\n0.7,-0.1\n' > signal.csv
grep -v "trajectories = 2;" big.qnn > big_dm.qnn
if "$QNNC" check big_dm.qnn --set simulation=density_matrix 2> dm.err; then die "a 16-qubit density matrix was accepted"; fi
grep -q "its density matrix would take 68.7 GB per sample" dm.err || { cat dm.err; die "the density-matrix refusal"; }
"$QNNC" info big.qnn > info.txt
grep -q "simulation: trajectories, 2 per sample (30 draws per run); state vector 1048576 B per thread, the density matrix would be 68719476736 B per sample (over its limit)" info.txt ||
    { grep simulation info.txt; die "qnnc info's trajectories line"; }
"$QNNC" run big.qnn --out big 2> big.err > /dev/null || { cat big.err; die "16 qubits with trajectories did not run"; }
grep -q "means of 2 runs" big.err || { cat big.err; die "16 qubits: no standard error"; }

# (4) f32 on a density matrix: compiled in f32 (cg_dm.c), no note; with --reference (the
#     interpreter, f64 only) a note, not silence
"$QNNC" run n.qnn --out f32 --precision f32 --set epochs=1 2> f32.err > /dev/null || { cat f32.err; die "f32 run"; }
if grep -q "precision f32 does not apply" f32.err; then cat f32.err; die "a note for compiled f32 density matrices"; fi
"$QNNC" run n.qnn --out f32r --precision f32 --reference --set epochs=1 2> f32r.err > /dev/null || { cat f32r.err; die "f32 --reference run"; }
grep -q "note: experiment e simulates density matrices, which the reference interpreter computes in f64: precision f32 does not apply" f32r.err ||
    { cat f32r.err; die "no note for f32 on a density matrix with --reference"; }

# (5) a native binary: K at run time
"$QNNC" build big.qnn -o big_bin > /dev/null 2>&1 || die "qnnc build of a trajectories experiment"
./big_bin --out nb --set trajectories=3 2> nb.err > /dev/null || { cat nb.err; die "the binary's --set trajectories"; }
grep -q "means of 3 runs" nb.err || { cat nb.err; die "the binary did not take trajectories=3"; }
if "$QNNC" build big.qnn --emit shared -o big.so 2> so.err; then die "a library of a trajectories experiment was built"; fi
grep -q "libraries (--emit lib, --emit shared) export one trajectory per call, not the mean of 2" so.err || { cat so.err; die "the library refusal"; }
cd "$root"
echo "trajectories.sh: ok"
