/* Run outputs: checkpoints, signals, CSV, and the policy that every file a run writes is
 * checked against before training starts (the folder, the names, the run's inputs). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "run_output.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io_csv.h"
#include "io_file.h"
#include "io_image.h"
#include "io_safetensors.h"
#include "io_sound.h"
#include "run_checkpoint.h"
#include "run_report.h"

int run_save_checkpoint(const char *path, const rt_experiment *x, rt_model *m, const rt_optim *opt,
                        int epochs_done, char *err, size_t errlen) {
    int nt = rt_model_n_tensors(m);
    io_tensor *ts = calloc((size_t)nt + 1, sizeof *ts);
    size_t ns = opt ? rt_optim_state_size(opt) : 0;
    double *state = ns ? malloc(sizeof(double) * ns) : NULL;
    if (!ts || (ns && !state)) {
        free(ts);
        free(state);
        io_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (int k = 0; k < nt; k++) {
        rt_model_tensor t = rt_model_tensor_at(m, k);
        ts[k].name = t.name;
        ts[k].dtype = IO_ST_F64;
        ts[k].ndim = run_checkpoint_shape(x, t.name, t.count, ts[k].shape);
        ts[k].data = t.data;
    }
    int n = nt;
    if (ns) {
        rt_optim_get_state(opt, state);
        ts[n].name = "optimizer.state";
        ts[n].dtype = IO_ST_F64;
        ts[n].ndim = 1;
        ts[n].shape[0] = (int64_t)ns;
        ts[n].data = state;
        n++;
    }
    char epochs[32];
    snprintf(epochs, sizeof epochs, "%d", epochs_done);
    const char *keys[] = {"format", "experiment", "source", "epochs"};
    const char *vals[] = {RUN_CHECKPOINT_FORMAT, x->name, x->source, epochs};
    int rc = io_st_write(path, ts, (size_t)n, keys, vals, 4, err, errlen);
    free(ts);
    free(state);
    return rc;
}

int run_write_signal(const char *path, rt_data_kind kind, const run_data *grid, const double *pred,
                     double lo, double hi, char *err, size_t errlen) {
    if (io_mkdir_parent(path, err, errlen)) return -1;
    if (kind == RT_DATA_SOUND)
        return io_sound_write_wav(path, pred, grid->n, grid->rate > 0 ? grid->rate : 8000,
                                  IO_WAV_FLOAT, err, errlen);
    if (kind != RT_DATA_IMAGE) {
        io_errf(err, errlen, "%s: only image and sound signals can be written as files", path);
        return -1;
    }
    io_image img;
    int c = grid->out_dim;
    if (io_image_alloc(&img, grid->width, grid->height, c, err, errlen)) return -1;
    size_t hw = (size_t)grid->width * grid->height;
    for (size_t p = 0; p < hw; p++)
        for (int k = 0; k < c; k++) img.data[(size_t)k * hw + p] = pred[p * (size_t)c + k];
    int rc = io_image_write_png(path, &img, lo, hi, err, errlen);
    io_image_free(&img);
    return rc;
}

int run_write_csv(const char *path, const run_data *grid, const double *pred, const double *target,
                  char *err, size_t errlen) {
    int in = grid->in_dim, out = grid->out_dim;
    size_t cols = (size_t)in + (size_t)out * (target ? 2 : 1);
    double *rows = malloc(sizeof(double) * cols * grid->n);
    char **names = calloc(cols, sizeof(char *));
    int rc = -1;
    if (!rows || !names) {
        io_errf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    for (size_t r = 0; r < grid->n; r++) {
        double *row = rows + r * cols;
        memcpy(row, grid->coords + r * (size_t)in, sizeof(double) * (size_t)in);
        memcpy(row + in, pred + r * (size_t)out, sizeof(double) * (size_t)out);
        if (target) memcpy(row + in + out, target + r * (size_t)out, sizeof(double) * (size_t)out);
    }
    for (size_t k = 0; k < cols; k++) {
        names[k] = malloc(32);
        if (!names[k]) goto done;
        if (k < (size_t)in) snprintf(names[k], 32, in == 1 ? "t" : "x%zu", k);
        else if (k < (size_t)(in + out)) snprintf(names[k], 32, out == 1 ? "output" : "output%zu", k - in);
        else snprintf(names[k], 32, out == 1 ? "target" : "target%zu", k - in - out);
    }
    if (io_mkdir_parent(path, err, errlen) == 0)
        rc = io_csv_write(path, (const char *const *)names, rows, grid->n, cols, err, errlen);
done:
    if (names)
        for (size_t k = 0; k < cols; k++) free(names[k]);
    free(names);
    free(rows);
    return rc;
}

/* ---- the output policy ---------------------------------------------------------------- */

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/* The files of a report folder (run_report.c, report_html.c): checked like the outputs. */
static const char *const report_files[] = {"index.html",     "summary.md",    "loss.png",
                                           "reconstruction.png", "waveform.png", "spectrum.png",
                                           "confusion.png",  "eval_loss.png", "eval_accuracy.png",
                                           "boundary.png", "energy.png"};
enum { N_REPORT_FILES = sizeof report_files / sizeof *report_files,
       MAX_TARGETS = 6 + N_REPORT_FILES + RUN_REPORT_MAX_CIRCUITS };

typedef struct {
    const char *what;  /* "csv output", "report file", ... */
    char *path;        /* as the run will write it */
    char *key;         /* canonical(path), for comparisons */
    int relative;      /* named relative to the output folder: must stay inside it */
    int folder;        /* the report folder */
} out_target;

typedef struct {
    const char *what;
    const char *replaced_by; /* the one output kind that may replace it, or NULL */
    struct stat st;
} run_input;

/* A name the run is about to create: refuses control characters (they would end up in
 * messages, HTML and Markdown, and are never meant) and components longer than NAME_MAX. */
static int check_name(const char *name, const char *what, char *err, size_t errlen) {
    size_t comp = 0;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            io_errf(err, errlen, "%s: the name has a control character (byte 0x%02x at offset "
                    "%zu); output names must be printable", what, *c,
                    (size_t)(c - (const unsigned char *)name));
            return -1;
        }
        comp = *c == '/' ? 0 : comp + 1;
        if (comp > NAME_MAX) {
            io_errf(err, errlen, "%.200s...: a component of this %s is longer than %d bytes "
                    "(NAME_MAX)", name, what, NAME_MAX);
            return -1;
        }
    }
    return 0;
}

/* Whether a relative name steps out of its folder with a `..` component. */
static int has_dotdot(const char *name) {
    for (const char *c = name; *c;) {
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.') return 1;
        c += n;
        while (*c == '/') c++;
    }
    return 0;
}

/* The canonical form of path, for comparisons: the real path of its deepest existing folder
 * (symbolic links resolved, the last component itself left alone) followed by the remaining
 * components, with "." and empty ones dropped and ".." applied to the text (those folders do
 * not exist yet: they are about to be created). NULL when memory runs out. */
static char *canonical(const char *path) {
    size_t n = strlen(path);
    char *real = NULL;
    const char *rest = path;
    for (size_t k = n; k-- > 0 && !real;) {
        if (path[k] != '/') continue;
        char *prefix = malloc(k + 2);
        if (!prefix) return NULL;
        memcpy(prefix, path, k ? k : 1);
        prefix[k ? k : 1] = 0;
        struct stat st;
        if (stat(prefix, &st) == 0 && S_ISDIR(st.st_mode)) {
            real = realpath(prefix, NULL);
            rest = path + k + 1;
        }
        free(prefix);
    }
    if (!real) {
        real = path[0] == '/' ? strdup("/") : realpath(".", NULL);
        rest = path;
    }
    if (!real) return NULL;
    char *out = malloc(strlen(real) + n + 2);
    if (!out) {
        free(real);
        return NULL;
    }
    strcpy(out, real);
    free(real);
    size_t len = strlen(out);
    for (const char *c = rest; *c;) {
        size_t m = strcspn(c, "/");
        if (m == 2 && c[0] == '.' && c[1] == '.') {
            while (len > 1 && out[len - 1] != '/') len--;
            if (len > 1) len--;
            out[len] = 0;
        } else if (m > 0 && !(m == 1 && c[0] == '.')) {
            if (out[len - 1] != '/') out[len++] = '/';
            memcpy(out + len, c, m);
            len += m;
            out[len] = 0;
        }
        c += m;
        while (*c == '/') c++;
    }
    return out;
}

/* Whether canonical path key is root or below it. */
static int within(const char *key, const char *root, int or_equal) {
    size_t n = strlen(root);
    if (strcmp(key, root) == 0) return or_equal;
    if (n == 1 && root[0] == '/') return key[0] == '/';
    return strncmp(key, root, n) == 0 && key[n] == '/';
}

static int add_target(out_target *t, int *nt, const char *dir, const char *name, const char *what,
                      int relative, int folder, char *err, size_t errlen) {
    out_target *o = &t[*nt];
    memset(o, 0, sizeof *o);
    o->what = what;
    o->relative = relative;
    o->folder = folder;
    o->path = io_path_join(dir, name);
    if (o->path) o->key = canonical(o->path);
    (*nt)++; /* freed by the caller, complete or not */
    if (!o->path || !o->key) {
        io_errf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    size_t n = strlen(o->path);
    if (n > RUN_OUT_PATH_MAX) {
        io_errf(err, errlen, "%.200s...: the path of the %s has %zu bytes, at most %d are "
                "supported", o->path, what, n, RUN_OUT_PATH_MAX);
        return -1;
    }
    return 0;
}

/* The files the run reads, as they will be found: writing over any of them is refused. */
static void add_input(run_input *in, int *ni, const char *path, const char *source, int search,
                      const char *what) {
    if (!path || !path[0]) return;
    char found[4096];
    const char *p = path;
    if (search && run_find_data(path, source, found, sizeof found, NULL, 0) == 0) p = found;
    if (stat(p, &in[*ni].st) == 0) {
        in[*ni].replaced_by = NULL;
        in[(*ni)++].what = what;
    }
}

static int check_target(const out_target *t, const char *root, const run_input *in, int ni,
                        char *err, size_t errlen) {
    if (t->relative && !within(t->key, root, t->folder)) {
        io_errf(err, errlen, "%s: the %s would be written outside the output folder %s (it "
                "resolves to %s); give an absolute path to write elsewhere", t->path, t->what,
                root, t->key);
        return -1;
    }
    struct stat st;
    if (t->folder) {
        if (stat(t->path, &st) == 0 && !S_ISDIR(st.st_mode)) {
            io_errf(err, errlen, "%s: exists and is not a folder; the %s must be one", t->path,
                    t->what);
            return -1;
        }
        return 0;
    }
    if (io_check_output_target(t->path, err, errlen)) return -1;
    if (stat(t->path, &st) != 0) return 0; /* a new file: not one of the inputs, which exist */
    for (int i = 0; i < ni; i++)
        if (st.st_dev == in[i].st.st_dev && st.st_ino == in[i].st.st_ino &&
            !(in[i].replaced_by && strcmp(in[i].replaced_by, t->what) == 0)) {
            io_errf(err, errlen, "%s: the %s would replace %s; outputs never replace a run's "
                    "inputs", t->path, t->what, in[i].what);
            return -1;
        }
    return 0;
}

int run_outputs_check(const rt_experiment *x, const rt_run_options *o, const char *dir,
                      char *err, size_t errlen) {
    if (!dir || !dir[0]) {
        io_errf(err, errlen, "(no folder name): the output folder cannot be empty");
        return -1;
    }
    if (check_name(dir, "output folder", err, errlen)) return -1;
    if (strlen(dir) > RUN_OUT_PATH_MAX) {
        io_errf(err, errlen, "%.200s...: the output folder's path has %zu bytes, at most %d are "
                "supported", dir, strlen(dir), RUN_OUT_PATH_MAX);
        return -1;
    }
    if (io_check_writable_folder(dir, err, errlen)) return -1;
    char *root = realpath(dir, NULL);
    if (!root) {
        io_errf(err, errlen, "%s: cannot resolve the output folder: %s", dir, strerror(errno));
        return -1;
    }
    int train = !o || !o->eval_only;
    const struct {
        const char *name, *what;
    } outs[] = {{x->out_image, "image output"},
                {x->out_sound, "sound output"},
                {x->out_csv, "csv output"},
                {train ? x->out_checkpoint : "", "checkpoint output"},
                {train ? "metrics.jsonl" : "", "metrics log"}};
    out_target t[MAX_TARGETS];
    int nt = 0, rc = -1;
    for (size_t k = 0; k < sizeof outs / sizeof *outs; k++) {
        const char *name = outs[k].name;
        if (!name[0]) continue;
        if (check_name(name, outs[k].what, err, errlen)) goto done;
        if (name[0] != '/' && has_dotdot(name)) {
            io_errf(err, errlen, "%s: the %s has a `..` component: relative outputs are written "
                    "under the output folder %s; give an absolute path to write elsewhere", name,
                    outs[k].what, dir);
            goto done;
        }
        if (add_target(t, &nt, dir, name, outs[k].what, name[0] != '/', 0, err, errlen)) goto done;
    }
    if (x->out_report[0]) {
        const char *name = x->out_report;
        if (check_name(name, "report folder", err, errlen)) goto done;
        if (name[0] != '/' && has_dotdot(name)) {
            io_errf(err, errlen, "%s: the report folder has a `..` component: relative outputs "
                    "are written under the output folder %s; give an absolute path to write "
                    "elsewhere", name, dir);
            goto done;
        }
        if (add_target(t, &nt, dir, name, "report folder", name[0] != '/', 1, err, errlen))
            goto done;
        const char *rdir = t[nt - 1].path;
        for (int f = 0; f < N_REPORT_FILES; f++)
            if (add_target(t, &nt, rdir, report_files[f], "report file", name[0] != '/', 0, err,
                           errlen))
                goto done;
        int layers[RUN_REPORT_MAX_CIRCUITS], n_drawn = run_report_circuits(x, layers);
        for (int k = 0; k < n_drawn; k++) { /* the circuit drawings: circuit_L.svg */
            char file[32];
            run_report_circuit_name(layers[k], file, sizeof file);
            if (add_target(t, &nt, rdir, file, "report file", name[0] != '/', 0, err, errlen)) goto done;
        }
    }
    run_input in[6];
    int ni = 0;
    add_input(in, &ni, x->source, NULL, 0, "the experiment's source file");
    add_input(in, &ni, x->data.path, x->source, 1, "the experiment's data file");
    if (x->has_eval_target)
        add_input(in, &ni, x->eval_target.path, x->source, 1, "the evaluation target");
    if (o && o->target) add_input(in, &ni, o->target, x->source, 1, "the evaluation target");
    /* The checkpoint a run resumes from may be replaced by the run's own checkpoint (continuing
     * a run in its folder updates it atomically with weights trained further), by nothing else. */
    if (o && o->resume && train) {
        int before = ni;
        add_input(in, &ni, o->resume, NULL, 0, "the checkpoint it resumes from");
        if (ni > before) in[before].replaced_by = "checkpoint output";
    }
    if (o && o->checkpoint && !train)
        add_input(in, &ni, o->checkpoint, NULL, 0, "the checkpoint being evaluated");
    for (int i = 0; i < nt; i++)
        if (check_target(&t[i], root, in, ni, err, errlen)) goto done;
    for (int i = 0; i < nt; i++)
        for (int j = 0; j < nt; j++) {
            if (i == j) continue;
            if (i < j && strcmp(t[i].key, t[j].key) == 0) {
                io_errf(err, errlen, "%s: the %s and the %s are the same file; give them "
                        "different names", t[j].path, t[i].what, t[j].what);
                goto done;
            }
            if (!t[i].folder && within(t[j].key, t[i].key, 0)) {
                io_errf(err, errlen, "%s: the %s is a file where the %s needs a folder", t[i].path,
                        t[i].what, t[j].what);
                goto done;
            }
        }
    rc = 0;
done:
    for (int i = 0; i < nt; i++) {
        free(t[i].path);
        free(t[i].key);
    }
    free(root);
    return rc;
}

/* Whether canonical path file is one that a report into canonical folder writes. */
static int is_report_file(const char *file, const char *folder) {
    if (!within(file, folder, 0)) return 0;
    const char *name = file + strlen(folder) + (strcmp(folder, "/") != 0);
    for (int f = 0; f < N_REPORT_FILES; f++)
        if (strcmp(name, report_files[f]) == 0) return 1;
    int layer, end = 0; /* a circuit drawing, circuit_L.svg */
    if (sscanf(name, "circuit_%d.svg%n", &layer, &end) == 1 && end > 0 && name[end] == '\0') return 1;
    return 0;
}

int run_outputs_clash(const rt_experiment *x, const rt_experiment *earlier, char *err,
                      size_t errlen) {
    static const char *const what[] = {"image output", "sound output", "csv output",
                                       "checkpoint output", "report folder"};
    const char *mine[] = {x->out_image, x->out_sound, x->out_csv, x->out_checkpoint, x->out_report};
    const char *theirs[] = {earlier->out_image, earlier->out_sound, earlier->out_csv,
                            earlier->out_checkpoint, earlier->out_report};
    int rc = 0;
    for (int i = 0; i < 5 && !rc; i++) {
        if (mine[i][0] != '/') continue;
        char *a = canonical(mine[i]);
        for (int j = 0; j < 5 && a && !rc; j++) {
            if (theirs[j][0] != '/') continue;
            char *b = canonical(theirs[j]);
            /* the same file or folder, or a file that the other's report writes */
            if (b && (strcmp(a, b) == 0 || (j == 4 && is_report_file(a, b)) ||
                      (i == 4 && is_report_file(b, a)))) {
                io_errf(err, errlen, "%s: the %s would replace what experiment `%s` wrote in this "
                        "run; give each experiment its own path (relative names go to each "
                        "experiment's folder)", mine[i], what[i], earlier->name);
                rc = -1;
            }
            free(b);
        }
        free(a);
    }
    return rc;
}

/* ---- the metrics log's header ----------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t n, len;
} json_out;

static void jput(json_out *j, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++, j->len++)
        if (j->len + 1 < j->n) j->buf[j->len] = s[i];
    if (j->n) j->buf[j->len + 1 < j->n ? j->len : j->n - 1] = '\0';
}

/* "key": "value" with JSON's escapes (control characters as \u00XX). */
static void jstr(json_out *j, const char *key, const char *v, size_t v_len) {
    char tmp[16];
    jput(j, ", \"", 3);
    jput(j, key, strlen(key));
    jput(j, "\": \"", 4);
    for (size_t i = 0; i < v_len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == '\\') jput(j, "\\", 1), jput(j, (const char *)&v[i], 1);
        else if (c < 0x20) jput(j, tmp, (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", c));
        else jput(j, (const char *)&v[i], 1);
    }
    jput(j, "\"", 1);
}

/* The version after `label ` in "qnnc V, LLVM V" (toolchain), up to the next comma. */
static void toolchain_part(const char *toolchain, const char *label, const char **v, size_t *len) {
    const char *p = strstr(toolchain, label);
    *v = "", *len = 0;
    if (!p) return;
    *v = p + strlen(label);
    *len = strcspn(*v, ",");
}

size_t run_metrics_header(const rt_experiment *x, char *buf, size_t n) {
    json_out j = {buf, n, 0};
    if (n) buf[0] = '\0';
    jput(&j, "{\"kind\": \"header\"", 17);
    jstr(&j, "experiment", x->name, strlen(x->name));
    jstr(&j, "source", x->source, strlen(x->source));
    jstr(&j, "model", x->model_call, strlen(x->model_call));
    jstr(&j, "model_name", x->model_call, strcspn(x->model_call, "("));
    jstr(&j, "overrides", x->overrides, strlen(x->overrides));
    jstr(&j, "gradient", x->gradient, strlen(x->gradient));
    char tmp[64];
    jstr(&j, "precision", tmp, (size_t)snprintf(tmp, sizeof tmp, "f%d", x->precision));
    jput(&j, tmp, (size_t)snprintf(tmp, sizeof tmp, ", \"seed\": %llu", (unsigned long long)x->seed));
    const char *v;
    size_t len;
    toolchain_part(x->toolchain, "qnnc ", &v, &len);
    jstr(&j, "qnnc", v, len);
    toolchain_part(x->toolchain, "LLVM ", &v, &len);
    jstr(&j, "llvm", v, len);
    jput(&j, "}", 1);
    return j.len;
}
