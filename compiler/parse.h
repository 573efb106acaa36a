/* Parser: source text -> AST (items of one file). Errors go to diag; on syntax errors the
 * parser recovers at `;` and `}` so that several are reported in one run. */
#ifndef QNN_PARSE_H
#define QNN_PARSE_H
#include <stddef.h>

#include "arena.h"
#include "ast.h"

/* Parses `text` (registered with diag as `file`) and appends its items to `items`.
 * Returns the number of syntax errors. */
int parse_source(arena *ar, int file, const char *text, size_t len, ast_list *items);

/* Parses one expression (e.g. the value of `--set key=value`); NULL on error. */
ast_node *parse_expression(arena *ar, int file, const char *text);

#endif
