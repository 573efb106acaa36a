/* Tests of run_gan, the generative experiment's loop (issue 18): on scikit-learn's digits
 * (python3-sklearn's digits.csv.gz, skipped when absent) with a Tanh baseline's coordinate
 * features, a short training lowers the EMA generator's Fréchet distance in the feature space
 * of the metric's classifier and in pixel space; metrics.jsonl has the floor row and one row
 * per measurement; the sample grid PNG has the grid's size; both checkpoints hold the
 * documented tensors; the report shows the samples and the distance plot; bad combinations
 * are refused with a message. */
#include "testutil.h"

#include "io_image.h"
#include "io_safetensors.h"
#include "report.h"
#include "rt_act.h"
#include "rt_linear.h"
#include "rt_rng.h"
#include "run_gan.h"

#define DIGITS "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"

/* coordinates -> 16 -> tanh -> c_feat -> tanh, built for one 8x8 grid */
static rt_model *tanh_features(int c_feat, uint64_t seed) {
    rt_rng r;
    rt_rng_seed(&r, seed);
    rt_model *m = rt_model_create(2);
    assert_int_equal(rt_model_add(m, rt_linear_create(2, 16, 1, &r), NULL), 0);
    assert_int_equal(rt_model_add(m, rt_tanh_create(16), NULL), 0);
    assert_int_equal(rt_model_add(m, rt_linear_create(16, c_feat, 1, &r), NULL), 0);
    assert_int_equal(rt_model_add(m, rt_tanh_create(c_feat), NULL), 0);
    assert_int_equal(rt_model_build(m, 64), 0);
    return m;
}

static run_gan_spec digits_spec(const rt_imageset *set, rt_model *features) {
    run_gan_spec s = {
        .real = set, .features = features,
        .gen = {.z_dim = 16, .w_dim = 32, .mapping_layers = 2, .mapping_lr_mul = 0.01,
                .c_feat = 8, .n_hidden = 2, .hidden = {32, 16}, .channels = 1, .rank = 4},
        .disc_hidden = {64, 32}, .n_disc_hidden = 2, .mbstd_group = 4,
        .gan = {.batch = 32, .lr_g = 0.0025, .lr_d = 0.0025, .beta1 = 0, .beta2 = 0.99,
                .adam_eps = 1e-8, .r1_gamma = 0.01, .r1_every = 4, .ema_half_life = 2000},
        .steps = 400, .eval_every = 100, .n_eval = 500, .grid = 6, .seed = 1,
        .out_dir = test_tmpdir, .feature_cache = NULL,
    };
    return s;
}

static void test_digits_training(void **state) {
    (void)state;
    if (access(DIGITS, R_OK) != 0) {
        fprintf(stderr, "note: %s not found (python3-sklearn): skipped\n", DIGITS);
        skip();
    }
    rt_imageset set;
    char err[512];
    assert_int_equal(rt_imageset_load(DIGITS, &set, err, sizeof err), 0);
    rt_model *f = tanh_features(8, 3);
    run_gan_spec s = digits_spec(&set, f);
    char cache[300];
    snprintf(cache, sizeof cache, "%s/classifier.safetensors", test_tmpdir);
    s.feature_cache = cache;
    run_gan_result r;
    int rc = run_gan(&s, &r, err, sizeof err);
    if (rc) fail_msg("run_gan: %s", err);
    fprintf(stderr,
            "note: digits, 400 steps: feature FD %.3f -> %.3f (floor %.3f), pixel FD %.3f -> "
            "%.3f (floor %.3f), KID features %.4f -> %.4f; %.2f ms per D step, %.2f ms per G "
            "step; parameters G %d + features %d, D %d; classifier accuracy %.3f\n",
            r.first.fd_features, r.last.fd_features, r.floor.fd_features, r.first.fd_pixels,
            r.last.fd_pixels, r.floor.fd_pixels, r.first.kid_features, r.last.kid_features,
            r.ms_d, r.ms_g, r.n_params_gen, r.n_params_features, r.n_params_disc,
            r.feature_accuracy);
    assert_true(r.last.fd_features < 0.7 * r.first.fd_features);
    assert_true(r.last.fd_pixels < 0.7 * r.first.fd_pixels);
    assert_true(r.floor.fd_features < r.last.fd_features);   /* the floor is a floor */
    assert_true(r.feature_accuracy > 0.8);
    assert_int_equal(r.n_params_features, 2 * 16 + 16 + 16 * 8 + 8);
    /* metrics.jsonl: the floor, then steps 0, 100, ..., 400 */
    FILE *m = fopen(test_tmp_path("metrics.jsonl"), "r");
    assert_non_null(m);
    char line[1024];
    int rows = 0;
    while (fgets(line, sizeof line, m)) {
        if (rows == 0) assert_non_null(strstr(line, "\"floor\": true"));
        else {
            char want[32];
            snprintf(want, sizeof want, "{\"step\": %d,", (rows - 1) * 100);
            assert_non_null(strstr(line, want));
            assert_non_null(strstr(line, "\"fd_features\": "));
            assert_null(strstr(line, "\"fd_features\": null"));
        }
        rows++;
    }
    fclose(m);
    assert_int_equal(rows, 6);
    io_image png;
    assert_int_equal(io_image_read_png(test_tmp_path("samples.png"), &png, err, sizeof err), 0);
    assert_int_equal(png.width, 6 * 9 + 1);
    assert_int_equal(png.height, 6 * 9 + 1);
    io_image_free(&png);
    io_st_file ck;
    assert_int_equal(io_st_read(test_tmp_path("generator.safetensors"), &ck, err, sizeof err), 0);
    assert_non_null(io_st_find(&ck, "ema.mapping.fc0.weight"));
    assert_non_null(io_st_find(&ck, "g.out.bias"));
    assert_non_null(io_st_find(&ck, "features"));
    assert_non_null(io_st_find(&ck, "features_ema"));
    io_st_free(&ck);
    assert_int_equal(io_st_read(test_tmp_path("discriminator.safetensors"), &ck, err, sizeof err), 0);
    assert_non_null(io_st_find(&ck, "out.weight"));
    io_st_free(&ck);
    rt_model_destroy(f);
    rt_imageset_free(&set);
}

/* Same tensors, same values, bit for bit. */
static void assert_same_file(const char *a, const char *b) {
    io_st_file fa, fb;
    char err[512];
    assert_int_equal(io_st_read(a, &fa, err, sizeof err), 0);
    assert_int_equal(io_st_read(b, &fb, err, sizeof err), 0);
    assert_int_equal(fa.count, fb.count);
    for (size_t k = 0; k < fa.count; k++) {
        const io_tensor *tb = io_st_find(&fb, fa.tensors[k].name);
        assert_non_null(tb);
        assert_int_equal(io_st_numel(tb), io_st_numel(&fa.tensors[k]));
        assert_memory_equal(tb->data, fa.tensors[k].data, sizeof(double) * io_st_numel(tb));
    }
    io_st_free(&fa);
    io_st_free(&fb);
}

/* 40 steps in one go, and 20 steps then a resume to 40, give the same weights, EMA, Adam
 * states and random streams (an unlabelled random set: the feature distances are null). */
static void test_resume_is_exact(void **state) {
    (void)state;
    rt_imageset set = {.n = 64, .h = 8, .w = 8, .c = 1};
    set.pix = malloc(64 * 64 * sizeof(double));
    rt_rng r;
    rt_rng_seed(&r, 5);
    for (int i = 0; i < 64 * 64; i++) set.pix[i] = rt_rng_uniform(&r);
    char dir_a[300], dir_b[300], a[400], b[400], err[512];
    snprintf(dir_a, sizeof dir_a, "%s/a", test_tmpdir);
    snprintf(dir_b, sizeof dir_b, "%s/b", test_tmpdir);
    assert_int_equal(mkdir(dir_a, 0700), 0);
    assert_int_equal(mkdir(dir_b, 0700), 0);
    run_gan_result res;
    rt_model *f = tanh_features(8, 2);
    run_gan_spec s = digits_spec(&set, f);
    s.steps = 40;
    s.eval_every = 20;
    s.n_eval = 16;
    s.out_dir = dir_a;
    if (run_gan(&s, &res, err, sizeof err)) fail_msg("%s", err);
    assert_true(isnan(res.last.fd_features) && isfinite(res.last.fd_pixels));
    rt_model_destroy(f);
    f = tanh_features(8, 2);   /* the same initial features */
    s.features = f;
    s.out_dir = dir_b;
    s.steps = 20;
    if (run_gan(&s, &res, err, sizeof err)) fail_msg("%s", err);
    rt_model_destroy(f);
    f = tanh_features(8, 99);  /* other initial values: the resume must replace them */
    s.features = f;
    s.steps = 40;
    s.resume = dir_b;
    if (run_gan(&s, &res, err, sizeof err)) fail_msg("%s", err);
    const char *files[3] = {"generator", "discriminator", "state"};
    for (int k = 0; k < 3; k++) {
        snprintf(a, sizeof a, "%s/%s.safetensors", dir_a, files[k]);
        snprintf(b, sizeof b, "%s/%s.safetensors", dir_b, files[k]);
        assert_same_file(a, b);
    }
    /* metrics.jsonl of the resumed folder: floor, 0, 20, then 40 appended */
    snprintf(b, sizeof b, "%s/metrics.jsonl", dir_b);
    FILE *m = fopen(b, "r");
    char line[1024];
    int rows = 0;
    while (fgets(line, sizeof line, m)) rows++;
    fclose(m);
    assert_int_equal(rows, 4);
    /* resuming dir_b's 40 steps into a new folder to 60: the history comes along (floor, 0,
     * 20, 40, then 60) and the first measurement reported is step 0's */
    double step0_pixels = res.first.fd_pixels;
    char dir_c[300];
    snprintf(dir_c, sizeof dir_c, "%s/c", test_tmpdir);
    assert_int_equal(mkdir(dir_c, 0700), 0);
    s.out_dir = dir_c;
    s.steps = 60;
    if (run_gan(&s, &res, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(res.first_step, 0);
    assert_int_equal(res.last_step, 60);
    assert_true(res.first.fd_pixels == step0_pixels);
    snprintf(b, sizeof b, "%s/metrics.jsonl", dir_c);
    m = fopen(b, "r");
    assert_non_null(m);
    const char *want[5] = {"\"floor\": true", "{\"step\": 0,", "{\"step\": 20,", "{\"step\": 40,",
                           "{\"step\": 60,"};
    rows = 0;
    while (fgets(line, sizeof line, m)) {
        assert_true(rows < 5);
        assert_non_null(strstr(line, want[rows]));
        rows++;
    }
    fclose(m);
    assert_int_equal(rows, 5);
    /* a resumed folder without its history is refused naming the file */
    snprintf(b, sizeof b, "%s/metrics.jsonl", dir_b);
    assert_int_equal(unlink(b), 0);
    s.out_dir = dir_c;
    s.steps = 60;
    assert_int_equal(run_gan(&s, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "b/metrics.jsonl"));
    s.resume = dir_b;
    /* a resume of another shape is refused with the file named */
    s.gen.hidden[0] = 31;
    s.out_dir = dir_a;
    assert_int_equal(run_gan(&s, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "generator.safetensors: has another size of tensor g.l0.affine.weight"));
    rt_model_destroy(f);
    free(set.pix);
}

/* The EMA covers the features model too (the reference's covers the whole generator): after
 * one step, features_ema = beta p0 + (1 - beta) p1 with p0 the initial and p1 the stepped
 * weights, beta = 0.5^(batch / half_life); with half-life 0 the EMA is the weights. */
static void test_features_ema(void **state) {
    (void)state;
    rt_imageset set = {.n = 32, .h = 8, .w = 8, .c = 1};
    set.pix = malloc(32 * 64 * sizeof(double));
    rt_rng r;
    rt_rng_seed(&r, 11);
    for (int i = 0; i < 32 * 64; i++) set.pix[i] = rt_rng_uniform(&r);
    char dir[300], path[400], err[512];
    double half_lives[2] = {2000, 0};
    for (int h = 0; h < 2; h++) {
        snprintf(dir, sizeof dir, "%s/ema%d", test_tmpdir, h);
        assert_int_equal(mkdir(dir, 0700), 0);
        rt_model *f = tanh_features(8, 4);
        size_t nf = rt_model_n_params(f);
        double *p0 = malloc(nf * sizeof(double));
        rt_model_get_params(f, p0);
        run_gan_spec s = digits_spec(&set, f);
        s.steps = 1;
        s.eval_every = 1;
        s.n_eval = 16;
        s.gan.ema_half_life = half_lives[h];
        s.out_dir = dir;
        run_gan_result res;
        if (run_gan(&s, &res, err, sizeof err)) fail_msg("%s", err);
        io_st_file ck;
        snprintf(path, sizeof path, "%s/generator.safetensors", dir);
        assert_int_equal(io_st_read(path, &ck, err, sizeof err), 0);
        const io_tensor *p1 = io_st_find(&ck, "features"), *e = io_st_find(&ck, "features_ema");
        assert_non_null(p1);
        assert_non_null(e);
        assert_int_equal(io_st_numel(e), nf);
        const double *v1 = p1->data, *ve = e->data;
        double beta = h == 0 ? pow(0.5, 32.0 / 2000) : 0;
        int moved = 0;
        for (size_t i = 0; i < nf; i++) {
            assert_close(ve[i], beta * p0[i] + (1 - beta) * v1[i], 1e-15);
            moved |= v1[i] != p0[i];
        }
        assert_true(moved);   /* the step changed the features, so the check can fail */
        io_st_free(&ck);
        free(p0);
        rt_model_destroy(f);
    }
    free(set.pix);
}

static void test_refusals(void **state) {
    (void)state;
    rt_imageset set = {.n = 4, .h = 8, .w = 8, .c = 1};
    set.pix = calloc(4 * 64, sizeof(double));
    rt_model *f = tanh_features(6, 1);   /* 6 features, the generator wants 8 */
    run_gan_spec s = digits_spec(&set, f);
    run_gan_result r;
    char err[512];
    assert_int_equal(run_gan(&s, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "from 8 coordinate features (features model: 2 -> 6"));
    rt_model_destroy(f);
    f = tanh_features(8, 1);
    s = digits_spec(&set, f);
    s.gen.channels = 3;
    assert_int_equal(run_gan(&s, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "the image set has 1 channels"));
    s = digits_spec(&set, f);
    s.n_eval = 1;
    assert_int_equal(run_gan(&s, &r, err, sizeof err), -1);
    rt_model_destroy(f);
    free(set.pix);
    /* the reference's coordinates: x = j/S*2 - 1, y flipped */
    double c[2 * 6];
    run_gan_coords(2, 3, c);
    assert_close(c[0], -1, 0);
    assert_close(c[1], 0, 0);               /* row 0 is the top: y = (2-1-0)/2*2 - 1 = 0 */
    assert_close(c[2 * 5], 1.0 / 3, 1e-15); /* column 2: 2/3*2 - 1 */
    assert_close(c[2 * 5 + 1], -1, 0);
}

/* The report folder: index.html shows the sample grid and the distance plot (PNGs of their
 * sizes); an unlabelled set (no feature space) plots the pixel distances alone; the plot
 * refuses an empty history naming the file, and a report folder that cannot be made is
 * refused naming it. */
static void test_report(void **state) {
    (void)state;
    rt_imageset set = {.n = 32, .h = 8, .w = 8, .c = 1};
    set.pix = malloc(32 * 64 * sizeof(double));
    rt_rng r;
    rt_rng_seed(&r, 7);
    for (int i = 0; i < 32 * 64; i++) set.pix[i] = rt_rng_uniform(&r);
    char rep[300], path[400], err[512];
    snprintf(rep, sizeof rep, "%s/rep", test_tmpdir);
    rt_model *f = tanh_features(8, 2);
    run_gan_spec s = digits_spec(&set, f);
    s.steps = 10;
    s.eval_every = 5;
    s.n_eval = 16;
    s.grid = 3;
    s.report_dir = rep;
    s.name = "gan_test";
    run_gan_result res;
    if (run_gan(&s, &res, err, sizeof err)) fail_msg("%s", err);
    assert_true(res.seconds > 0);
    snprintf(path, sizeof path, "%s/index.html", rep);
    FILE *h = fopen(path, "r");
    assert_non_null(h);
    char line[4096];
    int dist = 0, samples = 0;
    while (fgets(line, sizeof line, h)) {
        dist |= strstr(line, "<img src=\"distance.png\"") != NULL;
        samples |= strstr(line, "<img src=\"samples.png\"") != NULL;
    }
    fclose(h);
    assert_true(dist && samples);
    /* summary.md: an unlabelled set's feature distances are n/a, never "nan"; the first and
     * last measurements name their steps */
    snprintf(path, sizeof path, "%s/summary.md", rep);
    h = fopen(path, "r");
    assert_non_null(h);
    int na = 0, nan_seen = 0, steps_named = 0;
    while (fgets(line, sizeof line, h)) {
        na |= strstr(line, "feature-space Frechet distance: n/a at step 0 -> n/a at step 10") != NULL;
        nan_seen |= strstr(line, "nan") != NULL;
        steps_named |= strstr(line, "KID at step 10: features n/a") != NULL;
    }
    fclose(h);
    assert_true(na && steps_named);
    assert_false(nan_seen);
    snprintf(path, sizeof path, "%s/distance.png", rep);
    io_image img;
    assert_int_equal(io_image_read_png(path, &img, err, sizeof err), 0);
    assert_int_equal(img.width, REPORT_PLOT_WIDTH);
    assert_int_equal(img.height, REPORT_PLOT_HEIGHT);
    io_image_free(&img);
    snprintf(path, sizeof path, "%s/samples.png", rep);
    assert_int_equal(io_image_read_png(path, &img, err, sizeof err), 0);
    assert_int_equal(img.width, 3 * 9 + 1);
    io_image_free(&img);
    /* the plot on its own: an empty history is refused naming the file */
    double st[1] = {0}, v[1] = {1};
    snprintf(path, sizeof path, "%s/empty.png", test_tmpdir);
    assert_int_equal(report_gan_distances(path, st, v, v, 0, 1, 1, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty.png"));
    /* a report folder under a file is refused before training: no outputs are written */
    snprintf(path, sizeof path, "%s/rep/index.html/sub", test_tmpdir);
    s.report_dir = path;
    char other[300], probe[400];
    snprintf(other, sizeof other, "%s/other", test_tmpdir);
    assert_int_equal(mkdir(other, 0700), 0);
    s.out_dir = other;
    assert_int_equal(run_gan(&s, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "index.html"));
    snprintf(probe, sizeof probe, "%s/metrics.jsonl", other);
    assert_int_equal(access(probe, F_OK), -1);
    rt_model_destroy(f);
    free(set.pix);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_training),
        cmocka_unit_test(test_resume_is_exact),
        cmocka_unit_test(test_features_ema),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, test_tmp_setup, test_tmp_teardown);
}
