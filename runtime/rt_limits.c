/* rt_limits: the memory a run needs, estimated before it allocates, against the memory the
 * process may use (rt_limits.h). Used by the training driver before a run (run_train.c, for
 * qnnc run/eval and native binaries alike) and by rt_model_build and the quantum layer before
 * their own buffers. */
#define _XOPEN_SOURCE 700
#include "rt_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The number after `key` and `sep` on its line of a "key value" file, times scale; 0 when
 * the file or the key is absent. */
static double keyed_value(const char *path, const char *key, char sep, double scale) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[256];
    double v = 0;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == sep) {
            v = scale * strtod(line + kl + 1, NULL);
            break;
        }
    fclose(f);
    return v;
}

/* "Key:   123 kB" from /proc/meminfo, in bytes. */
static double meminfo(const char *key) { return keyed_value("/proc/meminfo", key, ':', 1024.0); }

/* A number from a cgroup v2 file ("max" = no limit: 0). */
static double cgroup_value(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[64] = "";
    double v = 0;
    if (fgets(buf, sizeof buf, f) && strncmp(buf, "max", 3) != 0) v = strtod(buf, NULL);
    fclose(f);
    return v;
}

/* One "key value" line of the cgroup's memory.stat. */
static double cgroup_stat(const char *key) {
    return keyed_value("/sys/fs/cgroup/memory.stat", key, ' ', 1.0);
}

static void take_min(double *best, double v) {
    if (v > 0 && (*best == 0 || v < *best)) *best = v;
}

double rt_mem_available(void) {
    double best = 0;
    take_min(&best, meminfo("MemAvailable"));
    if (best == 0) { /* kernels before 3.14: free pages */
        long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
        if (pages > 0 && size > 0) take_min(&best, (double)pages * (double)size);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) take_min(&best, (double)rl.rlim_cur);
    if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) take_min(&best, (double)rl.rlim_cur);
    double max = cgroup_value("/sys/fs/cgroup/memory.max");
    if (max > 0) { /* the page cache counts as used there, but the kernel reclaims it */
        double used = cgroup_value("/sys/fs/cgroup/memory.current") - cgroup_stat("file");
        take_min(&best, max > used ? max - used : 1);
    }
    return best;
}

void rt_format_bytes(double bytes, char *buf, size_t n) {
    if (bytes >= 1e12) snprintf(buf, n, "%.1f TB", bytes / 1e12);
    else if (bytes >= 1e9) snprintf(buf, n, "%.1f GB", bytes / 1e9);
    else if (bytes >= 1e6) snprintf(buf, n, "%.1f MB", bytes / 1e6);
    else snprintf(buf, n, "%.0f kB", bytes / 1e3 > 1 ? bytes / 1e3 : 1);
}

/* Points of the training signal known before loading it: images (size x size) and sound
 * slices with an end; 0 when only the file can tell (whole recordings, CSV tables). */
static size_t known_points(const rt_data_spec *d) {
    if (d->kind == RT_DATA_IMAGE) return (size_t)d->size * (size_t)d->size;
    if (d->kind == RT_DATA_SOUND && d->stop > d->start && d->stride > 0)
        return (size_t)((d->stop - d->start + d->stride - 1) / d->stride);
    return 0;
}

void rt_model_memory_of(const rt_experiment *x, long long n_params, const int *qubits,
                        rt_model_memory *m) {
    memset(m, 0, sizeof *m);
    m->n_params = n_params;
    m->params = m->grads = 8.0 * (double)n_params;
    int moments = x->optimizer == RT_OPT_ADAM ? 2 : 1; /* as rt_optim allocates them */
    m->optimizer = 8.0 * moments * (double)n_params;
    /* Activations: every layer's output and its gradient, as rt_model_build sizes them. */
    double widths = x->n_layers > 0 ? x->layers[0].in : x->in_dim;
    for (int i = 0; i < x->n_layers; i++) {
        const rt_layer_spec *l = &x->layers[i];
        widths += l->out;
        if (l->kind == RT_LAYER_BATCHNORM) m->buffers += 2.0 * 8.0 * l->out;
        if (l->kind == RT_LAYER_RFF) m->buffers += 8.0 * (l->out / 2) * l->in;
        if (l->kind == RT_LAYER_QUANTUM && qubits && l->circuit >= 0 && l->circuit < x->n_circuits &&
            qubits[l->circuit] > m->widest_qubits)
            m->widest_qubits = qubits[l->circuit];
    }
    m->activations_per_point = 2.0 * 8.0 * widths;
    if (m->widest_qubits > 0)
        m->state_vector = (x->precision == 32 ? 8.0 : 16.0) * ldexp(1.0, m->widest_qubits);
}

void rt_memory_estimate(const rt_experiment *x, const rt_circuit *const *circuits, int threads,
                        size_t n_train, int grid, rt_mem_estimate *e) {
    memset(e, 0, sizeof *e);
    if (threads < 1) threads = 1;
    e->threads = threads;
    if (!n_train) n_train = known_points(&x->data);
    int g = grid > 0 ? grid : x->eval_size;
    size_t n_eval = g <= 0 ? n_train
                    : x->data.kind == RT_DATA_IMAGE ? (size_t)g * (size_t)g : (size_t)g;
    size_t batch = x->batch > 0 && (size_t)x->batch < n_train ? (size_t)x->batch + 1 : n_train;
    size_t max_batch = batch > n_eval ? batch : n_eval;
    e->n_train = n_train;
    e->n_eval = n_eval;
    e->max_batch = max_batch;
    rt_model_memory mm;
    rt_model_memory_of(x, 0, NULL, &mm);
    e->activations = mm.activations_per_point * (double)max_batch;
    /* Circuits: one work buffer per thread and circuit, as rt_qlayer reserves them. The same
     * compiled circuit used by several layers has buffers per layer. */
    for (int i = 0; i < x->n_layers && circuits; i++) {
        const rt_layer_spec *l = &x->layers[i];
        if (l->kind != RT_LAYER_QUANTUM || l->circuit < 0 || l->circuit >= x->n_circuits) continue;
        const rt_circuit *c = circuits[l->circuit];
        if (!c) continue;
        e->circuits += (double)c->work_bytes * threads;
        if (c->n_qubits > e->big_qubits) {
            e->big_qubits = c->n_qubits;
            e->big_circuit = c->name;
        }
    }
    /* Data: coordinates and values of the training points and the evaluation grid (and its
     * target), the batch copies and the predictions on the grid. */
    double point = 8.0 * (x->in_dim + x->out_dim);
    e->data = point * (double)n_train + 2.0 * point * (double)n_eval + point * (double)max_batch;
    e->total = e->circuits + e->activations + e->data;
}

int rt_memory_check_bytes(double bytes, const char *what, const char *hint, char *err,
                          size_t errlen) {
    double avail = rt_mem_available();
    if (avail <= 0 || bytes <= avail) return 0;
    char need[32], have[32];
    rt_format_bytes(bytes, need, sizeof need);
    rt_format_bytes(avail, have, sizeof have);
    snprintf(err, errlen, "not enough memory: %s need%s about %s, and %s is available; %s", what,
             strchr(what, ' ') ? "" : "s", need, have, hint);
    return -1;
}

int rt_memory_check(const rt_mem_estimate *e, char *err, size_t errlen) {
    double avail = rt_mem_available();
    if (avail <= 0 || e->total <= avail) return 0;
    char need[32], have[32], c[32], a[32], d[32];
    rt_format_bytes(e->total, need, sizeof need);
    rt_format_bytes(avail, have, sizeof have);
    rt_format_bytes(e->circuits, c, sizeof c);
    rt_format_bytes(e->activations, a, sizeof a);
    rt_format_bytes(e->data, d, sizeof d);
    char hint[256];
    if (e->circuits >= e->activations && e->circuits >= e->data)
        snprintf(hint, sizeof hint, "the %d-qubit circuit `%s` is the largest part: fewer qubits "
                                    "(e.g. --set model.n=N) or fewer threads (--threads N, now %d)",
                 e->big_qubits, e->big_circuit ? e->big_circuit : "?", e->threads);
    else
        snprintf(hint, sizeof hint, "the %zu points per batch are the largest part: a smaller "
                                    "evaluation grid (--grid N, eval.size), batch (--set batch=N) "
                                    "or image (--set data.size=N)", e->max_batch);
    snprintf(err, errlen, "not enough memory: the run needs about %s (circuit state vectors %s "
                          "for %d thread%s, activations %s, data %s) and %s is available; %s",
             need, c, e->threads, e->threads == 1 ? "" : "s", a, d, have, hint);
    return -1;
}
