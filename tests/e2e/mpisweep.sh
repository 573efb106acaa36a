#!/usr/bin/env bash
# `mpirun -np N qnnc sweep` (issue 16): rank 0 hands the runs to the other ranks one at a time;
# 2 and 3 ranks give the same table as the local `--jobs 1` sweep (every figure equal), each
# configuration runs exactly once, a failing configuration is recorded while the others
# finish, a restart skips finished runs, one rank is the local sweep, and a worker rank that
# dies stops the sweep with Open MPI's message instead of a hang.
# Skipped, with one line, when MPI is not installed or qnn was built without it.
set -u
NAME=mpisweep.sh
. "$(dirname "$0")/mpi_common.bash"
SWEEP=(small.qnn --set seed=0..3 --set model.hidden=1,2 --set epochs=6)

"$QNNC" sweep "${SWEEP[@]}" --jobs 1 --out local > log0 2>&1 || fail "local sweep failed: $(tail -5 log0)"
for np in 1 2 3; do
  $MPIRUN -np $np "$QNNC" sweep "${SWEEP[@]}" --out mpi$np > log$np 2>&1 || fail "$np ranks failed: $(tail -5 log$np)"
  [ "$(grep -c '^\[[0-9]/6\] ' log$np)" = 6 ] || fail "$np ranks: expected 6 finished lines: $(cat log$np)"
done
grep -q "6 to run, 0 finished before; 1 at a time" log1 || fail "1 rank must be the local sweep: $(head -1 log1)"
grep -q "6 to run, 0 finished before; 2 MPI ranks running one each" log3 || fail "plan line: $(head -1 log3)"
$PY - <<'PY' || fail "the MPI sweeps' tables differ from the local one"
import csv
def rows(d, f): return list(csv.DictReader(open(f'{d}/{f}')))
ref_t, ref_r = rows('local', 'sweep.csv'), rows('local', 'runs.csv')
assert len(ref_t) == 2 and len(ref_r) == 6
for d in ('mpi1', 'mpi2', 'mpi3'):
    t, r = rows(d, 'sweep.csv'), rows(d, 'runs.csv')
    # every figure but the times (and the folder's name) equal, to the last digit
    drop = lambda rs: [{k: v for k, v in x.items() if k != 'folder' and not k.startswith('seconds')} for x in rs]
    assert drop(t) == drop(ref_t), (d, t, ref_t)
    assert 'mse_mean' in t[0] and len(t) == 2
    assert drop(r) == drop(ref_r), (d, r, ref_r)
    assert all(x['status'] == 'finished' for x in r), r
print('ok')
PY
# every configuration ran exactly once: six folders, six distinct finished lines
for np in 2 3; do
  [ "$(ls mpi$np/runs | wc -l)" = 6 ] || fail "$np ranks: expected 6 run folders: $(ls mpi$np/runs)"
done
sort_labels() { grep -o '^\[[0-9]/6\] [^:]*' "$1" | sed 's/^\[[0-9]\/6\] //' | sort; }
[ "$(sort_labels log3)" = "$(sort_labels log0)" ] && [ "$(sort_labels log3 | uniq -d)" = "" ] ||
  fail "3 ranks: each configuration must run exactly once: $(sort_labels log3)"

# a restart skips the finished runs; a lost result is run again, once
rm "mpi3/runs/seed=1,model.hidden=2/result.csv"
$MPIRUN -np 3 "$QNNC" sweep "${SWEEP[@]}" --out mpi3 > log4 2>&1 || fail "resume failed: $(tail -5 log4)"
grep -q "1 to run, 5 finished before" log4 || fail "resume: $(head -1 log4)"
[ -s "mpi3/runs/seed=1,model.hidden=2/result.csv" ] || fail "the lost run was not redone"
cmp -s <(cut -d, -f1-12 local/sweep.csv) <(cut -d, -f1-12 mpi3/sweep.csv) ||
  fail "the resumed table differs from the local one"

# a failing configuration is recorded, the others finish; exit status 1
$MPIRUN -np 3 "$QNNC" sweep small.qnn --out bad --set epochs=3 --set seed=0,1 \
  --set 'data=csv("signal.csv", inputs = 1, outputs = 1),csv("missing.csv", inputs = 1, outputs = 1)' > log5 2>&1
[ $? = 1 ] || fail "a failed run must give exit status 1: $(cat log5)"
grep -q "FAILED (see bad/runs/.*log.txt): .*missing.csv" log5 || fail "failure line: $(cat log5)"
grep -q "2 of 4 runs failed" log5 || fail "no failure count: $(cat log5)"
[ "$(grep -c ',finished,' bad/runs.csv)" = 2 ] && [ "$(grep -c ',failed,' bad/runs.csv)" = 2 ] ||
  fail "runs.csv must hold two finished and two failed runs: $(cat bad/runs.csv)"

# a sweep refused before anything runs releases the workers (no hang): exit 1, no folder
$MPIRUN -np 3 "$QNNC" sweep small.qnn --out refused --set epochs=5,-1 > log6 2>&1
[ $? = 1 ] && grep -q "configuration \`epochs=-1\` is refused" log6 || fail "refusal under mpirun: $(cat log6)"
[ ! -e refused ] || fail "a refused sweep must not create its folder"

# a worker rank killed mid-sweep: the job stops with a message, well before the timeout
$MPIRUN -np 3 "$QNNC" sweep small.qnn --out dead --set seed=0..40 --set epochs=200 > log7 2>&1 &
job=$!
victim=
for _ in $(seq 1 100); do
  for p in $(pgrep -P "$(pgrep -P $job | head -1)" 2>/dev/null); do
    if tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then victim=$p; fi
  done
  [ -n "$victim" ] && [ -d dead/runs ] && break
  sleep 0.1
done
[ -n "$victim" ] || { kill $job; fail "could not find rank 1"; }
start=$SECONDS
kill -9 "$victim"
wait $job
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || fail "a dead rank must stop the sweep with an error (status $rc): $(tail -5 log7)"
[ $((SECONDS - start)) -lt 60 ] || fail "the sweep took too long to stop after a rank died"
grep -qi "rank\|process" log7 || fail "no message on the dead rank: $(tail -5 log7)"
sleep 1
for f in /proc/[0-9]*/cmdline; do # no run of the stopped sweep goes on as an orphan
  c=$( (tr '\0' ' ' < "$f") 2>/dev/null) || continue
  case $c in *"--out dead/runs/"*) fail "an orphaned run: $c" ;; esac
done
echo "mpisweep.sh: ok"
