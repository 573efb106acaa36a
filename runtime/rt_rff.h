/* Runtime random Fourier features (the reference's FourierFeatures for the ReLU+RFF baseline):
 *   y = [cos(2 pi B x), sin(2 pi B x)]   (all m/2 cosines first, then the m/2 sines)
 * with B of shape (m/2, d) drawn once from N(0, scale^2) (the reference: scale 1) and never
 * trained. B is the buffer "frequency_matrix" (the reference's name), so checkpoints keep it. */
#ifndef QNN_RT_RFF_H
#define QNN_RT_RFF_H

#include "rt_layer.h"
#include "rt_rng.h"

/* d inputs -> m outputs, m even. B is drawn row-major from rng. NULL on failure (rt_error). */
rt_layer *rt_rff_create(int d, int m, double scale, rt_rng *rng);

#endif
