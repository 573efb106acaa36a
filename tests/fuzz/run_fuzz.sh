#!/usr/bin/env bash
# Bounded libFuzzer runs over the front end and the runtime's file readers (`make fuzz` calls
# this with $(FUZZ_SECONDS)).
#   tests/fuzz/run_fuzz.sh [SECONDS]      (default 60, shared equally by the targets)
# Targets: tests/fuzz/fuzz_frontend.c, built against the compiler's front-end sources without
# LLVM (scanner and parser generated with flex and bison into build-fuzz/gen),
# tests/fuzz/fuzz_qasm.c (the OpenQASM 3 reader, with the same sources), and every
# tests/fuzz/fuzz_rt_*.c (a file defining LLVMFuzzerTestOneInput: a new one is picked up
# without editing this script), built against the runtime's sources (runtime/*.c as one
# archive, so each target pulls only what it uses). All with clang
# -fsanitize=fuzzer,address,undefined.
# Corpora: build-fuzz/corpus/TARGET (kept between runs), seeded for the front end from
# stdlib/, examples/, tests/golden/ and tests/fuzz/{regress,seeds}/, for fuzz_qasm from
# tests/fuzz/corpus_qasm/, for fuzz_rt_NAME from tests/fuzz/corpus_rt_NAME/ (small hand-made valid files plus every crasher found). Every
# crash, timeout, out-of-memory or leak input found is copied into tests/fuzz/regress/
# (front end) or tests/fuzz/corpus_rt_NAME/ (runtime) as crash-*, timeout-*, ...: `make test`
# replays them (tests/run.sh for the front end; tests/unit/test_rt_fuzz_replay.c and
# test_rt_fuzz_settings.c for the runtime) until the code is fixed.
# Environment: FUZZ_OUT (build folder, default build-fuzz), CLANG (default clang, else
# clang-14; libFuzzer comes with Debian's libclang-rt-14-dev), FUZZ_TARGETS (names to run,
# e.g. "fuzz_rt_csv"; default all), FUZZ_JOBS (parallel workers, default 1 worker per 2
# cores), FUZZ_SAVE (where front-end findings go, default tests/fuzz/regress), FUZZ_MAX_LEN
# (default 8192 bytes), FUZZ_TIMEOUT (seconds per input, default 10).
set -eu
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${1:-60}
OUT=${FUZZ_OUT:-build-fuzz}
SAVE=${FUZZ_SAVE:-tests/fuzz/regress}
CLANG=${CLANG:-$(command -v clang || command -v clang-14 || true)}
[ -n "$CLANG" ] || { echo "run_fuzz.sh: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
for tool in flex bison; do
  command -v "$tool" >/dev/null || { echo "run_fuzz.sh: $tool is not installed" >&2; exit 2; }
done

mkdir -p "$OUT/gen" "$OUT/obj" "$OUT/rt" "$OUT/corpus" "$OUT/artifacts" "$SAVE"

# The targets, front end first; FUZZ_TARGETS narrows them.
all_targets=(fuzz_frontend fuzz_qasm)
for f in tests/fuzz/fuzz_rt_*.c; do [ -f "$f" ] && all_targets+=("$(basename "${f%.c}")"); done
targets=()
for t in "${all_targets[@]}"; do
  if [ -z "${FUZZ_TARGETS:-}" ] || [[ " $FUZZ_TARGETS " == *" $t "* ]]; then targets+=("$t"); fi
done
[ ${#targets[@]} -gt 0 ] || { echo "run_fuzz.sh: no target matches FUZZ_TARGETS='${FUZZ_TARGETS:-}' (have: ${all_targets[*]})" >&2; exit 2; }

# ---- build (incremental: only what changed) ---------------------------------------------
[ "$OUT/gen/lexer.c" -nt compiler/lexer.l ] ||
  flex --outfile="$OUT/gen/lexer.c" --header-file="$OUT/gen/lexer.h" compiler/lexer.l
[ "$OUT/gen/parser.c" -nt compiler/parser.y ] ||
  bison -Wall -Werror --defines="$OUT/gen/parser.h" -o "$OUT/gen/parser.c" compiler/parser.y

SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L -DQNN_VERSION=\"fuzz\"
        -Icompiler -Iruntime -I$OUT/gen -Wall -Wextra -Wno-unused-parameter"
GEN_CFLAGS="$CFLAGS -Wno-unused-function -Wno-sign-compare -Wno-unused-but-set-variable"

# Front-end sources only (a whitelist: the driver, commands, code generator, JIT and object
# writer need LLVM or the runtime and are not part of what is fuzzed).
SRCS=()
# The settings table (runtime/rt_schema.c) is plain data that sema_exp.c checks against;
# `import "x.qasm"` reads through the OpenQASM 3 reader and the runtime's file helpers.
for f in compiler/arena.c compiler/ast.c compiler/diag.c compiler/elab.c compiler/embed.c \
         compiler/gates.c compiler/lower.c compiler/sema*.c compiler/ir.c compiler/passes.c \
         compiler/interp.c compiler/parse*.c compiler/qasm_import.c runtime/rt_schema.c \
         runtime/io_file.c runtime/rt_error.c; do
  [ -f "$f" ] && SRCS+=("$f")
done
objs=()
compile() { # src obj flags...   (again when the source or any header is newer)
  local src=$1 obj=$2; shift 2
  if [ ! "$obj" -nt "$src" ] || [ -n "$(find compiler runtime tests/fuzz "$OUT/gen" -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
    "$CLANG" $SAN "$@" -c "$src" -o "$obj"
  fi
  objs+=("$obj")
}
for f in "${SRCS[@]}"; do compile "$f" "$OUT/obj/$(basename "${f%.c}").o" $CFLAGS; done
compile "$OUT/gen/lexer.c" "$OUT/obj/gen_lexer.o" $GEN_CFLAGS
compile "$OUT/gen/parser.c" "$OUT/obj/gen_parser.o" $GEN_CFLAGS
front=("${objs[@]}")
compile tests/fuzz/fuzz_frontend.c "$OUT/obj/fuzz_frontend.o" $CFLAGS \
  -DQNN_FUZZ_STDLIB="\"$PWD/stdlib\""
"$CLANG" -fsanitize=fuzzer,address,undefined "${objs[@]}" -lm -o "$OUT/fuzz_frontend"
# The OpenQASM 3 reader, with the front end (it checks what the reader writes).
objs=("${front[@]}")
compile tests/fuzz/fuzz_qasm.c "$OUT/obj/fuzz_qasm.o" $CFLAGS
"$CLANG" -fsanitize=fuzzer,address,undefined "${objs[@]}" -lm -o "$OUT/fuzz_qasm"

# Runtime targets: runtime/*.c once into an archive, then each target linked against it.
RT_CFLAGS="$CFLAGS $(pkg-config --cflags cairo 2>/dev/null || echo -I/usr/include/cairo) -Itests/fuzz"
RT_LIBS="-lpng -lz -lsndfile -lfftw3 -lcairo -llapacke -lpthread -lm"
rt_targets=()
for t in "${targets[@]}"; do [[ "$t" = fuzz_rt_* ]] && rt_targets+=("$t"); done
if [ ${#rt_targets[@]} -gt 0 ]; then
  objs=()
  for f in runtime/*.c; do compile "$f" "$OUT/rt/$(basename "${f%.c}").o" $RT_CFLAGS; done
  rm -f "$OUT/libqnnrt-fuzz.a"
  ar rcs "$OUT/libqnnrt-fuzz.a" "${objs[@]}"
  for t in "${rt_targets[@]}"; do
    objs=()
    compile "tests/fuzz/$t.c" "$OUT/obj/$t.o" $RT_CFLAGS
    "$CLANG" -fsanitize=fuzzer,address,undefined "${objs[@]}" "$OUT/libqnnrt-fuzz.a" $RT_LIBS -o "$OUT/$t"
  done
fi

[ "$SECONDS_TO_RUN" -gt 0 ] || { echo "built: ${targets[*]/#/$OUT/}"; exit 0; }

# ---- seeds ------------------------------------------------------------------------------
seeds="$OUT/seeds"
rm -rf "$seeds"; mkdir -p "$seeds"
for f in stdlib/*.qnn examples/*.qnn tests/golden/*.qnn tests/golden/inc/*.qnn \
         tests/fuzz/regress/* tests/fuzz/seeds/*; do
  [ -f "$f" ] || continue
  [ "$(stat -c %s "$f")" -le "${FUZZ_MAX_LEN:-8192}" ] || continue
  cp "$f" "$seeds/$(echo "$f" | tr '/' '_')"
done

# ---- run: each target for its share of the time ------------------------------------------
cores=$(nproc 2>/dev/null || echo 2)
jobs=${FUZZ_JOBS:-$(( cores > 2 ? cores / 2 : 1 ))}
share=$(( SECONDS_TO_RUN / ${#targets[@]} ))
[ "$share" -gt 0 ] || share=1
found=0
for t in "${targets[@]}"; do
  if [ "$t" = fuzz_frontend ]; then
    tseeds=$seeds; save=$SAVE; extra=(-dict=tests/fuzz/qnn.dict)
  else
    tseeds=tests/fuzz/corpus_${t#fuzz_}; save=$tseeds; extra=()
    mkdir -p "$tseeds"
    [ -f "tests/fuzz/$t.dict" ] && extra=(-dict="tests/fuzz/$t.dict")
  fi
  mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t"
  rm -f "$OUT/artifacts/$t"/*
  log="$OUT/$t.log"
  echo "fuzzing $t for ${share}s with $jobs worker(s); log in $log"
  set +e
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  "$OUT/$t" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$share" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2560 \
    -max_len="${FUZZ_MAX_LEN:-8192}" "${extra[@]}" \
    -artifact_prefix="$OUT/artifacts/$t/" "$OUT/corpus/$t" "$tseeds" >"$log" 2>&1
  rc=$?
  set -e
  grep -E '^#[0-9]+: cov|INFO: fuzzed for|exec/s' "$log" | tail -2 || true
  for a in "$OUT/artifacts/$t"/*; do
    [ -f "$a" ] || continue
    cp "$a" "$save/$(basename "$a")"
    echo "found: $save/$(basename "$a")"
    found=$((found + 1))
  done
  echo "$t: libFuzzer exit $rc"
done
if [ "$found" -gt 0 ]; then
  echo "run_fuzz.sh: $found input(s) crashed, hung or leaked; saved next to the corpora (see $OUT/*.log)"
  exit 1
fi
echo "run_fuzz.sh: no crashes in ${targets[*]}"
