#!/usr/bin/env bash
# End-to-end, not timed: compile work per op must not grow with circuit depth (issue 13). The
# LLVM module of StronglyEntanglingLayers on 8 qubits (bench/ct) at 10 and 100 layers: the
# kernels are shared by gate, wires and matrix structure, not emitted per op (the only
# functions that grow are _pre's parts, one per 64 ops: functions at 100 layers stay under
# those at 10 layers plus one per 64 ops), and LLVM instructions per op stay within 15% (the
# per-op parts left are the matrices' sines and cosines in _pre and the gradient chains in
# _vjp).
set -uo pipefail
QNNC=${QNNC:-build/qnnc}
[ -x "$QNNC" ] || { echo "compile_scaling.sh: $QNNC is not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-ctscale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "compile_scaling.sh: $*"; exit 1; }

# measure L: sets fns, insts and ops of bench/ct/selL.qnn
measure() {
  local f=bench/ct/sel$1.qnn
  timeout 120 "$QNNC" emit-llvm "$f" >"$tmp/$1.ll" 2>"$tmp/$1.err" || { cat "$tmp/$1.err"; fail "emit-llvm $f failed"; }
  timeout 60 "$QNNC" emit-ir "$f" >"$tmp/$1.ir" 2>&1 || fail "emit-ir $f failed"
  fns=$(grep -c '^define' "$tmp/$1.ll")
  insts=$(grep -c '^  ' "$tmp/$1.ll")
  ops=$(sed -n '/after fusion/,$p' "$tmp/$1.ir" | grep -o '[0-9]* ops' | head -1 | cut -d' ' -f1)
  [ -n "$ops" ] && [ "$ops" -gt 0 ] && [ "$fns" -gt 0 ] || fail "$f: no ops or functions counted"
}
measure 10; f10=$fns; i10=$insts; o10=$ops
measure 100; f100=$fns; i100=$insts; o100=$ops
[ "$o100" -gt $((5 * o10)) ] || fail "100 layers have $o100 ops, 10 layers $o10: not deeper"
[ "$f100" -le $((f10 + o100 / 64 + 1)) ] || fail "functions grow with depth: $f10 at 10 layers ($o10 ops), $f100 at 100 layers ($o100 ops)"
# instructions per op at 100 layers <= 1.15 x those at 10 layers, in integers
[ $((i100 * o10 * 100)) -le $((i10 * o100 * 115)) ] ||
  fail "LLVM instructions per op grow with depth: $i10/$o10 at 10 layers, $i100/$o100 at 100 layers"
echo "compile_scaling.sh: ok (10 layers: $o10 ops, $f10 functions, $i10 instructions; 100 layers: $o100 ops, $f100 functions, $i100 instructions)"
