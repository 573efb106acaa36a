/* JIT: the end of the compiler pipeline when a model is trained in-process. Takes the module
 * from cg_build and links it with ORC LLJIT; the resulting addresses become an rt_circuit.
 *
 * Ownership of LLVM objects, hand-off by hand-off:
 *  - jit_session owns the LLJIT (LLVMOrcDisposeLLJIT in jit_destroy frees the code, the
 *    JITDylib, the symbol definitions and every module it ever took).
 *  - jit_create: builder -> LLVMOrcCreateLLJIT (consumes it, even on failure); target
 *    machine -> JITTargetMachineBuilder (consumes the TM) -> builder (consumes the JTMB);
 *    absolute-symbol materialization unit -> JITDylib (on failure we dispose of it);
 *    process-symbol generator -> JITDylib.
 *  - jit_emit_object: we create an LLVMContext and lend it to cg_build, which returns a
 *    module we own; the session's emission target machine (created in jit_create with the
 *    JIT's settings, disposed of in jit_destroy) writes it into a memory buffer that we copy
 *    and dispose of, then we dispose of the module and the context.
 *  - jit_compile = jit_emit_object + jit_add_object: every circuit, cached or not, reaches
 *    the JIT as an object file, so a cached object is the very code a fresh compile links.
 *  - jit_add_object / jit_load_object: the memory buffer (a copy of the caller's bytes, or the
 *    file's contents) goes to LLVMOrcLLJITAddObjectFile, which owns it, failure included.
 *  - Error and message strings are disposed of where they are read. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

#include "jit.h"
#include "rt_shots.h" /* qnn_shots_sim(f), called by circuits compiled for shots */

/* GNU extensions that LLVM emits for sin/cos pairs; not declared under _POSIX_C_SOURCE. */
void sincos(double x, double *s, double *c);
void sincosf(float x, float *s, float *c);
/* libmvec's vector functions (cg.h: CG_VECMATH_SYMBOLS): declared only for their addresses;
 * generated code calls them with the x86-64 vector ABI. */
#define JIT_DECLARE_VECMATH(n) void n(void);
CG_VECMATH_SYMBOLS(JIT_DECLARE_VECMATH)
#undef JIT_DECLARE_VECMATH

typedef struct {
    const char *name;
    uintptr_t addr;
} jit_sym;

#define JIT_SYM(n) {#n, (uintptr_t)&n},
static const jit_sym runtime_syms[] = {CG_RUNTIME_SYMBOLS(JIT_SYM)};
#undef JIT_SYM
#define N_RUNTIME_SYMS (sizeof runtime_syms / sizeof *runtime_syms)

struct jit_session {
    LLVMOrcLLJITRef jit;
    LLVMOrcJITDylibRef jd; /* owned by jit */
    char *triple, *cpu, *features;
    LLVMTargetMachineRef tm; /* emits objects; the LLJIT has its own, made with the same settings */
    int counter;
    char **names; /* rt_circuit.name strings */
    int n_names, cap_names;
};

jit_options jit_default_options(void) {
    jit_options o = {64, 0, 3, CG_GRAD_ADJOINT, 0, 0, 0};
    return o;
}

static pthread_once_t native_once = PTHREAD_ONCE_INIT;

static void init_native(void) {
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
}

/* Reports an LLVMErrorRef (consuming it). Always returns -1. */
static int llvm_error(LLVMErrorRef e, const char *what, char *err, size_t errlen) {
    char *m = LLVMGetErrorMessage(e);
    snprintf(err, errlen, "%s: %s", what, m);
    LLVMDisposeErrorMessage(m);
    return -1;
}

static char *dup_msg(char *m) {
    char *s = strdup(m ? m : "");
    LLVMDisposeMessage(m);
    return s;
}

static int bind_runtime(jit_session *s, char *err, size_t errlen) {
    LLVMOrcCSymbolMapPair pairs[N_RUNTIME_SYMS];
    for (size_t i = 0; i < N_RUNTIME_SYMS; i++) {
        pairs[i].Name = LLVMOrcLLJITMangleAndIntern(s->jit, runtime_syms[i].name);
        pairs[i].Sym.Address = runtime_syms[i].addr;
        pairs[i].Sym.Flags.GenericFlags =
            LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
        pairs[i].Sym.Flags.TargetFlags = 0;
    }
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(pairs, N_RUNTIME_SYMS);
    LLVMErrorRef e = LLVMOrcJITDylibDefine(s->jd, mu);
    if (e) {
        LLVMOrcDisposeMaterializationUnit(mu);
        return llvm_error(e, "jit: binding runtime symbols", err, errlen);
    }
    /* Fallback for library calls LLVM's back end may introduce beyond the table (none are
     * known today; the table is what jit_check_runtime_symbols verifies). */
    LLVMOrcDefinitionGeneratorRef gen;
    e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
        &gen, LLVMOrcLLJITGetGlobalPrefix(s->jit), NULL, NULL);
    if (e)
        return llvm_error(e, "jit: process symbols", err, errlen);
    LLVMOrcJITDylibAddGenerator(s->jd, gen);
    return 0;
}

jit_session *jit_create(char *err, size_t errlen) {
    pthread_once(&native_once, init_native);
    jit_session *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "jit: out of memory");
        return NULL;
    }
    /* The same triple/CPU/features go to cg_build, so module and JIT agree on the data
     * layout and the code uses the host's vector width. */
    s->triple = dup_msg(LLVMGetDefaultTargetTriple());
    s->cpu = dup_msg(LLVMGetHostCPUName());
    s->features = dup_msg(LLVMGetHostCPUFeatures());
    LLVMTargetRef target;
    char *msg = NULL;
    if (!s->triple || !s->cpu || !s->features ||
        LLVMGetTargetFromTriple(s->triple, &target, &msg)) {
        snprintf(err, errlen, "jit: host target: %s", msg ? msg : "out of memory");
        LLVMDisposeMessage(msg);
        jit_destroy(s);
        return NULL;
    }
    /* CodeGenLevelLess: instruction selection of the QIREN layer 282 -> 251 ms (f64) with the
     * same epoch time (docs/performance.md, step 7). cg.c and aot.c use the same level, so
     * that JIT and native builds stay bit-identical. */
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(
        target, s->triple, s->cpu, s->features, LLVMCodeGenLevelLess, LLVMRelocDefault,
        LLVMCodeModelJITDefault);
    /* The same settings again for jit_emit_object: the object we write (and cache) is what
     * the LLJIT's own compile layer would have produced from the module. */
    s->tm = LLVMCreateTargetMachine(target, s->triple, s->cpu, s->features, LLVMCodeGenLevelLess,
                                    LLVMRelocDefault, LLVMCodeModelJITDefault);
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(
        builder, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&s->jit, builder);
    if (e) {
        s->jit = NULL;
        llvm_error(e, "jit: creating LLJIT", err, errlen);
        jit_destroy(s);
        return NULL;
    }
    s->jd = LLVMOrcLLJITGetMainJITDylib(s->jit);
    if (bind_runtime(s, err, errlen)) {
        jit_destroy(s);
        return NULL;
    }
    return s;
}

void jit_destroy(jit_session *s) {
    if (!s)
        return;
    if (s->jit) {
        LLVMErrorRef e = LLVMOrcDisposeLLJIT(s->jit);
        if (e) /* nothing to tell the caller at this point; the message must still go */
            LLVMConsumeError(e);
    }
    for (int i = 0; i < s->n_names; i++)
        free(s->names[i]);
    free(s->names);
    if (s->tm)
        LLVMDisposeTargetMachine(s->tm);
    free(s->triple);
    free(s->cpu);
    free(s->features);
    free(s);
}

static const char *keep_name(jit_session *s, const char *name) {
    if (s->n_names == s->cap_names) {
        int cap = s->cap_names ? 2 * s->cap_names : 8;
        char **n = realloc(s->names, sizeof *n * (size_t)cap);
        if (!n)
            return NULL;
        s->names = n;
        s->cap_names = cap;
    }
    char *d = strdup(name ? name : "");
    if (d)
        s->names[s->n_names++] = d;
    return d;
}

static int lookup(jit_session *s, const char *name, LLVMOrcExecutorAddress *addr, char *err,
                  size_t errlen) {
    LLVMErrorRef e = LLVMOrcLLJITLookup(s->jit, addr, name);
    if (e) {
        char what[200];
        snprintf(what, sizeof what, "jit: looking up %s", name);
        return llvm_error(e, what, err, errlen);
    }
    return 0;
}

/* Converting the JIT's integer addresses to function pointers is the one place where that
 * implementation-defined conversion is needed; POSIX guarantees it works (dlsym). */
static void set_fns(rt_circuit *out, LLVMOrcExecutorAddress f, LLVMOrcExecutorAddress v) {
    out->forward = (rt_forward_fn)(uintptr_t)f;
    out->vjp = (rt_vjp_fn)(uintptr_t)v;
}

/* The kept-state pair (rt_circuit.h), when the object has it: cg_fn.c emits _forwardK and
 * _vjpK for adjoint state-vector circuits only, whose kept state is a lane group's psi
 * (2 * 2^n * lanes elements). Objects without them (density matrices, parameter shift)
 * keep NULL: the runtime then re-runs the forward in the vjp. */
static void bind_kept_pair(jit_session *s, const char *prefix, rt_circuit *out) {
    char sym[200];
    LLVMOrcExecutorAddress fk = 0, vk = 0;
    snprintf(sym, sizeof sym, "%s_forwardK", prefix);
    LLVMErrorRef e = LLVMOrcLLJITLookup(s->jit, &fk, sym);
    if (e) {
        LLVMConsumeError(e);
        return;
    }
    snprintf(sym, sizeof sym, "%s_vjpK", prefix);
    if ((e = LLVMOrcLLJITLookup(s->jit, &vk, sym))) {
        LLVMConsumeError(e);
        return;
    }
    out->forward_keep = (rt_forward_keep_fn)(uintptr_t)fk;
    out->vjp_kept = (rt_vjp_kept_fn)(uintptr_t)vk;
    out->state_bytes = 2 * ((size_t)1 << out->n_qubits) * (size_t)out->lanes *
                       (size_t)(out->precision / 8);
}

void jit_target(const jit_session *s, cg_target *t) {
    t->triple = s->triple;
    t->cpu = s->cpu;
    t->features = s->features;
}

int jit_lanes(const jit_session *s, const jit_options *o) {
    return o->lanes ? o->lanes : cg_default_lanes(s->features, o->precision ? o->precision : 64);
}

int jit_emit_object(jit_session *s, const ir_circuit *c, const jit_options *o, const char *prefix,
                    unsigned char **obj, size_t *len, char *err, size_t errlen) {
    jit_options d = jit_default_options();
    if (!o)
        o = &d;
    *obj = NULL;
    *len = 0;
    if (!s || !c || !s->tm) {
        snprintf(err, errlen, "jit_emit_object: NULL argument");
        return -1;
    }
    cg_options co = {o->precision, jit_lanes(s, o), o->opt_level, o->grad, o->test_corrupt,
                     o->shots, o->amp};
    cg_target t;
    jit_target(s, &t);
    cg_info info;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = cg_build(ctx, c, &co, &t, prefix, &info, err, errlen);
    int rc = -1;
    if (mod) {
        LLVMMemoryBufferRef buf = NULL;
        char *msg = NULL;
        if (LLVMTargetMachineEmitToMemoryBuffer(s->tm, mod, LLVMObjectFile, &msg, &buf)) {
            snprintf(err, errlen, "circuit '%s': code generation: %s", c->name,
                     msg ? msg : "failed");
        } else {
            size_t n = LLVMGetBufferSize(buf);
            *obj = malloc(n ? n : 1);
            if (*obj) {
                memcpy(*obj, LLVMGetBufferStart(buf), n);
                *len = n;
                rc = 0;
            } else {
                snprintf(err, errlen, "circuit '%s': out of memory", c->name);
            }
        }
        LLVMDisposeMessage(msg);
        if (buf)
            LLVMDisposeMemoryBuffer(buf);
        LLVMDisposeModule(mod);
    }
    LLVMContextDispose(ctx);
    return rc;
}

/* Takes buf (LLVMOrcLLJITAddObjectFile owns it whatever happens). */
static int add_buffer(jit_session *s, LLVMMemoryBufferRef buf, const char *what, const char *prefix,
                      const char *name, const ir_circuit *want, int want_precision,
                      int want_lanes, rt_circuit *out, char *err, size_t errlen) {
    LLVMErrorRef e = LLVMOrcLLJITAddObjectFile(s->jit, s->jd, buf);
    if (e)
        return llvm_error(e, "jit: adding object", err, errlen);
    char sym[200];
    LLVMOrcExecutorAddress ia, fa, va;
    snprintf(sym, sizeof sym, "%s_info", prefix);
    if (lookup(s, sym, &ia, err, errlen))
        return -1;
    const int64_t *info = (const int64_t *)(uintptr_t)ia;
    if (info[0] != 1) {
        snprintf(err, errlen, "jit: %s: unknown info format %lld", what, (long long)info[0]);
        return -1;
    }
    if (want && (info[1] != want->n_qubits || info[2] != want->n_inputs ||
                 info[3] != want->n_obs || info[4] != want->n_params ||
                 info[5] != want_precision || info[6] != want_lanes)) {
        snprintf(err, errlen, "jit: %s: the object is for another circuit (%lld qubits, f%lld, "
                 "%lld lanes)", what, (long long)info[1], (long long)info[5], (long long)info[6]);
        return -1;
    }
    snprintf(sym, sizeof sym, "%s_forward", prefix);
    if (lookup(s, sym, &fa, err, errlen))
        return -1;
    snprintf(sym, sizeof sym, "%s_vjp", prefix);
    if (lookup(s, sym, &va, err, errlen))
        return -1;
    memset(out, 0, sizeof *out);
    out->name = keep_name(s, name);
    out->n_qubits = (int)info[1];
    out->n_inputs = (int)info[2];
    out->n_outputs = (int)info[3];
    out->n_params = (int)info[4];
    out->precision = (int)info[5];
    out->lanes = (int)info[6];
    out->work_bytes = (size_t)info[7];
    set_fns(out, fa, va);
    bind_kept_pair(s, prefix, out);
    return 0;
}

int jit_add_object(jit_session *s, const unsigned char *obj, size_t len, const char *prefix,
                   const char *name, const ir_circuit *want, int want_precision, int want_lanes,
                   rt_circuit *out, char *err, size_t errlen) {
    if (!s || !obj || !prefix || !out) {
        snprintf(err, errlen, "jit_add_object: NULL argument");
        return -1;
    }
    LLVMMemoryBufferRef buf =
        LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)obj, len, prefix);
    return add_buffer(s, buf, prefix, prefix, name, want, want_precision, want_lanes, out, err,
                      errlen);
}

int jit_compile(jit_session *s, const ir_circuit *c, const jit_options *o, rt_circuit *out,
                char *err, size_t errlen) {
    jit_options d = jit_default_options();
    if (!o)
        o = &d;
    if (!s || !c || !out) {
        snprintf(err, errlen, "jit_compile: NULL argument");
        return -1;
    }
    /* Unique, readable symbol prefix: qnn_<name>_<n>. */
    char prefix[80];
    int n = snprintf(prefix, sizeof prefix, "qnn_");
    for (const char *p = c->name ? c->name : ""; *p && n < 50; p++, n++)
        prefix[n] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9')) ? *p : '_';
    snprintf(prefix + n, sizeof prefix - (size_t)n, "_%d", s->counter++);
    unsigned char *obj;
    size_t len;
    if (jit_emit_object(s, c, o, prefix, &obj, &len, err, errlen))
        return -1;
    int rc = jit_add_object(s, obj, len, prefix, c->name, NULL, 0, 0, out, err, errlen);
    free(obj);
    return rc;
}

int jit_load_object(jit_session *s, const char *path, const char *prefix, rt_circuit *out,
                    char *err, size_t errlen) {
    LLVMMemoryBufferRef buf;
    char *msg = NULL;
    if (LLVMCreateMemoryBufferWithContentsOfFile(path, &buf, &msg)) {
        snprintf(err, errlen, "jit: reading %s: %s", path, msg ? msg : "failed");
        LLVMDisposeMessage(msg);
        return -1;
    }
    return add_buffer(s, buf, path, prefix, prefix, NULL, 0, 0, out, err, errlen);
}

int jit_check_runtime_symbols(jit_session *s, char *err, size_t errlen) {
    for (size_t i = 0; i < N_RUNTIME_SYMS; i++) {
        LLVMOrcExecutorAddress a;
        if (lookup(s, runtime_syms[i].name, &a, err, errlen))
            return -1;
        if (a != runtime_syms[i].addr) {
            snprintf(err, errlen, "jit: %s resolves to %#llx, not %#llx", runtime_syms[i].name,
                     (unsigned long long)a, (unsigned long long)runtime_syms[i].addr);
            return -1;
        }
    }
    return 0;
}
