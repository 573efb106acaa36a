/* Circuit lowering: walks a circuit body with concrete values, unrolling loops and inlining
 * gate templates, and emits circuit IR (see ir.h). */
#include "lower.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "diag.h"
#include "embed.h"
#include "gates.h"

enum { MAX_TENSOR_ELEMENTS = 1 << 24, MAX_OPS = 1 << 20 };

typedef struct {
    elab_ctx *cx;
    ast_node *circuit;
    int failed_decl; /* `qubits` failed: everything after would cascade */
    int template_depth;
    src_loc first_expval;   /* outputs are measured at the end: no gate may follow them */
    int measured;
    const char *inputs[64]; /* names of the inputs declared so far */
    int n_inputs;
    int loop_depth;
    /* `let`s that shadowed a name and were unused in some elaboration: warned about at the
     * end unless another elaboration (a later iteration, another expansion) used them */
    struct dead_let { ast_node *let; int in_loop, used; } *dead;
    int n_dead, cap_dead;
    int *dead_index; /* open addressing over the `let` node's address: index into dead, or -1 */
    int cap_index;
    /* every name bound so far: a `let` of a new name cannot hide anything, so only a
     * repeated one walks the environment (a file of 100000 distinct `let`s stays linear) */
    const char **names;
    int n_names, cap_names;
    /* Inside adj(...) / ctrl(...): gates are recorded here (gates.h items) for the modifier
     * to transform, and emitted when the outermost modifier is done. */
    gx_seq *rec;
    int modifier_depth;
    /* where each readout_error op was written, in op order (check_readout reports there) */
    src_loc *readout_loc;
    int n_readout, cap_readout;
} lowering;

enum { MAX_PROBS_WIRES = IR_MAX_PROB_WIRES };

static void lower_block(lowering *L, env *e, ast_node *block);

/* The built-in templates whose gates are computed (embed.h), recognised by name after the
 * file's own templates. */
static const char *const native_names[] = {"amplitude_embedding", "basis_embedding", "random_layers"};

static unsigned long name_hash(const char *s) {
    unsigned long h = 5381;
    for (; *s; s++) h = h * 33 + (unsigned char)*s;
    return h;
}

static int name_seen(const lowering *L, const char *name) {
    if (!L->cap_names) return 0;
    for (unsigned long i = name_hash(name) & (unsigned long)(L->cap_names - 1);; i = (i + 1) & (unsigned long)(L->cap_names - 1)) {
        if (!L->names[i]) return 0;
        if (strcmp(L->names[i], name) == 0) return 1;
    }
}

static void name_add(lowering *L, const char *name) {
    if (name_seen(L, name)) return;
    if (2 * (L->n_names + 1) > L->cap_names) { /* open addressing, at most half full */
        int cap = L->cap_names ? 2 * L->cap_names : 64;
        const char **t = arena_alloc(L->cx->ar, sizeof *t * (size_t)cap);
        memset(t, 0, sizeof *t * (size_t)cap);
        for (int k = 0; k < L->cap_names; k++)
            if (L->names[k]) {
                unsigned long i = name_hash(L->names[k]) & (unsigned long)(cap - 1);
                while (t[i]) i = (i + 1) & (unsigned long)(cap - 1);
                t[i] = L->names[k];
            }
        L->names = t;
        L->cap_names = cap;
    }
    unsigned long i = name_hash(name) & (unsigned long)(L->cap_names - 1);
    while (L->names[i]) i = (i + 1) & (unsigned long)(L->cap_names - 1);
    L->names[i] = name;
    L->n_names++;
}

/* env_bind, remembering the name. */
static void bind(lowering *L, env *e, const char *name, value v) {
    env_bind(L->cx->ar, e, name, v);
    name_add(L, name);
}

/* Names bound by elab_bind_args (formals) down to `stop` (the globals, added once). */
static void add_env_names(lowering *L, const env *e, const binding *stop) {
    for (const binding *b = e->head; b && b != stop; b = b->next) name_add(L, b->name);
}

static void lower_var(lowering *L, env *e, ast_node *s, const ast_list *args);
static void lower_probs(lowering *L, env *e, ast_node *s, const ast_list *args);

double lower_state_bytes(int n_qubits) { return ldexp(16.0, n_qubits); }

static void format_bytes(double b, char *buf, size_t n) {
    const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (b >= 1024 && u < 6) {
        b /= 1024;
        u++;
    }
    snprintf(buf, n, "%.0f %s", b, units[u]);
}

/* A gate more: refuses circuits too large to simulate usefully, before memory runs out. */
static int room_for_gate(lowering *L, src_loc loc) {
    if (L->cx->circ->n_ops < MAX_OPS) return 1;
    elab_error(L->cx, loc, "the circuit has more than %d gates", MAX_OPS);
    L->failed_decl = 1;
    return 0;
}

/* One gate item: recorded inside a modifier, else decomposed into primitive ops. */
static int put_item(lowering *L, src_loc loc, const gx_item *it) {
    if (L->rec) {
        if (gx_push(L->rec, it)) return 1;
        elab_error(L->cx, loc, "out of memory");
        L->failed_decl = 1;
        return 0;
    }
    if (!room_for_gate(L, loc)) return 0;
    int n = gx_emit(L->cx->circ, it, loc.line, loc.col, MAX_OPS - L->cx->circ->n_ops);
    if (n >= 0) return 1;
    if (n == -2) diag_internal("gate expansion: no rule for gate kind %d with %d controls", it->g,
                               it->nctrl);
    else elab_error(L->cx, loc, "the circuit has more than %d gates", MAX_OPS);
    L->failed_decl = 1;
    return 0;
}

static int count_steps(lowering *L, src_loc loc) {
    if (++L->cx->steps > L->cx->max_steps) {
        if (L->cx->steps == L->cx->max_steps + 1)
            elab_error(L->cx, loc, "the circuit is too large: more than %lld statements after "
                                   "unrolling loops", L->cx->max_steps);
        return 0;
    }
    return 1;
}

static int need_circuit(lowering *L, ast_node *s) {
    if (L->cx->circ) return 1;
    if (s->kind == AST_INPUT || s->kind == AST_PARAM)
        elab_error(L->cx, s->loc, "declare the qubits (`qubits q[n];`) first: `%s` must come after it",
                   s->kind == AST_INPUT ? "input" : "param");
    else
        elab_error(L->cx, s->loc, "declare the qubits (`qubits q[n];`) before using them");
    L->failed_decl = 1;
    return 0;
}

static void declare_qubits(lowering *L, env *e, ast_node *s) {
    elab_ctx *cx = L->cx;
    if (cx->circ) {
        elab_error(cx, s->loc, "a circuit declares its qubits once");
        return;
    }
    long long n;
    value v = elab_eval(cx, e, s->a);
    if (v.kind == V_INT && v.i > cx->max_qubits) {
        char need[64];
        format_bytes(lower_state_bytes((int)(v.i < 62 ? v.i : 62)), need, sizeof need);
        elab_error(cx, s->a->loc, "%lld qubits are too many: the state vector would need %s per "
                                  "sample (the limit is %d qubits; see --max-qubits)",
                   v.i, need, cx->max_qubits);
        L->failed_decl = 1;
        return;
    }
    if (!elab_int(cx, e, s->a, 1, cx->max_qubits, "qubit count", &n)) {
        L->failed_decl = 1;
        return;
    }
    cx->circ = ir_new(L->circuit->name, (int)n, 0);
    value r;
    memset(&r, 0, sizeof r);
    r.kind = V_REG;
    r.loc = s->loc;
    r.n_wires = (int)n;
    r.wires = arena_alloc(cx->ar, sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) r.wires[i] = i;
    bind(L, e, s->name, r);
}

/* input x[n] / param w[a][b] init f(...): shapes are compile-time, bounded. */
static int tensor_shape(lowering *L, env *e, ast_node *s, value *t) {
    memset(t, 0, sizeof *t);
    t->kind = V_TENSOR;
    t->loc = s->loc;
    t->tensor_name = s->name;
    if (s->list.n > 8) {
        elab_error(L->cx, s->loc, "tensors have at most 8 dimensions");
        return 0;
    }
    long long size = 1;
    for (int d = 0; d < s->list.n; d++) {
        long long dim;
        if (!elab_int(L->cx, e, s->list.items[d], 1, MAX_TENSOR_ELEMENTS, "dimension", &dim)) return 0;
        t->dims[d] = (int)dim;
        size *= dim;
        if (size > MAX_TENSOR_ELEMENTS) {
            elab_error(L->cx, s->list.items[d]->loc, "tensor `%s` is too large (more than %d elements)",
                       s->name, MAX_TENSOR_ELEMENTS);
            return 0;
        }
    }
    t->rank = s->list.n;
    int stride = 1;
    for (int d = t->rank - 1; d >= 0; d--) {
        t->strides[d] = stride;
        stride *= t->dims[d];
    }
    return (int)size;
}

/* Parameter and input names become checkpoint names: each must be unique in its circuit. */
static int fresh_tensor_name(lowering *L, ast_node *s) {
    ir_circuit *c = L->cx->circ;
    for (int t = 0; t < c->n_tensors; t++)
        if (strcmp(c->tensors[t].name, s->name) == 0) {
            elab_error(L->cx, s->loc, "`%s` is already declared in this circuit", s->name);
            return 0;
        }
    for (int i = 0; i < L->n_inputs; i++)
        if (strcmp(L->inputs[i], s->name) == 0) {
            elab_error(L->cx, s->loc, "`%s` is already declared in this circuit", s->name);
            return 0;
        }
    return 1;
}

static void declare_input(lowering *L, env *e, ast_node *s) {
    if (!need_circuit(L, s) || !fresh_tensor_name(L, s)) return;
    value t;
    int size = tensor_shape(L, e, s, &t);
    if (!size) {
        L->failed_decl = 1; /* every use of the name would report the same cause again */
        return;
    }
    if (L->cx->circ->n_inputs + size > MAX_TENSOR_ELEMENTS) {
        elab_error(L->cx, s->loc, "too many inputs");
        return;
    }
    if (L->n_inputs < 64) L->inputs[L->n_inputs++] = s->name;
    t.is_input = 1;
    t.offset = L->cx->circ->n_inputs;
    L->cx->circ->n_inputs += size;
    bind(L, e, s->name, t);
}

static void declare_param(lowering *L, env *e, ast_node *s) {
    if (!need_circuit(L, s) || !fresh_tensor_name(L, s)) return;
    elab_ctx *cx = L->cx;
    value t;
    int size = tensor_shape(L, e, s, &t);
    L->failed_decl = 1; /* until the declaration succeeds: uses of the name would cascade */
    if (!size) return;
    if (cx->circ->n_params + size > MAX_TENSOR_ELEMENTS) {
        elab_error(cx, s->loc, "too many parameters");
        return;
    }
    ir_init_kind init = IR_INIT_UNIFORM;
    double a = 0, b = 2 * 3.14159265358979323846;
    if (s->a) {
        ast_node *c = s->a;
        const char *name = c->kind == AST_CALL ? c->name : "";
        int want = -1;
        if (strcmp(name, "uniform") == 0) init = IR_INIT_UNIFORM, want = 2;
        else if (strcmp(name, "normal") == 0) init = IR_INIT_NORMAL, want = 2;
        else if (strcmp(name, "constant") == 0) init = IR_INIT_CONST, want = 1;
        if (want < 0) {
            const char *cands[] = {"uniform", "normal", "constant"};
            const char *hint = c->kind == AST_CALL ? diag_suggest(name, cands, 3) : NULL;
            elab_error_hint(cx, c->loc, hint, "unknown initialisation: use uniform(lo, hi), normal(mean, std) "
                                   "or constant(value)");
            return;
        }
        if (c->list.n != want) {
            elab_error(cx, c->loc, "`%s` takes %d argument%s", name, want, want == 1 ? "" : "s");
            return;
        }
        if (!elab_real(cx, e, c->list.items[0], "initialisation argument", &a)) return;
        b = 0;
        if (want == 2 && !elab_real(cx, e, c->list.items[1], "initialisation argument", &b)) return;
        if (init == IR_INIT_UNIFORM && !(b > a)) {
            elab_error(cx, c->loc, "uniform(lo, hi) needs lo < hi");
            return;
        }
        if (init == IR_INIT_NORMAL && !(b >= 0)) {
            elab_error(cx, c->loc, "normal(mean, std) needs std >= 0");
            return;
        }
    }
    t.offset = ir_add_tensor(cx->circ, s->name, t.rank, t.dims, init, a, b);
    bind(L, e, s->name, t);
    L->failed_decl = 0;
}

/* Qubit arguments of an application: each a register (whole or one wire). */
static int eval_qargs(lowering *L, env *e, ast_node *s, value *out, int max) {
    if (s->list2.n > max) {
        elab_error(L->cx, s->loc, "too many qubit arguments");
        return -1;
    }
    for (int i = 0; i < s->list2.n; i++) {
        out[i] = elab_eval(L->cx, e, s->list2.items[i]);
        if (out[i].kind == V_NONE) return -1;
        if (out[i].kind != V_REG) {
            elab_error(L->cx, s->list2.items[i]->loc, "expected qubits, got %s",
                       value_kind_name(out[i].kind));
            return -1;
        }
    }
    return s->list2.n;
}

/* The angles of a gate statement into angles[0..n_angles): expression nodes. */
/* Is argument `a` written as qubits (`q[0]`, `q`, `wires = ...`)? Only its form is read. */
static int looks_like_qubits(env *e, const ast_node *a) {
    if (a->kind == AST_NAMED) return strcmp(a->name, "wires") == 0;
    while (a->kind == AST_INDEX || a->kind == AST_SLICE) a = a->a;
    if (a->kind != AST_IDENT) return 0;
    const value *v = env_lookup(e, a->name);
    return v && v->kind == V_REG;
}

static int eval_angles(lowering *L, env *e, ast_node *s, const char *name, int n_angles,
                       int arity, const ast_list *args, int *angles) {
    elab_ctx *cx = L->cx;
    for (int k = 0; k < args->n && s->list2.n == 0; k++)
        if (looks_like_qubits(e, args->items[k])) {
            /* PennyLane's call style, qml.CNOT(wires=[0, 1]) or qml.RX(0.1, wires=0) */
            elab_error(cx, args->items[k]->loc, "the qubits of a gate follow it, outside the "
                       "parentheses: write `%s%s q[0]%s;`", name, n_angles ? "(angle)" : "",
                       arity == 2 ? ", q[1]" : arity == 3 ? ", q[1], q[2]" : "");
            return 0;
        }
    if (args->n != n_angles) {
        elab_error(cx, s->loc, "`%s` takes %d angle%s, got %d", name, n_angles,
                   n_angles == 1 ? "" : "s", args->n);
        return 0;
    }
    for (int k = 0; k < n_angles; k++) {
        ast_node *a = args->items[k];
        if (a->kind == AST_NAMED) {
            elab_error(cx, a->loc, "gate angles are positional");
            return 0;
        }
        value v = elab_eval(cx, e, a);
        if (v.kind == V_NONE) return 0;
        angles[k] = elab_angle_node(cx, &v);
        if (angles[k] < 0) {
            elab_error(cx, a->loc, "an angle must be a number or an expression of parameters and "
                                   "inputs, not %s", value_kind_name(v.kind));
            return 0;
        }
    }
    return 1;
}

/* Distinct single wires from qubit arguments (registers flattened when `flatten`). */
static int distinct_wires(lowering *L, ast_node *s, const char *name, const value *q, int nq,
                          int flatten, int *wires, int max) {
    int n = 0;
    for (int i = 0; i < nq; i++) {
        if (!flatten && q[i].n_wires != 1) {
            elab_error(L->cx, s->list2.items[i]->loc, "`%s` needs single qubits, got %d", name,
                       q[i].n_wires);
            return -1;
        }
        for (int j = 0; j < q[i].n_wires; j++) {
            for (int k = 0; k < n; k++)
                if (wires[k] == q[i].wires[j]) {
                    elab_error(L->cx, s->loc, "`%s` needs different qubits, got qubit %d twice",
                               name, wires[k]);
                    return -1;
                }
            if (n == max) {
                elab_error(L->cx, s->loc, "`%s` acts on at most %d qubits", name, max);
                return -1;
            }
            wires[n++] = q[i].wires[j];
        }
    }
    return n;
}

/* rzz, toffoli, ...: gates.h expands them into primitive items. */
static void apply_composite(lowering *L, env *e, ast_node *s, int k, const ast_list *args) {
    const char *name = gx_composite_name(k);
    int angles[3] = {-1, -1, -1}, arity = gx_composite_arity(k);
    if (!eval_angles(L, e, s, name, gx_composite_n_angles(k), arity, args, angles)) return;
    value q[IR_MAX_QUBITS];
    int nq = eval_qargs(L, e, s, q, IR_MAX_QUBITS);
    if (nq < 0) return;
    if (arity && nq != arity) {
        elab_error(L->cx, s->loc, "`%s` acts on %d qubits, got %d", name, arity, nq);
        return;
    }
    int wires[IR_MAX_QUBITS];
    int nw = distinct_wires(L, s, name, q, nq, arity == 0, wires, IR_MAX_QUBITS);
    if (nw < 0) return;
    if (nw == 0) {
        elab_error(L->cx, s->loc, "`%s` needs at least one qubit", name);
        return;
    }
    if (!count_steps(L, s->loc)) return;
    gx_seq seq = {0};
    if (!gx_expand_composite(L->cx->circ, k, wires, nw, angles, &seq)) {
        elab_error(L->cx, s->loc, "out of memory");
        L->failed_decl = 1;
    }
    for (int i = 0; i < seq.n && put_item(L, s->loc, &seq.items[i]); i++) {}
    gx_seq_free(&seq);
}

static void apply_builtin(lowering *L, env *e, ast_node *s, ir_gate g, const ast_list *args) {
    elab_ctx *cx = L->cx;
    const char *name = ir_gate_name(g);
    int n_angles = ir_gate_n_angles(g), arity = ir_gate_arity(g);
    int angles[3] = {-1, -1, -1};
    if (!eval_angles(L, e, s, name, n_angles, arity, args, angles)) return;
    value q[2];
    int nq = eval_qargs(L, e, s, q, 8);
    if (nq < 0) return;
    if (nq != arity) {
        elab_error(cx, s->loc, "`%s` acts on %d qubit%s, got %d", name, arity, arity == 1 ? "" : "s", nq);
        return;
    }
    /* A whole register on a single-qubit gate broadcasts: `h q;` applies h to every wire. */
    if (arity == 1) {
        for (int i = 0; i < q[0].n_wires; i++) {
            if (!count_steps(L, s->loc)) return;
            gx_item it = gx_prim(g, q[0].wires[i], -1, angles[0], angles[1], angles[2]);
            if (!put_item(L, s->loc, &it)) return;
        }
        return;
    }
    if (q[0].n_wires != 1 || q[1].n_wires != 1) {
        elab_error(cx, s->loc, "`%s` needs single qubits, e.g. `%s q[0], q[1];`", name, name);
        return;
    }
    if (q[0].wires[0] == q[1].wires[0]) {
        elab_error(cx, s->loc, "`%s` needs two different qubits, got qubit %d twice", name, q[0].wires[0]);
        return;
    }
    gx_item it = gx_prim(g, q[0].wires[0], q[1].wires[0], angles[0], angles[1], angles[2]);
    put_item(L, s->loc, &it);
}

static void apply_template(lowering *L, env *e, ast_node *s, ast_node *templ, const ast_list *args) {
    elab_ctx *cx = L->cx;
    /* A call is a step even when its body emits nothing (an error, a `let`): 40 templates
     * that each call the next twice are 2^40 calls, which must hit the limit, not run. */
    if (!count_steps(L, s->loc)) return;
    if (cx->n_calls >= 64) {
        elab_error(cx, s->loc, "gate templates nest too deeply (more than 64 levels)");
        return;
    }
    for (int i = 0; i < cx->n_calls; i++)
        if (strcmp(cx->call_names[i], templ->name) == 0) {
            elab_error(cx, s->loc, "gate `%s` uses itself: templates cannot be recursive", templ->name);
            return;
        }
    /* A template sees the globals and its own arguments, never the caller's locals. */
    env callee = *cx->globals;
    if (!elab_bind_args(cx, templ->name, &templ->list, args, s->loc, e, &callee)) return;
    add_env_names(L, &callee, cx->globals->head);
    value q[16];
    int nq = eval_qargs(L, e, s, q, 16);
    if (nq < 0) return;
    if (nq != templ->list2.n) {
        elab_error(cx, s->loc, "`%s` acts on %d qubit argument%s, got %d", templ->name,
                   templ->list2.n, templ->list2.n == 1 ? "" : "s", nq);
        return;
    }
    for (int i = 0; i < nq; i++) {
        ast_node *qf = templ->list2.items[i];
        if (!qf->a) {
            if (q[i].n_wires != 1) {
                elab_error(cx, s->list2.items[i]->loc, "`%s` expects a single qubit for `%s`, got %d",
                           templ->name, qf->name, q[i].n_wires);
                return;
            }
        } else if (qf->a->kind == AST_IDENT && !env_lookup(&callee, qf->a->name)) {
            value n;
            memset(&n, 0, sizeof n);
            n.kind = V_INT;
            n.i = q[i].n_wires;
            bind(L, &callee, qf->a->name, n);
        } else {
            long long want;
            if (!elab_int(cx, &callee, qf->a, 1, IR_MAX_QUBITS, "register size", &want)) return;
            if (want != q[i].n_wires) {
                elab_error(cx, s->list2.items[i]->loc, "`%s` expects %lld qubit%s for `%s`, got %d",
                           templ->name, want, want == 1 ? "" : "s", qf->name, q[i].n_wires);
                return;
            }
        }
        for (int j = 0; j < i; j++)
            for (int a = 0; a < q[i].n_wires; a++)
                for (int b = 0; b < q[j].n_wires; b++)
                    if (q[i].wires[a] == q[j].wires[b]) {
                        elab_error(cx, s->loc, "qubit %d is passed to `%s` twice", q[i].wires[a], templ->name);
                        return;
                    }
        bind(L, &callee, qf->name, q[i]);
    }
    cx->call_sites[cx->n_calls] = s->loc;
    cx->call_names[cx->n_calls] = templ->name;
    cx->n_calls++;
    L->template_depth++;
    lower_block(L, &callee, templ->a);
    L->template_depth--;
    cx->n_calls--;
}

/* A built-in primitive gate by name or alias, or -1. */
static int find_primitive(const char *name) {
    for (int g = 0; g < IR_FUSED_1Q; g++)
        if (strcmp(name, ir_gate_name((ir_gate)g)) == 0) return g;
    static const struct { const char *alias; ir_gate g; } aliases[] = {
        {"cx", IR_CNOT}, {"p", IR_PHASE}, {"cp", IR_CPHASE}, {"id", IR_I}};
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(name, aliases[i].alias) == 0) return aliases[i].g;
    return -1;
}

static void lower_apply(lowering *L, env *e, ast_node *s);

/* The constant matrix of `unitary(M)` (docs/language.md §4.6.4) into m (interleaved) and its
 * qubit count; 0 after reporting. */
static int unitary_matrix(lowering *L, env *e, ast_node *s, double *m) {
    elab_ctx *cx = L->cx;
    if (s->list.n != 1 || s->list.items[0]->kind == AST_NAMED) {
        elab_error(cx, s->loc, "`unitary` takes one matrix, e.g. `unitary([[0, 1], [1, 0]]) q[0];`");
        return 0;
    }
    value v = elab_eval(cx, e, s->list.items[0]);
    if (v.kind == V_NONE) return 0;
    double re[16], im[16];
    int d;
    if (!elab_read_matrix(cx, &v, "unitary", &d, re, im)) return 0;
    for (int i = 0; i < d * d; i++) {
        m[2 * i] = re[i];
        m[2 * i + 1] = im[i];
    }
    int n = d == 2 ? 1 : 2;
    double err = gx_unitarity_error(m, n);
    if (!(err <= 1e-10)) {
        elab_error(cx, v.loc, "the matrix of `unitary` is not unitary: U^dagger U differs from the "
                              "identity by %.3g (the tolerance is 1e-10)", err);
        return 0;
    }
    return n;
}

static void apply_unitary(lowering *L, env *e, ast_node *s) {
    double m[32];
    int n = unitary_matrix(L, e, s, m);
    if (!n) return;
    value q[2];
    int nq = eval_qargs(L, e, s, q, 2);
    if (nq < 0) return;
    if (nq != n) {
        elab_error(L->cx, s->loc, "`unitary` with a %dx%d matrix acts on %d qubit%s, got %d",
                   1 << n, 1 << n, n, n == 1 ? "" : "s", nq);
        return;
    }
    int wires[2];
    if (distinct_wires(L, s, "unitary", q, nq, 0, wires, 2) < 0 || !count_steps(L, s->loc)) return;
    gx_seq seq = {0};
    if (!gx_expand_unitary(L->cx->circ, m, n, wires, &seq)) {
        elab_error(L->cx, s->loc, "out of memory");
        L->failed_decl = 1;
    }
    for (int i = 0; i < seq.n && put_item(L, s->loc, &seq.items[i]); i++) {}
    gx_seq_free(&seq);
}

/* A channel statement by name, or -1. */
static int find_channel(const char *name) {
    for (int ch = 0; ch < IR_CH_COUNT; ch++)
        if (strcmp(name, ir_channel_name((ir_channel)ch)) == 0) return ch;
    return -1;
}

enum { MAX_KRAUS = 16 };

/* kraus(K0, K1, ...) q[..]: constant matrices of one size, trace preserving at 1e-10. */
static void apply_kraus(lowering *L, env *e, ast_node *s) {
    elab_ctx *cx = L->cx;
    const ast_list *args = &s->list;
    if (args->n < 1 || args->n > MAX_KRAUS) {
        elab_error(cx, s->loc, "`kraus` takes 1 to %d matrices, e.g. `kraus(K0, K1) q[0];`, got %d",
                   MAX_KRAUS, args->n);
        return;
    }
    static double mats[MAX_KRAUS * 2 * 16];
    int d = 0;
    for (int k = 0; k < args->n; k++) {
        if (args->items[k]->kind == AST_NAMED) {
            elab_error(cx, args->items[k]->loc, "the matrices of `kraus` are positional");
            return;
        }
        value v = elab_eval(cx, e, args->items[k]);
        if (v.kind == V_NONE) return;
        double re[16], im[16];
        int dk;
        if (!elab_read_matrix(cx, &v, "kraus", &dk, re, im)) return;
        if (d && dk != d) {
            elab_error(cx, v.loc, "the matrices of `kraus` must have one size: this one is "
                                  "%dx%d, the first %dx%d", dk, dk, d, d);
            return;
        }
        d = dk;
        for (int i = 0; i < d * d; i++) {
            mats[2 * (k * d * d + i)] = re[i];
            mats[2 * (k * d * d + i) + 1] = im[i];
        }
    }
    double err = ch_kraus_tp_error(mats, args->n, d);
    if (!(err <= 1e-10)) {
        elab_error(cx, s->loc, "the Kraus matrices are not trace preserving: sum K^dagger K "
                               "differs from the identity by %.3g (the tolerance is 1e-10)", err);
        return;
    }
    int nq = d == 2 ? 1 : 2;
    value q[2];
    int got = eval_qargs(L, e, s, q, 2);
    if (got < 0) return;
    int wires[2];
    if (got != nq) {
        elab_error(cx, s->loc, "`kraus` with %dx%d matrices acts on %d qubit%s, got %d", d, d, nq,
                   nq == 1 ? "" : "s", got);
        return;
    }
    if (distinct_wires(L, s, "kraus", q, got, 0, wires, 2) < 0 || !count_steps(L, s->loc) ||
        !room_for_gate(L, s->loc))
        return;
    int op = ir_add_kraus(cx->circ, wires[0], nq == 2 ? wires[1] : -1, args->n, mats);
    ir_set_loc(cx->circ, op, s->loc.line, s->loc.col);
}

/* depolarizing(p) q; ... thermal_relaxation(t1, t2, t) q[0]; readout_error(p) q[1];
 * Strengths are expressions like angles; constant ones are checked here. A register
 * broadcasts, as for one-qubit gates. */
static void apply_channel(lowering *L, env *e, ast_node *s, ir_channel ch) {
    elab_ctx *cx = L->cx;
    if (L->rec) { /* a channel has no adjoint and no controlled form */
        elab_error(cx, s->loc, "a noise channel inside `adj(...)` or `ctrl(...)`: channels are "
                               "not unitary, so they have no adjoint or controlled form");
        return;
    }
    if (ch == IR_CH_KRAUS) {
        apply_kraus(L, e, s);
        return;
    }
    const char *name = ir_channel_name(ch);
    int ns = ir_channel_n_strengths(ch), st[3] = {-1, -1, -1};
    if (s->list.n != ns) {
        elab_error(cx, s->loc, "`%s` takes %d strength%s%s, got %d", name, ns, ns == 1 ? "" : "s",
                   ch == IR_CH_THERMAL ? " (t1, t2, t)" : "", s->list.n);
        return;
    }
    if (!eval_angles(L, e, s, name, ns, 1, &s->list, st)) return;
    double v[3] = {0, 0, 0};
    int constant = 1;
    for (int k = 0; k < ns; k++) {
        const ir_expr *x = &cx->circ->exprs[st[k]];
        if (x->uses_input || x->uses_param) constant = 0;
        else v[k] = ir_eval(cx->circ, st[k], NULL, NULL);
    }
    int which = 0;
    const char *why = constant ? ch_strength_error(ch, v, &which) : NULL;
    if (why) {
        elab_error(cx, s->list.items[which]->loc, "`%s`: %s", name, why);
        return;
    }
    value q[8];
    int nq = eval_qargs(L, e, s, q, 8);
    if (nq < 0) return;
    if (nq != 1) {
        elab_error(cx, s->loc, "`%s` acts on one qubit (or a register, one channel per wire), got "
                               "%d arguments", name, nq);
        return;
    }
    for (int i = 0; i < q[0].n_wires; i++) {
        if (!count_steps(L, s->loc) || !room_for_gate(L, s->loc)) return;
        int op = ir_add_channel(cx->circ, ch, q[0].wires[i], st);
        ir_set_loc(cx->circ, op, s->loc.line, s->loc.col);
        if (ch != IR_CH_READOUT) continue;
        if (L->n_readout == L->cap_readout) {
            int cap = L->cap_readout ? 2 * L->cap_readout : 16;
            src_loc *t = arena_alloc(cx->ar, sizeof *t * (size_t)cap);
            if (L->n_readout) memcpy(t, L->readout_loc, sizeof *t * (size_t)L->n_readout);
            L->readout_loc = t;
            L->cap_readout = cap;
        }
        L->readout_loc[L->n_readout++] = s->loc;
    }
}

/* How many qubit arguments the gate G (an identifier or a call, as written inside a
 * modifier) takes: ctrl(G) reads its controls before them. 0: multirz, any number. */
enum { MAX_MODIFIER_DEPTH = 64 };

static int gate_qubit_count(lowering *L, env *e, ast_node *g, int depth) {
    elab_ctx *cx = L->cx;
    if (depth > MAX_MODIFIER_DEPTH) {
        elab_error(cx, g->loc, "modifiers nest too deeply (more than %d levels)", MAX_MODIFIER_DEPTH);
        return -1;
    }
    if (g->kind != AST_IDENT && g->kind != AST_CALL) {
        elab_error(cx, g->loc, "expected a gate, e.g. `rx(t)` or `cnot`");
        return -1;
    }
    const value *b = env_lookup(e, g->name);
    if (b && b->kind == V_GATE) {
        if (b->builtin < 0) return b->templ->list2.n;
        if (b->builtin >= GX_BUILTIN_BASE) return gx_composite_arity(b->builtin - GX_BUILTIN_BASE);
        return ir_gate_arity((ir_gate)b->builtin);
    }
    if (b) {
        elab_error(cx, g->loc, "`%s` is %s, not a gate", g->name, value_kind_name(b->kind));
        return -1;
    }
    for (int k = 0; k < 3; k++)
        if (strcmp(g->name, native_names[k]) == 0) {
            elab_error(cx, g->loc, k == 0 ? "`%s` prepares a state from |0>: it cannot be used "
                                            "inside `adj(...)` or `ctrl(...)`"
                                          : "`%s` is built in and cannot be used inside `adj(...)` "
                                            "or `ctrl(...)` yet", g->name);
            return -1;
        }
    int is_ctrl = strcmp(g->name, "ctrl") == 0;
    if (is_ctrl || strcmp(g->name, "adj") == 0) {
        if (g->kind != AST_CALL || g->list.n != 1) {
            elab_error(cx, g->loc, "`%s` takes one gate, e.g. `%s(rx(t))`", g->name, g->name);
            return -1;
        }
        int inner = gate_qubit_count(L, e, g->list.items[0], depth + 1);
        if (inner < 0) return -1;
        if (inner == 0) {
            elab_error(cx, g->loc, "`multirz` takes any number of qubits, so only the outermost "
                                   "`ctrl` can tell its controls apart");
            return -1;
        }
        return inner + is_ctrl;
    }
    if (strcmp(g->name, "unitary") == 0) {
        double m[32];
        int n = unitary_matrix(L, e, g, m);
        return n ? n : -1;
    }
    int k = gx_find_composite(g->name);
    if (k >= 0) return gx_composite_arity(k);
    int p = find_primitive(g->name);
    if (p >= 0) return ir_gate_arity((ir_gate)p);
    elab_error(cx, g->loc, "unknown gate `%s`", g->name);
    return -1;
}

/* adj(G) qubits;  ctrl(G) controls..., qubits of G;  (docs/language.md §4.6.5) */
static void apply_modifier(lowering *L, env *e, ast_node *s) {
    elab_ctx *cx = L->cx;
    int is_ctrl = s->name[0] == 'c';
    if (s->list.n != 1 || s->list.items[0]->kind == AST_NAMED) {
        elab_error(cx, s->loc, "`%s` takes one gate, e.g. `%s`", s->name,
                   is_ctrl ? "ctrl(rx(t)) q[0], q[1];" : "adj(rot(a, b, c)) q[0];");
        return;
    }
    ast_node *g = s->list.items[0];
    int m = gate_qubit_count(L, e, g, L->modifier_depth);
    if (m < 0) return;
    int n_ctrl_args = 0;
    if (is_ctrl) {
        n_ctrl_args = m ? s->list2.n - m : 1;
        if (n_ctrl_args < 1 || s->list2.n <= n_ctrl_args - 1 + (m ? m : 1)) {
            elab_error(cx, s->loc, "`ctrl(%s)` needs its control qubits first, then the %d qubit%s "
                                   "of `%s`; got %d qubit argument%s", g->name, m ? m : 1,
                       m == 1 ? "" : "s", g->name, s->list2.n, s->list2.n == 1 ? "" : "s");
            return;
        }
    }
    int controls[GX_MAX_CTRL + 1], n_ctrl = 0;
    if (is_ctrl) {
        ast_node cs = *s;
        cs.list2.n = n_ctrl_args;
        value q[GX_MAX_CTRL + 1];
        if (n_ctrl_args > GX_MAX_CTRL) {
            elab_error(cx, s->loc, "`ctrl` takes at most %d control qubits", GX_MAX_CTRL);
            return;
        }
        if (eval_qargs(L, e, &cs, q, GX_MAX_CTRL) < 0) return;
        for (int i = 0; i < n_ctrl_args; i++)
            for (int j = 0; j < q[i].n_wires; j++) {
                if (n_ctrl == GX_MAX_CTRL) {
                    elab_error(cx, s->loc, "`ctrl` takes at most %d control qubits", GX_MAX_CTRL);
                    return;
                }
                for (int k = 0; k < n_ctrl; k++)
                    if (controls[k] == q[i].wires[j]) {
                        elab_error(cx, s->list2.items[i]->loc, "qubit %d is a control of `ctrl` twice",
                                   controls[k]);
                        return;
                    }
                controls[n_ctrl++] = q[i].wires[j];
            }
    }
    ast_node *sub = ast_new(cx->ar, AST_APPLY, g->loc);
    sub->name = g->name;
    if (g->kind == AST_CALL) {
        sub->list = g->list;
        sub->flag = 1;
    }
    sub->list2.items = s->list2.items + n_ctrl_args;
    sub->list2.n = sub->list2.cap = s->list2.n - n_ctrl_args;
    gx_seq local = {0}, *outer = L->rec;
    if (!outer) L->rec = &local;
    int from = L->rec->n, errors = diag_error_count();
    L->modifier_depth++;
    lower_apply(L, e, sub);
    L->modifier_depth--;
    gx_seq *seq = L->rec;
    int ok = diag_error_count() == errors;
    for (int i = from; ok && i < seq->n; i++) {
        const gx_item *it = &seq->items[i];
        for (int k = 0; ok && k < n_ctrl; k++) {
            int hit = it->w[0] == controls[k] || it->w[1] == controls[k];
            for (int j = 0; j < it->nctrl; j++) hit |= it->ctrl[j] == controls[k];
            if (hit) {
                elab_error(cx, s->loc, "qubit %d is both a control and a target of `ctrl(%s)`",
                           controls[k], g->name);
                ok = 0;
            }
        }
    }
    if (ok && !is_ctrl && !gx_adjoint(cx->circ, seq, from)) {
        elab_error(cx, s->loc, "out of memory");
        ok = 0;
    }
    if (ok && is_ctrl && !gx_add_controls(seq, from, controls, n_ctrl)) {
        elab_error(cx, s->loc, "more than %d controls on one gate (nested `ctrl`s add up)",
                   GX_MAX_CTRL);
        ok = 0;
    }
    if (!ok) seq->n = from;
    if (!outer) {
        L->rec = NULL;
        for (int i = 0; i < local.n && put_item(L, s->loc, &local.items[i]); i++) {}
        gx_seq_free(&local);
    }
}


/* ---- computed built-in templates (embed.h; docs/language.md §7.1) ----------------------- */

/* A built-in template's arguments, positional then named, into given[k] (the argument's
 * expression, NULL when absent), with elab_bind_args's rules and messages. */
static int native_args(lowering *L, ast_node *s, const char *name, const char *const *formals,
                       int n_formals, ast_node **given) {
    elab_ctx *cx = L->cx;
    int seen_named = 0, positional = 0;
    for (int k = 0; k < n_formals; k++) given[k] = NULL;
    for (int i = 0; i < s->list.n; i++) {
        ast_node *a = s->list.items[i];
        if (a->kind != AST_NAMED) {
            if (seen_named) {
                elab_error(cx, a->loc, "positional argument after a named one");
                return 0;
            }
            if (positional >= n_formals) {
                elab_error(cx, a->loc, "too many arguments for `%s` (it takes %d)", name, n_formals);
                return 0;
            }
            given[positional++] = a;
            continue;
        }
        seen_named = 1;
        int k = -1;
        for (int j = 0; j < n_formals; j++)
            if (strcmp(formals[j], a->name) == 0) k = j;
        if (k < 0) {
            /* PennyLane's AmplitudeEmbedding calls it pad_with */
            const char *hint = strcmp(a->name, "pad_with") == 0 && n_formals > 1 && !strcmp(formals[1], "pad")
                                   ? "pad" : diag_suggest(a->name, formals, n_formals);
            elab_error_hint(cx, a->loc, hint, "`%s` has no parameter `%s`", name, a->name);
            return 0;
        }
        if (given[k]) {
            elab_error(cx, a->loc, "argument `%s` is given twice", a->name);
            return 0;
        }
        given[k] = a->a;
    }
    if (!given[0]) {
        elab_error(cx, s->loc, "missing argument `%s` of `%s`", formals[0], name);
        return 0;
    }
    return 1;
}

/* The elements of a rank-1 tensor or of a list of numbers and angles, as expression nodes
 * (at most max); -1 after reporting. */
static int feature_nodes(lowering *L, env *e, ast_node *arg, const char *name, int *nodes, int max) {
    elab_ctx *cx = L->cx;
    value v = elab_eval(cx, e, arg);
    if (v.kind == V_NONE) return -1;
    int n = v.kind == V_TENSOR && v.rank == 1 ? v.dims[0] : v.kind == V_LIST ? v.n_items : -1;
    if (n < 0) {
        elab_error(cx, arg->loc, "the features of `%s` must be a tensor of rank 1 or a list of "
                   "numbers, not %s%s", name, v.kind == V_TENSOR ? "a tensor of rank " : "",
                   v.kind == V_TENSOR ? (v.rank == 0 ? "0" : "2 or more") : value_kind_name(v.kind));
        return -1;
    }
    if (n > max) {
        elab_error(cx, arg->loc, "`%s` got %d features, more than the %d it can use", name, n, max);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (v.kind == V_TENSOR) {
            int off = v.offset + i * v.strides[0];
            nodes[i] = v.is_input ? ir_input(cx->circ, off) : ir_param(cx->circ, off);
            continue;
        }
        nodes[i] = elab_angle_node(cx, &v.items[i]);
        if (nodes[i] < 0) {
            elab_error(cx, arg->loc, "feature %d of `%s` is %s, not a number or an angle", i, name,
                       value_kind_name(v.items[i].kind));
            return -1;
        }
    }
    return n;
}

/* The register a built-in template acts on: one qubit argument, a register or one wire. */
static int native_register(lowering *L, env *e, ast_node *s, const char *name, value *q) {
    value all[16];
    int nq = eval_qargs(L, e, s, all, 16);
    if (nq < 0) return 0;
    *q = all[0];
    if (nq != 1) {
        elab_error(L->cx, s->loc, "`%s` acts on one register, e.g. `%s(...) q;`, got %d qubit "
                   "arguments", name, name, nq);
        return 0;
    }
    return 1;
}

static void emit_seq(lowering *L, src_loc loc, const gx_seq *seq) {
    for (int i = 0; i < seq->n && put_item(L, loc, &seq->items[i]); i++) {}
}

/* amplitude_embedding(features, pad = c, normalize = false) q: PennyLane's
 * AmplitudeEmbedding for real features, prepared from |0...0> by embed_mottonen. It is a
 * state preparation: the wires must not have been touched before. */
static void apply_amplitude_embedding(lowering *L, env *e, ast_node *s) {
    static const char *const formals[] = {"features", "pad", "normalize"};
    const char *name = "amplitude_embedding";
    elab_ctx *cx = L->cx;
    ast_node *given[3];
    value q;
    if (!native_args(L, s, name, formals, 3, given) || !native_register(L, e, s, name, &q)) return;
    if (L->rec) {
        elab_error(cx, s->loc, "`%s` prepares a state from |0>: it cannot be used inside "
                   "`adj(...)` or `ctrl(...)`", name);
        return;
    }
    int n = q.n_wires;
    uint32_t mask = 0;
    for (int i = 0; i < n; i++) mask |= 1u << q.wires[i];
    for (int o = 0; o < cx->circ->n_ops; o++) {
        const ir_op *op = &cx->circ->ops[o];
        uint32_t both = ir_op_wire_mask(cx->circ, op) & mask;
        if (!both) continue;
        int w = 0;
        while (!(both >> w & 1)) w++;
        elab_error(cx, s->loc, "`%s` prepares its qubits from |0>, as PennyLane's state "
                   "preparations do, so it must come before every gate on them: `%s` on line %d "
                   "already acts on qubit %d", name, ir_gate_name(op->gate), op->src_line, w);
        return;
    }
    if (n > 20) { /* 2^n amplitudes as expressions, and 4^n-node angle trees to print */
        elab_error(cx, s->loc, "`%s` on %d qubits is too large (at most 20)", name, n);
        return;
    }
    int N = 1 << n;
    int *amp = malloc(sizeof *amp * (size_t)N);
    if (!amp) {
        elab_error(cx, s->loc, "out of memory");
        return;
    }
    int m = feature_nodes(L, e, given[0], name, amp, N);
    double pad = 0, normalize = 0;
    int ok = m >= 0;
    if (ok && given[1]) ok = elab_real(cx, e, given[1], "`pad`", &pad);
    if (ok && given[2]) ok = elab_real(cx, e, given[2], "`normalize`", &normalize);
    if (ok && !given[1] && m != N) {
        elab_error(cx, given[0]->loc, "`%s` on %d qubits takes %d features, got %d: give `pad = "
                   "0` to fill the rest with a constant", name, n, N, m);
        ok = 0;
    }
    if (ok && m == 0) {
        elab_error(cx, given[0]->loc, "`%s` needs at least one feature", name);
        ok = 0;
    }
    if (ok) {
        for (int i = m; i < N; i++) amp[i] = ir_const(cx->circ, pad);
        /* PennyLane refuses features whose norm is not 1 unless normalize is true; the
         * prepared state is amp / ||amp|| either way (the angles depend on ratios only), so
         * only compile-time features can be held to it */
        double norm2 = 0;
        int constant = 1;
        for (int i = 0; i < N; i++) {
            const ir_expr *x = &cx->circ->exprs[amp[i]];
            if (x->kind != IR_EXPR_CONST) constant = 0;
            else norm2 += x->value * x->value;
        }
        if (constant && norm2 == 0) {
            elab_error(cx, given[0]->loc, "the features of `%s` are all zero: they give no state", name);
            ok = 0;
        } else if (constant && !normalize && fabs(sqrt(norm2) - 1) > 1e-10) {
            elab_error(cx, given[0]->loc, "the features of `%s` have norm %.17g, not 1: give "
                       "`normalize = true`", name, sqrt(norm2));
            ok = 0;
        }
    }
    gx_seq seq = {0};
    if (ok && count_steps(L, s->loc)) {
        if (!embed_mottonen(cx->circ, amp, n, q.wires, &seq)) {
            elab_error(cx, s->loc, "out of memory");
            L->failed_decl = 1;
        } else emit_seq(L, s->loc, &seq);
    }
    gx_seq_free(&seq);
    free(amp);
}

/* basis_embedding(features) q: X on the wires whose bit is 1 (PennyLane's BasisEmbedding).
 * Features are an integer (its binary digits, wire 0 the most significant), compile-time
 * bits, or run-time values, for which u3(pi b, 0, pi b) is X at b = 1 and I at b = 0. */
static void apply_basis_embedding(lowering *L, env *e, ast_node *s) {
    static const char *const formals[] = {"features"};
    const char *name = "basis_embedding";
    elab_ctx *cx = L->cx;
    ast_node *given[1];
    value q;
    if (!native_args(L, s, name, formals, 1, given) || !native_register(L, e, s, name, &q)) return;
    int n = q.n_wires, bits[IR_MAX_QUBITS];
    value v = elab_eval(cx, e, given[0]);
    if (v.kind == V_NONE) return;
    if (v.kind == V_INT) {
        if (v.i < 0 || (n < 31 && v.i >= (1ll << n))) {
            elab_error(cx, given[0]->loc, "`%s` of the integer %lld on %d qubits: it must be 0 "
                       "to %lld", name, v.i, n, (1ll << n) - 1);
            return;
        }
        for (int i = 0; i < n; i++) bits[i] = ir_const(cx->circ, (double)(v.i >> (n - 1 - i) & 1));
    } else {
        int m = feature_nodes(L, e, given[0], name, bits, IR_MAX_QUBITS);
        if (m < 0) return;
        if (m != n) {
            elab_error(cx, given[0]->loc, "`%s` on %d qubits takes %d features (one bit per "
                       "qubit), got %d", name, n, n, m);
            return;
        }
    }
    for (int i = 0; i < n; i++) {
        const ir_expr *x = &cx->circ->exprs[bits[i]];
        if (!count_steps(L, s->loc)) return;
        gx_item it;
        if (x->kind == IR_EXPR_CONST) {
            if (x->value != 0 && x->value != 1) {
                elab_error(cx, given[0]->loc, "feature %d of `%s` is %g: the features are bits, "
                           "0 or 1", i, name, x->value);
                return;
            }
            if (x->value == 0) continue;
            it = gx_prim(IR_X, q.wires[i], -1, -1, -1, -1);
        } else {
            int a = ir_binary(cx->circ, IR_EXPR_MUL, ir_const(cx->circ, 3.14159265358979323846), bits[i]);
            it = gx_prim(IR_U3, q.wires[i], -1, a, ir_const(cx->circ, 0.0), a);
        }
        if (!put_item(L, s->loc, &it)) return;
    }
}

/* random_layers(weights[L][k], seed = 42, ratio_imprim = 0.3) q: PennyLane's RandomLayers
 * with its gate set (RX, RY, RZ, CNOT) and ratio, the structure drawn by embed_random_layers
 * at compile time. */
static void apply_random_layers(lowering *L, env *e, ast_node *s) {
    static const char *const formals[] = {"weights", "seed", "ratio_imprim"};
    const char *name = "random_layers";
    elab_ctx *cx = L->cx;
    ast_node *given[3];
    value q;
    if (!native_args(L, s, name, formals, 3, given) || !native_register(L, e, s, name, &q)) return;
    value w = elab_eval(cx, e, given[0]);
    if (w.kind == V_NONE) return;
    if (w.kind != V_TENSOR || w.rank != 2) {
        char what[48];
        if (w.kind == V_TENSOR) snprintf(what, sizeof what, "a tensor of rank %d", w.rank);
        else snprintf(what, sizeof what, "%s", value_kind_name(w.kind));
        elab_error(cx, given[0]->loc, "the weights of `%s` must be a tensor of shape "
                   "[layers][rotations] (rank 2), not %s", name, what);
        return;
    }
    long long seed = 42;
    double ratio = 0.3;
    if (given[1] && !elab_int(cx, e, given[1], 0, 2147483647, "`seed`", &seed)) return;
    if (given[2] && !elab_real(cx, e, given[2], "`ratio_imprim`", &ratio)) return;
    if (!(ratio >= 0 && ratio < 1)) {
        elab_error(cx, given[2]->loc, "`ratio_imprim` of `%s` must be in [0, 1), got %g", name, ratio);
        return;
    }
    embed_rl_gate *g = NULL;
    int ng = embed_random_layers((uint64_t)seed, w.dims[0], w.dims[1], q.n_wires, ratio,
                                 MAX_OPS - cx->circ->n_ops, &g);
    if (ng < 0) {
        elab_error(cx, s->loc, "the circuit has more than %d gates", MAX_OPS);
        L->failed_decl = 1;
        return;
    }
    static const ir_gate rot[] = {IR_RX, IR_RY, IR_RZ};
    for (int i = 0; i < ng; i++) {
        if (!count_steps(L, s->loc)) break;
        gx_item it;
        if (g[i].rot >= 0) {
            int l = g[i].weight / w.dims[1], k = g[i].weight % w.dims[1];
            int off = w.offset + l * w.strides[0] + k * w.strides[1];
            int a = w.is_input ? ir_input(cx->circ, off) : ir_param(cx->circ, off);
            it = gx_prim(rot[g[i].rot], q.wires[g[i].a], -1, a, -1, -1);
        } else {
            it = gx_prim(IR_CNOT, q.wires[g[i].a], q.wires[g[i].b], -1, -1, -1);
        }
        if (!put_item(L, s->loc, &it)) break;
    }
    free(g);
}

static void lower_apply(lowering *L, env *e, ast_node *s) {
    elab_ctx *cx = L->cx;
    if (s->op) {
        elab_error(cx, s->loc, "`quantum` layers belong in a model, not in a circuit");
        return;
    }
    const value *measure = env_lookup(e, s->name);
    if (!measure && !s->list2.n && (strcmp(s->name, "var") == 0 || strcmp(s->name, "probs") == 0)) {
        if (s->name[0] == 'v') lower_var(L, e, s, &s->list);
        else lower_probs(L, e, s, &s->list);
        return;
    }
    if (!measure && strcmp(s->name, "hermitian") == 0) {
        elab_error(cx, s->loc, "`hermitian` is an observable: measure it with `expval "
                               "hermitian(M) q[0];`");
        return;
    }
    if (!need_circuit(L, s)) return;
    int channel = env_lookup(e, s->name) ? -1 : find_channel(s->name);
    if (channel == IR_CH_READOUT) { /* it acts on the measurement: before or after `expval` */
        apply_channel(L, e, s, IR_CH_READOUT);
        return;
    }
    if (L->measured) {
        elab_error(cx, s->loc, "a gate after `expval`: the outputs are measured at the end of the "
                               "circuit, so gates must come before every `expval`");
        diag_note(L->first_expval, "the first `expval` is here");
        L->failed_decl = 1;
        return;
    }
    const value *bound = env_lookup(e, s->name);
    if (bound && bound->kind == V_GATE) {
        if (bound->builtin >= GX_BUILTIN_BASE)
            apply_composite(L, e, s, bound->builtin - GX_BUILTIN_BASE, &s->list);
        else if (bound->builtin >= 0) apply_builtin(L, e, s, (ir_gate)bound->builtin, &s->list);
        else apply_template(L, e, s, bound->templ, &s->list);
        return;
    }
    if (bound) {
        elab_error(cx, s->loc, "`%s` is %s, not a gate", s->name, value_kind_name(bound->kind));
        return;
    }
    int prim = find_primitive(s->name);
    if (prim >= 0) {
        apply_builtin(L, e, s, (ir_gate)prim, &s->list);
        return;
    }
    if (channel >= 0) {
        apply_channel(L, e, s, (ir_channel)channel);
        return;
    }
    int composite = gx_find_composite(s->name);
    if (composite >= 0) {
        apply_composite(L, e, s, composite, &s->list);
        return;
    }
    if (strcmp(s->name, "adj") == 0 || strcmp(s->name, "ctrl") == 0) {
        apply_modifier(L, e, s);
        return;
    }
    if (strcmp(s->name, "unitary") == 0) {
        apply_unitary(L, e, s);
        return;
    }
    if (strcmp(s->name, native_names[0]) == 0) {
        apply_amplitude_embedding(L, e, s);
        return;
    }
    if (strcmp(s->name, native_names[1]) == 0) {
        apply_basis_embedding(L, e, s);
        return;
    }
    if (strcmp(s->name, native_names[2]) == 0) {
        apply_random_layers(L, e, s);
        return;
    }
    if (diag_reported_at(s->loc)) { /* a repeat: counted, and suppressed without a search */
        elab_error(cx, s->loc, "unknown gate `%s`", s->name);
        return;
    }
    const char *cands[IR_FUSED_1Q + GX_COMPOSITE_COUNT + 68];
    int n = 0;
    for (int g = 0; g < IR_FUSED_1Q; g++) cands[n++] = ir_gate_name((ir_gate)g);
    for (int k = 0; k < GX_COMPOSITE_COUNT; k++) cands[n++] = gx_composite_name(k);
    cands[n++] = "adj";
    cands[n++] = "ctrl";
    cands[n++] = "unitary";
    for (int k = 0; k < 3; k++) cands[n++] = native_names[k];
    for (int k = 0; k < IR_CH_COUNT; k++) cands[n++] = ir_channel_name((ir_channel)k);
    for (binding *b = cx->globals->head; b && n < IR_FUSED_1Q + GX_COMPOSITE_COUNT + 60; b = b->next)
        if (b->val.kind == V_GATE) cands[n++] = b->name;
    const char *hint = diag_pennylane_name(s->name, 0);
    if (!hint) hint = diag_suggest(s->name, cands, n);
    if (!hint) {
        /* Gate names are lower case: Rot, RZ and CNOT are common spellings from other tools. */
        char lower[64];
        size_t k = 0;
        for (; s->name[k] && k < sizeof lower - 1; k++)
            lower[k] = (char)(s->name[k] >= 'A' && s->name[k] <= 'Z' ? s->name[k] + 32 : s->name[k]);
        lower[k] = '\0';
        if (strcmp(lower, "phaseshift") == 0) strcpy(lower, "phase");
        hint = diag_suggest(lower, cands, n);
    }
    elab_error_hint(cx, s->loc, hint, "unknown gate `%s`", s->name);
}

static int mentions(const ast_node *n, const char *name) {
    if (!n) return 0;
    if (n->kind == AST_IDENT && strcmp(n->name, name) == 0) return 1;
    if (mentions(n->a, name) || mentions(n->b, name) || mentions(n->c, name)) return 1;
    for (int i = 0; i < n->list.n; i++)
        if (mentions(n->list.items[i], name)) return 1;
    return 0;
}

/* Appends observable v's terms (one letter per wire) to the current output. */
static void add_terms(ir_circuit *c, const value *v) {
    char paulis[IR_MAX_QUBITS + 1];
    for (int t = 0; t < v->n_terms; t++) {
        for (int w = 0; w < c->n_qubits; w++) {
            uint32_t bit = 1u << w;
            int x = (v->terms[t].x_mask & bit) != 0, z = (v->terms[t].z_mask & bit) != 0;
            paulis[w] = x && z ? 'Y' : x ? 'X' : z ? 'Z' : 'I';
        }
        paulis[c->n_qubits] = '\0';
        ir_add_term(c, v->terms[t].coef, paulis);
    }
}

/* The observable of an `expval` or `var`, canonical (equal products merged); a zero
 * observable is an error: a constant 0 output is the symptom of a mistake, such as a sum
 * built in a loop with `let` (§4.9). */
static int eval_observable(lowering *L, env *e, ast_node *x, const char *what, value *out) {
    value v = elab_eval(L->cx, e, x);
    if (v.kind == V_NONE) return 0;
    if (v.empty_sum) {
        elab_error(L->cx, x->loc, "`%s` of a `sum` over an empty range: there are no terms (the "
                                  "upper bound of a range is excluded)", what);
        return 0;
    }
    if (v.kind != V_OBS) {
        elab_error(L->cx, x->loc, "`%s` needs an observable such as `Z(q[0])` or "
                                  "`0.5 * X(q[0]) @ X(q[1])`, not %s", what, value_kind_name(v.kind));
        return 0;
    }
    if (elab_obs_canonical(L->cx, &v) == 0) {
        elab_error(L->cx, x->loc, "the observable is zero: all its terms cancel");
        for (int i = 0; i < L->n_dead; i++)
            if (!L->dead[i].used && L->dead[i].in_loop && mentions(x, L->dead[i].let->name)) {
                const char *name = L->dead[i].let->name;
                diag_note(L->dead[i].let->loc, "this `let` makes a new `%s` in each iteration "
                          "and does not change the `%s` measured here; add the terms with "
                          "`sum(i in LO..HI) TERM` (language.md §4.11)", name, name);
                break;
            }
        return 0;
    }
    *out = v;
    return 1;
}

static int begin_measurement(lowering *L, ast_node *s) {
    if (!need_circuit(L, s)) return 0;
    if (L->rec) { /* the modifier emits its gates after the template: they would follow it */
        elab_error(L->cx, s->loc, "a measurement inside `adj(...)` or `ctrl(...)`: a template "
                                  "used with a modifier may only apply gates");
        return 0;
    }
    if (!L->measured) L->first_expval = s->loc;
    L->measured = 1;
    return 1;
}

/* var(O): outputs <O^2> - <O>^2, O^2 from the Pauli algebra. */
static void lower_var(lowering *L, env *e, ast_node *s, const ast_list *args) {
    if (!begin_measurement(L, s)) return;
    if (args->n != 1 || args->items[0]->kind == AST_NAMED) {
        elab_error(L->cx, s->loc, "`var` takes one observable, e.g. `var(Z(q[0]));`");
        return;
    }
    value o;
    if (!eval_observable(L, e, args->items[0], "var", &o)) return;
    value sq = elab_obs_square(L->cx, &o, args->items[0]->loc);
    if (sq.kind == V_NONE) return;
    ir_circuit *c = L->cx->circ;
    ir_begin_var(c);
    add_terms(c, &sq);
    ir_var_linear(c);
    add_terms(c, &o);
}

/* probs(q[a..b]) / probs(q) / probs(q[0], q[2]): one output per basis state of the listed
 * wires, the first listed wire the most significant bit (PennyLane's order). P(k) is the
 * expectation of the projector prod_j (I + s_j Z_j) / 2, s_j = +1 where bit j of k is 0:
 * 2^m Z products, which the back ends measure in one sweep. */
static void lower_probs(lowering *L, env *e, ast_node *s, const ast_list *args) {
    elab_ctx *cx = L->cx;
    if (!begin_measurement(L, s)) return;
    if (args->n < 1) {
        elab_error(cx, s->loc, "`probs` takes qubits, e.g. `probs(q);` or `probs(q[0..2]);`");
        return;
    }
    int wires[IR_MAX_QUBITS], m = 0;
    for (int i = 0; i < args->n; i++) {
        ast_node *a = args->items[i];
        if (a->kind == AST_NAMED) {
            elab_error(cx, a->loc, "the arguments of `probs` are qubits, not named");
            return;
        }
        value q = elab_eval(cx, e, a);
        if (q.kind == V_NONE) return;
        if (q.kind != V_REG) {
            elab_error(cx, a->loc, "`probs` needs qubits, not %s", value_kind_name(q.kind));
            return;
        }
        for (int k = 0; k < q.n_wires; k++) {
            for (int j = 0; j < m; j++)
                if (wires[j] == q.wires[k]) {
                    elab_error(cx, a->loc, "`probs` lists qubit %d twice", q.wires[k]);
                    return;
                }
            if (m >= MAX_PROBS_WIRES) {
                elab_error(cx, a->loc, "`probs` of more than %d qubits (%s outputs) is too "
                                       "large", MAX_PROBS_WIRES, "over 256");
                return;
            }
            wires[m++] = q.wires[k];
        }
    }
    ir_circuit *c = cx->circ;
    char paulis[IR_MAX_QUBITS + 1];
    double coef = ldexp(1.0, -m);
    for (int k = 0; k < (1 << m); k++) {
        ir_begin_prob(c, m, wires, k);
        for (int sub = 0; sub < (1 << m); sub++) { /* Z on the wires of subset sub */
            int neg = 0;
            memset(paulis, 'I', (size_t)c->n_qubits);
            paulis[c->n_qubits] = '\0';
            for (int j = 0; j < m; j++)
                if (sub >> j & 1) {
                    paulis[wires[j]] = 'Z';
                    neg ^= k >> (m - 1 - j) & 1; /* wire j is bit m-1-j of k */
                }
            ir_add_term(c, neg ? -coef : coef, paulis);
        }
    }
}

static void lower_expval(lowering *L, env *e, ast_node *s) {
    ast_node *x = s->a;
    /* `expval var(O);` and `expval probs(q);` read as the measurement statements */
    if (x->kind == AST_CALL && !x->flag && !env_lookup(e, x->name)) {
        if (strcmp(x->name, "var") == 0) {
            lower_var(L, e, s, &x->list);
            return;
        }
        if (strcmp(x->name, "probs") == 0) {
            lower_probs(L, e, s, &x->list);
            return;
        }
    }
    if (!begin_measurement(L, s)) return;
    value v;
    if (!eval_observable(L, e, x, "expval", &v)) return;
    ir_begin_observable(L->cx->circ);
    add_terms(L->cx->circ, &v);
}

static void lower_loop(lowering *L, env *e, ast_node *s, long long lo, long long hi) {
    /* One binding for the loop variable, updated in place: no allocation per iteration. */
    env inner = *e;
    binding *var = NULL;
    if (s->name) {
        value v;
        memset(&v, 0, sizeof v);
        v.kind = V_INT;
        v.loc = s->loc;
        bind(L, &inner, s->name, v);
        var = inner.head;
    }
    L->loop_depth++;
    for (long long i = lo; i < hi && !L->failed_decl && !diag_too_many() && L->cx->steps <= L->cx->max_steps; i++) {
        if (!count_steps(L, s->loc)) break;
        if (var) var->val.i = i;
        lower_block(L, &inner, s->c);
    }
    L->loop_depth--;
}

static void lower_stmt(lowering *L, env *e, ast_node *s) {
    elab_ctx *cx = L->cx;
    if (!count_steps(L, s->loc)) return;
    switch (s->kind) {
    case AST_QUBITS: declare_qubits(L, e, s); break;
    case AST_INPUT: declare_input(L, e, s); break;
    case AST_PARAM: declare_param(L, e, s); break;
    case AST_LET: {
        value v = elab_eval(cx, e, s->a);
        if (v.kind != V_NONE) {
            int hides = 0; /* an earlier binding of the name, in this scope or outside */
            if (name_seen(L, s->name))
                for (const binding *o = e->head; o && !hides; o = o->next) hides = strcmp(o->name, s->name) == 0;
            bind(L, e, s->name, v);
            e->head->origin = s;
            e->head->hides = hides;
        } else {
            L->failed_decl = 1; /* every later use would report the same cause again */
        }
        break;
    }
    case AST_FOR: {
        long long lo, hi;
        if (!elab_int(cx, e, s->a, -2147483647LL, 2147483647LL, "loop bound", &lo)) return;
        if (!elab_int(cx, e, s->b, -2147483647LL, 2147483647LL, "loop bound", &hi)) return;
        lower_loop(L, e, s, lo, hi);
        break;
    }
    case AST_REPEAT: {
        long long n;
        if (!elab_int(cx, e, s->a, 0, 1000000, "repeat count", &n)) return;
        lower_loop(L, e, s, 0, n);
        break;
    }
    case AST_IF: {
        long long c;
        if (!elab_int(cx, e, s->a, -2147483647LL, 2147483647LL, "condition", &c)) return;
        if (c) lower_block(L, e, s->b);
        else if (s->c) lower_block(L, e, s->c);
        break;
    }
    case AST_EXPVAL: lower_expval(L, e, s); break;
    case AST_APPLY: lower_apply(L, e, s); break;
    case AST_BLOCK: {
        env inner = *e;
        lower_block(L, &inner, s);
        break;
    }
    case AST_ASSIGN:
        elab_error(cx, s->loc, "settings (`%s = ...`) belong in an experiment; use `let %s = ...` "
                               "for a local value", s->name, s->name);
        break;
    default:
        elab_error(cx, s->loc, "a %s is not allowed in a circuit", ast_kind_name(s->kind));
        break;
    }
}

static unsigned long ptr_hash(const void *p) {
    return (unsigned long)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ull >> 20);
}

static struct dead_let *find_dead(lowering *L, const ast_node *let) {
    if (!L->cap_index) return NULL;
    unsigned long m = (unsigned long)L->cap_index - 1;
    for (unsigned long i = ptr_hash(let) & m;; i = (i + 1) & m) {
        if (L->dead_index[i] < 0) return NULL;
        if (L->dead[L->dead_index[i]].let == let) return &L->dead[L->dead_index[i]];
    }
}

static void index_dead(lowering *L, int k) {
    unsigned long m = (unsigned long)L->cap_index - 1, i = ptr_hash(L->dead[k].let) & m;
    while (L->dead_index[i] >= 0) i = (i + 1) & m;
    L->dead_index[i] = k;
}

static void add_dead(lowering *L, ast_node *let, int in_loop) {
    if (L->n_dead == L->cap_dead) {
        int cap = L->cap_dead ? 2 * L->cap_dead : 8;
        struct dead_let *nd = arena_alloc(L->cx->ar, sizeof *nd * (size_t)cap);
        if (L->n_dead) memcpy(nd, L->dead, sizeof *nd * (size_t)L->n_dead);
        L->dead = nd;
        L->cap_dead = cap;
        L->cap_index = 2 * cap; /* at most half full */
        L->dead_index = arena_alloc(L->cx->ar, sizeof *L->dead_index * (size_t)L->cap_index);
        for (int i = 0; i < L->cap_index; i++) L->dead_index[i] = -1;
        for (int k = 0; k < L->n_dead; k++) index_dead(L, k);
    }
    L->dead[L->n_dead] = (struct dead_let){let, in_loop, 0};
    index_dead(L, L->n_dead++);
}

/* At the end of a scope: its `let`s that hid an earlier binding of their name and were
 * never read. Such a `let` is dead code, and usually a mistake: in a loop body it makes a
 * new name for one iteration instead of updating the outer one. */
static void scope_end(lowering *L, const env *scope, const env *outer) {
    for (binding *b = scope->head; b && b != outer->head; b = b->next) {
        if (!b->origin) continue;
        struct dead_let *d = find_dead(L, b->origin);
        if (b->used) {
            if (d) d->used = 1;
            continue;
        }
        if (!b->hides || d) continue;
        add_dead(L, (ast_node *)b->origin, L->loop_depth > 0);
    }
}


static int cmp_dead_place(const void *pa, const void *pb) {
    const struct dead_let *a = pa, *b = pb;
    if (a->let->loc.file != b->let->loc.file) return a->let->loc.file < b->let->loc.file ? -1 : 1;
    if (a->let->loc.line != b->let->loc.line) return a->let->loc.line < b->let->loc.line ? -1 : 1;
    return (a->let->loc.col > b->let->loc.col) - (a->let->loc.col < b->let->loc.col);
}

/* In source order (the index is not needed any more). */
static void report_dead_lets(lowering *L) {
    if (L->n_dead > 1) qsort(L->dead, (size_t)L->n_dead, sizeof *L->dead, cmp_dead_place);
    L->cap_index = 0;
    for (int i = 0; i < L->n_dead; i++) {
        const struct dead_let *d = &L->dead[i];
        if (d->used) continue;
        const char *name = d->let->name;
        diag_warning(d->let->loc, "this `let` hides the earlier `%s` and is never used", name);
        if (d->in_loop && mentions(d->let->a, name))
            diag_note((src_loc){0, 0, 0, 0}, "a `let` in a loop body makes a new `%s` for one "
                      "iteration; the outer `%s` does not change. To add up terms over a range, "
                      "write `let %s = sum(i in LO..HI) TERM;` (language.md §4.11)", name, name, name);
    }
}

static void lower_block(lowering *L, env *e, ast_node *block) {
    if (block->kind != AST_BLOCK) {
        lower_stmt(L, e, block);
        return;
    }
    /* `let` and declarations bind into this block's scope, in order. */
    env scope = *e;
    for (int i = 0; i < block->list.n && !L->failed_decl && !diag_too_many() &&
                    L->cx->steps <= L->cx->max_steps;
         i++) {
        ast_node *s = block->list.items[i];
        if (s->kind == AST_QUBITS && L->template_depth > 0) {
            elab_error(L->cx, s->loc, "a gate template works on the qubits it is given; "
                                      "declare qubits in the circuit");
            continue;
        }
        if ((s->kind == AST_INPUT || s->kind == AST_PARAM) && L->template_depth > 0) {
            elab_error(L->cx, s->loc, "gate templates take parameters as arguments; declare "
                                      "`%s` in the circuit", s->name);
            continue;
        }
        lower_stmt(L, &scope, s);
    }
    scope_end(L, &scope, e);
}

/* readout_error acts on measured bits: on a wire no output reads it would do nothing. */
static void check_readout(lowering *L, const ir_circuit *c) {
    uint32_t measured = 0;
    for (int t = 0; t < c->n_terms; t++) measured |= c->terms[t].x_mask | c->terms[t].z_mask;
    for (int i = 0, k = 0; i < c->n_ops && k < L->n_readout; i++) {
        const ir_op *op = &c->ops[i];
        if (op->gate != IR_CHANNEL || op->channel != IR_CH_READOUT) continue;
        if (!(measured >> op->wires[0] & 1))
            elab_error(L->cx, L->readout_loc[k], "`readout_error` on qubit %d, which no output "
                                                 "measures", op->wires[0]);
        k++;
    }
}

ir_circuit *lower_circuit(elab_ctx *cx, env *globals, ast_node *circuit, const ast_list *args,
                          src_loc call_loc, env *caller) {
    lowering L;
    memset(&L, 0, sizeof L);
    L.cx = cx;
    L.circuit = circuit;
    ir_circuit *saved = cx->circ;
    env *saved_globals = cx->globals;
    cx->circ = NULL;
    cx->globals = globals;
    int before = diag_error_count();
    env e = *globals;
    ast_list none = {0};
    int ok = elab_bind_args(cx, circuit->name, &circuit->list, args ? args : &none, call_loc,
                            caller ? caller : globals, &e);
    if (ok) add_env_names(&L, &e, NULL);
    if (ok) lower_block(&L, &e, circuit->a);
    if (!diag_too_many()) report_dead_lets(&L);
    ir_circuit *c = cx->circ;
    if (ok && !c && diag_error_count() == before)
        elab_error(cx, circuit->loc, "circuit `%s` declares no qubits (`qubits q[n];`)", circuit->name);
    else if (ok && c && c->n_obs == 0 && diag_error_count() == before)
        elab_error(cx, circuit->loc, "circuit `%s` measures nothing: add `expval` statements for "
                                     "its outputs", circuit->name);
    if (ok && c && diag_error_count() == before) check_readout(&L, c);
    if (c) ir_finish_uniform(c);
    cx->circ = saved;
    cx->globals = saved_globals;
    if (diag_error_count() != before || !ok) {
        if (c) ir_free(c);
        return NULL;
    }
    return c;
}
