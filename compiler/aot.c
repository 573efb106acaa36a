/* AOT: the end of the compiler pipeline for native builds. cg_build turns each circuit into
 * an optimised module; the modules are linked into one and handed to a target machine that
 * writes an object file or assembly (or the module is printed as LLVM IR).
 *
 * Ownership of LLVM objects, hand-off by hand-off:
 *  - aot_emit creates one LLVMContext and disposes of it last; every module lives in it.
 *  - cg_build returns a module we own. The first becomes the destination; each later one is
 *    consumed by LLVMLinkModules2 (success or failure). We dispose of the destination.
 *  - The target machine is ours (created here, with the options cg uses for its own), and
 *    disposed of after emission. Messages from LLVM are disposed of where they are read. */
#include "aot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <llvm-c/Core.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *take(char *m) { /* LLVM message -> malloc'ed copy */
    char *s = strdup(m ? m : "");
    LLVMDisposeMessage(m);
    return s;
}

void aot_target_free(aot_target *t) {
    free(t->triple);
    free(t->cpu);
    free(t->features);
    memset(t, 0, sizeof *t);
}

/* SIMD width implied by a CPU name when no features are given. cg decides lanes from the
 * feature string only, so without this `--cpu x86-64-v3` would get 128-bit code. */
static int cpu_vector_bits(const char *cpu) {
    static const char *const w512[] = {"x86-64-v4", "skylake-avx512", "cascadelake", "cooperlake",
                                       "cannonlake", "icelake-client", "icelake-server", "tigerlake",
                                       "rocketlake", "sapphirerapids", "emeraldrapids",
                                       "graniterapids", "znver4", "znver5", "knl", "knm"};
    static const char *const w256[] = {"x86-64-v3", "sandybridge", "ivybridge", "haswell",
                                       "broadwell", "skylake", "alderlake", "raptorlake",
                                       "meteorlake", "arrowlake", "lunarlake", "gracemont",
                                       "znver1", "znver2", "znver3", "bdver1", "bdver2", "bdver3",
                                       "bdver4", "btver2"};
    for (size_t i = 0; i < sizeof w512 / sizeof *w512; i++)
        if (strcmp(cpu, w512[i]) == 0) return 512;
    for (size_t i = 0; i < sizeof w256 / sizeof *w256; i++)
        if (strcmp(cpu, w256[i]) == 0) return 256;
    return 128;
}

static void list_targets(char *buf, size_t n) {
    buf[0] = '\0';
    for (LLVMTargetRef t = LLVMGetFirstTarget(); t; t = LLVMGetNextTarget(t)) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", len ? ", " : "", LLVMGetTargetName(t));
    }
}

int aot_target_resolve(const char *triple, const char *cpu, const char *features,
                       aot_target *out, char *err, size_t errlen) {
    cg_init_targets();
    memset(out, 0, sizeof *out);
    int given_cpu = cpu && *cpu, given_features = features && *features;
    char *host_triple = take(LLVMGetDefaultTargetTriple());
    if (triple && *triple) {
        char *norm = take(LLVMNormalizeTargetTriple(triple));
        char *hnorm = take(LLVMNormalizeTargetTriple(host_triple));
        out->host = out->host_triple = norm && hnorm && strcmp(norm, hnorm) == 0;
        free(norm);
        free(hnorm);
        out->triple = strdup(triple);
    } else {
        out->host = out->host_triple = 1;
        out->triple = strdup(host_triple);
    }
    free(host_triple);
    if (out->host && !given_cpu && !given_features) {
        out->cpu = take(LLVMGetHostCPUName());
        out->features = take(LLVMGetHostCPUFeatures());
    } else {
        out->host = 0;
        out->cpu = strdup(given_cpu ? cpu : "generic");
        out->features = strdup(given_features ? features : "");
    }
    if (!out->triple || !out->cpu || !out->features) {
        snprintf(err, errlen, "out of memory");
        aot_target_free(out);
        return -1;
    }
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(out->triple, &target, &msg)) {
        char known[1024];
        list_targets(known, sizeof known);
        snprintf(err, errlen, "unknown target triple `%s` (%s); this LLVM can generate code for: "
                              "%s (e.g. x86_64-linux-gnu, aarch64-linux-gnu)",
                 out->triple, msg ? msg : "no such target", known);
        LLVMDisposeMessage(msg);
        aot_target_free(out);
        return -1;
    }
    /* Lanes: decided from an explicit feature string exactly as cg does for the JIT (so a host
     * build matches `qnnc run`), else from the CPU name. */
    if (*out->features) out->vector_bits = 64 * cg_default_lanes(out->features, 64);
    else out->vector_bits = cpu_vector_bits(out->cpu);
    return 0;
}

int aot_lanes(const aot_target *t, int precision) {
    return t->vector_bits / (precision == 32 ? 32 : 64);
}

/* The same settings as cg.c's own target machine, so the optimiser's cost model and the code
 * generator agree; position-independent so the objects link into PIE executables. */
static LLVMTargetMachineRef make_tm(const aot_target *t, char *err, size_t errlen) {
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(t->triple, &target, &msg)) {
        snprintf(err, errlen, "target `%s`: %s", t->triple, msg ? msg : "unknown");
        LLVMDisposeMessage(msg);
        return NULL;
    }
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, t->triple, t->cpu, t->features,
                                                      LLVMCodeGenLevelLess, LLVMRelocPIC,
                                                      LLVMCodeModelDefault);
    if (!tm) snprintf(err, errlen, "target `%s`: cannot create a target machine", t->triple);
    return tm;
}

static int write_module(LLVMModuleRef mod, const aot_target *t, aot_kind kind, const char *path,
                        char *err, size_t errlen) {
    char *msg = NULL;
    int rc = 0;
    if (kind == AOT_LLVM_IR) {
        rc = LLVMPrintModuleToFile(mod, path, &msg) ? -1 : 0;
    } else {
        LLVMTargetMachineRef tm = make_tm(t, err, errlen);
        if (!tm) return -1;
        LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm); /* cg set the same one already */
        LLVMSetModuleDataLayout(mod, td);
        LLVMDisposeTargetData(td);
        /* EmitToFile takes a char * it does not modify. */
        char *p = strdup(path);
        rc = !p || LLVMTargetMachineEmitToFile(tm, mod, p, kind == AOT_OBJECT ? LLVMObjectFile
                                                                              : LLVMAssemblyFile,
                                               &msg) ? -1 : 0;
        free(p);
        LLVMDisposeTargetMachine(tm);
    }
    if (rc) {
        snprintf(err, errlen, "writing %s: %s", path, msg ? msg : "failed");
        remove(path);
    }
    LLVMDisposeMessage(msg);
    return rc;
}

int aot_emit(const ir_circuit *const *circuits, const char *const *prefixes, int n,
             const cg_options *opts, const aot_target *t, aot_kind kind, const char *path,
             cg_info *infos, aot_times *times, char *err, size_t errlen) {
    cg_init_targets();
    aot_times tm = {0, 0};
    /* The triple is always explicit: cg then takes the CPU and features as given (an empty
     * feature string stays empty instead of becoming the host's), and since lanes are set,
     * cg does not derive them from the host either. */
    cg_target ct = {t->triple, t->cpu, t->features};
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = NULL;
    int rc = -1;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        cg_info info;
        cg_options co = opts[i];
        if (co.lanes == 0) co.lanes = aot_lanes(t, co.precision);
        LLVMModuleRef m = cg_build(ctx, circuits[i], &co, &ct, prefixes[i], &info, err, errlen);
        if (!m) goto done;
        if (infos) infos[i] = info;
        if (!mod) {
            mod = m;
            LLVMSetModuleIdentifier(mod, "qnn_circuits", strlen("qnn_circuits"));
        } else if (LLVMLinkModules2(mod, m)) { /* m is consumed either way */
            snprintf(err, errlen, "circuit '%s': linking the circuits' modules failed "
                                  "(duplicate symbol prefix `%s`?)", circuits[i]->name, prefixes[i]);
            goto done;
        }
    }
    if (!mod) { /* a classical model: an empty object keeps the build uniform */
        mod = LLVMModuleCreateWithNameInContext("qnn_circuits", ctx);
        LLVMSetTarget(mod, t->triple);
    }
    tm.build = now() - t0;
    t0 = now();
    rc = write_module(mod, t, kind, path, err, errlen);
    tm.codegen = now() - t0;
done:
    if (mod) LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    if (times) *times = tm;
    return rc;
}
