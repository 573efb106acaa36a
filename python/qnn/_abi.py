"""ctypes declarations of runtime/qnn_shared.h (ABI 1). Every function that can fail takes an
error buffer; check() turns its message into a qnn.QnnError with the same text."""
import ctypes as C

ABI_VERSION = 1
ERRLEN = 2048


class QnnError(ValueError):
    """An error reported by the qnn runtime or a mismatch found before calling it. The message
    is the runtime's own, unchanged."""


class CircuitInfo(C.Structure):
    _fields_ = [("name", C.c_char_p), ("n_qubits", C.c_int), ("n_inputs", C.c_int),
                ("n_outputs", C.c_int), ("n_params", C.c_int), ("precision", C.c_int),
                ("lanes", C.c_int)]


class ModelInfo(C.Structure):
    _fields_ = [("name", C.c_char_p), ("source", C.c_char_p), ("in_dim", C.c_int),
                ("out_dim", C.c_int), ("n_tensors", C.c_int), ("n_params", C.c_longlong),
                ("n_buffers", C.c_longlong), ("precision", C.c_int), ("n_layers", C.c_int)]


class TensorInfo(C.Structure):
    _fields_ = [("name", C.c_char_p), ("is_buffer", C.c_int), ("offset", C.c_longlong),
                ("count", C.c_longlong), ("ndim", C.c_int), ("shape", C.c_longlong * 8)]


_vp, _ll, _int, _sz, _cp = C.c_void_p, C.c_longlong, C.c_int, C.c_size_t, C.c_char_p
_dp = C.POINTER(C.c_double)

# name: (restype, argtypes); every one ending in (char *err, size_t errlen) is checked.
_FUNCS = {
    "qnn_abi_version": (_int, []),
    "qnn_version": (_cp, []),
    "qnn_lib_open": (_vp, [_int, _int, _cp, _sz]),
    "qnn_lib_close": (None, [_vp]),
    "qnn_lib_built_with": (_cp, [_vp]),
    "qnn_lib_n_circuits": (_int, [_vp]),
    "qnn_lib_n_models": (_int, [_vp]),
    "qnn_lib_circuit_info": (_int, [_vp, _int, C.POINTER(CircuitInfo), _cp, _sz]),
    "qnn_lib_circuit_forward": (_int, [_vp, _int, _int, _vp, _ll, _vp, _ll, _ll, _vp, _ll, _cp, _sz]),
    "qnn_lib_circuit_vjp": (_int, [_vp, _int, _int, _vp, _ll, _vp, _ll, _ll, _vp, _ll, _vp, _vp,
                                   _cp, _sz]),
    "qnn_lib_model_info": (_int, [_vp, _int, C.POINTER(ModelInfo), _cp, _sz]),
    "qnn_lib_model_tensor": (_int, [_vp, _int, _int, C.POINTER(TensorInfo), _cp, _sz]),
    "qnn_lib_model_get_tensor": (_int, [_vp, _int, _int, _vp, _ll, _cp, _sz]),
    "qnn_lib_model_set_tensor": (_int, [_vp, _int, _int, _vp, _ll, _cp, _sz]),
    "qnn_lib_model_forward": (_int, [_vp, _int, _vp, _ll, _ll, _vp, _ll, _int, _cp, _sz]),
    "qnn_lib_model_backward": (_int, [_vp, _int, _vp, _ll, _ll, _vp, _ll, _vp, _cp, _sz]),
    "qnn_lib_model_data": (_int, [_vp, _int, _vp, _vp, _ll, C.POINTER(_ll), _cp, _sz]),
    "qnn_lib_model_load": (_int, [_vp, _int, _cp, _cp, _sz]),
    "qnn_lib_model_save": (_int, [_vp, _int, _cp, _cp, _sz]),
    "qnn_st_read": (_vp, [_cp, _cp, _sz]),
    "qnn_st_free": (None, [_vp]),
    "qnn_st_count": (_int, [_vp]),
    "qnn_st_tensor": (_int, [_vp, _int, C.POINTER(TensorInfo), C.POINTER(_dp), _cp, _sz]),
    "qnn_st_meta_count": (_int, [_vp]),
    "qnn_st_meta": (_int, [_vp, _int, C.POINTER(_cp), C.POINTER(_cp)]),
    "qnn_st_write": (_int, [_cp, _int, C.POINTER(_cp), C.POINTER(_int), C.POINTER(_ll),
                            C.POINTER(_dp), _int, C.POINTER(_cp), C.POINTER(_cp), _int, _cp, _sz]),
}


def bind(path):
    """The library at path with its functions declared, after checking its ABI number: a
    library of another ABI may have other signatures, so nothing else is called on it."""
    try:
        dll = C.CDLL(path)
    except OSError as e:
        raise QnnError(f"cannot load {path}: {e}") from None
    try:
        version = dll.qnn_abi_version
    except AttributeError:
        raise QnnError(f"{path} is not a qnn library (no qnn_abi_version): build it with "
                       "qnnc build FILE.qnn --emit shared") from None
    version.restype, version.argtypes = C.c_int, []
    abi = version()
    if abi != ABI_VERSION:
        raise QnnError(f"{path} implements qnn ABI {abi}; this qnn Python package speaks ABI "
                       f"{ABI_VERSION}: rebuild the library with the matching qnnc")
    for name, (res, args) in _FUNCS.items():
        try:
            f = getattr(dll, name)
        except AttributeError:
            raise QnnError(f"{path}: qnn ABI {abi} library without {name}") from None
        f.restype, f.argtypes = res, args
    return dll


def errbuf():
    return C.create_string_buffer(ERRLEN)


def check(rc, err):
    """Raises the runtime's message for a failed call (rc -1 or a NULL handle)."""
    if rc is None or rc == -1:
        raise QnnError(err.value.decode("utf-8", "replace"))
    return rc
