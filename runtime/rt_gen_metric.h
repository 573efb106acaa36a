/* rt_gen_metric: how far a set of generated images is from the real set, the small-scale
 * stand-in for FID of issue 18 (docs/runtime.md §12): the
 * Fréchet distance between Gaussians fitted to two sets, in pixel space and in the feature
 * space of a small classifier trained once on the labelled real set (not Inception: the
 * numbers are comparable with each other, not with published FIDs), and its floor, the
 * distance between two disjoint halves of the real set. */
#ifndef QNN_RT_GEN_METRIC_H
#define QNN_RT_GEN_METRIC_H

#include <stddef.h>
#include <stdint.h>

#include "rt_imageset.h"

/* Fréchet distance between Gaussians fitted to two feature sets (na x d, nb x d, row-major):
 * |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2), covariances unbiased
 * (n - 1), square roots from LAPACKE_dsyevd. Needs na, nb >= 2, d >= 1 and finite values.
 * 0 on success, -1 with one line in err. */
int rt_frechet_distance(const double *a, int na, const double *b, int nb, int d,
                        double *out, char *err, size_t errlen);

/* Kernel inception-style distance (Bińkowski et al. 2018) on the same kind of sets: the
 * unbiased estimate of the squared MMD with the cubic polynomial kernel k(x, y) = (x.y / d +
 * 1)^3, over all pairs (no subsets): mean k within a (i != j) + mean k within b (i != j) -
 * 2 mean k across. Unbiased, so it can be slightly negative for sets from one distribution,
 * and unlike the Fréchet distance not biased by the set sizes. Needs na, nb >= 2. */
int rt_kid(const double *a, int na, const double *b, int nb, int d, double *out, char *err,
           size_t errlen);

/* The feature space that stands in for Inception: an MLP classifier dim -> 128 -> 64 ->
 * classes (leaky ReLU 0.2), trained once with Adam on a seeded 80 % of the labelled real set;
 * features = its last hidden layer (64 values). Cached to cache_path (NULL: no cache) as
 * safetensors, written atomically, reloaded when present and made from a set of the same
 * shape, data hash and seed; a cache of another set or seed is retrained and replaced; a
 * file that is not such a cache is refused with a message naming it. NULL on failure (a set
 * without labels, fewer than 10 images, ...) with one line in err. */
typedef struct rt_feature_net rt_feature_net;
rt_feature_net *rt_feature_net_get(const rt_imageset *real, const char *cache_path,
                                   uint64_t seed, char *err, size_t errlen);
int rt_feature_net_dim(const rt_feature_net *f);
/* Held-out accuracy on the 20 % it was not trained on: what the feature space is worth. */
double rt_feature_net_accuracy(const rt_feature_net *f);
/* Whether rt_feature_net_get read it from the cache (1) or trained it (0). */
int rt_feature_net_from_cache(const rt_feature_net *f);
/* images: n x (the real set's h*w*c), the real set's layout; features: n x dim. */
void rt_feature_net_features(const rt_feature_net *f, const double *images, int n,
                             double *features);
void rt_feature_net_free(rt_feature_net *f);   /* NULL is a no-op */

/* The distances of a generated set (images: n x the real set's h*w*c, in [0, 1]) to the whole
 * real set: in the feature space (f may be NULL for a set without labels: the _features
 * values are then NaN) and in pixel space; Fréchet and KID. */
typedef struct { double fd_features, fd_pixels, kid_features, kid_pixels; } rt_gen_distance;
int rt_gen_distance_of(const rt_feature_net *f, const rt_imageset *real, const double *images,
                       int n, rt_gen_distance *out, char *err, size_t errlen);
/* The floor: the same distances between two disjoint halves of the real set (a seeded
 * permutation, the first n/2 against the other n - n/2). The Fréchet distance of finite sets
 * is biased upwards by their sizes, so a generated set of n/2 images is the fair comparison. */
int rt_gen_distance_floor(const rt_feature_net *f, const rt_imageset *real, uint64_t seed,
                          rt_gen_distance *out, char *err, size_t errlen);

#endif
