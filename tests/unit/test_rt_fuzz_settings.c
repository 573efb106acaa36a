/* Replays the corpus of the `--set` fuzzer (tests/fuzz/corpus_rt_settings/) through its target
 * (tests/fuzz/fuzz_rt_settings.c), so `make test` checks every saved input without clang or
 * libFuzzer: the target aborts on a broken invariant, which fails this test. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <dirent.h>

#include "../fuzz/fuzz_rt_settings.c"

/* The corpus next to this file's source (make compiles it as tests/unit/...: run from the root). */
static char *corpus_dir(void) {
    const char *me = __FILE__;
    const char *slash = strrchr(me, '/');
    size_t n = slash ? (size_t)(slash - me) : 0;
    char *d = malloc(n + 64);
    if (d) snprintf(d, n + 64, "%.*s%s../fuzz/corpus_rt_settings", (int)n, me, n ? "/" : "");
    return d;
}

static void test_replay_corpus(void **state) {
    (void)state;
    char *dir = corpus_dir();
    assert_non_null(dir);
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open the corpus %s (run from the repository root)", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        assert_non_null(path);
        snprintf(path, len, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        unsigned char buf[1 << 16];
        size_t got = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, got);
        free(path);
        n++;
    }
    closedir(d);
    free(dir);
    assert_true(n >= 10); /* the corpus is there, not an empty folder */
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replay_corpus)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
