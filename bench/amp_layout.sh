#!/bin/bash
# amplitudes in the lanes: batch 1 with the layout off (-1) and on (auto), and full lanes
cd "$(dirname "$0")/.."  # from the repository root: make first (build/bench)
cat /proc/loadavg
for n in 12 16 20; do
  full=64; reps=3; [ $n -ge 20 ] && { full=16; reps=1; }
  for prec in 64 32; do
    for a in -1 0; do echo "amp=$a $(QNN_BENCH_AMP=$a build/bench layer $n 1 $prec $reps)"; done
    echo "full $(build/bench layer $n $full $prec $reps)"
  done
done
cat /proc/loadavg
