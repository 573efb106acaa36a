/* Shared by the front end's libFuzzer targets (fuzz_frontend.c, fuzz_qasm.c): each input is
 * written to a file in one private temporary folder (imports resolve relative to it), and
 * diagnostics go to /dev/null. The folder and its files are removed at exit. */
#ifndef QNN_FUZZ_FRONT_COMMON_H
#define QNN_FUZZ_FRONT_COMMON_H
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { FUZZ_FRONT_MAX_FILES = 4 };
static char fuzz_front_dir_[64];
static char fuzz_front_files_[FUZZ_FRONT_MAX_FILES][96];
static int fuzz_front_n_files_;
static FILE *fuzz_front_sink; /* /dev/null, for diagnostics and printed IR */

static void fuzz_front_cleanup_(void) {
    for (int i = 0; i < fuzz_front_n_files_; i++) unlink(fuzz_front_files_[i]);
    rmdir(fuzz_front_dir_);
}

/* Creates the folder and the sink (once, from LLVMFuzzerInitialize); aborts if it cannot. */
static void fuzz_front_init(void) {
    snprintf(fuzz_front_dir_, sizeof fuzz_front_dir_, "/tmp/qnn-fuzz-XXXXXX");
    if (!mkdtemp(fuzz_front_dir_)) {
        perror("qnn fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_front_cleanup_);
    fuzz_front_sink = fopen("/dev/null", "w");
    if (!fuzz_front_sink) abort();
}

/* The path of NAME in the folder, removed at exit (at most FUZZ_FRONT_MAX_FILES names). */
static const char *fuzz_front_path(const char *name) {
    if (fuzz_front_n_files_ == FUZZ_FRONT_MAX_FILES) abort();
    char *p = fuzz_front_files_[fuzz_front_n_files_++];
    snprintf(p, sizeof fuzz_front_files_[0], "%s/%s", fuzz_front_dir_, name);
    return p;
}

/* Writes data[size] to path; aborts if it cannot (a full /tmp would fake findings). */
static void fuzz_front_write(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f) != 0) abort();
}
#endif
