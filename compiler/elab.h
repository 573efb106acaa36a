/* Elaboration values and environments: what a name or an expression means at compile time
 * once hyperparameters are known. Shared by circuit lowering (lower.c), model and experiment
 * checking (sema.c). Values live in the compilation arena. */
#ifndef QNN_ELAB_H
#define QNN_ELAB_H

#include "arena.h"
#include "ast.h"
#include "ir.h"

typedef enum {
    V_NONE,   /* error already reported */
    V_INT,
    V_REAL,
    V_STR,
    V_SYM,    /* a bare word in a setting: mse, full, gray */
    V_LIST,
    V_CALL,   /* constructor in a setting: adam(lr = 0.03) */
    V_ANGLE,  /* run-time expression: node of the circuit being lowered */
    V_TENSOR, /* parameter or input tensor (or a slice of one) */
    V_REG,    /* qubits: a list of wires */
    V_GATE,   /* a gate passed as an argument: builtin or user template */
    V_OBS     /* observable: weighted sum of Pauli products */
} value_kind;

typedef struct value value;

typedef struct {
    double coef;
    uint32_t x_mask, z_mask, used_mask;
} obs_term;

struct value {
    value_kind kind;
    src_loc loc;
    long long i;             /* V_INT */
    int empty_sum;           /* V_INT 0 from a `sum` over an empty range: `+` and `-` skip it */
    double r;                /* V_REAL */
    const char *s;           /* V_STR, V_SYM, V_CALL name */
    int expr;                /* V_ANGLE */
    /* V_TENSOR */
    int is_input, offset, rank, dims[8], strides[8];
    const char *tensor_name;
    /* V_REG: wires */
    int n_wires;
    int *wires;
    /* V_GATE */
    int builtin;             /* ir_gate, GX_BUILTIN_BASE + composite (gates.h), or -1 for a
                              * user template */
    ast_node *templ;
    /* V_LIST / V_CALL: elements (V_CALL: named ones have names[k] != NULL) */
    int n_items;
    value *items;
    const char **names;
    /* V_OBS */
    int n_terms;
    obs_term *terms;
};

typedef struct binding {
    const char *name;
    value val;
    struct binding *next;
    int used;              /* set by env_lookup: the value was read */
    const ast_node *origin; /* the `let` that made it, or NULL */
    int hides;              /* that `let` hid an earlier binding of the name */
} binding;

/* Lookup chain: the innermost binding first. */
typedef struct env {
    binding *head;
} env;

typedef struct elab_ctx elab_ctx;

/* Context of one elaboration: the arena, the circuit being lowered (or NULL), limits. */
struct elab_ctx {
    arena *ar;
    ir_circuit *circ;       /* non-NULL while lowering a circuit */
    struct env *globals;    /* gate templates and other top-level names */
    int in_setting;         /* experiment settings: unknown bare words become V_SYM */
    long long steps;        /* statements elaborated, for the runaway-loop limit */
    long long max_steps;
    int max_qubits;
    int depth;              /* expression nesting, against stack exhaustion */
    int n_calls;            /* template/model instantiation stack */
    src_loc call_sites[64];
    const char *call_names[64];
};

void env_bind(arena *ar, env *e, const char *name, value v);
/* The innermost binding of `name`, marked as used (for the unused-`let` warning). */
const value *env_lookup(const env *e, const char *name);
/* Names bound in `e` (for "did you mean" hints); returns how many were written. */
int env_names(const env *e, const char **out, int max);

/* Evaluates an expression. Reports errors and returns V_NONE on failure. */
value elab_eval(elab_ctx *cx, env *e, ast_node *n);
/* A constant matrix written as rows, [[a, b], [c, d]], each entry a number or [re, im]: 2x2 or
 * 4x4, into re/im (row-major) and *dim; reports and returns 0 otherwise. `fn` names the user. */
int elab_read_matrix(elab_ctx *cx, const value *m, const char *fn, int *dim, double *re,
                     double *im);
/* Evaluates and requires a compile-time integer in [lo, hi]; returns 0 and reports
 * otherwise (what says what the value is for, e.g. "qubit count"). */
int elab_int(elab_ctx *cx, env *e, ast_node *n, long long lo, long long hi, const char *what,
             long long *out);
/* A real compile-time number (int or real). */
int elab_real(elab_ctx *cx, env *e, ast_node *n, const char *what, double *out);
/* Converts a number or angle value to an expression node of the current circuit. */
int elab_angle_node(elab_ctx *cx, const value *v);

/* Error at `loc`, followed by a note for the template/model instantiation that led there. */
void elab_error(elab_ctx *cx, src_loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with a "did you mean `hint`?" note (hint may be NULL), printed before the
 * instantiation note so that it stays next to its error. */
void elab_error_hint(elab_ctx *cx, src_loc loc, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

const char *value_kind_name(value_kind k);

/* Observables in canonical form: equal Pauli products merged (coefficients added, in the
 * order of their first appearance), terms that cancel dropped. Returns the number of terms
 * left (0: the observable is zero). */
int elab_obs_canonical(elab_ctx *cx, value *o);
/* O @ O with the Pauli algebra (XY = iZ, ...), canonical; for a Hermitian O (real
 * coefficients) the result is Hermitian, the imaginary parts cancelling. V_NONE (reported
 * at loc) when it would have too many terms. */
value elab_obs_square(elab_ctx *cx, const value *o, src_loc loc);

/* Names of the builtin functions usable in angle expressions (sin, cos, ...). */
int elab_is_math_function(const char *name);



/* Binds a call's arguments (positional then named, evaluated in `caller`) to the formals of
 * `callee` in `callee_env`; defaults are evaluated in callee_env, so they may use earlier
 * formals. Tensor formals bind their dimension names (w[L][n][3] binds L and n). */
int elab_bind_args(elab_ctx *cx, const char *callee, const ast_list *formals, const ast_list *args,
                   src_loc call_loc, env *caller, env *callee_env);
#endif
