#!/usr/bin/env bash
# Bounded libFuzzer run over the front end (`make fuzz` calls this with $(FUZZ_SECONDS)).
#   tests/fuzz/run_fuzz.sh [SECONDS]      (default 60)
# Builds tests/fuzz/fuzz_frontend.c with clang (-fsanitize=fuzzer,address,undefined) against
# the compiler's front-end sources, without LLVM: the scanner and parser are generated with
# flex and bison into build-fuzz/gen. The corpus (build-fuzz/corpus, kept between runs) is
# seeded from stdlib/, examples/, tests/golden/ and tests/fuzz/{regress,seeds}/. Every crash,
# timeout, out-of-memory or leak input found is copied into tests/fuzz/regress/ (as
# crash-*, timeout-*, ...): `make test` then replays it until the compiler is fixed.
# Environment: CLANG (default clang, else clang-14), FUZZ_JOBS (parallel workers, default
# 1 worker per 2 cores), FUZZ_SAVE (where found inputs go, default tests/fuzz/regress),
# FUZZ_MAX_LEN (default 8192 bytes), FUZZ_TIMEOUT (seconds per input, default 10).
set -eu
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${1:-60}
OUT=build-fuzz
SAVE=${FUZZ_SAVE:-tests/fuzz/regress}
CLANG=${CLANG:-$(command -v clang || command -v clang-14 || true)}
[ -n "$CLANG" ] || { echo "run_fuzz.sh: clang is not installed (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
for tool in flex bison; do
  command -v "$tool" >/dev/null || { echo "run_fuzz.sh: $tool is not installed" >&2; exit 2; }
done

mkdir -p "$OUT/gen" "$OUT/obj" "$OUT/corpus" "$OUT/artifacts" "$SAVE"

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
for f in compiler/arena.c compiler/ast.c compiler/diag.c compiler/elab.c compiler/lower.c \
         compiler/sema*.c compiler/ir.c compiler/passes.c compiler/interp.c compiler/parse*.c; do
  [ -f "$f" ] && SRCS+=("$f")
done
objs=()
compile() { # src obj flags...
  local src=$1 obj=$2; shift 2
  if [ ! "$obj" -nt "$src" ] || [ -n "$(find compiler "$OUT/gen" -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
    "$CLANG" $SAN "$@" -c "$src" -o "$obj"
  fi
  objs+=("$obj")
}
for f in "${SRCS[@]}"; do compile "$f" "$OUT/obj/$(basename "${f%.c}").o" $CFLAGS; done
compile "$OUT/gen/lexer.c" "$OUT/obj/gen_lexer.o" $GEN_CFLAGS
compile "$OUT/gen/parser.c" "$OUT/obj/gen_parser.o" $GEN_CFLAGS
compile tests/fuzz/fuzz_frontend.c "$OUT/obj/fuzz_frontend.o" $CFLAGS \
  -DQNN_FUZZ_STDLIB="\"$PWD/stdlib\""
"$CLANG" -fsanitize=fuzzer,address,undefined "${objs[@]}" -lm -o "$OUT/fuzz_frontend"

[ "$SECONDS_TO_RUN" -gt 0 ] || { echo "built $OUT/fuzz_frontend"; exit 0; }

# ---- seeds ------------------------------------------------------------------------------
seeds="$OUT/seeds"
rm -rf "$seeds"; mkdir -p "$seeds"
for f in stdlib/*.qnn examples/*.qnn tests/golden/*.qnn tests/golden/inc/*.qnn \
         tests/fuzz/regress/* tests/fuzz/seeds/*; do
  [ -f "$f" ] || continue
  [ "$(stat -c %s "$f")" -le "${FUZZ_MAX_LEN:-8192}" ] || continue
  cp "$f" "$seeds/$(echo "$f" | tr '/' '_')"
done

# ---- run --------------------------------------------------------------------------------
cores=$(nproc 2>/dev/null || echo 2)
jobs=${FUZZ_JOBS:-$(( cores > 2 ? cores / 2 : 1 ))}
rm -f "$OUT"/artifacts/*
log="$OUT/fuzz.log"
echo "fuzzing the front end for ${SECONDS_TO_RUN}s with $jobs worker(s); log in $log"
set +e
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$OUT/fuzz_frontend" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$SECONDS_TO_RUN" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2560 \
  -max_len="${FUZZ_MAX_LEN:-8192}" -dict=tests/fuzz/qnn.dict \
  -artifact_prefix="$OUT/artifacts/" "$OUT/corpus" "$seeds" >"$log" 2>&1
rc=$?
set -e
grep -E '^#[0-9]+: cov|INFO: fuzzed for|exec/s' "$log" | tail -3 || true

found=0
for a in "$OUT"/artifacts/*; do
  [ -f "$a" ] || continue
  name=$(basename "$a")
  cp "$a" "$SAVE/$name"
  echo "found: $SAVE/$name"
  found=$((found + 1))
done
if [ "$found" -gt 0 ]; then
  echo "run_fuzz.sh: $found input(s) crashed, hung or leaked; saved in $SAVE (see $log)"
  exit 1
fi
echo "run_fuzz.sh: no crashes (libFuzzer exit $rc)"
