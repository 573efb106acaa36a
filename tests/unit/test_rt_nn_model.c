/* Unit tests of the runtime model: parameter registration and counts of the QIREN reference's
 * models, whole-model gradients against finite differences, modes, checkpoints, and a tiny
 * training run that learns and is bit-identical between two runs with the same seed. */
#include "testutil.h"

#include <stdint.h>

#include "rt_act.h"
#include "rt_bn.h"
#include "rt_error.h"
#include "rt_linear.h"
#include "rt_loss.h"
#include "rt_model.h"
#include "rt_optim.h"
#include "rt_qlayer.h"
#include "rt_rff.h"

/* A stand-in for QIREN's compiled 8-qubit circuit with R = 2: 8 inputs, 8 outputs and
 * 6 n (R + 1) = 144 parameters; out_j = cos(x_j + sum of parameters 18 j .. 18 j + 17). */
enum { NQ = 8, NP = 144, PER = NP / NQ };

static void fake_forward(const void *params, const void *inputs, void *outputs, int64_t n,
                         void *work) {
    (void)work;
    const double *p = params, *x = inputs;
    double *y = outputs;
    for (int64_t b = 0; b < n; b++)
        for (int j = 0; j < NQ; j++) {
            double s = x[b * NQ + j];
            for (int k = 0; k < PER; k++)
                s += p[j * PER + k];
            y[b * NQ + j] = cos(s);
        }
}

static void fake_vjp(const void *params, const void *inputs, const void *gout, void *gparams,
                     void *ginputs, int64_t n, void *work) {
    (void)work;
    const double *p = params, *x = inputs, *g = gout;
    double *gp = gparams, *gx = ginputs;
    for (int64_t b = 0; b < n; b++)
        for (int j = 0; j < NQ; j++) {
            double s = x[b * NQ + j];
            for (int k = 0; k < PER; k++)
                s += p[j * PER + k];
            double d = -g[b * NQ + j] * sin(s);
            for (int k = 0; k < PER; k++)
                gp[j * PER + k] += d;
            if (gx)
                gx[b * NQ + j] = d;
        }
}

static const rt_circuit FAKE = {"fake_qiren", NQ, NQ, NQ, NP, 64, 1, 0, fake_forward, fake_vjp, NULL, 0, NULL, NULL};
static const rt_qtensor QT[2] = {{"qnn.weights1", 2 * 2 * NQ * 3, {RT_INIT_UNIFORM, 0, 6.283185307179586}},
                                 {"qnn.weights2", 2 * NQ * 3, {RT_INIT_UNIFORM, 0, 6.283185307179586}}};

/* QIREN(d, n = 8, h = 2, R = 2, out = 1) as in the reference. */
static rt_model *make_qiren(int d, rt_rng *rng, rt_pool *pool) {
    rt_model *m = rt_model_create(d);
    for (int k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "net.%d.clayer", k);
        assert_int_equal(rt_model_add(m, rt_linear_create(k ? NQ : d, NQ, 1, rng), name), 0);
        snprintf(name, sizeof name, "net.%d.norm", k);
        assert_int_equal(rt_model_add(m, rt_batchnorm_create(NQ, 1e-5, 0.1), name), 0);
        snprintf(name, sizeof name, "net.%d.qlayer", k);
        assert_int_equal(rt_model_add(m, rt_qlayer_create(&FAKE, pool, 2, QT, rng), name), 0);
    }
    assert_int_equal(rt_model_add(m, rt_linear_create(NQ, 1, 1, rng), "net.3"), 0);
    return m;
}

/* The reference's MLP baselines: [Linear -> BN -> x omega0 -> act] x 3 -> Linear (or RFF first). */
static rt_model *make_mlp(int d, int w, int rff, rt_rng *rng) {
    rt_model *m = rt_model_create(d);
    int in = d;
    if (rff) {
        assert_int_equal(rt_model_add(m, rt_rff_create(d, w, 1.0, rng), NULL), 0);
        in = w;
    }
    for (int k = rff ? 1 : 0; k < 3; k++) {
        assert_int_equal(rt_model_add(m, rt_linear_create(in, w, 1, rng), NULL), 0);
        assert_int_equal(rt_model_add(m, rt_batchnorm_create(w, 1e-5, 0.1), NULL), 0);
        assert_int_equal(rt_model_add(m, rt_scale_create(w, 1.0), NULL), 0);
        assert_int_equal(rt_model_add(m, rt_relu_create(w), NULL), 0);
        in = w;
    }
    assert_int_equal(rt_model_add(m, rt_linear_create(w, 1, 1, rng), NULL), 0);
    return m;
}

static rt_model *make_siren(int d, int w, rt_rng *rng) {
    rt_model *m = rt_model_create(d);
    for (int k = 0; k < 3; k++) {
        rt_layer *l = rt_linear_create(k ? w : d, w, 1, rng);
        rt_linear_init_siren(l, k == 0, 1.0, rng);
        assert_int_equal(rt_model_add(m, l, NULL), 0);
        assert_int_equal(rt_model_add(m, rt_sine_create(w, 1.0), NULL), 0);
    }
    rt_layer *l = rt_linear_create(w, 1, 1, rng);
    rt_linear_init_siren(l, 0, 1.0, rng);
    assert_int_equal(rt_model_add(m, l, NULL), 0);
    return m;
}

static void test_parameter_counts(void **state) {
    (void)state;
    rt_rng rng;
    rt_rng_seed(&rng, 0);
    /* the reference guide's counts: QIREN 657 (images) / 649 (sound); width 8 baselines on
     * images: ReLU/Tanh 225, ReLU+RFF 185, SIREN 177; matched widths 16 -> 705, 18 -> 775,
     * 17 -> 681 */
    struct { rt_model *m; size_t n; } cases[] = {
        {make_qiren(2, &rng, NULL), 657}, {make_qiren(1, &rng, NULL), 649},
        {make_mlp(2, 8, 0, &rng), 225},   {make_mlp(2, 8, 1, &rng), 185},
        {make_siren(2, 8, &rng), 177},    {make_mlp(2, 16, 0, &rng), 705},
        {make_mlp(2, 18, 1, &rng), 775},  {make_siren(2, 17, &rng), 681},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(rt_model_n_params(cases[i].m), cases[i].n);
        rt_model_destroy(cases[i].m);
    }
}

static void test_names(void **state) {
    (void)state;
    rt_rng rng;
    rt_rng_seed(&rng, 0);
    rt_model *m = make_qiren(2, &rng, NULL);
    assert_int_equal(rt_model_n_tensors(m), 3 * 8 + 2);
    rt_model_tensor t = rt_model_tensor_at(m, 0);
    assert_string_equal(t.name, "net.0.clayer.weight");
    assert_int_equal(t.offset, 0);
    assert_int_equal(t.count, 16);
    int k = rt_model_find_tensor(m, "net.0.qlayer.qnn.weights2");
    assert_true(k > 0);
    t = rt_model_tensor_at(m, k);
    assert_int_equal(t.kind, RT_TENSOR_PARAM);
    assert_int_equal(t.offset, 16 + 8 + 16 + 96);
    assert_int_equal(t.count, 48);
    k = rt_model_find_tensor(m, "net.1.norm.running_var");
    t = rt_model_tensor_at(m, k);
    assert_int_equal(t.kind, RT_TENSOR_BUFFER);
    assert_null(t.grad);
    assert_int_equal(t.offset, 16 + 8);          /* after net.0's two buffers and net.1's mean */
    assert_int_equal(rt_model_n_buffers(m), 3 * 16);
    assert_string_equal(rt_model_tensor_at(m, rt_model_n_tensors(m) - 1).name, "net.3.bias");
    assert_int_equal(rt_model_find_tensor(m, "nope"), -1);
    assert_int_equal(rt_model_init_tensor(m, "net.3.bias", rt_init_const(0.5), NULL), 0);
    assert_close(rt_model_tensor_at(m, rt_model_find_tensor(m, "net.3.bias")).data[0], 0.5, 0);
    assert_int_equal(rt_model_init_tensor(m, "nope", rt_init_const(0.5), NULL), -1);
    rt_model_destroy(m);
    /* default names */
    m = make_mlp(2, 4, 0, &rng);
    assert_string_equal(rt_model_tensor_at(m, 0).name, "layers.0.weight");
    assert_string_equal(rt_model_tensor_at(m, 2).name, "layers.1.weight");
    assert_string_equal(rt_model_layer_name(m, 3), "layers.3");
    rt_model_destroy(m);
}

/* MSE loss of the model on (x, y); fills the flat gradient when g is not NULL. */
static double loss_of(rt_model *m, const double *x, const double *y, int batch, double *g) {
    const double *out = rt_model_forward(m, x, batch);
    assert_non_null(out);
    size_t n = (size_t)batch * rt_model_n_out(m);
    double *go = malloc(n * sizeof(double));
    double loss = rt_loss_mse(out, y, n, go);
    if (g) {
        rt_model_zero_grad(m);
        assert_int_equal(rt_model_backward(m, go), 0);
        rt_model_get_grads(m, g);
    }
    free(go);
    return loss;
}

static void check_model_grads(rt_model *m, int batch, uint64_t seed) {
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    int d = rt_model_n_in(m);
    size_t np = rt_model_n_params(m);
    double *x = malloc(sizeof(double) * batch * d), *y = malloc(sizeof(double) * batch);
    double *p = malloc(sizeof(double) * np), *g = malloc(sizeof(double) * np);
    double *dx = malloc(sizeof(double) * batch * d);
    rt_init_fill(x, (size_t)batch * d, rt_init_uniform(-1, 1), &rng);
    rt_init_fill(y, (size_t)batch, rt_init_uniform(-1, 1), &rng);
    assert_int_equal(rt_model_build(m, batch), 0);
    loss_of(m, x, y, batch, g);
    memcpy(dx, rt_model_input_grad(m), sizeof(double) * batch * d);
    rt_model_get_params(m, p);
    const double h = 1e-6;
    for (size_t i = 0; i < np; i++) {
        double keep = p[i];
        p[i] = keep + h;
        rt_model_set_params(m, p);
        double lp = loss_of(m, x, y, batch, NULL);
        p[i] = keep - h;
        rt_model_set_params(m, p);
        double lm = loss_of(m, x, y, batch, NULL);
        p[i] = keep;
        assert_close(g[i], (lp - lm) / (2 * h), 1e-6);
    }
    rt_model_set_params(m, p);
    for (int i = 0; i < batch * d; i++) {
        double keep = x[i];
        x[i] = keep + h;
        double lp = loss_of(m, x, y, batch, NULL);
        x[i] = keep - h;
        double lm = loss_of(m, x, y, batch, NULL);
        x[i] = keep;
        assert_close(dx[i], (lp - lm) / (2 * h), 1e-6);
    }
    free(x), free(y), free(p), free(g), free(dx);
}

static void test_model_grads(void **state) {
    (void)state;
    rt_rng rng;
    rt_rng_seed(&rng, 21);
    rt_model *m = rt_model_create(2);
    rt_model_add(m, rt_linear_create(2, 5, 1, &rng), NULL);
    rt_model_add(m, rt_batchnorm_create(5, 1e-5, 0.1), NULL);
    rt_model_add(m, rt_tanh_create(5), NULL);
    rt_model_add(m, rt_linear_create(5, 1, 1, &rng), NULL);
    check_model_grads(m, 6, 1);
    rt_model_eval(m, RT_BN_RUNNING);
    check_model_grads(m, 6, 2);
    rt_model_destroy(m);
    m = make_qiren(2, &rng, NULL);            /* linear -> bn -> quantum, three times */
    check_model_grads(m, 5, 3);
    rt_model_destroy(m);
    m = make_mlp(2, 4, 1, &rng);              /* RFF first: its input gradient too */
    check_model_grads(m, 5, 4);
    rt_model_destroy(m);
}

/* 50 Adam steps on y = sin(3x); returns the losses and final parameters. */
static void train_tiny(uint64_t seed, double *losses, double *params_out) {
    enum { B = 64, W = 16 };
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    rt_model *m = rt_model_create(1);
    rt_model_add(m, rt_linear_create(1, W, 1, &rng), NULL);
    rt_model_add(m, rt_batchnorm_create(W, 1e-5, 0.1), NULL);
    rt_model_add(m, rt_tanh_create(W), NULL);
    rt_model_add(m, rt_linear_create(W, 1, 1, &rng), NULL);
    assert_int_equal(rt_model_n_params(m), 81);
    assert_int_equal(rt_model_build(m, B), 0);
    double x[B], y[B], g[B];
    for (int i = 0; i < B; i++) {
        x[i] = -1.0 + 2.0 * i / (B - 1);
        y[i] = sin(3 * x[i]);
    }
    rt_optim *o = rt_adam_create(rt_model_n_params(m), 0.01, 0.9, 0.999, 1e-8, 0.0);
    for (int step = 0; step < 50; step++) {
        const double *out = rt_model_forward(m, x, B);
        losses[step] = rt_loss_mse(out, y, B, g);     /* before the update, as the reference */
        rt_model_zero_grad(m);
        rt_model_backward(m, g);
        assert_int_equal(rt_optim_step_model(o, m), 0);
    }
    rt_model_get_params(m, params_out);
    rt_optim_destroy(o);
    rt_model_destroy(m);
}

static void test_training(void **state) {
    (void)state;
    double la[50], lb[50], lc[50], pa[81], pb[81], pc[81];   /* 32 + 32 + 17 parameters */
    train_tiny(7, la, pa);
    train_tiny(7, lb, pb);
    train_tiny(8, lc, pc);
    assert_true(la[49] < 0.1 * la[0]);               /* about 1.26 -> 0.07 */
    assert_memory_equal(la, lb, sizeof la);            /* same seed: bit-identical */
    assert_memory_equal(pa, pb, sizeof pa);
    assert_true(memcmp(pa, pc, sizeof pa) != 0);       /* another seed: another run */
}

static void test_modes_and_checkpoint(void **state) {
    (void)state;
    enum { B = 32 };
    rt_rng rng;
    rt_rng_seed(&rng, 3);
    rt_model *m = make_mlp(2, 6, 0, &rng);
    rt_rng_seed(&rng, 4);
    rt_model *m2 = make_mlp(2, 6, 0, &rng);
    assert_int_equal(rt_model_build(m, B), 0);
    assert_int_equal(rt_model_build(m2, B), 0);
    double x[2 * B], a[B], b[B];
    rt_init_fill(x, 2 * B, rt_init_uniform(-1, 1), &rng);
    for (int i = 0; i < 5; i++)                         /* move the running statistics */
        rt_model_forward(m, x, B);
    size_t nb = rt_model_n_buffers(m);
    double *buf = malloc(nb * sizeof(double)), *buf2 = malloc(nb * sizeof(double));
    rt_model_get_buffers(m, buf);
    memcpy(a, rt_model_forward(m, x, B), sizeof a);     /* training mode: batch statistics */
    rt_model_get_buffers(m, buf);
    rt_model_eval(m, RT_BN_BATCH);
    assert_false(rt_model_is_training(m));
    memcpy(b, rt_model_forward(m, x, B), sizeof b);
    assert_memory_equal(a, b, sizeof a);                /* same normalisation ... */
    rt_model_get_buffers(m, buf2);
    assert_memory_equal(buf, buf2, nb * sizeof(double));  /* ... without touching the stats */
    rt_model_eval(m, RT_BN_RUNNING);
    memcpy(b, rt_model_forward(m, x, B), sizeof b);
    assert_true(memcmp(a, b, sizeof a) != 0);

    /* checkpoint: parameters and buffers into another model of the same shape */
    double *p = malloc(rt_model_n_params(m) * sizeof(double));
    rt_model_get_params(m, p);
    rt_model_set_params(m2, p);
    rt_model_set_buffers(m2, buf);
    rt_model_eval(m2, RT_BN_RUNNING);
    assert_memory_equal(rt_model_forward(m2, x, B), b, sizeof b);
    rt_model_train(m2);
    rt_model_train(m);
    memcpy(a, rt_model_forward(m, x, B), sizeof a);
    assert_memory_equal(rt_model_forward(m2, x, B), a, sizeof a);

    /* rebuild for a larger batch (e.g. a superresolution grid) */
    assert_int_equal(rt_model_build(m, 4 * B), 0);
    assert_int_equal(rt_model_max_batch(m), 4 * B);
    assert_non_null(rt_model_forward(m, x, B));
    free(p), free(buf), free(buf2);
    rt_model_destroy(m);
    rt_model_destroy(m2);
}

static void test_model_errors(void **state) {
    (void)state;
    rt_rng rng;
    rt_rng_seed(&rng, 1);
    rt_model *m = rt_model_create(3);
    double x[6] = {0}, g[2] = {0};
    assert_int_equal(rt_model_build(m, 4), -1);                        /* no layers */
    assert_int_equal(rt_model_add(m, rt_linear_create(2, 4, 1, &rng), NULL), -1);  /* 3 != 2 */
    assert_non_null(strstr(rt_error_last(), "takes 2 inputs"));
    assert_int_equal(rt_model_add(m, NULL, NULL), -1);
    assert_int_equal(rt_model_add(m, rt_linear_create(-1, 4, 1, &rng), NULL), -1);
    assert_non_null(strstr(rt_error_last(), "no layer to add as layer 0: linear layer: sizes"));
    assert_int_equal(rt_model_add(m, rt_linear_create(3, 1, 1, &rng), NULL), 0);
    assert_null(rt_model_forward(m, x, 2));                            /* not built */
    assert_int_equal(rt_model_backward(m, g), -1);
    assert_int_equal(rt_model_build(m, 2), 0);
    assert_null(rt_model_forward(m, x, 3));                            /* above max batch */
    assert_non_null(rt_model_forward(m, x, 2));
    assert_int_equal(rt_model_backward(m, g), 0);
    rt_optim *o = rt_adam_create(3, 0.1, 0.9, 0.999, 1e-8, 0.0);
    assert_int_equal(rt_optim_step_model(o, m), -1);                   /* 3 != 4 parameters */
    rt_optim_destroy(o);
    /* batch norm refuses a batch of one in training mode: the model reports it */
    assert_int_equal(rt_model_add(m, rt_batchnorm_create(1, 1e-5, 0.1), NULL), 0);
    assert_int_equal(rt_model_build(m, 2), 0);
    assert_null(rt_model_forward(m, x, 1));
    assert_int_equal(rt_model_backward(m, g), -1);                     /* forward failed */
    rt_model_destroy(m);
    rt_model_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameter_counts),    cmocka_unit_test(test_names),
        cmocka_unit_test(test_model_grads),         cmocka_unit_test(test_training),
        cmocka_unit_test(test_modes_and_checkpoint), cmocka_unit_test(test_model_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
