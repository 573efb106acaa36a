#!/usr/bin/env bash
# End-to-end: `qnnc draw` (docs/language.md, "Drawing circuits"). Golden drawings (Unicode,
# ASCII wrapped into blocks, one layer of an experiment), well-formed SVG from `--svg` and in
# the report folder of `qnnc run` and of a native binary, and the one-line errors: a layer out
# of range or not quantum, an unknown circuit, several circuits for one SVG file, draw-only
# options on other commands.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
D=tests/e2e/draw
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "draw.sh: $*"; exit 1; }

# 1. golden drawings
golden() { # expected-file, then the qnnc arguments
    local exp=$1; shift
    "$QNNC" draw "$@" > "$tmp/got.txt" || fail "qnnc draw $* failed"
    diff -u "$exp" "$tmp/got.txt" || fail "qnnc draw $*: differs from $exp"
}
golden "$D/demo.txt" "$D/demo.qnn"
golden "$D/demo.ascii40.txt" "$D/demo.qnn" --ascii --width 40
golden "$D/small_layer5.w70.txt" tests/e2e/small.qnn --layer 5 --width 70
# ASCII means ASCII; every line of a wrapped block fits its width
LC_ALL=C grep -q -P '[^\x00-\x7f]' "$D/demo.ascii40.txt" && fail "--ascii printed a non-ASCII byte"
"$QNNC" draw tests/e2e/small.qnn --width 70 | /usr/bin/python3 -c '
import sys
bad = [l for l in sys.stdin.read().splitlines()[1:] if len(l) > 70]
sys.exit(print(*bad, sep="\n") or 1 if bad else 0)' || fail "a line is wider than --width 70"
# the layers of QIREN's one circuit are drawn once, the heading naming both
"$QNNC" draw tests/e2e/small.qnn > "$tmp/small.txt"
grep -qx 'experiment small, layers 2 and 5: circuit qiren_layer (3 qubits, 3 inputs, 36 parameters):' "$tmp/small.txt" \
    || { cat "$tmp/small.txt"; fail "heading of the shared circuit"; }
# --circuit NAME: a circuit by name, with its default arguments
"$QNNC" draw examples/gates.qnn --circuit qaoa_layer > "$tmp/qaoa.txt"
head -1 "$tmp/qaoa.txt" | grep -qx 'circuit qaoa_layer (4 qubits, 1 input, 10 parameters, default arguments):' \
    || fail "--circuit heading"
# --fused draws the fused circuit (its contents belong to passes.c; only the heading here)
"$QNNC" draw "$D/demo.qnn" --fused > "$tmp/fused.txt"
head -1 "$tmp/fused.txt" | grep -q 'after fusion:$' || fail "--fused heading"

# 2. SVG: well-formed, one box per labelled gate, one file per call
"$QNNC" draw "$D/demo.qnn" --svg "$tmp/demo.svg"
[ "$(grep -c '<text>' "$tmp/demo.svg" || true)" = 0 ] || fail "an unplaced text element"
/usr/bin/python3 - "$tmp/demo.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
texts = [t.text for t in root.iter(ns + "text")]
for label in ["q0", "q2", "H", "RY(x[0])", "RX(w[0])", "RZ(-π/2)", "⟨Z⟩", "⟨X@X⟩", "Var[Z]", "Probs"]:
    assert label in texts, (label, texts)
assert any(t.startswith("H2 = ") for t in texts), texts
assert len(list(root.iter(ns + "circle"))) == 4, "two controls, a CZ control, one CNOT target"
PY
expect_error() { # status, message, then the command
    local want=$1 msg=$2; shift 2
    set +e; "$@" > "$tmp/out" 2> "$tmp/err"; local rc=$?; set -e
    [ "$rc" = "$want" ] || { cat "$tmp/err"; fail "$*: exit $rc, expected $want"; }
    grep -qF -- "$msg" "$tmp/err" || { cat "$tmp/err"; fail "$*: expected \"$msg\""; }
    [ "$(wc -l < "$tmp/err")" = 1 ] || { cat "$tmp/err"; fail "$*: more than one line"; }
}
# 3. errors
expect_error 1 "qnnc: --layer 9: experiment small has layers 0 to 6 (\`qnnc info\` lists them); its quantum layers: 2, 5" \
    "$QNNC" draw tests/e2e/small.qnn --layer 9
expect_error 1 "qnnc: --layer 0: layer 0 of experiment small is linear, not quantum; its quantum layers: 2, 5" \
    "$QNNC" draw tests/e2e/small.qnn --layer 0
expect_error 1 "has no circuit \`nope\` to draw" "$QNNC" draw "$D/demo.qnn" --circuit nope
printf 'circuit a { qubits q[1]; h q[0]; expval Z(q[0]); }\ncircuit b { qubits q[2]; cnot q[0], q[1]; expval Z(q[1]); }\n' > "$tmp/two.qnn"
expect_error 1 "\`--svg\` writes one circuit, and $tmp/two.qnn has 2 to draw" "$QNNC" draw "$tmp/two.qnn" --svg "$tmp/x.svg"
[ ! -e "$tmp/x.svg" ] || fail "a refused --svg wrote its file"
expect_error 2 "\`--svg\` is for \`qnnc draw\`" "$QNNC" check "$D/demo.qnn" --svg "$tmp/x.svg"
expect_error 2 "\`--layer N\` is for" "$QNNC" info tests/e2e/small.qnn --layer 2
expect_error 2 "\`--layer\` needs a number" "$QNNC" draw tests/e2e/small.qnn --layer two
expect_error 1 "/dev/null: exists and is a device" "$QNNC" draw "$D/demo.qnn" --svg /dev/null

# 4. the report folder shows the circuit, from `qnnc run` and from a native binary
mkdir -p "$tmp/run"
cp examples/embed/signal.csv "$tmp/run/"
sed 's/checkpoint("model.safetensors")\]/checkpoint("model.safetensors"), report("report")]/; s/epochs = 40/epochs = 2/' \
    tests/e2e/small.qnn > "$tmp/run/small.qnn"
grep -q 'report("report")' "$tmp/run/small.qnn" || fail "the test experiment has no report"
(cd "$tmp/run" && "$OLDPWD/$QNNC" run small.qnn --out jit -q --no-cache)
svg="$tmp/run/jit/report/circuit_2.svg"
[ -f "$svg" ] || { ls "$tmp/run/jit/report"; fail "no circuit_2.svg in the report"; }
[ ! -e "$tmp/run/jit/report/circuit_5.svg" ] || fail "the second layer of the same circuit drew it again"
grep -qF '<img src="circuit_2.svg" alt="circuit of quantum layers 2, 5">' "$tmp/run/jit/report/index.html" \
    || fail "index.html does not show the circuit"
grep -qF '](circuit_2.svg)' "$tmp/run/jit/report/summary.md" || fail "summary.md does not show the circuit"
"$QNNC" draw tests/e2e/small.qnn --layer 2 --svg "$tmp/layer2.svg"
cmp "$svg" "$tmp/layer2.svg" || fail "the report's drawing differs from qnnc draw --svg"
/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$svg"
(cd "$tmp/run" && "$OLDPWD/$QNNC" build small.qnn -o smallbin > /dev/null 2>&1 && ./smallbin --out native -q) || fail "native build or run"
cmp "$svg" "$tmp/run/native/report/circuit_2.svg" || fail "the native binary's report lacks the same drawing"
echo "draw.sh: ok"
