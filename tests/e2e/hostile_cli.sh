#!/usr/bin/env bash
# Hostile command lines (issue 9): qnnc build with CPUs and features LLVM would abort on, outputs
# that are devices, FIFOs or links, `-o -`; imports of FIFOs; limits that say what they are;
# meaningless option combinations; --experiment names; --set on positional arguments; runs that
# cannot fit in memory; a native binary taking the same --set expressions as `qnnc run`.
# About 15 s on 2 cores. Each group fails without the fix it is named after (issue 9's D-numbers).
set -u
QNNC=${QNNC:-build/qnnc}
[ -x "$QNNC" ] || { echo "hostile_cli.sh: $QNNC is not built"; exit 1; }
QNNC=$(cd "$(dirname "$QNNC")" && pwd)/$(basename "$QNNC") # used from other folders too
TMP=$(mktemp -d "${TMPDIR:-/tmp}/qnn-hostile.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
n=0
die() { echo "hostile_cli.sh: $*"; exit 1; }

# expect STATUS PATTERN CMD...: exit STATUS and the fixed string PATTERN in stdout+stderr.
expect() {
  local want=$1 pat=$2; shift 2
  local out rc
  out=$(timeout 60 "$@" 2>&1); rc=$?
  n=$((n + 1))
  [ "$rc" -eq "$want" ] || die "\`$*\` exited $rc, expected $want; output:
$(head -c 2000 <<<"$out")"
  if [ -n "$pat" ] && ! grep -qF -- "$pat" <<<"$out"; then
    die "\`$*\` did not print \"$pat\"; output:
$(head -c 2000 <<<"$out")"
  fi
}
no_leftovers() { # the build's temporary folder is gone, whatever happened
  local left
  left=$(find "$1" -maxdepth 1 -name '.qnnc-build-*' | head -1)
  [ -z "$left" ] || die "a temporary build folder was left behind: $left"
}

E=examples/image_qiren.qnn
cp tests/e2e/small.qnn examples/embed/signal.csv "$TMP/"
S=$TMP/small.qnn

# ---- D3: --cpu / --features checked against LLVM's tables before LLVM sees them ----
expect 1 "unknown CPU \`bogus\`" "$QNNC" build "$S" --cpu bogus -o "$TMP/x"
expect 1 "did you mean \`skylake\`?" "$QNNC" build "$S" --cpu skylak --emit obj -o "$TMP/x.o"
expect 1 "unknown CPU feature \`avx3\`" "$QNNC" build "$S" --features +avx3 --emit obj -o "$TMP/x.o"
expect 1 "must be +FEATURE or -FEATURE" "$QNNC" build "$S" --features avx2 --emit obj -o "$TMP/x.o"
expect 0 "  x86-64-v3" "$QNNC" build "$S" --cpu help
expect 0 "  avx2" "$QNNC" build "$S" --features help
expect 1 "unknown CPU \`x86-64-v3\` for aarch64" "$QNNC" build "$S" --target aarch64-linux-gnu --cpu x86-64-v3 --emit obj -o "$TMP/x.o"
if [ "$(uname -m)" = x86_64 ]; then
  # combinations LLVM accepts at first and then aborts (i386) or crashes (-sse2) on
  expect 1 "LLVM cannot generate code" "$QNNC" build "$S" --cpu i386 --emit obj -o "$TMP/x.o"
  # Whether LLVM crashes on -sse2 depends on its heap layout (it does in a plain build, not
  # under ASan's allocator): either a clean refusal or a finished object, never a crash.
  out=$(timeout 60 "$QNNC" build "$S" --features -sse2 --emit obj -o "$TMP/sse.o" 2>&1); rc=$?
  n=$((n + 1))
  case $rc in
    0) [ -s "$TMP/sse.o" ] || die "--features -sse2: exit 0 but no object" ;;
    1) grep -qF "does not work for the target" <<<"$out" || die "--features -sse2: $out"
       [ ! -e "$TMP/sse.o" ] || die "--features -sse2 failed but left its output" ;;
    *) die "--features -sse2 exited $rc: $out" ;;
  esac
  rm -f "$TMP/sse.o"
  expect 0 "" "$QNNC" build "$S" --cpu native --emit obj -o "$TMP/native.o" --quiet
fi
[ ! -e "$TMP/x.o" ] && [ ! -e "$TMP/x" ] || die "a failed build left its output"
no_leftovers "$TMP"
# interrupted at some point of the build (a signal): the temporary folder goes too
for d in 0.3 0.9; do
  "$QNNC" build "$S" -o "$TMP/killed" --quiet & pid=$!
  sleep $d; kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null
  no_leftovers "$TMP"
done
rm -f "$TMP/killed"

# ---- D2: outputs never replace devices, FIFOs or links; -o - is standard output ----
expect 1 "/dev/full: exists and is a device" "$QNNC" build "$S" --emit asm -o /dev/full
[ -c /dev/full ] || die "/dev/full is no longer a device"
mkfifo "$TMP/fifo"
expect 1 "is a FIFO" "$QNNC" build "$S" --emit llvm -o "$TMP/fifo"
echo keep > "$TMP/target.txt"
ln -s "$TMP/target.txt" "$TMP/link"
expect 1 "is a symbolic link" "$QNNC" build "$S" --emit c -o "$TMP/link"
[ "$(cat "$TMP/target.txt")" = keep ] || die "the file behind a symbolic link was replaced"
mkdir "$TMP/lib" && ln -s "$TMP/target.txt" "$TMP/lib/m.h"
expect 1 "is a symbolic link" "$QNNC" build "$S" --emit lib -o "$TMP/lib/m"
[ ! -e "$TMP/lib/m.a" ] || die "--emit lib wrote its archive although the header could not be written"
mkdir "$TMP/t"
(cd "$TMP" && TMPDIR="$TMP/t" "$QNNC" build "$S" --emit llvm -o - --quiet > "$TMP/stdout.ll") || die "-o - failed"
grep -q "^; ModuleID" "$TMP/stdout.ll" || die "-o - --emit llvm did not write the module to stdout"
[ ! -e "$TMP/-" ] || die "-o - created a file named -"
expect 1 "\`-o -\` writes to standard output" "$QNNC" build "$S" -o -
no_leftovers "$TMP"; no_leftovers "$TMP/t"

expect 1 "-o needs a file name" "$QNNC" build "$S" -o ""
# a FIFO planted in the object cache is not read (it would wait for a writer forever)
"$QNNC" build "$S" --emit obj -o "$TMP/c1.o" --cache "$TMP/cache" --quiet || die "cached build failed"
entries=$(ls "$TMP"/cache/*.qnncache 2>/dev/null | wc -l)
[ "$entries" -ge 1 ] || die "the cached build left no cache entry to replace by a FIFO"
for f in "$TMP"/cache/*.qnncache; do rm "$f"; mkfifo "$f"; done
expect 0 "" "$QNNC" build "$S" --emit obj -o "$TMP/c2.o" --cache "$TMP/cache" --quiet
cmp -s "$TMP/c1.o" "$TMP/c2.o" || die "the rebuilt object differs from the cached one"

# ---- D8/D21: imports that are FIFOs do not hang ----
mkfifo "$TMP/imp.qnn"
printf 'import "imp.qnn";\n' > "$TMP/uses_fifo.qnn"
expect 1 "is not a regular file" "$QNNC" check "$TMP/uses_fifo.qnn"
expect 1 "is not a regular file" "$QNNC" check "$TMP/imp.qnn"

# ---- D16/D17: limits say what they are; --threads 0 is all cores ----
expect 0 "" "$QNNC" check "$E" --threads 0
expect 2 "\`--threads\` needs a number from 0 to 1024 (0: all cores), not \`100000\`" "$QNNC" check "$E" --threads 100000
expect 2 "\`--grid\` needs a number from 1 to 16384, not \`100000\`" "$QNNC" eval "$E" --grid 100000 --checkpoint x
expect 2 "from 1 to 26" "$QNNC" check "$E" --max-qubits 27
expect 2 "from 1 to 26" "$QNNC" build "$E" --max-qubits 27
expect 0 "at most 26" "$QNNC" --help
expect 0 "at most 26" "$QNNC" build --help
expect 0 "" "$QNNC" check "$E" --max-qubits 26

# ---- D20: meaningless combinations refused; --experiment names what there is ----
expect 2 "\`--checkpoint FILE\` is for \`qnnc eval\`" "$QNNC" run "$S" --resume x --checkpoint x
expect 2 "\`--resume FILE\` is for \`qnnc run\`" "$QNNC" eval "$S" --resume x --checkpoint x
expect 1 "has no experiment \`nope\`; it has small" "$QNNC" run "$S" --experiment nope
expect 1 "has no experiment \`smal\` (did you mean \`small\`?)" "$QNNC" build "$S" --experiment smal
expect 1 "it has: " "$QNNC" info examples/compare.qnn --experiment nope

# ---- D13: --set KEY.ARG replaces a positional argument ----
expect 0 "" "$QNNC" check examples/superres_qiren.qnn --set 'data.path="camera.png"'
expect 1 "nosuch.png" "$QNNC" run examples/superres_qiren.qnn --set 'data.path="nosuch.png"' --out "$TMP/o" --quiet
expect 0 "" "$QNNC" check "$S" --set 'data.path="signal.csv"' --set data.inputs=1
printf 'import "qiren.qnn";\nexperiment e {\n    data = image("astronaut.png", 16);\n    model = qiren(2, 8);\n    optimizer = adam(0.03);\n}\n' > "$TMP/pos.qnn"
expect 0 "circuit qiren_layer: 4 qubits" "$QNNC" info "$TMP/pos.qnn" --set model.n=4 --set optimizer.lr=0.1 --set data.size=8

# ---- D5/D9: runs that cannot fit are refused before they start, with the setting to change ----
expect 1 "not enough memory" "$QNNC" run "$E" --max-qubits 26 --set model.n=26 --threads 1024 --set epochs=1 --out "$TMP/o"
expect 1 "model.n" "$QNNC" run "$E" --max-qubits 26 --set model.n=26 --threads 1024 --set epochs=1 --out "$TMP/o"
# an evaluation grid of 4096 x 4096 (16.7 million points) with 4 GB of address space: refused
# with the figure instead of an out-of-memory part way (not under AddressSanitizer, whose
# shadow memory needs far more address space than that)
if ! ldd "$QNNC" 2>/dev/null | grep -q libasan; then
  expect 1 "the 16777216 points per batch are the largest part" \
    bash -c "ulimit -v 4000000; exec \"\$0\" eval $E --grid 4096 --checkpoint $TMP/none --out $TMP/o" "$QNNC"
fi
expect 1 "an image grid is at most 8192 x 8192" "$QNNC" eval "$E" --grid 9000 --checkpoint "$TMP/none"
expect 1 "\`size\` of \`image\` must be 1 to 8192, got 16384" "$QNNC" check "$E" --set data.size=16384

# ---- D10 and D20 in a native binary: the same --set values and limits as qnnc run ----
"$QNNC" build "$S" -o "$TMP/small" --quiet || die "building small failed"
sets=(--set optimizer.lr=1/30 --set 'optimizer.eps=exp(-4)' --set epochs=2*2 --set seed=10%7)
"$TMP/small" --quiet --out "$TMP/bin" "${sets[@]}" || die "the binary refused the expressions qnnc run takes"
"$QNNC" run "$S" --quiet --out "$TMP/jit" "${sets[@]}" || die "qnnc run refused the expressions"
cmp -s "$TMP/bin/model.safetensors" "$TMP/jit/model.safetensors" || die "binary and qnnc run differ for the same --set"
expect 2 "\`eps\` of \`adam\` must be positive" "$TMP/small" --set optimizer.eps=-1 --out "$TMP/e"
expect 2 "\`momentum\` of \`sgd\` must be in [0, 1)" "$TMP/small" --set 'optimizer=sgd(momentum=-1)' --out "$TMP/e"
expect 2 "must be 0 or more" "$TMP/small" --set optimizer.weight_decay=-1 --out "$TMP/e"
expect 1 "must be 0 or more" "$QNNC" check "$S" --set optimizer.weight_decay=-1

echo "hostile_cli.sh: $n checks passed"
