/* qnnc build: the ahead-of-time pipeline. front end (sema) -> passes (fusion) -> LLVM (aot.c:
 * one object for every distinct circuit) -> generated C (cmd_build_gen.c) -> the system C
 * compiler and linker, against the runtime's static library. Everything is written in a
 * temporary folder beside the output and renamed into place at the end, so a failed build
 * leaves nothing behind. The environment can point elsewhere: CC, AR, QNN_RUNTIME_DIR (the
 * runtime's headers), QNN_RUNTIME_LIB (libqnnrt.a), QNN_LDFLAGS, QNN_CACHE_DIR. */
#define _XOPEN_SOURCE 700 /* readlink, mkdtemp, realpath */
#include "cmd_build.h"
#include "shots.h"
#include "trajectory.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "aot.h"
#include "cache.h"
#include "commands.h"
#include "diag.h"
#include "draw.h"
#include "io_file.h"
#include "passes.h"

extern char **environ;

enum { EXIT_ERRORS = 1, EXIT_USAGE = 2, MAX_SETS = 256, MAX_ARGV = 96 };
#define STR2(x) #x
#define STR(x) STR2(x)
#define CG_MAX_QUBITS_TEXT STR(CG_MAX_QUBITS)
typedef enum { EMIT_EXE, EMIT_OBJ, EMIT_ASM, EMIT_LLVM, EMIT_LIB, EMIT_C, EMIT_SHARED } emit_kind;
static const char *const EMIT_NAMES[] = {"exe", "obj", "asm", "llvm", "lib", "c", "shared"};

typedef struct {
    const char *file, *output, *triple, *cpu, *features, *cache_dir, *experiment;
    emit_kind emit;
    sema_options sema;
    const char *sets[MAX_SETS];
    int no_fuse, precision, grad_shift, grad_given, show_time, quiet, verbose;
} build_options;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(FILE *f) {
    fputs("usage: qnnc build FILE.qnn [-o NAME] [options]\n"
          "\n"
          "Compiles the experiments of FILE ahead of time: each distinct circuit (after fusion) to\n"
          "native code through LLVM, linked with the runtime (libqnnrt.a) and a generated main\n"
          "into an executable that trains and evaluates like `qnnc run FILE` (same results for a\n"
          "seed) and takes --set KEY=VALUE for the settings that leave the model alone (NAME --help).\n"
          "\n"
          "  -o NAME            output (default: FILE without .qnn, plus .o/.s/.ll/.c for --emit);\n"
          "                     `-o -` writes --emit asm, llvm or c to standard output\n"
          "  --emit KIND        exe (default), obj (the circuits' object file), asm, llvm (IR),\n"
          "                     c (the generated main), lib (NAME.a + NAME.h: the model for C\n"
          "                     programs, runtime/qnn_embed.h; one experiment, see --experiment),\n"
          "                     shared (NAME.so: every circuit and model of the file for Python\n"
          "                     or any C FFI, runtime/qnn_shared.h, docs/python.md)\n"
          "  --target TRIPLE    generate code for another machine (e.g. aarch64-linux-gnu);\n"
          "                     linking it needs CC and QNN_RUNTIME_LIB for that machine\n"
          "  --cpu NAME         CPU to tune for and assume (default: this machine's), e.g. x86-64-v3;\n"
          "                     native: this machine's; help: the target's CPUs\n"
          "  --features STR     LLVM CPU features, e.g. +avx2,+fma (decide the SIMD width);\n"
          "                     help: the target's features\n"
          "  --cache DIR        reuse object files compiled before (also QNN_CACHE_DIR)\n"
          "  --set KEY=VALUE    change a setting before compiling (repeatable)\n"
          "  --experiment NAME  build only this experiment\n"
          "  --precision f64|f32, --grad adjoint|shift, --no-fuse, --stdlib DIR\n"
          "  --max-qubits N     refuse circuits above N qubits (default 24, at most " CG_MAX_QUBITS_TEXT ")\n"
          "  --time             print the time of each phase\n"
          "  --quiet, -q        no summary line; --verbose, -v: print the C compiler and linker commands\n"
          "  --help, -h         this text\n"
          "\n"
          "Environment: CC (default cc), AR (default ar), QNN_RUNTIME_DIR (runtime headers, default\n"
          "<qnnc's folder>/../runtime), QNN_RUNTIME_LIB (default <qnnc's folder>/libqnnrt.a),\n"
          "QNN_LDFLAGS (more link flags). A failed build leaves no output behind.\n",
          f);
}

static int usage_error(const char *fmt, const char *arg) {
    fputs("qnnc build: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(run `qnnc build --help` for the options)\n", stderr);
    return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, build_options *o) {
    memset(o, 0, sizeof *o);
    o->sema.max_qubits = 24;
    o->sema.sets = o->sets;
    int seen_command = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0) {
            const char *v = a[5] == '=' ? a + 6 : next;
            if (!v) return usage_error("`--set` needs KEY=VALUE%s", "");
            if (a[5] != '=') i++;
            if (o->sema.n_sets >= MAX_SETS) return usage_error("too many `--set` options%s", "");
            o->sets[o->sema.n_sets++] = v;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--no-fuse") == 0) o->no_fuse = 1;
        else if (strcmp(a, "--time") == 0) o->show_time = 1;
        else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) o->quiet = 1;
        else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) o->verbose = 1;
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--emit") == 0 || strcmp(a, "--target") == 0 ||
                 strcmp(a, "--cpu") == 0 || strcmp(a, "--features") == 0 || strcmp(a, "--cache") == 0 ||
                 strcmp(a, "--experiment") == 0 || strcmp(a, "--stdlib") == 0 ||
                 strcmp(a, "--precision") == 0 || strcmp(a, "--grad") == 0 ||
                 strcmp(a, "--max-qubits") == 0) {
            if (!next) return usage_error("`%s` needs a value", a);
            i++;
            if (strcmp(a, "-o") == 0) o->output = next;
            else if (strcmp(a, "--target") == 0) o->triple = next;
            else if (strcmp(a, "--cpu") == 0) o->cpu = next;
            else if (strcmp(a, "--features") == 0) o->features = next;
            else if (strcmp(a, "--cache") == 0) o->cache_dir = next;
            else if (strcmp(a, "--experiment") == 0) o->experiment = next;
            else if (strcmp(a, "--stdlib") == 0) o->sema.stdlib_dir = next;
            else if (strcmp(a, "--emit") == 0) {
                int k = -1;
                for (int j = 0; j < (int)(sizeof EMIT_NAMES / sizeof *EMIT_NAMES); j++)
                    if (strcmp(next, EMIT_NAMES[j]) == 0) k = j;
                if (k < 0) return usage_error("`--emit` takes exe, obj, asm, llvm, lib, c or shared, not `%s`", next);
                o->emit = (emit_kind)k;
            } else if (strcmp(a, "--precision") == 0) {
                if (strcmp(next, "f64") != 0 && strcmp(next, "f32") != 0)
                    return usage_error("`--precision` takes f64 or f32%s", "");
                o->precision = next[1] == '6' ? 64 : 32;
            } else if (strcmp(a, "--grad") == 0) {
                if (strcmp(next, "adjoint") != 0 && strcmp(next, "shift") != 0)
                    return usage_error("`--grad` takes adjoint or shift%s", "");
                o->grad_shift = next[0] == 's';
                o->grad_given = 1;
            } else {
                char *end;
                long v = strtol(next, &end, 10);
                if (*end || v < 1 || v > CG_MAX_QUBITS)
                    return usage_error("`--max-qubits` needs a number from 1 to %s", CG_MAX_QUBITS_TEXT);
                o->sema.max_qubits = (int)v;
            }
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option `%s`; build takes -o NAME, --emit exe|obj|asm|llvm|lib|c|shared, "
                               "--target TRIPLE, --cpu NAME, --features STR, --cache DIR, --set KEY=VALUE, "
                               "--experiment NAME, --no-fuse, --precision f64|f32, --grad adjoint|shift, "
                               "--max-qubits N, --stdlib DIR, --time, --quiet, --verbose, --help", a);
        } else if (!seen_command && strcmp(a, "build") == 0) {
            seen_command = 1;
        } else if (!o->file) {
            o->file = a;
        } else {
            return usage_error("unexpected argument `%s`: one file at a time", a);
        }
    }
    if (!o->file) return usage_error("`build` needs a .qnn file%s", "");
    return 0;
}

/* ---- files and folders --------------------------------------------------------------- */

static int exe_dir(char *dir, size_t n) {
    ssize_t len = readlink("/proc/self/exe", dir, n - 1);
    if (len <= 0 || (size_t)len >= n - 1) return -1; /* a cut name would be some other folder */
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash) return -1;
    *slash = '\0';
    return 0;
}

static int readable(const char *p) { return access(p, R_OK) == 0; }

/* The runtime: headers (rt_main.h, qnn_embed.h) and libqnnrt.a, next to qnnc in the build
 * tree (build/qnnc: build/libqnnrt.a, runtime/) or installed (bin/qnnc: lib/, include/qnn). */
static int find_runtime(arena *ar, const char **inc, const char **lib, char *err, size_t errlen) {
    char dir[PATH_MAX];
    const char *ei = getenv("QNN_RUNTIME_DIR"), *el = getenv("QNN_RUNTIME_LIB");
    int have_dir = exe_dir(dir, sizeof dir) == 0;
    *inc = *lib = NULL;
    if (ei && *ei) *inc = ei;
    if (el && *el) *lib = el;
    const char *incs[] = {"%s/../runtime", "%s/../include/qnn"};
    const char *libs[] = {"%s/libqnnrt.a", "%s/../lib/qnn/libqnnrt.a", "%s/../lib/libqnnrt.a"};
    for (size_t i = 0; have_dir && !*inc && i < 2; i++) {
        char *d = arena_printf(ar, incs[i], dir);
        if (readable(arena_printf(ar, "%s/rt_main.h", d))) *inc = d;
    }
    for (size_t i = 0; have_dir && !*lib && i < 3; i++) {
        char *p = arena_printf(ar, libs[i], dir);
        if (readable(p)) *lib = p;
    }
    if (!*inc || !readable(arena_printf(ar, "%s/rt_main.h", *inc))) {
        snprintf(err, errlen, "cannot find the runtime's headers (rt_main.h) %s%s; set QNN_RUNTIME_DIR",
                 *inc ? "in " : "next to qnnc", *inc ? *inc : "");
        return -1;
    }
    if (!*lib || !readable(*lib)) {
        snprintf(err, errlen, "cannot find the runtime library %s; build it with `make` or set "
                              "QNN_RUNTIME_LIB", *lib ? *lib : "libqnnrt.a next to qnnc");
        return -1;
    }
    return 0;
}

/* The temporary folder holds only files written here (and a folder per tool at most), so
 * two levels are all there is; paths are built to size, never cut. */
static void remove_tree(const char *path, int depth) {
    DIR *d = depth < 3 ? opendir(path) : NULL;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            size_t len = strlen(path) + strlen(e->d_name) + 2;
            char *p = malloc(len);
            if (!p) continue;
            snprintf(p, len, "%s/%s", path, e->d_name);
            remove_tree(p, depth + 1);
            free(p);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Reads only regular files (a FIFO planted in the cache or as the runtime library cannot make
 * the build wait forever). */
static int copy_file(const char *from, const char *to) {
    FILE *in = io_fopen_input(from, NULL, 0), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = -1;
    if (in && ferror(in)) rc = -1;
    if (in) fclose(in);
    if (out && fclose(out)) rc = -1;
    return rc;
}

/* ---- external tools ------------------------------------------------------------------ */

typedef struct {
    char *argv[MAX_ARGV];
    int n;
} cmdline;

static void push(cmdline *c, arena *ar, const char *s) {
    if (c->n < MAX_ARGV - 1) c->argv[c->n++] = arena_strdup(ar, s);
    c->argv[c->n] = NULL;
}

/* Words of an environment variable (CC="ccache gcc", QNN_LDFLAGS="-L/x -static-libgcc"). */
/* The MPI libraries the runtime was built against (the Makefile's `mpicc --showme:link`), or
 * nothing: a native program links what its runtime needs. */
#ifndef QNN_MPI_LIBS
#define QNN_MPI_LIBS ""
#endif

static void push_words(cmdline *c, arena *ar, const char *env, const char *dflt) {
    const char *v = env ? getenv(env) : NULL;
    if (!v || !*v) v = dflt;
    char *copy = arena_strdup(ar, v ? v : ""), *save = NULL;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) push(c, ar, w);
}

/* Runs a tool with its output in `log`; the log's start is shown when it fails. */
static int run_tool(const cmdline *c, const char *log, int verbose, char *err, size_t errlen) {
    if (verbose) {
        for (int i = 0; i < c->n; i++) fprintf(stderr, "%s%s", i ? " " : "", c->argv[i]);
        fputc('\n', stderr);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    pid_t pid;
    int e = posix_spawnp(&pid, c->argv[0], &fa, NULL, c->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e) {
        snprintf(err, errlen, "cannot run `%s`: %s%s", c->argv[0], strerror(e),
                 e == ENOENT ? " (no C compiler or archiver found: install one, or set CC / AR)" : "");
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return snprintf(err, errlen, "waiting for `%s` failed", c->argv[0]), -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    char out[1600] = "";
    FILE *f = fopen(log, "r");
    if (f) {
        size_t n = fread(out, 1, sizeof out - 1, f);
        out[n] = '\0';
        fclose(f);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !*out)
        snprintf(out, sizeof out, "command not found\n");
    snprintf(err, errlen, "`%s` failed (%s %d):\n%s", c->argv[0],
             WIFEXITED(status) ? "exit status" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), out);
    return -1;
}

/* Sanitizer runtimes: a qnnc built with them (make asan) has a runtime library built with
 * them, which only links with the same flags. */
static void push_sanitizers(cmdline *c, arena *ar) {
#if defined(__SANITIZE_ADDRESS__)
    push(c, ar, "-fsanitize=address,undefined");
#else
    (void)c;
    (void)ar;
#endif
}

/* ---- the object file, with an optional cache ------------------------------------------ */

typedef struct {
    const ir_circuit **ir;   /* after the passes */
    const char **prefixes;
    cg_options *opts;
    int n;
} circuit_set;

/* Signals on which the temporary folder is removed before dying (guard_tmp). */
static const int CLEANUP_SIGNALS[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

/* What the child of emit_isolated sends back. */
typedef struct {
    int rc;
    aot_times times;
    char err[2048];
} emit_reply;

static int write_all(int fd, const void *p, size_t n) {
    for (const char *c = p; n;) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w, n -= (size_t)w;
    }
    return 0;
}

/* aot_emit in a child process. LLVM stops the process on some --cpu/--features combinations
 * that it accepts at first (`--cpu i386` for x86-64: "LLVM ERROR: 64-bit code requested on a
 * subtarget that doesn't support it", exit 134; `--features -sse2`: a segmentation fault in
 * the code generator): here that is one clear message, and the build still cleans up. */
static int emit_isolated(const circuit_set *cs, const aot_target *t, aot_kind kind, const char *path,
                         const char *log, aot_times *times, char *err, size_t errlen) {
    int fds[2];
    fflush(NULL);
    if (pipe(fds)) return snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno)), -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return snprintf(err, errlen, "cannot start the code generator: %s", strerror(errno)), -1;
    }
    if (pid == 0) {
        for (size_t i = 0; i < sizeof CLEANUP_SIGNALS / sizeof *CLEANUP_SIGNALS; i++)
            signal(CLEANUP_SIGNALS[i], SIG_DFL); /* the parent cleans up, not the child */
        close(fds[0]);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) dup2(fd, 2);
        emit_reply r;
        memset(&r, 0, sizeof r);
        r.rc = aot_emit(cs->ir, cs->prefixes, cs->n, cs->opts, t, kind, path, NULL, &r.times, r.err,
                        sizeof r.err);
        _exit(write_all(fds[1], &r, sizeof r) ? 3 : 0);
    }
    close(fds[1]);
    emit_reply r;
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = read(fds[0], (char *)&r + got, sizeof r - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (got == sizeof r && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        r.err[sizeof r.err - 1] = '\0';
        if (times) *times = r.times;
        if (r.rc) snprintf(err, errlen, "%s", r.err);
        return r.rc;
    }
    /* LLVM's own words: the first line it printed. */
    char said[300] = "";
    FILE *f = fopen(log, "r");
    if (f) {
        while (fgets(said, sizeof said, f) && strncmp(said, "LLVM ERROR", 10) != 0 && !strstr(said, "error")) {}
        fclose(f);
        said[strcspn(said, "\n")] = '\0';
    }
    remove(path);
    snprintf(err, errlen, "LLVM cannot generate code for %s with cpu `%s`%s%s%s (%s%s%s%s): this CPU and "
                          "feature combination does not work for the target; change --cpu or --features",
             t->triple, t->cpu, *t->features ? " and features `" : "", t->features, *t->features ? "`" : "",
             WIFSIGNALED(status) ? "it crashed: " : "it stopped",
             WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "", *said ? "; " : "", said);
    return -1;
}

/* Writes len bytes to a new file in the build's temporary folder. */
static int write_bytes(const char *path, const unsigned char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f)) ok = 0;
    if (!ok) remove(path);
    return ok ? 0 : -1;
}

/* The object file, from the compiled-code cache (cache.h, shared with qnnc run) when a cache
 * folder is given: keyed by every circuit's fused IR, options and symbol prefix, the target
 * and qnnc itself. A damaged entry is reported in one note and rebuilt; a cache that cannot be
 * written costs one warning, never the build. */
static int emit_circuits(const circuit_set *cs, const aot_target *t, aot_kind kind, const char *path,
                         const char *cache_dir, const char *log, int *hit, aot_times *times, char *err,
                         size_t errlen) {
    code_cache cc;
    cache_key k;
    int keyed = 0;
    *hit = 0;
    memset(&k, 0, sizeof k);
    cache_open(&cc, kind == AOT_OBJECT ? cache_dir : NULL, "qnnc build");
    if (cc.dir && cache_key_begin(&k, "aot", t->triple, t->cpu, t->features) == 0) {
        for (int i = 0; i < cs->n; i++) cache_key_add(&k, cs->ir[i], &cs->opts[i], cs->prefixes[i]);
        keyed = cache_key_end(&k) == 0;
    }
    if (keyed) {
        unsigned char *obj = NULL;
        size_t len = 0;
        char note[1200];
        cache_result found = cache_lookup(&cc, &k, &obj, &len, note, sizeof note);
        if (found == CACHE_CORRUPT) fprintf(stderr, "qnnc build: note: %s; compiling again\n", note);
        if (found == CACHE_HIT && write_bytes(path, obj, len) == 0) *hit = 1;
        free(obj);
    }
    int rc = *hit ? 0 : emit_isolated(cs, t, kind, path, log, times, err, errlen);
    if (rc == 0 && keyed && !*hit) {
        unsigned char *data = NULL;
        size_t len = 0;
        if (io_read_file(path, (size_t)1 << 30, &data, &len, NULL, 0) == 0) cache_store(&cc, &k, data, len);
        free(data);
    }
    cache_key_free(&k);
    cache_close(&cc);
    return rc;
}

/* ---- the build ----------------------------------------------------------------------- */

typedef struct {
    build_options *o;
    arena *ar;
    aot_target target;
    build_unit unit;
    circuit_set cs;
    const char *tmp;           /* the temporary folder */
    const char *final[2];      /* outputs, renamed from tmp_out at the end */
    const char *tmp_out[2];
    double t_front, t_passes, t_cc, t_link;
    aot_times t_llvm;
    int cache_hit;
    int to_stdout;             /* -o -: the one text output goes to standard output */
    char err[4096];
} build;

static const char *base_no_ext(arena *ar, const char *path, const char *ext) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b), e = strlen(ext);
    if (n > e && strcmp(b + n - e, ext) == 0) n -= e;
    return arena_strndup(ar, b, n);
}

static char *c_ident(arena *ar, const char *s, size_t max) {
    char *id = arena_printf(ar, "%s%.*s", *s >= '0' && *s <= '9' ? "_" : "", (int)max, s);
    for (char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    return id;
}

/* Distinct circuits over the selected experiments: the same IR at the same precision is
 * compiled once (layers built from one circuit with the same arguments, shared baselines). */
static int collect_circuits(build *b, const sema_result *r) {
    build_options *o = b->o;
    int cap = 1, ne = 0;
    for (int i = 0; i < r->n_experiments; i++) cap += r->experiments[i].model.n_circuits;
    char **texts = calloc((size_t)cap, sizeof *texts);
    int *prec = calloc((size_t)cap, sizeof *prec), *shot = calloc((size_t)cap, sizeof *shot);
    b->unit.circuits = arena_alloc(b->ar, sizeof *b->unit.circuits * (size_t)cap);
    b->unit.experiments = arena_alloc(b->ar, sizeof *b->unit.experiments * (size_t)(r->n_experiments + 1));
    b->cs.ir = arena_alloc(b->ar, sizeof *b->cs.ir * (size_t)cap);
    b->cs.prefixes = arena_alloc(b->ar, sizeof *b->cs.prefixes * (size_t)cap);
    b->cs.opts = arena_alloc(b->ar, sizeof *b->cs.opts * (size_t)cap);
    if (!texts || !prec || !shot) {
        free(texts);
        free(prec);
        free(shot);
        snprintf(b->err, sizeof b->err, "out of memory");
        return -1;
    }
    const char *lib = b->unit.lib_name;
    int n = 0, rc = 0;
    for (int i = 0; i < r->n_experiments && !rc; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (o->experiment && strcmp(o->experiment, x->exp.name) != 0) continue;
        if (x->exp.gen.on) { /* run_gan's settings are not in the generated experiment's C */
            snprintf(b->err, sizeof b->err, "experiment %s is generative (a GAN, language.md "
                     "§6.17), which native builds do not generate yet; run it with `qnnc run`",
                     x->exp.name);
            rc = -1;
            break;
        }
        if (x->exp.simulation == RT_SIM_DENSITY_MATRIX) {
            snprintf(b->err, sizeof b->err, "experiment %s simulates density matrices (noise "
                     "channels), which native builds do not generate yet; run it with `qnnc run`",
                     x->exp.name);
            rc = -1;
            break;
        }
        for (int k = 0; k < x->model.n_circuits && !rc; k++)
            if (traj_first_jump(x->model.circuits[k])) { /* interpreted, and not trainable */
                char why[1024];
                traj_no_gradient(x->model.circuits[k], why, sizeof why);
                snprintf(b->err, sizeof b->err, "experiment %s: native builds train: %s", x->exp.name, why);
                rc = -1;
            }
        if (rc) break;
        if (x->exp.simulation == RT_SIM_TRAJECTORIES && (b->unit.shared || b->unit.lib_name)) {
            /* their circuit functions are one trajectory each, the draws left to the caller */
            snprintf(b->err, sizeof b->err, "%s: simulation = trajectories: libraries (--emit lib, "
                     "--emit shared) export one trajectory per call, not the mean of %d; build an "
                     "executable", x->exp.name, x->exp.trajectories);
            rc = -1;
            break;
        }
        /* --grad wins over the `gradient` setting; with shots the default is shift */
        int shots = x->exp.shots > 0,
            shift = o->grad_given ? o->grad_shift
                    : x->exp.gradient[0] ? strcmp(x->exp.gradient, "shift") == 0 : shots;
        if (shots && (b->unit.shared || b->unit.lib_name)) {
            /* their circuit API hands callers the compiled functions' raw outputs */
            snprintf(b->err, sizeof b->err, "%s: shots = %d: libraries (--emit lib, --emit shared) "
                     "compute exact expectation values; build an executable, or --set shots=exact",
                     x->exp.name, x->exp.shots);
            rc = -1;
            break;
        }
        if (shots && o->grad_given && !o->grad_shift) {
            snprintf(b->err, sizeof b->err, "%s: --grad adjoint needs the exact state, and shots = "
                     "%d measure samples: use --grad shift (the default with shots)", x->exp.name,
                     x->exp.shots);
            rc = -1;
            break;
        }
        build_experiment *be = &b->unit.experiments[ne++];
        be->x = x;
        be->precision = o->precision ? o->precision : x->exp.precision;
        be->gradient = shift ? "shift" : "adjoint";
        be->circuit = arena_alloc(b->ar, sizeof(int) * (size_t)(x->model.n_circuits + 1));
        for (int k = 0; k < x->model.n_circuits && !rc; k++) {
            char *text = ir_to_text(x->model.circuits[k]);
            int same = -1;
            for (int j = 0; j < n && same < 0 && text; j++)
                if (prec[j] == be->precision && shot[j] == shots && strcmp(texts[j], text) == 0)
                    same = j;
            if (same >= 0 || !text) {
                be->circuit[k] = same;
                free(text);
                if (!text) rc = -1, snprintf(b->err, sizeof b->err, "out of memory");
                continue;
            }
            texts[n] = text;
            prec[n] = be->precision;
            shot[n] = shots;
            const ir_circuit *src = x->model.circuits[k];
            build_circuit *bc = &b->unit.circuits[n];
            bc->plan = NULL;
            ir_circuit *meas = NULL; /* shots: the measurement circuit is what is compiled */
            if (shots && !(meas = shots_circuit(src, &bc->plan, b->err, sizeof b->err))) {
                free(text);
                texts[n] = NULL;
                rc = -1;
                break;
            }
            double t0 = now();
            b->cs.ir[n] = o->no_fuse ? ir_clone(meas ? meas : src) : pass_fuse(meas ? meas : src);
            ir_free(meas);
            b->t_passes += now() - t0;
            bc->name = src->name;
            snprintf(bc->prefix, sizeof bc->prefix, "%s_c%d_%s", lib ? lib : "qnn", n,
                     c_ident(b->ar, src->name ? src->name : "circuit", 40));
            b->cs.prefixes[n] = bc->prefix;
            cg_options co;
            memset(&co, 0, sizeof co);
            co.precision = be->precision;
            co.lanes = aot_lanes(&b->target, be->precision);
            co.opt_level = 3; /* as the JIT: the same code as `qnnc run` */
            co.grad = shift ? CG_GRAD_SHIFT : CG_GRAD_ADJOINT;
            co.shots = shots;
            b->cs.opts[n] = co;
            bc->kept = !shift && !ir_has_channels(b->cs.ir[n]);
            be->circuit[k] = n++;
        }
    }
    for (int j = 0; j < n; j++) free(texts[j]);
    free(texts);
    free(prec);
    free(shot);
    b->unit.n_circuits = b->cs.n = n;
    b->unit.n_experiments = ne;
    return rc;
}

/* ---- the temporary folder on every exit path -------------------------------------------- */

/* Every name the build writes in its temporary folder. A signal handler cannot walk a folder
 * (opendir is not async-signal-safe), so the files' paths are made in advance and the handler
 * only unlinks and rmdirs them, then dies of the signal as it would have. */
static const char *const TMP_NAMES[] = {"out", "out.c", "a.out", "lib.a", "lib.h", "circuits.o",
                                        "main.c", "main.o", "model.c", "qnnc_gen_circuits.o",
                                        "qnnc_gen_model.o", "cc.log", "link.log", "ar.log", "llvm.log",
                                        "lib.so", "exports.map"};
enum { N_TMP_NAMES = sizeof TMP_NAMES / sizeof *TMP_NAMES };
static const char *volatile tmp_dir_for_signal;
static const char *tmp_files_for_signal[N_TMP_NAMES];

static void remove_tmp_on_signal(int sig) {
    const char *dir = tmp_dir_for_signal;
    if (dir) {
        for (int i = 0; i < N_TMP_NAMES; i++)
            if (tmp_files_for_signal[i]) unlink(tmp_files_for_signal[i]);
        rmdir(dir);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard_tmp(build *b, const char *dir) {
    for (int i = 0; i < N_TMP_NAMES; i++)
        tmp_files_for_signal[i] = arena_printf(b->ar, "%s/%s", dir, TMP_NAMES[i]);
    tmp_dir_for_signal = dir;
    for (size_t i = 0; i < sizeof CLEANUP_SIGNALS / sizeof *CLEANUP_SIGNALS; i++)
        signal(CLEANUP_SIGNALS[i], remove_tmp_on_signal);
}

static void unguard_tmp(void) {
    for (size_t i = 0; i < sizeof CLEANUP_SIGNALS / sizeof *CLEANUP_SIGNALS; i++)
        signal(CLEANUP_SIGNALS[i], SIG_DFL);
    tmp_dir_for_signal = NULL;
}

static const char *in_tmp(build *b, const char *name) { return arena_printf(b->ar, "%s/%s", b->tmp, name); }

static int write_c(build *b, const char *path) {
    FILE *f = fopen(path, "w");
    int rc = f ? build_write_c(f, &b->unit) : -1;
    if (f && fclose(f)) rc = -1;
    if (rc) snprintf(b->err, sizeof b->err, "writing %s failed", path);
    return rc;
}

/* The generated C compiled against the runtime's headers. */
static int compile_c(build *b, const char *inc, const char *src, const char *obj) {
    cmdline c = {{0}, 0};
    double t0 = now();
    push_words(&c, b->ar, "CC", "cc");
    const char *args[] = {"-std=c11", "-O1", "-I", inc, "-c", src, "-o", obj};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) push(&c, b->ar, args[i]);
    if (b->o->emit == EMIT_SHARED) push(&c, b->ar, "-fPIC"); /* the circuits and runtime are PIC too */
    push_sanitizers(&c, b->ar);
    int rc = run_tool(&c, in_tmp(b, "cc.log"), b->o->verbose, b->err, sizeof b->err);
    b->t_cc += now() - t0;
    return rc;
}

/* glibc's libmvec, which x86-64 circuit code calls for per-lane sin/cos (compiler/cg.h),
 * where qnnc was built with it. */
static void push_mvec(build *b, cmdline *c) {
    if (!b->target.triple || strncmp(b->target.triple, "x86_64", 6) == 0)
        push_words(c, b->ar, NULL, QNN_MVEC_LIBS);
}

static int link_exe(build *b, const char *lib, const char *out) {
    cmdline c = {{0}, 0};
    double t0 = now();
    push_words(&c, b->ar, "CC", "cc");
    const char *args[] = {"-o", out, in_tmp(b, "main.o"), in_tmp(b, "circuits.o"), lib,
                          "-lpng", "-lz", "-lsndfile", "-lfftw3", "-lcairo", "-llapacke", "-lpthread", "-lm"};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) push(&c, b->ar, args[i]);
    push_mvec(b, &c);
    push_words(&c, b->ar, NULL, QNN_MPI_LIBS);
    push_sanitizers(&c, b->ar);
    push_words(&c, b->ar, "QNN_LDFLAGS", NULL);
    int rc = run_tool(&c, in_tmp(b, "link.log"), b->o->verbose, b->err, sizeof b->err);
    b->t_link += now() - t0;
    if (rc && !b->target.host_triple)
        snprintf(b->err + strlen(b->err), sizeof b->err - strlen(b->err),
                 "(a build for another machine needs CC set to a C compiler for %s and "
                 "QNN_RUNTIME_LIB to a runtime built for it; --emit obj works without them)",
                 b->target.triple);
    return rc;
}

/* NAME.a: the runtime library's members plus the model's two objects, so that a program
 * links one archive. ar r on a copy keeps the runtime's member names. */
static int archive_lib(build *b, const char *lib, const char *out) {
    cmdline c = {{0}, 0};
    double t0 = now();
    if (copy_file(lib, out)) {
        snprintf(b->err, sizeof b->err, "cannot copy %s", lib);
        return -1;
    }
    push_words(&c, b->ar, "AR", "ar");
    const char *args[] = {"rs", out, in_tmp(b, "qnnc_gen_circuits.o"), in_tmp(b, "qnnc_gen_model.o")};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) push(&c, b->ar, args[i]);
    int rc = run_tool(&c, in_tmp(b, "ar.log"), b->o->verbose, b->err, sizeof b->err);
    b->t_link += now() - t0;
    return rc;
}

/* NAME.so: the generated table, the circuits and the runtime (no LLVM). Only the ABI of
 * qnn_shared.h is exported: the runtime's own symbols stay inside, so two libraries loaded
 * into one process never bind to each other's runtime. */
static int link_shared(build *b, const char *lib, const char *out) {
    const char *map = in_tmp(b, "exports.map");
    FILE *f = fopen(map, "w");
    if (!f || fputs("{ global: qnn_abi_version; qnn_version; qnn_lib_*; qnn_st_*; local: *; };\n", f) < 0 ||
        fclose(f)) {
        if (f) fclose(f);
        snprintf(b->err, sizeof b->err, "cannot write %s", map);
        return -1;
    }
    cmdline c = {{0}, 0};
    double t0 = now();
    push_words(&c, b->ar, "CC", "cc");
    const char *args[] = {"-shared", "-o", out, in_tmp(b, "main.o"), in_tmp(b, "circuits.o"), lib,
                          "-lpng", "-lz", "-lsndfile", "-lfftw3", "-lcairo", "-llapacke", "-lpthread", "-lm",
                          arena_printf(b->ar, "-Wl,--version-script=%s", map)};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) push(&c, b->ar, args[i]);
    push_mvec(b, &c);
    push_words(&c, b->ar, NULL, QNN_MPI_LIBS);
    push_sanitizers(&c, b->ar);
    push_words(&c, b->ar, "QNN_LDFLAGS", NULL);
    int rc = run_tool(&c, in_tmp(b, "link.log"), b->o->verbose, b->err, sizeof b->err);
    b->t_link += now() - t0;
    return rc;
}

static int emit(build *b, aot_kind kind, const char *path) {
    return emit_circuits(&b->cs, &b->target, kind, path, b->o->cache_dir, in_tmp(b, "llvm.log"),
                         &b->cache_hit, &b->t_llvm, b->err, sizeof b->err);
}

/* Everything in the temporary folder; on success tmp_out[i] are ready to be renamed. */
static int produce(build *b) {
    build_options *o = b->o;
    const char *inc = NULL, *lib = NULL;
    switch (o->emit) {
    case EMIT_OBJ: case EMIT_ASM: case EMIT_LLVM:
        b->tmp_out[0] = in_tmp(b, "out");
        return emit(b, o->emit == EMIT_OBJ ? AOT_OBJECT : o->emit == EMIT_ASM ? AOT_ASSEMBLY : AOT_LLVM_IR,
                    b->tmp_out[0]);
    case EMIT_C:
        b->tmp_out[0] = in_tmp(b, "out.c");
        return write_c(b, b->tmp_out[0]);
    case EMIT_EXE:
        if (find_runtime(b->ar, &inc, &lib, b->err, sizeof b->err)) return -1;
        b->tmp_out[0] = in_tmp(b, "a.out");
        return emit(b, AOT_OBJECT, in_tmp(b, "circuits.o")) || write_c(b, in_tmp(b, "main.c")) ||
               compile_c(b, inc, in_tmp(b, "main.c"), in_tmp(b, "main.o")) ||
               link_exe(b, lib, b->tmp_out[0]) ? -1 : 0;
    case EMIT_SHARED:
        if (find_runtime(b->ar, &inc, &lib, b->err, sizeof b->err)) return -1;
        b->tmp_out[0] = in_tmp(b, "lib.so");
        return emit(b, AOT_OBJECT, in_tmp(b, "circuits.o")) || write_c(b, in_tmp(b, "main.c")) ||
               compile_c(b, inc, in_tmp(b, "main.c"), in_tmp(b, "main.o")) ||
               link_shared(b, lib, b->tmp_out[0]) ? -1 : 0;
    case EMIT_LIB: {
        if (find_runtime(b->ar, &inc, &lib, b->err, sizeof b->err)) return -1;
        b->tmp_out[0] = in_tmp(b, "lib.a");
        b->tmp_out[1] = in_tmp(b, "lib.h");
        if (emit(b, AOT_OBJECT, in_tmp(b, "qnnc_gen_circuits.o")) || write_c(b, in_tmp(b, "model.c")) ||
            compile_c(b, inc, in_tmp(b, "model.c"), in_tmp(b, "qnnc_gen_model.o")) ||
            archive_lib(b, lib, b->tmp_out[0]))
            return -1;
        FILE *f = fopen(b->tmp_out[1], "w");
        int rc = f ? build_write_header(f, &b->unit, arena_printf(b->ar, "%s/qnn_embed.h", inc), b->err,
                                        sizeof b->err) : -1;
        if (f && fclose(f)) rc = -1;
        if (rc && !f) snprintf(b->err, sizeof b->err, "cannot write %s", b->tmp_out[1]);
        return rc;
    }
    }
    return -1;
}

/* The output names, and the temporary folder beside them (same file system: rename works). */
static int prepare_outputs(build *b) {
    build_options *o = b->o;
    static const char *const exts[] = {"", ".o", ".s", ".ll", "", ".c", ""};
    const char *out = o->output;
    if (out && strcmp(out, "-") == 0) {
        /* standard output, for the text kinds; never a file named `-` */
        if (o->emit != EMIT_ASM && o->emit != EMIT_LLVM && o->emit != EMIT_C) {
            snprintf(b->err, sizeof b->err, "`-o -` writes to standard output, which takes only text "
                                            "(--emit asm, llvm or c); --emit %s needs a file name",
                     EMIT_NAMES[o->emit]);
            return -1;
        }
        b->to_stdout = 1;
        const char *td = getenv("TMPDIR");
        char *tmpl = arena_printf(b->ar, "%s/.qnnc-build-XXXXXX", td && *td ? td : "/tmp");
        if (!mkdtemp(tmpl)) {
            snprintf(b->err, sizeof b->err, "cannot create a temporary folder %s: %s", tmpl, strerror(errno));
            return -1;
        }
        b->tmp = tmpl;
        guard_tmp(b, tmpl);
        return 0;
    }
    if (!out) out = arena_printf(b->ar, "%s%s", base_no_ext(b->ar, o->file, ".qnn"), exts[o->emit]);
    if (o->emit == EMIT_LIB) {
        const char *stem = arena_strndup(b->ar, out, strlen(out) - (strlen(out) > 2 &&
                                         strcmp(out + strlen(out) - 2, ".a") == 0 ? 2 : 0));
        b->final[0] = arena_printf(b->ar, "%s.a", stem);
        b->final[1] = arena_printf(b->ar, "%s.h", stem);
        b->unit.lib_name = c_ident(b->ar, base_no_ext(b->ar, stem, ""), 60);
    } else if (o->emit == EMIT_SHARED) {
        size_t n = strlen(out);
        b->final[0] = arena_printf(b->ar, "%.*s.so", (int)(n - (n > 3 && strcmp(out + n - 3, ".so") == 0 ? 3 : 0)), out);
        b->unit.shared = 1;
    } else {
        b->final[0] = out;
    }
    for (int i = 0; i < 2 && b->final[i]; i++) {
        struct stat st;
        size_t len = strlen(b->final[i]);
        if (!len) {
            snprintf(b->err, sizeof b->err, "-o needs a file name, not an empty one");
            return -1;
        }
        if (b->final[i][len - 1] == '/' || (stat(b->final[i], &st) == 0 && S_ISDIR(st.st_mode))) {
            snprintf(b->err, sizeof b->err, "`%s` is a folder: -o takes the output file's name", b->final[i]);
            return -1;
        }
        /* the runtime's output policy: a new name or a regular file, never a device, FIFO or
         * symbolic link (`-o /dev/full` must not turn /dev/full into a text file) */
        if (io_check_output_target(b->final[i], b->err, sizeof b->err)) return -1;
    }
    const char *slash = strrchr(b->final[0], '/');
    const char *dir = slash ? arena_strndup(b->ar, b->final[0], (size_t)(slash - b->final[0]) + (slash == b->final[0])) : ".";
    char *tmpl = arena_printf(b->ar, "%s/.qnnc-build-XXXXXX", dir);
    if (!mkdtemp(tmpl)) {
        int e = errno;
        snprintf(b->err, sizeof b->err, "cannot write `%s`: %s%s", b->final[0], e == ENOENT ? "the folder " : "",
                 e == ENOENT ? arena_printf(b->ar, "`%s` does not exist", dir)
                             : arena_printf(b->ar, "folder `%s`: %s", dir, strerror(e)));
        return -1;
    }
    b->tmp = tmpl;
    guard_tmp(b, tmpl);
    return 0;
}

/* -o -: the text product to standard output. */
static int copy_to_stdout(build *b, const char *path) {
    signal(SIGPIPE, SIG_IGN); /* `| head`: an EPIPE error, then the usual cleanup */
    FILE *in = fopen(path, "rb");
    char buf[65536];
    size_t n;
    int rc = in ? 0 : -1;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, stdout) != n) rc = -1;
    if (in && ferror(in)) rc = -1;
    if (in) fclose(in);
    if (fflush(stdout)) rc = -1;
    if (rc) snprintf(b->err, sizeof b->err, "writing to standard output failed: %s", strerror(errno));
    return rc;
}

static int finish(build *b) {
    if (b->to_stdout) return copy_to_stdout(b, b->tmp_out[0]);
    for (int i = 0; i < 2 && b->final[i]; i++) /* checked again: the build took a while */
        if (io_check_output_target(b->final[i], b->err, sizeof b->err)) return -1;
    for (int i = 0; i < 2 && b->final[i]; i++)
        if (rename(b->tmp_out[i], b->final[i])) {
            snprintf(b->err, sizeof b->err, "cannot write `%s`: %s", b->final[i], strerror(errno));
            if (i == 1) unlink(b->final[0]); /* a library without its header is no use */
            return -1;
        }
    return 0;
}

static void print_times(const build *b, double total) {
    const build_options *o = b->o;
    fprintf(stderr, "compile time of %s (--emit %s, %s, cpu %s):\n", o->file, EMIT_NAMES[o->emit],
            b->target.triple ? b->target.triple : "-", b->target.cpu ? b->target.cpu : "-");
    fprintf(stderr, "  front end (parse, check, elaborate, lower)  %9.1f ms\n", 1e3 * b->t_front);
    char label[64];
    snprintf(label, sizeof label, "IR passes (%s, %d circuit%s)", o->no_fuse ? "none" : "fusion", b->cs.n,
             b->cs.n == 1 ? "" : "s");
    fprintf(stderr, "  %-43s %9.1f ms\n", label, 1e3 * b->t_passes);
    if (b->cache_hit)
        fprintf(stderr, "  LLVM optimisation + code generation         %9s    (object from the cache)\n", "-");
    else
        fprintf(stderr, "  LLVM optimisation + code generation         %9.1f ms  (IR + optimisation %.1f, "
                        "code generation %.1f)\n", 1e3 * (b->t_llvm.build + b->t_llvm.codegen),
                1e3 * b->t_llvm.build, 1e3 * b->t_llvm.codegen);
    if (o->emit == EMIT_EXE || o->emit == EMIT_LIB || o->emit == EMIT_SHARED) {
        fprintf(stderr, "  C compiler (generated %-4s)                 %9.1f ms\n",
                o->emit == EMIT_EXE ? "main" : "code", 1e3 * b->t_cc);
        fprintf(stderr, "  link%-40s %9.1f ms\n", o->emit == EMIT_LIB ? " (archive)" : o->emit == EMIT_SHARED ? " (shared)" : "", 1e3 * b->t_link);
    }
    fprintf(stderr, "  total                                       %9.1f ms\n", 1e3 * total);
}

int cmd_build_main(int argc, char **argv) {
    build_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    double t_start = now();
    build b;
    memset(&b, 0, sizeof b);
    b.o = &o;
    if (!o.cache_dir && getenv("QNN_CACHE_DIR") && *getenv("QNN_CACHE_DIR")) o.cache_dir = getenv("QNN_CACHE_DIR");
    /* The target first: a wrong triple is reported before any work. */
    int t = aot_target_resolve(o.triple, o.cpu, o.features, &b.target, b.err, sizeof b.err);
    if (t) {
        if (t < 0) fprintf(stderr, "qnnc build: %s\n", b.err);
        return t < 0 ? EXIT_ERRORS : 0; /* 1: --cpu help / --features help printed the table */
    }
    b.ar = arena_create();
    if (!o.sema.stdlib_dir) o.sema.stdlib_dir = cmd_find_stdlib(b.ar);
    double t0 = now();
    sema_result *r = sema_check_file(b.ar, o.file, &o.sema);
    b.t_front = now() - t0;
    rc = EXIT_ERRORS;
    if (!r || diag_error_count()) {
        int n = diag_error_count();
        fprintf(stderr, "%d error%s\n", n, n == 1 ? "" : "s");
        goto done;
    }
    char abs[PATH_MAX];
    b.unit.source_abs = realpath(o.file, abs) ? arena_strdup(b.ar, abs) : o.file;
    b.unit.built_with = arena_printf(b.ar, "qnnc %s, %s, cpu %s%s%s", QNN_VERSION, b.target.triple,
                                     b.target.cpu, *b.target.features && !b.target.host ? ", features " : "",
                                     *b.target.features && !b.target.host ? b.target.features : "");
    if (cmd_check_experiment(r, o.file, o.experiment, "qnnc build")) goto done;
    draw_attach_reports(b.ar, r); /* the binary's reports show the circuits, as `qnnc run`'s do */
    int n_sel = 0;
    for (int i = 0; i < r->n_experiments; i++)
        n_sel += !o.experiment || strcmp(o.experiment, r->experiments[i].exp.name) == 0;
    if (!n_sel) {
        fprintf(stderr, "qnnc build: %s has no experiment%s%s%s\n", o.file, o.experiment ? " `" : " to build",
                o.experiment ? o.experiment : "", o.experiment ? "`" : "");
        goto done;
    }
    if (o.emit == EMIT_LIB && n_sel > 1) {
        fprintf(stderr, "qnnc build: a library holds one model; choose the experiment with --experiment NAME (%s has",
                o.file);
        for (int i = 0; i < r->n_experiments; i++) fprintf(stderr, " %s", r->experiments[i].exp.name);
        fputs(")\n", stderr);
        goto done;
    }
    if (prepare_outputs(&b)) {
        fprintf(stderr, "qnnc build: %s\n", b.err);
        goto done;
    }
    if (collect_circuits(&b, r) || produce(&b) || finish(&b)) {
        fprintf(stderr, "qnnc build: %s\n", b.err);
    } else {
        rc = 0;
        if (!o.quiet)
            fprintf(stderr, "qnnc build: wrote %s%s%s (%d experiment%s, %d circuit%s, %s, cpu %s)\n",
                    b.to_stdout ? "standard output" : b.final[0],
                    b.final[1] ? " and " : "", b.final[1] ? b.final[1] : "", n_sel, n_sel == 1 ? "" : "s",
                    b.cs.n, b.cs.n == 1 ? "" : "s", b.target.triple, b.target.cpu);
        if (o.show_time) print_times(&b, now() - t_start);
    }
done:
    for (int i = 0; i < b.cs.n; i++) free(b.unit.circuits[i].plan);
    if (b.tmp) remove_tree(b.tmp, 0);
    unguard_tmp();
    for (int i = 0; i < b.cs.n; i++) ir_free((ir_circuit *)b.cs.ir[i]);
    sema_free(r);
    aot_target_free(&b.target);
    arena_destroy(b.ar);
    return rc;
}
