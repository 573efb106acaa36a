/* report_gen: the figure of a generative run's report (docs/reports.md): its distances to the
 * real image set over training, from metrics.jsonl: the feature-space and pixel-space
 * Fréchet distances on one log axis (they differ by orders of magnitude), each with its
 * real-vs-real floor dashed in the same colour, so a reader sees how far from the floor the
 * generator ended. */
#include "report.h"
#include "report_impl.h"

#include "io_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Margins as the other line plots (report_curves.c): title, subtitle and legend above. */
#define TOP 92.0
#define LEFT 100.0
#define RIGHT 40.0
#define BOTTOM 78.0

static int last_finite(const double *v, int n) {
    for (int i = n - 1; i >= 0; i--)
        if (isfinite(v[i])) return i;
    return -1;
}

int report_gan_distances(const char *path_png, const double *steps, const double *fd_features,
                         const double *fd_pixels, int n, double floor_features, double floor_pixels,
                         const char *title, char *err, size_t errlen) {
    if (!path_png || !steps || !fd_features || !fd_pixels || n < 1) {
        io_errf(err, errlen, "%s: the distance plot needs at least one measurement",
                path_png ? path_png : "");
        return -1;
    }
    /* the y range covers both curves and both floors (positive values: a log axis) */
    double *ys = malloc(sizeof(double) * (2 * (size_t)n + 2));
    if (!ys) {
        io_errf(err, errlen, "%s: out of memory", path_png);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        ys[2 * i] = fd_features[i];
        ys[2 * i + 1] = fd_pixels[i];
    }
    ys[2 * n] = floor_features;
    ys[2 * n + 1] = floor_pixels;
    double y0, y1, x1 = steps[n - 1] > steps[0] ? steps[n - 1] : steps[0] + 1;
    rp_data_range(ys, 2 * (size_t)n + 2, 1, 0.05, &y0, &y1);
    free(ys);
    rp_canvas c;
    if (rp_canvas_open(&c, REPORT_PLOT_WIDTH, REPORT_PLOT_HEIGHT, path_png, err, errlen)) return -1;
    rp_rgb cf = rp_palette(0), cp = rp_palette(1);
    rp_axes a;
    rp_axes_init(&a, c.cr, LEFT, TOP, c.width - LEFT - RIGHT, c.height - TOP - BOTTOM);
    rp_axes_set(&a, steps[0], x1, 0, y0, y1, 1);
    char sub[320], v1[32], v2[32], v3[32], v4[32];
    int lf = last_finite(fd_features, n), lp = last_finite(fd_pixels, n);
    snprintf(sub, sizeof sub, "final: features %s (floor %s), pixels %s (floor %s)",
             lf >= 0 ? rp_num(v1, sizeof v1, fd_features[lf], 4) : "n/a",
             rp_num(v2, sizeof v2, floor_features, 3),
             lp >= 0 ? rp_num(v3, sizeof v3, fd_pixels[lp], 4) : "n/a",
             rp_num(v4, sizeof v4, floor_pixels, 3));
    rp_title(&c, title ? title : "Fréchet distance to the real set", sub);
    rp_axes_grid(&a);
    rp_axis_x(&a, "generator step", 1);
    rp_axis_y(&a, "Fréchet distance (log scale)", 0, RP_GRAY);
    if (isfinite(floor_features) && floor_features > 0) rp_hline(&a, floor_features, cf, 1.4, 1);
    if (isfinite(floor_pixels) && floor_pixels > 0) rp_hline(&a, floor_pixels, cp, 1.4, 1);
    rp_polyline(&a, steps, fd_features, (size_t)n, cf, 2.0, 0);
    rp_polyline(&a, steps, fd_pixels, (size_t)n, cp, 2.0, 0);
    rp_legend_entry leg[4] = {{"feature space", cf, 2.0, 0}, {"its floor", cf, 1.4, 1},
                              {"pixel space", cp, 2.0, 0}, {"its floor", cp, 1.4, 1}};
    /* a set without labels has no feature space: only the pixel entries */
    int feat = lf >= 0;
    rp_legend_row(c.cr, a.x + a.w, TOP - 14, feat ? leg : leg + 2, feat ? 4 : 2);
    int rc = rp_canvas_save(&c, path_png, err, errlen);
    rp_canvas_close(&c);
    return rc;
}
