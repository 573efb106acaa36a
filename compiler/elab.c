/* Compile-time evaluation of expressions: constants fold, angles become IR expression nodes,
 * tensors are sliced, observables are collected as sums of Pauli products. */
#include "elab.h"
#include "gates.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static const char *const math_functions[] = {"sin", "cos", "tan", "exp", "log", "sqrt",
                                             "tanh", "atan", "asin", "acos"};
static const ir_expr_kind math_kinds[] = {IR_EXPR_SIN, IR_EXPR_COS, IR_EXPR_TAN, IR_EXPR_EXP,
                                          IR_EXPR_LOG, IR_EXPR_SQRT, IR_EXPR_TANH, IR_EXPR_ATAN,
                                          IR_EXPR_ASIN, IR_EXPR_ACOS};
enum { N_MATH = sizeof math_functions / sizeof *math_functions };

int elab_is_math_function(const char *name) {
    for (int i = 0; i < N_MATH; i++)
        if (strcmp(name, math_functions[i]) == 0) return i + 1;
    return 0;
}

const char *value_kind_name(value_kind k) {
    /* With their article: messages read "not an integer", "cannot negate a gate". */
    static const char *names[] = {"nothing", "an integer", "a number", "a string", "a word",
                                  "a list", "a constructor", "an angle", "a tensor", "qubits",
                                  "a gate", "an observable"};
    return names[k];
}

void env_bind(arena *ar, env *e, const char *name, value v) {
    binding *b = arena_alloc(ar, sizeof *b);
    b->name = name;
    b->val = v;
    b->next = e->head;
    e->head = b;
}

const value *env_lookup(const env *e, const char *name) {
    for (binding *b = e->head; b; b = b->next)
        if (strcmp(b->name, name) == 0) {
            b->used = 1;
            return &b->val;
        }
    return NULL;
}

int env_names(const env *e, const char **out, int max) {
    int n = 0;
    for (const binding *b = e->head; b && n < max; b = b->next) out[n++] = b->name;
    return n;
}

static void verror(elab_ctx *cx, src_loc loc, const char *hint, const char *fmt, va_list ap) {
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    diag_error(loc, "%s", msg);
    if (hint) diag_note((src_loc){0, 0, 0, 0}, "did you mean `%s`?", hint);
    /* Only the innermost instantiation: enough to find the call without drowning the error. */
    if (cx->n_calls > 0 && cx->n_calls <= 64 &&
        memcmp(&cx->call_sites[cx->n_calls - 1], &loc, sizeof loc) != 0)
        diag_note(cx->call_sites[cx->n_calls - 1], "in `%s` used here",
                  cx->call_names[cx->n_calls - 1]);
}

void elab_error(elab_ctx *cx, src_loc loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(cx, loc, NULL, fmt, ap);
    va_end(ap);
}

void elab_error_hint(elab_ctx *cx, src_loc loc, const char *hint, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(cx, loc, hint, fmt, ap);
    va_end(ap);
}

static value none(void) {
    value v;
    memset(&v, 0, sizeof v);
    return v;
}

static value mk_int(long long i, src_loc loc) {
    value v = none();
    v.kind = V_INT;
    v.i = i;
    v.loc = loc;
    return v;
}

static value mk_real(double r, src_loc loc) {
    value v = none();
    v.kind = V_REAL;
    v.r = r;
    v.loc = loc;
    return v;
}

static int is_number(const value *v) { return v->kind == V_INT || v->kind == V_REAL; }
static double num(const value *v) { return v->kind == V_INT ? (double)v->i : v->r; }

/* A rank-0 tensor (a scalar parameter or input) reads as an angle. */
static value scalar_tensor_to_angle(elab_ctx *cx, value v) {
    if (v.kind != V_TENSOR || v.rank != 0 || !cx->circ) return v;
    value a = none();
    a.kind = V_ANGLE;
    a.loc = v.loc;
    a.expr = v.is_input ? ir_input(cx->circ, v.offset) : ir_param(cx->circ, v.offset);
    return a;
}

int elab_angle_node(elab_ctx *cx, const value *v) {
    if (v->kind == V_ANGLE) return v->expr;
    if (is_number(v)) return ir_const(cx->circ, num(v));
    if (v->kind == V_TENSOR && v->rank == 0)
        return v->is_input ? ir_input(cx->circ, v->offset) : ir_param(cx->circ, v->offset);
    return -1;
}

static void describe_shape(const value *v, char *buf, size_t n) {
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < v->rank && k + 16 < n; i++) k += (size_t)snprintf(buf + k, n - k, "[%d]", v->dims[i]);
}

static value eval_ident(elab_ctx *cx, env *e, ast_node *n) {
    const value *b = env_lookup(e, n->name);
    if (b) {
        value v = *b;
        v.loc = n->loc;
        return v;
    }
    if (strcmp(n->name, "pi") == 0) return mk_real(3.14159265358979323846, n->loc);
    if (strcmp(n->name, "true") == 0) return mk_int(1, n->loc);
    if (strcmp(n->name, "false") == 0) return mk_int(0, n->loc);
    for (int g = 0; g < IR_FUSED_1Q; g++) {
        if (strcmp(n->name, ir_gate_name((ir_gate)g)) == 0) {
            value v = none();
            v.kind = V_GATE;
            v.builtin = g;
            v.loc = n->loc;
            return v;
        }
    }
    static const struct { const char *alias; ir_gate g; } aliases[] = {
        {"cx", IR_CNOT}, {"p", IR_PHASE}, {"cp", IR_CPHASE}, {"id", IR_I}};
    for (size_t k = 0; k < sizeof aliases / sizeof *aliases; k++)
        if (strcmp(n->name, aliases[k].alias) == 0) {
            value v = none();
            v.kind = V_GATE;
            v.builtin = aliases[k].g;
            v.loc = n->loc;
            return v;
        }
    int composite = gx_find_composite(n->name);
    if (composite >= 0) {
        value v = none();
        v.kind = V_GATE;
        v.builtin = GX_BUILTIN_BASE + composite;
        v.loc = n->loc;
        return v;
    }
    if (cx->in_setting) {
        value v = none();
        v.kind = V_SYM;
        v.s = n->name;
        v.loc = n->loc;
        return v;
    }
    if (diag_reported_at(n->loc)) { /* a repeat: counted, and suppressed without a search */
        elab_error(cx, n->loc, "unknown name `%s`", n->name);
        return none();
    }
    const char *cands[256];
    int k = env_names(e, cands, 250);
    cands[k++] = "pi";
    const char *hint = diag_suggest(n->name, cands, k);
    elab_error_hint(cx, n->loc, hint, "unknown name `%s`", n->name);
    return none();
}

static value eval_index(elab_ctx *cx, env *e, ast_node *n) {
    value base = elab_eval(cx, e, n->a);
    if (base.kind == V_NONE) return base;
    long long idx;
    if (base.kind == V_TENSOR) {
        char shape[128];
        describe_shape(&base, shape, sizeof shape);
        if (base.rank == 0) {
            elab_error(cx, n->loc, "`%s` is a scalar and cannot be indexed", base.tensor_name);
            return none();
        }
        if (!elab_int(cx, e, n->b, 0, (long long)base.dims[0] - 1, "tensor index", &idx)) {
            diag_note(base.loc, "`%s` has shape %s", base.tensor_name, shape);
            return none();
        }
        value v = base;
        v.offset = base.offset + (int)idx * base.strides[0];
        v.rank = base.rank - 1;
        memmove(v.dims, base.dims + 1, sizeof(int) * (size_t)v.rank);
        memmove(v.strides, base.strides + 1, sizeof(int) * (size_t)v.rank);
        return scalar_tensor_to_angle(cx, v);
    }
    if (base.kind == V_REG) {
        if (base.i) { /* already one qubit picked out of its register */
            elab_error(cx, n->loc, "a single qubit cannot be indexed");
            return none();
        }
        if (!elab_int(cx, e, n->b, 0, (long long)base.n_wires - 1, "qubit index", &idx)) return none();
        value v = base;
        v.i = 1;
        v.n_wires = 1;
        v.wires = arena_alloc(cx->ar, sizeof(int));
        v.wires[0] = base.wires[idx];
        v.loc = ast_span(base.loc, n->loc);
        return v;
    }
    if (base.kind == V_LIST) {
        if (!elab_int(cx, e, n->b, 0, (long long)base.n_items - 1, "list index", &idx)) return none();
        return base.items[idx];
    }
    elab_error(cx, n->loc, "%s cannot be indexed", value_kind_name(base.kind));
    return none();
}

static value obs_scale(elab_ctx *cx, value o, double s) {
    value v = o;
    v.terms = arena_alloc(cx->ar, sizeof(obs_term) * (size_t)o.n_terms);
    for (int i = 0; i < o.n_terms; i++) {
        v.terms[i] = o.terms[i];
        v.terms[i].coef *= s;
    }
    return v;
}

static value obs_binop(elab_ctx *cx, int op, src_loc loc, value a, value b) {
    if ((op == '*') && is_number(&a) && b.kind == V_OBS) return obs_scale(cx, b, num(&a));
    if ((op == '*' || op == '/') && a.kind == V_OBS && is_number(&b)) {
        if (op == '/' && num(&b) == 0) {
            elab_error(cx, loc, "division by zero");
            return none();
        }
        return obs_scale(cx, a, op == '*' ? num(&b) : 1.0 / num(&b));
    }
    if ((op == '+' || op == '-') && a.kind == V_OBS && b.kind == V_OBS) {
        if (op == '-') b = obs_scale(cx, b, -1.0);
        value v = a;
        v.n_terms = a.n_terms + b.n_terms;
        v.terms = arena_alloc(cx->ar, sizeof(obs_term) * (size_t)v.n_terms);
        memcpy(v.terms, a.terms, sizeof(obs_term) * (size_t)a.n_terms);
        memcpy(v.terms + a.n_terms, b.terms, sizeof(obs_term) * (size_t)b.n_terms);
        return v;
    }
    if ((op == '@' || op == '*') && a.kind == V_OBS && b.kind == V_OBS) {
        value v = a;
        v.n_terms = a.n_terms * b.n_terms;
        v.terms = arena_alloc(cx->ar, sizeof(obs_term) * (size_t)v.n_terms);
        for (int i = 0; i < a.n_terms; i++)
            for (int j = 0; j < b.n_terms; j++) {
                obs_term s = a.terms[i], t = b.terms[j];
                if (s.used_mask & t.used_mask) {
                    elab_error(cx, loc, "a Pauli product acts twice on the same qubit");
                    return none();
                }
                obs_term *r = &v.terms[i * b.n_terms + j];
                r->coef = s.coef * t.coef;
                r->x_mask = s.x_mask | t.x_mask;
                r->z_mask = s.z_mask | t.z_mask;
                r->used_mask = s.used_mask | t.used_mask;
            }
        return v;
    }
    elab_error(cx, loc, "operator `%s` cannot combine %s and %s in an observable",
               ast_op_name(op), value_kind_name(a.kind), value_kind_name(b.kind));
    return none();
}

static value int_binop(elab_ctx *cx, int op, src_loc loc, long long x, long long y) {
    long long r = 0;
    int overflow = 0;
    switch (op) {
    case '+': overflow = __builtin_add_overflow(x, y, &r); break;
    case '-': overflow = __builtin_sub_overflow(x, y, &r); break;
    case '*': overflow = __builtin_mul_overflow(x, y, &r); break;
    case '%':
        if (y == 0) {
            elab_error(cx, loc, "remainder by zero");
            return none();
        }
        r = x % y;
        if (r < 0) r += y < 0 ? -y : y; /* indices wrap like Python's % */
        break;
    default: break;
    }
    if (overflow || r > 2147483647LL || r < -2147483647LL) {
        elab_error(cx, loc, "integer overflow in `%s`", ast_op_name(op));
        return none();
    }
    return mk_int(r, loc);
}

static value binop_values(elab_ctx *cx, int op, src_loc loc, value a, value b);

static value eval_binop(elab_ctx *cx, env *e, ast_node *n) {
    value a = elab_eval(cx, e, n->a);
    if (a.kind == V_NONE) return a;
    if (n->op == AST_OP_AND || n->op == AST_OP_OR) { /* short-circuit, compile time only */
        long long x, y;
        if (!elab_int(cx, e, n->a, -2147483647LL, 2147483647LL, "condition", &x)) return none();
        if (n->op == AST_OP_AND && !x) return mk_int(0, n->loc);
        if (n->op == AST_OP_OR && x) return mk_int(1, n->loc);
        if (!elab_int(cx, e, n->b, -2147483647LL, 2147483647LL, "condition", &y)) return none();
        return mk_int(y != 0, n->loc);
    }
    value b = elab_eval(cx, e, n->b);
    if (b.kind == V_NONE) return b;
    return binop_values(cx, n->op, n->loc, a, b);
}

/* a op b on evaluated operands (also what `sum` folds with). */
static value binop_values(elab_ctx *cx, int op, src_loc loc, value a, value b) {
    /* An empty sum adds nothing, whatever the other side is: sum(j in i+1..n) at i = n-1. */
    if ((op == '+' || op == '-') && b.empty_sum) return a;
    if (op == '+' && a.empty_sum) return b;
    if (op == '-' && a.empty_sum && b.kind == V_OBS) return obs_scale(cx, b, -1.0);
    if (op == '-' && a.empty_sum) return binop_values(cx, op, loc, mk_int(0, loc), b);
    if (a.kind == V_OBS || b.kind == V_OBS || op == '@') return obs_binop(cx, op, loc, a, b);
    a = scalar_tensor_to_angle(cx, a);
    b = scalar_tensor_to_angle(cx, b);
    for (int k = 0; k < 2; k++) {
        const value *v = k ? &b : &a;
        if (v->kind == V_TENSOR) {
            char shape[128];
            describe_shape(v, shape, sizeof shape);
            elab_error(cx, v->loc, "`%s` is a tensor of shape %s; index it to get a number",
                       v->tensor_name, shape);
            return none();
        }
        if (!is_number(v) && v->kind != V_ANGLE) {
            elab_error(cx, v->loc, "operator `%s` needs numbers, not %s", ast_op_name(op),
                       value_kind_name(v->kind));
            return none();
        }
    }
    if (a.kind == V_ANGLE || b.kind == V_ANGLE) {
        ir_expr_kind k;
        switch (op) {
        case '+': k = IR_EXPR_ADD; break;
        case '-': k = IR_EXPR_SUB; break;
        case '*': k = IR_EXPR_MUL; break;
        case '/': k = IR_EXPR_DIV; break;
        default:
            elab_error(cx, loc, "operator `%s` needs compile-time numbers, but this operand "
                                   "depends on parameters or inputs", ast_op_name(op));
            return none();
        }
        value v = none();
        v.kind = V_ANGLE;
        v.loc = loc;
        v.expr = ir_binary(cx->circ, k, elab_angle_node(cx, &a), elab_angle_node(cx, &b));
        return v;
    }
    if (a.kind == V_INT && b.kind == V_INT && op != '/' && op != AST_OP_POW) {
        switch (op) {
        case '+': case '-': case '*': case '%': return int_binop(cx, op, loc, a.i, b.i);
        case '<': return mk_int(a.i < b.i, loc);
        case '>': return mk_int(a.i > b.i, loc);
        case AST_OP_LE: return mk_int(a.i <= b.i, loc);
        case AST_OP_GE: return mk_int(a.i >= b.i, loc);
        case AST_OP_EQ: return mk_int(a.i == b.i, loc);
        case AST_OP_NE: return mk_int(a.i != b.i, loc);
        default: break;
        }
    }
    double x = num(&a), y = num(&b), r;
    switch (op) {
    case '+': r = x + y; break;
    case '-': r = x - y; break;
    case '*': r = x * y; break;
    case '/':
        if (y == 0) {
            elab_error(cx, loc, "division by zero");
            return none();
        }
        r = x / y;
        break;
    case '%':
        if (y == 0) {
            elab_error(cx, loc, "remainder by zero");
            return none();
        }
        r = fmod(x, y);
        break;
    case AST_OP_POW: r = pow(x, y); break;
    case '<': return mk_int(x < y, loc);
    case '>': return mk_int(x > y, loc);
    case AST_OP_LE: return mk_int(x <= y, loc);
    case AST_OP_GE: return mk_int(x >= y, loc);
    case AST_OP_EQ: return mk_int(x == y, loc);
    case AST_OP_NE: return mk_int(x != y, loc);
    default: r = NAN; break;
    }
    if (!isfinite(r)) {
        elab_error(cx, loc, "`%s` gives a value that is not a finite number", ast_op_name(op));
        return none();
    }
    return mk_real(r, loc);
}

static value eval_unop(elab_ctx *cx, env *e, ast_node *n) {
    value a = scalar_tensor_to_angle(cx, elab_eval(cx, e, n->a));
    if (a.kind == V_NONE) return a;
    if (n->op == '!') {
        if (a.kind != V_INT) {
            elab_error(cx, n->loc, "`!` needs a compile-time condition");
            return none();
        }
        return mk_int(!a.i, n->loc);
    }
    if (a.kind == V_INT) return mk_int(-a.i, n->loc);
    if (a.kind == V_REAL) return mk_real(-a.r, n->loc);
    if (a.kind == V_OBS) return obs_scale(cx, a, -1.0);
    if (a.kind == V_ANGLE) {
        a.expr = ir_unary(cx->circ, IR_EXPR_NEG, a.expr);
        return a;
    }
    elab_error(cx, n->loc, "cannot negate %s", value_kind_name(a.kind));
    return none();
}

static value eval_pauli(elab_ctx *cx, env *e, ast_node *n, char letter) {
    if (n->list.n != 1 || n->list.items[0]->kind == AST_NAMED) {
        elab_error(cx, n->loc, "`%c` takes one qubit, e.g. `%c(q[0])`", letter, letter);
        return none();
    }
    value q = elab_eval(cx, e, n->list.items[0]);
    if (q.kind == V_NONE) return q;
    if (q.kind != V_REG || q.n_wires != 1) {
        elab_error(cx, n->list.items[0]->loc, "`%c` needs a single qubit, got %s", letter,
                   q.kind == V_REG ? "a register" : value_kind_name(q.kind));
        return none();
    }
    value v = none();
    v.kind = V_OBS;
    v.loc = n->loc;
    v.n_terms = 1;
    v.terms = arena_alloc(cx->ar, sizeof(obs_term));
    v.terms[0].coef = 1.0;
    uint32_t bit = 1u << q.wires[0];
    if (letter != 'I') v.terms[0].used_mask = bit;
    if (letter == 'X' || letter == 'Y') v.terms[0].x_mask = bit;
    if (letter == 'Z' || letter == 'Y') v.terms[0].z_mask = bit;
    return v;
}

/* ---- observables: canonical form, square, Hermitian matrices ---------------------------- */

typedef struct {
    uint32_t x, z;
    int first; /* index of the first appearance */
    int idx;
} term_key;

static int cmp_key(const void *pa, const void *pb) {
    const term_key *a = pa, *b = pb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->z != b->z) return a->z < b->z ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_first(const void *pa, const void *pb) {
    const term_key *a = pa, *b = pb;
    return a->first < b->first ? -1 : a->first > b->first;
}

int elab_obs_canonical(elab_ctx *cx, value *o) {
    int n = o->n_terms;
    if (n == 0) return 0;
    term_key *k = malloc(sizeof *k * (size_t)n);
    obs_term *out = arena_alloc(cx->ar, sizeof *out * (size_t)n);
    if (!k) {
        diag_internal("out of memory merging the terms of an observable");
        return 0;
    }
    for (int i = 0; i < n; i++) k[i] = (term_key){o->terms[i].x_mask, o->terms[i].z_mask, i, i};
    qsort(k, (size_t)n, sizeof *k, cmp_key);
    /* One group per distinct product: coefficients added, kept unless they cancel (to
     * rounding: 0.1 + 0.2 - 0.3 is 5.6e-17, not a term). */
    int m = 0;
    for (int i = 0; i < n;) {
        int j = i;
        double sum = 0, mag = 0;
        uint32_t used = 0;
        for (; j < n && k[j].x == k[i].x && k[j].z == k[i].z; j++) {
            const obs_term *t = &o->terms[k[j].idx];
            sum += t->coef;
            mag += fabs(t->coef);
            used |= t->used_mask;
        }
        if (fabs(sum) > 1e-14 * mag) {
            out[m] = (obs_term){sum, k[i].x, k[i].z, used};
            k[m].first = k[i].idx; /* k[i] is the group's first appearance (sorted by idx) */
            k[m].idx = m;
            m++;
        }
        i = j;
    }
    qsort(k, (size_t)m, sizeof *k, cmp_first);
    obs_term *ordered = arena_alloc(cx->ar, sizeof *ordered * (size_t)(m + 1));
    for (int i = 0; i < m; i++) ordered[i] = out[k[i].idx];
    free(k);
    o->terms = ordered;
    o->n_terms = m;
    return m;
}

static int popcount32(uint32_t v) { return __builtin_popcount(v); }

enum { MAX_SQUARE_PRODUCTS = 1 << 22 };

value elab_obs_square(elab_ctx *cx, const value *o, src_loc loc) {
    long long nn = (long long)o->n_terms * o->n_terms;
    if (nn > MAX_SQUARE_PRODUCTS) {
        elab_error(cx, loc, "`var` of an observable with %d terms is too large (its square has "
                            "more than %d products)", o->n_terms, MAX_SQUARE_PRODUCTS);
        return none();
    }
    value v = *o;
    v.n_terms = 0;
    v.terms = arena_alloc(cx->ar, sizeof(obs_term) * (size_t)(nn + 1));
    for (int i = 0; i < o->n_terms; i++)
        for (int j = 0; j < o->n_terms; j++) {
            const obs_term *a = &o->terms[i], *b = &o->terms[j];
            /* P = i^{|x&z|} X^x Z^z; Z^z1 X^x2 = (-1)^{|z1&x2|} X^x2 Z^z1. */
            uint32_t x = a->x_mask ^ b->x_mask, z = a->z_mask ^ b->z_mask;
            int k = popcount32(a->x_mask & a->z_mask) + popcount32(b->x_mask & b->z_mask) -
                    popcount32(x & z) + 2 * popcount32(a->z_mask & b->x_mask);
            k = ((k % 4) + 4) % 4;
            /* odd powers of i are imaginary: they cancel between PQ and QP */
            if (k & 1) continue;
            v.terms[v.n_terms++] = (obs_term){a->coef * b->coef * (k == 0 ? 1 : -1), x, z,
                                              a->used_mask | b->used_mask};
        }
    elab_obs_canonical(cx, &v);
    return v;
}

/* Pauli matrices I, X, Y, Z as interleaved complex 2x2. */
static const double PAULI[4][8] = {{1, 0, 0, 0, 0, 0, 1, 0},
                                   {0, 0, 1, 0, 1, 0, 0, 0},
                                   {0, 0, 0, -1, 0, 1, 0, 0},
                                   {1, 0, 0, 0, 0, 0, -1, 0}};

static void format_complex(double re, double im, char *buf, size_t n) {
    if (im == 0) snprintf(buf, n, "%g", re);
    else if (re == 0) snprintf(buf, n, "[0, %g]", im);
    else snprintf(buf, n, "[%g, %g]", re, im);
}

/* A constant matrix written as rows: [[a, b], [c, d]], each entry a number or [re, im]. */
int elab_read_matrix(elab_ctx *cx, const value *m, const char *fn, int *dim, double *re,
                     double *im) {
    if (m->kind != V_LIST) {
        elab_error(cx, m->loc, "`%s` needs a matrix written as a list of rows, e.g. "
                               "`[[1, 0], [0, -1]]`, not %s", fn, value_kind_name(m->kind));
        return 0;
    }
    int d = m->n_items;
    if (d != 2 && d != 4) {
        elab_error(cx, m->loc, "`%s` takes a 2x2 or a 4x4 matrix, got %d row%s", fn, d,
                   d == 1 ? "" : "s");
        return 0;
    }
    for (int r = 0; r < d; r++) {
        const value *row = &m->items[r];
        if (row->kind != V_LIST || row->n_items != d) {
            elab_error(cx, row->loc, "row %d of the matrix of `%s` must be a list of %d entries",
                       r, fn, d);
            return 0;
        }
        for (int c = 0; c < d; c++) {
            value xv = scalar_tensor_to_angle(cx, row->items[c]);
            const value *x = &xv;
            if (is_number(x)) {
                re[r * d + c] = num(x);
                im[r * d + c] = 0;
            } else if (x->kind == V_LIST && x->n_items == 2 && is_number(&x->items[0]) &&
                       is_number(&x->items[1])) {
                re[r * d + c] = num(&x->items[0]);
                im[r * d + c] = num(&x->items[1]);
            } else {
                elab_error(cx, x->loc, "matrix entry [%d][%d] must be a compile-time number or a "
                                       "pair [re, im], not %s", r, c,
                           x->kind == V_ANGLE ? "a value that depends on parameters or inputs"
                                              : value_kind_name(x->kind));
                return 0;
            }
        }
    }
    *dim = d;
    return 1;
}

/* hermitian(M, q[a] [, q[b]]) or (from `expval hermitian(M) q[a], q[b];`) with qubit
 * arguments: M decomposed into Pauli products, c_P = Tr(P M) / 2^m, real for Hermitian M. */
static value eval_hermitian(elab_ctx *cx, env *e, ast_node *n) {
    const ast_list *qs = n->flag ? &n->list2 : NULL;
    int n_args = n->list.n;
    int first_q = n->flag ? 0 : 1;
    if (n_args < 1 || (!n->flag && n_args < 2) || (n->flag && n_args != 1)) {
        elab_error(cx, n->loc, "`hermitian` takes a matrix and its qubits, e.g. "
                               "`hermitian([[1, 0], [0, -1]], q[0])`");
        return none();
    }
    for (int i = 0; i < n_args; i++)
        if (n->list.items[i]->kind == AST_NAMED) {
            elab_error(cx, n->list.items[i]->loc, "the arguments of `hermitian` are positional");
            return none();
        }
    value m = elab_eval(cx, e, n->list.items[0]);
    if (m.kind == V_NONE) return m;
    int d;
    double re[16], im[16];
    if (!elab_read_matrix(cx, &m, "hermitian", &d, re, im)) return none();
    int want = d == 2 ? 1 : 2;
    int got = n->flag ? qs->n : n_args - 1;
    if (got != want) {
        elab_error(cx, n->loc, "`hermitian` with a %dx%d matrix acts on %d qubit%s, got %d", d, d,
                   want, want == 1 ? "" : "s", got);
        return none();
    }
    double scale = 0;
    for (int i = 0; i < d * d; i++) scale = fmax(scale, hypot(re[i], im[i]));
    for (int r = 0; r < d; r++)
        for (int c = r; c < d; c++) {
            double dre = re[r * d + c] - re[c * d + r], dim = im[r * d + c] + im[c * d + r];
            if (hypot(dre, dim) > 1e-12 * (1 + scale)) {
                char a[64], b[64];
                format_complex(re[r * d + c], im[r * d + c], a, sizeof a);
                format_complex(re[c * d + r], im[c * d + r], b, sizeof b);
                if (r == c)
                    elab_error(cx, m.loc, "the matrix of `hermitian` is not Hermitian: the "
                                          "diagonal entry [%d][%d] is %s, which is not real",
                               r, r, a);
                else
                    elab_error(cx, m.loc, "the matrix of `hermitian` is not Hermitian: entry "
                                          "[%d][%d] is %s but entry [%d][%d] is %s (it must be "
                                          "the complex conjugate)", r, c, a, c, r, b);
                return none();
            }
        }
    int wires[2];
    for (int i = 0; i < want; i++) {
        ast_node *qa = n->flag ? qs->items[i] : n->list.items[first_q + i];
        value q = elab_eval(cx, e, qa);
        if (q.kind == V_NONE) return q;
        if (q.kind != V_REG || q.n_wires != 1) {
            elab_error(cx, qa->loc, "`hermitian` needs single qubits, got %s",
                       q.kind == V_REG ? "a register" : value_kind_name(q.kind));
            return none();
        }
        wires[i] = q.wires[0];
    }
    if (want == 2 && wires[0] == wires[1]) {
        elab_error(cx, n->loc, "`hermitian` needs two different qubits, got qubit %d twice",
                   wires[0]);
        return none();
    }
    value v = none();
    v.kind = V_OBS;
    v.loc = n->loc;
    v.terms = arena_alloc(cx->ar, sizeof(obs_term) * 16);
    int n_p = want == 1 ? 4 : 16;
    for (int p = 0; p < n_p; p++) {
        int la = want == 1 ? p : p / 4, lb = p % 4; /* letters: the first qubit is the MSB */
        double tr = 0; /* Re Tr(P M) = sum_{r,c} Re(P[r][c] M[c][r]) */
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++) {
                double pre, pim;
                if (want == 1) {
                    pre = PAULI[la][2 * (2 * r + c)];
                    pim = PAULI[la][2 * (2 * r + c) + 1];
                } else {
                    int ra = r / 2, rb = r % 2, ca = c / 2, cb = c % 2;
                    double are = PAULI[la][2 * (2 * ra + ca)], aim = PAULI[la][2 * (2 * ra + ca) + 1];
                    double bre = PAULI[lb][2 * (2 * rb + cb)], bim = PAULI[lb][2 * (2 * rb + cb) + 1];
                    pre = are * bre - aim * bim;
                    pim = are * bim + aim * bre;
                }
                tr += pre * re[c * d + r] - pim * im[c * d + r];
            }
        double coef = tr / d;
        if (coef == 0) continue;
        obs_term t = {coef, 0, 0, 0};
        int letters[2] = {la, lb};
        for (int i = 0; i < want; i++) {
            uint32_t bit = 1u << wires[i];
            int l = letters[i];
            if (l == 1 || l == 2) t.x_mask |= bit;
            if (l == 2 || l == 3) t.z_mask |= bit;
            if (l) t.used_mask |= bit;
        }
        v.terms[v.n_terms++] = t;
    }
    if (v.n_terms == 0) { /* the zero matrix: canonical zero, reported where it is measured */
        v.terms[0] = (obs_term){0, 0, 0, 0};
        v.n_terms = 1;
    }
    return v;
}

/* sum(i in lo..hi) body: the body folded with `+` over the range (HI excluded). Observable
 * terms are collected in one growing array: a long sum stays linear. */
static value eval_sum(elab_ctx *cx, env *e, ast_node *n) {
    if (strcmp(n->str, "sum") != 0) {
        elab_error(cx, n->loc, "`%s(%s in ...)`: only `sum` takes a range", n->str, n->name);
        return none();
    }
    long long lo, hi;
    if (!elab_int(cx, e, n->a, -2147483647LL, 2147483647LL, "`sum` bound", &lo)) return none();
    if (!elab_int(cx, e, n->b, -2147483647LL, 2147483647LL, "`sum` bound", &hi)) return none();
    if (hi <= lo) { /* nothing to add: 0 as a number, and no terms in a sum of observables */
        value z = mk_int(0, n->loc);
        z.empty_sum = 1;
        return z;
    }
    env inner = *e;
    value iv = mk_int(lo, n->loc);
    env_bind(cx->ar, &inner, n->name, iv);
    binding *var = inner.head;
    value acc = none();
    obs_term *buf = NULL;
    int n_buf = 0, cap = 0, is_obs = 0;
    for (long long i = lo; i < hi; i++) {
        if (++cx->steps > cx->max_steps) {
            elab_error(cx, n->loc, "`sum` is too large: more than %lld steps", cx->max_steps);
            free(buf);
            return none();
        }
        var->val.i = i;
        value v = elab_eval(cx, &inner, n->c);
        if (v.kind == V_NONE) {
            free(buf);
            return none();
        }
        if (v.empty_sum) continue; /* an inner sum with nothing to add */
        if (acc.kind == V_NONE) {
            acc = v;
            is_obs = v.kind == V_OBS;
        } else if (is_obs != (v.kind == V_OBS)) {
            elab_error(cx, n->c->loc, "`sum` adds %s to %s", value_kind_name(v.kind),
                       is_obs ? "observables" : value_kind_name(acc.kind));
            free(buf);
            return none();
        } else if (!is_obs) {
            acc = binop_values(cx, '+', n->loc, acc, v);
            acc.empty_sum = 0;
            if (acc.kind == V_NONE) return none();
            continue;
        }
        if (!is_obs) continue;
        if (n_buf + v.n_terms > cap) {
            cap = 2 * (n_buf + v.n_terms) + 16;
            obs_term *nb = realloc(buf, sizeof *buf * (size_t)cap);
            if (!nb) {
                free(buf);
                diag_internal("out of memory in `sum`");
                return none();
            }
            buf = nb;
        }
        memcpy(buf + n_buf, v.terms, sizeof *buf * (size_t)v.n_terms);
        n_buf += v.n_terms;
    }
    if (acc.kind == V_NONE) { /* every iteration was an empty inner sum */
        value z = mk_int(0, n->loc);
        z.empty_sum = 1;
        return z;
    }
    if (is_obs) {
        acc.terms = arena_alloc(cx->ar, sizeof *buf * (size_t)n_buf);
        memcpy(acc.terms, buf, sizeof *buf * (size_t)n_buf);
        acc.n_terms = n_buf;
        free(buf);
    }
    acc.loc = n->loc;
    return acc;
}

/* q[a..b]: wires a, a+1, ..., b-1 of a register, itself a register. */
static value eval_slice(elab_ctx *cx, env *e, ast_node *n) {
    if (n->flag) { /* written q[a:b], as in Python */
        elab_error(cx, n->loc, "slices are written with `..`: `q[a..b]` (b excluded, as in "
                               "Python's `q[a:b]`)");
        return none();
    }
    value base = elab_eval(cx, e, n->a);
    if (base.kind == V_NONE) return base;
    if (base.kind != V_REG || base.i) {
        elab_error(cx, n->loc, "only a qubit register can be sliced (`q[0..2]`), not %s",
                   base.kind == V_REG ? "a single qubit" : value_kind_name(base.kind));
        return none();
    }
    long long lo, hi;
    if (!elab_int(cx, e, n->b, 0, base.n_wires, "qubit index", &lo)) return none();
    if (!elab_int(cx, e, n->c, 0, base.n_wires, "qubit index", &hi)) return none();
    if (hi <= lo) {
        elab_error(cx, n->loc, "the qubit range %lld..%lld is empty (the upper bound is excluded)",
                   lo, hi);
        return none();
    }
    value v = base;
    v.n_wires = (int)(hi - lo);
    v.wires = base.wires + lo;
    v.loc = ast_span(base.loc, n->loc);
    return v;
}

/* div(a, b): integer division (`//` starts a comment, §2.2), Euclidean so that
 * a == div(a, b) * b + a % b with a % b in [0, |b|): floor(a / b) for b > 0.
 * len(x): the first dimension of a tensor, the size of a register, the length of a list. */
static value eval_int_function(elab_ctx *cx, env *e, ast_node *n) {
    int is_div = n->name[0] == 'd', want = is_div ? 2 : 1;
    if (n->list.n != want) {
        elab_error(cx, n->loc, is_div ? "`div` takes two integers, e.g. `div(n - 1, 2)`"
                                      : "`len` takes one tensor, register or list");
        return none();
    }
    for (int k = 0; k < n->list.n; k++)
        if (n->list.items[k]->kind == AST_NAMED) {
            elab_error(cx, n->list.items[k]->loc, "the arguments of `%s` are positional", n->name);
            return none();
        }
    if (is_div) {
        long long a, b;
        if (!elab_int(cx, e, n->list.items[0], -2147483647LL, 2147483647LL, "the dividend of `div`", &a) ||
            !elab_int(cx, e, n->list.items[1], -2147483647LL, 2147483647LL, "the divisor of `div`", &b))
            return none();
        if (b == 0) {
            elab_error(cx, n->list.items[1]->loc, "division by zero");
            return none();
        }
        long long r = a % b;
        if (r < 0) r += b < 0 ? -b : b;
        return mk_int((a - r) / b, n->loc);
    }
    value v = elab_eval(cx, e, n->list.items[0]);
    if (v.kind == V_NONE) return v;
    if (v.kind == V_TENSOR && v.rank > 0) return mk_int(v.dims[0], n->loc);
    if (v.kind == V_REG) return mk_int(v.n_wires, n->loc);
    if (v.kind == V_LIST) return mk_int(v.n_items, n->loc);
    elab_error(cx, n->list.items[0]->loc, "`len` needs a tensor of rank 1 or more, a register or a "
                                          "list, not %s", v.kind == V_TENSOR ? "a scalar" : value_kind_name(v.kind));
    return none();
}

/* atan2(y, x): the angle of the point (x, y), C's argument order. The one two-argument
 * math function; amplitude embedding (lower.c) builds the same node for signed amplitudes. */
static value eval_atan2(elab_ctx *cx, env *e, ast_node *n) {
    if (n->list.n != 2 || n->list.items[0]->kind == AST_NAMED || n->list.items[1]->kind == AST_NAMED) {
        elab_error(cx, n->loc, "`atan2` takes two arguments, `atan2(y, x)`");
        return none();
    }
    value y = scalar_tensor_to_angle(cx, elab_eval(cx, e, n->list.items[0]));
    if (y.kind == V_NONE) return y;
    value x = scalar_tensor_to_angle(cx, elab_eval(cx, e, n->list.items[1]));
    if (x.kind == V_NONE) return x;
    if (is_number(&y) && is_number(&x)) return mk_real(atan2(num(&y), num(&x)), n->loc);
    if (!(is_number(&y) || y.kind == V_ANGLE) || !(is_number(&x) || x.kind == V_ANGLE) || !cx->circ) {
        elab_error(cx, n->loc, "`atan2` needs numbers, not %s",
                   value_kind_name(is_number(&y) || y.kind == V_ANGLE ? x.kind : y.kind));
        return none();
    }
    value r = y;
    r.kind = V_ANGLE;
    r.expr = ir_binary(cx->circ, IR_EXPR_ATAN2, elab_angle_node(cx, &y), elab_angle_node(cx, &x));
    r.loc = n->loc;
    return r;
}

static value eval_call(elab_ctx *cx, env *e, ast_node *n) {
    if (strcmp(n->name, "hermitian") == 0 && !cx->in_setting) return eval_hermitian(cx, e, n);
    if (n->flag) { /* `expval NAME(...) q[0];` */
        elab_error(cx, n->loc, "`%s(...)` does not take qubits after it; that form is for "
                               "`hermitian(M) q[0]`", n->name);
        return none();
    }
    if (strlen(n->name) == 1 && strchr("XYZI", n->name[0]) && !cx->in_setting)
        return eval_pauli(cx, e, n, n->name[0]);
    if ((strcmp(n->name, "var") == 0 || strcmp(n->name, "probs") == 0) && !cx->in_setting) {
        elab_error(cx, n->loc, "`%s` is a measurement: write it as a statement, `%s(...);`, or "
                               "as `expval %s(...);`", n->name, n->name, n->name);
        return none();
    }
    if (strcmp(n->name, "div") == 0 || strcmp(n->name, "len") == 0) return eval_int_function(cx, e, n);
    if (strcmp(n->name, "atan2") == 0 && !cx->in_setting) return eval_atan2(cx, e, n);
    if (strcmp(n->name, "uniform") == 0 && !cx->in_setting && cx->circ) {
        /* a fresh draw in [0, 1) per call and per sample (docs/semantics.md §10.3) */
        if (n->list.n != 0) {
            elab_error(cx, n->loc, "`uniform()` in a circuit takes no arguments: it is a draw in "
                                   "[0, 1); scale it, e.g. `rx(pi + e * uniform()) q[0];`");
            return none();
        }
        value a = none();
        a.kind = V_ANGLE;
        a.loc = n->loc;
        a.expr = ir_uniform(cx->circ);
        return a;
    }
    int fn = elab_is_math_function(n->name);
    if (fn) {
        if (n->list.n != 1 || n->list.items[0]->kind == AST_NAMED) {
            elab_error(cx, n->loc, "`%s` takes one argument", n->name);
            return none();
        }
        value a = scalar_tensor_to_angle(cx, elab_eval(cx, e, n->list.items[0]));
        if (a.kind == V_NONE) return a;
        if (is_number(&a)) {
            double x = num(&a), r;
            switch (math_kinds[fn - 1]) {
            case IR_EXPR_SIN: r = sin(x); break;
            case IR_EXPR_COS: r = cos(x); break;
            case IR_EXPR_TAN: r = tan(x); break;
            case IR_EXPR_EXP: r = exp(x); break;
            case IR_EXPR_LOG: r = log(x); break;
            case IR_EXPR_SQRT: r = sqrt(x); break;
            case IR_EXPR_TANH: r = tanh(x); break;
            case IR_EXPR_ATAN: r = atan(x); break;
            case IR_EXPR_ASIN: r = asin(x); break;
            default: r = acos(x); break;
            }
            if (!isfinite(r)) {
                elab_error(cx, n->loc, "`%s(%g)` is not a finite number", n->name, x);
                return none();
            }
            return mk_real(r, n->loc);
        }
        if (a.kind == V_ANGLE && cx->circ) {
            a.expr = ir_unary(cx->circ, math_kinds[fn - 1], a.expr);
            a.loc = n->loc;
            return a;
        }
        elab_error(cx, n->loc, "`%s` needs a number, not %s", n->name, value_kind_name(a.kind));
        return none();
    }
    if (cx->in_setting) {
        value v = none();
        v.kind = V_CALL;
        v.s = n->name;
        v.loc = n->loc;
        v.n_items = n->list.n;
        v.items = arena_alloc(cx->ar, sizeof(value) * (size_t)(n->list.n + 1));
        v.names = arena_alloc(cx->ar, sizeof(char *) * (size_t)(n->list.n + 1));
        for (int i = 0; i < n->list.n; i++) {
            ast_node *arg = n->list.items[i];
            if (arg->kind == AST_NAMED) {
                for (int j = 0; j < i; j++)
                    if (v.names[j] && strcmp(v.names[j], arg->name) == 0) {
                        elab_error(cx, arg->loc, "argument `%s` is given twice", arg->name);
                        return none();
                    }
                v.names[i] = arg->name;
                v.items[i] = elab_eval(cx, e, arg->a);
            } else {
                v.items[i] = elab_eval(cx, e, arg);
            }
            if (v.items[i].kind == V_NONE) return none();
        }
        return v;
    }
    const char *cands[N_MATH + 5];
    for (int i = 0; i < N_MATH; i++) cands[i] = math_functions[i];
    cands[N_MATH] = "X";
    cands[N_MATH + 1] = "Y";
    cands[N_MATH + 2] = "Z";
    cands[N_MATH + 3] = "atan2";
    const char *hint = diag_pennylane_name(n->name, 1);
    if (!hint) hint = diag_suggest(n->name, cands, N_MATH + 4);
    elab_error_hint(cx, n->loc, hint, "unknown function `%s`", n->name);
    return none();
}

static value eval_node(elab_ctx *cx, env *e, ast_node *n);

/* Deeply nested expressions (1+1+...+1, thousands of terms) would exhaust the stack. */
enum { MAX_EXPR_DEPTH = 200 };

value elab_eval(elab_ctx *cx, env *e, ast_node *n) {
    if (cx->depth >= MAX_EXPR_DEPTH) {
        if (cx->depth == MAX_EXPR_DEPTH)
            elab_error(cx, n->loc, "expression nests too deeply (more than %d levels)", MAX_EXPR_DEPTH);
        cx->depth++;
        value v = none();
        cx->depth--;
        return v;
    }
    cx->depth++;
    value v = eval_node(cx, e, n);
    cx->depth--;
    return v;
}

static value eval_node(elab_ctx *cx, env *e, ast_node *n) {
    switch (n->kind) {
    case AST_NUM:
        return n->op ? mk_int(n->ival, n->loc) : mk_real(n->num, n->loc);
    case AST_STR: {
        value v = none();
        v.kind = V_STR;
        v.s = n->str;
        v.loc = n->loc;
        return v;
    }
    case AST_IDENT: return eval_ident(cx, e, n);
    case AST_INDEX: return eval_index(cx, e, n);
    case AST_BINOP: return eval_binop(cx, e, n);
    case AST_UNOP: return eval_unop(cx, e, n);
    case AST_CALL: return eval_call(cx, e, n);
    case AST_SUM: return eval_sum(cx, e, n);
    case AST_SLICE: return eval_slice(cx, e, n);
    case AST_LIST: {
        value v = none();
        v.kind = V_LIST;
        v.loc = n->loc;
        v.n_items = n->list.n;
        v.items = arena_alloc(cx->ar, sizeof(value) * (size_t)(n->list.n + 1));
        for (int i = 0; i < n->list.n; i++) {
            v.items[i] = elab_eval(cx, e, n->list.items[i]);
            if (v.items[i].kind == V_NONE) return none();
        }
        return v;
    }
    default:
        elab_error(cx, n->loc, "a %s is not allowed here", ast_kind_name(n->kind));
        return none();
    }
}

int elab_int(elab_ctx *cx, env *e, ast_node *n, long long lo, long long hi, const char *what,
             long long *out) {
    value v = elab_eval(cx, e, n);
    if (v.kind == V_NONE) return 0;
    long long i;
    if (v.kind == V_INT) {
        i = v.i;
    } else if (v.kind == V_REAL && v.r == floor(v.r) && fabs(v.r) < 2147483648.0) {
        i = (long long)v.r;
    } else if (v.kind == V_REAL && v.r == floor(v.r)) {
        elab_error(cx, n->loc, "%s %.0f is out of range (%lld to %lld)", what, v.r, lo, hi);
        return 0;
    } else {
        elab_error(cx, n->loc, "%s must be a compile-time integer, not %s", what,
                   v.kind == V_REAL ? "a fractional number"
                   : v.kind == V_ANGLE ? "a value that depends on parameters or inputs"
                                       : value_kind_name(v.kind));
        if (v.kind == V_REAL && n->kind == AST_BINOP && n->op == '/')
            diag_note((src_loc){0, 0, 0, 0}, "`/` divides exactly; integer division is `div(a, b)` "
                                             "(`//` starts a comment)");
        return 0;
    }
    if (i < lo || i > hi) {
        if (lo == 0 && hi >= 0)
            elab_error(cx, n->loc, "%s %lld is out of range (0 to %lld)", what, i, hi);
        else
            elab_error(cx, n->loc, "%s %lld is out of range (%lld to %lld)", what, i, lo, hi);
        return 0;
    }
    *out = i;
    return 1;
}

int elab_real(elab_ctx *cx, env *e, ast_node *n, const char *what, double *out) {
    value v = elab_eval(cx, e, n);
    if (v.kind == V_NONE) return 0;
    if (!is_number(&v)) {
        elab_error(cx, n->loc, "%s must be a compile-time number, not %s", what,
                   v.kind == V_ANGLE ? "a value that depends on parameters or inputs"
                                     : value_kind_name(v.kind));
        return 0;
    }
    *out = num(&v);
    return 1;
}

/* The shape of a list used as a tensor: regular nesting, numbers or angles at the leaves.
 * Returns the rank (dims filled), or -1 after reporting. */
static int list_shape(elab_ctx *cx, const value *v, int *dims, int max_rank) {
    if (v->kind != V_LIST) {
        value a = scalar_tensor_to_angle(cx, *v);
        if (is_number(&a) || a.kind == V_ANGLE) return 0;
        elab_error(cx, v->loc, "a list used as a tensor holds numbers or angles, not %s",
                   value_kind_name(v->kind));
        return -1;
    }
    if (v->n_items == 0 || max_rank == 0) {
        elab_error(cx, v->loc, v->n_items ? "a list used as a tensor nests at most 8 deep"
                                          : "an empty list cannot be used as a tensor");
        return -1;
    }
    int sub[8], r = list_shape(cx, &v->items[0], sub, max_rank - 1);
    if (r < 0) return -1;
    for (int i = 1; i < v->n_items; i++) {
        int other[8], r2 = list_shape(cx, &v->items[i], other, max_rank - 1);
        if (r2 < 0) return -1;
        if (r2 != r || memcmp(sub, other, sizeof(int) * (size_t)r) != 0) {
            elab_error(cx, v->items[i].loc, "a list used as a tensor must be rectangular: entry %d "
                                            "differs in shape from entry 0", i);
            return -1;
        }
    }
    dims[0] = v->n_items;
    memcpy(dims + 1, sub, sizeof(int) * (size_t)r);
    return r + 1;
}

static int bind_formal(elab_ctx *cx, const char *callee, ast_node *f, value v, src_loc at,
                       env *callee_env) {
    switch (f->op) {
    case FORMAL_INT:
        if (v.kind == V_REAL && v.r == floor(v.r) && fabs(v.r) < 2147483648.0) v = mk_int((long long)v.r, v.loc);
        if (v.kind != V_INT) {
            elab_error(cx, at, "argument `%s` of `%s` must be an integer, not %s", f->name, callee,
                       v.kind == V_REAL ? "a fractional number" : value_kind_name(v.kind));
            return 0;
        }
        break;
    case FORMAL_FLOAT:
        if (v.kind == V_INT) v = mk_real((double)v.i, v.loc);
        if (v.kind != V_REAL) {
            elab_error(cx, at, "argument `%s` of `%s` must be a number, not %s", f->name, callee,
                       value_kind_name(v.kind));
            return 0;
        }
        break;
    case FORMAL_GATE:
        if (v.kind != V_GATE) {
            elab_error(cx, at, "argument `%s` of `%s` must be a gate, not %s", f->name, callee,
                       value_kind_name(v.kind));
            return 0;
        }
        break;
    case FORMAL_ANGLE:
        v = scalar_tensor_to_angle(cx, v);
        if (!is_number(&v) && v.kind != V_ANGLE) {
            elab_error(cx, at, "argument `%s` of `%s` must be an angle, not %s", f->name, callee,
                       value_kind_name(v.kind));
            return 0;
        }
        break;
    case FORMAL_TENSOR: {
        int rank = 0, dims[8];
        if (v.kind == V_LIST) { /* a list literal, `[w[0], x[1], 0.5]` (§4.8.5) */
            rank = list_shape(cx, &v, dims, 8);
            if (rank < 0) return 0;
            if (rank != f->list.n) {
                elab_error(cx, at, "argument `%s` of `%s` must be a tensor of rank %d, not a list "
                                   "of rank %d", f->name, callee, f->list.n, rank);
                return 0;
            }
            for (int d = 0; d < rank; d++) {
                ast_node *dim = f->list.items[d];
                if (dim->kind == AST_IDENT && !env_lookup(callee_env, dim->name)) {
                    env_bind(cx->ar, callee_env, dim->name, mk_int(dims[d], dim->loc));
                    continue;
                }
                long long want;
                if (!elab_int(cx, callee_env, dim, 0, 2147483647LL, "dimension", &want)) return 0;
                if (want != dims[d]) {
                    elab_error(cx, at, "argument `%s` of `%s` has %d entries in dimension %d, "
                                       "which must be %lld", f->name, callee, dims[d], d, want);
                    return 0;
                }
            }
            break;
        }
        if (v.kind != V_TENSOR || v.rank != f->list.n) {
            char shape[128] = "";
            if (v.kind == V_TENSOR) describe_shape(&v, shape, sizeof shape);
            elab_error(cx, at, "argument `%s` of `%s` must be a tensor of rank %d, not %s%s%s",
                       f->name, callee, f->list.n,
                       v.kind == V_TENSOR ? "a tensor of shape " : value_kind_name(v.kind), shape,
                       "");
            return 0;
        }
        for (int d = 0; d < f->list.n; d++) {
            ast_node *dim = f->list.items[d];
            if (dim->kind == AST_IDENT && !env_lookup(callee_env, dim->name)) {
                env_bind(cx->ar, callee_env, dim->name, mk_int(v.dims[d], dim->loc));
                continue;
            }
            long long want;
            if (!elab_int(cx, callee_env, dim, 0, 2147483647LL, "dimension", &want)) return 0;
            if (want != v.dims[d]) {
                char shape[128];
                describe_shape(&v, shape, sizeof shape);
                elab_error(cx, at, "argument `%s` of `%s` has shape %s, but dimension %d must be %lld",
                           f->name, callee, shape, d, want);
                return 0;
            }
        }
        break;
    }
    default: break;
    }
    env_bind(cx->ar, callee_env, f->name, v);
    return 1;
}

int elab_bind_args(elab_ctx *cx, const char *callee, const ast_list *formals, const ast_list *args,
                   src_loc call_loc, env *caller, env *callee_env) {
    ast_node *given[64] = {0};
    if (formals->n > 64) {
        elab_error(cx, call_loc, "`%s` has more than 64 parameters", callee);
        return 0;
    }
    int seen_named = 0, positional = 0, ok = 1;
    for (int i = 0; i < args->n; i++) {
        ast_node *a = args->items[i];
        if (a->kind != AST_NAMED) {
            if (seen_named) {
                elab_error(cx, a->loc, "positional argument after a named one");
                return 0;
            }
            if (positional >= formals->n) {
                elab_error(cx, a->loc, "too many arguments for `%s` (it takes %d)", callee, formals->n);
                return 0;
            }
            given[positional++] = a;
            continue;
        }
        seen_named = 1;
        int k = -1;
        for (int j = 0; j < formals->n; j++)
            if (strcmp(formals->items[j]->name, a->name) == 0) k = j;
        if (k < 0) {
            const char *cands[64];
            for (int j = 0; j < formals->n; j++) cands[j] = formals->items[j]->name;
            const char *hint = diag_suggest(a->name, cands, formals->n);
            elab_error_hint(cx, a->loc, hint, "`%s` has no parameter `%s`", callee, a->name);
            ok = 0;
            continue;
        }
        if (given[k]) {
            elab_error(cx, a->loc, "argument `%s` is given twice", a->name);
            ok = 0;
            continue;
        }
        given[k] = a->a;
    }
    if (!ok) return 0;
    for (int j = 0; j < formals->n; j++) {
        ast_node *f = formals->items[j];
        value v;
        src_loc at;
        if (given[j]) {
            v = elab_eval(cx, caller, given[j]);
            at = given[j]->loc;
        } else if (f->a) {
            v = elab_eval(cx, callee_env, f->a);
            at = f->a->loc;
        } else {
            elab_error(cx, call_loc, "missing argument `%s` of `%s`", f->name, callee);
            return 0;
        }
        if (v.kind == V_NONE || !bind_formal(cx, callee, f, v, at, callee_env)) return 0;
    }
    return 1;
}
