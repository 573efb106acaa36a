/* Classification and held-out evaluation in the runtime: softmax and log-softmax layers,
 * the cross-entropy, binary cross-entropy (with logits) and Huber losses, accuracy and the
 * confusion matrix, class targets and the seeded split (run_data), and the task rules
 * (rt_task.h) with a native binary's --set. Values against naive references written out
 * here (closed forms), gradients against central finite differences in float64. */
#include "testutil.h"

#include "rt_act.h"
#include "rt_loss.h"
#include "rt_metrics.h"
#include "rt_rng.h"
#include "rt_settings.h"
#include "rt_task.h"
#include "run_data.h"

#define H 1e-6

/* ---- layers -------------------------------------------------------------------------- */

/* Naive references: the definitions, with no max subtraction (fine for small inputs). */
static void naive_softmax(const double *x, double *y, int n, int log_form) {
    double s = 0;
    for (int k = 0; k < n; k++) s += exp(x[k]);
    for (int k = 0; k < n; k++) y[k] = log_form ? x[k] - log(s) : exp(x[k]) / s;
}

static double layer_objective(rt_layer *l, const double *x, const double *r, double *y, int batch) {
    assert_int_equal(rt_layer_forward(l, x, y, batch), 0);
    double s = 0;
    for (int i = 0; i < batch * rt_layer_n_out(l); i++) s += r[i] * y[i];
    return s;
}

static void check_softmax_layer(int log_form) {
    enum { B = 3, K = 5 };
    rt_layer *l = log_form ? rt_log_softmax_create(K) : rt_softmax_create(K);
    assert_non_null(l);
    rt_rng rng;
    rt_rng_seed(&rng, 11 + log_form);
    double x[B * K], y[B * K], ref[B * K], r[B * K], dx[B * K];
    rt_init_fill(x, B * K, rt_init_normal(0, 2), &rng);
    rt_init_fill(r, B * K, rt_init_normal(0, 1), &rng);
    assert_int_equal(rt_layer_forward(l, x, y, B), 0);
    for (int b = 0; b < B; b++) naive_softmax(x + b * K, ref + b * K, K, log_form);
    for (int i = 0; i < B * K; i++) assert_close(y[i], ref[i], 1e-14);
    for (int b = 0; b < B && !log_form; b++) { /* a distribution per sample */
        double s = 0;
        for (int k = 0; k < K; k++) s += y[b * K + k];
        assert_close(s, 1.0, 1e-15);
    }
    rt_layer_backward(l, x, y, r, dx, B);
    for (int i = 0; i < B * K; i++) {
        double keep = x[i], yy[B * K];
        x[i] = keep + H;
        double lp = layer_objective(l, x, r, yy, B);
        x[i] = keep - H;
        double lm = layer_objective(l, x, r, yy, B);
        x[i] = keep;
        assert_close(dx[i], (lp - lm) / (2 * H), 1e-7);
    }
    /* Large inputs: the naive form overflows (exp(800) = inf), the layer does not. */
    double big[K] = {800, 799, 0, -800, 801}, out[K], shifted[K];
    assert_int_equal(rt_layer_forward(l, big, out, 1), 0);
    for (int k = 0; k < K; k++) shifted[k] = big[k] - 800;
    naive_softmax(shifted, ref, K, log_form);
    for (int k = 0; k < K; k++) {
        assert_true(isfinite(out[k]) || (log_form && 0));
        assert_close(out[k], log_form ? ref[k] : ref[k], 1e-13);
    }
    rt_layer_destroy(l);
}

static void test_softmax_layer(void **state) {
    (void)state;
    check_softmax_layer(0);
}

static void test_log_softmax_layer(void **state) {
    (void)state;
    check_softmax_layer(1);
}

/* ---- losses -------------------------------------------------------------------------- */

typedef double (*loss_fn)(const double *p, const double *t, size_t n, int k, double *grad, double delta);

static double ce(const double *p, const double *t, size_t n, int k, double *g, double d) {
    (void)d;
    return rt_loss_cross_entropy(p, t, n, k, g);
}
static double bce(const double *p, const double *t, size_t n, int k, double *g, double d) {
    return (void)d, rt_loss_bce_logits(p, t, n * (size_t)k, g);
}
static double huber(const double *p, const double *t, size_t n, int k, double *g, double d) {
    return rt_loss_huber(p, t, n * (size_t)k, d, g);
}

static void check_grad(loss_fn f, double *p, const double *t, size_t n, int k, double delta) {
    size_t m = n * (size_t)k;
    double *g = malloc(sizeof(double) * m);
    f(p, t, n, k, g, delta);
    for (size_t i = 0; i < m; i++) {
        double keep = p[i];
        p[i] = keep + H;
        double lp = f(p, t, n, k, NULL, delta);
        p[i] = keep - H;
        double lm = f(p, t, n, k, NULL, delta);
        p[i] = keep;
        assert_close(g[i], (lp - lm) / (2 * H), 1e-7);
    }
    free(g);
}

static void test_cross_entropy(void **state) {
    (void)state;
    enum { N = 4, K = 3 };
    double z[N * K] = {0.5, -1, 2, 0, 0, 0, 3, 1, -2, -0.3, 0.7, 0.1};
    /* one-hot rows (classes 2, 0, 0, 1), the last replaced by a soft label */
    double t[N * K] = {0, 0, 1, 1, 0, 0, 1, 0, 0, 0.2, 0.5, 0.3};
    double ref = 0;
    for (int b = 0; b < N; b++) {
        double ls[K];
        naive_softmax(z + b * K, ls, K, 1);
        for (int j = 0; j < K; j++) ref -= t[b * K + j] * ls[j];
    }
    ref /= N;
    assert_close(rt_loss_cross_entropy(z, t, N, K, NULL), ref, 1e-15);
    /* equal logits: log K per sample, whatever the class */
    double flat[2 * K] = {0}, hot[2 * K] = {1, 0, 0, 0, 0, 1};
    assert_close(rt_loss_cross_entropy(flat, hot, 2, K, NULL), log(3.0), 1e-15);
    check_grad(ce, z, t, N, K, 0);
    /* Huge logits: finite, and ~0 for the right class with a large margin. */
    double huge[K] = {1000, -1000, 0}, ht[K] = {1, 0, 0};
    double l = rt_loss_cross_entropy(huge, ht, 1, K, NULL);
    assert_true(isfinite(l) && l < 1e-300);
    double wrong[K] = {0, 1, 0};
    assert_close(rt_loss_cross_entropy(huge, wrong, 1, K, NULL), 2000.0, 1e-12);
}

static void test_bce(void **state) {
    (void)state;
    enum { N = 6 };
    double z[N] = {-3, -0.5, 0, 0.2, 2, 4}, t[N] = {0, 1, 1, 0, 1, 0.3};
    double ref = 0;
    for (int i = 0; i < N; i++) {
        double s = 1 / (1 + exp(-z[i]));
        ref -= t[i] * log(s) + (1 - t[i]) * log(1 - s);
    }
    assert_close(rt_loss_bce_logits(z, t, N, NULL), ref / N, 1e-15);
    check_grad(bce, z, t, N, 1, 0);
    /* |z| = 800: the naive form is inf or NaN, with logits it is exact */
    double big[2] = {800, -800}, tt[2] = {0, 0};
    assert_close(rt_loss_bce_logits(big, tt, 2, NULL), 400.0, 1e-12);
    double g[2];
    rt_loss_bce_logits(big, tt, 2, g);
    assert_close(g[0], 0.5, 1e-15);
    assert_close(g[1], 0.0, 1e-15);
}

static void test_huber(void **state) {
    (void)state;
    enum { N = 5 };
    double p[N] = {0, 0.3, -2, 5, 1}, t[N] = {0.1, 0, 0, 0, 1};
    double delta = 1.5, ref = 0;
    for (int i = 0; i < N; i++) {
        double d = fabs(p[i] - t[i]);
        ref += d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
    }
    assert_close(rt_loss_huber(p, t, N, delta, NULL), ref / N, 1e-15);
    check_grad(huber, p, t, N, 1, delta);
    /* a huge delta is half the MSE */
    assert_close(rt_loss_huber(p, t, N, 1e9, NULL), 0.5 * rt_loss_mse(p, t, N, NULL), 1e-15);
}

/* ---- accuracy ------------------------------------------------------------------------ */

static void test_accuracy(void **state) {
    (void)state;
    enum { N = 5, K = 3 };
    /* predicted classes 2, 0, 1, 1, 0; true 2, 0, 0, 1, 2: 3 of 5 right */
    double z[N * K] = {0, 1, 2, 5, 1, 1, 0, 3, 0, -1, 0, -2, 9, 8, 7};
    double t[N * K] = {0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    long conf[K * K];
    assert_close(rt_metric_accuracy(z, t, N, K, conf), 0.6, 1e-15);
    long want[K * K] = {1, 1, 0, 0, 1, 0, 1, 0, 1};
    for (int i = 0; i < K * K; i++) assert_int_equal(conf[i], want[i]);
    /* ties go to the first class */
    double tie[K] = {1, 1, 0};
    assert_int_equal(rt_class_of(tie, K, 0), 0);
    /* one logit: z > 0 is class 1, a target >= 0.5 is class 1 */
    double zb[4] = {-1, 0, 0.1, 3}, tb[4] = {0, 1, 1, 0.4};
    long cb[4];
    assert_close(rt_metric_accuracy(zb, tb, 4, 1, cb), 0.5, 1e-15);
    assert_int_equal(cb[0], 1); /* true 0, predicted 0 (z = -1) */
    assert_int_equal(cb[1], 1); /* true 0 (0.4), predicted 1 (z = 3) */
    assert_int_equal(cb[2], 1); /* true 1, predicted 0 (z = 0) */
    assert_int_equal(cb[3], 1); /* true 1, predicted 1 */
}

/* ---- targets and split --------------------------------------------------------------- */

static void make_data(run_data *d, size_t n, int out, const double *values) {
    memset(d, 0, sizeof *d);
    d->kind = RT_DATA_CSV;
    d->n = n;
    d->in_dim = 1;
    d->out_dim = out;
    d->coords = malloc(sizeof(double) * n);
    d->values = malloc(sizeof(double) * n * (size_t)out);
    for (size_t i = 0; i < n; i++) d->coords[i] = (double)i;
    memcpy(d->values, values, sizeof(double) * n * (size_t)out);
    snprintf(d->path, sizeof d->path, "classes.csv");
}

static void test_targets(void **state) {
    (void)state;
    run_data d;
    char err[256];
    double idx[4] = {2, 0, 1, 2};
    make_data(&d, 4, 1, idx);
    assert_int_equal(run_data_targets(&d, RT_LOSS_CROSS_ENTROPY, 3, err, sizeof err), 0);
    assert_int_equal(d.out_dim, 3);
    double hot[12] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    for (int i = 0; i < 12; i++) assert_close(d.values[i], hot[i], 0);
    run_data_free(&d);

    double bad[3] = {0, 3, 1};
    make_data(&d, 3, 1, bad);
    assert_int_equal(run_data_targets(&d, RT_LOSS_CROSS_ENTROPY, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "classes.csv: row 2 of the data: class 3 is not one of 0, 1, ..., 2"));
    run_data_free(&d);
    double half[2] = {0, 1.5};
    make_data(&d, 2, 1, half);
    assert_int_equal(run_data_targets(&d, RT_LOSS_CROSS_ENTROPY, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "row 2 of the data: class 1.5"));
    run_data_free(&d);
    double neg[2] = {-1, 1};
    make_data(&d, 2, 1, neg);
    assert_int_equal(run_data_targets(&d, RT_LOSS_CROSS_ENTROPY, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "row 1 of the data: class -1"));
    run_data_free(&d);

    /* one-hot columns: kept; a row that is not a distribution is refused */
    double oh[6] = {1, 0, 0, 0.25, 0.75, 0};
    make_data(&d, 2, 3, oh);
    assert_int_equal(run_data_targets(&d, RT_LOSS_CROSS_ENTROPY, 3, err, sizeof err), 0);
    run_data_free(&d);
    double notd[6] = {1, 0, 0, 1, 1, 0};
    make_data(&d, 2, 3, notd);
    assert_int_equal(run_data_targets(&d, RT_LOSS_CROSS_ENTROPY, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "row 2 of the data: the 3 target columns are not a class distribution"));
    run_data_free(&d);

    double b[3] = {0, 1, 1.2};
    make_data(&d, 3, 1, b);
    assert_int_equal(run_data_targets(&d, RT_LOSS_BCE, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "row 3 of the data: target 1.2"));
    run_data_free(&d);
    make_data(&d, 3, 1, b); /* regression: nothing to check */
    assert_int_equal(run_data_targets(&d, RT_LOSS_MSE, 1, err, sizeof err), 0);
    run_data_free(&d);
}

static void test_split(void **state) {
    (void)state;
    enum { N = 200 };
    double v[N];
    for (int i = 0; i < N; i++) v[i] = 1000 + i;
    run_data a, ta, b, tb, c, tc;
    char err[256];
    make_data(&a, N, 1, v);
    make_data(&b, N, 1, v);
    make_data(&c, N, 1, v);
    assert_int_equal(run_data_split(&a, 0.75, 7, &ta, err, sizeof err), 0);
    assert_int_equal(run_data_split(&b, 0.75, 7, &tb, err, sizeof err), 0);
    assert_int_equal(run_data_split(&c, 0.75, 8, &tc, err, sizeof err), 0);
    assert_int_equal(a.n, 150);
    assert_int_equal(ta.n, 50);
    /* every row once, each part in the file's order, values moved with their coordinates */
    int seen[N] = {0};
    for (size_t i = 0; i < a.n; i++) {
        int r = (int)a.coords[i];
        seen[r]++;
        assert_close(a.values[i], 1000 + r, 0);
        if (i) assert_true(a.coords[i] > a.coords[i - 1]);
    }
    for (size_t i = 0; i < ta.n; i++) {
        int r = (int)ta.coords[i];
        seen[r]++;
        assert_close(ta.values[i], 1000 + r, 0);
        if (i) assert_true(ta.coords[i] > ta.coords[i - 1]);
    }
    for (int i = 0; i < N; i++) assert_int_equal(seen[i], 1);
    /* the same seed gives the same rows; another seed others */
    int same = 1, differ = 0;
    for (size_t i = 0; i < ta.n; i++) {
        same &= ta.coords[i] == tb.coords[i];
        differ |= ta.coords[i] != tc.coords[i];
    }
    assert_true(same && differ);
    run_data_free(&a), run_data_free(&ta), run_data_free(&b), run_data_free(&tb);
    run_data_free(&c), run_data_free(&tc);
    /* too few rows for both parts */
    make_data(&a, 3, 1, v);
    assert_int_equal(run_data_split(&a, 0.9, 1, &ta, err, sizeof err), -1);
    assert_non_null(strstr(err, "classes.csv: split = 0.9 of 3 rows leaves 3 to train on and 0 to test"));
    run_data_free(&a);
}

/* ---- the task rules, and --set in native binaries ------------------------------------ */

static rt_layer_spec layers2[2];

static void classifier(rt_experiment *x, int k, int cols) {
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "cls");
    snprintf(x->source, sizeof x->source, "cls.qnn");
    x->data.kind = RT_DATA_CSV;
    snprintf(x->data.path, sizeof x->data.path, "moons.csv");
    x->data.n_inputs = 2;
    x->data.n_outputs = cols;
    x->data.header = 1;
    /* the other kinds' defaults, as a native binary's `--set data=csv(...)` fills them */
    x->data.size = 32, x->data.channels = 1, x->data.lo = -1, x->data.hi = 1;
    x->data.stop = -1, x->data.stride = 1, x->data.normalize = 1;
    x->in_dim = 2;
    x->out_dim = k;
    x->loss = RT_LOSS_CROSS_ENTROPY;
    x->huber_delta = 1;
    x->optimizer = RT_OPT_ADAM;
    x->lr = 1e-3, x->beta1 = 0.9, x->beta2 = 0.999, x->eps = 1e-8;
    x->epochs = 10;
    x->log_every = 10;
    x->precision = 64;
    rt_task_default_metrics(x);
    layers2[0].kind = RT_LAYER_LINEAR, layers2[0].in = 2, layers2[0].out = k;
    layers2[1].kind = RT_LAYER_TANH, layers2[1].in = layers2[1].out = k;
    x->layers = layers2;
    x->n_layers = 1;
}

static void test_task_rules(void **state) {
    (void)state;
    rt_experiment x;
    const char *what;
    char msg[320];
    classifier(&x, 2, 1);
    assert_int_equal(rt_task_check(&x, &what, msg, sizeof msg), 0);
    assert_true(x.metric_accuracy && !x.metric_mse && !x.metric_psnr);
    x.metric_psnr = 1;
    assert_int_equal(rt_task_check(&x, &what, msg, sizeof msg), -1);
    assert_string_equal(what, "eval");
    assert_non_null(strstr(msg, "`psnr` is a signal metric"));
    classifier(&x, 3, 2);
    assert_int_equal(rt_task_check(&x, &what, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "takes 1 target column (the class index, 0 to 2) or 3 (one-hot), but the CSV gives 2"));
    classifier(&x, 1, 1);
    assert_int_equal(rt_task_check(&x, &what, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "use `bce`"));
    classifier(&x, 2, 1);
    layers2[1].kind = RT_LAYER_SOFTMAX;
    x.n_layers = 2;
    assert_int_equal(rt_task_check(&x, &what, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "takes logits"));
    layers2[1].kind = RT_LAYER_LOG_SOFTMAX; /* log_softmax of log_softmax is itself: fine */
    assert_int_equal(rt_task_check(&x, &what, msg, sizeof msg), 0);
    classifier(&x, 2, 2);
    x.loss = RT_LOSS_MSE;
    assert_int_equal(rt_task_check(&x, &what, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "`accuracy` needs a classification loss"));
    x.split = 1.0;
    rt_task_default_metrics(&x);
    assert_int_equal(rt_task_check(&x, &what, msg, sizeof msg), -1);
    assert_string_equal(what, "split");
    x.split = 0.5;
    x.data.kind = RT_DATA_SOUND; /* 1 value per point */
    x.out_dim = 1;
    assert_int_equal(rt_task_check(&x, &what, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "`split` holds out rows of a CSV table"));
}

static void test_settings(void **state) {
    (void)state;
    rt_experiment x;
    char err[512];
    classifier(&x, 2, 1);
    /* class index column with 2 outputs: data.path may change, the shape check knows */
    assert_int_equal(rt_experiment_set_text(&x, "data.path=\"other.csv\"", err, sizeof err), 0);
    assert_int_equal(rt_experiment_set_text(&x, "split=0.8", err, sizeof err), 0);
    assert_close(x.split, 0.8, 0);
    assert_int_equal(rt_experiment_set_text(&x, "split=1", err, sizeof err), -1);
    assert_non_null(strstr(err, "between 0 and 1"));
    assert_int_equal(rt_experiment_set_text(&x, "eval_every=5", err, sizeof err), 0);
    assert_int_equal(x.eval_every, 5);
    assert_int_equal(rt_experiment_set_text(&x, "eval_every=0", err, sizeof err), -1);
    assert_int_equal(rt_experiment_set_text(&x, "eval.metrics=[accuracy]", err, sizeof err), 0);
    assert_int_equal(rt_experiment_set_text(&x, "eval.metrics=[psnr]", err, sizeof err), -1);
    assert_non_null(strstr(err, "signal metric"));
    /* mse on a 1-column class index and a 2-output model: the shape does not fit */
    assert_int_equal(rt_experiment_set_text(&x, "loss=mse", err, sizeof err), -1);
    /* one-hot targets: bce, huber and back; metrics follow the loss while they are defaults */
    classifier(&x, 2, 2);
    assert_int_equal(rt_experiment_set_text(&x, "loss=huber(delta = 0.5)", err, sizeof err), 0);
    assert_true(x.loss == RT_LOSS_HUBER && x.huber_delta == 0.5 && x.metric_mse && !x.metric_accuracy);
    assert_int_equal(rt_experiment_set_text(&x, "loss.delta=2", err, sizeof err), 0);
    assert_close(x.huber_delta, 2, 0);
    assert_int_equal(rt_experiment_set_text(&x, "loss.delta=-1", err, sizeof err), -1);
    assert_non_null(strstr(err, "`delta` of `huber` must be positive"));
    assert_int_equal(rt_experiment_set_text(&x, "loss=bce", err, sizeof err), 0);
    assert_true(x.loss == RT_LOSS_BCE && x.metric_accuracy && !x.metric_mse);
    assert_int_equal(rt_experiment_set_text(&x, "loss.delta=2", err, sizeof err), -1);
    assert_int_equal(rt_experiment_set_text(&x, "loss=bce(3)", err, sizeof err), -1);
    assert_int_equal(rt_experiment_set_text(&x, "loss=softmax", err, sizeof err), -1);
    assert_non_null(strstr(err, "cross_entropy"));
}

/* --help's listing of a classifier with a split reads back as the same experiment. */
static void test_listing(void **state) {
    (void)state;
    rt_experiment x, y;
    char err[512];
    classifier(&x, 3, 3);
    classifier(&y, 3, 3);
    assert_int_equal(rt_experiment_set_text(&x, "split=0.625", err, sizeof err), 0);
    assert_int_equal(rt_experiment_set_text(&x, "eval_every=7", err, sizeof err), 0);
    assert_int_equal(rt_experiment_set_text(&x, "loss=huber(delta = 0.25)", err, sizeof err), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    rt_experiment_print_settings(&x, f, 0);
    fclose(f);
    assert_non_null(strstr(text, "loss = huber(delta = 0.25)\n"));
    assert_non_null(strstr(text, "split = 0.625\n"));
    assert_non_null(strstr(text, "eval_every = 7\n"));
    assert_non_null(strstr(text, "metrics = [mse, psnr])"));
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "fixed", 5) == 0) continue;
        char *paren = strstr(line, "   (");
        if (paren) *paren = '\0';
        if (rt_experiment_set_text(&y, line, err, sizeof err)) fail_msg("`%s`: %s", line, err);
    }
    free(text);
    assert_memory_equal(&x, &y, sizeof x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_layer), cmocka_unit_test(test_log_softmax_layer),
        cmocka_unit_test(test_cross_entropy), cmocka_unit_test(test_bce),
        cmocka_unit_test(test_huber),         cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_targets),       cmocka_unit_test(test_split),
        cmocka_unit_test(test_task_rules),    cmocka_unit_test(test_settings),
        cmocka_unit_test(test_listing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
