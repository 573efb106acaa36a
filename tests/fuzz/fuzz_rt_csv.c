/* libFuzzer target: the strict CSV reader (io_csv_read) on arbitrary bytes; the first byte
 * picks the header mode (auto, yes, no). Corpus: tests/fuzz/corpus/fuzz_rt_csv, replayed by
 * tests/unit/test_rt_fuzz_replay.c. */
#include "fuzz_rt_common.h"
#include "io_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    io_csv_header mode = data[0] % 3 == 0 ? IO_CSV_HEADER_AUTO
                         : data[0] % 3 == 1 ? IO_CSV_HEADER_YES : IO_CSV_HEADER_NO;
    const char *path = fuzz_rt_file(data + 1, size - 1);
    if (!path) return 0;
    char err[512];
    io_csv t;
    if (io_csv_read(path, mode, &t, err, sizeof err) != 0) {
        fuzz_rt_done();
        return 0;
    }
    if (t.cols > 0) {
        size_t idx[2] = {0, t.cols - 1};
        double *out = malloc(sizeof(double) * 2 * (t.rows ? t.rows : 1));
        if (out) (void)io_csv_columns(&t, idx, 2, out, err, sizeof err);
        free(out);
    }
    (void)io_csv_find(&t, "x");
    io_csv_free(&t);
    fuzz_rt_done();
    return 0;
}
