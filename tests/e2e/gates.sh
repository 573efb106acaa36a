#!/usr/bin/env bash
# End-to-end: the multi-qubit gates, unitary(M), adj and ctrl (docs/language.md §4.6.3-§4.6.5)
# against an independent NumPy state-vector simulation written here from PennyLane's matrix
# definitions (full 2^n x 2^n operators built with Kronecker products, wire 0 the most
# significant bit). The circuit is compiled by `qnnc build --emit shared` (the code generator
# after fusion) and called through the Python bridge: its outputs (all 16 basis
# probabilities and Pauli expectations that see the relative phases) equal NumPy's at 1e-12
# for random inputs and parameters, and its adjoint vjp equals central differences of the
# NumPy simulation. Skipped (exit 0, one line) without python3-numpy.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
QNNC=${QNNC:-build/qnnc}
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3 || true)}
if [ -z "$PYTHON" ]; then echo "skipped: python3 not installed"; exit 0; fi
if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then echo "skipped: python3-numpy not installed"; exit 0; fi
if nm "$BUILD/libqnnrt.a" 2>/dev/null | grep __asan >/dev/null; then
    echo "skipped: sanitizer build (its shared libraries cannot be loaded into python3)"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
QNNC=$(cd "$(dirname "$QNNC")" && pwd)/$(basename "$QNNC")

cat >"$tmp/gates.qnn" <<'QNN'
gate blk(a, b) u, v { ry(a) u; rzz(b) u, v; rx(a * b) v; }

circuit gates(int n = 4) {
    qubits q[n];
    input x[4];
    param w[12];
    for i in 0..n { ry(x[i] + w[i]) q[i]; rz(0.3 * x[i]) q[i]; }
    rxx(w[0] * x[0]) q[0], q[2];
    ryy(w[1]) q[3], q[1];
    rzz(w[2] + x[1]) q[1], q[2];
    multirz(w[3]) q;
    multirz(x[0] * w[4]) q[3], q[0], q[2];
    toffoli q[0], q[1], q[2];
    ccx q[3], q[2], q[1];
    ccz q[3], q[1], q[0];
    cswap q[2], q[0], q[3];
    iswap q[1], q[3];
    ecr q[2], q[1];
    ctrl(rx(w[5])) q[0], q[3];
    ctrl(ctrl(ry(w[6] * x[1]))) q[1], q[2], q[0];
    ctrl(rot(w[7], x[2], w[8])) q[3], q[2], q[1];
    adj(u3(w[9], x[3], w[10])) q[2];
    ctrl(u3(w[9], w[10], x[0])) q[1], q[0];
    ctrl(h) q[3], q[1];
    ctrl(sx) q[0], q[2];
    adj(blk(w[4], x[1])) q[3], q[0];
    ctrl(blk(w[2], w[5])) q[1], q[2], q[3];
    ctrl(adj(blk(w[0], x[0]))) q[2], q[0], q[1];
    ctrl(rzz(w[11])) q[0], q[1], q[3];
    unitary([[0.6, [0, 0.8]], [[0, 0.8], 0.6]]) q[1];
    ctrl(unitary([[0.6, [0, 0.8]], [[0, 0.8], 0.6]])) q[2], q[1];
    unitary([[0.5, [0, 0.5], 0.5, [0, 0.5]], [[0, 0.5], 0.5, [0, -0.5], -0.5],
             [0.5, [0, -0.5], 0.5, [0, -0.5]], [[0, -0.5], 0.5, [0, 0.5], -0.5]]) q[3], q[0];
    adj(s) q[1];
    adj(t) q[2];
    probs(q);
    for i in 0..n { expval X(q[i]); expval Y(q[i]); }
    expval X(q[0]) @ Y(q[1]) + Y(q[2]) @ X(q[3]);
}

model gates_net {
    quantum gates();
    linear(25, 1);
}

experiment gates_fit {
    data = csv("signal.csv", inputs = 4, outputs = 1);
    model = gates_net;
    epochs = 1;
}
QNN

QNNC="$QNNC" QNN_CACHE_DIR="$tmp/cache" QNN_GATES_FILE="$tmp/gates.qnn" PYTHONPATH=python \
  timeout 120 "$PYTHON" - <<'PY'
import os, sys
import numpy as np
import qnn

lib = qnn.compile(os.environ["QNN_GATES_FILE"])
circ = lib.circuit("gates")
n = 4
assert (circ.n_qubits, circ.n_inputs, circ.n_params, circ.n_outputs) == (n, 4, 12, 16 + 8 + 1)

# ---- PennyLane's matrices (pennylane.ops.qubit), wire order: first wire = MSB ----
I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0 + 0j, -1.0])
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
S = np.diag([1, 1j])
T = np.diag([1, np.exp(1j * np.pi / 4)])
SX = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])
def RX(t): return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * X
def RY(t): return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * Y
def RZ(t): return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])
def Rot(p, t, o): return RZ(o) @ RY(t) @ RZ(p)
def U3(t, p, l):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -np.exp(1j * l) * s], [np.exp(1j * p) * s, np.exp(1j * (p + l)) * c]])
def pauli_exp(P, t): return np.cos(t / 2) * np.eye(len(P)) - 1j * np.sin(t / 2) * P
def IsingXX(t): return pauli_exp(np.kron(X, X), t)
def IsingYY(t): return pauli_exp(np.kron(Y, Y), t)
def IsingZZ(t): return pauli_exp(np.kron(Z, Z), t)
def MultiRZ(t, k):
    par = np.array([bin(i).count("1") % 2 for i in range(2 ** k)])
    return np.diag(np.exp(-0.5j * t * (1 - 2 * par)))
CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex)
TOFFOLI = np.eye(8, dtype=complex); TOFFOLI[6:, 6:] = X
CCZ = np.diag([1] * 7 + [-1]).astype(complex)
CSWAP = np.eye(8, dtype=complex); CSWAP[[5, 6]] = CSWAP[[6, 5]]
ISWAP = np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]])
ECR = np.array([[0, 0, 1, 1j], [0, 0, 1j, 1], [1, -1j, 0, 0], [-1j, 1, 0, 0]]) / np.sqrt(2)
def ctrl(U, k=1):
    d = U.shape[0]
    M = np.eye(d * 2 ** k, dtype=complex)
    M[-d:, -d:] = U
    return M
def adj(U): return U.conj().T

def on(U, wires):
    """U (first wire = MSB) on `wires` of the n-qubit register, by permuting a Kronecker product."""
    k = len(wires)
    rest = [w for w in range(n) if w not in wires]
    full = np.kron(U, np.eye(2 ** (n - k)))          # axes ordered wires + rest
    order = list(wires) + rest
    full = full.reshape([2] * (2 * n))
    perm = [order.index(w) for w in range(n)]
    full = full.transpose(perm + [n + p for p in perm])
    return full.reshape(2 ** n, 2 ** n)

def blk(a, b):  # ry(a) u; rzz(b) u, v; rx(a * b) v   on (u, v)
    return np.kron(I2, RX(a * b)) @ IsingZZ(b) @ np.kron(RY(a), I2)

M1 = np.array([[0.6, 0.8j], [0.8j, 0.6]])
M2 = np.array([[0.5, 0.5j, 0.5, 0.5j], [0.5j, 0.5, -0.5j, -0.5],
               [0.5, -0.5j, 0.5, -0.5j], [-0.5j, 0.5, 0.5j, -0.5]])
assert np.allclose(adj(M2) @ M2, np.eye(4))

def circuit_state(x, w):
    ops = []
    for i in range(n):
        ops += [on(RY(x[i] + w[i]), [i]), on(RZ(0.3 * x[i]), [i])]
    ops += [on(IsingXX(w[0] * x[0]), [0, 2]), on(IsingYY(w[1]), [3, 1]),
            on(IsingZZ(w[2] + x[1]), [1, 2]), on(MultiRZ(w[3], 4), [0, 1, 2, 3]),
            on(MultiRZ(x[0] * w[4], 3), [3, 0, 2]),
            on(TOFFOLI, [0, 1, 2]), on(TOFFOLI, [3, 2, 1]), on(CCZ, [3, 1, 0]),
            on(CSWAP, [2, 0, 3]), on(ISWAP, [1, 3]), on(ECR, [2, 1]),
            on(ctrl(RX(w[5])), [0, 3]), on(ctrl(RY(w[6] * x[1]), 2), [1, 2, 0]),
            on(ctrl(Rot(w[7], x[2], w[8]), 2), [3, 2, 1]), on(adj(U3(w[9], x[3], w[10])), [2]),
            on(ctrl(U3(w[9], w[10], x[0])), [1, 0]), on(ctrl(H), [3, 1]), on(ctrl(SX), [0, 2]),
            on(adj(blk(w[4], x[1])), [3, 0]), on(ctrl(blk(w[2], w[5])), [1, 2, 3]),
            on(ctrl(adj(blk(w[0], x[0]))), [2, 0, 1]), on(ctrl(IsingZZ(w[11])), [0, 1, 3]),
            on(M1, [1]), on(ctrl(M1), [2, 1]), on(M2, [3, 0]), on(adj(S), [1]), on(adj(T), [2])]
    psi = np.zeros(2 ** n, dtype=complex); psi[0] = 1
    for U in ops:
        psi = U @ psi
    return psi

def outputs(x, w):
    psi = circuit_state(x, w)
    out = list(np.abs(psi) ** 2)
    ev = lambda O: float(np.real(psi.conj() @ O @ psi))
    for i in range(n):
        out += [ev(on(X, [i])), ev(on(Y, [i]))]
    out.append(ev(on(np.kron(X, Y), [0, 1]) + on(np.kron(Y, X), [2, 3])))
    return np.array(out)

rng = np.random.default_rng(7)
B = 5
xs = rng.uniform(-1.5, 1.5, (B, 4))
w = rng.uniform(-3, 3, 12)
got = circ(w, xs)
want = np.array([outputs(x, w) for x in xs])
err = np.max(np.abs(got - want))
print(f"gates: forward vs NumPy (PennyLane matrices): max |diff| = {err:.2e} over {B} samples")
if not err < 1e-12:
    sys.exit(f"gates: FAIL: forward differs from NumPy by {err:.3g}")

gy = rng.uniform(-1, 1, got.shape)
gp, gx = circ.vjp(w, xs, gy)
L = lambda ww, xx: float(np.sum(gy * np.array([outputs(x, ww) for x in xx])))
h = 1e-6
fd_p = np.array([(L(w + h * e, xs) - L(w - h * e, xs)) / (2 * h) for e in np.eye(12)])
fd_x = np.zeros_like(xs)
for b in range(B):
    for j in range(4):
        xp, xm = xs.copy(), xs.copy()
        xp[b, j] += h; xm[b, j] -= h
        fd_x[b, j] = (L(w, xp) - L(w, xm)) / (2 * h)
ep, ex = np.max(np.abs(gp - fd_p)), np.max(np.abs(gx - fd_x))
print(f"gates: adjoint vjp vs NumPy central differences: params {ep:.2e}, inputs {ex:.2e}")
if not (ep < 1e-6 and ex < 1e-6):
    sys.exit("gates: FAIL: vjp differs from central differences")
print("gates: ok")
PY
