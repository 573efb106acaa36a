/* libFuzzer target: the PNG reader (io_image_read_png, libpng underneath) and, on images it
 * accepts, the reference preprocessing (resize, centre crop, range). Corpus:
 * tests/fuzz/corpus/fuzz_rt_png, replayed by tests/unit/test_rt_fuzz_replay.c. */
#include "fuzz_rt_common.h"
#include "io_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_rt_file(data, size);
    if (!path) return 0;
    char err[512];
    io_image img;
    if (io_image_read_png(path, &img, err, sizeof err) != 0) {
        fuzz_rt_done();
        return 0;
    }
    /* Small images only: the preprocessing's cost grows with the pixels, not with bugs. */
    if ((long)img.width * img.height <= 4096) {
        double out[8 * 8];
        (void)io_image_prepare(path, 8, -1, 1, out, err, sizeof err);
    }
    io_image_free(&img);
    fuzz_rt_done();
    return 0;
}
