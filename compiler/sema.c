/* Semantic analysis driver: module loading (imports), the global symbol table, and the
 * elaboration of models; experiments are checked in sema_exp.c. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "sema.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "gates.h"
#include "lower.h"
#include "parse.h"
#include "qasm.h"
#include "sema_impl.h"

enum { MAX_IMPORT_DEPTH = 32, MAX_SOURCE_BYTES = 16 << 20, MAX_LAYERS = 100000 };

/* ---- loading ----------------------------------------------------------------------------- */

/* Opens a source for reading without blocking: O_NONBLOCK so that a FIFO named by `import`
 * cannot hang the compiler waiting for a writer, then anything but a regular file is refused
 * (the runtime's io_fopen_input does the same; the front end does not link the runtime). */
static FILE *open_source(const char *path, char *why, size_t whylen) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int failed = fstat(fd, &st) != 0;
        snprintf(why, whylen, "%s", failed ? strerror(errno)
                                    : S_ISDIR(st.st_mode) ? "it is a folder, not a file"
                                                          : "it is not a regular file (a FIFO or device?)");
        close(fd);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(why, whylen, "%s", strerror(errno));
        close(fd);
    }
    return f;
}

static char *read_file(arena *ar, const char *path, size_t *len, char *why, size_t whylen) {
    FILE *f = open_source(path, why, whylen);
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            if (cap >= MAX_SOURCE_BYTES) {
                snprintf(why, whylen, "file is larger than %d MiB", MAX_SOURCE_BYTES >> 20);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap = cap ? 2 * cap : 16384;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(why, whylen, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        snprintf(why, whylen, "read error");
        return NULL;
    }
    char *text = arena_strndup(ar, buf ? buf : "", n);
    free(buf);
    *len = n;
    return text;
}

static const char *dir_of(arena *ar, const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? arena_strndup(ar, path, (size_t)(slash - path)) : ".";
}

/* Lexically tidies a path for messages: drops "./" and folds "dir/../". */
static char *tidy_path(arena *ar, const char *path) {
    char *out = arena_strdup(ar, path);
    const char *parts[256];
    size_t lens[256];
    int n = 0, absolute = path[0] == '/';
    for (const char *p = path; *p;) {
        while (*p == '/') p++;
        const char *q = p;
        while (*q && *q != '/') q++;
        size_t len = (size_t)(q - p);
        if (len == 0) break;
        if (len == 1 && p[0] == '.') {
        } else if (len == 2 && p[0] == '.' && p[1] == '.' && n > 0 &&
                   !(lens[n - 1] == 2 && parts[n - 1][0] == '.')) {
            n--;
        } else if (n < 256) {
            parts[n] = p;
            lens[n++] = len;
        }
        p = q;
    }
    char *w = out;
    if (absolute) *w++ = '/';
    for (int i = 0; i < n; i++) {
        if (i) *w++ = '/';
        memcpy(w, parts[i], lens[i]);
        w += lens[i];
    }
    if (w == out) *w++ = '.';
    *w = '\0';
    return out;
}

/* Exists at all (a FIFO or folder too: read_file then says what is wrong with it). */
static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void load_file(sema *S, const char *path, src_loc from);

static void load_imports(sema *S, ast_list *items, int first, int end, const char *dir) {
    /* Only this file's items [first, end): loading an import appends its own items, whose
     * imports were resolved against their own folder already. */
    for (int i = first; i < end && !diag_too_many(); i++) {
        ast_node *it = items->items[i];
        if (it->kind != AST_IMPORT) continue;
        if (!it->str[0]) { /* else "" would name this very folder */
            diag_error(it->loc, "`import` needs a file name, e.g. import \"qiren.qnn\";");
            continue;
        }
        const char *cand[2] = {NULL, NULL};
        if (it->str[0] == '/') {
            cand[0] = it->str;
        } else {
            cand[0] = tidy_path(S->ar, arena_printf(S->ar, "%s/%s", dir, it->str));
            if (S->opt.stdlib_dir) cand[1] = arena_printf(S->ar, "%s/%s", S->opt.stdlib_dir, it->str);
        }
        const char *found = NULL;
        for (int k = 0; k < 2 && !found; k++)
            if (cand[k] && file_exists(cand[k])) found = cand[k];
        if (!found) {
            diag_error(it->loc, "cannot find `%s` to import", it->str);
            diag_note((src_loc){0, 0, 0, 0}, "looked in %s%s", strcmp(dir, ".") == 0 ? "this folder" : dir,
                      S->opt.stdlib_dir ? " and in the standard library" : "");
            continue;
        }
        load_file(S, found, it->loc);
    }
}

/* `import "x.qasm";`: the OpenQASM 3 reader (qasm_import.c, the subset emit-qasm writes)
 * turns the file into the text of one .qnn circuit named after it, which is then parsed as
 * if it had been imported; its own diagnostics point into the .qasm file. The text is a
 * source of its own, "x.qasm (as .qnn)", for the rare message about it (a name clash). */
static void load_qasm(sema *S, const char *path, const char *key, src_loc from) {
    char name[128];
    qasm_circuit_name(path, name, sizeof name);
    int before = diag_error_count();
    char *qtext = NULL;
    if (qasm_import(path, name, &qtext)) {
        if (diag_error_count() == before) /* the reader's I/O message went to stderr */
            diag_error(from, "cannot import `%s` (see the message above)", path);
        else
            diag_note(from, "imported here");
        return;
    }
    S->loaded[S->n_loaded++] = arena_strdup(S->ar, key);
    char *text = arena_strdup(S->ar, qtext);
    free(qtext);
    int file = diag_add_source(arena_printf(S->ar, "%s (as .qnn)", tidy_path(S->ar, path)), text);
    if (S->n_loaded == 1) S->main_file = file;
    parse_source(S->ar, file, text, strlen(text), &S->items);
}

static void load_file(sema *S, const char *path, src_loc from) {
    char real[PATH_MAX];
    const char *key = realpath(path, real) ? real : path;
    for (int i = 0; i < S->n_stack; i++)
        if (strcmp(S->stack[i], key) == 0) {
            char chain[2048] = "";
            for (int j = i; j < S->n_stack; j++) {
                strncat(chain, S->stack_shown[j], sizeof chain - strlen(chain) - 1);
                strncat(chain, " -> ", sizeof chain - strlen(chain) - 1);
            }
            strncat(chain, S->stack_shown[i], sizeof chain - strlen(chain) - 1);
            diag_error(from, "import cycle: %s", chain);
            return;
        }
    for (int i = 0; i < S->n_loaded; i++)
        if (strcmp(S->loaded[i], key) == 0) return; /* imported before: once is enough */
    if (S->n_stack >= MAX_IMPORT_DEPTH) {
        diag_error(from, "imports nest more than %d deep", MAX_IMPORT_DEPTH);
        return;
    }
    if (S->n_loaded >= 256) {
        diag_error(from, "too many imported files (more than 256)");
        return;
    }
    size_t len;
    char why[256];
    size_t plen = strlen(path);
    if (plen > 5 && strcmp(path + plen - 5, ".qasm") == 0) {
        load_qasm(S, path, key, from);
        return;
    }
    char *text = read_file(S->ar, path, &len, why, sizeof why);
    if (!text) {
        if (from.file) diag_error(from, "cannot read `%s`: %s", path, why);
        else diag_error(from, "cannot read %s: %s", path, why);
        return;
    }
    /* A UTF-8 byte-order mark (editors on Windows write one) is not part of the text: skipped
     * here, before the scanner and the diagnostics see the text, so columns stay right. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3, len -= 3;
    S->loaded[S->n_loaded++] = arena_strdup(S->ar, key);
    int file = diag_add_source(tidy_path(S->ar, path), text);
    int first = S->items.n;
    S->stack_shown[S->n_stack] = tidy_path(S->ar, path);
    S->stack[S->n_stack++] = arena_strdup(S->ar, key);
    if (S->n_loaded == 1) S->main_file = file;
    parse_source(S->ar, file, text, len, &S->items);
    load_imports(S, &S->items, first, S->items.n, dir_of(S->ar, path));
    S->n_stack--;
}

/* ---- symbols -------------------------------------------------------------------------- */

static void declare_globals(sema *S) {
    static const char *const builtin_layers[] = {"linear", "batchnorm", "relu", "tanh", "sigmoid",
                                                 "sine", "scale", "rff", "softmax", "log_softmax",
                                                 "parallel", "branch", "residual", "split"};
    for (int i = 0; i < S->items.n; i++) {
        ast_node *it = S->items.items[i];
        if (it->kind == AST_IMPORT) continue;
        for (int j = 0; j < i; j++) {
            ast_node *prev = S->items.items[j];
            if (prev->kind != AST_IMPORT && strcmp(prev->name, it->name) == 0) {
                diag_error(it->loc, "`%s` is already defined", it->name);
                diag_note(prev->loc, "the first definition of `%s` is here", it->name);
                goto next;
            }
        }
        /* Primitive gates, composite gates (rzz, toffoli, ...) and the gate forms adj, ctrl,
         * unitary: a template of that name would silently hide the built-in. */
        int builtin_gate = gx_find_composite(it->name) >= 0 || strcmp(it->name, "adj") == 0 ||
                           strcmp(it->name, "ctrl") == 0 || strcmp(it->name, "unitary") == 0;
        for (int g = 0; g < IR_FUSED_1Q && !builtin_gate; g++)
            builtin_gate = strcmp(it->name, ir_gate_name((ir_gate)g)) == 0;
        if (builtin_gate) {
            diag_error(it->loc, "`%s` is a built-in gate; choose another name", it->name);
            goto next;
        }
        for (size_t k = 0; k < sizeof builtin_layers / sizeof *builtin_layers; k++)
            if (strcmp(it->name, builtin_layers[k]) == 0) {
                diag_error(it->loc, "`%s` is a built-in layer; choose another name", it->name);
                goto next;
            }
        if (it->kind == AST_GATE) {
            value v;
            memset(&v, 0, sizeof v);
            v.kind = V_GATE;
            v.builtin = -1;
            v.templ = it;
            v.loc = it->loc;
            env_bind(S->ar, &S->globals, it->name, v);
        }
    next:;
    }
}

ast_node *sema_find(sema *S, const char *name, ast_kind kind) {
    for (int i = 0; i < S->items.n; i++) {
        ast_node *it = S->items.items[i];
        if (it->kind == kind && strcmp(it->name, name) == 0) return it;
    }
    return NULL;
}

const char *sema_suggest(sema *S, const char *name, ast_kind kind, const char *const *extra, int n_extra) {
    const char *cands[512];
    int n = 0;
    for (int i = 0; i < n_extra && n < 500; i++) cands[n++] = extra[i];
    for (int i = 0; i < S->items.n && n < 500; i++)
        if (S->items.items[i]->kind == kind) cands[n++] = S->items.items[i]->name;
    return diag_suggest(name, cands, n);
}

ir_circuit *sema_keep_circuit(sema *S, ir_circuit *c) {
    if (S->n_owned == S->cap_owned) {
        S->cap_owned = S->cap_owned ? 2 * S->cap_owned : 16;
        ir_circuit **n = arena_alloc(S->ar, sizeof *n * (size_t)S->cap_owned);
        if (S->n_owned) memcpy(n, S->owned, sizeof *n * (size_t)S->n_owned);
        S->owned = n;
    }
    S->owned[S->n_owned++] = c;
    return c;
}

/* ---- models ----------------------------------------------------------------------------- */

long long sema_layer_params(const rt_layer_spec *l) {
    switch (l->kind) {
    case RT_LAYER_LINEAR: return (long long)l->in * l->out + (l->bias ? l->out : 0);
    case RT_LAYER_BATCHNORM: return 2LL * l->in;
    case RT_LAYER_QUANTUM: return l->n_params;
    default: return 0;
    }
}

static void model_block(sema *S, model_build *M, env *e, ast_node *block);
static void note_hiding_let(sema *S, const ast_node *let, int used);

rt_layer_spec *sema_add_layer(sema *S, model_build *M, rt_layer_type kind, src_loc loc) {
    if (M->m->n_layers >= MAX_LAYERS) {
        elab_error(&S->cx, loc, "the model has more than %d layers", MAX_LAYERS);
        return NULL;
    }
    if (M->m->n_layers == M->cap) {
        M->cap = M->cap ? 2 * M->cap : 16;
        rt_layer_spec *n = arena_alloc(S->ar, sizeof *n * (size_t)M->cap);
        if (M->m->n_layers) memcpy(n, M->m->layers, sizeof *n * (size_t)M->m->n_layers);
        M->m->layers = n;
    }
    rt_layer_spec *l = &M->m->layers[M->m->n_layers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = l->out = M->width;
    l->parent = M->parent;
    l->branch = M->branch;
    return l;
}

/* The width flowing into a layer: unknown (-1) until the first layer that states it. */
int sema_check_width(sema *S, model_build *M, int in, src_loc loc, const char *layer) {
    if (M->width >= 0 && in != M->width) {
        elab_error(&S->cx, loc, "`%s` expects %d input features, but the previous layer gives %d",
                   layer, in, M->width);
        M->width = WIDTH_ANY;
        return 0;
    }
    if (M->width == -1) M->m->in_dim = in;
    return 1;
}

int sema_need_width(sema *S, model_build *M, src_loc loc, const char *layer) {
    if (M->width >= 0 || M->width == WIDTH_ANY) return 1;
    elab_error(&S->cx, loc, "`%s` cannot come first: the model's input width is not known yet; "
                            "start with a layer that states it, e.g. `linear(2, 8)`", layer);
    return 0;
}

static void model_quantum(sema *S, model_build *M, env *e, ast_node *s) {
    ast_node *circ = sema_find(S, s->name, AST_CIRCUIT);
    if (!circ) {
        elab_error_hint(&S->cx, s->loc, sema_suggest(S, s->name, AST_CIRCUIT, NULL, 0),
                        "unknown circuit `%s`", s->name);
        M->width = WIDTH_ANY;
        return;
    }
    ast_list args;
    const ast_node *noise = NULL; /* the layer's own noise model (sema_layers.c) */
    if (!sema_layer_noise_arg(S, circ, &s->list, &args, &noise)) return;
    ir_circuit *c = lower_circuit(&S->cx, &S->globals, circ, &args, s->loc, e);
    if (!c) return;
    sema_keep_circuit(S, c);
    if (noise && !(c = sema_layer_noise_apply(S, e, noise, c))) return;
    /* uniform() draws are inputs the layer makes, not features it takes */
    if (!sema_check_width(S, M, c->n_inputs - c->n_uniform, s->loc, s->name)) return;
    rt_layer_spec *l = sema_add_layer(S, M, RT_LAYER_QUANTUM, s->loc);
    if (!l) return;
    l->in = c->n_inputs - c->n_uniform;
    l->n_uniform = c->n_uniform;
    l->out = c->n_obs;
    l->n_params = c->n_params;
    l->circuit = M->m->n_circuits;
    l->n_tensors = c->n_tensors;
    l->tensors = arena_alloc(S->ar, sizeof(rt_tensor_spec) * (size_t)(c->n_tensors + 1));
    for (int t = 0; t < c->n_tensors; t++) {
        rt_tensor_spec *ts = &l->tensors[t];
        snprintf(ts->name, sizeof ts->name, "%s", c->tensors[t].name);
        ts->rank = c->tensors[t].rank;
        memcpy(ts->shape, c->tensors[t].shape, sizeof ts->shape);
        ts->offset = c->tensors[t].offset;
        ts->size = c->tensors[t].size;
        ts->init = (rt_param_init)c->tensors[t].init;
        ts->a = c->tensors[t].init_a;
        ts->b = c->tensors[t].init_b;
    }
    ir_circuit **list = arena_alloc(S->ar, sizeof *list * (size_t)(M->m->n_circuits + 1));
    if (M->m->n_circuits) memcpy(list, M->m->circuits, sizeof *list * (size_t)M->m->n_circuits);
    list[M->m->n_circuits++] = c;
    M->m->circuits = list;
    M->width = l->out;
}

static void model_apply(sema *S, model_build *M, env *e, ast_node *s) {
    if (s->op) {
        model_quantum(S, M, e, s);
        return;
    }
    for (int g = 0; g < IR_FUSED_1Q; g++)
        if (strcmp(s->name, ir_gate_name((ir_gate)g)) == 0 && !sema_find(S, s->name, AST_MODEL)) {
            elab_error(&S->cx, s->loc, "`%s` is a gate: gates belong in a circuit, which a model "
                                       "uses as a layer with `quantum NAME(...)`", s->name);
            M->width = WIDTH_ANY;
            return;
        }
    if (s->list2.n) {
        elab_error(&S->cx, s->list2.items[0]->loc, "layers take no qubit arguments");
        return;
    }
    if (sema_builtin_layer(S, M, e, s)) return;
    ast_node *sub = sema_find(S, s->name, AST_MODEL);
    if (!sub) {
        if (sema_find(S, s->name, AST_CIRCUIT)) {
            elab_error(&S->cx, s->loc, "`%s` is a circuit: use it as a layer with `quantum %s(...)`",
                       s->name, s->name);
            return;
        }
        static const char *const layers[] = {"linear", "batchnorm", "relu", "tanh", "sigmoid",
                                             "sine", "scale", "rff", "softmax", "log_softmax"};
        elab_error_hint(&S->cx, s->loc, sema_suggest(S, s->name, AST_MODEL, layers, 10),
                        "unknown layer `%s`", s->name);
        M->width = WIDTH_ANY;
        return;
    }
    sema_model_call(S, M, sub, &s->list, s->loc, e);
}

void sema_model_call(sema *S, model_build *M, ast_node *model, const ast_list *args, src_loc loc,
                     env *caller) {
    elab_ctx *cx = &S->cx;
    for (int i = 0; i < cx->n_calls; i++)
        if (strcmp(cx->call_names[i], model->name) == 0) {
            elab_error(cx, loc, "model `%s` uses itself: models cannot be recursive", model->name);
            return;
        }
    if (cx->n_calls >= 64) {
        elab_error(cx, loc, "models nest too deeply (more than 64 levels)");
        return;
    }
    env callee = S->globals;
    ast_list none = {0};
    if (!elab_bind_args(cx, model->name, &model->list, args ? args : &none, loc,
                        caller ? caller : &S->globals, &callee))
        return;
    if (cx->n_calls > 0 || caller) {
        cx->call_sites[cx->n_calls] = loc;
        cx->call_names[cx->n_calls] = model->name;
        cx->n_calls++;
        model_block(S, M, &callee, model->a);
        cx->n_calls--;
    } else {
        model_block(S, M, &callee, model->a);
    }
}

/* The body of one branch of the composite layer at index g, entered with `width` features:
 * its layers go into the list after the composite's (rt_spec.h's tree in pre-order). The
 * width flowing out, or WIDTH_ANY when the branch has errors; an empty branch is an error. */
static int group_branch(sema *S, model_build *M, env *e, ast_node *body, int g, int branch,
                        int width, src_loc loc, const char *what) {
    int keep_parent = M->parent, keep_branch = M->branch, before = M->m->n_layers;
    int errors = diag_error_count();
    M->parent = g + 1;
    M->branch = branch;
    M->width = width;
    env inner = *e;
    model_block(S, M, &inner, body);
    M->parent = keep_parent;
    M->branch = keep_branch;
    if (diag_error_count() != errors) return WIDTH_ANY;
    if (M->m->n_layers == before) {
        elab_error(&S->cx, loc, "%s has no layers", what);
        return WIDTH_ANY;
    }
    return M->width;
}

/* parallel { branch { ... } ... }, residual { ... }, split(k = N) { ... } (language.md 5.3). */
static void model_group(sema *S, model_build *M, env *e, ast_node *s) {
    elab_ctx *cx = &S->cx;
    rt_layer_type kind = strcmp(s->name, "parallel") == 0   ? RT_LAYER_PARALLEL
                         : strcmp(s->name, "residual") == 0 ? RT_LAYER_RESIDUAL
                         : strcmp(s->name, "split") == 0    ? RT_LAYER_SPLIT
                                                            : RT_LAYER_LINEAR;
    if (kind == RT_LAYER_LINEAR) {
        elab_error(cx, s->loc, strcmp(s->name, "branch") == 0
                                   ? "`branch { ... }` belongs directly in a `parallel { ... }`"
                                   : "unknown block `%s { ... }` in a model: the blocks are "
                                     "`parallel`, `residual` and `split(k = N)`", s->name);
        M->width = WIDTH_ANY;
        return;
    }
    long long k = 1;
    if (kind == RT_LAYER_SPLIT) {
        const ast_node *arg = s->list.n == 1 ? s->list.items[0] : NULL;
        if (arg && arg->kind == AST_NAMED && strcmp(arg->name, "k") != 0) arg = NULL;
        if (!arg) {
            elab_error(cx, s->loc, "`split` takes one argument, the number of copies: `split(k = 8) { ... }`");
            M->width = WIDTH_ANY;
            return;
        }
        if (!elab_int(cx, e, arg->kind == AST_NAMED ? arg->a : (ast_node *)arg, 1, MAX_LAYERS,
                      "split count k", &k)) {
            M->width = WIDTH_ANY;
            return;
        }
    } else if (s->list.n) {
        elab_error(cx, s->list.items[0]->loc, "`%s` takes no arguments", s->name);
        M->width = WIDTH_ANY;
        return;
    }
    if (M->width == WIDTH_ANY || !sema_need_width(S, M, s->loc, s->name)) {
        M->width = WIDTH_ANY;
        return;
    }
    int in = M->width;
    if (kind == RT_LAYER_SPLIT && in % k != 0) {
        elab_error(cx, s->loc, "`split(k = %lld)` needs an input width divisible by %lld, but the "
                   "previous layer gives %d", k, k, in);
        M->width = WIDTH_ANY;
        return;
    }
    rt_layer_spec *l = sema_add_layer(S, M, kind, s->loc);
    if (!l) return;
    int g = (int)(l - M->m->layers), out = 0, n = 0;
    if (kind == RT_LAYER_PARALLEL) {
        const ast_node *body = s->c;
        for (int i = 0; i < body->list.n; i++) {
            ast_node *b = body->list.items[i];
            if (b->kind != AST_GROUP || strcmp(b->name, "branch") != 0 || b->list.n) {
                elab_error(cx, b->loc, "a `parallel` holds only `branch { ... }` blocks");
                M->width = WIDTH_ANY;
                return;
            }
            int w = group_branch(S, M, e, b->c, g, n++, in, b->loc, "this branch");
            if (w < 0) { M->width = WIDTH_ANY; return; }
            out += w;
        }
        if (n == 0) {
            elab_error(cx, s->loc, "`parallel` has no branches: write `branch { ... }` blocks in it");
            M->width = WIDTH_ANY;
            return;
        }
    } else if (kind == RT_LAYER_RESIDUAL) {
        int w = group_branch(S, M, e, s->c, g, n++, in, s->loc, "`residual`");
        if (w < 0) { M->width = WIDTH_ANY; return; }
        if (w != in) {
            elab_error(cx, s->loc, "`residual` adds its body's output to its input: the body must "
                       "keep the width %d, but gives %d", in, w);
            M->width = WIDTH_ANY;
            return;
        }
        out = in;
    } else {
        for (long long c = 0; c < k; c++) {   /* each copy has its own layers and parameters */
            int w = group_branch(S, M, e, s->c, g, n++, in / (int)k, s->loc, "`split`");
            if (w < 0) { M->width = WIDTH_ANY; return; }
            out += w;
        }
    }
    l = &M->m->layers[g];   /* the list may have moved */
    l->in = in;
    l->out = out;
    l->n_branches = n;
    M->width = out;
}

static void model_stmt(sema *S, model_build *M, env *e, ast_node *s) {
    elab_ctx *cx = &S->cx;
    if (++cx->steps > cx->max_steps) {
        if (cx->steps == cx->max_steps + 1) elab_error(cx, s->loc, "the model is too large");
        return;
    }
    switch (s->kind) {
    case AST_APPLY: model_apply(S, M, e, s); break;
    case AST_GROUP: model_group(S, M, e, s); break;
    case AST_LET: {
        value v = elab_eval(cx, e, s->a);
        if (v.kind == V_NONE) break;
        int hides = 0; /* an earlier binding of the name, looked up without marking it read */
        for (const binding *o = e->head; o && !hides; o = o->next) hides = strcmp(o->name, s->name) == 0;
        env_bind(S->ar, e, s->name, v);
        e->head->origin = s;
        e->head->hides = hides;
        break;
    }
    case AST_REPEAT:
    case AST_FOR: {
        long long lo = 0, hi;
        if (s->kind == AST_FOR) {
            if (!elab_int(cx, e, s->a, -2147483647LL, 2147483647LL, "loop bound", &lo)) return;
            if (!elab_int(cx, e, s->b, -2147483647LL, 2147483647LL, "loop bound", &hi)) return;
        } else if (!elab_int(cx, e, s->a, 0, MAX_LAYERS, "repeat count", &hi)) {
            return;
        }
        env inner = *e;
        binding *var = NULL;
        if (s->name) {
            value v;
            memset(&v, 0, sizeof v);
            v.kind = V_INT;
            env_bind(S->ar, &inner, s->name, v);
            var = inner.head;
        }
        for (long long i = lo; i < hi && !diag_too_many(); i++) {
            if (++cx->steps > cx->max_steps) {
                if (cx->steps == cx->max_steps + 1) elab_error(cx, s->loc, "the model is too large");
                break;
            }
            if (var) var->val.i = i;
            int before = diag_error_count();
            model_block(S, M, &inner, s->c);
            if (diag_error_count() != before) break; /* the same error on every iteration */
        }
        break;
    }
    case AST_IF: {
        long long c;
        if (!elab_int(cx, e, s->a, -2147483647LL, 2147483647LL, "condition", &c)) return;
        if (c) model_block(S, M, e, s->b);
        else if (s->c) model_block(S, M, e, s->c);
        break;
    }
    case AST_BLOCK: {
        env inner = *e;
        model_block(S, M, &inner, s);
        break;
    }
    case AST_QUBITS: case AST_INPUT: case AST_PARAM: case AST_EXPVAL:
        elab_error(cx, s->loc, "`%s` belongs in a circuit; a model uses circuits with "
                               "`quantum NAME(...)`", ast_kind_name(s->kind));
        break;
    case AST_ASSIGN:
        elab_error(cx, s->loc, "settings (`%s = ...`) belong in an experiment", s->name);
        break;
    default:
        elab_error(cx, s->loc, "a %s is not allowed in a model", ast_kind_name(s->kind));
        break;
    }
}

static void model_block(sema *S, model_build *M, env *e, ast_node *block) {
    if (block->kind != AST_BLOCK) {
        model_stmt(S, M, e, block);
        return;
    }
    env scope = *e;
    for (int i = 0; i < block->list.n && !diag_too_many() && S->cx.steps <= S->cx.max_steps; i++)
        model_stmt(S, M, &scope, block->list.items[i]);
    for (const binding *b = scope.head; b && b != e->head; b = b->next) /* the block's own lets */
        if (b->origin && b->hides) note_hiding_let(S, b->origin, b->used);
}

/* Records one elaboration of a hiding `let` (linear: such lets are few). */
static void note_hiding_let(sema *S, const ast_node *let, int used) {
    for (int i = 0; i < S->n_hiding_lets; i++)
        if (S->hiding_lets[i].let == let) {
            S->hiding_lets[i].used |= used;
            return;
        }
    if (S->n_hiding_lets == S->cap_hiding_lets) {
        int cap = S->cap_hiding_lets ? 2 * S->cap_hiding_lets : 16;
        struct sema_let *n = arena_alloc(S->ar, sizeof *n * (size_t)cap);
        if (S->n_hiding_lets) memcpy(n, S->hiding_lets, sizeof *n * (size_t)S->n_hiding_lets);
        S->hiding_lets = n;
        S->cap_hiding_lets = cap;
    }
    S->hiding_lets[S->n_hiding_lets].let = let;
    S->hiding_lets[S->n_hiding_lets++].used = used;
}

static void warn_unused_hiding_lets(const sema *S) {
    for (int i = 0; i < S->n_hiding_lets; i++)
        if (!S->hiding_lets[i].used)
            diag_warning(S->hiding_lets[i].let->loc, "this `let` hides the earlier `%s` and is never used",
                         S->hiding_lets[i].let->name);
}

int sema_build_model(sema *S, ast_node *model, const ast_list *args, src_loc loc, env *caller,
                     sema_model *out) {
    memset(out, 0, sizeof *out);
    out->name = model->name;
    out->in_dim = -1;
    model_build M = {out, -1, 0, 0, 0};
    int before = diag_error_count();
    sema_model_call(S, &M, model, args, loc, caller);
    if (diag_error_count() != before) return 0;
    if (out->n_layers == 0) {
        elab_error(&S->cx, model->loc, "model `%s` has no layers", model->name);
        return 0;
    }
    out->out_dim = M.width;
    for (int i = 0; i < out->n_layers; i++) out->n_params += sema_layer_params(&out->layers[i]);
    return 1;
}

/* ---- driver ---------------------------------------------------------------------------- */

static int all_defaults(const ast_list *formals) {
    for (int i = 0; i < formals->n; i++)
        if (!formals->items[i]->a) return 0;
    return 1;
}

/* sema_options.circuit with its "formal=value" arguments, parsed where they stand in the
 * option (the name blanked out, as --set values are), so that a bad value is located in it. */
static void elaborate_requested_circuit(sema *S, sema_result *r) {
    ast_node *it = sema_find(S, S->opt.circuit, AST_CIRCUIT);
    if (!it) {
        r->circuit_hint = sema_suggest(S, S->opt.circuit, AST_CIRCUIT, NULL, 0);
        return;
    }
    ast_list args = {0};
    for (int i = 0; i < S->opt.n_circuit_args; i++) {
        const char *text = S->opt.circuit_args[i];
        const char *eq = strchr(text, '=');
        int file = diag_add_source("--set", text);
        src_loc whole = {file, 1, 1, (int)strlen(text)};
        if (!eq || eq == text) {
            diag_error(whole, "a circuit argument is NAME=VALUE, e.g. --set n=8");
            return;
        }
        char *padded = arena_strdup(S->ar, text);
        memset(padded, ' ', (size_t)(eq - text) + 1);
        ast_node *val = parse_expression(S->ar, file, padded);
        if (!val) return;
        ast_node *named = ast_new(S->ar, AST_NAMED, whole);
        named->name = arena_strndup(S->ar, text, (size_t)(eq - text));
        named->a = val;
        ast_append(S->ar, &args, named);
    }
    ir_circuit *c = lower_circuit(&S->cx, &S->globals, it, &args, it->loc, NULL);
    if (c) r->circuit = sema_keep_circuit(S, c);
}

sema_result *sema_check_file(arena *ar, const char *path, const sema_options *opt) {
    sema *S = arena_alloc(ar, sizeof *S);
    S->ar = ar;
    S->opt = *opt;
    if (S->opt.max_qubits <= 0) S->opt.max_qubits = 24;
    S->cx.ar = ar;
    S->cx.max_qubits = S->opt.max_qubits;
    /* For the whole file: exponential nesting of templates or models stops early. */
    S->cx.max_steps = 1000000;
    S->cx.globals = &S->globals;
    S->source_path = path;
    for (int i = 0; i < S->opt.n_sets && i < 256; i++)
        S->set_files[i] = diag_add_source("--set", S->opt.sets[i]);
    if (S->opt.n_sets > 256) S->opt.n_sets = 256;
    int before = diag_error_count();
    load_file(S, path, (src_loc){0, 0, 0, 0});
    if (diag_error_count() != before) {
        for (int i = 0; i < S->n_owned; i++) ir_free(S->owned[i]);
        return NULL;
    }
    declare_globals(S);

    sema_result *r = arena_alloc(ar, sizeof *r);
    r->path = path;
    int n_items = S->items.n;
    r->circuits = arena_alloc(ar, sizeof(ir_circuit *) * (size_t)(n_items + 1));
    r->models = arena_alloc(ar, sizeof(sema_model) * (size_t)(n_items + 1));
    r->experiments = arena_alloc(ar, sizeof(sema_experiment) * (size_t)(n_items + 1));
    for (int i = 0; i < n_items && !diag_too_many(); i++) {
        ast_node *it = S->items.items[i];
        if (it->loc.file != S->main_file) continue; /* imports are checked where they are used */
        if (it->kind == AST_CIRCUIT && all_defaults(&it->list)) {
            ir_circuit *c = lower_circuit(&S->cx, &S->globals, it, NULL, it->loc, NULL);
            if (c) r->circuits[r->n_circuits++] = sema_keep_circuit(S, c);
        } else if (it->kind == AST_MODEL && all_defaults(&it->list)) {
            if (sema_build_model(S, it, NULL, it->loc, NULL, &r->models[r->n_models])) r->n_models++;
        } else if (it->kind == AST_EXPERIMENT) {
            if (sema_experiment_check(S, it, &r->experiments[r->n_experiments])) r->n_experiments++;
        }
    }
    if (S->opt.circuit) elaborate_requested_circuit(S, r);
    warn_unused_hiding_lets(S);
    if (diag_error_count() != before) {
        for (int i = 0; i < S->n_owned; i++) ir_free(S->owned[i]);
        return NULL;
    }
    r->all_circuits = S->owned;
    r->n_all_circuits = S->n_owned;
    return r;
}

void sema_free(sema_result *r) {
    if (!r) return;
    for (int i = 0; i < r->n_all_circuits; i++) ir_free(r->all_circuits[i]);
    r->n_all_circuits = 0;
}
