#!/usr/bin/env bash
# Warnings in models (docs/language.md §8.2): a `let` in a model that hides an earlier name and
# is never read is a warning (the loop below does not widen the layers: the inner `w` is a new
# name each iteration); `check` still exits 0. A hiding `let` that is read gets no warning.
set -u
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-warn.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "warnings.sh: $*"; exit 1; }
cat > "$tmp/unused.qnn" <<'QNN'
model widening(int d = 1) {
    let w = 4;
    for i in 0..3 { let w = w * 2; }
    linear(d, w);
    tanh;
    linear(w, 1);
}
QNN
out=$("$QNNC" check "$tmp/unused.qnn" 2>&1); rc=$?
[ "$rc" -eq 0 ] || fail "a warning made check exit $rc: $out"
grep -qF "unused.qnn:3:25: warning: this \`let\` hides the earlier \`w\` and is never used" <<<"$out" ||
  fail "no warning for the unused hiding let: $out"
cat > "$tmp/used.qnn" <<'QNN'
model widening(int d = 1) {
    let w = 4;
    if (d > 0) { let w = w * 2; linear(d, w); tanh; linear(w, 1); }
}
QNN
out=$("$QNNC" check "$tmp/used.qnn" 2>&1) || fail "check failed: $out"
grep -q "warning" <<<"$out" && fail "a hiding let that is read was warned about: $out"
echo "warnings.sh: unused hiding lets in models warned, used ones not"
