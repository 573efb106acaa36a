#!/usr/bin/env bash
# End-to-end: the Python bridge (python/qnn, docs/python.md). Builds the test circuit with
# `qnnc build --emit shared` and runs python/tests/test_qnn.py: outputs against a NumPy
# state-vector simulation, vjp against finite differences, models against `qnnc run`'s
# checkpoints, torch.autograd.gradcheck on qnn.torch.CircuitLayer, errors as exceptions.
# Skipped (exit 0, one line) without python3-numpy; the PyTorch tests without python3-torch.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the source tree
QNNC=${QNNC:-build/qnnc}
BUILD=${BUILD:-build}
# Debian's python3 has Debian's numpy and torch; a python3 earlier on the PATH may not.
PYTHON=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3 || true)}
if [ -z "$PYTHON" ]; then echo "skipped: python3 not installed"; exit 0; fi
if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then echo "skipped: python3-numpy not installed"; exit 0; fi
# A runtime built with sanitizers cannot be loaded into an unsanitized python3.
if nm "$BUILD/libqnnrt.a" 2>/dev/null | grep __asan >/dev/null; then  # not -q: with pipefail, an early exit of grep fails nm
    echo "skipped: sanitizer build (its shared libraries cannot be loaded into python3)"; exit 0
fi
"$PYTHON" -c 'import torch' 2>/dev/null || echo "skipped: python3-torch not installed (the PyTorch tests)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
QNNC=$(cd "$(dirname "$QNNC")" && pwd)/$(basename "$QNNC")

# the library links the runtime statically and needs no LLVM
"$QNNC" build python/tests/two_qubits.qnn --emit shared -o "$tmp/tiny" --quiet
[ -f "$tmp/tiny.so" ] || { echo "qnnc build --emit shared -o tiny did not write tiny.so"; exit 1; }
if ldd "$tmp/tiny.so" | grep -qi llvm; then echo "tiny.so links LLVM"; exit 1; fi

QNNC="$QNNC" QNN_PY_TMP="$tmp" QNN_CACHE_DIR="$tmp/cache" timeout 120 "$PYTHON" python/tests/test_qnn.py 2>&1

# examples/python/qiren_torch.py: QIREN in PyTorch with qnn's circuit trains exactly as
# `qnnc run` does (same initial weights and data; every epoch's loss to 1e-9)
if "$PYTHON" -c 'import torch' 2>/dev/null; then
    if [ -f data/astronaut.png ] || [ -f "${QNN_DATA_DIR:-/nonexistent}/astronaut.png" ]; then
        QNNC="$QNNC" QNN_CACHE_DIR="$tmp/cache" timeout 120 "$PYTHON" examples/python/qiren_torch.py \
            --epochs 3 --threads 2 --check | tail -2
    else
        echo "skipped: examples/python/qiren_torch.py (no astronaut.png: make demo fetches it)"
    fi
fi
