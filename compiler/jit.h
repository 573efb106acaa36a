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
} jit_options;

/* {64, 0, 3, CG_GRAD_ADJOINT, 0}; jit_compile with NULL options uses these. */
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

/* Looks up every CG_RUNTIME_SYMBOLS entry through the JIT and checks that it resolves to the
 * process's function. 0 or -1 with the first failure. */
int jit_check_runtime_symbols(jit_session *s, char *err, size_t errlen);

/* Frees the JIT, its code and its names; every rt_circuit it produced becomes invalid. */
void jit_destroy(jit_session *s);

#endif
