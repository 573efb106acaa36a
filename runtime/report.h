/* report: the folder qnn writes after training for a researcher to look at: figures drawn
 * with cairo, spectra and the low/high-frequency error split computed with FFTW, and an
 * index.html + summary.md that tie them together (docs/reports.md). */
#ifndef QNN_REPORT_H
#define QNN_REPORT_H
#include <stddef.h>

/* Conventions. Every function takes plain arrays and writes files; it returns 0 on success
 * and -1 on failure after writing one line naming the file into err[errlen] (err may be
 * NULL). Every file is written atomically (a temporary file beside it, then rename), so a
 * failed call leaves the target as it was and no temporary file behind. The figure
 * functions need their folder to exist; report_write_index and report_write_comparison
 * create theirs. Non-finite values are skipped in plots, never an error. */

/* Pixel size of the line plots (loss curves, spectrum); the waveform figure is taller. */
#define REPORT_PLOT_WIDTH 960
#define REPORT_PLOT_HEIGHT 600
#define REPORT_WAVE_HEIGHT 760

/* The default boundary between low and high frequencies, as a fraction of the Nyquist
 * radius (report_spectral_error). */
#define REPORT_SPECTRAL_CUTOFF 0.25

/* Training loss per epoch on a log scale, and PSNR (dB) on a second axis when psnr is not
 * NULL. Epochs are numbered from 0 (the loss of epoch e is taken before its update). */
int report_loss_curve(const char *path_png, const double *loss, int n_epochs,
                      const double *psnr, const char *title, char *err, size_t errlen);

/* An objective per epoch (linear scale), with the exact optimum as a dashed horizontal line
 * when `exact` is finite; ylabel names the quantity ("energy <H>"). */
int report_energy_curve(const char *path_png, const double *energy, int n_epochs, double exact,
                        const char *ylabel, const char *title, char *err, size_t errlen);

/* Several runs' loss curves on one log-scale plot (for comparisons): run r has
 * n_epochs[r] values loss[r][0..] and the legend label labels[r]. */
int report_loss_curves(const char *path_png, const double *const *loss, const int *n_epochs,
                       const char *const *labels, int n_runs, const char *title, char *err,
                       size_t errlen);

/* Ground truth | reconstruction | absolute error, each h x w with `channels` values per
 * pixel (1 = gray, 3 = RGB), stored row-major and interleaved: x[(i * w + j) * channels + c].
 * Values in [lo, hi] map to black..white (outside: clamped). Images are enlarged by an
 * integer factor with nearest-neighbour sampling (a 32 x 32 image by 8). The error panel
 * shows max over channels of |recon - truth| with its colour bar; the figure prints the
 * maximum error, the MSE and the PSNR with peak hi - lo. */
int report_image_triptych(const char *path_png, const double *truth, const double *recon,
                          int h, int w, int channels, double lo, double hi, const char *title,
                          char *err, size_t errlen);
/* The pixel size report_image_triptych gives an h x w image. */
void report_triptych_size(int h, int w, int *width, int *height);

/* Target and output against t (t may be NULL: sample index), and the residual output -
 * target in a panel below. */
int report_waveform(const char *path_png, const double *t, const double *truth,
                    const double *recon, int n, const char *title, char *err, size_t errlen);

/* Spectra of the target, the output and their difference on one log-scale plot, with the
 * low/high cutoff marked and the two relative errors printed. n1 == 1: a 1-D signal of n0
 * samples, magnitude |X(k)| / n0 against k / (n0 / 2). n1 > 1: an n0 x n1 image (row-major),
 * power |F|^2 / (n0 n1)^2 averaged over rings of radius rho (report_spectral_error). */
int report_spectrum(const char *path_png, const double *truth, const double *recon, int n0,
                    int n1, double cutoff_fraction, const char *title, char *err,
                    size_t errlen);

/* Splits the relative error ||F(recon) - F(truth)|| / ||F(truth)|| (F: the unnormalised
 * DFT, 1-D when n1 == 1, else 2-D over n0 x n1 row-major) into frequency bands:
 *   rho(k) = |k| / (n / 2) in 1-D, sqrt((k0 / (n0/2))^2 + (k1 / (n1/2))^2) in 2-D, with the
 *            signed frequencies k in (-n/2, n/2]: the distance from DC as a fraction of
 *            the Nyquist frequency of each axis (rho = 1 at Nyquist, up to sqrt 2 in the
 *            corners of a 2-D spectrum);
 *   low  = ||dF restricted to rho <  cutoff|| / ||F(truth)||,
 *   high = ||dF restricted to rho >= cutoff|| / ||F(truth)||, dF = F(recon) - F(truth).
 * Both parts share the whole target's norm, so low^2 + high^2 = (||recon - truth|| /
 * ||truth||)^2 (Parseval) and a band the target barely has cannot blow up. When the target
 * is all zeros a part is 0 if its dF is 0, else +inf. The default cutoff is
 * REPORT_SPECTRAL_CUTOFF. Returns -1 (and leaves the outputs alone) on invalid arguments or
 * when memory runs out. */
int report_spectral_error(const double *truth, const double *recon, int n0, int n1,
                          double cutoff_fraction, double *low_rel_err, double *high_rel_err);

/* The spectrum report_spectrum plots, for one signal: writes at most cap points
 * (radius[i] as a fraction of Nyquist, value[i] as described there), in increasing radius,
 * skipping rings that hold no frequency. Returns the number written, -1 on invalid
 * arguments or out of memory. report_spectrum_bins gives a cap that always suffices. */
int report_radial_spectrum(const double *x, int n0, int n1, double *radius, double *value,
                           int cap);
int report_spectrum_bins(int n0, int n1);

/* One series of a sweep figure: n points (x[i], mean[i]) with error bars mean[i] +- sd[i]
 * (sd NULL or sd[i] NaN: no bar), joined by a line; label names it in the legend. */
typedef struct {
    const char *label;
    int n;
    const double *x, *mean, *sd;
} report_series;
/* A metric against a swept value (`qnnc sweep`): the series on one plot, ylog for a log-scale
 * y axis. xticks != NULL makes the x axis categorical: positions 0 .. n_xticks - 1 named
 * xticks[i] (the series' x are those positions). */
int report_errorbars(const char *path_png, const report_series *s, int n_series,
                     const char *const *xticks, int n_xticks, const char *xlabel,
                     const char *ylabel, int ylog, const char *title, const char *subtitle,
                     char *err, size_t errlen);

/* ---- the paper's comparison figures (report_paper.c) ----------------------------------- */

/* QIREN's Fig. 7: per run a bar of height T_i / T_ref, T = sqrt(low^2 + high^2) its total
 * relative error (report_spectral_error's parts), so the reference's bar is 1 high; the bar
 * is split into the low and high bands' shares of the squared error (low^2 / T^2 of its
 * height is low frequencies). labels[i] under bar i, the reference's in bold; a run with a
 * non-finite part gets "n/a". -1 when the reference's error is 0 or not finite. */
int report_relative_errors(const char *path_png, const char *const *labels, const double *low,
                           const double *high, int n, int ref, double cutoff_fraction,
                           const char *title, char *err, size_t errlen);

/* QIREN's Fig. 6: the spectra (report_radial_spectrum) of the target and of n outputs on one
 * log-scale plot, each an n0 x n1 signal as in report_spectrum (n1 == 1: a recording). */
int report_spectra(const char *path_png, const double *truth, const double *const *outputs,
                   const char *const *labels, int n, int n0, int n1, const char *title, char *err,
                   size_t errlen);

/* QIREN's Fig. 8: n images of h x w (channels 1 or 3, interleaved, values in [lo, hi]) in rows
 * of four, each named above and, where mse[i] is finite (mse may be NULL), its MSE below. */
int report_image_grid(const char *path_png, const double *const *images, const char *const *labels,
                      const double *mse, int n, int h, int w, int channels, double lo, double hi,
                      const char *title, const char *subtitle, char *err, size_t errlen);

/* A generative run's distances to its real image set over training (run_gan's metrics.jsonl):
 * fd_features[i] and fd_pixels[i] at generator step steps[i], i < n (steps increasing), on
 * one log axis, with the real-vs-real floors dashed in the curves' colours. Non-finite values
 * (no feature space: a set without labels) are left out. REPORT_PLOT_WIDTH x
 * REPORT_PLOT_HEIGHT (report_gen.c). */
int report_gan_distances(const char *path_png, const double *steps, const double *fd_features,
                         const double *fd_pixels, int n, double floor_features, double floor_pixels,
                         const char *title, char *err, size_t errlen);

/* ---- summaries ---------------------------------------------------------------------- */

#define REPORT_MAX_FIGURES 12 /* a run's figures (at most 7) and its circuit drawings */

/* A picture of the report: path relative to the report's folder, caption may be NULL. */
typedef struct {
    const char *path;
    const char *caption;
} report_figure;

/* What the training driver knows about one run. Strings are borrowed (NULL: not shown).
 * Unknown numbers: NaN for the doubles, negative for the integers;
 * report_summary_init sets every field to unknown. */
typedef struct {
    const char *name;         /* experiment name, e.g. "camera_qiren" */
    const char *model;        /* model as written, e.g. "qiren(d = 2)" */
    const char *data;         /* what was fitted, e.g. "image camera.png, 32 x 32" */
    long n_params;            /* trainable parameters */
    int epochs;
    long seed;
    double final_loss;        /* the last epoch's loss */
    double mse, psnr;         /* of the final output against the target; PSNR in dB */
    double eval_loss;         /* the loss of the final output against the target */
    double accuracy;          /* classification: fraction of points classified right */
    /* Held-out evaluation: the same figures on the training points, shown beside the test
     * ones (n_train >= 0 turns the side-by-side table on). */
    long n_train, n_test;
    double train_loss, train_mse, train_psnr, train_accuracy;
    /* Classification: counts[true * n_classes + predicted] on the evaluation points; a
     * table and per-class precision and recall follow the summary (n_classes >= 2). */
    int n_classes;
    const long *confusion;
    double low_rel_err;       /* report_spectral_error of the final output */
    double high_rel_err;
    double cutoff_fraction;   /* the cutoff those two used */
    double seconds_per_epoch;
    double seconds_total;
    /* Objective experiments: the final value of the optimised output and the exact optimum
     * (absolute and relative errors are derived); exact_label names it. */
    double energy, exact_energy;
    const char *exact_label;  /* e.g. "Exact ground energy (lowest eigenvalue)" */
    const char *settings;     /* free text, one setting per line (optimizer, lr, BN mode...) */
    const char *link;         /* comparison only: this run's own report folder, relative to
                                 the comparison's; its figure paths are then relative to it */
    int n_figures;
    report_figure figures[REPORT_MAX_FIGURES];
} report_summary;

void report_summary_init(report_summary *s);

/* Classes a confusion matrix may have (a CSV table has at most 64 value columns). */
#define REPORT_MAX_CLASSES 64

/* The confusion matrix of k classes (2..REPORT_MAX_CLASSES): counts[t * k + p] points of
 * true class t predicted as p. Cells are shaded by the share of their row (viridis) and
 * carry their count; the subtitle gives the total and the accuracy. */
int report_confusion(const char *path_png, const long *counts, int k, const char *title,
                     char *err, size_t errlen);
/* The pixel size report_confusion gives k classes. */
void report_confusion_size(int k, int *width, int *height);

/* Figures per evaluation (eval_every): train[i] and test[i] (test may be NULL) at epochs[i],
 * i < n, against the epoch, on a log y axis when ylog (losses) else linear (accuracy).
 * REPORT_PLOT_WIDTH x REPORT_PLOT_HEIGHT. */
int report_train_test(const char *path_png, const double *epochs, const double *train,
                      const double *test, int n, const char *ylabel, int ylog, const char *title,
                      char *err, size_t errlen);

/* A classifier of 2-D inputs: grid[i * g + j] is the class predicted at
 * (x0 + (j + 0.5) (x1 - x0) / g, y1 - (i + 0.5) (y1 - y0) / g), row 0 at the top, drawn pale
 * per class; over it the n points xy[2 i], xy[2 i + 1] of class cls[i] (0..k-1), filled dots
 * for training points and rings where is_test[i] (is_test may be NULL: all training).
 * (REPORT_PLOT_HEIGHT + 160) x REPORT_PLOT_HEIGHT. */
int report_decision_boundary(const char *path_png, const int *grid, int g, double x0, double x1,
                             double y0, double y1, const double *xy, const int *cls,
                             const unsigned char *is_test, size_t n, int k, const char *title,
                             char *err, size_t errlen);
/* Fourier coefficients of a model along one input (qnnc spectrum --checkpoint): a stem of
 * height mag[k] at frequency omega[k], k < n, and a dashed line at each of the accessible
 * frequencies (n_accessible may be 0). REPORT_PLOT_WIDTH x REPORT_PLOT_HEIGHT. */
int report_fourier(const char *path_png, const double *omega, const double *mag, int n,
                   const double *accessible, int n_accessible, const char *title,
                   const char *subtitle, char *err, size_t errlen);

/* Appends a figure; -1 when REPORT_MAX_FIGURES are already there. */
int report_summary_add_figure(report_summary *s, const char *path, const char *caption);

/* Writes dir/index.html (self-contained: inline style, pictures by relative path) and
 * dir/summary.md for one run, creating dir when missing. */
int report_write_index(const char *dir, const report_summary *s, char *err, size_t errlen);

/* One table over several runs (examples/compare.qnn): dir/index.html, dir/summary.md and
 * dir/comparison.csv. The lowest MSE is marked; models run more than once (same model text
 * and parameter count, e.g. several seeds) get a second table with mean, standard deviation,
 * min and max of their MSE. figures (may be NULL when n_figures is 0) are the comparison's
 * own pictures, relative to dir. */
int report_write_comparison(const char *dir, const char *title, const report_summary *runs,
                            int n_runs, const report_figure *figures, int n_figures,
                            char *err, size_t errlen);

/* `qnnc grad --widths`: n_series statistics (var[s][0..n), e.g. the variance of one gradient
 * component and the mean variance over all) against qubits[0..n) on a log axis, one line
 * with markers per series (labels[s] in the legend; at most 8 series). */
int report_gradient_variance(const char *path_png, const double *qubits,
                             const double *const *var, const char *const *labels, int n_series,
                             int n, const char *title, const char *subtitle, char *err,
                             size_t errlen);

#endif
