/* run_generate: from a generative rt_experiment to run_gan (run_generate.h). */
#include "run_generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_error.h"
#include "rt_imageset.h"
#include "rt_pool.h"
#include "rt_rng.h"
#include "run_data.h"
#include "run_gan.h"
#include "run_model.h"

/* Fixed parts of run_gan_spec (language.md §6.17 says why): distances from 256 generated
 * images (enough for the feature-space Fréchet distance of the 8x8 digits, cheap to draw),
 * an 8 x 8 sample grid, and the metric's classifier retrained per run (seconds on digits). */
#define GEN_N_EVAL 256
#define GEN_GRID 8

int run_generate(const rt_experiment *x, const rt_circuit *const *circuits, const rt_run_options *o,
                 const char *dir, rt_run_result *r, char *err, size_t errlen) {
    char path[4096];
    rt_imageset set = {0};
    rt_pool *pool = NULL;
    rt_model *features = NULL;
    int rc = -1;
    if (o->target || o->grid || o->eval_only) {
        snprintf(err, errlen, "%s: a generative experiment has no %s", o->target ? "--target" : o->grid
                 ? "--grid" : "eval", o->eval_only ? "separate evaluation (it measures while training)"
                 : "evaluation grid or target (it measures generated images against its image set)");
        return -1;
    }
    if (run_find_data(x->data.path, x->source, path, sizeof path, err, errlen)) return -1;
    if (rt_imageset_load(path, &set, err, errlen)) return -1;
    if (set.n < x->batch) {
        snprintf(err, errlen, "%s: %d images, fewer than `batch` (%d)", path, set.n, x->batch);
        goto done;
    }
    int threads = o->threads > 0 ? o->threads : x->threads > 0 ? x->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if (!(pool = rt_pool_create(threads))) {
        snprintf(err, errlen, "%s", rt_error_last());
        goto done;
    }
    rt_rng rng;
    rt_rng_seed(&rng, x->seed);
    if (!(features = run_build_model(x, circuits, pool, &rng, err, errlen))) goto done;
    int P = set.h * set.w;
    if (rt_model_build(features, P)) {
        snprintf(err, errlen, "%s", rt_error_last());
        goto done;
    }
    const rt_generative *g = &x->gen;
    run_gan_spec s;
    memset(&s, 0, sizeof s);
    s.real = &set;
    s.features = features;
    s.gen.z_dim = g->latent;
    s.gen.w_dim = g->style;
    s.gen.mapping_layers = g->mapping;
    s.gen.mapping_lr_mul = g->mapping_lr_mul;
    s.gen.c_feat = x->out_dim;
    s.gen.n_hidden = g->n_hidden;
    memcpy(s.gen.hidden, g->hidden, sizeof g->hidden);
    s.gen.channels = set.c;
    s.gen.rank = g->rank;
    s.n_disc_hidden = g->n_disc_hidden;
    memcpy(s.disc_hidden, g->disc_hidden, sizeof g->disc_hidden);
    s.mbstd_group = g->mbstd;
    s.gan.batch = x->batch;
    s.gan.lr_g = g->lr_g;
    s.gan.lr_d = g->lr_d;
    s.gan.beta1 = g->beta1;
    s.gan.beta2 = g->beta2;
    s.gan.adam_eps = g->adam_eps;
    s.gan.r1_gamma = g->r1;
    s.gan.r1_every = g->r1_every;
    s.gan.ema_half_life = g->ema;
    s.steps = g->steps;
    /* by default ten measurements over the run */
    s.eval_every = x->eval_every > 0 ? x->eval_every : (g->steps >= 10 ? g->steps / 10 : 1);
    s.n_eval = set.n < GEN_N_EVAL ? set.n : GEN_N_EVAL;
    if (s.n_eval < 2) s.n_eval = 2;
    s.grid = GEN_GRID;
    s.seed = x->seed;
    s.out_dir = dir;
    s.resume = o->resume;
    char report[4200];
    snprintf(report, sizeof report, "%s/report", dir);
    s.report_dir = report;
    s.name = x->name;
    s.model = x->model_call[0] ? x->model_call : NULL;
    s.data = path;
    run_gan_result res;
    if (!o->quiet)
        fprintf(stderr, "%s: %d images %dx%dx%d from %s, %d steps of batch %d\n", x->name, set.n, set.h,
                set.w, set.c, path, s.steps, s.gan.batch);
    if (run_gan(&s, &res, err, errlen)) goto done;
    r->n_params = (long long)res.n_params_gen + res.n_params_features + res.n_params_disc;
    r->epochs_run = s.steps;
    r->final_loss = NAN;
    r->seconds = res.seconds;
    if (strlen(report) < sizeof r->report_dir) memcpy(r->report_dir, report, strlen(report) + 1);
    if (!o->quiet)
    if (!o->quiet) {
        /* an unlabelled set (faces) has no feature space: n/a, never "nan" */
        char ff[32] = "n/a", fl[32] = "n/a", fo[32] = "n/a";
        if (isfinite(res.first.fd_features)) snprintf(ff, sizeof ff, "%.4f", res.first.fd_features);
        if (isfinite(res.last.fd_features)) snprintf(fl, sizeof fl, "%.4f", res.last.fd_features);
        if (isfinite(res.floor.fd_features)) snprintf(fo, sizeof fo, "%.4f", res.floor.fd_features);
        fprintf(stderr, "%s: feature-space Frechet distance %s at step %ld -> %s at step %ld (floor %s), "
                "pixels %.4f -> %.4f; parameters generator %d + features %d, discriminator %d; %.2f ms "
                "per D step, %.2f per G step; outputs in %s\n", x->name, ff, res.first_step, fl,
                res.last_step, fo, res.first.fd_pixels, res.last.fd_pixels, res.n_params_gen,
                res.n_params_features, res.n_params_disc, res.ms_d, res.ms_g, dir);
    }
    rc = 0;
done:
    rt_model_destroy(features);
    rt_pool_destroy(pool);
    rt_imageset_free(&set);
    return rc;
}
