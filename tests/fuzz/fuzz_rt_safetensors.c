/* libFuzzer target: the safetensors checkpoint reader (io_st_read) and the validator used by
 * every checkpoint loader (io_st_check, io_st_meta_int), on arbitrary bytes. Built by
 * tests/fuzz/run_fuzz.sh; its corpus (tests/fuzz/corpus/fuzz_rt_safetensors) is replayed by
 * tests/unit/test_rt_fuzz_replay.c in `make test`. */
#include "fuzz_rt_common.h"
#include "io_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_rt_file(data, size);
    if (!path) return 0;
    char err[512];
    io_st_file f;
    if (io_st_read(path, &f, err, sizeof err) != 0) {
        fuzz_rt_done();
        return 0;
    }
    /* What the runtime's loaders expect of a small model: a [2, 3] weight, an optional state. */
    io_st_expect want[2] = {{.name = "layers.0.weight", .dtype = IO_ST_F64, .ndim = 2, .shape = {2, 3}},
                            {.name = "optimizer.state", .ndim = -1, .optional = 1}};
    (void)io_st_check(&f, path, want, 2, err, sizeof err);
    static const char *const keys[] = {"format", "epochs"};
    (void)io_st_check_meta_keys(&f, path, keys, 2, err, sizeof err);
    long long v;
    (void)io_st_meta_int(&f, path, "epochs", 0, 1000, &v, err, sizeof err);
    for (size_t i = 0; i < f.count; i++) (void)io_st_numel(&f.tensors[i]);
    io_st_free(&f);
    fuzz_rt_done();
    return 0;
}
