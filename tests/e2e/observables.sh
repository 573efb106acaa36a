#!/usr/bin/env bash
# End-to-end: observables of language.md §4.11. A `let` that hides an outer name and is
# never used is a warning that does not fail `check`; the Ising Hamiltonian written with
# `sum` lowers to the same IR as the term-by-term version (4 and 8 qubits); a layer with
# sum/probs/var/hermitian outputs trains identically with the JIT and the interpreter.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. the warning: exit 0, printed with its place and the note about `sum`
cat > "$tmp/warn.qnn" <<'QNN'
circuit c(int n = 3) {
    qubits q[n];
    param w[n];
    for i in 0..n { ry(w[i]) q[i]; }
    let H = Z(q[0]);
    for i in 0..n-1 {
        let H = H - Z(q[i]) @ Z(q[i+1]);
    }
    expval H;
}
QNN
"$QNNC" check "$tmp/warn.qnn" 2> "$tmp/warn.err" || { echo "a warning failed check"; cat "$tmp/warn.err"; exit 1; }
grep -q "warn.qnn:7:13: warning: this \`let\` hides the earlier \`H\` and is never used" "$tmp/warn.err" \
    || { echo "warning missing"; cat "$tmp/warn.err"; exit 1; }
grep -qF "    7 |         let H = H - Z(q[i]) @ Z(q[i+1]);" "$tmp/warn.err" || { cat "$tmp/warn.err"; exit 1; }
grep -q "^note: a \`let\` in a loop body makes a new \`H\`" "$tmp/warn.err" || { cat "$tmp/warn.err"; exit 1; }
if grep -q "error" "$tmp/warn.err"; then echo "a warning counted as an error"; exit 1; fi
# the same `let`, used: no warning
cat > "$tmp/used.qnn" <<'QNN'
circuit c {
    qubits q[2];
    let a = 1;
    for i in 0..2 { let a = a + i; ry(a) q[i]; }
    expval Z(q[0]);
}
QNN
"$QNNC" check "$tmp/used.qnn" 2> "$tmp/used.err"
[ ! -s "$tmp/used.err" ] || { echo "unexpected diagnostics"; cat "$tmp/used.err"; exit 1; }

# 2. sum against term by term: the same IR text, observables included
for n in 4 8; do
    terms=""
    for ((i = 0; i < n - 1; i++)); do terms="$terms - Z(q[$i]) @ Z(q[$((i + 1))])"; done
    for ((i = 0; i < n; i++)); do terms="$terms - 0.5 * X(q[$i])"; done
    head='qubits q[n]; param w[n]; for i in 0..n { ry(w[i]) q[i]; } for i in 0..n-1 { cnot q[i], q[i+1]; }'
    echo "circuit tfim(int n = $n) { $head expval -sum(i in 0..n-1) Z(q[i]) @ Z(q[i+1]) - 0.5 * sum(i in 0..n) X(q[i]); }" > "$tmp/sum$n.qnn"
    echo "circuit tfim(int n = $n) { $head expval $terms; }" > "$tmp/terms$n.qnn"
    "$QNNC" emit-ir "$tmp/sum$n.qnn" > "$tmp/sum$n.ir"
    "$QNNC" emit-ir "$tmp/terms$n.qnn" > "$tmp/terms$n.ir"
    cmp "$tmp/sum$n.ir" "$tmp/terms$n.ir" || { echo "sum and terms differ ($n qubits)"; diff "$tmp/sum$n.ir" "$tmp/terms$n.ir"; exit 1; }
    grep -q "observable 0 = -1\*ZZ" "$tmp/sum$n.ir" || { cat "$tmp/sum$n.ir"; exit 1; }
    [ "$(grep -o '\*[IXYZ]*' "$tmp/sum$n.ir" | sort -u | wc -l)" -eq $((2 * n - 1)) ] \
        || { echo "expected $((2 * n - 1)) distinct terms"; cat "$tmp/sum$n.ir"; exit 1; }
done

# 3. training with these outputs: JIT and reference interpreter agree
mkdir -p "$tmp/embed"
cp examples/embed/signal.csv "$tmp/embed/"
cp examples/observables.qnn "$tmp/"
"$QNNC" run "$tmp/observables.qnn" --quiet --out "$tmp/jit" --set epochs=10
"$QNNC" run "$tmp/observables.qnn" --quiet --out "$tmp/ref" --set epochs=10 --reference
python3 - "$tmp/jit/fit.csv" "$tmp/ref/fit.csv" "$tmp/jit/metrics.jsonl" <<'PY'
import csv, json, sys
a = [float(r["output"]) for r in csv.DictReader(open(sys.argv[1]))]
b = [float(r["output"]) for r in csv.DictReader(open(sys.argv[2]))]
d = max(abs(x - y) for x, y in zip(a, b))
assert len(a) == len(b) == 64 and d < 1e-9, d
rows = [json.loads(l) for l in open(sys.argv[3])]
assert rows[0]["kind"] == "header", rows[0]
losses = [r["loss"] for r in rows[1:]]
assert losses[-1] < losses[0], losses
PY
echo "observables: ok"
