"""Tests of the Python bridge (tests/e2e/python.sh runs them): the compiled circuit against an
independent NumPy state-vector simulation, its vjp against central finite differences, the
whole model against the circuit composed by hand and against `qnnc run`'s checkpoint, the
PyTorch layer with torch.autograd.gradcheck, and every error as a QnnError with the runtime's
message. Environment: QNNC (the qnnc binary), QNN_PY_TMP (a scratch folder)."""
import ctypes
import ctypes.util
import os
import subprocess
import sys
import threading
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import qnn  # noqa: E402

QNNC = os.environ.get("QNNC", os.path.join(HERE, "..", "..", "build", "qnnc"))
TMP = os.environ.get("QNN_PY_TMP") or __import__("tempfile").mkdtemp(prefix="qnn-py-")
SRC = os.path.join(HERE, "two_qubits.qnn")
SIGNAL_DIR = os.path.join(HERE, "..", "..", "examples", "embed")

try:
    import torch
    import qnn.torch as qtorch
except ImportError:
    torch = None


# ---- the reference: a direct state-vector simulation of two_qubits.qnn --------------------
# Wire 0 is the first tensor factor; gates are PennyLane's (R_P(t) = exp(-i t P / 2)).
I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0, -1.0]).astype(complex)


def rot(P, t):
    return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * P


def on(q, U):
    return np.kron(U, I2) if q == 0 else np.kron(I2, U)


CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex)
CZ = np.diag([1, 1, 1, -1]).astype(complex)
OBS = [np.kron(Z, I2), np.kron(I2, Z), np.kron(X, Z)]


def reference(w, x):
    out = []
    for xb in np.atleast_2d(x):
        psi = np.zeros(4, dtype=complex)
        psi[0] = 1
        for U in (on(0, rot(Y, xb[0])), on(1, rot(X, xb[1])), on(0, rot(Z, w[0])),
                  on(1, rot(Y, w[1])), CNOT, on(0, rot(X, w[2] * xb[0])), on(1, rot(Y, w[3])),
                  CZ, on(1, rot(X, w[4]))):
            psi = U @ psi
        out.append([np.real(np.vdot(psi, O @ psi)) for O in OBS])
    return np.array(out)


def build(name, *extra):
    """NAME.so of two_qubits.qnn by `qnnc build --emit shared` (once per test run)."""
    so = os.path.join(TMP, name + ".so")
    if not os.path.exists(so):
        subprocess.run([QNNC, "build", SRC, "--emit", "shared", "-o", os.path.join(TMP, name),
                        "--quiet"] + list(extra), check=True)
    return so


class Circuits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lib = qnn.load(build("tiny"), threads=1)
        cls.c = cls.lib.circuit("tiny")
        rng = np.random.default_rng(5)
        cls.w = rng.uniform(0, 2 * np.pi, 5)
        cls.x = rng.uniform(-2, 2, (37, 2))     # 37: two chunks of the layer, one partial

    def test_shapes(self):
        c = self.c
        self.assertEqual((c.n_qubits, c.n_inputs, c.n_outputs, c.n_params, c.precision),
                         (2, 2, 3, 5, 64))
        self.assertEqual(self.lib.models[0].name, "tiny_fit")

    def test_forward_equals_reference(self):
        y = self.c(self.w, self.x)
        self.assertEqual(y.shape, (37, 3))
        np.testing.assert_allclose(y, reference(self.w, self.x), rtol=0, atol=1e-13)
        np.testing.assert_allclose(self.c(self.w, self.x[3]), reference(self.w, self.x[3])[0],
                                   rtol=0, atol=1e-13)

    def test_vjp_equals_finite_differences(self):
        rng = np.random.default_rng(1)
        dy = rng.normal(size=(37, 3))
        gw, gx = self.c.vjp(self.w, self.x, dy)
        h = 1e-6
        L = lambda w, x: float(np.sum(dy * reference(w, x)))  # noqa: E731
        fd_w = np.array([(L(self.w + h * e, self.x) - L(self.w - h * e, self.x)) / (2 * h)
                         for e in np.eye(5)])
        np.testing.assert_allclose(gw, fd_w, rtol=0, atol=1e-7)
        fd_x = np.zeros_like(self.x)
        for b in range(37):
            for j in range(2):
                e = np.zeros_like(self.x)
                e[b, j] = h
                fd_x[b, j] = (L(self.w, self.x + e) - L(self.w, self.x - e)) / (2 * h)
        np.testing.assert_allclose(gx, fd_x, rtol=0, atol=1e-7)
        gw2, none = self.c.vjp(self.w, self.x, dy, input_grad=False)
        self.assertIsNone(none)
        np.testing.assert_array_equal(gw2, gw)

    def test_threads_do_not_change_results(self):
        lib4 = qnn.load(build("tiny"), threads=4)
        c4 = lib4.circuit("tiny")
        x = np.random.default_rng(2).uniform(-1, 1, (300, 2))
        dy = np.ones((300, 3))
        np.testing.assert_array_equal(self.c(self.w, x), c4(self.w, x))
        for a, b in zip(self.c.vjp(self.w, x, dy), c4.vjp(self.w, x, dy)):
            np.testing.assert_array_equal(a, b)

    def test_concurrent_python_threads(self):
        x = np.random.default_rng(3).uniform(-1, 1, (64, 2))
        want = self.c(self.w, x)
        got = [None] * 8

        def run(i):
            got[i] = self.c(self.w, x)
        ts = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for g in got:
            np.testing.assert_array_equal(g, want)

    def test_errors_are_exceptions_with_the_runtime_message(self):
        c = self.c
        cases = [
            (lambda: c(self.w[:4], self.x), "circuit 'tiny' has 5 parameters; got 4"),
            (lambda: c(self.w, self.x[:, :1]), "circuit 'tiny' takes 2 inputs per sample; got 1"),
            (lambda: c(self.w.astype(np.float32), self.x.astype(np.float32)),
             "circuit 'tiny' is compiled for float64; got float32 arrays"),
            (lambda: c(self.w.astype(np.float32), self.x), "arrays of different dtypes"),
            (lambda: c.vjp(self.w, self.x, np.ones((37, 2))),
             "circuit 'tiny' has 3 outputs per sample; the output gradient has 2"),
            (lambda: c.vjp(self.w, self.x, np.ones((36, 3))), "grad_outputs of shape [36, 3]"),
            (lambda: c(self.w, np.zeros((0, 2))), "circuit 'tiny': batch 0 outside 1.."),
            (lambda: c(self.w, np.zeros((2, 2, 2))), "inputs must be [batch][2]"),
            (lambda: self.lib.circuit("nope"), "has no circuit 'nope'"),
        ]
        for f, msg in cases:
            with self.assertRaises(qnn.QnnError) as cm:
                f()
            self.assertIn(msg, str(cm.exception))

    def test_other_abi_and_foreign_libraries(self):
        src = os.path.join(TMP, "abi99.c")
        with open(src, "w") as f:
            f.write("int qnn_abi_version(void) { return 99; }\n")
        so = os.path.join(TMP, "abi99.so")
        subprocess.run(["cc", "-shared", "-fPIC", src, "-o", so], check=True)
        with self.assertRaises(qnn.QnnError) as cm:
            qnn.load(so)
        self.assertIn("implements qnn ABI 99; this qnn Python package speaks ABI 1", str(cm.exception))
        with self.assertRaises(qnn.QnnError) as cm:
            qnn.load(ctypes.util.find_library("m") or "libm.so.6")
        self.assertIn("is not a qnn library", str(cm.exception))
        with self.assertRaises(qnn.QnnError) as cm:
            qnn.load(os.path.join(TMP, "missing.so"))
        self.assertIn("cannot load", str(cm.exception))
        # the ABI number the caller passes to qnn_lib_open is checked by the library itself
        dll = ctypes.CDLL(build("tiny"))
        dll.qnn_lib_open.restype = ctypes.c_void_p
        err = ctypes.create_string_buffer(512)
        self.assertIsNone(dll.qnn_lib_open(2, 1, err, 512))
        self.assertIn(b"the library implements qnn ABI 1, the caller expects 2", err.value)


class Float32(unittest.TestCase):
    def test_f32_circuit(self):
        c = qnn.load(build("tiny32", "--precision", "f32"), threads=2).circuit("tiny")
        self.assertEqual((c.precision, c.dtype), (32, np.float32))
        rng = np.random.default_rng(7)
        w, x = rng.uniform(0, 6, 5), rng.uniform(-1, 1, (40, 2))
        y = c(w.astype(np.float32), x.astype(np.float32))
        self.assertEqual(y.dtype, np.float32)
        np.testing.assert_allclose(y, reference(w, x), atol=2e-6)
        dy = rng.normal(size=(40, 3))
        gw, gx = c.vjp(w.astype(np.float32), x.astype(np.float32), dy.astype(np.float32))
        gw64, gx64 = qnn.load(build("tiny"), threads=1).circuit("tiny").vjp(w, x, dy)
        np.testing.assert_allclose(gw, gw64, atol=2e-4)
        np.testing.assert_allclose(gx, gx64, atol=2e-5)
        with self.assertRaises(qnn.QnnError) as cm:
            c(w, x)
        self.assertIn("circuit 'tiny' is compiled for float32; got float64 arrays", str(cm.exception))


class Models(unittest.TestCase):
    def check_training_equals(self, metrics):
        """Training through the ABI (forward, backward, Adam as torch.optim.Adam in NumPy)
        from the seed's weights on the experiment's data: qnnc run's loss at every epoch."""
        import json
        with open(metrics) as f:
            rows = [json.loads(line) for line in f]
        self.assertEqual(rows[0]["kind"], "header")  # then one line per epoch
        want = [r["loss"] for r in rows[1:]]
        self.assertEqual(len(want), 5)
        m = qnn.load(build("tiny"), threads=1).model()
        os.environ["QNN_DATA_DIR"] = SIGNAL_DIR
        x, y = m.data()
        p = m.parameters
        mom = {k: np.zeros_like(v) for k, v in p.items()}
        vel = {k: np.zeros_like(v) for k, v in p.items()}
        got = []
        for t in range(1, 6):
            out = m.forward(x)
            got.append(float(np.mean((out - y) ** 2)))
            g, _ = m.backward(2 * (out - y) / out.size)
            for k in p:
                mom[k] = 0.9 * mom[k] + 0.1 * g[k]
                vel[k] = 0.999 * vel[k] + 0.001 * g[k] * g[k]
                denom = np.sqrt(vel[k]) / np.sqrt(1 - 0.999 ** t) + 1e-8
                p[k] = p[k] - (0.05 / (1 - 0.9 ** t)) * mom[k] / denom
            m.set_tensors(p)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)

    def test_model_is_the_layers_composed(self):
        m = qnn.load(build("tiny"), threads=1).model("tiny_fit")
        c = m.lib.circuit("tiny")
        p = m.parameters
        self.assertEqual(list(p), ["layers.0.weight", "layers.0.bias", "layers.1.w",
                                   "layers.2.weight", "layers.2.bias"])
        x = np.linspace(-1, 1, 50).reshape(-1, 1)
        h = x @ p["layers.0.weight"].T + p["layers.0.bias"]
        want = c(p["layers.1.w"], h) @ p["layers.2.weight"].T + p["layers.2.bias"]
        np.testing.assert_allclose(m.forward(x), want, rtol=0, atol=1e-13)
        np.testing.assert_allclose(m.predict(x), want, rtol=0, atol=1e-13)
        # backward against central differences of the model itself
        dy = np.cos(3 * x)
        m.forward(x)
        g, gx = m.backward(dy)
        eps = 1e-6
        for name in ("layers.0.bias", "layers.1.w", "layers.2.weight"):
            fd = np.zeros_like(p[name]).reshape(-1)
            for i in range(fd.size):
                for s in (1, -1):
                    q = {k: v.copy() for k, v in p.items()}
                    q[name].reshape(-1)[i] += s * eps
                    m.set_tensors(q)
                    fd[i] += s * float(np.sum(dy * m.predict(x))) / (2 * eps)
            np.testing.assert_allclose(g[name].reshape(-1), fd, rtol=0, atol=1e-7, err_msg=name)
        m.set_tensors(p)
        self.assertEqual(gx.shape, (50, 1))
        with self.assertRaises(qnn.QnnError) as cm:
            m.predict(x)
            m.backward(dy)
        self.assertIn("backward needs a forward in training mode first", str(cm.exception))
        with self.assertRaises(qnn.QnnError) as cm:
            m.predict(x, batchnorm="eval")
        self.assertIn("batchnorm must be None, 'running' or 'batch', not 'eval'", str(cm.exception))

    def test_checkpoints_of_qnnc_run(self):
        out = os.path.join(TMP, "run")
        env = dict(os.environ, QNN_DATA_DIR=SIGNAL_DIR)
        subprocess.run([QNNC, "run", SRC, "--out", out, "--quiet", "--set", "log_every=1"],
                       check=True, env=env)
        self.check_training_equals(os.path.join(out, "metrics.jsonl"))
        ck = os.path.join(out, "model.safetensors")
        m = qnn.load(build("tiny"), threads=1).model()
        os.environ["QNN_DATA_DIR"] = SIGNAL_DIR
        x, y = m.data()
        csv = np.loadtxt(os.path.join(SIGNAL_DIR, "signal.csv"), delimiter=",", skiprows=1)
        np.testing.assert_array_equal(np.hstack([x, y]), csv)
        before = m.parameters
        m.load(ck)
        tensors, meta = qnn.read_safetensors(ck, metadata=True)
        self.assertEqual(meta["experiment"], "tiny_fit")
        after = m.parameters
        for k in after:
            np.testing.assert_array_equal(after[k], tensors[k])
        self.assertFalse(np.array_equal(before["layers.1.w"], after["layers.1.w"]))
        mine = os.path.join(TMP, "mine.safetensors")
        m.save(mine)
        m2 = qnn.load(build("tiny"), threads=1).model()
        m2.load(mine)
        for k, v in m2.parameters.items():
            np.testing.assert_array_equal(v, after[k])
        bad = os.path.join(TMP, "bad.safetensors")
        qnn.write_safetensors(bad, {"layers.0.weight": np.zeros((1, 2))})
        with self.assertRaises(qnn.QnnError) as cm:
            m2.load(bad)
        self.assertIn("bad.safetensors", str(cm.exception))
        qnn.write_safetensors(bad, {"a": np.arange(6.0).reshape(2, 3), "s": np.float64(2.5)},
                              metadata={"k": "v"})
        t, meta = qnn.read_safetensors(bad, metadata=True)
        np.testing.assert_array_equal(t["a"], np.arange(6.0).reshape(2, 3))
        self.assertEqual((t["s"].shape, float(t["s"]), meta), ((), 2.5, {"k": "v"}))


class Compile(unittest.TestCase):
    def test_compile_caches_by_content_and_options(self):
        import shutil
        cache = os.path.join(TMP, "compile-cache")
        src = os.path.join(TMP, "c.qnn")
        shutil.copy(SRC, src)
        lib = qnn.compile(src, qnnc=QNNC, cache_dir=cache, threads=1)
        x = np.array([[0.3, -0.2]])
        w = np.arange(5.0)
        np.testing.assert_allclose(lib.circuit("tiny")(w, x), reference(w, x), atol=1e-13)
        mtime = os.stat(lib.path).st_mtime_ns
        again = qnn.compile(src, qnnc=QNNC, cache_dir=cache)
        self.assertEqual((again.path, os.stat(again.path).st_mtime_ns), (lib.path, mtime))
        self.assertEqual(qnn.compile(src, precision="f32", qnnc=QNNC, cache_dir=cache)
                         .circuits[0].precision, 32)
        with open(src, "a") as f:
            f.write("// changed\n")
        self.assertNotEqual(qnn.compile(src, qnnc=QNNC, cache_dir=cache).path, lib.path)
        with open(src, "a") as f:
            f.write("circuit broken( {\n")
        with self.assertRaises(qnn.QnnError) as cm:
            qnn.compile(src, qnnc=QNNC, cache_dir=cache)
        self.assertIn("c.qnn:", str(cm.exception))
        with self.assertRaises(qnn.QnnError) as cm:
            qnn.compile(src, precision="f16")
        self.assertIn("precision must be 'f64' or 'f32'", str(cm.exception))


@unittest.skipIf(torch is None, "python3-torch not installed")
class Torch(unittest.TestCase):
    def test_gradcheck_f64(self):
        c = qnn.load(build("tiny"), threads=1).circuit("tiny")
        torch.manual_seed(0)
        layer = qtorch.CircuitLayer(c)
        w = layer.weight.detach()
        self.assertEqual((w.dtype, w.shape), (torch.float64, (5,)))
        self.assertTrue(bool((w >= 0).all() and (w < 2 * np.pi).all()))
        x = torch.rand(6, 2, dtype=torch.float64, requires_grad=True)
        np.testing.assert_allclose(layer(x).detach().numpy(), reference(w.numpy(), x.detach().numpy()),
                                   atol=1e-13)
        self.assertTrue(torch.autograd.gradcheck(lambda x_, w_: qtorch.CircuitFunction.apply(x_, w_, c),
                                                 (x, layer.weight), eps=1e-6, atol=1e-8))

    def test_in_a_model_f32(self):
        c = qnn.load(build("tiny32", "--precision", "f32"), threads=1).circuit("tiny")
        torch.manual_seed(1)
        net = torch.nn.Sequential(torch.nn.Linear(1, 2), qtorch.CircuitLayer(c), torch.nn.Linear(3, 1))
        x = torch.linspace(-1, 1, 20).reshape(-1, 1)
        loss = net(x).pow(2).mean()
        loss.backward()
        w = net[1].weight
        self.assertEqual(w.grad.dtype, torch.float32)
        self.assertTrue(bool(torch.isfinite(w.grad).all()) and float(w.grad.abs().sum()) > 0)
        self.assertTrue(float(net[0].weight.grad.abs().sum()) > 0)   # through the circuit's inputs
        x3 = torch.rand(2, 5, 2)                     # leading dimensions: one batch of 10
        torch.testing.assert_close(net[1](x3).reshape(10, 3), net[1](x3.reshape(10, 2)),
                                   rtol=0, atol=0)
        import copy
        twin = copy.deepcopy(net)                    # e.g. an EMA copy: shares the circuit
        torch.testing.assert_close(twin(x), net(x), rtol=0, atol=0)
        with self.assertRaises(qnn.QnnError) as cm:
            net[1](x.double().repeat(1, 2))
        self.assertIn("arrays of different dtypes", str(cm.exception))


if __name__ == "__main__":
    unittest.main(verbosity=2)
