/* Shared includes and helpers for the cmocka unit tests. */
#ifndef QNN_TESTUTIL_H
#define QNN_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fails the test with both values when |a - b| > tol * max(1, |a|, |b|). */
#define assert_close(a, b, tol) do { \
    double qa_ = (a), qb_ = (b), qs_ = fmax(1.0, fmax(fabs(qa_), fabs(qb_))); \
    if (!(fabs(qa_ - qb_) <= (tol) * qs_)) \
        fail_msg("%s = %.17g, %s = %.17g, differ by %.3g (tol %.3g)", #a, qa_, #b, qb_, \
                 fabs(qa_ - qb_), (double)(tol)); \
} while (0)

/* A private temporary folder per test binary: test_tmp_setup / test_tmp_teardown are cmocka
 * group fixtures; test_tmp_path names a file in it (a ring of 4 buffers, so that a few names
 * can be alive at once). Teardown removes everything below, read-only folders included. */
static char test_tmpdir[256];

static inline int test_tmp_setup(void **state) {
    (void)state;
    snprintf(test_tmpdir, sizeof test_tmpdir, "/tmp/qnn_test_XXXXXX");
    return mkdtemp(test_tmpdir) ? 0 : -1;
}

static inline void test_rm_rf(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *sub = malloc(n);
            if (!sub) break;
            snprintf(sub, n, "%s/%s", path, e->d_name);
            test_rm_rf(sub);
            free(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline int test_tmp_teardown(void **state) {
    (void)state;
    test_rm_rf(test_tmpdir);
    return 0;
}

static inline char *test_tmp_path(const char *name) {
    static char buf[4][768];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", test_tmpdir, name);
    return buf[k];
}

/* Folder with the project's data (QNN_DATA_DIR), or NULL when unset or missing. */
static inline const char *test_data_dir(void) {
    const char *d = getenv("QNN_DATA_DIR");
    return (d && *d) ? d : NULL;
}
#endif
