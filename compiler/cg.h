/* LLVM code generation: the last compiler phase. Turns one ir_circuit (after the passes) into
 * an LLVM module holding the two functions of runtime/rt_circuit.h (forward and vjp), for the
 * JIT (jit.h), for `qnnc emit-llvm`, and for object files (ahead-of-time builds).
 *
 * The generated code's structure, work-buffer layout and gradient methods are described in
 * docs/codegen.md. LLVM types appear here only as incomplete structs, so that including this
 * header needs no llvm-c headers (only cg*.c, jit.c and aot.c include llvm-c). */
#ifndef QNN_CG_H
#define QNN_CG_H

#include <stddef.h>

#include "ir.h"

#define CG_MAX_QUBITS 26 /* 2^26 amplitudes x lanes is already several GiB of work */

typedef enum {
    CG_GRAD_ADJOINT = 0, /* adjoint method: one forward and one backward sweep */
    CG_GRAD_SHIFT = 1    /* parameter-shift rule: 2 or 4 simulations per gate angle */
} cg_grad;

typedef struct cg_options {
    int precision;    /* 64 (double) or 32 (float); 0 means 64 */
    int lanes;        /* samples simulated together (power of 2, <= 64); 0 = target's SIMD width */
    int opt_level;    /* 0..3: LLVM's default<On> pipeline; the JIT uses 3 */
    cg_grad grad;     /* which gradient the vjp function computes */
    int test_corrupt; /* tests only: emit an invalid function so that verification fails */
    int shots;        /* 1 (with CG_GRAD_SHIFT): each shifted simulation is estimated from
                       * samples by the runtime's qnn_shots_sim (runtime/rt_shots.h); the
                       * circuit's outputs are then shots.h's raw outputs */
    int amp;          /* amplitudes in the lanes for calls with fewer samples than lanes
                       * (docs/codegen.md section 11): 0 = from CG_AMP_MIN_QUBITS qubits,
                       * 1 = whenever the layout fits (tests), -1 = never */
} cg_options;

#define CG_AMP_MIN_QUBITS 12

/* The amplitude layout of c compiled with options o (o->lanes > 0): calls of 1 .. *below - 1
 * samples run it (*below = 0: c does not get it); *sweeps, the ops of its sequence, against
 * *main_sweeps of the main one. For `build/bench` and `qnnc info`. */
void cg_amp_plan(const ir_circuit *c, const cg_options *o, int *below, int64_t *sweeps,
                 int64_t *main_sweeps);

/* A target; NULL or empty fields mean the host (triple, CPU name and CPU features). */
typedef struct cg_target {
    const char *triple, *cpu, *features;
} cg_target;

/* What the caller needs besides the code: sizes and symbol names. */
typedef struct cg_info {
    int lanes, precision;
    size_t work_bytes;        /* scratch per concurrent call (includes 64 bytes for alignment) */
    char forward_name[160];   /* <prefix>_forward: rt_forward_fn */
    char vjp_name[160];       /* <prefix>_vjp: rt_vjp_fn */
    char info_name[160];      /* <prefix>_info: const int64_t[8], see docs/codegen.md */
    /* The kept-state pair (rt_circuit.h: forward_keep, vjp_kept): <prefix>_forwardK keeps
     * each lane group's final state, <prefix>_vjpK starts from it instead of re-running the
     * forward simulation. state_bytes per lane group; 0 (names empty) when the circuit has
     * none (density matrices, parameter-shift gradients). */
    size_t state_bytes;
    char forward_keep_name[160];
    char vjp_kept_name[160];
} cg_info;

/* Registers every LLVM target (once per process; safe from several threads). The other
 * cg functions call it; aot.c needs it before resolving a triple. */
void cg_init_targets(void);

/* Lanes for a feature string ("+avx512f,..."; NULL = host): 512-bit vectors -> 8 doubles /
 * 16 floats, 256-bit -> 4 / 8, otherwise 128-bit -> 2 / 4. */
int cg_default_lanes(const char *features, int precision);

/* What `qnnc --version` and `qnnc doctor` report about LLVM: the version qnnc was built
 * against (its headers) and the one it runs with (the library), "19.1.7" style. */
void cg_llvm_version(char *built, size_t nbuilt, char *running, size_t nrunning);

/* The host CPU as LLVM sees it: its name and feature string ("+avx2,-avx512f,..."), both
 * malloc'ed (the caller frees them). 0, or -1 when out of memory. */
int cg_host_cpu(char **name, char **features);

/* Checks that the circuit is something the code generator accepts (qubit count, wires,
 * expression indices, fused members). 0 or -1 with a message naming the circuit and op. */
int cg_check(const ir_circuit *c, char *err, size_t errlen);

/* Builds, verifies and optimises the module in ctx (borrowed: the caller's context, which
 * must outlive the module). Returns the module, owned by the caller, or NULL with a message
 * (the partial module is disposed of). Function names are <prefix>_forward / _vjp / _info
 * (and _forwardK / _vjpK where info->state_bytes > 0); prefix must be a C identifier. */
struct LLVMOpaqueContext;
struct LLVMOpaqueModule;
struct LLVMOpaqueModule *cg_build(struct LLVMOpaqueContext *ctx, const ir_circuit *c,
                                  const cg_options *o, const cg_target *t, const char *prefix,
                                  cg_info *info, char *err, size_t errlen);

/* The module as LLVM assembly text (after the opt_level pipeline); malloc'ed, the caller
 * frees it. NULL with a message on failure. */
char *cg_emit_llvm_text(const ir_circuit *c, const cg_options *o, const cg_target *t,
                        const char *prefix, char *err, size_t errlen);

/* Writes a relocatable object file for the target with the three symbols above. info may be
 * NULL. 0 or -1 with a message. */
int cg_emit_object(const ir_circuit *c, const cg_options *o, const cg_target *t,
                   const char *prefix, const char *path, cg_info *info, char *err,
                   size_t errlen);

/* Library functions that generated code may call, listed once: the JIT binds exactly these
 * (jit.c) and the tests check that each resolves. Calls introduced by LLVM itself (memset,
 * sincos) are included. X(name) for double, XF for the float variant. */
#define CG_RUNTIME_SYMBOLS(X) \
    X(sin) X(cos) X(tan) X(exp) X(log) X(sqrt) X(tanh) X(atan) X(asin) X(acos) \
    X(sinf) X(cosf) X(tanf) X(expf) X(logf) X(sqrtf) X(tanhf) X(atanf) X(asinf) X(acosf) \
    X(sincos) X(sincosf) X(memset) X(memcpy) X(memmove) X(memcmp) X(qnn_shots_sim) X(qnn_shots_simf) \
    CG_VECMATH_SYMBOLS(X)

/* glibc's libmvec (x86-64 vector ABI: b = SSE 128-bit, d = AVX2 256-bit, e = AVX-512): per-lane
 * sin and cos of a whole <W x T> in one call, where the build found libmvec (the Makefile
 * defines QNN_HAVE_LIBMVEC and links -lmvec; native builds link it too). Their error is
 * glibc's documented bound for them, 4 ulp; test_jit measures it against libm. */
#ifdef QNN_HAVE_LIBMVEC
#define CG_VECMATH_SYMBOLS(X) \
    X(_ZGVbN2v_sin) X(_ZGVbN2v_cos) X(_ZGVbN4v_sinf) X(_ZGVbN4v_cosf) \
    X(_ZGVdN4v_sin) X(_ZGVdN4v_cos) X(_ZGVdN8v_sinf) X(_ZGVdN8v_cosf) \
    X(_ZGVeN8v_sin) X(_ZGVeN8v_cos) X(_ZGVeN16v_sinf) X(_ZGVeN16v_cosf)
#else
#define CG_VECMATH_SYMBOLS(X)
#endif

#endif
