/* Unit tests of the runtime's quantum layer with a hand-written toy circuit: two qubits,
 * RY(x0 + p0) (x) RY(x1 + p1) on |00>, outputs <Z0> = cos t0 and <Z0 Z1> = cos t0 cos t1, with
 * its exact vjp. Checks values, gradients, pooled = single-thread bit for bit, float circuits. */
#include "testutil.h"

#include <stdatomic.h>
#include <stdint.h>

#include "rt_error.h"
#include "rt_pool.h"
#include "rt_qlayer.h"

#define LANES 4

/* Set when two calls run on the same work buffer at once, or work is misaligned. */
static atomic_int work_clash;

/* The circuit keeps one lane group's angles in `work`, as a compiled circuit keeps its state
 * vectors there; a flag in front detects concurrent use of one buffer. */
typedef struct {
    atomic_int busy;
    double theta[LANES][2];
} toy_work;

static void enter(void *work) {
    if ((uintptr_t)work % 64 != 0 || atomic_exchange(&((toy_work *)work)->busy, 1) != 0)
        atomic_store(&work_clash, 1);
}
static void leave(void *work) { atomic_store(&((toy_work *)work)->busy, 0); }

#define TOY_FUNCTIONS(SUFFIX, T, COS, SIN)                                                     \
    static void toy_forward_##SUFFIX(const void *params, const void *inputs, void *outputs,   \
                                     int64_t n, void *work) {                                  \
        const T *p = params, *x = inputs;                                                      \
        T *y = outputs;                                                                        \
        toy_work *w = work;                                                                    \
        enter(work);                                                                           \
        for (int64_t b0 = 0; b0 < n; b0 += LANES) {                                            \
            int m = n - b0 < LANES ? (int)(n - b0) : LANES;                                    \
            for (int l = 0; l < m; l++)                                                        \
                for (int k = 0; k < 2; k++)                                                    \
                    w->theta[l][k] = x[(b0 + l) * 2 + k] + p[k];                               \
            for (int l = 0; l < m; l++) {                                                      \
                T c0 = COS((T)w->theta[l][0]), c1 = COS((T)w->theta[l][1]);                    \
                y[(b0 + l) * 2] = c0;                                                          \
                y[(b0 + l) * 2 + 1] = c0 * c1;                                                 \
            }                                                                                  \
        }                                                                                      \
        leave(work);                                                                           \
    }                                                                                          \
    static void toy_vjp_##SUFFIX(const void *params, const void *inputs, const void *gout,    \
                                 void *gparams, void *ginputs, int64_t n, void *work) {        \
        const T *p = params, *x = inputs, *g = gout;                                           \
        T *gp = gparams, *gx = ginputs;                                                        \
        enter(work);                                                                           \
        for (int64_t b = 0; b < n; b++) {                                                      \
            T t0 = x[b * 2] + p[0], t1 = x[b * 2 + 1] + p[1];                                  \
            T c0 = COS(t0), s0 = SIN(t0), c1 = COS(t1), s1 = SIN(t1);                          \
            T d0 = -g[b * 2] * s0 - g[b * 2 + 1] * s0 * c1;                                    \
            T d1 = -g[b * 2 + 1] * c0 * s1;                                                    \
            gp[0] += d0;                                                                       \
            gp[1] += d1;                                                                       \
            if (gx) {                                                                          \
                gx[b * 2] = d0;                                                                \
                gx[b * 2 + 1] = d1;                                                            \
            }                                                                                  \
        }                                                                                      \
        leave(work);                                                                           \
    }

TOY_FUNCTIONS(f64, double, cos, sin)
TOY_FUNCTIONS(f32, float, cosf, sinf)

static const rt_circuit TOY64 = {"toy64", 2, 2, 2, 2, 64, LANES, sizeof(toy_work),
                                 toy_forward_f64, toy_vjp_f64, NULL, 0, NULL, NULL};
static const rt_circuit TOY32 = {"toy32", 2, 2, 2, 2, 32, LANES, sizeof(toy_work),
                                 toy_forward_f32, toy_vjp_f32, NULL, 0, NULL, NULL};

static const rt_qtensor TENSORS[2] = {{"weights1", 1, {RT_INIT_UNIFORM, 0.0, 6.283185307179586}},
                                      {"weights2", 1, {RT_INIT_CONST, 0.3, 0.0}}};

static rt_layer *make(const rt_circuit *c, rt_pool *pool, int max_batch) {
    rt_rng rng;
    rt_rng_seed(&rng, 5);
    rt_layer *l = rt_qlayer_create(c, pool, 2, TENSORS, &rng);
    assert_non_null(l);
    assert_int_equal(rt_layer_reserve(l, max_batch), 0);
    return l;
}

static void random_fill(double *v, size_t n, uint64_t seed) {
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    rt_init_fill(v, n, rt_init_normal(0.0, 1.5), &rng);
}

static void test_qlayer_values(void **state) {
    (void)state;
    rt_layer *l = make(&TOY64, NULL, 10);
    assert_string_equal(rt_layer_kind(l), "quantum");
    assert_int_equal(rt_layer_n_params(l), 2);
    assert_string_equal(rt_layer_tensor_name(l, 1), "weights2");
    double *p = rt_layer_params(l);
    assert_true(p[0] >= 0.0 && p[0] < 6.283185307179586);
    assert_close(p[1], 0.3, 0);
    assert_int_equal(rt_qlayer_chunk(l), 32);           /* default: multiple of lanes >= 32 */
    double x[20], y[20];
    random_fill(x, 20, 1);
    assert_int_equal(rt_layer_forward(l, x, y, 10), 0);
    for (int b = 0; b < 10; b++) {
        assert_close(y[2 * b], cos(x[2 * b] + p[0]), 1e-15);
        assert_close(y[2 * b + 1], cos(x[2 * b] + p[0]) * cos(x[2 * b + 1] + p[1]), 1e-15);
    }
    assert_int_equal(rt_layer_forward(l, x, y, 11), -1);   /* above the reserved batch */
    rt_layer_destroy(l);
}

static double objective(rt_layer *l, const double *x, const double *r, double *y, int batch) {
    assert_int_equal(rt_layer_forward(l, x, y, batch), 0);
    double s = 0;
    for (int i = 0; i < 2 * batch; i++)
        s += r[i] * y[i];
    return s;
}

static void test_qlayer_grads(void **state) {
    (void)state;
    enum { B = 9 };
    rt_layer *l = make(&TOY64, NULL, B);
    assert_int_equal(rt_qlayer_set_chunk(l, 4), 0);       /* several chunks, one partial */
    assert_int_equal(rt_layer_reserve(l, B), 0);
    double x[2 * B], r[2 * B], y[2 * B], dx[2 * B];
    random_fill(x, 2 * B, 2);
    random_fill(r, 2 * B, 3);
    objective(l, x, r, y, B);
    rt_layer_zero_grad(l);
    rt_layer_backward(l, x, y, r, dx, B);
    const double h = 1e-6;
    for (int i = 0; i < 2 * B; i++) {
        double keep = x[i];
        x[i] = keep + h;
        double lp = objective(l, x, r, y, B);
        x[i] = keep - h;
        double lm = objective(l, x, r, y, B);
        x[i] = keep;
        assert_close(dx[i], (lp - lm) / (2 * h), 1e-7);
    }
    double *p = rt_layer_params(l);
    for (int i = 0; i < 2; i++) {
        double keep = p[i];
        p[i] = keep + h;
        double lp = objective(l, x, r, y, B);
        p[i] = keep - h;
        double lm = objective(l, x, r, y, B);
        p[i] = keep;
        assert_close(rt_layer_grads(l)[i], (lp - lm) / (2 * h), 1e-7);
    }
    rt_layer_destroy(l);
}

typedef struct {
    double y[2000], dx[2000], g[2];
} run_result;

/* One forward + backward of the 1000-sample batch through a pool of `threads` (0 = NULL). */
static void run_once(const rt_circuit *c, int threads, int chunk, run_result *out) {
    enum { B = 1000 };
    rt_pool *pool = threads ? rt_pool_create(threads) : NULL;
    rt_layer *l = make(c, pool, B);
    assert_int_equal(rt_qlayer_set_chunk(l, chunk), 0);
    assert_int_equal(rt_layer_reserve(l, B), 0);
    static double x[2 * B], r[2 * B];
    random_fill(x, 2 * B, 10);
    random_fill(r, 2 * B, 11);
    assert_int_equal(rt_layer_forward(l, x, out->y, B), 0);
    rt_layer_zero_grad(l);
    rt_layer_backward(l, x, out->y, r, out->dx, B);
    memcpy(out->g, rt_layer_grads(l), sizeof out->g);
    rt_layer_destroy(l);
    rt_pool_destroy(pool);
}

static void check_pool_exact(const rt_circuit *c) {
    static run_result ref, got;
    const int chunks[] = {4, 12, 32};
    for (int k = 0; k < 3; k++) {
        run_once(c, 0, chunks[k], &ref);
        for (int threads = 1; threads <= 4; threads++) {
            run_once(c, threads, chunks[k], &got);
            assert_memory_equal(ref.y, got.y, sizeof ref.y);
            assert_memory_equal(ref.dx, got.dx, sizeof ref.dx);
            assert_memory_equal(ref.g, got.g, sizeof ref.g);    /* summation order fixed */
        }
    }
    assert_int_equal(atomic_load(&work_clash), 0);
}

static void test_qlayer_pool_exact_f64(void **state) {
    (void)state;
    check_pool_exact(&TOY64);
}

static void test_qlayer_pool_exact_f32(void **state) {
    (void)state;
    check_pool_exact(&TOY32);
}

/* Chunked sums agree with one whole-batch vjp call to rounding. */
static void test_qlayer_chunk_sum(void **state) {
    (void)state;
    static run_result got;
    run_once(&TOY64, 3, 4, &got);
    enum { B = 1000 };
    static double x[2 * B], r[2 * B], dx[2 * B];
    random_fill(x, 2 * B, 10);
    random_fill(r, 2 * B, 11);
    rt_rng rng;
    rt_rng_seed(&rng, 5);
    double p[2] = {6.283185307179586 * rt_rng_uniform(&rng), 0.3}, g[2] = {0, 0};
    toy_work w = {0};
    TOY64.vjp(p, x, r, g, dx, B, &w);
    assert_close(got.g[0], g[0], 1e-12);
    assert_close(got.g[1], g[1], 1e-12);
    assert_memory_equal(got.dx, dx, sizeof dx);
}

static void test_qlayer_f32(void **state) {
    (void)state;
    static run_result a, b;
    run_once(&TOY64, 2, 32, &a);
    run_once(&TOY32, 2, 32, &b);
    for (int i = 0; i < 2000; i++) {
        assert_close(b.y[i], a.y[i], 1e-6);
        assert_close(b.dx[i], a.dx[i], 1e-5);
    }
    /* gradients summed over 1000 samples: float rounding of each term, summed in double */
    assert_close(b.g[0], a.g[0], 1e-4);
    assert_close(b.g[1], a.g[1], 1e-4);
}

static void test_qlayer_errors(void **state) {
    (void)state;
    rt_qtensor bad[1] = {{"w", 3, {RT_INIT_CONST, 0, 0}}};
    assert_null(rt_qlayer_create(&TOY64, NULL, 1, bad, NULL));    /* 3 values, circuit has 2 */
    assert_non_null(strstr(rt_error_last(), "2 parameters"));
    assert_null(rt_qlayer_create(&TOY64, NULL, 2, TENSORS, NULL)); /* uniform needs an rng */
    rt_circuit no_lanes = TOY64;
    no_lanes.lanes = 0;
    rt_rng rng;
    rt_rng_seed(&rng, 1);
    assert_null(rt_qlayer_create(&no_lanes, NULL, 2, TENSORS, &rng));
    rt_layer *l = rt_qlayer_create(&TOY64, NULL, 2, TENSORS, &rng);
    assert_int_equal(rt_qlayer_set_chunk(l, 6), -1);               /* not a multiple of 4 */
    assert_int_equal(rt_qlayer_set_chunk(l, 8), 0);
    double x[2] = {0, 0}, y[2];
    assert_int_equal(rt_layer_forward(l, x, y, 1), -1);            /* not reserved */
    assert_int_equal(rt_layer_reserve(l, 1), 0);
    assert_int_equal(rt_layer_forward(l, x, y, 1), 0);
    rt_layer_destroy(l);
}

int main(void) {
    atomic_init(&work_clash, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qlayer_values),         cmocka_unit_test(test_qlayer_grads),
        cmocka_unit_test(test_qlayer_pool_exact_f64), cmocka_unit_test(test_qlayer_pool_exact_f32),
        cmocka_unit_test(test_qlayer_chunk_sum),      cmocka_unit_test(test_qlayer_f32),
        cmocka_unit_test(test_qlayer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
