/* run_gan: the generative experiment's loop. Per step: the coordinate features F = features(
 * grid) (batch statistics: the grid is the features' batch, as the reference's BatchNorm over
 * pixel positions), one rt_gan_step on a seeded random batch of real images, then the
 * features model's Adam step from the G step's dL/dF. Every eval_every steps the EMA
 * generator draws n_eval images from fixed latents and their distances to the whole real set
 * go to metrics.jsonl. The features model has no EMA: it is used as it is (a stated
 * simplification; the reference's EMA covers the whole generator, QIREN block included). */
#include "run_gan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_image.h"
#include "io_safetensors.h"
#include "rt_error.h"
#include "rt_gen_metric.h"
#include "rt_mem.h"
#include "rt_optim.h"
#include "rt_rng.h"

void run_gan_coords(int h, int w, double *coords) {
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            coords[2 * (i * w + j)] = (double)j / w * 2 - 1;
            coords[2 * (i * w + j) + 1] = (double)(h - 1 - i) / h * 2 - 1;
        }
}

typedef struct {
    const run_gan_spec *s;
    rt_gen *g;
    rt_disc *d;
    rt_gan *t;
    rt_optim *opt_f;
    rt_feature_net *fnet;
    int P, dim;
    double *coords, *F, *gF, *fgrad, *fparams, *real, *zeval, *imgs;
    FILE *metrics;
} run;

static void run_free(run *r) {
    rt_gan_free(r->t);
    rt_gen_free(r->g);
    rt_disc_free(r->d);
    rt_optim_destroy(r->opt_f);
    rt_feature_net_free(r->fnet);
    double *bufs[] = {r->coords, r->F, r->gF, r->fgrad, r->fparams, r->real, r->zeval, r->imgs};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) rt_free(bufs[i]);
    if (r->metrics) fclose(r->metrics);
}

static int compute_features(run *r, char *err, size_t errlen) {
    const double *F = rt_model_forward(r->s->features, r->coords, r->P);
    if (!F) {
        snprintf(err, errlen, "generator features: %s", rt_error_last());
        return -1;
    }
    memcpy(r->F, F, sizeof(double) * (size_t)r->P * (size_t)r->s->gen.c_feat);
    return 0;
}

/* EMA samples from the fixed latents, mapped to [0, 1] (clamped) like the real set. */
static int sample(run *r, int n, double *out, char *err, size_t errlen) {
    if (rt_gan_sample_ema(r->t, r->zeval, n, r->F, r->P, out, err, errlen)) return -1;
    for (size_t i = 0; i < (size_t)n * (size_t)r->dim; i++)
        out[i] = fmin(1, fmax(0, (out[i] + 1) / 2));
    return 0;
}

static void json_num(FILE *f, const char *key, double v, int last) {
    if (isfinite(v)) fprintf(f, "\"%s\": %.9g%s", key, v, last ? "" : ", ");
    else fprintf(f, "\"%s\": null%s", key, last ? "" : ", ");
}

static int measure(run *r, long step, const rt_gan_stats *st, rt_gen_distance *out, char *err,
                   size_t errlen) {
    if (sample(r, r->s->n_eval, r->imgs, err, errlen) ||
        rt_gen_distance_of(r->fnet, r->s->real, r->imgs, r->s->n_eval, out, err, errlen))
        return -1;
    FILE *f = r->metrics;
    fprintf(f, "{\"step\": %ld, \"images\": %ld, ", step, step * r->s->gan.batch);
    json_num(f, "fd_features", out->fd_features, 0);
    json_num(f, "fd_pixels", out->fd_pixels, 0);
    json_num(f, "kid_features", out->kid_features, 0);
    json_num(f, "kid_pixels", out->kid_pixels, 0);
    json_num(f, "loss_d", st ? st->loss_d : NAN, 0);
    json_num(f, "loss_g", st ? st->loss_g : NAN, 0);
    json_num(f, "ms_d", st ? st->ms_d : NAN, 0);
    json_num(f, "ms_g", st ? st->ms_g : NAN, 1);
    fprintf(f, "}\n");
    fflush(f);
    return 0;
}

static int write_grid(run *r, char *err, size_t errlen) {
    const rt_imageset *s = r->s->real;
    int k = r->s->grid, n = k * k;
    double *imgs = rt_alloc_array((size_t)n * (size_t)r->dim, sizeof(double));
    io_image img = {0};
    int rc = -1;
    if (!imgs || io_image_alloc(&img, k * (s->w + 1) + 1, k * (s->h + 1) + 1, s->c, err, errlen))
        goto done;
    if (sample(r, n, imgs, err, errlen)) goto done;
    for (size_t i = 0; i < (size_t)img.width * img.height * s->c; i++) img.data[i] = 0.5;
    for (int q = 0; q < n; q++)   /* one pixel of gray between the images */
        for (int y = 0; y < s->h; y++)
            for (int x = 0; x < s->w; x++)
                for (int c = 0; c < s->c; c++) {
                    int X = (q % k) * (s->w + 1) + 1 + x, Y = (q / k) * (s->h + 1) + 1 + y;
                    img.data[((size_t)Y * img.width + X) * s->c + c] =
                        imgs[(size_t)q * r->dim + ((size_t)y * s->w + x) * s->c + c];
                }
    char path[4200];
    snprintf(path, sizeof path, "%s/samples.png", r->s->out_dir);
    rc = io_image_write_png(path, &img, 0, 1, err, errlen);
done:
    io_image_free(&img);
    rt_free(imgs);
    return rc;
}

/* generator.safetensors: the generator's tensors ("g." current weights, "ema." the EMA) and
 * the features' ("features." flat); discriminator.safetensors: its tensors. */
static int write_checkpoints(run *r, char *err, size_t errlen) {
    int ng = rt_gen_n_tensors(r->g), rc = -1;
    io_tensor *t = calloc((size_t)(2 * ng + 1), sizeof *t);
    char (*names)[80] = calloc((size_t)(2 * ng + 1), sizeof *names);
    if (!t || !names) {
        snprintf(err, errlen, "checkpoints: out of memory");
        goto done;
    }
    for (int k = 0; k < ng; k++) {
        int off, size;
        const char *name = rt_gen_param_name(r->g, k, &off, &size);
        for (int e = 0; e < 2; e++) {
            snprintf(names[2 * k + e], sizeof names[0], "%s.%s", e ? "ema" : "g", name);
            t[2 * k + e] = (io_tensor){.name = names[2 * k + e], .dtype = IO_ST_F64, .ndim = 1,
                                       .shape = {size},
                                       .data = (e ? rt_gan_ema(r->t) : rt_gen_params(r->g)) + off};
        }
    }
    rt_model_get_params(r->s->features, r->fparams);
    t[2 * ng] = (io_tensor){.name = "features", .dtype = IO_ST_F64, .ndim = 1,
                            .shape = {(int64_t)rt_model_n_params(r->s->features)},
                            .data = r->fparams};
    int nt = 2 * ng + (rt_model_n_params(r->s->features) > 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/generator.safetensors", r->s->out_dir);
    if (io_st_write(path, t, (size_t)nt, NULL, NULL, 0, err, errlen)) goto done;
    int nd = rt_disc_n_tensors(r->d);
    for (int k = 0; k < nd; k++) {
        int off, size;
        const char *name = rt_disc_param_name(r->d, k, &off, &size);
        t[k] = (io_tensor){.name = name, .dtype = IO_ST_F64, .ndim = 1, .shape = {size},
                           .data = rt_disc_params(r->d) + off};
    }
    snprintf(path, sizeof path, "%s/discriminator.safetensors", r->s->out_dir);
    rc = io_st_write(path, t, (size_t)nd, NULL, NULL, 0, err, errlen);
done:
    free(t);
    free(names);
    return rc;
}

int run_gan(const run_gan_spec *s, run_gan_result *res, char *err, size_t errlen) {
    run r = {.s = s};
    int rc = -1;
    memset(res, 0, sizeof *res);
    const rt_imageset *set = s->real;
    r.P = set->h * set->w;
    r.dim = rt_imageset_dim(set);
    if (s->gen.channels != set->c || rt_model_n_in(s->features) != 2 ||
        rt_model_n_out(s->features) != s->gen.c_feat || rt_model_max_batch(s->features) < r.P) {
        snprintf(err, errlen,
                 "generator: the image set has %d channels of %dx%d pixels; the generator makes "
                 "%d channels from %d coordinate features (features model: %d -> %d, batch %d)",
                 set->c, set->h, set->w, s->gen.channels, s->gen.c_feat,
                 rt_model_n_in(s->features), rt_model_n_out(s->features),
                 rt_model_max_batch(s->features));
        return -1;
    }
    if (s->steps < 1 || s->eval_every < 1 || s->n_eval < 2 || s->grid < 1 || set->n < 2) {
        snprintf(err, errlen, "generator: steps, eval_every, grid >= 1, n_eval >= 2 and 2 or "
                              "more real images needed");
        return -1;
    }
    size_t nf = rt_model_n_params(s->features), ne = (size_t)s->n_eval;
    int nmax = s->n_eval > s->grid * s->grid ? s->n_eval : s->grid * s->grid;
    if (!(r.g = rt_gen_new(&s->gen, s->seed)) ||
        !(r.d = rt_disc_new(r.dim, s->disc_hidden, s->n_disc_hidden, s->mbstd_group, s->seed + 1)) ||
        !(r.t = rt_gan_new(r.g, r.d, &s->gan, s->seed + 2)) ||
        !(r.opt_f = rt_adam_create(nf ? nf : 1, s->gan.lr_g, s->gan.beta1, s->gan.beta2,
                                   s->gan.adam_eps, 0))) {
        snprintf(err, errlen, "generator: %s", rt_error_last());
        goto done;
    }
    if (!(r.coords = rt_alloc_array((size_t)r.P * 2, sizeof(double))) ||
        !(r.F = rt_alloc_array((size_t)r.P * (size_t)s->gen.c_feat, sizeof(double))) ||
        !(r.gF = rt_alloc_array((size_t)r.P * (size_t)s->gen.c_feat, sizeof(double))) ||
        !(r.fgrad = rt_alloc_array(nf + 1, sizeof(double))) ||
        !(r.fparams = rt_alloc_array(nf + 1, sizeof(double))) ||
        !(r.real = rt_alloc_array((size_t)s->gan.batch * (size_t)r.dim, sizeof(double))) ||
        !(r.zeval = rt_alloc_array((size_t)nmax * (size_t)s->gen.z_dim, sizeof(double))) ||
        !(r.imgs = rt_alloc_array(ne * (size_t)r.dim, sizeof(double)))) {
        snprintf(err, errlen, "generator: out of memory");
        goto done;
    }
    run_gan_coords(set->h, set->w, r.coords);
    rt_rng rng;
    rt_rng_seed(&rng, s->seed + 3);
    for (size_t i = 0; i < (size_t)nmax * (size_t)s->gen.z_dim; i++) r.zeval[i] = rt_rng_normal(&rng);
    res->feature_accuracy = NAN;
    if (set->labels) {
        if (!(r.fnet = rt_feature_net_get(set, s->feature_cache, s->seed + 4, err, errlen)))
            goto done;
        res->feature_accuracy = rt_feature_net_accuracy(r.fnet);
    }
    if (rt_gen_distance_floor(r.fnet, set, s->seed + 5, &res->floor, err, errlen)) goto done;
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.jsonl", s->out_dir);
    if (!(r.metrics = fopen(path, "w"))) {
        snprintf(err, errlen, "%s: cannot write", path);
        goto done;
    }
    fprintf(r.metrics, "{\"floor\": true, ");
    json_num(r.metrics, "fd_features", res->floor.fd_features, 0);
    json_num(r.metrics, "fd_pixels", res->floor.fd_pixels, 0);
    json_num(r.metrics, "kid_features", res->floor.kid_features, 0);
    json_num(r.metrics, "kid_pixels", res->floor.kid_pixels, 1);
    fprintf(r.metrics, "}\n");
    rt_model_train(s->features);
    if (compute_features(&r, err, errlen) || measure(&r, 0, NULL, &res->first, err, errlen))
        goto done;
    double sum_d = 0, sum_g = 0;
    for (long step = 1; step <= s->steps; step++) {
        for (int b = 0; b < s->gan.batch; b++) {
            int n = (int)(rt_rng_u64(&rng) % (uint64_t)set->n);
            for (int i = 0; i < r.dim; i++)
                r.real[(size_t)b * r.dim + i] = 2 * set->pix[(size_t)n * r.dim + i] - 1;
        }
        if (compute_features(&r, err, errlen)) goto done;
        rt_gan_stats st;
        if (rt_gan_step(r.t, r.real, r.F, r.P, nf ? r.gF : NULL, &st, err, errlen)) goto done;
        if (nf) {
            rt_model_zero_grad(s->features);
            if (rt_model_backward(s->features, r.gF)) {
                snprintf(err, errlen, "generator features: %s", rt_error_last());
                goto done;
            }
            rt_optim_step_model(r.opt_f, s->features);
        }
        sum_d += st.ms_d;
        sum_g += st.ms_g;
        if (step % s->eval_every == 0 || step == s->steps) {
            if (compute_features(&r, err, errlen) || measure(&r, step, &st, &res->last, err, errlen))
                goto done;
        }
    }
    res->ms_d = sum_d / s->steps;
    res->ms_g = sum_g / s->steps;
    res->n_params_gen = rt_gen_n_params(r.g);
    res->n_params_features = (int)nf;
    res->n_params_disc = rt_disc_n_params(r.d);
    if (write_grid(&r, err, errlen) || write_checkpoints(&r, err, errlen)) goto done;
    rc = 0;
done:
    run_free(&r);
    return rc;
}
