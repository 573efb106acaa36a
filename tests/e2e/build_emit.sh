#!/usr/bin/env bash
# qnnc build: the --emit kinds (obj, asm, llvm, c, lib) on a small experiment, an object for
# another architecture, and the failures: an unknown --target, an -o that cannot be written,
# no C compiler, a failing C compiler. A failed build must leave no file behind.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
cp examples/embed/signal.csv "$tmp/"
cat > "$tmp/two.qnn" <<'QNN'
import "qiren.qnn";
import "baselines.qnn";
experiment hybrid {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = qiren(d = 1, n = 2, hidden = 1, depth = 1);
    epochs = 3;
    outputs = [checkpoint("model.safetensors")];
}
experiment classical {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = relu_mlp(d = 1, width = 4);
    epochs = 3;
}
QNN
b() { "$QNNC" build "$tmp/two.qnn" --quiet "$@"; }
die() { echo "$*"; exit 1; }

# object: the three symbols of each distinct circuit (the two hybrid layers share one)
b --emit obj -o "$tmp/c.o"
nm "$tmp/c.o" > "$tmp/syms"
for s in forward vjp info; do grep -Eq " [TDRr] qnn_c0_qiren_layer_$s\$" "$tmp/syms" || die "c.o lacks qnn_c0_qiren_layer_$s"; done
[ "$(grep -c '_info$' "$tmp/syms")" -eq 1 ] || die "c.o should hold exactly one circuit"
# assembly and LLVM IR of the same module
b --emit asm -o "$tmp/c.s"
grep -q "qnn_c0_qiren_layer_forward:" "$tmp/c.s" || die "c.s has no forward function"
b --emit llvm -o "$tmp/c.ll"
grep -q "define.*@qnn_c0_qiren_layer_vjp" "$tmp/c.ll" || die "c.ll has no vjp function"
grep -q '^target triple' "$tmp/c.ll" || die "c.ll has no target triple"
# default names come from the file: two.o
(cd "$tmp" && "$OLDPWD/$QNNC" build two.qnn --emit obj --quiet) && [ -f "$tmp/two.o" ] || die "no default two.o"
# the generated C: every experiment, compiles cleanly against the runtime's headers
b --emit c -o "$tmp/main.c"
grep -q '.name = "hybrid"' "$tmp/main.c" && grep -q '.name = "classical"' "$tmp/main.c" || die "main.c lacks an experiment"
${CC:-cc} -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Iruntime -c "$tmp/main.c" -o "$tmp/main.o" ||
    die "the generated C does not compile cleanly"
# a library needs one experiment; with it: NAME.a and NAME.h, header self-contained
if b --emit lib -o "$tmp/lib2" 2> "$tmp/err"; then die "a library of two experiments was built"; fi
grep -q -- "--experiment" "$tmp/err" || die "unclear error: $(cat "$tmp/err")"
b --emit lib --experiment hybrid -o "$tmp/hyb.a"
[ -f "$tmp/hyb.a" ] && [ -f "$tmp/hyb.h" ] || die "--emit lib -o hyb.a should write hyb.a and hyb.h"
echo '#include "hyb.h"
qnn_model *(*make)(int, char *, size_t) = hyb_create;
int main(void) { return HYB_IN_DIM == 1 && HYB_OUT_DIM == 1 && make ? 0 : 1; }' > "$tmp/h.c"
${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$tmp" -c "$tmp/h.c" -o "$tmp/h.o" || die "hyb.h does not compile alone"
ar t "$tmp/hyb.a" | grep -q qnnc_gen_circuits.o && ar t "$tmp/hyb.a" | grep -q rt_embed.o || die "hyb.a lacks members"

# another architecture: an AArch64 ELF relocatable (e_machine 183)
b --target aarch64-linux-gnu --emit obj -o "$tmp/arm.o"
[ "$(od -An -tu2 -j18 -N2 "$tmp/arm.o" | tr -d ' ')" = 183 ] || die "arm.o is not an AArch64 object"

# an unknown target: a clear error listing the targets, no output
if b --target nosuch-cpu-linux -o "$tmp/x" 2> "$tmp/err"; then die "an unknown target was accepted"; fi
grep -q "unknown target triple \`nosuch-cpu-linux\`" "$tmp/err" && grep -q "x86-64" "$tmp/err" || die "unclear error: $(cat "$tmp/err")"
[ ! -e "$tmp/x" ] || die "a failed build left $tmp/x"

# -o in a folder that cannot be written, in one that does not exist, under a regular file
touch "$tmp/file"
for out in "$tmp/file/x" "$tmp/none/x"; do
    if b -o "$out" 2> "$tmp/err"; then die "-o $out was accepted"; fi
    grep -q "cannot write" "$tmp/err" || die "unclear error: $(cat "$tmp/err")"
done
if [ "$(id -u)" != 0 ]; then # root writes anywhere
    mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
    if b -o "$tmp/ro/x" 2> "$tmp/err"; then die "a read-only folder was written"; fi
    grep -q "Permission denied" "$tmp/err" || die "unclear error: $(cat "$tmp/err")"
    [ -z "$(ls -A "$tmp/ro")" ] || die "files left in the read-only folder"
fi
[ -d "$tmp/file" ] || mkdir -p "$tmp/out"
# no C compiler / a failing one: an error, and neither the output nor the temporary folder
if CC="$tmp/no-such-cc" b -o "$tmp/out/x" 2> "$tmp/err"; then die "a build without a C compiler succeeded"; fi
grep -q "no-such-cc" "$tmp/err" || die "unclear error: $(cat "$tmp/err")"
if CC=false b -o "$tmp/out/x" 2> "$tmp/err"; then die "a failing C compiler was not noticed"; fi
grep -q "\`false\` failed" "$tmp/err" || die "unclear error: $(cat "$tmp/err")"
[ -z "$(ls -A "$tmp/out")" ] || die "a failed build left $(ls -A "$tmp/out")"
# usage errors
if "$QNNC" build "$tmp/two.qnn" --emit exe2 2>/dev/null; then die "--emit exe2 accepted"; fi
if "$QNNC" build "$tmp/two.qnn" -o 2>/dev/null; then die "-o without a name accepted"; fi
echo "build_emit: ok"
