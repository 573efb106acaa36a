/* rt_gen: mapping network + modulated synthesis layers over shared coordinate features.
 * The flat parameter vector is the concatenation of the parts' own vectors, which the parts
 * keep: each part's params pointer is copied in before a forward and its gradient taken from
 * a scratch slice after backward, so the parts stay unaware of the composition. */
#include "rt_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_error.h"
#include "rt_mapping.h"
#include "rt_mem.h"
#include "rt_modlin.h"

#define N_LAYERS (RT_GEN_MAX_LAYERS + 1)

struct rt_gen {
    rt_gen_config cfg;
    rt_mapping *map;
    rt_modlin *layer[N_LAYERS];    /* n_hidden hidden layers, then the output layer */
    int n_layers;
    int off[N_LAYERS + 1];         /* off[0] = 0 (mapping), off[1 + k] = layer k */
    int n_params;
    double *params;
    char name[64];
    /* state of the last forward */
    int B, P, cap, cap_px;
    double *Wst;                   /* B x w_dim */
    double *X[N_LAYERS + 1];       /* layer inputs / outputs, B x P x width */
    double *gw, *gw_part;          /* B x w_dim */
    double *gA, *gB_;              /* B x P x max width: backward's ping-pong */
};

static int width(const rt_gen *g, int k) {   /* input width of layer k; k = n_layers: channels */
    if (k == 0) return g->cfg.c_feat;
    if (k <= g->cfg.n_hidden) return g->cfg.hidden[k - 1];
    return g->cfg.channels;
}

static int max_width(const rt_gen *g) {
    int m = 0;
    for (int k = 0; k <= g->n_layers; k++) m = width(g, k) > m ? width(g, k) : m;
    return m;
}

rt_gen *rt_gen_new(const rt_gen_config *cfg, uint64_t seed) {
    if (cfg->n_hidden < 0 || cfg->n_hidden > RT_GEN_MAX_LAYERS) {
        rt_error("generator: %d modulated hidden layers (0..%d)", cfg->n_hidden, RT_GEN_MAX_LAYERS);
        return NULL;
    }
    if (cfg->channels < 1 || cfg->channels > 4) {
        rt_error("generator: %d image channels (1..4)", cfg->channels);
        return NULL;
    }
    rt_gen *g = calloc(1, sizeof *g);
    if (!g) {
        rt_error("generator: out of memory");
        return NULL;
    }
    g->cfg = *cfg;
    g->n_layers = cfg->n_hidden + 1;
    /* each part from its own seed, derived from one: the parts' draws do not overlap */
    g->map = rt_mapping_new(cfg->z_dim, cfg->w_dim, cfg->mapping_layers, cfg->mapping_lr_mul,
                            seed * 1000003u + 1);
    if (!g->map) goto fail;
    long np = rt_mapping_n_params(g->map);
    for (int k = 0; k < g->n_layers; k++) {
        rt_modlin_kind kind = k < cfg->n_hidden ? RT_MODLIN_HIDDEN : RT_MODLIN_OUTPUT;
        g->layer[k] = rt_modlin_new(width(g, k), width(g, k + 1), cfg->w_dim, cfg->rank, kind,
                                    seed * 1000003u + 2 + (uint64_t)k);
        if (!g->layer[k]) goto fail;
        g->off[1 + k] = (int)np;
        np += rt_modlin_n_params(g->layer[k]);
        if (np > (long)1 << 28) {
            rt_error("generator: more than 2^28 parameters");
            goto fail;
        }
    }
    g->n_params = (int)np;
    if (!(g->params = rt_alloc_array((size_t)np, sizeof(double)))) goto fail;
    memcpy(g->params, rt_mapping_params(g->map), sizeof(double) * (size_t)rt_mapping_n_params(g->map));
    for (int k = 0; k < g->n_layers; k++)
        memcpy(g->params + g->off[1 + k], rt_modlin_params(g->layer[k]),
               sizeof(double) * (size_t)rt_modlin_n_params(g->layer[k]));
    return g;
fail:
    rt_gen_free(g);
    return NULL;
}

static void free_state(rt_gen *g) {
    rt_free(g->Wst);
    rt_free(g->gw);
    rt_free(g->gw_part);
    rt_free(g->gA);
    rt_free(g->gB_);
    g->Wst = g->gw = g->gw_part = g->gA = g->gB_ = NULL;
    for (int k = 0; k <= N_LAYERS; k++) {
        rt_free(g->X[k]);
        g->X[k] = NULL;
    }
    g->cap = g->cap_px = 0;
}

void rt_gen_free(rt_gen *g) {
    if (!g) return;
    free_state(g);
    rt_mapping_free(g->map);
    for (int k = 0; k < N_LAYERS; k++) rt_modlin_free(g->layer[k]);
    rt_free(g->params);
    free(g);
}

const rt_gen_config *rt_gen_config_of(const rt_gen *g) { return &g->cfg; }
int rt_gen_n_params(const rt_gen *g) { return g->n_params; }
double *rt_gen_params(rt_gen *g) { return g->params; }
int rt_gen_n_mapping_params(const rt_gen *g) { return rt_mapping_n_params(g->map); }
int rt_gen_n_tensors(const rt_gen *g) { return rt_mapping_n_tensors(g->map) + 4 * g->n_layers; }

const char *rt_gen_param_name(rt_gen *g, int tensor, int *offset, int *size) {
    int nm = rt_mapping_n_tensors(g->map), off = 0, sz = 0;
    const char *base;
    if (tensor < 0 || tensor >= rt_gen_n_tensors(g)) return NULL;
    if (tensor < nm) {
        base = rt_mapping_param_name(g->map, tensor, &off, &sz);
        snprintf(g->name, sizeof g->name, "mapping.%s", base);
    } else {
        int k = (tensor - nm) / 4;
        base = rt_modlin_param_name(g->layer[k], (tensor - nm) % 4, &off, &sz);
        off += g->off[1 + k];
        if (k < g->cfg.n_hidden) snprintf(g->name, sizeof g->name, "l%d.%s", k, base);
        else snprintf(g->name, sizeof g->name, "out.%s", base);
    }
    if (offset) *offset = off;
    if (size) *size = sz;
    return g->name;
}

static int ensure(rt_gen *g, int B, int P) {
    if (B <= g->cap && P <= g->cap_px) return 0;
    int nb = B > g->cap ? B : g->cap, npx = P > g->cap_px ? P : g->cap_px;
    free_state(g);
    size_t b = (size_t)nb, bp = b * (size_t)npx, wd = (size_t)g->cfg.w_dim;
    int bad = !(g->Wst = rt_alloc_array(b * wd, sizeof(double))) ||
              !(g->gw = rt_alloc_array(b * wd, sizeof(double))) ||
              !(g->gw_part = rt_alloc_array(b * wd, sizeof(double))) ||
              !(g->gA = rt_alloc_array(bp * (size_t)max_width(g), sizeof(double))) ||
              !(g->gB_ = rt_alloc_array(bp * (size_t)max_width(g), sizeof(double)));
    for (int k = 0; k <= g->n_layers && !bad; k++)
        bad = !(g->X[k] = rt_alloc_array(bp * (size_t)width(g, k), sizeof(double)));
    if (bad) {
        free_state(g);
        return -1;
    }
    g->cap = nb;
    g->cap_px = npx;
    return 0;
}

/* The flat vector into the parts (the optimiser and the EMA write only the flat one). */
static void scatter(rt_gen *g) {
    memcpy(rt_mapping_params(g->map), g->params, sizeof(double) * (size_t)rt_mapping_n_params(g->map));
    for (int k = 0; k < g->n_layers; k++)
        memcpy(rt_modlin_params(g->layer[k]), g->params + g->off[1 + k],
               sizeof(double) * (size_t)rt_modlin_n_params(g->layer[k]));
}

int rt_gen_forward(rt_gen *g, const double *z, int B, const double *F, int P, double *images,
                   char *err, size_t errlen) {
    if (B < 1 || P < 1) {
        snprintf(err, errlen, "generator: batch of %d latents, %d pixels", B, P);
        return -1;
    }
    if (ensure(g, B, P)) {
        snprintf(err, errlen, "generator: out of memory for %d images of %d pixels", B, P);
        return -1;
    }
    g->B = B;
    g->P = P;
    scatter(g);
    if (rt_mapping_forward(g->map, z, B, g->Wst, err, errlen)) return -1;
    size_t pf = (size_t)P * (size_t)g->cfg.c_feat;
    for (int b = 0; b < B; b++) memcpy(g->X[0] + (size_t)b * pf, F, sizeof(double) * pf);
    for (int k = 0; k < g->n_layers; k++)
        if (rt_modlin_forward(g->layer[k], g->X[k], g->Wst, B, P, g->X[k + 1], err, errlen))
            return -1;
    memcpy(images, g->X[g->n_layers],
           sizeof(double) * (size_t)B * (size_t)P * (size_t)g->cfg.channels);
    return 0;
}

void rt_gen_backward(rt_gen *g, const double *gi, double *grad_params, double *grad_F) {
    int B = g->B, P = g->P, wd = g->cfg.w_dim;
    size_t bw = (size_t)B * (size_t)wd;
    memset(g->gw, 0, sizeof(double) * bw);
    const double *gy = gi;
    double *gx = g->gA, *spare = g->gB_;
    for (int k = g->n_layers - 1; k >= 0; k--) {
        int need_x = k > 0 || grad_F;
        rt_modlin_backward(g->layer[k], gy, grad_params + g->off[1 + k], need_x ? gx : NULL,
                           g->gw_part);
        for (size_t i = 0; i < bw; i++) g->gw[i] += g->gw_part[i];   /* w feeds every layer */
        gy = gx;
        double *t = gx;
        gx = spare;
        spare = t;
    }
    rt_mapping_backward(g->map, g->gw, grad_params, NULL);
    if (grad_F) {   /* gy now holds dL/dX[0], B copies of F: their sum */
        size_t pf = (size_t)P * (size_t)g->cfg.c_feat;
        memset(grad_F, 0, sizeof(double) * pf);
        for (int b = 0; b < B; b++)
            for (size_t i = 0; i < pf; i++) grad_F[i] += gy[(size_t)b * pf + i];
    }
}
