/* Runtime learning-rate schedules, as closed forms of the epoch e = 0, 1, ...:
 *   constant  lr(e) = lr0                                   (what the reference trains with)
 *   cosine    lr(e) = lr_min + (lr0 - lr_min) (1 + cos(pi e / T)) / 2     (PyTorch's
 *             CosineAnnealingLR closed form; held at lr_min after T instead of rising again)
 *   linear    lr(e) = lr0 + (lr_min - lr0) e / T, held at lr_min after T
 * Set the optimiser's rate to lr(e) before the updates of epoch e. */
#ifndef QNN_RT_SCHED_H
#define QNN_RT_SCHED_H

typedef enum { RT_LR_CONSTANT, RT_LR_COSINE, RT_LR_LINEAR } rt_lr_kind;

typedef struct rt_sched {
    rt_lr_kind kind;
    double lr0, lr_min;
    int T;               /* epochs to reach lr_min; T <= 0 means lr_min from the start */
} rt_sched;

double rt_sched_lr(const rt_sched *s, int epoch);

#endif
