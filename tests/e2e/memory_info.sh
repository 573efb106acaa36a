#!/usr/bin/env bash
# qnnc info's memory line (rt_model_memory_of) against hand counts: a small classical model
# with SGD, and QIREN on sound (examples/sound_qiren.qnn) with Adam.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() { echo "memory_info: $*" >&2; exit 1; }
cat > "$tmp/m.qnn" <<'QNN'
model tiny() { linear(1, 2); batchnorm(2); tanh; linear(2, 1); }
experiment tiny_fit { data = csv("x.csv", inputs = 1); model = tiny; optimizer = sgd(lr = 0.1); }
QNN
out=$("$QNNC" info "$tmp/m.qnn")
# parameters 2 + 2 (linear 1->2) + 2 + 2 (batchnorm gamma, beta) + 2 + 1 (linear 2->1) = 11:
# 88 B each for values, gradients and SGD's one moment; buffers: running mean and variance
# 2 x 2 x 8 = 32 B; activations: widths 1 + 2 + 2 + 2 + 1 = 8, value and gradient: 128 B
want="  memory: 11 trainable parameters 88 B, gradients 88 B, optimizer state 88 B (sgd, 1 moment), buffers 32 B: 296 B in all"
grep -qxF "$want" <<<"$out" || die "tiny: want \"$want\", got:
$out"
grep -qF "activations kept for backward: 128 B" <<<"$out" || die "tiny: activations: $out"
out=$("$QNNC" info examples/sound_qiren.qnn)
# 649 parameters (qiren-reference.md) x 8 B; Adam 2 x 5192; 3 batchnorms of 8: 3 x 2 x 8 x 8;
# widths 1 + 9 x 8 + 1 = 74 -> 1184 B; 8 qubits: 2^8 x 16 B
grep -qF "memory: 649 trainable parameters 5192 B, gradients 5192 B, optimizer state 10384 B (adam, 2 moments), buffers 384 B" <<<"$out" \
    || die "qiren: $out"
grep -qF "activations kept for backward: 1184 B per point; state vector 4096 B (8 qubits) per thread" <<<"$out" \
    || die "qiren activations: $out"
echo "memory_info: ok"
