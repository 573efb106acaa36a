/* Experiments: settings checked against their schema (docs/language.md section 6), with
 * command-line overrides (--set key=value) applied first. Produces an rt_experiment. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "parse.h"
#include "rt_limits.h"
#include "rt_schema.h"
#include "rt_task.h"
#include "sema_impl.h"
#include "ir.h"
#include "channel.h"
#include "gates.h"
#include "noise.h"
#include "trajectory.h"

/* The keys, in the schema's order (rt_schema.h): vals[k] and by_key[k] below are its slots. */
enum { N_KEYS = RT_N_SETTINGS };
static const char *KEYS[N_KEYS];
static void keys_from_schema(void) {
    for (int k = 0; k < N_KEYS; k++) KEYS[k] = rt_settings_schema[k].key;
}

static const src_loc NOLOC = {0, 0, 0, 0};

/* A value of the kind a constructor's argument takes (rt_schema.h); the bounds are checked
 * after, by call_args. */
static int kind_ok(const value *v, rt_arg_kind k) {
    switch (k) {
    case RT_ARG_INT: return v->kind == V_INT;
    case RT_ARG_REAL: return v->kind == V_INT || v->kind == V_REAL;
    case RT_ARG_BOOL: return v->kind == V_INT && (v->i == 0 || v->i == 1);
    case RT_ARG_STR: return v->kind == V_STR;
    case RT_ARG_WORD: return v->kind == V_SYM || v->kind == V_STR || v->kind == V_GATE;
    case RT_ARG_PAIR:
        return v->kind == V_LIST && v->n_items == 2 && kind_ok(&v->items[0], RT_ARG_REAL) &&
               kind_ok(&v->items[1], RT_ARG_REAL);
    default: return 1;
    }
}

static const char *kind_text(rt_arg_kind k) {
    static const char *t[] = {"an integer", "a number", "true or false", "a string (in quotes)",
                              "a word", "a pair of numbers [a, b]", "a value"};
    return t[k];
}

static double real_of(const value *v) { return v->kind == V_INT ? (double)v->i : v->r; }
static const char *word_of(const value *v) {
    return v->kind == V_GATE ? "?" : v->s; /* a word that is also a gate name never fits a setting */
}

static void bad_choice(const value *v, const char *key, const char *const *choices, int n);

/* An argument against its bounds in the constructors table: 1 inside (or unbounded). */
static int arg_in_bounds(const rt_constructor *c, const rt_arg *a, const value *v) {
    if ((a->kind != RT_ARG_INT && a->kind != RT_ARG_REAL && a->kind != RT_ARG_PAIR) ||
        (!isfinite(a->bound.lo) && !isfinite(a->bound.hi)))
        return 1;
    for (int j = 0; j < (a->kind == RT_ARG_PAIR ? 2 : 1); j++) {
        double r = real_of(a->kind == RT_ARG_PAIR ? &v->items[j] : v);
        if (rt_bound_ok(&a->bound, r)) continue;
        char msg[256];
        rt_arg_bound_message(c, a, r, msg, sizeof msg);
        diag_error(a->kind == RT_ARG_PAIR ? v->items[j].loc : v->loc, "%s", msg);
        return 0;
    }
    return 1;
}

/* Matches a constructor's arguments to its parameters (rt_schema.h's table) and checks their
 * kinds, words and bounds: out[k] is V_NONE when not given. */
static int call_args(const value *call, const rt_constructor *c, value *out) {
    int n = c->n_args;
    for (int k = 0; k < n; k++) memset(&out[k], 0, sizeof out[k]);
    int positional = 0, seen_named = 0;
    for (int i = 0; i < call->n_items; i++) {
        int k = -1;
        if (!call->names[i]) {
            if (seen_named) {
                diag_error(call->items[i].loc, "positional argument after a named one");
                return 0;
            }
            if (positional >= n) {
                diag_error(call->items[i].loc, "too many arguments for `%s`", call->s);
                return 0;
            }
            k = positional++;
        } else {
            seen_named = 1;
            k = rt_constructor_arg(c, call->names[i]);
            if (k < 0) {
                const char *cands[16];
                for (int j = 0; j < n; j++) cands[j] = c->args[j].name;
                const char *hint = diag_suggest(call->names[i], cands, n);
                diag_error(call->items[i].loc, "`%s` has no parameter `%s`", call->s, call->names[i]);
                if (hint) diag_note(NOLOC, "did you mean `%s`?", hint);
                return 0;
            }
            if (out[k].kind != V_NONE) {
                diag_error(call->items[i].loc, "argument `%s` is given twice", c->args[k].name);
                return 0;
            }
        }
        const rt_arg *a = &c->args[k];
        if (!kind_ok(&call->items[i], a->kind)) {
            diag_error(call->items[i].loc, "`%s` of `%s` must be %s", a->name, call->s, kind_text(a->kind));
            return 0;
        }
        if (!arg_in_bounds(c, a, &call->items[i])) return 0;
        if (a->kind == RT_ARG_WORD) {
            int w = -1;
            for (int j = 0; j < a->n_words; j++)
                if (strcmp(word_of(&call->items[i]), a->words[j]) == 0) w = j;
            if (w < 0) {
                char what[64];
                snprintf(what, sizeof what, "`%s` value", a->name);
                bad_choice(&call->items[i], what, a->words, a->n_words);
                return 0;
            }
        }
        out[k] = call->items[i];
    }
    for (int k = 0; k < n; k++)
        if (c->args[k].required && out[k].kind == V_NONE) {
            diag_error(call->loc, "missing argument `%s` of `%s`", c->args[k].name, call->s);
            return 0;
        }
    return 1;
}

/* A number argument: the given one or the table's default. */
static double arg_real(const value *a, const rt_arg *p) { return a->kind ? real_of(a) : p->def; }

/* Stores the arguments of c that fill an rt_experiment field (the optimiser's, the
 * schedule's, huber's): the table's defaults, then the values given. */
static void store_fields(const rt_constructor *c, const value *a, rt_experiment *x) {
    rt_constructor_defaults(c, x);
    for (int k = 0; k < c->n_args; k++) {
        if (!a[k].kind || !c->args[k].field) continue;
        char *base = (char *)x;
        if (c->args[k].kind == RT_ARG_PAIR) {
            double v0 = real_of(&a[k].items[0]), v1 = real_of(&a[k].items[1]);
            memcpy(base + c->args[k].field - 1, &v0, sizeof v0);
            memcpy(base + c->args[k].field2 - 1, &v1, sizeof v1);
        } else {
            double v = real_of(&a[k]);
            memcpy(base + c->args[k].field - 1, &v, sizeof v);
        }
    }
}

/* A setting that is a word or a constructor: `mse`, `cosine(min_lr = 0)`. */
static int is_form(const value *v, const char *name) {
    return (v->kind == V_SYM || v->kind == V_CALL) && strcmp(v->s, name) == 0;
}

/* A word that takes no arguments: `mse`, `full`; `mse()` is accepted, `mse(3)` is not. */
static int is_word(const value *v, const char *name) {
    if (!is_form(v, name)) return 0;
    if (v->kind == V_CALL && v->n_items) {
        diag_error(v->items[0].loc, "`%s` takes no arguments", name);
        return -1;
    }
    return 1;
}

static void bad_choice(const value *v, const char *key, const char *const *choices, int n) {
    char list[256] = "";
    for (int i = 0; i < n; i++) {
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
        if (i + 1 < n) strncat(list, i + 2 == n ? " or " : ", ", sizeof list - strlen(list) - 1);
    }
    if (v->kind == V_SYM || v->kind == V_CALL) {
        diag_error(v->loc, "unknown %s `%s`: use %s", key, v->s, list);
        const char *hint = diag_suggest(v->s, choices, n);
        if (hint) diag_note(NOLOC, "did you mean `%s`?", hint);
    } else {
        diag_error(v->loc, "`%s` must be one of %s, not %s", key, list, value_kind_name(v->kind));
    }
}

/* The setting `slot`'s word or constructor that v is (its index among the schema's words),
 * with *ctor its constructor (NULL for a word without arguments); -1 after an error. */
static int setting_form(const value *v, int slot, const rt_constructor **ctor) {
    const rt_setting *st = &rt_settings_schema[slot];
    for (int k = 0; k < st->n_words; k++) {
        if (!is_form(v, st->words[k])) continue;
        *ctor = rt_constructor_find(slot, st->words[k]);
        if (!*ctor && is_word(v, st->words[k]) < 0) return -1;
        return k;
    }
    bad_choice(v, st->what, st->words, st->n_words);
    return -1;
}

/* Paths are stored in the spec's fixed fields (rt_spec.h): one that does not fit is refused
 * here, where the caret can point at it, never cut short (the run would use another file). */
static int copy_path(char *dst, size_t n, const char *src, src_loc loc) {
    size_t len = strlen(src);
    if (len >= n) {
        diag_error(loc, "the path has %zu bytes; at most %zu are supported", len, n - 1);
        return 0;
    }
    memcpy(dst, src, len + 1);
    return 1;
}

static int data_spec(const value *v, rt_data_spec *d, int *in_dim, int *out_dim) {
    const rt_setting *st = &rt_settings_schema[RT_SET_DATA];
    const rt_constructor *c = v->kind == V_CALL ? rt_constructor_find(RT_SET_DATA, v->s) : NULL;
    if (!c) {
        bad_choice(v, st->what, st->words, st->n_words);
        return 0;
    }
    value a[8];
    memset(d, 0, sizeof *d);
    if (!call_args(v, c, a)) return 0;
    const rt_arg *p = c->args;
    d->kind = (rt_data_kind)rt_setting_word(st, c->name);
    if (!copy_path(d->path, sizeof d->path, a[0].s, a[0].loc)) return 0;
    if (d->kind == RT_DATA_NONE) { /* `images`, the 4th word: an image set (§6.17) */
        d->kind = RT_DATA_IMAGES;
        *in_dim = 2;
        *out_dim = 0;
    } else if (d->kind == RT_DATA_IMAGE) {
        d->size = (int)arg_real(&a[1], &p[1]);
        d->channels = a[2].kind && strcmp(word_of(&a[2]), p[2].words[1]) == 0 ? 3 : 1; /* gray, rgb */
        d->lo = a[3].kind ? real_of(&a[3].items[0]) : p[3].def;
        d->hi = a[3].kind ? real_of(&a[3].items[1]) : p[3].def2;
        d->from_size = a[4].kind ? (int)a[4].i : 0; /* 0: prepared at `size` directly */
        char msg[160];
        if (rt_limits_range(d->lo, d->hi, msg, sizeof msg)) {
            diag_error(a[3].loc, "%s", msg);
            return 0;
        }
        *in_dim = 2;
        *out_dim = d->channels;
    } else if (d->kind == RT_DATA_SOUND) {
        d->start = (long)arg_real(&a[1], &p[1]);
        d->stop = (long)arg_real(&a[2], &p[2]);
        d->stride = (long)arg_real(&a[3], &p[3]);
        d->normalize = (int)arg_real(&a[4], &p[4]);
        d->channel = 0;
        if (a[5].kind == V_SYM && strcmp(a[5].s, "mix") == 0) d->channel = -1;
        else if (a[5].kind == V_INT && a[5].i == 0) d->channel = 0;
        else if (a[5].kind) {
            diag_error(a[5].loc, "`channel` must be 0 (the first channel) or `mix` (their mean)");
            return 0;
        }
        if (d->stop >= 0 && d->stop <= d->start) {
            diag_error(v->loc, "sound slice [%ld, %ld) is empty or negative", d->start, d->stop);
            return 0;
        }
        *in_dim = 1;
        *out_dim = 1;
    } else {
        d->n_inputs = (int)a[1].i;
        d->n_outputs = (int)arg_real(&a[2], &p[2]);
        d->header = (int)arg_real(&a[3], &p[3]);
        *in_dim = d->n_inputs;
        *out_dim = d->n_outputs;
    }
    return 1;
}

static int setting_int(const value *v, int slot, long long *out);

/* An integer setting that also takes its one word (batch = full, shots = exact): *word says
 * which was given, *out holds the integer; 0 after reporting. */
static int setting_int_or_word(const value *v, int slot, int *word, long long *out) {
    int w = is_word(v, rt_settings_schema[slot].words[0]);
    if (w < 0) return 0;
    *word = w;
    return w || setting_int(v, slot, out);
}

static int setting_int(const value *v, int slot, long long *out) {
    const char *key = rt_settings_schema[slot].key;
    long long lo = rt_settings_schema[slot].lo, hi = rt_settings_schema[slot].hi;
    if (v->kind != V_INT) {
        /* batch takes `full`, shots `exact`: the word is part of the answer */
        char words[96] = "";
        if (rt_settings_schema[slot].n_words) {
            strcpy(words, " or ");
            rt_setting_words_text(&rt_settings_schema[slot], 1, words + 4, sizeof words - 4);
        }
        diag_error(v->loc, "`%s` must be an integer%s", key, words);
        return 0;
    }
    if (v->i < lo || v->i > hi) {
        diag_error(v->loc, "`%s` must be between %lld and %lld, got %lld", key, lo, hi, v->i);
        return 0;
    }
    *out = v->i;
    return 1;
}

/* `adam(...)`, `sgd(...)`, `cosine(...)`, `huber(...)` or a word among the setting's: its
 * arguments (the table's defaults where not given) stored in x's fields; the word's index. */
static int fielded_setting(const value *v, int slot, rt_experiment *x) {
    const rt_constructor *c = NULL;
    int k = setting_form(v, slot, &c);
    value a[8];
    memset(a, 0, sizeof a);
    if (k < 0 || (c && v->kind == V_CALL && !call_args(v, c, a))) return -1;
    if (c) store_fields(c, a, x);
    return k;
}

static int optimizer(const value *v, rt_experiment *x) {
    int k = fielded_setting(v, RT_SET_OPTIMIZER, x);
    if (k < 0) return 0;
    x->optimizer = (rt_optimizer_kind)k;
    return 1;
}

static int schedule(const value *v, rt_experiment *x) {
    x->lr_min = 0;
    int k = fielded_setting(v, RT_SET_SCHEDULE, x);
    if (k < 0) return 0;
    x->schedule = (rt_schedule_kind)k;
    return 1;
}

/* `mse`, `l1`, `cross_entropy`, `bce` or `huber(delta = 1)`. */
static int loss_setting(const value *v, rt_experiment *x) {
    int k = fielded_setting(v, RT_SET_LOSS, x);
    if (k < 0) return 0;
    x->loss = (rt_loss_kind)k;
    return 1;
}

/* A word setting (batchnorm_eval, precision, exact): the index of its word, -1 after an error. */
static int word_setting(const value *v, int slot) {
    const rt_constructor *c = NULL;
    return setting_form(v, slot, &c);
}

static int eval_setting(const value *v, rt_experiment *x) {
    const rt_constructor *c = rt_constructor_find(RT_SET_EVAL, "grid");
    value a[3];
    if (v->kind == V_SYM && strcmp(v->s, "grid") == 0) return 1; /* the training grid */
    if (!is_form(v, "grid") || v->kind != V_CALL) {
        const rt_setting *st = &rt_settings_schema[RT_SET_EVAL];
        bad_choice(v, st->what, st->words, st->n_words);
        return 0;
    }
    if (!call_args(v, c, a)) return 0;
    if (a[0].kind && x->data.kind == RT_DATA_CSV) {
        diag_error(a[0].loc, "a CSV table has no grid to evaluate on: give the test points as "
                             "`target = csv(...)`");
        return 0;
    }
    x->eval_size = a[0].kind ? (int)a[0].i : 0;
    char grid_msg[160];
    if (a[0].kind && rt_limits_eval_grid(x->data.kind, x->eval_size, grid_msg, sizeof grid_msg)) {
        diag_error(a[0].loc, "%s", grid_msg);
        return 0;
    }
    if (a[1].kind) {
        int in, out;
        if (!data_spec(&a[1], &x->eval_target, &in, &out)) return 0;
        if (in != x->in_dim || !rt_task_columns_fit(x->loss, out, x->out_dim)) {
            diag_error(a[1].loc, "the evaluation target must be the same kind of data as the "
                                 "training data");
            return 0;
        }
        x->has_eval_target = 1;
    }
    if (a[2].kind) {
        if (a[2].kind != V_LIST) {
            diag_error(a[2].loc, "`metrics` must be a list such as [mse, psnr]");
            return 0;
        }
        const rt_arg *m = &c->args[2];
        int *flags[] = {&x->metric_mse, &x->metric_psnr, &x->metric_accuracy};
        _Static_assert(sizeof flags / sizeof *flags == 3, "grid's metrics: mse, psnr, accuracy");
        x->metric_mse = x->metric_psnr = x->metric_accuracy = 0;
        for (int i = 0; i < a[2].n_items; i++) {
            int w = 0, k;
            for (k = 0; k < m->n_words && w == 0; k++) w = is_word(&a[2].items[i], m->words[k]);
            if (w < 0) return 0;
            if (!w) {
                bad_choice(&a[2].items[i], "metric", m->words, m->n_words);
                return 0;
            }
            *flags[k - 1] = 1;
        }
    }
    return 1;
}

static int outputs(const value *v, rt_experiment *x) {
    const rt_setting *st = &rt_settings_schema[RT_SET_OUTPUTS];
    if (v->kind != V_LIST) {
        diag_error(v->loc, "`outputs` must be a list such as [image(\"fit.png\"), report(\"report\")]");
        return 0;
    }
    char *const dsts[] = {x->out_image, x->out_sound, x->out_csv, x->out_checkpoint, x->out_report};
    _Static_assert(sizeof dsts / sizeof *dsts == 5, "one field per output word of the schema");
    for (int i = 0; i < v->n_items; i++) {
        const value *o = &v->items[i];
        value a[1];
        const rt_constructor *c = o->kind == V_CALL ? rt_constructor_find(RT_SET_OUTPUTS, o->s) : NULL;
        if (!c) {
            bad_choice(o, st->what, st->words, st->n_words);
            return 0;
        }
        char *dst = dsts[rt_setting_word(st, c->name)];
        if (!call_args(o, c, a)) return 0;
        if (!a[0].s[0]) {
            diag_error(a[0].loc, "an output path cannot be empty");
            return 0;
        }
        if ((dst == x->out_image && x->data.kind != RT_DATA_IMAGE) ||
            (dst == x->out_sound && x->data.kind != RT_DATA_SOUND)) {
            diag_error(o->loc, "%s %s output needs %s data (this experiment's data is %s)",
                       o->s[0] == 'i' ? "an" : "a", o->s, o->s,
                       x->data.kind == RT_DATA_IMAGE ? "an image" : x->data.kind == RT_DATA_SOUND ? "sound"
                       : x->data.kind == RT_DATA_CSV ? "a CSV table" : "none: it has an objective");
            return 0;
        }
        if (dst[0]) { /* one file of each kind: a second would be silently ignored */
            diag_error(o->loc, "the outputs list has two `%s` outputs; give one of each kind", o->s);
            return 0;
        }
        if (!copy_path(dst, RT_PATH_MAX, a[0].s, a[0].loc)) return 0;
    }
    return 1;
}

/* The position of parameter `arg` in the constructor `name` of setting `key` (a model's
 * formals for `model`), or -1 when it is not one of its parameters. */
static int positional_index(sema *S, const char *key, const char *name, const char *arg) {
    if (strcmp(key, "model") == 0) {
        ast_node *m = sema_find(S, name, AST_MODEL);
        for (int i = 0; m && i < m->list.n; i++)
            if (m->list.items[i]->name && strcmp(m->list.items[i]->name, arg) == 0) return i;
        return -1;
    }
    const rt_setting *st = rt_setting_find(key);
    return st ? rt_constructor_arg(rt_constructor_find((int)(st - rt_settings_schema), name), arg) : -1;
}

/* --set key=value: replaces (or adds) the setting; key.arg sets a constructor's argument. */
static void apply_override(sema *S, ast_node *exp, int index) {
    keys_from_schema();
    const char *set = S->opt.sets[index];
    const char *eq = strchr(set, '=');
    int file = S->set_files[index];
    src_loc whole = {file, 1, 1, (int)strlen(set)};
    if (!eq || eq == set) {
        diag_error(whole, "`--set` needs key=value, e.g. --set epochs=50");
        return;
    }
    char *key = arena_strndup(S->ar, set, (size_t)(eq - set));
    char *dot = strchr(key, '.');
    if (dot) *dot = '\0';
    /* The value is parsed where it stands in the option (the key blanked out), so that
     * every location inside it points at the right column. */
    char *padded = arena_strdup(S->ar, set);
    memset(padded, ' ', (size_t)(eq - set) + 1);
    ast_node *value_ast = parse_expression(S->ar, file, padded);
    if (!value_ast) return;
    int known = 0;
    for (int k = 0; k < N_KEYS; k++) known |= strcmp(KEYS[k], key) == 0;
    if (!known) {
        diag_error(whole, "unknown setting `%s`", key);
        const char *hint = diag_suggest(key, KEYS, N_KEYS);
        if (hint) diag_note(NOLOC, "did you mean `%s`?", hint);
        return;
    }
    ast_node *assign = NULL;
    for (int i = 0; i < exp->a->list.n; i++) {
        ast_node *s = exp->a->list.items[i];
        if (s->kind == AST_ASSIGN && strcmp(s->name, key) == 0) assign = s;
    }
    if (!dot) {
        if (!assign) {
            assign = ast_new(S->ar, AST_ASSIGN, whole);
            assign->name = key;
            ast_append(S->ar, &exp->a->list, assign);
        }
        assign->a = value_ast;
        return;
    }
    static const char *const defaults[][2] = {{"optimizer", "adam"}, {"schedule", "constant"},
                                              {"eval", "grid"}, {"discriminator", "mlp"},
                                              {"gan", "logistic"}};
    for (size_t d = 0; !assign && d < sizeof defaults / sizeof *defaults; d++)
        if (strcmp(key, defaults[d][0]) == 0) {
            assign = ast_new(S->ar, AST_ASSIGN, whole);
            assign->name = key;
            assign->a = ast_new(S->ar, AST_CALL, whole);
            assign->a->name = defaults[d][1];
            ast_append(S->ar, &exp->a->list, assign);
        }
    if (!assign) {
        diag_error(whole, "`%s.%s` cannot be set: the experiment has no `%s` setting", key, dot + 1, key);
        return;
    }
    if (assign->a->kind != AST_CALL && assign->a->kind != AST_IDENT) {
        diag_error(whole, "`%s` is not set by a constructor such as adam(...), so `%s.%s` "
                          "cannot be set", key, key, dot + 1);
        return;
    }
    if (assign->a->kind == AST_IDENT) { /* `loss = mse` style word becomes mse(...) */
        ast_node *c = ast_new(S->ar, AST_CALL, assign->a->loc);
        c->name = assign->a->name;
        assign->a = c;
    }
    for (int i = 0; i < assign->a->list.n; i++) {
        ast_node *arg = assign->a->list.items[i];
        if (arg->kind == AST_NAMED && strcmp(arg->name, dot + 1) == 0) {
            arg->a = value_ast;
            return;
        }
    }
    /* A positional argument is the same argument as its name: `image("a.png", size = 32)`
     * gives `path`, which `--set data.path=...` must replace (section 6.13), not repeat. */
    int pos = positional_index(S, key, assign->a->name, dot + 1), n_pos = 0;
    for (int i = 0; pos >= 0 && i < assign->a->list.n; i++) {
        if (assign->a->list.items[i]->kind == AST_NAMED) continue;
        if (n_pos++ == pos) {
            assign->a->list.items[i] = value_ast;
            return;
        }
    }
    ast_node *named = ast_new(S->ar, AST_NAMED, whole);
    named->name = arena_strdup(S->ar, dot + 1);
    named->a = value_ast;
    ast_append(S->ar, &assign->a->list, named);
}

/* `minimize`, `maximize`, `minimize(output = K)` (language.md section 6.14): which output of
 * the model is the objective; the model's only one when it has one. */
static int objective_setting(const value *v, const char *model, int out_dim, rt_experiment *x) {
    const char *const *names = rt_settings_schema[RT_SET_OBJECTIVE].words;
    const rt_constructor *c = NULL;
    int k = setting_form(v, RT_SET_OBJECTIVE, &c);
    if (k < 0) return 0;
    value a[1] = {{0}};
    if (v->kind == V_CALL && !call_args(v, c, a)) return 0;
    x->objective = k ? RT_OBJECTIVE_MAXIMIZE : RT_OBJECTIVE_MINIMIZE;
    if (!a[0].kind) {
        if (out_dim != 1) {
            diag_error(v->loc, "model `%s` has %d outputs: say which one to %s, e.g. `%s(output = 0)`",
                       model, out_dim, names[k], names[k]);
            return 0;
        }
        x->objective_output = 0;
        return 1;
    }
    if (a[0].kind != V_INT) {
        if (a[0].kind == V_SYM || a[0].kind == V_STR || a[0].kind == V_GATE)
            diag_error(a[0].loc, "unknown output `%s`: the model's outputs are numbered from 0 (its "
                       "measurements in order), e.g. `%s(output = 0)`", word_of(&a[0]), names[k]);
        else
            diag_error(a[0].loc, "`output` of `%s` must be an integer, the index of a model output", names[k]);
        return 0;
    }
    if (a[0].i < 0 || a[0].i >= out_dim) {
        diag_error(a[0].loc, "unknown output %lld: model `%s` has %d output%s (%s%d)", a[0].i, model,
                   out_dim, out_dim == 1 ? "" : "s", out_dim == 1 ? "" : "0 to ", out_dim - 1);
        return 0;
    }
    x->objective_output = (int)a[0].i;
    return 1;
}

/* The objective's Hamiltonian, for the exact optimum the run reports: known when the output
 * is an expectation value (or a probability, the expectation of a projector) of the model's
 * last layer, a circuit. Anything after the circuit, or a variance, is not a linear function
 * of a Hermitian operator the run could diagonalise. */
static void objective_hamiltonian(sema *S, const sema_model *m, rt_experiment *x) {
    /* a circuit inside a composite (parent > 0) is not the model's output */
    if (m->n_layers < 1 || m->layers[m->n_layers - 1].kind != RT_LAYER_QUANTUM ||
        m->layers[m->n_layers - 1].parent != 0) return;
    const rt_layer_spec *l = &m->layers[m->n_layers - 1];
    if (l->circuit < 0 || l->circuit >= m->n_circuits) return;
    const ir_circuit *c = m->circuits[l->circuit];
    if (x->objective_output >= c->n_obs) return;
    const ir_observable *o = &c->obs[x->objective_output];
    if (o->kind == IR_OBS_VAR || o->n_terms < 1) return;
    rt_pauli_term *t = arena_alloc(S->ar, sizeof *t * (size_t)o->n_terms);
    for (int k = 0; k < o->n_terms; k++) {
        const ir_pauli_term *p = &c->terms[o->first_term + k];
        t[k].coef = p->coef;
        t[k].x_mask = p->x_mask;
        t[k].z_mask = p->z_mask;
    }
    x->ham_qubits = c->n_qubits;
    x->ham_n_terms = o->n_terms;
    x->ham_terms = t;
}

static void set_defaults(rt_experiment *x) {
    memset(x, 0, sizeof *x);
    x->loss = RT_LOSS_MSE;
    x->optimizer = RT_OPT_ADAM;
    rt_constructor_defaults(rt_constructor_find(RT_SET_OPTIMIZER, "adam"), x);
    x->schedule = RT_SCHED_CONSTANT;
    x->epochs = 100;
    x->metric_mse = x->metric_psnr = 1;
    rt_constructor_defaults(rt_constructor_find(RT_SET_LOSS, "huber"), x);
    x->log_every = 10;
    x->precision = 64;
}

/* An argument of the model call as written, for the reports that tell runs apart: numbers,
 * strings, names and negated numbers; anything else (an expression, a list) as "...". */
static size_t describe_arg(const ast_node *v, char *buf, size_t n) {
    int neg = v->kind == AST_UNOP && v->op == '-' && v->a && v->a->kind == AST_NUM;
    const ast_node *w = neg ? v->a : v;
    if (w->kind == AST_NUM && w->op == 1) return (size_t)snprintf(buf, n, "%s%lld", neg ? "-" : "", w->ival);
    if (w->kind == AST_NUM) return (size_t)snprintf(buf, n, "%s%g", neg ? "-" : "", w->num);
    if (w->kind == AST_STR) return (size_t)snprintf(buf, n, "\"%s\"", w->str);
    if (w->kind == AST_IDENT) return (size_t)snprintf(buf, n, "%s", w->name);
    return (size_t)snprintf(buf, n, "...");
}

/* "name(a = 1, b = x)": the model as called (after --set overrides), and the overrides. */
static void describe_run(const sema *S, const ast_node *m, rt_experiment *x) {
    size_t k = (size_t)snprintf(x->model_call, sizeof x->model_call, "%s", m->name);
    for (int i = 0; m->kind == AST_CALL && i < m->list.n && k < sizeof x->model_call; i++) {
        const ast_node *a = m->list.items[i];
        k += (size_t)snprintf(x->model_call + k, sizeof x->model_call - k, "%s", i ? ", " : "(");
        if (a->kind == AST_NAMED && k < sizeof x->model_call) {
            k += (size_t)snprintf(x->model_call + k, sizeof x->model_call - k, "%s = ", a->name);
            a = a->a;
        }
        if (k < sizeof x->model_call) k += describe_arg(a, x->model_call + k, sizeof x->model_call - k);
        if (i + 1 == m->list.n && k < sizeof x->model_call)
            k += (size_t)snprintf(x->model_call + k, sizeof x->model_call - k, ")");
    }
    k = 0;
    for (int i = 0; i < S->opt.n_sets && k < sizeof x->overrides; i++)
        k += (size_t)snprintf(x->overrides + k, sizeof x->overrides - k, "%s%s", i ? " " : "", S->opt.sets[i]);
}

/* A gate kind a noise rule names: a primitive gate (or its alias), or -1 after reporting. */
static int noise_gate(const value *g) {
    if (g->kind == V_GATE && g->builtin >= 0 && g->builtin < IR_FUSED_1Q) return g->builtin;
    if (g->kind == V_SYM) {
        static const struct { const char *alias; ir_gate g; } aliases[] = {
            {"cx", IR_CNOT}, {"p", IR_PHASE}, {"cp", IR_CPHASE}, {"id", IR_I}};
        for (int k = 0; k < IR_FUSED_1Q; k++)
            if (strcmp(g->s, ir_gate_name((ir_gate)k)) == 0) return k;
        for (size_t k = 0; k < sizeof aliases / sizeof *aliases; k++)
            if (strcmp(g->s, aliases[k].alias) == 0) return aliases[k].g;
    }
    diag_error(g->loc, "`after` lists primitive gates such as `cnot`, `rx` or `rot` (the gates "
                       "of `qnnc emit-ir`; composite gates and templates are made of them), or is "
                       "`all`");
    return -1;
}

/* noise = CHANNEL(strengths, after = [gates]), a list of them, or `none` (language.md §6.16),
 * for an experiment or a quantum layer (sema_layers.c). */
int sema_noise_model(const value *v, noise_model *m) {
    if (v->kind == V_SYM && strcmp(v->s, "none") == 0) { /* no rules: the model adds nothing */
        m->n_rules = 0;
        return 1;
    }
    int n = v->kind == V_LIST ? v->n_items : 1;
    if (n > NOISE_MAX_RULES) {
        diag_error(v->loc, "`noise` has at most %d channels", NOISE_MAX_RULES);
        return 0;
    }
    m->n_rules = 0;
    for (int i = 0; i < n; i++) {
        const value *c = v->kind == V_LIST ? &v->items[i] : v;
        int ch = -1;
        if (c->kind == V_CALL || c->kind == V_SYM)
            for (int k = 0; k < IR_CH_COUNT; k++)
                if (strcmp(c->s, ir_channel_name((ir_channel)k)) == 0) ch = k;
        if (ch < 0 || ch == IR_CH_KRAUS || ch == IR_CH_READOUT || c->kind != V_CALL) {
            diag_error(c->loc, "a noise rule is a one-qubit channel with its strengths and the "
                               "gates it follows, e.g. `depolarizing(0.01, after = [cnot, rx])`%s",
                       ch == IR_CH_KRAUS || ch == IR_CH_READOUT ? "; `kraus` and `readout_error` "
                       "are written in the circuit" : "");
            return 0;
        }
        noise_rule *r = &m->rules[m->n_rules++];
        memset(r, 0, sizeof *r);
        r->channel = (ir_channel)ch;
        int ns = ir_channel_n_strengths(r->channel), got = 0;
        const value *after = NULL;
        for (int a = 0; a < c->n_items; a++) {
            const value *x = &c->items[a];
            if (c->names[a]) {
                if (strcmp(c->names[a], "after") != 0) {
                    diag_error(x->loc, "`%s` has no parameter `%s`: its strengths are positional, "
                                       "then `after = [gates]`", c->s, c->names[a]);
                    return 0;
                }
                after = x;
                continue;
            }
            if (got >= ns || !kind_ok(x, RT_ARG_REAL)) {
                diag_error(x->loc, "`%s` takes %d number%s (its strength%s), then `after = [gates]`",
                           c->s, ns, ns == 1 ? "" : "s", ns == 1 ? "" : "s");
                return 0;
            }
            r->strength[got++] = real_of(x);
        }
        if (got != ns) {
            diag_error(c->loc, "`%s` takes %d strength%s, got %d", c->s, ns, ns == 1 ? "" : "s", got);
            return 0;
        }
        int which;
        const char *why = ch_strength_error(r->channel, r->strength, &which);
        if (why) {
            diag_error(c->items[which].loc, "`%s`: %s", c->s, why);
            return 0;
        }
        if (!after) {
            diag_error(c->loc, "`%s` in `noise` needs the gates it follows: `after = [cnot, rx]` "
                               "or `after = all`", c->s);
            return 0;
        }
        if (after->kind == V_SYM && strcmp(after->s, "all") == 0) {
            memset(r->after, 1, sizeof r->after);
            continue;
        }
        int na = after->kind == V_LIST ? after->n_items : 1;
        for (int g = 0; g < na; g++) {
            int k = noise_gate(after->kind == V_LIST ? &after->items[g] : after);
            if (k < 0) return 0;
            r->after[k] = 1;
        }
    }
    return 1;
}

/* The first channel op of the experiment's circuits, for the message that refuses it. */
static const ir_op *first_channel(const sema_model *m, const ir_circuit **in) {
    for (int k = 0; k < m->n_circuits; k++)
        for (int i = 0; i < m->circuits[k]->n_ops; i++)
            if (m->circuits[k]->ops[i].gate == IR_CHANNEL) {
                *in = m->circuits[k];
                return &m->circuits[k]->ops[i];
            }
    return NULL;
}

/* Where a channel op comes from, for messages: "at line 4" or "of the `noise` setting,
 * after line 4" (the model's channels have column 0). */
static const char *channel_where(const ir_op *ch) {
    return ch->src_col ? "at" : "of the `noise` setting, after";
}

/* `simulation = statevector | density_matrix | trajectories` into x->simulation; 0 after
 * reporting. */
static int simulation_word(const value *v, const ir_circuit *c, const ir_op *ch, rt_experiment *x) {
    const rt_setting *st = &rt_settings_schema[RT_SET_SIMULATION];
    const char *const *names = st->words; /* statevector, density_matrix, trajectories */
    int w0 = is_word(v, names[0]), w1 = w0 ? 0 : is_word(v, names[1]);
    int w2 = w0 || w1 ? 0 : is_word(v, names[2]);
    if (w0 < 0 || w1 < 0 || w2 < 0) return 0;
    if (w2) {
        x->simulation = RT_SIM_TRAJECTORIES;
        return 1;
    }
    if (!w0 && !w1) {
        bad_choice(v, st->what, names, st->n_words);
        return 0;
    }
    if (w0 && ch) {
        diag_error(v->loc, "`simulation = statevector`, but circuit `%s` has a noise channel "
                           "(`%s`, %s line %d), which only a density matrix describes", c->name,
                   ir_channel_name(ch->channel), channel_where(ch), ch->src_line);
        return 0;
    }
    x->simulation = w1 ? RT_SIM_DENSITY_MATRIX : RT_SIM_STATEVECTOR;
    return 1;
}

/* `simulation = trajectories` (semantics.md §10.4): K from `trajectories` (default
 * RT_DEFAULT_TRAJECTORIES), each circuit's Pauli channels lowered to draw-chosen gates (a new
 * list of circuits, as for `noise`), and the quantum layers told of their new draws. */
static int trajectory_settings(sema *S, ast_node *const *by_key, const value *vals,
                               sema_model *m, rt_experiment *x) {
    const value *v = &vals[RT_SET_SIMULATION];
    long long k_traj = RT_DEFAULT_TRAJECTORIES;
    if (by_key[RT_SET_TRAJECTORIES] &&
        !setting_int(&vals[RT_SET_TRAJECTORIES], RT_SET_TRAJECTORIES, &k_traj))
        return 0;
    x->trajectories = (int)k_traj;
    ir_circuit **list = arena_alloc(S->ar, sizeof *list * (size_t)(m->n_circuits + 1));
    for (int k = 0; k < m->n_circuits; k++) {
        const ir_circuit *c = m->circuits[k];
        const char *why = NULL;
        const ir_op *bad = traj_unsupported(c, &why);
        if (bad) {
            diag_error(v->loc, "`simulation = trajectories`, but the `%s` channel of circuit `%s` "
                       "(%s line %d) %s: trajectories need channels that act on the "
                       "state, with constant strengths; use `simulation = density_matrix`", ir_channel_name(bad->channel),
                       c->name, channel_where(bad), bad->src_line, why);
            return 0;
        }
        list[k] = sema_keep_circuit(S, traj_lower(c));
    }
    m->circuits = list;
    /* the layer specs are the model's too: a copy, with the draws the lowering added */
    rt_layer_spec *layers = arena_alloc(S->ar, sizeof *layers * (size_t)(m->n_layers + 1));
    for (int l = 0; l < m->n_layers; l++) {
        layers[l] = m->layers[l];
        if (layers[l].kind == RT_LAYER_QUANTUM)
            layers[l].n_uniform = list[layers[l].circuit]->n_uniform;
    }
    m->layers = layers;
    return 1;
}

/* `noise` and `simulation` (language.md §6.16): the noise model's channels go into this
 * experiment's copies of its circuits, then the method follows from them, and a density
 * matrix must fit RT_LIMIT_DM_BYTES. */
static int simulation_settings(sema *S, ast_node *const *by_key, const value *vals,
                               sema_model *m, rt_experiment *x) {
    if (by_key[RT_SET_NOISE]) {
        noise_model nm;
        if (!sema_noise_model(&vals[RT_SET_NOISE], &nm)) return 0;
        /* a new list: the old one may be shared with another elaboration of the model; a
         * layer that states its own `noise` keeps it (language.md §6.16: the layer's wins) */
        ir_circuit **list = arena_alloc(S->ar, sizeof *list * (size_t)(m->n_circuits + 1));
        for (int k = 0; k < m->n_circuits; k++)
            list[k] = sema_has_layer_noise(S, m->circuits[k])
                          ? m->circuits[k]
                          : sema_keep_circuit(S, noise_apply(m->circuits[k], &nm));
        m->circuits = list;
    }
    const ir_circuit *c = NULL;
    const ir_op *ch = first_channel(m, &c);
    x->simulation = ch ? RT_SIM_DENSITY_MATRIX : RT_SIM_STATEVECTOR;
    const value *v = by_key[RT_SET_SIMULATION] ? &vals[RT_SET_SIMULATION] : NULL;
    if (v && !simulation_word(v, c, ch, x)) return 0;
    if (by_key[RT_SET_TRAJECTORIES] && x->simulation != RT_SIM_TRAJECTORIES) {
        diag_error(vals[RT_SET_TRAJECTORIES].loc, "`trajectories` counts the runs of "
                   "`simulation = trajectories`, but this experiment simulates %s",
                   x->simulation == RT_SIM_DENSITY_MATRIX ? "density matrices" : "state vectors");
        return 0;
    }
    if (x->simulation == RT_SIM_TRAJECTORIES) return trajectory_settings(S, by_key, vals, m, x);
    if (x->simulation != RT_SIM_DENSITY_MATRIX) return 1;
    for (int k = 0; k < m->n_circuits; k++) {
        int n = m->circuits[k]->n_qubits, most = 0;
        if (rt_dm_bytes(n) <= RT_LIMIT_DM_BYTES) continue;
        while (rt_dm_bytes(most + 1) <= RT_LIMIT_DM_BYTES) most++;
        char need[32], lim[32];
        rt_format_bytes(rt_dm_bytes(n), need, sizeof need);
        rt_format_bytes(RT_LIMIT_DM_BYTES, lim, sizeof lim);
        diag_error(v ? v->loc : by_key[1]->loc, "circuit `%s` has %d qubits: its density matrix "
                   "would take %s per sample (the limit is %s, %d qubits; its state vector takes "
                   "%.0f B)", m->circuits[k]->name, n, need, lim, most, rt_sv_bytes(n));
        return 0;
    }
    return 1;
}

/* A list of widths (`hidden = [64, 32]`) of constructor c's argument a: 0 to `most` integers
 * from 1 to `widest`; 0 after reporting. */
static int width_list(const value *v, const char *arg, const char *ctor, int most, int widest, int *out,
                      int *n) {
    if (v->kind != V_LIST || v->n_items > most) {
        diag_error(v->loc, "`%s` of `%s` must be a list of 0 to %d widths, e.g. [64, 32]", arg, ctor, most);
        return 0;
    }
    for (int i = 0; i < v->n_items; i++) {
        const value *w = &v->items[i];
        if (w->kind != V_INT || w->i < 1 || w->i > widest) {
            diag_error(w->loc, "`%s` of `%s`: a width must be an integer from 1 to %d", arg, ctor, widest);
            return 0;
        }
        out[i] = (int)w->i;
    }
    *n = v->n_items;
    return 1;
}

/* The settings of a generative experiment (language.md §6.17): its generator, discriminator
 * and GAN, each a constructor of the schema with its defaults, and the steps; the features
 * model maps the 2 coordinates to the generator's features. 0 after reporting. */
static int generative_settings(ast_node *const *by_key, const value *vals, const char *model,
                               const sema_model *m, rt_experiment *x) {
    rt_generative *g = &x->gen;
    static const int def_hidden[] = {64, 32, 32}, def_disc[] = {128, 64};
    const rt_constructor *c = NULL;
    value a[8];
    /* generator */
    if (setting_form(&vals[RT_SET_GENERATOR], RT_SET_GENERATOR, &c) < 0) return 0;
    if (vals[RT_SET_GENERATOR].kind == V_CALL) {
        if (!call_args(&vals[RT_SET_GENERATOR], c, a)) return 0;
    } else {
        memset(a, 0, sizeof a);
    }
    const rt_arg *p = c->args;
    g->on = 1;
    g->latent = (int)arg_real(&a[0], &p[0]);
    g->style = (int)arg_real(&a[1], &p[1]);
    g->mapping = (int)arg_real(&a[2], &p[2]);
    g->mapping_lr_mul = arg_real(&a[3], &p[3]);
    if (a[4].kind) {
        if (!width_list(&a[4], "hidden", c->name, RT_GENERATIVE_MAX_HIDDEN, 4096, g->hidden, &g->n_hidden))
            return 0;
    } else {
        g->n_hidden = 3;
        memcpy(g->hidden, def_hidden, sizeof def_hidden);
    }
    g->rank = (int)arg_real(&a[5], &p[5]);
    if (m->in_dim != 2) {
        diag_error(by_key[RT_SET_MODEL]->a->loc, "model `%s` takes %d input%s, but a generator's "
                   "features model maps a pixel's 2 coordinates (x, y) to its features", model,
                   m->in_dim, m->in_dim == 1 ? "" : "s");
        return 0;
    }
    if (a[6].kind && a[6].i != m->out_dim) {
        diag_error(a[6].loc, "the generator takes %lld features per pixel, but model `%s` makes %d",
                   a[6].i, model, m->out_dim);
        diag_note(by_key[RT_SET_MODEL]->a->loc, "the features model is set here");
        return 0;
    }
    /* discriminator */
    g->n_disc_hidden = 2;
    memcpy(g->disc_hidden, def_disc, sizeof def_disc);
    g->mbstd = 4;
    if (by_key[RT_SET_DISCRIMINATOR]) {
        const value *v = &vals[RT_SET_DISCRIMINATOR];
        if (setting_form(v, RT_SET_DISCRIMINATOR, &c) < 0) return 0;
        if (v->kind == V_CALL) {
            if (!call_args(v, c, a)) return 0;
            if (a[0].kind && !width_list(&a[0], "hidden", c->name, RT_GENERATIVE_MAX_HIDDEN, 65536,
                                         g->disc_hidden, &g->n_disc_hidden))
                return 0;
            g->mbstd = (int)arg_real(&a[1], &c->args[1]);
        }
    }
    /* gan */
    rt_constructor_defaults(rt_constructor_find(RT_SET_GAN, "logistic"), x);
    g->r1_every = 16;
    if (by_key[RT_SET_GAN]) {
        if (fielded_setting(&vals[RT_SET_GAN], RT_SET_GAN, x) < 0) return 0;
        c = rt_constructor_find(RT_SET_GAN, "logistic");
        if (vals[RT_SET_GAN].kind == V_CALL) {
            if (!call_args(&vals[RT_SET_GAN], c, a)) return 0;
            g->r1_every = (int)arg_real(&a[1], &c->args[1]);
        }
    }
    g->steps = 2000;
    long long n;
    if (by_key[RT_SET_STEPS]) {
        if (!setting_int(&vals[RT_SET_STEPS], RT_SET_STEPS, &n)) return 0;
        g->steps = (int)n;
    }
    x->batch = 64;
    if (by_key[RT_SET_BATCH]) {
        /* each step draws `batch` real images at random: there is no whole set to take */
        int full = is_word(&vals[RT_SET_BATCH], rt_settings_schema[RT_SET_BATCH].words[0]);
        if (full < 0) return 0;
        if (full) {
            diag_error(vals[RT_SET_BATCH].loc, "a generative experiment's `batch` must be an integer (real "
                       "images drawn per step), not `full`");
            return 0;
        }
        if (!setting_int(&vals[RT_SET_BATCH], RT_SET_BATCH, &n)) return 0;
        x->batch = (int)n;
    }
    if (g->mbstd > 1 && x->batch % g->mbstd) {
        diag_error(by_key[RT_SET_BATCH] ? vals[RT_SET_BATCH].loc : by_key[RT_SET_DISCRIMINATOR]->a->loc,
                   "`batch` (%d) must be a multiple of the discriminator's `mbstd` group (%d)", x->batch,
                   g->mbstd);
        return 0;
    }
    if (by_key[RT_SET_SEED]) {
        if (!setting_int(&vals[RT_SET_SEED], RT_SET_SEED, &n)) return 0;
        x->seed = (uint64_t)n;
    }
    x->eval_every = 0;
    if (by_key[RT_SET_EVAL_EVERY]) {
        if (!setting_int(&vals[RT_SET_EVAL_EVERY], RT_SET_EVAL_EVERY, &n)) return 0;
        x->eval_every = (int)n;
    }
    if (by_key[RT_SET_THREADS]) {
        if (!setting_int(&vals[RT_SET_THREADS], RT_SET_THREADS, &n)) return 0;
        x->threads = (int)n;
    }
    if (by_key[RT_SET_PRECISION]) {
        int w = word_setting(&vals[RT_SET_PRECISION], RT_SET_PRECISION);
        if (w < 0) return 0;
        x->precision = w ? 32 : 64;
    }
    x->in_dim = 2;
    x->out_dim = m->out_dim;
    x->metric_mse = x->metric_psnr = x->metric_accuracy = 0;
    return 1;
}

/* `gradient = adjoint | shift` (language.md §6.11) into x->gradient, after `shots`: "" when
 * unset (commands.c then uses the adjoint method, or the parameter-shift rule with shots;
 * `--grad` on the command line wins over either). The adjoint method needs the exact state,
 * which shots do not give. */
static int gradient_setting(const value *v, rt_experiment *x) {
    int w = word_setting(v, RT_SET_GRADIENT);
    if (w < 0) return 0;
    if (w == 0 && x->shots > 0) {
        diag_error(v->loc, "`gradient = adjoint` needs the exact state, and `shots = %d` measures "
                           "samples: use `gradient = shift` (the default with shots) or `shots = "
                           "exact`", x->shots);
        return 0;
    }
    snprintf(x->gradient, sizeof x->gradient, "%s", w ? "shift" : "adjoint");
    return 1;
}

/* The settings a generative experiment uses besides its own (the others train a model on data
 * through a loss, which a GAN replaces). */
static int generative_uses(int k) {
    return k == RT_SET_DATA || k == RT_SET_MODEL || k == RT_SET_BATCH || k == RT_SET_SEED ||
           k == RT_SET_EVAL_EVERY || k == RT_SET_THREADS || k == RT_SET_PRECISION || k == RT_SET_GENERATOR ||
           k == RT_SET_DISCRIMINATOR || k == RT_SET_GAN || k == RT_SET_STEPS || k == RT_SET_GRADIENT;
}

int sema_experiment_check(sema *S, ast_node *exp, sema_experiment *out) {
    keys_from_schema();
    int before = diag_error_count();
    for (int i = 0; i < S->opt.n_sets; i++) apply_override(S, exp, i);
    if (diag_error_count() != before) return 0;
    rt_experiment *x = &out->exp;
    set_defaults(x);
    if (strlen(exp->name) >= sizeof x->name) {
        diag_error(exp->loc, "the experiment's name has %zu characters; at most %zu are supported",
                   strlen(exp->name), sizeof x->name - 1);
        return 0;
    }
    memcpy(x->name, exp->name, strlen(exp->name) + 1);
    if (!copy_path(x->source, sizeof x->source, S->source_path, exp->loc)) return 0;
    ast_node *by_key[N_KEYS] = {0};
    for (int i = 0; i < exp->a->list.n; i++) {
        ast_node *s = exp->a->list.items[i];
        if (s->kind != AST_ASSIGN) {
            diag_error(s->loc, "an experiment holds settings (`key = value;`), not %s",
                       s->kind == AST_APPLY ? "layers or gates" : "declarations or loops");
            continue;
        }
        int k = -1;
        for (int j = 0; j < N_KEYS; j++)
            if (strcmp(KEYS[j], s->name) == 0) k = j;
        if (k < 0) {
            diag_error(s->loc, "unknown setting `%s`", s->name);
            const char *hint = diag_suggest(s->name, KEYS, N_KEYS);
            if (hint) diag_note(NOLOC, "did you mean `%s`?", hint);
            continue;
        }
        if (by_key[k]) {
            diag_error(s->loc, "`%s` is set twice", s->name);
            diag_note(by_key[k]->loc, "first set here");
            continue;
        }
        by_key[k] = s;
    }
    if (diag_error_count() != before) return 0;
    enum { K_OBJECTIVE = RT_SET_OBJECTIVE, K_EXACT = RT_SET_EXACT };
    const int generative = by_key[RT_SET_GENERATOR] != NULL;
    for (int i = 0; i < N_KEYS; i++) {
        ast_node *s = by_key[i];
        if (!s || generative_uses(i) == generative || (!generative && !generative_uses(i))) continue;
        if (generative && !generative_uses(i)) {
            diag_error(s->loc, "`%s` is not used by a generative experiment (it trains with the GAN's "
                       "losses, §6.17): remove it", s->name);
            diag_note(by_key[RT_SET_GENERATOR]->loc, "the generator is set here");
            return 0;
        }
        if (!generative && (i == RT_SET_DISCRIMINATOR || i == RT_SET_GAN || i == RT_SET_STEPS)) {
            diag_error(s->loc, "`%s` is a setting of a generative experiment, and this one has no "
                       "`generator = modulated(...)`", s->name);
            return 0;
        }
    }
    if (generative && by_key[0] && !(by_key[0]->a->kind == AST_CALL && strcmp(by_key[0]->a->name, "images") == 0)) {
        diag_error(by_key[0]->a->loc, "a generative experiment learns an image set: its data must be "
                   "`images(\"FILE\")`");
        return 0;
    }
    if (!generative && by_key[0] && by_key[0]->a->kind == AST_CALL && strcmp(by_key[0]->a->name, "images") == 0) {
        diag_error(by_key[0]->a->loc, "`images(...)` is the data of a generative experiment, and this "
                   "one has no `generator = modulated(...)`");
        return 0;
    }
    if (by_key[K_OBJECTIVE]) {
        /* An objective replaces the data, and with it every setting about data. */
        for (int i = 0; i < N_KEYS; i++) {
            ast_node *s = by_key[i];
            if (!s || !rt_settings_schema[i].about_data) continue; /* the schema's settings about data */
            if (i == RT_SET_DATA)
                diag_error(s->loc, "`data` and `objective` both say what the model is trained for: an "
                                   "experiment fits data or optimises an objective, not both");
            else if (i == RT_SET_LOSS)
                diag_error(s->loc, "`loss` compares the model's outputs with data; an objective "
                                   "experiment optimises an output directly: remove `loss`");
            else
                diag_error(s->loc, "`%s` is about data, and an experiment with an `objective` has none: "
                                   "remove it", s->name);
            diag_note(by_key[K_OBJECTIVE]->loc, "the objective is set here");
            return 0;
        }
    } else if (by_key[K_EXACT]) {
        diag_error(by_key[K_EXACT]->loc, "`exact` is the exact optimum of an objective, and this "
                                         "experiment has no `objective = minimize(...)`");
        return 0;
    }
    if ((!by_key[0] && !by_key[K_OBJECTIVE]) || !by_key[1]) {
        diag_error(exp->loc, "experiment `%s` needs `%s = ...`", exp->name, by_key[0] ? "model" : "data");
        return 0;
    }
    S->cx.in_setting = 1;
    value vals[N_KEYS];
    for (int k = 0; k < N_KEYS; k++) {
        memset(&vals[k], 0, sizeof vals[k]);
        if (by_key[k] && k != 1) vals[k] = elab_eval(&S->cx, &S->globals, by_key[k]->a);
    }
    S->cx.in_setting = 0;
    if (diag_error_count() != before) return 0;

    if (by_key[K_OBJECTIVE]) {
        x->data.kind = RT_DATA_NONE;
        x->in_dim = x->out_dim = 0;
    } else if (!data_spec(&vals[0], &x->data, &x->in_dim, &x->out_dim)) {
        return 0;
    }

    ast_node *m = by_key[1]->a;
    if (m->kind != AST_CALL && m->kind != AST_IDENT) {
        diag_error(m->loc, "`model` must name a model, e.g. `model = qiren(d = 2);`");
        return 0;
    }
    ast_node *model = sema_find(S, m->name, AST_MODEL);
    if (!model) {
        elab_error_hint(&S->cx, m->loc, sema_suggest(S, m->name, AST_MODEL, NULL, 0),
                        "unknown model `%s`", m->name);
        return 0;
    }
    if (!sema_build_model(S, model, m->kind == AST_CALL ? &m->list : NULL, m->loc, &S->globals, &out->model))
        return 0;
    if (generative) {
        if (!generative_settings(by_key, vals, m->name, &out->model, x)) return 0;
        describe_run(S, m, x);
        if (!simulation_settings(S, by_key, vals, &out->model, x)) return 0;
        if (by_key[RT_SET_GRADIENT] && !gradient_setting(&vals[RT_SET_GRADIENT], x)) return 0;
        x->n_layers = out->model.n_layers;
        x->layers = out->model.layers;
        x->n_circuits = out->model.n_circuits;
        return diag_error_count() == before;
    }
    /* The loss comes first: cross_entropy may compare one class-index column with a model
     * output per class (rt_task.h). */
    if (by_key[K_OBJECTIVE]) {
        if (out->model.in_dim != 0) {
            diag_error(m->loc, "model `%s` takes %d input%s, but an experiment with an `objective` "
                       "has no data to feed them: use a model without inputs (circuits without "
                       "`input`)", m->name, out->model.in_dim, out->model.in_dim == 1 ? "" : "s");
            diag_note(by_key[K_OBJECTIVE]->loc, "the objective is set here");
            return 0;
        }
        if (!objective_setting(&vals[K_OBJECTIVE], m->name, out->model.out_dim, x)) return 0;
        x->out_dim = out->model.out_dim;
        x->metric_mse = x->metric_psnr = x->metric_accuracy = 0;
        objective_hamiltonian(S, &out->model, x);
        if (by_key[K_EXACT]) {
            int w = word_setting(&vals[K_EXACT], RT_SET_EXACT);
            if (w < 0) return 0;
            x->exact = (rt_exact_mode)w;
        }
    }
    if (by_key[2] && !loss_setting(&vals[2], x)) return 0;
    if (!by_key[K_OBJECTIVE]) rt_task_default_metrics(x);
    if (out->model.in_dim == x->in_dim && x->data.kind == RT_DATA_CSV && x->loss == RT_LOSS_CROSS_ENTROPY)
        x->out_dim = out->model.out_dim; /* the column count is checked by rt_task_check */
    if (out->model.in_dim != x->in_dim || out->model.out_dim != x->out_dim) {
        diag_error(m->loc, "model `%s` maps %d input%s to %d output%s, but the data has %d "
                           "coordinate%s and %d value%s per point",
                   m->name, out->model.in_dim, out->model.in_dim == 1 ? "" : "s", out->model.out_dim,
                   out->model.out_dim == 1 ? "" : "s", x->in_dim, x->in_dim == 1 ? "" : "s",
                   x->out_dim, x->out_dim == 1 ? "" : "s");
        return 0;
    }
    describe_run(S, m, x);
    if (!simulation_settings(S, by_key, vals, &out->model, x)) return 0;
    x->n_layers = out->model.n_layers;
    x->layers = out->model.layers;
    x->n_circuits = out->model.n_circuits;

    long long n;
    if (by_key[3] && !optimizer(&vals[3], x)) return 0;
    if (by_key[4] && !schedule(&vals[4], x)) return 0;
    if (by_key[5]) {
        if (!setting_int(&vals[5], RT_SET_EPOCHS, &n)) return 0;
        x->epochs = (int)n;
    }
    int word;
    if (by_key[6]) {
        if (!setting_int_or_word(&vals[6], RT_SET_BATCH, &word, &n)) return 0;
        x->batch = word ? 0 : (int)n; /* `full` */
    }
    if (by_key[RT_SET_SHOTS]) {
        if (!setting_int_or_word(&vals[RT_SET_SHOTS], RT_SET_SHOTS, &word, &n)) return 0;
        x->shots = word ? 0 : (int)n; /* `exact` */
        if (x->shots > 0 && x->simulation == RT_SIM_TRAJECTORIES) {
            diag_error(vals[RT_SET_SHOTS].loc, "`shots = %d` with `simulation = trajectories`: "
                       "shots are not sampled from trajectories yet; use `shots = exact`", x->shots);
            return 0;
        }
        if (x->shots > 0 && x->simulation == RT_SIM_DENSITY_MATRIX) {
            diag_error(vals[RT_SET_SHOTS].loc, "`shots = %d` with noise channels: shots are "
                       "estimated from state vectors only (density matrices have no sampler yet); "
                       "use `shots = exact`", x->shots);
            return 0;
        }
        for (int k = 0; x->shots > 0 && k < out->model.n_circuits; k++)
            if (out->model.circuits[k]->n_uniform) {
                diag_error(vals[RT_SET_SHOTS].loc, "`shots = %d`, but circuit `%s` draws `uniform()` "
                           "values: shots with random rotations are not supported yet; use `shots = "
                           "exact`", x->shots, out->model.circuits[k]->name);
                return 0;
            }
    }
    if (by_key[RT_SET_GRADIENT] && !gradient_setting(&vals[RT_SET_GRADIENT], x)) return 0;
    if (by_key[7]) {
        if (!setting_int(&vals[7], RT_SET_SEED, &n)) return 0;
        x->seed = (uint64_t)n;
    }
    if (by_key[8] && !eval_setting(&vals[8], x)) return 0;
    if (by_key[9] && !outputs(&vals[9], x)) return 0;
    if (by_key[10]) {
        int w = word_setting(&vals[10], RT_SET_BATCHNORM_EVAL);
        if (w < 0) return 0;
        x->bn_eval_running = w; /* batch, running */
    }
    if (by_key[11]) {
        if (!setting_int(&vals[11], RT_SET_LOG_EVERY, &n)) return 0;
        x->log_every = (int)n;
    }
    if (by_key[12]) {
        int w = word_setting(&vals[12], RT_SET_PRECISION);
        if (w < 0) return 0;
        x->precision = w ? 32 : 64; /* f64, f32 */
    }
    if (by_key[13]) {
        if (!setting_int(&vals[13], RT_SET_THREADS, &n)) return 0;
        x->threads = (int)n;
    }
    if (by_key[14]) {
        if (vals[14].kind != V_INT && vals[14].kind != V_REAL) {
            diag_error(vals[14].loc, "`split` must be a number, the fraction of rows trained on (e.g. 0.8)");
            return 0;
        }
        x->split = real_of(&vals[14]);
        if (!rt_bound_ok(&rt_settings_schema[RT_SET_SPLIT].real, x->split)) {
            char bound[96];
            rt_bound_text(&rt_settings_schema[RT_SET_SPLIT].real, bound, sizeof bound);
            diag_error(vals[14].loc, "`split` is the fraction of rows trained on: a number %s, got %g",
                       bound, x->split);
            return 0;
        }
    }
    if (by_key[15]) {
        if (!setting_int(&vals[15], RT_SET_EVAL_EVERY, &n)) return 0;
        x->eval_every = (int)n;
    }
    /* The rules between loss, model, targets, metrics and split, shared with the runtime. */
    char msg[320];
    const char *what = NULL;
    if (rt_task_check(x, &what, msg, sizeof msg)) {
        int k = strcmp(what, "loss") == 0 ? 2 : strcmp(what, "eval") == 0 ? 8 : strcmp(what, "split") == 0 ? 14
              : strcmp(what, "objective") == 0 ? K_OBJECTIVE : 15;
        diag_error(by_key[k] ? by_key[k]->a->loc : by_key[1]->a->loc, "%s", msg);
        return 0;
    }
    return diag_error_count() == before;
}
