#!/usr/bin/env bash
# Builds the embedding example into a folder: the model as a C library (sine.a + sine.h,
# by `qnnc build --emit lib`) and predict.c linked against it. Usage:
#   examples/embed/build.sh OUT_DIR        (QNNC=path/to/qnnc, default build/qnnc; CC, default cc;
#                                          QNN_BUILD_FLAGS: more qnnc build options, e.g. --cpu x86-64-v3)
# The equivalent Makefile rules are in README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT_DIR}
QNNC=${QNNC:-build/qnnc}
CC=${CC:-cc}
mkdir -p "$out"
"$QNNC" build "$here/sine.qnn" --emit lib -o "$out/sine" --quiet ${QNN_BUILD_FLAGS:-}
# The library holds the qnn runtime too: only the system libraries it uses are added (and
# Open MPI's when the runtime was built with it, as `make` does when libopenmpi-dev is there).
mpi_libs=$(mpicc --showme:link 2>/dev/null || true)
$CC -std=c11 -O2 -Wall -Wextra -I "$out" "$here/predict.c" "$out/sine.a" \
    -lpng -lz -lsndfile -lfftw3 -lcairo -llapacke -lpthread -lm $mpi_libs ${QNN_LDFLAGS:-} -o "$out/predict"
echo "built $out/predict"
