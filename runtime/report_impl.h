/* report_impl: the drawing kit shared by the report_*.c figure files (canvas, axes, ticks,
 * lines, legends, text, colour map) on top of cairo. Not part of the runtime's interface. */
#ifndef QNN_REPORT_IMPL_H
#define QNN_REPORT_IMPL_H
#include <cairo.h>
#include <stddef.h>

typedef struct {
    double r, g, b;
} rp_rgb;

/* Distinguishable line colours (the "tab10" set), cycled by index. */
rp_rgb rp_palette(int i);
/* Perceptually uniform dark-to-bright colour map (viridis) for t in [0, 1]. */
rp_rgb rp_viridis(double t);

#define RP_GRAY ((rp_rgb){0.2, 0.2, 0.2})

/* ---- canvas: an ARGB image surface on a white background --------------------------- */
typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    int width, height;
} rp_canvas;

/* err names path (the file the canvas is for). */
int rp_canvas_open(rp_canvas *c, int width, int height, const char *path, char *err,
                   size_t errlen);
/* Writes the canvas to path atomically as PNG; the canvas stays open. */
int rp_canvas_save(rp_canvas *c, const char *path, char *err, size_t errlen);
void rp_canvas_close(rp_canvas *c);

/* ---- text (cairo's toy API, sans-serif) ------------------------------------------- */
/* Draws text with its anchor at (x, y): ax 0/0.5/1 = left/centre/right, ay 0/0.5/1 =
 * top/middle/baseline-bottom of the text's extents. Returns the text's width. */
double rp_text(cairo_t *cr, double x, double y, const char *text, double size, int bold,
               double ax, double ay, rp_rgb color);
double rp_text_width(cairo_t *cr, const char *text, double size, int bold);
/* Text rotated a quarter turn counter-clockwise, centred on (x, y) (y-axis labels). */
void rp_text_vertical(cairo_t *cr, double x, double y, const char *text, double size,
                      rp_rgb color);
/* The title centred at the top of the canvas and an optional subtitle below it. */
void rp_title(rp_canvas *c, const char *title, const char *subtitle);
/* Formats like printf into buf and returns it. */
char *rp_fmt(char *buf, size_t n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A number for a label with `digits` significant digits: plain between 1e-3 and 1e6,
 * else "2.5e-5" (no padded exponent); "n/a" for NaN, "inf" for infinities. */
char *rp_num(char *buf, size_t n, double v, int digits);

/* ---- axes -------------------------------------------------------------------------- */
typedef struct {
    cairo_t *cr;
    double x, y, w, h;     /* plot area in pixels (y down) */
    double x0, x1, y0, y1; /* data ranges; log10 of the data on a log axis */
    int xlog, ylog;
} rp_axes;

/* Range of the finite (and, for a log axis, positive) values of v[0..n), padded by pad of
 * its span on each side (on a log axis in decades). Returns 0 when there is no such value
 * (the range is then [0, 1], or [1e-3, 1] on a log axis). The result is in axis units. */
int rp_data_range(const double *v, size_t n, int log, double pad, double *lo, double *hi);

void rp_axes_init(rp_axes *a, cairo_t *cr, double x, double y, double w, double h);
void rp_axes_set(rp_axes *a, double x0, double x1, int xlog, double y0, double y1, int ylog);
/* Pixel position of a data value; NaN when it cannot be shown (e.g. <= 0 on a log axis). */
double rp_px(const rp_axes *a, double xv);
double rp_py(const rp_axes *a, double yv);

/* Grid lines and frame. */
void rp_axes_grid(const rp_axes *a);
/* Ticks and tick labels of the x axis (below the area) with an axis label (may be NULL);
 * labels = 0 draws the ticks only. */
void rp_axis_x(const rp_axes *a, const char *label, int labels);
/* The y axis on the left (right = 0) or right side, in the given colour. */
void rp_axis_y(const rp_axes *a, const char *label, int right, rp_rgb color);

/* Polyline through the points that can be shown, broken at the others; clipped to the area. */
void rp_polyline(const rp_axes *a, const double *x, const double *y, size_t n, rp_rgb color,
                 double width, int dashed);
/* Vertical or horizontal reference line across the area at a data value. */
void rp_vline(const rp_axes *a, double xv, rp_rgb color, double width, int dashed);
void rp_hline(const rp_axes *a, double yv, rp_rgb color, double width, int dashed);

/* ---- legends ----------------------------------------------------------------------- */
typedef struct {
    const char *label;
    rp_rgb color;
    double width;
    int dashed;
} rp_legend_entry;

/* One row of entries ending at right_x, vertically centred on y (above a plot area). */
void rp_legend_row(cairo_t *cr, double right_x, double y, const rp_legend_entry *e, int n);
/* A column of entries starting at (x, y) (beside a plot area); returns its height. */
double rp_legend_column(cairo_t *cr, double x, double y, const rp_legend_entry *e, int n);
/* Width that rp_legend_column needs for these entries. */
double rp_legend_column_width(cairo_t *cr, const rp_legend_entry *e, int n);

/* ---- images (report_image.c) ------------------------------------------------------- */
/* The integer enlargement that brings an h x w image's longer side to about 256 pixels. */
int rp_image_scale(int h, int w);
/* An RGB24 surface of an h x w image of ch values per pixel (1 gray, 3 RGB; interleaved,
 * row-major), clamped to [lo, hi]; non-finite pixels magenta. Check cairo_surface_status. */
cairo_surface_t *rp_image_surface(const double *x, int h, int w, int ch, double lo, double hi);
/* Paints img enlarged s times at (x, y) without smoothing, with a thin frame. */
void rp_paint_scaled(cairo_t *cr, cairo_surface_t *img, double x, double y, int s);

#endif
