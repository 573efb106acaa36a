/* Bench driver, part of `make bench` (scripts/bench.sh builds and runs it):
 *   bench peak            the machine's peak f64/f32 FMA rate on one core (GFLOP/s)
 *   bench layer N B F     one QIREN quantum layer (N qubits, re-uploading depth 2, fused by
 *                         pass_fuse) JIT-compiled in precision F (64/32), batch B: compile
 *                         time, forward and vjp per sample (best of several calls: the machine
 *                         is shared), and the cost model's flops per sample (pass_cost_of)
 * Output: one line of key=value pairs, parsed by scripts/bench.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ir.h"
#include "jit.h"
#include "passes.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Peak: 12 independent accumulator chains of 512-bit FMAs (Zen 5: 2 FMA pipes, 4-cycle
 * latency: 8 chains hide it; 12 leave margin), written with GCC vector extensions so the
 * compiler emits exactly vfmadd on zmm registers with -mavx512f. 2 flops per lane. */
typedef double v8d __attribute__((vector_size(64)));
typedef float v16f __attribute__((vector_size(64)));

static double peak(int f32) {
    enum { CH = 12 };
    const long iters = 20 * 1000 * 1000;
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s(), sink = 0;
        if (f32) {
            v16f a[CH], m = {0}, c = {0};
            for (int k = 0; k < 16; k++) { m[k] = 0.999999f; c[k] = 1e-7f; }
            for (int i = 0; i < CH; i++) a[i] = c * (float)(i + 1);
            for (long it = 0; it < iters; it++)
                for (int i = 0; i < CH; i++) a[i] = a[i] * m + c;
            for (int i = 0; i < CH; i++) sink += a[i][0];
        } else {
            v8d a[CH], m = {0}, c = {0};
            for (int k = 0; k < 8; k++) { m[k] = 0.999999; c[k] = 1e-7; }
            for (int i = 0; i < CH; i++) a[i] = c * (double)(i + 1);
            for (long it = 0; it < iters; it++)
                for (int i = 0; i < CH; i++) a[i] = a[i] * m + c;
            for (int i = 0; i < CH; i++) sink += a[i][0];
        }
        double t = now_s() - t0;
        double flops = (double)iters * CH * (f32 ? 16 : 8) * 2;
        if (sink == 12345.678) /* keep the result alive */
            puts("");
        if (flops / t > best)
            best = flops / t;
    }
    return best / 1e9;
}

/* The QIREN layer as stdlib/qiren.qnn builds it: (R + 1) StronglyEntanglingLayers blocks of
 * two layers (Rot on every wire, CZ ring with range l % (n - 1) + 1), RZ(x_j) encodings after
 * the first R blocks, <Z> on every wire. */
static ir_circuit *qiren_layer(int n, int R) {
    ir_circuit *c = ir_new("qiren_layer", n, n);
    int np = 0;
    for (int blk = 0; blk <= R; blk++) {
        for (int l = 0; l < 2; l++) {
            for (int i = 0; i < n; i++) {
                int a0 = ir_param(c, np++), a1 = ir_param(c, np++), a2 = ir_param(c, np++);
                ir_add_gate(c, IR_ROT, i, -1, a0, a1, a2);
            }
            if (n > 1)
                for (int i = 0; i < n; i++)
                    ir_add_gate(c, IR_CZ, i, (i + l % (n - 1) + 1) % n, -1, -1, -1);
        }
        if (blk < R)
            for (int j = 0; j < n; j++)
                ir_add_gate(c, IR_RZ, j, -1, ir_input(c, j), -1, -1);
    }
    char p[32];
    for (int j = 0; j < n; j++) {
        for (int w = 0; w < n; w++)
            p[w] = w == j ? 'Z' : 'I';
        p[n] = 0;
        ir_begin_observable(c);
        ir_add_term(c, 1.0, p);
    }
    return c;
}

static int layer(int n, int B, int prec) {
    char err[512];
    jit_session *s = jit_create(err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    ir_circuit *c0 = qiren_layer(n, 2), *c = pass_fuse(c0);
    pass_cost pc;
    pass_cost_of(c, &pc);
    jit_options o = jit_default_options();
    o.precision = prec;
    rt_circuit rc;
    double t0 = now_s();
    if (jit_compile(s, c, &o, &rc, err, sizeof err)) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    double tc = now_s() - t0;
    size_t es = prec == 64 ? sizeof(double) : sizeof(float);
    int P = c->n_params, I = c->n_inputs, O = c->n_obs;
    unsigned char *p = malloc(es * (size_t)P), *x = malloc(es * (size_t)B * I);
    unsigned char *gy = malloc(es * (size_t)B * O), *y = malloc(es * (size_t)B * O);
    unsigned char *gp = calloc((size_t)P, es), *gx = malloc(es * (size_t)B * I);
    void *w = malloc(rc.work_bytes);
    srand(1);
    for (size_t i = 0; i < (size_t)P + (size_t)B * (I + O); i++) {
        double v = (double)rand() / RAND_MAX;
        unsigned char *dst = i < (size_t)P ? p : i < (size_t)P + (size_t)B * I ? x : gy;
        size_t k = i < (size_t)P ? i : i < (size_t)P + (size_t)B * I ? i - P : i - P - (size_t)B * I;
        if (prec == 64) ((double *)dst)[k] = 6.28 * v;
        else ((float *)dst)[k] = (float)(6.28 * v);
    }
    double bf = 1e30, bv = 1e30, budget = now_s() + 3.0;
    for (int rep = 0; rep < 15 && (rep < 3 || now_s() < budget); rep++) {
        double a = now_s();
        rc.forward(p, x, y, B, w);
        double b = now_s();
        rc.vjp(p, x, gy, gp, gx, B, w);
        double e = now_s();
        if (b - a < bf) bf = b - a;
        if (e - b < bv) bv = e - b;
    }
    printf("n=%d B=%d prec=%d ops=%d compile_ms=%.1f fwd_us=%.4f vjp_us=%.4f "
           "fwd_flops=%.0f vjp_flops=%.0f work=%zu\n", n, B, prec, c->n_ops, 1e3 * tc,
           bf / B * 1e6, bv / B * 1e6, pc.forward_flops, pc.vjp_flops, rc.work_bytes);
    free(p); free(x); free(gy); free(y); free(gp); free(gx); free(w);
    ir_free(c);
    ir_free(c0);
    jit_destroy(s);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "peak")) {
        printf("peak_f64_gflops=%.2f peak_f32_gflops=%.2f\n", peak(0), peak(1));
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "layer"))
        return layer(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: bench peak | bench layer QUBITS BATCH 64|32\n");
    return 2;
}
