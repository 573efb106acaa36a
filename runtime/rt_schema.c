/* The one table of experiment settings and the one table of constructors (rt_schema.h). A row
 * here is a row of docs/language.md 6.2 or 6.2.1 (tests/unit/test_schema.c compares them);
 * settings rows stay in enum order, which editors/gen.sh reads as the settings' word list,
 * and it reads the words of WORDS(...) here as value words. */
#include "rt_schema.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_limits.h"

#define INT_FIELD(f) #f, offsetof(rt_experiment, f), sizeof(((rt_experiment *)0)->f)
#define NO_FIELD NULL, 0, 0
/* A list of words and its length. */
#define WORDS(...) (const char *const[]){__VA_ARGS__}, \
    (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define NO_WORDS NULL, 0
#define UNBOUNDED {-INFINITY, INFINITY, 1, 1}
#define POSITIVE {0, INFINITY, 1, 1}
#define NONNEGATIVE {0, INFINITY, 0, 1}
#define UNIT_OPEN {0, 1, 0, 1}   /* [0, 1) */
#define RANGE(lo, hi) {(lo), (hi), 0, 0}
/* the rt_experiment double an argument fills, + 1 (0: none) */
#define DFIELD(f) (offsetof(rt_experiment, f) + 1), #f
#define NOF 0, NULL

const rt_setting rt_settings_schema[RT_N_SETTINGS] = {
    [RT_SET_DATA] = {"data", RT_SETTING_CONSTRUCTOR, 0, 0, NO_FIELD, 1,
                     "`image(...)`, `sound(...)`, `csv(...)` or `images(...)` (§6.3, §6.17)", "required",
                     UNBOUNDED, WORDS("image", "sound", "csv", "images"), "data source", 1},
    [RT_SET_MODEL] = {"model", RT_SETTING_NAME, 0, 0, NO_FIELD, 0,
                      "`NAME` or `NAME(args)`: a model of the file or its imports (§6.4)", "required",
                      UNBOUNDED, NO_WORDS, "model", 0},
    [RT_SET_LOSS] = {"loss", RT_SETTING_CONSTRUCTOR, 0, 0, NO_FIELD, 1,
                     "`mse`, `l1`, `huber(delta = 1)`, `cross_entropy` or `bce` (§6.5)", "`mse`", UNBOUNDED,
                     WORDS("mse", "l1", "cross_entropy", "bce", "huber"), "loss", 1},
    [RT_SET_OPTIMIZER] = {"optimizer", RT_SETTING_CONSTRUCTOR, 0, 0, NO_FIELD, 1,
                          "`adam(...)` or `sgd(...)` (§6.6)", "`adam` with its defaults (lr 1e-3)", UNBOUNDED,
                          WORDS("adam", "sgd"), "optimizer", 0},
    [RT_SET_SCHEDULE] = {"schedule", RT_SETTING_CONSTRUCTOR, 0, 0, NO_FIELD, 1,
                         "`constant`, `cosine(min_lr = 0)`, `linear(min_lr = 0)` (§6.7)", "`constant`",
                         UNBOUNDED, WORDS("constant", "cosine", "linear"), "schedule", 0},
    [RT_SET_EPOCHS] = {"epochs", RT_SETTING_INT, 1, RT_LIMIT_EPOCHS, INT_FIELD(epochs), 1,
                       "integer, 1 to 10,000,000", "100", UNBOUNDED, NO_WORDS, NULL, 0},
    [RT_SET_BATCH] = {"batch", RT_SETTING_INT, 1, RT_LIMIT_BATCH, INT_FIELD(batch), 1,
                      "`full`, or an integer from 1 to 2^30", "`full`", UNBOUNDED, WORDS("full"), NULL, 1},
    [RT_SET_SEED] = {"seed", RT_SETTING_INT, 0, RT_LIMIT_SEED, INT_FIELD(seed), 1,
                     "integer, 0 to 2147483647", "0", UNBOUNDED, NO_WORDS, NULL, 0},
    [RT_SET_EVAL] = {"eval", RT_SETTING_CONSTRUCTOR, 0, 0, NO_FIELD, 1,
                     "`grid(size, target, metrics)` (§6.9)", "the training grid, both metrics", UNBOUNDED,
                     WORDS("grid"), "evaluation", 1},
    [RT_SET_OUTPUTS] = {"outputs", RT_SETTING_LIST, 0, 0, NO_FIELD, 0,
                        "a list of `image(path)`, `sound(path)`, `csv(path)`, `checkpoint(path)`, "
                        "`report(path)` (§6.10)", "none", UNBOUNDED,
                        WORDS("image", "sound", "csv", "checkpoint", "report"), "output", 0},
    [RT_SET_BATCHNORM_EVAL] = {"batchnorm_eval", RT_SETTING_WORD, 0, 0, NO_FIELD, 1,
                               "`batch` or `running` (§6.11)", "`batch`", UNBOUNDED,
                               WORDS("batch", "running"), "batch-norm evaluation mode", 0},
    [RT_SET_LOG_EVERY] = {"log_every", RT_SETTING_INT, 1, RT_LIMIT_LOG_EVERY, INT_FIELD(log_every), 1,
                          "integer, 1 to 10,000,000", "10", UNBOUNDED, NO_WORDS, NULL, 0},
    [RT_SET_PRECISION] = {"precision", RT_SETTING_WORD, 0, 0, NO_FIELD, 0, "`f64` or `f32`", "`f64`",
                          UNBOUNDED, WORDS("f64", "f32"), "precision", 0},
    [RT_SET_THREADS] = {"threads", RT_SETTING_INT, 0, RT_LIMIT_THREADS, INT_FIELD(threads), 1,
                        "integer, 0 to 1024 (0: all cores)", "0", UNBOUNDED, NO_WORDS, NULL, 0},
    /* 0 would mean "no split": not a value to write */
    [RT_SET_SPLIT] = {"split", RT_SETTING_REAL, 0, 0, NO_FIELD, 1,
                      "a number strictly between 0 and 1: the fraction of a CSV table's rows trained on (§6.9)",
                      "none", {0, 1, 1, 1}, NO_WORDS, NULL, 1},
    [RT_SET_EVAL_EVERY] = {"eval_every", RT_SETTING_INT, 1, RT_LIMIT_EPOCHS, INT_FIELD(eval_every), 1,
                           "integer, 1 to 10,000,000 (§6.9)", "none (evaluated after training)", UNBOUNDED,
                           NO_WORDS, NULL, 1},
    [RT_SET_OBJECTIVE] = {"objective", RT_SETTING_CONSTRUCTOR, 0, 0, NO_FIELD, 0,
                          "`minimize`, `maximize`, `minimize(output = K)`: train on no data, optimising "
                          "an output (§6.14)", "none", UNBOUNDED, WORDS("minimize", "maximize"), "objective", 0},
    [RT_SET_EXACT] = {"exact", RT_SETTING_WORD, 0, 0, NO_FIELD, 1,
                      "`auto` or `off`: the exact optimum of an objective (§6.14)", "`auto`", UNBOUNDED,
                      WORDS("auto", "off"), "exact mode", 0},
    [RT_SET_SHOTS] = {"shots", RT_SETTING_INT, 1, RT_LIMIT_SHOTS, INT_FIELD(shots), 1,
                      "`exact`, or an integer from 1 to 2^30: measurements per expectation value (§6.15)",
                      "`exact`", UNBOUNDED, WORDS("exact"), NULL, 0},
    [RT_SET_SIMULATION] = {"simulation", RT_SETTING_WORD, 0, 0, NO_FIELD, 0,
                           "`statevector`, `density_matrix` or `trajectories` (§6.16)",
                           "`density_matrix` when a circuit has noise channels, else `statevector`",
                           UNBOUNDED, WORDS("statevector", "density_matrix", "trajectories"),
                           "simulation method", 0},
    [RT_SET_NOISE] = {"noise", RT_SETTING_LIST, 0, 0, NO_FIELD, 0,
                      "a channel such as `depolarizing(0.01, after = [cnot, rx])`, or a list of them (§6.16)",
                      "none", UNBOUNDED, NO_WORDS, "noise model", 0},
    [RT_SET_TRAJECTORIES] = {"trajectories", RT_SETTING_INT, 1, RT_LIMIT_TRAJECTORIES,
                             INT_FIELD(trajectories), 0,
                             "integer, 1 to 65,536: state-vector trajectories averaged per sample "
                             "with `simulation = trajectories` (§6.16)", "100", UNBOUNDED, NO_WORDS,
                             NULL, 0},
    [RT_SET_GENERATOR] = {"generator", RT_SETTING_CONSTRUCTOR, 0, 0, NO_FIELD, 0,
                          "`modulated(...)`: makes the experiment generative (§6.17)", "none", UNBOUNDED,
                          WORDS("modulated"), "generator", 0},
    [RT_SET_DISCRIMINATOR] = {"discriminator", RT_SETTING_CONSTRUCTOR, 0, 0, NO_FIELD, 0,
                              "`mlp(...)`, in a generative experiment (§6.17)", "`mlp` with its defaults",
                              UNBOUNDED, WORDS("mlp"), "discriminator", 0},
    [RT_SET_GAN] = {"gan", RT_SETTING_CONSTRUCTOR, 0, 0, NO_FIELD, 0,
                    "`logistic(...)`, in a generative experiment (§6.17)", "`logistic` with its defaults",
                    UNBOUNDED, WORDS("logistic"), "GAN loss", 0},
    [RT_SET_STEPS] = {"steps", RT_SETTING_INT, 1, RT_LIMIT_EPOCHS, INT_FIELD(gen.steps), 0,
                      "integer, 1 to 10,000,000: training steps of a generative experiment (§6.17)", "2000",
                      UNBOUNDED, NO_WORDS, NULL, 0},
    [RT_SET_GRADIENT] = {"gradient", RT_SETTING_WORD, 0, 0, NO_FIELD, 0,
                         "`adjoint` or `shift`: the circuits' gradient method (§6.11)",
                         "`adjoint` (`shift` with `shots`)", UNBOUNDED, WORDS("adjoint", "shift"),
                         "gradient method", 0},
};

/* A wider field would need another store in rt_settings.c's set_int_field. */
_Static_assert(sizeof(((rt_experiment *)0)->seed) == sizeof(uint64_t), "seed is a uint64_t");
/* The words stand for enums in this order (rt_spec.h). */
_Static_assert(RT_LOSS_MSE == 0 && RT_LOSS_L1 == 1 && RT_LOSS_CROSS_ENTROPY == 2 && RT_LOSS_BCE == 3 &&
                   RT_LOSS_HUBER == 4 && RT_OPT_ADAM == 0 && RT_OPT_SGD == 1 && RT_SCHED_CONSTANT == 0 &&
                   RT_SCHED_COSINE == 1 && RT_SCHED_LINEAR == 2 && RT_DATA_IMAGE == 0 && RT_DATA_SOUND == 1 &&
                   RT_DATA_CSV == 2 && RT_EXACT_AUTO == 0 && RT_EXACT_OFF == 1,
               "the schema's words follow rt_spec.h's enums");

/* ---- constructors ------------------------------------------------------------------------ */

/* name, kind, required, bound, words, default (and a pair's second), fields, default doc, doc */
static const rt_arg IMAGE_ARGS[] = {
    {"path", RT_ARG_STR, 1, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "required", "the PNG file"},
    {"size", RT_ARG_INT, 0, RANGE(1, RT_LIMIT_IMAGE_SIZE), NO_WORDS, 32, 0, NOF, NOF, "32",
     "size x size points: the shorter side resized to `size`, the centre cropped"},
    {"channels", RT_ARG_WORD, 0, UNBOUNDED, WORDS("gray", "rgb"), 0, 0, NOF, NOF, "`gray`",
     "1 value per point (luminance) or 3"},
    {"range", RT_ARG_PAIR, 0, UNBOUNDED, NO_WORDS, -1, 1, NOF, NOF, "[-1, 1]",
     "pixel values in [0, 1] mapped linearly to [lo, hi] (two different numbers)"},
    {"from_size", RT_ARG_INT, 0, RANGE(1, RT_LIMIT_IMAGE_SIZE), NO_WORDS, 0, 0, NOF, NOF, "none",
     "first prepared at from_size x from_size, then resized to size x size (bilinear)"},
};
static const rt_arg SOUND_ARGS[] = {
    {"path", RT_ARG_STR, 1, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "required", "the sound file"},
    {"start", RT_ARG_INT, 0, RANGE(0, RT_LIMIT_SOUND_FRAMES - 1), NO_WORDS, 0, 0, NOF, NOF, "0",
     "the first sample"},
    {"stop", RT_ARG_INT, 0, RANGE(-1, RT_LIMIT_SOUND_FRAMES), NO_WORDS, -1, 0, NOF, NOF, "-1",
     "samples below `stop` (-1: to the end); a recording has at most 2^28 frames"},
    {"stride", RT_ARG_INT, 0, RANGE(1, RT_LIMIT_SOUND_FRAMES), NO_WORDS, 1, 0, NOF, NOF, "1",
     "every `stride`-th sample"},
    {"normalize", RT_ARG_BOOL, 0, UNBOUNDED, NO_WORDS, 1, 0, NOF, NOF, "true",
     "divide by the slice's maximum absolute value"},
    {"channel", RT_ARG_ANY, 0, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "0",
     "`0` (the first channel) or `mix` (the mean of all channels)"},
};
static const rt_arg CSV_ARGS[] = {
    {"path", RT_ARG_STR, 1, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "required", "the table"},
    {"inputs", RT_ARG_INT, 1, RANGE(1, RT_LIMIT_CSV_COLUMNS), NO_WORDS, 0, 0, NOF, NOF, "required",
     "the first columns: a point's coordinates"},
    {"outputs", RT_ARG_INT, 0, RANGE(1, RT_LIMIT_CSV_COLUMNS), NO_WORDS, 1, 0, NOF, NOF, "1",
     "the next columns: its values"},
    {"header", RT_ARG_BOOL, 0, UNBOUNDED, NO_WORDS, 1, 0, NOF, NOF, "true", "the first line names the columns"},
};
static const rt_arg HUBER_ARGS[] = {
    {"delta", RT_ARG_REAL, 0, POSITIVE, NO_WORDS, 1, 0, DFIELD(huber_delta), NOF, "1",
     "quadratic below `delta`, linear above"},
};
static const rt_arg ADAM_ARGS[] = {
    {"lr", RT_ARG_REAL, 0, POSITIVE, NO_WORDS, 1e-3, 0, DFIELD(lr), NOF, "0.001", "the learning rate"},
    {"betas", RT_ARG_PAIR, 0, UNIT_OPEN, NO_WORDS, 0.9, 0.999, DFIELD(beta1), DFIELD(beta2),
     "[0.9, 0.999]", "the decay rates of the first and second moments"},
    {"eps", RT_ARG_REAL, 0, POSITIVE, NO_WORDS, 1e-8, 0, DFIELD(eps), NOF, "1e-08",
     "added to the root of the second moment (it divides)"},
    {"weight_decay", RT_ARG_REAL, 0, NONNEGATIVE, NO_WORDS, 0, 0, DFIELD(weight_decay), NOF, "0",
     "L2 penalty added to the gradient"},
};
static const rt_arg SGD_ARGS[] = {
    {"lr", RT_ARG_REAL, 0, POSITIVE, NO_WORDS, 1e-2, 0, DFIELD(lr), NOF, "0.01", "the learning rate"},
    {"momentum", RT_ARG_REAL, 0, UNIT_OPEN, NO_WORDS, 0, 0, DFIELD(momentum), NOF, "0", "heavy-ball momentum"},
    {"weight_decay", RT_ARG_REAL, 0, NONNEGATIVE, NO_WORDS, 0, 0, DFIELD(weight_decay), NOF, "0",
     "L2 penalty added to the gradient"},
};
static const rt_arg SCHEDULE_ARGS[] = {
    {"min_lr", RT_ARG_REAL, 0, NONNEGATIVE, NO_WORDS, 0, 0, DFIELD(lr_min), NOF, "0",
     "the learning rate at the last epoch"},
};
static const rt_arg GRID_ARGS[] = {
    {"size", RT_ARG_INT, 0, RANGE(1, RT_LIMIT_GRID), NO_WORDS, 0, 0, NOF, NOF, "the training grid",
     "points (sound) or points per side (image, at most 8192)"},
    {"target", RT_ARG_ANY, 0, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "none",
     "the ground truth: a data source of the training data's kind"},
    {"metrics", RT_ARG_ANY, 0, UNBOUNDED, WORDS("mse", "psnr", "accuracy"), 0, 0, NOF, NOF, "as the loss asks",
     "a list of `mse`, `psnr`, `accuracy`"},
};
static const rt_arg OBJECTIVE_ARGS[] = {
    {"output", RT_ARG_ANY, 0, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "the only output",
     "the index of the model output optimised"},
};
#define GFIELD(f) (offsetof(rt_experiment, gen.f) + 1), "gen." #f
static const rt_arg MODULATED_ARGS[] = {
    {"latent", RT_ARG_INT, 0, RANGE(1, 4096), NO_WORDS, 32, 0, NOF, NOF, "32", "the latent z's size"},
    {"style", RT_ARG_INT, 0, RANGE(1, 4096), NO_WORDS, 32, 0, NOF, NOF, "32",
     "the style w's size (the mapping network's width)"},
    {"mapping", RT_ARG_INT, 0, RANGE(1, 16), NO_WORDS, 2, 0, NOF, NOF, "2", "the mapping network's layers"},
    {"mapping_lr_mul", RT_ARG_REAL, 0, {0, 1, 1, 0}, NO_WORDS, 0.01, 0, GFIELD(mapping_lr_mul), NOF, "0.01",
     "the mapping network's learning-rate multiplier"},
    {"hidden", RT_ARG_ANY, 0, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "[64, 32, 32]",
     "the modulated hidden layers' widths: a list of 0 to 16 integers, 1 to 4096"},
    {"rank", RT_ARG_INT, 0, RANGE(1, 4096), NO_WORDS, 10, 0, NOF, NOF, "10", "the modulation's rank"},
    {"features", RT_ARG_INT, 0, RANGE(1, 4096), NO_WORDS, 0, 0, NOF, NOF, "the model's outputs",
     "coordinate features per pixel: the model's outputs"},
};
static const rt_arg MLP_ARGS[] = {
    {"hidden", RT_ARG_ANY, 0, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "[128, 64]",
     "the hidden layers' widths: a list of 0 to 16 integers, 1 to 65536"},
    {"mbstd", RT_ARG_INT, 0, RANGE(0, 4096), NO_WORDS, 4, 0, NOF, NOF, "4",
     "the minibatch standard deviation's group (0: none; `batch` a multiple of it)"},
};
static const rt_arg LOGISTIC_ARGS[] = {
    {"r1", RT_ARG_REAL, 0, NONNEGATIVE, NO_WORDS, 0.01, 0, GFIELD(r1), NOF, "0.01",
     "the R1 penalty's gamma (0: none)"},
    {"r1_every", RT_ARG_INT, 0, RANGE(1, 1000000), NO_WORDS, 16, 0, NOF, NOF, "16", "lazy R1: every k-th step"},
    {"ema", RT_ARG_REAL, 0, NONNEGATIVE, NO_WORDS, 10000, 0, GFIELD(ema), NOF, "10000",
     "the generator's EMA half-life in images (0: none)"},
    {"lr_g", RT_ARG_REAL, 0, POSITIVE, NO_WORDS, 0.0025, 0, GFIELD(lr_g), NOF, "0.0025",
     "the generator's (and features') learning rate"},
    {"lr_d", RT_ARG_REAL, 0, POSITIVE, NO_WORDS, 0.0025, 0, GFIELD(lr_d), NOF, "0.0025",
     "the discriminator's learning rate"},
    {"betas", RT_ARG_PAIR, 0, UNIT_OPEN, NO_WORDS, 0, 0.99, GFIELD(beta1), GFIELD(beta2), "[0, 0.99]",
     "Adam's decay rates, both networks"},
    {"eps", RT_ARG_REAL, 0, POSITIVE, NO_WORDS, 1e-8, 0, GFIELD(adam_eps), NOF, "1e-08", "Adam's epsilon"},
};
static const rt_arg IMAGES_ARGS[] = {
    {"path", RT_ARG_STR, 1, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "required",
     "an image set: digits `.csv.gz` / `.csv`, or `.npy` (§6.17)"},
};
static const rt_arg OUTPUT_ARGS[] = {
    {"path", RT_ARG_STR, 1, UNBOUNDED, NO_WORDS, 0, 0, NOF, NOF, "required", "the file (report: the folder)"},
};

#define CTOR(setting, name, args) {setting, name, (int)(sizeof args / sizeof *args), args}
const rt_constructor rt_constructors[] = {
    CTOR(RT_SET_DATA, "image", IMAGE_ARGS),
    CTOR(RT_SET_DATA, "sound", SOUND_ARGS),
    CTOR(RT_SET_DATA, "csv", CSV_ARGS),
    CTOR(RT_SET_DATA, "images", IMAGES_ARGS),
    CTOR(RT_SET_LOSS, "huber", HUBER_ARGS),
    CTOR(RT_SET_OPTIMIZER, "adam", ADAM_ARGS),
    CTOR(RT_SET_OPTIMIZER, "sgd", SGD_ARGS),
    CTOR(RT_SET_SCHEDULE, "cosine", SCHEDULE_ARGS),
    CTOR(RT_SET_SCHEDULE, "linear", SCHEDULE_ARGS),
    CTOR(RT_SET_EVAL, "grid", GRID_ARGS),
    CTOR(RT_SET_OBJECTIVE, "minimize", OBJECTIVE_ARGS),
    CTOR(RT_SET_OBJECTIVE, "maximize", OBJECTIVE_ARGS),
    CTOR(RT_SET_OUTPUTS, "image", OUTPUT_ARGS),
    CTOR(RT_SET_OUTPUTS, "sound", OUTPUT_ARGS),
    CTOR(RT_SET_OUTPUTS, "csv", OUTPUT_ARGS),
    CTOR(RT_SET_OUTPUTS, "checkpoint", OUTPUT_ARGS),
    CTOR(RT_SET_OUTPUTS, "report", OUTPUT_ARGS),
    CTOR(RT_SET_GENERATOR, "modulated", MODULATED_ARGS),
    CTOR(RT_SET_DISCRIMINATOR, "mlp", MLP_ARGS),
    CTOR(RT_SET_GAN, "logistic", LOGISTIC_ARGS),
};
const int rt_n_constructors = (int)(sizeof rt_constructors / sizeof *rt_constructors);

const rt_setting *rt_setting_find(const char *key) {
    for (int k = 0; k < RT_N_SETTINGS; k++)
        if (strcmp(rt_settings_schema[k].key, key) == 0) return &rt_settings_schema[k];
    return NULL;
}

int rt_setting_word(const rt_setting *st, const char *word) {
    for (int i = 0; i < st->n_words; i++)
        if (strcmp(st->words[i], word) == 0) return i;
    return -1;
}

void rt_setting_words_text(const rt_setting *st, int ticks, char *buf, size_t n) {
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < st->n_words && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s%s%s", i == 0 ? "" : i + 1 == st->n_words ? " or " : ", ",
                              ticks ? "`" : "", st->words[i], ticks ? "`" : "");
}

const rt_constructor *rt_constructor_find(int setting, const char *name) {
    for (int c = 0; c < rt_n_constructors; c++)
        if (rt_constructors[c].setting == setting && strcmp(rt_constructors[c].name, name) == 0)
            return &rt_constructors[c];
    return NULL;
}

int rt_constructor_arg(const rt_constructor *c, const char *name) {
    for (int i = 0; c && i < c->n_args; i++)
        if (strcmp(c->args[i].name, name) == 0) return i;
    return -1;
}

int rt_bound_ok(const rt_bound *b, double v) {
    if (!isfinite(v)) return 0;
    if (b->lo_open ? !(v > b->lo) : !(v >= b->lo)) return 0;
    return b->hi_open ? v < b->hi : v <= b->hi;
}

void rt_bound_text(const rt_bound *b, char *buf, size_t n) {
    int lo = isfinite(b->lo), hi = isfinite(b->hi);
    if (!lo && !hi) snprintf(buf, n, "finite");
    else if (lo && !hi && b->lo == 0) snprintf(buf, n, b->lo_open ? "positive" : "0 or more");
    else if (lo && !hi) snprintf(buf, n, b->lo_open ? "above %g" : "at least %g", b->lo);
    else if (!lo) snprintf(buf, n, b->hi_open ? "below %g" : "at most %g", b->hi);
    else if (b->lo_open && b->hi_open) snprintf(buf, n, "strictly between %g and %g", b->lo, b->hi);
    else if (!b->lo_open && !b->hi_open) snprintf(buf, n, "%.17g to %.17g", b->lo, b->hi);
    else snprintf(buf, n, "in %c%g, %g%c", b->lo_open ? '(' : '[', b->lo, b->hi, b->hi_open ? ')' : ']');
}

void rt_arg_value_text(const rt_arg *a, char *buf, size_t n) {
    static const char *const kinds[] = {"integer", "number", "`true` or `false`", "string", "word",
                                        "pair of numbers", "see the meaning"};
    char bound[96] = "";
    if ((a->kind == RT_ARG_INT || a->kind == RT_ARG_REAL || a->kind == RT_ARG_PAIR) &&
        (isfinite(a->bound.lo) || isfinite(a->bound.hi)))
        rt_bound_text(&a->bound, bound, sizeof bound);
    if (a->kind == RT_ARG_WORD) {
        rt_setting words = {.words = a->words, .n_words = a->n_words};
        rt_setting_words_text(&words, 1, bound, sizeof bound);
        snprintf(buf, n, "%s", bound);
    } else {
        snprintf(buf, n, "%s%s%s%s", kinds[a->kind], bound[0] ? ", " : "", a->kind == RT_ARG_PAIR && bound[0]
                 ? "each " : "", bound);
    }
}

void rt_arg_bound_message(const rt_constructor *c, const rt_arg *a, double v, char *buf, size_t n) {
    char bound[96];
    rt_bound_text(&a->bound, bound, sizeof bound);
    snprintf(buf, n, "`%s` of `%s` must be %s%s, got %.17g", a->name, c->name,
             a->kind == RT_ARG_PAIR ? "two numbers, each " : "", bound, v);
    /* the shortest text of v that reads back as it (%.17g shows 0.10000000000000001) */
    char *got = strstr(buf, ", got ");
    if (got && v == floor(v) && fabs(v) < 1e15) {
        size_t at = (size_t)(got - buf) + 6;
        if (at < n) snprintf(buf + at, n - at, "%.0f", v); /* an integer as one */
    } else if (got) {
        size_t at = (size_t)(got - buf) + 6;
        for (int p = 1; p <= 17 && at < n; p++) {
            snprintf(buf + at, n - at, "%.*g", p, v);
            if (strtod(buf + at, NULL) == v || !isfinite(v)) break;
        }
    }
}

static double *field_of(rt_experiment *x, size_t field) { return (double *)((char *)x + field - 1); }

void rt_constructor_defaults(const rt_constructor *c, rt_experiment *x) {
    for (int i = 0; c && i < c->n_args; i++) {
        if (c->args[i].field) *field_of(x, c->args[i].field) = c->args[i].def;
        if (c->args[i].field2) *field_of(x, c->args[i].field2) = c->args[i].def2;
    }
}

static int check_ctor(const rt_experiment *x, const rt_constructor *c, const char **ctor, const char **arg,
                      char *buf, size_t n) {
    for (int i = 0; c && i < c->n_args; i++) {
        const rt_arg *a = &c->args[i];
        size_t fields[2] = {a->field, a->field2};
        for (int j = 0; j < 2; j++) {
            if (!fields[j]) continue;
            double v = *field_of((rt_experiment *)x, fields[j]);
            if (rt_bound_ok(&a->bound, v)) continue;
            *ctor = c->name;
            *arg = a->name;
            rt_arg_bound_message(c, a, v, buf, n);
            return -1;
        }
    }
    return 0;
}

int rt_schema_check_fields(const rt_experiment *x, const char **ctor, const char **arg, char *buf, size_t n) {
    const rt_setting *opt = &rt_settings_schema[RT_SET_OPTIMIZER], *sched = &rt_settings_schema[RT_SET_SCHEDULE];
    const rt_setting *loss = &rt_settings_schema[RT_SET_LOSS];
    if (check_ctor(x, rt_constructor_find(RT_SET_OPTIMIZER, opt->words[x->optimizer]), ctor, arg, buf, n) ||
        (x->schedule != RT_SCHED_CONSTANT &&
         check_ctor(x, rt_constructor_find(RT_SET_SCHEDULE, sched->words[x->schedule]), ctor, arg, buf, n)) ||
        (x->loss == RT_LOSS_HUBER &&
         check_ctor(x, rt_constructor_find(RT_SET_LOSS, loss->words[x->loss]), ctor, arg, buf, n)))
        return -1;
    return 0;
}
