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
echo "heldout.sh: CSV test files evaluated on their own points, MSE checked independently"
