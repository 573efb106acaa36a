/* Tests of rt_settings: the run-time --set of native binaries. Values, limits and defaults as
 * in .qnn files (sema_exp.c), constructors replacing a whole setting, refusals of what the
 * compiled code fixes, all-or-nothing updates, and --help's listing reading back as is; and
 * of rt_limits: the optimiser limits shared with `qnnc check`, the memory estimate. */
#include "testutil.h"

#include "rt_circuit.h"
#include "rt_limits.h"
#include "rt_model.h"
#include "rt_pool.h"
#include "rt_qlayer.h"
#include "rt_error.h"
#include "rt_settings.h"

static rt_layer_spec layer = {.kind = RT_LAYER_LINEAR, .in = 2, .out = 1, .bias = 1};

/* An experiment as sema would produce it for image("astronaut.png"). */
static rt_experiment image_exp(void) {
    rt_experiment x;
    memset(&x, 0, sizeof x);
    snprintf(x.name, sizeof x.name, "fit");
    snprintf(x.source, sizeof x.source, "examples/fit.qnn");
    x.data.kind = RT_DATA_IMAGE;
    snprintf(x.data.path, sizeof x.data.path, "astronaut.png");
    x.data.size = 32, x.data.channels = 1, x.data.lo = -1, x.data.hi = 1;
    x.in_dim = 2, x.out_dim = 1;
    x.optimizer = RT_OPT_ADAM, x.lr = 0.03, x.beta1 = 0.9, x.beta2 = 0.999, x.eps = 1e-8;
    x.epochs = 301, x.log_every = 10, x.precision = 64;
    x.metric_mse = x.metric_psnr = 1;
    snprintf(x.out_checkpoint, sizeof x.out_checkpoint, "model.safetensors");
    x.n_layers = 1, x.layers = &layer;
    return x;
}

static rt_experiment sound_exp(void) {
    rt_experiment x = image_exp();
    memset(&x.data, 0, sizeof x.data);
    x.data.kind = RT_DATA_SOUND;
    snprintf(x.data.path, sizeof x.data.path, "bach.wav");
    x.data.stop = -1, x.data.stride = 1, x.data.normalize = 1;
    x.in_dim = 1;
    return x;
}

static char err[1024];

#define SET_OK(x, k, v) do { \
    if (rt_experiment_set(&(x), k, v, err, sizeof err)) fail_msg("%s=%s: %s", k, v, err); \
} while (0)

/* Must fail with a message containing `want`, leaving x as it was. */
static void set_fails(rt_experiment *x, const char *k, const char *v, const char *want) {
    rt_experiment before = *x;
    err[0] = '\0';
    if (rt_experiment_set(x, k, v, err, sizeof err) == 0) fail_msg("%s=%s was accepted", k, v);
    if (!strstr(err, want)) fail_msg("%s=%s: message `%s` lacks `%s`", k, v, err, want);
    assert_memory_equal(&before, x, sizeof before);
}

static void test_plain_settings(void **state) {
    (void)state;
    rt_experiment x = image_exp();
    SET_OK(x, "epochs", "50");
    assert_int_equal(x.epochs, 50);
    SET_OK(x, "seed", " 2147483647 ");
    assert_int_equal(x.seed, 2147483647);
    SET_OK(x, "batch", "64");
    assert_int_equal(x.batch, 64);
    SET_OK(x, "batch", "full");
    assert_int_equal(x.batch, 0);
    SET_OK(x, "log_every", "1");
    SET_OK(x, "threads", "4");
    assert_int_equal(x.threads, 4);
    SET_OK(x, "loss", "l1");
    assert_int_equal(x.loss, RT_LOSS_L1);
    SET_OK(x, "loss", "mse()");
    assert_int_equal(x.loss, RT_LOSS_MSE);
    SET_OK(x, "batchnorm_eval", "running");
    assert_int_equal(x.bn_eval_running, 1);
    assert_int_equal(rt_experiment_set_text(&x, "epochs = 7", err, sizeof err), 0);
    assert_int_equal(x.epochs, 7);
}

static void test_limits_and_types(void **state) {
    (void)state;
    rt_experiment x = image_exp();
    set_fails(&x, "epochs", "0", "between 1 and 10000000");
    set_fails(&x, "epochs", "1.5", "must be an integer");
    set_fails(&x, "seed", "-1", "between 0 and");
    set_fails(&x, "batch", "0", "between 1 and");
    set_fails(&x, "batch", "half", "must be an integer");
    set_fails(&x, "threads", "2000", "between 0 and 1024");
    set_fails(&x, "loss", "l2", "unknown loss `l2`: use mse, l1, cross_entropy, bce or huber");
    set_fails(&x, "loss", "mse(3)", "takes no arguments");
    set_fails(&x, "batchnorm_eval", "train", "use batch or running");
    set_fails(&x, "epochs", "", "needs a value");
    assert_int_equal(rt_experiment_set_text(&x, "epochs", err, sizeof err), -1);
    assert_non_null(strstr(err, "key=value"));
}

static void test_optimizer(void **state) {
    (void)state;
    rt_experiment x = image_exp();
    SET_OK(x, "optimizer.lr", "0.01");
    assert_true(x.lr == 0.01);
    SET_OK(x, "optimizer.betas", "[0.8, 0.99]");
    assert_true(x.beta1 == 0.8 && x.beta2 == 0.99);
    /* a constructor replaces the whole setting: unnamed arguments take their defaults */
    SET_OK(x, "optimizer", "adam(0.002, eps = 1e-6)");
    assert_true(x.lr == 0.002 && x.eps == 1e-6 && x.beta1 == 0.9 && x.beta2 == 0.999);
    SET_OK(x, "optimizer", "sgd(lr = 0.1, momentum = 0.9)");
    assert_int_equal(x.optimizer, RT_OPT_SGD);
    assert_true(x.lr == 0.1 && x.momentum == 0.9);
    SET_OK(x, "optimizer", "sgd");
    assert_true(x.lr == 1e-2 && x.momentum == 0);
    set_fails(&x, "optimizer.betas", "[0.9, 0.99]", "`sgd` has no parameter `betas`");
    SET_OK(x, "optimizer", "adam");
    assert_true(x.lr == 1e-3);
    set_fails(&x, "optimizer.momentum", "0.9", "`adam` has no parameter `momentum`");
    set_fails(&x, "optimizer.lr", "-1", "must be positive");
    set_fails(&x, "optimizer.lr", "0", "must be positive");
    set_fails(&x, "optimizer.betas", "[1, 0.5]", "in [0, 1)");
    set_fails(&x, "optimizer.betas", "0.9", "a pair of numbers [a, b], not `0.9`");
    set_fails(&x, "optimizer.betas", "[0.9, 0.99, 0.5]", "a pair of numbers");
    set_fails(&x, "optimizer", "rmsprop", "unknown optimizer `rmsprop`: use adam or sgd");
    set_fails(&x, "optimizer", "adam(lr = 0.1, 0.9)", "positional argument after a named one");
    set_fails(&x, "optimizer", "adam(rate = 0.1)", "`adam` has no parameter `rate`");
    set_fails(&x, "optimizer", "adam(lr = 0.1, lr = 0.2)", "given twice");
    set_fails(&x, "optimizer", "adam(lr = 0.1", "missing `)`");
}

static void test_schedule_and_eval(void **state) {
    (void)state;
    rt_experiment x = image_exp();
    SET_OK(x, "schedule", "cosine(min_lr = 0.001)");
    assert_int_equal(x.schedule, RT_SCHED_COSINE);
    assert_true(x.lr_min == 0.001);
    SET_OK(x, "schedule.min_lr", "0");
    SET_OK(x, "schedule", "linear");
    assert_int_equal(x.schedule, RT_SCHED_LINEAR);
    SET_OK(x, "schedule", "constant");
    set_fails(&x, "schedule.min_lr", "0.1", "`constant` takes no arguments");
    set_fails(&x, "schedule", "constant(min_lr = 1)", "takes no arguments");
    set_fails(&x, "schedule", "step", "use constant, cosine or linear");

    SET_OK(x, "eval.size", "64");
    assert_int_equal(x.eval_size, 64);
    SET_OK(x, "eval.metrics", "[psnr]");
    assert_true(!x.metric_mse && x.metric_psnr);
    SET_OK(x, "eval.target", "image(\"big.png\", size = 64)");
    assert_true(x.has_eval_target && x.eval_target.size == 64);
    assert_string_equal(x.eval_target.path, "big.png");
    SET_OK(x, "eval", "grid"); /* the training grid, every metric */
    assert_true(x.eval_size == 0 && !x.has_eval_target && x.metric_mse && x.metric_psnr);
    SET_OK(x, "eval", "grid(size = 48, metrics = [mse])");
    assert_true(x.eval_size == 48 && x.metric_mse && !x.metric_psnr);
    set_fails(&x, "eval.size", "0", "`size` of `grid` must be 1 to 16384, got 0");
    set_fails(&x, "eval.metrics", "[mae]", "unknown metric `mae`");
    set_fails(&x, "eval.target", "sound(\"a.wav\")", "kind of data");
    set_fails(&x, "eval", "points", "use grid");
}

static void test_data(void **state) {
    (void)state;
    rt_experiment x = image_exp();
    SET_OK(x, "data.path", "\"coffee \\\"dark\\\".png\"");
    assert_string_equal(x.data.path, "coffee \"dark\".png");
    SET_OK(x, "data.path", "camera.png"); /* quotes are optional */
    assert_string_equal(x.data.path, "camera.png");
    SET_OK(x, "data.size", "64");
    SET_OK(x, "data.range", "[0, 1]");
    assert_true(x.data.size == 64 && x.data.lo == 0 && x.data.hi == 1);
    SET_OK(x, "data", "image(\"a.png\")"); /* the defaults again: size 32, gray, [-1, 1] */
    assert_true(x.data.size == 32 && x.data.channels == 1 && x.data.lo == -1 && x.data.hi == 1);
    SET_OK(x, "data.channels", "gray");
    set_fails(&x, "data.channels", "rgb", "qnnc build examples/fit.qnn");
    set_fails(&x, "data", "sound(\"a.wav\")", "the kind of data (`image`)");
    set_fails(&x, "data", "image(size = 8)", "missing argument `path`");
    set_fails(&x, "data.size", "0", "`size` of `image` must be 1 to 8192, got 0");
    set_fails(&x, "data.start", "0", "`image` has no parameter `start`");

    rt_experiment s = sound_exp();
    SET_OK(s, "data.start", "20000");
    SET_OK(s, "data.stop", "25000");
    SET_OK(s, "data.stride", "5");
    SET_OK(s, "data.normalize", "false");
    SET_OK(s, "data.channel", "mix");
    assert_true(s.data.start == 20000 && s.data.stop == 25000 && s.data.stride == 5 &&
                !s.data.normalize && s.data.channel == -1);
    set_fails(&s, "data.stop", "100", "is empty or negative");
    set_fails(&s, "data.channel", "1", "must be 0");
    set_fails(&s, "data.stride", "0", "`stride` of `sound` must be 1 to 268435456, got 0");
    set_fails(&s, "data.normalize", "maybe", "true or false");
}

static void test_refused(void **state) {
    (void)state;
    rt_experiment x = image_exp();
    set_fails(&x, "model", "siren(d = 2)", "rebuild it with `qnnc build examples/fit.qnn");
    set_fails(&x, "model.hidden", "3", "the model is compiled into this program");
    set_fails(&x, "precision", "f32", "precision");
    set_fails(&x, "outputs", "[csv(\"x.csv\")]", "outputs");
    set_fails(&x, "epoch", "5", "unknown setting `epoch` (settings: data, loss, optimizer, schedule, epochs, batch, seed");
}

/* What --help prints reads back as the same experiment. */
static void test_listing_reads_back(void **state) {
    (void)state;
    rt_experiment x = sound_exp(), y = sound_exp();
    SET_OK(x, "optimizer", "sgd(lr = 0.3, momentum = 0.7, weight_decay = 1e-4)");
    SET_OK(x, "schedule", "cosine(min_lr = 1e-5)");
    SET_OK(x, "batch", "100");
    SET_OK(x, "data", "sound(\"a b.wav\", start = 7, stop = 70, stride = 3, normalize = false, channel = mix)");
    SET_OK(x, "eval", "grid(size = 500, metrics = [mse])");
    SET_OK(x, "eval.target", "sound(\"t.wav\", stop = 500)");
    SET_OK(x, "seed", "11");
    SET_OK(x, "loss", "l1");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rt_experiment_print_settings(&x, f, 0);
    fclose(f);
    assert_non_null(strstr(text, "optimizer = sgd(lr = 0.3, momentum = 0.7, weight_decay = 0.0001)"));
    assert_non_null(strstr(text, "fixed at build time"));
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "fixed", 5) == 0) continue;
        char *paren = strstr(line, "   (");
        if (paren) *paren = '\0'; /* "threads = 0   (all cores)" */
        if (rt_experiment_set_text(&y, line, err, sizeof err)) fail_msg("`%s`: %s", line, err);
    }
    free(text);
    assert_memory_equal(&x, &y, sizeof x);
}


/* Numbers are expressions as in .qnn settings (issue 9, D20): the binary accepts what
 * `qnnc run --set` accepts, with the language's integer rules. */
static void test_number_expressions(void **state) {
    (void)state;
    rt_experiment x = image_exp();
    SET_OK(x, "optimizer.lr", "1/3");
    assert_true(x.lr == 1.0 / 3);
    SET_OK(x, "optimizer.eps", "exp(-4)");
    assert_true(x.eps == exp(-4));
    SET_OK(x, "optimizer.lr", "0.1 / 3 + 2 * (pi - 3)");
    assert_true(x.lr == 0.1 / 3 + 2 * (3.14159265358979323846 - 3));
    SET_OK(x, "optimizer.lr", "2 ** -1");
    assert_true(x.lr == 0.5);
    SET_OK(x, "optimizer.betas", "[1 - 0.1, 1 - 1e-3]");
    assert_true(x.beta1 == 1 - 0.1 && x.beta2 == 1 - 1e-3);
    set_fails(&x, "epochs", "100 / 2", "must be an integer"); /* as `qnnc check` says */
    SET_OK(x, "epochs", "2 * 3 + 1");
    assert_int_equal(x.epochs, 7);
    SET_OK(x, "seed", "-7 % 3");   /* integer %: in [0, |b|) */
    assert_int_equal(x.seed, 2);
    set_fails(&x, "epochs", "7 / 2", "must be an integer");
    set_fails(&x, "epochs", "3.0", "must be an integer");
    set_fails(&x, "optimizer.lr", "1/0", "division by zero");
    set_fails(&x, "optimizer.lr", "sqrt(-1)", "outside its domain");
    set_fails(&x, "optimizer.lr", "sinh(1)", "unknown name");
    set_fails(&x, "optimizer.lr", "(0.1", "missing `)`");
    set_fails(&x, "optimizer.lr", "0.1)", "unmatched");
    set_fails(&x, "optimizer.lr", "0x10", "must be a number");
    set_fails(&x, "optimizer.lr", "1.", "must be a number");
    set_fails(&x, "epochs", "2147483647 + 1", "overflow");
    set_fails(&x, "optimizer.lr", "10 ** 400", "not a finite number");
    /* deep nesting ends with a message, not a stack overflow */
    char deep[4000];
    memset(deep, '(', 600);
    snprintf(deep + 600, sizeof deep - 600, "1");
    set_fails(&x, "optimizer.lr", deep, "nested too deeply");
    memset(deep, '-', 1000);
    snprintf(deep + 1000, sizeof deep - 1000, "1");
    set_fails(&x, "optimizer.lr", deep, "nested too deeply");
}

/* The optimiser limits of `qnnc check` (rt_limits_optimizer), also in the binary (D10). */
static void test_optimizer_limits(void **state) {
    (void)state;
    rt_experiment x = image_exp();
    set_fails(&x, "optimizer.eps", "-1", "`eps` of `adam` must be positive");
    set_fails(&x, "optimizer.eps", "0", "must be positive");
    set_fails(&x, "optimizer.weight_decay", "-1", "must be 0 or more");
    set_fails(&x, "optimizer", "sgd(momentum = -1)", "`momentum` of `sgd` must be in [0, 1)");
    set_fails(&x, "optimizer", "sgd(momentum = 1)", "in [0, 1)");
    set_fails(&x, "schedule", "cosine(min_lr = -1)", "`min_lr` of `cosine` must be 0 or more, got -1");
    set_fails(&x, "data.range", "[1, 1]", "two different finite numbers");
    SET_OK(x, "optimizer", "sgd(momentum = 0.5, weight_decay = 1e-4)");
}

/* Values longer than the parser's buffers are refused, never cut (a cut list item would be
 * another number). */
static void test_long_values(void **state) {
    (void)state;
    rt_experiment x = image_exp();
    char v[3000];
    snprintf(v, sizeof v, "[0.%0200d1, 0.99]", 0);
    SET_OK(x, "optimizer.betas", v);
    assert_true(x.beta1 > 0 && x.beta1 < 1e-199);
    memset(v, '1', sizeof v - 1);
    v[sizeof v - 1] = '\0';
    set_fails(&x, "epochs", v, "too long");
    set_fails(&x, "optimizer", "adam(a_very_long_argument_name_that_goes_on_and_on = 1)", "not an argument name");
}

static void no_forward(const void *p, const void *in, void *out, int64_t b, void *w) {
    (void)p, (void)in, (void)out, (void)b, (void)w;
}
static void no_vjp(const void *p, const void *in, const void *g, void *gp, void *gi, int64_t b, void *w) {
    (void)p, (void)in, (void)g, (void)gp, (void)gi, (void)b, (void)w;
}

/* The memory estimate (D5/D9): a run that cannot fit is refused with the figure and the
 * setting to change, before anything is allocated; the quantum layer's own reserve too. */
static void test_memory_estimate(void **state) {
    (void)state;
    rt_circuit c;
    memset(&c, 0, sizeof c);
    c.name = "huge";
    c.n_qubits = 40, c.n_inputs = 2, c.n_outputs = 1, c.n_params = 0, c.precision = 64, c.lanes = 8;
    c.work_bytes = (size_t)1 << 50; /* a petabyte of state vector per call */
    c.forward = no_forward;
    c.vjp = no_vjp;
    rt_layer_spec q = {.kind = RT_LAYER_QUANTUM, .in = 2, .out = 1, .circuit = 0};
    rt_experiment x = image_exp();
    x.layers = &q, x.n_layers = 1, x.n_circuits = 1;
    const rt_circuit *cs[1] = {&c};
    rt_mem_estimate e;
    rt_memory_estimate(&x, cs, 4, 0, 0, &e);
    assert_int_equal(e.n_train, 32 * 32);
    assert_true(e.circuits == 4.0 * (double)c.work_bytes);
    assert_int_equal(rt_memory_check(&e, err, sizeof err), -1);
    assert_non_null(strstr(err, "not enough memory: the run needs about"));
    assert_non_null(strstr(err, "40-qubit circuit `huge`"));
    assert_non_null(strstr(err, "model.n"));
    /* an evaluation grid of 8192 x 8192 points is counted in the activations */
    c.work_bytes = 1024;
    rt_memory_estimate(&x, cs, 1, 0, 8192, &e);
    assert_int_equal(e.n_eval, (size_t)8192 * 8192);
    assert_true(e.activations >= 2.0 * 8 * 3 * 8192.0 * 8192);
    /* a small run fits */
    rt_memory_estimate(&x, cs, 1, 0, 0, &e);
    assert_int_equal(rt_memory_check(&e, err, sizeof err), 0);
    /* the layer itself refuses before allocating */
    c.work_bytes = (size_t)1 << 50;
    rt_pool *pool = rt_pool_create(1);
    rt_model *m = rt_model_create(2);
    assert_non_null(pool);
    assert_int_equal(rt_model_add(m, rt_qlayer_create(&c, pool, 0, NULL, NULL), "q"), 0);
    assert_int_equal(rt_model_build(m, 16), -1);
    assert_non_null(strstr(rt_error_last(), "not enough memory: the state vectors of the 40-qubit circuit 'huge'"));
    rt_model_destroy(m);
    rt_pool_destroy(pool);
    assert_true(rt_mem_available() > 0);
    char b[32];
    rt_format_bytes(15.6e9, b, sizeof b);
    assert_string_equal(b, "15.6 GB");
}

/* An objective experiment (language.md section 6.14) as sema produces it: no data, no inputs. */
static rt_experiment objective_exp(void) {
    rt_experiment x = image_exp();
    memset(&x.data, 0, sizeof x.data);
    x.data.kind = RT_DATA_NONE;
    x.in_dim = 0, x.out_dim = 1;
    x.metric_mse = x.metric_psnr = 0;
    x.objective = RT_OBJECTIVE_MINIMIZE;
    return x;
}

/* Native --set on an objective experiment refuses what `qnnc check` refuses, with its words;
 * `exact` is settable there and refused elsewhere; the listing reads back. */
static void test_objective(void **state) {
    (void)state;
    rt_experiment x = objective_exp(), y = objective_exp(), d = image_exp();
    SET_OK(x, "exact", "off");
    assert_int_equal(x.exact, RT_EXACT_OFF);
    SET_OK(x, "exact", "auto()");
    assert_int_equal(x.exact, RT_EXACT_AUTO);
    set_fails(&x, "exact", "on", "unknown exact mode `on`");
    set_fails(&x, "loss", "mse", "`loss` compares the model's outputs with data");
    set_fails(&x, "data.path", "\"a.png\"", "`data` and `objective` both say");
    set_fails(&x, "split", "0.5", "`split` is about data");
    set_fails(&x, "eval.size", "4", "`eval` is about data");
    set_fails(&x, "batch", "4", "`batch` is about data");
    set_fails(&x, "objective", "maximize", "is compiled into this program");
    set_fails(&d, "exact", "off", "has no `objective = minimize(...)`");
    set_fails(&d, "objective", "minimize", "is compiled into this program");
    SET_OK(x, "epochs", "50");
    SET_OK(x, "exact", "off");
    SET_OK(x, "optimizer", "sgd(lr = 0.1)");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rt_experiment_print_settings(&x, f, 0);
    fclose(f);
    assert_non_null(strstr(text, "objective = minimize(output = 0)"));
    assert_null(strstr(text, "loss ="));
    assert_null(strstr(text, "data ="));
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
        cmocka_unit_test(test_objective),
        cmocka_unit_test(test_plain_settings),   cmocka_unit_test(test_limits_and_types),
        cmocka_unit_test(test_optimizer),        cmocka_unit_test(test_schedule_and_eval),
        cmocka_unit_test(test_data),             cmocka_unit_test(test_refused),
        cmocka_unit_test(test_listing_reads_back), cmocka_unit_test(test_number_expressions),
        cmocka_unit_test(test_optimizer_limits),   cmocka_unit_test(test_long_values),
        cmocka_unit_test(test_memory_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
