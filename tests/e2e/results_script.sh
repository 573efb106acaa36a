#!/usr/bin/env bash
# scripts/results.sh (issue 17: docs/results.md regenerated in one command), on tiny settings
# (2 seeds, 2 epochs) into a scratch folder: each section's table equals an independent
# computation from the runs' own files (comparison.csv, --result files, qnnc info), the paired
# table is the comparison report's, the three superresolution protocols (`from32`'s truth is
# bilinear's own result; `running` evaluated from a checkpoint equals training under it), the
# figures are copied as small PNGs and linked, docs/results.md is assembled from every section with its
# reading, and bad arguments are refused. Needs the three images (QNN_DATA_DIR); skipped without.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
QNNC=$(cd "$(dirname "${QNNC:-build/qnnc}")" && pwd)/$(basename "${QNNC:-build/qnnc}")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-results.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "results_script.sh: $*"; exit 1; }
PY=/usr/bin/python3
for img in astronaut camera coffee; do
  [ -f "${QNN_DATA_DIR:-$root/data}/$img.png" ] || { echo "results_script.sh: skipped ($img.png not in QNN_DATA_DIR or data/)"; exit 0; }
done

run() { QNNC="$QNNC" "$root/scripts/results.sh" --seeds 2 --set epochs=2 --docs "$tmp/docs" --work "$tmp/work" "$@"; }
run superres sound memory > "$tmp/log" 2>&1 || fail "results.sh failed: $(tail -5 "$tmp/log")"
D=$tmp/docs
for s in superres sound memory; do [ -s "$D/results/$s.md" ] || fail "no $s.md"; done
[ -s "$D/results.md" ] || fail "no results.md"
# every section is in results.md in order, those not measured say so, readings follow their tables
$PY - "$D/results.md" "$root/docs/results" <<'PY' || fail "results.md is not assembled from the sections"
import sys, os
text = open(sys.argv[1]).read()
heads = ["## Images", "## Superresolution", "## Sound: the cello", "## Sound: memory", "## Classification", "## VQE"]
pos = [text.find(h) for h in heads[1:4]]
assert all(p >= 0 for p in pos) and pos == sorted(pos), pos
assert "Not measured yet: `scripts/results.sh images`" in text
assert "Not measured yet: `scripts/results.sh vqe`" in text
notes = os.path.join(sys.argv[2], "superres.notes.md")
if os.path.exists(notes):
    body = open(notes).read().strip()
    assert body in text and text.find(body) > text.find("## Superresolution"), "superres reading missing"
PY

# superres: QIREN's mean and its ratio to bilinear, recomputed from the comparison and the
# interpolation baselines' result file of each image and protocol
$PY - "$tmp/work" "$D/results/superres.md" <<'PY' || fail "superres table differs from an independent computation"
import csv, sys, os, statistics
work, md = sys.argv[1], open(sys.argv[2]).read()
rows = [l for l in md.splitlines() if l.startswith("| astronaut |") or l.startswith("| camera |") or l.startswith("| coffee |")]
assert len(rows) == 9, rows
assert [r.split("|")[2].strip() for r in rows[:3]] == ["batch", "running", "from32"], rows[:3]
models = {}
for r in csv.DictReader(open(os.path.join(work, "superres", "astronaut-batch", "comparison", "comparison.csv"))):
    models[r["name"].split(" (")[0]] = r["model"]
qiren = [n for n, m in models.items() if m.startswith("qiren")]
assert len(qiren) == 2, qiren
for line in rows:
    cell = [c.strip() for c in line.strip("|").split("|")]
    img, proto = cell[0], cell[1]
    if proto == "batch":  # the trained runs' own comparison
        runs = list(csv.DictReader(open(os.path.join(work, "superres", f"{img}-batch", "comparison", "comparison.csv"))))
        q = [float(r["mse"]) for r in runs if r["model"] == runs[0]["model"]]
    else:  # qnnc eval of each QIREN run's checkpoint, its own result file
        q = [float(dict(l.strip().split(",") for l in open(os.path.join(work, "superres", f"{img}-{proto}", f"{n}.csv")))["mse"])
             for n in qiren]
    assert len(q) == 2, q
    truth = "from32" if proto == "from32" else "original"
    interp = dict(l.strip().split(",") for l in open(os.path.join(work, "superres", f"{img}-interp-{truth}.csv")))
    bil = float(interp["mse_bilinear"])
    # a truth resized from the 32x32 image is bilinear upsampling's own result, up to rounding
    assert (bil < 2e-5) == (proto == "from32"), (img, proto, bil)
    mean = statistics.mean(q)
    got_mean = float(cell[2].split("±")[0])
    assert abs(got_mean - mean) <= 5e-4 * mean, (img, proto, got_mean, mean)
    assert abs(float(cell[5]) - bil) <= 5e-4 * bil, (cell[5], bil)
    rel = 100 * (mean / bil - 1)
    got_rel = float(cell[7].replace("%", "").strip())
    assert abs(got_rel - rel) <= 0.051 + 1e-2 * abs(rel), (got_rel, rel)
    below = sum(v < bil for v in q)
    assert cell[10] == f"{below} of 2", (cell[10], below)
    assert float(cell[11]) == (0.5 if below in (0, 2) else 1.0), cell[11]  # exact sign test, 2 pairs
# the paired tables are the comparison reports' own
for img in ["astronaut", "camera", "coffee"]:
    s = open(os.path.join(work, "superres", f"{img}-batch", "comparison", "summary.md")).read()
    table = s[s.index("## Paired over seeds"):].split("\n\n")[2]
    assert table.strip() in md, img
PY

# "trained once": evaluating a `batch`-trained checkpoint with running statistics gives what
# training under `running` gives (sr_qiren_s0 on astronaut, trained again here)
"$QNNC" run "$tmp/work/superres_astronaut.qnn" --quiet --experiment sr_qiren_s0 --set epochs=2 \
  --set batchnorm_eval=running --set 'outputs=[]' --result "$tmp/running.csv" --out "$tmp/running" > /dev/null 2>&1 \
  || fail "training sr_qiren_s0 under running failed"
$PY - "$tmp/running.csv" "$tmp/work/superres/astronaut-running/sr_qiren_s0.csv" <<'PY' || fail "eval under running differs from training under it"
import sys
a, b = (float(dict(l.strip().split(",") for l in open(f))["mse"]) for f in sys.argv[1:])
assert abs(a - b) <= 1e-12 * abs(a), (a, b)
PY

# figures: copied into results/ as PNG under 300 KB, linked from results.md
for fig in superres_astronaut superres_camera superres_coffee sound_spectrum; do
  png="$D/results/$fig.png"
  [ -s "$png" ] || fail "no figure $fig.png"
  [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$fig.png is not a PNG"
  [ "$(wc -c < "$png")" -le 307200 ] || fail "$fig.png is over 300 KB"
  grep -q "](results/$fig.png)" "$D/results.md" || fail "results.md does not link $fig.png"
done
cmp -s "$D/results/superres_camera.png" "$tmp/work/superres/camera-fig/comparison/superres.png" || fail "superres_camera.png is not the report's"
grep -q "astronaut (NASA, public domain), camera and" "$D/results.md" || fail "no image credit"

# sound: each seed's MSE is its --result file's, the mean theirs
$PY - "$tmp/work" "$D/results/sound.md" <<'PY' || fail "sound figures differ from the result files"
import sys, os, statistics, re
work, md = sys.argv[1], open(sys.argv[2]).read()
v = []
for s in (0, 1):
    r = dict(l.strip().split(",") for l in open(os.path.join(work, f"sound_{s}.csv")))
    v.append(float(r["mse"]))
    assert f"seed {s}: {v[-1]:.3e}" in md, (s, v[-1])
m = re.search(r"mean ([0-9.e+-]+) ", md)
assert m and abs(float(m.group(1)) - statistics.mean(v)) <= 5e-4 * statistics.mean(v), m
PY

# memory: the table is qnnc info's figures (QIREN of sound_memory.qnn: 649 parameters, 21152 B)
info=$("$QNNC" info "$root/examples/sound_memory.qnn") || fail "qnnc info failed"
grep -q "^| qiren_8 | 649 | 21152 | 1184 | 1205152 | | |$" "$D/results/memory.md" || fail "memory row: $(grep qiren_8 "$D/results/memory.md")"
act=$(echo "$info" | awk '/^experiment siren_17/ {on = 1} on && /activations kept/ {print $5; exit}')
[ -n "$act" ] && grep -q "^| siren_17 | 664 | [0-9]* | $act | " "$D/results/memory.md" || fail "siren_17 row: $(grep siren_17 "$D/results/memory.md")"

# refusals: nothing is written
rm -rf "$D"
for args in "--seeds 0" "--seeds x" "nosuchsection" "--set"; do
  # shellcheck disable=SC2086
  out=$(QNNC="$QNNC" "$root/scripts/results.sh" --docs "$D" --work "$tmp/work2" $args 2>&1) && fail "accepted: $args"
  echo "$out" | grep -q "^results.sh: " || fail "no message for '$args': $out"
done
[ ! -e "$D/results.md" ] || fail "a refused call wrote results.md"
echo "results_script.sh: ok"
