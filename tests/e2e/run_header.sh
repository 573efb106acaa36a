#!/usr/bin/env bash
# End-to-end: metrics.jsonl's first line is the run's header (docs/runtime.md): the model as
# called, every --set override in order, the gradient method, the precision the circuits
# really ran in, the seed and the versions; qnnc run and a native binary alike. Each field is
# compared with what the command asked for, not with a recorded file.
set -euo pipefail
QNNC=$(realpath "${QNNC:-build/qnnc}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp examples/embed/signal.csv tests/e2e/small.qnn "$tmp/"
cd "$tmp"
"$QNNC" run small.qnn --quiet --out a --set epochs=3 --set seed=5 --set model.hidden=2 --precision f32 --grad shift
"$QNNC" build small.qnn -o small_bin --quiet --set epochs=2
./small_bin --quiet --out b --set seed=9 --set optimizer.lr=0.01
"$QNNC" run small.qnn --quiet --out c --set epochs=1 --set 'data.path="signal.csv"'
want_llvm=$("$QNNC" --version | grep -o 'LLVM [0-9.]*' | head -1 | cut -d' ' -f2)
/usr/bin/python3 - "$want_llvm" <<'PY'
import json, sys
def log(d):
    rows = [json.loads(l) for l in open(d + "/metrics.jsonl")]
    head, epochs = rows[0], rows[1:]
    assert head["kind"] == "header" and all("epoch" in r and "kind" not in r for r in epochs), d
    return head, epochs
a, ea = log("a")
want = {"experiment": "small", "model": "qiren(d = 1, n = 3, hidden = 2, depth = 1)", "model_name": "qiren",
        "overrides": "epochs=3 seed=5 model.hidden=2", "gradient": "shift", "precision": "f32", "seed": 5,
        "qnnc": "0.1.0", "llvm": sys.argv[1]}
for k, v in want.items():
    assert a[k] == v, ("qnnc run", k, a[k], v)
assert len(ea) == 3, len(ea)
b, eb = log("b")  # the binary's own --set follows the build's
want.update({"model": "qiren(d = 1, n = 3, hidden = 1, depth = 1)", "overrides": "epochs=2 seed=9 optimizer.lr=0.01",
             "gradient": "adjoint", "precision": "f64", "seed": 9})
for k, v in want.items():
    assert b[k] == v, ("native binary", k, b[k], v)
assert len(eb) == 2, len(eb)
c, _ = log("c")
# the file's own seed and precision; quotes in an override survive JSON's escapes
assert c["seed"] == 7 and c["precision"] == "f64" and c["overrides"] == 'epochs=1 data.path="signal.csv"', c
PY
echo "run_header: ok"
