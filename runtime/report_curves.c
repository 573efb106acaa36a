/* report_curves: the line figures of a report: the training loss (with PSNR), several runs'
 * losses for a comparison, and a 1-D signal against its target with the residual. */
#include "report.h"
#include "report_impl.h"

#include "io_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Margins of the line plots: title, subtitle and legend row above, tick labels and axis
 * label below and to the left. */
#define TOP 92.0
#define LEFT 100.0
#define RIGHT 40.0
#define BOTTOM 78.0

static const char *or_empty(const char *s) { return s ? s : ""; }

/* Index of the smallest finite value (for "lowest loss"), -1 if none. */
static int argmin_finite(const double *v, int n) {
    int k = -1;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]) && (k < 0 || v[i] < v[k])) k = i;
    return k;
}

static int last_finite(const double *v, int n) {
    for (int i = n - 1; i >= 0; i--)
        if (isfinite(v[i])) return i;
    return -1;
}

static double *epoch_axis(int n) {
    double *x = malloc((size_t)(n > 0 ? n : 1) * sizeof *x);
    for (int i = 0; x && i < n; i++) x[i] = i;
    return x;
}

int report_loss_curve(const char *path_png, const double *loss, int n_epochs,
                      const double *psnr, const char *title, char *err, size_t errlen) {
    if (!path_png || !loss || n_epochs < 1) {
        io_errf(err, errlen, "%s: loss curve needs at least one epoch", or_empty(path_png));
        return -1;
    }
    double *x = epoch_axis(n_epochs);
    rp_canvas c;
    if (!x) {
        io_errf(err, errlen, "%s: out of memory", path_png);
        return -1;
    }
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen)) {
        free(x);
        return -1;
    }
    rp_rgb cl = rp_palette(0), cp = rp_palette(1);
    double right = psnr ? LEFT : RIGHT;
    rp_axes a, b;
    rp_axes_init(&a, c.cr, LEFT, TOP, c.width - LEFT - right, c.height - TOP - BOTTOM);
    double y0, y1;
    rp_data_range(loss, (size_t)n_epochs, 1, 0.04, &y0, &y1);
    rp_axes_set(&a, 0, n_epochs > 1 ? n_epochs - 1 : 1, 0, y0, y1, 1);

    char sub[256], v1[32], v2[32], v3[32];
    int last = last_finite(loss, n_epochs), best = argmin_finite(loss, n_epochs);
    if (last >= 0) {
        int len = snprintf(sub, sizeof sub, "final loss %s (epoch %d), lowest %s (epoch %d)",
                           rp_num(v1, sizeof v1, loss[last], 3), last,
                           rp_num(v2, sizeof v2, loss[best], 3), best);
        int lp = psnr ? last_finite(psnr, n_epochs) : -1;
        if (lp >= 0 && len > 0 && (size_t)len < sizeof sub)
            snprintf(sub + len, sizeof sub - (size_t)len, "; final PSNR %s dB",
                     rp_fmt(v3, sizeof v3, "%.2f", psnr[lp]));
    } else {
        snprintf(sub, sizeof sub, "no finite loss value");
    }
    rp_title(&c, title ? title : "Training loss", sub);

    rp_axes_grid(&a);
    rp_axis_x(&a, "epoch", 1);
    rp_axis_y(&a, "loss (log scale)", 0, psnr ? cl : RP_GRAY);
    if (psnr) {
        b = a;
        double p0, p1;
        rp_data_range(psnr, (size_t)n_epochs, 0, 0.05, &p0, &p1);
        rp_axes_set(&b, a.x0, a.x1, 0, p0, p1, 0);
        rp_axis_y(&b, "PSNR (dB)", 1, cp);
        rp_polyline(&b, x, psnr, (size_t)n_epochs, cp, 1.8, 0);
    }
    rp_polyline(&a, x, loss, (size_t)n_epochs, cl, 2.0, 0);
    rp_legend_entry leg[2] = {{"loss", cl, 2.0, 0}, {"PSNR", cp, 1.8, 0}};
    rp_legend_row(c.cr, a.x + a.w, TOP - 14, leg, psnr ? 2 : 1);

    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    free(x);
    return rc;
}

int report_loss_curves(const char *path_png, const double *const *loss, const int *n_epochs,
                       const char *const *labels, int n_runs, const char *title, char *err,
                       size_t errlen) {
    if (!path_png || !loss || !n_epochs || n_runs < 1) {
        io_errf(err, errlen, "%s: loss curves need at least one run", or_empty(path_png));
        return -1;
    }
    int most = 1;
    for (int r = 0; r < n_runs; r++) {
        if (!loss[r] || n_epochs[r] < 1) {
            io_errf(err, errlen, "%s: run %d has no loss values", path_png, r);
            return -1;
        }
        if (n_epochs[r] > most) most = n_epochs[r];
    }
    double *x = epoch_axis(most);
    rp_legend_entry *leg = calloc((size_t)n_runs, sizeof *leg);
    char(*names)[24] = calloc((size_t)n_runs, sizeof *names);
    rp_canvas c = {0};
    int rc = -1;
    if (!x || !leg || !names) {
        io_errf(err, errlen, "%s: out of memory", path_png);
        goto done;
    }
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen))
        goto done;
    /* The y range covers every run: one pass over all values through a running range. */
    double y0 = INFINITY, y1 = -INFINITY;
    for (int r = 0; r < n_runs; r++) {
        double a0, a1;
        if (rp_data_range(loss[r], (size_t)n_epochs[r], 1, 0.0, &a0, &a1)) {
            y0 = fmin(y0, a0);
            y1 = fmax(y1, a1);
        }
        leg[r].color = rp_palette(r);
        leg[r].width = 1.8;
        /* Eleven and more runs reuse the ten colours: dash the second round. */
        leg[r].dashed = (r / 10) % 2;
        if (labels && labels[r]) leg[r].label = labels[r];
        else leg[r].label = rp_fmt(names[r], sizeof names[r], "run %d", r + 1);
    }
    if (!(y0 <= y1)) y0 = -3, y1 = 0;
    if (y1 - y0 < 1e-9) y0 -= 0.5, y1 += 0.5;
    double pad = 0.04 * (y1 - y0);
    /* The legend stands in its own column to the right, so it never hides a curve. */
    double lw = fmin(rp_legend_column_width(c.cr, leg, n_runs), 320.0);
    rp_axes a;
    rp_axes_init(&a, c.cr, LEFT, TOP, c.width - LEFT - lw - 44, c.height - TOP - BOTTOM);
    rp_axes_set(&a, 0, most > 1 ? most - 1 : 1, 0, y0 - pad, y1 + pad, 1);
    rp_title(&c, title ? title : "Training loss", NULL);
    rp_axes_grid(&a);
    rp_axis_x(&a, "epoch", 1);
    rp_axis_y(&a, "loss (log scale)", 0, RP_GRAY);
    for (int r = 0; r < n_runs; r++)
        rp_polyline(&a, x, loss[r], (size_t)n_epochs[r], leg[r].color, 1.8, leg[r].dashed);
    cairo_save(c.cr);
    cairo_rectangle(c.cr, a.x + a.w + 20, 0, lw + 24, c.height);
    cairo_clip(c.cr); /* a label too long for the column is cut, not drawn over the edge */
    rp_legend_column(c.cr, a.x + a.w + 20, a.y, leg, n_runs);
    cairo_restore(c.cr);
    rc = rp_canvas_save(&c, path_png, err, errlen);
done:
    rp_canvas_close(&c);
    free(x);
    free(leg);
    free(names);
    return rc;
}

int report_waveform(const char *path_png, const double *t, const double *truth,
                    const double *recon, int n, const char *title, char *err, size_t errlen) {
    if (!path_png || !truth || !recon || n < 1) {
        io_errf(err, errlen, "%s: waveform needs a target and an output of at least one sample",
                or_empty(path_png));
        return -1;
    }
    double *x = t ? NULL : epoch_axis(n);
    double *res = malloc((size_t)n * sizeof *res);
    rp_canvas c = {0};
    int rc = -1;
    if ((!t && !x) || !res) {
        io_errf(err, errlen, "%s: out of memory", path_png);
        goto done;
    }
    const double *xs = t ? t : x;
    double sq = 0.0, worst = 0.0;
    size_t counted = 0;
    for (int i = 0; i < n; i++) {
        res[i] = recon[i] - truth[i];
        if (isfinite(res[i])) {
            sq += res[i] * res[i];
            worst = fmax(worst, fabs(res[i]));
            counted++;
        }
    }
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_WAVE_HEIGHT, path_png, err, errlen))
        goto done;

    char sub[160], v1[32], v2[32];
    snprintf(sub, sizeof sub, "%d samples; MSE %s, max |residual| %s", n,
             rp_num(v1, sizeof v1, counted ? sq / (double)counted : NAN, 3),
             rp_num(v2, sizeof v2, counted ? worst : NAN, 3));
    rp_title(&c, title ? title : "Signal and reconstruction", sub);

    /* Upper panel: both signals on one y range; lower: the residual, symmetric about 0. */
    double w = c.width - LEFT - RIGHT, top_h = 380.0, gap = 34.0;
    double low_h = c.height - TOP - top_h - gap - BOTTOM;
    double x0, x1, y0, y1, u0, u1;
    rp_data_range(xs, (size_t)n, 0, 0.0, &x0, &x1);
    rp_data_range(truth, (size_t)n, 0, 0.0, &y0, &y1);
    rp_data_range(recon, (size_t)n, 0, 0.0, &u0, &u1);
    y0 = fmin(y0, u0);
    y1 = fmax(y1, u1);
    double pad = 0.06 * (y1 - y0);
    rp_axes up, dn;
    rp_axes_init(&up, c.cr, LEFT, TOP, w, top_h);
    rp_axes_set(&up, x0, x1, 0, y0 - pad, y1 + pad, 0);
    rp_axes_init(&dn, c.cr, LEFT, TOP + top_h + gap, w, low_h);
    double m = worst > 0 && isfinite(worst) ? 1.1 * worst : 1.0;
    rp_axes_set(&dn, x0, x1, 0, -m, m, 0);

    rp_rgb ct = {0.15, 0.15, 0.15}, co = rp_palette(3), cres = rp_palette(0);
    rp_axes_grid(&up);
    rp_axis_x(&up, NULL, 1);
    rp_axis_y(&up, "amplitude", 0, RP_GRAY);
    rp_polyline(&up, xs, truth, (size_t)n, ct, 2.4, 0);
    rp_polyline(&up, xs, recon, (size_t)n, co, 1.3, 0);
    rp_axes_grid(&dn);
    rp_axis_x(&dn, t ? "t" : "sample", 1);
    rp_axis_y(&dn, "residual", 0, RP_GRAY);
    rp_hline(&dn, 0.0, (rp_rgb){0.5, 0.5, 0.5}, 1.0, 1);
    rp_polyline(&dn, xs, res, (size_t)n, cres, 1.2, 0);
    rp_legend_entry leg[3] = {{"target", ct, 2.4, 0},
                              {"output", co, 1.3, 0},
                              {"residual (output - target)", cres, 1.2, 0}};
    rp_legend_row(c.cr, up.x + up.w, TOP - 14, leg, 3);
    rc = rp_canvas_save(&c, path_png, err, errlen);
done:
    rp_canvas_close(&c);
    free(x);
    free(res);
    return rc;
}

int report_energy_curve(const char *path_png, const double *energy, int n_epochs, double exact,
                        const char *ylabel, const char *title, char *err, size_t errlen) {
    if (!path_png || !energy || n_epochs < 1) {
        io_errf(err, errlen, "%s: energy curve needs at least one epoch", or_empty(path_png));
        return -1;
    }
    double *x = epoch_axis(n_epochs);
    rp_canvas c;
    if (!x) {
        io_errf(err, errlen, "%s: out of memory", path_png);
        return -1;
    }
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen)) {
        free(x);
        return -1;
    }
    rp_rgb ce = rp_palette(0), cx = rp_palette(1);
    rp_axes a;
    rp_axes_init(&a, c.cr, LEFT, TOP, c.width - LEFT - RIGHT, c.height - TOP - BOTTOM);
    /* the exact line inside the range: the y range covers the curve and the optimum */
    double y0, y1;
    rp_data_range(energy, (size_t)n_epochs, 0, 0.04, &y0, &y1);
    if (isfinite(exact)) {
        double span = y1 - y0 > 0 ? y1 - y0 : 1;
        if (exact < y0) y0 = exact - 0.04 * span;
        if (exact > y1) y1 = exact + 0.04 * span;
    }
    rp_axes_set(&a, 0, n_epochs > 1 ? n_epochs - 1 : 1, 0, y0, y1, 0);
    char sub[256], v1[32], v2[32], v3[32];
    int last = last_finite(energy, n_epochs);
    if (last >= 0 && isfinite(exact))
        snprintf(sub, sizeof sub, "final %s (epoch %d), exact %s, absolute error %s", rp_fmt(v1, sizeof v1, "%.8g", energy[last]),
                 last, rp_fmt(v2, sizeof v2, "%.8g", exact), rp_num(v3, sizeof v3, fabs(energy[last] - exact), 3));
    else if (last >= 0)
        snprintf(sub, sizeof sub, "final %s (epoch %d)", rp_fmt(v1, sizeof v1, "%.8g", energy[last]), last);
    else
        snprintf(sub, sizeof sub, "no finite value");
    rp_title(&c, title ? title : "Objective", sub);
    rp_axes_grid(&a);
    rp_axis_x(&a, "epoch", 1);
    rp_axis_y(&a, ylabel ? ylabel : "energy", 0, RP_GRAY);
    if (isfinite(exact)) rp_hline(&a, exact, cx, 1.6, 1);
    rp_polyline(&a, x, energy, (size_t)n_epochs, ce, 2.0, 0);
    rp_legend_entry leg[2] = {{"trained", ce, 2.0, 0}, {"exact", cx, 1.6, 1}};
    rp_legend_row(c.cr, a.x + a.w, TOP - 14, leg, isfinite(exact) ? 2 : 1);
    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    free(x);
    return rc;
}
