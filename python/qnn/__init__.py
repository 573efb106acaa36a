"""qnn from Python: circuits and models compiled by qnnc, called through the C ABI of the
shared libraries that `qnnc build FILE.qnn --emit shared` writes (runtime/qnn_shared.h).

    import qnn
    lib = qnn.compile("examples/image_qiren.qnn")        # or qnn.load("model.so")
    c = lib.circuits[0]
    y = c(params, x)                                      # x[batch][n_inputs] -> y[batch][n_outputs]
    gp, gx = c.vjp(params, x, dy)

Pure Python over ctypes and NumPy; qnn.torch adds a PyTorch layer. docs/python.md."""
import ctypes as C
import threading

import numpy as np

from ._abi import ABI_VERSION, QnnError, CircuitInfo, ModelInfo, TensorInfo, bind, check, errbuf
from ._compile import compile_file, find_qnnc, note_loaded

__all__ = ["ABI_VERSION", "QnnError", "Library", "Circuit", "Model", "load", "compile",
           "find_qnnc", "read_safetensors", "write_safetensors"]

_DTYPES = {64: np.float64, 32: np.float32}


def _ptr(a):
    return None if a is None else a.ctypes.data_as(C.c_void_p)


def _float_array(a, dtype, what):
    """a as a C-contiguous array: float32/float64 arrays keep their dtype (a mismatch with the
    circuit is then the runtime's message); anything else is converted to dtype."""
    if isinstance(a, np.ndarray) and a.dtype in (np.float32, np.float64):
        return np.ascontiguousarray(a)
    try:
        return np.ascontiguousarray(np.asarray(a, dtype=dtype))
    except (TypeError, ValueError) as e:
        raise QnnError(f"{what}: not an array of numbers ({e})") from None


def _same_dtype(name, **arrays):
    kinds = {k: a.dtype for k, a in arrays.items() if a is not None}
    if len(set(kinds.values())) > 1:
        raise QnnError(f"circuit '{name}': arrays of different dtypes ("
                       + ", ".join(f"{k} {v}" for k, v in kinds.items()) + ")")
    return next(iter(kinds.values()))


class Library:
    """A loaded qnn shared library: its circuits and models. One C handle, locked per call, so
    a Library may be shared between Python threads (calls run one at a time); open the file
    again (qnn.load) for calls that run concurrently."""

    def __init__(self, path, threads=0):
        self.path = str(path)
        self._dll = bind(self.path)
        self._lock = threading.Lock()
        err = errbuf()
        self._h = check(self._dll.qnn_lib_open(ABI_VERSION, int(threads), err, len(err)), err)
        self.version = self._dll.qnn_version().decode()
        self.built_with = self._dll.qnn_lib_built_with(self._h).decode()
        self.circuits = [Circuit(self, k) for k in range(self._dll.qnn_lib_n_circuits(self._h))]
        self.models = [Model(self, k) for k in range(self._dll.qnn_lib_n_models(self._h))]
        note_loaded(self.path)

    def call(self, name, *args):
        """Calls a checked ABI function (the handle and the error buffer added)."""
        err = errbuf()
        with self._lock:
            if not self._h:
                raise QnnError(f"{self.path}: the library is closed")
            return check(getattr(self._dll, name)(self._h, *args, err, len(err)), err)

    def circuit(self, name):
        for c in self.circuits:
            if c.name == name:
                return c
        raise QnnError(f"{self.path} has no circuit '{name}' (it has "
                       + ", ".join(c.name for c in self.circuits) + ")")

    def model(self, name=None):
        for m in self.models:
            if name is None or m.name == name:
                return m
        raise QnnError(f"{self.path} has no model '{name}' (it has "
                       + ", ".join(m.name for m in self.models) + ")")

    def close(self):
        with self._lock:
            if self._h:
                self._dll.qnn_lib_close(self._h)
                self._h = None

    def __del__(self):
        if getattr(self, "_h", None):
            self.close()

    def __repr__(self):
        return (f"<qnn.Library {self.path}: circuits {[c.name for c in self.circuits]}, "
                f"models {[m.name for m in self.models]}>")


class Circuit:
    """A compiled circuit: call it for outputs, vjp for gradients (docs/python.md)."""

    def __init__(self, lib, k):
        info = CircuitInfo()
        lib.call("qnn_lib_circuit_info", k, C.byref(info))
        self.lib, self.index = lib, k
        self.name = info.name.decode()
        self.n_qubits, self.n_inputs, self.n_outputs = info.n_qubits, info.n_inputs, info.n_outputs
        self.n_params, self.precision, self.lanes = info.n_params, info.precision, info.lanes
        self.dtype = np.dtype(_DTYPES[info.precision])

    def _prepare(self, params, inputs, grad_outputs=None):
        p = _float_array(params, self.dtype, "params").reshape(-1)
        x = _float_array(inputs, self.dtype, "inputs")
        single = x.ndim == 1
        if x.ndim not in (1, 2):
            raise QnnError(f"circuit '{self.name}': inputs must be [batch][{self.n_inputs}] or "
                           f"[{self.n_inputs}]; got shape {list(x.shape)}")
        x2 = x.reshape(1, -1) if single else x
        dy = None
        if grad_outputs is not None:
            dy = _float_array(grad_outputs, self.dtype, "grad_outputs")
            dy = dy.reshape(1, -1) if single and dy.ndim == 1 else dy
            if dy.ndim != 2 or dy.shape[0] != x2.shape[0]:
                raise QnnError(f"circuit '{self.name}': grad_outputs of shape {list(dy.shape)} "
                               f"for {x2.shape[0]} samples; expected "
                               f"[{x2.shape[0]}][{self.n_outputs}]")
        dt = _same_dtype(self.name, params=p, inputs=x2, grad_outputs=dy)
        return p, x2, dy, dt, single

    def __call__(self, params, inputs):
        """outputs[batch][n_outputs] for inputs[batch][n_inputs] (or one sample [n_inputs])."""
        p, x, _, dt, single = self._prepare(params, inputs)
        y = np.empty((x.shape[0], self.n_outputs), dtype=dt)
        self.lib.call("qnn_lib_circuit_forward", self.index, dt.itemsize * 8, _ptr(p), p.size,
                      _ptr(x), x.shape[0], x.shape[1], _ptr(y), y.shape[1])
        return y[0] if single else y

    def vjp(self, params, inputs, grad_outputs, input_grad=True):
        """(dL/dparams [n_params], dL/dinputs like inputs) for L = sum(grad_outputs * outputs);
        the parameter gradient is summed over the batch. input_grad=False skips (None)."""
        p, x, dy, dt, single = self._prepare(params, inputs, grad_outputs)
        gp = np.empty(p.size, dtype=dt)
        gx = np.empty(x.shape, dtype=dt) if input_grad else None
        self.lib.call("qnn_lib_circuit_vjp", self.index, dt.itemsize * 8, _ptr(p), p.size, _ptr(x),
                      x.shape[0], x.shape[1], _ptr(dy), dy.shape[1], _ptr(gp), _ptr(gx))
        if gx is not None and single:
            gx = gx[0]
        return gp, gx

    def __deepcopy__(self, memo):
        # compiled code, no per-copy state: copy.deepcopy of a torch model shares it
        return self

    def init_params(self, rng=None):
        """Parameters uniform in [0, 2 pi), as PennyLane's TorchLayer and QIREN initialise."""
        rng = np.random.default_rng() if rng is None else rng
        return (rng.random(self.n_params) * 2 * np.pi).astype(self.dtype)

    def __repr__(self):
        return (f"<qnn.Circuit {self.name}: {self.n_qubits} qubits, {self.n_inputs} inputs, "
                f"{self.n_outputs} outputs, {self.n_params} params, float{self.precision}>")


class Model:
    """The model of one experiment of the file (all its layers), float64 throughout. Starts
    with the initial weights of the experiment's seed (those of `qnnc run`)."""

    def __init__(self, lib, k):
        info = ModelInfo()
        lib.call("qnn_lib_model_info", k, C.byref(info))
        self.lib, self.index = lib, k
        self.name, self.source = info.name.decode(), info.source.decode()
        self.in_dim, self.out_dim = info.in_dim, info.out_dim
        self.n_params, self.n_buffers, self.precision = info.n_params, info.n_buffers, info.precision
        self.tensors = []          # (name, is_buffer, shape), checkpoint order
        for t in range(info.n_tensors):
            ti = TensorInfo()
            lib.call("qnn_lib_model_tensor", k, t, C.byref(ti))
            self.tensors.append((ti.name.decode(), bool(ti.is_buffer),
                                 tuple(ti.shape[d] for d in range(ti.ndim))))

    def _get(self, want_buffers):
        out = {}
        for t, (name, is_buf, shape) in enumerate(self.tensors):
            if is_buf == want_buffers:
                a = np.empty(shape, dtype=np.float64)
                self.lib.call("qnn_lib_model_get_tensor", self.index, t, _ptr(a), a.size)
                out[name] = a
        return out

    @property
    def parameters(self):
        """{name: array} copies of the trained tensors ("layers.0.weight", ...)."""
        return self._get(False)

    @property
    def buffers(self):
        """{name: array} copies of the untrained state (batch-norm running statistics)."""
        return self._get(True)

    def set_tensors(self, tensors):
        """Copies {name: array} into the model (parameters or buffers; shapes must match)."""
        index = {name: t for t, (name, _, _) in enumerate(self.tensors)}
        for name, value in tensors.items():
            if name not in index:
                raise QnnError(f"{self.name}: no tensor {name}")
            a = np.ascontiguousarray(value, dtype=np.float64)
            self.lib.call("qnn_lib_model_set_tensor", self.index, index[name], _ptr(a), a.size)

    def _x(self, x):
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim == 1 and self.in_dim == 1:
            x = x.reshape(-1, 1)
        if x.ndim != 2:
            raise QnnError(f"{self.name}: points must be [n][{self.in_dim}]; got shape {list(x.shape)}")
        return x

    def _forward(self, x, mode):
        x = self._x(x)
        y = np.empty((x.shape[0], self.out_dim))
        self.lib.call("qnn_lib_model_forward", self.index, _ptr(x), x.shape[0], x.shape[1], _ptr(y),
                      self.out_dim, mode)
        return y

    def forward(self, x, training=True):
        """out[n][out_dim]; training=True (batch statistics, running ones updated) allows a
        backward next."""
        y = self._forward(x, 1 if training else 0)
        self._n = y.shape[0]
        return y

    _BATCHNORM_MODES = {None: 0, "running": 2, "batch": 3}

    def predict(self, x, batchnorm=None):
        """out[n][out_dim] in evaluation mode; batchnorm None (the experiment's batchnorm_eval),
        "running" or "batch"."""
        if batchnorm not in self._BATCHNORM_MODES:
            raise QnnError(f"{self.name}: batchnorm must be None, 'running' or 'batch', not {batchnorm!r}")
        return self._forward(x, self._BATCHNORM_MODES[batchnorm])

    def backward(self, grad_out):
        """({name: dL/dparam}, dL/dx) after forward(x, training=True)."""
        dy = np.ascontiguousarray(grad_out, dtype=np.float64)
        if dy.ndim == 1 and self.out_dim == 1:
            dy = dy.reshape(-1, 1)
        if dy.ndim != 2:
            raise QnnError(f"{self.name}: grad_out must be [n][{self.out_dim}]")
        g = np.empty(self.n_params)
        gx = np.empty((dy.shape[0], self.in_dim))
        self.lib.call("qnn_lib_model_backward", self.index, _ptr(dy), dy.shape[0], dy.shape[1],
                      _ptr(g), g.size, _ptr(gx))
        grads, off = {}, 0
        for name, is_buf, shape in self.tensors:
            if not is_buf:
                n = int(np.prod(shape))
                grads[name] = g[off:off + n].reshape(shape)
                off += n
        return grads, gx

    def data(self):
        """(coords [n][in_dim], values [n][out_dim]): the experiment's training data exactly as
        `qnnc run` prepares it (the file found as qnnc finds it, $QNN_DATA_DIR included)."""
        n = C.c_longlong()
        self.lib.call("qnn_lib_model_data", self.index, None, None, 0, C.byref(n))
        x, y = np.empty((n.value, self.in_dim)), np.empty((n.value, self.out_dim))
        self.lib.call("qnn_lib_model_data", self.index, _ptr(x), _ptr(y), n.value, C.byref(n))
        return x, y

    def load(self, path):
        """Weights from a checkpoint of `qnnc run` (validated whole first)."""
        self.lib.call("qnn_lib_model_load", self.index, str(path).encode())

    def save(self, path):
        self.lib.call("qnn_lib_model_save", self.index, str(path).encode())

    def __repr__(self):
        return f"<qnn.Model {self.name}: {self.in_dim} -> {self.out_dim}, {self.n_params} params>"


def load(path, threads=0):
    """A shared library written by `qnnc build FILE --emit shared -o NAME` (NAME.so).
    threads: simulation threads per call, the caller's included; 0 = all cores."""
    return Library(path, threads)


def compile(path, precision="f64", experiment=None, threads=0, qnnc=None, cache_dir=None,
            args=()):
    """Builds the .qnn file with `qnnc build --emit shared` into the cache (keyed by the file's
    content, its imports and the options; reused when unchanged) and loads it."""
    so = compile_file(path, precision=precision, experiment=experiment, qnnc=qnnc,
                      cache_dir=cache_dir, args=args)
    return load(so, threads)


def _lib_for_files():
    """Any loaded library carries the safetensors functions; the runtime's are used so that
    files are checked exactly as qnnc checks checkpoints."""
    from ._compile import helper_library
    return bind(helper_library())


def read_safetensors(path, metadata=False):
    """{name: float64 array} of a safetensors file (and its metadata dict if asked)."""
    dll = _lib_for_files()
    err = errbuf()
    h = check(dll.qnn_st_read(str(path).encode(), err, len(err)), err)
    try:
        out = {}
        for t in range(dll.qnn_st_count(h)):
            ti, data = TensorInfo(), C.POINTER(C.c_double)()
            check(dll.qnn_st_tensor(h, t, C.byref(ti), C.byref(data), err, len(err)), err)
            shape = tuple(ti.shape[d] for d in range(ti.ndim))
            out[ti.name.decode()] = np.ctypeslib.as_array(data, (max(ti.count, 1),))[:ti.count] \
                .copy().reshape(shape) if ti.count else np.zeros(shape)
        meta = {}
        for i in range(dll.qnn_st_meta_count(h)):
            k, v = C.c_char_p(), C.c_char_p()
            dll.qnn_st_meta(h, i, C.byref(k), C.byref(v))
            meta[k.value.decode()] = v.value.decode()
    finally:
        dll.qnn_st_free(h)
    return (out, meta) if metadata else out


def write_safetensors(path, tensors, metadata=None, dtype="f64"):
    """Writes {name: array} (values stored as float64, or float32 with dtype="f32"), atomically."""
    dll = _lib_for_files()
    names = list(tensors)
    arrays = [np.asarray(tensors[n], dtype=np.float64, order="C") for n in names]  # keeps 0-d
    n = len(names)
    c_names = (C.c_char_p * max(n, 1))(*[s.encode() for s in names])
    ndims = (C.c_int * max(n, 1))(*[a.ndim for a in arrays])
    shapes = (C.c_longlong * (8 * max(n, 1)))()
    for i, a in enumerate(arrays):
        if a.ndim > 8:
            raise QnnError(f"{path}: tensor {names[i]} has {a.ndim} dimensions (at most 8)")
        for d, s in enumerate(a.shape):
            shapes[8 * i + d] = s
    datas = (C.POINTER(C.c_double) * max(n, 1))(*[a.ctypes.data_as(C.POINTER(C.c_double)) for a in arrays])
    meta = dict(metadata or {})
    keys = (C.c_char_p * max(len(meta), 1))(*[k.encode() for k in meta])
    vals = (C.c_char_p * max(len(meta), 1))(*[v.encode() for v in meta.values()])
    err = errbuf()
    check(dll.qnn_st_write(str(path).encode(), n, c_names, ndims, shapes, datas,
                           1 if dtype == "f32" else 0, keys, vals, len(meta), err, len(err)), err)
