/* qnnc sweep: the cross product of `--set` values, each configuration checked up front by the
 * front end, then run as its own `qnnc run` process (this executable, exec'ed) in its own
 * folder, up to --jobs at a time. A run leaves result.csv (rt_batch_write_result) when it
 * finished; that file and config.txt (the overrides and the hash of the sources) are how a
 * restarted sweep knows what to skip. The table groups runs that differ only in `seed`.
 * Everything the sweep writes is atomic; a failed run is recorded and the others go on. */
#define _XOPEN_SOURCE 700 /* sysconf, readlink */
#include "cmd_sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "commands.h"
#include "diag.h"
#include "io_file.h"
#include "report.h"
#include "rt_dist.h"
#include "rt_limits.h"
#include "rt_stats.h"
#include "sema.h"

enum {
    EXIT_FAILED = 1,
    EXIT_USAGE = 2,
    MAX_AXES = 16,
    MAX_SETS = 256,
    MAX_PASS = 32,
    MAX_RUNS = 10000,   /* configurations of one sweep */
    MAX_METRICS = 32,   /* figures of one result.csv */
    MAX_SERIES = 10,    /* lines of the figure */
    MAX_REFUSED = 5     /* configurations whose diagnostics are shown */
};

typedef struct {
    char *key;
    int n;
    char **values;
} sweep_axis;

typedef struct {
    const char *file, *experiment, *out_dir, *metric, *stdlib_dir;
    int jobs, threads, max_qubits;
    const char *fixed[MAX_SETS];  /* --set K=V with one value: every run */
    int n_fixed;
    sweep_axis axes[MAX_AXES];
    int n_axes;
    const char *pass[MAX_PASS];   /* options each run gets as they were written */
    int n_pass;
} sweep_options;

typedef struct {
    char name[48];
    double v;
} metric_value;

typedef struct {
    int *choice;          /* value index per axis */
    char *label;          /* "k1=v1, k2=v2" */
    char *dir;            /* OUT/runs/NAME */
    char *config;         /* config.txt's expected content */
    int status;           /* 0 finished, 1 failed, -1 not run */
    int skipped;          /* finished before this invocation */
    int n_metrics;
    metric_value metrics[MAX_METRICS];
} sweep_run;

static int usage_error(const char *fmt, const char *arg) {
    fputs("qnnc sweep: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see `qnnc --help`)\n", stderr);
    return EXIT_USAGE;
}

/* ---- values of an axis --------------------------------------------------------------- */

/* Splits v at the commas outside parentheses, brackets and quotes: `1,2,3`, or
 * `adam(lr = 0.1),sgd(lr = 0.1, momentum = 0.9)` as two values. */
static int split_top_level(const char *v, char ***out, int *n) {
    int cap = 8, depth = 0, quote = 0;
    char **vals = malloc((size_t)cap * sizeof *vals);
    *n = 0;
    const char *start = v;
    for (const char *p = v;; p++) {
        if (*p == '"') quote = !quote;
        else if (!quote && (*p == '(' || *p == '[')) depth++;
        else if (!quote && (*p == ')' || *p == ']') && depth > 0) depth--;
        if (*p == 0 || (*p == ',' && !depth && !quote)) {
            if (*n == cap) vals = realloc(vals, (size_t)(cap *= 2) * sizeof *vals);
            size_t len = (size_t)(p - start);
            vals[*n] = malloc(len + 1);
            memcpy(vals[*n], start, len);
            vals[(*n)++][len] = 0;
            if (!*p) break;
            start = p + 1;
        }
    }
    *out = vals;
    return 0;
}

/* `a..b` with integers a < b: the values a, a+1, ..., b-1 (half-open, as the language's
 * `for i in a..b`). 1 if v is such a range (values appended), 0 if not, -1 if empty. */
static int expand_range(const char *v, char ***vals, int *n, int *cap) {
    char *end;
    errno = 0;
    long a = strtol(v, &end, 10);
    if (end == v || strncmp(end, "..", 2) != 0) return 0;
    const char *bs = end + 2;
    long b = strtol(bs, &end, 10);
    if (end == bs || *end || errno) return 0;
    if (b <= a || b - a > MAX_RUNS) return -1;
    for (long x = a; x < b; x++) {
        if (*n == *cap) *vals = realloc(*vals, (size_t)(*cap *= 2) * sizeof **vals);
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", x);
        (*vals)[(*n)++] = strdup(buf);
    }
    return 1;
}

static int add_set(sweep_options *o, const char *kv) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) return usage_error("`--set` needs KEY=VALUE, not `%s`", kv);
    char **pieces;
    int n_pieces;
    split_top_level(eq + 1, &pieces, &n_pieces);
    int cap = 8, n = 0;
    char **vals = malloc((size_t)cap * sizeof *vals);
    int bad = 0;
    for (int i = 0; i < n_pieces; i++) {
        int r = expand_range(pieces[i], &vals, &n, &cap);
        if (r < 0) bad = 1;
        if (r == 0) {
            if (n == cap) vals = realloc(vals, (size_t)(cap *= 2) * sizeof *vals);
            vals[n++] = strdup(pieces[i]);
        }
        free(pieces[i]);
    }
    free(pieces);
    if (bad) {
        for (int i = 0; i < n; i++) free(vals[i]);
        free(vals);
        return usage_error("`%s`: a range a..b needs a < b (it is half-open: 0..10 is ten values)", kv);
    }
    if (n == 1) { /* one value: an override of every run, not an axis */
        for (int i = 0; i < n; i++) free(vals[i]);
        free(vals);
        if (o->n_fixed >= MAX_SETS) return usage_error("too many `--set` options%s", "");
        o->fixed[o->n_fixed++] = kv;
        return 0;
    }
    size_t klen = (size_t)(eq - kv);
    for (int a = 0; a < o->n_axes; a++)
        if (strlen(o->axes[a].key) == klen && strncmp(o->axes[a].key, kv, klen) == 0) {
            for (int i = 0; i < n; i++) free(vals[i]);
            free(vals);
            return usage_error("`%s` is swept twice: give all its values in one `--set`", o->axes[a].key);
        }
    if (o->n_axes >= MAX_AXES) return usage_error("at most 16 swept settings%s", "");
    sweep_axis *ax = &o->axes[o->n_axes++];
    ax->key = strndup(kv, klen);
    ax->values = vals;
    ax->n = n;
    return 0;
}

static void free_options(sweep_options *o) {
    for (int a = 0; a < o->n_axes; a++) {
        for (int i = 0; i < o->axes[a].n; i++) free(o->axes[a].values[i]);
        free(o->axes[a].values);
        free(o->axes[a].key);
    }
}

static int parse_number(const char *s, long lo, long hi, long *v) {
    char *end;
    if (!s || !*s) return -1;
    errno = 0;
    *v = strtol(s, &end, 10);
    return *end || errno || *v < lo || *v > hi ? -1 : 0;
}

static int parse_args(int argc, char **argv, sweep_options *o) {
    memset(o, 0, sizeof *o);
    o->jobs = 1;
    o->threads = -1;
    o->max_qubits = 24;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        long v;
        if (strcmp(a, "--set") == 0) {
            if (!next) return usage_error("`--set` needs KEY=VALUE%s", "");
            if (add_set(o, next)) return EXIT_USAGE;
            i++;
        } else if (strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) {
            if (parse_number(next, 1, RT_LIMIT_THREADS, &v))
                return usage_error("`--jobs` needs a number of runs at a time, 1 to 256, not `%s`",
                                   next ? next : "");
            o->jobs = (int)v;
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_number(next, 0, RT_LIMIT_THREADS, &v))
                return usage_error("`--threads` needs a number from 0 to 256, not `%s`", next ? next : "");
            o->threads = (int)v;
            i++;
        } else if (strcmp(a, "--max-qubits") == 0) {
            if (parse_number(next, 1, 30, &v)) return usage_error("`--max-qubits` needs a number%s", "");
            o->max_qubits = (int)v;
            o->pass[o->n_pass++] = a;
            o->pass[o->n_pass++] = next;
            i++;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--experiment") == 0 ||
                   strcmp(a, "--metric") == 0 || strcmp(a, "--stdlib") == 0) {
            if (!next) return usage_error("`%s` needs a value", a);
            if (a[2] == 'o') o->out_dir = next;
            else if (a[2] == 'e') o->experiment = next;
            else if (a[2] == 'm') o->metric = next;
            else {
                o->stdlib_dir = next;
                o->pass[o->n_pass++] = a;
                o->pass[o->n_pass++] = next;
            }
            i++;
        } else if (strcmp(a, "--precision") == 0 || strcmp(a, "--grad") == 0) {
            int ok = next && (a[2] == 'p' ? strcmp(next, "f64") == 0 || strcmp(next, "f32") == 0
                                          : strcmp(next, "adjoint") == 0 || strcmp(next, "shift") == 0);
            if (!ok) return usage_error(a[2] == 'p' ? "`--precision` takes f64 or f32%s"
                                                    : "`--grad` takes adjoint or shift%s", "");
            o->pass[o->n_pass++] = a;
            o->pass[o->n_pass++] = next;
            i++;
        } else if (strcmp(a, "--no-fuse") == 0 || strcmp(a, "--no-cache") == 0 ||
                   strcmp(a, "--reference") == 0) {
            o->pass[o->n_pass++] = a;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option `%s`; sweep takes --set, --jobs, --out, --experiment, "
                               "--metric, --threads, --precision, --grad, --stdlib, --max-qubits, "
                               "--no-fuse, --no-cache, --reference", a);
        } else if (!o->file) {
            o->file = a;
        } else {
            return usage_error("unexpected argument `%s`: one file at a time", a);
        }
    }
    if (!o->file) return usage_error("`sweep` needs a .qnn file%s", "");
    if (!o->n_axes)
        return usage_error("nothing to sweep: give a setting several values, e.g. --set seed=0..5 "
                           "or --set model.hidden=1,2,3%s", "");
    long total = 1;
    for (int a = 0; a < o->n_axes; a++) {
        total *= o->axes[a].n;
        if (total > MAX_RUNS) return usage_error("the sweep has more than 10000 runs%s", "");
    }
    return 0;
}

/* ---- configurations ------------------------------------------------------------------ */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

/* The folder name of a configuration: its overrides with characters that are unsafe in a
 * file name replaced, and a hash suffix when anything was replaced or cut, so that two
 * configurations never share a folder. */
static char *run_name(const char *label) {
    char buf[128];
    size_t n = 0;
    int changed = 0;
    for (const char *p = label; *p && n < 96; p++) {
        char c = *p;
        if (c == ' ') continue;
        int safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '=' || c == ',' || c == '-' || c == '+' || c == '_';
        buf[n++] = safe ? c : '_';
        changed |= !safe;
    }
    changed |= n >= 96;
    buf[n] = 0;
    if (changed)
        snprintf(buf + n, sizeof buf - n, "~%08llx",
                 (unsigned long long)(fnv1a(0xcbf29ce484222325ULL, label, strlen(label)) & 0xffffffffULL));
    return strdup(buf);
}

/* The --set list of one configuration: the fixed overrides first, then its axis values. */
static int config_sets(const sweep_options *o, const sweep_run *r, char **sets) {
    int n = 0;
    for (int i = 0; i < o->n_fixed; i++) sets[n++] = strdup(o->fixed[i]);
    for (int a = 0; a < o->n_axes; a++) {
        const char *k = o->axes[a].key, *v = o->axes[a].values[r->choice[a]];
        sets[n] = malloc(strlen(k) + strlen(v) + 2);
        sprintf(sets[n++], "%s=%s", k, v);
    }
    return n;
}

/* Checks one configuration with the front end, as `qnnc check` would. On success with
 * hash != NULL, *hash identifies every source the experiment was built from. */
static int check_config(const sweep_options *o, const char *stdlib_dir, char **sets, int n_sets,
                        uint64_t *hash) {
    arena *ar = arena_create();
    sema_options so;
    memset(&so, 0, sizeof so);
    so.max_qubits = o->max_qubits;
    so.stdlib_dir = stdlib_dir;
    so.sets = (const char **)sets;
    so.n_sets = n_sets;
    diag_reset();
    sema_result *r = sema_check_file(ar, o->file, &so);
    int ok = r && !diag_error_count();
    if (ok && cmd_check_experiment(r, o->file, o->experiment, "qnnc sweep")) ok = 0;
    if (ok && !o->experiment && r->n_experiments != 1) {
        fprintf(stderr, "qnnc sweep: %s has %d experiments; sweep one of them with --experiment NAME\n",
                o->file, r->n_experiments);
        ok = 0;
    }
    if (ok && hash) {
        uint64_t h = fnv1a(0xcbf29ce484222325ULL, QNN_VERSION, strlen(QNN_VERSION));
        for (int f = 1; f <= diag_source_count(); f++) {
            if (strcmp(diag_source_path(f), "--set") == 0) continue;
            const char *t = diag_source_text(f);
            h = fnv1a(h, t, strlen(t) + 1);
        }
        *hash = h;
    }
    sema_free(r);
    arena_destroy(ar);
    diag_reset();
    return ok ? 0 : -1;
}

/* ---- result files -------------------------------------------------------------------- */

/* Reads a run's result.csv: `name,value` lines. Anything else means the run is not finished
 * (a file from another tool, or damaged): it is then run again. */
static int read_result(const char *path, sweep_run *r) {
    unsigned char *data;
    size_t len;
    if (io_read_file(path, 1 << 16, &data, &len, NULL, 0)) return -1;
    r->n_metrics = 0;
    int ok = 1, first = 1;
    for (char *line = (char *)data; ok && *line;) {
        char *nl = strchr(line, '\n');
        if (!nl) { ok = 0; break; }
        *nl = 0;
        char *comma = strchr(line, ',');
        if (!comma || comma == line || (size_t)(comma - line) >= sizeof r->metrics[0].name) ok = 0;
        else if (first) ok = strncmp(line, "experiment,", 11) == 0;
        else if (r->n_metrics < MAX_METRICS) {
            char *end;
            double v = strtod(comma + 1, &end);
            if (*end || end == comma + 1 || !isfinite(v)) ok = 0;
            metric_value *m = &r->metrics[r->n_metrics++];
            memcpy(m->name, line, (size_t)(comma - line));
            m->name[comma - line] = 0;
            m->v = v;
        }
        first = 0;
        line = nl + 1;
    }
    free(data);
    return ok && !first ? 0 : -1;
}

static const double *find_metric(const sweep_run *r, const char *name) {
    for (int i = 0; i < r->n_metrics; i++)
        if (strcmp(r->metrics[i].name, name) == 0) return &r->metrics[i].v;
    return NULL;
}

static int file_equals(const char *path, const char *text) {
    unsigned char *data;
    size_t len;
    if (io_read_file(path, 1 << 20, &data, &len, NULL, 0)) return 0;
    int same = len == strlen(text) && memcmp(data, text, len) == 0;
    free(data);
    return same;
}

/* The last non-empty line of a run's log: what a failed run said. */
static void last_line(const char *path, char *out, size_t n) {
    unsigned char *data;
    size_t len;
    out[0] = 0;
    if (io_read_file(path, 1 << 24, &data, &len, NULL, 0)) return;
    while (len && (data[len - 1] == '\n' || data[len - 1] == ' ')) len--;
    size_t s = len;
    while (s && data[s - 1] != '\n') s--;
    snprintf(out, n, "%.*s", (int)(len - s), (char *)data + s);
    free(data);
}

/* ---- running ------------------------------------------------------------------------- */

static pid_t start_run(const sweep_options *o, const char *self, const sweep_run *r, int threads) {
    char *sets[MAX_SETS + MAX_AXES];
    int n_sets = config_sets(o, r, sets);
    char *log = io_path_join(r->dir, "log.txt"), *result = io_path_join(r->dir, "result.csv");
    char threads_s[16];
    snprintf(threads_s, sizeof threads_s, "%d", threads);
    const char *args[2 * (MAX_SETS + MAX_AXES) + MAX_PASS + 16];
    int n = 0;
    args[n++] = self;
    args[n++] = "run";
    args[n++] = o->file;
    if (o->experiment) { args[n++] = "--experiment"; args[n++] = o->experiment; }
    args[n++] = "--quiet";
    args[n++] = "--out";
    args[n++] = r->dir;
    args[n++] = "--result";
    args[n++] = result;
    args[n++] = "--threads";
    args[n++] = threads_s;
    for (int i = 0; i < n_sets; i++) { args[n++] = "--set"; args[n++] = sets[i]; }
    for (int i = 0; i < o->n_pass; i++) args[n++] = o->pass[i];
    args[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* a run outlives no sweep: when mpirun stops a rank (another one died), or the sweep is
         * killed, its run is stopped too instead of writing on as an orphan (Linux) */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(127);
        rt_dist_child_env(); /* under mpirun: the run is a plain process, not a rank */
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(self, (char *const *)args);
        dprintf(2, "qnnc sweep: cannot start %s: %s\n", self, strerror(errno));
        _exit(127);
    }
    for (int i = 0; i < n_sets; i++) free(sets[i]);
    free(log);
    free(result);
    return pid;
}

static const char *main_metric(const sweep_options *o, const sweep_run *runs, int n) {
    if (o->metric) return o->metric;
    static const char *const pref[] = {"mse", "accuracy", "eval_loss", "final_loss"};
    for (size_t p = 0; p < sizeof pref / sizeof *pref; p++)
        for (int i = 0; i < n; i++)
            if (runs[i].status == 0 && find_metric(&runs[i], pref[p])) return pref[p];
    return "final_loss";
}

static void print_finished(const sweep_options *o, const sweep_run *r, int done, int total) {
    if (r->status == 0) {
        const char *metric = main_metric(o, r, 1);
        const double *m = find_metric(r, metric), *sec = find_metric(r, "seconds");
        printf("[%d/%d] %s: %s %.6g%s (%.2f s)\n", done, total, r->label, metric, m ? *m : NAN,
               r->skipped ? ", finished before" : "", sec ? *sec : 0.0);
    } else {
        char *log = io_path_join(r->dir, "log.txt");
        char line[512];
        last_line(log, line, sizeof line);
        printf("[%d/%d] %s: FAILED (see %s)%s%s\n", done, total, r->label, log, line[0] ? ": " : "", line);
        free(log);
    }
    fflush(stdout);
}

/* ---- the table ----------------------------------------------------------------------- */

typedef struct {
    int first;            /* index of its first run */
    int n_runs, n_failed;
    int *runs;
} sweep_group;

static int seed_axis(const sweep_options *o) {
    for (int a = 0; a < o->n_axes; a++)
        if (strcmp(o->axes[a].key, "seed") == 0) return a;
    return -1;
}

static int same_group(const sweep_options *o, const sweep_run *x, const sweep_run *y, int skip) {
    for (int a = 0; a < o->n_axes; a++)
        if (a != skip && x->choice[a] != y->choice[a]) return 0;
    return 1;
}

typedef struct {
    int n;
    double mean, sd, min, max;
} stats;

static stats group_stats(const sweep_group *g, const sweep_run *runs, const char *metric) {
    stats s = {0, NAN, NAN, NAN, NAN};
    double sum = 0;
    for (int i = 0; i < g->n_runs; i++) {
        const sweep_run *r = &runs[g->runs[i]];
        const double *v = r->status == 0 ? find_metric(r, metric) : NULL;
        if (!v) continue;
        if (!s.n || *v < s.min) s.min = *v;
        if (!s.n || *v > s.max) s.max = *v;
        sum += *v;
        s.n++;
    }
    if (!s.n) return s;
    s.mean = sum / s.n;
    if (s.n > 1) {
        double ss = 0;
        for (int i = 0; i < g->n_runs; i++) {
            const sweep_run *r = &runs[g->runs[i]];
            const double *v = r->status == 0 ? find_metric(r, metric) : NULL;
            if (v) ss += (*v - s.mean) * (*v - s.mean);
        }
        s.sd = sqrt(ss / (s.n - 1));
    }
    return s;
}

/* A CSV field: quoted when it holds a comma or a quote (quotes doubled). */
static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, ",%.10g", v);
    else fputc(',', f);
}

/* Metric names in the order the runs list them, each once. */
static int metric_names(const sweep_run *runs, int n, const char **names) {
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int m = 0; runs[i].status == 0 && m < runs[i].n_metrics; m++) {
            int seen = 0;
            for (int j = 0; j < k && !seen; j++) seen = strcmp(names[j], runs[i].metrics[m].name) == 0;
            if (!seen && k < 64) names[k++] = runs[i].metrics[m].name;
        }
    return k;
}

/* Whether a larger value of the metric is the better one (accuracy, PSNR); else smaller. */
static int higher_is_better(const char *metric) {
    return strstr(metric, "accuracy") || strstr(metric, "psnr");
}

/* The metric of group g's run at seed value s (finished runs only); NULL when none. */
static const double *metric_at_seed(const sweep_group *g, const sweep_run *runs, int seed, int s,
                                    const char *metric) {
    for (int i = 0; i < g->n_runs; i++) {
        const sweep_run *r = &runs[g->runs[i]];
        if (r->choice[seed] == s && r->status == 0) return find_metric(r, metric);
    }
    return NULL;
}

/* The paired comparison over seeds: each value of the first swept setting other than seed (the
 * model, ansatz or experiment choice) against its first value, the other settings equal, the
 * runs paired by seed. "beats" is written only where the exact Wilcoxon p is below 0.05. */
static void write_paired(FILE *f, const sweep_options *o, const sweep_run *runs,
                         const sweep_group *groups, int n_groups, const char *metric) {
    int seed = seed_axis(o), choice = -1;
    for (int a = 0; a < o->n_axes && choice < 0; a++)
        if (a != seed) choice = a;
    if (seed < 0 || choice < 0 || o->axes[choice].n < 2 || o->axes[seed].n < 2) return;
    int up = higher_is_better(metric), header = 0;
    for (int g = 0; g < n_groups; g++) {
        const sweep_run *rg = &runs[groups[g].first];
        if (rg->choice[choice] == 0) continue;
        int ref = -1;
        for (int h = 0; h < n_groups && ref < 0; h++) {
            const sweep_run *rh = &runs[groups[h].first];
            int same = rh->choice[choice] == 0;
            for (int a = 0; a < o->n_axes && same; a++)
                if (a != seed && a != choice) same = rh->choice[a] == rg->choice[a];
            if (same) ref = h;
        }
        if (ref < 0) continue;
        double d[RT_STATS_MAX_PAIRS];
        int n = 0;
        for (int s = 0; s < o->axes[seed].n && n < RT_STATS_MAX_PAIRS; s++) {
            const double *x = metric_at_seed(&groups[g], runs, seed, s, metric);
            const double *y = metric_at_seed(&groups[ref], runs, seed, s, metric);
            if (x && y && isfinite(*x) && isfinite(*y)) d[n++] = up ? *x - *y : *y - *x;
        }
        if (!header) {
            fprintf(f, "\nPaired over seeds: each `%s` against `%s`, the runs of the same seed paired, "
                       "%s (%s is better). Exact two-sided Wilcoxon signed-rank and sign tests; "
                       "zero differences are dropped, tied ones get their mean rank.\n\n|",
                    o->axes[choice].key, o->axes[choice].values[0], metric, up ? "higher" : "lower");
            for (int a = 0; a < o->n_axes; a++)
                if (a != seed) fprintf(f, " %s |", o->axes[a].key);
            fputs(" against | pairs | better in | Wilcoxon p | sign p | reading |\n|", f);
            for (int a = 0; a < o->n_axes; a++)
                if (a != seed) fputs("---|", f);
            fputs("---|---:|---:|---:|---:|---|\n", f);
            header = 1;
        }
        fputc('|', f);
        for (int a = 0; a < o->n_axes; a++)
            if (a != seed) fprintf(f, " %s |", o->axes[a].values[rg->choice[a]]);
        const char *self = o->axes[choice].values[rg->choice[choice]], *other = o->axes[choice].values[0];
        rt_paired_test t;
        char err[160];
        if (n < 1 || rt_paired_tests(d, n, &t, err, sizeof err)) {
            fprintf(f, " %s | %d | - | - | - | no paired runs |\n", other, n);
            continue;
        }
        char reading[256];
        rt_paired_reading(&t, self, other, reading, sizeof reading);
        fprintf(f, " %s | %d | %d of %d | %.4g | %.4g | %s |\n", other, n, t.n_positive, n, t.p_wilcoxon,
                t.p_sign, reading);
    }
}

static int write_tables(const sweep_options *o, const char *out, uint64_t hash, sweep_run *runs,
                        int n_runs, sweep_group *groups, int n_groups, const char *metric,
                        char *err, size_t errlen) {
    int seed = seed_axis(o);
    const char *names[64];
    int n_names = metric_names(runs, n_runs, names);
    io_atomic a;
    /* runs.csv: one row per run */
    char *path = io_path_join(out, "runs.csv");
    if (io_atomic_open(&a, path, err, errlen)) { free(path); return -1; }
    for (int ax = 0; ax < o->n_axes; ax++) {
        csv_field(a.fp, o->axes[ax].key);
        fputc(',', a.fp);
    }
    fputs("status,folder", a.fp);
    for (int m = 0; m < n_names; m++) fprintf(a.fp, ",%s", names[m]);
    fputc('\n', a.fp);
    for (int i = 0; i < n_runs; i++) {
        for (int ax = 0; ax < o->n_axes; ax++) {
            csv_field(a.fp, o->axes[ax].values[runs[i].choice[ax]]);
            fputc(',', a.fp);
        }
        fprintf(a.fp, "%s,", runs[i].status == 0 ? "finished" : runs[i].status > 0 ? "failed" : "not run");
        csv_field(a.fp, runs[i].dir);
        for (int m = 0; m < n_names; m++) {
            const double *v = runs[i].status == 0 ? find_metric(&runs[i], names[m]) : NULL;
            csv_number(a.fp, v ? *v : NAN);
        }
        fputc('\n', a.fp);
    }
    int rc = io_atomic_commit(&a, err, errlen);
    free(path);
    if (rc) return -1;

    /* sweep.csv: one row per configuration, statistics over its seeds */
    path = io_path_join(out, "sweep.csv");
    if (io_atomic_open(&a, path, err, errlen)) { free(path); return -1; }
    for (int ax = 0; ax < o->n_axes; ax++)
        if (ax != seed) { csv_field(a.fp, o->axes[ax].key); fputc(',', a.fp); }
    fputs("runs,failed", a.fp);
    for (int m = 0; m < n_names; m++)
        fprintf(a.fp, ",%s_mean,%s_sd,%s_min,%s_max", names[m], names[m], names[m], names[m]);
    fputc('\n', a.fp);
    for (int g = 0; g < n_groups; g++) {
        const sweep_run *r = &runs[groups[g].first];
        for (int ax = 0; ax < o->n_axes; ax++)
            if (ax != seed) { csv_field(a.fp, o->axes[ax].values[r->choice[ax]]); fputc(',', a.fp); }
        fprintf(a.fp, "%d,%d", groups[g].n_runs - groups[g].n_failed, groups[g].n_failed);
        for (int m = 0; m < n_names; m++) {
            stats s = group_stats(&groups[g], runs, names[m]);
            csv_number(a.fp, s.mean);
            csv_number(a.fp, s.sd);
            csv_number(a.fp, s.min);
            csv_number(a.fp, s.max);
        }
        fputc('\n', a.fp);
    }
    rc = io_atomic_commit(&a, err, errlen);
    free(path);
    if (rc) return -1;

    /* sweep.md: the table a researcher reads, and how to reproduce it */
    path = io_path_join(out, "sweep.md");
    if (io_atomic_open(&a, path, err, errlen)) { free(path); return -1; }
    FILE *f = a.fp;
    fprintf(f, "# Sweep of %s\n\n", o->file);
    fprintf(f, "Sources hash %016llx (qnnc %s). Swept:", (unsigned long long)hash, QNN_VERSION);
    for (int ax = 0; ax < o->n_axes; ax++) {
        fprintf(f, "%s `%s` (", ax ? ";" : "", o->axes[ax].key);
        for (int i = 0; i < o->axes[ax].n; i++) fprintf(f, "%s%s", i ? ", " : "", o->axes[ax].values[i]);
        fputc(')', f);
    }
    fputs(".", f);
    if (o->n_fixed) {
        fputs(" Every run also had", f);
        for (int i = 0; i < o->n_fixed; i++) fprintf(f, "%s `%s`", i ? "," : "", o->fixed[i]);
        fputc('.', f);
    }
    fprintf(f, "\n\n%s: mean ± standard deviation over the runs of a configuration%s, then the "
               "minimum and the maximum.\n\n|", metric,
            seed >= 0 ? " (its seeds)" : "");
    for (int ax = 0; ax < o->n_axes; ax++)
        if (ax != seed) fprintf(f, " %s |", o->axes[ax].key);
    fprintf(f, " runs | %s | min | max | final_loss | s/epoch |\n|", metric);
    for (int ax = 0; ax < o->n_axes; ax++)
        if (ax != seed) fputs("---|", f);
    fputs("---:|---:|---:|---:|---:|---:|\n", f);
    for (int g = 0; g < n_groups; g++) {
        const sweep_run *r = &runs[groups[g].first];
        fputc('|', f);
        for (int ax = 0; ax < o->n_axes; ax++)
            if (ax != seed) fprintf(f, " %s |", o->axes[ax].values[r->choice[ax]]);
        stats s = group_stats(&groups[g], runs, metric);
        stats l = group_stats(&groups[g], runs, "final_loss");
        stats t = group_stats(&groups[g], runs, "seconds_per_epoch");
        fprintf(f, " %d", groups[g].n_runs - groups[g].n_failed);
        if (groups[g].n_failed) fprintf(f, " (%d failed)", groups[g].n_failed);
        if (s.n > 1) fprintf(f, " | %.4g ± %.2g | %.4g | %.4g", s.mean, s.sd, s.min, s.max);
        else if (s.n == 1) fprintf(f, " | %.4g | %.4g | %.4g", s.mean, s.min, s.max);
        else fputs(" | - | - | -", f);
        if (l.n) fprintf(f, " | %.4g", l.mean);
        else fputs(" | -", f);
        if (t.n) fprintf(f, " | %.3g |\n", t.mean);
        else fputs(" | - |\n", f);
    }
    write_paired(f, o, runs, groups, n_groups, metric);
    int any_failed = 0;
    for (int i = 0; i < n_runs; i++) any_failed |= runs[i].status > 0;
    if (any_failed) {
        fputs("\nFailed runs (each folder's log.txt says why):\n\n", f);
        for (int i = 0; i < n_runs; i++)
            if (runs[i].status > 0) fprintf(f, "- %s: `%s/log.txt`\n", runs[i].label, runs[i].dir);
    }
    fputs("\nEvery run's figures are in runs.csv, the statistics of every figure in sweep.csv, "
          "the runs in runs/; sweep.png plots the table.\n", f);
    rc = io_atomic_commit(&a, err, errlen);
    free(path);
    return rc;
}

/* sweep.png: the metric against the first swept setting other than seed (numeric values on
 * a numeric axis, others by position), one line per combination of the remaining settings. */
static int write_figure(const sweep_options *o, const char *out, const sweep_run *runs,
                        const sweep_group *groups, int n_groups, const char *metric, char *err,
                        size_t errlen) {
    int seed = seed_axis(o), xa = -1;
    for (int ax = 0; ax < o->n_axes && xa < 0; ax++)
        if (ax != seed) xa = ax;
    int numeric = xa >= 0;
    for (int i = 0; numeric && i < o->axes[xa].n; i++) {
        char *end;
        strtod(o->axes[xa].values[i], &end);
        numeric = *end == 0 && end != o->axes[xa].values[i];
    }
    /* series: groups that agree on every axis but seed and the x axis */
    int n_series = 0;
    int *series = malloc((size_t)(n_groups + 1) * sizeof *series);
    int *rep = malloc((size_t)(n_groups + 1) * sizeof *rep);
    for (int g = 0; g < n_groups; g++) {
        int s = -1;
        for (int k = 0; k < n_series && s < 0; k++) {
            int same = 1;
            for (int ax = 0; ax < o->n_axes && same; ax++)
                if (ax != seed && ax != xa)
                    same = runs[groups[g].first].choice[ax] == runs[groups[rep[k]].first].choice[ax];
            if (same) s = k;
        }
        if (s < 0) rep[s = n_series++] = g;
        series[g] = s;
    }
    if (n_series > MAX_SERIES) {
        free(series);
        free(rep);
        printf("qnnc sweep: %d lines would not fit one figure: sweep.png not drawn (the table has them all)\n",
               n_series);
        return 0;
    }
    report_series rs[MAX_SERIES];
    double *xs = calloc((size_t)(3 * n_groups + 1), sizeof *xs);
    char labels[MAX_SERIES][160];
    int ylog = 1, any = 0;
    for (int k = 0; k < n_series; k++) {
        rs[k].label = NULL;
        rs[k].n = 0;
        rs[k].x = xs + 0;
        labels[k][0] = 0;
        size_t len = 0;
        for (int ax = 0; ax < o->n_axes; ax++)
            if (ax != seed && ax != xa && len < sizeof labels[k])
                len += (size_t)snprintf(labels[k] + len, sizeof labels[k] - len, "%s%s=%s", len ? ", " : "",
                                        o->axes[ax].key, o->axes[ax].values[runs[groups[rep[k]].first].choice[ax]]);
        if (labels[k][0]) rs[k].label = labels[k];
    }
    /* points of series k at xs[..], means and sds after them: laid out per series */
    double *px = xs, *pm = xs + n_groups, *ps = xs + 2 * n_groups;
    int off = 0;
    for (int k = 0; k < n_series; k++) {
        rs[k].x = px + off;
        rs[k].mean = pm + off;
        rs[k].sd = ps + off;
        for (int g = 0; g < n_groups; g++) {
            if (series[g] != k) continue;
            stats st = group_stats(&groups[g], runs, metric);
            if (!st.n) continue;
            int ci = xa >= 0 ? runs[groups[g].first].choice[xa] : 0;
            px[off] = numeric ? strtod(o->axes[xa].values[ci], NULL) : ci;
            pm[off] = st.mean;
            ps[off] = st.sd;
            ylog &= st.mean > 0;
            any = 1;
            off++;
            rs[k].n++;
        }
    }
    int rc = 0;
    if (any) {
        ylog &= strstr(metric, "loss") || strstr(metric, "mse");
        const char *const *ticks = NULL;
        const char *single[1] = {"all runs"};
        int n_ticks = 0;
        if (xa < 0) { ticks = single; n_ticks = 1; }
        else if (!numeric) { ticks = (const char *const *)o->axes[xa].values; n_ticks = o->axes[xa].n; }
        char title[256], sub[256];
        snprintf(title, sizeof title, "%s of %s", metric, o->file);
        snprintf(sub, sizeof sub, "%s", seed >= 0 ? "mean and standard deviation over the seeds of each configuration"
                                                  : "one run per configuration");
        char *path = io_path_join(out, "sweep.png");
        rc = report_errorbars(path, rs, n_series, ticks, n_ticks, xa >= 0 ? o->axes[xa].key : NULL,
                              metric, ylog, title, sub, err, errlen);
        free(path);
    }
    free(xs);
    free(series);
    free(rep);
    return rc;
}

/* ---- the command --------------------------------------------------------------------- */

/* ---- across MPI ranks ------------------------------------------------------------------
 * `mpirun -np N qnnc sweep`: rank 0 checks, plans and writes as the local sweep does, and hands
 * out the runs; ranks 1..N-1 each run one at a time, through the same start_run, and ask for
 * the next when free. A message from a worker is {index of the run it finished or -1, its
 * status}; the answer is the next index, or -1: stop. Results are read by rank 0 from the run
 * folders, so the sweep's folder must be one that every rank sees (a shared file system). */

enum { NO_RUN = -1 };

/* Rank 0: serves the runs not skipped (all when serve is 0: only releases the workers);
 * records each result and prints it. */
static void coordinate(const sweep_options *o, sweep_run *runs, int n_runs, int serve, int *done_count) {
    int next = 0, workers = rt_dist_size() - 1;
    char err[4096];
    while (workers > 0) {
        int msg[2], from = 0;
        rt_dist_recv_ints(&from, msg, 2);
        if (msg[0] >= 0 && msg[0] < n_runs) {
            sweep_run *r = &runs[msg[0]];
            char *res = io_path_join(r->dir, "result.csv");
            r->status = msg[1] == 0 && read_result(res, r) == 0 ? 0 : 1;
            free(res);
            print_finished(o, r, ++*done_count, n_runs);
        }
        int give = NO_RUN;
        while (serve && give == NO_RUN && next < n_runs) {
            sweep_run *r = &runs[next++];
            if (r->skipped) continue;
            char *cfg = io_path_join(r->dir, "config.txt"), *res = io_path_join(r->dir, "result.csv");
            unlink(res); /* a stale result of other settings must not count as this run's */
            if (io_mkdir_p(r->dir, err, sizeof err) == 0 &&
                io_write_file_atomic(cfg, r->config, strlen(r->config), err, sizeof err) == 0) {
                give = (int)(r - runs);
            } else {
                fprintf(stderr, "qnnc sweep: %s: %s\n", r->label, err);
                r->status = 1;
                print_finished(o, r, ++*done_count, n_runs);
            }
            free(cfg);
            free(res);
        }
        rt_dist_send_ints(from, &give, 1);
        if (give == NO_RUN) workers--;
    }
}

/* Ranks 1..N-1: run what rank 0 hands out until it says stop. Returns the exit status. */
static int work(const sweep_options *o, const char *self, sweep_run *runs, int n_runs, int threads) {
    int msg[2] = {NO_RUN, 0};
    for (;;) {
        rt_dist_send_ints(0, msg, 2);
        int idx = NO_RUN, from = 0;
        rt_dist_recv_ints(&from, &idx, 1);
        if (idx < 0 || idx >= n_runs) return 0;
        pid_t pid = start_run(o, self, &runs[idx], threads);
        int ws = 0;
        while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
        msg[0] = idx;
        msg[1] = pid > 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : 1;
    }
}

static char *sweep_folder(const sweep_options *o) {
    if (o->out_dir) return strdup(o->out_dir);
    const char *base = strrchr(o->file, '/') ? strrchr(o->file, '/') + 1 : o->file;
    size_t bl = strlen(base);
    if (bl > 4 && strcmp(base + bl - 4, ".qnn") == 0) bl -= 4;
    char *out = malloc(bl + 16);
    sprintf(out, "out/%.*s-sweep", (int)bl, base);
    return out;
}

int cmd_sweep_main(int argc, char **argv) {
    sweep_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        free_options(&o);
        return rc;
    }
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        fprintf(stderr, "qnnc sweep: cannot find the qnnc executable (/proc/self/exe): %s\n", strerror(errno));
        free_options(&o);
        return EXIT_FAILED;
    }
    self[sl] = 0;
    arena *ar = arena_create();
    const char *stdlib_dir = o.stdlib_dir ? o.stdlib_dir : cmd_find_stdlib(ar);

    int n_runs = 1;
    for (int a = 0; a < o.n_axes; a++) n_runs *= o.axes[a].n;
    sweep_run *runs = calloc((size_t)n_runs, sizeof *runs);
    for (int i = 0; i < n_runs; i++) { /* the first axis varies slowest */
        runs[i].choice = calloc((size_t)o.n_axes, sizeof *runs[i].choice);
        int rest = i;
        for (int a = o.n_axes - 1; a >= 0; a--) {
            runs[i].choice[a] = rest % o.axes[a].n;
            rest /= o.axes[a].n;
        }
        size_t len = 0;
        for (int a = 0; a < o.n_axes; a++)
            len += strlen(o.axes[a].key) + strlen(o.axes[a].values[runs[i].choice[a]]) + 3;
        runs[i].label = malloc(len + 1);
        runs[i].label[0] = 0;
        for (int a = 0; a < o.n_axes; a++)
            sprintf(runs[i].label + strlen(runs[i].label), "%s%s=%s", a ? ", " : "", o.axes[a].key,
                    o.axes[a].values[runs[i].choice[a]]);
        runs[i].status = -1;
    }

    char err[4096];
    char *out = NULL;
    int status = EXIT_FAILED, mpi = 0, done_count = 0;
    if (rt_dist_start(err, sizeof err)) {
        fprintf(stderr, "qnnc sweep: %s\n", err);
        goto done;
    }
    mpi = rt_dist_size() > 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* ranks share the machine's cores unless --threads says otherwise */
    int per = mpi ? rt_dist_size() - 1 : o.jobs;
    int threads = o.threads >= 0 ? o.threads : (int)(cores > per ? cores / per : 1);
    if (threads == 0) threads = cores > 0 ? (int)cores : 1;
    if (mpi && rt_dist_rank() > 0) { /* a worker: the run folders' names are all it needs */
        out = sweep_folder(&o);
        char *runs_dir = io_path_join(out, "runs");
        for (int i = 0; i < n_runs; i++) {
            char *name = run_name(runs[i].label);
            runs[i].dir = io_path_join(runs_dir, name);
            free(name);
        }
        free(runs_dir);
        status = work(&o, self, runs, n_runs, threads);
        goto done;
    }

    /* 1. every configuration through the front end before anything runs */
    uint64_t hash = 0;
    int refused = 0;
    for (int i = 0; i < n_runs; i++) {
        char *sets[MAX_SETS + MAX_AXES];
        int n = config_sets(&o, &runs[i], sets);
        uint64_t h = 0;
        if (check_config(&o, stdlib_dir, sets, n, &h)) {
            if (++refused <= MAX_REFUSED)
                fprintf(stderr, "qnnc sweep: the configuration `%s` is refused (above)\n", runs[i].label);
            if (refused == 1 && i == 0) { /* the file itself is wrong: the others would repeat it */
                for (int k = 0; k < n; k++) free(sets[k]);
                break;
            }
        } else if (i == 0) {
            hash = h;
        } else if (h != hash) {
            /* imports depend on no setting, so this is a file edited during the check */
            fprintf(stderr, "qnnc sweep: %s changed while the sweep was being checked\n", o.file);
            refused++;
        }
        for (int k = 0; k < n; k++) free(sets[k]);
    }
    if (refused) {
        if (refused > MAX_REFUSED) fprintf(stderr, "qnnc sweep: %d configurations refused in all\n", refused);
        goto done;
    }

    /* 2. the folder: a new one, or one of a sweep of the same sources */
    out = sweep_folder(&o);
    char *ident_path = io_path_join(out, "sweep.txt");
    char ident[256];
    snprintf(ident, sizeof ident, "qnn sweep\nsources %016llx\n", (unsigned long long)hash);
    struct stat st;
    if (stat(ident_path, &st) == 0 && !file_equals(ident_path, ident)) {
        fprintf(stderr, "qnnc sweep: %s holds a sweep of other sources (another file, an edited one, or "
                        "another qnnc); its runs are not mixed with these: give another --out, or remove "
                        "the folder\n", out);
        free(ident_path);
        goto done;
    }
    if (io_mkdir_p(out, err, sizeof err) || io_write_file_atomic(ident_path, ident, strlen(ident), err, sizeof err)) {
        fprintf(stderr, "qnnc sweep: %s\n", err);
        free(ident_path);
        goto done;
    }
    free(ident_path);

    /* 3. what is finished already */
    char *runs_dir = io_path_join(out, "runs");
    int to_run = 0;
    for (int i = 0; i < n_runs; i++) {
        char *name = run_name(runs[i].label);
        runs[i].dir = io_path_join(runs_dir, name);
        free(name);
        char *sets[MAX_SETS + MAX_AXES];
        int n = config_sets(&o, &runs[i], sets);
        size_t len = 64;
        for (int k = 0; k < n; k++) len += strlen(sets[k]) + 6;
        runs[i].config = malloc(len);
        int p = sprintf(runs[i].config, "sources %016llx\n", (unsigned long long)hash);
        for (int k = 0; k < n; k++) {
            p += sprintf(runs[i].config + p, "set %s\n", sets[k]);
            free(sets[k]);
        }
        char *cfg = io_path_join(runs[i].dir, "config.txt"), *res = io_path_join(runs[i].dir, "result.csv");
        if (file_equals(cfg, runs[i].config) && read_result(res, &runs[i]) == 0) {
            runs[i].status = 0;
            runs[i].skipped = 1;
        } else {
            to_run++;
        }
        free(cfg);
        free(res);
    }
    free(runs_dir);
    printf("qnnc sweep: %d configurations of %s (", n_runs, o.file);
    for (int a = 0; a < o.n_axes; a++) printf("%s%s: %d values", a ? ", " : "", o.axes[a].key, o.axes[a].n);
    if (mpi)
        printf("), %d to run, %d finished before; %d MPI ranks running one each, %d thread%s each; folder %s\n",
               to_run, n_runs - to_run, rt_dist_size() - 1, threads, threads == 1 ? "" : "s", out);
    else
        printf("), %d to run, %d finished before; %d at a time, %d thread%s each; folder %s\n", to_run,
               n_runs - to_run, o.jobs, threads, threads == 1 ? "" : "s", out);

    /* 4. run: up to --jobs processes, the next configuration when one ends; under mpirun, one
     * per worker rank */
    for (int i = 0; i < n_runs; i++)
        if (runs[i].skipped) print_finished(&o, &runs[i], ++done_count, n_runs);
    if (mpi) {
        coordinate(&o, runs, n_runs, 1, &done_count);
        mpi = 0; /* the workers are released */
        o.jobs = 0;
    }
    pid_t *pids = calloc((size_t)o.jobs, sizeof *pids);
    int *slot_run = calloc((size_t)o.jobs, sizeof *slot_run);
    int next = 0, running = 0;
    for (; o.jobs > 0;) {
        while (running < o.jobs) {
            while (next < n_runs && runs[next].skipped) next++;
            if (next >= n_runs) break;
            sweep_run *r = &runs[next];
            char *cfg = io_path_join(r->dir, "config.txt"), *res = io_path_join(r->dir, "result.csv");
            unlink(res); /* a stale result of other settings must not count as this run's */
            int ok = io_mkdir_p(r->dir, err, sizeof err) == 0 &&
                     io_write_file_atomic(cfg, r->config, strlen(r->config), err, sizeof err) == 0;
            free(cfg);
            free(res);
            pid_t pid = ok ? start_run(&o, self, r, threads) : -1;
            if (pid < 0) {
                if (ok) snprintf(err, sizeof err, "cannot start a process: %s", strerror(errno));
                fprintf(stderr, "qnnc sweep: %s: %s\n", r->label, err);
                r->status = 1;
                print_finished(&o, r, ++done_count, n_runs);
                next++;
                continue;
            }
            int s = 0;
            while (pids[s]) s++;
            pids[s] = pid;
            slot_run[s] = next++;
            running++;
        }
        if (!running) break;
        int ws;
        pid_t pid = wait(&ws);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int s = 0; s < o.jobs; s++) {
            if (pids[s] != pid) continue;
            pids[s] = 0;
            running--;
            sweep_run *r = &runs[slot_run[s]];
            char *res = io_path_join(r->dir, "result.csv");
            int exited_ok = WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
            r->status = exited_ok && read_result(res, r) == 0 ? 0 : 1;
            free(res);
            print_finished(&o, r, ++done_count, n_runs);
        }
    }
    free(pids);
    free(slot_run);

    /* 5. the table and the figure */
    const char *metric = main_metric(&o, runs, n_runs);
    int seed = seed_axis(&o), n_groups = 0, n_failed = 0;
    sweep_group *groups = calloc((size_t)n_runs, sizeof *groups);
    for (int i = 0; i < n_runs; i++) {
        int g = 0;
        while (g < n_groups && !same_group(&o, &runs[groups[g].first], &runs[i], seed)) g++;
        if (g == n_groups) {
            groups[g].first = i;
            groups[g].runs = calloc((size_t)n_runs, sizeof *groups[g].runs);
            n_groups++;
        }
        groups[g].runs[groups[g].n_runs++] = i;
        if (runs[i].status != 0) {
            groups[g].n_failed++;
            n_failed++;
        }
    }
    if (write_tables(&o, out, hash, runs, n_runs, groups, n_groups, metric, err, sizeof err) ||
        write_figure(&o, out, runs, groups, n_groups, metric, err, sizeof err)) {
        fprintf(stderr, "qnnc sweep: %s\n", err);
        n_failed = n_failed ? n_failed : 1;
    } else {
        printf("\n%-40s %5s  %s (mean ± sd over %s)\n", "configuration", "runs", metric,
               seed >= 0 ? "seeds" : "runs");
        for (int g = 0; g < n_groups; g++) {
            const sweep_run *r = &runs[groups[g].first];
            char label[256] = "";
            size_t len = 0;
            for (int ax = 0; ax < o.n_axes; ax++)
                if (ax != seed && len < sizeof label)
                    len += (size_t)snprintf(label + len, sizeof label - len, "%s%s=%s", len ? ", " : "",
                                            o.axes[ax].key, o.axes[ax].values[r->choice[ax]]);
            stats s = group_stats(&groups[g], runs, metric);
            printf("%-40s %5d  ", label[0] ? label : "(all)", s.n);
            if (s.n > 1) printf("%.4g ± %.2g\n", s.mean, s.sd);
            else if (s.n == 1) printf("%.4g\n", s.mean);
            else printf("-\n");
        }
        printf("sweep table: %s/sweep.md (sweep.csv, runs.csv, sweep.png)\n", out);
    }
    if (n_failed) printf("qnnc sweep: %d of %d runs failed\n", n_failed, n_runs);
    status = n_failed ? EXIT_FAILED : 0;
    for (int g = 0; g < n_groups; g++) free(groups[g].runs);
    free(groups);

done:
    if (mpi && rt_dist_rank() == 0) coordinate(&o, runs, n_runs, 0, &done_count); /* stopped early */
    for (int i = 0; i < n_runs; i++) {
        free(runs[i].choice);
        free(runs[i].label);
        free(runs[i].dir);
        free(runs[i].config);
    }
    free(runs);
    free(out);
    free_options(&o);
    arena_destroy(ar);
    return status;
}
