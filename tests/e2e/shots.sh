#!/usr/bin/env bash
# End-to-end: shots = N through `qnnc run` (docs/semantics.md section 9). The small QIREN
# experiment trains with shots (the loss falls), is reproducible for its seed and identical
# with 1 and 2 threads, and differs from the exact run; every kind of output (a sum with a
# constant, probs, a variance of one product, a Hermitian matrix) runs with shots; what
# shots cannot do is refused with one line: the adjoint gradient, --reference, the variance
# of a sum, shots = 0, --set shots=N on a native binary built exact. A native build with
# shots reproduces `qnnc run` bit for bit. The estimates themselves are checked against the
# interpreter by build/tests/test_shots.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp examples/embed/signal.csv tests/e2e/small.qnn "$tmp/"
run() { "$QNNC" run "$tmp/small.qnn" --quiet --set epochs=25 "$@"; }
run --out "$tmp/a" --set shots=128 --threads 1
run --out "$tmp/b" --set shots=128 --threads 2
run --out "$tmp/e"
cmp "$tmp/a/model.safetensors" "$tmp/b/model.safetensors" || { echo "shots: 1 and 2 threads differ"; exit 1; }
cmp "$tmp/a/fit.csv" "$tmp/b/fit.csv" || { echo "shots: 1 and 2 threads give other outputs"; exit 1; }
run --out "$tmp/c" --set shots=128 --threads 1
cmp "$tmp/a/fit.csv" "$tmp/c/fit.csv" || { echo "shots: same seed, different outputs"; exit 1; }
if cmp -s "$tmp/a/fit.csv" "$tmp/e/fit.csv"; then echo "shots = 128 gave the exact outputs"; exit 1; fi
python3 - "$tmp/a/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[0].get("kind") == "header", rows[0]
losses = [r["loss"] for r in rows[1:]]
assert len(losses) == 25, len(losses)
assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])
PY
# the note when --grad is not given
note=$("$QNNC" run "$tmp/small.qnn" --set epochs=1 --set shots=16 --out "$tmp/n" 2>&1)
grep -qF "note: small: shots = 16: gradients by the parameter-shift rule" <<<"$note" ||
    { echo "no shots note: $note"; exit 1; }
expect_fail() { # expect_fail WANT CMD...: fails, and its output has WANT
    local want=$1; shift
    if out=$("$@" 2>&1); then echo "accepted: $*"; exit 1; fi
    grep -qF -- "$want" <<<"$out" || { echo "for: $*"; echo "want: $want"; echo "got: $out"; exit 1; }
}
expect_fail "--grad adjoint needs the exact state, and shots = 8 measure samples" \
    run --out "$tmp/x" --set shots=8 --grad adjoint
expect_fail "--reference computes exact expectations" run --out "$tmp/x" --set shots=8 --reference
expect_fail "shots" run --out "$tmp/x" --set shots=0
# a native build with shots gives `qnnc run`'s outputs bit for bit, also with another
# --set shots; one built exact refuses --set shots=N with the way out; `qnnc grad` of a file
# with shots reports the exact values
"$QNNC" build "$tmp/small.qnn" --set shots=128 --set epochs=25 -o "$tmp/sbin" >/dev/null 2>&1
(cd "$tmp" && ./sbin --quiet --threads 1 --out "$tmp/na")
cmp "$tmp/a/fit.csv" "$tmp/na/fit.csv" || { echo "shots: native binary differs from qnnc run"; exit 1; }
(cd "$tmp" && ./sbin --quiet --set shots=64 --set epochs=3 --out "$tmp/n64")
expect_fail "libraries (--emit lib, --emit shared) compute exact expectation values" \
    "$QNNC" build "$tmp/small.qnn" --set shots=8 --emit shared -o "$tmp/lib"
run --out "$tmp/j64" --set shots=64 --set epochs=3
cmp "$tmp/n64/fit.csv" "$tmp/j64/fit.csv" || { echo "shots: native --set shots=64 differs"; exit 1; }
"$QNNC" build "$tmp/small.qnn" -o "$tmp/bin" >/dev/null 2>&1
(cd "$tmp" && expect_fail "build the binary with \`qnnc build --set shots=8\`" \
    ./bin --set shots=8 --set epochs=1 --quiet --out "$tmp/nb")
sed 's/seed = 7;/seed = 7; shots = 64;/' tests/e2e/small.qnn > "$tmp/s64.qnn"
"$QNNC" grad "$tmp/s64.qnn" --input 0.1 --bn running --out "$tmp/g64.json"
"$QNNC" grad "$tmp/small.qnn" --input 0.1 --bn running --out "$tmp/g.json"
python3 - "$tmp/g64.json" "$tmp/g.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
a.pop("source"), b.pop("source")
assert a == b, "qnnc grad: a file's shots changed its exact Jacobian"
PY
# the observables example: a variance of a sum is refused; with var of one product, it runs
mkdir -p "$tmp/embed" && cp examples/embed/signal.csv "$tmp/embed/"
cp examples/observables.qnn "$tmp/obs.qnn"
expect_fail "output 5 is the variance of a sum of Pauli products" \
    "$QNNC" run "$tmp/obs.qnn" --quiet --set shots=8 --set epochs=1 --out "$tmp/x"
sed 's/var(sum(i in 0..n) Z(q\[i\]));/var(2 * Z(q[1]));/' examples/observables.qnn > "$tmp/obs.qnn"
"$QNNC" run "$tmp/obs.qnn" --quiet --set shots=64 --set epochs=3 --out "$tmp/o"
python3 - "$tmp/o/metrics.jsonl" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[0].get("kind") == "header", rows[0]
losses = [r["loss"] for r in rows[1:]]
assert len(losses) == 3 and all(math.isfinite(v) for v in losses), losses
PY
# qnnc grad reports exact values, and says that it does not use the file's shots
g=$("$QNNC" grad "$tmp/small.qnn" --set shots=16 --bn running --input 0.1 2>&1) || { echo "shots: grad failed: $g"; exit 1; }
grep -qF "note: small: shots = 16 is not used: qnnc grad reports exact outputs" <<<"$g" || { echo "shots: grad gave no note: $g"; exit 1; }
echo "shots: ok"
