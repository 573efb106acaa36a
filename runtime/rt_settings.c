/* Run-time settings of native binaries (rt_settings.h): --set KEY=VALUE parsed without the
 * compiler's front end. Values are small: numbers, words, strings, [a, b] and constructors
 * such as adam(lr = 0.01), split textually at top-level commas. The keys, the integer bounds
 * and fields come from rt_schema.h, as in compiler/sema_exp.c, so that a binary accepts what
 * `qnnc run` accepts. */
#include "rt_settings.h"

#include "rt_limits.h"
#include "rt_schema.h"
#include "rt_task.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARGS = 8, MAX_TEXT = 1100 };

typedef struct {
    char name[32];          /* "" for a positional argument */
    char value[MAX_TEXT];
} carg;

typedef struct {
    char name[32];
    int is_call;            /* name(...) rather than a bare word */
    int n;
    carg args[MAX_ARGS];
} call;

static int fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Copies s[0..n) without surrounding blanks; -1 (and an empty dst) when it does not fit, so
 * that nothing is ever cut silently. Every value piece is shorter than the whole value, which
 * rt_experiment_set bounds by MAX_TEXT, so only names can fail here. */
static int trim_copy(char *dst, size_t cap, const char *s, size_t n) {
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n >= cap) {
        dst[0] = '\0';
        return -1;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int is_ident(const char *s) {
    if (!isalpha((unsigned char)*s) && *s != '_') return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return 0;
    return 1;
}

/* Where the next top-level ',' (or the end) is, skipping brackets and quoted strings. */
static size_t arg_end(const char *s) {
    int depth = 0, quoted = 0;
    size_t i = 0;
    for (; s[i]; i++) {
        char ch = s[i];
        if (quoted) {
            if (ch == '\\' && s[i + 1]) i++;
            else if (ch == '"') quoted = 0;
        } else if (ch == '"') quoted = 1;
        else if (ch == '(' || ch == '[') depth++;
        else if (ch == ')' || ch == ']') depth--;
        else if (ch == ',' && depth == 0) break;
    }
    return i;
}

/* `word` or `word(arg, name = arg, ...)`. */
static int parse_call(const char *text, call *c, char *err, size_t errlen) {
    char v[MAX_TEXT];
    trim_copy(v, sizeof v, text, strlen(text));
    memset(c, 0, sizeof *c);
    char *open = strchr(v, '(');
    if (!open) {
        size_t n = strlen(v);
        if (!is_ident(v) || n >= sizeof c->name)
            return fail(err, errlen, "`%s` is not a word or a constructor such as adam(lr = 0.01)", v);
        memcpy(c->name, v, n + 1);
        return 0;
    }
    size_t len = strlen(v);
    if (v[len - 1] != ')') return fail(err, errlen, "`%s`: missing `)` at the end", v);
    v[len - 1] = '\0';
    *open = '\0';
    if (trim_copy(c->name, sizeof c->name, v, strlen(v)) || !is_ident(c->name))
        return fail(err, errlen, "`%.40s` is not a constructor name", v);
    c->is_call = 1;
    const char *p = open + 1;
    char whole[MAX_TEXT];
    trim_copy(whole, sizeof whole, p, strlen(p));
    if (!*whole) return 0;
    for (;;) {
        size_t e = arg_end(p);
        if (c->n == MAX_ARGS) return fail(err, errlen, "too many arguments for `%s`", c->name);
        carg *a = &c->args[c->n++];
        char one[MAX_TEXT];
        trim_copy(one, sizeof one, p, e);
        /* name = value, unless the '=' is inside a string */
        char *eq = strchr(one, '=');
        char *quote = strchr(one, '"');
        if (eq && (!quote || eq < quote)) {
            if (trim_copy(a->name, sizeof a->name, one, (size_t)(eq - one)) || !is_ident(a->name))
                return fail(err, errlen, "`%.*s` is not an argument name", (int)(eq - one < 40 ? eq - one : 40), one);
            trim_copy(a->value, sizeof a->value, eq + 1, strlen(eq + 1));
        } else {
            snprintf(a->value, sizeof a->value, "%s", one);
        }
        if (!*a->value) return fail(err, errlen, "an empty argument in `%s(...)`", c->name);
        if (!p[e]) break;
        p += e + 1;
    }
    return 0;
}

/* Matches a call's arguments to the parameters of constructor t (rt_schema.h): vals[k] is
 * NULL when not given. */
static int match_args(const call *c, const rt_constructor *t, const char **vals, char *err, size_t errlen) {
    int positional = 0, seen_named = 0, n = t->n_args;
    for (int k = 0; k < n; k++) vals[k] = NULL;
    for (int i = 0; i < c->n; i++) {
        int k = -1;
        if (!c->args[i].name[0]) {
            if (seen_named) return fail(err, errlen, "positional argument after a named one");
            if (positional >= n) return fail(err, errlen, "too many arguments for `%s`", c->name);
            k = positional++;
        } else {
            seen_named = 1;
            k = rt_constructor_arg(t, c->args[i].name);
            if (k < 0) return fail(err, errlen, "`%s` has no parameter `%s`", c->name, c->args[i].name);
            if (vals[k]) return fail(err, errlen, "argument `%s` is given twice", t->args[k].name);
        }
        vals[k] = c->args[i].value;
    }
    return 0;
}

/* ---- leaf values ---------------------------------------------------------------------- */

/* Numbers are expressions as in a .qnn setting (language.md 4.8): literals, pi, true/false,
 * + - * / % **, parentheses and the math functions, with the rules the front end applies to
 * settings: + - * % of integers give integers, `/`, `**` and the functions give numbers, and
 * an integer setting takes only integers. */
typedef struct {
    const char *p;
    int depth;
    const char *err;   /* the first error, a static message */
} num_parser;

typedef struct {
    double v;
    int is_int;
} num;

enum { NUM_MAX_DEPTH = 100 };

static void num_blank(num_parser *P) {
    while (isspace((unsigned char)*P->p)) P->p++;
}

static num num_expr(num_parser *P);

static num num_bad(num_parser *P, const char *msg) {
    if (!P->err) P->err = msg;
    num r = {0, 0};
    return r;
}

static num num_primary(num_parser *P) {
    static const struct {
        const char *name;
        double (*f)(double);
    } fns[] = {{"sin", sin},   {"cos", cos},   {"tan", tan},   {"exp", exp},   {"log", log},
               {"sqrt", sqrt}, {"tanh", tanh}, {"atan", atan}, {"asin", asin}, {"acos", acos}};
    num_blank(P);
    const char *p = P->p;
    if (*p == '(') {
        P->p++;
        num r = num_expr(P);
        num_blank(P);
        if (*P->p != ')') return num_bad(P, "missing `)`");
        P->p++;
        return r;
    }
    if (isdigit((unsigned char)*p)) {
        /* DIGITS [. DIGITS] [e [+-] DIGITS], as the language's numbers (no hex, no `1.`) */
        const char *q = p;
        int real = 0;
        while (isdigit((unsigned char)*q)) q++;
        if (*q == '.' && isdigit((unsigned char)q[1]))
            for (real = 1, q++; isdigit((unsigned char)*q);) q++;
        if ((*q == 'e' || *q == 'E') &&
            (isdigit((unsigned char)q[1]) || ((q[1] == '+' || q[1] == '-') && isdigit((unsigned char)q[2]))))
            for (real = 1, q += 2; isdigit((unsigned char)*q);) q++;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end != q || isalnum((unsigned char)*q) || *q == '.' || *q == '_')
            return num_bad(P, "not a number");
        if (errno == ERANGE && fabs(v) > 1) return num_bad(P, "a number out of range");
        if (!real && v > 2147483647.0) return num_bad(P, "an integer larger than 2147483647");
        P->p = end;
        num r = {v, !real};
        return r;
    }
    if (isalpha((unsigned char)*p)) {
        const char *q = p;
        while (isalnum((unsigned char)*q) || *q == '_') q++;
        size_t n = (size_t)(q - p);
        P->p = q;
        if (n == 2 && strncmp(p, "pi", 2) == 0) return (num){3.14159265358979323846, 0};
        if (n == 4 && strncmp(p, "true", 4) == 0) return (num){1, 1};
        if (n == 5 && strncmp(p, "false", 5) == 0) return (num){0, 1};
        for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
            if (strlen(fns[i].name) == n && strncmp(p, fns[i].name, n) == 0) {
                num_blank(P);
                if (*P->p != '(') return num_bad(P, "a math function needs (argument)");
                P->p++;
                num a = num_expr(P);
                num_blank(P);
                if (*P->p != ')') return num_bad(P, "missing `)`");
                P->p++;
                num r = {fns[i].f(a.v), 0};
                if (!P->err && !isfinite(r.v)) return num_bad(P, "a math function outside its domain");
                return r;
            }
        return num_bad(P, "an unknown name (numbers, pi and sin cos tan exp log sqrt tanh atan asin acos)");
    }
    return num_bad(P, "not a number");
}

static num num_int_check(num_parser *P, num r) {
    if (r.is_int && fabs(r.v) > 2147483647.0) return num_bad(P, "integer overflow");
    if (!isfinite(r.v)) return num_bad(P, "a value that is not a finite number");
    return r;
}

/* unary '-' binds looser than '**' (-2 ** 2 is -4), and '**' is right-associative. */
static num num_unary(num_parser *P) {
    if (++P->depth > NUM_MAX_DEPTH) return num_bad(P, "nested too deeply");
    num_blank(P);
    num r;
    if (*P->p == '-' || *P->p == '+') {
        int neg = *P->p++ == '-';
        r = num_unary(P);
        if (neg) r.v = -r.v;
    } else {
        r = num_primary(P);
        num_blank(P);
        if (P->p[0] == '*' && P->p[1] == '*') {
            P->p += 2;
            num e = num_unary(P);
            r.v = pow(r.v, e.v);
            r.is_int = 0;
            r = num_int_check(P, r);
        }
    }
    P->depth--;
    return r;
}

static num num_term(num_parser *P) {
    num r = num_unary(P);
    for (;;) {
        num_blank(P);
        char op = *P->p;
        if (!(op == '*' || op == '/' || op == '%') || (op == '*' && P->p[1] == '*') || P->err) return r;
        P->p++;
        num b = num_unary(P);
        if (op == '*') r.v *= b.v, r.is_int = r.is_int && b.is_int;
        else if (b.v == 0) return num_bad(P, "division by zero");
        else if (op == '/') /* a number, as for settings in .qnn files (`epochs = 10 / 2` is refused) */
            r.v /= b.v, r.is_int = 0;
        else if (r.is_int && b.is_int) {
            double m = fmod(r.v, fabs(b.v)); /* integers: the result is in [0, |b|) */
            r.v = m < 0 ? m + fabs(b.v) : m;
        } else {
            r.v = fmod(r.v, b.v), r.is_int = 0;
        }
        r = num_int_check(P, r);
    }
}

static num num_expr(num_parser *P) {
    if (++P->depth > NUM_MAX_DEPTH) return num_bad(P, "nested too deeply");
    num r = num_term(P);
    for (;;) {
        num_blank(P);
        char op = *P->p;
        if ((op != '+' && op != '-') || P->err) break;
        P->p++;
        num b = num_term(P);
        r.v = op == '+' ? r.v + b.v : r.v - b.v;
        r.is_int = r.is_int && b.is_int;
        r = num_int_check(P, r);
    }
    P->depth--;
    return r;
}

/* The whole of v as a number: 0, or -1 with the reason in *why. */
static int eval_number(const char *v, num *out, const char **why) {
    num_parser P = {v, 0, NULL};
    *out = num_expr(&P);
    num_blank(&P);
    if (!P.err && *P.p) P.err = *P.p == ')' ? "an unmatched `)`" : "unexpected text after the number";
    *why = P.err;
    return P.err ? -1 : 0;
}

/* A value in a message: at most 60 characters of it, so that the reason after it shows. */
#define SHOWN(v) (strlen(v) > 60 ? 57 : (int)strlen(v)), (v), (strlen(v) > 60 ? "..." : "")

static int get_int(const char *key, const char *v, long long lo, long long hi, long long *out,
                   char *err, size_t errlen) {
    num r;
    const char *why;
    /* batch takes `full`, shots `exact`: as `qnnc check` says, the word is part of the answer */
    const rt_setting *st = rt_setting_find(key);
    char words[96] = "";
    if (st && st->kind == RT_SETTING_INT && st->n_words) {
        strcpy(words, " or ");
        rt_setting_words_text(st, 1, words + 4, sizeof words - 4);
    }
    if (eval_number(v, &r, &why))
        return fail(err, errlen, "`%s` must be an integer%s, not `%.*s%s` (%s)", key, words, SHOWN(v), why);
    if (!r.is_int) return fail(err, errlen, "`%s` must be an integer%s, not `%.*s%s`", key, words, SHOWN(v));
    long long n = (long long)r.v;
    if (n < lo || n > hi)
        return fail(err, errlen, "`%s` must be between %lld and %lld, got %lld", key, lo, hi, n);
    *out = n;
    return 0;
}

static int get_real(const char *key, const char *v, double *out, char *err, size_t errlen) {
    num r;
    const char *why;
    if (eval_number(v, &r, &why))
        return fail(err, errlen, "`%s` must be a number, not `%.*s%s` (%s)", key, SHOWN(v), why);
    *out = r.v;
    return 0;
}

static int get_bool(const char *key, const char *v, int *out, char *err, size_t errlen) {
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) *out = 1;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) *out = 0;
    else return fail(err, errlen, "`%s` must be true or false, not `%s`", key, v);
    return 0;
}

/* One of words[0..n): its index. */
static int get_choice(const char *key, const char *v, const char *const *words, int n, int *out,
                      char *err, size_t errlen) {
    for (int i = 0; i < n; i++)
        if (strcmp(v, words[i]) == 0) return *out = i, 0;
    char list[160] = "";
    for (int i = 0; i < n; i++) {
        strncat(list, words[i], sizeof list - strlen(list) - 1);
        if (i + 1 < n) strncat(list, i + 2 == n ? " or " : ", ", sizeof list - strlen(list) - 1);
    }
    return fail(err, errlen, "unknown %s `%s`: use %s", key, v, list);
}

/* One of setting slot's words (rt_schema.h): its index. */
static int get_word(int slot, const char *v, int *out, char *err, size_t errlen) {
    const rt_setting *st = &rt_settings_schema[slot];
    return get_choice(st->what, v, st->words, st->n_words, out, err, errlen);
}

/* An integer argument of constructor t within its bounds in the table, refused with the
 * words of compiler/sema_exp.c. */
static int get_arg_int(const rt_constructor *t, const char *arg, const char *v, long long *out, char *err,
                       size_t errlen) {
    const rt_arg *a = &t->args[rt_constructor_arg(t, arg)];
    char key[64];
    snprintf(key, sizeof key, "%s", a->name);
    if (get_int(key, v, LLONG_MIN, LLONG_MAX, out, err, errlen)) return -1;
    if (rt_bound_ok(&a->bound, (double)*out)) return 0;
    rt_arg_bound_message(t, a, (double)*out, err, errlen);
    return -1;
}

/* "quoted" (with \" and \\) or bare. */
static int get_string(const char *key, const char *v, char *out, size_t cap, char *err, size_t errlen) {
    size_t n = 0;
    if (*v == '"') {
        const char *p = v + 1;
        for (; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) p++;
            if (n + 1 >= cap) return fail(err, errlen, "`%s` is too long", key);
            out[n++] = *p;
        }
        if (*p != '"' || p[1]) return fail(err, errlen, "`%s`: unterminated string %s", key, v);
    } else {
        n = strlen(v);
        if (n >= cap) return fail(err, errlen, "`%s` is too long", key);
        memcpy(out, v, n);
    }
    out[n] = '\0';
    if (!n) return fail(err, errlen, "`%s` cannot be empty", key);
    return 0;
}

/* [a, b] or [w, w, ...]: the items' text. */
static int get_list(const char *key, const char *v, char items[][MAX_TEXT], int max, int *n, char *err,
                    size_t errlen) {
    size_t len = strlen(v);
    if (len < 2 || v[0] != '[' || v[len - 1] != ']')
        return fail(err, errlen, "`%s` must be a list such as [a, b], not `%s`", key, v);
    char inner[MAX_TEXT];
    trim_copy(inner, sizeof inner, v + 1, len - 2);
    *n = 0;
    for (const char *p = inner; *p;) {
        size_t e = arg_end(p);
        if (*n == max) return fail(err, errlen, "`%s` has too many items", key);
        trim_copy(items[(*n)++], MAX_TEXT, p, e);
        if (!p[e]) break;
        p += e + 1;
    }
    return 0;
}

static int get_pair(const char *key, const char *v, double *a, double *b, char *err, size_t errlen) {
    char items[2][MAX_TEXT];
    int n = 0;
    if (get_list(key, v, items, 2, &n, err, errlen) || n != 2)
        return fail(err, errlen, "`%s` must be a pair of numbers [a, b], not `%s`", key, v);
    return get_real(key, items[0], a, err, errlen) || get_real(key, items[1], b, err, errlen) ? -1 : 0;
}

static int rebuild(const rt_experiment *x, const char *what, char *err, size_t errlen) {
    return fail(err, errlen, "%s is compiled into this program: rebuild it with `qnnc build %s "
                             "--set ...` to change it", what, x->source);
}

/* ---- optimizer, schedule, loss: arguments that fill rt_experiment fields ---------------- */

/* The constructor of setting slot that x uses now (its optimizer, schedule or loss), or NULL. */
static const rt_constructor *current(const rt_experiment *x, int slot) {
    int k = slot == RT_SET_OPTIMIZER ? (int)x->optimizer : slot == RT_SET_SCHEDULE ? (int)x->schedule
                                                                                   : (int)x->loss;
    return rt_constructor_find(slot, rt_settings_schema[slot].words[k]);
}

/* key.arg = v of a constructor whose arguments fill fields (rt_schema.h); their bounds are
 * checked on the result by rt_experiment_set. */
static int field_arg(rt_experiment *x, const rt_constructor *t, const char *key, const char *arg,
                     const char *v, char *err, size_t errlen) {
    int k = rt_constructor_arg(t, arg);
    if (k < 0 || !t->args[k].field) return fail(err, errlen, "`%s` has no parameter `%s`", t->name, arg);
    char *base = (char *)x;
    double a, b;
    if (t->args[k].kind == RT_ARG_PAIR) {
        if (get_pair(key, v, &a, &b, err, errlen)) return -1;
        memcpy(base + t->args[k].field - 1, &a, sizeof a);
        memcpy(base + t->args[k].field2 - 1, &b, sizeof b);
        return 0;
    }
    if (get_real(key, v, &a, err, errlen)) return -1;
    memcpy(base + t->args[k].field - 1, &a, sizeof a);
    return 0;
}

/* `adam(...)`, `sgd(...)`, `cosine(...)`, `huber(...)` or a word of setting slot: a
 * constructor replaces the whole setting, the table's defaults then the arguments given
 * (as sema_exp.c); the word's index in *k. */
static int field_call(rt_experiment *x, int slot, const call *c, int *k, char *err, size_t errlen) {
    const rt_setting *st = &rt_settings_schema[slot];
    if (get_word(slot, c->name, k, err, errlen)) return -1;
    const rt_constructor *t = rt_constructor_find(slot, c->name);
    if (!t) return c->n ? fail(err, errlen, "`%s` takes no arguments", c->name) : 0;
    const char *vals[8];
    if (match_args(c, t, vals, err, errlen)) return -1;
    rt_constructor_defaults(t, x);
    for (int i = 0; i < t->n_args; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s.%s", st->key, t->args[i].name);
        if (vals[i] && field_arg(x, t, key, t->args[i].name, vals[i], err, errlen)) return -1;
    }
    return 0;
}

/* ---- data ----------------------------------------------------------------------------- */

static const char *data_kind_name(rt_data_kind k) { return rt_settings_schema[RT_SET_DATA].words[k]; }

static int data_arg(rt_data_spec *d, const char *arg, const char *v, char *err, size_t errlen) {
    long long n;
    const rt_constructor *t = rt_constructor_find(RT_SET_DATA, data_kind_name(d->kind));
    int k = rt_constructor_arg(t, arg);
    if (k < 0) return fail(err, errlen, "`%s` has no parameter `%s`", t->name, arg);
    const rt_arg *a = &t->args[k];
    if (strcmp(arg, "path") == 0) return get_string("data.path", v, d->path, sizeof d->path, err, errlen);
    if (a->kind == RT_ARG_INT && get_arg_int(t, arg, v, &n, err, errlen)) return -1;
    if (d->kind == RT_DATA_IMAGE) {
        if (strcmp(arg, "size") == 0) {
            d->size = (int)n;
        } else if (strcmp(arg, "from_size") == 0) {
            d->from_size = (int)n;
        } else if (strcmp(arg, "channels") == 0) {
            if (get_choice("channel mode", v, a->words, a->n_words, &k, err, errlen)) return -1;
            d->channels = k ? 3 : 1; /* gray, rgb */
        } else {
            return get_pair("data.range", v, &d->lo, &d->hi, err, errlen);
        }
    } else if (d->kind == RT_DATA_SOUND) {
        if (strcmp(arg, "start") == 0) {
            d->start = (long)n;
        } else if (strcmp(arg, "stop") == 0) { /* -1: to the end */
            d->stop = (long)n;
        } else if (strcmp(arg, "stride") == 0) {
            d->stride = (long)n;
        } else if (strcmp(arg, "normalize") == 0) {
            return get_bool("normalize", v, &d->normalize, err, errlen);
        } else {
            if (strcmp(v, "mix") == 0) d->channel = -1;
            else if (strcmp(v, "0") == 0) d->channel = 0;
            else return fail(err, errlen, "`channel` must be 0 (the first channel) or `mix` (their mean)");
        }
        if (d->stop >= 0 && d->stop <= d->start)
            return fail(err, errlen, "sound slice [%ld, %ld) is empty or negative", d->start, d->stop);
    } else {
        if (strcmp(arg, "inputs") == 0) d->n_inputs = (int)n;
        else if (strcmp(arg, "outputs") == 0) d->n_outputs = (int)n;
        else return get_bool("header", v, &d->header, err, errlen);
    }
    return 0;
}

static void data_dims(const rt_data_spec *d, int *in, int *out) {
    *in = d->kind == RT_DATA_IMAGE ? 2 : d->kind == RT_DATA_SOUND ? 1 : d->n_inputs;
    *out = d->kind == RT_DATA_IMAGE ? d->channels : d->kind == RT_DATA_SOUND ? 1 : d->n_outputs;
}

/* The model is compiled for the data's shape: coordinates in, values out. */
static int check_shape(const rt_experiment *x, const rt_data_spec *d, const char *key, char *err,
                       size_t errlen) {
    int in, out;
    data_dims(d, &in, &out);
    if (in == x->in_dim && rt_task_columns_fit(x->loss, out, x->out_dim)) return 0;
    char what[200];
    snprintf(what, sizeof what, "the model's shape (%d coordinate%s -> %d value%s; `%s` asks for "
                                "%d -> %d)", x->in_dim, x->in_dim == 1 ? "" : "s", x->out_dim,
             x->out_dim == 1 ? "" : "s", key, in, out);
    return rebuild(x, what, err, errlen);
}

/* image(...), sound(...) or csv(...) of the same kind as `cur`, replacing it: the table's
 * defaults, then the arguments given. */
static int data_call(const rt_experiment *x, const rt_data_spec *cur, const call *c, rt_data_spec *d,
                     const char *key, char *err, size_t errlen) {
    int k;
    if (get_word(RT_SET_DATA, c->name, &k, err, errlen)) return -1;
    if (k != (int)cur->kind) {
        char what[96];
        snprintf(what, sizeof what, "the kind of data (`%s`)", data_kind_name(cur->kind));
        return rebuild(x, what, err, errlen);
    }
    const rt_constructor *t = rt_constructor_find(RT_SET_DATA, c->name);
    const char *vals[8];
    if (match_args(c, t, vals, err, errlen)) return -1;
    for (int i = 0; i < t->n_args; i++)
        if (t->args[i].required && !vals[i])
            return fail(err, errlen, "missing argument `%s` of `%s`", t->args[i].name, c->name);
    /* every kind's defaults, whatever the kind (as the listing reads back) */
    const rt_arg *im = rt_constructor_find(RT_SET_DATA, "image")->args;
    const rt_arg *so = rt_constructor_find(RT_SET_DATA, "sound")->args;
    const rt_arg *cs = rt_constructor_find(RT_SET_DATA, "csv")->args;
    memset(d, 0, sizeof *d);
    d->kind = cur->kind;
    d->size = (int)im[1].def, d->channels = 1, d->lo = im[3].def, d->hi = im[3].def2;
    d->start = (long)so[1].def, d->stop = (long)so[2].def, d->stride = (long)so[3].def, d->normalize = (int)so[4].def;
    d->n_inputs = cur->n_inputs, d->n_outputs = (int)cs[2].def, d->header = (int)cs[3].def;
    for (int i = 0; i < t->n_args; i++)
        if (vals[i] && data_arg(d, t->args[i].name, vals[i], err, errlen)) return -1;
    return check_shape(x, d, key, err, errlen);
}

/* ---- eval ----------------------------------------------------------------------------- */

static int eval_arg(rt_experiment *x, const char *arg, const char *v, char *err, size_t errlen) {
    const rt_constructor *t = rt_constructor_find(RT_SET_EVAL, "grid");
    if (strcmp(arg, "size") == 0) {
        long long n;
        if (get_arg_int(t, arg, v, &n, err, errlen)) return -1;
        if (rt_limits_eval_grid(x->data.kind, n, err, errlen)) return -1;
        x->eval_size = (int)n;
    } else if (strcmp(arg, "metrics") == 0) {
        const rt_arg *m = &t->args[rt_constructor_arg(t, "metrics")];
        int *flags[] = {&x->metric_mse, &x->metric_psnr, &x->metric_accuracy}; /* m's words */
        char items[4][MAX_TEXT];
        int n, k;
        if (get_list("eval.metrics", v, items, 4, &n, err, errlen)) return -1;
        x->metric_mse = x->metric_psnr = x->metric_accuracy = 0;
        for (int i = 0; i < n; i++) {
            if (get_choice("metric", items[i], m->words, m->n_words, &k, err, errlen)) return -1;
            *flags[k] = 1;
        }
    } else if (strcmp(arg, "target") == 0) {
        call c;
        if (parse_call(v, &c, err, errlen)) return -1;
        if (data_call(x, &x->data, &c, &x->eval_target, "eval.target", err, errlen))
            return -1;
        x->has_eval_target = 1;
    } else {
        return fail(err, errlen, "`grid` has no parameter `%s`", arg);
    }
    return 0;
}

static int eval_call(rt_experiment *x, const call *c, char *err, size_t errlen) {
    const rt_constructor *t = rt_constructor_find(RT_SET_EVAL, "grid");
    const char *vals[8];
    if (strcmp(c->name, t->name) != 0) /* the bare word: the training grid */
        return fail(err, errlen, "unknown evaluation `%s`: use grid(...)", c->name);
    if (match_args(c, t, vals, err, errlen)) return -1;
    x->eval_size = 0;
    x->has_eval_target = 0;
    memset(&x->eval_target, 0, sizeof x->eval_target);
    rt_task_default_metrics(x);
    for (int i = 0; i < t->n_args; i++)
        if (vals[i] && eval_arg(x, t->args[i].name, vals[i], err, errlen)) return -1;
    return 0;
}

/* ---- keys ----------------------------------------------------------------------------- */

/* `mse`, `l1`, `cross_entropy`, `bce` or `huber(delta = 1)`; a word may be written mse(). */
static int loss_call(rt_experiment *x, const call *c, char *err, size_t errlen) {
    int k;
    if (field_call(x, RT_SET_LOSS, c, &k, err, errlen)) return -1;
    x->loss = (rt_loss_kind)k;
    return 0;
}

/* A word setting written as a call without arguments (`mse()`), as .qnn accepts. */
static const char *bare_word(const char *v, char *buf, size_t cap, char *err, size_t errlen) {
    call c;
    if (!strchr(v, '(')) return v;
    if (parse_call(v, &c, err, errlen)) return NULL;
    if (c.n) {
        fail(err, errlen, "`%s` takes no arguments", c.name);
        return NULL;
    }
    snprintf(buf, cap, "%s", c.name);
    return buf;
}

/* An objective experiment has no data: the settings about data are refused with the words of
 * compiler/sema_exp.c; `exact` belongs to objectives only. 1 when the key is not one of these. */
static int objective_key(rt_experiment *x, const char *head, const char *v, char *err, size_t errlen) {
    if (strcmp(head, "objective") == 0)
        return rebuild(x, x->objective ? "the objective (its output and Hamiltonian)" : "the kind of "
                       "experiment (data or an objective)", err, errlen);
    if (strcmp(head, "exact") == 0) {
        int k;
        if (!x->objective)
            return fail(err, errlen, "`exact` is the exact optimum of an objective, and this experiment "
                        "has no `objective = minimize(...)`");
        char word[32];
        if (!(v = bare_word(v, word, sizeof word, err, errlen))) return -1;
        if (get_word(RT_SET_EXACT, v, &k, err, errlen)) return -1;
        x->exact = (rt_exact_mode)k;
        return 0;
    }
    const rt_setting *st = rt_setting_find(head);
    if (!x->objective || !st || !st->about_data) return 1; /* the schema's settings about data */
    if (st == &rt_settings_schema[RT_SET_DATA])
        return fail(err, errlen, "`data` and `objective` both say what the model is trained for: an "
                    "experiment fits data or optimises an objective, not both");
    if (st == &rt_settings_schema[RT_SET_LOSS])
        return fail(err, errlen, "`loss` compares the model's outputs with data; an objective "
                    "experiment optimises an output directly: remove `loss`");
    return fail(err, errlen, "`%s` is about data, and an experiment with an `objective` has none: "
                "remove it", head);
}

/* Stores an integer setting into the rt_experiment field its schema row names. */
static void set_int_field(rt_experiment *x, const rt_setting *st, long long n) {
    char *field = (char *)x + st->field;
    if (st->field_size == sizeof(uint64_t)) {
        uint64_t u = (uint64_t)n;
        memcpy(field, &u, sizeof u);
    } else {
        int i = (int)n;
        memcpy(field, &i, sizeof i);
    }
}

static int set_plain(rt_experiment *x, const char *key, const char *value, char *err, size_t errlen) {
    long long n;
    int k;
    char word[32];
    const char *v = value;
    if (strcmp(key, "batch") == 0 || strcmp(key, "batchnorm_eval") == 0 || strcmp(key, "shots") == 0)
        if (!(v = bare_word(value, word, sizeof word, err, errlen))) return -1;
    const rt_setting *st = rt_setting_find(key);
    /* an integer setting that also takes a word (batch = full, shots = exact) */
    int is_word = st && st->kind == RT_SETTING_INT && st->n_words && rt_setting_word(st, v) >= 0;
    if (st && st->kind == RT_SETTING_INT && !is_word) {
        if (get_int(key, v, st->lo, st->hi, &n, err, errlen)) return -1;
        set_int_field(x, st, n);
    } else if (strcmp(key, "batch") == 0) {
        x->batch = 0; /* `full` */
    } else if (strcmp(key, "shots") == 0) {
        x->shots = 0; /* `exact` */
    } else if (strcmp(key, "split") == 0) {
        double f;
        if (get_real(key, v, &f, err, errlen)) return -1;
        if (!rt_bound_ok(&st->real, f)) { /* the words of sema_exp.c */
            char bound[96];
            rt_bound_text(&st->real, bound, sizeof bound);
            return fail(err, errlen, "`split` is the fraction of rows trained on: a number %s, got %g", bound, f);
        }
        x->split = f;
    } else if (strcmp(key, "batchnorm_eval") == 0) {
        if (get_word(RT_SET_BATCHNORM_EVAL, v, &k, err, errlen)) return -1;
        x->bn_eval_running = k; /* batch, running */
    } else {
        return 1; /* not a plain key */
    }
    return 0;
}

static int set_key(rt_experiment *x, const char *key, const char *v, char *err, size_t errlen) {
    const char *dot = strchr(key, '.');
    char head[32];
    snprintf(head, sizeof head, "%.*s", dot ? (int)(dot - key) : (int)strlen(key), key);
    int rc = objective_key(x, head, v, err, errlen);
    if (rc <= 0) return rc;
    if (strcmp(head, "trajectories") == 0 && x->simulation != RT_SIM_TRAJECTORIES)
        return fail(err, errlen, "`trajectories` counts the runs of `simulation = trajectories`, "
                    "but this experiment simulates %s (the method is fixed when it is built)",
                    x->simulation == RT_SIM_DENSITY_MATRIX ? "density matrices" : "state vectors");
    rc = set_plain(x, key, v, err, errlen);
    if (rc <= 0) return rc;
    if (strcmp(head, "model") == 0) return rebuild(x, "the model", err, errlen);
    if (strcmp(head, "precision") == 0) return rebuild(x, "the circuits' precision", err, errlen);
    if (strcmp(head, "outputs") == 0) return rebuild(x, "the list of outputs", err, errlen);
    if (strcmp(head, "simulation") == 0) return rebuild(x, "the simulation method", err, errlen);
    if (strcmp(head, "noise") == 0) return rebuild(x, "the noise model", err, errlen);
    if (dot) {
        const char *arg = dot + 1;
        if (strcmp(head, "optimizer") == 0)
            return field_arg(x, current(x, RT_SET_OPTIMIZER), key, arg, v, err, errlen);
        if (strcmp(head, "schedule") == 0) {
            if (x->schedule == RT_SCHED_CONSTANT)
                return fail(err, errlen, "`constant` takes no arguments (set schedule=cosine(...) or linear(...))");
            return field_arg(x, current(x, RT_SET_SCHEDULE), key, arg, v, err, errlen);
        }
        if (strcmp(head, "eval") == 0) return eval_arg(x, arg, v, err, errlen);
        if (strcmp(head, "loss") == 0) {
            const rt_constructor *t = current(x, RT_SET_LOSS);
            if (!t)
                return fail(err, errlen, "`%s` takes no arguments (set loss=huber(...))", rt_loss_name(x->loss));
            return field_arg(x, t, key, arg, v, err, errlen);
        }
        if (strcmp(head, "data") == 0) {
            rt_data_spec d = x->data;
            if (data_arg(&d, arg, v, err, errlen) || check_shape(x, &d, key, err, errlen)) return -1;
            x->data = d;
            return 0;
        }
    } else {
        call c;
        if (strcmp(head, "optimizer") == 0 || strcmp(head, "schedule") == 0 ||
            strcmp(head, "eval") == 0 || strcmp(head, "data") == 0 || strcmp(head, "loss") == 0) {
            if (parse_call(v, &c, err, errlen)) return -1;
            if (head[0] == 'l') return loss_call(x, &c, err, errlen);
            int k;
            if (head[0] == 'o') {
                if (field_call(x, RT_SET_OPTIMIZER, &c, &k, err, errlen)) return -1;
                x->optimizer = (rt_optimizer_kind)k;
                return 0;
            }
            if (head[0] == 's') {
                x->lr_min = 0;
                if (field_call(x, RT_SET_SCHEDULE, &c, &k, err, errlen)) return -1;
                x->schedule = (rt_schedule_kind)k;
                return 0;
            }
            if (head[0] == 'e') return eval_call(x, &c, err, errlen);
            if (!c.is_call) return fail(err, errlen, "`data` must be a constructor such as image(\"x.png\")");
            rt_data_spec d;
            if (data_call(x, &x->data, &c, &d, key, err, errlen)) return -1;
            x->data = d;
            return 0;
        }
    }
    char list[256] = "";
    for (int i = 0; i < RT_N_SETTINGS; i++)
        if (rt_settings_schema[i].at_run_time)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "",
                     rt_settings_schema[i].key);
    return fail(err, errlen, "unknown setting `%s` (settings: %s)", key, list);
}

int rt_experiment_set(rt_experiment *x, const char *key, const char *value, char *err,
                      size_t errlen) {
    char k[64], v[MAX_TEXT];
    if (trim_copy(k, sizeof k, key, strlen(key)))
        return fail(err, errlen, "unknown setting `%.40s...` (the name is too long)", key);
    if (trim_copy(v, sizeof v, value, strlen(value)))
        return fail(err, errlen, "the value of `%s` is too long (more than %d characters)", k, MAX_TEXT - 1);
    if (!*k) return fail(err, errlen, "`--set` needs key=value, e.g. --set epochs=50");
    if (!*v) return fail(err, errlen, "`%s` needs a value", k);
    rt_experiment copy = *x; /* all or nothing */
    if (set_key(&copy, k, v, err, errlen)) return -1;
    if (copy.loss != x->loss) rt_task_metrics_follow_loss(&copy, x->loss);
    /* The limits `qnnc check` applies (rt_limits.h), on the result: a setting may be valid
     * alone and not with the others (sgd's momentum, then --set optimizer=...). */
    const char *param;
    char why[256];
    if (rt_limits_optimizer(&copy, &param, why, sizeof why) ||
        (copy.data.kind == RT_DATA_IMAGE && rt_limits_range(copy.data.lo, copy.data.hi, why, sizeof why)) ||
        (copy.has_eval_target && copy.eval_target.kind == RT_DATA_IMAGE &&
         rt_limits_range(copy.eval_target.lo, copy.eval_target.hi, why, sizeof why)) ||
        rt_task_check(&copy, &param, why, sizeof why))
        return fail(err, errlen, "%s", why);
    *x = copy;
    return 0;
}

int rt_experiment_set_text(rt_experiment *x, const char *key_value, char *err, size_t errlen) {
    const char *eq = strchr(key_value, '=');
    if (!eq || eq == key_value) return fail(err, errlen, "`--set` needs key=value, e.g. --set epochs=50");
    char key[64];
    if (trim_copy(key, sizeof key, key_value, (size_t)(eq - key_value)))
        return fail(err, errlen, "unknown setting `%.40s...` (the name is too long)", key_value);
    return rt_experiment_set(x, key, eq + 1, err, errlen);
}

/* ---- listing -------------------------------------------------------------------------- */

/* The shortest text that reads back as the same double. */
static const char *real_text(double v, char *buf, size_t n) {
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

static void print_data(FILE *f, const rt_data_spec *d) {
    char a[32], b[32];
    fprintf(f, "%s(path = \"", data_kind_name(d->kind));
    for (const char *p = d->path; *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', f);
        fputc(*p, f);
    }
    fputc('"', f);
    if (d->kind == RT_DATA_IMAGE)
    {
        fprintf(f, ", size = %d, channels = %s, range = [%s, %s]", d->size,
                rt_constructor_find(RT_SET_DATA, "image")->args[2].words[d->channels == 3], /* gray, rgb */
                real_text(d->lo, a, sizeof a), real_text(d->hi, b, sizeof b));
        if (d->from_size > 0) fprintf(f, ", from_size = %d", d->from_size);
        fputc(')', f);
    }
    else if (d->kind == RT_DATA_SOUND) {
        fprintf(f, ", start = %ld, stop = %ld, stride = %ld, normalize = %s, channel = ", d->start, d->stop,
                d->stride, d->normalize ? "true" : "false");
        if (d->channel < 0) fputs("mix)", f);
        else fprintf(f, "%d)", d->channel);
    } else
        fprintf(f, ", inputs = %d, outputs = %d, header = %s)", d->n_inputs, d->n_outputs,
                d->header ? "true" : "false");
}

void rt_experiment_print_settings(const rt_experiment *x, FILE *f, int indent) {
    char a[32], b[32], c[32], e[32], w[32];
    const char *const *sched = rt_settings_schema[RT_SET_SCHEDULE].words;
    fprintf(f, "%*sepochs = %d\n", indent, "", x->epochs);
    fprintf(f, "%*sseed = %llu\n", indent, "", (unsigned long long)x->seed);
    if (x->objective) { /* one evaluation per epoch: no batches */
    } else if (x->batch > 0) fprintf(f, "%*sbatch = %d\n", indent, "", x->batch);
    else fprintf(f, "%*sbatch = full\n", indent, "");
    fprintf(f, "%*slog_every = %d\n", indent, "", x->log_every);
    fprintf(f, "%*sthreads = %d%s\n", indent, "", x->threads, x->threads ? "" : "   (all cores)");
    if (x->objective)
        fprintf(f, "%*sexact = %s\n", indent, "", rt_settings_schema[RT_SET_EXACT].words[x->exact]);
    else if (x->loss == RT_LOSS_HUBER)
        fprintf(f, "%*sloss = huber(delta = %s)\n", indent, "", real_text(x->huber_delta, a, sizeof a));
    else
        fprintf(f, "%*sloss = %s\n", indent, "", rt_loss_name(x->loss));
    if (x->optimizer == RT_OPT_ADAM)
        fprintf(f, "%*soptimizer = adam(lr = %s, betas = [%s, %s], eps = %s, weight_decay = %s)\n",
                indent, "", real_text(x->lr, a, sizeof a), real_text(x->beta1, b, sizeof b),
                real_text(x->beta2, c, sizeof c), real_text(x->eps, e, sizeof e),
                real_text(x->weight_decay, w, sizeof w));
    else
        fprintf(f, "%*soptimizer = sgd(lr = %s, momentum = %s, weight_decay = %s)\n", indent, "",
                real_text(x->lr, a, sizeof a), real_text(x->momentum, b, sizeof b),
                real_text(x->weight_decay, c, sizeof c));
    if (x->schedule == RT_SCHED_CONSTANT) fprintf(f, "%*sschedule = constant\n", indent, "");
    else fprintf(f, "%*sschedule = %s(min_lr = %s)\n", indent, "", sched[x->schedule],
                 real_text(x->lr_min, a, sizeof a));
    fprintf(f, "%*sbatchnorm_eval = %s\n", indent, "", rt_settings_schema[RT_SET_BATCHNORM_EVAL].words[x->bn_eval_running]);
    if (x->objective) { /* no data: none of the data's settings apply (language.md section 6.14) */
        fprintf(f, "%*sfixed at build time: the model (%d layers, no inputs -> %d), objective = %s(output = %d), "
                "precision f%d\n", indent, "", x->n_layers, x->out_dim,
                rt_settings_schema[RT_SET_OBJECTIVE].words[x->objective == RT_OBJECTIVE_MAXIMIZE], x->objective_output,
                x->precision);
        return;
    }
    fprintf(f, "%*seval = grid(", indent, "");
    if (x->eval_size) fprintf(f, "size = %d, ", x->eval_size);
    if (x->has_eval_target) {
        fputs("target = ", f);
        print_data(f, &x->eval_target);
        fputs(", ", f);
    }
    fprintf(f, "metrics = [%s%s%s%s%s])\n", x->metric_mse ? "mse" : "",
            x->metric_mse && x->metric_psnr ? ", " : "", x->metric_psnr ? "psnr" : "",
            (x->metric_mse || x->metric_psnr) && x->metric_accuracy ? ", " : "",
            x->metric_accuracy ? "accuracy" : "");
    /* Listed only when set: every line must read back through --set, and 0 (none) is not a
     * value one can set. */
    if (x->split > 0) fprintf(f, "%*ssplit = %s\n", indent, "", real_text(x->split, a, sizeof a));
    if (x->eval_every > 0) fprintf(f, "%*seval_every = %d\n", indent, "", x->eval_every);
    fprintf(f, "%*sdata = ", indent, "");
    print_data(f, &x->data);
    fputc('\n', f);
    fprintf(f, "%*sfixed at build time: the model (%d layers, %d -> %d), precision f%d, outputs [",
            indent, "", x->n_layers, x->in_dim, x->out_dim, x->precision);
    const char *outs[] = {x->out_image, x->out_sound, x->out_csv, x->out_checkpoint, x->out_report};
    const char *const *kinds = rt_settings_schema[RT_SET_OUTPUTS].words; /* in the order of outs */
    int first = 1;
    for (int i = 0; i < 5; i++)
        if (outs[i][0]) {
            fprintf(f, "%s%s(\"%s\")", first ? "" : ", ", kinds[i], outs[i]);
            first = 0;
        }
    fputs("]\n", f);
}

/* A documentation cell without its Markdown: `x` -> x, "§6.3" kept. */
static void plain(FILE *f, const char *s) {
    for (; *s; s++)
        if (*s != '`') fputc(*s, f);
}

void rt_schema_print_help(FILE *f, int run_time_only) {
    for (int k = 0; k < RT_N_SETTINGS; k++) {
        const rt_setting *st = &rt_settings_schema[k];
        if (run_time_only && !st->at_run_time) continue;
        fprintf(f, "  %-15s ", st->key);
        plain(f, st->value_doc);
        fputs(" (default: ", f);
        plain(f, st->default_doc);
        fputs(")\n", f);
    }
    fputs("constructors (NAME(ARG = default, ...); KEY.ARG=VALUE sets one argument):\n", f);
    for (int c = 0; c < rt_n_constructors; c++) {
        const rt_constructor *t = &rt_constructors[c];
        const rt_setting *st = &rt_settings_schema[t->setting];
        if (run_time_only && !st->at_run_time) continue;
        fprintf(f, "  %-15s %s(", c && rt_constructors[c - 1].setting == t->setting ? "" : st->key, t->name);
        for (int i = 0; i < t->n_args; i++) {
            const rt_arg *a = &t->args[i];
            char value[160];
            rt_arg_value_text(a, value, sizeof value);
            fprintf(f, "%s%s", i ? ", " : "", a->name);
            if (!a->required) {
                fputs(" = ", f);
                plain(f, a->default_doc);
            }
            if (a->kind != RT_ARG_ANY) { /* those say in language.md what they take */
                fputs(" [", f);
                plain(f, value);
                fputc(']', f);
            }
        }
        fputs(")\n", f);
    }
}
