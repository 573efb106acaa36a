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
