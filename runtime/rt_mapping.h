/* rt_mapping: the GAN generator's mapping network of issue 18 (StyleGAN2's, which the
 * reference's inr-gan/ keeps): z -> w. The latent is first normalised to unit second moment,
 * z / sqrt(mean(z^2) + 1e-8), then n fully connected layers, each followed by leaky ReLU(0.2)
 * times sqrt(2). StyleGAN's equalised learning rate with a learning-rate multiplier: the
 * stored weight is drawn N(0, 1/lr_mul^2) and used as W * lr_mul / sqrt(fan_in), the stored
 * bias (initially 0) as b * lr_mul, so that Adam on the stored values moves the effective ones
 * lr_mul times slower (the reference: lr_mul 0.01). Exact backward (docs/runtime.md §14). */
#ifndef QNN_RT_MAPPING_H
#define QNN_RT_MAPPING_H

#include <stddef.h>
#include <stdint.h>

#define RT_MAPPING_MAX_LAYERS 16
#define RT_MAPPING_MAX_WIDTH 4096
#define RT_MAPPING_LEAK 0.2
#define RT_MAPPING_NORM_EPS 1e-8

typedef struct rt_mapping rt_mapping;

/* z_dim inputs, n_layers (1..16) layers of w_dim outputs, lr_mul in (0, 1]; parameters drawn
 * from seed, layer by layer (weight, then the zero bias). NULL (rt_error) on bad sizes. */
rt_mapping *rt_mapping_new(int z_dim, int w_dim, int n_layers, double lr_mul, uint64_t seed);
void rt_mapping_free(rt_mapping *m);   /* NULL is a no-op */
int rt_mapping_z_dim(const rt_mapping *m);
int rt_mapping_w_dim(const rt_mapping *m);
int rt_mapping_n_params(const rt_mapping *m);
double *rt_mapping_params(rt_mapping *m);   /* the stored values, flat (Adam, checkpoints) */
/* Tensors in parameter order: "fc<k>.weight" [w_dim][fan_in], "fc<k>.bias" [w_dim]; name of
 * tensor t with its offset and size (either may be NULL), NULL when out of range. */
int rt_mapping_n_tensors(const rt_mapping *m);
const char *rt_mapping_param_name(const rt_mapping *m, int tensor, int *offset, int *size);

/* w[b*w_dim ..] for z[b*z_dim ..], b < B; keeps what backward needs. -1 with one line in err
 * when B < 1 or memory runs out. */
int rt_mapping_forward(rt_mapping *m, const double *z, int B, double *w, char *err,
                       size_t errlen);
/* For L = sum gw . w of the last forward: grad_params += dL/dparams (stored values);
 * grad_z = dL/dz (B x z_dim, overwritten; NULL to skip). */
void rt_mapping_backward(rt_mapping *m, const double *gw, double *grad_params, double *grad_z);

#endif
