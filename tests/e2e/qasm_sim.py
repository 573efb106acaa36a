#!/usr/bin/env python3
"""An independent reader and simulator of the OpenQASM 3 that `qnnc emit-qasm` writes (for
tests/e2e/qasm.sh): gates from the OpenQASM 3 definitions (stdgates.inc, the built-in U) and
the program's own `gate` definitions, a dense numpy state vector, the outputs from the
`// expval:` / `// var:` / `// probs:` comments.  usage: qasm_sim.py PROG.qasm P.csv X0,X1,..
prints one output per line (%.17g)."""
import math, re, sys
import numpy as np

def matrices(name, a):
    c, s = math.cos, math.sin
    I = 1j
    if name == "id": return np.eye(2)
    if name == "h": return np.array([[1, 1], [1, -1]]) / math.sqrt(2)
    if name == "x": return np.array([[0, 1], [1, 0]])
    if name == "y": return np.array([[0, -I], [I, 0]])
    if name == "z": return np.diag([1, -1])
    if name == "s": return np.diag([1, I])
    if name == "t": return np.diag([1, np.exp(I * math.pi / 4)])
    if name == "sx": return 0.5 * np.array([[1 + I, 1 - I], [1 - I, 1 + I]])
    if name == "rx": return np.array([[c(a[0] / 2), -I * s(a[0] / 2)], [-I * s(a[0] / 2), c(a[0] / 2)]])
    if name == "ry": return np.array([[c(a[0] / 2), -s(a[0] / 2)], [s(a[0] / 2), c(a[0] / 2)]])
    if name == "rz": return np.diag([np.exp(-I * a[0] / 2), np.exp(I * a[0] / 2)])
    if name == "p": return np.diag([1, np.exp(I * a[0])])
    if name == "U":
        t, f, l = a
        return np.array([[c(t / 2), -np.exp(I * l) * s(t / 2)],
                         [np.exp(I * f) * s(t / 2), np.exp(I * (f + l)) * c(t / 2)]])
    ctl = {"cx": "x", "cz": "z", "cy": "y", "crx": "rx", "cry": "ry", "crz": "rz", "cp": "p"}
    if name in ctl:
        m = np.eye(4, dtype=complex)
        m[2:, 2:] = matrices(ctl[name], a)
        return m
    if name == "swap": return np.eye(4)[[0, 2, 1, 3]]
    return None

FUNCS = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
         "sqrt": math.sqrt, "arctan": math.atan, "arcsin": math.asin, "arccos": math.acos,
         "pi": math.pi}

def split_args(s):
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "," and depth == 0: out.append(cur); cur = ""; continue
        depth += ch == "("; depth -= ch == ")"; cur += ch
    return out + [cur] if cur.strip() else out

def apply(state, n, m, wires):
    k = len(wires)
    psi = np.moveaxis(state.reshape([2] * n), wires, list(range(k)))
    shape = psi.shape
    psi = (m.reshape(2 ** k, 2 ** k) @ psi.reshape(2 ** k, -1)).reshape(shape)
    return np.moveaxis(psi, list(range(k)), wires).reshape(-1)

def pauli_matrix(n, term):
    P = {"X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]), "Z": np.diag([1, -1])}
    coef, ops = term.split("*")
    letters = ["I"] * n
    for tok in ops.split():
        if tok != "I": letters[int(tok[1:])] = tok[0]
    m = np.array([[1.0]])
    for l in letters: m = np.kron(m, P.get(l, np.eye(2)))
    return float(coef) * m

def main():
    prog, pfile, xs = sys.argv[1], sys.argv[2], sys.argv[3]
    params = [float(v) for v in open(pfile).read().replace("\n", ",").split(",") if v.strip()]
    inputs = [float(v) for v in xs.split(",") if v.strip()]
    env, names, gates, outs = dict(FUNCS), [], {}, []
    n, state = 0, None
    for line in open(prog):
        line = line.strip()
        if line.startswith("// expval:"): outs.append(("expval", line[10:])); continue
        if line.startswith("// var:"): outs.append(("var", line[7:])); continue
        if line.startswith("// probs:"): outs.append(("probs", line[9:])); continue
        line = line.split("//")[0].strip()
        if not line or line.startswith(("OPENQASM", "include", "bit[", "c = measure")): continue
        mo = re.match(r"input float\[64\] (\w+);$", line)
        if mo: names.append(mo.group(1)); continue
        mo = re.match(r"qubit\[(\d+)\] q;$", line)
        if mo: n = int(mo.group(1)); state = np.zeros(2 ** n, complex); state[0] = 1; continue
        mo = re.match(r"gate (\w+)\(([^)]*)\) (\w+) \{(.*)\}$", line)
        if mo: gates[mo.group(1)] = ([p.strip() for p in mo.group(2).split(",")], mo.group(3), mo.group(4)); continue
        if not env.get("_bound"):
            data = [v for v in names if re.fullmatch(r"x\d+", v)]
            rest = [v for v in names if v not in data]
            assert len(data) == len(inputs) and len(rest) == len(params), (len(data), len(rest))
            env.update({v: inputs[int(v[1:])] for v in data}); env.update(zip(rest, params)); env["_bound"] = 1
        mo = re.match(r"(\w+)(?:\((.*)\))? (q\[\d+\](?:, q\[\d+\])*);$", line)
        assert mo, "cannot read: " + line
        name, args = mo.group(1), [eval(a, {"__builtins__": {}}, env) for a in split_args(mo.group(2) or "")]
        wires = [int(w) for w in re.findall(r"q\[(\d+)\]", mo.group(3))]
        if name in gates:
            formal, qv, body = gates[name]
            local = dict(env); local.update(zip(formal, args))
            for st in body.split(";"):
                st = st.strip()
                if not st: continue
                m2 = re.match(r"(\w+)\((.*)\) " + qv + "$", st)
                state = apply(state, n, matrices(m2.group(1), [eval(a, {"__builtins__": {}}, local) for a in split_args(m2.group(2))]), wires)
            continue
        m = matrices(name, args)
        assert m is not None, "unknown gate " + name
        state = apply(state, n, np.asarray(m, complex), wires)
    for kind, text in outs:
        if kind == "probs":
            ws = [int(t[1:]) for t in text.split()]
            pr = np.abs(state.reshape([2] * n)) ** 2
            pr = pr.transpose(ws + [w for w in range(n) if w not in ws]).reshape(2 ** len(ws), -1).sum(1)
            for v in pr: print("%.17g" % v)
            continue
        O = sum(pauli_matrix(n, t) for t in text.split(" + "))
        e = np.vdot(state, O @ state).real
        if kind == "var": e = np.vdot(state, O @ O @ state).real - e * e
        print("%.17g" % e)

main()
