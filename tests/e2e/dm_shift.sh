#!/usr/bin/env bash
# End-to-end: parameter-shift gradients on density matrices (docs/semantics.md §10.2).
# examples/noisy_fit.qnn (amplitude damping, readout error, the experiment's depolarizing model)
# trained 4 epochs with `--grad shift` follows the adjoint run's losses to 1e-9 relative,
# compiled (cg_dm.c) and on the interpreter (--reference: interp_dm_vjp_shift); and the
# check tells runs apart: the adjoint run with another seed is far from it. The `gradient`
# setting (language.md §6.11) does what --grad does, and --grad wins over it.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
die() { echo "dm_shift.sh: $*"; exit 1; }
run() { "$QNNC" run examples/noisy_fit.qnn --set epochs=4 --set log_every=1 --quiet --out "$tmp/$1" "${@:2}" > /dev/null; }
losses() { grep -o '"loss": [^,]*' "$tmp/$1/metrics.jsonl" | cut -d' ' -f2; }
run adj || die "the adjoint run"
run shift --grad shift || die "--grad shift (compiled)"
run ref --grad shift --reference || die "--grad shift --reference"
run other --set seed=2 || die "the run with another seed"
run setting --set gradient=shift || die "--set gradient=shift"
run cli_wins --set gradient=shift --grad adjoint || die "--set gradient=shift --grad adjoint"
grep -q "\"gradient\": \"shift\"" "$tmp/setting/metrics.jsonl" || die "the gradient setting is not used"
grep -q "\"gradient\": \"adjoint\"" "$tmp/cli_wins/metrics.jsonl" || die "--grad does not win over the setting"
grep -q "\"gradient\": \"shift\"" "$tmp/shift/metrics.jsonl" || die "the run does not record its gradient method"
grep -q "\"gradient\": \"adjoint\"" "$tmp/adj/metrics.jsonl" || die "the adjoint run does not record its method"
/usr/bin/python3 - <(losses adj) <(losses shift) <(losses ref) <(losses other) <(losses setting) <<'PY' || die "shift losses differ from the adjoint's"
import sys
a, s, r, o, g = ([float(v) for v in open(f)] for f in sys.argv[1:])
assert len(a) == 4 and len(s) == 4 and len(r) == 4 and len(g) == 4, (a, s, r, g)
rel = lambda x, y: max(abs(p - q) / abs(q) for p, q in zip(x, y))
assert rel(s, a) < 1e-9, ("compiled", s, a)
assert g == s, ("the setting's shift run is not --grad shift's", g, s)
assert rel(r, a) < 1e-9, ("reference", r, a)
assert rel(o, a) > 1e-3, ("the check cannot tell runs apart", o, a)
print("dm_shift.sh: 4 epochs, compiled shift vs adjoint %.1e, reference shift vs adjoint %.1e" % (rel(s, a), rel(r, a)))
PY
echo "dm_shift.sh: ok"
