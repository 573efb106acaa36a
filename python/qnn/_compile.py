"""qnn.compile: `qnnc build FILE --emit shared` into a cache folder keyed by everything the
result depends on (the file, the files it imports, the options, the qnnc binary), so that an
unchanged file is compiled once."""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile

from ._abi import QnnError

_HERE = os.path.dirname(os.path.abspath(__file__))


def find_qnnc(qnnc=None):
    """qnnc as given, else $QNNC, else on the PATH, else the source tree's build/qnnc (this
    package in python/qnn), else the installation's (PREFIX/lib/python3*/dist-packages/qnn)."""
    for cand in (qnnc, os.environ.get("QNNC"), shutil.which("qnnc"),
                 os.path.join(_HERE, "..", "..", "build", "qnnc"),
                 os.path.join(_HERE, "..", "..", "..", "..", "bin", "qnnc")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    raise QnnError("cannot find qnnc: set $QNNC, put qnnc on the PATH, or build the source tree "
                   "(make)")


def cache_root(cache_dir=None):
    if cache_dir:
        return cache_dir
    base = os.environ.get("QNN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "qnn")
    return os.path.join(base, "python")


def _stdlib_dirs(qnnc):
    d = os.path.dirname(qnnc)
    return [os.path.join(d, "..", "stdlib"), os.path.join(d, "..", "share", "qnn", "stdlib")]


def _hash_sources(h, path, qnnc, seen):
    """The file and, recursively, every import that resolves next to it or in the stdlib."""
    path = os.path.realpath(path)
    if path in seen:
        return
    seen.add(path)
    with open(path, "rb") as f:
        text = f.read()
    h.update(path.encode() + b"\0" + text + b"\0")
    for name in re.findall(rb'import\s+"([^"]+)"', text):
        name = name.decode("utf-8", "replace")
        for d in [os.path.dirname(path)] + _stdlib_dirs(qnnc):
            cand = os.path.join(d, name)
            if os.path.isfile(cand):
                _hash_sources(h, cand, qnnc, seen)
                break


def compile_file(path, precision="f64", experiment=None, qnnc=None, cache_dir=None, args=()):
    if precision not in ("f64", "f32"):
        raise QnnError(f"precision must be 'f64' or 'f32', not {precision!r}")
    if not os.path.isfile(path):
        raise QnnError(f"{path}: no such file")
    qnnc = find_qnnc(qnnc)
    path = os.path.abspath(path)   # the library then finds data next to the file from anywhere
    opts = ["--precision", precision] + (["--experiment", experiment] if experiment else []) + list(args)
    h = hashlib.sha256()
    st = os.stat(qnnc)
    h.update(f"{qnnc}\0{st.st_size}\0{st.st_mtime_ns}\0{opts}\0".encode())
    _hash_sources(h, path, qnnc, set())
    root = cache_root(cache_dir)
    os.makedirs(root, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_]", "_", os.path.splitext(os.path.basename(path))[0])
    so = os.path.join(root, f"{stem}-{h.hexdigest()[:20]}.so")
    if os.path.isfile(so):
        return so
    # Built beside the final name and renamed: a concurrent compile never sees half a file.
    tmp = tempfile.mkdtemp(dir=root, prefix=".build-")
    try:
        out = os.path.join(tmp, stem)
        r = subprocess.run([qnnc, "build", path, "--emit", "shared", "-o", out, "--quiet"] + opts,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise QnnError((r.stderr or r.stdout).strip() or f"qnnc build failed ({r.returncode})")
        os.replace(out + ".so", so)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return so


# The smallest library: what read_safetensors/write_safetensors use when no library is loaded.
_HELPER = """// qnn Python package: the runtime's safetensors functions (a tiny library).
circuit qnn_py_helper() { qubits q[1]; input x[1]; ry(x[0]) q[0]; expval Z(q[0]); }
model qnn_py_helper_model() { quantum qnn_py_helper(); }
experiment qnn_py_helper_exp {
    data = csv(path = "none.csv", inputs = 1, outputs = 1);
    model = qnn_py_helper_model();
}
"""

_loaded = []   # paths of libraries loaded in this process, newest last


def note_loaded(path):
    _loaded.append(path)


def helper_library():
    if _loaded:
        return _loaded[-1]
    root = cache_root()
    os.makedirs(root, exist_ok=True)
    src = os.path.join(root, "qnn_py_helper.qnn")
    if not os.path.isfile(src) or open(src).read() != _HELPER:
        with open(src + ".tmp", "w") as f:
            f.write(_HELPER)
        os.replace(src + ".tmp", src)
    so = compile_file(src)
    note_loaded(so)
    return so
