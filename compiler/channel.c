/* Noise channels as superoperators (channel.h): closed forms of each kind's map and its
 * derivatives, built from the maps' action on the 2x2 block [[a, b], [c, d]] (vec order
 * a, b, c, d) rather than from Kraus operators, whose square roots have no derivative where
 * a strength is 0; the tests compare these with Kraus sums written independently. */
#include "channel.h"

#include <math.h>
#include <string.h>

int ch_dim(const ir_op *op) {
    return op->wires[1] >= 0 ? 4 : 2;
}

static void set(double *S, int n, int r, int c, double v) {
    S[2 * (r * n + c)] = v;
}

/* The one-qubit maps: populations a' = pa a + pd d, d' = qa a + qd d, coherences
 * b' = cb b + cc c, c' = cb c + cc b (every built-in kind has this form, real). */
static void one_qubit(double *S, double pa, double pd, double qa, double qd, double cb,
                      double cc) {
    set(S, 4, 0, 0, pa);
    set(S, 4, 0, 3, pd);
    set(S, 4, 3, 0, qa);
    set(S, 4, 3, 3, qd);
    set(S, 4, 1, 1, cb);
    set(S, 4, 1, 2, cc);
    set(S, 4, 2, 2, cb);
    set(S, 4, 2, 1, cc);
}

void ch_kraus_superop(const double *k, int n, int d, double *S) {
    int d2 = d * d;
    memset(S, 0, sizeof(double) * 2 * (size_t)d2 * (size_t)d2);
    for (int j = 0; j < n; j++) {
        const double *K = k + 2 * j * d2;
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++)
                for (int r2 = 0; r2 < d; r2++)
                    for (int c2 = 0; c2 < d; c2++) {
                        /* K[r][r2] * conj(K[c][c2]) */
                        double ar = K[2 * (r * d + r2)], ai = K[2 * (r * d + r2) + 1];
                        double br = K[2 * (c * d + c2)], bi = -K[2 * (c * d + c2) + 1];
                        size_t e = 2 * ((size_t)(r * d + c) * (size_t)d2 + (size_t)(r2 * d + c2));
                        S[e] += ar * br - ai * bi;
                        S[e + 1] += ar * bi + ai * br;
                    }
    }
}

double ch_kraus_tp_error(const double *k, int n, int d) {
    int d2 = d * d;
    double err = 0;
    for (int r = 0; r < d; r++)
        for (int c = 0; c < d; c++) {
            double re = r == c ? -1 : 0, im = 0; /* sum_j (K_j^dagger K_j)[r][c] - I */
            for (int j = 0; j < n; j++)
                for (int m = 0; m < d; m++) {
                    const double *K = k + 2 * j * d2;
                    double ar = K[2 * (m * d + r)], ai = -K[2 * (m * d + r) + 1];
                    double br = K[2 * (m * d + c)], bi = K[2 * (m * d + c) + 1];
                    re += ar * br - ai * bi;
                    im += ar * bi + ai * br;
                }
            double e = hypot(re, im);
            if (!(e <= err)) err = e; /* NaN propagates */
        }
    return err;
}

void ch_superop(const ir_circuit *c, const ir_op *op, const double *s, int deriv, double *S) {
    int d = ch_dim(op), d2 = d * d;
    memset(S, 0, sizeof(double) * 2 * (size_t)d2 * (size_t)d2);
    if (op->channel == IR_CH_KRAUS) {
        if (deriv < 0) ch_kraus_superop(c->kraus + op->kraus_first, op->n_kraus, d, S);
        return;
    }
    double p = s[0];
    switch (op->channel) {
    case IR_CH_DEPOLARIZING: /* rho' = (1 - 4p/3) rho + (2p/3) tr(rho) I */
        if (deriv < 0) one_qubit(S, 1 - 2 * p / 3, 2 * p / 3, 2 * p / 3, 1 - 2 * p / 3, 1 - 4 * p / 3, 0);
        else one_qubit(S, -2. / 3, 2. / 3, 2. / 3, -2. / 3, -4. / 3, 0);
        break;
    case IR_CH_BIT_FLIP: /* (1 - p) rho + p X rho X */
        if (deriv < 0) one_qubit(S, 1 - p, p, p, 1 - p, 1 - p, p);
        else one_qubit(S, -1, 1, 1, -1, -1, 1);
        break;
    case IR_CH_PHASE_FLIP: /* (1 - p) rho + p Z rho Z */
        if (deriv < 0) one_qubit(S, 1, 0, 0, 1, 1 - 2 * p, 0);
        else one_qubit(S, 0, 0, 0, 0, -2, 0);
        break;
    case IR_CH_AMPLITUDE_DAMPING:
        if (deriv < 0) one_qubit(S, 1, p, 0, 1 - p, sqrt(1 - p), 0);
        else one_qubit(S, 0, 1, 0, -1, -0.5 / sqrt(1 - p), 0);
        break;
    case IR_CH_PHASE_DAMPING:
        if (deriv < 0) one_qubit(S, 1, 0, 0, 1, sqrt(1 - p), 0);
        else one_qubit(S, 0, 0, 0, 0, -0.5 / sqrt(1 - p), 0);
        break;
    case IR_CH_THERMAL: { /* gamma = 1 - exp(-t/t1), coherence exp(-t/t2) */
        double t1 = s[0], t2 = s[1], t = s[2];
        double e1 = exp(-t / t1), e2 = exp(-t / t2);
        if (deriv < 0) {
            one_qubit(S, 1, 1 - e1, 0, e1, e2, 0);
            break;
        }
        /* d e1 and d e2 w.r.t. t1, t2 or t */
        double de1 = deriv == 0 ? e1 * t / (t1 * t1) : deriv == 2 ? -e1 / t1 : 0;
        double de2 = deriv == 1 ? e2 * t / (t2 * t2) : deriv == 2 ? -e2 / t2 : 0;
        one_qubit(S, 0, -de1, 0, de1, de2, 0);
        break;
    }
    default: break; /* READOUT has no map on rho */
    }
}

const char *ch_strength_error(ir_channel ch, const double *s, int *which) {
    *which = 0;
    switch (ch) {
    case IR_CH_DEPOLARIZING: case IR_CH_BIT_FLIP: case IR_CH_PHASE_FLIP: case IR_CH_READOUT:
        return s[0] >= 0 && s[0] <= 1 ? NULL : "the probability p must be in [0, 1]";
    case IR_CH_AMPLITUDE_DAMPING: case IR_CH_PHASE_DAMPING:
        return s[0] >= 0 && s[0] <= 1 ? NULL : "gamma must be in [0, 1]";
    case IR_CH_THERMAL:
        *which = !(s[0] > 0) ? 0 : 1;
        if (!(s[0] > 0) || !(s[1] > 0)) return "t1 and t2 must be positive";
        *which = 2;
        if (!(s[2] >= 0)) return "the time t must be >= 0";
        *which = 1;
        if (!(s[1] <= 2 * s[0])) return "t2 must be at most 2 t1 (no physical channel has t2 > 2 t1)";
        return NULL;
    default: return NULL;
    }
}
