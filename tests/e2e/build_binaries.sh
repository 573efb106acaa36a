#!/usr/bin/env bash
# Native binaries (qnnc build) against `qnnc run`: same seed and settings -> the same files,
# byte for byte. Covered, in about 20 s on 2 cores (80 s under make asan):
#  - a small CSV experiment (no data needed; always runs): the defaults and four sets of
#    run-time --set values (batch, lr, seed, cosine schedule, l1 loss, sgd, batch-norm mode),
#    --resume, --checkpoint (evaluation only), --help, refused settings, a run from another
#    folder, no libLLVM in the binary, a build for another CPU (x86-64-v3) that runs;
#  - every example of examples/ is built (one object cache for the script: the 8-qubit QIREN
#    circuit, shared by all of them, is compiled once); image_qiren, sound_guitar and
#    compare (9 experiments, comparison report) are run with 2-3 epochs and compared with
#    `qnnc run`; superres_qiren and sound_qiren only run. Examples whose data is missing
#    (not in $QNN_DATA_DIR, examples/ or data/) are skipped with a message.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache="$tmp/cache"
# Under make asan: fontconfig (cairo's text in reports) keeps caches until exit, which LSan
# reports for `qnnc run` and the binaries alike; test_rt_report.c suppresses the same leak.
echo "leak:libfontconfig.so" > "$tmp/lsan.supp"
export LSAN_OPTIONS="suppressions=$tmp/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
die() { echo "$*"; exit 1; }
same() { # same FILE... under two folders
    local a=$1 b=$2; shift 2
    for f in "$@"; do
        case $f in
        *.wav) wav_samples "$a/$f" "$b/$f" ;;
        *) cmp -s "$a/$f" "$b/$f" ;;
        esac || die "$f differs between $a and $b (binary vs qnnc run)"
    done
}
# WAV files: the samples (libsndfile's PEAK chunk holds the time of writing)
wav_samples() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
def data(p):
    b = open(p, "rb").read()
    i = 12
    while i + 8 <= len(b):
        tag, n = b[i:i + 4], struct.unpack("<I", b[i + 4:i + 8])[0]
        if tag == b"data":
            return b[i + 8:i + 8 + n]
        i += 8 + n + (n & 1)
    sys.exit("%s: no data chunk" % p)
sys.exit(0 if data(sys.argv[1]) == data(sys.argv[2]) else 1)
PY
}

# ---- a small experiment on a CSV signal -------------------------------------------------
cp examples/embed/signal.csv tests/e2e/small.qnn "$tmp/"
"$QNNC" build "$tmp/small.qnn" -o "$tmp/small" --cache "$cache" --quiet
if ldd "$tmp/small" | grep -qi llvm; then die "the binary links LLVM"; fi
settings=(""
          "--set batch=16 --set optimizer.lr=0.02 --set seed=3"
          "--set schedule=cosine(min_lr=0.001) --set loss=l1 --set epochs=25"
          "--set optimizer=sgd(lr=0.1,momentum=0.9) --set batchnorm_eval=running --set log_every=5")
for i in "${!settings[@]}"; do
    read -ra s <<< "${settings[$i]}"
    "$tmp/small" --quiet --out "$tmp/b$i" ${s[@]+"${s[@]}"}
    "$QNNC" run "$tmp/small.qnn" --quiet --out "$tmp/j$i" ${s[@]+"${s[@]}"}
    same "$tmp/b$i" "$tmp/j$i" model.safetensors fit.csv
done
cmp -s "$tmp/b0/model.safetensors" "$tmp/b1/model.safetensors" && die "--set changed nothing"
# 20 epochs, then the rest from the checkpoint: the weights of 40 epochs in one go
"$tmp/small" --quiet --out "$tmp/r1" --set epochs=20
"$tmp/small" --quiet --out "$tmp/r2" --resume "$tmp/r1/model.safetensors"
same "$tmp/b0" "$tmp/r2" model.safetensors fit.csv
# evaluation only
"$tmp/small" --checkpoint "$tmp/b0/model.safetensors" --out "$tmp/e" 2>/dev/null
same "$tmp/b0" "$tmp/e" fit.csv
# --help lists the settings with their values (after --set)
"$tmp/small" --set epochs=5 --help > "$tmp/help"
grep -q "epochs = 5" "$tmp/help" && grep -q "optimizer = adam(lr = 0.05" "$tmp/help" &&
    grep -q 'data = csv(path = "signal.csv"' "$tmp/help" || die "--help: $(cat "$tmp/help")"
# settings that change the compiled model are refused, with the way out
if "$tmp/small" --set model.n=4 2> "$tmp/err"; then die "--set model.n was accepted"; fi
grep -q "qnnc build" "$tmp/err" || die "unclear error: $(cat "$tmp/err")"
if "$tmp/small" --set epochs=0 2> "$tmp/err"; then die "--set epochs=0 was accepted"; fi
grep -q "between 1 and" "$tmp/err" || die "unclear error: $(cat "$tmp/err")"
# from another folder: the data is found next to the .qnn file it was built from
(cd / && "$tmp/small" --quiet --out "$tmp/moved")
same "$tmp/b0" "$tmp/moved" model.safetensors
# another CPU (AVX2, 4 lanes): builds, and runs where the host has AVX2
"$QNNC" build "$tmp/small.qnn" -o "$tmp/small_v3" --cpu x86-64-v3 --quiet
if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then
    "$tmp/small_v3" --quiet --out "$tmp/v3" --set epochs=5
    [ -s "$tmp/v3/model.safetensors" ] || die "the x86-64-v3 binary wrote no checkpoint"
fi

# ---- the examples ----------------------------------------------------------------------
have_data() { # every data file named in the example exists where the runtime looks
    local f
    for f in $(grep -E '^\s*(data|eval)\s*=' "$1" | grep -o '"[^"]*"' | tr -d '"' | sort -u); do
        [ -f "$f" ] || [ -f "examples/$f" ] || [ -f "data/$f" ] ||
            { [ -n "${QNN_DATA_DIR:-}" ] && [ -f "$QNN_DATA_DIR/$f" ]; } || return 1
    done
}
ran=0
for src in examples/*.qnn; do
    name=$(basename "$src" .qnn)
    # a file of circuits only (barren_plateau.qnn, for `qnnc grad`) has nothing to build
    grep -qE '^experiment ' "$src" || { echo "build_binaries: $name has no experiment; skipped"; continue; }
    # density matrices (noise channels) run through the reference interpreter, not native code
    # generative experiments (a GAN, language.md §6.17) run with `qnnc run` only
    case $name in generate_*)
        if "$QNNC" build "$src" -o "$tmp/$name" --quiet 2> "$tmp/$name.err"; then die "$name: a generative experiment built"; fi
        grep -q "is generative" "$tmp/$name.err" || die "$name: $(cat "$tmp/$name.err")"
        echo "build_binaries: $name refused (generative experiments are not generated yet)"; continue ;;
    esac
    case $name in noisy_*)
        if "$QNNC" build "$src" -o "$tmp/$name" --quiet 2> "$tmp/$name.err"; then die "$name: a noisy experiment built"; fi
        grep -q "simulates density matrices" "$tmp/$name.err" || die "$name: $(cat "$tmp/$name.err")"
        echo "build_binaries: $name refused (density matrices are not generated yet)"; continue ;;
    esac
    extra=()
    # compare.qnn writes no files of its own: checkpoints make the runs comparable
    [ "$name" = compare ] && extra=(--set 'outputs=[checkpoint("model.safetensors")]')
    "$QNNC" build "$src" -o "$tmp/$name" --cache "$cache" --quiet ${extra[@]+"${extra[@]}"}
    if ! have_data "$src"; then echo "build_binaries: $name built; not run (its data is missing)"; continue; fi
    case $name in
    image_qiren|sound_guitar|compare)
        epochs=3; [ "$name" = compare ] && epochs=2
        "$tmp/$name" --quiet --out "$tmp/$name.bin" --set epochs=$epochs > /dev/null
        "$QNNC" run "$src" --quiet --out "$tmp/$name.jit" --set epochs=$epochs ${extra[@]+"${extra[@]}"} > /dev/null
        n=0
        for f in $(cd "$tmp/$name.jit" && find . -name '*.safetensors' -o -name '*.csv' -o -name '*.png' -o -name '*.wav' |
                   grep -v '/report/\|/comparison/'); do
            same "$tmp/$name.bin" "$tmp/$name.jit" "$f"; n=$((n + 1))
        done
        [ "$n" -gt 0 ] || die "$name: nothing to compare"
        ran=$((ran + 1)) ;;
    *)
        "$tmp/$name" --quiet --out "$tmp/$name.bin" --set epochs=2 > /dev/null ;;
    esac
done
echo "build_binaries: ok ($ran examples compared with qnnc run)"
