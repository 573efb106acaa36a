/* Experiment settings at run time: what a native binary built by `qnnc build` may still change
 * with --set KEY=VALUE (everything that leaves the compiled circuits and the model's shape
 * alone), and the listing its --help prints. The keys, words, bounds, constructor arguments
 * and their defaults are rt_schema.h's tables (docs/language.md 6.2, 6.2.1), which
 * compiler/sema_exp.c checks `qnnc run --set` against too. */
#ifndef QNN_RT_SETTINGS_H
#define QNN_RT_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

#include "rt_spec.h"

/* Sets one setting of x. key: "epochs", "seed", "batch" (full or N), "log_every", "threads",
 * "loss" (mse, l1), "optimizer" (adam(...), sgd(...)) and optimizer.lr / .betas / .eps /
 * .momentum / .weight_decay, "schedule" (constant, cosine, linear) and schedule.min_lr,
 * "batchnorm_eval" (batch, running), "eval" (grid(...)) and eval.size / .metrics / .target,
 * "data" (the same source kind) and data.path and the other data arguments that keep the
 * model's shape. value: a number, a word, "a string" (quotes optional), [a, b], or a
 * constructor such as adam(lr = 0.01) (its other arguments take their defaults, as in .qnn).
 * Settings that change compiled code (model, precision, data channels/columns) and outputs
 * are refused with a message saying to rebuild with qnnc. On error x is unchanged.
 * 0 or -1 with a message in err. */
int rt_experiment_set(rt_experiment *x, const char *key, const char *value, char *err,
                      size_t errlen);

/* "key=value" as given to --set. */
int rt_experiment_set_text(rt_experiment *x, const char *key_value, char *err, size_t errlen);

/* Lists the settings and their current values, one `key = value` per line (indented by
 * indent spaces), then what is fixed at build time. */
void rt_experiment_print_settings(const rt_experiment *x, FILE *f, int indent);

/* The settings as docs/language.md 6.2 and 6.2.1 describe them, from rt_schema.h's doc
 * columns: one "key  value (default: ...)" line per setting (only those --set may change in a
 * native binary when run_time_only), then each constructor with its arguments and their
 * defaults. For the --help of qnnc run and of native binaries. */
void rt_schema_print_help(FILE *f, int run_time_only);

#endif
