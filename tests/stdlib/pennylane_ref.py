#!/usr/bin/env python3
"""PennyLane's templates re-implemented in numpy, from PennyLane's documentation and the
decompositions in its source (pennylane/templates/{embeddings,layers}/*.py), independently of
qnn: the reference for tests/stdlib/templates_cases.qnn.

  pennylane_ref.py > tests/stdlib/states.ref   draws inputs and weights (seeded), writes them
                                               with each template's final state
  pennylane_ref.py --check tests/stdlib/states.ref
                                               recomputes every state from the file's inputs
                                               and weights; exit 1 if one differs by > 1e-12

tests/unit/test_stdlib.c runs the same circuits through qnn (interpreter and JIT) on the
file's values and compares their states with the file's. Conventions are PennyLane's: wire 0
is the most significant bit of the basis index; Rot(phi, theta, omega) = RZ(omega) RY(theta)
RZ(phi); MultiRZ(t) = exp(-i t/2 Z...Z).

random_layers: PennyLane draws the structure with numpy's default_rng(seed), which qnn cannot
reproduce, so qnn documents its own seeded draw (compiler/embed.c: splitmix64, PennyLane's
loop, gate set RX/RY/RZ/CNOT and ratio_imprim); `qnn_random_structure` below re-implements
that draw, and the gates it places are PennyLane's.
"""
import sys
import numpy as np

# ---- a plain state-vector simulator ---------------------------------------------------------

def apply(state, n, m, wires):
    """Applies the 2^k x 2^k matrix m on `wires` (the first the most significant of m's index)."""
    k = len(wires)
    t = state.reshape([2] * n)
    t = np.tensordot(m.reshape([2] * (2 * k)), t, axes=(list(range(k, 2 * k)), list(wires)))
    # tensordot puts the gate's output axes first: move them back to their wires
    t = np.moveaxis(t, list(range(k)), list(wires))
    return t.reshape(-1)

def RX(t): c, s = np.cos(t / 2), np.sin(t / 2); return np.array([[c, -1j * s], [-1j * s, c]])
def RY(t): c, s = np.cos(t / 2), np.sin(t / 2); return np.array([[c, -s], [s, c]], dtype=complex)
def RZ(t): return np.diag([np.exp(-1j * t / 2), np.exp(1j * t / 2)])
def Rot(phi, theta, omega): return RZ(omega) @ RY(theta) @ RZ(phi)
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex)
CZ = np.diag([1, 1, 1, -1]).astype(complex)

def MultiRZ(t, k):
    parity = np.array([bin(i).count("1") % 2 for i in range(2 ** k)])
    return np.diag(np.exp(-1j * t / 2 * (1 - 2 * parity)))

class Circuit:
    def __init__(self, n):
        self.n = n
        self.state = np.zeros(2 ** n, dtype=complex)
        self.state[0] = 1

    def op(self, m, *wires):
        self.state = apply(self.state, self.n, m, wires)

# ---- the templates, as PennyLane defines them -------------------------------------------------

def strongly_entangling(c, w, entangler=CNOT):
    """StronglyEntanglingLayers, default ranges r = l mod (n-1) + 1."""
    n = c.n
    for l in range(w.shape[0]):
        for i in range(n):
            c.op(Rot(*w[l, i]), i)
        if n > 1:
            r = l % (n - 1) + 1
            for i in range(n):
                c.op(entangler, i, (i + r) % n)

def basic_entangler(c, w, rotation=RX):
    n = c.n
    for l in range(w.shape[0]):
        for i in range(n):
            c.op(rotation(w[l, i]), i)
        if n == 2:
            c.op(CNOT, 0, 1)
        elif n > 2:
            for i in range(n):
                c.op(CNOT, i, (i + 1) % n)

def angle_embedding(c, f, rotation=RX):
    for i, x in enumerate(f):
        c.op(rotation(x), i)

def amplitude_embedding(c, f, pad=None, normalize=False):
    """AmplitudeEmbedding: the state is the (padded, normalised) feature vector itself."""
    f = np.asarray(f, dtype=float)
    if pad is not None:
        f = np.concatenate([f, np.full(2 ** c.n - len(f), pad)])
    assert len(f) == 2 ** c.n
    norm = np.linalg.norm(f)
    if not normalize:
        assert abs(norm - 1) < 1e-10, "PennyLane needs norm 1 without normalize=True"
    c.state = (f / norm).astype(complex)

def basis_embedding(c, bits, wires=None):
    wires = list(range(c.n)) if wires is None else wires
    if isinstance(bits, int):  # PennyLane's integer form: its binary digits, wire 0 first
        bits = [(bits >> (len(wires) - 1 - i)) & 1 for i in range(len(wires))]
    for w, b in zip(wires, bits):
        if b == 1:
            c.op(X, w)

def iqp_embedding(c, f, n_repeats=2, pattern=None):
    n = c.n
    if pattern is None:
        pattern = [(i, j) for i in range(n) for j in range(i + 1, n)]
    for _ in range(n_repeats):
        for i in range(n):
            c.op(H, i)
            c.op(RZ(f[i]), i)
        for a, b in pattern:
            c.op(MultiRZ(f[a] * f[b], 2), a, b)

def qaoa_embedding(c, f, w, local_field=RY):
    n, m = c.n, len(f)
    def encode():
        for i in range(m):
            c.op(RX(f[i]), i)
        for i in range(m, n):
            c.op(H, i)
    for l in range(w.shape[0]):
        encode()
        if n == 1:
            c.op(local_field(w[l, 0]), 0)
        elif n == 2:
            c.op(MultiRZ(w[l, 0], 2), 0, 1)
            c.op(local_field(w[l, 1]), 0)
            c.op(local_field(w[l, 2]), 1)
        else:
            for i in range(n):
                c.op(MultiRZ(w[l, i], 2), i, (i + 1) % n)
            for i in range(n):
                c.op(local_field(w[l, n + i]), i)
    encode()

def simplified_two_design(c, w0, w):
    n = c.n
    for i in range(n):
        c.op(RY(w0[i]), i)
    for l in range(w.shape[0]):
        for i, a in enumerate(range(0, n - 1, 2)):
            c.op(CZ, a, a + 1)
            c.op(RY(w[l, i, 0]), a)
            c.op(RY(w[l, i, 1]), a + 1)
        for i, a in enumerate(range(1, n - 1, 2)):
            c.op(CZ, a, a + 1)
            c.op(RY(w[l, n // 2 + i, 0]), a)
            c.op(RY(w[l, n // 2 + i, 1]), a + 1)

MASK = (1 << 64) - 1

def qnn_random_structure(seed, n_layers, n_rots, n_wires, ratio):
    """qnn's draw (compiler/embed.c): splitmix64 uniforms, PennyLane's RandomLayers loop."""
    s = [seed & MASK]
    def u():
        s[0] = (s[0] + 0x9E3779B97F4A7C15) & MASK
        z = s[0]
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        return (z >> 11) * 2.0 ** -53
    gates = []
    for l in range(n_layers):
        i = 0
        while i < n_rots:
            if u() > ratio:
                kind = int(u() * 3)
                wire = int(u() * n_wires)
                gates.append(("rot", kind, wire, (l, i)))
                i += 1
            elif n_wires > 1:
                a = int(u() * n_wires)
                b = int(u() * (n_wires - 1))
                b += b >= a
                gates.append(("cnot", a, b))
    return gates

def random_layers(c, w, seed=42, ratio_imprim=0.3):
    for g in qnn_random_structure(seed, w.shape[0], w.shape[1], c.n, ratio_imprim):
        if g[0] == "rot":
            c.op([RX, RY, RZ][g[1]](w[g[3]]), g[2])
        else:
            c.op(CNOT, g[1], g[2])

# ---- the cases of templates_cases.qnn -------------------------------------------------------
# name: (qubits, parameter shapes, input count, draw of the inputs, the reference)

def bits(rng, k): return rng.integers(0, 2, k).astype(float)
def angles(rng, k): return rng.uniform(-np.pi, np.pi, k)
def signed(rng, k): return rng.uniform(-1, 1, k)

def unit(rng, k):
    v = rng.uniform(-1, 1, k)
    return v / np.linalg.norm(v)

CASES = {
    "strongly": (4, [(3, 4, 3)], 0, None, lambda c, p, x: strongly_entangling(c, p[0])),
    "strongly_cz": (3, [(2, 3, 3)], 0, None, lambda c, p, x: strongly_entangling(c, p[0], CZ)),
    "basic": (4, [(2, 4)], 0, None, lambda c, p, x: basic_entangler(c, p[0])),
    "basic_ry": (3, [(2, 3)], 0, None, lambda c, p, x: basic_entangler(c, p[0], RY)),
    "angle": (3, [], 3, angles, lambda c, p, x: angle_embedding(c, x)),
    "angle_ry": (3, [], 3, angles, lambda c, p, x: angle_embedding(c, x, RY)),
    "amplitude": (3, [], 8, signed, lambda c, p, x: amplitude_embedding(c, x, normalize=True)),
    "amplitude_pad": (3, [], 5, signed,
                      lambda c, p, x: amplitude_embedding(c, x, pad=0.3, normalize=True)),
    "amplitude_4": (4, [], 16, signed, lambda c, p, x: amplitude_embedding(c, x, normalize=True)),
    "amplitude_layers": (3, [(1, 3, 3)], 6, unit, lambda c, p, x: (
        amplitude_embedding(c, x, pad=0), strongly_entangling(c, p[0]))),
    "amplitude_one": (1, [], 2, unit, lambda c, p, x: amplitude_embedding(c, x)),
    "basis": (4, [], 4, bits, lambda c, p, x: basis_embedding(c, [int(b) for b in x])),
    "basis_const": (4, [], 0, None, lambda c, p, x: (
        basis_embedding(c, [1, 0, 1, 1]), basis_embedding(c, 6, [1, 2, 3]))),
    "iqp": (3, [], 3, angles, lambda c, p, x: iqp_embedding(c, x)),
    "iqp_pattern": (4, [], 4, angles,
                    lambda c, p, x: iqp_embedding(c, x, 3, [(0, 2), (3, 1), (1, 2)])),
    "qaoa": (3, [(2, 6)], 3, angles, lambda c, p, x: qaoa_embedding(c, x, p[0])),
    "qaoa_partial": (4, [(2, 8)], 2, angles, lambda c, p, x: qaoa_embedding(c, x, p[0], RZ)),
    "qaoa_two": (2, [(3, 3)], 2, angles, lambda c, p, x: qaoa_embedding(c, x, p[0], RX)),
    "qaoa_one": (1, [(2, 1)], 1, angles, lambda c, p, x: qaoa_embedding(c, x, p[0])),
    "two_design": (4, [(4,), (2, 3, 2)], 0, None,
                   lambda c, p, x: simplified_two_design(c, p[0], p[1])),
    "two_design_5": (5, [(5,), (3, 4, 2)], 0, None,
                     lambda c, p, x: simplified_two_design(c, p[0], p[1])),
    "random": (4, [(3, 5)], 0, None, lambda c, p, x: random_layers(c, p[0], seed=7)),
    "random_default": (3, [(2, 4)], 0, None,
                       lambda c, p, x: random_layers(c, p[0], ratio_imprim=0.5)),
}

def run(name, params, inputs):
    n, shapes, _, _, ref = CASES[name]
    p, off = [], 0
    for sh in shapes:
        size = int(np.prod(sh))
        p.append(np.asarray(params[off:off + size]).reshape(sh))
        off += size
    c = Circuit(n)
    ref(c, p, np.asarray(inputs))
    return c.state

def fmt(v): return " ".join(repr(float(x)) for x in v)

def write(out):
    rng = np.random.default_rng(20261202)
    out.write("# tests/stdlib/pennylane_ref.py: case NAME; params; inputs; state as re im pairs\n")
    for name, (n, shapes, n_in, draw, _) in CASES.items():
        params = rng.uniform(0, 2 * np.pi, sum(int(np.prod(s)) for s in shapes))
        inputs = draw(rng, n_in) if n_in else np.zeros(0)
        st = run(name, params, inputs)
        out.write(f"case {name} {n} {len(params)} {len(inputs)}\n")
        out.write(f"params {fmt(params)}\n")
        out.write(f"inputs {fmt(inputs)}\n")
        out.write(f"state {fmt(np.column_stack([st.real, st.imag]).reshape(-1))}\n")

def check(path):
    lines = [l.split() for l in open(path) if l.strip() and not l.startswith("#")]
    worst, bad, count = 0.0, 0, 0
    for i in range(0, len(lines), 4):
        name = lines[i][1]
        params = [float(v) for v in lines[i + 1][1:]]
        inputs = [float(v) for v in lines[i + 2][1:]]
        want = np.array([float(v) for v in lines[i + 3][1:]]).reshape(-1, 2)
        got = run(name, params, inputs)
        d = np.max(np.abs(got - (want[:, 0] + 1j * want[:, 1])))
        worst = max(worst, d)
        count += 1
        if d > 1e-12:
            print(f"{name}: the state differs by {d:.3g}")
            bad += 1
    print(f"{count} cases, largest difference {worst:.3g}")
    return bad == 0

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(0 if check(sys.argv[2]) else 1)
    write(sys.stdout)
