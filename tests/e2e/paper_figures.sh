#!/usr/bin/env bash
# End-to-end: the comparison report's figures of the QIREN paper (docs/reports.md §5) from three
# models on one superresolution task. relative_error.csv is checked against an independent numpy
# computation of the band split from each run's fit.csv; --compare-to chooses the reference and
# an unknown name is refused before any training.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
if [ -z "${QNN_DATA_DIR:-}" ] || [ ! -f "$QNN_DATA_DIR/camera.png" ]; then
  echo "skipped: camera.png not found (set QNN_DATA_DIR)"; exit 0
fi
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c "import numpy" 2>/dev/null || PY=python3
"$PY" -c "import numpy" 2>/dev/null || { echo "paper_figures.sh: skipped: python3-numpy not installed"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
f=tests/e2e/paper_figures.qnn
"$QNNC" run "$f" --quiet --out "$tmp/a" > "$tmp/a.txt" 2> "$tmp/a.err"
c="$tmp/a/comparison"
for fig in relative_error.png spectra.png superres.png; do
  [ -s "$c/$fig" ] || { echo "no $fig"; exit 1; }
  grep -q "($fig)" "$c/summary.md" || { echo "summary.md does not show $fig"; exit 1; }
  grep -q "src=\"$fig\"" "$c/index.html" || { echo "index.html does not show $fig"; exit 1; }
done
grep -q "bicubic" "$tmp/a/sr_tanh/report/summary.md" || { echo "no bicubic baseline in the run's report"; exit 1; }
check() { # folder, expected reference
  "$PY" - "$1" "$2" <<'PY'
import csv, sys
import numpy as np
out, ref = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(out + "/comparison/relative_error.csv")))
assert [r["experiment"] for r in rows] == ["sr_relu", "sr_tanh", "sr_qiren"], rows
def split(name, cutoff=0.25):
    d = np.genfromtxt(f"{out}/{name}/fit.csv", delimiter=",", names=True)
    p, t = d["output"].reshape(32, 32), d["target"].reshape(32, 32)
    k = np.fft.fftfreq(32) * 32 / 16          # signed frequency over Nyquist, each axis
    rho = np.hypot(k[:, None], k[None, :])
    dF, nt = np.fft.fft2(p - t), np.linalg.norm(np.fft.fft2(t))
    return np.linalg.norm(dF[rho < cutoff]) / nt, np.linalg.norm(dF[rho >= cutoff]) / nt
tref = np.hypot(*split(ref))
for r in rows:
    lo, hi = split(r["experiment"])
    for got, want in ((r["low"], lo), (r["high"], hi), (r["low_vs_reference"], lo / tref),
                      (r["high_vs_reference"], hi / tref)):
        assert abs(float(got) - want) <= 1e-9 * max(1.0, abs(want)), (r, got, want)
    assert r["reference"] == ref, r
PY
}
check "$tmp/a" sr_tanh          # the default: the Tanh MLP, as in the paper
"$QNNC" run "$f" --quiet --out "$tmp/b" --compare-to sr_qiren > /dev/null 2>&1
check "$tmp/b" sr_qiren
# an unknown reference is refused before anything runs
if "$QNNC" run "$f" --quiet --out "$tmp/c" --compare-to sr_tahn > /dev/null 2> "$tmp/c.err"; then
  echo "--compare-to with an unknown name was accepted"; exit 1
fi
grep -q "no experiment \`sr_tahn\` (did you mean \`sr_tanh\`?)" "$tmp/c.err" || { cat "$tmp/c.err"; exit 1; }
[ ! -e "$tmp/c" ] || { echo "a refused run wrote $tmp/c"; exit 1; }
# with one experiment there is no comparison: the option would do nothing, so it is refused
if "$QNNC" run "$f" --quiet --out "$tmp/e" --experiment sr_qiren --compare-to sr_tanh 2> "$tmp/e.err"; then
  echo "--compare-to with one experiment was accepted"; exit 1
fi
grep -q "this run has one (--experiment selects it)" "$tmp/e.err" || { cat "$tmp/e.err"; exit 1; }
if "$QNNC" check "$f" --compare-to sr_tanh 2> "$tmp/d.err"; then echo "--compare-to accepted by check"; exit 1; fi
grep -q "is for \`run\`" "$tmp/d.err" || { cat "$tmp/d.err"; exit 1; }
echo "paper figures: ok"
