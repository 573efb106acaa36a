/* Circuit drawings: the IR of one circuit (after lowering, or after pass_fuse) laid out once
 * as columns of cells, then written as text (qnnc draw) or SVG (qnnc draw --svg, and the
 * circuit figures that run reports show). PennyLane's qml.draw is the model: wires as lines,
 * gates as labels with their angles, controls joined to their targets, observables last. */
#include "draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io_file.h"
#include "passes.h"

/* ---- layout ------------------------------------------------------------------------------ */

typedef enum { CELL_PASS, CELL_CTRL, CELL_OPLUS, CELL_SWAP, CELL_BOX } cell_kind;

/* One wire of one placed item. Corners join the wires of a multi-wire item: 't'op, 'm'iddle,
 * 'b'ottom, 'p'assing (a wire between that the item does not act on), 0 for one wire. */
typedef struct {
    cell_kind kind;
    char corner;
    const char *label; /* CELL_BOX; owned by the layout's label list */
} cell;

typedef struct {
    int col, lo, hi;  /* column; wires lo..hi, cells[first + w - lo] */
    int first;
    int generic;      /* one box over its wires (fused, unknown or future multi-wire ops) */
} item;

typedef struct {
    int n_wires, n_gate_cols, n_cols; /* columns [0, n_gate_cols) gates, the rest observables */
    item *items;
    int n_items, cap_items;
    cell *cells;
    int n_cells, cap_cells;
    char **labels;
    int n_labels, cap_labels;
    char **legend; /* "H2 = ..." lines for observables drawn as ⟨H2⟩ */
    int n_legend, cap_legend;
    int oom;
} layout;

static int grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int cap2 = *cap ? *cap : 16;
    while (cap2 < need) cap2 *= 2;
    void *p = realloc(*arr, (size_t)cap2 * elem);
    if (!p) return -1;
    *arr = p;
    *cap = cap2;
    return 0;
}

/* A string that the layout owns (NULL after a failed allocation, which sets oom). */
static const char *keep(layout *L, char *s) {
    if (!s || grow((void **)&L->labels, &L->cap_labels, L->n_labels + 1, sizeof *L->labels)) {
        free(s);
        L->oom = 1;
        return NULL;
    }
    return L->labels[L->n_labels++] = s;
}

/* The symbols of the two text styles; SVG uses the Unicode ones. */
typedef struct {
    const char *wire, *ctrl, *oplus, *swap, *top, *mid, *bot, *pass, *end, *lang, *rang, *pi, *phase;
} glyphs;
static const glyphs UNICODE = {"─", "●", "⊕", "×", "╭", "├", "╰", "│", "┤", "⟨", "⟩", "π", "Rϕ"};
static const glyphs ASCII = {"-", "*", "X", "x", "+", "+", "+", "|", "|", "<", ">", "pi", "Rphi"};

/* Three parameters w[..., 0..2] that fill the last axis of one tensor: a Rot of a strongly
 * entangling layer, written w[i,j,:] instead of three long names. */
static int param_row(const ir_circuit *c, const ir_op *op, int *tensor, int *first) {
    const ir_expr *e[3];
    for (int k = 0; k < 3; k++) {
        if (op->angle[k] < 0) return 0;
        e[k] = &c->exprs[op->angle[k]];
        if (e[k]->kind != IR_EXPR_PARAM || e[k]->index != e[0]->index + k) return 0;
    }
    for (int t = 0; t < c->n_tensors; t++) {
        const ir_tensor *tn = &c->tensors[t];
        if (tn->rank < 1 || tn->shape[tn->rank - 1] != 3) continue;
        int rel = e[0]->index - tn->offset;
        if (rel < 0 || rel >= tn->size || rel % 3) continue;
        *tensor = t;
        *first = rel;
        return 1;
    }
    return 0;
}

/* An angle; a negative constant without the parentheses that it needs inside a product. */
static void angle_text(const ir_circuit *c, int e, const ir_expr_style *st, FILE *f) {
    if (c->exprs[e].kind != IR_EXPR_CONST || c->exprs[e].value >= 0) {
        ir_print_expr(c, e, st, f);
        return;
    }
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    if (!m) return;
    ir_print_expr(c, e, st, m);
    if (fclose(m) == 0 && s) {
        n = strlen(s);
        if (n >= 2 && s[0] == '(' && s[n - 1] == ')') fprintf(f, "%.*s", (int)(n - 2), s + 1);
        else fputs(s, f);
    }
    free(s);
}

static char *gate_label(const ir_circuit *c, const ir_op *op, ir_gate base, const glyphs *g) {
    static const char *const names[] = {"I", "H", "X", "Y", "Z", "S", "T", "SX", "RX", "RY",
                                        "RZ", NULL, "Rot", "U3"};
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (!f) return NULL;
    if (base == IR_CHANNEL) fputs(ir_channel_name(op->channel), f);
    else if (base == IR_PHASE) fputs(g->phase, f);
    else if ((unsigned)base < sizeof names / sizeof *names) fputs(names[base], f);
    else fputs(ir_gate_name(base), f);
    ir_expr_style st = {.digits = 3, .compact = 1, .pi = g->pi};
    int na = base == IR_CHANNEL ? ir_channel_n_strengths(op->channel) : ir_gate_n_angles(base), t, first;
    if (na == 3 && param_row(c, op, &t, &first)) {
        const ir_tensor *tn = &c->tensors[t];
        fprintf(f, "(%s", tn->name);
        int rest = first, stride = tn->size;
        for (int d = 0; d < tn->rank - 1; d++) {
            stride /= tn->shape[d];
            fprintf(f, "%s%d", d ? "," : "[", rest / stride);
            rest %= stride;
        }
        fputs(tn->rank > 1 ? ",:])" : "[:])", f);
        na = 0;
    }
    for (int k = 0; k < na; k++) {
        fputs(k ? "," : "(", f);
        if (op->angle[k] >= 0) angle_text(c, op->angle[k], &st, f);
        else fputc('?', f);
        if (k == na - 1) fputc(')', f);
    }
    if (op->n_members > 0) fprintf(f, "[%d]", op->n_members); /* how many gates it fused */
    if (fclose(f)) {
        free(s);
        return NULL;
    }
    return s;
}

/* Places an item over wires lo..hi in the first column after the last one that any of those
 * wires uses (the wires between included, so that its connector crosses no other item). */
static item *place(layout *L, int *level, int lo, int hi, int min_col) {
    if (grow((void **)&L->items, &L->cap_items, L->n_items + 1, sizeof *L->items) ||
        grow((void **)&L->cells, &L->cap_cells, L->n_cells + hi - lo + 1, sizeof *L->cells)) {
        L->oom = 1;
        return NULL;
    }
    int col = min_col;
    for (int w = lo; w <= hi; w++)
        if (level[w] > col) col = level[w];
    for (int w = lo; w <= hi; w++) level[w] = col + 1;
    if (col + 1 > L->n_cols) L->n_cols = col + 1;
    item *it = &L->items[L->n_items++];
    it->col = col;
    it->lo = lo;
    it->hi = hi;
    it->first = L->n_cells;
    it->generic = 0;
    for (int w = lo; w <= hi; w++) {
        cell *ce = &L->cells[L->n_cells++];
        ce->kind = CELL_PASS;
        ce->label = NULL;
        ce->corner = lo == hi ? 0 : w == lo ? 't' : w == hi ? 'b' : 'p';
    }
    return it;
}

static void set_cell(layout *L, item *it, int w, cell_kind k, const char *label) {
    cell *ce = &L->cells[it->first + w - it->lo];
    ce->kind = k;
    ce->label = label;
    if (ce->corner == 'p') ce->corner = 'm';
}

static void place_op(layout *L, const ir_circuit *c, const ir_op *op, int *level, const glyphs *g) {
    uint32_t mask = ir_op_wire_mask(c, op);
    int lo = -1, hi = -1;
    for (int w = 0; w < c->n_qubits; w++)
        if (mask >> w & 1) {
            if (lo < 0) lo = w;
            hi = w;
        }
    if (lo < 0) return; /* touches no wire: nothing to draw */
    item *it = place(L, level, lo, hi, 0);
    if (!it) return;
    int w0 = op->wires[0], w1 = op->wires[1];
    static const ir_gate ctrl_base[] = {IR_RX, IR_RY, IR_RZ, IR_PHASE}; /* of CRX .. CPHASE */
    switch (op->n_members ? IR_GATE_COUNT : op->gate) {
    case IR_CNOT:
        set_cell(L, it, w0, CELL_CTRL, NULL);
        set_cell(L, it, w1, CELL_OPLUS, NULL);
        return;
    case IR_CZ: case IR_CY:
        set_cell(L, it, w0, CELL_CTRL, NULL);
        set_cell(L, it, w1, CELL_BOX, op->gate == IR_CZ ? "Z" : "Y");
        return;
    case IR_SWAP:
        set_cell(L, it, w0, CELL_SWAP, NULL);
        set_cell(L, it, w1, CELL_SWAP, NULL);
        return;
    case IR_CRX: case IR_CRY: case IR_CRZ: case IR_CPHASE:
        set_cell(L, it, w0, CELL_CTRL, NULL);
        set_cell(L, it, w1, CELL_BOX, keep(L, gate_label(c, op, ctrl_base[op->gate - IR_CRX], g)));
        return;
    default: { /* one wire, or a box over all its wires: fused ops and any op kind added later */
        const char *label = keep(L, gate_label(c, op, op->gate, g));
        it->generic = lo != hi;
        for (int w = lo; w <= hi; w++)
            if (mask >> w & 1) set_cell(L, it, w, CELL_BOX, label);
    }
    }
}

/* The Pauli letters of a term on the wires of mask, joined by '@' (Z@Z). */
static void term_letters(const ir_pauli_term *t, int n, FILE *f) {
    int any = 0;
    for (int w = 0; w < n; w++) {
        int x = t->x_mask >> w & 1, z = t->z_mask >> w & 1;
        if (!x && !z) continue;
        fprintf(f, "%s%c", any ? "@" : "", x ? (z ? 'Y' : 'X') : 'Z');
        any = 1;
    }
    if (!any) fputc('I', f);
}

static void terms_text(const ir_circuit *c, int first, int n, FILE *f) {
    for (int k = 0; k < n; k++) {
        const ir_pauli_term *t = &c->terms[first + k];
        fprintf(f, k ? (t->coef < 0 ? " - " : " + ") : (t->coef < 0 ? "-" : ""));
        fprintf(f, "%.4g", t->coef < 0 ? -t->coef : t->coef);
        int any = 0;
        for (int w = 0; w < c->n_qubits; w++) {
            int x = t->x_mask >> w & 1, z = t->z_mask >> w & 1;
            if (!x && !z) continue;
            fprintf(f, "%s%c(q%d)", any ? "@" : "*", x ? (z ? 'Y' : 'X') : 'Z', w);
            any = 1;
        }
    }
}

static void place_observables(layout *L, const ir_circuit *c, int *level, const glyphs *g) {
    for (int o = 0; o < c->n_obs; o++) {
        const ir_observable *ob = &c->obs[o];
        uint32_t mask = 0;
        int first = ob->kind == IR_OBS_VAR ? ob->first_lin : ob->first_term;
        int n = ob->kind == IR_OBS_VAR ? ob->n_lin : ob->n_terms;
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        if (!f) {
            L->oom = 1;
            return;
        }
        if (ob->kind == IR_OBS_PROB) {
            for (int i = 0; i < ob->n_prob_wires; i++) mask |= 1u << ob->prob_wires[i];
            /* the 2^m outputs of one `probs` statement: one item */
            while (o + 1 < c->n_obs && c->obs[o + 1].kind == IR_OBS_PROB &&
                   c->obs[o + 1].n_prob_wires == ob->n_prob_wires &&
                   memcmp(c->obs[o + 1].prob_wires, ob->prob_wires, sizeof ob->prob_wires) == 0)
                o++;
            fputs("Probs", f);
        } else {
            for (int k = 0; k < n; k++) mask |= c->terms[first + k].x_mask | c->terms[first + k].z_mask;
            fputs(ob->kind == IR_OBS_VAR ? "Var[" : g->lang, f);
            if (n == 1 && c->terms[first].coef == 1) {
                term_letters(&c->terms[first], c->n_qubits, f);
            } else { /* a weighted sum: named here, written out in the legend */
                fprintf(f, "H%d", o);
                char *line = NULL;
                size_t ll = 0;
                FILE *lf = open_memstream(&line, &ll);
                if (lf) {
                    fprintf(lf, "H%d = ", o);
                    terms_text(c, first, n, lf);
                    if (fclose(lf)) line = NULL;
                }
                if (!line || grow((void **)&L->legend, &L->cap_legend, L->n_legend + 1, sizeof *L->legend)) {
                    free(line);
                    L->oom = 1;
                } else {
                    L->legend[L->n_legend++] = line;
                }
            }
            fputs(ob->kind == IR_OBS_VAR ? "]" : g->rang, f);
        }
        if (fclose(f)) s = NULL;
        const char *label = keep(L, s);
        if (!mask) mask = 1; /* a constant observable: shown on the first wire */
        int lo = -1, hi = -1;
        for (int w = 0; w < c->n_qubits; w++)
            if (mask >> w & 1) {
                if (lo < 0) lo = w;
                hi = w;
            }
        item *it = place(L, level, lo, hi, L->n_gate_cols);
        if (!it) return;
        it->generic = lo != hi;
        for (int w = lo; w <= hi; w++)
            if (mask >> w & 1) set_cell(L, it, w, CELL_BOX, label);
    }
}

static void layout_free(layout *L) {
    for (int i = 0; i < L->n_labels; i++) free(L->labels[i]);
    for (int i = 0; i < L->n_legend; i++) free(L->legend[i]);
    free(L->labels);
    free(L->legend);
    free(L->items);
    free(L->cells);
}

static int layout_build(layout *L, const ir_circuit *c, const glyphs *g) {
    memset(L, 0, sizeof *L);
    L->n_wires = c->n_qubits;
    int *level = calloc((size_t)c->n_qubits + 1, sizeof *level);
    if (!level) return -1;
    for (int i = 0; i < c->n_ops && !L->oom; i++) place_op(L, c, &c->ops[i], level, g);
    L->n_gate_cols = L->n_cols;
    place_observables(L, c, level, g);
    free(level);
    if (L->oom) {
        layout_free(L);
        return -1;
    }
    return 0;
}

/* Display width of UTF-8 text: one column per code point (the glyphs used are all narrow). */
static int text_width(const char *s) {
    int n = 0;
    for (; s && *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int cell_width(const cell *ce) { return ce->kind == CELL_BOX ? text_width(ce->label) : 1; }

/* grid[col * n_wires + w]: the cell at that place, or NULL (the plain wire). */
static const cell **make_grid(const layout *L) {
    const cell **grid = calloc((size_t)L->n_cols * (size_t)L->n_wires + 1, sizeof *grid);
    if (!grid) return NULL;
    for (int i = 0; i < L->n_items; i++) {
        const item *it = &L->items[i];
        for (int w = it->lo; w <= it->hi; w++)
            grid[(size_t)it->col * (size_t)L->n_wires + (size_t)w] = &L->cells[it->first + w - it->lo];
    }
    return grid;
}

/* ---- text ------------------------------------------------------------------------------ */

static void put_n(const char *s, int n, FILE *f) {
    for (int i = 0; i < n; i++) fputs(s, f);
}

static const char *corner_glyph(char corner, const glyphs *g) {
    return corner == 't' ? g->top : corner == 'm' ? g->mid : corner == 'b' ? g->bot : g->pass;
}

/* One cell of width w: its corner (or the line `fill`), content, then fill to the width. */
static void put_cell(const cell *ce, int w, const char *fill, const glyphs *g, FILE *f) {
    if (!ce) {
        put_n(fill, w + 1, f);
        return;
    }
    fputs(ce->corner ? corner_glyph(ce->corner, g) : fill, f);
    const char *s = ce->kind == CELL_CTRL ? g->ctrl : ce->kind == CELL_OPLUS ? g->oplus
                  : ce->kind == CELL_SWAP ? g->swap : ce->kind == CELL_BOX ? ce->label : fill;
    fputs(s, f);
    put_n(fill, w - (ce->kind == CELL_BOX ? text_width(s) : 1), f);
}

void draw_text(const ir_circuit *c, const draw_options *o, FILE *f) {
    const glyphs *g = o->ascii ? &ASCII : &UNICODE;
    layout L;
    const cell **grid = NULL;
    int *colw = NULL;
    if (layout_build(&L, c, g)) {
        fputs("qnnc: out of memory drawing the circuit\n", stderr);
        return;
    }
    if (!(grid = make_grid(&L)) || !(colw = calloc((size_t)L.n_cols + 1, sizeof *colw))) {
        fputs("qnnc: out of memory drawing the circuit\n", stderr);
        goto done;
    }
    for (int i = 0; i < L.n_items; i++)
        for (int w = L.items[i].lo; w <= L.items[i].hi; w++) {
            int cw = cell_width(&L.cells[L.items[i].first + w - L.items[i].lo]);
            if (cw > colw[L.items[i].col]) colw[L.items[i].col] = cw;
        }
    char name[16];
    snprintf(name, sizeof name, "q%d", c->n_qubits > 0 ? c->n_qubits - 1 : 0);
    int label_w = (int)strlen(name);
    int prefix = label_w + 3; /* "q0: " and the wire's first segment */
    int obs_w = L.n_cols > L.n_gate_cols ? 2 : 0; /* "┤" and its space */
    for (int k = L.n_gate_cols; k < L.n_cols; k++) obs_w += colw[k] + 2;
    for (int start = 0, block = 0; start < L.n_gate_cols || block == 0; block++) {
        int end = start, used = prefix;
        while (end < L.n_gate_cols) {
            int w = colw[end] + 2;
            int last = end + 1 == L.n_gate_cols;
            if (end > start && o->width > 0 && used + w + (last ? obs_w : 1) > o->width) break;
            used += w;
            end++;
        }
        int last_block = end >= L.n_gate_cols;
        if (block) fputc('\n', f);
        for (int w = 0; w < L.n_wires; w++) {
            char *line = NULL;
            size_t ll = 0;
            FILE *lf = open_memstream(&line, &ll);
            if (!lf) break;
            char label[16];
            snprintf(label, sizeof label, "q%d", w);
            fprintf(lf, "%*s: %s", label_w, label, g->wire); /* right-aligned: " q0" .. "q12" */
            for (int k = start; k < end; k++) {
                put_cell(grid[(size_t)k * (size_t)L.n_wires + (size_t)w], colw[k], g->wire, g, lf);
                fputs(g->wire, lf);
            }
            if (last_block && L.n_cols > L.n_gate_cols) {
                fprintf(lf, "%s ", g->end);
                for (int k = L.n_gate_cols; k < L.n_cols; k++) {
                    fputc(' ', lf);
                    put_cell(grid[(size_t)k * (size_t)L.n_wires + (size_t)w], colw[k], " ", g, lf);
                }
            }
            if (fclose(lf) == 0 && line) {
                size_t n = strlen(line);
                while (n > 0 && line[n - 1] == ' ') line[--n] = '\0'; /* no trailing blanks */
                fprintf(f, "%s\n", line);
            }
            free(line);
        }
        start = end;
        if (L.n_gate_cols == 0) break;
    }
    for (int i = 0; i < L.n_legend; i++) fprintf(f, "%s%s\n", i ? "" : "\n", L.legend[i]);
done:
    free(colw);
    free(grid);
    layout_free(&L);
}

/* ---- SVG ------------------------------------------------------------------------------- */

enum { SVG_ROW = 44, SVG_TOP = 28, SVG_BOX_H = 28, SVG_GAP = 12, SVG_FONT = 13, SVG_BLOCK_GAP = 24,
       SVG_MAX_WIDTH = 1400 };
#define SVG_CHAR 7.9 /* advance of the monospace font at SVG_FONT pixels */

static void xml_text(const char *s, FILE *f) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static double svg_cell_width(const cell *ce) {
    switch (ce->kind) {
    case CELL_BOX: return text_width(ce->label) * SVG_CHAR + 14;
    case CELL_OPLUS: return 24;
    default: return 16;
    }
}

static void svg_box(double cx, double y0, double y1, const char *label, int obs, FILE *f) {
    double w = text_width(label) * SVG_CHAR + 14;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"3\" class=\"%s\"/>\n",
            cx - w / 2, y0 - SVG_BOX_H / 2.0, w, y1 - y0 + SVG_BOX_H, obs ? "obs" : "box");
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", cx, (y0 + y1) / 2 + 4.5);
    xml_text(label, f);
    fputs("</text>\n", f);
}

char *draw_svg(const ir_circuit *c) {
    layout L;
    if (layout_build(&L, c, &UNICODE)) return NULL;
    char *s = NULL;
    size_t len = 0;
    size_t nc = (size_t)L.n_cols + 1;
    double *colw = calloc(nc, sizeof *colw), *colx = calloc(nc, sizeof *colx), *end_x = calloc(nc, sizeof *end_x);
    int *colb = calloc(nc, sizeof *colb);
    FILE *f = colw && colx && end_x && colb ? open_memstream(&s, &len) : NULL;
    if (!f) {
        free(colw);
        free(colx);
        free(end_x);
        free(colb);
        layout_free(&L);
        return NULL;
    }
    for (int i = 0; i < L.n_items; i++)
        for (int w = L.items[i].lo; w <= L.items[i].hi; w++) {
            const cell *ce = &L.cells[L.items[i].first + w - L.items[i].lo];
            double cw = ce->kind == CELL_PASS ? 0 : svg_cell_width(ce);
            if (cw > colw[L.items[i].col]) colw[L.items[i].col] = cw;
        }
    char name[16];
    snprintf(name, sizeof name, "q%d", c->n_qubits > 0 ? c->n_qubits - 1 : 0);
    /* Long circuits wrap into stacked blocks of at most SVG_MAX_WIDTH pixels, as the text
     * does at --width, so that a report page shows them at a readable size. */
    double x0 = 12 + (double)strlen(name) * SVG_CHAR + 14, wire_x0 = x0 - 6, x = x0, width = 0;
    int block = 0;
    for (int k = 0; k < L.n_cols; k++) {
        if (k < L.n_gate_cols && x > x0 && x + colw[k] > SVG_MAX_WIDTH) {
            end_x[block++] = x;
            x = x0;
        }
        if (k == L.n_gate_cols) x += SVG_GAP; /* the observables a little apart */
        colx[k] = x + colw[k] / 2;
        colb[k] = block;
        x += colw[k] + SVG_GAP;
    }
    end_x[block] = L.n_cols > L.n_gate_cols ? colx[L.n_gate_cols] : x;
    int n_blocks = block + 1;
    for (int b = 0; b < n_blocks; b++) width = fmax(width, end_x[b]);
    if (L.n_cols > 0) width = fmax(width, x);
    width += 6;
    double block_h = SVG_ROW * (L.n_wires > 0 ? L.n_wires : 1) + SVG_BLOCK_GAP;
    double height = SVG_TOP + block_h * n_blocks - SVG_BLOCK_GAP + 18.0 * L.n_legend;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"%d\">\n",
            width, height, width, height, SVG_FONT);
    fputs("<title>circuit ", f);
    xml_text(c->name, f);
    fprintf(f, ": %d qubits</title>\n", c->n_qubits);
    fputs("<style>line{stroke:#222;stroke-width:1.2} .box{fill:#fff;stroke:#222;stroke-width:1.2} "
          ".obs{fill:#eef3fb;stroke:#1f5fa8;stroke-width:1.2} text{text-anchor:middle;fill:#111}"
          " .wl{text-anchor:end} .lg{text-anchor:start}</style>\n", f);
    fprintf(f, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", width, height);
#define ROW_Y(w, b) (SVG_TOP + block_h * (b) + SVG_ROW * (w) + SVG_ROW / 2.0 - 10)
    for (int b = 0; b < n_blocks; b++)
        for (int w = 0; w < L.n_wires; w++) {
            fprintf(f, "<text class=\"wl\" x=\"%.1f\" y=\"%.1f\">q%d</text>\n", wire_x0 - 6, ROW_Y(w, b) + 4.5, w);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", wire_x0, ROW_Y(w, b),
                    end_x[b], ROW_Y(w, b));
        }
    for (int i = 0; i < L.n_items; i++) {
        const item *it = &L.items[i];
        double cx = colx[it->col];
        int obs = it->col >= L.n_gate_cols, b = colb[it->col];
        if (it->generic || obs) { /* one box over all its wires */
            svg_box(cx, ROW_Y(it->lo, b), ROW_Y(it->hi, b), L.cells[it->first].label, obs, f);
            continue;
        }
        if (it->hi > it->lo)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", cx, ROW_Y(it->lo, b), cx,
                    ROW_Y(it->hi, b));
        for (int w = it->lo; w <= it->hi; w++) {
            const cell *ce = &L.cells[it->first + w - it->lo];
            double y = ROW_Y(w, b);
            switch (ce->kind) {
            case CELL_CTRL:
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#222\"/>\n", cx, y);
                break;
            case CELL_OPLUS:
                fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"10\" fill=\"#fff\" stroke=\"#222\" "
                           "stroke-width=\"1.2\"/>\n", cx, y);
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", cx - 10, y, cx + 10, y);
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", cx, y - 10, cx, y + 10);
                break;
            case CELL_SWAP:
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", cx - 6, y - 6, cx + 6, y + 6);
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", cx - 6, y + 6, cx + 6, y - 6);
                break;
            case CELL_BOX: svg_box(cx, y, y, ce->label, 0, f); break;
            case CELL_PASS: break;
            }
        }
    }
    for (int i = 0; i < L.n_legend; i++) {
        fprintf(f, "<text class=\"lg\" x=\"12\" y=\"%.1f\">", SVG_TOP + block_h * n_blocks - SVG_BLOCK_GAP + 18.0 * i);
        xml_text(L.legend[i], f);
        fputs("</text>\n", f);
    }
#undef ROW_Y
    fputs("</svg>\n", f);
    int bad = fclose(f) != 0;
    free(colw);
    free(colx);
    free(end_x);
    free(colb);
    layout_free(&L);
    if (bad) {
        free(s);
        return NULL;
    }
    return s;
}

/* ---- qnnc draw ------------------------------------------------------------------------- */

int draw_check_layer(const sema_model *m, const char *what, int layer) {
    if (layer < 0) return 0;
    int n_quantum = 0;
    for (int i = 0; i < m->n_layers; i++) n_quantum += m->layers[i].kind == RT_LAYER_QUANTUM;
    if (layer < m->n_layers && m->layers[layer].kind == RT_LAYER_QUANTUM) return 0;
    if (layer >= m->n_layers)
        fprintf(stderr, "qnnc: --layer %d: %s has layers 0 to %d (`qnnc info` lists them)", layer, what,
                m->n_layers - 1);
    else
        fprintf(stderr, "qnnc: --layer %d: layer %d of %s is %s, not quantum", layer, layer, what,
                rt_layer_kind_name(m->layers[layer].kind));
    if (!n_quantum) fputs("; it has no quantum layer\n", stderr);
    else {
        fprintf(stderr, "; its quantum layer%s: ", n_quantum == 1 ? "" : "s");
        for (int i = 0, k = 0; i < m->n_layers; i++)
            if (m->layers[i].kind == RT_LAYER_QUANTUM) fprintf(stderr, "%s%d", k++ ? ", " : "", i);
        fputc('\n', stderr);
    }
    return -1;
}

/* One drawing: its circuit, and where it comes from (for its heading). */
enum { MAX_SAME = 32 };
typedef struct {
    const ir_circuit *c;
    char what[192];        /* "experiment x", "model m", "circuit c" */
    int layers[MAX_SAME];  /* the model's layers drawn by it; none for a circuit by name */
    int n_layers, more;    /* more: layers past MAX_SAME */
    int defaults;          /* a circuit with its default arguments */
} target;

typedef struct {
    target *t;
    int n, cap;
} target_list;

static target *add_target(target_list *l, const ir_circuit *c, const char *what) {
    if (grow((void **)&l->t, &l->cap, l->n + 1, sizeof *l->t)) {
        fputs("qnnc: out of memory\n", stderr);
        return NULL;
    }
    target *t = &l->t[l->n++];
    memset(t, 0, sizeof *t);
    t->c = c;
    snprintf(t->what, sizeof t->what, "%s", what);
    return t;
}

/* "experiment x, layers 2, 5 and 8: circuit qiren_layer (8 qubits, ...)" */
static void print_heading(const target *t, int fused, FILE *f) {
    fputs(t->what, f);
    if (t->n_layers) {
        fprintf(f, ", layer%s ", t->n_layers > 1 ? "s" : "");
        for (int k = 0; k < t->n_layers; k++)
            fprintf(f, "%s%d", k == 0 ? "" : k == t->n_layers - 1 && !t->more ? " and " : ", ", t->layers[k]);
        if (t->more) fprintf(f, " and %d more", t->more);
        fprintf(f, ": circuit %s", t->c->name);
    }
    fprintf(f, " (%d qubit%s, %d input%s, %d parameter%s%s)%s:\n", t->c->n_qubits,
            t->c->n_qubits == 1 ? "" : "s", t->c->n_inputs, t->c->n_inputs == 1 ? "" : "s",
            t->c->n_params, t->c->n_params == 1 ? "" : "s", t->defaults ? ", default arguments" : "", fused ? ", after fusion" : "");
}

/* The quantum layers of one model: each, or the one of --layer; layers after the first with
 * the same circuit (QIREN's hybrid layers) are named in its heading instead. */
static int model_targets(target_list *l, const sema_model *m, const char *kind, const char *name,
                         int layer) {
    char what[192];
    snprintf(what, sizeof what, "%s %s", kind, name);
    if (draw_check_layer(m, what, layer)) return -1;
    char **texts = calloc((size_t)m->n_layers + 1, sizeof *texts);
    int *first = calloc((size_t)m->n_layers + 1, sizeof *first);
    int rc = texts && first ? 0 : -1;
    for (int i = 0; i < m->n_layers && !rc; i++) {
        if (m->layers[i].kind != RT_LAYER_QUANTUM || (layer >= 0 && i != layer)) continue;
        const ir_circuit *c = m->circuits[m->layers[i].circuit];
        texts[i] = ir_to_text(c);
        int same = -1;
        for (int j = 0; j < i && same < 0 && texts[i]; j++)
            if (texts[j] && strcmp(texts[j], texts[i]) == 0) same = j;
        target *t = same >= 0 ? &l->t[first[same]] : add_target(l, c, what);
        if (!t) {
            rc = -1;
            break;
        }
        if (same < 0) first[i] = l->n - 1;
        if (t->n_layers < MAX_SAME) t->layers[t->n_layers++] = i;
        else t->more++;
    }
    for (int i = 0; texts && i < m->n_layers; i++) free(texts[i]);
    free(texts);
    free(first);
    if (rc) fputs("qnnc: out of memory\n", stderr);
    return rc;
}

static int collect(target_list *l, const sema_result *r, const char *file, const draw_command_options *o) {
    if (o->circuit) {
        const ir_circuit *found = NULL;
        for (int i = 0; i < r->n_circuits && !found; i++)
            if (strcmp(r->circuits[i]->name, o->circuit) == 0) found = r->circuits[i];
        for (int i = 0; i < r->n_experiments && !found; i++)
            for (int k = 0; k < r->experiments[i].model.n_circuits && !found; k++)
                if (strcmp(r->experiments[i].model.circuits[k]->name, o->circuit) == 0)
                    found = r->experiments[i].model.circuits[k];
        if (!found) {
            fprintf(stderr, "qnnc: %s has no circuit `%s` to draw (circuits whose parameters all have "
                            "defaults, or used by an experiment): ", file, o->circuit);
            int k = 0;
            for (int i = 0; i < r->n_circuits; i++) fprintf(stderr, "%s%s", k++ ? ", " : "", r->circuits[i]->name);
            for (int i = 0; i < r->n_experiments; i++)
                for (int j = 0; j < r->experiments[i].model.n_circuits; j++)
                    fprintf(stderr, "%s%s", k++ ? ", " : "", r->experiments[i].model.circuits[j]->name);
            fprintf(stderr, "%s\n", k ? "" : "none");
            return -1;
        }
        char what[192];
        snprintf(what, sizeof what, "circuit %s", found->name);
        target *t = add_target(l, found, what);
        if (!t) return -1;
        for (int i = 0; i < r->n_circuits; i++) t->defaults |= r->circuits[i] == found;
        return 0;
    }
    int any_exp = 0;
    for (int i = 0; i < r->n_experiments; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (o->experiment && strcmp(o->experiment, x->exp.name) != 0) continue;
        any_exp = 1;
        if (model_targets(l, &x->model, "experiment", x->exp.name, o->layer)) return -1;
    }
    if (any_exp) return 0;
    if (o->layer >= 0) { /* no experiment: the layer of each model with default arguments */
        if (!r->n_models) {
            fprintf(stderr, "qnnc: --layer %d: %s has no experiment and no model whose parameters "
                            "all have defaults\n", o->layer, file);
            return -1;
        }
        for (int i = 0; i < r->n_models; i++)
            if (model_targets(l, &r->models[i], "model", r->models[i].name, o->layer)) return -1;
        return 0;
    }
    for (int i = 0; i < r->n_circuits; i++) {
        char what[192];
        snprintf(what, sizeof what, "circuit %s", r->circuits[i]->name);
        target *t = add_target(l, r->circuits[i], what);
        if (!t) return -1;
        t->defaults = 1;
    }
    return 0;
}

int draw_command(const sema_result *r, const char *file, const draw_command_options *o) {
    target_list l = {0};
    int rc = collect(&l, r, file, o) ? 1 : 0;
    if (!rc && l.n == 0) {
        fprintf(stderr, "qnnc: %s: nothing to draw (no quantum layer, and no circuit whose "
                        "parameters all have defaults)\n", file);
        rc = 1;
    }
    if (!rc && o->svg && l.n > 1) {
        fprintf(stderr, "qnnc: `--svg` writes one circuit, and %s has %d to draw: pick one with "
                        "--layer N, --circuit NAME or --experiment NAME\n", file, l.n);
        rc = 1;
    }
    for (int i = 0; i < l.n && !rc; i++) {
        ir_circuit *fused = o->fused ? pass_fuse(l.t[i].c) : NULL;
        const ir_circuit *c = fused ? fused : l.t[i].c;
        if (o->svg) {
            char err[1024];
            char *svg = draw_svg(c);
            if (!svg) {
                fprintf(stderr, "qnnc: %s: out of memory\n", o->svg);
                rc = 1;
            } else if (io_write_file_atomic(o->svg, svg, strlen(svg), err, sizeof err)) {
                fprintf(stderr, "qnnc: %s\n", err);
                rc = 1;
            }
            free(svg);
        } else {
            if (i) putchar('\n');
            print_heading(&l.t[i], o->fused, stdout);
            draw_text(c, &o->draw, stdout);
        }
        ir_free(fused);
    }
    free(l.t);
    return rc;
}

void draw_attach_reports(arena *ar, sema_result *r) {
    for (int i = 0; i < r->n_experiments; i++) {
        sema_experiment *x = &r->experiments[i];
        if (!x->exp.out_report[0]) continue;
        for (int l = 0; l < x->exp.n_layers; l++) {
            rt_layer_spec *s = &x->exp.layers[l];
            if (s->kind != RT_LAYER_QUANTUM || s->circuit < 0 || s->circuit >= x->model.n_circuits) continue;
            for (int j = 0; j < l && !s->circuit_svg; j++) /* the same circuit: the same text */
                if (x->exp.layers[j].kind == RT_LAYER_QUANTUM && x->exp.layers[j].circuit == s->circuit)
                    s->circuit_svg = x->exp.layers[j].circuit_svg;
            if (s->circuit_svg) continue;
            char *svg = draw_svg(x->model.circuits[s->circuit]);
            if (svg) s->circuit_svg = arena_strdup(ar, svg); /* no memory: no figure, no failure */
            free(svg);
        }
    }
}
