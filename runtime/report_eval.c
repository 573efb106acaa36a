/* Evaluation figures (docs/reports.md section 2): the confusion matrix of a classification
 * run, one cell per (true class, predicted class) shaded by the share of that true class's
 * points (so that a rare class reads as clearly as a common one) with its count; and a
 * figure over the epochs evaluated (eval_every) with the training and test points side by
 * side. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "io_file.h"
#include "report.h"
#include "report_impl.h"

void report_confusion_size(int k, int *width, int *height) {
    int cell = k <= 10 ? 56 : k <= 32 ? 28 : 14;
    *width = 200 + cell * k + 120;
    *height = 170 + cell * k + 40;
}

int report_confusion(const char *path_png, const long *counts, int k, const char *title,
                     char *err, size_t errlen) {
    if (!counts || k < 2 || k > REPORT_MAX_CLASSES) {
        io_errf(err, errlen, "%s: a confusion matrix needs 2 to %d classes, got %d", path_png,
                REPORT_MAX_CLASSES, k);
        return -1;
    }
    int W, H;
    report_confusion_size(k, &W, &H);
    int cell = k <= 10 ? 56 : k <= 32 ? 28 : 14;
    rp_canvas c;
    if (rp_canvas_open(&c, W, H, path_png, err, errlen)) return -1;
    long total = 0, right = 0;
    for (int t = 0; t < k; t++)
        for (int p = 0; p < k; p++) total += counts[t * k + p], right += t == p ? counts[t * k + p] : 0;
    char sub[160], buf[32];
    snprintf(sub, sizeof sub, "%ld points, %ld right: accuracy %.2f%%; shade = share of the true class",
             total, right, total ? 100.0 * (double)right / (double)total : 0.0);
    rp_title(&c, title ? title : "confusion matrix", sub);
    double x0 = 160, y0 = 130;
    cairo_t *cr = c.cr;
    double fs = cell >= 56 ? 13 : cell >= 28 ? 9 : 0; /* no numbers in tiny cells */
    for (int t = 0; t < k; t++) {
        long row = 0;
        for (int p = 0; p < k; p++) row += counts[t * k + p];
        for (int p = 0; p < k; p++) {
            double f = row ? (double)counts[t * k + p] / (double)row : 0.0;
            rp_rgb col = rp_viridis(f);
            cairo_set_source_rgb(cr, col.r, col.g, col.b);
            cairo_rectangle(cr, x0 + p * cell, y0 + t * cell, cell, cell);
            cairo_fill(cr);
            if (fs > 0) {
                rp_rgb ink = f > 0.6 ? (rp_rgb){0, 0, 0} : (rp_rgb){1, 1, 1};
                rp_text(cr, x0 + (p + 0.5) * cell, y0 + (t + 0.5) * cell,
                        rp_fmt(buf, sizeof buf, "%ld", counts[t * k + p]), fs, t == p, 0.5, 0.5, ink);
            }
        }
    }
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x0, y0, cell * k, cell * k);
    cairo_stroke(cr);
    /* class labels, at most about 20 of them */
    int step = k <= 20 ? 1 : (k + 19) / 20;
    for (int i = 0; i < k; i += step) {
        rp_fmt(buf, sizeof buf, "%d", i);
        rp_text(cr, x0 - 6, y0 + (i + 0.5) * cell, buf, 11, 0, 1, 0.5, RP_GRAY);
        rp_text(cr, x0 + (i + 0.5) * cell, y0 - 6, buf, 11, 0, 0.5, 1, RP_GRAY);
    }
    rp_text(cr, x0 + cell * k / 2.0, y0 - 24, "predicted class", 12, 1, 0.5, 1, RP_GRAY);
    rp_text_vertical(cr, x0 - 40, y0 + cell * k / 2.0, "true class", 12, RP_GRAY);
    /* colour bar: the share of the true class */
    double bx = x0 + cell * k + 40, bh = cell * k;
    for (int i = 0; i < 100; i++) {
        rp_rgb col = rp_viridis(1 - (i + 0.5) / 100);
        cairo_set_source_rgb(cr, col.r, col.g, col.b);
        cairo_rectangle(cr, bx, y0 + bh * i / 100, 16, bh / 100 + 1);
        cairo_fill(cr);
    }
    rp_text(cr, bx + 22, y0, "100%", 10, 0, 0, 0.5, RP_GRAY);
    rp_text(cr, bx + 22, y0 + bh, "0%", 10, 0, 0, 0.5, RP_GRAY);
    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    return rc;
}

int report_train_test(const char *path_png, const double *epochs, const double *train,
                      const double *test, int n, const char *ylabel, int ylog, const char *title,
                      char *err, size_t errlen) {
    if (!epochs || !train || n < 1) {
        io_errf(err, errlen, "%s: a train/test figure needs at least one evaluation", path_png);
        return -1;
    }
    rp_canvas c;
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen)) return -1;
    double y0, y1, t0, t1, x0 = epochs[0], x1 = epochs[n - 1];
    int any = rp_data_range(train, (size_t)n, ylog, 0.05, &y0, &y1);
    if (test && rp_data_range(test, (size_t)n, ylog, 0.05, &t0, &t1)) {
        y0 = any ? fmin(y0, t0) : t0;
        y1 = any ? fmax(y1, t1) : t1;
    }
    if (!(y1 - y0 > 1e-12)) y0 -= 0.5, y1 += 0.5;
    if (!(x1 > x0)) x0 -= 1, x1 += 1;
    char sub[160], a[32], b[32];
    snprintf(sub, sizeof sub, "last evaluation (epoch %.0f): train %s%s%s", epochs[n - 1],
             rp_num(a, sizeof a, train[n - 1], 4), test ? ", test " : "",
             test ? rp_num(b, sizeof b, test[n - 1], 4) : "");
    rp_title(&c, title ? title : "train and test", sub);
    rp_axes ax;
    rp_axes_init(&ax, c.cr, 90, 110, c.width - 130, c.height - 180);
    rp_axes_set(&ax, x0, x1, 0, y0, y1, ylog);
    rp_axes_grid(&ax);
    rp_axis_x(&ax, "epoch", 1);
    rp_axis_y(&ax, ylabel, 0, RP_GRAY);
    rp_polyline(&ax, epochs, train, (size_t)n, rp_palette(0), 1.8, 0);
    if (test) rp_polyline(&ax, epochs, test, (size_t)n, rp_palette(1), 1.8, 0);
    rp_legend_entry leg[2] = {{"train points", rp_palette(0), 1.8, 0}, {"test points", rp_palette(1), 1.8, 0}};
    rp_legend_row(c.cr, ax.x + ax.w, ax.y - 14, leg, test ? 2 : 1);
    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    return rc;
}

int report_decision_boundary(const char *path_png, const int *grid, int g, double x0, double x1,
                             double y0, double y1, const double *xy, const int *cls,
                             const unsigned char *is_test, size_t n, int k, const char *title,
                             char *err, size_t errlen) {
    if (!grid || g < 2 || !(x1 > x0) || !(y1 > y0) || k < 2 || k > REPORT_MAX_CLASSES || (n && (!xy || !cls))) {
        io_errf(err, errlen, "%s: a decision boundary needs a grid of 2 or more cells per side, "
                "a non-empty box and 2 to %d classes", path_png, REPORT_MAX_CLASSES);
        return -1;
    }
    rp_canvas c;
    if (rp_canvas_open(&c, REPORT_PLOT_HEIGHT + 160, REPORT_PLOT_HEIGHT, path_png, err, errlen)) return -1;
    rp_title(&c, title ? title : "decision boundary",
             "background: the predicted class; dots: training points, rings: test points");
    rp_axes a;
    double side = c.height - 170;
    rp_axes_init(&a, c.cr, 90, 100, side, side);
    rp_axes_set(&a, x0, x1, 0, y0, y1, 0);
    cairo_t *cr = c.cr;
    double cw = side / g;
    for (int i = 0; i < g; i++) /* row i: y from y1 (top) down */
        for (int j = 0; j < g; j++) {
            rp_rgb p = rp_palette(grid[(size_t)i * (size_t)g + (size_t)j]);
            /* pale: the points drawn over it must stand out */
            cairo_set_source_rgb(cr, 0.7 + 0.3 * p.r, 0.7 + 0.3 * p.g, 0.7 + 0.3 * p.b);
            cairo_rectangle(cr, a.x + j * cw, a.y + i * cw, cw + 0.5, cw + 0.5);
            cairo_fill(cr);
        }
    rp_axes_grid(&a);
    rp_axis_x(&a, "x0", 1);
    rp_axis_y(&a, "x1", 0, RP_GRAY);
    cairo_save(cr);
    cairo_rectangle(cr, a.x, a.y, a.w, a.h);
    cairo_clip(cr);
    for (size_t i = 0; i < n; i++) {
        double px = rp_px(&a, xy[2 * i]), py = rp_py(&a, xy[2 * i + 1]);
        if (isnan(px) || isnan(py)) continue;
        rp_rgb p = rp_palette(cls[i]);
        cairo_set_source_rgb(cr, p.r, p.g, p.b);
        cairo_new_path(cr);
        cairo_arc(cr, px, py, is_test && is_test[i] ? 4.5 : 3.0, 0, 2 * 3.14159265358979323846);
        if (is_test && is_test[i]) {
            cairo_set_line_width(cr, 1.8);
            cairo_stroke(cr);
        } else {
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
    /* legend: one entry per class, at most 20 */
    char buf[32];
    for (int j = 0; j < k && j < 20; j++) {
        rp_rgb p = rp_palette(j);
        double ly = a.y + 12 + 22 * j;
        cairo_set_source_rgb(cr, p.r, p.g, p.b);
        cairo_arc(cr, a.x + a.w + 30, ly, 5, 0, 2 * 3.14159265358979323846);
        cairo_fill(cr);
        rp_text(cr, a.x + a.w + 42, ly, rp_fmt(buf, sizeof buf, "class %d", j), 12, 0, 0, 0.5, RP_GRAY);
    }
    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    return rc;
}
