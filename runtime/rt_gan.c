/* rt_gan: the adversarial step. d softplus(t)/dt = sigmoid(t), so the discriminator's logit
 * gradients are sigmoid(l_fake)/B and -sigmoid(-l_real)/B, the generator's -sigmoid(-l_fake)/B,
 * back through D to the images (rt_disc_backward's grad_x) and on through G. R1 comes from
 * rt_disc_r1 (double backpropagation), scaled gamma/2 (StyleGAN2's) times the lazy interval.
 * The EMA uses beta = 0.5^(batch / half_life) per step, StyleGAN2-ADA's ema_beta. */
#include "rt_gan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_error.h"
#include "rt_mem.h"
#include "rt_rng.h"

struct rt_gan {
    rt_gen *g;
    rt_disc *d;
    rt_gan_config cfg;
    rt_optim *opt_g, *opt_d;
    rt_rng rng;
    long steps;
    int ng, nd, zd, px_cap;
    double ema_beta;
    double *ema, *keep;          /* ng each */
    double *grad_g, *grad_d, *scratch_d;
    double *z;                   /* batch x z_dim */
    double *fake, *gfake;        /* batch x image, grown with P */
    double *logits, *glog;       /* batch */
};

static double softplus(double t) { return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t)); }
static double sigmoid(double t) { return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t)); }

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

rt_gan *rt_gan_new(rt_gen *g, rt_disc *d, const rt_gan_config *cfg, uint64_t seed) {
    if (!g || !d) {
        rt_error("GAN: no generator or discriminator");
        return NULL;
    }
    if (cfg->batch < 1 || cfg->batch > 1 << 16) {
        rt_error("GAN: batch of %d (1..65536)", cfg->batch);
        return NULL;
    }
    int G = rt_disc_mbstd_group(d);
    if (G > 1 && cfg->batch % G) {
        rt_error("GAN: batch %d is not a multiple of the discriminator's minibatch-std group %d",
                 cfg->batch, G);
        return NULL;
    }
    if (!(cfg->r1_gamma >= 0) || cfg->r1_every < 1 || !(cfg->ema_half_life >= 0) ||
        !(cfg->lr_g > 0) || !(cfg->lr_d > 0)) {
        rt_error("GAN: bad settings (learning rates > 0, r1_gamma >= 0, r1_every >= 1, "
                 "ema half-life >= 0)");
        return NULL;
    }
    rt_gan *t = calloc(1, sizeof *t);
    if (!t) {
        rt_error("GAN: out of memory");
        return NULL;
    }
    t->g = g;
    t->d = d;
    t->cfg = *cfg;
    t->ng = rt_gen_n_params(g);
    t->nd = rt_disc_n_params(d);
    t->zd = rt_gen_config_of(g)->z_dim;
    t->ema_beta = cfg->ema_half_life > 0 ? pow(0.5, cfg->batch / cfg->ema_half_life) : 0;
    rt_rng_seed(&t->rng, seed);
    size_t B = (size_t)cfg->batch;
    t->opt_g = rt_adam_create((size_t)t->ng, cfg->lr_g, cfg->beta1, cfg->beta2, cfg->adam_eps, 0);
    t->opt_d = rt_adam_create((size_t)t->nd, cfg->lr_d, cfg->beta1, cfg->beta2, cfg->adam_eps, 0);
    if (!t->opt_g || !t->opt_d || !(t->ema = rt_alloc_array((size_t)t->ng, sizeof(double))) ||
        !(t->keep = rt_alloc_array((size_t)t->ng, sizeof(double))) ||
        !(t->grad_g = rt_alloc_array((size_t)t->ng, sizeof(double))) ||
        !(t->grad_d = rt_alloc_array((size_t)t->nd, sizeof(double))) ||
        !(t->scratch_d = rt_alloc_array((size_t)t->nd, sizeof(double))) ||
        !(t->z = rt_alloc_array(B * (size_t)t->zd, sizeof(double))) ||
        !(t->logits = rt_alloc_array(B, sizeof(double))) ||
        !(t->glog = rt_alloc_array(B, sizeof(double)))) {
        rt_gan_free(t);
        return NULL;
    }
    memcpy(t->ema, rt_gen_params(g), sizeof(double) * (size_t)t->ng);
    return t;
}

void rt_gan_free(rt_gan *t) {
    if (!t) return;
    rt_optim_destroy(t->opt_g);
    rt_optim_destroy(t->opt_d);
    double *bufs[] = {t->ema, t->keep, t->grad_g, t->grad_d, t->scratch_d, t->z, t->fake,
                      t->gfake, t->logits, t->glog};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) rt_free(bufs[i]);
    free(t);
}

/* The image buffers for P pixels, and the discriminator's size against the generator's. */
static int prepare(rt_gan *t, int P, char *err, size_t errlen) {
    int ch = rt_gen_config_of(t->g)->channels;
    if (P < 1 || (long)P * ch != rt_disc_in_dim(t->d)) {
        snprintf(err, errlen,
                 "GAN: the discriminator takes %d values, the generator makes %d pixels x %d "
                 "channels",
                 rt_disc_in_dim(t->d), P, ch);
        return -1;
    }
    if (P > t->px_cap) {
        rt_free(t->fake);
        rt_free(t->gfake);
        size_t n = (size_t)t->cfg.batch * (size_t)P * (size_t)ch;
        t->fake = rt_alloc_array(n, sizeof(double));
        t->gfake = rt_alloc_array(n, sizeof(double));
        t->px_cap = t->fake && t->gfake ? P : 0;
        if (!t->px_cap) {
            snprintf(err, errlen, "GAN: out of memory for a batch of images");
            return -1;
        }
    }
    return 0;
}

double rt_gan_grad_d(rt_gan *t, const double *z, const double *real, const double *F, int P,
                     double r1_scale, double *grad_d, double *r1_out, char *err, size_t errlen) {
    int B = t->cfg.batch;
    if (prepare(t, P, err, errlen)) return NAN;
    memset(grad_d, 0, sizeof(double) * (size_t)t->nd);
    if (rt_gen_forward(t->g, z, B, F, P, t->fake, err, errlen) ||
        rt_disc_forward(t->d, t->fake, B, t->logits, err, errlen))
        return NAN;
    double loss = 0;
    for (int b = 0; b < B; b++) {
        loss += softplus(t->logits[b]) / B;
        t->glog[b] = sigmoid(t->logits[b]) / B;
    }
    rt_disc_backward(t->d, t->glog, grad_d, NULL);
    if (rt_disc_forward(t->d, real, B, t->logits, err, errlen)) return NAN;
    for (int b = 0; b < B; b++) {
        loss += softplus(-t->logits[b]) / B;
        t->glog[b] = -sigmoid(-t->logits[b]) / B;
    }
    rt_disc_backward(t->d, t->glog, grad_d, NULL);
    if (r1_out) *r1_out = NAN;
    if (r1_scale > 0) {
        double r1 = rt_disc_r1(t->d, real, B, r1_scale, grad_d);
        if (isnan(r1)) {
            snprintf(err, errlen, "GAN: R1 penalty: %s", rt_error_last());
            return NAN;
        }
        loss += r1_scale * r1;
        if (r1_out) *r1_out = r1;
    }
    return loss;
}

double rt_gan_grad_g(rt_gan *t, const double *z, const double *F, int P, double *grad_g,
                     double *grad_F, char *err, size_t errlen) {
    int B = t->cfg.batch;
    if (prepare(t, P, err, errlen)) return NAN;
    memset(grad_g, 0, sizeof(double) * (size_t)t->ng);
    if (rt_gen_forward(t->g, z, B, F, P, t->fake, err, errlen) ||
        rt_disc_forward(t->d, t->fake, B, t->logits, err, errlen))
        return NAN;
    double loss = 0;
    for (int b = 0; b < B; b++) {
        loss += softplus(-t->logits[b]) / B;
        t->glog[b] = -sigmoid(-t->logits[b]) / B;
    }
    /* the discriminator's parameter gradient of this pass is not used: a scratch */
    rt_disc_backward(t->d, t->glog, t->scratch_d, t->gfake);
    rt_gen_backward(t->g, t->gfake, grad_g, grad_F);
    return loss;
}

static void draw_latents(rt_gan *t) {
    for (size_t i = 0; i < (size_t)t->cfg.batch * (size_t)t->zd; i++)
        t->z[i] = rt_rng_normal(&t->rng);
}

static double mean_logit(const rt_gan *t) {
    double s = 0;
    for (int b = 0; b < t->cfg.batch; b++) s += t->logits[b];
    return s / t->cfg.batch;
}

int rt_gan_step(rt_gan *t, const double *real, const double *F, int P, double *grad_F,
                rt_gan_stats *stats, char *err, size_t errlen) {
    rt_gan_stats st = {0};
    double t0 = now_ms();
    draw_latents(t);
    int lazy = t->cfg.r1_gamma > 0 && t->steps % t->cfg.r1_every == 0;
    double r1_scale = lazy ? t->cfg.r1_gamma / 2 * t->cfg.r1_every : 0;
    st.loss_d = rt_gan_grad_d(t, t->z, real, F, P, r1_scale, t->grad_d, &st.r1, err, errlen);
    if (isnan(st.loss_d)) return -1;
    st.logit_real = mean_logit(t);   /* t->logits' last forward was on the reals */
    rt_optim_step(t->opt_d, rt_disc_params(t->d), t->grad_d);
    double t1 = now_ms();
    draw_latents(t);
    st.loss_g = rt_gan_grad_g(t, t->z, F, P, t->grad_g, grad_F, err, errlen);
    if (isnan(st.loss_g)) return -1;
    st.logit_fake = mean_logit(t);
    rt_optim_step(t->opt_g, rt_gen_params(t->g), t->grad_g);
    const double *p = rt_gen_params(t->g);
    for (int i = 0; i < t->ng; i++) t->ema[i] = t->ema_beta * t->ema[i] + (1 - t->ema_beta) * p[i];
    double t2 = now_ms();
    st.ms_d = t1 - t0;
    st.ms_g = t2 - t1;
    t->steps++;
    if (stats) *stats = st;
    return 0;
}

const double *rt_gan_ema(const rt_gan *t) { return t->ema; }
double *rt_gan_ema_mut(rt_gan *t) { return t->ema; }
double rt_gan_ema_beta(const rt_gan *t) { return t->ema_beta; }
rt_optim *rt_gan_optim_g(rt_gan *t) { return t->opt_g; }
rt_optim *rt_gan_optim_d(rt_gan *t) { return t->opt_d; }
long rt_gan_steps(const rt_gan *t) { return t->steps; }

int rt_gan_sample_ema(rt_gan *t, const double *z, int B, const double *F, int P, double *images,
                      char *err, size_t errlen) {
    double *p = rt_gen_params(t->g);
    memcpy(t->keep, p, sizeof(double) * (size_t)t->ng);
    memcpy(p, t->ema, sizeof(double) * (size_t)t->ng);
    int rc = rt_gen_forward(t->g, z, B, F, P, images, err, errlen);
    memcpy(p, t->keep, sizeof(double) * (size_t)t->ng);
    return rc;
}

rt_rng *rt_gan_rng(rt_gan *t) { return &t->rng; }
void rt_gan_set_steps(rt_gan *t, long steps) { t->steps = steps; }

void rt_gan_rng_pack(const rt_rng *r, double out[RT_GAN_RNG_STATE]) {
    for (int i = 0; i < 4; i++) {
        out[2 * i] = (double)(uint32_t)(r->s[i] >> 32);
        out[2 * i + 1] = (double)(uint32_t)r->s[i];
    }
    out[8] = r->spare;
    out[9] = r->has_spare;
}

void rt_gan_rng_unpack(rt_rng *r, const double in[RT_GAN_RNG_STATE]) {
    for (int i = 0; i < 4; i++)
        r->s[i] = (uint64_t)(uint32_t)in[2 * i] << 32 | (uint64_t)(uint32_t)in[2 * i + 1];
    r->spare = in[8];
    r->has_spare = in[9] != 0;
}
