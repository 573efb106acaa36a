#!/usr/bin/env bash
# The GAN's second image set (issue 18): scikit-image's lfw_subset.npy (200 gray faces of
# 25 x 25, float64 in [0, 1]; `scripts/fetch_data.sh faces`, never committed) through
# `data = images(...)` of examples/generate_digits.qnn, 40 steps: the set loads with its
# size, it has no labels so the feature-space distances are null and the pixel-space one
# falls during training, the sample grid has the faces' size and the report plots the
# distances. Skipped (one line) when the file is not found.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
faces=""
for f in "${QNN_DATA_DIR:-/nonexistent}/lfw_subset.npy" "$root/data/lfw_subset.npy" \
         /usr/lib/python3/dist-packages/skimage/data/lfw_subset.npy; do
    [ -s "$f" ] && { faces="$f"; break; }
done
[ -n "$faces" ] || { echo "generate_faces: no lfw_subset.npy (scripts/fetch_data.sh faces); skipped"; exit 0; }
die() { echo "generate_faces: $*"; exit 1; }
"$QNNC" run examples/generate_digits.qnn --set "data.path=\"$faces\"" --out "$tmp/out" \
    --set steps=40 --set eval_every=40 --set batch=16 --set seed=2 2> "$tmp/run.err" \
    || die "run failed: $(cat "$tmp/run.err")"
grep -q "200 images 25x25x1 from $faces" "$tmp/run.err" || die "size: $(head -1 "$tmp/run.err")"
/usr/bin/python3 - "$tmp/out" "$faces" <<'PY' || exit 1
import json, sys
import numpy as np
from PIL import Image
out, faces = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(out + "/metrics.jsonl") if l.strip()]
floor = [r for r in rows if r.get("floor")]
steps = [r for r in rows if "step" in r]
assert len(floor) == 1 and [r["step"] for r in steps] == [0, 40], rows
assert all(r["fd_features"] is None and r["kid_features"] is None for r in rows), "a feature space without labels"
first, last = steps[0]["fd_pixels"], steps[-1]["fd_pixels"]
print("generate_faces: pixel-space Frechet distance %.3f -> %.3f (floor %.3f)" % (first, last, floor[0]["fd_pixels"]))
assert last < 0.8 * first, "the distance did not fall"
# 8 x 8 faces of 25 x 25 with one gray pixel between them; the file is the set numpy reads
g = np.asarray(Image.open(out + "/samples.png").convert("L"), dtype=float) / 255
assert g.shape == (8 * 26 + 1, 8 * 26 + 1), g.shape
real = np.load(faces)
assert real.shape == (200, 25, 25) and real.min() >= 0 and real.max() <= 1
PY
for f in report/index.html report/distance.png report/samples.png; do
    [ -s "$tmp/out/$f" ] || die "no $f"
done
echo "generate_faces: ok"
