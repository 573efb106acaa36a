#!/usr/bin/env bash
# End-to-end: `image(..., from_size = N)` (docs/language.md 6.3), the ground truth of a
# superresolution made from the low-resolution image. The 16x16 target of camera (8-bit gray,
# PIL mode 'L') and astronaut (colour, mode 'F') prepared at 8x8 and resized is compared with
# an independent PIL computation (PIL's own resize, not qnn's port), through the target column
# of the run's fit.csv; bilinear upsampling of the 8x8 training image then scores almost zero
# (8-bit rounding for 'L', float32 for 'F'), as it must by construction; from_size equal to
# the size gives the plain image; --set reaches the argument and bad values are refused.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
if [ -z "${QNN_DATA_DIR:-}" ] || [ ! -f "$QNN_DATA_DIR/camera.png" ] || [ ! -f "$QNN_DATA_DIR/astronaut.png" ]; then
  echo "skipped: camera.png / astronaut.png not found (set QNN_DATA_DIR)"; exit 0
fi
PY=/usr/bin/python3
"$PY" -c "import numpy, PIL" 2>/dev/null || { echo "image_from_size.sh: skipped: numpy or PIL missing"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "image_from_size.sh: $*"; exit 1; }
for img in camera astronaut; do
  cat > "$tmp/$img.qnn" <<QNN
import "qiren.qnn";
experiment e {
    data = image("$img.png", size = 8);
    eval = grid(size = 16, target = image("$img.png", size = 16, from_size = 8));
    model = qiren(d = 2);
    optimizer = adam(lr = 0.03);
    epochs = 1;
    outputs = [csv("fit.csv")];
}
QNN
  "$QNNC" run "$tmp/$img.qnn" --quiet --set model.n=2 --result "$tmp/$img.csv" --out "$tmp/$img" > /dev/null \
    || fail "$img: the run failed"
  "$PY" - "$QNN_DATA_DIR/$img.png" "$tmp/$img/fit.csv" "$tmp/$img.csv" <<'PY' || fail "$img: differs from PIL"
import csv, sys
import numpy as np
from PIL import Image
png, fit, res = sys.argv[1:]
im = Image.open(png)
if im.mode != "L":  # the QIREN loader: skimage rgb2gray in f64, then float32 mode 'F'
    a = np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0
    im = Image.fromarray((a @ np.array([0.2125, 0.7154, 0.0721])).astype(np.float32), mode="F")
def prepare(im, side):
    w, h = im.size
    s = side / min(w, h)
    im = im.resize((int(w * s) if w > h else side, int(h * s) if h > w else side), Image.BILINEAR) \
        if min(w, h) != side else im
    w, h = im.size
    l, t = int(round((w - side) / 2.0)), int(round((h - side) / 2.0))
    return im.crop((l, t, l + side, t + side))
low = prepare(im, 8)
truth = low.resize((16, 16), Image.BILINEAR)
scale = 255.0 if im.mode == "L" else 1.0
t = np.asarray(truth, dtype=np.float64) / scale * 2 - 1
rows = list(csv.DictReader(open(fit)))
col = [k for k in rows[0] if k.startswith("target")][0]
got = np.array([float(r[col]) for r in rows]).reshape(16, 16)
err = np.abs(got - t).max()
assert err < 1e-6, ("target", err)
# bilinear (half-pixel, clamped) upsampling of the 8x8 training image against that truth
x = np.asarray(low, dtype=np.float64) / scale * 2 - 1
src = np.clip((np.arange(16) + 0.5) / 2 - 0.5, 0, None)
i0 = np.floor(src).astype(int); i1 = np.minimum(i0 + 1, 7); f = src - i0
rowsi = x[i0] * (1 - f)[:, None] + x[i1] * f[:, None]
up = rowsi[:, i0] * (1 - f)[None, :] + rowsi[:, i1] * f[None, :]
r = dict(l.strip().split(",") for l in open(res))
want = np.mean((up - t) ** 2)
got_b = float(r["mse_bilinear"])
assert abs(got_b - want) <= 1e-9 + 1e-6 * want, (got_b, want)
assert got_b < (1e-5 if im.mode == "L" else 1e-12), got_b
assert float(r["mse_nearest"]) > 100 * got_b + 1e-6, r["mse_nearest"]
PY
done
# from_size equal to size: the plain image (the same target values, byte for byte)
sed 's/from_size = 8/from_size = 16/' "$tmp/camera.qnn" > "$tmp/same.qnn"
sed 's/, from_size = 8//' "$tmp/camera.qnn" > "$tmp/plain.qnn"
for k in same plain; do "$QNNC" run "$tmp/$k.qnn" --quiet --set model.n=2 --out "$tmp/$k" > /dev/null || fail "$k failed"; done
cmp -s "$tmp/same/fit.csv" "$tmp/plain/fit.csv" || fail "from_size = size is not the plain image"
# --set reaches it (data.from_size on the training image; the eval target through eval=...)
"$QNNC" run "$tmp/plain.qnn" --quiet --set model.n=2 --set 'eval=grid(size = 16, target = image(path = "camera.png", size = 16, from_size = 8))' \
  --out "$tmp/set" > /dev/null || fail "--set eval with from_size failed"
cmp -s "$tmp/set/fit.csv" "$tmp/camera/fit.csv" || fail "--set eval=... from_size differs from the file's"
out=$("$QNNC" run "$tmp/plain.qnn" --quiet --set data.from_size=0 --out "$tmp/bad" 2>&1) && fail "accepted data.from_size=0"
echo "$out" | grep -q "from_size" || fail "no message naming from_size: $out"
echo "image_from_size.sh: ok"
