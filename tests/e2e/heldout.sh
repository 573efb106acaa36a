#!/usr/bin/env bash
# Held-out evaluation is honest (issue 11): a CSV experiment evaluated against a separate test
# file (`qnnc eval --target`, or `eval = grid(target = csv(...))` in the file) reports the test
# file's points and their MSE, equal to an independent computation from the written
# predictions and the test file's own values; a target that cannot be used is an error.
set -u
QNNC=$(cd "$(dirname "${QNNC:-build/qnnc}")" && pwd)/$(basename "${QNNC:-build/qnnc}")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-heldout.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "heldout.sh: $*"; exit 1; }
PY=/usr/bin/python3
cd "$tmp"
$PY - <<'PY'
import math
with open('train.csv', 'w') as f:
    f.write('x,y\n')
    for i in range(150):
        x = -1 + 2 * i / 149
        f.write(f'{x!r},{math.sin(3 * x)!r}\n')
with open('test.csv', 'w') as f:
    f.write('x,y\n')
    for i in range(50):
        x = -1 + 2 * (i + 0.5) / 50
        f.write(f'{x!r},{math.sin(3 * x) + 0.1 * math.cos(7 * x)!r}\n')
PY
cat > fit.qnn <<'QNN'
import "baselines.qnn";
experiment fit {
    data = csv("train.csv", inputs = 1, outputs = 1);
    model = tanh_mlp(d = 1, width = 6, hidden = 1);
    epochs = 30;
    seed = 3;
    outputs = [checkpoint("model.safetensors"), csv("pred.csv")];
}
QNN
sed 's/epochs = 30;/epochs = 30;\n    eval = grid(target = csv("test.csv", inputs = 1, outputs = 1));/' fit.qnn > infile.qnn

"$QNNC" run fit.qnn --quiet --out train >/dev/null 2>&1 || fail "training failed: $("$QNNC" run fit.qnn --quiet --out train 2>&1 | tail -3)"
# the independent MSE: predictions written by qnnc against test.csv's own y column
check() { # DIR LOG
  local dir=$1 log=$2
  grep -q "evaluated on 50 points" "$log" || fail "$dir: not evaluated on the 50 test points: $(grep -i evaluated "$log")"
  $PY - "$dir/pred.csv" "$log" <<'PY' || exit 1
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
test = list(csv.reader(open('test.csv')))[1:]
if len(rows) != len(test):
    sys.exit(f"heldout.sh: {sys.argv[1]} has {len(rows)} rows, test.csv {len(test)}")
for r, t in zip(rows, test):
    if abs(float(r[0]) - float(t[0])) > 1e-12:
        sys.exit(f"heldout.sh: prediction at {r[0]} but the test point is {t[0]}")
mse = sum((float(r[1]) - float(t[1])) ** 2 for r, t in zip(rows, test)) / len(test)
m = re.search(r'mse ([0-9.e+-]+)', open(sys.argv[2]).read())
if not m:
    sys.exit("heldout.sh: no mse printed")
got = float(m.group(1))
if abs(got - mse) > 1e-4 * mse:
    sys.exit(f"heldout.sh: reported mse {got}, independent mse {mse}")
PY
}
"$QNNC" eval fit.qnn --checkpoint train/model.safetensors --target test.csv --out cli >cli.log 2>&1 ||
  fail "eval --target failed: $(tail -3 cli.log)"
check cli cli.log
"$QNNC" eval infile.qnn --checkpoint train/model.safetensors --out file >file.log 2>&1 ||
  fail "eval with eval = grid(target = ...) failed: $(tail -3 file.log)"
check file file.log

# A target that cannot be used is refused, never ignored.
printf 'x,y,z\n0.1,0.2,0.3\n' > wide.csv
"$QNNC" eval fit.qnn --checkpoint train/model.safetensors --target wide.csv --out bad >bad.log 2>&1 &&
  fail "a test file with 3 columns for 1 input + 1 output was accepted"
grep -q "wide.csv" bad.log || fail "the refusal does not name the file: $(cat bad.log)"
"$QNNC" eval fit.qnn --checkpoint train/model.safetensors --grid 64 --out bad2 >bad2.log 2>&1 &&
  fail "--grid on a CSV experiment was accepted (a CSV has no grid)"

# A seeded split of the training data (split = 0.75 of 200 rows): 150 trained on, 50 tested;
# the test MSE printed equals an independent computation from the written predictions and
# the file's own values, the train figures stand beside it, eval_every logs both.
$PY - <<'PY'
import math
with open('all.csv', 'w') as f:
    f.write('x,y\n')
    for i in range(200):
        x = -1 + 2 * i / 199
        f.write(f'{x!r},{math.sin(3 * x) + 0.05 * math.cos(11 * x)!r}\n')
PY
cat > split.qnn <<'QNN'
import "baselines.qnn";
experiment fit {
    data = csv("all.csv", inputs = 1, outputs = 1);
    model = tanh_mlp(d = 1, width = 6, hidden = 1);
    epochs = 30;
    seed = 3;
    split = 0.75;
    eval_every = 10;
    outputs = [csv("pred.csv"), report("report")];
}
QNN
"$QNNC" run split.qnn --out s1 >s1.log 2>&1 || fail "split run failed: $(tail -3 s1.log)"
grep -q "test on 50 points: mse [0-9.e+-]*, psnr [0-9.-]* dB; train on 150 points: mse" s1.log ||
  fail "split: not 50 test and 150 training points side by side: $(grep '^fit:' s1.log)"
$PY - s1/pred.csv s1.log s1/metrics.jsonl s1/report/summary.md <<'PY' || exit 1
import csv, json, re, sys
pred, log, metrics, summary = sys.argv[1:]
truth = {float(r[0]): float(r[1]) for r in list(csv.reader(open('all.csv')))[1:]}
rows = list(csv.DictReader(open(pred)))
if len(rows) != 50 or len({float(r['t']) for r in rows}) != 50:
    sys.exit(f"heldout.sh: {pred}: {len(rows)} rows, not 50 distinct test points")
mse = sum((float(r['output']) - truth[float(r['t'])]) ** 2 for r in rows) / 50
got = float(re.search(r'test on 50 points: mse ([0-9.e+-]+)', open(log).read()).group(1))
if abs(got - mse) > 1e-4 * mse:
    sys.exit(f"heldout.sh: split: reported test mse {got}, independent {mse}")
ev = [json.loads(l) for l in open(metrics)]
if ev[0].get('kind') != 'header' or ev[0]['overrides'] != '':
    sys.exit(f"heldout.sh: {metrics}: no header line, or overrides where none were given")
ev = ev[1:]
ev = [l for l in ev if 'test_mse' in l]
if [l['epoch'] for l in ev] != [10, 20, 30] or not all('train_mse' in l for l in ev):
    sys.exit(f"heldout.sh: {metrics}: train/test figures at epochs {[l['epoch'] for l in ev]}")
if abs(ev[-1]['test_mse'] - mse) > 1e-9 * mse:
    sys.exit(f"heldout.sh: the last logged test mse {ev[-1]['test_mse']} is not the final {mse}")
s = open(summary).read()
if '| | Train (150 points) | Test (50 points) |' not in s:
    sys.exit(f"heldout.sh: {summary} has no train | test table")
PY
# deterministic for a seed, another seed holds out other rows
"$QNNC" run split.qnn --out s2 --quiet >/dev/null 2>&1 || fail "second split run failed"
cmp -s s1/pred.csv s2/pred.csv || fail "the same seed gave another split or other predictions"
"$QNNC" run split.qnn --out s3 --quiet --set seed=4 >/dev/null 2>&1 || fail "seed 4 run failed"
cut -d, -f1 s1/pred.csv | cmp -s - <(cut -d, -f1 s3/pred.csv) && fail "seed 4 held out the same rows as seed 3"
# a split with another test set, or of a table too small, is refused with the reason
"$QNNC" check split.qnn --set 'eval=grid(target = csv("test.csv", inputs = 1))' >b3.log 2>&1 &&
  fail "split with an evaluation target was accepted"
grep -q "give one of them" b3.log || fail "split + target: $(cat b3.log)"
"$QNNC" eval split.qnn --checkpoint train/model.safetensors --target test.csv --out b4 >b4.log 2>&1 &&
  fail "split with --target was accepted"
grep -q "give one of them" b4.log || fail "split + --target: $(cat b4.log)"
"$QNNC" check split.qnn --set split=1.5 >b5.log 2>&1 && fail "split = 1.5 was accepted"
printf 'x,y\n0,0\n1,1\n2,2\n' > tiny.csv
"$QNNC" run split.qnn --out b6 --set 'data.path="tiny.csv"' --set split=0.9 >b6.log 2>&1 &&
  fail "a split leaving no test row was accepted"
grep -q "tiny.csv: split = 0.9 of 3 rows leaves 3 to train on and 0 to test" b6.log || fail "tiny split: $(cat b6.log)"
echo "heldout.sh: CSV test files and seeded splits evaluated on their own points, MSE checked independently"
