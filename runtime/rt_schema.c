/* The one table of experiment settings (rt_schema.h). A row here is a row of
 * docs/language.md 6.2 (tests/unit/test_schema.c compares them); rows stay in enum order,
 * which editors/gen.sh reads as the settings' word list. */
#include "rt_schema.h"

#include <stdint.h>
#include <string.h>

#include "rt_limits.h"
#include "rt_spec.h"

#define INT_FIELD(f) #f, offsetof(rt_experiment, f), sizeof(((rt_experiment *)0)->f)

const rt_setting rt_settings_schema[RT_N_SETTINGS] = {
    [RT_SET_DATA] = {"data", RT_SETTING_CONSTRUCTOR, 0, 0, NULL, 0, 0, 1,
                     "`image(...)`, `sound(...)` or `csv(...)` (§6.3)", "required"},
    [RT_SET_MODEL] = {"model", RT_SETTING_NAME, 0, 0, NULL, 0, 0, 0,
                      "`NAME` or `NAME(args)`: a model of the file or its imports (§6.4)", "required"},
    [RT_SET_LOSS] = {"loss", RT_SETTING_CONSTRUCTOR, 0, 0, NULL, 0, 0, 1,
                     "`mse`, `l1`, `huber(delta = 1)`, `cross_entropy` or `bce` (§6.5)", "`mse`"},
    [RT_SET_OPTIMIZER] = {"optimizer", RT_SETTING_CONSTRUCTOR, 0, 0, NULL, 0, 0, 1,
                          "`adam(...)` or `sgd(...)` (§6.6)", "`adam` with its defaults (lr 1e-3)"},
    [RT_SET_SCHEDULE] = {"schedule", RT_SETTING_CONSTRUCTOR, 0, 0, NULL, 0, 0, 1,
                         "`constant`, `cosine(min_lr = 0)`, `linear(min_lr = 0)` (§6.7)", "`constant`"},
    [RT_SET_EPOCHS] = {"epochs", RT_SETTING_INT, 1, RT_LIMIT_EPOCHS, INT_FIELD(epochs), 1,
                       "integer, 1 to 10,000,000", "100"},
    [RT_SET_BATCH] = {"batch", RT_SETTING_INT, 1, RT_LIMIT_BATCH, INT_FIELD(batch), 1,
                      "`full`, or an integer from 1 to 2^30", "`full`"},
    [RT_SET_SEED] = {"seed", RT_SETTING_INT, 0, RT_LIMIT_SEED, INT_FIELD(seed), 1,
                     "integer, 0 to 2147483647", "0"},
    [RT_SET_EVAL] = {"eval", RT_SETTING_CONSTRUCTOR, 0, 0, NULL, 0, 0, 1,
                     "`grid(size, target, metrics)` (§6.9)", "the training grid, both metrics"},
    [RT_SET_OUTPUTS] = {"outputs", RT_SETTING_LIST, 0, 0, NULL, 0, 0, 0,
                        "a list of `image(path)`, `sound(path)`, `csv(path)`, `checkpoint(path)`, "
                        "`report(path)` (§6.10)", "none"},
    [RT_SET_BATCHNORM_EVAL] = {"batchnorm_eval", RT_SETTING_WORD, 0, 0, NULL, 0, 0, 1,
                               "`batch` or `running` (§6.11)", "`batch`"},
    [RT_SET_LOG_EVERY] = {"log_every", RT_SETTING_INT, 1, RT_LIMIT_LOG_EVERY, INT_FIELD(log_every), 1,
                          "integer, 1 to 10,000,000", "10"},
    [RT_SET_PRECISION] = {"precision", RT_SETTING_WORD, 0, 0, NULL, 0, 0, 0, "`f64` or `f32`", "`f64`"},
    [RT_SET_THREADS] = {"threads", RT_SETTING_INT, 0, RT_LIMIT_THREADS, INT_FIELD(threads), 1,
                        "integer, 0 to 1024 (0: all cores)", "0"},
    [RT_SET_SPLIT] = {"split", RT_SETTING_REAL, 0, 0, NULL, 0, 0, 1,
                      "a number strictly between 0 and 1: the fraction of a CSV table's rows trained on (§6.9)",
                      "none"},
    [RT_SET_EVAL_EVERY] = {"eval_every", RT_SETTING_INT, 1, RT_LIMIT_EPOCHS, INT_FIELD(eval_every), 1,
                           "integer, 1 to 10,000,000 (§6.9)", "none (evaluated after training)"},
    [RT_SET_OBJECTIVE] = {"objective", RT_SETTING_CONSTRUCTOR, 0, 0, NULL, 0, 0, 0,
                          "`minimize`, `maximize`, `minimize(output = K)`: train on no data, optimising "
                          "an output (§6.14)", "none"},
    [RT_SET_EXACT] = {"exact", RT_SETTING_WORD, 0, 0, NULL, 0, 0, 1,
                      "`auto` or `off`: the exact optimum of an objective (§6.14)", "`auto`"},
    [RT_SET_SIMULATION] = {"simulation", RT_SETTING_WORD, 0, 0, NULL, 0, 0, 0,
                           "`statevector` or `density_matrix` (§6.15)",
                           "`density_matrix` when a circuit has noise channels, else `statevector`"},
    [RT_SET_NOISE] = {"noise", RT_SETTING_LIST, 0, 0, NULL, 0, 0, 0,
                      "a channel such as `depolarizing(0.01, after = [cnot, rx])`, or a list of them (§6.15)",
                      "none"},
};

/* A wider field would need another store in rt_settings.c's set_int_field. */
_Static_assert(sizeof(((rt_experiment *)0)->seed) == sizeof(uint64_t), "seed is a uint64_t");

const rt_setting *rt_setting_find(const char *key) {
    for (int k = 0; k < RT_N_SETTINGS; k++)
        if (strcmp(rt_settings_schema[k].key, key) == 0) return &rt_settings_schema[k];
    return NULL;
}
