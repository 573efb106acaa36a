/* Tests of rt_imageset: scikit-learn's digits (raw .csv.gz and the fetched .csv with a header),
 * NumPy image arrays (uint8, float), and the refusals, each naming the file: mixed sizes,
 * column counts, values out of range, truncated gzip files, unknown endings. The Debian files
 * themselves are read when installed (python3-sklearn, python3-skimage) or found in
 * $QNN_DATA_DIR; the test says so when it skips them. */
#include "testutil.h"

#include <zlib.h>

#include "io_npy.h"
#include "rt_imageset.h"

#define DEBIAN_DIGITS "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
#define DEBIAN_LFW "/usr/lib/python3/dist-packages/skimage/data/lfw_subset.npy"

/* The Debian path, else the same name in $QNN_DATA_DIR, else NULL (with a note). */
static const char *find_data(const char *debian, const char *name) {
    static char buf[4096];
    if (access(debian, R_OK) == 0) return debian;
    const char *dir = test_data_dir();
    if (dir) {
        snprintf(buf, sizeof buf, "%s/%s", dir, name);
        if (access(buf, R_OK) == 0) return buf;
    }
    fprintf(stderr, "note: %s not found (%s, $QNN_DATA_DIR): skipped\n", name, debian);
    return NULL;
}

static const char *put_text(const char *name, const char *text) {
    const char *p = test_tmp_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static const char *put_gz(const char *name, const char *text) {
    const char *p = test_tmp_path(name);
    gzFile g = gzopen(p, "wb");
    assert_non_null(g);
    assert_int_equal(gzputs(g, text), (int)strlen(text));
    assert_int_equal(gzclose(g), Z_OK);
    return p;
}

/* One digits row: pixel j = (j + shift) % 17, then the label. */
static void digits_row(char *out, size_t cap, int shift, int label, int n_pixels) {
    size_t n = 0;
    for (int j = 0; j < n_pixels; j++) n += (size_t)snprintf(out + n, cap - n, "%d,", (j + shift) % 17);
    snprintf(out + n, cap - n, "%d\n", label);
}

/* A digits row of ones with pixel k written as pix and the label as label. */
static const char *one_row(char *out, int k, const char *pix, const char *label) {
    out[0] = 0;
    for (int j = 0; j < 64; j++) {
        strcat(out, j == k ? pix : "1");
        strcat(out, ",");
    }
    strcat(out, label);
    strcat(out, "\n");
    return out;
}

static char *three_rows(int n_pixels_of_second) {
    static char text[4096];
    char row[512];
    text[0] = 0;
    for (int r = 0; r < 3; r++) {
        digits_row(row, sizeof row, r, 9 - r, r == 1 ? n_pixels_of_second : 64);
        strcat(text, row);
    }
    return text;
}

static void check_three(const rt_imageset *s, double divisor) {
    assert_int_equal(s->n, 3);
    assert_true(s->h == 8 && s->w == 8 && s->c == 1 && rt_imageset_dim(s) == 64);
    assert_non_null(s->labels);
    for (int r = 0; r < 3; r++) {
        assert_int_equal(s->labels[r], 9 - r);
        for (int j = 0; j < 64; j++) assert_true(s->pix[r * 64 + j] == ((j + r) % 17) / divisor);
    }
}

static void test_digits_csv_gz_and_plain(void **state) {
    (void)state;
    char err[512];
    rt_imageset s;
    /* scikit-learn's own layout: no header, ink 0..16 divided by 16 */
    assert_int_equal(rt_imageset_load(put_gz("d.csv.gz", three_rows(64)), &s, err, sizeof err), 0);
    check_three(&s, 16);
    rt_imageset_free(&s);
    assert_int_equal(rt_imageset_load(put_text("d.csv", three_rows(64)), &s, err, sizeof err), 0);
    check_three(&s, 16);
    rt_imageset_free(&s);
    /* scripts/fetch_data.sh digits: a header, pixels already in [0, 1], taken as they are */
    char text[16384] = "", row[2048];
    for (int j = 0; j < 64; j++) {
        snprintf(row, sizeof row, "p%d,", j);
        strcat(text, row);
    }
    strcat(text, "label\n");
    for (int r = 0; r < 3; r++) {
        size_t n = 0;
        for (int j = 0; j < 64; j++) n += (size_t)snprintf(row + n, sizeof row - n, "%.17g,", ((j + r) % 17) / 17.0);
        snprintf(row + n, sizeof row - n, "%d\n", 9 - r);
        strcat(text, row);
    }
    assert_int_equal(rt_imageset_load(put_text("h.csv", text), &s, err, sizeof err), 0);
    check_three(&s, 17);
    rt_imageset_free(&s);
    rt_imageset_free(&s);   /* twice is harmless */
    rt_imageset_free(NULL);
}

static void refused(const char *path, const char *want) {
    char err[512] = "";
    rt_imageset s;
    assert_int_equal(rt_imageset_load(path, &s, err, sizeof err), -1);
    assert_null(s.pix);
    assert_null(s.labels);
    if (!strstr(err, path) || !strstr(err, want))
        fail_msg("message '%s' should name %s and say '%s'", err, path, want);
}

static void test_digits_refusals(void **state) {
    (void)state;
    refused(put_gz("mixed.csv.gz", three_rows(63)), "expected 65 fields, got 64");
    refused(put_text("mixed.csv", three_rows(65)), "expected 65 fields, got 66");
    /* every row 64 + 1 fields of another size: the column count */
    char text[2048];
    digits_row(text, sizeof text, 0, 1, 63);
    refused(put_gz("cols.csv.gz", text), "64 columns, expected 65");
    refused(put_gz("range.csv.gz", one_row(text, 0, "17", "1")), "pixel 0 is 17");
    char two[4096];
    one_row(two, 0, "1", "1");
    strcat(two, one_row(text, 3, "-", "1"));
    refused(put_gz("nan.csv.gz", two), "expected a number");
    one_row(two, 3, "-", "1");
    strcat(two, one_row(text, 0, "1", "1"));
    refused(put_gz("typo.csv.gz", two), "neither numbers nor the header");
    refused(put_gz("label.csv.gz", one_row(text, 0, "1", "2.5")), "the label is 2.5");
    refused(put_gz("neg.csv.gz", one_row(text, 0, "1", "-1")), "the label is -1");
    refused(put_gz("frac.csv.gz", one_row(text, 5, "7.25", "1")), "pixel 5 is 7.25");
    refused(put_text("empty.csv", "# nothing\n"), "no data rows");
    refused(test_tmp_path("absent.csv.gz"), "absent.csv.gz");
    refused(put_text("x.png", "x"), "not an image set");
    /* a header file with a pixel above 1 */
    char hdr[4096] = "";
    for (int j = 0; j < 64; j++) {
        char c[16];
        snprintf(c, sizeof c, "p%d,", j);
        strcat(hdr, c);
    }
    strcat(hdr, "label\n");
    for (int j = 0; j < 64; j++) strcat(hdr, j == 7 ? "1.5," : "0.5,");
    strcat(hdr, "3\n");
    refused(put_text("hdr.csv", hdr), "pixel 7 is 1.5: expected a value in [0, 1]");
}

/* A gzip file cut at every length is refused (as truncated or not gzip), never read short. */
static void test_truncated_gzip(void **state) {
    (void)state;
    const char *full = put_gz("full.csv.gz", three_rows(64));
    unsigned char *buf;
    size_t len;
    FILE *f = fopen(full, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    rewind(f);
    buf = malloc(len);
    assert_int_equal(fread(buf, 1, len, f), len);
    fclose(f);
    for (size_t cut = 1; cut < len; cut++) {
        const char *p = test_tmp_path("cut.csv.gz");
        f = fopen(p, "wb");
        fwrite(buf, 1, cut, f);
        fclose(f);
        char err[512] = "";
        rt_imageset s;
        if (rt_imageset_load(p, &s, err, sizeof err) != -1)
            fail_msg("a gzip file cut to %zu of %zu bytes was read (%d images)", cut, len, s.n);
        assert_non_null(strstr(err, "cut.csv.gz"));
    }
    free(buf);
}

/* .npy: writes with io_npy_write (float) or by hand (uint8). */
static const char *put_u8_npy(const char *name, const char *shape, const unsigned char *v, size_t n) {
    unsigned char buf[4096];
    char dict[256];
    snprintf(dict, sizeof dict, "{'descr': '|u1', 'fortran_order': False, 'shape': %s, }", shape);
    size_t dn = strlen(dict), hdr = dn + 1;
    while ((10 + hdr) % 64) hdr++;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)hdr, buf[9] = 0;
    memcpy(buf + 10, dict, dn);
    memset(buf + 10 + dn, ' ', hdr - dn - 1);
    buf[10 + hdr - 1] = '\n';
    memcpy(buf + 10 + hdr, v, n);
    const char *p = test_tmp_path(name);
    FILE *f = fopen(p, "wb");
    fwrite(buf, 1, 10 + hdr + n, f);
    fclose(f);
    return p;
}

static void test_npy(void **state) {
    (void)state;
    char err[512];
    rt_imageset s;
    unsigned char u[2 * 3 * 2];
    for (int i = 0; i < 12; i++) u[i] = (unsigned char)(i * 23);
    assert_int_equal(rt_imageset_load(put_u8_npy("u.npy", "(2, 3, 2)", u, 12), &s, err, sizeof err), 0);
    assert_true(s.n == 2 && s.h == 3 && s.w == 2 && s.c == 1 && !s.labels);
    for (int i = 0; i < 12; i++) assert_true(s.pix[i] == u[i] / 255.0);
    rt_imageset_free(&s);
    double v[2 * 2 * 2 * 3];
    for (int i = 0; i < 24; i++) v[i] = i / 23.0;
    int64_t shape[4] = {2, 2, 2, 3};
    const char *p = test_tmp_path("f.npy");
    assert_int_equal(io_npy_write(p, 4, shape, v, 0, err, sizeof err), 0);
    assert_int_equal(rt_imageset_load(p, &s, err, sizeof err), 0);
    assert_true(s.n == 2 && s.h == 2 && s.w == 2 && s.c == 3);
    assert_memory_equal(s.pix, v, sizeof v);
    rt_imageset_free(&s);
    /* refusals */
    v[13] = 1.5;
    assert_int_equal(io_npy_write(p, 4, shape, v, 0, err, sizeof err), 0);
    refused(p, "image 1, value 1 is 1.5");
    v[13] = -1e-9;
    assert_int_equal(io_npy_write(p, 4, shape, v, 1, err, sizeof err), 0);
    refused(p, "must lie in [0, 1]");
    int64_t flat[2] = {4, 6};
    assert_int_equal(io_npy_write(p, 2, flat, v, 0, err, sizeof err), 0);
    refused(p, "2 dimensions, expected (n, h, w)");
    int64_t chan[4] = {1, 2, 2, 6};
    v[13] = 0;
    assert_int_equal(io_npy_write(p, 4, chan, v, 0, err, sizeof err), 0);
    refused(p, "channels");
    int64_t none[3] = {0, 8, 8};
    assert_int_equal(io_npy_write(p, 3, none, v, 0, err, sizeof err), 0);
    refused(p, "empty image set");
    refused(put_u8_npy("short.npy", "(2, 3, 2)", u, 11), "the file holds 11 bytes");
    /* uint8 stays refused where it was before (qnnc grad's arrays) */
    io_npy a;
    assert_int_equal(io_npy_read(put_u8_npy("g.npy", "(2, 3, 2)", u, 12), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "'|u1' is not supported"));
}

static void test_debian_digits(void **state) {
    (void)state;
    const char *path = find_data(DEBIAN_DIGITS, "digits.csv.gz");
    if (!path) skip();
    char err[512];
    rt_imageset s;
    assert_int_equal(rt_imageset_load(path, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 1797);
    assert_true(s.h == 8 && s.w == 8 && s.c == 1);
    int count[10] = {0};
    for (int i = 0; i < s.n; i++) {
        assert_in_range(s.labels[i], 0, 9);
        count[s.labels[i]]++;
    }
    /* scikit-learn's load_digits: 178 zeros, 182 ones, ... 180 nines */
    int want[10] = {178, 182, 177, 183, 181, 182, 181, 179, 174, 180};
    for (int k = 0; k < 10; k++) assert_int_equal(count[k], want[k]);
    /* the first digit, a 0: its first two rows as scikit-learn's data[0] / 16 */
    const int row0[16] = {0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0};
    for (int j = 0; j < 16; j++) assert_true(s.pix[j] == row0[j] / 16.0);
    assert_int_equal(s.labels[0], 0);
    for (size_t i = 0; i < (size_t)s.n * 64; i++) assert_true(s.pix[i] >= 0 && s.pix[i] <= 1);
    rt_imageset_free(&s);
}

static void test_debian_lfw(void **state) {
    (void)state;
    const char *path = find_data(DEBIAN_LFW, "lfw_subset.npy");
    if (!path) skip();
    char err[512];
    rt_imageset s;
    assert_int_equal(rt_imageset_load(path, &s, err, sizeof err), 0);
    assert_true(s.n == 200 && s.h == 25 && s.w == 25 && s.c == 1 && !s.labels);
    rt_imageset_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_csv_gz_and_plain),
        cmocka_unit_test(test_digits_refusals),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_npy),
        cmocka_unit_test(test_debian_digits),
        cmocka_unit_test(test_debian_lfw),
    };
    return cmocka_run_group_tests(tests, test_tmp_setup, test_tmp_teardown);
}
