#!/usr/bin/env bash
# End-to-end: objective experiments (language.md §6.14). The 4-qubit transverse-field Ising and
# Heisenberg examples reach their ground energy within 1e-3 (absolute); the exact energies the
# runs report agree with numpy's eigvalsh of the same Hamiltonians built independently (also
# at 5 and 6 qubits, with another field, and the highest eigenvalue for `maximize`); eval at
# the checkpoint, --resume, the reference back end and a native binary give the same energy;
# `exact = off` and a Hamiltonian too large for `exact = auto` are reported, not fatal.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# numpy's extreme eigenvalue: MODEL N G WHICH (tfim|heis, qubits, field, low|high)
numpy_exact() {
    "$PY" - "$@" <<'PY'
import sys
from functools import reduce
import numpy as np
model, n, g, which = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
I = np.eye(2); X = np.array([[0, 1], [1, 0]]); Y = np.array([[0, -1j], [1j, 0]]); Z = np.diag([1.0, -1.0])
def op(d):  # wire 0 is the leftmost factor (the most significant bit), as in PennyLane
    return reduce(np.kron, [d.get(i, I) for i in range(n)])
if model == "tfim":
    H = sum(-op({i: Z, i + 1: Z}) for i in range(n - 1)) + sum(-g * op({i: X}) for i in range(n))
else:
    H = sum(op({i: P, i + 1: P}) for i in range(n - 1) for P in (X, Y, Z))
w = np.linalg.eigvalsh(H)
print(repr(float(w[0] if which == "low" else w[-1])))
PY
}

# the figures of a run's last line: "final energy E, exact X, absolute error A, ..."
field() { sed -n "s/.*$1 \(-\?[0-9.e+-]*\).*/\1/p" "$2" | tail -1; }
near() { "$PY" -c "import sys; a, b, t = map(float, sys.argv[1:]); sys.exit(0 if abs(a - b) <= t else 1)" "$@"; }

# 1. the examples at 4 qubits: within 1e-3 of numpy's ground energy, in a few seconds
for ex in tfim heis; do
    file=examples/vqe_tfim.qnn; [ $ex = heis ] && file=examples/vqe_heisenberg.qnn
    "$QNNC" run "$file" --out "$tmp/$ex" 2> "$tmp/$ex.log" || { cat "$tmp/$ex.log"; exit 1; }
    want=$(numpy_exact $ex 4 1.0 low)
    got=$(field "final energy" "$tmp/$ex.log"); exact=$(field "exact" "$tmp/$ex.log")
    near "$exact" "$want" 1e-9 || { echo "$ex: exact $exact, numpy $want"; exit 1; }
    near "$got" "$want" 1e-3 || { echo "$ex: final energy $got is not within 1e-3 of $want"; cat "$tmp/$ex.log"; exit 1; }
    grep -q "relative error" "$tmp/$ex.log" || { cat "$tmp/$ex.log"; exit 1; }
    # the report: the energy figure and the summary's errors; one metrics line per epoch
    [ -s "$tmp/$ex/report/energy.png" ] || { echo "$ex: no energy.png"; exit 1; }
    grep -q "| Relative error |" "$tmp/$ex/report/summary.md" || { cat "$tmp/$ex/report/summary.md"; exit 1; }
    grep -q "| Exact ground energy (lowest eigenvalue) |" "$tmp/$ex/report/summary.md" || exit 1
    [ "$(grep -c '"energy": ' "$tmp/$ex/metrics.jsonl")" = 300 ] || { echo "$ex: metrics"; exit 1; }
done

# 2. exact energies at other sizes and fields, and the highest eigenvalue for `maximize`
"$QNNC" run examples/vqe_tfim.qnn --out "$tmp/t5" --set model.n=5 --set model.g=0.7 --set epochs=1 \
    --set 'outputs=[]' 2> "$tmp/t5.log"
near "$(field exact "$tmp/t5.log")" "$(numpy_exact tfim 5 0.7 low)" 1e-9 || { cat "$tmp/t5.log"; exit 1; }
"$QNNC" run examples/vqe_heisenberg.qnn --out "$tmp/h6" --set model.n=6 --set epochs=1 --set 'outputs=[]' \
    2> "$tmp/h6.log"
near "$(field exact "$tmp/h6.log")" "$(numpy_exact heis 6 1.0 low)" 1e-9 || { cat "$tmp/h6.log"; exit 1; }
"$QNNC" run examples/vqe_tfim.qnn --out "$tmp/max" --set objective=maximize --set epochs=200 \
    --set 'outputs=[report("r")]' 2> "$tmp/max.log"
want=$(numpy_exact tfim 4 1.0 high)
near "$(field exact "$tmp/max.log")" "$want" 1e-9 || { cat "$tmp/max.log"; exit 1; }
grep -q "exact maximum" "$tmp/max.log" || { cat "$tmp/max.log"; exit 1; }
grep -q "| Exact maximum (highest eigenvalue) |" "$tmp/max/r/summary.md" || exit 1

# 3. eval at the checkpoint prints the trained energy; --resume continues the run
log="$tmp/tfim.log"
"$QNNC" eval examples/vqe_tfim.qnn --checkpoint "$tmp/tfim/vqe_tfim.safetensors" --out "$tmp/ev" 2> "$tmp/ev.log"
[ "$(field "energy" "$tmp/ev.log")" = "$(field "final energy" "$log")" ] || { cat "$tmp/ev.log" "$log"; exit 1; }
grep -q "evaluated at" "$tmp/ev.log" || exit 1
"$QNNC" run examples/vqe_tfim.qnn --set epochs=150 --out "$tmp/half" --set 'outputs=[checkpoint("w.st")]' 2>/dev/null
"$QNNC" run examples/vqe_tfim.qnn --resume "$tmp/half/w.st" --out "$tmp/rest" --set 'outputs=[]' 2> "$tmp/rest.log"
grep -q "150 epochs in" "$tmp/rest.log" || { cat "$tmp/rest.log"; exit 1; }
[ "$(field "final energy" "$tmp/rest.log")" = "$(field "final energy" "$log")" ] || { cat "$tmp/rest.log"; exit 1; }
if "$QNNC" eval examples/vqe_tfim.qnn --checkpoint "$tmp/tfim/vqe_tfim.safetensors" --target x.csv \
    --out "$tmp/ev2" 2> "$tmp/ev2.log"; then echo "--target accepted"; exit 1; fi
grep -q "has no data" "$tmp/ev2.log" || { cat "$tmp/ev2.log"; exit 1; }

# 4. the interpreter agrees with the compiled code
"$QNNC" run examples/vqe_heisenberg.qnn --reference --set epochs=40 --out "$tmp/ref" --set 'outputs=[]' 2> "$tmp/ref.log"
"$QNNC" run examples/vqe_heisenberg.qnn --set epochs=40 --out "$tmp/jit" --set 'outputs=[]' 2> "$tmp/jit.log"
near "$(field "final energy" "$tmp/ref.log")" "$(field "final energy" "$tmp/jit.log")" 1e-9 \
    || { cat "$tmp/ref.log" "$tmp/jit.log"; exit 1; }

# 4b. at 12 qubits an objective's batch of one runs with its amplitudes in the lanes
# (codegen.md section 11; the Heisenberg terms put X, Y and Z factors on every wire): the
# interpreter, the JIT and a native binary agree, and qnnc info says so
big12=(--set model.n=12 --set model.layers=2 --set epochs=6 --set exact=off --set 'outputs=[]')
"$QNNC" info examples/vqe_heisenberg.qnn --set model.n=12 --set model.layers=2 > "$tmp/info12.txt"
grep -q "small batches: 1 to [0-9]* samples run one at a time with their amplitudes in the [0-9]* lanes" "$tmp/info12.txt" \
    || { cat "$tmp/info12.txt"; exit 1; }
"$QNNC" run examples/vqe_heisenberg.qnn --reference "${big12[@]}" --out "$tmp/ref12" 2> "$tmp/ref12.log"
"$QNNC" run examples/vqe_heisenberg.qnn "${big12[@]}" --out "$tmp/jit12" 2> "$tmp/jit12.log"
near "$(field "final energy" "$tmp/ref12.log")" "$(field "final energy" "$tmp/jit12.log")" 1e-9 \
    || { cat "$tmp/ref12.log" "$tmp/jit12.log"; exit 1; }
"$QNNC" build examples/vqe_heisenberg.qnn --set model.n=12 --set model.layers=2 --set 'outputs=[]' \
    -o "$tmp/bin12" 2> "$tmp/b12.log" || { cat "$tmp/b12.log"; exit 1; }
"$tmp/bin12" --set epochs=6 --set exact=off --out "$tmp/nat12" 2> "$tmp/nat12.log" \
    || { cat "$tmp/nat12.log"; exit 1; }
near "$(field "final energy" "$tmp/nat12.log")" "$(field "final energy" "$tmp/jit12.log")" 1e-9 \
    || { cat "$tmp/nat12.log" "$tmp/jit12.log"; exit 1; }

# 5. a native binary trains as `qnnc run` does and reports the same exact energy
"$QNNC" build examples/vqe_tfim.qnn -o "$tmp/vqe_bin" 2> "$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
"$tmp/vqe_bin" --out "$tmp/native" 2> "$tmp/native.log" || { cat "$tmp/native.log"; exit 1; }
[ "$(field "final energy" "$tmp/native.log")" = "$(field "final energy" "$log")" ] || { cat "$tmp/native.log"; exit 1; }
[ "$(field "exact" "$tmp/native.log")" = "$(field "exact" "$log")" ] || exit 1
"$tmp/vqe_bin" --set exact=off --set epochs=5 --out "$tmp/native2" 2> "$tmp/native2.log"
if grep -q "exact" "$tmp/native2.log"; then cat "$tmp/native2.log"; exit 1; fi
if "$tmp/vqe_bin" --set loss=mse 2> "$tmp/nl.log"; then echo "native loss accepted"; exit 1; fi
grep -q "an objective experiment optimises an output directly" "$tmp/nl.log" || { cat "$tmp/nl.log"; exit 1; }

# 6. above the limit of `exact = auto`: a note with the matrix's size, the run goes on
"$QNNC" run examples/vqe_tfim.qnn --set model.n=13 --set model.layers=1 --set epochs=2 --set 'outputs=[]' \
    --out "$tmp/big" 2> "$tmp/big.log" || { cat "$tmp/big.log"; exit 1; }
grep -q "no exact energy: the 13-qubit Hamiltonian is a 8192 x 8192 matrix (536.9 MB); \`exact = auto\` diagonalises up to 12 qubits" "$tmp/big.log" \
    || { cat "$tmp/big.log"; exit 1; }
# 7. qnnc info says what is optimised and what the exact optimum costs
"$QNNC" info examples/vqe_tfim.qnn > "$tmp/info.txt"
grep -q "objective: minimize output 0 (no data); Hamiltonian of 7 Pauli terms on 4 qubits; exact optimum by dense diagonalisation" "$tmp/info.txt" \
    || { cat "$tmp/info.txt"; exit 1; }
echo "vqe: ok"
