#!/usr/bin/env bash
# End-to-end: trajectories with Kraus jumps (docs/semantics.md §10.4). tests/noise/traj_kraus.qnn
# (amplitude damping, custom non-unital one- and two-qubit krauses, thermal relaxation, the
# experiment's depolarizing model) is trained 3 epochs as a density matrix; its checkpoint evaluated with
# `--set simulation=trajectories --set trajectories=400` gives every one of the 64 points
# within 3 standard errors (the largest the run prints) of the density matrix's evaluation,
# and not equal to it (an estimate). Training and `qnnc grad` with jumps are refused with the
# reason, and so are `qnnc build` (its binaries train) and `qnnc emit-llvm` (nothing is
# generated for them).
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() { echo "traj_kraus.sh: $*"; exit 1; }
cp tests/noise/traj_kraus.qnn examples/embed/signal.csv "$tmp/"
cd "$tmp"
q() { "$root/$QNNC" "$@"; }
q run traj_kraus.qnn --out dm --quiet > /dev/null || die "the density-matrix training"
q eval traj_kraus.qnn --checkpoint dm/model.safetensors --out dm_eval > /dev/null 2>&1 || die "eval (density matrix)"
q eval traj_kraus.qnn --checkpoint dm/model.safetensors --set simulation=trajectories \
    --set trajectories=400 --out tr > /dev/null 2> tr.err || { cat tr.err; die "eval with trajectories"; }
se=$(sed -n 's/.*standard error mean [0-9.e+-]*, max \([0-9.e+-]*\).*/\1/p' tr.err)
[ -n "$se" ] || { cat tr.err; die "no standard error printed"; }
/usr/bin/python3 - dm_eval/fit.csv tr/fit.csv "$se" <<'PY' || die "trajectories differ from the density matrix"
import csv, sys
a = [float(r["output"]) for r in csv.DictReader(open(sys.argv[1]))]
b = [float(r["output"]) for r in csv.DictReader(open(sys.argv[2]))]
se = float(sys.argv[3])
assert len(a) == len(b) == 64 and se > 0, (len(a), len(b), se)
z = max(abs(x - y) for x, y in zip(a, b)) / se
assert z < 3, ("largest deviation in standard errors", z)
assert max(abs(x - y) for x, y in zip(a, b)) > 1e-6, "trajectories equal to the exact values?"
print("traj_kraus.sh: 64 points within %.2f standard errors (max se %.1e) of the density matrix" % (z, se))
PY
if q run traj_kraus.qnn --set simulation=trajectories --out t > /dev/null 2> run.err; then die "training with jumps accepted"; fi
grep -q "state-dependent Kraus jump" run.err || { cat run.err; die "the training refusal"; }
if q grad traj_kraus.qnn --set simulation=trajectories --input 0.3 > /dev/null 2> grad.err; then die "qnnc grad with jumps accepted"; fi
grep -q "is not the gradient of the mean" grad.err || { cat grad.err; die "the grad refusal"; }
if q emit-llvm traj_kraus.qnn --set simulation=trajectories > /dev/null 2> ll.err; then die "emit-llvm with jumps accepted"; fi
grep -q "no LLVM IR" ll.err || { cat ll.err; die "the emit-llvm refusal"; }
if q build traj_kraus.qnn --set simulation=trajectories -o bin > /dev/null 2> build.err; then die "qnnc build with jumps accepted"; fi
grep -q "native builds train: circuit c: .*state-dependent Kraus jump" build.err || { cat build.err; die "the build refusal"; }
[ ! -e bin ] || die "a refused build left a binary"
echo "traj_kraus.sh: ok"
