/* Computed built-in templates (embed.h): the gates of amplitude_embedding and random_layers,
 * as gate items for lower.c to emit. */
#include "embed.h"

#include <math.h>
#include <stdlib.h>

/* Expression builders that fold constants: padding and constant features give constant
 * angles, not trees of constant nodes. */
static int is_const(const ir_circuit *c, int e) { return c->exprs[e].kind == IR_EXPR_CONST; }
static double cval(const ir_circuit *c, int e) { return c->exprs[e].value; }

static int e_bin(ir_circuit *c, ir_expr_kind k, int a, int b) {
    if (is_const(c, a) && is_const(c, b)) {
        double x = cval(c, a), y = cval(c, b);
        switch (k) {
        case IR_EXPR_ADD: return ir_const(c, x + y);
        case IR_EXPR_SUB: return ir_const(c, x - y);
        case IR_EXPR_MUL: return ir_const(c, x * y);
        default: return ir_const(c, atan2(x, y));
        }
    }
    /* x + 0, x - 0, 1 * x: padding with zeros leaves no trace in the angles */
    if (k == IR_EXPR_ADD && is_const(c, a) && cval(c, a) == 0) return b;
    if ((k == IR_EXPR_ADD || k == IR_EXPR_SUB) && is_const(c, b) && cval(c, b) == 0) return a;
    if (k == IR_EXPR_MUL && is_const(c, a) && cval(c, a) == 1) return b;
    return ir_binary(c, k, a, b);
}

static int e_sqrt(ir_circuit *c, int a) {
    return is_const(c, a) ? ir_const(c, sqrt(cval(c, a))) : ir_unary(c, IR_EXPR_SQRT, a);
}

/* 2 atan2(y, x): the RY angle whose cos and sin of half the angle are x / r and y / r. */
static int ry_angle(ir_circuit *c, int y, int x) {
    return e_bin(c, IR_EXPR_MUL, ir_const(c, 2.0), e_bin(c, IR_EXPR_ATAN2, y, x));
}

static int push(gx_seq *out, gx_item it) { return gx_push(out, &it); }

/* RY(alpha_j) on `target` when the controls (wires[0 .. k), the first the most significant
 * bit of j) are in state j, for j = 0 .. 2^k - 1. With CNOTs from the control whose bit
 * changes between Gray codes g_i and g_{i+1} (g_{2^k} = g_0 = 0), the sequence
 * RY(theta_0) CNOT RY(theta_1) CNOT ... applies RY(sum_i (-1)^{j . g_i} theta_i) for control
 * state j (an X before a RY flips its angle, and every control toggles an even number of
 * times). So theta = 2^-k H alpha read at the Gray codes, H the Walsh-Hadamard matrix
 * (-1)^{j . m}, computed with the fast transform: k 2^k nodes, not 4^k. */
static int uniformly_controlled_ry(ir_circuit *c, int *alpha, int k, const int *wires, int target,
                                   gx_seq *out) {
    int N = 1 << k;
    for (int h = 1; h < N; h *= 2)
        for (int i = 0; i < N; i += 2 * h)
            for (int j = i; j < i + h; j++) {
                int x = alpha[j], y = alpha[j + h];
                alpha[j] = e_bin(c, IR_EXPR_ADD, x, y);
                alpha[j + h] = e_bin(c, IR_EXPR_SUB, x, y);
            }
    int scale = ir_const(c, ldexp(1.0, -k));
    for (int i = 0; i < N; i++) {
        int g = i ^ (i >> 1), theta = e_bin(c, IR_EXPR_MUL, scale, alpha[g]);
        if (!push(out, gx_prim(IR_RY, target, -1, theta, -1, -1))) return 0;
        if (k == 0) break;
        int next = (i + 1 == N) ? 0 : (i + 1) ^ ((i + 1) >> 1), diff = g ^ next, bit = 0;
        while (!(diff >> bit & 1)) bit++;
        /* bit b of j is the control wires[k - 1 - b] (wires[0] is the most significant) */
        if (!push(out, gx_prim(IR_CNOT, wires[k - 1 - bit], target, -1, -1, -1))) return 0;
    }
    return 1;
}

int embed_mottonen(ir_circuit *c, const int *amp, int n, const int *wires, gx_seq *out) {
    int N = 1 << n, ok = 1;
    /* sq[level] for level l = 0..n: the 2^l sums of squares of the blocks of 2^(n-l)
     * amplitudes whose top l bits are fixed; sq + offsets in one array */
    int *sq = malloc(sizeof *sq * (size_t)(2 * N)), *alpha = malloc(sizeof *alpha * (size_t)N);
    if (!sq || !alpha) {
        free(sq);
        free(alpha);
        return 0;
    }
    /* level l starts at index 2^l - 1 (a heap layout: the children of node p are 2p+1, 2p+2) */
    for (int i = 0; i < N; i++) sq[N - 1 + i] = e_bin(c, IR_EXPR_MUL, amp[i], amp[i]);
    for (int p = N - 2; p >= 0; p--) sq[p] = e_bin(c, IR_EXPR_ADD, sq[2 * p + 1], sq[2 * p + 2]);
    for (int k = 0; k < n && ok; k++) {
        int K = 1 << k;
        for (int j = 0; j < K; j++) {
            if (k == n - 1) { /* the leaves: signed amplitudes, so the sign enters here */
                alpha[j] = ry_angle(c, amp[2 * j + 1], amp[2 * j]);
            } else {
                int node = K - 1 + j;
                alpha[j] = ry_angle(c, e_sqrt(c, sq[2 * node + 2]), e_sqrt(c, sq[2 * node + 1]));
            }
        }
        ok = uniformly_controlled_ry(c, alpha, k, wires, wires[k], out);
    }
    free(sq);
    free(alpha);
    return ok;
}

/* splitmix64 (Steele, Lea, Flood 2014): small, seedable with any 64-bit value, and easy to
 * re-implement (tests/stdlib/pennylane_ref.py does). */
static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s) { return (double)(splitmix(s) >> 11) * 0x1.0p-53; }
static int below(uint64_t *s, int n) { return (int)(uniform01(s) * n); }

int embed_random_layers(uint64_t seed, int n_layers, int n_rots, int n_wires, double ratio,
                        int max_gates, embed_rl_gate **out) {
    uint64_t s = seed;
    int n = 0, cap = 0;
    embed_rl_gate *g = NULL;
    for (int l = 0; l < n_layers; l++)
        for (int i = 0; i < n_rots;) {
            embed_rl_gate x;
            if (uniform01(&s) > ratio) {
                x.rot = below(&s, 3);
                x.a = below(&s, n_wires);
                x.b = -1;
                x.weight = l * n_rots + i++;
            } else {
                if (n_wires < 2) continue; /* PennyLane draws again, placing nothing */
                x.rot = -1;
                x.a = below(&s, n_wires);
                x.b = below(&s, n_wires - 1);
                if (x.b >= x.a) x.b++;
                x.weight = -1;
            }
            if (n == max_gates) {
                free(g);
                return -1;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                embed_rl_gate *t = realloc(g, sizeof *g * (size_t)cap);
                if (!t) {
                    free(g);
                    return -1;
                }
                g = t;
            }
            g[n++] = x;
        }
    *out = g;
    return n;
}
