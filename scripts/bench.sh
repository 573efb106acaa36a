#!/bin/sh
# make bench: the QIREN benchmark of docs/performance.md (issue 6). Runs after `make all`;
# prints every figure and writes bench/results.json. Budget: under 10 minutes on the 2-core
# machine, so W1/W2 use 300 epochs and the large W3 sizes fewer (printed beside each figure).
# The peer (/work/shared/bench/peer_qiren_torch.py, or $QNN_PEER) runs in the same session
# where it is installed; nothing is installed here.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
QNNC=$BUILD/qnnc
export QNN_DATA_DIR=${QNN_DATA_DIR:-/work/shared/data}
PEER=${QNN_PEER:-/work/shared/bench/peer_qiren_torch.py}
PY=/usr/bin/python3
EPOCHS=${QNN_BENCH_EPOCHS:-300}
TMP=$(mktemp -d /tmp/qnn_bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
RAW=$TMP/raw.txt
: >"$RAW"

# The driver (bench/bench.c) is built by `make bench` ($(BUILD)/bench), with the LLVM the
# Makefile checked.
[ -x "$BUILD/bench" ] || { echo "bench.sh: $BUILD/bench is not built: run \`make bench\`" >&2; exit 2; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
$BUILD/bench peak | tee -a "$RAW" | sed 's/^/peak (one core, FMA loop): /'

# run TAG FILE EPOCHS THREADS PREC [--set ...]: one training run; per-epoch seconds from
# metrics.jsonl, peak RSS from /usr/bin/time, compile time from --time (--no-cache: every run
# compiles, so the figure is the compiler's; the cache has its own figures below).
# Each run also records whether the machine was free (issue 13 item 5): the 1-minute load
# average at its start and end, and others=: the cores' busy time during the run (/proc/stat)
# less the run's own user + system time, per second of wall clock (0 = nothing else ran,
# 1 = another process held a whole core). report.py prints them beside the W1/W2 speed-ups.
HZ=$(getconf CLK_TCK)
busy_jiffies() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
run() {
    tag=$1 file=$2 ep=$3 th=$4 prec=$5
    shift 5
    out=$TMP/$tag.$(date +%s%N)
    load0=$(cut -d' ' -f1 /proc/loadavg)
    b0=$(busy_jiffies)
    /usr/bin/time -f "maxrss_kb=%M own_s=%U+%S wall_s=%e" -o "$out.rss" \
        $QNNC run "$file" --set epochs="$ep" --threads "$th" --precision "$prec" --time --no-cache \
        --quiet --out "$out" "$@" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
    b1=$(busy_jiffies)
    load1=$(cut -d' ' -f1 /proc/loadavg)
    others=$(awk -v b0="$b0" -v b1="$b1" -v hz="$HZ" -v r="$(cat "$out.rss")" 'BEGIN {
        n = split(r, f, /[ =+]/); for (i = 1; i < n; i++) v[f[i]] = i
        own = f[v["own_s"] + 1] + f[v["own_s"] + 2]; wall = f[v["wall_s"] + 1]
        o = ((b1 - b0) / hz - own) / (wall > 0 ? wall : 1); printf "%.2f", o < 0 ? 0 : o }')
    jit=$(grep -o 'JIT [0-9.]* ms' "$out.log" | head -1 | tr -dc '0-9.')
    echo "run tag=$tag epochs=$ep threads=$th prec=$prec jit_ms=$jit $(cut -d' ' -f1 "$out.rss") load0=$load0 load1=$load1 others=$others metrics=$out/metrics.jsonl" >>"$RAW"
}

peer() { # peer TAG TASK DTYPE EPOCHS [args]
    tag=$1 task=$2 dt=$3 ep=$4
    shift 4
    if [ ! -f "$PEER" ] || ! $PY -c 'import torch' 2>/dev/null; then
        echo "peer tag=$tag missing=1" >>"$RAW"
        return
    fi
    r=$($PY "$PEER" --task "$task" --epochs "$ep" --dtype "$dt" --threads 2 "$@" 2>&1 | grep '^RESULT' | tail -1)
    echo "peer tag=$tag $(echo "$r" | grep -o 'sec_per_epoch=[0-9.e+-]*')" >>"$RAW"
}

# The machine is shared with other builds: each W1/W2 configuration, qnn and peer alike, is
# measured in two rounds, interleaved, and the report keeps the faster round of each.
IMG=$QNN_DATA_DIR/astronaut.png
WAV=$QNN_DATA_DIR/gt_bach.wav
for round in 1 2; do
    echo "== round $round: W1 QIREN image 32x32 and W2 sound 1000 samples, $EPOCHS epochs per run"
    for prec in f64 f32; do for th in 1 2; do
        run w1_${prec}_t$th bench/w1_image.qnn $EPOCHS $th $prec
        run w2_${prec}_t$th bench/w2_sound.qnn $EPOCHS $th $prec
    done; done
    echo "== round $round: peer (PyTorch, --sim kron, 2 threads, 100 epochs)"
    peer w1_f64 image float64 100 --image "$IMG" --img-size 32
    peer w1_f32 image float32 100 --image "$IMG" --img-size 32
    peer w2_f64 sound float64 100 --wav "$WAV"
    peer w2_f32 sound float32 100 --wav "$WAV"
done
for round in 1 2; do # the faster of two rounds, as above
    echo "== round $round: W3 image size scaling (f64, 2 threads; fewer epochs for the large sizes)"
    run w3_32 bench/w1_image.qnn 100 2 f64
    run w3_64 bench/w1_image.qnn 50 2 f64 --set data.size=64
    run w3_128 bench/w1_image.qnn 20 2 f64 --set data.size=128
    run w3_256 bench/w1_image.qnn 8 2 f64 --set data.size=256
done
# The compiled-code cache (compiler/cache.c): the same circuit run twice on an empty cache folder.
# "before" is what `qnnc run --time` reports as the time from qnnc's start to the runtime's
# start (front end, passes, cache lookup or LLVM, JIT linking); "wall" is the whole run of one
# epoch with its outputs, from the shell. Three rounds; the report keeps the medians.
echo "== compiled-code cache: cold and warm run of examples/image_qiren.qnn --set epochs=1"
jc() { # jc ROUND: one cold and one warm run on a fresh cache folder
    rm -rf "$TMP/jitcache"
    line="jitcache round=$1 load_start=$(cut -d' ' -f1 /proc/loadavg)"
    for kind in cold warm; do
        t0=$(date +%s%N)
        QNN_CACHE_DIR=$TMP/jitcache $QNNC run examples/image_qiren.qnn --set epochs=1 --time --quiet \
            --out "$TMP/jc" >"$TMP/jc.log" 2>&1 || { cat "$TMP/jc.log"; exit 1; }
        t1=$(date +%s%N)
        grep -q "cache $([ $kind = cold ] && echo miss || echo hit)" "$TMP/jc.log" ||
            { cat "$TMP/jc.log"; echo "bench.sh: the $kind run was not a cache $kind"; exit 1; }
        before=$(sed -n 's/.*: \([0-9.]*\) ms before the runtime starts.*/\1/p' "$TMP/jc.log" | head -1)
        line="$line ${kind}_before_ms=$before ${kind}_wall_ms=$(( (t1 - t0) / 1000000 ))"
    done
    echo "$line load_end=$(cut -d' ' -f1 /proc/loadavg)" >>"$RAW"
}
for round in 1 2 3; do jc $round; done

# Compile time against depth (issue 13): StronglyEntanglingLayers on 8 qubits (bench/ct), a
# cold compile each (--no-cache; "LLVM codegen + JIT" of --time, and the process's user CPU,
# which includes the front end and one epoch), the median of 3; ms per fused op (the op count
# of `qnnc emit-ir` after fusion) and the marginal ms per op from 100 to 1,000 layers (what
# one more op costs: flat when compile work per op does not grow); then the QIREN layer of
# examples/image_qiren.qnn. Targets (issue 13 item 1): 200 layers <= 1.5 s, QIREN <= 150 ms.
echo "== compile time: StronglyEntanglingLayers, 8 qubits, f64, --no-cache, median of 3"
ct_median() { # ct_median FILE ARGS...: prints "JIT_MS USER_S", medians of 3 cold compiles
    f=$1
    shift
    for r in 1 2 3; do
        /usr/bin/time -f "%U" -o "$TMP/ct.user" $QNNC run "$f" --no-cache --time --quiet \
            --out "$TMP/ct" "$@" >"$TMP/ct.log" 2>&1 || { cat "$TMP/ct.log"; exit 1; }
        echo "$(grep -o 'JIT [0-9.]* ms' "$TMP/ct.log" | head -1 | tr -dc '0-9.') $(tail -1 "$TMP/ct.user")"
    done | sort -n | sed -n 2p
}
for L in 10 100 200 1000; do
    f=bench/ct/sel$L.qnn
    ops=$($QNNC emit-ir "$f" | sed -n '/after fusion/,$p' | grep -o '[0-9]* ops' | head -1 | cut -d' ' -f1)
    set -- $(ct_median "$f")
    echo "ct L=$L ops=$ops ms=$1 user=$2" >>"$TMP/ct.txt"
    awk -v L="$L" -v ops="$ops" -v ms="$1" -v u="$2" \
        'BEGIN { printf "compile sel%s: %d ops, %.0f ms (user CPU %.2f s), %.4f ms/op\n", L, ops, ms, u, ms / ops }'
done
awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$2, kv[1]] = kv[2] } }
     END { o1 = v["L=100", "ops"]; o2 = v["L=1000", "ops"]; m1 = v["L=100", "ms"]; m2 = v["L=1000", "ms"]
           printf "compile: marginal %.4f ms per op from 100 to 1,000 layers (%.4f ms/op at 100 layers)\n", (m2 - m1) / (o2 - o1), m1 / o1
           u = v["L=200", "user"]
           printf "target: 200 layers <= 1.5 s: %.2f s user CPU, %.0f ms LLVM codegen + JIT: %s\n", u, v["L=200", "ms"], u <= 1.5 ? "met" : "NOT met" }' "$TMP/ct.txt"
set -- $(ct_median examples/image_qiren.qnn --set epochs=1)
awk -v ms="$1" -v u="$2" 'BEGIN { printf "compile QIREN layer (examples/image_qiren.qnn): %.0f ms (user CPU %.2f s); target <= 150 ms: %s\n", ms, u, ms <= 150 ? "met" : "NOT met" }'

echo "== W4: one QIREN layer, qubit scaling (one thread)"
for n in 4 6 8 10 12 14 16; do
    b=1024
    [ "$n" -ge 14 ] && b=64 # 2^16 amplitudes x 8 lanes: batch 64 keeps this under a minute
    for prec in 64 32; do echo "layer $($BUILD/bench layer $n $b $prec)" >>"$RAW"; done
done

# Large registers (issue 13 item 4): the machine's memory bandwidth (a STREAM-like triad
# within L2, within L3 and far beyond the caches, one thread and two) next to the FMA peak,
# then the QIREN layer's forward and vjp at 12, 16 and 20 qubits with batch 1 and a batch that
# fills the lanes (64; 16 at 20 qubits, where 64 would take minutes: a lane group's cost per
# sample does not depend on how many groups there are), f64 and f32, one thread. For each:
# the bytes a sweep of the state moves (bench.c, sweep_bytes: psi read and written per op,
# psi and lam in the vjp's backward half), the cache level the state (psi + lam) fits, the
# achieved GB/s against that level's triad and GFLOP/s against the peak, and which of the
# two binds (the larger lower bound on the time: bytes / bandwidth or flops / peak).
# Before/after of rule 10 (wire blocks, passes.h) in the same run: at 16 and 20 qubits the
# layer without the rule ("off") and with blocks of 3 wires ("on"); pass_fuse itself uses
# them from PASS_BLOCK_MIN_QUBITS = 17 qubits (so at 16 qubits qnnc compiles "off").
echo "== W4 large registers: bandwidth, and the QIREN layer at 12-20 qubits, batch 1 and full lanes (one thread)"
$BUILD/bench triad | tee -a "$RAW" | sed 's/^/triad (GB\/s, 24 bytes per element): /'
L2=$(sed 's/K$//' /sys/devices/system/cpu/cpu0/cache/index2/size 2>/dev/null || echo 512)
L3=$(sed 's/K$//' /sys/devices/system/cpu/cpu0/cache/index3/size 2>/dev/null || echo 16384)
: >"$TMP/large.txt"
for n in 12 16 20; do
    full=64
    [ "$n" -ge 20 ] && full=16
    variants=-1
    [ "$n" -ge 16 ] && variants="0 3"
    for b in 1 $full; do for prec in 64 32; do for v in $variants; do
        reps=3
        [ "$n" -ge 20 ] && reps=1 # seconds per call: the first call is the figure
        echo "large $($BUILD/bench layer $n $b $prec $reps $v)" | tee -a "$RAW" >>"$TMP/large.txt"
    done; done; done
done
awk -v l2="$L2" -v l3="$L3" -v peak="$(grep '^peak_' "$RAW" | tail -1)" -v tri="$(grep '^triad_' "$RAW" | tail -1)" '
function kv(s, a,   n, f, i, p) { n = split(s, f, " "); for (i = 1; i <= n; i++) { split(f[i], p, "="); a[p[1]] = p[2] } }
BEGIN { kv(peak, P); kv(tri, T) # the triad really moves 32 bytes per element (the store
        # allocates its line: read, then written back); a sweep updates psi in place and moves
        # exactly the bytes it counts, so it is compared with the triad traffic, 4/3 of its GB/s
        bw["L2"] = T["triad_l2_gbs"] * 4 / 3; bw["L3"] = T["triad_l3_gbs"] * 4 / 3; bw["DRAM"] = T["triad_mem_1t_gbs"] * 4 / 3
        printf "triad traffic (32 bytes per element), one thread: L2 %.1f, L3 %.1f, DRAM %.1f GB/s (two threads: DRAM %.1f); FMA peak f64 %.1f, f32 %.1f GFLOP/s\n", bw["L2"], bw["L3"], bw["DRAM"], T["triad_mem_2t_gbs"] * 4 / 3, P["peak_f64_gflops"], P["peak_f32_gflops"] }
/^large / { delete a; kv(substr($0, 7), a); n = a["n"]; B = a["B"]; pr = a["prec"]; W = a["lanes"]; v = a["block_wires"]
    am = a["amp"] == 1 # amplitudes in the lanes (codegen.md section 11): one sample, more sweeps
    es = pr == 64 ? 8 : 4; S = es * (am ? 1 : W) * 2 * 2 ^ n  # one lane group psi, bytes
    if (am) a["ops"] = a["amp_sweeps"]
    lvl = 2 * S <= l2 * 1024 ? "L2" : 2 * S <= l3 * 1024 ? "L3" : "DRAM"
    pk = P["peak_f" pr "_gflops"]
    tag = v < 0 ? "" : v == 0 ? ", rule 10 off" : sprintf(", rule 10 on (%d blocks of <= %d wires)", a["blocks"], v)
    printf "large %2d qubits f%d B=%-3d W=%d, %d sweeps%s%s: a sweep moves %.2f MiB (psi r+w; backward psi+lam %.2f MiB) per %s, state in %s; compile %.0f ms\n", n, pr, B, W, a["ops"], tag, (am ? ", amplitudes in the lanes" : ""), 2 * S / 2^20, 4 * S / 2^20, (am ? "sample" : "lane group"), lvl, a["compile_ms"]
    split("fwd vjp", ph, " ")
    for (i = 1; i <= 2; i++) { f = ph[i]; t = a[f "_us"] * 1e-6; by = a[f "_bytes"]; fl = a[f "_flops"]
        gbs = by / t / 1e9; gfs = fl / t / 1e9; tm = by / (bw[lvl] * 1e9); tf = fl / (pk * 1e9)
        printf "      %s %10.1f us/sample: %6.1f GB/s = %5.1f %% of %s triad traffic, %5.1f GFLOP/s = %5.1f %% of peak; binds: %s, at %.0f %%\n", f, t * 1e6, gbs, 100 * gbs / bw[lvl], lvl, gfs, 100 * gfs / pk, (tm > tf ? "bandwidth" : "FMA"), 100 * (tm > tf ? tm : tf) / t
        us[n, pr, (B == 1 ? "one" : "full"), v, f] = t }
    if (v > 0) for (i = 1; i <= 2; i++) { f = ph[i]
        printf "      %s: rule 10 on / off %.2f (per sample, same batch)\n", f, us[n, pr, (B == 1 ? "one" : "full"), v, f] / us[n, pr, (B == 1 ? "one" : "full"), 0, f] }
    if (B != 1) for (i = 1; i <= 2; i++) { f = ph[i]
        printf "      %s: batch 1 costs %.2fx batch %d per sample (target <= 1)\n", f, us[n, pr, "one", v, f] / us[n, pr, "full", v, f], B } }
' "$TMP/large.txt"

# The Python bridge (issue 15): QIREN in plain PyTorch with qnn's circuit as its quantum layer,
# against `qnnc run` of the same model from the same weights, both timed by the example in one
# run (its --check also requires the two loss trajectories to agree to 1e-9).
echo "== Python bridge: examples/python/qiren_torch.py --check (f64, 2 threads, 30 epochs)"
if $PY -c 'import numpy, torch' 2>/dev/null; then
    PYTHONPATH=python QNNC=$QNNC $PY examples/python/qiren_torch.py --epochs 30 --threads 2 --check \
        2>&1 | grep -E '^(pytorch \+ qnn|qnnc run|the loss|FAIL)' | tee "$TMP/py.txt"
else
    echo "(python3-numpy / python3-torch not installed: skipped)"
fi

# Shots (issue 14): seconds per epoch of the small QIREN of tests/e2e/small.qnn (3 qubits, 64
# points, one thread) exact with the adjoint vjp, exact with the shift vjp, and with shots =
# 256 and 4096 (the shift vjp on sampled runs), each relative to the exact adjoint run.
echo "== shots: small QIREN (3 qubits, 64 points, 1 thread, 20 epochs): seconds per epoch"
cp examples/embed/signal.csv tests/e2e/small.qnn "$TMP/"
shots_epoch() { # shots_epoch TAG ARGS...: mean seconds per epoch
    tag=$1
    shift
    $QNNC run "$TMP/small.qnn" --set epochs=20 --threads 1 --no-cache --quiet --out "$TMP/sh_$tag" "$@" \
        >"$TMP/sh_$tag.log" 2>&1 || { cat "$TMP/sh_$tag.log"; exit 1; }
    $PY -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; r=[e for e in r if e.get("kind") != "header"]; print(r[-1]["seconds"] / len(r))' \
        "$TMP/sh_$tag/metrics.jsonl"
}
base=$(shots_epoch adjoint)
for cfg in "shift --grad shift" "256 --set shots=256" "4096 --set shots=4096"; do
    set -- $cfg
    tag=$1
    shift
    t=$(shots_epoch "$tag" "$@")
    awk -v tag="$tag" -v t="$t" -v b="$base" \
        'BEGIN { printf "shots %-7s %.5f s/epoch, %.1fx the exact adjoint run (%.5f s)\n", tag, t, t / b, b }'
done

# Trajectories (issue 14): forward + gradient per sample of bench/traj.qnn (8 points, one
# thread, seconds per epoch / 8) with depolarizing noise as K = 16 trajectories, relative to
# the same circuit noiseless (one state-vector run): the cost is about K times, memory the same.
echo "== trajectories: bench/traj.qnn, K = 16, forward + gradient per sample (1 thread)"
$PY -c 'import math; print("t,value"); [print("%g,%g" % (-1 + i / 4, math.sin(i))) for i in range(8)]' >"$TMP/traj_points.csv"
cp bench/traj.qnn "$TMP/"
traj_sample() { # traj_sample EXPERIMENT N: mean seconds per sample of an epoch
    $QNNC run "$TMP/traj.qnn" --experiment "$1" --set model.n="$2" --no-cache --quiet \
        --out "$TMP/tr_$1_$2" >"$TMP/tr.log" 2>&1 || { cat "$TMP/tr.log"; exit 1; }
    $PY -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; r=[e for e in r if e.get("kind") != "header"]; print(r[-1]["seconds"] / len(r) / 8)' \
        "$TMP/tr_$1_$2/metrics.jsonl"
}
for n in 8 12 16; do
    b=$(traj_sample noiseless $n)
    t=$(traj_sample traj $n)
    awk -v n="$n" -v t="$t" -v b="$b" \
        'BEGIN { printf "trajectories %2d qubits: %.3e s per sample, %.1fx the noiseless state vector (%.3e s)\n", n, t, t / b, b }'
done

# Density matrices (issue 14): forward + gradient per sample of the same circuit with the
# same noise (depolarizing after every CNOT) on the exact density matrix, compiled
# (compiler/cg_dm.c) and by the interpreter (--reference), relative to the noiseless state
# vector of the same run.
echo "== density matrices: bench/dm.qnn, forward + gradient per sample (1 thread)"
cp bench/dm.qnn "$TMP/"
dm_sample() { # dm_sample N [--reference]: mean seconds per sample of an epoch
    dn=$1 cache=--no-cache
    shift
    if [ $# -gt 0 ]; then cache=; fi # the interpreter compiles nothing
    $QNNC run "$TMP/dm.qnn" --experiment dm --set model.n="$dn" $cache --quiet "$@" \
        --out "$TMP/dm_${dn}_$#" >"$TMP/dm.log" 2>&1 || { cat "$TMP/dm.log"; exit 1; }
    $PY -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; r=[e for e in r if e.get("kind") != "header"]; print(r[-1]["seconds"] / len(r) / 8)' \
        "$TMP/dm_${dn}_$#/metrics.jsonl"
}
for n in 4 6 8; do
    b=$(traj_sample noiseless $n)
    d=$(dm_sample $n)
    r=$(dm_sample $n --reference)
    awk -v n="$n" -v d="$d" -v r="$r" -v b="$b" \
        'BEGIN { printf "density matrix %d qubits: compiled %.3e s per sample (%.0fx the noiseless state vector, %.3e s), interpreter %.3e s (%.0fx)\n", n, d, d / b, b, r, r / b }'
done

$PY bench/report.py "$RAW" bench/results.json
