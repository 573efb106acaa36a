/* Runtime quantum layer: chunked, pooled calls of a compiled circuit's forward and vjp.
 * All scratch is sized in reserve (per thread: work; per chunk: gradients and, for float
 * circuits, staging), each piece on its own cache lines so threads never share a line. */
#include "rt_qlayer.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_dist.h"
#include "rt_error.h"
#include "rt_layer_impl.h"
#include "rt_limits.h"
#include "rt_mem.h"
#include "rt_shots.h"

typedef struct {
    rt_layer base;
    const rt_circuit *c;
    rt_pool *pool;
    int chunk;
    int n_threads, n_chunks_max;         /* as sized by the latest reserve */
    unsigned char *work;                 /* n_threads x work_stride bytes */
    size_t work_stride;
    unsigned char *slab;                 /* n_chunks_max x slab_stride bytes, per chunk: */
    size_t slab_stride;                  /*   grad params (double or float), then for float */
    size_t off_in, off_out, off_din;     /*   circuits: inputs, outputs / dy, dinputs */
    float *params_f;                     /* float copy of the parameters (precision 32) */
    /* shots (rt_shots.h): the circuit's raw outputs, their estimates and raw gradients, each
     * max_batch x n_raw; NULL plan: the circuit's outputs are the layer's */
    const rt_shots_plan *plan;
    int shots;                           /* 0: exact */
    uint64_t seed, layer_id, calls;      /* the stream of the current forward call */
    int64_t sample_base;                 /* the call's first sample in the whole batch (MPI) */
    double *raw, *est, *graw;
    /* uniform() draws (docs/semantics.md §10.3): the circuit's last n_uniform inputs are not
     * the layer's; each forward appends fresh draws to every sample (xu), which the next
     * backward reuses, and the backward's input gradient goes through dxu */
    int n_uniform;
    rt_rng draws;
    double *xu, *dxu;                    /* max_batch x traj x n_inputs each */
    /* trajectories (rt_qlayer_set_trajectories): traj runs per sample (1: none); the circuit's
     * outputs and output gradients of all of them, and the standard errors since a reset */
    int traj;
    double *yk, *dyk;                    /* max_batch x traj x n_outputs each */
    double se_sum, se_max;
    long long se_count;
    /* kept states (rt_circuit.h's forward_keep / vjp_kept): each forward writes every lane
     * group's final state to kept (kept_stride bytes per chunk), and a backward with the same
     * circuit batch, inputs and parameters starts its vjp from them instead of re-running the
     * forward simulation. kept is NULL (the vjp recomputes) when the circuit has no such pair
     * or n_chunks_max x kept_stride exceeds keep_limit. */
    unsigned char *kept;
    size_t kept_stride, keep_limit;
    int kept_valid, kept_batch;          /* what the latest forward kept */
    double *kept_x, *kept_params;        /* its circuit inputs and parameters, to compare */
    int use_kept;                        /* the call in progress writes / reads kept */
    /* the call in progress, read by the tasks */
    const double *x, *dy;
    double *y, *dx;
    int batch;
} q_layer;

static int is_f32(const q_layer *q) { return q->c->precision == 32; }

static void to_float(float *dst, const double *src, size_t n) {
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

static void to_double(double *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

static void chunk_range(const q_layer *q, int task, int *start, int *count) {
    *start = task * q->chunk;
    *count = q->batch - *start < q->chunk ? q->batch - *start : q->chunk;
}

static void forward_task(void *ctx, int task, int thread) {
    q_layer *q = ctx;
    const rt_circuit *c = q->c;
    int s0, nb;
    chunk_range(q, task, &s0, &nb);
    void *work = q->work + (size_t)thread * q->work_stride;
    const double *x = q->x + (size_t)s0 * c->n_inputs;
    double *y = (q->plan ? q->raw : q->y) + (size_t)s0 * c->n_outputs;
    void *states = q->use_kept ? q->kept + (size_t)task * q->kept_stride : NULL;
    if (!is_f32(q)) {
        if (states)
            c->forward_keep(q->base.params, x, y, nb, work, states);
        else
            c->forward(q->base.params, x, y, nb, work);
    } else {
        unsigned char *slab = q->slab + (size_t)task * q->slab_stride;
        float *xf = (float *)(slab + q->off_in), *yf = (float *)(slab + q->off_out);
        to_float(xf, x, (size_t)nb * c->n_inputs);
        if (states)
            c->forward_keep(q->params_f, xf, yf, nb, work, states);
        else
            c->forward(q->params_f, xf, yf, nb, work);
        to_double(y, yf, (size_t)nb * c->n_outputs);
    }
    if (!q->plan)
        return;
    /* each sample's estimates from its own stream: the same whatever thread or chunk */
    uint64_t key = rt_shots_key(q->seed, q->layer_id, q->calls);
    size_t nr = (size_t)q->plan->n_raw, no = (size_t)q->plan->n_outputs;
    for (int i = s0; i < s0 + nb; i++) {
        const double *raw = q->raw + (size_t)i * nr;
        double *est = q->est + (size_t)i * nr;
        if (q->shots > 0)
            rt_shots_sample_raw(q->plan, q->shots, key, q->sample_base + i, 0, raw, est);
        else
            memcpy(est, raw, nr * sizeof *est);
        rt_shots_outputs(q->plan, q->shots, est, q->y + (size_t)i * no);
    }
}

static void backward_task(void *ctx, int task, int thread) {
    q_layer *q = ctx;
    const rt_circuit *c = q->c;
    int s0, nb;
    chunk_range(q, task, &s0, &nb);
    void *work = q->work + (size_t)thread * q->work_stride;
    unsigned char *slab = q->slab + (size_t)task * q->slab_stride;
    const double *x = q->x + (size_t)s0 * c->n_inputs;
    const double *dy = q->dy + (size_t)s0 * c->n_outputs;
    double *dx = q->dx ? q->dx + (size_t)s0 * c->n_inputs : NULL;
    rt_shots_ctx sctx = {q->plan, q->shots, rt_shots_key(q->seed, q->layer_id, q->calls),
                         q->sample_base + s0};
    if (q->plan) { /* the gradients of the raw outputs, through the estimators */
        size_t nr = (size_t)q->plan->n_raw, no = (size_t)q->plan->n_outputs;
        for (int i = s0; i < s0 + nb; i++)
            rt_shots_raw_grad(q->plan, q->shots, q->est + (size_t)i * nr, q->dy + (size_t)i * no,
                              q->graw + (size_t)i * nr);
        dy = q->graw + (size_t)s0 * nr;
        /* the shifted runs of the vjp sample through this thread's context */
        rt_shots_set_context(q->shots > 0 ? &sctx : NULL);
    }
    const void *states = q->use_kept ? q->kept + (size_t)task * q->kept_stride : NULL;
    if (!is_f32(q)) {
        memset(slab, 0, (size_t)c->n_params * sizeof(double));
        if (states)
            c->vjp_kept(q->base.params, x, dy, slab, dx, nb, work, states);
        else
            c->vjp(q->base.params, x, dy, slab, dx, nb, work);
        rt_shots_set_context(NULL);
        return;
    }
    float *xf = (float *)(slab + q->off_in), *dyf = (float *)(slab + q->off_out);
    float *dxf = q->dx ? (float *)(slab + q->off_din) : NULL;
    memset(slab, 0, (size_t)c->n_params * sizeof(float));
    to_float(xf, x, (size_t)nb * c->n_inputs);
    to_float(dyf, dy, (size_t)nb * c->n_outputs);
    if (states)
        c->vjp_kept(q->params_f, xf, dyf, slab, dxf, nb, work, states);
    else
        c->vjp(q->params_f, xf, dyf, slab, dxf, nb, work);
    rt_shots_set_context(NULL);
    if (dx)
        to_double(dx, dxf, (size_t)nb * c->n_inputs);
}

static int n_chunks(const q_layer *q, int batch) { return (batch + q->chunk - 1) / q->chunk; }

/* Advances the draw stream by the draws of count samples (their traj rows each). */
static void skip_draws(q_layer *q, size_t count) {
    for (size_t i = 0; i < count * (size_t)q->traj * (size_t)q->n_uniform; i++) (void)rt_rng_uniform(&q->draws);
}

/* Each sample's data inputs followed by its fresh draws, traj rows per sample, in sample
 * order (one stream, so the draws do not depend on the thread count). A batch split over MPI
 * ranks draws by the sample's place in the whole batch: the stream skips the other ranks'
 * samples, so N ranks draw what one process draws. */
static const double *with_draws(q_layer *q, const double *x, int batch) {
    int n = q->c->n_inputs, nd = n - q->n_uniform;
    size_t lo = 0, total = (size_t)batch;
    int split = rt_dist_slice(&lo, &total) && lo + (size_t)batch <= total;
    if (split) skip_draws(q, lo);
    for (int b = 0; b < batch; b++)
        for (int t = 0; t < q->traj; t++) {
            double *row = q->xu + ((size_t)b * q->traj + t) * n;
            memcpy(row, x + (size_t)b * nd, (size_t)nd * sizeof *row);
            for (int k = nd; k < n; k++) row[k] = rt_rng_uniform(&q->draws);
        }
    if (split) skip_draws(q, total - lo - (size_t)batch);
    return q->xu;
}

/* y[b] = the mean of sample b's traj runs yk[b * traj + t], and their standard errors into
 * the layer's statistics. */
static void average_trajectories(q_layer *q, double *y, int batch) {
    int no = q->c->n_outputs, K = q->traj;
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < no; o++) {
            double s = 0, ss = 0;
            for (int t = 0; t < K; t++) s += q->yk[((size_t)b * K + t) * no + o];
            double mean = s / K;
            for (int t = 0; t < K; t++) {
                double d = q->yk[((size_t)b * K + t) * no + o] - mean;
                ss += d * d;
            }
            y[(size_t)b * no + o] = mean;
            double se = K > 1 ? sqrt(ss / (K - 1) / K) : 0.0;
            q->se_sum += se;
            q->se_max = se > q->se_max ? se : q->se_max;
            q->se_count++;
        }
}

static int q_forward(rt_layer *l, const double *x, double *y, int batch) {
    q_layer *q = (q_layer *)l;
    if (is_f32(q))
        to_float(q->params_f, l->params, l->n_params);
    if (q->n_uniform) x = with_draws(q, x, batch);
    /* shot streams follow the sample's place in the whole batch, as the draws do */
    size_t lo = 0, total = 0;
    q->sample_base = rt_dist_slice(&lo, &total) ? (int64_t)lo : 0;
    q->x = x;
    q->y = q->traj > 1 ? q->yk : y;
    q->batch = batch * q->traj; /* the circuit's batch: every trajectory of every sample */
    q->calls++; /* a new stream per call: training steps and evaluations draw anew */
    q->use_kept = q->kept != NULL;
    rt_pool_parallel_for(q->pool, n_chunks(q, q->batch), forward_task, q);
    if (q->use_kept) { /* what the states belong to, for the backward to compare */
        q->kept_valid = 1;
        q->kept_batch = q->batch;
        memcpy(q->kept_x, x, (size_t)q->batch * (size_t)q->c->n_inputs * sizeof *x);
        memcpy(q->kept_params, l->params, l->n_params * sizeof *l->params);
    }
    q->use_kept = 0;
    if (q->traj > 1) average_trajectories(q, y, batch);
    return 0;
}

/* Whether the kept states are the final states of this backward's circuit batch: the latest
 * forward kept them for the same batch, inputs and parameters (an evaluation forward in
 * between, or an optimiser step, makes the vjp recompute). */
static int kept_match(const q_layer *q, const double *x) {
    const rt_layer *l = &q->base;
    return q->kept && q->kept_valid && q->kept_batch == q->batch &&
           memcmp(q->kept_x, x, (size_t)q->batch * (size_t)q->c->n_inputs * sizeof *x) == 0 &&
           memcmp(q->kept_params, l->params, l->n_params * sizeof *l->params) == 0;
}

static void q_backward(rt_layer *l, const double *x, const double *y, const double *dy,
                       double *dx, int batch) {
    (void)y;
    q_layer *q = (q_layer *)l;
    if (is_f32(q))
        to_float(q->params_f, l->params, l->n_params);
    double *dx_data = dx;
    if (q->n_uniform) { /* the latest forward's draws; their gradients are dropped */
        x = q->xu;
        dx = dx ? q->dxu : NULL;
    }
    int K = q->traj;
    if (K > 1) { /* the mean's gradient reaches every run with weight 1 / K */
        size_t no = (size_t)q->c->n_outputs;
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < K; t++)
                for (size_t o = 0; o < no; o++)
                    q->dyk[((size_t)b * K + t) * no + o] = dy[(size_t)b * no + o] / K;
        dy = q->dyk;
    }
    q->x = x;
    q->dy = dy;
    q->dx = dx;
    q->batch = batch * K;
    int nc = n_chunks(q, q->batch);
    q->use_kept = kept_match(q, x);
    rt_pool_parallel_for(q->pool, nc, backward_task, q);
    q->use_kept = 0;
    if (q->n_uniform && dx_data) { /* a sample's input gradient: the sum over its runs */
        int n = q->c->n_inputs, nd = n - q->n_uniform;
        for (int b = 0; b < batch; b++) {
            double *d = dx_data + (size_t)b * nd;
            memcpy(d, q->dxu + (size_t)b * K * n, (size_t)nd * sizeof *d);
            for (int t = 1; t < K; t++)
                for (int j = 0; j < nd; j++) d[j] += q->dxu[((size_t)b * K + t) * n + j];
        }
    }
    /* a fixed summation order keeps the result independent of which thread ran which chunk */
    size_t np = l->n_params;
    for (int t = 0; t < nc; t++) {
        const unsigned char *g = q->slab + (size_t)t * q->slab_stride;
        if (is_f32(q))
            for (size_t i = 0; i < np; i++)
                l->grads[i] += ((const float *)g)[i];
        else
            for (size_t i = 0; i < np; i++)
                l->grads[i] += ((const double *)g)[i];
    }
}

static void q_release(q_layer *q) {
    rt_free(q->work);
    rt_free(q->slab);
    rt_free(q->raw);
    rt_free(q->est);
    rt_free(q->graw);
    rt_free(q->xu);
    rt_free(q->dxu);
    rt_free(q->yk);
    rt_free(q->dyk);
    free(q->kept);
    free(q->kept_x);
    free(q->kept_params);
    q->kept = NULL;
    q->kept_x = q->kept_params = NULL;
    q->kept_valid = 0;
    q->work = q->slab = NULL;
    q->raw = q->est = q->graw = NULL;
    q->xu = q->dxu = q->yk = q->dyk = NULL;
}

/* The kept states, when the circuit has the pair and they fit keep_limit; otherwise (or when
 * an allocation fails) none, silently: the vjp then re-runs the forward, as before. */
static void reserve_kept(q_layer *q, size_t lanes_max) {
    const rt_circuit *c = q->c;
    if (!c->forward_keep || !c->vjp_kept || !c->state_bytes || q->plan)
        return;
    size_t groups = (size_t)q->chunk / (size_t)c->lanes; /* a chunk is a multiple of lanes */
    q->kept_stride = groups * c->state_bytes;
    if (q->kept_stride > q->keep_limit / (size_t)q->n_chunks_max)
        return;
    size_t bytes = rt_round_line(q->kept_stride * (size_t)q->n_chunks_max);
    void *p = NULL;
    if (posix_memalign(&p, RT_CACHE_LINE, bytes) != 0)
        return;
    q->kept = p;
    q->kept_x = malloc(lanes_max * (size_t)c->n_inputs * sizeof(double) + 1);
    q->kept_params = malloc((size_t)c->n_params * sizeof(double) + 1);
    if (!q->kept_x || !q->kept_params) {
        free(q->kept);
        free(q->kept_x);
        free(q->kept_params);
        q->kept = NULL;
        q->kept_x = q->kept_params = NULL;
    }
}

static int q_reserve(rt_layer *l, int max_batch) {
    q_layer *q = (q_layer *)l;
    const rt_circuit *c = q->c;
    q_release(q);
    q->n_threads = rt_pool_size(q->pool);
    size_t lanes_max = (size_t)(max_batch > 0 ? max_batch : 1) * (size_t)q->traj;
    if (lanes_max > (size_t)INT_MAX) {
        rt_error("quantum layer: %d samples x %d trajectories are more circuit runs than one "
                 "call can take (2^31)", max_batch, q->traj);
        return -1;
    }
    q->n_chunks_max = ((int)lanes_max + q->chunk - 1) / q->chunk;
    q->work_stride = rt_round_line(c->work_bytes ? c->work_bytes : 1);
    size_t esz = is_f32(q) ? sizeof(float) : sizeof(double);
    size_t off = rt_round_line((size_t)c->n_params * esz);
    if (is_f32(q)) {
        size_t ch = (size_t)q->chunk;
        q->off_in = off;
        off += rt_round_line(ch * c->n_inputs * sizeof(float));
        q->off_out = off;
        off += rt_round_line(ch * c->n_outputs * sizeof(float));
        q->off_din = off;
        off += rt_round_line(ch * c->n_inputs * sizeof(float));
    }
    q->slab_stride = off ? off : RT_CACHE_LINE;
    /* The state vectors are what grows with the qubit count: refused with the figure before
     * the allocation, rather than the kernel killing the process part way through. */
    char msg[512], what[160];
    snprintf(what, sizeof what, "the state vectors of the %d-qubit circuit '%s' for %d thread%s",
             c->n_qubits, c->name ? c->name : "?", q->n_threads, q->n_threads == 1 ? "" : "s");
    if (rt_memory_check_bytes((double)q->n_threads * (double)q->work_stride +
                                  (double)q->n_chunks_max * (double)q->slab_stride,
                              what, "use fewer qubits (e.g. --set model.n=N) or fewer threads "
                              "(--threads N)", msg, sizeof msg)) {
        rt_error("%s", msg);
        return -1;
    }
    q->work = rt_alloc_array((size_t)q->n_threads, q->work_stride);
    q->slab = rt_alloc_array((size_t)q->n_chunks_max, q->slab_stride);
    if (q->plan) {
        size_t n = (size_t)q->n_chunks_max * (size_t)q->chunk * (size_t)q->plan->n_raw;
        q->raw = rt_alloc_array(n, sizeof(double));
        q->est = rt_alloc_array(n, sizeof(double));
        q->graw = rt_alloc_array(n, sizeof(double));
    }
    if (q->n_uniform) {
        size_t cells = lanes_max * (size_t)c->n_inputs;
        q->xu = rt_alloc_array(cells, sizeof(double));
        q->dxu = rt_alloc_array(cells, sizeof(double));
    }
    if (q->traj > 1) {
        q->yk = rt_alloc_array(lanes_max * (size_t)c->n_outputs, sizeof(double));
        q->dyk = rt_alloc_array(lanes_max * (size_t)c->n_outputs, sizeof(double));
    }
    if (!q->work || !q->slab || (q->plan && (!q->raw || !q->est || !q->graw)) ||
        (q->n_uniform && (!q->xu || !q->dxu)) || (q->traj > 1 && (!q->yk || !q->dyk))) {
        q_release(q);
        return -1;
    }
    reserve_kept(q, lanes_max);
    return 0;
}

static void q_destroy(rt_layer *l) {
    q_layer *q = (q_layer *)l;
    q_release(q);
    rt_free(q->params_f);
}

static const rt_layer_ops q_ops = {"quantum", q_reserve, q_forward, q_backward, q_destroy};

static int default_chunk(int lanes) { return (32 + lanes - 1) / lanes * lanes; }

rt_layer *rt_qlayer_create(const rt_circuit *c, rt_pool *pool, int n_tensors,
                           const rt_qtensor *tensors, rt_rng *rng) {
    return rt_qlayer_create_drawing(c, pool, n_tensors, tensors, rng, 0);
}

rt_layer *rt_qlayer_create_drawing(const rt_circuit *c, rt_pool *pool, int n_tensors,
                                   const rt_qtensor *tensors, rt_rng *rng, int n_uniform) {
    if (c && (n_uniform < 0 || n_uniform > c->n_inputs || (n_uniform && !rng))) {
        rt_error("quantum layer: circuit '%s': %d uniform draws of %d inputs%s",
                 c->name ? c->name : "?", n_uniform, c->n_inputs,
                 n_uniform && !rng ? " need a random generator" : "");
        return NULL;
    }
    if (!c || !c->forward || !c->vjp || c->n_inputs < 0 || c->n_outputs < 1 ||
        c->n_params < 0 || c->lanes < 1 || (c->precision != 32 && c->precision != 64)) {
        rt_error("quantum layer: circuit '%s' is incomplete (functions, sizes, lanes >= 1, "
                 "precision 32 or 64)", c && c->name ? c->name : "?");
        return NULL;
    }
    size_t sum = 0;
    for (int k = 0; k < n_tensors; k++) {
        sum += tensors[k].count;
        if (!rng && tensors[k].init.kind != RT_INIT_CONST) {
            rt_error("quantum layer: tensor '%s' needs a random generator", tensors[k].name);
            return NULL;
        }
    }
    if (n_tensors < 0 || sum != (size_t)c->n_params) {
        rt_error("quantum layer: tensors hold %zu values, circuit '%s' has %d parameters", sum,
                 c->name ? c->name : "?", c->n_params);
        return NULL;
    }
    if (c->shots && (c->shots->n_raw != c->n_outputs || c->shots->n_outputs < 1)) {
        rt_error("quantum layer: circuit '%s' has %d outputs, its shots plan measures %d",
                 c->name ? c->name : "?", c->n_outputs, c->shots->n_raw);
        return NULL;
    }
    if (c->shots && n_uniform) {
        rt_error("quantum layer: circuit '%s': shots with uniform() draws are not supported yet",
                 c->name ? c->name : "?");
        return NULL;
    }
    rt_layer *l = rt_layer_alloc(sizeof(q_layer), &q_ops, c->n_inputs - n_uniform,
                                 c->shots ? c->shots->n_outputs : c->n_outputs,
                                 (size_t)c->n_params, 0);
    if (!l)
        return NULL;
    q_layer *q = (q_layer *)l;
    q->c = c;
    q->plan = c->shots;
    q->n_uniform = n_uniform;
    q->traj = 1;
    if (n_uniform) { /* its own stream from the experiment's seed; rng itself is not advanced,
                      * so the other layers initialise as they would without draws */
        rt_rng peek = *rng;
        rt_rng_seed(&q->draws, rt_rng_u64(&peek) ^ 0x9e3779b97f4a7c15ull);
    }
    q->pool = pool;
    q->chunk = default_chunk(c->lanes);
    q->keep_limit = RT_QLAYER_KEEP_STATES_DEFAULT;
    if (c->precision == 32 && !(q->params_f = rt_alloc_array((size_t)c->n_params, sizeof(float)))) {
        rt_layer_destroy(l);
        return NULL;
    }
    for (int k = 0; k < n_tensors; k++) {
        if (rt_layer_add_tensor(l, tensors[k].name, RT_TENSOR_PARAM, tensors[k].count) != 0) {
            rt_layer_destroy(l);
            return NULL;
        }
        rt_layer_init_tensor(l, k, tensors[k].init, rng);
    }
    return l;
}

int rt_qlayer_set_chunk(rt_layer *l, int samples) {
    if (l->ops != &q_ops) {
        rt_error("chunk size applies to quantum layers, not %s", l->ops->kind);
        return -1;
    }
    q_layer *q = (q_layer *)l;
    if (samples < 1 || samples % q->c->lanes != 0) {
        rt_error("quantum layer: chunk %d must be a positive multiple of the circuit's %d lanes",
                 samples, q->c->lanes);
        return -1;
    }
    q->chunk = samples;
    /* the scratch was sized for the old chunk: a new reserve is needed */
    q_release(q);
    l->max_batch = 0;
    return 0;
}

int rt_qlayer_chunk(const rt_layer *l) {
    return l->ops == &q_ops ? ((const q_layer *)l)->chunk : 0;
}

int rt_qlayer_set_shots(rt_layer *l, int shots, uint64_t seed, uint64_t layer_id) {
    if (l->ops != &q_ops) {
        rt_error("shots apply to quantum layers, not %s", l->ops->kind);
        return -1;
    }
    q_layer *q = (q_layer *)l;
    const char *name = q->c->name ? q->c->name : "?";
    if (shots > 0 && !q->plan) {
        rt_error("circuit '%s' was compiled for exact expectation values, and shots = %d need "
                 "its measurement circuit: build the binary with `qnnc build --set shots=%d` "
                 "(then --set shots may change it)", name, shots, shots);
        return -1;
    }
    for (int k = 0; q->plan && shots == 1 && k < q->plan->n_outputs; k++)
        if (q->plan->kind[k] == RT_SHOTS_VAR) {
            rt_error("circuit '%s': output %d is a variance, which needs at least 2 shots "
                     "(the sample variance divides by N - 1)", name, k);
            return -1;
        }
    q->shots = shots < 0 ? 0 : shots;
    q->seed = seed;
    q->layer_id = layer_id;
    q->calls = 0;
    return 0;
}

int rt_qlayer_set_trajectories(rt_layer *l, int k) {
    if (l->ops != &q_ops) {
        rt_error("trajectories apply to quantum layers, not %s", l->ops->kind);
        return -1;
    }
    q_layer *q = (q_layer *)l;
    if (k < 1 || k > RT_LIMIT_TRAJECTORIES) {
        rt_error("quantum layer: %d trajectories (1 to %d)", k, RT_LIMIT_TRAJECTORIES);
        return -1;
    }
    if (q->plan && k > 1) {
        rt_error("circuit '%s': trajectories with shots are not supported",
                 q->c->name ? q->c->name : "?");
        return -1;
    }
    q->traj = q->n_uniform ? k : 1; /* without draws every run is the same */
    q->se_sum = q->se_max = 0;
    q->se_count = 0;
    q_release(q); /* the scratch grows with the runs: a new reserve is needed */
    l->max_batch = 0;
    return 0;
}

rt_qlayer_traj_stats rt_qlayer_trajectory_stats(rt_layer *l, int reset) {
    rt_qlayer_traj_stats st = {0, 0, 0, 0};
    if (l->ops != &q_ops) return st;
    q_layer *q = (q_layer *)l;
    if (q->traj <= 1 && !q->se_count) return st;
    st.k = q->traj;
    st.count = q->se_count;
    st.mean = q->se_count ? q->se_sum / (double)q->se_count : 0.0;
    st.max = q->se_max;
    if (reset) {
        q->se_sum = q->se_max = 0;
        q->se_count = 0;
    }
    return st;
}

int rt_qlayer_set_keep_states(rt_layer *l, size_t max_bytes) {
    if (l->ops != &q_ops) {
        rt_error("kept states apply to quantum layers, not %s", l->ops->kind);
        return -1;
    }
    q_layer *q = (q_layer *)l;
    q->keep_limit = max_bytes;
    q_release(q); /* sized in reserve: a new one is needed */
    l->max_batch = 0;
    return 0;
}

size_t rt_qlayer_kept_bytes(const rt_layer *l) {
    if (l->ops != &q_ops) return 0;
    const q_layer *q = (const q_layer *)l;
    return q->kept ? q->kept_stride * (size_t)q->n_chunks_max : 0;
}
