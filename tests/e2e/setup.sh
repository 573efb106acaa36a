#!/usr/bin/env bash
# The set-up paths a newcomer meets (issue 10): the build refuses a wrong or missing LLVM with
# one line, and `make test` / `make demo` resolve LLVM only after their install step, so an
# older llvm-config on the PATH at start-up (Debian 12 ships LLVM 14's) cannot leak into the
# build. The install is simulated: DEPS_SCRIPT makes llvm-config-19 appear (under a name the
# Makefile cannot have seen when it started) and the build must then use it.
set -u
BUILD=${BUILD:-build}
real19=$(command -v llvm-config-19) || { echo "setup.sh: skipped: llvm-config-19 not installed"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-setup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "setup.sh: $*"; exit 1; }
repo=$(pwd)

shim=$tmp/bin
mkdir -p "$shim"
# An older LLVM on the PATH, as on a fresh Debian 12.
cat > "$shim/llvm-config" <<'SH'
#!/bin/sh
case "$1" in
  --version) echo 14.0.6 ;;
  --cflags) echo -I/nonexistent/llvm-14/include ;;
  --ldflags) echo -L/nonexistent/llvm-14/lib ;;
  --libs) echo -lLLVM-14 ;;
esac
SH
chmod +x "$shim/llvm-config"

# 1. a wrong or missing llvm-config: one clear line, and nothing compiled against it
out=$(make -C "$repo" --no-print-directory BUILD="$tmp/wrong" LLVM_CONFIG="$shim/llvm-config" \
      "$tmp/wrong/compiler/cg.o" 2>&1) && fail "the build accepted LLVM 14"
grep -qxF "qnn needs LLVM 19 (llvm-config-19); found 14 at $shim/llvm-config (run \`make deps\` or set LLVM_CONFIG)" <<<"$out" ||
  fail "no clear message for LLVM 14; got: $out"
grep -q -- "-c compiler/cg.c" <<<"$out" && fail "cg.c was compiled against LLVM 14: $out"
out=$(make -C "$repo" --no-print-directory BUILD="$tmp/wrong" LLVM_CONFIG="$tmp/nothing-here" \
      "$tmp/wrong/compiler/cg.o" 2>&1) && fail "the build went on without llvm-config"
grep -qF "qnn needs LLVM 19 (llvm-config-19); no llvm-config at \`$tmp/nothing-here\`" <<<"$out" ||
  fail "no clear message for a missing llvm-config; got: $out"

# 2. the entry points, with LLVM 19 "installed" by their own deps step: the objects that include
# llvm-c are rebuilt (they are removed from a copy of the build) and must use LLVM 19.
cat > "$tmp/fake-deps.sh" <<SH
#!/bin/sh
ln -sf "$real19" "$shim/qnn-test-llvm-config-19"
echo "fake deps: installed qnn-test-llvm-config-19"
SH
chmod +x "$tmp/fake-deps.sh"
inc19=$("$real19" --includedir)
cp -a "$BUILD" "$tmp/build"
for entry in test demo; do
  rm -f "$tmp/build/compiler/cg.o" "$tmp/build/compiler/jit.o" "$tmp/build/qnnc" "$shim/qnn-test-llvm-config-19"
  upper=$(echo "$entry" | tr a-z A-Z)
  out=$(PATH="$shim:$PATH" make -C "$repo" --no-print-directory BUILD="$tmp/build" \
        DEPS_SCRIPT="$tmp/fake-deps.sh" LLVM_CONFIG_NAME=qnn-test-llvm-config-19 \
        "${upper}_RUNNER=\$(BUILD)/qnnc --version" "$entry" 2>&1) ||
    fail "make $entry failed after the simulated install: $(echo "$out" | tail -5)"
  grep -q "fake deps: installed" <<<"$out" || fail "make $entry did not run its install step first"
  grep -- "-c compiler/cg.c" <<<"$out" | grep -qF -- "-I$inc19" ||
    fail "make $entry did not compile cg.c against LLVM 19 ($inc19): $(grep -- '-c compiler/cg.c' <<<"$out")"
  grep -q "/nonexistent/llvm-14" <<<"$out" && fail "make $entry used the LLVM 14 found at start-up"
  grep -q "^qnnc " <<<"$out" || fail "make $entry did not run its steps after the build"
done
echo "setup.sh: wrong/missing LLVM refused; make test and make demo build with LLVM 19 after their install step"
