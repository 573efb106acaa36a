/* Runtime losses: value and gradient in one pass. */
#include "rt_loss.h"

#include <math.h>

double rt_loss_mse(const double *pred, const double *target, size_t n, double *grad) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = pred[i] - target[i];
        s += d * d;
        if (grad)
            grad[i] = 2.0 * d / (double)n;
    }
    return n ? s / (double)n : 0.0;
}

double rt_loss_l1(const double *pred, const double *target, size_t n, double *grad) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = pred[i] - target[i];
        s += fabs(d);
        if (grad)
            grad[i] = (d > 0.0 ? 1.0 : d < 0.0 ? -1.0 : 0.0) / (double)n;
    }
    return n ? s / (double)n : 0.0;
}

double rt_loss_huber(const double *pred, const double *target, size_t n, double delta, double *grad) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = pred[i] - target[i], a = fabs(d);
        s += a < delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
        if (grad)
            grad[i] = (a < delta ? d : d > 0.0 ? delta : -delta) / (double)n;
    }
    return n ? s / (double)n : 0.0;
}

double rt_loss_cross_entropy(const double *logits, const double *target, size_t batch, int k,
                             double *grad) {
    double s = 0.0;
    for (size_t b = 0; b < batch; b++) {
        const double *z = logits + b * (size_t)k, *t = target + b * (size_t)k;
        double mx = z[0], e = 0.0;
        for (int j = 1; j < k; j++)
            if (z[j] > mx) mx = z[j];
        for (int j = 0; j < k; j++) e += exp(z[j] - mx);
        double lse = mx + log(e);
        for (int j = 0; j < k; j++) {
            /* a class with no weight adds nothing, even where its log-probability is -inf */
            if (t[j] != 0.0) s -= t[j] * (z[j] - lse);
            if (grad)
                grad[b * (size_t)k + j] = (exp(z[j] - lse) - t[j]) / (double)batch;
        }
    }
    return batch ? s / (double)batch : 0.0;
}

double rt_loss_bce_logits(const double *logits, const double *target, size_t n, double *grad) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double z = logits[i], t = target[i];
        s += (z > 0.0 ? z : 0.0) - z * t + log1p(exp(-fabs(z)));
        if (grad) {
            /* sigmoid without overflow: exp of a non-positive number only */
            double sg = z >= 0.0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
            grad[i] = (sg - t) / (double)n;
        }
    }
    return n ? s / (double)n : 0.0;
}
