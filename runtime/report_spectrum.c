/* report_spectrum: frequency-domain view of a fit, with FFTW: the low/high-frequency split of
 * the relative error (the QIREN paper's Figure 7 question: does the model miss the fine
 * detail?), radially averaged spectra, and the figure that plots them. */
#include "report.h"
#include "report_impl.h"

#include "io_file.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Far above any INR signal (a 16k x 16k image); keeps every size_t product exact. */
#define MAX_POINTS (1L << 28)

/* FFTW's planner is not thread-safe (its execute is): a report written from a worker thread
 * while another plans must not corrupt FFTW's tables. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

/* The non-redundant half of a real signal's DFT: m0 x m1 values, m1 = n/2 + 1 along the last
 * axis (FFTW's r2c layout). A 1-D signal (n1 == 1) is one row of n0 samples. */
typedef struct {
    fftw_complex *f;
    int n0, n1; /* the signal */
    int m0, m1; /* the half spectrum */
} half_spec;

static int valid_shape(int n0, int n1) {
    return n0 >= 1 && n1 >= 1 && (long)n0 * (long)n1 <= MAX_POINTS;
}

static int forward(const double *x, int n0, int n1, half_spec *hs) {
    int oned = n1 == 1;
    size_t n = (size_t)n0 * (size_t)n1;
    hs->n0 = n0;
    hs->n1 = n1;
    hs->m0 = oned ? 1 : n0;
    hs->m1 = (oned ? n0 : n1) / 2 + 1;
    double *in = fftw_malloc(n * sizeof *in);
    hs->f = fftw_malloc((size_t)hs->m0 * (size_t)hs->m1 * sizeof *hs->f);
    fftw_plan plan = NULL;
    if (in && hs->f) {
        pthread_mutex_lock(&planner_lock);
        /* FFTW_ESTIMATE: plans in microseconds without touching the arrays; these
         * transforms run once each, so measuring would cost more than it saves. */
        plan = oned ? fftw_plan_dft_r2c_1d(n0, in, hs->f, FFTW_ESTIMATE)
                    : fftw_plan_dft_r2c_2d(n0, n1, in, hs->f, FFTW_ESTIMATE);
        pthread_mutex_unlock(&planner_lock);
    }
    if (!plan) {
        fftw_free(in);
        fftw_free(hs->f);
        hs->f = NULL;
        return -1;
    }
    memcpy(in, x, n * sizeof *in);
    fftw_execute(plan);
    pthread_mutex_lock(&planner_lock);
    fftw_destroy_plan(plan);
    pthread_mutex_unlock(&planner_lock);
    fftw_free(in);
    return 0;
}

/* Radius rho of half-spectrum entry (i0, i1) as a fraction of Nyquist, and how many entries
 * of the full spectrum it stands for: the columns other than 0 and n/2 also stand for their
 * mirror image, which r2c leaves out (conjugate, so of the same magnitude). */
static void freq_of(const half_spec *hs, int i0, int i1, double *rho, double *weight) {
    int n_last = hs->n1 == 1 ? hs->n0 : hs->n1;
    *weight = (i1 == 0 || (n_last % 2 == 0 && i1 == n_last / 2)) ? 1.0 : 2.0;
    double r1 = i1 / (n_last / 2.0);
    if (hs->n1 == 1) {
        *rho = r1;
        return;
    }
    int f0 = i0 <= hs->n0 / 2 ? i0 : hs->n0 - i0; /* |signed frequency| */
    double r0 = f0 / (hs->n0 / 2.0);
    *rho = sqrt(r0 * r0 + r1 * r1);
}

static double mag2(const fftw_complex z) { return z[0] * z[0] + z[1] * z[1]; }

/* sqrt(part / whole), with the all-zero target handled as documented in report.h. */
static double ratio(double part, double whole) {
    if (whole > 0) return sqrt(part / whole);
    return part == 0 ? 0.0 : INFINITY;
}

int report_spectral_error(const double *truth, const double *recon, int n0, int n1,
                          double cutoff_fraction, double *low_rel_err, double *high_rel_err) {
    if (!truth || !recon || !low_rel_err || !high_rel_err || !valid_shape(n0, n1) ||
        isnan(cutoff_fraction) || cutoff_fraction < 0)
        return -1;
    size_t n = (size_t)n0 * (size_t)n1;
    double *d = malloc(n * sizeof *d);
    if (!d) return -1;
    /* The DFT is linear: transforming recon - truth gives dF directly, without the
     * cancellation of subtracting two large spectra. */
    for (size_t i = 0; i < n; i++) d[i] = recon[i] - truth[i];
    half_spec ft = {0}, fd = {0};
    int rc = -1;
    if (forward(truth, n0, n1, &ft) || forward(d, n0, n1, &fd)) goto done;
    double whole = 0.0, low = 0.0, high = 0.0;
    for (int i0 = 0; i0 < ft.m0; i0++)
        for (int i1 = 0; i1 < ft.m1; i1++) {
            size_t k = (size_t)i0 * (size_t)ft.m1 + (size_t)i1;
            double rho, w;
            freq_of(&ft, i0, i1, &rho, &w);
            whole += w * mag2(ft.f[k]);
            if (rho < cutoff_fraction) low += w * mag2(fd.f[k]);
            else high += w * mag2(fd.f[k]);
        }
    *low_rel_err = ratio(low, whole);
    *high_rel_err = ratio(high, whole);
    rc = 0;
done:
    fftw_free(ft.f);
    fftw_free(fd.f);
    free(d);
    return rc;
}

/* 2-D rings are 2 / max(n0, n1) wide in rho: one frequency step of the finer axis, so a
 * square image gets one ring per integer radius. */
static double ring_width(int n0, int n1) { return 2.0 / (n0 > n1 ? n0 : n1); }

int report_spectrum_bins(int n0, int n1) {
    if (!valid_shape(n0, n1)) return -1;
    if (n1 == 1) return n0 / 2 + 1;
    return (int)ceil(sqrt(2.0) / ring_width(n0, n1)) + 2;
}

int report_radial_spectrum(const double *x, int n0, int n1, double *radius, double *value,
                           int cap) {
    int nb = report_spectrum_bins(n0, n1);
    if (!x || !radius || !value || nb < 0 || cap < 0) return -1;
    half_spec hs = {0};
    if (forward(x, n0, n1, &hs)) return -1;
    int out = 0;
    if (n1 == 1) {
        /* Amplitude normalised by n: a cosine of amplitude A at k shows A / 2. */
        for (int k = 0; k < hs.m1 && out < cap; k++, out++) {
            double rho, w;
            freq_of(&hs, 0, k, &rho, &w);
            radius[out] = rho;
            value[out] = sqrt(mag2(hs.f[k])) / n0;
        }
        fftw_free(hs.f);
        return out;
    }
    double *sum = calloc((size_t)nb, sizeof *sum), *cnt = calloc((size_t)nb, sizeof *cnt);
    if (!sum || !cnt) {
        free(sum);
        free(cnt);
        fftw_free(hs.f);
        return -1;
    }
    double dr = ring_width(n0, n1), norm = (double)n0 * (double)n1;
    norm *= norm;
    for (int i0 = 0; i0 < hs.m0; i0++)
        for (int i1 = 0; i1 < hs.m1; i1++) {
            double rho, w;
            freq_of(&hs, i0, i1, &rho, &w);
            int b = (int)floor(rho / dr + 0.5);
            if (b >= nb) b = nb - 1;
            /* Weighted like the full spectrum, so that the ring mean is over all of it. */
            sum[b] += w * mag2(hs.f[(size_t)i0 * (size_t)hs.m1 + (size_t)i1]) / norm;
            cnt[b] += w;
        }
    for (int b = 0; b < nb && out < cap; b++)
        if (cnt[b] > 0) {
            radius[out] = b * dr;
            value[out++] = sum[b] / cnt[b];
        }
    free(sum);
    free(cnt);
    fftw_free(hs.f);
    return out;
}

/* Range in decades of the finite positive values of v[0..n) merged into [*lo, *hi]. */
static void widen(const double *v, int n, double *lo, double *hi) {
    double a, b;
    if (rp_data_range(v, (size_t)n, 1, 0.0, &a, &b)) {
        *lo = fmin(*lo, a);
        *hi = fmax(*hi, b);
    }
}

int report_spectrum(const char *path_png, const double *truth, const double *recon, int n0,
                    int n1, double cutoff_fraction, const char *title, char *err,
                    size_t errlen) {
    const char *p = path_png ? path_png : "";
    if (!path_png || !truth || !recon || !valid_shape(n0, n1)) {
        io_errf(err, errlen, "%s: spectrum needs a target and an output of at least one sample",
                p);
        return -1;
    }
    if (!(cutoff_fraction > 0) || !isfinite(cutoff_fraction)) {
        io_errf(err, errlen, "%s: spectral cutoff %g is not a positive fraction of Nyquist", p,
                cutoff_fraction);
        return -1;
    }
    int nb = report_spectrum_bins(n0, n1), rc = -1;
    size_t n = (size_t)n0 * (size_t)n1;
    double *buf = malloc((size_t)nb * 6 * sizeof *buf), *d = malloc(n * sizeof *d);
    rp_canvas c = {0};
    if (!buf || !d) {
        io_errf(err, errlen, "%s: out of memory", p);
        goto done;
    }
    for (size_t i = 0; i < n; i++) d[i] = recon[i] - truth[i];
    double *rt = buf, *vt = buf + nb, *ro = buf + 2 * nb, *vo = buf + 3 * nb, *rd = buf + 4 * nb,
           *vd = buf + 5 * nb;
    int kt = report_radial_spectrum(truth, n0, n1, rt, vt, nb);
    int ko = report_radial_spectrum(recon, n0, n1, ro, vo, nb);
    int kd = report_radial_spectrum(d, n0, n1, rd, vd, nb);
    double low = NAN, high = NAN;
    if (kt < 0 || ko < 0 || kd < 0 ||
        report_spectral_error(truth, recon, n0, n1, cutoff_fraction, &low, &high)) {
        io_errf(err, errlen, "%s: cannot compute the spectra (out of memory)", p);
        goto done;
    }
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, p, err, errlen)) goto done;

    char sub[200], v1[32], v2[32], v3[32], v4[32];
    snprintf(sub, sizeof sub,
             "relative error: low %s, high %s, total %s (low: rho < %s of Nyquist)",
             rp_num(v1, sizeof v1, low, 3), rp_num(v2, sizeof v2, high, 3),
             rp_num(v3, sizeof v3, sqrt(low * low + high * high), 3),
             rp_num(v4, sizeof v4, cutoff_fraction, 3));
    rp_title(&c, title ? title : (n1 == 1 ? "Spectrum" : "Radially averaged power spectrum"),
             sub);

    /* The y range follows target and output; the difference may reach further down only
     * by ten decades, or a near-perfect fit would squash the other two curves. */
    double y0 = INFINITY, y1 = -INFINITY, e0 = INFINITY, e1 = -INFINITY;
    widen(vt, kt, &y0, &y1);
    widen(vo, ko, &y0, &y1);
    widen(vd, kd, &e0, &e1);
    if (!(y0 <= y1)) y0 = e0, y1 = e1;
    if (!(y0 <= y1)) y0 = -3, y1 = 0;
    y0 = fmin(y0, fmax(e0, y1 - 10.0));
    y1 = fmax(y1, e1);
    if (y1 - y0 < 1.0) y0 -= 0.5, y1 += 0.5;
    double pad = 0.04 * (y1 - y0), xmax = 1.0;
    for (int i = 0; i < kt; i++) xmax = fmax(xmax, rt[i]);
    rp_axes a;
    rp_axes_init(&a, c.cr, 100, 92, c.width - 140, c.height - 92 - 78);
    rp_axes_set(&a, 0, xmax, 0, y0 - pad, y1 + pad, 1);
    rp_axes_grid(&a);
    rp_axis_x(&a, n1 == 1 ? "frequency k / (n/2), fraction of Nyquist"
                          : "radial frequency rho, fraction of Nyquist", 1);
    rp_axis_y(&a, n1 == 1 ? "magnitude |X(k)| / n (log scale)"
                          : "ring mean of |F|^2 / N^2 (log scale)", 0, RP_GRAY);
    rp_rgb grey = {0.45, 0.45, 0.45}, ct = {0.15, 0.15, 0.15}, co = rp_palette(3),
           cd = rp_palette(0);
    rp_vline(&a, cutoff_fraction, grey, 1.2, 1);
    double cx = rp_px(&a, cutoff_fraction);
    if (!isnan(cx) && cx <= a.x + a.w) {
        rp_text(c.cr, cx - 6, a.y + 8, "low", 12, 0, 1, 0, grey);
        rp_text(c.cr, cx + 6, a.y + 8, "high", 12, 0, 0, 0, grey);
    }
    rp_polyline(&a, rt, vt, (size_t)kt, ct, 2.2, 0);
    rp_polyline(&a, ro, vo, (size_t)ko, co, 1.4, 0);
    rp_polyline(&a, rd, vd, (size_t)kd, cd, 1.3, 1);
    rp_legend_entry leg[3] = {{"target", ct, 2.2, 0},
                              {"output", co, 1.4, 0},
                              {"difference (output - target)", cd, 1.3, 1}};
    rp_legend_row(c.cr, a.x + a.w, 92 - 14, leg, 3);
    rc = rp_canvas_save(&c, p, err, errlen);
done:
    rp_canvas_close(&c);
    free(buf);
    free(d);
    return rc;
}
