/* Tests of io_npy: exact round trips (f64 bit for bit, f32 rounded), NumPy's header layout,
 * and the refusals of hostile or unsupported files, each naming the file. */
#include "testutil.h"

#include "io_npy.h"

/* Writes len bytes to a file of the test folder and returns its path. */
static const char *put(const char *name, const void *data, size_t len) {
    const char *p = test_tmp_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return p;
}

/* A version-1.0 file with the given header dict (padded as NumPy pads) and data bytes. */
static const char *put_npy(const char *name, const char *dict, const void *data, size_t len) {
    static unsigned char buf[4096];
    size_t n = strlen(dict), hdr = n + 1;
    while ((10 + hdr) % 64) hdr++;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hdr & 0xff), buf[9] = (unsigned char)(hdr >> 8);
    memcpy(buf + 10, dict, n);
    memset(buf + 10 + n, ' ', hdr - n - 1);
    buf[10 + hdr - 1] = '\n';
    if (len) memcpy(buf + 10 + hdr, data, len);
    return put(name, buf, 10 + hdr + len);
}

static void test_round_trip(void **state) {
    (void)state;
    char err[512];
    double d[6] = {0.1, -1.0 / 3.0, 1e-300, -0.0, 6.02214076e23, 4.9e-324};
    int64_t shape[2] = {2, 3};
    const char *p = test_tmp_path("a.npy");
    assert_int_equal(io_npy_write(p, 2, shape, d, 0, err, sizeof err), 0);
    io_npy a;
    assert_int_equal(io_npy_read(p, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 2);
    assert_true(a.shape[0] == 2 && a.shape[1] == 3 && a.count == 6 && !a.f32);
    assert_memory_equal(a.data, d, sizeof d);
    io_npy_free(&a);
    /* NumPy's layout: magic, 1.0, the header padded so that the data starts at a multiple of
     * 64 bytes (128 here, as np.save writes this array) */
    FILE *f = fopen(p, "rb");
    unsigned char head[128];
    assert_int_equal(fread(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    assert_memory_equal(head, "\x93NUMPY\x01\x00", 8);
    const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
    assert_int_equal(head[8] | head[9] << 8, 118);
    assert_memory_equal(head + 10, dict, strlen(dict));
    assert_int_equal(head[127], '\n');
    /* float32, one dimension (written with Python's trailing comma), and a scalar */
    int64_t one = 3;
    double v[3] = {0.5, 0.1, -2};
    assert_int_equal(io_npy_write(p, 1, &one, v, 1, err, sizeof err), 0);
    assert_int_equal(io_npy_read(p, &a, err, sizeof err), 0);
    assert_true(a.ndim == 1 && a.f32 && a.count == 3 && a.data[0] == 0.5 && a.data[1] == (double)0.1f);
    io_npy_free(&a);
    assert_int_equal(io_npy_write(p, 0, NULL, v, 0, err, sizeof err), 0);
    assert_int_equal(io_npy_read(p, &a, err, sizeof err), 0);
    assert_true(a.ndim == 0 && a.count == 1 && a.data[0] == 0.5);
    io_npy_free(&a);
}

static void expect_refused(const char *path, const char *part) {
    char err[512] = "";
    io_npy a;
    assert_int_equal(io_npy_read(path, &a, err, sizeof err), -1);
    if (!strstr(err, part) || !strstr(err, path)) fail_msg("message `%s` lacks `%s` or the path", err, part);
    assert_null(a.data);
}

static void test_refusals(void **state) {
    (void)state;
    double two[2] = {1, 2};
    expect_refused(put("empty.npy", "", 0), "not a .npy file");
    expect_refused(put("magic.npy", "\x93NUMPX\x01\x00\x00\x00", 10), "not a .npy file");
    expect_refused(put("ver.npy", "\x93NUMPY\x04\x00\x00\x00", 10), "version 4.0");
    expect_refused(put("long.npy", "\x93NUMPY\x01\x00\xff\xff{", 11), "runs past the file");
    expect_refused(put("long2.npy", "\x93NUMPY\x02\x00\xff\xff\xff\x7f{}", 14), "runs past the file");
    expect_refused(put_npy("be.npy", "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", two, 16), "dtype '>f8'");
    expect_refused(put_npy("i8.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", two, 16), "dtype '<i8'");
    expect_refused(put_npy("f.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }", two, 16), "Fortran order");
    expect_refused(put_npy("dup.npy", "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", two, 16), "repeated key 'descr'");
    expect_refused(put_npy("unk.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", two, 16), "unknown or repeated key 'x'");
    expect_refused(put_npy("miss.npy", "{'descr': '<f8', 'fortran_order': False, }", two, 16), "lacks 'shape'");
    expect_refused(put_npy("tuple.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2), }", two, 16), "the header is not");
    expect_refused(put_npy("neg.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }", two, 16), "the header is not");
    expect_refused(put_npy("zero.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (02,), }", two, 16), "the header is not");
    expect_refused(put_npy("huge.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", two, 16), "the header is not");
    expect_refused(put_npy("big.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", two, 16), "more than");
    expect_refused(put_npy("dims.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", two, 16), "more than 8 dimensions");
    expect_refused(put_npy("short.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", two, 16), "the shape says 3 values (24 bytes)");
    expect_refused(put_npy("trail.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", two, 16), "holds 16 bytes");
    expect_refused(put_npy("junk.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } x", two, 16), "the header is not");
    double nan[2] = {1, 0.0};
    nan[1] = nan[1] / nan[1] * 0.0 + (double)NAN;
    expect_refused(put_npy("nan.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", nan, 16), "value 1 (flat index");
    /* key order and quotes are free, as in Python */
    char err[512];
    io_npy a;
    const char *p = put_npy("order.npy", "{\"shape\": (1, 2), \"fortran_order\": False, \"descr\": \"<f8\"}", two, 16);
    assert_int_equal(io_npy_read(p, &a, err, sizeof err), 0);
    assert_true(a.ndim == 2 && a.shape[1] == 2 && a.data[1] == 2.0);
    io_npy_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, test_tmp_setup, test_tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
