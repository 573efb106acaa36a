/* libFuzzer target: the strict .npy reader (io_npy_read) on arbitrary bytes, and a write of
 * what it accepted read back the same. Corpus: tests/fuzz/corpus_rt_npy, replayed by
 * tests/unit/test_rt_fuzz_replay.c. */
#include "fuzz_rt_common.h"
#include "io_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_rt_file(data, size);
    if (!path) return 0;
    char err[512];
    io_npy a;
    if (io_npy_read(path, &a, err, sizeof err) != 0) {
        fuzz_rt_done();
        return 0;
    }
    if (a.count <= 4096 && io_npy_write(path, a.ndim, a.shape, a.data, a.f32, err, sizeof err) == 0) {
        io_npy b;
        if (io_npy_read(path, &b, err, sizeof err) != 0 || b.count != a.count ||
            (a.count && memcmp(a.data, b.data, sizeof(double) * a.count) != 0))
            abort(); /* what the writer writes, the reader reads back exactly */
        io_npy_free(&b);
    }
    io_npy_free(&a);
    fuzz_rt_done();
    return 0;
}
