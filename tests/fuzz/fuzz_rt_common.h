/* Shared by the runtime's libFuzzer targets (tests/fuzz/fuzz_rt_*.c) and their replay in
 * `make test` (tests/unit/test_rt_fuzz_replay.c): the readers under test take a path, so each
 * input is written to one private temporary file, rewritten for every input. */
#ifndef QNN_FUZZ_RT_COMMON_H
#define QNN_FUZZ_RT_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes data[size] into a new private temporary file (mkstemp: no name to race for) and
 * returns its path, or NULL (then the input is skipped: a full /tmp is not a finding).
 * fuzz_rt_done removes it; so does exit, for an input that ends the process. */
static char fuzz_rt_path_[64];
static void fuzz_rt_done(void) {
    if (fuzz_rt_path_[0]) unlink(fuzz_rt_path_);
    fuzz_rt_path_[0] = 0;
}
static inline const char *fuzz_rt_file(const uint8_t *data, size_t size) {
    static int registered;
    if (!registered) registered = atexit(fuzz_rt_done) == 0;
    fuzz_rt_done();
    snprintf(fuzz_rt_path_, sizeof fuzz_rt_path_, "/tmp/qnn_fuzz_XXXXXX");
    int fd = mkstemp(fuzz_rt_path_);
    if (fd < 0) {
        fuzz_rt_path_[0] = 0;
        return NULL;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        fuzz_rt_done();
        return NULL;
    }
    int bad = size && fwrite(data, 1, size, f) != size;
    bad |= fclose(f) != 0;
    if (bad) fuzz_rt_done();
    return bad ? NULL : fuzz_rt_path_;
}
#endif
