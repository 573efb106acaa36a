#!/usr/bin/env bash
# End-to-end: the small experiment of tests/e2e/small.qnn. Checks that the loss
# decreases, that two runs with one seed write identical checkpoints, that `eval` of the
# checkpoint reproduces the run's outputs, and that --resume continues where a run stopped.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp examples/embed/signal.csv tests/e2e/small.qnn "$tmp/"
run() { "$QNNC" run "$tmp/small.qnn" --quiet "$@"; }
run --out "$tmp/a"
run --out "$tmp/b"
cmp "$tmp/a/model.safetensors" "$tmp/b/model.safetensors" || { echo "same seed, different checkpoints"; exit 1; }
cmp "$tmp/a/fit.csv" "$tmp/b/fit.csv" || { echo "same seed, different outputs"; exit 1; }
python3 - "$tmp/a/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[0]["kind"] == "header", rows[0]
losses = [r["loss"] for r in rows[1:]]
assert len(losses) == 40, len(losses)
assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])
PY
# eval of the checkpoint gives the outputs of the run, bit for bit
"$QNNC" eval "$tmp/small.qnn" --checkpoint "$tmp/a/model.safetensors" --out "$tmp/e" --quiet 2>/dev/null
cmp "$tmp/a/fit.csv" "$tmp/e/fit.csv" || { echo "eval of the checkpoint differs from the run"; exit 1; }
# 20 epochs, then resume for the rest: the same weights as 40 epochs in one go
run --out "$tmp/r1" --set epochs=20
run --out "$tmp/r2" --resume "$tmp/r1/model.safetensors"
python3 - "$tmp/a/model.safetensors" "$tmp/r2/model.safetensors" <<'PY'
import json, struct, sys
def tensors(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    return {k: b[8 + n + v["data_offsets"][0]: 8 + n + v["data_offsets"][1]] for k, v in h.items()}
a, r = tensors(sys.argv[1]), tensors(sys.argv[2])
assert a.keys() == r.keys()
bad = [k for k in a if a[k] != r[k]]
assert not bad, "resumed run differs in " + ", ".join(bad)
PY
# the compiled simulation trains like the plain reference interpreter
run --out "$tmp/ref" --reference
python3 - "$tmp/a/fit.csv" "$tmp/ref/fit.csv" <<'PY'
import csv, sys
a = [float(r["output"]) for r in csv.DictReader(open(sys.argv[1]))]
b = [float(r["output"]) for r in csv.DictReader(open(sys.argv[2]))]
d = max(abs(x - y) for x, y in zip(a, b))
assert len(a) == len(b) == 64 and d < 1e-9, d
PY
# a missing data file is a clear error naming it
sed 's/signal.csv/missing.csv/' "$tmp/small.qnn" > "$tmp/missing.qnn"
if "$QNNC" run "$tmp/missing.qnn" --out "$tmp/m" --quiet 2> "$tmp/err"; then echo "missing data accepted"; exit 1; fi
grep -q "missing.csv: file not found" "$tmp/err" || { cat "$tmp/err"; exit 1; }
echo "train_small: ok"
