/* rt_disc: the discriminator of the GAN of issue 18: an MLP on the flattened image, leaky
 * ReLU(0.2) after each hidden layer, StyleGAN's minibatch standard deviation before the output
 * layer, and one output logit. Its own flat parameter vector (for Adam and checkpoints), exact
 * backward, and the R1 penalty's gradient by double backpropagation (docs/runtime.md
 * §13). */
#ifndef QNN_RT_DISC_H
#define QNN_RT_DISC_H

#include <stdint.h>
#include <stddef.h>

#define RT_DISC_MAX_HIDDEN 16
#define RT_DISC_MAX_WIDTH 65536
#define RT_DISC_LEAK 0.2
#define RT_DISC_MBSTD_EPS 1e-8   /* std = sqrt(var + eps), as StyleGAN */

typedef struct rt_disc rt_disc;

/* hidden[0..n_hidden) widths (n_hidden may be 0: the output layer sees the input); layer k is
 * W_k [hidden[k]][fan_in], b_k, initialised like PyTorch's Linear (uniform +-1/sqrt(fan_in),
 * weight then bias, layer by layer, from seed). mbstd_group 0 = none; G >= 1: the batch is split
 * into consecutive groups of G samples (B must be a multiple of G when G > 1), per group the
 * (biased) std over the group of every feature of the output layer's input, averaged to one
 * number, is appended to that input for every sample of the group, as StyleGAN does. NULL
 * (rt_error) on bad sizes. */
rt_disc *rt_disc_new(int in_dim, const int *hidden, int n_hidden, int mbstd_group, uint64_t seed);
void rt_disc_free(rt_disc *d);   /* NULL is a no-op */
int rt_disc_in_dim(const rt_disc *d);
int rt_disc_mbstd_group(const rt_disc *d);
int rt_disc_n_params(const rt_disc *d);
double *rt_disc_params(rt_disc *d);           /* flat parameter vector (for Adam, checkpoints) */
/* Tensors in parameter order: "l<k>.weight" [hidden[k]][fan_in], "l<k>.bias" [hidden[k]] per
 * hidden layer, then "out.weight" [1][fan_in] and "out.bias" [1] (PyTorch's Linear layout).
 * rt_disc_param_name: the name of tensor t with its offset and size in the flat vector
 * (offset, size may be NULL), or NULL when t is out of range. rt_disc_param_shape: its
 * PyTorch shape into shape[], returning the number of dimensions (2 or 1; 0 out of range). */
int rt_disc_n_tensors(const rt_disc *d);
const char *rt_disc_param_name(const rt_disc *d, int tensor, int *offset, int *size);
int rt_disc_param_shape(const rt_disc *d, int tensor, int64_t shape[2]);

/* logits[b] for x[b*in_dim ..], b < B; keeps what backward needs (allocates only when B grows).
 * -1 with one line in err when B < 1 or B is not a multiple of the group size. */
int rt_disc_forward(rt_disc *d, const double *x, int B, double *logits, char *err, size_t errlen);
/* For L = sum_b g[b] logit[b] of the last forward: grad_params += dL/dparams; grad_x = dL/dx
 * (B x in_dim, overwritten; NULL to skip). Exact also through the minibatch std. */
void rt_disc_backward(rt_disc *d, const double *g, double *grad_params, double *grad_x);
/* R1 penalty on x (real images), StyleGAN's: with grad_b = d(sum_b' logit_b')/d x_b,
 * returns R = (1/B) sum_b ||grad_b||^2 and adds scale * dR/dparams into grad_params (double
 * backprop: exact, not finite differences). Without minibatch std grad_b = d logit_b/d x_b;
 * with it, grad_b includes the coupling of the group through the std feature, handled exactly.
 * Leaky ReLU's slopes are piecewise constant, so they carry no second derivative. Runs its own
 * forward (the state of the last forward is replaced). NaN (rt_error) on a bad B. */
double rt_disc_r1(rt_disc *d, const double *x, int B, double scale, double *grad_params);

#endif
