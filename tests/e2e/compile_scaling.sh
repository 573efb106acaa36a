#!/usr/bin/env bash
# End-to-end, not timed: compile work per op must not grow with circuit depth (issue 13). The
# LLVM module of StronglyEntanglingLayers on 8 qubits (bench/ct) at 10, 100 and 1,000 layers
# (188, 1,808 and 18,008 fused ops). Kernels are shared by gate, wires and matrix structure,
# _pre's matrices of one shape are one loop over a table of parameter indices, and the op
# sequence itself is data (cg_fn.c: runs of kernel calls are loops over a constant table of
# {kernel, offset, first, count}), so what grows with depth is constant data only: the
# number of functions is the same at every depth, and so is the number of LLVM instructions
# (2 % allowed), in the module and in the two entry points. Fails on the per-op calls of
# commit 19b4462 (16,105 instructions at 100 layers against 8,542 at 10).
set -uo pipefail
QNNC=${QNNC:-build/qnnc}
[ -x "$QNNC" ] || { echo "compile_scaling.sh: $QNNC is not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-ctscale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "compile_scaling.sh: $*"; exit 1; }

# measure L: sets fns, insts, entry (instructions of _forward and _vjp) and ops of selL.qnn
measure() {
  local f=bench/ct/sel$1.qnn
  timeout 120 "$QNNC" emit-llvm "$f" >"$tmp/$1.ll" 2>"$tmp/$1.err" || { cat "$tmp/$1.err"; fail "emit-llvm $f failed"; }
  timeout 60 "$QNNC" emit-ir "$f" >"$tmp/$1.ir" 2>&1 || fail "emit-ir $f failed"
  fns=$(grep -c '^define' "$tmp/$1.ll")
  insts=$(grep -c '^  ' "$tmp/$1.ll")
  entry=$(awk '/^define void @sel_(forward|vjp)\(/{p=1} p&&/^  /{n++} /^}/{p=0} END{print n+0}' "$tmp/$1.ll")
  ops=$(sed -n '/after fusion/,$p' "$tmp/$1.ir" | grep -o '[0-9]* ops' | head -1 | cut -d' ' -f1)
  [ -n "$ops" ] && [ "$ops" -gt 0 ] && [ "$fns" -gt 0 ] && [ "$entry" -gt 0 ] ||
    fail "$f: no ops, functions or entry points counted"
}
measure 10; f10=$fns; i10=$insts; e10=$entry; o10=$ops
summary="10 layers: $o10 ops, $f10 functions, $i10 instructions ($e10 in _forward/_vjp)"
for L in 100 1000; do
  measure $L
  [ "$ops" -gt $((5 * o10)) ] || fail "$L layers have $ops ops, 10 layers $o10: not deeper"
  [ "$fns" -le "$f10" ] || fail "functions grow with depth: $f10 at 10 layers ($o10 ops), $fns at $L layers ($ops ops)"
  [ $((insts * 100)) -le $((i10 * 102)) ] ||
    fail "LLVM instructions grow with depth: $i10 at 10 layers ($o10 ops), $insts at $L layers ($ops ops)"
  [ $((entry * 100)) -le $((e10 * 102)) ] ||
    fail "_forward/_vjp grow with depth: $e10 instructions at 10 layers, $entry at $L layers"
  # the step tables hold every op: the sequence is there, as data
  grep -q "^@sel_steps = private unnamed_addr constant \[$((ops)) x" "$tmp/$L.ll" ||
    fail "$L layers: no step table of $ops entries (sel_steps)"
  summary="$summary; $L layers: $ops ops, $fns functions, $insts instructions ($entry)"
done
echo "compile_scaling.sh: ok ($summary)"
