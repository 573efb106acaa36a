/* In-process compilation of circuits: code generation (cg.h) followed by LLVM's ORC LLJIT,
 * producing the rt_circuit (runtime/rt_circuit.h) that the runtime's quantum layer calls.
 * A session owns the JIT and all code compiled in it; circuits stay valid until
 * jit_destroy. No llvm-c types here. */
#ifndef QNN_JIT_H
#define QNN_JIT_H

#include <stddef.h>

#include "cg.h"
#include "ir.h"
#include "rt_circuit.h"

typedef struct jit_session jit_session;

typedef struct jit_options {
    int precision;    /* 64 (double) or 32 (float); 0 means 64 */
    int lanes;        /* samples per SIMD group; 0 = the host's vector width */
    int opt_level;    /* LLVM pipeline default<On>, 0..3 (jit_default_options: 3) */
    cg_grad grad;     /* vjp by the adjoint method (default) or by parameter shift */
    int test_corrupt; /* tests only: make the LLVM verifier fail */
    int shots;        /* cg_options.shots: a circuit from shots.h, sampled shifted runs */
    int amp;          /* cg_options.amp: amplitudes in the lanes (0 auto, 1 forced, -1 off) */
} jit_options;

/* {64, 0, 3, CG_GRAD_ADJOINT, 0, 0, 0}; jit_compile with NULL options uses these. */
jit_options jit_default_options(void);

/* A JIT for the host CPU with the runtime symbols (CG_RUNTIME_SYMBOLS) bound. NULL with a
 * message on failure. */
jit_session *jit_create(char *err, size_t errlen);

/* Compiles c (not retained: the caller may free it afterwards) and fills *out; out->name is
 * a copy owned by the session. 0, or -1 with a message naming the circuit. One session is
 * not to be used from two threads at once; the compiled functions may be called from any
 * number of threads (each with its own work buffer). */
int jit_compile(jit_session *s, const ir_circuit *c, const jit_options *o, rt_circuit *out,
                char *err, size_t errlen);

/* Links an object file written by cg_emit_object (for this host) into the session and fills
 * *out from its <prefix>_info record. 0 or -1 with a message. */
int jit_load_object(jit_session *s, const char *path, const char *prefix, rt_circuit *out,
                    char *err, size_t errlen);

/* The session's target (the host), for cache keys: the strings belong to the session. */
void jit_target(const jit_session *s, cg_target *t);

/* Lanes that jit_options.lanes 0 stands for at this precision on the session's target. */
int jit_lanes(const jit_session *s, const jit_options *o);

/* Compiles c (not retained) into a relocatable object in memory, for the session's target and
 * with the JIT's code generation settings: exactly the code jit_compile links. The symbols are
 * <prefix>_forward / _vjp / _info (prefix: a C identifier). *obj is malloc'ed (the caller
 * frees it). 0, or -1 with a message naming the circuit. */
int jit_emit_object(jit_session *s, const ir_circuit *c, const jit_options *o, const char *prefix,
                    unsigned char **obj, size_t *len, char *err, size_t errlen);

/* Links an object image (copied: obj may be freed afterwards) from jit_emit_object into the
 * session and fills *out from its <prefix>_info record; out->name is a copy of name. When
 * want is not NULL, the record must describe that circuit (qubits, inputs, outputs,
 * parameters) at want_precision and want_lanes (an object from the cache is checked so).
 * 0 or -1 with a message. */
int jit_add_object(jit_session *s, const unsigned char *obj, size_t len, const char *prefix,
                   const char *name, const ir_circuit *want, int want_precision, int want_lanes,
                   rt_circuit *out, char *err, size_t errlen);

/* Looks up every CG_RUNTIME_SYMBOLS entry through the JIT and checks that it resolves to the
 * process's function. 0 or -1 with the first failure. */
int jit_check_runtime_symbols(jit_session *s, char *err, size_t errlen);

/* Frees the JIT, its code and its names; every rt_circuit it produced becomes invalid. */
void jit_destroy(jit_session *s);

#endif
