#!/usr/bin/env bash
# End-to-end: a quantum layer's own `noise = ...` (docs/language.md §6.16). A model whose first
# layer states its noise model and whose second inherits the experiment's gives exactly (bit for
# bit) the outputs and Jacobians of the same model with those channels written in the circuits
# by hand; the layer's model replaces the experiment's for that layer (`noise = none` exempts
# it); a model formal in the layer's strengths is swept by --set model.p=...
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() { echo "layer_noise.sh: $*"; exit 1; }

# the same two-qubit circuit, generated with or without written-out channels:
#   $1 = channels after each ry / rx gate, $2 = after each cnot (each with %s for the wire)
circuit() {
    local name=$1 w0=$2 after_r=$3 after_c=$4
    echo "circuit $name {"
    echo "    qubits q[2]; input x[2]; param w[2];"
    echo "    ry(x[0]) q[0];";    [ -n "$after_r" ] && printf "    $after_r\n" 0
    echo "    ry(x[1]) q[1];";    [ -n "$after_r" ] && printf "    $after_r\n" 1
    echo "    cnot q[0], q[1];";  [ -n "$after_c" ] && printf "    $after_c\n    $after_c\n" 0 1
    echo "    rx(w[0] + $w0) q[1];"; [ -n "$after_r" ] && printf "    $after_r\n" 1
    echo "    cnot q[1], q[0];";  [ -n "$after_c" ] && printf "    $after_c\n    $after_c\n" 1 0
    echo "    ry(w[1]) q[0];";    [ -n "$after_r" ] && printf "    $after_r\n" 0
    echo "    expval Z(q[0]); expval Z(q[1]);"
    echo "}"
}
experiment() {
    printf 'experiment e {\n    data = csv("s.csv", inputs = 2, outputs = 2);\n    model = m;\n%s}\n' "$1"
}

# (1) layer 1: its own model (a model formal p); layer 2: the experiment's depolarizing
{ circuit c 0.4 "" ""
  echo 'model m(float p = 0.05) {'
  echo '    quantum c(noise = [amplitude_damping(p, after = [cnot]), phase_flip(0.02, after = [rx, ry])]);'
  echo '    quantum c(noise = none);'
  echo '    quantum c;'
  echo '}'
  experiment '    noise = depolarizing(0.03, after = [cnot]);'; } > "$tmp/layer.qnn"
{ circuit c1 0.4 "phase_flip(0.02) q[%s];" "amplitude_damping(0.05) q[%s];"
  circuit c2 0.4 "" ""
  circuit c3 0.4 "" "depolarizing(0.03) q[%s];"
  echo 'model m { quantum c1; quantum c2; quantum c3; }'
  experiment ''; } > "$tmp/hand.qnn"
# the layer's model with p = 0.2 through --set, and by hand
{ circuit c1 0.4 "phase_flip(0.02) q[%s];" "amplitude_damping(0.2) q[%s];"
  circuit c2 0.4 "" ""
  circuit c3 0.4 "" "depolarizing(0.03) q[%s];"
  echo 'model m { quantum c1; quantum c2; quantum c3; }'
  experiment ''; } > "$tmp/hand_p.qnn"
# no layer noise at all: what the layer's model must change
{ circuit c 0.4 "" ""
  echo 'model m { quantum c; quantum c(noise = none); quantum c; }'
  experiment '    noise = depolarizing(0.03, after = [cnot]);'; } > "$tmp/plain.qnn"

g() { "$QNNC" grad "$@" --input 0.3,-0.7 --seed 2; }
g "$tmp/layer.qnn" > "$tmp/layer.csv" || die "qnnc grad on the layer's noise"
g "$tmp/hand.qnn" > "$tmp/hand.csv" || die "qnnc grad on the written-out channels"
g "$tmp/layer.qnn" --set model.p=0.2 > "$tmp/layer_p.csv" || die "qnnc grad --set model.p"
g "$tmp/hand_p.qnn" > "$tmp/hand_p.csv" || die "qnnc grad on the written-out channels (p = 0.2)"
g "$tmp/plain.qnn" > "$tmp/plain.csv" || die "qnnc grad without the layer's noise"
[ "$(wc -l < "$tmp/layer.csv")" = 3 ] || { cat "$tmp/layer.csv"; die "expected 2 output rows"; }
cmp -s "$tmp/layer.csv" "$tmp/hand.csv" || { diff "$tmp/layer.csv" "$tmp/hand.csv"; die "layer noise differs from the channels written by hand"; }
cmp -s "$tmp/layer_p.csv" "$tmp/hand_p.csv" || die "--set model.p=0.2 differs from the channels written by hand"
! cmp -s "$tmp/layer.csv" "$tmp/layer_p.csv" || die "--set model.p changed nothing"
! cmp -s "$tmp/layer.csv" "$tmp/plain.csv" || die "the layer's noise model changed nothing"
# the same through the interpreter (the oracle), which must agree with the compiled code
g "$tmp/layer.qnn" --reference > "$tmp/layer_ref.csv" || die "qnnc grad --reference"
/usr/bin/python3 - "$tmp/layer.csv" "$tmp/layer_ref.csv" <<'PY' || die "compiled layer noise differs from the interpreter"
import csv, sys
a, b = (list(csv.reader(open(f))) for f in sys.argv[1:])
assert a[0] == b[0] and len(a) == len(b)
assert max(abs(float(x) - float(y)) for r, q in zip(a[1:], b[1:]) for x, y in zip(r[2:], q[2:])) < 1e-13
PY
# emit-ir: the channels as inserted; the first layer's 10, the third's 4, the second none
"$QNNC" emit-ir --no-fuse "$tmp/layer.qnn" > "$tmp/layer.ir"
[ "$(grep -c 'amplitude_damping(0.05)' "$tmp/layer.ir")" = 4 ] || { cat "$tmp/layer.ir"; die "emit-ir: the layer's amplitude damping"; }
[ "$(grep -c 'phase_flip(0.02)' "$tmp/layer.ir")" = 4 ] || die "emit-ir: the layer's phase flips"
[ "$(grep -c 'depolarizing(0.03)' "$tmp/layer.ir")" = 4 ] || die "emit-ir: the experiment's model in the third layer only"
echo "layer_noise.sh: ok"
