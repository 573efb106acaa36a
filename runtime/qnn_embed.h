/* qnn_embed.h: using a trained qnn model from C. `qnnc build FILE.qnn --emit lib -o NAME`
 * writes NAME.a (the model's compiled circuits, its description and the qnn runtime) and
 * NAME.h (this API plus NAME_create). Link with:
 *     cc app.c NAME.a -lpng -lz -lsndfile -lfftw3 -lcairo -llapacke -lpthread -lm
 *
 *     char err[512];
 *     qnn_model *m = NAME_create(1, err, sizeof err);          // 1 thread: no threads started
 *     if (!m || qnn_model_load(m, "model.safetensors", err, sizeof err)) { puts(err); ... }
 *     double xy[2] = {0.5, -0.25}, value[1];
 *     qnn_model_forward(m, xy, 1, value, err, sizeof err);    // 1 point of in_dim coordinates
 *     qnn_model_destroy(m);
 *
 * Coordinates are those of training: images on linspace(-1, 1) per axis (row first), sound
 * on linspace(-1, 1) over the slice, CSV the file's input columns. Outputs are in the data's
 * value range (images: the experiment's range, default [-1, 1]).
 *
 * Batch norm: with `batchnorm_eval = batch` (the QIREN reference's default) a model is
 * evaluated with the statistics of the batch it is given, so an output depends on the other
 * points of the call; `qnnc run` evaluates the whole grid in one call. Use
 * `batchnorm_eval = running` in the experiment, or qnn_model_set_batchnorm(m, 1), for
 * outputs that depend on the point alone.
 *
 * A model is not to be used from two threads at once; separate models may. Functions that
 * can fail return 0 or -1 (NULL for create) with a message in err (which may be NULL). */
#ifndef QNN_EMBED_H
#define QNN_EMBED_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qnn_model qnn_model;
/* A compiled model, defined by the library qnnc writes (its NAME_create passes it here). */
typedef struct qnn_model_desc qnn_model_desc;

/* A model with the initial weights of the experiment's seed (load a checkpoint for trained
 * ones). threads: simulation threads including the caller's; 0 = all cores. */
qnn_model *qnn_model_create(const qnn_model_desc *desc, int threads, char *err, size_t errlen);
void qnn_model_destroy(qnn_model *m); /* NULL is a no-op */

/* Weights (and batch-norm statistics) from a checkpoint written by `qnnc run` or a native
 * binary of the same experiment; every tensor must match the model. */
int qnn_model_load(qnn_model *m, const char *checkpoint, char *err, size_t errlen);

/* out[n][out_dim] = model(coords[n][in_dim]), n >= 1 points in one batch. */
int qnn_model_forward(qnn_model *m, const double *coords, size_t n, double *out, char *err,
                      size_t errlen);

/* Batch-norm statistics in forward: 0 = the batch's, 1 = the running ones (the default is
 * the experiment's batchnorm_eval). */
void qnn_model_set_batchnorm(qnn_model *m, int running);

int qnn_model_in_dim(const qnn_model *m);
int qnn_model_out_dim(const qnn_model *m);
long long qnn_model_n_params(const qnn_model *m);
const char *qnn_model_name(const qnn_model *m); /* the experiment's name */

#ifdef __cplusplus
}
#endif

#endif
