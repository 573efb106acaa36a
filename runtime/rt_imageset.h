/* rt_imageset: sets of small images for generative experiments (the GAN of issue 18) and the
 * distances between them (rt_gen_metric.h): scikit-learn's digits (digits.csv.gz, or the
 * digits.csv that scripts/fetch_data.sh writes) and NumPy image arrays such as scikit-image's
 * lfw_subset.npy. Every pixel is a double in [0, 1] (docs/data.md §7). */
#ifndef QNN_RT_IMAGESET_H
#define QNN_RT_IMAGESET_H

#include <stddef.h>

/* Largest accepted sizes: far above the sets above (1797 x 8 x 8, 200 x 25 x 25). */
#define RT_IMAGESET_MAX_SIDE 4096
#define RT_IMAGESET_MAX_CHANNELS 4
#define RT_IMAGESET_MAX_VALUES ((size_t)1 << 28)   /* n*h*w*c: 2 GiB of doubles */
#define RT_IMAGESET_MAX_LABEL 65535

typedef struct {
    int n, h, w, c;      /* images, rows, columns, channels */
    double *pix;         /* n*h*w*c, per image row-major (y, x, channel), values in [0, 1] */
    int *labels;         /* n class labels, or NULL when the source has none */
} rt_imageset;

/* By the name's ending:
 *  .csv.gz, .csv: scikit-learn's digits, 65 columns per row: 64 pixels of an 8 x 8 image in
 *     row-major order, then the class label (an integer 0..RT_IMAGESET_MAX_LABEL). Without a
 *     header row (scikit-learn's own file) the pixels are integers 0..16 and are divided by
 *     16; with one (scripts/fetch_data.sh digits writes "p0,...,p63,label") they are taken as
 *     they are and must lie in [0, 1]. A .gz file is decompressed with zlib.
 *  .npy: (n, h, w) or (n, h, w, c) with c <= RT_IMAGESET_MAX_CHANNELS, uint8 (divided by
 *     255) or float32/64 (values must lie in [0, 1]); no labels.
 * Errors: one line naming the file and the reason (rows of mixed sizes, a wrong column
 * count, values out of range, a truncated file, an unknown ending). 0 on success, -1 with
 * *out left empty (safe to free). */
int rt_imageset_load(const char *path, rt_imageset *out, char *err, size_t errlen);
void rt_imageset_free(rt_imageset *s);   /* NULL and an empty set are fine */

/* Values per image: h * w * c. */
static inline int rt_imageset_dim(const rt_imageset *s) { return s->h * s->w * s->c; }

#endif
