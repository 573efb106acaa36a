#!/usr/bin/env bash
# A generative experiment (language.md §6.17) end to end: examples/generate_digits.qnn (the
# QIREN features block, 8 two-qubit circuits) on scikit-learn's digits in a ~30 s
# configuration: the EMA generator's feature-space Frechet distance falls during training
# (metrics.jsonl, measured by run_gan against the real set), samples.png and both checkpoints
# are written, each of the four baselines' features blocks trains in place of QIREN's, the
# report (report/index.html) shows the distance plot beside the samples with
# metrics.jsonl's numbers, a bad image set is refused naming its file, and `qnnc build` refuses
# the form.
# Skipped (one line) when the digits file is not found.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
digits=""   # what scripts/fetch_data.sh digits writes, or python3-sklearn's own file
for f in "${QNN_DATA_DIR:-/nonexistent}/digits.csv" "$root/data/digits.csv" \
         /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz; do
    [ -s "$f" ] && { digits="$f"; break; }
done
[ -n "$digits" ] || { echo "generate: no digits.csv (scripts/fetch_data.sh digits); skipped"; exit 0; }
die() { echo "generate: $*"; exit 1; }
# the parameter counts of `qnnc info` against their closed forms (the discriminator's: an MLP
# 64 -> 64 -> 32 -> 1 with the minibatch std's one extra input of the output layer)
"$QNNC" info examples/generate_digits.qnn --set "data.path=\"$digits\"" > "$tmp/info.txt"
want=$(( (64 * 64 + 64) + (64 * 32 + 32) + (32 + 1) + 1 ))
grep -q "discriminator: 8 x 8 x 1 images of .*: $want parameters" "$tmp/info.txt" || die "info: $(grep discriminator "$tmp/info.txt")"
gen=$(sed -n 's/^  generator: .*: \([0-9]*\) parameters.*/\1/p' "$tmp/info.txt")
"$QNNC" run examples/generate_digits.qnn --set "data.path=\"$digits\"" --out "$tmp/out" \
    --set steps=150 --set eval_every=50 --set batch=16 --set seed=1 2> "$tmp/run.err" \
    || die "run failed: $(cat "$tmp/run.err")"
# the run's own count (run_gan's generator) is the one `qnnc info` printed
grep -q "parameters generator $gen + features 352, discriminator $want" "$tmp/run.err" || die "counts: $(cat "$tmp/run.err")"
for f in metrics.jsonl samples.png generator.safetensors discriminator.safetensors \
         report/index.html report/summary.md report/samples.png report/distance.png; do
    [ -s "$tmp/out/$f" ] || die "no $f"
done
# the report shows the distance plot beside the samples, and its numbers are metrics.jsonl's
grep -q '<img src="distance.png"' "$tmp/out/report/index.html" || die "index.html does not show distance.png"
grep -q '<img src="samples.png"' "$tmp/out/report/index.html" || die "index.html does not show samples.png"
/usr/bin/python3 - "$tmp/out" <<'PY' || exit 1
import json, re, sys
from PIL import Image
out = sys.argv[1]
rows = [json.loads(l) for l in open(out + "/metrics.jsonl") if l.strip()]
last = [r for r in rows if "step" in r][-1]
floor = [r for r in rows if r.get("floor")][0]
md = open(out + "/report/summary.md").read()
m = re.search(r"feature-space Frechet distance: ([0-9.e+-]+) at step 0 -> ([0-9.e+-]+) at step ([0-9]+) \(floor ([0-9.e+-]+)", md)
assert m, "summary.md has no distances"
assert int(m.group(3)) == last["step"], (m.group(3), last["step"])
for got, want in zip(map(float, (m.group(2), m.group(4))), (last["fd_features"], floor["fd_features"])):
    assert abs(got - want) <= 1e-5 * abs(want), (got, want)
im = Image.open(out + "/report/distance.png")
assert im.size == (960, 600), im.size
# the report's sample grid is the run's (the same EMA generator and latents)
assert list(Image.open(out + "/report/samples.png").getdata()) == list(Image.open(out + "/samples.png").getdata())
PY
/usr/bin/python3 - "$tmp/out/metrics.jsonl" <<'PY' || exit 1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
fd = [(r["step"], r["fd_features"]) for r in rows if "step" in r and r.get("fd_features") is not None]
if len(fd) < 3:
    sys.exit("generate: %d distance rows in metrics.jsonl" % len(fd))
first, last = fd[0][1], fd[-1][1]
print("generate: feature-space Frechet distance %.3f at step %d -> %.3f at step %d" % (first, fd[0][0], last, fd[-1][0]))
if not last < 0.8 * first:
    sys.exit("generate: the distance did not fall (%.3f -> %.3f)" % (first, last))
PY
# the paper's baselines (examples/generator_features.qnn) in place of the QIREN block: each
# has its closed-form count (one hidden layer of width w, 8 outputs; tanh/relu (2w + 3w) +
# (w^2 + 3w) + 8w + 8 at w = 13, rff (w^2 + 3w) + 8w + 8 at w = 14, siren 3w + (w^2 + w) +
# 8w + 8 at w = 14) and trains: its feature distance falls in 80 steps
for spec in "tanh 13 $((13 * 13 + 16 * 13 + 8))" "relu 13 $((13 * 13 + 16 * 13 + 8))"             "rff 14 $((14 * 14 + 11 * 14 + 8))" "siren 14 $((14 * 14 + 12 * 14 + 8))"; do
    set -- $spec
    "$QNNC" run examples/generate_digits.qnn --set "data.path=\"$digits\"" --set "model=$1_features()" \
        --out "$tmp/$1" --set steps=80 --set eval_every=80 --set batch=16 --set seed=1 2> "$tmp/$1.err" \
        || die "$1 run failed: $(cat "$tmp/$1.err")"
    grep -q "parameters generator $gen + features $3," "$tmp/$1.err" || die "$1 count: $(tail -1 "$tmp/$1.err")"
    /usr/bin/python3 - "$tmp/$1/metrics.jsonl" "$1" <<'PY' || exit 1
import json, sys
fd = [r["fd_features"] for r in map(json.loads, open(sys.argv[1])) if "step" in r]
print("generate: %s features: distance %.1f -> %.1f" % (sys.argv[2], fd[0], fd[-1]))
if not (len(fd) == 2 and fd[-1] < 0.8 * fd[0]):
    sys.exit("generate: %s: the distance did not fall: %s" % (sys.argv[2], fd))
PY
done
# an image set of rows of mixed sizes: refused, naming the file
printf '1,2,3\n1,2\n' > "$tmp/bad.csv"
sed 's|images("digits.csv")|images("'"$tmp"'/bad.csv")|' examples/generate_digits.qnn > "$tmp/bad.qnn"
cp examples/generator_features.qnn "$tmp/"
if "$QNNC" run "$tmp/bad.qnn" --out "$tmp/bad" --quiet 2> "$tmp/bad.err"; then die "a bad image set was accepted"; fi
grep -q "bad.csv" "$tmp/bad.err" || die "the refusal does not name the file: $(cat "$tmp/bad.err")"
[ "$(grep -c . "$tmp/bad.err")" -eq 1 ] || die "more than one line: $(cat "$tmp/bad.err")"
if "$QNNC" build examples/generate_digits.qnn -o "$tmp/bin" --quiet 2> "$tmp/build.err"; then die "qnnc build accepted a generative experiment"; fi
grep -q "is generative" "$tmp/build.err" || die "build: $(cat "$tmp/build.err")"
echo "generate: ok"
