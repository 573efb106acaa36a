#!/usr/bin/env bash
# Runs every test suite and ends with one summary line: "N passed, N failed".
# Suites: cmocka unit binaries (build/tests/test_*), golden diagnostics (tests/golden),
# checks of every stdlib/ and examples/ file, end-to-end runs (tests/e2e/*.sh) and the
# front end's fuzz regression corpus (tests/fuzz/regress).
set -u
QNNC=${QNNC:-build/qnnc}
BUILD=${BUILD:-build}
# The suite's compiled-code cache is its own, not the user's ~/.cache/qnn (tests that study the
# cache set QNN_CACHE_DIR themselves).
QNN_CACHE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/qnn-test-cache.XXXXXX")
export QNN_CACHE_DIR
trap 'rm -rf "$QNN_CACHE_DIR"' EXIT
passed=0; failed=0; failures=()
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL: $1"; }

# 1. unit tests: each cmocka binary; count its tests from its summary lines
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  out=$("$t" 2>&1); rc=$?
  n_ok=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  n_bad=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  passed=$((passed + n_ok))
  if [ "$rc" -ne 0 ] || [ "$n_bad" -gt 0 ]; then
    [ "$n_bad" -gt 0 ] || n_bad=1
    failed=$((failed + n_bad)); failures+=("$(basename "$t")")
    echo "$out" | grep -E "FAILED|ERROR|error|Assert|differ" | head -20
  fi
done

# 2. golden diagnostics: tests/golden/*.qnn with *.err (must fail with exactly this output)
for src in tests/golden/*.qnn; do
  [ -e "$src" ] || continue
  exp="${src%.qnn}.err"
  [ -f "$exp" ] || { fail "$src: no .err file"; continue; }
  got=$(cd tests/golden && "../../$QNNC" check "$(basename "$src")" 2>&1); rc=$?
  if [ "$rc" -ne 1 ]; then fail "$src: exit status $rc, expected 1"; continue; fi
  if [ "$got" == "$(cat "$exp")" ]; then pass; else
    fail "$src: diagnostics differ"; diff <(echo "$got") "$exp" | head -10; fi
done

# 3. every stdlib and example file passes `qnnc check`
for src in stdlib/*.qnn examples/*.qnn; do
  [ -e "$src" ] || continue
  if out=$("$QNNC" check "$src" 2>&1); then pass; else fail "qnnc check $src"; echo "$out" | head -10; fi
done

# 4. end-to-end scripts (each exits 0 on success)
for s in tests/e2e/*.sh; do
  [ -e "$s" ] || continue
  if out=$(QNNC="$QNNC" BUILD="$BUILD" bash "$s" 2>&1); then pass; else fail "$s"; echo "$out" | tail -20; fi
done

# 5. front-end fuzz regression corpus: every saved input must be handled without a crash
#    (exit 0 or 1). The runtime targets' corpora (tests/fuzz/corpus_rt_*) are replayed by the
#    unit binaries of section 1 (test_rt_fuzz_replay, test_rt_fuzz_settings).
for f in tests/fuzz/regress/*; do
  [ -e "$f" ] || continue
  timeout 10 "$QNNC" check "$f" >/dev/null 2>&1; rc=$?
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; then pass; else fail "fuzz regression $f (exit $rc)"; fi
done

if [ ${#failures[@]} -gt 0 ]; then echo "failed: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
