/* qnnc spectrum: the accessible frequency spectrum of a data re-uploading circuit, per input,
 * from its lowered IR (Schuld, Sweke & Meyer 2021). A gate exp(-i theta G) with theta =
 * c x + b contributes the eigenvalues c * lambda(G); the model is a Fourier series in x whose
 * frequencies are the differences Lambda_j - Lambda_k of sums Lambda of one eigenvalue per
 * encoding gate, i.e. the Minkowski sum over the gates of their eigenvalue differences. With a
 * checkpoint, the trained model is evaluated (reference interpreter behind the runtime's
 * embedding API) on a grid over one period of its first input, and its FFT is compared with
 * that set. */
#include "spectrum.h"

#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "io_csv.h"
#include "io_file.h"
#include "qnn_embed.h"
#include "refback.h"
#include "report.h"
#include "rt_main.h"

static const double PI = 3.14159265358979323846;

/* ---- the angle as a function of x_i ------------------------------------------------------ */

static int uses_x(const ir_circuit *c, int e, int i) {
    const ir_expr *x = &c->exprs[e];
    if (!x->uses_input) return 0;
    if (x->kind == IR_EXPR_INPUT) return x->index == i;
    return (x->a >= 0 && uses_x(c, x->a, i)) || (x->b >= 0 && uses_x(c, x->b, i));
}

static spec_kind worse(spec_kind a, spec_kind b) { return a > b ? a : b; }

/* Whether e = k * x_i + (terms free of x_i) with k a compile-time constant (SPEC_DISCRETE,
 * k set); else why not. */
static spec_kind linear_in(const ir_circuit *c, int e, int i, double *k) {
    const ir_expr *x = &c->exprs[e];
    *k = 0;
    if (!uses_x(c, e, i)) return SPEC_DISCRETE;
    double ka = 0, kb = 0;
    switch (x->kind) {
    case IR_EXPR_INPUT: *k = 1; return SPEC_DISCRETE;
    case IR_EXPR_ADD: case IR_EXPR_SUB: {
        spec_kind s = worse(linear_in(c, x->a, i, &ka), linear_in(c, x->b, i, &kb));
        *k = x->kind == IR_EXPR_ADD ? ka + kb : ka - kb;
        return s;
    }
    case IR_EXPR_NEG: {
        spec_kind s = linear_in(c, x->a, i, &ka);
        *k = -ka;
        return s;
    }
    case IR_EXPR_MUL: case IR_EXPR_DIV: {
        int ua = uses_x(c, x->a, i), ub = uses_x(c, x->b, i);
        if (ub && (ua || x->kind == IR_EXPR_DIV)) return SPEC_NONLINEAR; /* x * x, 1 / x */
        int inner = ua ? x->a : x->b, side = ua ? x->b : x->a;
        spec_kind s = linear_in(c, inner, i, &ka);
        if (s != SPEC_DISCRETE) return s;
        const ir_expr *sd = &c->exprs[side];
        if (sd->uses_input) return SPEC_OTHER_INPUT;
        if (sd->uses_param) return SPEC_TRAINABLE;
        double v = ir_eval(c, side, NULL, NULL);
        *k = x->kind == IR_EXPR_MUL ? ka * v : ka / v;
        return isfinite(*k) ? SPEC_DISCRETE : SPEC_NONLINEAR;
    }
    default: return SPEC_NONLINEAR; /* sin(x), exp(x), ... */
    }
}

/* Eigenvalues of the generator G of a gate exp(-i theta G) per unit angle (up to a global
 * phase, which expectation values do not see); 0 for gate kinds not analysed. */
static int generator(ir_gate g, double *ev) {
    switch (g) {
    case IR_RX: case IR_RY: case IR_RZ: case IR_ROT: case IR_U3:
        ev[0] = -0.5, ev[1] = 0.5;
        return 2;
    case IR_PHASE: case IR_CPHASE:
        ev[0] = 0, ev[1] = 1;
        return 2;
    case IR_CRX: case IR_CRY: case IR_CRZ:
        ev[0] = -0.5, ev[1] = 0, ev[2] = 0.5;
        return 3;
    default: return 0;
    }
}

/* ---- sets of frequencies: sorted doubles, equal within a tolerance merged --------------- */

static int same_freq(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b))); }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int merge_sorted(double *v, int n) {
    int m = 0;
    for (int k = 0; k < n; k++)
        if (m == 0 || !same_freq(v[m - 1], v[k])) v[m++] = v[k];
        else if (v[k] == 0) v[m - 1] = 0; /* keep an exact 0 */
    return m;
}

/* *set = *set + add (Minkowski); -1 when it would pass SPEC_MAX_FREQ (or memory runs out). */
static int minkowski(double **set, int *n, const double *add, int n_add) {
    size_t total = (size_t)*n * (size_t)n_add;
    if (total > (size_t)SPEC_MAX_FREQ * 8) return -1;
    double *out = malloc(sizeof *out * (total ? total : 1));
    if (!out) return -1;
    size_t k = 0;
    for (int a = 0; a < *n; a++)
        for (int b = 0; b < n_add; b++) out[k++] = (*set)[a] + add[b];
    qsort(out, k, sizeof *out, cmp_double);
    int m = merge_sorted(out, (int)k);
    free(*set);
    *set = out;
    *n = m;
    return m > SPEC_MAX_FREQ ? -1 : 0;
}

void spec_input_free(spec_input *s) {
    free(s->freq);
    s->freq = NULL;
}

/* Diagonal encodings that commute (rz, phase, crz, cphase with no non-diagonal gate between
 * them on their wires) share one generator, their sum, whose eigenvalues are exact: rzz(x),
 * which lowers to rz(x) + crz(-2 x), has {-1/2, 1/2}, not the {-3/2 .. 3/2} that the gates
 * taken one by one would allow. A block collects them; closing it adds its differences. */
enum { BLOCK_MAX_WIRES = 12, BLOCK_MAX_GATES = 256 };
typedef struct {
    uint32_t wires;
    int n;
    ir_gate gate[BLOCK_MAX_GATES];
    int w0[BLOCK_MAX_GATES], w1[BLOCK_MAX_GATES];
    double k[BLOCK_MAX_GATES];
} diag_block;

static int popcount(uint32_t m) {
    int n = 0;
    for (; m; m &= m - 1) n++;
    return n;
}

static int is_diag_encoding(ir_gate g) {
    return g == IR_RZ || g == IR_PHASE || g == IR_CRZ || g == IR_CPHASE;
}

/* The block's eigenvalue differences into the set (SPEC_MAX_FREQ: too_many). */
static void close_block(diag_block *bl, spec_input *out) {
    if (bl->n == 0) return;
    int wires[32], nw = 0;
    for (int w = 0; w < 32; w++)
        if (bl->wires >> w & 1) wires[nw++] = w;
    size_t n_states = (size_t)1 << nw;
    double *ev = malloc(sizeof *ev * n_states);
    double *d = ev ? malloc(sizeof *d * n_states * n_states) : NULL;
    if (!ev || !d) {
        out->too_many = 1;
        free(ev);
        bl->n = 0;
        bl->wires = 0;
        return;
    }
    for (size_t b = 0; b < n_states; b++) {
        uint32_t bit = 0; /* the basis state's bits by wire */
        for (int j = 0; j < nw; j++)
            if (b >> j & 1) bit |= 1u << wires[j];
        double e = 0;
        for (int g = 0; g < bl->n; g++) {
            int t = bl->gate[g] == IR_CRZ || bl->gate[g] == IR_CPHASE ? bl->w1[g] : bl->w0[g];
            int on = bl->gate[g] == IR_CRZ || bl->gate[g] == IR_CPHASE ? (int)(bit >> bl->w0[g] & 1) : 1;
            int up = (int)(bit >> t & 1);
            if (!on) continue;
            e += bl->k[g] * (bl->gate[g] == IR_RZ || bl->gate[g] == IR_CRZ ? (up ? 0.5 : -0.5) : up);
        }
        ev[b] = e;
    }
    qsort(ev, n_states, sizeof *ev, cmp_double);
    int ne = merge_sorted(ev, (int)n_states), nd = 0;
    for (int p = 0; p < ne; p++)
        for (int q = 0; q < ne; q++) d[nd++] = ev[p] - ev[q];
    qsort(d, (size_t)nd, sizeof *d, cmp_double);
    nd = merge_sorted(d, nd);
    if (out->freq && !out->too_many && minkowski(&out->freq, &out->n_freq, d, nd)) out->too_many = 1;
    free(ev);
    free(d);
    bl->n = 0;
    bl->wires = 0;
}

void spec_analyse(const ir_circuit *c, int i, spec_input *out) {
    memset(out, 0, sizeof *out);
    out->kind = SPEC_NONE;
    out->op = -1;
    out->freq = malloc(sizeof *out->freq);
    if (out->freq) out->freq[0] = 0, out->n_freq = 1;
    spec_kind kind = SPEC_DISCRETE;
    diag_block *bl = calloc(1, sizeof *bl);
    if (!bl) out->too_many = 1;
    for (int o = 0; o < c->n_ops && bl; o++) {
        const ir_op *op = &c->ops[o];
        uint32_t mask = ir_op_wire_mask(c, op);
        int encodes = 0;
        for (int a = 0; a < 3; a++) encodes |= op->angle[a] >= 0 && uses_x(c, op->angle[a], i);
        if (!encodes) { /* commutes with the block when diagonal or elsewhere */
            if (!ir_gate_is_diagonal(op->gate) && (mask & bl->wires)) close_block(bl, out);
            continue;
        }
        double ev[3];
        int n_ev = generator(op->gate, ev);
        for (int a = 0; a < 3; a++) {
            if (op->angle[a] < 0 || !uses_x(c, op->angle[a], i)) continue;
            out->n_gates++;
            double k;
            spec_kind s = n_ev ? linear_in(c, op->angle[a], i, &k) : SPEC_UNKNOWN_GATE;
            if (s > kind) out->op = o;
            kind = worse(kind, s);
            if (kind != SPEC_DISCRETE || out->too_many || !out->freq) continue;
            if (is_diag_encoding(op->gate)) {
                uint32_t both = bl->wires | mask;
                if (popcount(both) > BLOCK_MAX_WIRES || bl->n == BLOCK_MAX_GATES) close_block(bl, out);
                bl->gate[bl->n] = op->gate;
                bl->w0[bl->n] = op->wires[0];
                bl->w1[bl->n] = op->wires[1];
                bl->k[bl->n++] = k;
                bl->wires |= mask;
                continue;
            }
            if (mask & bl->wires) close_block(bl, out);
            double d[9];
            int nd = 0;
            for (int p = 0; p < n_ev; p++)
                for (int q = 0; q < n_ev; q++) d[nd++] = k * (ev[p] - ev[q]);
            qsort(d, (size_t)nd, sizeof *d, cmp_double);
            nd = merge_sorted(d, nd);
            if (minkowski(&out->freq, &out->n_freq, d, nd)) out->too_many = 1;
        }
    }
    if (bl && kind == SPEC_DISCRETE) close_block(bl, out);
    free(bl);
    if (out->n_gates) out->kind = kind;
    if (out->kind != SPEC_DISCRETE && out->kind != SPEC_NONE) spec_input_free(out), out->n_freq = 0;
    if (out->too_many) spec_input_free(out), out->n_freq = 0;
}

/* ---- printing ---------------------------------------------------------------------------- */

static void print_freq(double v, FILE *f) { fprintf(f, "%.6g", v == 0 ? 0.0 : v); }

/* {-3, -2, ..., 3}: every frequency when there are few, else the ends and the step. */
static void print_set(const double *v, int n, FILE *f) {
    double step = n > 1 ? v[1] - v[0] : 0;
    int uniform = n > 2;
    for (int k = 2; k < n && uniform; k++) uniform = same_freq(v[k] - v[k - 1], step);
    fputc('{', f);
    for (int k = 0; k < n; k++) {
        if (n > 25 && k == 4) {
            fputs(", ...", f);
            k = n - 5;
        }
        fputs(k ? ", " : "", f);
        print_freq(v[k], f);
    }
    fputc('}', f);
    if (n > 25 && uniform) {
        fputs(" (step ", f);
        print_freq(step, f);
        fputc(')', f);
    }
}

/* rz(x[0]*w[0]) at line 5 */
static void print_gate(const ir_circuit *c, int o, FILE *f) {
    const ir_op *op = &c->ops[o];
    ir_expr_style st = {.digits = 4, .compact = 1, .pi = "pi"};
    fputs(ir_gate_name(op->gate), f);
    int na = ir_gate_n_angles(op->gate);
    for (int k = 0; k < na; k++) {
        fputs(k ? ", " : "(", f);
        if (op->angle[k] >= 0) ir_print_expr(c, op->angle[k], &st, f);
        if (k == na - 1) fputc(')', f);
    }
    if (op->src_line > 0) fprintf(f, " at line %d", op->src_line);
}

static void print_input(const ir_circuit *c, int i, const spec_input *s, FILE *f) {
    fprintf(f, "  x[%d]: ", i);
    switch (s->kind) {
    case SPEC_NONE: fputs("not encoded (no gate depends on it): {0}\n", f); return;
    case SPEC_DISCRETE:
        if (s->too_many) {
            fprintf(f, "more than %d frequencies (%d encoding gates)\n", SPEC_MAX_FREQ, s->n_gates);
            return;
        }
        fprintf(f, "%d frequenc%s ", s->n_freq, s->n_freq == 1 ? "y" : "ies");
        print_set(s->freq, s->n_freq, f);
        fputs(", the largest ", f);
        print_freq(s->freq[s->n_freq - 1], f);
        fprintf(f, " (%d encoding gate%s)\n", s->n_gates, s->n_gates == 1 ? "" : "s");
        return;
    case SPEC_TRAINABLE:
        fputs("continuous (trainable scaling: ", f);
        print_gate(c, s->op, f);
        fputs("; its frequencies move as the parameters train)\n", f);
        return;
    case SPEC_OTHER_INPUT:
        fprintf(f, "not a Fourier series in x[%d] alone (", i);
        print_gate(c, s->op, f);
        fputs(": its scaling depends on another input)\n", f);
        return;
    case SPEC_NONLINEAR:
        fprintf(f, "not a Fourier series in x[%d] (", i);
        print_gate(c, s->op, f);
        fprintf(f, ": the angle is not linear in x[%d])\n", i);
        return;
    case SPEC_UNKNOWN_GATE:
        fputs("not analysed (", f);
        print_gate(c, s->op, f);
        fputs(": a gate whose generator the analysis does not know)\n", f);
        return;
    }
}

/* Where the circuit's inputs come from: the data, or the layer before. */
static void print_layer(const sema_model *m, const char *what, int l, FILE *f) {
    const ir_circuit *c = m->circuits[m->layers[l].circuit];
    fprintf(f, "%s, layer %d: circuit %s (%d qubit%s, %d input%s): ", what, l, c->name, c->n_qubits,
            c->n_qubits == 1 ? "" : "s", c->n_inputs, c->n_inputs == 1 ? "" : "s");
    int up = m->layers[l].parent - 1;   /* a branch of a composite layer (rt_spec.h) */
    if (up >= 0)
        fprintf(f, "its inputs are %s of layer %d (%s), not necessarily the data's coordinates: the "
                   "spectrum is in the circuit's inputs\n",
                m->layers[up].kind == RT_LAYER_SPLIT ? "a slice of the input" : "the input",
                up, rt_layer_kind_name(m->layers[up].kind));
    else if (l == 0) fputs("its inputs are the data's coordinates\n", f);
    else
        fprintf(f, "its inputs are the outputs of layer %d (%s), hidden features, not the data's "
                   "coordinates: the spectrum is in the circuit's inputs\n",
                l - 1, rt_layer_kind_name(m->layers[l - 1].kind));
    for (int i = 0; i < c->n_inputs; i++) {
        spec_input s;
        spec_analyse(c, i, &s);
        print_input(c, i, &s, f);
        spec_input_free(&s);
    }
}

static void print_circuit(const ir_circuit *c, FILE *f) {
    fprintf(f, "circuit %s (%d qubit%s, %d input%s, default arguments):\n", c->name, c->n_qubits,
            c->n_qubits == 1 ? "" : "s", c->n_inputs, c->n_inputs == 1 ? "" : "s");
    for (int i = 0; i < c->n_inputs; i++) {
        spec_input s;
        spec_analyse(c, i, &s);
        print_input(c, i, &s, f);
        spec_input_free(&s);
    }
}

/* ---- the trained model's coefficients ------------------------------------------------------ */

/* The model of x evaluated on n points over one period of x[j] (the other inputs 0), output 0
 * of each point into y[n]. 0, or -1 with a message. */
static int evaluate(const sema_experiment *x, const char *checkpoint, int j, double period, int n,
                    double *y, char *err, size_t errlen) {
    int nc = x->model.n_circuits, rc = -1;
    if (nc > REFBACK_MAX_CIRCUITS) {
        snprintf(err, errlen, "experiment %s has %d circuits; the evaluation handles %d", x->exp.name,
                 nc, REFBACK_MAX_CIRCUITS);
        return -1;
    }
    rt_compiled_circuit cc[REFBACK_MAX_CIRCUITS];
    int64_t info[REFBACK_MAX_CIRCUITS][8];
    for (int k = 0; k < nc; k++) {
        rt_circuit rcirc;
        if (refback_bind(x->model.circuits[k], &rcirc, err, errlen)) goto done;
        int64_t v[8] = {1, rcirc.n_qubits, rcirc.n_inputs, rcirc.n_outputs, rcirc.n_params,
                        rcirc.precision, rcirc.lanes, (int64_t)rcirc.work_bytes};
        memcpy(info[k], v, sizeof v);
        cc[k] = (rt_compiled_circuit){x->model.circuits[k]->name, info[k], rcirc.forward, rcirc.vjp,
                                      NULL, rcirc.forward_keep, rcirc.vjp_kept};
    }
    rt_compiled_experiment desc = {&x->exp, cc};
    qnn_model *m = qnn_model_create(&desc, 1, err, errlen);
    double *coords = calloc((size_t)n * (size_t)x->exp.in_dim + 1, sizeof *coords);
    double *out = calloc((size_t)n * (size_t)x->exp.out_dim + 1, sizeof *out);
    if (m && coords && out && qnn_model_load(m, checkpoint, err, errlen) == 0) {
        for (int k = 0; k < n; k++) coords[(size_t)k * (size_t)x->exp.in_dim + (size_t)j] = period * k / n;
        if (qnn_model_forward(m, coords, (size_t)n, out, err, errlen) == 0) {
            for (int k = 0; k < n; k++) y[k] = out[(size_t)k * (size_t)x->exp.out_dim];
            rc = 0;
        }
    } else if (m && (!coords || !out)) {
        snprintf(err, errlen, "out of memory");
    }
    free(coords);
    free(out);
    qnn_model_destroy(m);
done:
    refback_reset();
    return rc;
}

static int in_set(const double *v, int n, double w) {
    for (int k = 0; k < n; k++)
        if (same_freq(v[k], w)) return 1;
    return 0;
}

static int fourier(const sema_experiment *x, const spectrum_options *o) {
    const sema_model *m = &x->model;
    if (m->n_layers == 0 || m->layers[0].kind != RT_LAYER_QUANTUM) {
        fprintf(stderr, "qnnc: --checkpoint: the first layer of experiment %s is %s, not quantum: its "
                        "circuit's inputs are hidden features, so the accessible set says nothing about "
                        "the model's frequencies in the data's coordinates\n",
                x->exp.name, m->n_layers ? rt_layer_kind_name(m->layers[0].kind) : "missing");
        return 1;
    }
    const ir_circuit *c = m->circuits[m->layers[0].circuit];
    spec_input s;
    int j = o->input;
    if (j >= c->n_inputs || j >= x->exp.in_dim) {
        fprintf(stderr, "qnnc: --input %d: experiment %s's model has %d input%s (x[0] .. x[%d])\n", j,
                x->exp.name, x->exp.in_dim, x->exp.in_dim == 1 ? "" : "s", x->exp.in_dim - 1);
        return 1;
    }
    spec_analyse(c, j, &s);
    if (s.kind != SPEC_DISCRETE || s.too_many || s.n_freq < 2) {
        fprintf(stderr, "qnnc: --checkpoint: the spectrum of x[%d] in experiment %s is not a finite "
                        "set of frequencies (see the lines above): no period to sample the model over\n",
                j, x->exp.name);
        spec_input_free(&s);
        return 1;
    }
    /* every frequency a multiple of the smallest positive one: period 2 pi / step */
    double step = 0;
    for (int k = 0; k < s.n_freq && step == 0; k++)
        if (s.freq[k] > 0 && !same_freq(s.freq[k], 0)) step = s.freq[k];
    for (int k = 0; k < s.n_freq; k++) {
        double q = s.freq[k] / step;
        if (fabs(q - round(q)) > 1e-6) {
            fprintf(stderr, "qnnc: --checkpoint: the frequencies of x[%d] are not multiples of one "
                            "step (%.6g is not a multiple of %.6g): the model has no period\n",
                    j, s.freq[k], step);
            spec_input_free(&s);
            return 1;
        }
    }
    int kmax = (int)lround(s.freq[s.n_freq - 1] / step);
    int n = 64;
    while (n < 8 * kmax + 8 && n < (1 << 16)) n *= 2;
    int shown = kmax + 4 < n / 2 ? kmax + 4 : n / 2 - 1; /* a little past the largest */
    double period = 2 * PI / step;
    char err[2048];
    double *y = fftw_alloc_real((size_t)n);
    fftw_complex *F = fftw_alloc_complex((size_t)n / 2 + 1);
    int nw = 2 * shown + 1;
    double *rows = malloc(sizeof *rows * 5 * (size_t)nw), *om = malloc(sizeof *om * (size_t)nw),
           *mag = malloc(sizeof *mag * (size_t)nw);
    char *csv = NULL, *png = NULL;
    int rc = 1;
    if (!y || !F || !rows || !om || !mag) {
        fprintf(stderr, "qnnc: out of memory\n");
        goto done;
    }
    if (evaluate(x, o->checkpoint, j, period, n, y, err, sizeof err)) {
        fprintf(stderr, "qnnc: %s\n", err);
        goto done;
    }
    fftw_plan p = fftw_plan_dft_r2c_1d(n, y, F, FFTW_ESTIMATE);
    fftw_execute(p);
    fftw_destroy_plan(p);
    /* f(x) = sum_w c_w e^{i w x}: c at w = m step is F[m] / n (negative m: the conjugate) */
    double outside = 0, total = 0, w_out = 0;
    for (int q = 0; q < nw; q++) {
        int mm = q - shown, am = mm < 0 ? -mm : mm;
        double complex cf = F[am] / n; /* complex.h first: fftw_complex is double complex */
        if (mm < 0) cf = conj(cf);
        double w = mm * step;
        int acc = in_set(s.freq, s.n_freq, w);
        om[q] = w;
        mag[q] = cabs(cf);
        double r[5] = {w, creal(cf), cimag(cf), cabs(cf), acc};
        memcpy(rows + 5 * (size_t)q, r, sizeof r);
        total += mag[q] * mag[q];
        if (!acc && mag[q] > outside) outside = mag[q], w_out = w;
    }
    const char *dir = o->out_dir ? o->out_dir : "";
    char def[300];
    if (!o->out_dir) {
        snprintf(def, sizeof def, "out/%s", x->exp.name);
        dir = def;
    }
    static const char *const names[] = {"omega", "re", "im", "abs", "accessible"};
    char sub[256], title[200];
    snprintf(title, sizeof title, "%s: Fourier coefficients along x[%d]", x->exp.name, j);
    snprintf(sub, sizeof sub, "%d samples over one period 2 pi / %.6g, output 0; %d accessible "
                              "frequencies; largest |c| outside them %.3g", n, step, s.n_freq, outside);
    if (io_mkdir_p(dir, err, sizeof err) || !(csv = io_path_join(dir, "fourier.csv")) ||
        !(png = io_path_join(dir, "fourier.png")) ||
        io_csv_write(csv, names, rows, (size_t)nw, 5, err, sizeof err) ||
        report_fourier(png, om, mag, nw, s.freq, s.n_freq, title, sub, err, sizeof err)) {
        fprintf(stderr, "qnnc: %s\n", csv && png ? err : "out of memory");
        goto done;
    }
    printf("%s: the trained model along x[%d] (%soutput 0), %d samples over one period "
           "(2 pi / %.6g):\n", x->exp.name, j, x->exp.in_dim > 1 ? "the other inputs 0, " : "", n, step);
    printf("  largest |c_w| outside the accessible set: %.3g", outside);
    if (outside > 0) printf(" (at w = %.6g)", w_out);
    printf("; sum of |c_w|^2: %.6g\n  wrote %s and %s\n", total, csv, png);
    rc = 0;
done:
    free(csv);
    free(png);
    free(rows);
    free(om);
    free(mag);
    fftw_free(y);
    fftw_free(F);
    spec_input_free(&s);
    return rc;
}

/* ---- qnnc spectrum ------------------------------------------------------------------------ */

int spectrum_command(const sema_result *r, const char *file, const spectrum_options *o) {
    int shown = 0, n_exp = 0;
    const sema_experiment *chosen = NULL;
    for (int i = 0; i < r->n_experiments; i++) {
        const sema_experiment *x = &r->experiments[i];
        if (o->experiment && strcmp(o->experiment, x->exp.name) != 0) continue;
        char what[192];
        snprintf(what, sizeof what, "experiment %s", x->exp.name);
        if (draw_check_layer(&x->model, what, o->layer)) return 1;
        n_exp++;
        chosen = x;
        for (int l = 0; l < x->model.n_layers; l++) {
            if (x->model.layers[l].kind != RT_LAYER_QUANTUM || (o->layer >= 0 && l != o->layer)) continue;
            if (shown++) putchar('\n');
            print_layer(&x->model, what, l, stdout);
        }
    }
    if (!n_exp && o->layer >= 0) {
        for (int i = 0; i < r->n_models; i++) {
            char what[192];
            snprintf(what, sizeof what, "model %s", r->models[i].name);
            if (draw_check_layer(&r->models[i], what, o->layer)) return 1;
            if (shown++) putchar('\n');
            print_layer(&r->models[i], what, o->layer, stdout);
        }
    } else if (!n_exp) {
        for (int i = 0; i < r->n_circuits; i++) {
            if (shown++) putchar('\n');
            print_circuit(r->circuits[i], stdout);
        }
    }
    if (o->checkpoint) {
        if (n_exp != 1) {
            fprintf(stderr, "qnnc: --checkpoint: %s has %s experiment%s: pick the one the weights "
                            "belong to with --experiment NAME\n",
                    file, n_exp ? "more than one" : "no", n_exp ? "s" : "");
            return 1;
        }
        putchar('\n');
        fflush(stdout);
        return fourier(chosen, o);
    }
    if (!shown) {
        fprintf(stderr, "qnnc: %s: no quantum layer, and no circuit whose parameters all have "
                        "defaults\n", file);
        return 1;
    }
    return 0;
}
