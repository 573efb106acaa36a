#!/usr/bin/env bash
# qnnc sweep (issue 16): the cross product of --set values runs each configuration in its own
# folder; the table's statistics equal an independent computation from the runs' own figures,
# and a run equals the same `qnnc run` done by hand; restarting skips finished runs and redoes
# the missing one; a failing run is recorded while the others finish; a refused configuration
# stops the sweep before anything runs; a folder of another (or an edited) file is refused.
set -u
QNNC=$(cd "$(dirname "${QNNC:-build/qnnc}")" && pwd)/$(basename "${QNNC:-build/qnnc}")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-sweep.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "sweep.sh: $*"; exit 1; }
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/small.qnn" "$here/../../examples/embed/signal.csv" "$tmp/"
cd "$tmp"

# 1. 3 seeds x 2 widths, two at a time
"$QNNC" sweep small.qnn --set seed=0..3 --set model.hidden=1,2 --set epochs=6 --jobs 2 > log1 2>&1 ||
  fail "sweep failed: $(tail -5 log1)"
grep -q "6 configurations of small.qnn (seed: 3 values, model.hidden: 2 values), 6 to run" log1 ||
  fail "plan line: $(head -1 log1)"
S=out/small-sweep
for f in sweep.md sweep.csv runs.csv sweep.txt sweep.png; do [ -s "$S/$f" ] || fail "no $S/$f"; done
[ "$(head -c 8 "$S/sweep.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "sweep.png is not a PNG"
[ "$(ls "$S/runs" | wc -l)" = 6 ] || fail "expected 6 run folders: $(ls "$S/runs")"
# the statistics, recomputed from runs.csv (which holds each run's own result.csv figures)
$PY - "$S" <<'PY' || fail "statistics differ from an independent computation"
import csv, statistics, sys, os
d = sys.argv[1]
runs = list(csv.DictReader(open(os.path.join(d, 'runs.csv'))))
assert len(runs) == 6 and all(r['status'] == 'finished' for r in runs), runs
for r in runs:  # runs.csv holds what each run wrote
    res = dict(l.strip().split(',', 1) for l in open(os.path.join(r['folder'], 'result.csv')))
    assert abs(float(res['mse']) - float(r['mse'])) <= 1e-9 * abs(float(res['mse'])), (res, r)
    cfg = open(os.path.join(r['folder'], 'config.txt')).read()
    assert f"set seed={r['seed']}\n" in cfg and f"set model.hidden={r['model.hidden']}\n" in cfg, cfg
table = list(csv.DictReader(open(os.path.join(d, 'sweep.csv'))))
assert [t['model.hidden'] for t in table] == ['1', '2'], table
for t in table:
    v = [float(r['mse']) for r in runs if r['model.hidden'] == t['model.hidden']]
    assert len(v) == 3 and t['runs'] == '3' and t['failed'] == '0'
    for key, want in (('mse_mean', statistics.mean(v)), ('mse_sd', statistics.stdev(v)),
                      ('mse_min', min(v)), ('mse_max', max(v))):
        got = float(t[key])
        assert abs(got - want) <= 1e-8 * abs(want), (key, got, want)
    assert t['model.hidden'] in open(os.path.join(d, 'sweep.md')).read()
print('ok')
PY
# the paired comparison over seeds (hidden=2 against hidden=1, pairs by seed), recomputed
# with an exact Wilcoxon signed-rank enumeration of its own; 3 pairs can never reach p < 0.05
$PY - "$S" <<'PY' || fail "paired comparison differs from an independent computation"
import csv, itertools, os, re, sys
d = sys.argv[1]
runs = list(csv.DictReader(open(os.path.join(d, 'runs.csv'))))
m = {(r['model.hidden'], r['seed']): float(r['mse']) for r in runs}
diff = [m[('1', s)] - m[('2', s)] for s in ('0', '1', '2')]  # mse: lower is better
nz = [x for x in diff if x != 0]
rank = [sum(abs(y) < abs(x) for y in nz) + (sum(abs(y) == abs(x) for y in nz) + 1) / 2 for x in nz]
w = sum(r for r, x in zip(rank, nz) if x > 0)
sums = [sum(r for r, b in zip(rank, bits) if b) for bits in itertools.product((0, 1), repeat=len(nz))]
p = min(1, 2 * min(sum(s <= w for s in sums), sum(s >= w for s in sums)) / len(sums)) if nz else 1
md = open(os.path.join(d, 'sweep.md')).read()
row = [l for l in md.splitlines() if l.startswith('| 2 | 1 | 3 |')]
assert len(row) == 1, md
k = sum(x > 0 for x in nz)
assert f'| {k} of 3 |' in row[0], (row, k)
got = float(row[0].split('|')[5])
assert abs(got - p) <= 1e-3 * p, (got, p)
assert 'beats' not in md and f'better in {k} of 3 seeds' in row[0] and '| 3 |' in row[0], row
print('ok')
PY
# one run of the sweep equals the same run by hand (whatever the thread count)
"$QNNC" run small.qnn --quiet --set seed=1 --set model.hidden=2 --set epochs=6 --out byhand --result byhand.csv \
  --threads 1 >/dev/null 2>&1 || fail "qnnc run --result failed"
a=$(grep '^mse,' byhand.csv); b=$(grep '^mse,' "$S/runs/seed=1,model.hidden=2/result.csv")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "the sweep's run differs from the run by hand: '$a' vs '$b'"

# 2. restart: nothing to do; a lost result is run again, the others are kept
"$QNNC" sweep small.qnn --set seed=0..3 --set model.hidden=1,2 --set epochs=6 > log2 2>&1 || fail "restart failed"
grep -q "0 to run, 6 finished before" log2 || fail "restart did not skip the finished runs: $(head -1 log2)"
mse_column() { $PY -c 'import csv,sys; print([r["mse"] for r in csv.DictReader(open(sys.argv[1]))])' "$1"; }
before=$(mse_column "$S/runs.csv")
rm "$S/runs/seed=2,model.hidden=1/result.csv"
"$QNNC" sweep small.qnn --set seed=0..3 --set model.hidden=1,2 --set epochs=6 > log3 2>&1 || fail "resume failed"
grep -q "1 to run, 5 finished before" log3 || fail "resume: $(head -1 log3)"
[ "$before" = "$(mse_column "$S/runs.csv")" ] || fail "the redone run changed the figures (runs are deterministic)"
# other fixed settings make the runs different ones: all run again
"$QNNC" sweep small.qnn --set seed=0..3 --set model.hidden=1,2 --set epochs=7 > log4 2>&1 || fail "epochs=7 failed"
grep -q "6 to run" log4 || fail "changed fixed settings must rerun: $(head -1 log4)"

# 3. a failing run is recorded, the other one finishes; exit status 1
"$QNNC" sweep small.qnn --out bad --set epochs=3 \
  --set 'data=csv("signal.csv", inputs = 1, outputs = 1),csv("missing.csv", inputs = 1, outputs = 1)' > log5 2>&1
[ $? = 1 ] || fail "a failed run must give exit status 1"
grep -q "FAILED (see bad/runs/.*log.txt): .*missing.csv" log5 || fail "failure line: $(cat log5)"
grep -q "1 of 2 runs failed" log5 || fail "no failure count"
[ "$(grep -c ',finished,' bad/runs.csv)" = 1 ] && [ "$(grep -c ',failed,' bad/runs.csv)" = 1 ] ||
  fail "runs.csv must hold one finished and one failed run: $(cat bad/runs.csv)"

# 4. a refused configuration: diagnostics, exit 1, nothing run or written
"$QNNC" sweep small.qnn --out refused --set epochs=5,-1 > log6 2>&1
[ $? = 1 ] || fail "a refused configuration must give exit status 1"
grep -q -- "--set:1:8: error: \`epochs\` must be between" log6 && grep -q "configuration \`epochs=-1\` is refused" log6 ||
  fail "refusal: $(cat log6)"
[ ! -e refused ] || fail "a refused sweep must not create its folder"

# 5. an edited file: its runs are not mixed with the old ones
echo "// edited" >> small.qnn
"$QNNC" sweep small.qnn --set seed=0..3 --set model.hidden=1,2 --set epochs=6 > log7 2>&1
[ $? = 1 ] && grep -q "holds a sweep of other sources" log7 || fail "edited sources: $(cat log7)"

# 6. usage errors
"$QNNC" sweep small.qnn --set epochs=5 >/dev/null 2>&1; [ $? = 2 ] || fail "nothing to sweep must be a usage error"
"$QNNC" sweep small.qnn --set seed=3..3 2>&1 | grep -q "half-open" || fail "empty range"
"$QNNC" sweep small.qnn --set seed=1,2 --set seed=3,4 2>&1 | grep -q "swept twice" || fail "twice"
"$QNNC" check small.qnn --result x.csv >/dev/null 2>&1; [ $? = 2 ] || fail "check --result must be refused"
"$QNNC" --quiet sweep small.qnn 2>&1 | grep -q "comes first" || fail "sweep after options"
printf 'import "qiren.qnn";\nexperiment a { data = csv("signal.csv", inputs = 1, outputs = 1); model = qiren(d = 1, n = 2, hidden = 1, depth = 1); epochs = 1; }\nexperiment b { data = csv("signal.csv", inputs = 1, outputs = 1); model = qiren(d = 1, n = 2, hidden = 1, depth = 1); epochs = 1; }\n' > two.qnn
"$QNNC" run two.qnn --quiet --result r.csv 2>&1 | grep -q "pick one with --experiment" || fail "--result with two experiments"
"$QNNC" sweep two.qnn --set seed=1,2 2>&1 | grep -q "has 2 experiments" || fail "sweep of two experiments"
"$QNNC" sweep two.qnn --experiment b --set seed=1,2 --out two >/dev/null 2>&1 || fail "sweep --experiment b"
echo "sweep.sh: ok"
