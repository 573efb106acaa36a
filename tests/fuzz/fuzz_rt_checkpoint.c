/* libFuzzer target: the runtime's one checkpoint validator (run_checkpoint_load) on arbitrary
 * bytes, as `--resume` calls it (a model, its Adam optimiser, the epochs done) and as `eval
 * --checkpoint` does (the model only): linear [3, 2] -> batch norm -> relu -> linear [1, 3].
 * Whatever the file, the result is 0 with every weight finite and the epochs in 0..40, or -1
 * with one line naming the file. Corpus: tests/fuzz/corpus_rt_checkpoint (valid checkpoints
 * of this model and the hostile metadata of issue 9), replayed by test_rt_fuzz_replay.c. */
#include <math.h>

#include "fuzz_rt_common.h"
#include "rt_optim.h"
#include "run_checkpoint.h"
#include "run_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rt_layer_spec fuzz_ck_layers_[4] = {
    {.kind = RT_LAYER_LINEAR, .in = 2, .out = 3, .bias = 1},
    {.kind = RT_LAYER_BATCHNORM, .in = 3, .out = 3, .momentum = 0.1, .eps = 1e-5},
    {.kind = RT_LAYER_RELU, .in = 3, .out = 3},
    {.kind = RT_LAYER_LINEAR, .in = 3, .out = 1, .bias = 1}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static rt_experiment x;
    static rt_model *m;
    static rt_optim *opt;
    char err[1024] = "";
    if (!m) { /* built once: the model is the same for every input */
        snprintf(x.name, sizeof x.name, "fuzz");
        x.in_dim = 2, x.out_dim = 1, x.epochs = 40, x.optimizer = RT_OPT_ADAM;
        x.layers = fuzz_ck_layers_;
        x.n_layers = 4;
        rt_rng rng;
        rt_rng_seed(&rng, 1);
        m = run_build_model(&x, NULL, NULL, &rng, err, sizeof err);
        if (!m || rt_model_build(m, 4)) abort();
        opt = rt_adam_create(rt_model_n_params(m), 0.01, 0.9, 0.999, 1e-8, 0);
        if (!opt) abort();
    }
    const char *path = fuzz_rt_file(data, size);
    if (!path) return 0;
    int epochs = -1;
    int rc = run_checkpoint_load(path, &x, m, opt, &epochs, err, sizeof err);
    if (getenv("QNN_FUZZ_VERBOSE")) fprintf(stderr, "%s (epochs %d)\n", rc ? err : "loaded", epochs);
    /* What the validator promises to its callers. */
    if (rc == 0 && (epochs < 0 || epochs > x.epochs)) abort();
    if (rc != 0 && (strncmp(err, path, strlen(path)) != 0 || strchr(err, '\n'))) abort();
    for (int k = 0; rc == 0 && k < rt_model_n_tensors(m); k++) {
        rt_model_tensor t = rt_model_tensor_at(m, k);
        for (size_t i = 0; i < t.count; i++)
            if (!isfinite(t.data[i])) abort();
    }
    (void)run_checkpoint_load(path, &x, m, NULL, NULL, err, sizeof err);
    fuzz_rt_done();
    return 0;
}
