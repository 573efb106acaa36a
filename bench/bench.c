/* Bench driver, part of `make bench` (scripts/bench.sh builds and runs it):
 *   bench peak            the machine's peak f64/f32 FMA rate on one core (GFLOP/s)
 *   bench triad           a STREAM-like triad a[i] = b[i] + s c[i] (f64) at three sizes: within
 *                         L2 (3 x 64 KiB), within L3 (3 x 2 MiB) and far beyond any cache
 *                         (3 x 64 MiB, one thread and two): GB/s, counted as STREAM does (24
 *                         bytes per element; write-allocate traffic, 32 bytes, is not counted)
 *   bench layer N B F [R [K]] one QIREN quantum layer (N qubits, re-uploading depth 2, fused
 *                         by pass_fuse; K = 0: without rule 10, wire blocks, K > 0: with
 *                         blocks of at most K wires at any size) JIT-compiled in precision F
 *                         (64/32), batch B: compile time, forward and vjp per sample (best of
 *                         several calls, at least R, default 3: the machine is shared), the
 *                         cost model's flops per sample (pass_cost_of), the lanes W, the
 *                         bytes the sweeps move (below) and the number of blocks
 *                         (QNN_BENCH_LANES=L compiles with L lanes instead of the host's
 *                         vector width: the lane-layout experiments of docs/performance.md)
 * Output: one line of key=value pairs, parsed by scripts/bench.sh. */
#include <pthread.h>
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

/* Peak: 12 independent accumulator chains of FMAs as wide as the target's vectors (Zen 5: 2
 * FMA pipes, 4-cycle latency: 8 chains hide it; 12 leave margin), written with GCC vector
 * extensions so the compiler emits exactly vfmadd on zmm (-mavx512f) or ymm registers. 2
 * flops per lane. The width must be the machine's own: 512-bit vectors on an AVX2-only host
 * are split and spilled, and measured 7 GFLOP/s f64 instead of 53 (2026-12-03). */
#ifdef __AVX512F__
enum { VBYTES = 64 };
#else
enum { VBYTES = 32 };
#endif
enum { VD = VBYTES / 8, VF = VBYTES / 4 }; /* lanes of one FMA vector */
typedef double v8d __attribute__((vector_size(VBYTES)));
typedef float v16f __attribute__((vector_size(VBYTES)));

static double peak(int f32) {
    enum { CH = 12 };
    const long iters = 20 * 1000 * 1000;
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s(), sink = 0;
        if (f32) {
            v16f a[CH], m = {0}, c = {0};
            for (int k = 0; k < VF; k++) { m[k] = 0.999999f; c[k] = 1e-7f; }
            for (int i = 0; i < CH; i++) a[i] = c * (float)(i + 1);
            for (long it = 0; it < iters; it++)
                for (int i = 0; i < CH; i++) a[i] = a[i] * m + c;
            for (int i = 0; i < CH; i++) sink += a[i][0];
        } else {
            v8d a[CH], m = {0}, c = {0};
            for (int k = 0; k < VD; k++) { m[k] = 0.999999; c[k] = 1e-7; }
            for (int i = 0; i < CH; i++) a[i] = c * (double)(i + 1);
            for (long it = 0; it < iters; it++)
                for (int i = 0; i < CH; i++) a[i] = a[i] * m + c;
            for (int i = 0; i < CH; i++) sink += a[i][0];
        }
        double t = now_s() - t0;
        double flops = (double)iters * CH * (f32 ? VF : VD) * 2;
        if (sink == 12345.678) /* keep the result alive */
            puts("");
        if (flops / t > best)
            best = flops / t;
    }
    return best / 1e9;
}

/* Triad: each thread owns a third of each array's share (first touched by it), the threads
 * start each repetition at a barrier, and a repetition's time is its slowest thread's. Small
 * arrays are swept several times per timed repetition (passes) so that one lasts about a
 * millisecond. The best repetition counts, as in STREAM. */
typedef struct {
    double *a, *b, *c, t[20];
    size_t n;
    int passes, reps;
    pthread_barrier_t *bar;
} triad_job;

static void *triad_thread(void *arg) {
    triad_job *j = arg;
    const double s = 3.0;
    for (size_t i = 0; i < j->n; i++) {
        j->a[i] = 0;
        j->b[i] = 1;
        j->c[i] = 2;
    }
    for (int r = 0; r < j->reps; r++) {
        pthread_barrier_wait(j->bar);
        double t0 = now_s();
        for (int p = 0; p < j->passes; p++) {
            double *restrict a = j->a;
            const double *restrict b = j->b, *restrict c = j->c;
            for (size_t i = 0; i < j->n; i++)
                a[i] = b[i] + s * c[i];
            __asm__ volatile("" ::: "memory"); /* every pass stores */
        }
        j->t[r] = now_s() - t0;
    }
    return NULL;
}

/* GB/s of the triad over arrays of `bytes` each (all threads together), on `threads` threads;
 * 0 if out of memory. */
static double triad(size_t bytes, int threads) {
    enum { MAXT = 2, REPS = 20 };
    size_t n = bytes / sizeof(double) / (size_t)threads;
    triad_job job[MAXT];
    pthread_t th[MAXT];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    int passes = (int)((size_t)(1 << 22) / n) + 1, ok = 1;
    for (int k = 0; k < threads; k++) {
        job[k] = (triad_job){.n = n, .passes = passes, .reps = REPS, .bar = &bar};
        job[k].a = aligned_alloc(64, n * sizeof(double));
        job[k].b = aligned_alloc(64, n * sizeof(double));
        job[k].c = aligned_alloc(64, n * sizeof(double));
        ok = ok && job[k].a && job[k].b && job[k].c;
    }
    double best = 0;
    if (ok) {
        for (int k = 0; k < threads; k++)
            pthread_create(&th[k], NULL, triad_thread, &job[k]);
        for (int k = 0; k < threads; k++)
            pthread_join(th[k], NULL);
        for (int r = 0; r < REPS; r++) {
            double t = 0;
            for (int k = 0; k < threads; k++)
                t = job[k].t[r] > t ? job[k].t[r] : t;
            double gbs = 24.0 * (double)n * threads * passes / t / 1e9;
            best = gbs > best ? gbs : best;
        }
        if (job[0].a[n / 2] != 7.0) /* b + 3 c = 7: the stores happened */
            best = 0;
    }
    for (int k = 0; k < threads; k++) {
        free(job[k].a);
        free(job[k].b);
        free(job[k].c);
    }
    pthread_barrier_destroy(&bar);
    return best;
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

/* Bytes the sweeps over the state move per call, lane groups of W samples, state S =
 * 2^(n+1) W elements per group (psi; lam the same): the forward reads and writes psi once per
 * op and reads it once to measure; the vjp re-runs the forward, seeds lam from psi (read
 * psi, write lam), then reads and writes psi and lam once per op. Phase tables of per-lane
 * diagonals (FUSED_DIAG with encodings) come on top: this is a lower bound of the traffic. */
static void sweep_bytes(int n, int B, int W, size_t es, int ops, double *fwd, double *vjp) {
    double S = (double)es * W * 2.0 * (double)((size_t)1 << n);
    double groups = (double)((B + W - 1) / W);
    *fwd = groups * S * (2.0 * ops + 1);
    *vjp = groups * S * (2.0 * ops + 1 + 2 + 4.0 * ops);
}

static int layer(int n, int B, int prec, int min_reps, int wire_blocks) {
    char err[512];
    jit_session *s = jit_create(err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    ir_circuit *c0 = qiren_layer(n, 2), *c;
    if (wire_blocks >= 0) { /* rule 10 off (0) or forced to blocks of this many wires */
        ir_circuit *f = pass_fuse_with(c0, &(pass_options){1, 0});
        c = wire_blocks > 0 ? pass_fuse_blocks(f, wire_blocks) : ir_clone(f);
        ir_free(f);
    } else
        c = pass_fuse(c0); /* what qnnc compiles */
    int n_blocks = 0;
    for (int i = 0; i < c->n_ops; i++)
        n_blocks += c->ops[i].gate == IR_FUSED_BLOCK;
    pass_cost pc;
    pass_cost_of(c, &pc);
    jit_options o = jit_default_options();
    o.precision = prec;
    if (getenv("QNN_BENCH_LANES")) o.lanes = atoi(getenv("QNN_BENCH_LANES"));
    /* amplitudes in the lanes for batches below the lane count: -1 off, 1 on at any size */
    if (getenv("QNN_BENCH_AMP")) o.amp = atoi(getenv("QNN_BENCH_AMP"));
    rt_circuit rc;
    double t0 = now_s();
    if (jit_compile(s, c, &o, &rc, err, sizeof err)) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    double tc = now_s() - t0;
    int W = jit_lanes(s, &o);
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
    for (int rep = 0; rep < 15 && (rep < min_reps || now_s() < budget); rep++) {
        double a = now_s();
        rc.forward(p, x, y, B, w);
        double b = now_s();
        rc.vjp(p, x, gy, gp, gx, B, w);
        double e = now_s();
        if (b - a < bf) bf = b - a;
        if (e - b < bv) bv = e - b;
    }
    double fb, vb;
    /* the amplitude layout (docs/codegen.md section 11) serves calls of fewer than `below`
     * samples: one sample per pass, its state one lane group's size over W, more sweeps */
    cg_options co = {prec, W, 3, CG_GRAD_ADJOINT, 0, 0, o.amp};
    int below;
    int64_t amp_sweeps, main_sweeps;
    cg_amp_plan(c, &co, &below, &amp_sweeps, &main_sweeps);
    int amp = B < below;
    if (amp) {
        sweep_bytes(n, W, W, es, (int)amp_sweeps, &fb, &vb); /* W samples' bytes = B * W */
        fb = fb / W * B;
        vb = vb / W * B;
    } else
        sweep_bytes(n, B, W, es, c->n_ops, &fb, &vb);
    printf("n=%d B=%d prec=%d ops=%d compile_ms=%.1f fwd_us=%.4f vjp_us=%.4f "
           "fwd_flops=%.0f vjp_flops=%.0f work=%zu lanes=%d fwd_bytes=%.0f vjp_bytes=%.0f "
           "blocks=%d block_wires=%d amp=%d amp_sweeps=%lld\n", n, B, prec, c->n_ops, 1e3 * tc,
           bf / B * 1e6, bv / B * 1e6, pc.forward_flops, pc.vjp_flops, rc.work_bytes, W, fb / B,
           vb / B, n_blocks, wire_blocks, amp, (long long)amp_sweeps);
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
    if (argc == 2 && !strcmp(argv[1], "triad")) {
        const size_t KiB = 1024, MiB = KiB * KiB;
        printf("triad_l2_gbs=%.2f triad_l3_gbs=%.2f triad_mem_1t_gbs=%.2f triad_mem_2t_gbs=%.2f\n",
               triad(64 * KiB, 1), triad(2 * MiB, 1), triad(64 * MiB, 1), triad(64 * MiB, 2));
        return 0;
    }
    if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "layer")) {
        int n = atoi(argv[2]), B = atoi(argv[3]), prec = atoi(argv[4]);
        int reps = argc >= 6 ? atoi(argv[5]) : 3, wb = argc == 7 ? atoi(argv[6]) : -1;
        if (n < 2 || n > 24 || B < 1 || (prec != 64 && prec != 32) || reps < 1 || reps > 15 ||
            wb < -1 || wb > IR_BLOCK_MAX_WIRES) {
            fprintf(stderr, "bench layer: QUBITS 2-24, BATCH >= 1, 64|32, MIN_REPS 1-15, "
                            "BLOCK_WIRES -1 (pass_fuse's choice), 0 (rule 10 off) or 1-%d\n",
                    IR_BLOCK_MAX_WIRES);
            return 2;
        }
        return layer(n, B, prec, reps, wb);
    }
    fprintf(stderr, "usage: bench peak | bench triad | bench layer QUBITS BATCH 64|32 "
                    "[MIN_REPS [BLOCK_WIRES]]\n");
    return 2;
}
