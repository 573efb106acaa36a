/* libFuzzer harness for the run-time `--set` parser of native binaries (runtime/rt_settings.c):
 * bytes -> lines -> rt_experiment_set_text on a compiled experiment (image, sound and CSV data),
 * checking after each line what the parser promises: a refused setting leaves the experiment
 * unchanged and explains itself; an accepted one keeps every value inside the limits of
 * rt_limits.h, and the --help listing of the result reads back line by line. Built against
 * the runtime by tests/fuzz/run_fuzz.sh; tests/unit/test_rt_fuzz_settings.c replays the corpus
 * tests/fuzz/corpus_rt_settings/ in `make test`. */
#define _XOPEN_SOURCE 700 /* open_memstream */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_limits.h"
#include "rt_settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_MAX_LINE = 4096 };

static rt_layer_spec fuzz_layer = {.kind = RT_LAYER_LINEAR, .in = 2, .out = 1, .bias = 1};

/* What sema would hand a binary for each data kind (in_dim/out_dim matching the data). */
static void fuzz_experiment(rt_experiment *x, int kind) {
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "fuzz");
    snprintf(x->source, sizeof x->source, "fuzz.qnn");
    x->data.kind = (rt_data_kind)kind;
    snprintf(x->data.path, sizeof x->data.path, kind == 0 ? "a.png" : kind == 1 ? "a.wav" : "a.csv");
    x->data.size = 32, x->data.channels = 1, x->data.lo = -1, x->data.hi = 1;
    x->data.stop = -1, x->data.stride = 1, x->data.normalize = 1;
    x->data.n_inputs = 2, x->data.n_outputs = 1, x->data.header = 1;
    x->in_dim = kind == 1 ? 1 : 2, x->out_dim = 1;
    x->optimizer = RT_OPT_ADAM, x->lr = 1e-3, x->beta1 = 0.9, x->beta2 = 0.999, x->eps = 1e-8;
    x->epochs = 100, x->log_every = 10, x->precision = 64;
    x->metric_mse = x->metric_psnr = 1;
    x->n_layers = 1, x->layers = &fuzz_layer;
}

/* The invariants of an accepted experiment: the limits `qnnc check` applies. */
static void fuzz_check_limits(const rt_experiment *x) {
    const char *param;
    char why[256];
    if (rt_limits_optimizer(x, &param, why, sizeof why)) abort();
    if (x->epochs < 1 || x->epochs > RT_LIMIT_EPOCHS || x->log_every < 1 || x->batch < 0 ||
        x->threads < 0 || x->threads > RT_LIMIT_THREADS)
        abort();
    if (x->data.kind == RT_DATA_IMAGE && (x->data.size < 1 || x->data.size > RT_LIMIT_IMAGE_SIZE ||
                                          rt_limits_range(x->data.lo, x->data.hi, why, sizeof why)))
        abort();
    if (memchr(x->data.path, '\0', sizeof x->data.path) == NULL) abort(); /* terminated */
}

/* Every `key = value` line of the listing must be accepted again (what --help prints is
 * what --set takes), unless a path holds characters a line cannot show. */
static void fuzz_listing_reads_back(const rt_experiment *x) {
    for (const char *p = x->data.path; *p; p++)
        if ((unsigned char)*p < 0x20) return;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return;
    rt_experiment_print_settings(x, f, 0);
    fclose(f);
    rt_experiment y = *x;
    char err[1024];
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (strncmp(line, "fixed at build time", 19) == 0) continue;
        char *note = strncmp(line, "threads = ", 10) == 0 ? strstr(line, "   (all cores)") : NULL;
        if (note) *note = '\0'; /* the listing's remark after `threads = 0` */
        if (rt_experiment_set_text(&y, line, err, sizeof err)) {
            fprintf(stderr, "listing line `%s` does not read back: %s\n", line, err);
            abort();
        }
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    rt_experiment x;
    fuzz_experiment(&x, data[0] % 3); /* the first byte picks the data kind */
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    char *line = malloc(FUZZ_MAX_LINE + 1);
    if (!line) return 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n > FUZZ_MAX_LINE) n = FUZZ_MAX_LINE;
        memcpy(line, p, n);
        line[n] = '\0';
        p = nl ? nl + 1 : end;
        if (strlen(line) != n) continue; /* a NUL inside: not something argv can hold */
        rt_experiment before = x;
        char err[512];
        err[0] = '\0';
        if (rt_experiment_set_text(&x, line, err, sizeof err)) {
            if (memcmp(&before, &x, sizeof x) != 0 || !err[0]) abort(); /* all or nothing */
        } else {
            fuzz_check_limits(&x);
        }
    }
    fuzz_listing_reads_back(&x);
    free(line);
    return 0;
}
