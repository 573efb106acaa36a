/* report_sweep: the figure of a parameter sweep: a metric against a swept value, the mean
 * over seeds with its standard deviation as an error bar, one series per combination of
 * the other swept settings. */
#include "report.h"
#include "report_impl.h"

#include "io_file.h"

#include <math.h>
#include <stdlib.h>

#define TOP 92.0
#define LEFT 100.0
#define RIGHT 40.0
#define BOTTOM 78.0

/* Draws one vertical bar with caps, clipped to the area (a bar below zero on a log axis is
 * cut at the bottom edge rather than dropped, so that a wide spread stays visible). */
static void error_bar(const rp_axes *a, double xv, double lo, double hi, rp_rgb color) {
    double px = rp_px(a, xv);
    if (!isfinite(px)) return;
    double py_hi = rp_py(a, hi), py_lo = rp_py(a, lo);
    if (!isfinite(py_hi)) return;
    if (!isfinite(py_lo)) py_lo = a->y + a->h;
    cairo_t *cr = a->cr;
    cairo_save(cr);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, color.r, color.g, color.b);
    cairo_set_line_width(cr, 1.5);
    cairo_move_to(cr, px, py_lo);
    cairo_line_to(cr, px, py_hi);
    cairo_move_to(cr, px - 5, py_lo);
    cairo_line_to(cr, px + 5, py_lo);
    cairo_move_to(cr, px - 5, py_hi);
    cairo_line_to(cr, px + 5, py_hi);
    cairo_stroke(cr);
    cairo_restore(cr);
}

static void marker(const rp_axes *a, double xv, double yv, rp_rgb color) {
    double px = rp_px(a, xv), py = rp_py(a, yv);
    if (!isfinite(px) || !isfinite(py)) return;
    cairo_t *cr = a->cr;
    cairo_set_source_rgb(cr, color.r, color.g, color.b);
    cairo_arc(cr, px, py, 4.0, 0, 6.283185307179586);
    cairo_fill(cr);
}

int report_errorbars(const char *path_png, const report_series *s, int n_series,
                     const char *const *xticks, int n_xticks, const char *xlabel,
                     const char *ylabel, int ylog, const char *title, const char *subtitle,
                     char *err, size_t errlen) {
    if (!path_png || !s || n_series < 1) {
        io_errf(err, errlen, "%s: a sweep figure needs at least one series", path_png ? path_png : "");
        return -1;
    }
    size_t total = 0;
    for (int k = 0; k < n_series; k++) total += s[k].n > 0 ? (size_t)s[k].n : 0;
    double *xs = malloc((total + 1) * sizeof *xs), *ys = malloc((2 * total + 1) * sizeof *ys);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        io_errf(err, errlen, "%s: out of memory", path_png);
        return -1;
    }
    /* the y range covers every mean and every bar end */
    size_t nx = 0, ny = 0;
    for (int k = 0; k < n_series; k++)
        for (int i = 0; i < s[k].n; i++) {
            double m = s[k].mean[i], d = s[k].sd ? s[k].sd[i] : NAN;
            xs[nx++] = s[k].x[i];
            ys[ny++] = isfinite(d) ? m + d : m;
            ys[ny++] = isfinite(d) && (!ylog || m - d > 0) ? m - d : m;
        }
    rp_canvas c;
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen)) {
        free(xs);
        free(ys);
        return -1;
    }
    rp_axes a;
    rp_axes_init(&a, c.cr, LEFT, TOP, c.width - LEFT - RIGHT, c.height - TOP - BOTTOM);
    double x0, x1, y0, y1;
    if (xticks) {
        x0 = -0.5;
        x1 = n_xticks - 0.5;
    } else {
        rp_data_range(xs, nx, 0, 0.05, &x0, &x1);
    }
    rp_data_range(ys, ny, ylog, 0.06, &y0, &y1);
    rp_axes_set(&a, x0, x1, 0, y0, y1, ylog);
    rp_title(&c, title ? title : "Sweep", subtitle);
    rp_axes_grid(&a);
    if (xticks) { /* a categorical axis: the values as written, under their positions */
        for (int i = 0; i < n_xticks; i++)
            rp_text(c.cr, rp_px(&a, i), a.y + a.h + 10, xticks[i], 13, 0, 0.5, 0, RP_GRAY);
        if (xlabel) rp_text(c.cr, a.x + a.w / 2, a.y + a.h + 34, xlabel, 15, 0, 0.5, 0, RP_GRAY);
    } else {
        rp_axis_x(&a, xlabel, 1);
    }
    rp_axis_y(&a, ylabel, 0, RP_GRAY);
    rp_legend_entry *leg = calloc((size_t)n_series, sizeof *leg);
    for (int k = 0; k < n_series; k++) {
        rp_rgb col = rp_palette(k);
        rp_polyline(&a, s[k].x, s[k].mean, (size_t)(s[k].n > 0 ? s[k].n : 0), col, 1.6, 0);
        for (int i = 0; i < s[k].n; i++) {
            double d = s[k].sd ? s[k].sd[i] : NAN;
            if (isfinite(d)) error_bar(&a, s[k].x[i], s[k].mean[i] - d, s[k].mean[i] + d, col);
            marker(&a, s[k].x[i], s[k].mean[i], col);
        }
        if (leg) leg[k] = (rp_legend_entry){s[k].label ? s[k].label : "", col, 1.6, 0};
    }
    if (leg && (n_series > 1 || s[0].label)) rp_legend_row(c.cr, a.x + a.w, TOP - 14, leg, n_series);
    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    free(leg);
    free(xs);
    free(ys);
    return rc;
}
