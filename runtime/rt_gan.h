/* rt_gan: adversarial training of an rt_gen generator against an rt_disc discriminator, as
 * the reference (StyleGAN2-ADA's loss, issue 18): the non-saturating logistic loss, the R1
 * penalty on the real images (gamma, optionally lazy), Adam for both (betas (0, 0.99) in the
 * reference), an exponential moving average of the generator's weights. Images are in the
 * discriminator's range [-1, 1] here; the caller maps its [0, 1] sets (docs/runtime.md §15). */
#ifndef QNN_RT_GAN_H
#define QNN_RT_GAN_H

#include <stddef.h>
#include <stdint.h>

#include "rt_disc.h"
#include "rt_gen.h"
#include "rt_optim.h"
#include "rt_rng.h"

typedef struct {
    int batch;                        /* images per step, real and generated */
    double lr_g, lr_d, beta1, beta2, adam_eps;
    double r1_gamma;                  /* 0: no R1 */
    int r1_every;                     /* lazy R1: every k-th D step, scaled by k (1: each) */
    double ema_half_life;             /* in images (the reference: 20000); 0: EMA = weights */
} rt_gan_config;

typedef struct {
    double loss_d, loss_g, r1;        /* r1: NaN on steps without it */
    double logit_real, logit_fake;    /* batch means, before the steps */
    double ms_d, ms_g;                /* wall time of the two half-steps */
} rt_gan_stats;

typedef struct rt_gan rt_gan;

/* Takes neither g nor d (the caller frees them after rt_gan_free). The EMA starts as a copy of
 * g's weights; the latents are drawn N(0, I) from seed. NULL (rt_error) on bad settings or a
 * discriminator whose input is not P x channels (checked at the first step). */
rt_gan *rt_gan_new(rt_gen *g, rt_disc *d, const rt_gan_config *cfg, uint64_t seed);
void rt_gan_free(rt_gan *t);   /* NULL is a no-op */

/* The losses' gradients, the parts of one step, for given latents z (B x z_dim) and real
 * images (B x P*channels):
 *   L_D = mean_b softplus(D(G(z_b))) + mean_b softplus(-D(real_b))   (+ r1_scale R1(real))
 *   L_G = mean_b softplus(-D(G(z_b)))
 * grad_d (n params of d) and grad_g (of g) are overwritten; grad_F (P x c_feat, NULL to skip)
 * gets dL_G/dF. Returns the loss, NaN (with one line in err) on failure. */
double rt_gan_grad_d(rt_gan *t, const double *z, const double *real, const double *F, int P,
                     double r1_scale, double *grad_d, double *r1_out, char *err, size_t errlen);
double rt_gan_grad_g(rt_gan *t, const double *z, const double *F, int P, double *grad_g,
                     double *grad_F, char *err, size_t errlen);

/* One training step: a D step on `real` (batch images, [-1, 1]) against fresh generated
 * images, then a G step on fresh latents, then the EMA update. grad_F as above (the G step's;
 * NULL to skip) for a caller that trains the coordinate features. 0 or -1 with err. */
int rt_gan_step(rt_gan *t, const double *real, const double *F, int P, double *grad_F,
                rt_gan_stats *stats, char *err, size_t errlen);

/* The EMA of the generator's weights (rt_gen_n_params values) and a way to sample with it:
 * images from z through a generator whose weights are the EMA (g's own weights are restored). */
const double *rt_gan_ema(const rt_gan *t);
double *rt_gan_ema_mut(rt_gan *t);   /* for resuming from a checkpoint */
/* The EMA's per-step decay beta (0.5^(batch / half_life); 0 when the half-life is 0), for a
 * caller that keeps an EMA of weights trained outside rt_gan (the coordinate features). */
double rt_gan_ema_beta(const rt_gan *t);
int rt_gan_sample_ema(rt_gan *t, const double *z, int B, const double *F, int P, double *images,
                      char *err, size_t errlen);
/* The optimisers (state for checkpoints) and the number of steps taken. */
rt_optim *rt_gan_optim_g(rt_gan *t);
rt_optim *rt_gan_optim_d(rt_gan *t);
long rt_gan_steps(const rt_gan *t);
/* What resuming needs besides the weights and the optimisers: the step count and the latents'
 * random stream, packed into RT_GAN_RNG_STATE doubles (exact: 32 bits per double). */
#define RT_GAN_RNG_STATE 10
void rt_gan_rng_pack(const rt_rng *r, double out[RT_GAN_RNG_STATE]);
void rt_gan_rng_unpack(rt_rng *r, const double in[RT_GAN_RNG_STATE]);
rt_rng *rt_gan_rng(rt_gan *t);
void rt_gan_set_steps(rt_gan *t, long steps);

#endif
