/* report_paper: the comparison figures of the QIREN paper, drawn from several runs on one
 * signal: relative errors split into low and high frequencies against a reference model
 * (its Fig. 7), the output spectra of every model over the target's (Fig. 6) and the
 * superresolution grid with the interpolation baselines (Fig. 8). docs/reports.md §5. */
#include "report.h"
#include "report_impl.h"

#include "io_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LEFT 96
#define TOP 92
#define BOTTOM 110 /* room for the bar labels */

static const char *or_empty(const char *s) { return s ? s : ""; }

/* ---- Fig. 7: relative errors, low and high frequencies stacked ------------------------- */

int report_relative_errors(const char *path_png, const char *const *labels, const double *low,
                           const double *high, int n, int ref, double cutoff_fraction,
                           const char *title, char *err, size_t errlen) {
    if (!path_png || !labels || !low || !high || n < 1 || ref < 0 || ref >= n) {
        io_errf(err, errlen, "%s: relative errors need at least one run and a reference among them",
                or_empty(path_png));
        return -1;
    }
    double total_ref = hypot(low[ref], high[ref]);
    if (!(total_ref > 0) || !isfinite(total_ref)) {
        io_errf(err, errlen, "%s: the reference run `%s` has no error to divide by (%g)", path_png,
                labels[ref], total_ref);
        return -1;
    }
    rp_canvas c = {0};
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen)) return -1;
    double top = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(low[i]) && isfinite(high[i])) top = fmax(top, hypot(low[i], high[i]) / total_ref);
    if (!(top > 0)) top = 1;
    char sub[256], num[32];
    rp_fmt(sub, sizeof sub, "relative error over %s's (%s); parts: shares of the squared error below "
           "and above %g of the Nyquist radius", labels[ref], rp_num(num, sizeof num, total_ref, 3),
           cutoff_fraction);
    rp_title(&c, title ? title : "Relative error, low and high frequencies", sub);
    rp_axes a;
    rp_axes_init(&a, c.cr, LEFT, TOP, c.width - LEFT - 40, c.height - TOP - BOTTOM);
    rp_axes_set(&a, -0.5, n - 0.5, 0, 0, top * 1.15, 0);
    rp_axes_grid(&a);
    rp_axis_y(&a, "relative error / reference's", 0, RP_GRAY);
    rp_rgb lo_c = rp_palette(0), hi_c = rp_palette(1);
    double bw = fmin(0.6 * a.w / n, 90.0);
    for (int i = 0; i < n; i++) {
        double xc = rp_px(&a, i);
        /* The bar is the run's total relative error over the reference's (1 for the
         * reference); its two parts are the bands' shares of the squared error (low^2 +
         * high^2 = total^2, so the shares add up where the norms would not). */
        double tot = hypot(low[i], high[i]) / total_ref;
        double share = tot > 0 ? low[i] * low[i] / (low[i] * low[i] + high[i] * high[i]) : 0;
        double l = tot * share, h = tot - l;
        if (isfinite(l) && isfinite(h)) {
            double y0 = rp_py(&a, 0), y1 = rp_py(&a, l), y2 = rp_py(&a, l + h);
            cairo_set_source_rgb(c.cr, lo_c.r, lo_c.g, lo_c.b);
            cairo_rectangle(c.cr, xc - bw / 2, y1, bw, y0 - y1);
            cairo_fill(c.cr);
            cairo_set_source_rgb(c.cr, hi_c.r, hi_c.g, hi_c.b);
            cairo_rectangle(c.cr, xc - bw / 2, y2, bw, y1 - y2);
            cairo_fill(c.cr);
            rp_text(c.cr, xc, y2 - 4, rp_num(num, sizeof num, tot, 3), 12, i == ref, 0.5, 1, RP_GRAY);
        } else {
            rp_text(c.cr, xc, rp_py(&a, 0) - 4, "n/a", 12, 0, 0.5, 1, RP_GRAY);
        }
        /* names below the bars, shortened to the bar's slot rather than overlapping */
        char name[64];
        snprintf(name, sizeof name, "%s", labels[i]);
        double slot = a.w / n - 6;
        for (size_t k = strlen(name); k > 3 && rp_text_width(c.cr, name, 12, i == ref) > slot; k--)
            memcpy(name + k - 3, "..", 3);
        rp_text(c.cr, xc, a.y + a.h + 8, name, 12, i == ref, 0.5, 0, RP_GRAY);
    }
    rp_legend_entry leg[2] = {{"low frequencies", lo_c, 8, 0}, {"high frequencies", hi_c, 8, 0}};
    rp_legend_row(c.cr, a.x + a.w, TOP - 14, leg, 2);
    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    return rc;
}

/* ---- Fig. 6: spectra of every model over the target's ----------------------------------- */

int report_spectra(const char *path_png, const double *truth, const double *const *outputs,
                   const char *const *labels, int n, int n0, int n1, const char *title, char *err,
                   size_t errlen) {
    if (!path_png || !truth || !outputs || !labels || n < 1 || n0 < 1 || n1 < 1) {
        io_errf(err, errlen, "%s: spectra need a target and at least one output", or_empty(path_png));
        return -1;
    }
    int cap = report_spectrum_bins(n0, n1);
    double *rad = malloc(sizeof(double) * (size_t)cap * (size_t)(n + 1));
    double *val = malloc(sizeof(double) * (size_t)cap * (size_t)(n + 1));
    int *len = calloc((size_t)n + 1, sizeof *len);
    rp_legend_entry *leg = calloc((size_t)n + 1, sizeof *leg);
    rp_canvas c = {0};
    int rc = -1;
    if (!rad || !val || !len || !leg) {
        io_errf(err, errlen, "%s: out of memory", path_png);
        goto done;
    }
    /* series 0 is the target, series 1 + i output i */
    for (int s = 0; s <= n; s++) {
        len[s] = report_radial_spectrum(s ? outputs[s - 1] : truth, n0, n1, rad + (size_t)s * cap,
                                        val + (size_t)s * cap, cap);
        if (len[s] < 0) {
            io_errf(err, errlen, "%s: out of memory", path_png);
            goto done;
        }
        leg[s].label = s ? labels[s - 1] : "target";
        leg[s].color = s ? rp_palette(s - 1) : (rp_rgb){0, 0, 0};
        leg[s].width = s ? 1.5 : 2.4;
        leg[s].dashed = s ? ((s - 1) / 10) % 2 : 0;
    }
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen)) goto done;
    double y0 = INFINITY, y1 = -INFINITY, x1 = 0;
    for (int s = 0; s <= n; s++) {
        double a0, a1;
        if (rp_data_range(val + (size_t)s * cap, (size_t)len[s], 1, 0.0, &a0, &a1))
            y0 = fmin(y0, a0), y1 = fmax(y1, a1);
        if (len[s] > 0) x1 = fmax(x1, rad[(size_t)s * cap + (size_t)len[s] - 1]);
    }
    if (!(y0 <= y1)) y0 = -3, y1 = 0;
    if (y1 - y0 < 1e-9) y0 -= 0.5, y1 += 0.5;
    /* spectra of natural signals span many decades: show at most 12 below the peak */
    if (y1 - y0 > 12) y0 = y1 - 12;
    double pad = 0.04 * (y1 - y0);
    double lw = fmin(rp_legend_column_width(c.cr, leg, n + 1), 320.0);
    rp_axes a;
    rp_axes_init(&a, c.cr, LEFT, TOP, c.width - LEFT - lw - 44, c.height - TOP - 64);
    rp_axes_set(&a, 0, x1 > 0 ? x1 : 1, 0, y0 - pad, y1 + pad, 1);
    rp_title(&c, title ? title : "Spectra", n1 == 1 ? "magnitude |X(k)| / n of the target and of each model's output"
                                                     : "power averaged over rings, target and each model's output");
    rp_axes_grid(&a);
    rp_axis_x(&a, "frequency / Nyquist", 1);
    rp_axis_y(&a, n1 == 1 ? "magnitude (log scale)" : "power (log scale)", 0, RP_GRAY);
    for (int s = n; s >= 0; s--) /* the target last: on top */
        rp_polyline(&a, rad + (size_t)s * cap, val + (size_t)s * cap, (size_t)len[s], leg[s].color,
                    leg[s].width, leg[s].dashed);
    cairo_save(c.cr);
    cairo_rectangle(c.cr, a.x + a.w + 20, 0, lw + 24, c.height);
    cairo_clip(c.cr);
    rp_legend_column(c.cr, a.x + a.w + 20, a.y, leg, n + 1);
    cairo_restore(c.cr);
    rc = rp_canvas_save(&c, path_png, err, errlen);
done:
    rp_canvas_close(&c);
    free(rad);
    free(val);
    free(len);
    free(leg);
    return rc;
}

/* ---- Fig. 8: the superresolution grid ------------------------------------------------- */

#define GRID_GAP 24
#define GRID_LABEL 26   /* the name above a picture */
#define GRID_CAPTION 30 /* the MSE below it */
#define GRID_COLUMNS 4

int report_image_grid(const char *path_png, const double *const *images, const char *const *labels,
                      const double *mse, int n, int h, int w, int channels, double lo, double hi,
                      const char *title, const char *subtitle, char *err, size_t errlen) {
    if (!path_png || !images || !labels || n < 1 || h < 1 || w < 1 || (channels != 1 && channels != 3) ||
        !(hi > lo)) {
        io_errf(err, errlen, "%s: an image grid needs at least one gray or RGB image and a value range",
                or_empty(path_png));
        return -1;
    }
    int s = rp_image_scale(h, w), pw = w * s, ph = h * s;
    int cols = n < GRID_COLUMNS ? n : GRID_COLUMNS, rows = (n + cols - 1) / cols;
    int width = 2 * GRID_GAP + cols * pw + (cols - 1) * GRID_GAP;
    if (width < 640) width = 640;
    int height = 84 + rows * (GRID_LABEL + ph + GRID_CAPTION) + (rows - 1) * GRID_GAP / 2 + 16;
    rp_canvas c = {0};
    if (rp_canvas_open(&c, width, height, path_png, err, errlen)) return -1;
    rp_title(&c, title ? title : "Superresolution", subtitle);
    int rc = -1;
    double x_left = (width - (cols * pw + (cols - 1) * GRID_GAP)) / 2.0;
    for (int i = 0; i < n; i++) {
        int r = i / cols, k = i % cols;
        double x = x_left + k * (pw + GRID_GAP);
        double y = 84 + r * (GRID_LABEL + ph + GRID_CAPTION + GRID_GAP / 2) + GRID_LABEL;
        cairo_surface_t *img = rp_image_surface(images[i], h, w, channels, lo, hi);
        if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
            cairo_surface_destroy(img);
            io_errf(err, errlen, "%s: out of memory", path_png);
            goto done;
        }
        rp_paint_scaled(c.cr, img, x, y, s);
        cairo_surface_destroy(img);
        char name[64], cap[48], num[32];
        snprintf(name, sizeof name, "%s", labels[i]);
        for (size_t m = strlen(name); m > 3 && rp_text_width(c.cr, name, 13, 1) > pw + GRID_GAP - 4; m--)
            memcpy(name + m - 3, "..", 3);
        rp_text(c.cr, x + pw / 2.0, y - 6, name, 13, 1, 0.5, 1, RP_GRAY);
        if (mse && isfinite(mse[i]))
            rp_text(c.cr, x + pw / 2.0, y + ph + 6,
                    rp_fmt(cap, sizeof cap, "MSE %s", rp_num(num, sizeof num, mse[i], 4)), 12, 0, 0.5, 0,
                    RP_GRAY);
    }
    rc = rp_canvas_save(&c, path_png, err, errlen);
done:
    rp_canvas_close(&c);
    return rc;
}
