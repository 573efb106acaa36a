#!/usr/bin/env bash
# End-to-end: the compiled-code cache of `qnnc run` / `qnnc eval` (compiler/cache.c). A second
# run is a hit (--time says so) and writes the checkpoint of a --no-cache run bit for bit; a
# corrupt, truncated or planted (FIFO) entry is reported in one note and rebuilt with the same
# results; two runs at once both succeed; a cache folder that cannot be written costs one
# warning, never the run; the default folder follows QNN_CACHE_DIR, XDG_CACHE_HOME and HOME;
# the key changes with the precision, the gradient method and the circuit, and not with a
# setting that leaves the code alone.
set -uo pipefail
QNNC=${QNNC:-build/qnnc}
[ -x "$QNNC" ] || { echo "jit_cache.sh: $QNNC is not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-jitcache.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp examples/embed/signal.csv tests/e2e/small.qnn "$tmp/"
fail() { echo "jit_cache.sh: $*"; exit 1; }
export QNN_CACHE_DIR=$tmp/cache
# run OUT [args]: a 5-epoch run of the small experiment with --time; its stderr in OUT.log
run() {
  local out=$1; shift
  timeout 120 "$QNNC" run "$tmp/small.qnn" --quiet --time --set epochs=5 --out "$tmp/$out" "$@" \
    >"$tmp/$out.log" 2>&1 || { cat "$tmp/$out.log"; fail "run $out $* failed"; }
}
has() { grep -qF -- "$2" "$tmp/$1.log" || { cat "$tmp/$1.log"; fail "$1: expected \"$2\""; }; }
hasnt() { ! grep -qF -- "$2" "$tmp/$1.log" || { cat "$tmp/$1.log"; fail "$1: did not expect \"$2\""; }; }
same() { cmp -s "$tmp/$1/model.safetensors" "$tmp/$2/model.safetensors" || fail "$1 and $2: checkpoints differ"; }
entry() { ls "$QNN_CACHE_DIR"/*.qnncache 2>/dev/null | head -1; }

# 1. miss, then hit; both equal to a run without the cache
run miss
has miss "cache miss: LLVM codegen + JIT"
has miss "1 miss)"
[ "$(ls "$QNN_CACHE_DIR"/*.qnncache | wc -l)" = 1 ] || fail "expected one cache entry"
run hit
has hit "cache hit: object + JIT"
has hit "1 cache hit, 0 misses"
hasnt hit "LLVM codegen"
run nocache --no-cache
has nocache "no cache: LLVM codegen + JIT"
same miss hit
same hit nocache
# eval reads the same entry, and gives the run's outputs
timeout 60 "$QNNC" eval "$tmp/small.qnn" --checkpoint "$tmp/hit/model.safetensors" --out "$tmp/ev" --time \
  >"$tmp/ev.log" 2>&1 || { cat "$tmp/ev.log"; fail "eval failed"; }
has ev "cache hit: object + JIT"
cmp -s "$tmp/hit/fit.csv" "$tmp/ev/fit.csv" || fail "eval from the cache differs from the run"

# 2. a setting that leaves the code alone hits; precision, gradient, circuit arguments miss
run lr --set optimizer.lr=0.01
has lr "cache hit"
run f32 --precision f32
has f32 "cache miss"
run shift --grad shift
has shift "cache miss"
run qubits --set model.n=2
has qubits "cache miss"
run f32b --precision f32
has f32b "cache hit"
same f32 f32b

# 2b. two experiments of one file with the same circuit: linked once (its symbols come from the
# key, so linking it twice would clash), with and without the cache
sed 's/^experiment small {/experiment a {/' "$tmp/small.qnn" >"$tmp/two.qnn"
sed -n '/^experiment small {/,$p' "$tmp/small.qnn" | sed 's/^experiment small {/experiment b {/; s/seed = 7/seed = 8/' >>"$tmp/two.qnn"
for extra in "" --no-cache; do
  timeout 120 "$QNNC" run "$tmp/two.qnn" --quiet --time --set epochs=2 --out "$tmp/two$extra" $extra \
    >"$tmp/two$extra.log" 2>&1 || { cat "$tmp/two$extra.log"; fail "two experiments $extra failed"; }
  has "two$extra" "b: circuit qiren_layer: passes"
  has "two$extra" "compiled above: JIT"
done

# 3. damaged entries: detected with a note, rebuilt, same results, then hits again
rm -rf "$QNN_CACHE_DIR"; run fresh
e=$(entry)
size=$(stat -c %s "$e")
printf '\x5a' | dd of="$e" bs=1 seek=$((size / 2)) conv=notrunc status=none   # one byte in the object
run flipped
has flipped "is damaged: its checksum does not match"
has flipped "cache miss"
same fresh flipped
run afterflip
has afterflip "cache hit"
head -c $((size / 3)) "$e" >"$e.cut" && mv "$e.cut" "$e"                         # truncated
run truncated
has truncated "is truncated or damaged"
same fresh truncated
: >"$e"                                                                         # empty
run empty
has empty "does not start like a qnn cache entry"
same fresh empty
# a well-formed entry (right key, right checksum) whose object is not an object file: LLVM
# refuses it, the run compiles again, and the entry is removed so that the next run stores it
python3 - "$e" <<'PY'
import sys
p = sys.argv[1]
b = open(sys.argv[1], "rb").read()
nl = b.index(b"\n", 12)
klen, dlen, _ = b[12:nl].split()
key = b[nl + 1:nl + 1 + int(klen)]
obj = b"this is not an ELF object file " * 40
h = 1469598103934665603
for c in key + obj:
    h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
open(p, "wb").write(b"qnn-cache 1\n%d %d %016x\n" % (len(key), len(obj), h) + key + obj)
PY
run badobj
has badobj "cannot be linked"
same fresh badobj
[ ! -e "$e" ] || fail "the entry with an unusable object was not removed"
run afterbad
has afterbad "cache miss"
run afterbad2
has afterbad2 "cache hit"
rm -f "$e"; mkfifo "$e"                                                          # a FIFO: no hang
run fifo
has fifo "cannot be read"
has fifo "warning: compiled-code cache"
same fresh fifo
[ "$(grep -c warning "$tmp/fifo.log")" = 1 ] || fail "fifo: expected one warning line"
rm -f "$e"

# 4. concurrent runs on an empty cache: both succeed, same checkpoints, one valid entry after
rm -rf "$QNN_CACHE_DIR"
run c1 & p1=$!
run c2 & p2=$!
wait $p1 || fail "concurrent run 1 failed"
wait $p2 || fail "concurrent run 2 failed"
same c1 c2
same c1 fresh
run c3
has c3 "cache hit"
[ -z "$(ls -A "$QNN_CACHE_DIR" | grep -v '\.qnncache$')" ] || fail "temporary files left in the cache: $(ls -A "$QNN_CACHE_DIR")"

# 5. a cache folder that cannot be written (its parent is a file): one warning, the run works
: >"$tmp/file"
QNN_CACHE_DIR=$tmp/file/cache run unwritable
has unwritable "warning: compiled-code cache"
[ "$(grep -c warning "$tmp/unwritable.log")" = 1 ] || fail "unwritable: expected one warning line"
same fresh unwritable

# 6. the default folder: XDG_CACHE_HOME/qnn (absolute only), else HOME/.cache/qnn
mkdir -p "$tmp/xdg" "$tmp/home"
env -u QNN_CACHE_DIR XDG_CACHE_HOME="$tmp/xdg" HOME="$tmp/home" "$QNNC" run "$tmp/small.qnn" --quiet \
  --set epochs=1 --out "$tmp/d1" >/dev/null 2>&1 || fail "run with XDG_CACHE_HOME failed"
ls "$tmp/xdg/qnn/"*.qnncache >/dev/null 2>&1 || fail "no entry in \$XDG_CACHE_HOME/qnn"
env -u QNN_CACHE_DIR XDG_CACHE_HOME=relative HOME="$tmp/home" "$QNNC" run "$tmp/small.qnn" --quiet \
  --set epochs=1 --out "$tmp/d2" >/dev/null 2>&1 || fail "run with HOME failed"
ls "$tmp/home/.cache/qnn/"*.qnncache >/dev/null 2>&1 || fail "no entry in \$HOME/.cache/qnn"
[ ! -e relative ] || fail "a relative XDG_CACHE_HOME was used"
env -u QNN_CACHE_DIR -u XDG_CACHE_HOME -u HOME "$QNNC" run "$tmp/small.qnn" --quiet --set epochs=1 \
  --out "$tmp/d3" >"$tmp/d3.log" 2>&1 || fail "run without HOME failed"
has d3 "warning: no folder for the compiled-code cache"

# doctor names the folder a run would use
QNN_CACHE_DIR=$tmp/dc "$QNNC" doctor | grep -qF "run/eval cache     $tmp/dc" || fail "doctor does not show QNN_CACHE_DIR"
env -u QNN_CACHE_DIR XDG_CACHE_HOME="$tmp/xdg" "$QNNC" doctor | grep -qF "run/eval cache     $tmp/xdg/qnn" ||
  fail "doctor does not show \$XDG_CACHE_HOME/qnn"

# 7. --no-cache where it would do nothing is refused
for cmd in check info emit-ir emit-llvm; do
  "$QNNC" $cmd "$tmp/small.qnn" --no-cache >"$tmp/u.log" 2>&1; rc=$?
  [ $rc = 2 ] || fail "$cmd --no-cache: exit $rc, expected 2"
  has u "\`--no-cache\` is for \`run\` and \`eval\`"
done
"$QNNC" run "$tmp/small.qnn" --reference --no-cache >"$tmp/u.log" 2>&1; rc=$?
[ $rc = 2 ] || fail "--reference --no-cache: exit $rc, expected 2"
has u "no effect with \`--reference\`"
echo "jit_cache.sh: ok"
