/* The comparison figures of report_paper.c: sizes, the bars' heights read back from the pixels,
 * and the refusals (no reference, a reference without error, bad images). */
#include "testutil.h"

#include "report.h"

#include <cairo.h>
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

static cairo_surface_t *load_png(const char *path, int width, int height) {
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        fail_msg("%s: not a PNG: %s", path, cairo_status_to_string(cairo_surface_status(s)));
    assert_int_equal(cairo_image_surface_get_width(s), width);
    assert_int_equal(cairo_image_surface_get_height(s), height);
    return s;
}

static unsigned pixel(cairo_surface_t *s, int x, int y) {
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    return ((const unsigned *)(const void *)(d + (size_t)y * (size_t)stride))[x] & 0xFFFFFFu;
}

/* The topmost row of column x, scanning down from y0, whose pixel is `rgb`; -1 if none. */
static int first_row(cairo_surface_t *s, int x, int y0, int y1, unsigned rgb) {
    for (int y = y0; y < y1; y++)
        if (pixel(s, x, y) == rgb) return y;
    return -1;
}

/* Two runs: the reference (low 0.3, high 0.4: total 0.5) and one with total 0.25. The bars'
 * heights in pixels must stand as 1 : 0.5, and the reference's low part (its share of the
 * squared error, 0.09 / 0.25) must be 36 % of its bar. */
static void test_relative_errors(void **state) {
    (void)state;
    char err[512];
    const char *labels[2] = {"tanh", "qiren"};
    double low[2] = {0.3, 0.15}, high[2] = {0.4, 0.2};
    char *p = test_tmp_path("rel.png");
    assert_int_equal(report_relative_errors(p, labels, low, high, 2, 0, 0.25, NULL, err, sizeof err), 0);
    cairo_surface_t *s = load_png(p, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT);
    cairo_surface_flush(s);
    /* palette: tab10 blue (low) and orange (high) */
    const unsigned blue = 0x1f77b4, orange = 0xff7f0e;
    int w = REPORT_PLOT_WIDTH, x0 = 96 + (w - 96 - 40) / 4, x1 = 96 + 3 * (w - 96 - 40) / 4;
    int base = -1;
    for (int y = REPORT_PLOT_HEIGHT - 1; y > 0 && base < 0; y--)
        if (pixel(s, x0, y) == blue) base = y;
    assert_true(base > 0);
    int top0 = first_row(s, x0, 0, REPORT_PLOT_HEIGHT, orange), mid0 = first_row(s, x0, 0, REPORT_PLOT_HEIGHT, blue);
    int top1 = first_row(s, x1, 0, REPORT_PLOT_HEIGHT, orange);
    assert_true(top0 > 0 && mid0 > top0 && top1 > top0);
    double h0 = base - top0 + 1, h1 = base - top1 + 1, l0 = base - mid0 + 1;
    assert_true(fabs(h1 / h0 - 0.5) < 0.01);
    assert_true(fabs(l0 / h0 - 0.36) < 0.01);
    cairo_surface_destroy(s);
    /* refusals, and nothing written by them */
    char *q = test_tmp_path("bad.png");
    assert_int_equal(report_relative_errors(q, labels, low, high, 2, 2, 0.25, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "reference"));
    double zero[2] = {0, 0.1};
    assert_int_equal(report_relative_errors(q, labels, zero, zero, 2, 0, 0.25, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "`tanh` has no error"));
    assert_int_not_equal(access(q, F_OK), 0);
}

static void test_spectra_and_grid(void **state) {
    (void)state;
    char err[512];
    enum { N = 16 };
    double t[N * N], a[N * N], b[N * N];
    for (int i = 0; i < N * N; i++) {
        t[i] = sin(0.7 * i) + 0.3 * cos(2.1 * i);
        a[i] = sin(0.7 * i);
        b[i] = NAN; /* skipped in plots, never an error */
    }
    const double *outs[2] = {a, b};
    const char *labels[2] = {"smooth", "broken"};
    char *p = test_tmp_path("spectra.png");
    assert_int_equal(report_spectra(p, t, outs, labels, 2, N * N, 1, NULL, err, sizeof err), 0);
    cairo_surface_destroy(load_png(p, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT));
    assert_int_equal(report_spectra(p, t, outs, labels, 2, N, N, "image", err, sizeof err), 0);
    const double *imgs[5] = {t, a, b, t, a};
    const char *names[5] = {"ground truth", "a", "b", "c", "a model with a long name that is cut"};
    double mse[5] = {NAN, 0.1, NAN, 0.01, 1e-5};
    char *g = test_tmp_path("grid.png");
    assert_int_equal(report_image_grid(g, imgs, names, mse, 5, N, N, 1, -1, 1, NULL, NULL, err, sizeof err), 0);
    /* 16 x 16 enlarged 16 times; 4 columns, 2 rows */
    cairo_surface_destroy(load_png(g, 2 * 24 + 4 * 256 + 3 * 24, 84 + 2 * (26 + 256 + 30) + 12 + 16));
    assert_int_equal(report_image_grid(g, imgs, names, mse, 5, N, N, 2, -1, 1, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "gray or RGB"));
    assert_int_equal(report_spectra(p, t, outs, labels, 0, N, N, NULL, err, sizeof err), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relative_errors),
        cmocka_unit_test(test_spectra_and_grid),
    };
    return cmocka_run_group_tests(tests, test_tmp_setup, test_tmp_teardown);
}
