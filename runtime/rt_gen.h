/* rt_gen: the synthesis part of the QIREN image generator of issue 18 (the reference's
 * inr-gan/): the mapping network z -> w (rt_mapping), then per pixel, from the coordinate
 * features F (P x c_feat: the QIREN block or a baseline's, computed by the caller once per grid,
 * the same for every sample), modulated hidden layers (rt_modlin, demodulated, leaky ReLU) and
 * a modulated output layer to the image channels. All parameters in one flat vector (mapping,
 * then the layers in order) for Adam, the EMA and checkpoints. */
#ifndef QNN_RT_GEN_H
#define QNN_RT_GEN_H

#include <stddef.h>
#include <stdint.h>

#define RT_GEN_MAX_LAYERS 16

typedef struct {
    int z_dim, w_dim, mapping_layers;
    double mapping_lr_mul;     /* the reference: 0.01 */
    int c_feat;                /* coordinate features per pixel (QIREN: 8) */
    int n_hidden;              /* modulated hidden layers */
    int hidden[RT_GEN_MAX_LAYERS];   /* their widths (the reference: 64, 32, 32) */
    int channels;              /* image channels (1 or 3) */
    int rank;                  /* modulation rank (the reference: 10) */
} rt_gen_config;

typedef struct rt_gen rt_gen;

rt_gen *rt_gen_new(const rt_gen_config *cfg, uint64_t seed);   /* NULL (rt_error) on bad cfg */
void rt_gen_free(rt_gen *g);                                    /* NULL is a no-op */
const rt_gen_config *rt_gen_config_of(const rt_gen *g);
int rt_gen_n_params(const rt_gen *g);
double *rt_gen_params(rt_gen *g);
/* Parameters of the mapping network alone (the first ones of the flat vector). */
int rt_gen_n_mapping_params(const rt_gen *g);
/* Checkpoint tensor t: "mapping.fc<k>.weight", ..., "l<k>.affine.weight", ..., "out.bias";
 * with its offset and size; NULL out of range. */
int rt_gen_n_tensors(const rt_gen *g);
const char *rt_gen_param_name(rt_gen *g, int tensor, int *offset, int *size);

/* images (B x P x channels, per pixel its channels) from latents z (B x z_dim) and features F
 * (P x c_feat). Keeps what backward needs. -1 with one line in err. */
int rt_gen_forward(rt_gen *g, const double *z, int B, const double *F, int P, double *images,
                   char *err, size_t errlen);
/* For L = sum gi . images of the last forward: grad_params += dL/dparams; grad_F = dL/dF
 * summed over the batch (P x c_feat, overwritten; NULL to skip). */
void rt_gen_backward(rt_gen *g, const double *gi, double *grad_params, double *grad_F);

#endif
