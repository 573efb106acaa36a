/* AST node construction in the compilation's arena. */
#include "ast.h"

#include <string.h>

ast_node *ast_new(arena *ar, ast_kind kind, src_loc loc) {
    ast_node *n = arena_alloc(ar, sizeof *n);
    n->kind = kind;
    n->loc = loc;
    return n;
}

void ast_append(arena *ar, ast_list *l, ast_node *n) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 4;
        ast_node **items = arena_alloc(ar, (size_t)cap * sizeof *items);
        if (l->n) memcpy(items, l->items, (size_t)l->n * sizeof *items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = n;
}

const char *ast_kind_name(ast_kind k) {
    static const char *names[AST_KIND_COUNT] = {
        "import", "gate", "circuit", "model", "experiment", "formal", "qubit formal", "block",
        "qubits", "input", "param", "let", "for", "repeat", "if", "expval", "application",
        "setting", "number", "string", "name", "operator", "unary operator", "call", "index",
        "list", "named argument", "sum", "slice", "block layer"};
    return (k >= 0 && k < AST_KIND_COUNT) ? names[k] : "?";
}

const char *ast_op_name(int op) {
    switch (op) {
    case AST_OP_EQ: return "==";
    case AST_OP_NE: return "!=";
    case AST_OP_LE: return "<=";
    case AST_OP_GE: return ">=";
    case AST_OP_AND: return "&&";
    case AST_OP_OR: return "||";
    case AST_OP_POW: return "**";
    case '+': return "+";
    case '-': return "-";
    case '*': return "*";
    case '/': return "/";
    case '%': return "%";
    case '@': return "@";
    case '<': return "<";
    case '>': return ">";
    case '!': return "!";
    default: return "?";
    }
}

src_loc ast_span(src_loc a, src_loc b) {
    if (a.file == b.file && a.line == b.line && b.col + b.len > a.col) a.len = b.col + b.len - a.col;
    return a;
}
