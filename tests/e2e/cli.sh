#!/usr/bin/env bash
# End-to-end checks of the qnnc command line: exit statuses (0 ok, 1 errors in the program,
# 2 usage), usage messages, and what `check`, `info` and `emit-ir` print for the examples.
# Run from the repository root with $QNNC set (tests/run.sh does); exits 1 on the first
# failure with what was expected and what came out.
set -u
QNNC=${QNNC:-build/qnnc}
[ -x "$QNNC" ] || { echo "cli.sh: $QNNC is not built"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/qnn-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
n=0

# expect STATUS PATTERN CMD...: runs CMD, requires exit STATUS and PATTERN (a fixed string,
# or nothing) in its stdout+stderr.
expect() {
  local want=$1 pat=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  n=$((n + 1))
  if [ "$rc" -ne "$want" ]; then
    printf 'cli.sh: `%s` exited %d, expected %d; output:\n%s\n' "$*" "$rc" "$want" "$out" | head -40
    exit 1
  fi
  if [ -n "$pat" ] && ! grep -qF -- "$pat" <<<"$out"; then
    printf 'cli.sh: `%s` did not print "%s"; output:\n%s\n' "$*" "$pat" "$out" | head -40
    exit 1
  fi
}

# stdout_is CMD...: the command's stdout alone (stderr dropped) must equal $EXPECTED.
stdout_is() {
  local out
  out=$("$@" 2>/dev/null)
  n=$((n + 1))
  if [ "$out" != "$EXPECTED" ]; then
    printf 'cli.sh: `%s` printed on stdout:\n%s\nexpected:\n%s\n' "$*" "$out" "$EXPECTED"
    exit 1
  fi
}

# ---- usage errors: exit 2 with a message that says what is valid ----
expect 2 "valid options:" "$QNNC" check examples/image_qiren.qnn --bogus-option
expect 2 "--experiment NAME" "$QNNC" --frobnicate
expect 2 "unknown option \`--sett\` (did you mean \`--set\`?)" "$QNNC" check x.qnn --sett epochs=1
expect 2 "unknown command \`chek\` (did you mean \`check\`?)" "$QNNC" chek examples/image_qiren.qnn
expect 2 "commands: check, info, emit-ir" "$QNNC" compile examples/image_qiren.qnn
expect 2 "usage: qnnc COMMAND FILE.qnn" "$QNNC"
expect 2 "--set KEY=VALUE" "$QNNC"
expect 2 "\`check\` needs a .qnn file" "$QNNC" check
expect 2 "one file at a time" "$QNNC" check examples/image_qiren.qnn examples/sound_qiren.qnn
expect 2 "\`--set\` needs KEY=VALUE" "$QNNC" check examples/image_qiren.qnn --set
expect 2 "\`--max-qubits\` needs a number from 1 to" "$QNNC" check examples/image_qiren.qnn --max-qubits 99
expect 2 "\`--max-qubits\` needs a number from 1 to" "$QNNC" check examples/image_qiren.qnn --max-qubits abc
expect 2 "\`--experiment\` needs a name" "$QNNC" info examples/image_qiren.qnn --experiment
EXPECTED=""; stdout_is "$QNNC" --bogus-option   # usage errors go to stderr

# ---- --help and --version ----
expect 0 "usage: qnnc COMMAND FILE.qnn [options]" "$QNNC" --help
expect 0 "--max-qubits N" "$QNNC" -h
expect 0 "" "$QNNC" check --help
out=$("$QNNC" --version); n=$((n + 1))
[[ "$out" =~ ^qnnc\ [0-9]+\.[0-9]+\.[0-9]+ ]] || { echo "cli.sh: --version printed '$out'"; exit 1; }
# issue 10: the LLVM qnnc was built with and the host CPU LLVM sees, for bug reports
grep -qE "^LLVM 19\.[0-9]+\.[0-9]+" <<<"$out" || { echo "cli.sh: --version lacks the LLVM version: '$out'"; exit 1; }
grep -qE "^host CPU [a-z0-9_.-]+" <<<"$out" || { echo "cli.sh: --version lacks the host CPU: '$out'"; exit 1; }

# ---- doctor: what a run would use ----
expect 0 "  doctor     what a run on this machine would use" "$QNNC" --help
expect 0 "vector lanes       f64: " "$QNNC" doctor
expect 0 "threads            $(getconf _NPROCESSORS_ONLN) " "$QNNC" doctor
expect 0 "standard library   $PWD/stdlib" env -u QNN_STDLIB "$QNNC" doctor
expect 0 "standard library   $TMP (\$QNN_STDLIB)" env QNN_STDLIB="$TMP" "$QNNC" doctor
expect 0 "\$QNN_DATA_DIR ($TMP/data)" env QNN_DATA_DIR="$TMP/data" "$QNNC" doctor
expect 0 "build cache        $TMP/cache" env QNN_CACHE_DIR="$TMP/cache" "$QNNC" doctor
expect 0 "memory available   " "$QNNC" doctor
expect 0 "CPU features       " "$QNNC" doctor
expect 2 "\`doctor\` takes no file" "$QNNC" doctor examples/image_qiren.qnn

# ---- check: silent success, diagnostics on stderr and exit 1 ----
for f in stdlib/*.qnn examples/*.qnn; do
  EXPECTED=""; stdout_is "$QNNC" check "$f"
  expect 0 "" "$QNNC" check "$f"
done
printf 'circuit c {\n    qubits q[2];\n    rzq(0.5) q[0];\n    expval Z(q[0]);\n}\n' >"$TMP/bad.qnn"
expect 1 "bad.qnn:3:5: error: unknown gate \`rzq\`" "$QNNC" check "$TMP/bad.qnn"
expect 1 "did you mean \`rz\`?" "$QNNC" check "$TMP/bad.qnn"
expect 1 "1 error" "$QNNC" check "$TMP/bad.qnn"
EXPECTED=""; stdout_is "$QNNC" check "$TMP/bad.qnn"   # diagnostics go to stderr
last=$("$QNNC" check "$TMP/bad.qnn" 2>&1 | tail -1); n=$((n + 1))
[ "$last" = "1 error" ] || { echo "cli.sh: the last line should be '1 error', got '$last'"; exit 1; }
expect 1 "cannot read $TMP/missing.qnn: No such file or directory" "$QNNC" check "$TMP/missing.qnn"
: >"$TMP/empty.qnn"
expect 0 "" "$QNNC" check "$TMP/empty.qnn"

# ---- info: parameter counts of the paper's models ----
expect 0 "total parameters: 657" "$QNNC" info examples/image_qiren.qnn
expect 0 "experiment astronaut_qiren" "$QNNC" info examples/image_qiren.qnn
expect 0 "circuit qiren_layer: 8 qubits, 8 inputs, 8 outputs, 144 parameters" "$QNNC" info examples/image_qiren.qnn
expect 0 "circuit qiren_layer: 8 qubits, 8 inputs (+ 8 uniform() draws per call), 8 outputs" "$QNNC" info examples/image_qiren.qnn --set model.noisy=1
expect 0 "sweeps over the state: 112 before fusion -> 53 after (ry 48, fuseddiag 5)" "$QNNC" info examples/image_qiren.qnn
expect 0 "estimated flops per sample: forward 278528 -> 102464, vjp 1044480 -> 401472" "$QNNC" info examples/image_qiren.qnn
expect 0 "two-qubit blocks: 0, none cheaper as a dense 4x4 op" "$QNNC" info examples/image_qiren.qnn
expect 0 "two-qubit blocks: 5, none cheaper as a dense 4x4 op" "$QNNC" info examples/gates.qnn
expect 0 "total parameters: 649" "$QNNC" info examples/sound_qiren.qnn
expect 0 "total parameters: 425" "$QNNC" info examples/image_qiren.qnn --set model.hidden=1
expect 0 "total parameters: 657" "$QNNC" info examples/image_qiren.qnn --experiment astronaut_qiren
expect 0 "total parameters: 225" "$QNNC" info stdlib/baselines.qnn
expect 0 "model qiren (default arguments)" "$QNNC" info stdlib/qiren.qnn
expect 0 "circuit template_demo" "$QNNC" info stdlib/templates.qnn
expect 1 "has no experiment \`nosuch\`" "$QNNC" info examples/image_qiren.qnn --experiment nosuch

# ---- emit-ir ----
expect 0 "// circuit qiren_layer, unfused" "$QNNC" emit-ir examples/image_qiren.qnn
expect 0 "// circuit qiren_layer, after fusion" "$QNNC" emit-ir examples/image_qiren.qnn
out=$("$QNNC" emit-ir stdlib/templates.qnn --no-fuse); n=$((n + 1))
grep -q "after fusion" <<<"$out" && { echo "cli.sh: --no-fuse still printed the fused circuit"; exit 1; }
grep -qF "cz q[0], q[2]" <<<"$out" || { echo "cli.sh: emit-ir lacks the range-2 CZ of layer 1"; exit 1; }

# ---- --set ----
expect 1 "--set:1:8: error:" "$QNNC" check examples/image_qiren.qnn --set epochs=abc
expect 1 "\`epochs\` must be an integer" "$QNNC" check examples/image_qiren.qnn --set epochs=abc
expect 1 "unknown setting \`epoch\`" "$QNNC" check examples/image_qiren.qnn --set epoch=5
expect 1 "did you mean \`epochs\`?" "$QNNC" check examples/image_qiren.qnn --set epoch=5
expect 1 "\`--set\` needs key=value" "$QNNC" check examples/image_qiren.qnn --set epochs
expect 0 "" "$QNNC" check examples/image_qiren.qnn --set epochs=5 --set=optimizer.lr=0.1
expect 1 "\`lr\` of \`adam\` must be positive, got 0" "$QNNC" check examples/image_qiren.qnn --set optimizer.lr=0

# ---- limits and the standard library ----
expect 1 "the limit is 4 qubits" "$QNNC" check examples/image_qiren.qnn --max-qubits 4
expect 0 "" "$QNNC" check examples/image_qiren.qnn --max-qubits 8
expect 1 "cannot find \`qiren.qnn\` to import" "$QNNC" check examples/image_qiren.qnn --stdlib "$TMP"
expect 0 "" env QNN_STDLIB="$PWD/stdlib" "$QNNC" check examples/image_qiren.qnn
cp examples/image_qiren.qnn "$TMP/moved.qnn"   # found through the binary's stdlib/
expect 0 "" "$QNNC" check "$TMP/moved.qnn"

echo "cli.sh: $n checks passed"
