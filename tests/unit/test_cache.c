/* Unit tests of the compiled-code cache (compiler/cache.c): what the key depends on (and that
 * it is exact where ir_to_text rounds), entry round trips, damaged and truncated entries
 * detected, an entry of another key treated as a miss, the default folder's precedence, and a
 * folder that cannot be written. The JIT side is tests/e2e/jit_cache.sh. */
#include "testutil.h"

#include "cache.h"
#include "ir.h"

/* A small circuit: RY(theta) on wire 0, RY(x) on wire 1, CZ, <Z0>. */
static ir_circuit *small_circuit(double theta) {
    ir_circuit *c = ir_new("small", 2, 1);
    int a = ir_binary(c, IR_EXPR_MUL, ir_param(c, 0), ir_const(c, theta));
    ir_add_gate(c, IR_RY, 0, -1, a, -1, -1);
    ir_add_gate(c, IR_RY, 1, -1, ir_input(c, 0), -1, -1);
    ir_add_gate(c, IR_CZ, 0, 1, -1, -1, -1);
    ir_begin_observable(c);
    ir_add_term(c, 1.0, "ZI");
    return c;
}

static const cg_options BASE = {64, 8, 3, CG_GRAD_ADJOINT, 0, 0, 0};

/* The key of c under o and target features f; the caller frees it. */
static cache_key key_of(const ir_circuit *c, const cg_options *o, const char *features,
                        const char *prefix) {
    cache_key k;
    assert_int_equal(cache_key_begin(&k, "jit", "x86_64-pc-linux-gnu", "znver5", features), 0);
    cache_key_add(&k, c, o, prefix);
    assert_int_equal(cache_key_end(&k), 0);
    return k;
}

static int same_key(const cache_key *a, const cache_key *b) {
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0 && a->hash == b->hash;
}

static void test_key_depends_on_everything(void **state) {
    (void)state;
    ir_circuit *c = small_circuit(0.5);
    cache_key k0 = key_of(c, &BASE, "+avx512f", NULL), k1 = key_of(c, &BASE, "+avx512f", NULL);
    assert_true(same_key(&k0, &k1)); /* deterministic */
    cg_options o[4] = {BASE, BASE, BASE, BASE};
    o[0].precision = 32;
    o[1].lanes = 4;
    o[2].opt_level = 2;
    o[3].grad = CG_GRAD_SHIFT;
    for (int i = 0; i < 4; i++) {
        cache_key k = key_of(c, &o[i], "+avx512f", NULL);
        assert_false(same_key(&k0, &k));
        cache_key_free(&k);
    }
    cache_key kf = key_of(c, &BASE, "+avx2", NULL), kp = key_of(c, &BASE, "+avx512f", "sym");
    assert_false(same_key(&k0, &kf));
    assert_false(same_key(&k0, &kp));
    /* A constant one ulp away prints the same in ir_to_text (15 digits) but is another key. */
    ir_circuit *d = small_circuit(nextafter(0.5, 1.0));
    char *t0 = ir_to_text(c), *t1 = ir_to_text(d);
    assert_string_equal(t0, t1);
    cache_key kd = key_of(d, &BASE, "+avx512f", NULL);
    assert_false(same_key(&k0, &kd));
    /* Source locations do not change the code: the same key. */
    ir_set_loc(d, 0, 42, 7);
    ir_circuit *e = small_circuit(0.5);
    ir_set_loc(e, 0, 99, 3);
    cache_key ke = key_of(e, &BASE, "+avx512f", NULL);
    assert_true(same_key(&k0, &ke));
    /* Prefixes: C identifiers, the same for the same key, different for another. */
    char p0[96], p1[96], pd[96];
    cache_key_prefix(&k0, "my-layer.2", p0, sizeof p0);
    cache_key_prefix(&k1, "my-layer.2", p1, sizeof p1);
    cache_key_prefix(&kd, "my-layer.2", pd, sizeof pd);
    assert_string_equal(p0, p1);
    assert_string_not_equal(p0, pd);
    for (const char *p = p0; *p; p++) assert_true(*p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));
    free(t0);
    free(t1);
    cache_key_free(&k0);
    cache_key_free(&k1);
    cache_key_free(&kf);
    cache_key_free(&kp);
    cache_key_free(&kd);
    cache_key_free(&ke);
    ir_free(c);
    ir_free(d);
    ir_free(e);
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(1 << 20);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void test_entries(void **state) {
    (void)state;
    ir_circuit *c = small_circuit(0.25), *d = small_circuit(0.75);
    cache_key k = key_of(c, &BASE, "+avx512f", NULL), kd = key_of(d, &BASE, "+avx512f", NULL);
    code_cache cc;
    cache_open(&cc, test_tmp_path("cache/sub"), "test");
    unsigned char obj[3000], *got = NULL;
    for (size_t i = 0; i < sizeof obj; i++) obj[i] = (unsigned char)(i * 7 + 3);
    size_t len = 0;
    char note[1200] = "";
    assert_int_equal(cache_lookup(&cc, &k, &got, &len, note, sizeof note), CACHE_MISS); /* no folder yet */
    assert_int_equal(cache_store(&cc, &k, obj, sizeof obj), 0);
    struct stat st;
    assert_int_equal(stat(test_tmp_path("cache/sub"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700); /* the folder holds code: private */
    assert_int_equal(cache_lookup(&cc, &k, &got, &len, note, sizeof note), CACHE_HIT);
    assert_int_equal(len, sizeof obj);
    assert_memory_equal(got, obj, sizeof obj);
    free(got);
    assert_int_equal(cache_lookup(&cc, &kd, &got, &len, note, sizeof note), CACHE_MISS);

    char path[4200], other[4200];
    cache_entry_path(&cc, &k, path, sizeof path);
    cache_entry_path(&cc, &kd, other, sizeof other);
    size_t n;
    unsigned char *entry = read_all(path, &n);
    /* another key's entry under this name (a hash collision): a miss, not damage */
    write_file(other, entry, n);
    assert_int_equal(cache_lookup(&cc, &kd, &got, &len, note, sizeof note), CACHE_MISS);
    assert_null(got);
    /* one byte changed in the object, or in the stored key */
    size_t flips[] = {n - 10, n / 2, 60 /* in the stored key */};
    for (size_t f = 0; f < sizeof flips / sizeof *flips; f++) {
        size_t at = flips[f];
        unsigned char *bad = malloc(n);
        memcpy(bad, entry, n);
        bad[at] ^= 0x10;
        write_file(path, bad, n);
        note[0] = '\0';
        assert_int_equal(cache_lookup(&cc, &k, &got, &len, note, sizeof note), CACHE_CORRUPT);
        assert_non_null(strstr(note, path));
        free(bad);
    }
    /* truncated at several points, and empty */
    size_t cuts[] = {n - 1, n / 2, 20, 5, 0};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_file(path, entry, cuts[i]);
        assert_int_equal(cache_lookup(&cc, &k, &got, &len, note, sizeof note), CACHE_CORRUPT);
        assert_null(got);
    }
    /* a store replaces the damaged entry */
    assert_int_equal(cache_store(&cc, &k, obj, sizeof obj), 0);
    assert_int_equal(cache_lookup(&cc, &k, &got, &len, note, sizeof note), CACHE_HIT);
    free(got);
    free(entry);
    cache_close(&cc);

    /* a folder that cannot be created: the store fails once, then no more attempts */
    write_file(test_tmp_path("plainfile"), "x", 1);
    cache_open(&cc, test_tmp_path("plainfile/cache"), "test");
    assert_int_equal(cache_store(&cc, &k, obj, sizeof obj), -1);
    assert_int_equal(cc.store_failed, 1);
    assert_int_equal(cache_store(&cc, &k, obj, sizeof obj), -1);
    assert_int_equal(cache_lookup(&cc, &k, &got, &len, note, sizeof note), CACHE_MISS);
    cache_close(&cc);
    /* no folder: nothing stored, nothing found */
    cache_open(&cc, NULL, "test");
    assert_int_equal(cache_store(&cc, &k, obj, sizeof obj), -1);
    assert_int_equal(cache_lookup(&cc, &k, &got, &len, note, sizeof note), CACHE_MISS);
    cache_close(&cc);
    cache_key_free(&k);
    cache_key_free(&kd);
    ir_free(c);
    ir_free(d);
}

static void expect_dir(const char *want) {
    const char *why = NULL;
    char *d = cache_default_dir(&why);
    if (!want) {
        assert_null(d);
        assert_non_null(why);
    } else {
        assert_non_null(d);
        assert_string_equal(d, want);
    }
    free(d);
}

static void test_default_dir(void **state) {
    (void)state;
    setenv("QNN_CACHE_DIR", "/q", 1);
    setenv("XDG_CACHE_HOME", "/x", 1);
    setenv("HOME", "/h", 1);
    expect_dir("/q");
    unsetenv("QNN_CACHE_DIR");
    expect_dir("/x/qnn");
    setenv("XDG_CACHE_HOME", "relative", 1); /* the XDG specification: ignored */
    expect_dir("/h/.cache/qnn");
    setenv("QNN_CACHE_DIR", "", 1);
    unsetenv("XDG_CACHE_HOME");
    expect_dir("/h/.cache/qnn");
    unsetenv("HOME");
    expect_dir(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_depends_on_everything),
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_default_dir),
    };
    return cmocka_run_group_tests(tests, test_tmp_setup, test_tmp_teardown);
}
