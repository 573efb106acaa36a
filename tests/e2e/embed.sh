#!/usr/bin/env bash
# End-to-end: the embedding example (examples/embed). `qnnc run` trains sine.qnn; build.sh
# turns the experiment into a C library (qnnc build --emit lib) and links predict.c with it;
# predict loads the checkpoint and must give `qnnc run`'s outputs bit for bit, for the whole
# grid in one call and for single points (the example evaluates batch norm with running
# statistics). Also: no LLVM in the program, and a checkpoint of another model is refused.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A runtime built with sanitizers (make asan) links only with their runtimes.
if nm "$BUILD/libqnnrt.a" 2>/dev/null | grep __asan > /dev/null; then export QNN_LDFLAGS="-fsanitize=address,undefined"; fi

"$QNNC" run examples/embed/sine.qnn --quiet --out "$tmp/run" 2>/dev/null
QNNC="$QNNC" CC="${CC:-cc} -Werror -Wshadow -Wstrict-prototypes -Wvla" \
    examples/embed/build.sh "$tmp/bin" >/dev/null
[ -f "$tmp/bin/sine.a" ] && [ -f "$tmp/bin/sine.h" ] || { echo "build.sh did not write sine.a/sine.h"; exit 1; }
if ldd "$tmp/bin/predict" | grep -qi llvm; then echo "predict links LLVM"; exit 1; fi

ckpt="$tmp/run/model.safetensors"
# the whole training grid in one call: the `output` column of fit.csv, as written
tail -n +2 "$tmp/run/fit.csv" | cut -d, -f1 | "$tmp/bin/predict" "$ckpt" - > "$tmp/pred.csv"
tail -n +2 "$tmp/run/fit.csv" | cut -d, -f1,2 > "$tmp/want.csv"
[ "$(wc -l < "$tmp/pred.csv")" -eq 64 ] || { echo "predict printed $(wc -l < "$tmp/pred.csv") points, not 64"; exit 1; }
cmp -s "$tmp/pred.csv" "$tmp/want.csv" || { echo "the library's outputs differ from qnnc run's"; diff "$tmp/pred.csv" "$tmp/want.csv" | head; exit 1; }

# a few points on the command line, each alone in its batch: the same values
for row in 1 20 64; do
    line=$(sed -n "${row}p" "$tmp/want.csv")
    got=$("$tmp/bin/predict" "$ckpt" "${line%%,*}")
    [ "$got" = "$line" ] || { echo "point ${line%%,*}: got $got, want $line"; exit 1; }
done
"$tmp/bin/predict" "$ckpt" | awk -F, 'NF != 2 { exit 1 } END { exit NR != 5 }' ||
    { echo "predict without coordinates should print 5 points"; exit 1; }

# weights of another model: a clear error naming the mismatch
cat > "$tmp/other.qnn" <<'QNN'
import "qiren.qnn";
experiment other {
    data = csv("signal.csv", inputs = 1, outputs = 1);
    model = qiren(d = 1, n = 2, hidden = 0, depth = 1);
    epochs = 2;
    outputs = [checkpoint("model.safetensors")];
}
QNN
cp examples/embed/signal.csv "$tmp/"
"$QNNC" run "$tmp/other.qnn" --quiet --out "$tmp/other" 2>/dev/null
if "$tmp/bin/predict" "$tmp/other/model.safetensors" 0 2> "$tmp/err"; then echo "a checkpoint of another model was accepted"; exit 1; fi
grep -q "tensor \`layers" "$tmp/err" || { cat "$tmp/err"; exit 1; }
echo "embed: ok"
