/* State the scanner carries for the parser (private to lexer.l/parser.y). */
#ifndef QNN_LEX_EXTRA_H
#define QNN_LEX_EXTRA_H
#include "arena.h"
#include "ast.h"
#include "diag.h"

struct lex_extra {
    arena *ar;
    int file;
    int line, col;
    src_loc comment_start;
    ast_list *items;      /* where a whole program goes */
    ast_node *expr;       /* where a lone expression goes (parse_expression) */
    int start_token;      /* first token to hand out: selects the start rule */
    int insert_mul;       /* hand out a `*` next (recovery from `2Z`) */
};
#endif
