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

#include "arena.h"
#include "diag.h"
#include "qasm.h"
#include "sema.h"

static char dir_path[64];
static char qasm_path[96];
static char qnn_path[96];
static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cleanup(void) {
    unlink(qasm_path);
    unlink(qnn_path);
    rmdir(dir_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    snprintf(dir_path, sizeof dir_path, "/tmp/qnn-fuzzq-XXXXXX");
    if (!mkdtemp(dir_path)) {
        perror("qnn fuzz: mkdtemp");
        abort();
    }
    snprintf(qasm_path, sizeof qasm_path, "%s/input.qasm", dir_path);
    snprintf(qnn_path, sizeof qnn_path, "%s/input.qnn", dir_path);
    atexit(cleanup);
    sink = fopen("/dev/null", "w");
    if (!sink) abort();
    return 0;
}

static void write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    write_file(qasm_path, data, size);
    diag_reset();
    diag_set_stream(sink);
    char *text = NULL;
    if (qasm_import(qasm_path, "fuzzed", &text) == 0) {
        write_file(qnn_path, text, strlen(text));
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
