/* qnn_shared.h: the C ABI of the shared libraries that `qnnc build FILE.qnn --emit shared -o
 * NAME` writes (NAME.so: the file's circuits compiled ahead of time, its models, and the qnn
 * runtime; no LLVM). It is what the Python package (python/qnn, over ctypes) calls, and any
 * other language with a C FFI can call the same functions.
 *
 *     char err[1024];
 *     if (qnn_abi_version() != QNN_ABI_VERSION) ...           // a library of another ABI
 *     qnn_lib *lib = qnn_lib_open(QNN_ABI_VERSION, 1, err, sizeof err);   // 1 thread
 *     qnn_circuit_info ci;
 *     qnn_lib_circuit_info(lib, 0, &ci, err, sizeof err);
 *     qnn_lib_circuit_forward(lib, 0, 64, params, ci.n_params, inputs, batch, ci.n_inputs,
 *                             outputs, ci.n_outputs, err, sizeof err);
 *     qnn_lib_close(lib);
 *
 * Circuits. Circuit k maps a batch of inputs[batch][n_inputs] and one parameter vector
 * params[n_params] to outputs[batch][n_outputs] (expectation values), as rt_circuit.h
 * defines; its vjp gives, for L = sum_b sum_k grad_outputs[b][k] * outputs[b][k], dL/dparams
 * (summed over the batch) and dL/dinputs[b][j]. Every buffer has the element type the circuit
 * was compiled for (precision 64: double, 32: float); `dtype_bits` says which type the caller
 * passes and must equal it, and the counts the caller passes (its arrays' shapes) must equal
 * the circuit's, so that a mismatch is a message rather than a read past an array. The batch
 * is split in chunks run on the library's threads exactly as `qnnc run` runs the circuit's
 * quantum layer (runtime/rt_qlayer.c), so results equal `qnnc run`'s bit for bit and never
 * depend on the number of threads.
 *
 * Models. Model k is the model of the file's experiment k (`qnnc build` --experiment picks
 * one), with the initial weights of its seed, as `qnnc run` builds it. Its tensors are named
 * as in the checkpoints ("layers.0.weight", "layers.2.weights1", ...) with PyTorch's shapes;
 * values are always double. A forward in training mode (batch norm with batch statistics,
 * running statistics updated) may be followed by one backward.
 *
 * Errors: every function that can fail returns 0 or -1 (NULL for open) with a one-line
 * message in err (which may be NULL; truncated to errlen). Nothing prints, nothing exits.
 *
 * Threads: a qnn_lib holds scratch for its circuits and the state of its models, so one
 * qnn_lib is used by one thread at a time (the Python package locks each handle); separate
 * handles (qnn_lib_open twice) may be used concurrently. Each handle runs its batches on
 * its own pool of `threads` threads (the caller's included). */
#ifndef QNN_SHARED_H
#define QNN_SHARED_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Raised whenever a function, a struct or a meaning below changes. */
#define QNN_ABI_VERSION 1

typedef struct qnn_lib qnn_lib;

typedef struct qnn_circuit_info {
    const char *name;       /* the circuit's name in the .qnn file (owned by the library) */
    int n_qubits, n_inputs, n_outputs, n_params;
    int precision;          /* 64 (double buffers) or 32 (float buffers) */
    int lanes;              /* samples simulated together by one call */
} qnn_circuit_info;

typedef struct qnn_model_info {
    const char *name;       /* the experiment's name */
    const char *source;     /* the .qnn file it was built from */
    int in_dim, out_dim;    /* coordinates in, values out per point */
    int n_tensors;          /* named tensors: parameters then buffers, in checkpoint order */
    long long n_params;     /* trained values (sum of the parameter tensors) */
    long long n_buffers;    /* saved, untrained values (batch-norm running statistics) */
    int precision;          /* of its circuits */
    int n_layers;
} qnn_model_info;

typedef struct qnn_tensor_info {
    const char *name;       /* "layers.0.weight" (owned by the handle) */
    int is_buffer;          /* 0: a parameter (has a gradient), 1: a buffer */
    long long offset;       /* in the flat parameter (or buffer) vector */
    long long count;
    int ndim;
    long long shape[8];     /* PyTorch's shape, as in the checkpoints */
} qnn_tensor_info;

/* The ABI this runtime implements, and the qnn release ("0.1.0"). */
int qnn_abi_version(void);
const char *qnn_version(void);
/* Defined by the library's generated code. abi: the QNN_ABI_VERSION the caller was written
 * for (refused with a message when it is not this library's); threads: 0 = all cores. */
qnn_lib *qnn_lib_open(int abi, int threads, char *err, size_t errlen);
void qnn_lib_close(qnn_lib *lib);   /* NULL is a no-op */
/* "qnnc VERSION, TRIPLE, cpu NAME" of the build that wrote the library. */
const char *qnn_lib_built_with(const qnn_lib *lib);

int qnn_lib_n_circuits(const qnn_lib *lib);
int qnn_lib_n_models(const qnn_lib *lib);
int qnn_lib_circuit_info(const qnn_lib *lib, int k, qnn_circuit_info *out, char *err, size_t errlen);

/* outputs[batch][n_outputs] = circuit k(params, inputs[b]). */
int qnn_lib_circuit_forward(qnn_lib *lib, int k, int dtype_bits, const void *params,
                            long long n_params, const void *inputs, long long batch,
                            long long n_inputs, void *outputs, long long n_outputs, char *err,
                            size_t errlen);
/* grad_params[n_params] (OVERWRITTEN, summed over the batch) and grad_inputs[batch][n_inputs]
 * (OVERWRITTEN; NULL to skip) for grad_outputs[batch][n_outputs]. */
int qnn_lib_circuit_vjp(qnn_lib *lib, int k, int dtype_bits, const void *params,
                        long long n_params, const void *inputs, long long batch,
                        long long n_inputs, const void *grad_outputs, long long n_outputs,
                        void *grad_params, void *grad_inputs, char *err, size_t errlen);

int qnn_lib_model_info(qnn_lib *lib, int k, qnn_model_info *out, char *err, size_t errlen);
int qnn_lib_model_tensor(qnn_lib *lib, int k, int t, qnn_tensor_info *out, char *err,
                         size_t errlen);
/* Copies of tensor t's values (count doubles) out of / into the model. */
int qnn_lib_model_get_tensor(qnn_lib *lib, int k, int t, double *data, long long count,
                             char *err, size_t errlen);
int qnn_lib_model_set_tensor(qnn_lib *lib, int k, int t, const double *data, long long count,
                             char *err, size_t errlen);
/* out[n][out_dim] for x[n][in_dim]. training = 1: batch norm uses (and updates) batch
 * statistics, and a backward may follow; 0: evaluation with the experiment's batchnorm_eval
 * (2: with the running statistics, 3: with the batch's). */
int qnn_lib_model_forward(qnn_lib *lib, int k, const double *x, long long n, long long in_dim,
                          double *out, long long out_dim, int training, char *err,
                          size_t errlen);
/* After a forward of n points: grad_params[n_params] = dL/dparams (OVERWRITTEN) and
 * grad_x[n][in_dim] (NULL to skip) for grad_out[n][out_dim]. */
int qnn_lib_model_backward(qnn_lib *lib, int k, const double *grad_out, long long n,
                           long long out_dim, double *grad_params, long long n_params,
                           double *grad_x, char *err, size_t errlen);
/* The experiment's training data as `qnnc run` prepares it (coords[n][in_dim], values
 * [n][out_dim]; the file searched as qnnc does: as given, $QNN_DATA_DIR, next to the .qnn
 * file, data/). *n is set to the number of points; the arrays are filled when n_max >= *n
 * (coords and values NULL, n_max 0: only the size). */
int qnn_lib_model_data(qnn_lib *lib, int k, double *coords, double *values, long long n_max,
                       long long *n, char *err, size_t errlen);
/* Weights from a checkpoint of `qnnc run` (or written by qnn_lib_model_save), validated
 * whole before one value changes; saved in the same format. */
int qnn_lib_model_load(qnn_lib *lib, int k, const char *path, char *err, size_t errlen);
int qnn_lib_model_save(qnn_lib *lib, int k, const char *path, char *err, size_t errlen);

/* ---- safetensors files (the runtime's strict reader and atomic writer) ---------------- */

typedef struct qnn_st qnn_st;
/* Reads and checks the whole file; values are converted to double (F32 files too). */
qnn_st *qnn_st_read(const char *path, char *err, size_t errlen);
void qnn_st_free(qnn_st *f);   /* NULL is a no-op */
int qnn_st_count(const qnn_st *f);
/* Tensor t (offset 0, is_buffer 0) and its values, owned by f. */
int qnn_st_tensor(const qnn_st *f, int t, qnn_tensor_info *out, const double **data, char *err,
                  size_t errlen);
int qnn_st_meta_count(const qnn_st *f);
int qnn_st_meta(const qnn_st *f, int i, const char **key, const char **value);
/* Writes n tensors (shapes[8 * i ...] of tensor i, ndims[i] <= 8) stored as float64 (f32 = 0)
 * or float32 (f32 = 1), with meta_count metadata pairs. */
int qnn_st_write(const char *path, int n, const char *const *names, const int *ndims,
                 const long long *shapes, const double *const *data, int f32,
                 const char *const *meta_keys, const char *const *meta_values, int meta_count,
                 char *err, size_t errlen);

/* ---- for the code that `qnnc build --emit shared` generates, not for callers ---------- */

struct rt_compiled_circuit;
struct qnn_model_desc;
/* What the generated code hands the runtime: every circuit of the library and every model
 * (each model with its own circuit table), plus the ABI the code was generated for. */
typedef struct qnn_shared_desc {
    int abi;
    const char *built_with;
    const char *source_path;  /* absolute path of the .qnn file at build time: data files are
                                 also looked for next to it, whatever the caller's folder */
    int n_circuits;
    const struct rt_compiled_circuit *circuits;
    int n_models;
    const struct qnn_model_desc *models;
} qnn_shared_desc;

/* qnn_lib_open of a generated library: `return qnn_shared_open(&desc, abi, threads, ...)`. */
qnn_lib *qnn_shared_open(const qnn_shared_desc *desc, int abi, int threads, char *err,
                         size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
