/* OpenQASM 3 import (qnnc from-qasm): the subset that qnnc emit-qasm writes, read back as the
 * text of a .qnn circuit definition, which the ordinary front end then checks and lowers.
 *
 * A hand-written recursive-descent reader rather than a second Bison grammar: the subset is a
 * handful of statement forms and one expression grammar, and translating to .qnn text keeps
 * one place (sema, lowering) that gives circuits their meaning. Subset: `OPENQASM 3[.0];`,
 * `include "stdgates.inc";`, `input float[64] NAME;` / `input angle[N] NAME;`, one
 * `qubit[n] NAME;`, `bit[n] NAME;`, `gate NAME(p, ...) a, ... { ... }`, gate calls on indexed
 * qubits with expressions (+ - * / unary -, pi, integers and reals, sin cos tan exp log sqrt
 * arctan arcsin arccos), `c = measure q;`, and the output comments `// expval:`, `// var:`,
 * `// probs:`. Inputs named x<k> are the circuit's data inputs xin[k] (not `x`: the gate); every other input is a
 * parameter (element [i][j] of tensor T when a `// param T[..][..]` comment announced T and
 * the name is T_i_j). Anything else is `file:line:col: error:` through diag.c; the first error
 * stops the reader (so hostile input cannot cascade). */
#include "qasm.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "io_file.h"

enum { MAX_QASM_BYTES = 1 << 24, MAX_NAMES = 4096, MAX_DEPTH = 100, MAX_NAME = 64 };

typedef struct {
    const char *s;
    size_t pos, len;
    int file, line, col;
    int failed;
    FILE *out;          /* the circuit body (statements) */
    FILE *head;         /* gate templates before the circuit */
    FILE *meas;         /* the outputs, after the gates */
    int n_qubits;
    char qreg[MAX_NAME];
    int n_inputs;       /* 1 + the highest x<k> */
    char *names[MAX_NAMES]; int n_names; /* parameter variables, in order */
    char *tensors[MAX_NAMES]; int n_tensors; /* `// param T[..]` lines, verbatim T[..] */
    int n_outputs;
    const char *formals[16]; int n_formals; /* inside a gate definition: its parameters */
    const char *qformals[16]; int n_qformals;
} reader;

static src_loc here(const reader *r, int len) { return (src_loc){r->file, r->line, r->col, len > 0 ? len : 1}; }

static void fail(reader *r, int len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(reader *r, int len, const char *fmt, ...) {
    if (r->failed) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_error(here(r, len), "%s", msg);
    r->failed = 1;
}

static int peekc(const reader *r, size_t k) { return r->pos + k < r->len ? (unsigned char)r->s[r->pos + k] : 0; }
static void advance(reader *r) {
    if (r->pos >= r->len) return;
    if (r->s[r->pos] == '\n') r->line++, r->col = 1;
    else r->col++;
    r->pos++;
}

/* Skips blanks and comments; an output comment (// expval: ...) stops it at the comment. */
static void skip_space(reader *r) {
    for (;;) {
        int c = peekc(r, 0);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') { advance(r); continue; }
        if (c == '/' && peekc(r, 1) == '*') {
            advance(r), advance(r);
            while (r->pos < r->len && !(peekc(r, 0) == '*' && peekc(r, 1) == '/')) advance(r);
            if (r->pos >= r->len) { fail(r, 2, "unterminated /* comment"); return; }
            advance(r), advance(r);
            continue;
        }
        if (c == '/' && peekc(r, 1) == '/') {
            const char *p = r->s + r->pos + 2;
            size_t rest = r->len - r->pos - 2;
            static const char *const kept[] = {" expval:", " var:", " probs:", " param "};
            for (size_t k = 0; k < sizeof kept / sizeof *kept; k++)
                if (rest >= strlen(kept[k]) && strncmp(p, kept[k], strlen(kept[k])) == 0) return;
            while (r->pos < r->len && peekc(r, 0) != '\n') advance(r);
            continue;
        }
        return;
    }
}

static int is_ident_start(int c) { return isalpha(c) || c == '_'; }
static int is_ident(int c) { return isalnum(c) || c == '_'; }

/* Reads an identifier into buf (MAX_NAME); 0 when there is none (after an error). */
static int ident(reader *r, char *buf, const char *what) {
    skip_space(r);
    if (r->failed) return 0;
    if (!is_ident_start(peekc(r, 0))) { fail(r, 1, "expected %s", what); return 0; }
    size_t n = 0;
    while (is_ident(peekc(r, 0))) {
        if (n + 1 >= MAX_NAME) { fail(r, 1, "name longer than %d characters", MAX_NAME - 1); return 0; }
        buf[n++] = (char)peekc(r, 0);
        advance(r);
    }
    buf[n] = '\0';
    return 1;
}

static int accept(reader *r, int c) {
    skip_space(r);
    if (r->failed || peekc(r, 0) != c) return 0;
    advance(r);
    return 1;
}

static void expect(reader *r, int c, const char *where) {
    if (!accept(r, c)) fail(r, 1, "expected `%c` %s", c, where);
}

static long integer(reader *r, long max, const char *what) {
    skip_space(r);
    if (r->failed) return -1;
    if (!isdigit(peekc(r, 0))) { fail(r, 1, "expected %s (an integer)", what); return -1; }
    long v = 0;
    int start = r->col;
    while (isdigit(peekc(r, 0))) {
        v = v * 10 + (peekc(r, 0) - '0');
        if (v > max) { r->col = start; fail(r, 1, "%s is larger than %ld", what, max); return -1; }
        advance(r);
    }
    return v;
}

static int find_name(reader *r, const char *n) {
    for (int i = 0; i < r->n_names; i++) if (strcmp(r->names[i], n) == 0) return i;
    return -1;
}

/* A parameter variable as .qnn: T_i_j -> T[i][j] when tensor T was announced, else itself. */
static void write_param_name(reader *r, const char *n, FILE *f) {
    for (int t = 0; t < r->n_tensors; t++) {
        size_t k = strcspn(r->tensors[t], "[");
        if (strncmp(n, r->tensors[t], k) != 0) continue;
        const char *p = n + k;
        if (*p == '\0' && r->tensors[t][k] == '\0') break;
        if (*p != '_' || !isdigit((unsigned char)p[1])) continue;
        fwrite(n, 1, k, f);
        while (*p == '_' && isdigit((unsigned char)p[1])) {
            fputc('[', f);
            for (p++; isdigit((unsigned char)*p); p++) fputc(*p, f);
            fputc(']', f);
        }
        if (*p) fputs(p, f); /* cannot happen for names emit-qasm wrote */
        return;
    }
    fputs(n, f);
}

static void expr(reader *r, FILE *f, int depth);

static void primary(reader *r, FILE *f, int depth) {
    skip_space(r);
    if (r->failed) return;
    int c = peekc(r, 0);
    if (depth > MAX_DEPTH) { fail(r, 1, "expression nested deeper than %d", MAX_DEPTH); return; }
    if (c == '(') {
        advance(r);
        fputc('(', f);
        expr(r, f, depth + 1);
        expect(r, ')', "to close `(`");
        fputc(')', f);
        return;
    }
    if (c == '-' || c == '+') {
        advance(r);
        fputs(c == '-' ? "(-" : "(", f);
        primary(r, f, depth + 1);
        fputc(')', f);
        return;
    }
    if (isdigit(c) || (c == '.' && isdigit(peekc(r, 1)))) {
        char *end;
        double v = strtod(r->s + r->pos, &end);
        size_t n = (size_t)(end - (r->s + r->pos));
        if (is_ident_start(*end)) { fail(r, (int)n + 1, "unsupported number suffix (units and imaginary numbers are outside the subset)"); return; }
        fprintf(f, "%.17g", v);
        while (n--) advance(r);
        return;
    }
    char name[MAX_NAME];
    int col = r->col;
    if (!ident(r, name, "an expression")) return;
    static const char *const fn_qasm[] = {"sin", "cos", "tan", "exp", "log", "sqrt", "arctan", "arcsin", "arccos"};
    static const char *const fn_qnn[] = {"sin", "cos", "tan", "exp", "log", "sqrt", "atan", "asin", "acos"};
    for (size_t k = 0; k < sizeof fn_qasm / sizeof *fn_qasm; k++)
        if (strcmp(name, fn_qasm[k]) == 0) {
            expect(r, '(', "after a function name");
            fprintf(f, "%s(", fn_qnn[k]);
            expr(r, f, depth + 1);
            expect(r, ')', "to close the function call");
            fputc(')', f);
            return;
        }
    if (strcmp(name, "pi") == 0 || strcmp(name, "π") == 0) { fputs("pi", f); return; }
    for (int k = 0; k < r->n_formals; k++)
        if (strcmp(name, r->formals[k]) == 0) { fputs(name, f); return; }
    if (name[0] == 'x' && name[1] && strspn(name + 1, "0123456789") == strlen(name + 1) && strlen(name) < 8 &&
        atoi(name + 1) < r->n_inputs) {
        fprintf(f, "xin[%d]", atoi(name + 1));
        return;
    }
    if (find_name(r, name) >= 0) { write_param_name(r, name, f); return; }
    r->col = col;
    fail(r, (int)strlen(name), "`%s` is not a declared input, parameter or function of the subset", name);
}

static void term(reader *r, FILE *f, int depth) {
    primary(r, f, depth);
    for (;;) {
        skip_space(r);
        int c = peekc(r, 0);
        if (r->failed || (c != '*' && c != '/')) return;
        if (c == '*' && peekc(r, 1) == '*') { fail(r, 2, "`**` (power) is outside the subset"); return; }
        advance(r);
        fprintf(f, " %c ", c);
        primary(r, f, depth);
    }
}

static void expr(reader *r, FILE *f, int depth) {
    term(r, f, depth);
    for (;;) {
        skip_space(r);
        int c = peekc(r, 0);
        if (r->failed || (c != '+' && c != '-')) return;
        advance(r);
        fprintf(f, " %c ", c);
        term(r, f, depth);
    }
}

/* `q[k]` (or a gate definition's qubit argument) as .qnn text; -1 or the wire. */
static int qubit_ref(reader *r, FILE *f) {
    char name[MAX_NAME];
    skip_space(r);
    int col = r->col;
    if (!ident(r, name, "a qubit")) return -1;
    for (int k = 0; k < r->n_qformals; k++)
        if (strcmp(name, r->qformals[k]) == 0) { fputs(name, f); return 1000 + k; }
    if (!r->n_qubits || strcmp(name, r->qreg) != 0) {
        r->col = col;
        fail(r, (int)strlen(name), "`%s` is not the qubit register%s", name, r->n_qubits ? "" : " (no `qubit[n]` declared before)");
        return -1;
    }
    if (!accept(r, '[')) { fail(r, 1, "expected `[` (whole-register gate calls are outside the subset)"); return -1; }
    long w = integer(r, r->n_qubits - 1, "the qubit index");
    expect(r, ']', "after the qubit index");
    if (r->failed) return -1;
    fprintf(f, "q[%ld]", w);
    return (int)w;
}

/* Gate names of the subset and their arities (qubits, angles); .qnn spells them alike except
 * U (-> u3). `rot` is known only once the file defines it as emit-qasm does. */
typedef struct { const char *qasm, *qnn; int qubits, angles; } gate_kind;
static const gate_kind GATES[] = {
    {"id", "i", 1, 0}, {"h", "h", 1, 0}, {"x", "x", 1, 0}, {"y", "y", 1, 0}, {"z", "z", 1, 0},
    {"s", "s", 1, 0}, {"t", "t", 1, 0}, {"sx", "sx", 1, 0}, {"rx", "rx", 1, 1}, {"ry", "ry", 1, 1},
    {"rz", "rz", 1, 1}, {"p", "phase", 1, 1}, {"U", "u3", 1, 3}, {"cx", "cnot", 2, 0},
    {"cz", "cz", 2, 0}, {"cy", "cy", 2, 0}, {"swap", "swap", 2, 0}, {"crx", "crx", 2, 1},
    {"cry", "cry", 2, 1}, {"crz", "crz", 2, 1}, {"cp", "cphase", 2, 1}, {"rot", "rot", 1, 3}};

static int rot_defined;

static void gate_call(reader *r, const char *name, int col, FILE *f) {
    const gate_kind *g = NULL;
    for (size_t k = 0; k < sizeof GATES / sizeof *GATES; k++)
        if (strcmp(name, GATES[k].qasm) == 0) g = &GATES[k];
    if (!g || (strcmp(name, "rot") == 0 && !rot_defined)) {
        r->col = col;
        fail(r, (int)strlen(name), "gate `%s` is outside the subset (stdgates.inc's fixed and rotation gates, U, and "
                                   "emit-qasm's `rot`)", name);
        return;
    }
    fprintf(f, "    %s", g->qnn);
    int n = 0;
    if (accept(r, '(')) {
        fputc('(', f);
        do {
            if (n++) fputs(", ", f);
            expr(r, f, 0);
        } while (accept(r, ','));
        expect(r, ')', "after the gate's angles");
        fputc(')', f);
    }
    if (!r->failed && n != g->angles) { fail(r, 1, "gate `%s` takes %d angle%s, not %d", name, g->angles, g->angles == 1 ? "" : "s", n); return; }
    fputc(' ', f);
    int w[2] = {-1, -1};
    for (int k = 0; k < g->qubits && !r->failed; k++) {
        if (k) { expect(r, ',', "between the gate's qubits"); fputs(", ", f); }
        skip_space(r);
        int wc = r->col;
        w[k] = qubit_ref(r, f);
        if (k && w[0] == w[1] && w[1] >= 0) { r->col = wc; fail(r, 1, "gate `%s` on the same qubit twice", name); }
    }
    if (!r->failed && peekc(r, 0) != ';') { skip_space(r); if (peekc(r, 0) == ',') { fail(r, 1, "gate `%s` acts on %d qubit%s", name, g->qubits, g->qubits == 1 ? "" : "s"); return; } }
    expect(r, ';', "after the gate call");
    fputs(";\n", f);
}

/* The rest of an output comment line: `coef * Z0 X2 + ...` -> .qnn observable text. */
static void output_comment(reader *r, const char *kind) {
    FILE *f = r->meas;
    r->n_outputs++;
    if (strcmp(kind, "probs") == 0) {
        fputs("    probs(", f);
        int n = 0;
        while (!r->failed) {
            while (peekc(r, 0) == ' ') advance(r);
            if (peekc(r, 0) == '\n' || peekc(r, 0) == '\r' || !peekc(r, 0)) break;
            if (peekc(r, 0) != 'q') { fail(r, 1, "expected a wire `qK` in the probs comment"); return; }
            advance(r);
            long w = integer(r, r->n_qubits - 1, "the wire");
            fprintf(f, "%sq[%ld]", n++ ? ", " : "", w);
        }
        if (!n && !r->failed) fail(r, 1, "a probs comment without wires");
        fputs(");\n", f);
        return;
    }
    fputs(strcmp(kind, "var") == 0 ? "    var(" : "    expval ", f);
    int first = 1;
    while (!r->failed) {
        while (peekc(r, 0) == ' ') advance(r);
        if (!first) {
            if (peekc(r, 0) != '+') break;
            advance(r);
            fputs(" + ", f);
            while (peekc(r, 0) == ' ') advance(r);
        }
        first = 0;
        char *end;
        double coef = strtod(r->s + r->pos, &end);
        if (end == r->s + r->pos) { fail(r, 1, "expected a coefficient in the %s comment", kind); return; }
        while (r->s + r->pos < end) advance(r);
        while (peekc(r, 0) == ' ') advance(r);
        if (peekc(r, 0) != '*') { fail(r, 1, "expected `*` after the coefficient"); return; }
        advance(r);
        fprintf(f, "%.17g", coef);
        int factors = 0;
        for (;;) {
            while (peekc(r, 0) == ' ') advance(r);
            int c = peekc(r, 0);
            if (c == 'I' && !isdigit(peekc(r, 1))) { advance(r); fputs(" * I(q[0])", f); factors++; continue; }
            if (c != 'X' && c != 'Y' && c != 'Z') break;
            advance(r);
            long w = integer(r, r->n_qubits - 1, "the wire");
            if (r->failed) return;
            fprintf(f, "%s%c(q[%ld])", factors++ ? " @ " : " * ", c, w);
        }
        if (!factors) { fail(r, 1, "expected Pauli factors (`Z0 X1` or `I`) in the %s comment", kind); return; }
    }
    int c = peekc(r, 0);
    if (!r->failed && c && c != '\n' && c != '\r') { fail(r, 1, "unexpected text in the %s comment", kind); return; }
    fputs(strcmp(kind, "var") == 0 ? ");\n" : ";\n", f);
}

static void gate_definition(reader *r) {
    char name[MAX_NAME], p[3][MAX_NAME], a[MAX_NAME];
    skip_space(r);
    int col = r->col;
    if (!ident(r, name, "the gate's name")) return;
    /* Only emit-qasm's own definition: PennyLane's Rot as rz, ry, rz (qasm.c). */
    int n = 0;
    expect(r, '(', "after the gate's name (only emit-qasm's `gate rot(phi, theta, omega) a` is supported)");
    do { if (n < 3 && ident(r, p[n], "a parameter name")) n++; else if (!r->failed) fail(r, 1, "too many parameters"); } while (!r->failed && accept(r, ','));
    expect(r, ')', "after the gate's parameters");
    ident(r, a, "the gate's qubit");
    if (r->failed) return;
    if (strcmp(name, "rot") != 0 || n != 3) {
        r->col = col;
        fail(r, (int)strlen(name), "gate definitions other than emit-qasm's `rot` are outside the subset");
        return;
    }
    expect(r, '{', "to open the gate's body");
    const char *want[3] = {"rz", "ry", "rz"};
    for (int k = 0; k < 3 && !r->failed; k++) {
        char g[MAX_NAME], arg[MAX_NAME], q[MAX_NAME];
        ident(r, g, "a gate");
        expect(r, '(', "after the gate");
        ident(r, arg, "a parameter");
        expect(r, ')', "after the parameter");
        ident(r, q, "the qubit");
        expect(r, ';', "after the gate call");
        if (!r->failed && (strcmp(g, want[k]) || strcmp(arg, p[k]) || strcmp(q, a)))
            fail(r, 1, "`gate rot` must be rz(phi), ry(theta), rz(omega) on its qubit, as emit-qasm writes it");
    }
    expect(r, '}', "to close the gate's body");
    rot_defined = !r->failed;
}

static void declaration_input(reader *r) {
    char type[MAX_NAME], name[MAX_NAME];
    if (!ident(r, type, "a type")) return;
    if (strcmp(type, "float") != 0 && strcmp(type, "angle") != 0) { fail(r, 1, "input type `%s` is outside the subset (float[64], angle)", type); return; }
    if (accept(r, '[')) { integer(r, 64, "the width"); expect(r, ']', "after the width"); }
    skip_space(r);
    int col = r->col;
    if (!ident(r, name, "the input's name")) return;
    expect(r, ';', "after the input");
    if (r->failed) return;
    if (name[0] == 'x' && name[1] && strspn(name + 1, "0123456789") == strlen(name + 1)) {
        int k = strlen(name) < 8 ? atoi(name + 1) : 1 << 30;
        if (k != r->n_inputs) { r->col = col; fail(r, (int)strlen(name), "data inputs are declared in order: expected `x%d`", r->n_inputs); return; }
        r->n_inputs++;
        return;
    }
    if (find_name(r, name) >= 0 || r->n_names >= MAX_NAMES) { r->col = col; fail(r, (int)strlen(name), "`%s` declared twice (or too many inputs)", name); return; }
    r->names[r->n_names++] = strdup(name);
}

static void param_comment(reader *r) {
    /* `// param T[2][3]`: T's elements are the inputs T_i_j */
    while (peekc(r, 0) == ' ') advance(r);
    size_t start = r->pos;
    while (peekc(r, 0) && peekc(r, 0) != '\n') advance(r);
    size_t n = r->pos - start;
    char *t = malloc(n + 1);
    if (!t) { fail(r, 1, "out of memory"); return; }
    memcpy(t, r->s + start, n);
    t[n] = '\0';
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\r')) t[--n] = '\0';
    size_t ok = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_[]");
    if (ok != n || !n || !is_ident_start((unsigned char)t[0]) || r->n_tensors >= MAX_NAMES) {
        free(t);
        fail(r, 1, "a `// param` comment holds one tensor, as `// param w[2][3]`");
        return;
    }
    r->tensors[r->n_tensors++] = t;
}

static void statement(reader *r) {
    skip_space(r);
    if (r->failed || r->pos >= r->len) return;
    if (peekc(r, 0) == '/') { /* an output or param comment (skip_space kept it) */
        advance(r), advance(r), advance(r);
        char kind[MAX_NAME];
        ident(r, kind, "a comment kind");
        if (strcmp(kind, "param") == 0) { param_comment(r); return; }
        advance(r); /* ':' */
        if (!r->n_qubits) { fail(r, 1, "an output comment before `qubit[n]`"); return; }
        output_comment(r, kind);
        return;
    }
    char word[MAX_NAME];
    int col = r->col;
    if (!ident(r, word, "a statement")) return;
    if (strcmp(word, "OPENQASM") == 0) {
        skip_space(r);
        if (!(peekc(r, 0) == '3')) { fail(r, 1, "only OpenQASM 3 is read"); return; }
        while (isdigit(peekc(r, 0)) || peekc(r, 0) == '.') advance(r);
        expect(r, ';', "after the version");
    } else if (strcmp(word, "include") == 0) {
        skip_space(r);
        if (strncmp(r->s + r->pos, "\"stdgates.inc\"", 14) != 0 || r->len - r->pos < 14) { fail(r, 1, "only `include \"stdgates.inc\";` is supported"); return; }
        for (int k = 0; k < 14; k++) advance(r);
        expect(r, ';', "after the include");
    } else if (strcmp(word, "input") == 0) {
        declaration_input(r);
    } else if (strcmp(word, "qubit") == 0) {
        if (r->n_qubits) { r->col = col; fail(r, 5, "a second qubit register (one `qubit[n]` only)"); return; }
        expect(r, '[', "(`qubit[n] q;`)");
        long n = integer(r, IR_MAX_QUBITS, "the qubit count");
        expect(r, ']', "after the qubit count");
        ident(r, r->qreg, "the register's name");
        expect(r, ';', "after the register");
        if (!r->failed && n < 1) fail(r, 1, "a register of no qubits");
        r->n_qubits = (int)n;
    } else if (strcmp(word, "bit") == 0) {
        char b[MAX_NAME];
        if (accept(r, '[')) { integer(r, IR_MAX_QUBITS, "the bit count"); expect(r, ']', "after the bit count"); }
        ident(r, b, "the bits' name");
        expect(r, ';', "after the bits");
    } else if (strcmp(word, "gate") == 0) {
        gate_definition(r);
    } else if (strcmp(word, "measure") == 0 || (skip_space(r), peekc(r, 0) == '=' || peekc(r, 0) == '[')) {
        /* c = measure q; (or c[i] = measure q[i];): qnn reports expectation values instead */
        while (r->pos < r->len && peekc(r, 0) != ';' && peekc(r, 0) != '\n') advance(r);
        expect(r, ';', "after the measurement");
    } else {
        gate_call(r, word, col, r->out);
    }
}


int qasm_import(const char *path, const char *circuit_name, char **qnn_text) {
    unsigned char *data = NULL;
    size_t len = 0;
    char err[512];
    *qnn_text = NULL;
    if (io_read_file(path, MAX_QASM_BYTES, &data, &len, err, sizeof err)) {
        fprintf(stderr, "qnnc: %s\n", err);
        return -1;
    }
    if (memchr(data, '\0', len)) {
        fprintf(stderr, "qnnc: %s: not a text file (NUL bytes)\n", path);
        free(data);
        return -1;
    }
    reader r = {0};
    r.s = (const char *)data, r.len = len, r.line = 1, r.col = 1;
    r.file = diag_add_source(path, r.s);
    char *body = NULL, *meas = NULL, *head = NULL;
    size_t bl, ml, hl;
    r.out = open_memstream(&body, &bl), r.meas = open_memstream(&meas, &ml), r.head = open_memstream(&head, &hl);
    rot_defined = 0;
    while (!r.failed && (skip_space(&r), r.pos < r.len)) statement(&r);
    if (!r.failed && !r.n_qubits) fail(&r, 1, "no `qubit[n]` register");
    if (!r.failed && !r.n_outputs)
        fail(&r, 1, "no `// expval:`, `// var:` or `// probs:` comment: OpenQASM 3 has no expectation values, "
                    "and a qnn circuit needs its outputs");
    fclose(r.out), fclose(r.meas), fclose(r.head);
    int rc = r.failed ? -1 : 0;
    if (!rc) {
        char *text = NULL;
        size_t tl;
        FILE *f = open_memstream(&text, &tl);
        fprintf(f, "// %s, read by qnnc from-qasm\n%scircuit %s() {\n    qubits q[%d];\n", path, head, circuit_name, r.n_qubits);
        if (r.n_inputs) fprintf(f, "    input xin[%d];\n", r.n_inputs);
        for (int t = 0; t < r.n_tensors; t++) fprintf(f, "    param %s;\n", r.tensors[t]);
        for (int i = 0; i < r.n_names; i++) {
            int in_tensor = 0;
            for (int t = 0; t < r.n_tensors; t++) {
                size_t k = strcspn(r.tensors[t], "[");
                in_tensor |= strncmp(r.names[i], r.tensors[t], k) == 0 &&
                             (r.names[i][k] == '_' || (r.names[i][k] == '\0' && r.tensors[t][k] == '\0'));
            }
            if (!in_tensor) fprintf(f, "    param %s;\n", r.names[i]);
        }
        fprintf(f, "%s%s}\n", body, meas);
        fclose(f);
        *qnn_text = text;
    }
    free(body), free(meas), free(head);
    for (int i = 0; i < r.n_names; i++) free(r.names[i]);
    for (int t = 0; t < r.n_tensors; t++) free(r.tensors[t]);
    free(data); /* diag printed every message already; nothing reports on it later */
    return rc;
}

void qasm_circuit_name(const char *path, char *name, size_t cap) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = 0;
    if (!is_ident_start((unsigned char)*b)) name[n++] = 'c', name[n++] = '_';
    for (; *b && n + 1 < cap; b++) name[n++] = is_ident((unsigned char)*b) ? *b : '_';
    name[n] = '\0';
    if (n > 5 && strcmp(name + n - 5, "_qasm") == 0) name[n - 5] = '\0';
}

int qasm_from_main(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) out = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "qnnc: from-qasm takes FILE.qasm [-o OUT.qnn], not `%s` (see `qnnc --help`)\n", argv[i]);
            return 2;
        } else if (!in) in = argv[i];
        else {
            fprintf(stderr, "qnnc: unexpected argument `%s`: one file at a time (see `qnnc --help`)\n", argv[i]);
            return 2;
        }
    }
    if (!in) {
        fprintf(stderr, "qnnc: `from-qasm` needs a .qasm file (see `qnnc --help`)\n");
        return 2;
    }
    char name[MAX_NAME];
    qasm_circuit_name(in, name, sizeof name);
    char *text = NULL;
    if (qasm_import(in, name, &text)) {
        if (diag_error_count()) fprintf(stderr, "1 error\n");
        return 1;
    }
    int rc = 0;
    if (out) {
        char err[512];
        if (io_write_file_atomic(out, text, strlen(text), err, sizeof err)) {
            fprintf(stderr, "qnnc: %s\n", err);
            rc = 1;
        }
    } else fputs(text, stdout);
    free(text);
    return rc;
}
