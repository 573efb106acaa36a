/* libFuzzer target: the image-set reader (rt_imageset_load: digits .csv / .csv.gz, .npy) on
 * arbitrary bytes. The reader picks the format by the name's ending, so the first byte picks
 * the ending and the rest is the file. What it accepts must keep its promises (rt_imageset.h):
 * positive sizes within the limits, every pixel in [0, 1], labels in range. Corpus:
 * tests/fuzz/corpus_rt_imageset (first byte 0: .csv, 1: .csv.gz, 2: .npy), replayed by
 * tests/unit/test_rt_fuzz_replay.c. */
#include "fuzz_rt_common.h"
#include "rt_imageset.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const char *const ending[] = {".csv", ".csv.gz", ".npy"};
    const char *end = ending[data[0] % 3];
    const char *tmp = fuzz_rt_file(data + 1, size - 1);
    if (!tmp) return 0;
    char path[96];
    snprintf(path, sizeof path, "%s%s", tmp, end);
    if (rename(tmp, path) != 0) {
        fuzz_rt_done();
        return 0;
    }
    char err[512];
    rt_imageset s;
    int rc = rt_imageset_load(path, &s, err, sizeof err);
    unlink(path);
    fuzz_rt_done();
    if (rc != 0) {
        if (!err[0] || s.pix || s.labels) abort(); /* a refusal says why and leaves nothing */
        return 0;
    }
    if (s.n < 1 || s.h < 1 || s.w < 1 || s.c < 1 || s.h > RT_IMAGESET_MAX_SIDE ||
        s.w > RT_IMAGESET_MAX_SIDE || s.c > RT_IMAGESET_MAX_CHANNELS || !s.pix)
        abort();
    size_t count = (size_t)s.n * (size_t)rt_imageset_dim(&s);
    if (count > RT_IMAGESET_MAX_VALUES) abort();
    for (size_t i = 0; i < count; i++)
        if (!(s.pix[i] >= 0.0 && s.pix[i] <= 1.0)) abort();
    for (int i = 0; s.labels && i < s.n; i++)
        if (s.labels[i] < 0 || s.labels[i] > RT_IMAGESET_MAX_LABEL) abort();
    rt_imageset_free(&s);
    return 0;
}
