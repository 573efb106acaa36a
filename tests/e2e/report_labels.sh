#!/usr/bin/env bash
# Reports that tell runs apart (issue 11 item 7): summary.md and index.html name the model as
# called with its arguments' values, every --set override, the gradient method, the precision
# the circuits really ran in (--precision f32 on the command line, not the file's f64), the
# seed and the qnnc and LLVM versions; a native binary (qnnc build) reports the same as
# `qnnc run`; the comparison report labels each row by the settings that differ (the seed
# here) and not by those that are equal, and shows each model as called.
set -u
QNNC=$(cd "$(dirname "${QNNC:-build/qnnc}")" && pwd)/$(basename "${QNNC:-build/qnnc}")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-labels.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "report_labels.sh: $*"; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/../../examples/embed/signal.csv" "$tmp/"
cd "$tmp"
cat > two.qnn <<'QNN'
import "qiren.qnn";
experiment a {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = qiren(d = 1, n = 2, hidden = 1, depth = 1);
    optimizer = adam(lr = 0.05);
    epochs = 3;
    seed = 1;
    outputs = [report("report")];
}
experiment b {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = qiren(d = 1, n = 2, hidden = 2, depth = 1);
    optimizer = adam(lr = 0.05);
    epochs = 3;
    seed = 2;
    outputs = [report("report")];
}
QNN
"$QNNC" run two.qnn --quiet --precision f32 --grad shift --set epochs=2 --out jit > log 2>&1 ||
  fail "qnnc run failed: $(tail -3 log)"
llvm=$("$QNNC" --version 2>&1 | grep -o 'LLVM [0-9][0-9.]*' | head -1)
[ -n "$llvm" ] || fail "qnnc --version names no LLVM version"
check_summary() { # folder, what the overrides line says
  local s="$1/summary.md" h="$1/index.html"
  [ -s "$s" ] && [ -s "$h" ] || fail "no $s or $h"
  for want in "simulation precision: f32" "model: qiren(d = 1, n = 2, hidden = 2, depth = 1)" \
              "overrides: $2" "gradient: shift" "toolchain: qnnc " "$llvm" "seed: 2" "epochs: 2"; do
    grep -qF "$want" "$s" || fail "$s lacks '$want': $(cat "$s")"
    grep -qF "$want" "$h" || fail "$h lacks '$want'"
  done
  ! grep -q "simulation precision: f64" "$s" || fail "$s says f64"
}
check_summary jit/b/report "epochs=2"
c=jit/comparison/summary.md
[ -s "$c" ] || fail "no comparison report"
grep -qF "a (seed 1)" "$c" && grep -qF "b (seed 2)" "$c" || fail "rows not labelled by the seed: $(cat "$c")"
! grep -qF "epochs 2" "$c" || fail "a setting equal in both runs labels the rows: $(cat "$c")"
grep -qF "qiren(d = 1, n = 2, hidden = 1, depth = 1)" "$c" || fail "the model as called is not shown: $(cat "$c")"
# the native binary: the same settings block, its own --set appended
"$QNNC" build two.qnn --precision f32 --grad shift --set epochs=2 -o two.bin > blog 2>&1 ||
  fail "qnnc build failed: $(tail -3 blog)"
./two.bin --quiet --experiment b --set log_every=1 --out nat > nlog 2>&1 || fail "native run failed: $(tail -3 nlog)"
check_summary nat/report "epochs=2 log_every=1"
# the same block as qnnc run's, but for the override the native run added
"$QNNC" run two.qnn --quiet --precision f32 --grad shift --set epochs=2 --experiment b --set log_every=1 --out jit1 \
  > log1 2>&1 || fail "qnnc run b failed: $(tail -3 log1)"
diff <(sed -n '/^```/,/^```/p' jit1/report/summary.md | grep -v '^overrides') \
     <(sed -n '/^```/,/^```/p' nat/report/summary.md | grep -v '^overrides') > d.txt ||
  fail "native and qnnc run settings differ: $(cat d.txt)"
grep -qF "overrides: epochs=2 log_every=1" jit1/report/summary.md || fail "qnnc run overrides: $(grep overrides jit1/report/summary.md)"
echo "report_labels.sh: ok"
