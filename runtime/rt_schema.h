/* rt_schema: the one table of experiment settings (docs/language.md section 6.2): each key's
 * kind, its bounds, the rt_experiment field it fills where it is one plain number, whether a
 * native binary's --set may change it, and its documentation line. compiler/sema_exp.c reads
 * keys and integer bounds from here, rt_settings.c the keys, bounds and fields of --set, and
 * tests/unit/test_schema.c checks language.md's table against it row by row. */
#ifndef QNN_RT_SCHEMA_H
#define QNN_RT_SCHEMA_H

#include <stddef.h>

typedef enum {
    RT_SETTING_INT,          /* an integer in [lo, hi] (batch also takes the word `full`) */
    RT_SETTING_REAL,         /* a number */
    RT_SETTING_WORD,         /* one of a few words */
    RT_SETTING_CONSTRUCTOR,  /* a word or a constructor such as adam(lr = 0.01) */
    RT_SETTING_LIST,         /* a list of constructors (outputs) */
    RT_SETTING_NAME          /* a model of the file (model) */
} rt_setting_kind;

typedef struct {
    const char *key;
    rt_setting_kind kind;
    long long lo, hi;        /* RT_SETTING_INT: the bounds, both included */
    const char *field_name;  /* RT_SETTING_INT: the rt_experiment field, e.g. "epochs" */
    size_t field;            /* ... its offsetof(rt_experiment, ...) */
    size_t field_size;       /* its size: sizeof(int) or sizeof(uint64_t); 0 when none */
    int at_run_time;         /* a native binary's --set may change it (else: rebuild) */
    const char *value_doc;   /* language.md 6.2's "value" column */
    const char *default_doc; /* ... and its "default" column */
} rt_setting;

/* The settings in the order of language.md 6.2's checks in sema_exp.c (its value slots). */
enum {
    RT_SET_DATA, RT_SET_MODEL, RT_SET_LOSS, RT_SET_OPTIMIZER, RT_SET_SCHEDULE, RT_SET_EPOCHS,
    RT_SET_BATCH, RT_SET_SEED, RT_SET_EVAL, RT_SET_OUTPUTS, RT_SET_BATCHNORM_EVAL,
    RT_SET_LOG_EVERY, RT_SET_PRECISION, RT_SET_THREADS, RT_SET_SPLIT, RT_SET_EVAL_EVERY,
    RT_SET_OBJECTIVE, RT_SET_EXACT, RT_SET_SIMULATION, RT_SET_NOISE, RT_N_SETTINGS
};

extern const rt_setting rt_settings_schema[RT_N_SETTINGS];

/* The entry of `key`, or NULL. */
const rt_setting *rt_setting_find(const char *key);

#endif
