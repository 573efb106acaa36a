/* AST: what the parser builds, one generic node type in an arena. Every node keeps the
 * location of its representative token so later phases can point at the source.
 * The Bison actions only build nodes; names, types and shapes belong to sema. */
#ifndef QNN_AST_H
#define QNN_AST_H

#include "arena.h"
#include "diag.h"

typedef enum {
    /* top-level items */
    AST_IMPORT,     /* str = path */
    AST_GATE,       /* name, list = formals, list2 = qubit formals (AST_QFORMAL), a = body */
    AST_CIRCUIT,    /* name, list = formals, a = body */
    AST_MODEL,      /* name, list = formals, a = body */
    AST_EXPERIMENT, /* name, a = body */
    /* formals */
    AST_FORMAL,  /* name, op = formal kind (FORMAL_*), list = dims, a = default or NULL */
    AST_QFORMAL, /* name, a = size expression or NULL */
    /* statements */
    AST_BLOCK,   /* list = statements */
    AST_QUBITS,  /* name, a = count */
    AST_INPUT,   /* name, list = dims */
    AST_PARAM,   /* name, list = dims, a = init call or NULL */
    AST_LET,     /* name, a = value */
    AST_FOR,     /* name, a = lo, b = hi, c = body */
    AST_REPEAT,  /* name (optional index), a = count, c = body */
    AST_IF,      /* a = condition, b = then block, c = else block/if or NULL */
    AST_EXPVAL,  /* a = observable expression */
    AST_APPLY,   /* name, list = args, list2 = qubit args, op = 1 if `quantum` prefix,
                    flag = 1 if written with parentheses */
    AST_ASSIGN,  /* name = dotted key, a = value */
    /* expressions */
    AST_NUM,     /* num; op = 1 if written as an integer literal (ival valid) */
    AST_STR,     /* str */
    AST_IDENT,   /* name */
    AST_BINOP,   /* op = operator (AST_OP_*), a, b */
    AST_UNOP,    /* op = '-' or '!', a */
    AST_CALL,    /* name, list = args; flag = 1 with qubit args in list2 (`hermitian(M) q[0]`) */
    AST_INDEX,   /* a = base, b = index */
    AST_LIST,    /* list = elements */
    AST_NAMED,   /* name = value  (named argument): name, a */
    AST_SUM,     /* str(i in a..b) c: str = function name (sum), name = variable, a, b = range */
    AST_SLICE,   /* a[b..c]: a = base, b = lo, c = hi (excluded); flag = 1 if written a[b:c] */
    AST_GROUP,   /* name (parallel, branch, residual, split), list = args, c = body block */
    AST_KIND_COUNT
} ast_kind;

enum { FORMAL_ANGLE, FORMAL_INT, FORMAL_FLOAT, FORMAL_GATE, FORMAL_TENSOR };

enum {
    AST_OP_ADD = '+', AST_OP_SUB = '-', AST_OP_MUL = '*', AST_OP_DIV = '/', AST_OP_MOD = '%',
    AST_OP_TENSOR = '@', AST_OP_LT = '<', AST_OP_GT = '>', AST_OP_NOT = '!',
    AST_OP_EQ = 256, AST_OP_NE, AST_OP_LE, AST_OP_GE, AST_OP_AND, AST_OP_OR, AST_OP_POW
};

typedef struct ast_node ast_node;

typedef struct {
    ast_node **items;
    int n, cap;
} ast_list;

struct ast_node {
    ast_kind kind;
    src_loc loc;
    const char *name;
    const char *str;
    double num;
    long long ival;
    int op;
    int flag;
    ast_node *a, *b, *c;
    ast_list list, list2;
};

ast_node *ast_new(arena *ar, ast_kind kind, src_loc loc);
void ast_append(arena *ar, ast_list *l, ast_node *n);
const char *ast_kind_name(ast_kind k);
const char *ast_op_name(int op);
/* A location spanning from `a` to the end of `b` when on one line (for carets). */
src_loc ast_span(src_loc a, src_loc b);

#endif
