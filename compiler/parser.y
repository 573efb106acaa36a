/* Grammar of .qnn files (docs/language.md is the reference). Actions only build AST nodes;
 * every check of names, types and shapes belongs to sema. Pure parser, reentrant scanner,
 * no globals; recovery at `;` and `}` reports several syntax errors in one run. */
%define api.pure full
%define parse.error detailed
%define api.location.type {src_loc}
%locations
%expect 0
%param {yyscan_t scanner}

%code requires {
#include "ast.h"
#include "diag.h"
typedef void *yyscan_t;
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                   \
    do {                                                              \
        if (N) (Cur) = ast_span(YYRHSLOC(Rhs, 1), YYRHSLOC(Rhs, N));  \
        else { (Cur) = YYRHSLOC(Rhs, 0); (Cur).len = 0; }             \
    } while (0)
}

%code provides {
int qnn_lex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
}

%code {
#include <string.h>
#include "lex_extra.h"
#include "parse.h"
#include "lexer.h"

static int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
static void yyerror(YYLTYPE *loc, yyscan_t scanner, const char *msg);
#define AR (yyget_extra(scanner)->ar)
#define NODE(k, l) ast_new(AR, (k), (l))
}

%union {
    long long ival;
    double num;
    const char *str;
    ast_node *node;
    ast_list list;
}

%token START_PROGRAM START_EXPR
%token IMPORT "`import`" GATE "`gate`" CIRCUIT "`circuit`" MODEL "`model`" EXPERIMENT "`experiment`"
%token QUBITS "`qubits`" INPUT "`input`" PARAM "`param`" INIT "`init`" LET "`let`" FOR "`for`" IN "`in`"
%token REPEAT "`repeat`" AS "`as`" IF "`if`" ELSE "`else`" EXPVAL "`expval`" QUANTUM "`quantum`"
%token INT_KW "`int`" FLOAT_KW "`float`"
%token DOTDOT "`..`" EQ "`==`" NE "`!=`" LE "`<=`" GE "`>=`" AND "`&&`" OR "`||`" POW "`**`"
%token <ival> INTEGER "integer"
%token <num> REAL "number"
%token <str> IDENT "name" STRING "string"

%type <node> qref item formal qformal block stmt else_part expr primary arg default_opt init_opt
%type <list> items formals formals_opt qformals stmts dims dims_opt args args_opt exprs exprs_opt qargs qargs_opt

%left OR
%left AND
%nonassoc EQ NE '<' '>' LE GE
%left '+' '-'
%precedence SUM
%left '*' '/' '%' '@'
%precedence UMINUS '!'
%right POW

%%

start
    : START_PROGRAM items   { ast_list *out = yyget_extra(scanner)->items;
                              for (int i = 0; i < $2.n; i++) ast_append(AR, out, $2.items[i]); }
    | START_EXPR expr       { yyget_extra(scanner)->expr = $2; }
    ;

items
    : %empty                { memset(&$$, 0, sizeof $$); }
    | items item            { $$ = $1; if ($2) ast_append(AR, &$$, $2); }
    ;

item
    : "`import`" STRING ';'   { $$ = NODE(AST_IMPORT, @2); $$->str = $2; }
    | "`gate`" IDENT '(' formals_opt ')' qformals block
                            { $$ = NODE(AST_GATE, @2); $$->name = $2; $$->list = $4; $$->list2 = $6; $$->a = $7; }
    | "`gate`" IDENT qformals block
                            { $$ = NODE(AST_GATE, @2); $$->name = $2; $$->list2 = $3; $$->a = $4; }
    | "`circuit`" IDENT '(' formals_opt ')' block
                            { $$ = NODE(AST_CIRCUIT, @2); $$->name = $2; $$->list = $4; $$->a = $6; }
    | "`circuit`" IDENT block { $$ = NODE(AST_CIRCUIT, @2); $$->name = $2; $$->a = $3; }
    | "`model`" IDENT '(' formals_opt ')' block
                            { $$ = NODE(AST_MODEL, @2); $$->name = $2; $$->list = $4; $$->a = $6; }
    | "`model`" IDENT block   { $$ = NODE(AST_MODEL, @2); $$->name = $2; $$->a = $3; }
    | "`experiment`" IDENT block
                            { $$ = NODE(AST_EXPERIMENT, @2); $$->name = $2; $$->a = $3; }
    | error '}'             { $$ = NULL; yyerrok; }
    | error ';'             { $$ = NULL; yyerrok; }
    ;

formals_opt
    : %empty                { memset(&$$, 0, sizeof $$); }
    | formals
    ;

formals
    : formal                { memset(&$$, 0, sizeof $$); ast_append(AR, &$$, $1); }
    | formals ',' formal    { $$ = $1; ast_append(AR, &$$, $3); }
    ;

formal
    : "`int`" IDENT default_opt   { $$ = NODE(AST_FORMAL, @2); $$->name = $2; $$->op = FORMAL_INT; $$->a = $3; }
    | "`float`" IDENT default_opt { $$ = NODE(AST_FORMAL, @2); $$->name = $2; $$->op = FORMAL_FLOAT; $$->a = $3; }
    | "`gate`" IDENT default_opt  { $$ = NODE(AST_FORMAL, @2); $$->name = $2; $$->op = FORMAL_GATE; $$->a = $3; }
    | IDENT dims_opt default_opt
                            { $$ = NODE(AST_FORMAL, @1); $$->name = $1; $$->list = $2;
                              $$->op = $2.n ? FORMAL_TENSOR : FORMAL_ANGLE; $$->a = $3; }
    ;

default_opt
    : %empty                { $$ = NULL; }
    | '=' expr              { $$ = $2; }
    ;

qformals
    : qformal               { memset(&$$, 0, sizeof $$); ast_append(AR, &$$, $1); }
    | qformals ',' qformal  { $$ = $1; ast_append(AR, &$$, $3); }
    ;

qformal
    : IDENT                 { $$ = NODE(AST_QFORMAL, @1); $$->name = $1; }
    | IDENT '[' expr ']'    { $$ = NODE(AST_QFORMAL, @1); $$->name = $1; $$->a = $3; }
    ;

dims_opt
    : %empty                { memset(&$$, 0, sizeof $$); }
    | dims
    ;

dims
    : '[' expr ']'          { memset(&$$, 0, sizeof $$); ast_append(AR, &$$, $2); }
    | dims '[' expr ']'     { $$ = $1; ast_append(AR, &$$, $3); }
    ;

block
    : '{' stmts '}'         { $$ = NODE(AST_BLOCK, @1); $$->list = $2; }
    ;

stmts
    : %empty                { memset(&$$, 0, sizeof $$); }
    | stmts stmt            { $$ = $1; if ($2) ast_append(AR, &$$, $2); }
    ;

stmt
    : "`qubits`" IDENT '[' expr ']' ';'
                            { $$ = NODE(AST_QUBITS, @2); $$->name = $2; $$->a = $4; }
    | "`input`" IDENT dims ';'
                            { $$ = NODE(AST_INPUT, @2); $$->name = $2; $$->list = $3; }
    | "`param`" IDENT dims_opt init_opt ';'
                            { $$ = NODE(AST_PARAM, @2); $$->name = $2; $$->list = $3; $$->a = $4; }
    | "`let`" IDENT '=' expr ';'
                            { $$ = NODE(AST_LET, @2); $$->name = $2; $$->a = $4; }
    | "`for`" IDENT "`in`" expr "`..`" expr block
                            { $$ = NODE(AST_FOR, @1); $$->name = $2; $$->a = $4; $$->b = $6; $$->c = $7; }
    | "`repeat`" expr block   { $$ = NODE(AST_REPEAT, @1); $$->a = $2; $$->c = $3; }
    | "`repeat`" expr "`as`" IDENT block
                            { $$ = NODE(AST_REPEAT, @1); $$->a = $2; $$->name = $4; $$->c = $5; }
    | "`if`" expr block else_part
                            { $$ = NODE(AST_IF, @1); $$->a = $2; $$->b = $3; $$->c = $4; }
    | "`expval`" expr ';'     { $$ = NODE(AST_EXPVAL, @1); $$->a = $2; }
    /* expval hermitian(M) q[0], q[1]; -- an observable applied like a gate */
    | "`expval`" IDENT '(' args_opt ')' qargs ';'
                            { $$ = NODE(AST_EXPVAL, @1); $$->a = NODE(AST_CALL, @2); $$->a->name = $2;
                              $$->a->list = $4; $$->a->list2 = $6; $$->a->flag = 1; }
    | IDENT '=' expr ';'    { $$ = NODE(AST_ASSIGN, @1); $$->name = $1; $$->a = $3; }
    | "`model`" '=' expr ';' { $$ = NODE(AST_ASSIGN, @1); $$->name = "model"; $$->a = $3; }
    | IDENT '(' args_opt ')' qargs_opt ';'
                            { $$ = NODE(AST_APPLY, @1); $$->name = $1; $$->list = $3; $$->list2 = $5; $$->flag = 1; }
    | IDENT qargs ';'       { $$ = NODE(AST_APPLY, @1); $$->name = $1; $$->list2 = $2; }
    | IDENT ';'             { $$ = NODE(AST_APPLY, @1); $$->name = $1; }
    | "`quantum`" IDENT '(' args_opt ')' ';'
                            { $$ = NODE(AST_APPLY, @2); $$->name = $2; $$->list = $4; $$->op = 1; $$->flag = 1; }
    | "`quantum`" IDENT ';'   { $$ = NODE(AST_APPLY, @2); $$->name = $2; $$->op = 1; }
    /* composite layers of a model: parallel { branch { ... } ... }, residual { ... },
     * split(k = 8) { ... } (sema checks the names) */
    | IDENT block           { $$ = NODE(AST_GROUP, @1); $$->name = $1; $$->c = $2; }
    | IDENT '(' args_opt ')' block
                            { $$ = NODE(AST_GROUP, @1); $$->name = $1; $$->list = $3; $$->c = $5; }
    | error ';'             { $$ = NULL; yyerrok; }
    ;

else_part
    : %empty                { $$ = NULL; }
    | "`else`" block          { $$ = $2; }
    | "`else`" stmt           { $$ = $2; }
    ;

init_opt
    : %empty                { $$ = NULL; }
    | "`init`" expr           { $$ = $2; }
    ;

qargs_opt
    : %empty                { memset(&$$, 0, sizeof $$); }
    | qargs
    ;

qargs
    : qref                  { memset(&$$, 0, sizeof $$); ast_append(AR, &$$, $1); }
    | qargs ',' qref        { $$ = $1; ast_append(AR, &$$, $3); }
    ;

/* Qubit arguments are register names, optionally indexed or sliced: q, q[i],
   q[(i + r) % n], q[1..3]. */
qref
    : IDENT                 { $$ = NODE(AST_IDENT, @1); $$->name = $1; }
    | qref '[' expr ']'     { $$ = NODE(AST_INDEX, @3); $$->a = $1; $$->b = $3; }
    | qref '[' expr "`..`" expr ']'
                            { $$ = NODE(AST_SLICE, ast_span(@3, @5)); $$->a = $1; $$->b = $3; $$->c = $5; }
    /* Python's q[0:2]: parsed so that sema can name the qnn spelling */
    | qref '[' expr ':' expr ']'
                            { $$ = NODE(AST_SLICE, ast_span(@3, @5)); $$->a = $1; $$->b = $3; $$->c = $5; $$->flag = 1; }
    ;

exprs_opt
    : %empty                { memset(&$$, 0, sizeof $$); }
    | exprs
    ;

exprs
    : expr                  { memset(&$$, 0, sizeof $$); ast_append(AR, &$$, $1); }
    | exprs ',' expr        { $$ = $1; ast_append(AR, &$$, $3); }
    ;

args_opt
    : %empty                { memset(&$$, 0, sizeof $$); }
    | args
    ;

args
    : arg                   { memset(&$$, 0, sizeof $$); ast_append(AR, &$$, $1); }
    | args ',' arg          { $$ = $1; ast_append(AR, &$$, $3); }
    ;

arg
    : expr
    | IDENT '=' expr        { $$ = NODE(AST_NAMED, @1); $$->name = $1; $$->a = $3; }
    | "`init`" '=' expr       { $$ = NODE(AST_NAMED, @1); $$->name = "init"; $$->a = $3; }
    | "`in`" '=' expr         { $$ = NODE(AST_NAMED, @1); $$->name = "in"; $$->a = $3; }
    ;

expr
    : primary
    | expr '+' expr         { $$ = NODE(AST_BINOP, @2); $$->op = '+'; $$->a = $1; $$->b = $3; }
    | expr '-' expr         { $$ = NODE(AST_BINOP, @2); $$->op = '-'; $$->a = $1; $$->b = $3; }
    | expr '*' expr         { $$ = NODE(AST_BINOP, @2); $$->op = '*'; $$->a = $1; $$->b = $3; }
    | expr '/' expr         { $$ = NODE(AST_BINOP, @2); $$->op = '/'; $$->a = $1; $$->b = $3; }
    | expr '%' expr         { $$ = NODE(AST_BINOP, @2); $$->op = '%'; $$->a = $1; $$->b = $3; }
    | expr '@' expr         { $$ = NODE(AST_BINOP, @2); $$->op = '@'; $$->a = $1; $$->b = $3; }
    | expr POW expr         { $$ = NODE(AST_BINOP, @2); $$->op = AST_OP_POW; $$->a = $1; $$->b = $3; }
    | expr '<' expr         { $$ = NODE(AST_BINOP, @2); $$->op = '<'; $$->a = $1; $$->b = $3; }
    | expr '>' expr         { $$ = NODE(AST_BINOP, @2); $$->op = '>'; $$->a = $1; $$->b = $3; }
    | expr LE expr          { $$ = NODE(AST_BINOP, @2); $$->op = AST_OP_LE; $$->a = $1; $$->b = $3; }
    | expr GE expr          { $$ = NODE(AST_BINOP, @2); $$->op = AST_OP_GE; $$->a = $1; $$->b = $3; }
    | expr EQ expr          { $$ = NODE(AST_BINOP, @2); $$->op = AST_OP_EQ; $$->a = $1; $$->b = $3; }
    | expr NE expr          { $$ = NODE(AST_BINOP, @2); $$->op = AST_OP_NE; $$->a = $1; $$->b = $3; }
    | expr AND expr         { $$ = NODE(AST_BINOP, @2); $$->op = AST_OP_AND; $$->a = $1; $$->b = $3; }
    | expr OR expr          { $$ = NODE(AST_BINOP, @2); $$->op = AST_OP_OR; $$->a = $1; $$->b = $3; }
    /* sum(i in lo..hi) body: the body extends over `* / % @` and ends at `+ -`, like a
       sum sign in a formula: `-sum(i in 0..n) Z(q[i]) @ Z(q[i+1]) + h * sum(...) X(q[i])` */
    | IDENT '(' IDENT "`in`" expr "`..`" expr ')' expr %prec SUM
                            { $$ = NODE(AST_SUM, @1); $$->str = $1; $$->name = $3; $$->a = $5;
                              $$->b = $7; $$->c = $9; }
    | '-' expr %prec UMINUS { $$ = NODE(AST_UNOP, @1); $$->op = '-'; $$->a = $2; }
    | '!' expr              { $$ = NODE(AST_UNOP, @1); $$->op = '!'; $$->a = $2; }
    ;

primary
    : INTEGER               { $$ = NODE(AST_NUM, @1); $$->ival = $1; $$->num = (double)$1; $$->op = 1; }
    | REAL                  { $$ = NODE(AST_NUM, @1); $$->num = $1; }
    | STRING                { $$ = NODE(AST_STR, @1); $$->str = $1; }
    | IDENT                 { $$ = NODE(AST_IDENT, @1); $$->name = $1; }
    | IDENT '(' args_opt ')'
                            { $$ = NODE(AST_CALL, @1); $$->name = $1; $$->list = $3; }
    | primary '[' expr ']'  { $$ = NODE(AST_INDEX, @3); $$->a = $1; $$->b = $3; }
    | primary '[' expr "`..`" expr ']'
                            { $$ = NODE(AST_SLICE, ast_span(@3, @5)); $$->a = $1; $$->b = $3; $$->c = $5; }
    | primary '[' expr ':' expr ']'
                            { $$ = NODE(AST_SLICE, ast_span(@3, @5)); $$->a = $1; $$->b = $3; $$->c = $5; $$->flag = 1; }
    | '[' exprs_opt ']'     { $$ = NODE(AST_LIST, @1); $$->list = $2; }
    | '(' expr ')'          { $$ = $2; }
    ;

%%

static int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner) {
    struct lex_extra *x = yyget_extra(scanner);
    if (x->start_token) {
        int t = x->start_token;
        x->start_token = 0;
        memset(lloc, 0, sizeof *lloc);
        return t;
    }
    if (x->insert_mul) {
        x->insert_mul = 0;
        *lloc = (src_loc){x->file, x->line, x->col, 1};
        return '*';
    }
    int t = qnn_lex(lval, lloc, scanner);
    if (t == 0) *lloc = (src_loc){x->file, x->line, x->col, 1}; /* end of input: point at it */
    return t;
}

static void yyerror(YYLTYPE *loc, yyscan_t scanner, const char *msg) {
    (void)scanner;
    /* Bison's "syntax error, unexpected X, expecting Y": drop the redundant prefix. */
    const char *prefix = "syntax error, ";
    if (strncmp(msg, prefix, strlen(prefix)) == 0) msg += strlen(prefix);
    if (strcmp(msg, "memory exhausted") == 0) msg = "the program nests too deeply";
    diag_error(*loc, "%s", msg);
}

static int run_parser(arena *ar, int file, const char *text, size_t len, int start,
                      ast_list *items, ast_node **expr) {
    struct lex_extra x;
    memset(&x, 0, sizeof x);
    x.ar = ar;
    x.file = file;
    x.line = 1;
    x.col = 1;
    x.items = items;
    x.start_token = start;
    yyscan_t scanner;
    if (yylex_init_extra(&x, &scanner)) return 1;
    YY_BUFFER_STATE buf = yy_scan_bytes(text, (int)len, scanner);
    int before = diag_error_count();
    int rc = yyparse(scanner);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    if (expr) *expr = x.expr;
    int errors = diag_error_count() - before;
    return rc ? (errors ? errors : 1) : errors;
}

int parse_source(arena *ar, int file, const char *text, size_t len, ast_list *items) {
    return run_parser(ar, file, text, len, START_PROGRAM, items, NULL);
}

ast_node *parse_expression(arena *ar, int file, const char *text) {
    ast_node *e = NULL;
    if (run_parser(ar, file, text, strlen(text), START_EXPR, NULL, &e)) return NULL;
    return e;
}
