#!/usr/bin/env bash
# End-to-end: `qnnc emit-qasm` (docs/qasm.md). Every gate of the language, the observables
# (expval, var, probs, hermitian) and the expression functions, exported as OpenQASM 3, then
# read and simulated by an independent numpy program (tests/e2e/qasm_sim.py, gates from the
# OpenQASM 3 definitions): its outputs equal `qnnc grad`'s at the same parameters and inputs
# to 1e-12. `qnnc from-qasm` reads every export back (every gate, every example circuit) with
# the identical IR and identical `qnnc grad` output; its diagnostics carry line:col and a
# caret; hostile bytes give one error, never a crash or hang.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
QNNC=$(cd "$(dirname "$QNNC")" && pwd)/$(basename "$QNNC")
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c "import numpy" 2>/dev/null || PY=python3
"$PY" -c "import numpy" 2>/dev/null || { echo "qasm.sh: skipped: python3-numpy not installed"; exit 0; }
root=$(pwd)
SIM=$root/tests/e2e/qasm_sim.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

cat > g.qnn <<'QNN'
gate pair(b) u, v { rxx(b) u, v; ryy(b) u, v; }
circuit every_gate() {
    qubits q[3];
    input u[2];
    param w[4][3];
    param k init normal(0, 0.5);
    i q[0]; h q[0]; x q[1]; y q[2]; z q[0]; s q[1]; t q[2]; sx q[0];
    rx(u[0] * w[0][0]) q[0]; ry(sin(u[1]) + w[0][1]) q[1]; rz(w[0][2] / 3 - k) q[2];
    phase(cos(w[1][0]) * exp(u[0] / 4)) q[0];
    rot(w[1][1], sqrt(u[1] * u[1] + 1), log(2 + w[1][2])) q[1];
    u3(w[2][0], tan(w[2][1] / 5), atan(u[0]) + asin(0.25) - acos(0.5)) q[2];
    cnot q[0], q[1]; cz q[1], q[2]; cy q[2], q[0]; swap q[0], q[2];
    crx(w[2][2]) q[0], q[1]; cry(-w[3][0]) q[1], q[2]; crz(w[3][1] * u[1]) q[2], q[0];
    cphase(w[3][2]) q[0], q[2];
    rxx(k) q[0], q[1]; ryy(k * 2) q[1], q[2]; rzz(k / 2) q[0], q[2];
    toffoli q[0], q[1], q[2]; ccz q[2], q[0], q[1]; cswap q[1], q[0], q[2];
    iswap q[0], q[1]; ecr q[1], q[2];
    ctrl(pair(w[0][0])) q[2], q[0], q[1];
    adj(rot(u[0], w[1][0], 0.7)) q[1];
    unitary([[sqrt(0.5), [0, sqrt(0.5)]], [[0, sqrt(0.5)], sqrt(0.5)]]) q[2];
    expval Z(q[0]) @ Z(q[1]) - 0.5 * X(q[2]) + 0.25 * Y(q[0]) @ X(q[1]);
    probs(q[1..3]);
    var(Z(q[0]) + X(q[2]));
    expval hermitian([[1, [0, -0.5]], [[0, 0.5], -1]]) q[1];
    expval Y(q[2]);
}
QNN
"$QNNC" emit-qasm g.qnn > g.qasm
# `i` lowers to nothing (lower.c drops identities), so `id` is not looked for
for g in h x y z s t sx rx ry rz p rot U cx cz cy swap crx cry crz cp; do
  grep -qE "^$g[ (]" g.qasm || { echo "qasm.sh: gate $g not exported"; cat g.qasm; exit 1; }
done
grep -q '^gate rot(phi, theta, omega) a { rz(phi) a; ry(theta) a; rz(omega) a; }$' g.qasm
grep -q '^OPENQASM 3.0;$' g.qasm && grep -q '^include "stdgates.inc";$' g.qasm
grep -q '^// probs: q1 q2$' g.qasm && grep -q '^// var: ' g.qasm && grep -q '^c = measure q;$' g.qasm

# 13 parameters, two input points
"$PY" -c "import numpy as np; print(','.join('%.17g' % v for v in np.random.default_rng(5).uniform(-2, 2, 13)))" > p.csv
for X in 0.3,-1.1 1.7,0.45; do
  "$QNNC" grad g.qnn --circuit every_gate --params p.csv --input "$X" --wrt params > grad.csv
  "$PY" "$SIM" g.qasm p.csv "$X" > sim.txt
  "$PY" - grad.csv sim.txt <<'PY'
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1]))]
head, rows = rows[0], rows[1:]
vals = [float(r[head.index("value")]) for r in rows]
sim = [float(v) for v in open(sys.argv[2]).read().split()]
assert len(vals) == len(sim) == 8, (len(vals), len(sim))
err = max(abs(a - b) for a, b in zip(vals, sim))
assert err < 1e-12, "emit-qasm simulated != qnnc grad: %g" % err
assert max(abs(v) for v in vals) > 1e-3  # a circuit that computes something
PY
done

# a wrong gate definition must be caught by the simulator check: flip rot's order
sed 's/rz(phi) a; ry(theta) a; rz(omega) a;/rz(omega) a; ry(theta) a; rz(phi) a;/' g.qasm > bad.qasm
"$PY" "$SIM" bad.qasm p.csv 0.3,-1.1 > bad.txt
"$QNNC" grad g.qnn --circuit every_gate --params p.csv --input 0.3,-1.1 --wrt params > grad.csv
"$PY" - grad.csv bad.txt <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
vals = [float(r[rows[0].index("value")]) for r in rows[1:]]
sim = [float(v) for v in open(sys.argv[2]).read().split()]
assert max(abs(a - b) for a, b in zip(vals, sim)) > 1e-6, "the check cannot fail"
PY

# every example exports (or is refused with one line naming the reason)
for f in "$root"/examples/*.qnn; do
  if "$QNNC" emit-qasm "$f" > ex.qasm 2> ex.err; then
    grep -q '^OPENQASM 3.0;$' ex.qasm || { echo "qasm.sh: $f: no program"; exit 1; }
  else
    [ "$(wc -l < ex.err)" -eq 1 ] && grep -q '^qnnc: circuit `' ex.err || { echo "qasm.sh: $f:"; cat ex.err; exit 1; }
  fi
done

# import: `qnnc from-qasm` reads the export back as a .qnn circuit with the identical IR and
# identical outputs (the circuit is named after the file)
cp g.qasm every_gate.qasm
"$QNNC" from-qasm every_gate.qasm -o every_gate.qnn
"$QNNC" emit-ir --no-fuse g.qnn > a.ir
"$QNNC" emit-ir --no-fuse every_gate.qnn > b.ir
cmp a.ir b.ir || { diff a.ir b.ir | head; echo "qasm.sh: round trip changed the IR"; exit 1; }
"$QNNC" grad g.qnn --circuit every_gate --params p.csv --input 0.3,-1.1 > g1.csv
"$QNNC" grad every_gate.qnn --circuit every_gate --params p.csv --input 0.3,-1.1 > g2.csv
cmp g1.csv g2.csv
# `import "every_gate.qasm";` in a .qnn file: the same circuit (identical outputs and
# gradients), usable by a model; an error inside the program points into the .qasm file with
# the import noted; a file that cannot be read is an error at the import
cat > imp.qnn <<'QNN'
import "every_gate.qasm";
model m() { quantum every_gate(); }
QNN
"$QNNC" check imp.qnn
"$QNNC" grad imp.qnn --circuit every_gate --params p.csv --input 0.3,-1.1 > g3.csv
cmp g1.csv g3.csv || { echo "qasm.sh: import \"x.qasm\" gives other outputs than from-qasm"; exit 1; }
printf 'OPENQASM 3.0;\nqubit[1] q;\nfoo q[0];\n// expval: 1 * Z0\n' > badgate.qasm
printf 'import "badgate.qasm";\n' > impbad.qnn
printf 'import "nosuch.qasm";\n' > impnone.qnn
mkdir -p dir.qasm && printf 'import "dir.qasm";\n' > impdir.qnn
for f in impbad impnone impdir; do
  set +e; "$QNNC" check $f.qnn > /dev/null 2> $f.err; rc=$?; set -e
  [ $rc -eq 1 ] || { echo "qasm.sh: $f: rc $rc"; cat $f.err; exit 1; }
done
grep -q '^badgate.qasm:3:1: error: gate `foo` is outside the subset' impbad.err &&
  grep -q '^impbad.qnn:1:8: note: imported here' impbad.err || { cat impbad.err; exit 1; }
grep -q "cannot find \`nosuch.qasm\` to import" impnone.err || { cat impnone.err; exit 1; }
grep -q "^impdir.qnn:1:8: error: cannot import \`dir.qasm\`" impdir.err || { cat impdir.err; exit 1; }

# every example circuit: export, import, the same unfused IR (block by block, by name)
split_ir() { "$PY" - "$1" "$2" <<'PY'
import sys, os
blocks, cur = {}, None
for line in open(sys.argv[1]):
    if line.startswith("// circuit ") and line.rstrip().endswith(", unfused"):
        cur = line.split()[2].rstrip(","); blocks[cur] = []; continue
    if line.startswith("// circuit "): cur = None; continue
    if cur: blocks[cur].append(line)
for name, lines in blocks.items():
    open(os.path.join(sys.argv[2], name + ".ir"), "w").writelines(lines)
PY
}
n_rt=0
for f in "$root"/examples/*.qnn; do
  rm -rf ex && mkdir -p ex/orig ex/back
  "$QNNC" emit-qasm "$f" > ex/all.qasm 2> /dev/null || continue
  "$QNNC" emit-ir --no-fuse "$f" > ex/orig.ir
  split_ir ex/orig.ir ex/orig
  "$PY" - ex/all.qasm ex <<'PY'
import sys, os
progs = open(sys.argv[1]).read().split("\n\n")
for p in progs:
    name = p.split()[2].rstrip(":")
    open(os.path.join(sys.argv[2], name + ".qasm"), "w").write(p.rstrip("\n") + "\n")
PY
  for q in ex/*.qasm; do
    [ "$q" = ex/all.qasm ] && continue
    name=$(basename "$q" .qasm)
    "$QNNC" from-qasm "$q" -o "ex/$name.qnn"
    "$QNNC" emit-ir --no-fuse "ex/$name.qnn" > "ex/back_$name.ir"
    split_ir "ex/back_$name.ir" ex/back
    cmp "ex/orig/$name.ir" "ex/back/$name.ir" || { diff "ex/orig/$name.ir" "ex/back/$name.ir" | head; echo "qasm.sh: $f: $name changed"; exit 1; }
    n_rt=$((n_rt + 1))
  done
done
[ "$n_rt" -ge 10 ] || { echo "qasm.sh: only $n_rt example circuits round-tripped"; exit 1; }

# import diagnostics: file:line:col, the source line and a caret, exit status 1
bad() { # NAME EXPECTED-LINE-START then the program on stdin
  cat > "$1.qasm"
  set +e; "$QNNC" from-qasm "$1.qasm" > /dev/null 2> "$1.err"; local rc=$?; set -e
  [ $rc -eq 1 ] && head -1 "$1.err" | grep -qF -- "$2" && grep -q '\^' "$1.err" ||
    { echo "qasm.sh: $1 (rc $rc):"; cat "$1.err"; exit 1; }
}
bad two_regs "two_regs.qasm:3:1: error: a second qubit register" <<'Q'
OPENQASM 3.0;
qubit[2] q;
qubit[1] r;
Q
bad unknown_gate "unknown_gate.qasm:3:1: error: gate \`ccx\` is outside the subset" <<'Q'
OPENQASM 3.0;
qubit[3] q;
ccx q[0], q[1], q[2];
Q
bad range "range.qasm:3:5: error: the qubit index is larger than 1" <<'Q'
OPENQASM 3.0;
qubit[2] q;
h q[7];
Q
bad undeclared "undeclared.qasm:3:4: error: \`theta\` is not a declared input" <<'Q'
OPENQASM 3.0;
qubit[1] q;
rx(theta) q[0];
// expval: 1 * Z0
Q
bad no_outputs "no_outputs.qasm:3:1: error: no \`// expval:\`" <<'Q'
OPENQASM 3.0;
qubit[1] q;
Q
bad other_gate_def "other_gate_def.qasm:2:6: error: gate definitions other than" <<'Q'
OPENQASM 3.0;
gate foo(a) b { rx(a) b; }
Q
bad same_wire "same_wire.qasm:3:10: error: gate \`cx\` on the same qubit twice" <<'Q'
OPENQASM 3.0;
qubit[2] q;
cx q[1], q[1];
Q
bad power "power.qasm:4:7: error: \`**\` (power)" <<'Q'
OPENQASM 3.0;
input float[64] x0;
qubit[1] q;
rx(x0 ** 2) q[0];
Q
# hostile bytes: never a crash or a hang, always one error
printf 'OPENQASM 3.0;\nqubit[2] q;\nrx(' > deep.qasm; for i in $(seq 3000); do printf '(' >> deep.qasm; done
printf '\xff\xfe\x00\x01' > nul.qasm
printf '/* never closed' > comment.qasm
printf 'OPENQASM 3.0;\nqubit[99999999999999999999] q;' > huge.qasm
printf '// expval: 1 * Z0\n' > early.qasm
head -c 3000 /dev/urandom > random.qasm
for h in deep nul comment huge early random; do
  set +e; timeout 10 "$QNNC" from-qasm "$h.qasm" > /dev/null 2> "$h.err"; rc=$?; set -e
  [ $rc -eq 1 ] && [ -s "$h.err" ] || { echo "qasm.sh: hostile $h: rc $rc"; cat "$h.err"; exit 1; }
done

# the fuzzer's corpus (tests/fuzz/corpus_qasm: valid exports and every finding): each file is
# read back or refused with a message, and an accepted one is a .qnn circuit `qnnc check` accepts
for q in "$root"/tests/fuzz/corpus_qasm/*; do
  set +e; timeout 10 "$QNNC" from-qasm "$q" -o fz.qnn > /dev/null 2> fz.err; rc=$?; set -e
  if [ $rc -eq 0 ]; then
    "$QNNC" check fz.qnn > /dev/null 2> fzc.err || { echo "qasm.sh: $q reads back as a refused .qnn"; cat fzc.err; exit 1; }
  else
    [ $rc -eq 1 ] && [ -s fz.err ] || { echo "qasm.sh: corpus $q: rc $rc"; cat fz.err; exit 1; }
  fi
done

# unsupported: tanh has no OpenQASM 3 function (binding --checkpoint weights: qasm_bound.sh)
cat > t.qnn <<'QNN'
circuit c() { qubits q[1]; input x[1]; rx(tanh(x[0])) q[0]; expval Z(q[0]); }
QNN
set +e
"$QNNC" emit-qasm t.qnn > /dev/null 2> t.err; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "uses tanh, which OpenQASM 3 has no function for" t.err || { cat t.err; exit 1; }
echo "qasm.sh: ok"
