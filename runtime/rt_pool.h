/* Runtime thread pool: a fixed set of pthreads created once; parallel_for hands out task
 * indices 0..n_tasks-1 and returns when all are done. The caller's thread takes part as
 * thread 0, so a 1-thread pool (or a NULL pool) runs everything inline with no threads. */
#ifndef QNN_RT_POOL_H
#define QNN_RT_POOL_H

typedef struct rt_pool rt_pool;

/* `thread` is in [0, rt_pool_size): index per-thread scratch with it. Which thread runs which
 * task is not fixed, so results must not depend on it (write per task, reduce in task order). */
typedef void (*rt_task_fn)(void *ctx, int task, int thread);

/* n_threads >= 1 (the caller counts as one); NULL on failure (rt_error). */
rt_pool *rt_pool_create(int n_threads);
/* Joins the workers; NULL is a no-op. Must not be called while a parallel_for runs. */
void rt_pool_destroy(rt_pool *p);
/* Number of threads including the caller's; 1 for NULL. */
int rt_pool_size(const rt_pool *p);

/* Runs fn(ctx, t, thread) for t = 0..n_tasks-1. One parallel_for at a time per pool (calls from
 * several threads are serialised); a call from inside a task runs inline on that thread. */
void rt_pool_parallel_for(rt_pool *p, int n_tasks, rt_task_fn fn, void *ctx);

#endif
