/* Tests of io_safetensors: byte-exact output, round trips, files written the way other
 * tools write them, and a malformed header for every rule the reader enforces. */
#include "testutil.h"

#include "io_safetensors.h"

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[600];

static int setup_dir(void **state) {
    if (test_tmp_setup(state)) return -1;
    snprintf(path, sizeof path, "%s/w.safetensors", test_tmpdir);
    return 0;
}

static unsigned char *slurp(const char *p, size_t *n) {
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 1);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* Writes a file made of the 8-byte length of header (padded to pad bytes when larger),
 * the header, then data_len bytes of 0x3f. */
static void make_file(const char *header, size_t data_len) {
    size_t h = strlen(header);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 8; i++) fputc((int)((uint64_t)h >> (8 * i)) & 0xFF, f);
    fwrite(header, 1, h, f);
    for (size_t i = 0; i < data_len; i++) fputc(0x3f, f);
    fclose(f);
}

static void test_output_is_byte_exact(void **state) {
    (void)state;
    char err[256];
    double w[2] = {1.5, -2.0}, b = 0.25;
    io_tensor t[2] = {{.name = "w", .dtype = IO_ST_F64, .ndim = 1, .shape = {2}, .data = w},
                      {.name = "b", .dtype = IO_ST_F32, .ndim = 0, .data = &b}};
    const char *k[1] = {"format"}, *v[1] = {"pt"};
    assert_int_equal(io_st_write(path, t, 2, k, v, 1, err, sizeof err), 0);
    size_t n;
    unsigned char *f = slurp(path, &n);
    const char *json = "{\"__metadata__\":{\"format\":\"pt\"},"
                       "\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]}}";
    size_t jl = strlen(json), hl = (jl + 7) / 8 * 8;
    assert_int_equal(n, 8 + hl + 20);
    uint64_t len = 0;
    for (int i = 7; i >= 0; i--) len = len << 8 | f[i];
    assert_int_equal(len, hl);
    assert_memory_equal(f + 8, json, jl);
    for (size_t i = jl; i < hl; i++) assert_int_equal(f[8 + i], ' ');
    /* 1.5 = 0x3FF8000000000000, -2 = 0xC000000000000000, 0.25f = 0x3E800000, little-endian */
    static const unsigned char data[20] = {0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0, 0, 0, 0, 0, 0, 0,
                                           0xC0, 0, 0, 0x80, 0x3E};
    assert_memory_equal(f + 8 + hl, data, 20);
    free(f);
}

static void test_round_trip(void **state) {
    (void)state;
    char err[256];
    double a[24], s = 3.0, z = 0.0;
    for (int i = 0; i < 24; i++) a[i] = sin(i) * pow(10.0, i - 12);
    a[0] = NAN, a[1] = INFINITY, a[2] = -0.0, a[3] = 4.9e-324;
    double f32[3] = {0.1, 1e-50, 3.4e39}; /* round, flush to zero, overflow to inf */
    io_tensor t[5] = {
        {.name = "layer.0.weight", .dtype = IO_ST_F64, .ndim = 3, .shape = {2, 3, 4}, .data = a},
        {.name = "scalar", .dtype = IO_ST_F64, .ndim = 0, .data = &s},
        {.name = "empty", .dtype = IO_ST_F32, .ndim = 2, .shape = {0, 5}, .data = NULL},
        {.name = "f32", .dtype = IO_ST_F32, .ndim = 1, .shape = {3}, .data = f32},
        {.name = "q\"u\\o\n\xc3\xa9", .dtype = IO_ST_F64, .ndim = 1, .shape = {1}, .data = &z},
    };
    const char *k[2] = {"epochs", "note \"x\""}, *v[2] = {"301", "line\nbreak \xe2\x82\xac"};
    assert_int_equal(io_st_write(path, t, 5, k, v, 2, err, sizeof err), 0);
    io_st_file f;
    if (io_st_read(path, &f, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(f.count, 5);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(f.tensors[i].name, t[i].name); /* order kept */
        assert_int_equal(f.tensors[i].dtype, t[i].dtype);
        assert_int_equal(f.tensors[i].ndim, t[i].ndim);
        for (int d = 0; d < t[i].ndim; d++) assert_int_equal(f.tensors[i].shape[d], t[i].shape[d]);
    }
    const io_tensor *w = io_st_find(&f, "layer.0.weight");
    assert_non_null(w);
    assert_int_equal(io_st_numel(w), 24);
    assert_memory_equal(w->data, a, sizeof a); /* bit for bit, NaN included */
    assert_true(io_st_find(&f, "scalar")->data[0] == 3.0);
    assert_int_equal(io_st_numel(io_st_find(&f, "empty")), 0);
    const io_tensor *g = io_st_find(&f, "f32");
    assert_true(g->data[0] == (double)0.1f && g->data[1] == 0.0 && isinf(g->data[2]));
    assert_null(io_st_find(&f, "nope"));
    assert_non_null(io_st_find(&f, "q\"u\\o\n\xc3\xa9"));
    assert_string_equal(io_st_meta(&f, "note \"x\""), "line\nbreak \xe2\x82\xac");
    assert_string_equal(io_st_meta(&f, "epochs"), "301");
    assert_null(io_st_meta(&f, "missing"));
    io_st_free(&f);
    /* Nothing at all is a valid file too. */
    assert_int_equal(io_st_write(path, NULL, 0, NULL, NULL, 0, err, sizeof err), 0);
    assert_int_equal(io_st_read(path, &f, err, sizeof err), 0);
    assert_int_equal(f.count, 0);
    io_st_free(&f);
}

/* Headers as other writers produce them: the Python library pads with spaces and orders
 * tensors its own way; hand-written JSON has whitespace, escapes and any key order. */
static void test_reads_foreign_layouts(void **state) {
    (void)state;
    char err[256];
    io_st_file f;
    make_file("{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"F64\",\"shape\":[1],"
              "\"data_offsets\":[8,16]},\"a\":{\"dtype\":\"F64\",\"shape\":[1],"
              "\"data_offsets\":[0,8]}}      ", 16);
    if (io_st_read(path, &f, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(f.count, 2);
    assert_string_equal(f.tensors[0].name, "b");
    assert_true(f.tensors[0].data[0] == f.tensors[1].data[0]); /* bytes 0x3f... */
    io_st_free(&f);
    make_file(" \n", 0); /* must start with '{' */
    assert_int_equal(io_st_read(path, &f, err, sizeof err), -1);
    make_file("{ \"__metadata__\" : null ,\n \"\\u00e9\\ud83d\\ude00\" : { \"shape\" : [ 2 , 1 ] ,"
              " \"data_offsets\" : [ 0 , 8 ] , \"dtype\" : \"F32\" } ,\"z\":{\"dtype\":\"F64\","
              "\"shape\":[0],\"data_offsets\":[0,0]} }\n\t\r ", 8);
    if (io_st_read(path, &f, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(f.meta_count, 0);
    assert_non_null(io_st_find(&f, "\xc3\xa9\xf0\x9f\x98\x80"));
    assert_int_equal(io_st_find(&f, "\xc3\xa9\xf0\x9f\x98\x80")->shape[0], 2);
    io_st_free(&f);
}

static void expect_bad(const char *header, size_t data_len, const char *needle) {
    char err[256] = "";
    io_st_file f;
    make_file(header, data_len);
    assert_int_equal(io_st_read(path, &f, err, sizeof err), -1);
    assert_null(f.tensors);
    if (!strstr(err, path) || !strstr(err, needle))
        fail_msg("header %s: message '%s' lacks '%s'", header, err, needle);
}

#define T1(dt, shape, offs) "{\"a\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":" offs "}}"

static void test_malformed_headers(void **state) {
    (void)state;
    expect_bad("[]", 0, "must start with '{'");
    expect_bad("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}", 8, "expected ','");
    expect_bad("{\"a\" {}}", 0, "expected ':'");
    expect_bad(T1("BF16", "[1]", "[0,2]"), 2, "unsupported dtype 'BF16'");
    expect_bad(T1("I64", "[1]", "[0,8]"), 8, "unsupported dtype 'I64'");
    expect_bad("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8],\"foo\":1}}", 8,
               "unknown field 'foo'");
    expect_bad("{\"a\":{\"dtype\":\"F64\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
               8, "field 'dtype' repeated");
    expect_bad("{\"a\":{\"dtype\":\"F64\",\"shape\":[1]}}", 8, "lacks 'data_offsets'");
    expect_bad(T1("F64", "[2]", "[0,8]"), 8, "do not hold 2 values");
    expect_bad(T1("F64", "[1]", "[8,0]"), 8, "do not hold");
    expect_bad("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "overlap");
    expect_bad(T1("F64", "[1]", "[8,16]"), 16, "gap");
    expect_bad(T1("F64", "[1]", "[0,8]"), 24, "the tensors hold 8 bytes, the file has 24");
    expect_bad(T1("F64", "[2]", "[0,16]"), 9, "the tensors hold 16 bytes, the file has 9");
    expect_bad("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
               "\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}", 16,
               "tensor 'a' appears twice");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, "metadata 'k' is not a string");
    expect_bad("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "metadata 'k' appears twice");
    expect_bad("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "'__metadata__' appears twice");
    expect_bad("{\"__metadata__\":[]}", 0, "expected '{'");
    expect_bad("{\"a\xff\":{}}", 0, "not UTF-8");
    expect_bad("{\"a\xc0\xaf\":{}}", 0, "not UTF-8"); /* overlong '/' */
    expect_bad(T1("F64", "[01]", "[0,8]"), 8, "leading zero");
    expect_bad(T1("F64", "[-1]", "[0,8]"), 8, "expected a non-negative integer");
    expect_bad(T1("F64", "[1.0]", "[0,8]"), 8, "not a fraction");
    expect_bad(T1("F64", "[1e0]", "[0,8]"), 8, "not a fraction");
    expect_bad(T1("F64", "[99999999999999999999]", "[0,8]"), 8, "integer too large");
    expect_bad(T1("F64", "[1,1,1,1,1,1,1,1,1]", "[0,8]"), 8, "more than 8 items");
    expect_bad(T1("F64", "[1]", "[0,8,8]"), 8, "more than 2 items");
    expect_bad(T1("F64", "[1]", "[0]"), 8, "data_offsets needs 2 numbers");
    expect_bad(T1("F64", "[4294967296,4294967296]", "[0,8]"), 8, "shape is too large");
    expect_bad(T1("F64", "[1]", "[0,8]") " x", 8, "unexpected text after the header object");
    expect_bad("{\"a\\udc00\":{}}", 0, "unpaired surrogate");
    expect_bad("{\"a\\ud800x\":{}}", 0, "unpaired surrogate");
    expect_bad("{\"a\\u0000\":{}}", 0, "NUL character");
    expect_bad("{\"a\\q\":{}}", 0, "invalid escape");
    expect_bad("{\"a\\u12\":{}}", 0, "invalid \\u escape");
    expect_bad("{\"a\tb\":{}}", 0, "control character");
    expect_bad("{\"abc", 0, "unterminated string");
    expect_bad("{", 0, "header length"); /* shorter than 2 bytes */
}

static void test_bad_files(void **state) {
    (void)state;
    char err[256] = "";
    io_st_file f;
    char missing[700];
    snprintf(missing, sizeof missing, "%s/none.safetensors", test_tmpdir);
    assert_int_equal(io_st_read(missing, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    FILE *fp = fopen(path, "wb");
    fputs("abc", fp);
    fclose(fp);
    assert_int_equal(io_st_read(path, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "shorter than 8 bytes"));
    /* A length far beyond the file. */
    fp = fopen(path, "wb");
    unsigned char huge[16] = {0, 0, 0, 0, 0, 0, 0, 0x80, '{', '}'};
    fwrite(huge, 1, 16, fp);
    fclose(fp);
    assert_int_equal(io_st_read(path, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "header length"));
    /* Every truncation of a valid file, and random damage: an error or a valid read. */
    char e2[256];
    double a[6] = {1, 2, 3, 4, 5, 6};
    io_tensor t[2] = {{.name = "alpha", .dtype = IO_ST_F64, .ndim = 2, .shape = {2, 2}, .data = a},
                      {.name = "beta", .dtype = IO_ST_F32, .ndim = 1, .shape = {2}, .data = a + 4}};
    const char *k[1] = {"m"}, *v[1] = {"x"};
    assert_int_equal(io_st_write(path, t, 2, k, v, 1, e2, sizeof e2), 0);
    size_t n;
    unsigned char *good = slurp(path, &n), *c = malloc(n);
    for (size_t cut = 0; cut < n; cut++) {
        fp = fopen(path, "wb");
        fwrite(good, 1, cut, fp);
        fclose(fp);
        assert_int_equal(io_st_read(path, &f, err, sizeof err), -1);
    }
    srand(99);
    int ok = 0;
    for (int it = 0; it < 2000; it++) {
        memcpy(c, good, n);
        for (int j = 0; j < 1 + it % 3; j++) c[(size_t)rand() % (n - 48)] ^= (unsigned char)(1 << (rand() % 8));
        fp = fopen(path, "wb");
        fwrite(c, 1, n, fp);
        fclose(fp);
        if (io_st_read(path, &f, err, sizeof err) == 0) {
            ok++;
            io_st_free(&f);
        }
    }
    assert_true(ok < 2000);
    free(c);
    free(good);
}

/* The validator every checkpoint loader uses (D1, D12, D15): shapes, dtypes, unknown and
 * missing tensors, non-finite values, and strict integers in the metadata. */
static void write_model_file(double w0, const char *epochs) {
    char err[256];
    double w[6] = {w0, 2, 3, 4, 5, 6}, st[3] = {4, 0.5, 0.25};
    io_tensor t[2] = {{.name = "layers.0.weight", .dtype = IO_ST_F64, .ndim = 2, .shape = {2, 3}, .data = w},
                      {.name = "optimizer.state", .dtype = IO_ST_F64, .ndim = 1, .shape = {3}, .data = st}};
    const char *k[2] = {"format", "epochs"}, *v[2] = {"qnn-checkpoint-1", epochs};
    assert_int_equal(io_st_write(path, t, 2, k, v, 2, err, sizeof err), 0);
}

static void expect_valid(const io_st_expect *want, size_t n, const char *needle) {
    char err[512] = "";
    io_st_file f;
    assert_int_equal(io_st_read(path, &f, err, sizeof err), 0);
    int rc = io_st_check(&f, path, want, n, err, sizeof err);
    io_st_free(&f);
    if (!needle) {
        if (rc != 0) fail_msg("refused: %s", err);
        return;
    }
    assert_int_equal(rc, -1);
    if (strncmp(err, path, strlen(path)) != 0 || !strstr(err, needle))
        fail_msg("got '%s', want the file and '%s'", err, needle);
}

static void test_check_against_model(void **state) {
    (void)state;
    write_model_file(1, "3");
    io_st_expect want[2] = {{.name = "layers.0.weight", .dtype = IO_ST_F64, .ndim = 2, .shape = {2, 3}},
                            {.name = "optimizer.state", .dtype = IO_ST_F64, .ndim = 1, .shape = {3}}};
    expect_valid(want, 2, NULL);
    /* the same six values as [3, 2]: refused, naming both shapes */
    want[0].shape[0] = 3, want[0].shape[1] = 2;
    expect_valid(want, 2, "tensor `layers.0.weight` has shape [2, 3], the model needs [3, 2]");
    want[0].ndim = 1, want[0].shape[0] = 6;
    expect_valid(want, 2, "has shape [2, 3], the model needs [6]");
    want[0].ndim = 2, want[0].shape[0] = 2, want[0].shape[1] = 3;
    want[0].dtype = IO_ST_F32;
    expect_valid(want, 2, "tensor `layers.0.weight` is F64, the model stores F32");
    want[0].dtype = IO_ST_F64;
    /* a tensor of the file that the model does not have; one the model has that is missing */
    expect_valid(want, 1, "unknown tensor `optimizer.state`");
    io_st_expect more[3] = {want[0], want[1], {.name = "layers.1.bias", .dtype = IO_ST_F64, .ndim = 1, .shape = {2}}};
    expect_valid(more, 3, "no tensor `layers.1.bias`");
    more[2].optional = 1;
    expect_valid(more, 3, NULL);
    want[1].ndim = -1; /* any shape */
    want[1].shape[0] = 99;
    expect_valid(want, 2, NULL);
    /* non-finite values, in a weight or in the optimiser state */
    write_model_file(NAN, "3");
    expect_valid(want, 2, "tensor `layers.0.weight` holds NaN at index 0");
    write_model_file(-INFINITY, "3");
    expect_valid(want, 2, "holds -Inf at index 0");
}

static void test_meta_int_is_strict(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int ok;
        long long v;
    } cases[] = {{"0", 1, 0}, {"40", 1, 40}, {"7", 1, 7}, {"-5", 0, 0}, {"-2147483648", 0, 0},
                 {"abc", 0, 0}, {"2.5", 0, 0}, {"1e1", 0, 0}, {"99999999999", 0, 0},
                 {"99999999999999999999999", 0, 0}, {"41", 0, 0}, {" 3", 0, 0}, {"3 ", 0, 0},
                 {"+3", 0, 0}, {"03", 0, 0}, {"", 0, 0}, {"-", 0, 0}, {"0x10", 0, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_model_file(1, cases[i].text);
        char err[512] = "";
        io_st_file f;
        assert_int_equal(io_st_read(path, &f, err, sizeof err), 0);
        long long v = -1;
        int rc = io_st_meta_int(&f, path, "epochs", 0, 40, &v, err, sizeof err);
        if (cases[i].ok) {
            if (rc != 0 || v != cases[i].v) fail_msg("'%s' refused or misread: %s", cases[i].text, err);
        } else {
            char want[128];
            snprintf(want, sizeof want, "metadata field `epochs` is \"%s\": expected a whole number "
                     "from 0 to 40", cases[i].text);
            if (rc != -1 || v != -1 || !strstr(err, want) || strncmp(err, path, strlen(path)))
                fail_msg("'%s': rc %d, got '%s'", cases[i].text, rc, err);
        }
        assert_int_equal(io_st_meta_int(&f, path, "absent", 0, 40, &v, err, sizeof err), 1);
        const char *keys[1] = {"format"};
        assert_int_equal(io_st_check_meta_keys(&f, path, keys, 1, err, sizeof err), -1);
        assert_non_null(strstr(err, "unknown metadata field `epochs`"));
        io_st_free(&f);
    }
    /* the full range of long long still parses exactly */
    write_model_file(1, "9223372036854775807");
    char err[256];
    io_st_file f;
    long long v;
    assert_int_equal(io_st_read(path, &f, err, sizeof err), 0);
    assert_int_equal(io_st_meta_int(&f, path, "epochs", 0, LLONG_MAX, &v, err, sizeof err), 0);
    assert_true(v == LLONG_MAX);
    io_st_free(&f);
}

/* D8: a FIFO is refused at once, not waited on (the test would hang without the fix). */
static void test_fifo_refused(void **state) {
    (void)state;
    char fifo[700], err[256] = "";
    snprintf(fifo, sizeof fifo, "%s/pipe.safetensors", test_tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    io_st_file f;
    assert_int_equal(io_st_read(fifo, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(io_st_read(test_tmpdir, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "is a folder"));
}

static void test_writer_refuses_bad_input(void **state) {
    (void)state;
    char err[256];
    double x[2] = {1, 2};
    io_tensor t[2] = {{.name = "a", .dtype = IO_ST_F64, .ndim = 1, .shape = {1}, .data = x},
                      {.name = "a", .dtype = IO_ST_F64, .ndim = 1, .shape = {1}, .data = x}};
    assert_int_equal(io_st_write(path, t, 2, NULL, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "tensor name 'a' appears twice"));
    t[1].name = "__metadata__";
    assert_int_equal(io_st_write(path, t, 2, NULL, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "reserved"));
    t[1].name = "";
    assert_int_equal(io_st_write(path, t, 2, NULL, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    t[1].name = "bad\xff";
    assert_int_equal(io_st_write(path, t, 2, NULL, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "UTF-8"));
    t[1].name = "b";
    t[1].ndim = 9;
    assert_int_equal(io_st_write(path, t, 2, NULL, NULL, 0, err, sizeof err), -1);
    t[1].ndim = 1;
    t[1].shape[0] = -1;
    assert_int_equal(io_st_write(path, t, 2, NULL, NULL, 0, err, sizeof err), -1);
    t[1].shape[0] = 2;
    t[1].data = NULL;
    assert_int_equal(io_st_write(path, t, 2, NULL, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "no data"));
    t[1].data = x;
    const char *k[2] = {"k", "k"}, *v[2] = {"1", "2"};
    assert_int_equal(io_st_write(path, t, 2, k, v, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "metadata key 'k' appears twice"));
    assert_int_equal(io_st_write(path, t, 2, k, NULL, 1, err, sizeof err), -1);
    char nodir[700];
    snprintf(nodir, sizeof nodir, "%s/no/x.safetensors", test_tmpdir);
    assert_int_equal(io_st_write(nodir, t, 2, NULL, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, nodir));
    DIR *d = opendir(test_tmpdir);
    struct dirent *e;
    while ((e = readdir(d))) assert_null(strstr(e->d_name, ".tmp."));
    closedir(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_output_is_byte_exact, setup_dir, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup_dir, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_reads_foreign_layouts, setup_dir, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_headers, setup_dir, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup_dir, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_writer_refuses_bad_input, setup_dir, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_check_against_model, setup_dir, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_meta_int_is_strict, setup_dir, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_fifo_refused, setup_dir, test_tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
