/* libFuzzer target: the sound reader (io_sound_read through libsndfile: WAV, FLAC, OGG, ...)
 * and the reference slicing and normalisation. Corpus: tests/fuzz/corpus/fuzz_rt_sound,
 * replayed by tests/unit/test_rt_fuzz_replay.c. */
#include "fuzz_rt_common.h"
#include "io_sound.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_rt_file(data, size);
    if (!path) return 0;
    char err[512];
    io_sound snd;
    io_sound_channels which = size % 2 ? IO_SOUND_MIX : IO_SOUND_FIRST;
    if (io_sound_read(path, which, &snd, err, sizeof err) != 0) {
        fuzz_rt_done();
        return 0;
    }
    double *v = NULL;
    size_t n = 0;
    if (io_sound_slice(&snd, 1, snd.n, 2, &v, &n, err, sizeof err) == 0)
        (void)io_sound_normalize(v, n, path, err, sizeof err);
    free(v);
    io_sound_free(&snd);
    fuzz_rt_done();
    return 0;
}
