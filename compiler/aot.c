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
#define _XOPEN_SOURCE 700 /* fork, pipe */
#include "aot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"

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

/* ---- the target's CPUs and features, from LLVM itself ------------------------------------ */

/* The C API has no list of a target's CPUs or features, but LLVM prints both tables (as
 * `llc -mcpu=help` does) when a target machine is created for the CPU "help". That happens in
 * a child process whose stderr is a pipe, so the tables are read back and nothing LLVM does
 * there can stop qnnc. The text is malloc'ed; NULL when it could not be had. */
static char *llvm_help_text(LLVMTargetRef target, const char *triple) {
    int fds[2];
    fflush(NULL);
    if (pipe(fds)) return NULL;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, "help", "", LLVMCodeGenLevelLess,
                                                          LLVMRelocPIC, LLVMCodeModelDefault);
        (void)tm;
        _exit(0);
    }
    close(fds[1]);
    size_t n = 0, cap = 65536;
    char *buf = malloc(cap);
    for (ssize_t got = 1; buf && got > 0;) {
        if (n + 4096 + 1 > cap) {
            char *nb = cap < ((size_t)16 << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        got = read(fds[0], buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR) got = 1;
        else if (got > 0) n += (size_t)got;
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (buf) buf[n] = '\0';
    return buf;
}

/* The names of one table ("Available CPUs for this target:"): the first word of each indented
 * line up to the blank line that ends it. Names point into text (modified). */
static int table_names(char *text, const char *title, const char ***names) {
    *names = NULL;
    char *p = text ? strstr(text, title) : NULL;
    if (!p) return 0;
    p = strchr(p, '\n');
    int n = 0, cap = 0;
    while (p && *p == '\n') p++; /* the blank line after the title */
    while (p && p[0] == ' ' && p[1] == ' ') {
        char *line_end = strchr(p, '\n');
        char *w = p + 2, *e = w;
        while (*e && *e != ' ' && *e != '\n') e++;
        if (n == cap) {
            const char **nn = realloc(*names, sizeof **names * (size_t)(cap = cap ? 2 * cap : 256));
            if (!nn) break;
            *names = nn;
        }
        (*names)[n++] = w;
        *e = '\0';
        p = line_end ? line_end + 1 : NULL;
    }
    return n;
}

static int in_list(const char *name, const char *const *list, int n) {
    for (int i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0) return 1;
    return 0;
}

/* Up to 8 names of the list, for a message. */
static void some_names(char *buf, size_t len, const char *const *list, int n, const char *prefer) {
    snprintf(buf, len, "%s", prefer && in_list(prefer, list, n) ? prefer : "");
    for (int i = 0, shown = *buf != 0; i < n && shown < 8; i++) {
        if (prefer && strcmp(list[i], prefer) == 0) continue;
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, "%s%s", l ? ", " : "", list[i]);
        shown++;
    }
}

/* --cpu and --features against the target's own tables, before LLVM is given them (an unknown
 * CPU makes LLVM abort for x86-64). "help" prints the table. 1: printed help; 0 valid; -1. */
static int check_cpu_features(LLVMTargetRef target, const char *triple, const char *cpu,
                              const char *features, char *err, size_t errlen) {
    char *text = llvm_help_text(target, triple);
    const char **cpus = NULL, **feats = NULL;
    /* both tables found before either is cut into names */
    char *ftable = text ? strstr(text, "Available features for this target:") : NULL;
    int n_cpus = table_names(text, "Available CPUs for this target:", &cpus);
    int n_feats = table_names(ftable, "Available features for this target:", &feats);
    int rc = 0;
    char some[512];
    if (!n_cpus && !n_feats) { /* LLVM would not say: let it judge (errors are caught later) */
    } else if (cpu && strcmp(cpu, "help") == 0) {
        printf("CPUs for %s (--cpu NAME; native: this machine's):\n", triple);
        for (int i = 0; i < n_cpus; i++) printf("  %s\n", cpus[i]);
        rc = 1;
    } else if (features && strcmp(features, "help") == 0) {
        printf("features for %s (--features +a,-b):\n", triple);
        for (int i = 0; i < n_feats; i++) printf("  %s\n", feats[i]);
        rc = 1;
    } else if (cpu && *cpu && n_cpus && !in_list(cpu, cpus, n_cpus)) {
        const char *hint = diag_suggest(cpu, cpus, n_cpus);
        some_names(some, sizeof some, cpus, n_cpus, "x86-64-v3");
        snprintf(err, errlen, "unknown CPU `%s` for %s%s%s%s; known CPUs include %s, ... "
                              "(`qnnc build --cpu help` lists all)", cpu, triple,
                 hint ? " (did you mean `" : "", hint ? hint : "", hint ? "`?)" : "", some);
        rc = -1;
    }
    for (const char *p = features; rc == 0 && p && *p && n_feats;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *item = strndup(p, len);
        if (!item) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        if ((item[0] != '+' && item[0] != '-') || !item[1]) {
            snprintf(err, errlen, "--features: `%s` must be +FEATURE or -FEATURE, e.g. +avx2,+fma", item);
            rc = -1;
        } else if (!in_list(item + 1, feats, n_feats)) {
            const char *hint = diag_suggest(item + 1, feats, n_feats);
            snprintf(err, errlen, "unknown CPU feature `%s` for %s%s%s%s (`qnnc build --features help` "
                                  "lists all)", item + 1, triple, hint ? " (did you mean `" : "",
                     hint ? hint : "", hint ? "`?)" : "");
            rc = -1;
        }
        free(item);
        p = e ? e + 1 : NULL;
        if (p && !*p && rc == 0) {
            snprintf(err, errlen, "--features: an empty item after the last `,`");
            rc = -1;
        }
    }
    free(cpus);
    free(feats);
    free(text);
    return rc;
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
    int native = given_cpu && strcmp(cpu, "native") == 0;
    if (native && !out->host_triple) {
        snprintf(err, errlen, "--cpu native means this machine, but --target %s is another one", out->triple);
        aot_target_free(out);
        return -1;
    }
    if (out->host && (native || !given_cpu) && !given_features) {
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
    if (native && given_features) { /* the host's CPU with the features given */
        free(out->cpu);
        out->cpu = take(LLVMGetHostCPUName());
    }
    if (given_cpu || given_features) {
        int c = check_cpu_features(target, out->triple, native ? NULL : out->cpu,
                                   given_features ? out->features : NULL, err, errlen);
        if (c) {
            aot_target_free(out);
            return c > 0 ? 1 : -1;
        }
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
