/* libFuzzer harness for the OpenQASM 3 reader (compiler/qasm_import.c, `qnnc from-qasm`):
 * bytes -> input.qasm -> qasm_import. An error is fine (it must come as a diagnostic, never a
 * crash, hang or leak); an accepted file must give a .qnn text that the front end accepts and
 * lowers: the reader promises a circuit, so a text that sema refuses is a bug, reported by
 * abort(). Built and run by tests/fuzz/run_fuzz.sh with the front-end sources; its corpus is
 * tests/fuzz/corpus_qasm/ (valid exports and every finding, replayed by tests/e2e/qasm.sh). */
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
#include "qasm.h"
#include "sema.h"

static const char *qasm_path, *qnn_path;
static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_front_init();
    qasm_path = fuzz_front_path("input.qasm");
    qnn_path = fuzz_front_path("input.qnn");
    sink = fuzz_front_sink;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_front_write(qasm_path, data, size);
    diag_reset();
    diag_set_stream(sink);
    char *text = NULL;
    if (qasm_import(qasm_path, "fuzzed", &text) == 0) {
        fuzz_front_write(qnn_path, text, strlen(text));
        diag_reset();
        sema_options opt;
        memset(&opt, 0, sizeof opt);
        opt.max_qubits = 24;
        opt.stdlib_dir = "/nonexistent"; /* the import needs no library */
        arena *ar = arena_create();
        sema_result *r = sema_check_file(ar, qnn_path, &opt);
        if (!r || diag_error_count() != 0) {
            diag_set_stream(stderr);
            fprintf(stderr, "qasm_import accepted the input but its .qnn text is refused:\n%s\n", text);
            abort();
        }
        sema_free(r);
        arena_destroy(ar);
    }
    free(text);
    diag_reset();
    return 0;
}
