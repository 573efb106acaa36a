#!/usr/bin/env bash
# End-to-end: `qnnc spectrum` (docs/language.md, "Frequency spectra"). The cases of issue 17:
# one RZ encoding gives {-1, 0, 1}, L re-uploadings {-L..L}, a trainable scaling is continuous;
# RZ(x) with RZ(2x) gives {-3..3}; angles not linear in their input are named. With
# --checkpoint, the trained model's Fourier coefficients (fourier.csv) agree with an
# independent numpy simulation of the circuit, and vanish outside the predicted set.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
D=tests/e2e/spectrum
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "spectrum.sh: $*"; exit 1; }

"$QNNC" spectrum "$D/cases.qnn" > "$tmp/cases.txt" || fail "qnnc spectrum failed"
expect_line() { grep -qxF -- "$1" "$tmp/cases.txt" || { cat "$tmp/cases.txt"; fail "missing: $1"; }; }
expect_line "circuit single (1 qubit, 1 input, default arguments):"
expect_line "  x[0]: 3 frequencies {-1, 0, 1}, the largest 1 (1 encoding gate)"
expect_line "  x[0]: 9 frequencies {-4, -3, -2, -1, 0, 1, 2, 3, 4}, the largest 4 (4 encoding gates)"
expect_line "  x[0]: continuous (trainable scaling: rz(w[1]*x[0]) at line 14; its frequencies move as the parameters train)"
expect_line "  x[0]: 7 frequencies {-3, -2, -1, 0, 1, 2, 3}, the largest 3 (2 encoding gates)"
expect_line "  x[0]: 3 frequencies {-1.5, 0, 1.5}, the largest 1.5 (2 encoding gates)"
expect_line "  x[1]: 3 frequencies {-1, 0, 1}, the largest 1 (1 encoding gate)"
expect_line "  x[0]: not a Fourier series in x[0] (ry(sin(x[0])) at line 26: the angle is not linear in x[0])"
grep -A1 -x "circuit ising (2 qubits, 1 input, default arguments):" "$tmp/cases.txt" | grep -qxF "  x[0]: 3 frequencies {-1, 0, 1}, the largest 1 (2 encoding gates)" \
    || { cat "$tmp/cases.txt"; fail "rzz(x)"; }
grep -A1 -x "circuit ising2 (2 qubits, 1 input, default arguments):" "$tmp/cases.txt" | grep -qxF "  x[0]: 5 frequencies {-2, -1, 0, 1, 2}, the largest 2 (4 encoding gates)" \
    || { cat "$tmp/cases.txt"; fail "rzz(x) twice"; }
expect_line "  x[1]: not a Fourier series in x[1] alone (ry(x[0]*x[1]) at line 27: its scaling depends on another input)"

# L re-uploadings of RZ(x): {-L..L}, 2L + 1 frequencies (many: the ends and the step)
for L in 1 2 3 7 20; do
    sed "s/circuit reupload(int L = 4)/circuit reupload(int L = $L)/" "$D/cases.qnn" > "$tmp/r.qnn"
    line=$("$QNNC" spectrum "$tmp/r.qnn" | sed -n '/^circuit reupload/{n;p}')
    want=$(seq -s ', ' -- -$L $L)
    if [ "$L" -gt 12 ]; then want="-$L, -$((L - 1)), -$((L - 2)), -$((L - 3)), ..., $((L - 4)), $((L - 3)), $((L - 2)), $((L - 1)), $L"; fi
    suffix=$([ "$L" -gt 12 ] && echo " (step 1)" || true)
    gates=$([ "$L" = 1 ] && echo "1 encoding gate" || echo "$L encoding gates")
    [ "$line" = "  x[0]: $((2 * L + 1)) frequencies {$want}$suffix, the largest $L ($gates)" ] \
        || fail "L = $L: $line"
done

# the circuit's inputs of a model with classical layers first are hidden features
"$QNNC" spectrum tests/e2e/small.qnn --layer 2 > "$tmp/small.txt"
grep -qF "experiment small, layer 2: circuit qiren_layer (3 qubits, 3 inputs): its inputs are the outputs of layer 1 (batchnorm), hidden features, not the data's coordinates" "$tmp/small.txt" \
    || { cat "$tmp/small.txt"; fail "QIREN's hidden features"; }
[ "$(grep -c 'layer' "$tmp/small.txt")" = 1 ] || fail "--layer 2 printed another layer"
set +e
"$QNNC" spectrum tests/e2e/small.qnn --layer 1 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -qxF "qnnc: --layer 1: layer 1 of experiment small is batchnorm, not quantum; its quantum layers: 2, 5" "$tmp/err" \
    || { cat "$tmp/err"; fail "--layer 1 (batchnorm)"; }

set +e
"$QNNC" spectrum "$D/cases.qnn" --input 1 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] && grep -qF "\`--input J\` is for \`qnnc spectrum --checkpoint FILE\`" "$tmp/err" || { cat "$tmp/err"; fail "--input without --checkpoint"; }

# --checkpoint: train, then the model's coefficients against numpy's
mkdir -p "$tmp/run"
cp examples/embed/signal.csv "$D/enc.qnn" "$tmp/run/"
(cd "$tmp/run" && "$OLDPWD/$QNNC" run enc.qnn --out o -q --no-cache) || fail "training enc.qnn"
(cd "$tmp/run" && "$OLDPWD/$QNNC" spectrum enc.qnn --checkpoint o/model.safetensors --out o) > "$tmp/fourier.txt" \
    || { cat "$tmp/fourier.txt"; fail "spectrum --checkpoint"; }
grep -qxF "  x[0]: 7 frequencies {-3, -2, -1, 0, 1, 2, 3}, the largest 3 (2 encoding gates)" "$tmp/fourier.txt" \
    || { cat "$tmp/fourier.txt"; fail "enc2's set"; }
grep -q "largest |c_w| outside the accessible set: [0-9.e-]*" "$tmp/fourier.txt" || fail "no outside figure"
[ -s "$tmp/run/o/fourier.png" ] || fail "no fourier.png"
/usr/bin/python3 "$D/check_fourier.py" "$tmp/run/o/model.safetensors" "$tmp/run/o/fourier.csv" \
    || fail "fourier.csv disagrees with numpy"
# a model whose circuit sees hidden features has no accessible set in the data's coordinates
set +e
"$QNNC" spectrum tests/e2e/small.qnn --checkpoint "$tmp/run/o/model.safetensors" > /dev/null 2> "$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "^qnnc: --checkpoint: the first layer of experiment small is linear, not quantum" "$tmp/err" \
    && [ "$(wc -l < "$tmp/err")" = 1 ] || { cat "$tmp/err"; fail "--checkpoint on QIREN"; }
echo "spectrum.sh: ok"
