/* Tests of the report module: the low/high spectral error split and radial spectra against
 * signals with known answers, the figures as PNGs of the promised size, atomic writes, and
 * the index/summary/comparison pages. QNN_REPORT_KEEP=DIR keeps a gallery of every figure in
 * DIR for looking at. */
#include "testutil.h"

#include "report.h"
#include "rt_metrics.h"

#include <cairo.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#define PI 3.14159265358979323846

/* ---- fixtures ------------------------------------------------------------------------- */

/* Entries of dir whose name contains needle (-1: no such folder). */
static int count_names(const char *dir, const char *needle) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, needle)) n++;
    closedir(d);
    return n;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

/* Reads path back as PNG and checks its size. */
static void assert_png(const char *path, int width, int height) {
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        fail_msg("%s: not a PNG: %s", path, cairo_status_to_string(cairo_surface_status(s)));
    assert_int_equal(cairo_image_surface_get_width(s), width);
    assert_int_equal(cairo_image_surface_get_height(s), height);
    cairo_surface_destroy(s);
}

static double *alloc_d(size_t n) {
    double *p = calloc(n, sizeof *p);
    assert_non_null(p);
    return p;
}

/* ---- spectral error: 1-D ---------------------------------------------------------------- */

/* A pure low-frequency sine perturbed only at a high frequency: the whole error is high. */
static void test_spectral_high_perturbation(void **state) {
    (void)state;
    enum { N = 256 };
    double t[N], r[N], lo, hi;
    for (int i = 0; i < N; i++) {
        t[i] = sin(2 * PI * 3 * i / N);            /* rho = 3/128: low */
        r[i] = t[i] + 0.01 * sin(2 * PI * 100 * i / N); /* rho = 100/128: high */
    }
    assert_int_equal(report_spectral_error(t, r, N, 1, REPORT_SPECTRAL_CUTOFF, &lo, &hi), 0);
    assert_true(fabs(lo) < 1e-12);
    assert_close(hi, 0.01, 1e-12); /* the perturbation's amplitude over the signal's */
}

static void test_spectral_low_perturbation(void **state) {
    (void)state;
    enum { N = 200 };
    double t[N], r[N], lo, hi;
    for (int i = 0; i < N; i++) {
        t[i] = 2.0 * cos(2 * PI * 4 * i / N) + 0.5 * sin(2 * PI * 70 * i / N);
        r[i] = t[i] + 0.1 * cos(2 * PI * 7 * i / N); /* rho = 7/100 */
    }
    assert_int_equal(report_spectral_error(t, r, N, 1, 0.25, &lo, &hi), 0);
    /* ||dF|| / ||F|| = 0.1 / sqrt(2^2 + 0.5^2) (all three are sinusoids of n/2 energy) */
    assert_close(lo, 0.1 / sqrt(4.25), 1e-12);
    assert_true(fabs(hi) < 1e-12);
}

static void test_spectral_identical_and_zero(void **state) {
    (void)state;
    double t[64], z[64] = {0}, lo = -1, hi = -1;
    for (int i = 0; i < 64; i++) t[i] = cos(0.3 * i) + 0.1 * i;
    assert_int_equal(report_spectral_error(t, t, 64, 1, 0.25, &lo, &hi), 0);
    assert_true(lo == 0.0 && hi == 0.0);
    assert_int_equal(report_spectral_error(z, z, 64, 1, 0.25, &lo, &hi), 0);
    assert_true(lo == 0.0 && hi == 0.0);
    /* A zero target and a non-zero output: infinitely wrong, in the band where it differs. */
    double r[64] = {0};
    r[5] = 1.0; /* an impulse: every frequency */
    assert_int_equal(report_spectral_error(z, r, 64, 1, 0.25, &lo, &hi), 0);
    assert_true(isinf(lo) && isinf(hi));
}

/* The parts split the relative error exactly: low^2 + high^2 = rel^2 (Parseval), also for
 * odd lengths where r2c has no Nyquist column. */
static void test_spectral_parseval(void **state) {
    (void)state;
    int lens[] = {1, 2, 7, 64, 255, 1000};
    srand(7);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        int n = lens[k];
        double *t = alloc_d((size_t)n), *r = alloc_d((size_t)n), lo, hi;
        for (int i = 0; i < n; i++) {
            t[i] = rand() / (double)RAND_MAX - 0.3;
            r[i] = t[i] + 0.2 * (rand() / (double)RAND_MAX - 0.5);
        }
        assert_int_equal(report_spectral_error(t, r, n, 1, 0.3, &lo, &hi), 0);
        double rel = rt_metric_rel_error(r, t, (size_t)n);
        assert_close(lo * lo + hi * hi, rel * rel, 1e-10);
        /* Cutoff 0: all high; above sqrt 2: all low. */
        assert_int_equal(report_spectral_error(t, r, n, 1, 0.0, &lo, &hi), 0);
        assert_true(lo == 0.0);
        assert_close(hi, rel, 1e-10);
        assert_int_equal(report_spectral_error(t, r, n, 1, 2.0, &lo, &hi), 0);
        assert_true(hi == 0.0);
        assert_close(lo, rel, 1e-10);
        free(t);
        free(r);
    }
}

/* A frequency exactly at the cutoff counts as high: rho < cutoff is low. */
static void test_spectral_cutoff_boundary(void **state) {
    (void)state;
    enum { N = 256 };
    double t[N], r[N], lo, hi;
    for (int i = 0; i < N; i++) {
        t[i] = cos(2 * PI * 1 * i / N);
        r[i] = t[i] + 0.5 * cos(2 * PI * 32 * i / N); /* rho = 32/128 = 0.25 */
    }
    assert_int_equal(report_spectral_error(t, r, N, 1, 0.25, &lo, &hi), 0);
    assert_true(fabs(lo) < 1e-12);
    assert_close(hi, 0.5, 1e-12);
    assert_int_equal(report_spectral_error(t, r, N, 1, 0.2501, &lo, &hi), 0);
    assert_close(lo, 0.5, 1e-12);
    assert_true(fabs(hi) < 1e-12);
}

static void test_spectral_invalid(void **state) {
    (void)state;
    double t[4] = {1, 2, 3, 4}, lo = 7, hi = 7;
    assert_int_equal(report_spectral_error(NULL, t, 4, 1, 0.25, &lo, &hi), -1);
    assert_int_equal(report_spectral_error(t, t, 0, 1, 0.25, &lo, &hi), -1);
    assert_int_equal(report_spectral_error(t, t, 4, 0, 0.25, &lo, &hi), -1);
    assert_int_equal(report_spectral_error(t, t, 4, 1, NAN, &lo, &hi), -1);
    assert_int_equal(report_spectral_error(t, t, 4, 1, -0.1, &lo, &hi), -1);
    assert_int_equal(report_spectral_error(t, t, 4, 1, 0.25, NULL, &hi), -1);
    assert_true(lo == 7 && hi == 7); /* untouched on failure */
}

/* ---- spectral error: 2-D ---------------------------------------------------------------- */

static void test_spectral_2d(void **state) {
    (void)state;
    enum { H = 32, W = 32 };
    double t[H * W], r[H * W], lo, hi;
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            /* Target: frequency (2, 1), rho = sqrt(4 + 1) / 16 = 0.14: low. */
            t[i * W + j] = cos(2 * PI * (2.0 * i + 1.0 * j) / H);
            /* Perturbation at (10, 12): rho = sqrt(100 + 144) / 16 = 0.98: high. */
            r[i * W + j] = t[i * W + j] + 0.03 * cos(2 * PI * (10.0 * i + 12.0 * j) / H);
        }
    assert_int_equal(report_spectral_error(t, r, H, W, 0.25, &lo, &hi), 0);
    assert_true(fabs(lo) < 1e-12);
    assert_close(hi, 0.03, 1e-12);
    /* A perturbation only along the rows axis at (3, 0), rho = 3/16: low. */
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) r[i * W + j] = t[i * W + j] + 0.2 * sin(2 * PI * 3.0 * i / H);
    assert_int_equal(report_spectral_error(t, r, H, W, 0.25, &lo, &hi), 0);
    assert_close(lo, 0.2, 1e-12);
    assert_true(fabs(hi) < 1e-12);
    /* The corner (16, 16) has rho = sqrt 2: high under any cutoff up to sqrt 2. */
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) r[i * W + j] = t[i * W + j] + 0.1 * (((i + j) % 2) ? -1 : 1);
    assert_int_equal(report_spectral_error(t, r, H, W, 1.4, &lo, &hi), 0);
    assert_true(fabs(lo) < 1e-12);
    /* A checkerboard of amplitude 0.1 has energy 0.1^2 N, the cosine N / 2. */
    assert_close(hi, 0.1 * sqrt(2.0), 1e-12);
}

/* Non-square and odd shapes: the split still adds up, and the radius is per axis. */
static void test_spectral_2d_shapes(void **state) {
    (void)state;
    int shapes[][2] = {{16, 40}, {15, 9}, {1, 12}, {33, 2}};
    srand(11);
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        int h = shapes[k][0], w = shapes[k][1];
        size_t n = (size_t)h * (size_t)w;
        double *t = alloc_d(n), *r = alloc_d(n), lo, hi;
        for (size_t i = 0; i < n; i++) {
            t[i] = rand() / (double)RAND_MAX;
            r[i] = t[i] + 0.1 * (rand() / (double)RAND_MAX - 0.5);
        }
        assert_int_equal(report_spectral_error(t, r, h, w, 0.25, &lo, &hi), 0);
        double rel = rt_metric_rel_error(r, t, n);
        assert_close(lo * lo + hi * hi, rel * rel, 1e-10);
        free(t);
        free(r);
    }
    /* 16 x 40: frequency (0, 5) along the long axis has rho = 5/20 = 0.25 (high), and
     * (2, 0) along the short one 2/8 = 0.25 too. */
    enum { H = 16, W = 40 };
    double t[H * W], r[H * W], lo, hi;
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            t[i * W + j] = 1.0;
            r[i * W + j] = 1.0 + 0.3 * cos(2 * PI * 5.0 * j / W) + 0.4 * cos(2 * PI * 2.0 * i / H);
        }
    assert_int_equal(report_spectral_error(t, r, H, W, 0.25, &lo, &hi), 0);
    assert_true(fabs(lo) < 1e-12);
    /* energies: DC 1 * N; cosines a^2 N / 2 */
    assert_close(hi, sqrt((0.09 + 0.16) / 2), 1e-12);
    assert_int_equal(report_spectral_error(t, r, H, W, 0.26, &lo, &hi), 0);
    assert_close(lo, sqrt((0.09 + 0.16) / 2), 1e-12);
}

/* ---- radial spectra --------------------------------------------------------------------- */

static void test_radial_spectrum_1d(void **state) {
    (void)state;
    enum { N = 100 };
    double x[N], rad[N], val[N];
    for (int i = 0; i < N; i++) x[i] = 0.5 + 3.0 * cos(2 * PI * 10 * i / N);
    int nb = report_spectrum_bins(N, 1);
    assert_int_equal(nb, N / 2 + 1);
    assert_int_equal(report_radial_spectrum(x, N, 1, rad, val, nb), nb);
    assert_close(rad[10], 10.0 / 50.0, 1e-15);
    assert_close(rad[50], 1.0, 1e-15);
    assert_close(val[0], 0.5, 1e-12);  /* DC: the mean */
    assert_close(val[10], 1.5, 1e-12); /* a cosine of amplitude A shows A / 2 */
    for (int k = 1; k < nb; k++)
        if (k != 10) assert_true(val[k] < 1e-12);
    /* cap limits what is written */
    assert_int_equal(report_radial_spectrum(x, N, 1, rad, val, 3), 3);
    assert_int_equal(report_radial_spectrum(NULL, N, 1, rad, val, 3), -1);
}

static void test_radial_spectrum_2d(void **state) {
    (void)state;
    enum { H = 32, W = 32 };
    double x[H * W];
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) x[i * W + j] = 2.0 + cos(2 * PI * 4.0 * j / W);
    int nb = report_spectrum_bins(H, W);
    assert_true(nb >= 24); /* rings up to the corner, sqrt 2 * 16 */
    double *rad = alloc_d((size_t)nb), *val = alloc_d((size_t)nb);
    int k = report_radial_spectrum(x, H, W, rad, val, nb);
    assert_true(k > 16 && k <= nb);
    assert_close(rad[0], 0.0, 0);
    assert_close(val[0], 4.0, 1e-12); /* (mean)^2 */
    int peak = 1;
    for (int i = 1; i < k; i++) {
        assert_true(rad[i] > rad[i - 1]);
        if (val[i] > val[peak]) peak = i;
    }
    assert_close(rad[peak], 4.0 / 16.0, 1e-12);
    for (int i = 1; i < k; i++)
        if (i != peak) assert_true(val[i] < 1e-20);
    free(rad);
    free(val);
}

/* ---- figures ---------------------------------------------------------------------------- */

/* A made-up training run: an exponential decay with wiggles, PSNR to match. */
static void fake_curve(double *loss, double *psnr, int n) {
    for (int e = 0; e < n; e++) {
        loss[e] = 0.25 * exp(-e / 40.0) + 2e-3 * (1.0 + 0.3 * sin(e / 3.0));
        if (psnr) psnr[e] = 10 * log10(4.0 / loss[e]);
    }
}

static void test_loss_curve_png(void **state) {
    (void)state;
    enum { E = 301 };
    double loss[E], psnr[E];
    char err[256];
    fake_curve(loss, psnr, E);
    const char *p = test_tmp_path("loss.png");
    assert_int_equal(report_loss_curve(p, loss, E, psnr, "camera: QIREN", err, sizeof err), 0);
    assert_png(p, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT);
    /* Without PSNR, with gaps (NaN, 0, negative) and a single epoch: still a figure. */
    loss[10] = NAN;
    loss[11] = 0.0;
    loss[12] = -1.0;
    assert_int_equal(report_loss_curve(p, loss, E, NULL, NULL, err, sizeof err), 0);
    assert_png(p, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT);
    assert_int_equal(report_loss_curve(p, loss, 1, NULL, "one", err, sizeof err), 0);
    /* A name that is not UTF-8 and a title far too long for one line still draw. */
    char title[400];
    memset(title, 'x', sizeof title - 1);
    title[sizeof title - 1] = 0;
    title[3] = (char)0xE9;
    assert_int_equal(report_loss_curve(p, loss, E, psnr, title, err, sizeof err), 0);
    assert_int_equal(report_loss_curve(p, loss, E, psnr, "caf\xe9 \xff\xfe", err, sizeof err), 0);
    assert_int_equal(report_loss_curve(p, loss, E, psnr, "caf\xc3\xa9 \xce\xbb", err, sizeof err),
                     0);
    double flat[5] = {0.1, 0.1, 0.1, 0.1, 0.1};
    assert_int_equal(report_loss_curve(p, flat, 5, flat, "flat", err, sizeof err), 0);
    assert_png(p, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT);
    assert_int_equal(report_loss_curve(p, loss, 0, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "loss.png"));
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 0);
}

static void test_loss_curves_png(void **state) {
    (void)state;
    enum { R = 12 };
    double *loss[R];
    int n[R];
    const char *labels[R] = {"qiren", "relu", "tanh", "relu_rff", "siren"};
    for (int r = 0; r < R; r++) {
        n[r] = 100 + 20 * r;
        loss[r] = alloc_d((size_t)n[r]);
        fake_curve(loss[r], NULL, n[r]);
        for (int e = 0; e < n[r]; e++) loss[r][e] *= 1.0 + 0.4 * r;
    }
    char err[256];
    const char *p = test_tmp_path("losses.png");
    assert_int_equal(report_loss_curves(p, (const double *const *)loss, n, labels, R,
                                        "camera: every model", err, sizeof err),
                     0);
    assert_png(p, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT);
    n[3] = 0;
    assert_int_equal(report_loss_curves(p, (const double *const *)loss, n, labels, R, NULL, err,
                                        sizeof err),
                     -1);
    for (int r = 0; r < R; r++) free(loss[r]);
}

/* A checkerboard of lo and hi: nearest-neighbour enlargement keeps every pixel of the truth
 * panel exactly black or white, 8 x 8 screen pixels per image pixel. */
static void test_triptych_png(void **state) {
    (void)state;
    enum { H = 32, W = 32 };
    double t[H * W], r[H * W];
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            t[i * W + j] = ((i + j) % 2) ? 1.0 : -1.0;
            r[i * W + j] = 0.9 * t[i * W + j]; /* never exactly black */
        }
    char err[256];
    const char *p = test_tmp_path("recon.png");
    assert_int_equal(
        report_image_triptych(p, t, r, H, W, 1, -1.0, 1.0, "checkerboard", err, sizeof err), 0);
    int width, height;
    report_triptych_size(H, W, &width, &height);
    assert_true(width >= 3 * 8 * W && height >= 8 * H);
    assert_png(p, width, height);
    cairo_surface_t *s = cairo_image_surface_create_from_png(p);
    unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s), black = 0;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            uint32_t px = *(uint32_t *)(void *)(d + (size_t)y * (size_t)stride + 4 * (size_t)x);
            black += (px & 0xFFFFFFu) == 0;
        }
    cairo_surface_destroy(s);
    assert_int_equal(black, H * W / 2 * 64);

    /* RGB, non-square, with a non-finite pixel, and a perfect fit. */
    enum { H2 = 12, W2 = 20 };
    double c[H2 * W2 * 3], c2[H2 * W2 * 3];
    for (int i = 0; i < H2 * W2 * 3; i++) c[i] = c2[i] = (i % 7) / 7.0;
    c2[5] = NAN;
    assert_int_equal(report_image_triptych(p, c, c2, H2, W2, 3, 0, 1, "rgb", err, sizeof err), 0);
    report_triptych_size(H2, W2, &width, &height);
    assert_png(p, width, height);
    assert_int_equal(report_image_triptych(p, c, c, H2, W2, 3, 0, 1, NULL, err, sizeof err), 0);
    /* invalid */
    assert_int_equal(report_image_triptych(p, c, c, H2, W2, 2, 0, 1, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "channels"));
    assert_int_equal(report_image_triptych(p, c, c, H2, W2, 1, 1, 1, NULL, err, sizeof err), -1);
    assert_int_equal(report_image_triptych(p, c, c, 0, W2, 1, 0, 1, NULL, err, sizeof err), -1);
}

static void test_waveform_and_spectrum_png(void **state) {
    (void)state;
    enum { N = 1000 };
    double t[N], y[N], o[N];
    for (int i = 0; i < N; i++) {
        t[i] = -1.0 + 2.0 * i / (N - 1);
        y[i] = 0.6 * sin(2 * PI * 7 * t[i]) + 0.3 * sin(2 * PI * 41 * t[i] + 0.5) +
               0.1 * sin(2 * PI * 150 * t[i]);
        o[i] = 0.6 * sin(2 * PI * 7 * t[i]) + 0.25 * sin(2 * PI * 41 * t[i] + 0.6);
    }
    char err[256];
    const char *p = test_tmp_path("wave.png");
    assert_int_equal(report_waveform(p, t, y, o, N, "bach", err, sizeof err), 0);
    assert_png(p, REPORT_PLOT_WIDTH, REPORT_WAVE_HEIGHT);
    assert_int_equal(report_waveform(p, NULL, y, y, N, NULL, err, sizeof err), 0);
    assert_int_equal(report_waveform(p, t, y, o, 0, NULL, err, sizeof err), -1);
    p = test_tmp_path("spectrum.png");
    assert_int_equal(report_spectrum(p, y, o, N, 1, 0.25, "bach spectrum", err, sizeof err), 0);
    assert_png(p, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT);
    assert_int_equal(report_spectrum(p, y, y, N, 1, 0.25, NULL, err, sizeof err), 0);
    /* 2-D: 25 x 40 */
    assert_int_equal(report_spectrum(p, y, o, 25, 40, 0.25, NULL, err, sizeof err), 0);
    assert_png(p, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT);
    assert_int_equal(report_spectrum(p, y, o, 25, 40, 0.0, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "cutoff"));
}

/* ---- atomicity -------------------------------------------------------------------------- */

static void test_unwritable_leaves_nothing(void **state) {
    (void)state;
    double loss[3] = {1, 0.5, 0.25};
    char err[512] = "";
    /* A folder that does not exist. */
    const char *p = test_tmp_path("missing/loss.png");
    assert_int_equal(report_loss_curve(p, loss, 3, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing/loss.png"));
    /* The target is a folder: refused (io_check_output_target), and no temporary file is
     * left behind. */
    mkdir(test_tmp_path("taken.png"), 0700);
    err[0] = 0;
    assert_int_equal(report_loss_curve(test_tmp_path("taken.png"), loss, 3, NULL, NULL, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "taken.png"));
    assert_int_equal(count_names(test_tmpdir, ".tmp."), 0);
    /* Same for the text files. */
    mkdir(test_tmp_path("run"), 0700);
    mkdir(test_tmp_path("run/index.html"), 0700);
    report_summary s;
    report_summary_init(&s);
    s.name = "x";
    err[0] = 0;
    assert_int_equal(report_write_index(test_tmp_path("run"), &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "index.html"));
    assert_int_equal(count_names(test_tmp_path("run"), ".tmp."), 0);
    /* Devices, FIFOs and symbolic links are never replaced, by figures or pages (as root a
     * rename over /dev/null would turn it into a picture). */
    err[0] = 0;
    assert_int_equal(report_loss_curve("/dev/null", loss, 3, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "/dev/null: exists and is a device"));
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(mkfifo(test_tmp_path("fifo.png"), 0600), 0);
    assert_int_equal(report_spectrum(test_tmp_path("fifo.png"), loss, loss, 3, 1, 0.25, NULL, err,
                                     sizeof err), -1);
    assert_non_null(strstr(err, "is a FIFO"));
    assert_int_equal(lstat(test_tmp_path("fifo.png"), &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    mkdir(test_tmp_path("linked"), 0700);
    FILE *f = fopen(test_tmp_path("precious.txt"), "w");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    assert_int_equal(symlink(test_tmp_path("precious.txt"), test_tmp_path("linked/summary.md")), 0);
    assert_int_equal(report_write_index(test_tmp_path("linked"), &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "summary.md: exists and is a symbolic link"));
    assert_int_equal(lstat(test_tmp_path("linked/summary.md"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(test_tmp_path("precious.txt"), &st), 0);
    assert_int_equal(st.st_size, 8);
    assert_int_equal(symlink(test_tmp_path("precious.txt"), test_tmp_path("linked/comparison.csv")), 0);
    assert_int_equal(report_write_comparison(test_tmp_path("linked"), NULL, &s, 1, NULL, 0, err,
                                             sizeof err), -1);
    assert_non_null(strstr(err, "comparison.csv: exists and is a symbolic link"));
    assert_int_equal(count_names(test_tmp_path("linked"), ".tmp."), 0);
    /* A read-only folder (root may write anyway, so only checked for others). */
    if (geteuid() != 0) {
        mkdir(test_tmp_path("ro"), 0500);
        err[0] = 0;
        assert_int_equal(
            report_loss_curve(test_tmp_path("ro/loss.png"), loss, 3, NULL, NULL, err, sizeof err), -1);
        assert_non_null(strstr(err, "ro/loss.png"));
        assert_int_equal(count_names(test_tmp_path("ro"), ""), 2); /* . and .. */
    }
}

/* ---- index, summary, comparison --------------------------------------------------------- */

static void test_index(void **state) {
    (void)state;
    report_summary s;
    report_summary_init(&s);
    s.name = "camera <qiren> & co";
    s.model = "qiren(d = 2)";
    s.data = "image camera.png, 32 x 32";
    s.n_params = 657;
    s.epochs = 301;
    s.final_loss = 3.3e-3;
    s.mse = 3.25e-3;
    s.psnr = 30.9;
    s.low_rel_err = 0.05;
    s.high_rel_err = 0.21;
    s.cutoff_fraction = 0.25;
    s.seconds_per_epoch = 0.012;
    s.settings = "optimizer = adam(lr = 0.03)\nbatch norm: batch statistics\n```";
    assert_int_equal(report_summary_add_figure(&s, "loss.png", "Training loss"), 0);
    assert_int_equal(report_summary_add_figure(&s, "recon image.png", NULL), 0);
    char err[256];
    const char *dir = test_tmp_path("out/run1");
    assert_int_equal(report_write_index(dir, &s, err, sizeof err), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *h = slurp(path);
    assert_non_null(h);
    assert_non_null(strstr(h, "<!DOCTYPE html>"));
    assert_non_null(strstr(h, "<img src=\"loss.png\""));
    assert_non_null(strstr(h, "<img src=\"recon%20image.png\""));
    assert_non_null(strstr(h, "camera &lt;qiren&gt; &amp; co"));
    assert_non_null(strstr(h, ">657<"));
    assert_non_null(strstr(h, "3.250e-03"));
    assert_non_null(strstr(h, "30.90 dB"));
    assert_non_null(strstr(h, "Low-frequency relative error (rho &lt; 0.25)"));
    assert_non_null(strstr(h, "High-frequency relative error (rho &gt;= 0.25)"));
    assert_non_null(strstr(h, "batch norm: batch statistics"));
    assert_null(strstr(h, "Seed")); /* unknown fields are left out */
    assert_null(strstr(h, "<script"));
    free(h);
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char *m = slurp(path);
    assert_non_null(m);
    assert_non_null(strstr(m, "![Training loss](loss.png)"));
    assert_non_null(strstr(m, "(recon%20image.png)"));
    assert_non_null(strstr(m, "| Trainable parameters | 657 |"));
    assert_non_null(strstr(m, "````text\n")); /* longer than the ``` inside the settings */
    free(m);
    assert_int_equal(count_names(dir, ".tmp."), 0);

    for (int i = s.n_figures; i < REPORT_MAX_FIGURES; i++)
        assert_int_equal(report_summary_add_figure(&s, "f.png", NULL), 0);
    assert_int_equal(report_summary_add_figure(&s, "f.png", NULL), -1);
    s.figures[3].path = NULL;
    assert_int_equal(report_write_index(dir, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "figure 4"));
}

static void test_comparison(void **state) {
    (void)state;
    report_summary r[3];
    const char *names[3] = {"camera_qiren_s0", "camera_qiren_s1", "camera_relu"};
    const char *links[3] = {"camera_qiren_s0", "camera_qiren_s1", NULL};
    double mse[3] = {1e-3, 3e-3, 1.2e-2};
    for (int i = 0; i < 3; i++) {
        report_summary_init(&r[i]);
        r[i].name = names[i];
        r[i].link = links[i];
        r[i].model = i < 2 ? "qiren(d = 2)" : "relu_mlp(d = 2, width = 8)";
        r[i].n_params = i < 2 ? 657 : 225;
        r[i].seed = i == 1;
        r[i].mse = mse[i];
        r[i].psnr = 10 * log10(4 / mse[i]);
        report_summary_add_figure(&r[i], "loss.png", "loss");
    }
    report_figure f = {"losses.png", "All runs"};
    char err[256];
    const char *dir = test_tmp_path("cmp");
    assert_int_equal(report_write_comparison(dir, "Camera, every model", r, 3, &f, 1, err,
                                             sizeof err),
                     0);
    char path[600];
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *h = slurp(path);
    assert_non_null(h);
    assert_non_null(strstr(h, "<tr class=\"best\"><td><a href=\"camera_qiren_s0/index.html\">"));
    assert_non_null(strstr(h, "<img src=\"losses.png\""));
    assert_non_null(strstr(h, "<img src=\"camera_qiren_s1/loss.png\""));
    assert_non_null(strstr(h, "Runs of the same model"));
    assert_non_null(strstr(h, "2.000e-03")); /* mean of 1e-3 and 3e-3 */
    assert_non_null(strstr(h, "1.414e-03")); /* their sample standard deviation */
    free(h);
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char *m = slurp(path);
    assert_non_null(m);
    assert_non_null(strstr(m, "**1.000e-03**"));
    free(m);
    snprintf(path, sizeof path, "%s/comparison.csv", dir);
    char *c = slurp(path);
    assert_non_null(c);
    assert_true(!strncmp(c, "name,model,data,n_params,epochs,seed,final_loss,mse,", 52));
    int lines = 0;
    for (char *q = c; *q; q++) lines += *q == '\n';
    assert_int_equal(lines, 4);
    assert_non_null(strstr(c, "\"camera_relu\",\"relu_mlp(d = 2, width = 8)\",\"\",225,,0,,0.012"));
    free(c);
    /* Each model once: no spread table. */
    assert_int_equal(report_write_comparison(dir, NULL, r + 1, 2, NULL, 0, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/index.html", dir);
    h = slurp(path);
    assert_null(strstr(h, "Runs of the same model"));
    free(h);
    assert_int_equal(report_write_comparison(dir, NULL, r, 0, NULL, 0, err, sizeof err), -1);
}

/* Paired over seeds: runs pair by seed whatever their order, a seed only one model ran is left
 * out, and "beats" is written only where the exact test allows it (6 of 6: p = 2/64). */
static void test_comparison_paired(void **state) {
    (void)state;
    enum { N = 13 };
    report_summary r[N];
    /* model a: seeds 0..5; model b: seeds 5..0 (reversed) and 7 (no partner); model c: 3 of 6 */
    const long seed[N] = {0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0, 7};
    for (int i = 0; i < N; i++) {
        report_summary_init(&r[i]);
        r[i].name = "run";
        r[i].model = i < 6 ? "a()" : "b()";
        r[i].n_params = 10;
        r[i].seed = seed[i];
        /* b is better than a at every seed, by a margin that grows with the seed */
        r[i].mse = i < 6 ? 1.0 + 0.1 * (double)seed[i] : 0.9 - 0.01 * (double)seed[i];
    }
    r[12].mse = 100.0; /* unpaired: would turn the reading if it were paired */
    char err[256];
    const char *dir = test_tmp_path("paired");
    assert_int_equal(report_write_comparison(dir, NULL, r, N, NULL, 0, err, sizeof err), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char *m = slurp(path);
    assert_non_null(m);
    assert_non_null(strstr(m, "## Paired over seeds"));
    assert_non_null(strstr(m, "| b() | 6 | 6 of 6 | 0.03125 | 0.03125 | b() beats a() |"));
    free(m);
    /* b better at three seeds, worse at three: no claim */
    for (int i = 6; i < 12; i++) r[i].mse = seed[i] % 2 ? 0.5 : 1.5 + (double)seed[i];
    assert_int_equal(report_write_comparison(dir, NULL, r, 12, NULL, 0, err, sizeof err), 0);
    m = slurp(path);
    assert_non_null(m);
    assert_non_null(strstr(m, "| b() | 6 | 3 of 6 |"));
    assert_non_null(strstr(m, "better in 3 of 6 seeds, p = "));
    assert_null(strstr(m, "beats"));
    free(m);
    /* classifiers: accuracy, higher is better; a worse at every seed */
    for (int i = 0; i < 12; i++) {
        r[i].mse = NAN;
        r[i].accuracy = i < 6 ? 0.9 - 0.01 * (double)seed[i] : 0.8;
    }
    assert_int_equal(report_write_comparison(dir, NULL, r, 12, NULL, 0, err, sizeof err), 0);
    m = slurp(path);
    assert_non_null(m);
    assert_non_null(strstr(m, "accuracy (higher is better)"));
    assert_non_null(strstr(m, "| b() | 6 | 0 of 6 | 0.03125 | 0.03125 | a() beats b() |"));
    free(m);
    /* one pair is no test: no table */
    assert_int_equal(report_write_comparison(dir, NULL, (report_summary[]){r[0], r[11]}, 2, NULL, 0,
                                             err, sizeof err),
                     0);
    m = slurp(path);
    assert_null(strstr(m, "Paired over seeds"));
    free(m);
}

/* ---- a gallery to look at --------------------------------------------------------------- */

/* Realistic figures of each kind; kept in QNN_REPORT_KEEP when set, else in the test's
 * folder. */
static void test_gallery(void **state) {
    (void)state;
    const char *keep = getenv("QNN_REPORT_KEEP");
    char dir[512], p[600], err[256];
    snprintf(dir, sizeof dir, "%s", keep && *keep ? keep : test_tmpdir);
    mkdir(dir, 0777);
    enum { E = 301, H = 32, W = 32, N = 1000 };
    double loss[E], psnr[E];
    fake_curve(loss, psnr, E);
    snprintf(p, sizeof p, "%s/loss.png", dir);
    assert_int_equal(
        report_loss_curve(p, loss, E, psnr, "camera_qiren: training", err, sizeof err), 0);
    /* An image with a disc, a gradient and fine stripes; the "reconstruction" misses the
     * stripes, as a low-frequency-biased model would. */
    double img[H * W], rec[H * W];
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            double y = (i - 15.5) / 16, x = (j - 15.5) / 16;
            double base = 0.6 * x + (x * x + y * y < 0.3 ? 0.8 : -0.3);
            double fine = i > 20 ? 0.3 * ((j % 2) ? 1 : -1) : 0.0;
            img[i * W + j] = fmax(-1, fmin(1, base + fine));
            rec[i * W + j] = fmax(-1, fmin(1, base + 0.05 * sin(0.7 * i + 0.3 * j)));
        }
    snprintf(p, sizeof p, "%s/recon.png", dir);
    assert_int_equal(report_image_triptych(p, img, rec, H, W, 1, -1, 1, "camera_qiren: 32 x 32",
                                           err, sizeof err),
                     0);
    snprintf(p, sizeof p, "%s/spectrum2d.png", dir);
    assert_int_equal(report_spectrum(p, img, rec, H, W, REPORT_SPECTRAL_CUTOFF,
                                     "camera_qiren: radially averaged power spectrum", err,
                                     sizeof err),
                     0);
    double t[N], y[N], o[N];
    for (int i = 0; i < N; i++) {
        t[i] = -1.0 + 2.0 * i / (N - 1);
        y[i] = 0.6 * sin(2 * PI * 7 * t[i]) + 0.3 * sin(2 * PI * 41 * t[i] + 0.5) +
               0.1 * sin(2 * PI * 150 * t[i]);
        o[i] = 0.58 * sin(2 * PI * 7 * t[i]) + 0.25 * sin(2 * PI * 41 * t[i] + 0.6);
    }
    snprintf(p, sizeof p, "%s/wave.png", dir);
    assert_int_equal(report_waveform(p, t, y, o, N, "bach_qiren: output", err, sizeof err), 0);
    snprintf(p, sizeof p, "%s/spectrum1d.png", dir);
    assert_int_equal(report_spectrum(p, y, o, N, 1, REPORT_SPECTRAL_CUTOFF, "bach_qiren: spectrum",
                                     err, sizeof err),
                     0);
    const double *ls[5];
    double l2[5][E];
    int ns[5];
    const char *lab[5] = {"qiren (657)", "relu (225)", "tanh (225)", "relu_rff (185)",
                          "siren (177)"};
    for (int r = 0; r < 5; r++) {
        fake_curve(l2[r], NULL, E);
        for (int e = 0; e < E; e++) l2[r][e] *= (1 + r) * (1 + 0.1 * r * sin(e / 7.0));
        ls[r] = l2[r];
        ns[r] = E;
    }
    snprintf(p, sizeof p, "%s/losses.png", dir);
    assert_int_equal(
        report_loss_curves(p, ls, ns, lab, 5, "camera: every model", err, sizeof err), 0);
    report_summary s;
    report_summary_init(&s);
    s.name = "camera_qiren";
    s.model = "qiren(d = 2)";
    s.n_params = 657;
    s.mse = rt_metric_mse(img, rec, H * W);
    s.psnr = rt_metric_psnr(s.mse, 2.0);
    s.cutoff_fraction = REPORT_SPECTRAL_CUTOFF;
    report_spectral_error(img, rec, H, W, s.cutoff_fraction, &s.low_rel_err, &s.high_rel_err);
    report_summary_add_figure(&s, "loss.png", "Training loss and PSNR");
    report_summary_add_figure(&s, "recon.png", "Ground truth, reconstruction, error");
    report_summary_add_figure(&s, "spectrum2d.png", "Power spectra");
    assert_int_equal(report_write_index(dir, &s, err, sizeof err), 0);
}

/* fontconfig (under cairo's text) keeps its configuration for the life of the process and
 * frees it only in FcFini, which cairo never calls: LeakSanitizer, when linked in, reads
 * this hook and ignores that one allocation rather than failing every sanitized run. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }


/* The confusion matrix reads back at its promised size; k outside 2..64 is refused; the
 * page's tables carry the counts and the per-class precision and recall worked out by hand;
 * the train | test table replaces the evaluation rows of the summary. */
static void test_confusion_and_classes(void **state) {
    (void)state;
    char err[256];
    /* true 0: 3 right, 1 as 1; true 1: 2 right; true 2: 1 as 0, 1 right */
    long c[9] = {3, 1, 0, 0, 2, 0, 1, 0, 1};
    const char *p = test_tmp_path("confusion.png");
    assert_int_equal(report_confusion(p, c, 3, "three classes", err, sizeof err), 0);
    int w, h;
    report_confusion_size(3, &w, &h);
    assert_png(p, w, h);
    assert_int_equal(report_confusion(p, c, 1, "one", err, sizeof err), -1);
    assert_non_null(strstr(err, "needs 2 to 64 classes, got 1"));
    double ep[3] = {10, 20, 30}, tr[3] = {1, 0.5, 0.25}, te[3] = {1.2, 0.8, 0.7};
    p = test_tmp_path("eval_loss.png");
    assert_int_equal(report_train_test(p, ep, tr, te, 3, "loss", 1, "t", err, sizeof err), 0);
    assert_png(p, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT);

    report_summary s;
    report_summary_init(&s);
    s.name = "cls";
    s.eval_loss = 0.5;
    s.accuracy = 6.0 / 9.0;
    s.n_classes = 3;
    s.confusion = c;
    const char *dir = test_tmp_path("cls");
    assert_int_equal(report_write_index(dir, &s, err, sizeof err), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char *md = slurp(path);
    assert_non_null(strstr(md, "| Accuracy | 66.67% |"));
    assert_non_null(strstr(md, "| 0 | 3 | 1 | 0 |\n| 1 | 0 | 2 | 0 |\n| 2 | 1 | 0 | 1 |"));
    /* class 0: predicted 4 times, 3 right (75 %), 4 points (recall 75 %); class 1: 3
     * predicted, 2 right (66.67 %), recall 2/2; class 2: precision 1/1, recall 1/2 */
    assert_non_null(strstr(md, "| 0 | 4 | 4 | 75.00% | 75.00% |"));
    assert_non_null(strstr(md, "| 1 | 2 | 3 | 66.67% | 100.00% |"));
    assert_non_null(strstr(md, "| 2 | 2 | 1 | 100.00% | 50.00% |"));
    assert_null(strstr(md, "PSNR"));
    assert_null(strstr(md, "Train and test"));
    free(md);
    s.n_train = 100, s.n_test = 9, s.train_loss = 0.25, s.train_accuracy = 0.99;
    assert_int_equal(report_write_index(dir, &s, err, sizeof err), 0);
    md = slurp(path);
    assert_non_null(strstr(md, "| | Train (100 points) | Test (9 points) |"));
    assert_non_null(strstr(md, "| Accuracy | 99.00% | 66.67% |"));
    assert_non_null(strstr(md, "| Loss | 2.500e-01 | 5.000e-01 |"));
    assert_null(strstr(md, "| Accuracy | 66.67% |")); /* not also in the summary table */
    free(md);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *html = slurp(path);
    assert_non_null(strstr(html, "<th>Train (100 points)</th><th>Test (9 points)</th>"));
    assert_non_null(strstr(html, "<h2>Precision and recall per class</h2>"));
    free(html);

    /* The decision boundary: class 0 on the left half, 1 on the right, row 0 on top; the
     * background at the left and right of the plot area is the classes' pale colours. */
    int grid[4] = {0, 1, 0, 1};
    double xy[4] = {-0.5, 0.5, 0.5, -0.5};
    int cls[2] = {0, 1};
    unsigned char test_pt[2] = {0, 1};
    p = test_tmp_path("boundary.png");
    assert_int_equal(report_decision_boundary(p, grid, 2, -1, 1, -1, 1, xy, cls, test_pt, 2, 2, "b", err,
                                              sizeof err), 0);
    assert_png(p, REPORT_PLOT_HEIGHT + 160, REPORT_PLOT_HEIGHT);
    cairo_surface_t *img = cairo_image_surface_create_from_png(p);
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    /* plot area: x from 90, y from 100, side REPORT_PLOT_HEIGHT - 170; probe a quarter in */
    int side = REPORT_PLOT_HEIGHT - 170, yq = 100 + side / 4 + 3;
    uint32_t left = *(uint32_t *)(void *)(px + (size_t)yq * (size_t)stride + 4 * (size_t)(90 + side / 8));
    uint32_t right = *(uint32_t *)(void *)(px + (size_t)yq * (size_t)stride + 4 * (size_t)(90 + side - side / 8));
    cairo_surface_destroy(img);
    assert_true((left & 0xFFFFFFu) != (right & 0xFFFFFFu));
    /* tab10's first colour is blue, its second orange: pale blue has more blue than red */
    assert_true((left & 0xFF) > ((left >> 16) & 0xFF));
    assert_true(((right >> 16) & 0xFF) > (right & 0xFF));
    assert_int_equal(report_decision_boundary(p, grid, 2, 1, -1, -1, 1, xy, cls, NULL, 2, 2, "b", err,
                                              sizeof err), -1);

    /* A comparison of classifiers: no MSE, so the most accurate run is marked. */
    report_summary runs[2];
    report_summary_init(&runs[0]);
    report_summary_init(&runs[1]);
    runs[0].name = "a", runs[0].accuracy = 0.9;
    runs[1].name = "b", runs[1].accuracy = 0.95;
    const char *cdir = test_tmp_path("cmp");
    assert_int_equal(report_write_comparison(cdir, "c", runs, 2, NULL, 0, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/summary.md", cdir);
    md = slurp(path);
    assert_non_null(strstr(md, "Bold: the highest accuracy."));
    assert_non_null(strstr(md, " **95.00%** |"));
    assert_null(strstr(md, "**90.00%**"));
    free(md);
    snprintf(path, sizeof path, "%s/comparison.csv", cdir);
    char *csv = slurp(path);
    assert_non_null(strstr(csv, "seconds_per_epoch,seconds_total,accuracy\n"));
    assert_non_null(strstr(csv, ",0.94999999999999996\n"));
    free(csv);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spectral_high_perturbation),
        cmocka_unit_test(test_spectral_low_perturbation),
        cmocka_unit_test(test_spectral_identical_and_zero),
        cmocka_unit_test(test_spectral_parseval),
        cmocka_unit_test(test_spectral_cutoff_boundary),
        cmocka_unit_test(test_spectral_invalid),
        cmocka_unit_test(test_spectral_2d),
        cmocka_unit_test(test_spectral_2d_shapes),
        cmocka_unit_test(test_radial_spectrum_1d),
        cmocka_unit_test(test_radial_spectrum_2d),
        cmocka_unit_test_setup_teardown(test_loss_curve_png, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_loss_curves_png, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_triptych_png, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_waveform_and_spectrum_png, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_leaves_nothing, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_index, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_comparison, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_comparison_paired, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_gallery, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_confusion_and_classes, test_tmp_setup, test_tmp_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    /* Hand cairo's and fontconfig's caches back so that leak checkers see only our leaks. */
    cairo_debug_reset_static_data();
    return rc;
}
