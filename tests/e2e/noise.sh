#!/usr/bin/env bash
# End-to-end: noise channels and the density-matrix simulation (docs/semantics.md §9).
# (1) tests/noise/dm_ref.py: every channel, readout error, a two-qubit kraus and trainable
#     strengths through `qnnc grad --reference`, against numpy Kraus sums at 1e-12 and
#     numpy central finite differences; a noiseless circuit equal to the state vector (JIT).
# (2) A noisy circuit without --reference runs on the interpreter too (the code generator
#     has no density matrices), and `qnnc emit-llvm` refuses it naming the channel and line.
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
cmp -s "$tmp/jit.csv" "$tmp/ref.csv" || die "grad without --reference differs from the interpreter"
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
if "$QNNC" emit-llvm "$tmp/m.qnn" > /dev/null 2> "$tmp/llvm.err"; then die "emit-llvm generated a channel"; fi
grep -q "line 5: \`depolarizing\` is a noise channel" "$tmp/llvm.err" || { cat "$tmp/llvm.err"; die "the refusal does not name the channel and line"; }
if "$QNNC" check "$tmp/m.qnn" --set simulation=statevector 2> "$tmp/sv.err"; then die "statevector accepted a channel"; fi
grep -q "has a noise channel (\`depolarizing\`, line 5)" "$tmp/sv.err" || { cat "$tmp/sv.err"; die "the statevector refusal"; }

"$QNNC" run examples/noisy_fit.qnn --out "$tmp/fit" --set epochs=12 --set log_every=1 > "$tmp/fit.log" 2>&1 ||
    { cat "$tmp/fit.log"; die "examples/noisy_fit.qnn did not run"; }
"$PY" - "$tmp/fit.log" <<'PY'
import re, sys
losses = [float(m.group(1)) for m in re.finditer(r"loss ([0-9.e+-]+)", open(sys.argv[1]).read())]
assert len(losses) >= 12 and losses[-1] < 0.5 * losses[0], losses
PY
echo "noise.sh: ok"
