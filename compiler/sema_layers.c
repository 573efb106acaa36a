/* Built-in classical layers of a model: their parameters, defaults and width rules
 * (docs/language.md section 5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "sema_impl.h"

typedef enum { A_INT, A_REAL, A_BOOL, A_WORD } arg_kind;

typedef struct {
    const char *name;
    arg_kind kind;
    const char *def; /* default as text; NULL = required */
} layer_param;

typedef struct {
    const char *name;
    rt_layer_type kind;
    int n_params;
    layer_param params[6];
} layer_def;

static const layer_def LAYERS[] = {
    {"linear", RT_LAYER_LINEAR, 5,
     {{"in", A_INT, NULL}, {"out", A_INT, NULL}, {"bias", A_BOOL, "true"},
      {"init", A_WORD, "default"}, {"omega0", A_REAL, "1"}}},
    {"batchnorm", RT_LAYER_BATCHNORM, 3,
     {{"n", A_INT, NULL}, {"momentum", A_REAL, "0.1"}, {"eps", A_REAL, "1e-5"}}},
    {"relu", RT_LAYER_RELU, 0, {{0}}},
    {"tanh", RT_LAYER_TANH, 0, {{0}}},
    {"sigmoid", RT_LAYER_SIGMOID, 0, {{0}}},
    {"sine", RT_LAYER_SINE, 1, {{"omega0", A_REAL, "1"}}},
    {"scale", RT_LAYER_SCALE, 1, {{"omega0", A_REAL, NULL}}},
    {"rff", RT_LAYER_RFF, 3, {{"in", A_INT, NULL}, {"features", A_INT, NULL}, {"scale", A_REAL, "1"}}},
    {"softmax", RT_LAYER_SOFTMAX, 0, {{0}}},
    {"log_softmax", RT_LAYER_LOG_SOFTMAX, 0, {{0}}},
};

typedef struct {
    double num[6];
    const char *word[6];
} layer_args;

static int read_arg(sema *S, env *e, const layer_def *d, int k, ast_node *n, layer_args *out) {
    const layer_param *p = &d->params[k];
    if (p->kind == A_WORD) {
        if (n->kind == AST_IDENT || n->kind == AST_STR) {
            out->word[k] = n->kind == AST_IDENT ? n->name : n->str;
            return 1;
        }
        elab_error(&S->cx, n->loc, "`%s` of `%s` must be a word such as `%s`", p->name, d->name, p->def);
        return 0;
    }
    if (p->kind == A_INT) {
        long long v;
        if (!elab_int(&S->cx, e, n, 1, 1 << 20, p->name, &v)) return 0;
        out->num[k] = (double)v;
        return 1;
    }
    if (p->kind == A_BOOL) {
        value v = elab_eval(&S->cx, e, n);
        if (v.kind == V_NONE) return 0;
        if (v.kind != V_INT || (v.i != 0 && v.i != 1)) {
            elab_error(&S->cx, n->loc, "`%s` of `%s` must be true or false", p->name, d->name);
            return 0;
        }
        out->num[k] = (double)v.i;
        return 1;
    }
    double r;
    if (!elab_real(&S->cx, e, n, p->name, &r)) return 0;
    if (!isfinite(r)) {
        elab_error(&S->cx, n->loc, "`%s` must be finite", p->name);
        return 0;
    }
    out->num[k] = r;
    return 1;
}

static int read_args(sema *S, env *e, const layer_def *d, ast_node *s, layer_args *out) {
    ast_node *given[6] = {0};
    int positional = 0, seen_named = 0;
    for (int i = 0; i < s->list.n; i++) {
        ast_node *a = s->list.items[i];
        if (a->kind != AST_NAMED) {
            if (seen_named) {
                elab_error(&S->cx, a->loc, "positional argument after a named one");
                return 0;
            }
            if (positional >= d->n_params) {
                elab_error(&S->cx, a->loc, "too many arguments for `%s` (it takes %d)", d->name, d->n_params);
                return 0;
            }
            given[positional++] = a;
            continue;
        }
        seen_named = 1;
        int k = -1;
        for (int j = 0; j < d->n_params; j++)
            if (strcmp(d->params[j].name, a->name) == 0) k = j;
        if (k < 0) {
            const char *cands[6];
            for (int j = 0; j < d->n_params; j++) cands[j] = d->params[j].name;
            const char *hint = diag_suggest(a->name, cands, d->n_params);
            elab_error_hint(&S->cx, a->loc, hint, "`%s` has no parameter `%s`", d->name, a->name);
            return 0;
        }
        if (given[k]) {
            elab_error(&S->cx, a->loc, "argument `%s` is given twice", a->name);
            return 0;
        }
        given[k] = a->a;
    }
    for (int k = 0; k < d->n_params; k++) {
        const layer_param *p = &d->params[k];
        if (given[k]) {
            if (!read_arg(S, e, d, k, given[k], out)) return 0;
        } else if (!p->def) {
            elab_error(&S->cx, s->loc, "missing argument `%s` of `%s`", p->name, d->name);
            return 0;
        } else if (p->kind == A_WORD) {
            out->word[k] = p->def;
        } else {
            out->num[k] = strcmp(p->def, "true") == 0 ? 1.0 : strcmp(p->def, "false") == 0 ? 0.0 : strtod(p->def, NULL);
        }
    }
    return 1;
}

int sema_builtin_layer(sema *S, model_build *M, env *e, ast_node *s) {
    const layer_def *d = NULL;
    for (size_t i = 0; i < sizeof LAYERS / sizeof *LAYERS; i++)
        if (strcmp(LAYERS[i].name, s->name) == 0) d = &LAYERS[i];
    if (!d) return 0;
    layer_args a;
    memset(&a, 0, sizeof a);
    if (!read_args(S, e, d, s, &a)) return 1;
    rt_layer_spec *l;
    switch (d->kind) {
    case RT_LAYER_LINEAR: {
        rt_linear_init init;
        if (strcmp(a.word[3], "default") == 0) init = RT_LINEAR_INIT_DEFAULT;
        else if (strcmp(a.word[3], "siren_first") == 0) init = RT_LINEAR_INIT_SIREN_FIRST;
        else if (strcmp(a.word[3], "siren") == 0) init = RT_LINEAR_INIT_SIREN;
        else {
            elab_error(&S->cx, s->loc, "unknown initialisation `%s` for `linear`: use default, "
                                       "siren_first or siren", a.word[3]);
            return 1;
        }
        if (!sema_check_width(S, M, (int)a.num[0], s->loc, "linear")) return 1;
        if (!(l = sema_add_layer(S, M, RT_LAYER_LINEAR, s->loc))) return 1;
        l->in = (int)a.num[0];
        l->out = (int)a.num[1];
        l->bias = (int)a.num[2];
        l->init = init;
        l->omega0 = a.num[4];
        M->width = l->out;
        return 1;
    }
    case RT_LAYER_BATCHNORM:
        if (!(a.num[1] >= 0 && a.num[1] <= 1)) {
            elab_error(&S->cx, s->loc, "batch norm momentum must be in [0, 1], got %g", a.num[1]);
            return 1;
        }
        if (!(a.num[2] > 0)) {
            elab_error(&S->cx, s->loc, "batch norm eps must be positive, got %g", a.num[2]);
            return 1;
        }
        if (!sema_check_width(S, M, (int)a.num[0], s->loc, "batchnorm")) return 1;
        if (!(l = sema_add_layer(S, M, RT_LAYER_BATCHNORM, s->loc))) return 1;
        l->in = l->out = (int)a.num[0];
        l->momentum = a.num[1];
        l->eps = a.num[2];
        M->width = l->out;
        return 1;
    case RT_LAYER_RFF:
        if ((int)a.num[1] % 2) {
            elab_error(&S->cx, s->loc, "`rff` gives cos and sin pairs: its feature count must be "
                                       "even, got %d", (int)a.num[1]);
            return 1;
        }
        if (!sema_check_width(S, M, (int)a.num[0], s->loc, "rff")) return 1;
        if (!(l = sema_add_layer(S, M, RT_LAYER_RFF, s->loc))) return 1;
        l->in = (int)a.num[0];
        l->out = (int)a.num[1];
        l->rff_scale = a.num[2];
        M->width = l->out;
        return 1;
    default:
        if (!sema_need_width(S, M, s->loc, d->name)) return 1;
        if ((d->kind == RT_LAYER_SOFTMAX || d->kind == RT_LAYER_LOG_SOFTMAX) && M->width == 1) {
            /* a distribution over one class: the output would not depend on the input */
            elab_error(&S->cx, s->loc, "`%s` over a single feature is constant (%s): it needs at "
                                       "least 2 features, one per class", d->name,
                       d->kind == RT_LAYER_SOFTMAX ? "1" : "0");
            return 1;
        }
        if (!(l = sema_add_layer(S, M, d->kind, s->loc))) return 1;
        l->omega0 = d->n_params ? a.num[0] : 1.0;
        return 1;
    }
}

/* ---- a quantum layer's own noise model (language.md §6.16) ------------------------------- */

int sema_layer_noise_arg(sema *S, const ast_node *circ, const ast_list *args, ast_list *circuit_args,
                         const ast_node **noise) {
    *noise = NULL;
    circuit_args->n = circuit_args->cap = 0;
    circuit_args->items = arena_alloc(S->ar, sizeof(ast_node *) * (size_t)(args->n + 1));
    for (int i = 0; i < args->n; i++) {
        ast_node *a = args->items[i];
        if (a->kind != AST_NAMED || strcmp(a->name, "noise") != 0) {
            circuit_args->items[circuit_args->n++] = a;
            continue;
        }
        if (*noise) {
            elab_error(&S->cx, a->loc, "argument `noise` is given twice");
            return 0;
        }
        /* a formal of that name would be set by position and the layer's model by name: one
         * spelling for two things, so the formal has to be renamed */
        for (int f = 0; f < circ->list.n; f++)
            if (circ->list.items[f]->name && strcmp(circ->list.items[f]->name, "noise") == 0) {
                elab_error(&S->cx, a->loc, "circuit `%s` has a formal `noise`, but `noise = ...` of "
                                           "a quantum layer is the layer's noise model: rename the "
                                           "formal", circ->name);
                return 0;
            }
        *noise = a;
    }
    circuit_args->cap = circuit_args->n;
    return 1;
}

ir_circuit *sema_layer_noise_apply(sema *S, env *e, const ast_node *noise, ir_circuit *c) {
    /* read as a setting is: channel names and `after` words are constructors and symbols,
     * numbers may be the model's formals (so `--set model.p=...` sweeps a layer's noise) */
    int was = S->cx.in_setting;
    S->cx.in_setting = 1;
    value v = elab_eval(&S->cx, e, noise->a);
    S->cx.in_setting = was;
    if (v.kind == V_NONE) return NULL;
    noise_model m;
    if (!sema_noise_model(&v, &m)) return NULL;
    if (m.n_rules) c = sema_keep_circuit(S, noise_apply(c, &m));
    if (S->n_layer_noised == S->cap_layer_noised) {
        S->cap_layer_noised = S->cap_layer_noised ? 2 * S->cap_layer_noised : 8;
        const ir_circuit **n = arena_alloc(S->ar, sizeof *n * (size_t)S->cap_layer_noised);
        if (S->n_layer_noised) memcpy(n, S->layer_noised, sizeof *n * (size_t)S->n_layer_noised);
        S->layer_noised = n;
    }
    S->layer_noised[S->n_layer_noised++] = c;
    return c;
}

int sema_has_layer_noise(const sema *S, const ir_circuit *c) {
    for (int i = 0; i < S->n_layer_noised; i++)
        if (S->layer_noised[i] == c) return 1;
    return 0;
}
