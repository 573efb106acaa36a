/* run_gan: one generative experiment of issue 18 from built parts to its outputs: trains an
 * rt_gen generator (with its coordinate-features model, e.g. the QIREN block, trained by the
 * generator's loss) against an rt_disc discriminator on an image set (rt_gan), measures the
 * EMA generator's distance to the real set over training (rt_gen_metric), and writes
 * metrics.jsonl, a sample grid PNG, checkpoints of both networks (docs/runtime.md §16) and
 * a report with the distances over training.
 * The phase a `.qnn` generative experiment calls, through run_generate.c (language.md §6.17). */
#ifndef QNN_RUN_GAN_H
#define QNN_RUN_GAN_H

#include <stddef.h>
#include <stdint.h>

#include "rt_gan.h"
#include "rt_gen.h"
#include "rt_gen_metric.h"
#include "rt_imageset.h"
#include "rt_model.h"

typedef struct {
    const rt_imageset *real;     /* pixels in [0, 1]; the discriminator sees 2 x - 1 */
    rt_model *features;          /* coordinates (x, y) -> gen.c_feat per pixel, built for a
                                  * batch of h*w; trained with Adam at lr_g, betas as gan */
    rt_gen_config gen;           /* channels must be the set's */
    int disc_hidden[RT_DISC_MAX_HIDDEN], n_disc_hidden, mbstd_group;
    rt_gan_config gan;
    int steps, eval_every;       /* distances every eval_every steps (and at 0 and the end) */
    int n_eval;                  /* generated images per measurement (>= 2) */
    int grid;                    /* the sample grid is grid x grid images */
    uint64_t seed;
    const char *out_dir;         /* must exist */
    const char *feature_cache;   /* the classifier of rt_gen_metric (NULL: retrain) */
    /* A folder a run of the same spec wrote (its generator.safetensors, discriminator.
     * safetensors, state.safetensors): training continues from its step up to `steps`; the
     * resumed folder's metrics.jsonl up to that step (its floor row and measurements) is
     * copied to out_dir's (out_dir may be the resumed folder itself: later rows, of a run that
     * went on past its last checkpoint, are dropped) and the new rows follow; bit for bit the
     * run that was not interrupted. NULL: a fresh start. */
    const char *resume;
    /* The run's report folder (index.html, summary.md, samples.png, distance.png: the
     * distances of metrics.jsonl over training), created and checked writable before training
     * starts; NULL: none. name,
     * model and data describe the run there (NULL: not shown). */
    const char *report_dir, *name, *model, *data;
} run_gan_spec;

typedef struct {
    int n_params_gen, n_params_features, n_params_disc;
    /* first: the history's first measurement (step 0, of the resumed run's history when
     * resuming), last: the final one, floor: the real-vs-real distances; NaN where a value
     * does not exist (feature distances of an unlabelled set) */
    rt_gen_distance first, last, floor;
    long first_step, last_step;
    double ms_d, ms_g;           /* mean per step */
    double feature_accuracy;     /* held-out accuracy of the metric's classifier; NaN: none */
    double seconds;              /* wall time of run_gan */
} run_gan_result;

/* Pixel (row i, column j) of an S_h x S_w grid has the reference's coordinates
 * x = j / S_w * 2 - 1, y = (S_h - 1 - i) / S_h * 2 - 1 (arange(S)/S*2 - 1, y flipped):
 * coords[2 (i S_w + j) ..] = (x, y). */
void run_gan_coords(int h, int w, double *coords);

int run_gan(const run_gan_spec *s, run_gan_result *r, char *err, size_t errlen);

#endif
