/* The quantum layer's uniform() draws (rt_qlayer_create_drawing, docs/semantics.md §9.3),
 * with a hand-written circuit whose outputs show its inputs: out[0] = the data input,
 * out[1] = the first draw, out[2] = the second, and vjp grad_inputs = grad_outputs. */
#include "testutil.h"

#include "rt_qlayer.h"

static void fwd(const void *p, const void *x, void *y, int64_t n, void *w) {
    (void)p, (void)w;
    for (int64_t b = 0; b < n; b++)
        for (int k = 0; k < 3; k++) ((double *)y)[3 * b + k] = ((const double *)x)[3 * b + k];
}

static void vjp(const void *p, const void *x, const void *g, void *gp, void *gx, int64_t n, void *w) {
    (void)p, (void)x, (void)gp, (void)w;
    for (int64_t b = 0; gx && b < n; b++)
        for (int k = 0; k < 3; k++) ((double *)gx)[3 * b + k] = ((const double *)g)[3 * b + k];
}

static void test_draws(void **state) {
    (void)state;
    rt_circuit c = {.name = "u", .n_qubits = 1, .n_inputs = 3, .n_outputs = 3, .precision = 64, .lanes = 1, .forward = fwd, .vjp = vjp};
    rt_rng rng, before;
    rt_rng_seed(&rng, 42);
    before = rng;
    rt_layer *l = rt_qlayer_create_drawing(&c, NULL, 0, NULL, &rng, 2);
    assert_non_null(l);
    assert_int_equal(rt_layer_n_in(l), 1); /* only the data input is the layer's */
    assert_memory_equal(&rng, &before, sizeof rng); /* rng is not advanced */
    assert_int_equal(rt_layer_reserve(l, 4), 0);
    double x[4] = {0.5, -1, 2, 7}, y1[12], y2[12];
    assert_int_equal(rt_layer_forward(l, x, y1, 4), 0);
    for (int b = 0; b < 4; b++) {
        assert_true(y1[3 * b] == x[b]);
        for (int k = 1; k < 3; k++) assert_true(y1[3 * b + k] >= 0 && y1[3 * b + k] < 1);
        assert_true(y1[3 * b + 1] != y1[3 * b + 2]);
        if (b) assert_true(y1[3 * b + 1] != y1[3 * (b - 1) + 1]); /* fresh per sample */
    }
    /* the backward returns the data columns of the circuit's input gradient */
    double dy[12], dx[4];
    for (int i = 0; i < 12; i++) dy[i] = i;
    rt_layer_backward(l, x, y1, dy, dx, 4);
    for (int b = 0; b < 4; b++) assert_true(dx[b] == 3 * b);
    assert_int_equal(rt_layer_forward(l, x, y2, 4), 0); /* fresh per call */
    assert_true(y2[1] != y1[1]);
    rt_layer_destroy(l);
    /* the same seed, the same draws */
    rt_rng_seed(&rng, 42);
    l = rt_qlayer_create_drawing(&c, NULL, 0, NULL, &rng, 2);
    assert_int_equal(rt_layer_reserve(l, 4), 0);
    assert_int_equal(rt_layer_forward(l, x, y2, 4), 0);
    assert_memory_equal(y1, y2, sizeof y1);
    rt_layer_destroy(l);
    /* refusals: more draws than inputs, draws without a generator */
    assert_null(rt_qlayer_create_drawing(&c, NULL, 0, NULL, &rng, 4));
    assert_null(rt_qlayer_create_drawing(&c, NULL, 0, NULL, NULL, 1));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_draws)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
