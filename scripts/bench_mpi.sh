#!/bin/sh
# make bench-mpi (and the end of make bench): data-parallel training of the large example
# (examples/large_camera.qnn, QIREN on the 512x512 camera) with 1, 2 and 4 MPI ranks, one
# thread each: seconds per epoch and parallel efficiency T1 / (N * TN). Epoch 1 (start-up,
# compilation) is left out: the per-epoch figure is (t_last - t_first) / (epochs - 1) from
# metrics.jsonl. The machine's cores and load are printed beside the figures: ranks beyond
# the cores share them (oversubscribed) and cannot speed up.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
QNNC=$(pwd)/$BUILD/qnnc
export QNN_DATA_DIR=${QNN_DATA_DIR:-/work/shared/data}
EPOCHS=${QNN_BENCH_MPI_EPOCHS:-4}
RANKS=${QNN_BENCH_MPI_RANKS:-1 2 4}
if ! command -v mpirun >/dev/null || ! ldd "$QNNC" 2>/dev/null | grep -q libmpi; then
    echo "bench_mpi.sh: skipped: MPI is not installed or qnnc was built without it"
    exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
TMP=$(mktemp -d /tmp/qnn_bench_mpi.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cores=$(nproc)
echo "== MPI: examples/large_camera.qnn (512x512, batch 16384), $EPOCHS epochs, 1 thread per rank;" \
     "machine: $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%6s %12s %11s  %s\n' ranks s/epoch efficiency note
t1=
for n in $RANKS; do
    out=$TMP/r$n
    mpirun --oversubscribe -np "$n" "$QNNC" run examples/large_camera.qnn --quiet --threads 1 \
        --set epochs="$EPOCHS" --out "$out" >"$TMP/log$n" 2>&1 || { cat "$TMP/log$n"; exit 1; }
    t=$(/usr/bin/python3 -c 'import json,sys
s=[r["seconds"] for r in map(json.loads, open(sys.argv[1])) if r.get("kind") != "header"]
print((s[-1]-s[0])/(len(s)-1))' "$out/metrics.jsonl")
    [ -n "$t1" ] || t1=$t
    note=
    [ "$n" -le "$cores" ] || note="oversubscribed: $n ranks on $cores cores"
    /usr/bin/python3 -c 'import sys; n,t,t1=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print("%6d %12.3f %10.0f%%  %s" % (n, t, 100*t1/(n*t), sys.argv[4]))' "$n" "$t" "$t1" "$note"
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
