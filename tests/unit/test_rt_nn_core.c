/* Unit tests of the runtime's foundations: the random generator (known answers,
 * reproducibility, distributions) and the thread pool (coverage, nesting, concurrency). */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>

#include "rt_error.h"
#include "rt_pool.h"
#include "rt_rng.h"

/* Known answers from an independent Python transcription of splitmix64 + xoshiro256**
 * (Vigna's reference code): seed 0 and 42, first three outputs. */
static void test_rng_known_answers(void **state) {
    (void)state;
    rt_rng r;
    rt_rng_seed(&r, 0);
    assert_true(rt_rng_u64(&r) == 0x99ec5f36cb75f2b4ull);
    assert_true(rt_rng_u64(&r) == 0xbf6e1f784956452aull);
    assert_true(rt_rng_u64(&r) == 0x1a5f849d4933e6e0ull);
    rt_rng_seed(&r, 42);
    assert_true(rt_rng_u64(&r) == 0x15780b2e0c2ec716ull);
    assert_true(rt_rng_u64(&r) == 0x6104d9866d113a7eull);
    assert_true(rt_rng_u64(&r) == 0xae17533239e499a1ull);
}

static void test_rng_reproducible(void **state) {
    (void)state;
    rt_rng a, b, c;
    rt_rng_seed(&a, 7);
    rt_rng_seed(&b, 7);
    rt_rng_seed(&c, 8);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        double na = rt_rng_normal(&a), nb = rt_rng_normal(&b);
        assert_memory_equal(&na, &nb, sizeof na);           /* bit for bit */
        differ += rt_rng_uniform(&a) != rt_rng_uniform(&c);
        (void)rt_rng_uniform(&b);
    }
    assert_true(differ > 990);
    rt_rng fork = a;                                         /* a copy continues identically */
    for (int i = 0; i < 10; i++)
        assert_true(rt_rng_u64(&fork) == rt_rng_u64(&a));
    double x[5], y[5];
    rt_rng_seed(&a, 3);
    rt_init_fill(x, 5, rt_init_uniform(0.0, 6.283185307179586), &a);
    rt_rng_seed(&a, 3);
    rt_init_fill(y, 5, rt_init_uniform(0.0, 6.283185307179586), &a);
    assert_memory_equal(x, y, sizeof x);
}

static void test_rng_distributions(void **state) {
    (void)state;
    rt_rng r;
    rt_rng_seed(&r, 123);
    int n = 200000;
    double su = 0, su2 = 0, sn = 0, sn2 = 0, umin = 1, umax = 0;
    for (int i = 0; i < n; i++) {
        double u = rt_rng_uniform(&r), z = rt_rng_normal(&r);
        assert_true(u >= 0.0 && u < 1.0);
        umin = fmin(umin, u), umax = fmax(umax, u);
        su += u, su2 += u * u, sn += z, sn2 += z * z;
    }
    assert_close(su / n, 0.5, 0.005);
    assert_close(su2 / n - (su / n) * (su / n), 1.0 / 12, 0.002);
    assert_close(sn / n, 0.0, 0.01);
    assert_close(sn2 / n, 1.0, 0.01);
    assert_true(umin < 1e-4 && umax > 1 - 1e-4);
    double v[1000];
    rt_init_fill(v, 1000, rt_init_uniform(-2.0, 3.0), &r);
    for (int i = 0; i < 1000; i++)
        assert_true(v[i] >= -2.0 && v[i] < 3.0);
    rt_init_fill(v, 1000, rt_init_const(0.25), NULL);
    assert_close(v[999], 0.25, 0);
}

typedef struct {
    atomic_int hits[1000];
    int threads;
    atomic_int bad_thread;
    rt_pool *pool;
} job;

static void count_task(void *ctx, int task, int thread) {
    job *j = ctx;
    atomic_fetch_add(&j->hits[task], 1);
    if (thread < 0 || thread >= j->threads)
        atomic_store(&j->bad_thread, 1);
}

static void test_pool_covers_tasks(void **state) {
    (void)state;
    const int sizes[] = {1, 2, 4, 7};
    job *j = calloc(1, sizeof *j);
    for (int s = 0; s < 4; s++) {
        rt_pool *p = rt_pool_create(sizes[s]);
        assert_non_null(p);
        assert_int_equal(rt_pool_size(p), sizes[s]);
        for (int rep = 0; rep < 200; rep++) {      /* many jobs: exercises the hand-off */
            int n = 1 + (rep * 37) % 1000;
            for (int t = 0; t < 1000; t++)
                atomic_store(&j->hits[t], 0);
            j->threads = sizes[s];
            rt_pool_parallel_for(p, n, count_task, j);
            for (int t = 0; t < 1000; t++)
                assert_int_equal(atomic_load(&j->hits[t]), t < n ? 1 : 0);
        }
        assert_int_equal(atomic_load(&j->bad_thread), 0);
        rt_pool_parallel_for(p, 0, count_task, j);   /* no tasks: nothing runs */
        rt_pool_destroy(p);
    }
    /* NULL pool: inline, thread 0 */
    j->threads = 1;
    assert_int_equal(rt_pool_size(NULL), 1);
    rt_pool_parallel_for(NULL, 5, count_task, j);
    assert_int_equal(atomic_load(&j->bad_thread), 0);
    free(j);
    assert_null(rt_pool_create(0));
    assert_non_null(strstr(rt_error_last(), "at least 1"));
}

typedef struct {
    rt_pool *pool;
    atomic_int mismatch, inner_runs;
} nest_ctx;

static _Thread_local int outer_thread_id;

static void inner_task(void *ctx, int task, int thread) {
    (void)task;
    nest_ctx *c = ctx;
    if (thread != outer_thread_id)      /* inline on the same thread, with the same index */
        atomic_store(&c->mismatch, 1);
    atomic_fetch_add(&c->inner_runs, 1);
}

static void outer_task(void *ctx, int task, int thread) {
    (void)task;
    nest_ctx *c = ctx;
    outer_thread_id = thread;
    rt_pool_parallel_for(c->pool, 3, inner_task, c);
}

static void test_pool_nested(void **state) {
    (void)state;
    nest_ctx c = {.pool = rt_pool_create(4)};
    atomic_init(&c.mismatch, 0);
    atomic_init(&c.inner_runs, 0);
    rt_pool_parallel_for(c.pool, 16, outer_task, &c);
    assert_int_equal(atomic_load(&c.inner_runs), 48);
    assert_int_equal(atomic_load(&c.mismatch), 0);
    rt_pool_destroy(c.pool);
}

typedef struct {
    rt_pool *pool;
    int ok;
} caller_arg;

static void sum_task(void *ctx, int task, int thread) {
    (void)thread;
    double *v = ctx;
    v[task] = task * 2.0;
}

static void *caller_main(void *arg) {
    caller_arg *a = arg;
    double v[64];
    a->ok = 1;
    for (int rep = 0; rep < 300; rep++) {
        memset(v, 0, sizeof v);
        rt_pool_parallel_for(a->pool, 64, sum_task, v);
        for (int t = 0; t < 64; t++)
            if (v[t] != t * 2.0)
                a->ok = 0;
    }
    return NULL;
}

/* Two threads sharing one pool: their jobs are serialised, none is lost. */
static void test_pool_concurrent_callers(void **state) {
    (void)state;
    rt_pool *p = rt_pool_create(3);
    caller_arg a = {p, 0}, b = {p, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, caller_main, &a);
    pthread_create(&tb, NULL, caller_main, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_true(a.ok && b.ok);
    rt_pool_destroy(p);
    rt_pool_destroy(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_known_answers), cmocka_unit_test(test_rng_reproducible),
        cmocka_unit_test(test_rng_distributions), cmocka_unit_test(test_pool_covers_tasks),
        cmocka_unit_test(test_pool_nested),       cmocka_unit_test(test_pool_concurrent_callers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
