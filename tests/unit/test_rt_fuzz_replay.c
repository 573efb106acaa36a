/* Replays the saved corpora of the runtime's file-reader fuzz targets in `make test`: every
 * file of tests/fuzz/corpus_rt_NAME/ (hand-made seeds and every crasher run_fuzz.sh found)
 * goes through the LLVMFuzzerTestOneInput of tests/fuzz/fuzz_rt_NAME.c, compiled here under
 * a per-target name (fuzz_rt_settings.c has its own replay, test_rt_fuzz_settings.c). Passing means no crash, no sanitizer report (under `make asan`), and no
 * hang; a crasher saved by run_fuzz.sh fails this test until the reader is fixed. */
#include "testutil.h"

#define LLVMFuzzerTestOneInput fuzz_one_safetensors
#include "../fuzz/fuzz_rt_safetensors.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_csv
#include "../fuzz/fuzz_rt_csv.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_png
#include "../fuzz/fuzz_rt_png.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_sound
#include "../fuzz/fuzz_rt_sound.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_checkpoint
#include "../fuzz/fuzz_rt_checkpoint.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_npy
#include "../fuzz/fuzz_rt_npy.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_imageset
#include "../fuzz/fuzz_rt_imageset.c"
#undef LLVMFuzzerTestOneInput
typedef int (*fuzz_fn)(const uint8_t *, size_t);

/* tests/fuzz, found from this file's own path (the tests run from the repository root; an
 * absolute __FILE__ works from anywhere), or $QNN_FUZZ_DIR. */
static void corpus_root(char *out, size_t n) {
    const char *env = getenv("QNN_FUZZ_DIR");
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return;
    }
    const char *f = __FILE__, *cut = strstr(f, "unit/test_rt_fuzz_replay.c");
    snprintf(out, n, "%.*sfuzz", cut ? (int)(cut - f) : 0, f);
}

/* Feeds every regular file of tests/fuzz/corpus_rt_NAME to fn; returns how many. */
static int replay(const char *name, fuzz_fn fn) {
    char root[512], dir[768];
    corpus_root(root, sizeof root);
    snprintf(dir, sizeof dir, "%s/corpus_rt_%s", root, name);
    DIR *d = opendir(dir);
    if (!d) return -1;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t pn = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(pn);
        assert_non_null(p);
        snprintf(p, pn, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            FILE *f = fopen(p, "rb");
            assert_non_null(f);
            uint8_t *buf = malloc((size_t)st.st_size + 1);
            assert_non_null(buf);
            size_t got = fread(buf, 1, (size_t)st.st_size, f);
            fclose(f);
            assert_int_equal(got, (size_t)st.st_size);
            assert_int_equal(fn(buf, got), 0);
            free(buf);
            count++;
        }
        free(p);
    }
    closedir(d);
    return count;
}

/* Each committed corpus has at least its seeds: an empty or missing folder means the
 * replay is not testing anything. */
static void expect_replayed(const char *name, fuzz_fn fn) {
    int n = replay(name, fn);
    if (n < 1) fail_msg("tests/fuzz/corpus_rt_%s: %s", name, n < 0 ? "missing" : "empty");
}

static void test_safetensors_corpus(void **state) {
    (void)state;
    expect_replayed("safetensors", fuzz_one_safetensors);
}
static void test_csv_corpus(void **state) {
    (void)state;
    expect_replayed("csv", fuzz_one_csv);
}
static void test_png_corpus(void **state) {
    (void)state;
    expect_replayed("png", fuzz_one_png);
}
static void test_sound_corpus(void **state) {
    (void)state;
    expect_replayed("sound", fuzz_one_sound);
}

static void test_checkpoint_corpus(void **state) {
    (void)state;
    expect_replayed("checkpoint", fuzz_one_checkpoint);
}

static void test_npy_corpus(void **state) {
    (void)state;
    expect_replayed("npy", fuzz_one_npy);
}

static void test_imageset_corpus(void **state) {
    (void)state;
    expect_replayed("imageset", fuzz_one_imageset);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safetensors_corpus),
        cmocka_unit_test(test_csv_corpus),
        cmocka_unit_test(test_png_corpus),
        cmocka_unit_test(test_sound_corpus),
        cmocka_unit_test(test_checkpoint_corpus),
        cmocka_unit_test(test_npy_corpus),
        cmocka_unit_test(test_imageset_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
