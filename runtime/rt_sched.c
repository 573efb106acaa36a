/* Runtime learning-rate schedules: stateless closed forms, so resuming from a checkpoint needs
 * only the epoch. */
#include "rt_sched.h"

#include <math.h>

double rt_sched_lr(const rt_sched *s, int epoch) {
    if (s->kind == RT_LR_CONSTANT)
        return s->lr0;
    if (epoch < 0)
        epoch = 0;
    if (s->T <= 0 || epoch >= s->T)
        return s->lr_min;
    double f = (double)epoch / s->T;
    if (s->kind == RT_LR_COSINE)
        return s->lr_min + (s->lr0 - s->lr_min) * (1.0 + cos(3.141592653589793 * f)) / 2.0;
    return s->lr0 + (s->lr_min - s->lr0) * f;
}
