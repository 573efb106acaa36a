#!/usr/bin/env bash
# The trajectories figures of `make bench` alone (issue 14, docs/performance.md "Noise"):
# forward + gradient per sample of bench/traj.qnn (8 points, one thread, 3 epochs: seconds per
# epoch / 8) with depolarizing(0.01) after every CNOT as K = 16 trajectories, relative to the
# same circuit noiseless on the state vector, at the qubit counts given (default 8 12 16), and
# the load average before and after each figure (this machine is shared).
#   scripts/bench_noise.sh [N ...]
# scripts/bench.sh runs the same measurement among the others; this script re-measures it
# without the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
QNNC=$BUILD/qnnc
PY=/usr/bin/python3
[ -x "$QNNC" ] || { echo "bench_noise.sh: $QNNC is not built: run make" >&2; exit 2; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(8 12 16)
for n in "${sizes[@]}"; do
    case "$n" in ''|*[!0-9]*) echo "bench_noise.sh: qubit counts are integers, got '$n'" >&2; exit 2 ;; esac
done
TMP=$(mktemp -d /tmp/qnn_bench_noise.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
$PY -c 'import math; print("t,value"); [print("%g,%g" % (-1 + i / 4, math.sin(i))) for i in range(8)]' >"$TMP/traj_points.csv"
cp bench/traj.qnn "$TMP/"
traj_sample() { # EXPERIMENT N: mean seconds per sample of an epoch
    "$QNNC" run "$TMP/traj.qnn" --experiment "$1" --set model.n="$2" --no-cache --quiet \
        --out "$TMP/tr_$1_$2" >"$TMP/tr.log" 2>&1 || { cat "$TMP/tr.log" >&2; exit 1; }
    $PY -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; r=[e for e in r if e.get("kind") != "header"]; print(r[-1]["seconds"] / len(r) / 8)' \
        "$TMP/tr_$1_$2/metrics.jsonl"
}
load() { cut -d' ' -f1 /proc/loadavg; }
echo "== trajectories: bench/traj.qnn, K = 16, forward + gradient per sample (1 thread)"
for n in "${sizes[@]}"; do
    l0=$(load)
    b=$(traj_sample noiseless "$n")
    t=$(traj_sample traj "$n")
    awk -v n="$n" -v t="$t" -v b="$b" -v l0="$l0" -v l1="$(load)" \
        'BEGIN { printf "trajectories %2d qubits: %.3e s per sample, %.1fx the noiseless state vector (%.3e s); load %s -> %s\n", n, t, t / b, b, l0, l1 }'
done
