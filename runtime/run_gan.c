/* run_gan: the generative experiment's loop. Per step: the coordinate features F = features(
 * grid) (batch statistics: the grid is the features' batch, as the reference's BatchNorm over
 * pixel positions), one rt_gan_step on a seeded random batch of real images, then the
 * features model's Adam step from the G step's dL/dF. Every eval_every steps the EMA
 * generator draws n_eval images from fixed latents and their distances to the whole real set
 * go to metrics.jsonl. The EMA covers the whole generator, as the reference's does (its QIREN
 * block included): the features model's weights have their own EMA with rt_gan's decay, and
 * the EMA generator's features are the features model's output at those weights. */
#include "run_gan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io_image.h"
#include "io_file.h"
#include "io_safetensors.h"
#include "report.h"
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
    double *fema, *Fema;         /* the features' EMA weights, and their output on the grid */
    FILE *metrics;
    rt_rng batch_rng;            /* which real images each step sees */
} run;

static void run_free(run *r) {
    rt_gan_free(r->t);
    rt_gen_free(r->g);
    rt_disc_free(r->d);
    rt_optim_destroy(r->opt_f);
    rt_feature_net_free(r->fnet);
    double *bufs[] = {r->coords, r->F, r->gF, r->fgrad, r->fparams, r->real, r->zeval, r->imgs,
                      r->fema, r->Fema};
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

/* The features at their EMA weights into r->Fema (the model's own weights are put back; the
 * next step's forward recomputes its caches). */
static int compute_ema_features(run *r, char *err, size_t errlen) {
    size_t nf = rt_model_n_params(r->s->features);
    if (nf == 0) {
        memcpy(r->Fema, r->F, sizeof(double) * (size_t)r->P * (size_t)r->s->gen.c_feat);
        return 0;
    }
    rt_model_get_params(r->s->features, r->fparams);
    rt_model_set_params(r->s->features, r->fema);
    const double *F = rt_model_forward(r->s->features, r->coords, r->P);
    if (F) memcpy(r->Fema, F, sizeof(double) * (size_t)r->P * (size_t)r->s->gen.c_feat);
    rt_model_set_params(r->s->features, r->fparams);
    if (!F) {
        snprintf(err, errlen, "generator features: %s", rt_error_last());
        return -1;
    }
    return 0;
}

/* The features' EMA after their Adam step, with the generator's decay. */
static void update_features_ema(run *r) {
    size_t nf = rt_model_n_params(r->s->features);
    double beta = rt_gan_ema_beta(r->t);
    rt_model_get_params(r->s->features, r->fparams);
    for (size_t i = 0; i < nf; i++) r->fema[i] = beta * r->fema[i] + (1 - beta) * r->fparams[i];
}

/* EMA samples from the fixed latents (EMA weights of the generator and of its features),
 * mapped to [0, 1] (clamped) like the real set. */
static int sample(run *r, int n, double *out, char *err, size_t errlen) {
    if (compute_ema_features(r, err, errlen) ||
        rt_gan_sample_ema(r->t, r->zeval, n, r->Fema, r->P, out, err, errlen))
        return -1;
    for (size_t i = 0; i < (size_t)n * (size_t)r->dim; i++)
        out[i] = fmin(1, fmax(0, (out[i] + 1) / 2));
    return 0;
}

static void json_num(FILE *f, const char *key, double v, int last) {
    if (isfinite(v)) fprintf(f, "\"%s\": %.9g%s", key, v, last ? "" : ", ");
    else fprintf(f, "\"%s\": null%s", key, last ? "" : ", ");
}

/* The distances now; a row of metrics.jsonl unless quiet (a resumed run's first measurement
 * repeats the last row of the run it continues). */
static int measure(run *r, long step, const rt_gan_stats *st, rt_gen_distance *out, int quiet,
                   char *err, size_t errlen) {
    if (sample(r, r->s->n_eval, r->imgs, err, errlen) ||
        rt_gen_distance_of(r->fnet, r->s->real, r->imgs, r->s->n_eval, out, err, errlen))
        return -1;
    if (quiet) return 0;
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

static int write_grid(run *r, const char *path, char *err, size_t errlen) {
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
    rc = io_image_write_png(path, &img, 0, 1, err, errlen);
done:
    io_image_free(&img);
    rt_free(imgs);
    return rc;
}

/* state.safetensors: what resuming needs besides the weights: the step, the three Adam states,
 * the two random streams. */
static const char *const STATE_NAMES[6] = {"step", "optim_g", "optim_d", "optim_f", "rng_gan",
                                           "rng_batch"};

static rt_optim *state_optim(run *r, int k) {
    return k == 1 ? rt_gan_optim_g(r->t) : k == 2 ? rt_gan_optim_d(r->t) : r->opt_f;
}

static int write_state(run *r, char *err, size_t errlen) {
    double step = (double)rt_gan_steps(r->t), rg[RT_GAN_RNG_STATE], rb[RT_GAN_RNG_STATE];
    double *os[3] = {NULL, NULL, NULL};
    io_tensor t[6];
    int rc = -1;
    rt_gan_rng_pack(rt_gan_rng(r->t), rg);
    rt_gan_rng_pack(&r->batch_rng, rb);
    t[0] = (io_tensor){.name = STATE_NAMES[0], .dtype = IO_ST_F64, .ndim = 1, .shape = {1}, .data = &step};
    for (int k = 1; k <= 3; k++) {
        size_t n = rt_optim_state_size(state_optim(r, k));
        if (!(os[k - 1] = rt_alloc_array(n, sizeof(double)))) goto done;
        rt_optim_get_state(state_optim(r, k), os[k - 1]);
        t[k] = (io_tensor){.name = STATE_NAMES[k], .dtype = IO_ST_F64, .ndim = 1,
                           .shape = {(int64_t)n}, .data = os[k - 1]};
    }
    t[4] = (io_tensor){.name = STATE_NAMES[4], .dtype = IO_ST_F64, .ndim = 1,
                       .shape = {RT_GAN_RNG_STATE}, .data = rg};
    t[5] = (io_tensor){.name = STATE_NAMES[5], .dtype = IO_ST_F64, .ndim = 1,
                       .shape = {RT_GAN_RNG_STATE}, .data = rb};
    char path[4200];
    snprintf(path, sizeof path, "%s/state.safetensors", r->s->out_dir);
    rc = io_st_write(path, t, 6, NULL, NULL, 0, err, errlen);
done:
    for (int k = 0; k < 3; k++) rt_free(os[k]);
    if (rc && !err[0]) snprintf(err, errlen, "checkpoints: out of memory");
    return rc;
}

/* One tensor of a resume file into dst[n], refusing a missing one or one of another size. */
static int take(const io_st_file *f, const char *path, const char *name, double *dst, size_t n,
                char *err, size_t errlen) {
    const io_tensor *t = io_st_find(f, name);
    if (!t || io_st_numel(t) != n) {
        snprintf(err, errlen, "%s: %s %s (this experiment needs %zu values)", path,
                 t ? "has another size of tensor" : "has no tensor", name, n);
        return -1;
    }
    memcpy(dst, t->data, sizeof(double) * n);
    return 0;
}

static int resume(run *r, long *step, char *err, size_t errlen) {
    char path[4200];
    io_st_file f;
    int ng = rt_gen_n_tensors(r->g);
    snprintf(path, sizeof path, "%s/generator.safetensors", r->s->resume);
    if (io_st_read(path, &f, err, errlen)) return -1;
    int bad = 0;
    for (int k = 0; k < ng && !bad; k++) {
        int off, size;
        const char *name = rt_gen_param_name(r->g, k, &off, &size);
        char full[80];
        snprintf(full, sizeof full, "g.%s", name);
        bad = take(&f, path, full, rt_gen_params(r->g) + off, (size_t)size, err, errlen);
        snprintf(full, sizeof full, "ema.%s", name);
        if (!bad) bad = take(&f, path, full, rt_gan_ema_mut(r->t) + off, (size_t)size, err, errlen);
    }
    size_t nf = rt_model_n_params(r->s->features);
    if (!bad && nf) {
        bad = take(&f, path, "features", r->fparams, nf, err, errlen) ||
              take(&f, path, "features_ema", r->fema, nf, err, errlen);
        if (!bad) rt_model_set_params(r->s->features, r->fparams);
    }
    io_st_free(&f);
    if (bad) return -1;
    snprintf(path, sizeof path, "%s/discriminator.safetensors", r->s->resume);
    if (io_st_read(path, &f, err, errlen)) return -1;
    for (int k = 0; k < rt_disc_n_tensors(r->d) && !bad; k++) {
        int off, size;
        const char *name = rt_disc_param_name(r->d, k, &off, &size);
        bad = take(&f, path, name, rt_disc_params(r->d) + off, (size_t)size, err, errlen);
    }
    io_st_free(&f);
    if (bad) return -1;
    snprintf(path, sizeof path, "%s/state.safetensors", r->s->resume);
    if (io_st_read(path, &f, err, errlen)) return -1;
    double st, rg[RT_GAN_RNG_STATE], rb[RT_GAN_RNG_STATE];
    bad = take(&f, path, "step", &st, 1, err, errlen) ||
          take(&f, path, "rng_gan", rg, RT_GAN_RNG_STATE, err, errlen) ||
          take(&f, path, "rng_batch", rb, RT_GAN_RNG_STATE, err, errlen);
    for (int k = 1; k <= 3 && !bad; k++) {
        size_t n = rt_optim_state_size(state_optim(r, k));
        double *buf = rt_alloc_array(n, sizeof(double));
        bad = !buf || take(&f, path, STATE_NAMES[k], buf, n, err, errlen);
        if (!bad) rt_optim_set_state(state_optim(r, k), buf);
        rt_free(buf);
    }
    io_st_free(&f);
    if (bad) return -1;
    if (!(st >= 0 && st <= r->s->steps && st == floor(st))) {
        snprintf(err, errlen, "%s: step %g is not between 0 and this experiment's %d steps", path,
                 st, r->s->steps);
        return -1;
    }
    rt_gan_rng_unpack(rt_gan_rng(r->t), rg);
    rt_gan_rng_unpack(&r->batch_rng, rb);
    rt_gan_set_steps(r->t, (long)st);
    *step = (long)st;
    return 0;
}

/* generator.safetensors: the generator's tensors ("g." current weights, "ema." the EMA) and
 * the features' ("features" and "features_ema", flat); discriminator.safetensors: its
 * tensors. */
static int write_checkpoints(run *r, char *err, size_t errlen) {
    int ng = rt_gen_n_tensors(r->g), nd = rt_disc_n_tensors(r->d), rc = -1;
    int nt_max = 2 * ng + 2 > nd ? 2 * ng + 2 : nd;
    io_tensor *t = calloc((size_t)nt_max, sizeof *t);
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
    t[2 * ng + 1] = (io_tensor){.name = "features_ema", .dtype = IO_ST_F64, .ndim = 1,
                                .shape = {(int64_t)rt_model_n_params(r->s->features)},
                                .data = r->fema};
    int nt = 2 * ng + 2 * (rt_model_n_params(r->s->features) > 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/generator.safetensors", r->s->out_dir);
    if (io_st_write(path, t, (size_t)nt, NULL, NULL, 0, err, errlen)) goto done;
    for (int k = 0; k < nd; k++) {
        int off, size;
        const char *name = rt_disc_param_name(r->d, k, &off, &size);
        t[k] = (io_tensor){.name = name, .dtype = IO_ST_F64, .ndim = 1, .shape = {size},
                           .data = rt_disc_params(r->d) + off};
    }
    snprintf(path, sizeof path, "%s/discriminator.safetensors", r->s->out_dir);
    if (io_st_write(path, t, (size_t)nd, NULL, NULL, 0, err, errlen)) goto done;
    rc = write_state(r, err, errlen);
done:
    free(t);
    free(names);
    return rc;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The number after "KEY": in one metrics.jsonl row; NaN for null or a missing key. */
static double json_field(const char *line, const char *key) {
    char pat[40];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(line, pat);
    if (!p) return NAN;
    char *end;
    double v = strtod(p + strlen(pat), &end);
    return end == p + strlen(pat) ? NAN : v;
}

/* A measurement row's four distances. */
static rt_gen_distance row_distances(const char *line) {
    return (rt_gen_distance){json_field(line, "fd_features"), json_field(line, "fd_pixels"),
                             json_field(line, "kid_features"), json_field(line, "kid_pixels")};
}

/* Resuming: the resumed folder's metrics.jsonl up to its checkpoint's step (the floor row and
 * the measurements at steps <= step; a run that went on past its last checkpoint leaves later
 * rows, which the resumed run measures again) becomes out_dir's, written atomically, so that
 * out_dir holds the whole history even when it is a new folder. res->first is the history's
 * first measurement; *have_step says whether a row at `step` itself is there (the resumed run
 * then does not repeat it). */
static int copy_history(run *r, long step, run_gan_result *res, int *have_step, char *err,
                        size_t errlen) {
    char src[4200], dst[4200];
    snprintf(src, sizeof src, "%s/metrics.jsonl", r->s->resume);
    snprintf(dst, sizeof dst, "%s/metrics.jsonl", r->s->out_dir);
    FILE *in = io_fopen_input(src, err, errlen);
    if (!in) return -1;   /* err names the file and the reason */
    io_atomic out;
    if (io_atomic_open(&out, dst, err, errlen)) {
        fclose(in);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int floor_rows = 0, first = 1;
    *have_step = 0;
    while (getline(&line, &cap, in) > 0) {
        if (strstr(line, "\"floor\": true")) floor_rows++;
        else {
            double st = json_field(line, "step");
            if (!(st <= (double)step)) continue;   /* NaN (not a row) or after the checkpoint */
            if (first) {
                res->first = row_distances(line);
                res->first_step = (long)st;
                first = 0;
            }
            *have_step |= st == (double)step;
        }
        fputs(line, out.fp);
    }
    free(line);
    fclose(in);
    if (floor_rows != 1) {
        io_atomic_abort(&out);
        snprintf(err, errlen, "%s: %s floor row (not a generative run's metrics history)", src,
                 floor_rows ? "more than one" : "no");
        return -1;
    }
    return io_atomic_commit(&out, err, errlen);
}

/* The distance rows of out_dir/metrics.jsonl (of a resumed run too: the file holds the whole
 * history) into growing arrays; the floor row's values into floor_f, floor_p. */
static int read_history(const char *path, double **steps, double **fdf, double **fdp, int *n,
                        double *floor_f, double *floor_p, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read", path);
        return -1;
    }
    char line[1024];
    int cap = 0, rc = 0;
    *n = 0;
    *floor_f = *floor_p = NAN;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "\"floor\": true")) {
            *floor_f = json_field(line, "fd_features");
            *floor_p = json_field(line, "fd_pixels");
            continue;
        }
        double st = json_field(line, "step");
        if (!isfinite(st)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            double *a = realloc(*steps, sizeof(double) * (size_t)cap),
                   *b = a ? realloc(*fdf, sizeof(double) * (size_t)cap) : NULL,
                   *c = b ? realloc(*fdp, sizeof(double) * (size_t)cap) : NULL;
            if (a) *steps = a;
            if (b) *fdf = b;
            if (c) *fdp = c;
            if (!c) {
                snprintf(err, errlen, "%s: out of memory", path);
                rc = -1;
                break;
            }
        }
        (*steps)[*n] = st;
        (*fdf)[*n] = json_field(line, "fd_features");
        (*fdp)[*n] = json_field(line, "fd_pixels");
        (*n)++;
    }
    fclose(f);
    if (!rc && *n == 0) {
        snprintf(err, errlen, "%s: no measurements", path);
        rc = -1;
    }
    return rc;
}

/* "a, b, c" of v[0..n) into buf, cut short (never past buf) when it does not fit. */
static void join_ints(char *buf, size_t len, const int *v, int n) {
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && k < len; i++) {
        int w = snprintf(buf + k, len - k, "%s%d", i ? ", " : "", v[i]);
        if (w < 0) break;
        k += (size_t)w;
    }
}

/* v with %.6g, or "n/a" when it does not exist (NaN: feature distances of an unlabelled set,
 * a KID of too few images); buf holds 32 bytes. */
static const char *num_or_na(char *buf, double v) {
    if (isfinite(v)) snprintf(buf, 32, "%.6g", v);
    else snprintf(buf, 32, "n/a");
    return buf;
}

/* report_dir: the summary (counts, distances, settings), the sample grid and the distances
 * over training. */
static int write_report(run *r, const run_gan_result *res, char *err, size_t errlen) {
    const run_gan_spec *s = r->s;
    char path[4200], settings[2048], hidden[160], dhidden[160], data[512];
    double *steps = NULL, *fdf = NULL, *fdp = NULL, floor_f, floor_p;
    int n = 0, rc = -1;
    if (io_mkdir_p(s->report_dir, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/metrics.jsonl", s->out_dir);
    if (read_history(path, &steps, &fdf, &fdp, &n, &floor_f, &floor_p, err, errlen)) goto done;
    snprintf(path, sizeof path, "%s/distance.png", s->report_dir);
    if (report_gan_distances(path, steps, fdf, fdp, n, floor_f, floor_p,
                             "Fréchet distance of the EMA generator to the real set", err, errlen))
        goto done;
    snprintf(path, sizeof path, "%s/samples.png", s->report_dir);
    if (write_grid(r, path, err, errlen)) goto done;
    join_ints(hidden, sizeof hidden, s->gen.hidden, s->gen.n_hidden);
    join_ints(dhidden, sizeof dhidden, s->disc_hidden, s->n_disc_hidden);
    char v[13][32];
    snprintf(settings, sizeof settings,
             "steps: %d of batch %d (distances every %d steps on %d generated images)\n"
             "generator: latent %d, style %d (%d mapping layers), %d features -> hidden [%s] of rank %d"
             " -> %d channel%s: %d parameters + features %d\n"
             "discriminator: MLP [%s], minibatch std group %d: %d parameters\n"
             "gan: logistic, R1 %g every %d, EMA half-life %g images, Adam lr %g (G) / %g (D), betas %g/%g\n"
             "feature-space Frechet distance: %s at step %ld -> %s at step %ld (floor %s; classifier accuracy %s)\n"
             "pixel-space Frechet distance: %s -> %s (floor %s)\n"
             "KID at step %ld: features %s, pixels %s (floors %s, %s)\n"
             "ms per step: discriminator %s, generator %s",
             s->steps, s->gan.batch, s->eval_every, s->n_eval, s->gen.z_dim, s->gen.w_dim,
             s->gen.mapping_layers, s->gen.c_feat, hidden, s->gen.rank, s->gen.channels,
             s->gen.channels == 1 ? "" : "s", res->n_params_gen, res->n_params_features, dhidden,
             s->mbstd_group, res->n_params_disc, s->gan.r1_gamma, s->gan.r1_every,
             s->gan.ema_half_life, s->gan.lr_g, s->gan.lr_d, s->gan.beta1, s->gan.beta2,
             num_or_na(v[0], res->first.fd_features), res->first_step,
             num_or_na(v[1], res->last.fd_features), res->last_step,
             num_or_na(v[2], res->floor.fd_features), num_or_na(v[3], res->feature_accuracy),
             num_or_na(v[4], res->first.fd_pixels), num_or_na(v[5], res->last.fd_pixels),
             num_or_na(v[6], res->floor.fd_pixels), res->last_step,
             num_or_na(v[7], res->last.kid_features), num_or_na(v[8], res->last.kid_pixels),
             num_or_na(v[9], res->floor.kid_features), num_or_na(v[10], res->floor.kid_pixels),
             num_or_na(v[11], res->ms_d), num_or_na(v[12], res->ms_g));
    snprintf(data, sizeof data, "%d images of %d x %d x %d from %s", s->real->n, s->real->h,
             s->real->w, s->real->c, s->data ? s->data : "the image set");
    report_summary sum;
    report_summary_init(&sum);
    sum.name = s->name;
    sum.model = s->model;
    sum.data = data;
    sum.n_params = (long)res->n_params_gen + res->n_params_features + res->n_params_disc;
    sum.seed = (long)s->seed;
    sum.seconds_total = res->seconds;
    sum.settings = settings;
    report_summary_add_figure(&sum, "samples.png", "64 samples of the EMA generator from fixed latents");
    report_summary_add_figure(&sum, "distance.png", "the EMA generator's Fréchet distance to the real "
                                                    "set over training (metrics.jsonl), floors dashed");
    rc = report_write_index(s->report_dir, &sum, err, errlen);
done:
    free(steps);
    free(fdf);
    free(fdp);
    return rc;
}

int run_gan(const run_gan_spec *s, run_gan_result *res, char *err, size_t errlen) {
    run r = {.s = s};
    int rc = -1;
    double t0 = now_seconds();
    memset(res, 0, sizeof *res);
    res->first_step = -1;   /* no measurement yet */
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
    /* before training: a report that cannot be written must not cost the run */
    if (s->report_dir && io_check_writable_folder(s->report_dir, err, errlen)) return -1;
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
        !(r.fema = rt_alloc_array(nf + 1, sizeof(double))) ||
        !(r.Fema = rt_alloc_array((size_t)r.P * (size_t)s->gen.c_feat, sizeof(double))) ||
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
    rt_rng_seed(&r.batch_rng, s->seed + 6);
    if (nf) rt_model_get_params(s->features, r.fema);   /* the EMA starts at the weights */
    long first_step = 0;
    if (s->resume && resume(&r, &first_step, err, errlen)) goto done;
    res->feature_accuracy = NAN;
    if (set->labels) {
        if (!(r.fnet = rt_feature_net_get(set, s->feature_cache, s->seed + 4, err, errlen)))
            goto done;
        res->feature_accuracy = rt_feature_net_accuracy(r.fnet);
    }
    if (rt_gen_distance_floor(r.fnet, set, s->seed + 5, &res->floor, err, errlen)) goto done;
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.jsonl", s->out_dir);
    int have_step = 0;
    if (s->resume && copy_history(&r, first_step, res, &have_step, err, errlen)) goto done;
    if (!(r.metrics = fopen(path, s->resume ? "a" : "w"))) {
        snprintf(err, errlen, "%s: cannot write", path);
        goto done;
    }
    rt_model_train(s->features);
    if (!s->resume) {
        fprintf(r.metrics, "{\"floor\": true, ");
        json_num(r.metrics, "fd_features", res->floor.fd_features, 0);
        json_num(r.metrics, "fd_pixels", res->floor.fd_pixels, 0);
        json_num(r.metrics, "kid_features", res->floor.kid_features, 0);
        json_num(r.metrics, "kid_pixels", res->floor.kid_pixels, 1);
        fprintf(r.metrics, "}\n");
    }
    rt_gen_distance at_start;
    if (compute_features(&r, err, errlen) ||
        measure(&r, first_step, NULL, &at_start, have_step, err, errlen))
        goto done;
    if (res->first_step < 0) {
        /* a fresh run, or a resumed history without an earlier measurement */
        res->first = at_start;
        res->first_step = first_step;
    }
    res->last = at_start;
    res->last_step = first_step;
    double sum_d = 0, sum_g = 0;
    for (long step = first_step + 1; step <= s->steps; step++) {
        for (int b = 0; b < s->gan.batch; b++) {
            int n = (int)(rt_rng_u64(&r.batch_rng) % (uint64_t)set->n);
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
            update_features_ema(&r);
        }
        sum_d += st.ms_d;
        sum_g += st.ms_g;
        if (step % s->eval_every == 0 || step == s->steps) {
            if (compute_features(&r, err, errlen) || measure(&r, step, &st, &res->last, 0, err, errlen))
                goto done;
            res->last_step = step;
        }
    }
    long done_steps = s->steps - first_step;
    res->ms_d = done_steps ? sum_d / done_steps : NAN;
    res->ms_g = done_steps ? sum_g / done_steps : NAN;
    res->n_params_gen = rt_gen_n_params(r.g);
    res->n_params_features = (int)nf;
    res->n_params_disc = rt_disc_n_params(r.d);
    snprintf(path, sizeof path, "%s/samples.png", s->out_dir);
    if (write_grid(&r, path, err, errlen) || write_checkpoints(&r, err, errlen)) goto done;
    res->seconds = now_seconds() - t0;
    if (s->report_dir && write_report(&r, res, err, errlen)) goto done;
    rc = 0;
done:
    run_free(&r);
    return rc;
}
