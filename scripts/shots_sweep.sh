#!/usr/bin/env bash
# Final MSE of QIREN on the image task against the shot budget (docs/results.md, "Shots"):
# astronaut at 8x8 gray, qiren(n = 4, hidden = 1, depth = 2), 60 epochs of Adam (lr 0.03),
# shots = exact, 16, 64, 256, 1024 over 3 seeds, through `qnnc sweep` (the table lands in
# OUT/sweep.md). Needs the image: QNN_DATA_DIR or `make demo`.
# Usage: scripts/shots_sweep.sh [OUT [SEEDS [--set K=V]...]]  (SEEDS default seed=0..3;
# scripts/results.sh shots passes its own)
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
out=${1:-shots_sweep}
seeds=${2:-seed=0..3}
shift $(( $# < 2 ? $# : 2 ))
"$QNNC" sweep examples/image_qiren.qnn --out "$out" --threads 1 \
    --set 'data=image(path = "astronaut.png", size = 8, channels = gray, range = [-1, 1])' \
    --set 'eval=grid(size = 8, metrics = [mse, psnr])' \
    --set model.n=4 --set model.hidden=1 --set epochs=60 \
    --set shots=exact,16,64,256,1024 --set "$seeds" "$@"
