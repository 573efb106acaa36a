/* Runtime model: layer list, tensor registry, activation/gradient buffers and the
 * forward/backward sweeps. */
#include "rt_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_error.h"
#include "rt_layer_impl.h"
#include "rt_limits.h"
#include "rt_mem.h"

typedef struct {
    rt_layer *layer;
    char *name;
} layer_entry;

typedef struct {
    char *name;
    int layer, k;                /* the layer and its tensor index */
    size_t offset;               /* in the flat vector of the tensor's kind */
} tensor_entry;

struct rt_model {
    int n_in;
    layer_entry *layers;
    int n_layers;
    tensor_entry *tensors;
    int n_tensors;
    size_t n_params, n_buffers;
    int max_batch;
    double **act, **gact;        /* n_act each (n_layers + 1 at build): act[i] is layer i's input */
    int n_act;
    int batch;                   /* of the latest forward; 0 = none */
    int training;
    rt_bn_stats eval_stats;
};

rt_model *rt_model_create(int n_in) {
    if (n_in < 0) { /* 0: a model without inputs (an objective experiment's circuit) */
        rt_error("model: input width %d is negative", n_in);
        return NULL;
    }
    rt_model *m = calloc(1, sizeof *m);
    if (!m) {
        rt_error("model: out of memory");
        return NULL;
    }
    m->n_in = n_in;
    m->training = 1;
    m->eval_stats = RT_BN_RUNNING;
    return m;
}

static void free_buffers(rt_model *m) {
    for (int i = 0; i < m->n_act; i++) {
        rt_free(m->act[i]);
        rt_free(m->gact[i]);
    }
    m->n_act = 0;
    free(m->act);
    free(m->gact);
    m->act = m->gact = NULL;
    m->max_batch = 0;
    m->batch = 0;
}

void rt_model_destroy(rt_model *m) {
    if (!m)
        return;
    free_buffers(m);
    for (int i = 0; i < m->n_layers; i++) {
        rt_layer_destroy(m->layers[i].layer);
        free(m->layers[i].name);
    }
    for (int k = 0; k < m->n_tensors; k++)
        free(m->tensors[k].name);
    free(m->layers);
    free(m->tensors);
    free(m);
}

static char *join_name(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, *a && *b ? "." : "", b);
    return s;
}

int rt_model_add(rt_model *m, rt_layer *l, const char *name) {
    if (!l) {
        /* keep the creation's own message, which says what was wrong */
        char why[256];
        snprintf(why, sizeof why, "%s", rt_error_last());
        rt_error("model: no layer to add as layer %d%s%s", m->n_layers, *why ? ": " : "", why);
        return -1;
    }
    int expect = rt_model_n_out(m);
    if (l->n_in != expect) {
        rt_error("model: layer %d (%s) takes %d inputs but the previous layer gives %d",
                 m->n_layers, l->ops->kind, l->n_in, expect);
        rt_layer_destroy(l);
        return -1;
    }
    char auto_name[32];
    snprintf(auto_name, sizeof auto_name, "layers.%d", m->n_layers);
    const char *prefix = name ? name : auto_name;
    layer_entry *le = realloc(m->layers, ((size_t)m->n_layers + 1) * sizeof *le);
    /* + 1 byte: realloc of 0 bytes may return NULL, which would read as a failure */
    tensor_entry *te = le ? realloc(m->tensors, ((size_t)m->n_tensors + (size_t)l->n_tensors) *
                                                    sizeof *te + 1)
                          : NULL;
    if (le)
        m->layers = le;
    if (te)
        m->tensors = te;
    char *lname = join_name(prefix, "");
    if (!le || !te || !lname) {
        free(lname);
        rt_layer_destroy(l);
        rt_error("model: out of memory");
        return -1;
    }
    int added = 0;
    for (int k = 0; k < l->n_tensors; k++) {
        char *tname = join_name(prefix, l->tensors[k].name);
        if (!tname) {
            while (added-- > 0)
                free(m->tensors[m->n_tensors + added].name);
            free(lname);
            rt_layer_destroy(l);
            rt_error("model: out of memory");
            return -1;
        }
        int param = l->tensors[k].kind == RT_TENSOR_PARAM;
        m->tensors[m->n_tensors + added++] = (tensor_entry){
            tname, m->n_layers, k, (param ? m->n_params : m->n_buffers) + l->tensors[k].offset};
    }
    m->n_tensors += added;
    m->n_params += l->n_params;
    m->n_buffers += l->n_buffers;
    m->layers[m->n_layers++] = (layer_entry){l, lname};
    rt_layer_set_mode(l, m->training, m->eval_stats);
    free_buffers(m);   /* widths changed: the next forward needs a new build */
    return 0;
}

static int width(const rt_model *m, int i) {   /* width of act[i] */
    return i == 0 ? m->n_in : m->layers[i - 1].layer->n_out;
}

int rt_model_build(rt_model *m, int max_batch) {
    if (max_batch < 1 || m->n_layers == 0) {
        rt_error("model: build needs at least one layer and a positive batch (got %d layers, "
                 "batch %d)", m->n_layers, max_batch);
        return -1;
    }
    free_buffers(m);
    /* Activations grow with the batch (an evaluation grid of 4096 x 4096 is 16.7 million
     * points): refused with the figure before anything is allocated. */
    double bytes = 0;
    for (int i = 0; i <= m->n_layers; i++) bytes += 2.0 * 8.0 * (double)max_batch * (double)width(m, i);
    char msg[512], what[96];
    snprintf(what, sizeof what, "the activations of %d samples", max_batch);
    if (rt_memory_check_bytes(bytes, what, "use a smaller evaluation grid (--grid N, eval.size), "
                              "batch (--set batch=N) or image (--set data.size=N)", msg, sizeof msg)) {
        rt_error("%s", msg);
        return -1;
    }
    m->act = calloc((size_t)m->n_layers + 1, sizeof *m->act);
    m->gact = calloc((size_t)m->n_layers + 1, sizeof *m->gact);
    if (!m->act || !m->gact) {
        free_buffers(m);
        rt_error("model: out of memory");
        return -1;
    }
    m->n_act = m->n_layers + 1;
    for (int i = 0; i <= m->n_layers; i++) {
        size_t n = (size_t)max_batch * (size_t)width(m, i);
        m->act[i] = rt_alloc_array(n, sizeof(double));
        /* the output's gradient comes from the caller: no buffer for it */
        m->gact[i] = i < m->n_layers ? rt_alloc_array(n, sizeof(double)) : NULL;
        if (!m->act[i] || (i < m->n_layers && !m->gact[i])) {
            free_buffers(m);
            return -1;
        }
    }
    for (int i = 0; i < m->n_layers; i++)
        if (rt_layer_reserve(m->layers[i].layer, max_batch) != 0) {
            free_buffers(m);
            return -1;
        }
    m->max_batch = max_batch;
    return 0;
}

int rt_model_n_in(const rt_model *m) { return m->n_in; }
int rt_model_n_out(const rt_model *m) { return width(m, m->n_layers); }
int rt_model_max_batch(const rt_model *m) { return m->max_batch; }
int rt_model_n_layers(const rt_model *m) { return m->n_layers; }
rt_layer *rt_model_layer(rt_model *m, int i) { return m->layers[i].layer; }
const char *rt_model_layer_name(const rt_model *m, int i) { return m->layers[i].name; }

const double *rt_model_forward(rt_model *m, const double *x, int batch) {
    if (m->max_batch == 0) {
        rt_error("model: forward before rt_model_build (or after adding a layer)");
        return NULL;
    }
    if (batch < 1 || batch > m->max_batch) {
        rt_error("model: batch %d outside 1..%d (the size it was built for)", batch, m->max_batch);
        return NULL;
    }
    m->batch = 0;
    memcpy(m->act[0], x, (size_t)batch * m->n_in * sizeof(double));
    for (int i = 0; i < m->n_layers; i++)
        if (rt_layer_forward(m->layers[i].layer, m->act[i], m->act[i + 1], batch) != 0)
            return NULL;
    m->batch = batch;
    return m->act[m->n_layers];
}

int rt_model_backward(rt_model *m, const double *grad_out) {
    if (m->batch == 0) {
        rt_error("model: backward needs a successful forward first");
        return -1;
    }
    const double *dy = grad_out;
    for (int i = m->n_layers - 1; i >= 0; i--) {
        rt_layer_backward(m->layers[i].layer, m->act[i], m->act[i + 1], dy, m->gact[i], m->batch);
        dy = m->gact[i];
    }
    return 0;
}

const double *rt_model_input_grad(const rt_model *m) { return m->gact ? m->gact[0] : NULL; }

void rt_model_zero_grad(rt_model *m) {
    for (int i = 0; i < m->n_layers; i++)
        rt_layer_zero_grad(m->layers[i].layer);
}

static void set_mode(rt_model *m, int training, rt_bn_stats stats) {
    m->training = training;
    m->eval_stats = stats;
    for (int i = 0; i < m->n_layers; i++)
        rt_layer_set_mode(m->layers[i].layer, training, stats);
}

void rt_model_train(rt_model *m) { set_mode(m, 1, m->eval_stats); }
void rt_model_eval(rt_model *m, rt_bn_stats stats) { set_mode(m, 0, stats); }
int rt_model_is_training(const rt_model *m) { return m->training; }

size_t rt_model_n_params(const rt_model *m) { return m->n_params; }
size_t rt_model_n_buffers(const rt_model *m) { return m->n_buffers; }

typedef enum { BLOCK_PARAMS, BLOCK_GRADS, BLOCK_BUFFERS } block_kind;

/* Copies every layer's block of one kind to the flat vector `out`, or from `in` when out is
 * NULL, in layer order. */
static void copy_flat(const rt_model *m, block_kind kind, double *out, const double *in) {
    size_t off = 0;
    for (int i = 0; i < m->n_layers; i++) {
        rt_layer *l = m->layers[i].layer;
        double *blk = kind == BLOCK_BUFFERS ? l->buffers : kind == BLOCK_GRADS ? l->grads : l->params;
        size_t n = kind == BLOCK_BUFFERS ? l->n_buffers : l->n_params;
        if (out)
            memcpy(out + off, blk, n * sizeof(double));
        else
            memcpy(blk, in + off, n * sizeof(double));
        off += n;
    }
}

void rt_model_get_params(const rt_model *m, double *flat) { copy_flat(m, BLOCK_PARAMS, flat, NULL); }
void rt_model_set_params(rt_model *m, const double *flat) { copy_flat(m, BLOCK_PARAMS, NULL, flat); }
void rt_model_get_grads(const rt_model *m, double *flat) { copy_flat(m, BLOCK_GRADS, flat, NULL); }
void rt_model_get_buffers(const rt_model *m, double *flat) { copy_flat(m, BLOCK_BUFFERS, flat, NULL); }
void rt_model_set_buffers(rt_model *m, const double *flat) { copy_flat(m, BLOCK_BUFFERS, NULL, flat); }

int rt_model_n_tensors(const rt_model *m) { return m->n_tensors; }

rt_model_tensor rt_model_tensor_at(const rt_model *m, int k) {
    const tensor_entry *t = &m->tensors[k];
    rt_layer *l = m->layers[t->layer].layer;
    const rt_tensor_desc *d = &l->tensors[t->k];
    int param = d->kind == RT_TENSOR_PARAM;
    return (rt_model_tensor){t->name, d->kind, t->offset, d->count,
                             rt_layer_tensor_data(l, t->k), param ? l->grads + d->offset : NULL};
}

int rt_model_find_tensor(const rt_model *m, const char *name) {
    for (int k = 0; k < m->n_tensors; k++)
        if (strcmp(m->tensors[k].name, name) == 0)
            return k;
    return -1;
}

int rt_model_init_tensor(rt_model *m, const char *name, rt_init spec, rt_rng *rng) {
    int k = rt_model_find_tensor(m, name);
    if (k < 0) {
        rt_error("model: no tensor named '%s'", name);
        return -1;
    }
    rt_layer_init_tensor(m->layers[m->tensors[k].layer].layer, m->tensors[k].k, spec, rng);
    return 0;
}
