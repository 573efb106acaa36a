/* rt_modlin: INR-GAN's modulated 1x1 linear layer (factorised multiplicative modulation, the
 * reference's inr-gan/), the generator's synthesis layer of issue 18. Per sample b, with style
 * w_b (w_dim) and per-pixel input features x_b[p] (c_in) for P pixels:
 *   s   = A w_b / sqrt(w_dim) + a            (the affine map; A ~ N(0, 1), a = 0 at start)
 *   L   = s[0 .. c_out*rank) as [c_out][rank], R = the rest as [rank][c_in]
 *   V   = W * (1 + L R / sqrt(rank))         (elementwise; W [c_out][c_in] ~ N(0, 1))
 *   hidden: W' = V / (|V row| + 1e-8)       (demodulation: each row normalised)
 *           y  = sqrt(2) lrelu_0.2(W' x + bias)
 *   output: W' = V / sqrt(c_in)             (no demodulation; StyleGAN's weight gain)
 *           y  = W' x + bias
 * The same W' for every pixel of a sample. Exact backward into the parameters, the style (the
 * factors' input) and the input features (docs/runtime.md §14). */
#ifndef QNN_RT_MODLIN_H
#define QNN_RT_MODLIN_H

#include <stddef.h>
#include <stdint.h>

#define RT_MODLIN_MAX_WIDTH 4096
#define RT_MODLIN_MAX_RANK 256
#define RT_MODLIN_LEAK 0.2
#define RT_MODLIN_DEMOD_EPS 1e-8

typedef enum { RT_MODLIN_HIDDEN, RT_MODLIN_OUTPUT } rt_modlin_kind;

typedef struct rt_modlin rt_modlin;

/* Parameters drawn from seed in the order A, a (zeros), W, bias (zeros). NULL (rt_error) on
 * bad sizes. */
rt_modlin *rt_modlin_new(int c_in, int c_out, int w_dim, int rank, rt_modlin_kind kind,
                         uint64_t seed);
void rt_modlin_free(rt_modlin *l);   /* NULL is a no-op */
int rt_modlin_c_in(const rt_modlin *l);
int rt_modlin_c_out(const rt_modlin *l);
int rt_modlin_n_params(const rt_modlin *l);
double *rt_modlin_params(rt_modlin *l);
/* Tensors in parameter order: "affine.weight" [(c_out + c_in) rank][w_dim], "affine.bias",
 * "weight" [c_out][c_in], "bias" [c_out]; as rt_mapping_param_name. */
int rt_modlin_n_tensors(const rt_modlin *l);
const char *rt_modlin_param_name(const rt_modlin *l, int tensor, int *offset, int *size);

/* y (B x P x c_out) from x (B x P x c_in) and w (B x w_dim); keeps what backward needs.
 * -1 with one line in err when B or P < 1 or memory runs out. */
int rt_modlin_forward(rt_modlin *l, const double *x, const double *w, int B, int P, double *y,
                      char *err, size_t errlen);
/* For L = sum gy . y of the last forward: grad_params += dL/dparams; grad_x = dL/dx and
 * grad_w = dL/dw (overwritten; either may be NULL to skip). */
void rt_modlin_backward(rt_modlin *l, const double *gy, double *grad_params, double *grad_x,
                        double *grad_w);

#endif
