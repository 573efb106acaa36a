/* report_fourier: the Fourier coefficients of a trained model along one input (qnnc spectrum
 * --checkpoint) as stems |c_w| over the frequency w, with the frequencies the circuit can
 * express (its accessible spectrum) marked, so that energy outside them shows at a glance. */
#include "report.h"
#include "report_impl.h"

#include "io_file.h"

#include <math.h>
#include <stdlib.h>

#define TOP 92.0
#define LEFT 100.0
#define RIGHT 40.0
#define BOTTOM 78.0

int report_fourier(const char *path_png, const double *omega, const double *mag, int n,
                   const double *accessible, int n_accessible, const char *title,
                   const char *subtitle, char *err, size_t errlen) {
    if (!path_png || !omega || !mag || n < 1 || n_accessible < 0 || (n_accessible && !accessible)) {
        io_errf(err, errlen, "%s: a Fourier figure needs at least one coefficient",
                path_png ? path_png : "");
        return -1;
    }
    rp_canvas c = {0};
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen)) return -1;
    rp_title(&c, title ? title : "Fourier coefficients", subtitle);
    double x0, x1, y1 = 0;
    rp_data_range(omega, (size_t)n, 0, 0.0, &x0, &x1);
    for (int k = 0; k < n; k++)
        if (isfinite(mag[k]) && mag[k] > y1) y1 = mag[k];
    if (!(y1 > 0)) y1 = 1;
    /* A log axis down to 1e-16 of the largest: round-off outside the accessible set shows as
     * the floor it is, and small accessible coefficients stay visible beside a large DC. */
    double floor = y1 * 1e-16;
    double pad = 0.04 * (x1 - x0 > 0 ? x1 - x0 : 1);
    rp_axes a;
    rp_axes_init(&a, c.cr, LEFT, TOP, c.width - LEFT - RIGHT, c.height - TOP - BOTTOM);
    rp_axes_set(&a, x0 - pad, x1 + pad, 0, log10(floor), log10(2 * y1), 1); /* axis units: decades */
    rp_axes_grid(&a);
    rp_axis_x(&a, "frequency w", 1);
    rp_axis_y(&a, "|c_w| (log scale)", 0, RP_GRAY);
    rp_rgb acc = rp_palette(2), stem = rp_palette(0);
    for (int k = 0; k < n_accessible; k++) rp_vline(&a, accessible[k], acc, 1.0, 1);
    for (int k = 0; k < n; k++) {
        if (!(mag[k] > floor)) continue;
        double xs[2] = {omega[k], omega[k]}, ys[2] = {floor, mag[k]};
        rp_polyline(&a, xs, ys, 2, stem, 2.2, 0);
    }
    rp_legend_entry leg[2] = {{"|c_w| of the trained model", stem, 2.2, 0},
                              {"accessible frequencies", acc, 1.0, 1}};
    rp_legend_row(c.cr, a.x + a.w, TOP - 14, leg, n_accessible ? 2 : 1);
    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    return rc;
}
