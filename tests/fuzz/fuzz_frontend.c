/* libFuzzer harness for the whole front end: bytes -> a .qnn file -> parse -> sema (imports,
 * elaboration, lowering, experiments) -> fusion pass, cost statistics, IR printing and, for
 * small circuits, the reference interpreter. Built and run by tests/fuzz/run_fuzz.sh.
 *
 * The input is written to a file in a private temporary folder (imports are resolved
 * relative to it, then in the standard library: $QNN_STDLIB or QNN_FUZZ_STDLIB). Lines of the
 * form `//set KEY=VALUE` (comments to the parser) become --set overrides, so the fuzzer
 * also reaches the override parser. Diagnostics go to /dev/null; nothing is printed on
 * stdout. Everything an input allocates is released before the next one (LeakSanitizer
 * checks this). */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_front_common.h"

#include "arena.h"
#include "diag.h"
#include "interp.h"
#include "ir.h"
#include "passes.h"
#include "sema.h"

#ifndef QNN_FUZZ_STDLIB
#define QNN_FUZZ_STDLIB "stdlib"
#endif

enum { MAX_SETS = 8, SET_LEN = 256, INTERP_MAX_QUBITS = 8, INTERP_MAX_OPS = 4000 };

static const char *file_path;
static FILE *sink;
static const char *stdlib_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_front_init();
    file_path = fuzz_front_path("input.qnn");
    sink = fuzz_front_sink;
    const char *env = getenv("QNN_STDLIB");
    stdlib_dir = env && *env ? env : QNN_FUZZ_STDLIB;
    return 0;
}

/* `//set KEY=VALUE` lines become overrides (copied out: the value must be NUL-free). */
static int collect_sets(const uint8_t *data, size_t size, char sets[MAX_SETS][SET_LEN]) {
    int n = 0;
    size_t i = 0;
    while (i < size && n < MAX_SETS) {
        size_t end = i;
        while (end < size && data[end] != '\n') end++;
        if (end - i > 6 && memcmp(data + i, "//set ", 6) == 0 && end - i - 6 < SET_LEN &&
            !memchr(data + i + 6, '\0', end - i - 6)) {
            memcpy(sets[n], data + i + 6, end - i - 6);
            sets[n][end - i - 6] = '\0';
            n++;
        }
        i = end + 1;
    }
    return n;
}

static void exercise_circuit(const ir_circuit *c) {
    ir_circuit *fused = pass_fuse(c);
    pass_report r;
    pass_stats(c, fused, &r);
    ir_print(c, sink);
    ir_print(fused, sink);
    if (c->n_qubits <= INTERP_MAX_QUBITS && c->n_ops <= INTERP_MAX_OPS) {
        double *params = calloc((size_t)c->n_params + 1, sizeof *params);
        double *inputs = calloc((size_t)c->n_inputs + 1, sizeof *inputs);
        double *out_a = calloc((size_t)c->n_obs + 1, sizeof *out_a);
        double *out_b = calloc((size_t)c->n_obs + 1, sizeof *out_b);
        if (params && inputs && out_a && out_b) {
            for (int i = 0; i < c->n_params; i++) params[i] = 0.1 * (i % 7) - 0.3;
            for (int i = 0; i < c->n_inputs; i++) inputs[i] = 0.2 * (i % 5) - 0.4;
            interp_forward(c, params, inputs, out_a);
            interp_forward(fused, params, inputs, out_b);
            /* Fusion must not change the outputs (both are the reference interpreter). */
            for (int k = 0; k < c->n_obs; k++) {
                double d = out_a[k] - out_b[k];
                if (d > 1e-6 || d < -1e-6) {
                    fprintf(stderr, "fusion changed observable %d of `%s`: %.17g vs %.17g\n", k,
                            c->name, out_a[k], out_b[k]);
                    abort();
                }
            }
        }
        free(params);
        free(inputs);
        free(out_a);
        free(out_b);
    }
    ir_free(fused);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_front_write(file_path, data, size);

    char sets[MAX_SETS][SET_LEN];
    const char *set_ptrs[MAX_SETS];
    int n_sets = collect_sets(data, size, sets);
    for (int i = 0; i < n_sets; i++) set_ptrs[i] = sets[i];

    diag_reset();
    diag_set_stream(sink);
    sema_options opt;
    memset(&opt, 0, sizeof opt);
    opt.max_qubits = 24;
    opt.stdlib_dir = stdlib_dir;
    opt.n_sets = n_sets;
    opt.sets = set_ptrs;

    arena *ar = arena_create();
    sema_result *r = sema_check_file(ar, file_path, &opt);
    if (r && diag_error_count() == 0) {
        for (int i = 0; i < r->n_all_circuits; i++) exercise_circuit(r->all_circuits[i]);
    }
    sema_free(r);
    arena_destroy(ar);
    diag_reset();
    return 0;
}
