#!/usr/bin/env bash
# End-to-end: the standard library's PennyLane templates. (1) The reference states of
# tests/stdlib/states.ref are what tests/stdlib/pennylane_ref.py (numpy, PennyLane's
# definitions) computes from the file's inputs and weights; test_stdlib compares qnn with
# them. (2) A model whose quantum layer starts with amplitude_embedding trains, in f64 and
# f32 (the JIT's atan2 and atan2f), the loss falling: the gradient reaches the linear layer
# before it through the Möttönen angles. (3) A native binary (qnnc build) of the f64 run
# gives `qnnc run`'s outputs byte for byte (atan2 from libm at link time).
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "leak:libfontconfig.so" > "$tmp/lsan.supp"
export LSAN_OPTIONS="suppressions=$tmp/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
if nm "${BUILD:-build}/libqnnrt.a" 2>/dev/null | grep -q __asan; then export QNN_LDFLAGS="-fsanitize=address,undefined"; fi

"$PY" tests/stdlib/pennylane_ref.py --check tests/stdlib/states.ref > "$tmp/check.txt" ||
    { cat "$tmp/check.txt"; echo "states.ref is not numpy's PennyLane reference"; exit 1; }

cp examples/embed/signal.csv "$tmp/"
cat > "$tmp/amp.qnn" <<'QNN'
import "templates.qnn";
circuit amp_layer {
    qubits q[2];
    input x[4];
    param w[2][2][3];
    amplitude_embedding(x, normalize = true) q;
    strongly_entangling(w) q;
    expval Z(q[0]);
    expval Z(q[1]) @ X(q[0]);
}
model amp_net {
    linear(1, 4);
    quantum amp_layer;
    linear(2, 1);
}
experiment amp {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = amp_net;
    optimizer = adam(lr = 0.05);
    epochs = 30;
    seed = 3;
    log_every = 1;
    outputs = [csv("fit.csv")];
}
QNN
for prec in f64 f32; do
    "$QNNC" run "$tmp/amp.qnn" --quiet --set precision=$prec --out "$tmp/$prec" 2>/dev/null
    "$PY" - "$tmp/$prec/metrics.jsonl" $prec <<'PYEOF'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
# the header says the precision the circuits ran in, the one asked for
assert rows[0]["kind"] == "header" and rows[0]["precision"] == sys.argv[2], rows[0]
assert rows[0]["overrides"] == "precision=" + sys.argv[2], rows[0]
losses = [r["loss"] for r in rows[1:]]
assert len(losses) == 30 and all(math.isfinite(v) for v in losses), losses
assert losses[-1] < 0.7 * losses[0], (sys.argv[2], losses[0], losses[-1])
PYEOF
done
"$QNNC" build "$tmp/amp.qnn" -o "$tmp/amp_bin" --quiet
(cd "$tmp" && ./amp_bin --quiet --out "$tmp/bin" >/dev/null 2>&1)
cmp "$tmp/f64/fit.csv" "$tmp/bin/fit.csv" || { echo "the native binary differs from qnnc run"; exit 1; }
