#!/usr/bin/env python3
"""Independent density-matrix reference for qnn's noise channels (tests/e2e/noise_dm.sh).

Each case is a small circuit written here as a list of ops; this script writes it as a .qnn
file, runs `qnnc grad` twice, with --reference (the interpreter's density-matrix simulation
and its adjoint vjp) and without (the compiled density-matrix code, compiler/cg_dm.c), and
compares both with numpy: rho evolved with full 2^n x 2^n matrices (np.kron),
channels as Kraus sums sum_k K rho K^dagger with PennyLane's Kraus operators (written out
here, not taken from qnn), readout error as the bit-flip it is before a Z-basis measurement.
Values must agree at 1e-12; qnn's adjoint gradients with numpy's central finite differences
(float64, h = 1e-6) at 1e-7. A noiseless case is also compared with qnn's state-vector
simulation (the JIT), which must agree at 1e-12.
"""
import csv
import io
import subprocess
import sys
import os

import numpy as np

QNNC = os.environ.get("QNNC", "build/qnnc")
TMP = sys.argv[1]

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.array([[1, 0], [0, -1]], dtype=complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)


def rx(t): return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * X
def ry(t): return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * Y
def rz(t): return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * Z


# PennyLane's Kraus operators (qml.DepolarizingChannel, qml.AmplitudeDamping, ...)
def k_depolarizing(p): return [np.sqrt(1 - p) * I2] + [np.sqrt(p / 3) * P for P in (X, Y, Z)]
def k_bit_flip(p): return [np.sqrt(1 - p) * I2, np.sqrt(p) * X]
def k_phase_flip(p): return [np.sqrt(1 - p) * I2, np.sqrt(p) * Z]
def k_amplitude_damping(g):
    return [np.array([[1, 0], [0, np.sqrt(1 - g)]], dtype=complex),
            np.array([[0, np.sqrt(g)], [0, 0]], dtype=complex)]
def k_phase_damping(g):
    return [np.array([[1, 0], [0, np.sqrt(1 - g)]], dtype=complex),
            np.array([[0, 0], [0, np.sqrt(g)]], dtype=complex)]
def k_thermal(t1, t2, t):
    """qml.ThermalRelaxationError with pe = 0. t2 <= t1: PennyLane's own Kraus set; t1 < t2 <=
    2 t1: amplitude damping (gamma = 1 - e^{-t/t1}) then phase damping, which gives the same
    populations and the coherence e^{-t/t2} that PennyLane's Choi construction gives."""
    eT1, eT2 = np.exp(-t / t1), np.exp(-t / t2)
    pr = 1 - eT1
    if t2 <= t1:
        pz = (1 - pr) * (1 - eT2 / eT1) / 2
        return [np.sqrt(1 - pz - pr) * I2, np.sqrt(pz) * Z,
                np.sqrt(pr) * np.array([[1, 0], [0, 0]]), np.sqrt(pr) * np.array([[0, 1], [0, 0]])]
    lam = 1 - (eT2 / np.sqrt(eT1)) ** 2
    return [b @ a for a in k_amplitude_damping(pr) for b in k_phase_damping(lam)]


def embed(u, wires, n):
    """The 2^n matrix of u on wires (wire 0 the most significant bit)."""
    k = len(wires)
    full = np.zeros((2 ** n, 2 ** n), dtype=complex)
    for i in range(2 ** n):
        bits = [(i >> (n - 1 - w)) & 1 for w in range(n)]
        li = sum(bits[w] << (k - 1 - t) for t, w in enumerate(wires))
        for lj in range(2 ** k):
            b2 = list(bits)
            for t, w in enumerate(wires):
                b2[w] = (lj >> (k - 1 - t)) & 1
            j = sum(b << (n - 1 - w) for w, b in enumerate(b2))
            full[i, j] += u[li, lj]
    return full


def cnot():
    return np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex)


def pauli_string(s):
    m = np.array([[1]], dtype=complex)
    for ch in s:
        m = np.kron(m, {"I": I2, "X": X, "Y": Y, "Z": Z}[ch])
    return m


def value(a, p, x):
    """An angle or strength: ('p', i) parameter, ('x', j) input, a number, or a lambda."""
    if isinstance(a, tuple):
        return p[a[1]] if a[0] == "p" else x[a[1]]
    if callable(a):
        return a(p, x)
    return a


def simulate(case, p, x):
    n = case["n"]
    rho = np.zeros((2 ** n, 2 ** n), dtype=complex)
    rho[0, 0] = 1
    readout = {}
    for op in case["ops"]:
        name, args, wires = op
        vals = [value(a, p, x) for a in args]
        if name in ("rx", "ry", "rz", "h", "cnot"):
            u = {"rx": lambda: rx(vals[0]), "ry": lambda: ry(vals[0]), "rz": lambda: rz(vals[0]),
                 "h": lambda: H, "cnot": cnot}[name]()
            U = embed(u, wires, n)
            rho = U @ rho @ U.conj().T
            continue
        if name == "readout_error":
            readout[wires[0]] = (1 - 2 * vals[0]) * readout.get(wires[0], 1.0)
            continue
        ks = {"depolarizing": k_depolarizing, "bit_flip": k_bit_flip, "phase_flip": k_phase_flip,
              "amplitude_damping": k_amplitude_damping, "phase_damping": k_phase_damping,
              "thermal_relaxation": k_thermal, "kraus": lambda *m: [np.array(k) for k in m]}[name]
        kraus = ks(*vals) if name != "kraus" else [np.array(k, dtype=complex) for k in args]
        total = np.zeros_like(rho)
        for k in kraus:
            K = embed(k, wires, n)
            total += K @ rho @ K.conj().T
        rho = total
    outs = []
    for obs in case["obs"]:
        e = np.trace(pauli_string(obs) @ rho).real
        for w, ch in enumerate(obs):  # a flipped bit flips the sign of its factor
            if ch != "I" and w in readout:
                e *= readout[w]
        outs.append(e)
    return np.array(outs)


def fmt(a):
    if isinstance(a, tuple):
        return ("w[%d]" if a[0] == "p" else "x[%d]") % a[1]
    return repr(float(a))


def fmt_matrix(m):
    rows = []
    for r in m:
        rows.append("[" + ", ".join("[%r, %r]" % (complex(v).real, complex(v).imag) for v in r) + "]")
    return "[" + ", ".join(rows) + "]"


def qnn_text(case):
    lines = ["circuit c() {", "    qubits q[%d];" % case["n"]]
    if case["n_in"]:
        lines.append("    input x[%d];" % case["n_in"])
    if case["n_par"]:
        lines.append("    param w[%d];" % case["n_par"])
    for name, args, wires in case["ops"]:
        qs = ", ".join("q[%d]" % w for w in wires)
        if name == "kraus":
            a = "(" + ", ".join(fmt_matrix(k) for k in args) + ")"
        elif args:
            a = "(" + ", ".join(fmt(v) for v in args) + ")"
        else:
            a = ""
        lines.append("    %s%s %s;" % (name, a, qs))
    for obs in case["obs"]:
        f = [("%s(q[%d])" % (ch, w)) for w, ch in enumerate(obs) if ch != "I"]
        lines.append("    expval %s;" % " @ ".join(f))
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_qnnc(case, p, x, reference=True):
    path = os.path.join(TMP, case["name"] + ".qnn")
    with open(path, "w") as f:
        f.write(qnn_text(case))
    cmd = [QNNC, "grad", path, "--circuit", "c", "--quiet"]
    if reference:
        cmd.append("--reference")
    if case["n_par"]:
        pp = os.path.join(TMP, case["name"] + ".params.csv")
        with open(pp, "w") as f:
            f.write(",".join(repr(float(v)) for v in p) + "\n")
        cmd += ["--params", pp]
    if case["n_in"]:
        cmd += ["--input", ",".join(repr(float(v)) for v in x)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("%s: qnnc grad failed: %s" % (case["name"], out.stderr.strip()))
    rows = list(csv.reader(io.StringIO(out.stdout)))
    head, body = rows[0], rows[1:]
    vals = np.array([float(r[2]) for r in body])
    jac = np.array([[float(v) for v in r[3:]] for r in body]).reshape(len(body), -1)
    return vals, jac, head


def fd(case, p, x, h=1e-6):
    cols = []
    for i in range(case["n_par"]):
        d = np.zeros(len(p)); d[i] = h
        cols.append((simulate(case, p + d, x) - simulate(case, p - d, x)) / (2 * h))
    for j in range(case["n_in"]):
        d = np.zeros(len(x)); d[j] = h
        cols.append((simulate(case, p, x + d) - simulate(case, p, x - d)) / (2 * h))
    return np.array(cols).T


S = 1 / np.sqrt(2)
CASES = [
    # every channel alone after a superposition, constant strengths
    {"name": name, "n": 1, "n_in": 0, "n_par": 0,
     "ops": [("ry", [0.9], [0]), ("rz", [0.4], [0]), (name, args, [0])],
     "obs": ["X", "Y", "Z"]}
    for name, args in [("depolarizing", [0.13]), ("bit_flip", [0.21]), ("phase_flip", [0.17]),
                       ("amplitude_damping", [0.3]), ("phase_damping", [0.45]),
                       ("thermal_relaxation", [50.0, 30.0, 12.0]),
                       ("thermal_relaxation", [20.0, 35.0, 9.0]),
                       ("readout_error", [0.07]),
                       ("kraus", [[[1, 0], [0, 0.8]], [[0, 0.6], [0, 0]]])]
] + [
    # a two-qubit Kraus channel: a CNOT-dephasing mixture sqrt(0.8) I, sqrt(0.2) CNOT
    {"name": "kraus2", "n": 2, "n_in": 0, "n_par": 0,
     "ops": [("h", [], [0]), ("ry", [0.3], [1]),
             ("kraus", [(np.sqrt(0.8) * np.eye(4)).tolist(), (np.sqrt(0.2) * cnot()).real.tolist()], [0, 1])],
     "obs": ["ZZ", "XI", "IX", "XX"]},
    # strengths as trainable parameters and inputs, gradients through every kind
    {"name": "trainable", "n": 2, "n_in": 1, "n_par": 7,
     "ops": [("ry", [("x", 0)], [0]), ("rx", [("p", 0)], [1]), ("cnot", [], [0, 1]),
             ("depolarizing", [("p", 1)], [0]), ("amplitude_damping", [("p", 2)], [1]),
             ("phase_damping", [("p", 3)], [0]), ("bit_flip", [("p", 4)], [1]),
             ("phase_flip", [("p", 5)], [0]), ("thermal_relaxation", [40.0, 30.0, ("x", 0)], [1]),
             ("ry", [("p", 0)], [0]), ("readout_error", [("p", 6)], [1])],
     "obs": ["ZZ", "XI", "IZ", "YX"]},
    # noiseless: the density matrix must equal the state vector (checked with the JIT too)
    {"name": "noiseless", "n": 3, "n_in": 1, "n_par": 3,
     "ops": [("ry", [("x", 0)], [0]), ("h", [], [1]), ("cnot", [], [0, 2]), ("rx", [("p", 0)], [2]),
             ("rz", [("p", 1)], [1]), ("cnot", [], [1, 2]), ("ry", [("p", 2)], [0])],
     "obs": ["ZIZ", "XXI", "IYZ"]},
]

rng = np.random.default_rng(7)
worst_v = worst_g = 0.0
for case in CASES:
    p = rng.uniform(0.05, 0.35, case["n_par"])
    x = rng.uniform(0.2, 1.2, case["n_in"])
    want = simulate(case, p, x)
    g = fd(case, p, x) if case["n_par"] + case["n_in"] else None
    # the interpreter (--reference) and, for noisy cases, the compiled density matrices
    for reference in (True, False) if case["name"] != "noiseless" else (True,):
        path = "interpreter" if reference else "compiled"
        vals, jac, _ = run_qnnc(case, p, x, reference=reference)
        err_v = np.max(np.abs(vals - want))
        if not err_v <= 1e-12:
            sys.exit("%s (%s): outputs %s, numpy %s (max error %.3g)"
                     % (case["name"], path, vals, want, err_v))
        worst_v = max(worst_v, err_v)
        if g is not None:
            err_g = np.max(np.abs(jac - g))
            if not err_g <= 1e-7:
                sys.exit("%s (%s): adjoint Jacobian\n%s\nnumpy finite differences\n%s\n(max error %.3g)"
                         % (case["name"], path, jac, g, err_g))
            worst_g = max(worst_g, err_g)
    if case["name"] == "noiseless":
        sv, sv_jac, _ = run_qnnc(case, p, x, reference=False)
        err = max(np.max(np.abs(sv - vals)), np.max(np.abs(sv_jac - jac)))
        if not err <= 1e-12:
            sys.exit("noiseless: density matrix and state vector differ by %.3g" % err)
print("%d cases (interpreter and compiled): outputs within %.2g of numpy's Kraus sums, gradients within %.2g of finite "
      "differences" % (len(CASES), worst_v, worst_g))
