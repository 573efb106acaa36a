/* report_grad: the figure of `qnnc grad --widths`: gradient variance against qubit count on
 * a log axis (the barren-plateau plot), one line with markers per statistic. */
#include "report.h"
#include "report_impl.h"

#include "io_file.h"

#include <math.h>
#include <stdlib.h>

/* Margins as the other line plots (report_curves.c). */
#define TOP 92.0
#define LEFT 100.0
#define RIGHT 40.0
#define BOTTOM 78.0

int report_gradient_variance(const char *path_png, const double *qubits,
                             const double *const *var, const char *const *labels, int n_series,
                             int n, const char *title, const char *subtitle, char *err,
                             size_t errlen) {
    if (!path_png || !qubits || !var || n < 1 || n_series < 1 || n_series > 8) {
        io_errf(err, errlen, "%s: a variance plot needs at least one width and 1 to 8 series",
                path_png ? path_png : "");
        return -1;
    }
    rp_canvas c;
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen)) return -1;
    double x0, x1, y0 = INFINITY, y1 = -INFINITY;
    rp_data_range(qubits, (size_t)n, 0, 0.05, &x0, &x1);
    if (x1 - x0 < 1) x0 -= 0.5, x1 += 0.5;
    for (int s = 0; s < n_series; s++) {
        double a, b;
        if (rp_data_range(var[s], (size_t)n, 1, 0.1, &a, &b)) y0 = fmin(y0, a), y1 = fmax(y1, b);
    }
    if (!isfinite(y0)) y0 = -3, y1 = 0;
    rp_axes a;
    rp_axes_init(&a, c.cr, LEFT, TOP, c.width - LEFT - RIGHT, c.height - TOP - BOTTOM);
    rp_axes_set(&a, x0, x1, 0, y0, y1, 1);
    rp_title(&c, title ? title : "Gradient variance", subtitle);
    rp_axes_grid(&a);
    rp_axis_x(&a, "qubits", 1);
    rp_axis_y(&a, "variance (log scale)", 0, RP_GRAY);
    rp_legend_entry leg[8];
    for (int s = 0; s < n_series; s++) {
        rp_rgb col = rp_palette(s);
        rp_polyline(&a, qubits, var[s], (size_t)n, col, 2.0, s > 0);
        /* markers: the widths are few, and each one is a measurement */
        for (int i = 0; i < n; i++) {
            double px = rp_px(&a, qubits[i]), py = rp_py(&a, var[s][i]);
            if (!isfinite(px) || !isfinite(py)) continue;
            cairo_set_source_rgb(c.cr, col.r, col.g, col.b);
            cairo_arc(c.cr, px, py, 4.0, 0, 6.283185307179586);
            cairo_fill(c.cr);
        }
        leg[s] = (rp_legend_entry){labels ? labels[s] : "variance", col, 2.0, s > 0};
    }
    rp_legend_row(c.cr, a.x + a.w, TOP - 14, leg, n_series);
    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    return rc;
}
