#!/usr/bin/env bash
# End-to-end: noise channels and the density-matrix simulation (docs/semantics.md §9).
# (1) tests/noise/dm_ref.py: every channel, readout error, a two-qubit kraus and trainable
#     strengths through `qnnc grad` and `qnnc grad --reference`, against numpy Kraus sums at 1e-12 and
#     numpy central finite differences; a noiseless circuit equal to the state vector (JIT).
# (2) A noisy circuit without --reference runs on the compiled density matrices (cg_dm.c),
#     equal to the interpreter at 1e-13, and `qnnc emit-llvm` writes its kernels.
# (3) The `noise` setting inserts its channels (emit-ir), `simulation = statevector` with a
#     channel is refused, and examples/noisy_fit.qnn trains a few epochs with its loss falling.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() { echo "noise.sh: $*"; exit 1; }

"$PY" tests/noise/dm_ref.py "$tmp"

cat > "$tmp/n.qnn" <<'QNN'
circuit c {
    qubits q[1];
    ry(0.3) q[0];
    bit_flip(0.1) q[0];
    expval Z(q[0]);
}
QNN
"$QNNC" grad "$tmp/n.qnn" --circuit c > "$tmp/jit.csv"
"$QNNC" grad "$tmp/n.qnn" --circuit c --reference > "$tmp/ref.csv"
"$PY" - "$tmp/jit.csv" "$tmp/ref.csv" <<'PY' || die "grad without --reference differs from the interpreter"
import csv, sys
a, b = (list(csv.reader(open(f))) for f in sys.argv[1:])
assert a[0] == b[0] and len(a) == len(b), (a, b)
assert all(abs(float(x) - float(y)) < 1e-13 for r, q in zip(a[1:], b[1:]) for x, y in zip(r[2:], q[2:])), (a, b)
PY
# <Z> = (1 - 2p) cos(0.3)
"$PY" -c "
import csv, math, sys
rows = list(csv.reader(open('$tmp/ref.csv')))
v = float(rows[1][2]); want = 0.8 * math.cos(0.3)
sys.exit(0 if abs(v - want) < 1e-14 else 'bit_flip: %r, want %r' % (v, want))"

# the noise model: two depolarizing channels after the CNOT, none after the RY
cat > "$tmp/m.qnn" <<'QNN'
circuit c {
    qubits q[2];
    input x[1];
    ry(x[0]) q[0];
    cnot q[0], q[1];
    expval Z(q[1]);
}
model m { quantum c; }
experiment e {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = m;
    noise = depolarizing(0.1, after = [cnot]);
}
QNN
"$QNNC" emit-ir --no-fuse "$tmp/m.qnn" > "$tmp/m.ir"
[ "$(grep -c 'depolarizing(0.1) q\[[01]\]' "$tmp/m.ir")" = 2 ] || { cat "$tmp/m.ir"; die "the noise model did not insert 2 channels"; }
"$QNNC" info "$tmp/m.qnn" | grep -q "simulation: density_matrix; per sample, state vector 64 B, density matrix 256 B" ||
    die "qnnc info does not report the density matrix"
"$QNNC" emit-llvm "$tmp/m.qnn" > "$tmp/m.ll" || die "emit-llvm on a noisy circuit"
grep -q "define internal void @c_e[0-9]*(" "$tmp/m.ll" || die "emit-llvm: no density-matrix backward kernels"
if "$QNNC" check "$tmp/m.qnn" --set simulation=statevector 2> "$tmp/sv.err"; then die "statevector accepted a channel"; fi
grep -q "has a noise channel (\`depolarizing\`, of the \`noise\` setting, after line 5)" "$tmp/sv.err" || { cat "$tmp/sv.err"; die "the statevector refusal"; }

"$QNNC" run examples/noisy_fit.qnn --out "$tmp/fit" --set epochs=12 --set log_every=1 > "$tmp/fit.log" 2>&1 ||
    { cat "$tmp/fit.log"; die "examples/noisy_fit.qnn did not run"; }
"$PY" - "$tmp/fit.log" <<'PY'
import re, sys
losses = [float(m.group(1)) for m in re.finditer(r"loss ([0-9.e+-]+)", open(sys.argv[1]).read())]
assert len(losses) >= 12 and losses[-1] < 0.5 * losses[0], losses
PY
# uniform(): QIREN's coherent noise rx(pi + e u), a fresh draw per sample and call made by the
# quantum layer from the seed: the JIT and the interpreter see the same draws, the thread
# count changes nothing, e = 0 is the circuit without the draws, e > 0 changes the run.
cp examples/embed/signal.csv "$tmp/"
cat > "$tmp/u.qnn" <<'QNN'
circuit c(float e = 0.3, int draw = 1) {
    qubits q[2];
    input x[1];
    param w[2][3];
    ry(x[0]) q[0];
    rot(w[0][0], w[0][1], w[0][2]) q[0];
    cnot q[0], q[1];
    rot(w[1][0], w[1][1], w[1][2]) q[1];
    if draw { for i in 0..2 { rx(pi + e * uniform()) q[i]; } }
    else { for i in 0..2 { rx(pi) q[i]; } }
    expval Z(q[1]);
}
model m(float e = 0.3, int draw = 1) { quantum c(e = e, draw = draw); linear(1, 1); }
experiment u {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = m;
    epochs = 6;
    log_every = 1;
    optimizer = adam(lr = 0.05);
}
QNN
losses() { grep -o '"loss": [^,]*' "$1/metrics.jsonl" | cut -d' ' -f2; }
"$QNNC" run "$tmp/u.qnn" --out "$tmp/u_jit" --quiet > /dev/null
"$QNNC" run "$tmp/u.qnn" --out "$tmp/u_t1" --threads 1 --quiet > /dev/null
"$QNNC" run "$tmp/u.qnn" --out "$tmp/u_ref" --reference --quiet > /dev/null
"$QNNC" run "$tmp/u.qnn" --out "$tmp/u_e0" --set model.e=0 --quiet > /dev/null
"$QNNC" run "$tmp/u.qnn" --out "$tmp/u_plain" --set model.draw=0 --quiet > /dev/null
[ "$(losses "$tmp/u_jit")" = "$(losses "$tmp/u_t1")" ] || die "uniform draws depend on the thread count"
# (to 1e-12 relative, not bit for bit: without draws rx(pi) fuses with the rot before it and
# its product is computed in _pre, which LLVM compiles at the lowest level with no FMA
# contraction (cg_fn.c: cold_fn), with draws the kernel multiplies per lane: 1-ulp
# differences; an e that reached the angle differs by far more, see the next check)
"$PY" - <(losses "$tmp/u_e0") <(losses "$tmp/u_plain") <<'PY' || die "e = 0 differs from the circuit without draws"
import sys
a = [float(v) for v in open(sys.argv[1])]; b = [float(v) for v in open(sys.argv[2])]
assert len(a) == 6 and len(b) == 6 and max(abs(x - y) / abs(y) for x, y in zip(a, b)) < 1e-12, (a, b)
PY
[ "$(losses "$tmp/u_jit")" != "$(losses "$tmp/u_e0")" ] || die "the draws changed nothing"
"$PY" - <(losses "$tmp/u_jit") <(losses "$tmp/u_ref") <<'PY'
import sys
a = [float(v) for v in open(sys.argv[1])]; b = [float(v) for v in open(sys.argv[2])]
assert len(a) == 6 and max(abs(x - y) for x, y in zip(a, b)) < 1e-12, (a, b)
PY
# stdlib QIREN with the reference's noise switch (qiren_layer(noisy = 1, e)): RX(pi + e u) on
# every wire before measurement. e = 0 is RX(pi), which negates every <Z> exactly; with e > 0
# a wire whose draw is 0 still reads -<Z>, one whose draw is 1 reads something else.
printf 'import "qiren.qnn";\n' > "$tmp/ql.qnn"
qg() { "$QNNC" grad "$tmp/ql.qnn" --circuit qiren_layer --set n=2 --set depth=1 --seed 3 "$@"; }
qg --input 0.3,0.7 --out "$tmp/q0.csv" 2>/dev/null &&
  qg --set noisy=1 --set e=0 --input 0.3,0.7,0.5,0.5 --out "$tmp/q1.csv" 2>/dev/null &&
  qg --set noisy=1 --set e=0.5 --input 0.3,0.7,1,0 --out "$tmp/q2.csv" 2>/dev/null ||
  { echo "noise.sh: qnnc grad on qiren_layer failed"; exit 1; }
python3 - "$tmp/q0.csv" "$tmp/q1.csv" "$tmp/q2.csv" <<'PY' || { echo "noise.sh: QIREN's noise switch"; exit 1; }
import csv, sys
v = [[float(r["value"]) for r in csv.DictReader(open(f))] for f in sys.argv[1:]]
assert len(v[0]) == 2 and all(abs(a + b) < 1e-12 for a, b in zip(v[0], v[1])), v  # RX(pi): -<Z>
assert abs(v[2][1] + v[0][1]) < 1e-12 and abs(v[2][0] + v[0][0]) > 1e-3, v       # draws (1, 0)
PY
echo "noise.sh: ok"
