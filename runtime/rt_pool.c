/* Runtime thread pool: workers sleep on a condition variable between jobs; tasks are claimed
 * with an atomic counter (dynamic balancing), and the caller works alongside the workers. */
#include "rt_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "rt_error.h"

struct rt_pool {
    int n_threads;
    pthread_t *threads;           /* n_threads - 1 workers */
    pthread_mutex_t run_lock;     /* serialises parallel_for calls from different threads */
    pthread_mutex_t lock;
    pthread_cond_t start, done;
    unsigned long generation;     /* bumped per job, so workers never run one job twice */
    int busy;                     /* workers still inside the current job */
    int stop;
    /* the current job */
    rt_task_fn fn;
    void *ctx;
    int n_tasks;
    atomic_int next;
};

/* The pool (and thread index) whose tasks this thread is running, so that a nested
 * parallel_for on the same pool runs inline, with the same thread index and therefore the
 * same per-thread scratch, instead of deadlocking on a pool it is already part of. */
static _Thread_local rt_pool *running_pool;
static _Thread_local int running_thread;

typedef struct {
    rt_pool *pool;
    int id;
} worker_arg;

static void run_tasks(rt_pool *p, int thread) {
    rt_pool *outer_pool = running_pool;
    int outer_thread = running_thread;
    running_pool = p;
    running_thread = thread;
    for (;;) {
        int t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (t >= p->n_tasks)
            break;
        p->fn(p->ctx, t, thread);
    }
    running_pool = outer_pool;
    running_thread = outer_thread;
}

static void *worker_main(void *arg) {
    worker_arg a = *(worker_arg *)arg;
    free(arg);
    rt_pool *p = a.pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->generation == seen)
            pthread_cond_wait(&p->start, &p->lock);
        if (p->stop)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_tasks(p, a.id);
        pthread_mutex_lock(&p->lock);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

rt_pool *rt_pool_create(int n_threads) {
    if (n_threads < 1) {
        rt_error("thread pool: %d threads requested (need at least 1)", n_threads);
        return NULL;
    }
    rt_pool *p = calloc(1, sizeof *p);
    if (!p || (n_threads > 1 && !(p->threads = calloc((size_t)n_threads - 1, sizeof *p->threads)))) {
        free(p);
        rt_error("thread pool: out of memory");
        return NULL;
    }
    p->n_threads = 1;
    pthread_mutex_init(&p->run_lock, NULL);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->next, 0);
    for (int i = 1; i < n_threads; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (a) {
            a->pool = p;
            a->id = i;
        }
        if (!a || pthread_create(&p->threads[i - 1], NULL, worker_main, a) != 0) {
            free(a);
            rt_error("thread pool: could not start thread %d of %d", i + 1, n_threads);
            rt_pool_destroy(p);   /* joins the n_threads - 1 workers started so far */
            return NULL;
        }
        p->n_threads++;
    }
    return p;
}

void rt_pool_destroy(rt_pool *p) {
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_threads - 1; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->run_lock);
    free(p->threads);
    free(p);
}

int rt_pool_size(const rt_pool *p) { return p ? p->n_threads : 1; }

void rt_pool_parallel_for(rt_pool *p, int n_tasks, rt_task_fn fn, void *ctx) {
    if (n_tasks <= 0)
        return;
    if (p && p == running_pool) {
        for (int t = 0; t < n_tasks; t++)
            fn(ctx, t, running_thread);
        return;
    }
    if (!p || p->n_threads == 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++)
            fn(ctx, t, 0);
        return;
    }
    pthread_mutex_lock(&p->run_lock);
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->busy = p->n_threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);

    run_tasks(p, 0);

    /* the lock hand-off orders every worker's writes before our return */
    pthread_mutex_lock(&p->lock);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->run_lock);
}
