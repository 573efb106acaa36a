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

/* Fails the test with both values when |a - b| > tol * max(1, |a|, |b|). */
#define assert_close(a, b, tol) do { \
    double qa_ = (a), qb_ = (b), qs_ = fmax(1.0, fmax(fabs(qa_), fabs(qb_))); \
    if (!(fabs(qa_ - qb_) <= (tol) * qs_)) \
        fail_msg("%s = %.17g, %s = %.17g, differ by %.3g (tol %.3g)", #a, qa_, #b, qb_, \
                 fabs(qa_ - qb_), (double)(tol)); \
} while (0)

/* Folder with the project's data (QNN_DATA_DIR), or NULL when unset or missing. */
static inline const char *test_data_dir(void) {
    const char *d = getenv("QNN_DATA_DIR");
    return (d && *d) ? d : NULL;
}
#endif
