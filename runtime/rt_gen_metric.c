/* rt_gen_metric: the Fréchet distance (LAPACKE's symmetric eigensolver for the matrix square
 * roots), the small classifier whose last hidden layer is the feature space, its safetensors
 * cache, and the distances of a generated set and of the real set's two halves. */
#include "rt_gen_metric.h"

#include <inttypes.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_file.h"
#include "io_safetensors.h"
#include "k_dense.h"
#include "rt_loss.h"
#include "rt_optim.h"
#include "rt_rng.h"

#define FD_MAX_DIM 4096   /* d x d matrices: 128 MiB each at the limit */

/* ---- Fréchet distance ----------------------------------------------------------------- */

/* mu[d] and the unbiased covariance S[d][d] of x (n x d). */
static void mean_cov(const double *x, int n, int d, double *mu, double *S) {
    memset(mu, 0, sizeof(double) * (size_t)d);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) mu[j] += x[(size_t)i * d + j];
    for (int j = 0; j < d; j++) mu[j] /= n;
    memset(S, 0, sizeof(double) * (size_t)d * (size_t)d);
    double *row = malloc(sizeof(double) * (size_t)d);
    for (int i = 0; i < n && row; i++) {
        for (int j = 0; j < d; j++) row[j] = x[(size_t)i * d + j] - mu[j];
        for (int j = 0; j < d; j++)
            for (int k = j; k < d; k++) S[(size_t)j * d + k] += row[j] * row[k];
    }
    free(row);
    for (int j = 0; j < d; j++)
        for (int k = j; k < d; k++) {
            S[(size_t)j * d + k] /= n - 1;
            S[(size_t)k * d + j] = S[(size_t)j * d + k];
        }
}

/* Eigenvalues (and with vectors, eigenvectors in the columns of M) of the symmetric M. A
 * covariance is positive semi-definite, but rounding leaves its zero eigenvalues (rank-
 * deficient sets: fewer samples than dimensions, constant pixels) at tiny negative values
 * such as -1e-17; they are clamped to 0 before the square root, which is what they are. */
static int sym_eig(double *M, int d, int vectors, double *w) {
    return LAPACKE_dsyevd(LAPACK_ROW_MAJOR, vectors ? 'V' : 'N', 'U', d, M, d, w);
}

static int check_finite(const double *x, size_t n, const char *what, const char *which,
                        char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            io_errf(err, errlen, "%s: value %zu of the %s set is not finite", what, i, which);
            return -1;
        }
    return 0;
}

int rt_frechet_distance(const double *a, int na, const double *b, int nb, int d,
                        double *out, char *err, size_t errlen) {
    if (na < 2 || nb < 2 || d < 1 || d > FD_MAX_DIM) {
        io_errf(err, errlen, "Fréchet distance: sets of %d and %d vectors of %d values (each "
                "set needs 2 or more, 1..%d values)", na, nb, d, FD_MAX_DIM);
        return -1;
    }
    if (check_finite(a, (size_t)na * d, "Fréchet distance", "first", err, errlen) ||
        check_finite(b, (size_t)nb * d, "Fréchet distance", "second", err, errlen))
        return -1;
    size_t dd = (size_t)d * (size_t)d;
    double *mua = malloc(sizeof(double) * (size_t)d), *mub = malloc(sizeof(double) * (size_t)d);
    double *Sa = malloc(sizeof(double) * dd), *Sb = malloc(sizeof(double) * dd);
    double *V = malloc(sizeof(double) * dd), *T = malloc(sizeof(double) * dd);
    double *w = malloc(sizeof(double) * (size_t)d);
    int rc = -1;
    if (!mua || !mub || !Sa || !Sb || !V || !T || !w) {
        io_errf(err, errlen, "Fréchet distance: out of memory for %d x %d matrices", d, d);
        goto done;
    }
    mean_cov(a, na, d, mua, Sa);
    mean_cov(b, nb, d, mub, Sb);
    double dmu = 0, tr = 0;
    for (int j = 0; j < d; j++) {
        dmu += (mua[j] - mub[j]) * (mua[j] - mub[j]);
        tr += Sa[(size_t)j * d + j] + Sb[(size_t)j * d + j];
    }
    /* S_a^1/2 = V diag(sqrt(max(w, 0))) V^T, into T */
    memcpy(V, Sa, sizeof(double) * dd);
    if (sym_eig(V, d, 1, w) != 0) {
        io_errf(err, errlen, "Fréchet distance: LAPACK's dsyevd failed on a covariance");
        goto done;
    }
    for (int k = 0; k < d; k++) w[k] = sqrt(w[k] > 0 ? w[k] : 0);
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += V[(size_t)i * d + k] * w[k] * V[(size_t)j * d + k];
            T[(size_t)i * d + j] = T[(size_t)j * d + i] = s;
        }
    /* M = S_a^1/2 S_b S_a^1/2 (symmetric: computed as P = S_b T, then M = T P, mirrored) */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += Sb[(size_t)i * d + k] * T[(size_t)k * d + j];
            V[(size_t)i * d + j] = s;
        }
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += T[(size_t)i * d + k] * V[(size_t)k * d + j];
            Sa[(size_t)i * d + j] = s;
        }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++) Sa[(size_t)i * d + j] = Sa[(size_t)j * d + i];
    if (sym_eig(Sa, d, 0, w) != 0) {
        io_errf(err, errlen, "Fréchet distance: LAPACK's dsyevd failed on S_a^1/2 S_b S_a^1/2");
        goto done;
    }
    double tr_sqrt = 0;
    for (int k = 0; k < d; k++) tr_sqrt += sqrt(w[k] > 0 ? w[k] : 0);
    /* Exactly >= 0 in exact arithmetic; rounding may leave -1e-15 for equal sets, kept as is. */
    *out = dmu + tr - 2 * tr_sqrt;
    rc = 0;
done:
    free(mua);
    free(mub);
    free(Sa);
    free(Sb);
    free(V);
    free(T);
    free(w);
    return rc;
}

/* sum over i, j (i != j when same) of (x_i . y_j / d + 1)^3 */
static double kernel_sum(const double *x, int nx, const double *y, int ny, int d, int same) {
    double total = 0;
    for (int i = 0; i < nx; i++) {
        double row = 0;
        for (int j = 0; j < ny; j++) {
            if (same && i == j) continue;
            double dot = 0;
            for (int k = 0; k < d; k++) dot += x[(size_t)i * d + k] * y[(size_t)j * d + k];
            double t = dot / d + 1;
            row += t * t * t;
        }
        total += row;
    }
    return total;
}

int rt_kid(const double *a, int na, const double *b, int nb, int d, double *out, char *err,
           size_t errlen) {
    if (na < 2 || nb < 2 || d < 1) {
        io_errf(err, errlen, "KID: sets of %d and %d vectors of %d values (each set needs 2 or "
                "more, 1 or more values)", na, nb, d);
        return -1;
    }
    if (check_finite(a, (size_t)na * d, "KID", "first", err, errlen) ||
        check_finite(b, (size_t)nb * d, "KID", "second", err, errlen))
        return -1;
    double kaa = kernel_sum(a, na, a, na, d, 1) / ((double)na * (na - 1));
    double kbb = kernel_sum(b, nb, b, nb, d, 1) / ((double)nb * (nb - 1));
    double kab = kernel_sum(a, na, b, nb, d, 0) / ((double)na * nb);
    *out = kaa + kbb - 2 * kab;
    return 0;
}

/* ---- the feature network -------------------------------------------------------------- */

#define FN_H1 128
#define FN_H2 64
#define FN_LEAK 0.2
#define FN_EPOCHS 40
#define FN_BATCH 64
#define FN_LR 1e-3
#define FN_MAX_CLASSES 1000
#define FN_CHUNK 256
#define FN_FORMAT "qnn feature net 1"

struct rt_feature_net {
    int in_dim, classes;
    int off[6];          /* W1 b1 W2 b2 W3 b3 */
    int n_params;
    double *params;
    double accuracy;
    int from_cache;
};

static const char *const FN_NAMES[6] = {"l1.weight", "l1.bias", "l2.weight", "l2.bias",
                                        "out.weight", "out.bias"};

int rt_feature_net_dim(const rt_feature_net *f) {
    (void)f;   /* one architecture: the last hidden layer's width */
    return FN_H2;
}
double rt_feature_net_accuracy(const rt_feature_net *f) { return f->accuracy; }
int rt_feature_net_from_cache(const rt_feature_net *f) { return f->from_cache; }

void rt_feature_net_free(rt_feature_net *f) {
    if (!f) return;
    free(f->params);
    free(f);
}

static void fn_shape(const rt_feature_net *f, int t, int64_t *rows, int64_t *cols) {
    const int in[3] = {f->in_dim, FN_H1, FN_H2}, out[3] = {FN_H1, FN_H2, f->classes};
    *rows = out[t / 2];
    *cols = t % 2 ? 0 : in[t / 2];
}

static rt_feature_net *fn_alloc(int in_dim, int classes) {
    rt_feature_net *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->in_dim = in_dim;
    f->classes = classes;
    int n = 0;
    for (int t = 0; t < 6; t++) {
        int64_t r, c;
        fn_shape(f, t, &r, &c);
        f->off[t] = n;
        n += (int)(c ? r * c : r);
    }
    f->n_params = n;
    f->params = calloc((size_t)n, sizeof(double));
    if (!f->params) {
        free(f);
        return NULL;
    }
    return f;
}

static void lrelu_inplace(double *a, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] <= 0) a[i] *= FN_LEAK;
}

/* h1 = lrelu(W1 x + b1), h2 = lrelu(W2 h1 + b2), and the logits when z is not NULL; a1, a2 keep
 * the pre-activations for backward (may be NULL in inference). */
static void fn_forward(const rt_feature_net *f, const double *x, int B, double *a1, double *h1,
                       double *a2, double *h2, double *z) {
    const double *p = f->params;
    k_linear_forward(x, p + f->off[0], p + f->off[1], h1, B, f->in_dim, FN_H1);
    if (a1) memcpy(a1, h1, sizeof(double) * (size_t)B * FN_H1);
    lrelu_inplace(h1, (size_t)B * FN_H1);
    k_linear_forward(h1, p + f->off[2], p + f->off[3], h2, B, FN_H1, FN_H2);
    if (a2) memcpy(a2, h2, sizeof(double) * (size_t)B * FN_H2);
    lrelu_inplace(h2, (size_t)B * FN_H2);
    if (z) k_linear_forward(h2, p + f->off[4], p + f->off[5], z, B, FN_H2, f->classes);
}

void rt_feature_net_features(const rt_feature_net *f, const double *images, int n,
                             double *features) {
    double h1[FN_CHUNK * FN_H1];
    for (int i = 0; i < n; i += FN_CHUNK) {
        int B = n - i < FN_CHUNK ? n - i : FN_CHUNK;
        fn_forward(f, images + (size_t)i * f->in_dim, B, NULL, h1, NULL,
                   features + (size_t)i * FN_H2, NULL);
    }
}

/* A seeded permutation of 0..n-1 (Fisher-Yates). */
static void permutation(int *idx, int n, uint64_t seed) {
    rt_rng r;
    rt_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rt_rng_u64(&r) % (uint64_t)(i + 1)), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* Trains on the first 80 % of a seeded permutation, measures the accuracy on the rest. */
static int fn_train(rt_feature_net *f, const rt_imageset *s, uint64_t seed, char *err,
                    size_t errlen) {
    int n = s->n, D = f->in_dim, K = f->classes, n_train = (int)(0.8 * n + 0.5);
    rt_rng rng;
    rt_rng_seed(&rng, seed);
    for (int t = 0; t < 6; t++) {   /* PyTorch's Linear: uniform +-1/sqrt(fan_in) */
        int64_t r, c;
        fn_shape(f, t, &r, &c);
        int fan_in = t < 2 ? D : t < 4 ? FN_H1 : FN_H2;
        size_t cnt = (size_t)(c ? r * c : r);
        rt_init_fill(f->params + f->off[t], cnt, rt_init_uniform(-1 / sqrt(fan_in), 1 / sqrt(fan_in)), &rng);
    }
    int *idx = malloc(sizeof(int) * (size_t)n);
    size_t bd = (size_t)FN_BATCH;
    double *x = malloc(sizeof(double) * bd * (size_t)D), *tgt = malloc(sizeof(double) * bd * (size_t)K);
    double *a1 = malloc(sizeof(double) * bd * FN_H1), *h1 = malloc(sizeof(double) * bd * FN_H1);
    double *a2 = malloc(sizeof(double) * bd * FN_H2), *h2 = malloc(sizeof(double) * bd * FN_H2);
    double *z = malloc(sizeof(double) * bd * (size_t)K), *gz = malloc(sizeof(double) * bd * (size_t)K);
    double *g1 = malloc(sizeof(double) * bd * FN_H1), *g2 = malloc(sizeof(double) * bd * FN_H2);
    double *grad = malloc(sizeof(double) * (size_t)f->n_params);
    rt_optim *adam = rt_adam_create((size_t)f->n_params, FN_LR, 0.9, 0.999, 1e-8, 0);
    int rc = -1;
    if (!idx || !x || !tgt || !a1 || !h1 || !a2 || !h2 || !z || !gz || !g1 || !g2 || !grad || !adam) {
        io_errf(err, errlen, "feature net: out of memory");
        goto done;
    }
    permutation(idx, n, seed ^ 0x5851f42d4c957f2dULL);
    int *order = malloc(sizeof(int) * (size_t)n_train);
    if (!order) {
        io_errf(err, errlen, "feature net: out of memory");
        goto done;
    }
    memcpy(order, idx, sizeof(int) * (size_t)n_train);
    const double *p = f->params;
    for (int epoch = 0; epoch < FN_EPOCHS; epoch++) {
        for (int i = n_train - 1; i > 0; i--) {   /* reshuffle the training part */
            int j = (int)(rt_rng_u64(&rng) % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int b0 = 0; b0 < n_train; b0 += FN_BATCH) {
            int B = n_train - b0 < FN_BATCH ? n_train - b0 : FN_BATCH;
            memset(tgt, 0, sizeof(double) * (size_t)B * (size_t)K);
            for (int b = 0; b < B; b++) {
                int k = order[b0 + b];
                memcpy(x + (size_t)b * D, s->pix + (size_t)k * D, sizeof(double) * (size_t)D);
                tgt[(size_t)b * K + s->labels[k]] = 1;
            }
            fn_forward(f, x, B, a1, h1, a2, h2, z);
            rt_loss_cross_entropy(z, tgt, (size_t)B, K, gz);
            memset(grad, 0, sizeof(double) * (size_t)f->n_params);
            k_linear_backward_params(h2, gz, grad + f->off[4], grad + f->off[5], B, FN_H2, K);
            k_linear_backward_input(gz, p + f->off[4], g2, B, FN_H2, K);
            for (size_t i = 0; i < (size_t)B * FN_H2; i++) g2[i] *= a2[i] > 0 ? 1 : FN_LEAK;
            k_linear_backward_params(h1, g2, grad + f->off[2], grad + f->off[3], B, FN_H1, FN_H2);
            k_linear_backward_input(g2, p + f->off[2], g1, B, FN_H1, FN_H2);
            for (size_t i = 0; i < (size_t)B * FN_H1; i++) g1[i] *= a1[i] > 0 ? 1 : FN_LEAK;
            k_linear_backward_params(x, g1, grad + f->off[0], grad + f->off[1], B, D, FN_H1);
            rt_optim_step(adam, f->params, grad);
        }
    }
    free(order);
    /* held-out accuracy */
    int right = 0, n_test = n - n_train;
    for (int b0 = n_train; b0 < n; b0 += FN_BATCH) {
        int B = n - b0 < FN_BATCH ? n - b0 : FN_BATCH;
        for (int b = 0; b < B; b++)
            memcpy(x + (size_t)b * D, s->pix + (size_t)idx[b0 + b] * D, sizeof(double) * (size_t)D);
        fn_forward(f, x, B, NULL, h1, NULL, h2, z);
        for (int b = 0; b < B; b++) {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (z[(size_t)b * K + k] > z[(size_t)b * K + best]) best = k;
            right += best == s->labels[idx[b0 + b]];
        }
    }
    f->accuracy = n_test ? (double)right / n_test : NAN;
    rc = 0;
done:
    free(idx);
    free(x);
    free(tgt);
    free(a1);
    free(h1);
    free(a2);
    free(h2);
    free(z);
    free(gz);
    free(g1);
    free(g2);
    free(grad);
    rt_optim_destroy(adam);
    return rc;
}

/* FNV-1a over the set's sizes, pixels and labels: what the cache must have been made from. */
static uint64_t set_hash(const rt_imageset *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    int dims[4] = {s->n, s->h, s->w, s->c};
    const unsigned char *p = (const unsigned char *)dims;
    for (size_t i = 0; i < sizeof dims; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    p = (const unsigned char *)s->pix;
    for (size_t i = 0; i < sizeof(double) * (size_t)s->n * (size_t)rt_imageset_dim(s); i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    p = (const unsigned char *)s->labels;
    for (size_t i = 0; i < sizeof(int) * (size_t)s->n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

#define N_META 5
static const char *const META_KEYS[N_META] = {"format", "shape", "data_hash", "seed", "accuracy"};

static void meta_values(const rt_imageset *s, uint64_t seed, double accuracy, char v[N_META][64]) {
    snprintf(v[0], 64, "%s", FN_FORMAT);
    snprintf(v[1], 64, "%d,%d,%d,%d", s->n, s->h, s->w, s->c);
    snprintf(v[2], 64, "%016" PRIx64, set_hash(s));
    snprintf(v[3], 64, "%" PRIu64, seed);
    snprintf(v[4], 64, "%.17g", accuracy);
}

static int cache_write(const rt_feature_net *f, const rt_imageset *s, uint64_t seed,
                       const char *path, char *err, size_t errlen) {
    io_tensor t[6];
    for (int k = 0; k < 6; k++) {
        int64_t r, c;
        fn_shape(f, k, &r, &c);
        t[k] = (io_tensor){FN_NAMES[k], IO_ST_F64, c ? 2 : 1, {r, c}, f->params + f->off[k]};
    }
    char v[N_META][64];
    const char *vals[N_META];
    meta_values(s, seed, f->accuracy, v);
    for (int k = 0; k < N_META; k++) vals[k] = v[k];
    if (io_mkdir_parent(path, err, errlen)) return -1;
    return io_st_write(path, t, 6, META_KEYS, vals, N_META, err, errlen);
}

/* 1: loaded; 0: a cache of another set or seed (to be replaced); -1: not a cache (refused). */
static int cache_read(rt_feature_net *f, const rt_imageset *s, uint64_t seed, const char *path,
                      char *err, size_t errlen) {
    io_st_file st;
    if (io_st_read(path, &st, err, errlen)) return -1;
    int rc = -1;
    const char *format = io_st_meta(&st, "format");
    if (!format || strcmp(format, FN_FORMAT) != 0) {
        io_errf(err, errlen, "%s: not a feature-net cache (its metadata has no format \"%s\"); "
                "remove it or give another cache path", path, FN_FORMAT);
        goto done;
    }
    if (io_st_check_meta_keys(&st, path, META_KEYS, N_META, err, errlen)) goto done;
    char v[N_META][64];
    meta_values(s, seed, 0, v);
    for (int k = 1; k < 4; k++) {
        const char *got = io_st_meta(&st, META_KEYS[k]);
        if (!got || strcmp(got, v[k]) != 0) {
            rc = 0;   /* made from another set or seed: retrain */
            goto done;
        }
    }
    io_st_expect want[6];
    for (int k = 0; k < 6; k++) {
        int64_t r, c;
        fn_shape(f, k, &r, &c);
        want[k] = (io_st_expect){FN_NAMES[k], IO_ST_F64, c ? 2 : 1, {r, c}, 0};
    }
    if (io_st_check(&st, path, want, 6, err, errlen)) goto done;
    const char *acc = io_st_meta(&st, "accuracy");
    char *end;
    double a = acc ? strtod(acc, &end) : NAN;
    if (!acc || *end || !(a >= 0 && a <= 1)) {
        io_errf(err, errlen, "%s: the feature-net cache's accuracy '%.40s' is not a number in "
                "[0, 1]", path, acc ? acc : "");
        goto done;
    }
    for (int k = 0; k < 6; k++) {
        const io_tensor *t = io_st_find(&st, FN_NAMES[k]);
        memcpy(f->params + f->off[k], t->data, sizeof(double) * io_st_numel(t));
    }
    f->accuracy = a;
    rc = 1;
done:
    io_st_free(&st);
    return rc;
}

rt_feature_net *rt_feature_net_get(const rt_imageset *real, const char *cache_path,
                                   uint64_t seed, char *err, size_t errlen) {
    if (!real->labels) {
        io_errf(err, errlen, "feature net: the real set has no labels, and a classifier needs "
                "them (use the pixel distance alone)");
        return NULL;
    }
    if (real->n < 10) {
        io_errf(err, errlen, "feature net: %d images; at least 10 are needed (8 to train, 2 to "
                "test)", real->n);
        return NULL;
    }
    int classes = 0;
    for (int i = 0; i < real->n; i++) {
        if (real->labels[i] < 0 || real->labels[i] >= FN_MAX_CLASSES) {
            io_errf(err, errlen, "feature net: label %d of image %d (0..%d)", real->labels[i], i,
                    FN_MAX_CLASSES - 1);
            return NULL;
        }
        if (real->labels[i] + 1 > classes) classes = real->labels[i] + 1;
    }
    if (classes < 2) {
        io_errf(err, errlen, "feature net: every image has label 0: nothing to classify");
        return NULL;
    }
    rt_feature_net *f = fn_alloc(rt_imageset_dim(real), classes);
    if (!f) {
        io_errf(err, errlen, "feature net: out of memory");
        return NULL;
    }
    if (cache_path && access(cache_path, F_OK) == 0) {
        int got = cache_read(f, real, seed, cache_path, err, errlen);
        if (got < 0) {
            rt_feature_net_free(f);
            return NULL;
        }
        if (got == 1) {
            f->from_cache = 1;
            return f;
        }
    }
    if (fn_train(f, real, seed, err, errlen) ||
        (cache_path && cache_write(f, real, seed, cache_path, err, errlen))) {
        rt_feature_net_free(f);
        return NULL;
    }
    return f;
}

/* ---- distances of image sets ------------------------------------------------------------ */

/* Features of n images, or NULL (out of memory, reported). */
static double *features_of(const rt_feature_net *f, const double *images, int n, char *err,
                           size_t errlen) {
    double *out = malloc(sizeof(double) * (size_t)n * FN_H2);
    if (!out) {
        io_errf(err, errlen, "feature net: out of memory for the features of %d images", n);
        return NULL;
    }
    rt_feature_net_features(f, images, n, out);
    return out;
}

/* Both distances between image sets a (na) and b (nb) of dim values each. */
static int distances(const rt_feature_net *f, const double *a, int na, const double *b, int nb,
                     int dim, rt_gen_distance *out, char *err, size_t errlen) {
    out->fd_features = out->kid_features = NAN;
    if (rt_frechet_distance(a, na, b, nb, dim, &out->fd_pixels, err, errlen) ||
        rt_kid(a, na, b, nb, dim, &out->kid_pixels, err, errlen))
        return -1;
    if (!f) return 0;
    double *fa = features_of(f, a, na, err, errlen), *fb = fa ? features_of(f, b, nb, err, errlen) : NULL;
    int rc = fb && !rt_frechet_distance(fa, na, fb, nb, FN_H2, &out->fd_features, err, errlen) &&
                     !rt_kid(fa, na, fb, nb, FN_H2, &out->kid_features, err, errlen) ? 0 : -1;
    free(fa);
    free(fb);
    return rc;
}

static int check_net(const rt_feature_net *f, const rt_imageset *real, char *err, size_t errlen) {
    if (f && f->in_dim != rt_imageset_dim(real)) {
        io_errf(err, errlen, "feature net: made for images of %d values, the real set has %d",
                f->in_dim, rt_imageset_dim(real));
        return -1;
    }
    return 0;
}

int rt_gen_distance_of(const rt_feature_net *f, const rt_imageset *real, const double *images,
                       int n, rt_gen_distance *out, char *err, size_t errlen) {
    if (check_net(f, real, err, errlen)) return -1;
    return distances(f, real->pix, real->n, images, n, rt_imageset_dim(real), out, err, errlen);
}

int rt_gen_distance_floor(const rt_feature_net *f, const rt_imageset *real, uint64_t seed,
                          rt_gen_distance *out, char *err, size_t errlen) {
    if (check_net(f, real, err, errlen)) return -1;
    if (real->n < 4) {
        io_errf(err, errlen, "distance floor: %d images; two halves of 2 or more need 4", real->n);
        return -1;
    }
    int n = real->n, D = rt_imageset_dim(real), half = n / 2;
    int *idx = malloc(sizeof(int) * (size_t)n);
    double *a = malloc(sizeof(double) * (size_t)n * (size_t)D);
    if (!idx || !a) {
        free(idx);
        free(a);
        io_errf(err, errlen, "distance floor: out of memory");
        return -1;
    }
    permutation(idx, n, seed);
    for (int i = 0; i < n; i++)
        memcpy(a + (size_t)i * D, real->pix + (size_t)idx[i] * D, sizeof(double) * (size_t)D);
    int rc = distances(f, a, half, a + (size_t)half * D, n - half, D, out, err, errlen);
    free(idx);
    free(a);
    return rc;
}
