#!/usr/bin/env bash
# Imports resolve against the importing file's folder (then the standard library), each file
# is loaded once, and a user's file does not shadow or clash with the standard library's.
set -euo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sub"
cat > "$tmp/sub/b.qnn" <<'Q'
gate flip q { x q; }
Q
cat > "$tmp/sub/a.qnn" <<'Q'
import "b.qnn";
circuit c_a { qubits q[1]; flip q[0]; expval Z(q[0]); }
Q
# templates.qnn beside the main file must not be picked up by the standard library's imports
cat > "$tmp/templates.qnn" <<'Q'
gate angle_embedding q { h q; }
Q
cat > "$tmp/main.qnn" <<'Q'
import "sub/a.qnn";
import "sub/b.qnn";
import "qiren.qnn";
circuit c_main { qubits q[2]; flip q[1]; expval Z(q[1]); }
Q
"$QNNC" check "$tmp/main.qnn"
"$QNNC" info "$tmp/main.qnn" | grep -q "circuit c_main: 2 qubits"
echo "imports: ok"
