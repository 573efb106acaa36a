#!/usr/bin/env bash
# Classification end to end (issue 11): a quantum classifier on generated two moons with a
# seeded 75/25 split; the accuracy qnnc prints for the test points equals an independent
# computation from the predictions it wrote (argmax of the logits against the labels of the
# generated file, matched by coordinates); the report shows accuracy and a confusion matrix,
# not PSNR; metrics.jsonl has train and test figures per evaluation; bad labels are refused
# with the file and the row.
set -u
QNNC=$(cd "$(dirname "${QNNC:-build/qnnc}")" && pwd)/$(basename "${QNNC:-build/qnnc}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-classify.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "classify.sh: $*"; exit 1; }
PY=/usr/bin/python3
cd "$tmp"
$PY "$ROOT/examples/make_moons.py" --n 200 --noise 0.15 --seed 3 > moons.csv || fail "make_moons.py failed"
$PY "$ROOT/examples/make_moons.py" --n 200 --noise 0.15 --seed 3 | cmp -s - moons.csv ||
  fail "make_moons.py is not deterministic"
sed "s/epochs = 200;/epochs = 60;/" "$ROOT/examples/classify_moons.qnn" > moons.qnn
"$QNNC" run moons.qnn --out out >run.log 2>&1 || fail "run failed: $(tail -5 run.log)"
for e in moons_quantum moons_mlp; do
  d=out/$e
  grep -q "^$e: .*test on 50 points: cross_entropy [0-9.e+-]*, accuracy [0-9.]*%; train on 150 points" run.log ||
    fail "$e: no test and train figures for 50 and 150 points: $(grep "^$e:" run.log)"
  $PY - "$d/pred.csv" run.log "$e" <<'PY' || exit 1
import csv, re, sys
pred, log, name = sys.argv[1:]
labels = {(float(r[0]), float(r[1])): int(r[2]) for r in list(csv.reader(open('moons.csv')))[1:]}
rows = list(csv.DictReader(open(pred)))
if len(rows) != 50:
    sys.exit(f"classify.sh: {pred} has {len(rows)} rows, not the 50 test points")
right, seen = 0, set()
for r in rows:
    key = (float(r['x0']), float(r['x1']))
    if key not in labels or key in seen:
        sys.exit(f"classify.sh: {pred}: point {key} is not one row of moons.csv")
    seen.add(key)
    guess = 0 if float(r['output0']) >= float(r['output1']) else 1
    right += guess == labels[key]
acc = right / len(rows)
m = re.search(rf'^{name}: .*test on 50 points: cross_entropy \S+, accuracy ([0-9.]+)%', open(log).read(), re.M)
if not m or abs(float(m.group(1)) - 100 * acc) > 0.006:
    sys.exit(f"classify.sh: {name}: printed accuracy {m and m.group(1)}%, independent {100 * acc:.2f}%")
if acc < 0.8:
    sys.exit(f"classify.sh: {name}: test accuracy {acc} is too low for two moons")
PY
  s=$d/report/summary.md
  grep -q "| Accuracy | " "$s" || fail "$e: no accuracy in $s"
  grep -q "## Confusion matrix" "$s" && grep -q "| Class | Points | Predicted | Precision | Recall |" "$s" ||
    fail "$e: no confusion matrix or per-class precision/recall in $s"
  grep -qi "psnr" "$s" && fail "$e: a classification report shows PSNR"
  [ -s "$d/report/confusion.png" ] && [ -s "$d/report/eval_accuracy.png" ] && [ -s "$d/report/boundary.png" ] ||
    fail "$e: report figures missing"
  [ -e "$d/report/spectrum.png" ] && fail "$e: a spectrum for class labels"
  $PY - "$d/metrics.jsonl" <<'PY' || exit 1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
if lines[0].get('kind') != 'header':
    sys.exit(f"classify.sh: {sys.argv[1]}: the first line is not the run's header")
lines = lines[1:]
ev = [l for l in lines if 'test_accuracy' in l]
if len(lines) != 60 or [l['epoch'] for l in ev] != [10, 20, 30, 40, 50, 60]:
    sys.exit(f"classify.sh: {sys.argv[1]}: evaluations at {[l['epoch'] for l in ev]}, not every 10 epochs")
if any('psnr' in l for l in lines) or not all('train_accuracy' in l and 'train_loss' in l for l in ev):
    sys.exit(f"classify.sh: {sys.argv[1]}: psnr logged, or no train figures beside the test ones")
PY
done
# The same split for the same seed: the test points of both runs are the same rows.
cut -d, -f1,2 out/moons_quantum/pred.csv | cmp -s - <(cut -d, -f1,2 out/moons_mlp/pred.csv) ||
  fail "two experiments with one seed held out different rows"

# Bad input is refused with the file and the row; and at check time with a location.
cls_run() { # LABEL-FILE EXPECTED-TEXT
  sed "s/moons.csv/$1/" moons.qnn > bad.qnn
  "$QNNC" run bad.qnn --out bad --set epochs=1 >bad.log 2>&1 && fail "$1 was accepted"
  grep -qF "$2" bad.log || fail "$1: expected '$2', got: $(cat bad.log)"
}
awk -F, 'NR == 5 {$3 = 2} {print}' OFS=, moons.csv > three.csv
cls_run three.csv "three.csv: row 4 of the data: class 2 is not one of 0, 1, ..., 1 (the model has 2 outputs, one per class)"
awk -F, 'NR == 3 {$3 = 0.5} {print}' OFS=, moons.csv > half.csv
cls_run half.csv "half.csv: row 2 of the data: class 0.5 is not one of 0, 1"
cat > soft.qnn <<'QNN'
model m { linear(2, 2); softmax; }
experiment e { data = csv("moons.csv", inputs = 2); model = m; loss = cross_entropy; }
QNN
"$QNNC" check soft.qnn >soft.log 2>&1 && fail "cross_entropy after softmax was accepted"
grep -q "soft.qnn:2:71: error: \`cross_entropy\` takes logits" soft.log || fail "softmax + cross_entropy: $(cat soft.log)"
# eval.metrics and loss drive what is computed: psnr refused for classes, accuracy for signals
"$QNNC" check moons.qnn --set 'eval=grid(metrics = [psnr])' >m.log 2>&1 && fail "psnr for classes accepted"
grep -q "signal metric" m.log || fail "psnr for classes: $(cat m.log)"
echo "classify.sh: two moons classified, accuracy checked independently, reports and refusals right"
