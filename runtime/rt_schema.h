/* rt_schema: the one table of experiment settings (docs/language.md section 6.2): each key's
 * kind, its bounds (integer or real), its words, the rt_experiment field it fills where it is
 * one plain number, whether a native binary's --set may change it, and its documentation line;
 * and the one table of constructors (adam(...), csv(...), grid(...) ...: section 6.2.1), each
 * argument's name, kind, bounds, words, default and documentation line. compiler/sema_exp.c
 * checks settings and constructor arguments against them, rt_settings.c the --set of native
 * binaries, the --help of both lists the documentation lines, and tests/unit/test_schema.c
 * checks language.md's tables against them row by row. */
#ifndef QNN_RT_SCHEMA_H
#define QNN_RT_SCHEMA_H

#include <stddef.h>

#include "rt_spec.h"

typedef enum {
    RT_SETTING_INT,          /* an integer in [lo, hi] (batch also takes the word `full`,
                              * shots the word `exact`) */
    RT_SETTING_REAL,         /* a number */
    RT_SETTING_WORD,         /* one of a few words */
    RT_SETTING_CONSTRUCTOR,  /* a word or a constructor such as adam(lr = 0.01) */
    RT_SETTING_LIST,         /* a list of constructors (outputs) */
    RT_SETTING_NAME          /* a model of the file (model) */
} rt_setting_kind;

/* The values a number may take: [lo, hi], an end left out when open; -INFINITY or INFINITY
 * where there is no bound on that side. */
typedef struct {
    double lo, hi;
    unsigned char lo_open, hi_open;
} rt_bound;

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
    rt_bound real;           /* RT_SETTING_REAL: the values accepted */
    const char *const *words; /* WORD, CONSTRUCTOR, LIST: the words (constructor names) it
                                 takes, in the order of the enum they stand for */
    int n_words;
    const char *what;        /* how messages name its words ("loss", "precision") */
    int about_data;          /* describes the data or compares outputs with it: refused in an
                                experiment with an `objective` (language.md 6.14) */
} rt_setting;

/* The settings in the order of language.md 6.2's checks in sema_exp.c (its value slots). */
enum {
    RT_SET_DATA, RT_SET_MODEL, RT_SET_LOSS, RT_SET_OPTIMIZER, RT_SET_SCHEDULE, RT_SET_EPOCHS,
    RT_SET_BATCH, RT_SET_SEED, RT_SET_EVAL, RT_SET_OUTPUTS, RT_SET_BATCHNORM_EVAL,
    RT_SET_LOG_EVERY, RT_SET_PRECISION, RT_SET_THREADS, RT_SET_SPLIT, RT_SET_EVAL_EVERY,
    RT_SET_OBJECTIVE, RT_SET_EXACT, RT_SET_SHOTS, RT_SET_SIMULATION, RT_SET_NOISE,
    RT_SET_TRAJECTORIES, RT_SET_GENERATOR, RT_SET_DISCRIMINATOR, RT_SET_GAN, RT_SET_STEPS,
    RT_SET_GRADIENT, RT_N_SETTINGS
};

extern const rt_setting rt_settings_schema[RT_N_SETTINGS];

/* The entry of `key`, or NULL. */
const rt_setting *rt_setting_find(const char *key);

/* The index of `word` among st's words, or -1. */
int rt_setting_word(const rt_setting *st, const char *word);

/* "`a`, `b` or `c`" style list of st's words into buf ("a, b or c" when ticks is 0). */
void rt_setting_words_text(const rt_setting *st, int ticks, char *buf, size_t n);

/* ---- constructors (language.md 6.2.1) ---------------------------------------------------- */

typedef enum {
    RT_ARG_INT,   /* an integer within bound */
    RT_ARG_REAL,  /* a number within bound */
    RT_ARG_BOOL,  /* true or false */
    RT_ARG_STR,   /* a string (a path) */
    RT_ARG_WORD,  /* one of words */
    RT_ARG_PAIR,  /* [a, b], each within bound */
    RT_ARG_ANY    /* checked by the setting's own code (a data source, a list of metrics) */
} rt_arg_kind;

typedef struct {
    const char *name;
    rt_arg_kind kind;
    int required;
    rt_bound bound;           /* INT, REAL, PAIR */
    const char *const *words; /* WORD (and ANY lists of words such as grid's metrics) */
    int n_words;
    double def, def2;         /* the default of INT, REAL, BOOL (PAIR: both items) */
    /* REAL, PAIR: offsetof(rt_experiment, f) + 1 of the double that the value (a pair's
     * items: field2 the second) fills, and its name; 0 and NULL when the setting's code
     * stores it (data sources, grid) */
    size_t field;
    const char *field_name;
    size_t field2;
    const char *field2_name;
    const char *default_doc;  /* language.md 6.2.1's "default" column */
    const char *doc;          /* ... and its "meaning" column */
} rt_arg;

typedef struct {
    int setting;              /* RT_SET_...: the setting it is a value of */
    const char *name;
    int n_args;               /* in positional order */
    const rt_arg *args;
} rt_constructor;

extern const rt_constructor rt_constructors[];
extern const int rt_n_constructors;

/* The constructor `name` of setting `setting`, or NULL (a word without arguments). */
const rt_constructor *rt_constructor_find(int setting, const char *name);

/* The position of argument `name` in c, or -1. */
int rt_constructor_arg(const rt_constructor *c, const char *name);

/* 1 when v is within b. */
int rt_bound_ok(const rt_bound *b, double v);

/* b in words: "positive", "0 or more", "in [0, 1)", "strictly between 0 and 1", "1 to 8192". */
void rt_bound_text(const rt_bound *b, char *buf, size_t n);

/* language.md 6.2.1's "value" column of a: its kind and bound, e.g. "number, positive". */
void rt_arg_value_text(const rt_arg *a, char *buf, size_t n);

/* "`lr` of `adam` must be positive, got -1" into buf. */
void rt_arg_bound_message(const rt_constructor *c, const rt_arg *a, double v, char *buf, size_t n);

/* Sets x's fields of constructor c (those with a field) to their defaults. */
void rt_constructor_defaults(const rt_constructor *c, rt_experiment *x);

/* The fields of x filled by the constructors x uses (its optimizer, schedule, loss) against
 * their bounds: 0, or -1 with the message in buf, the constructor and argument at fault. */
int rt_schema_check_fields(const rt_experiment *x, const char **ctor, const char **arg, char *buf, size_t n);

#endif
