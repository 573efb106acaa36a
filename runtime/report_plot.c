/* report_plot: the drawing kit of the report figures: a cairo canvas saved atomically as PNG,
 * axes with linear or log scales, tick placement and labels, polylines, legends and text. */
#include "report_impl.h"

#include "io_file.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RP_PI 3.14159265358979323846 /* M_PI is not in strict C11 */

/* ---- colours ------------------------------------------------------------------------ */

rp_rgb rp_palette(int i) {
    static const unsigned char tab10[10][3] = {
        {31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},   {148, 103, 189},
        {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    const unsigned char *c = tab10[(i % 10 + 10) % 10];
    return (rp_rgb){c[0] / 255.0, c[1] / 255.0, c[2] / 255.0};
}

rp_rgb rp_viridis(double t) {
    /* Nine samples of matplotlib's viridis, linearly interpolated: enough for a colour bar
     * and free of the banding a hand-picked ramp shows. */
    static const unsigned char v[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},
                                          {44, 113, 142}, {33, 144, 141}, {39, 173, 129},
                                          {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
    if (!(t > 0.0)) t = 0.0; /* NaN too */
    if (t > 1.0) t = 1.0;
    double p = t * 8.0;
    int i = (int)p;
    if (i > 7) i = 7;
    double f = p - i;
    rp_rgb c;
    c.r = ((1 - f) * v[i][0] + f * v[i + 1][0]) / 255.0;
    c.g = ((1 - f) * v[i][1] + f * v[i + 1][1]) / 255.0;
    c.b = ((1 - f) * v[i][2] + f * v[i + 1][2]) / 255.0;
    return c;
}

/* ---- canvas ------------------------------------------------------------------------- */

int rp_canvas_open(rp_canvas *c, int width, int height, const char *path, char *err,
                   size_t errlen) {
    memset(c, 0, sizeof *c);
    c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS) {
        io_errf(err, errlen, "%s: cannot create a %d x %d picture: %s", path, width, height,
                cairo_status_to_string(cairo_surface_status(c->surface)));
        rp_canvas_close(c);
        return -1;
    }
    c->cr = cairo_create(c->surface);
    c->width = width;
    c->height = height;
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    return 0;
}

static cairo_status_t write_png_chunk(void *closure, const unsigned char *data,
                                      unsigned int len) {
    return fwrite(data, 1, len, (FILE *)closure) == len ? CAIRO_STATUS_SUCCESS
                                                        : CAIRO_STATUS_WRITE_ERROR;
}

int rp_canvas_save(rp_canvas *c, const char *path, char *err, size_t errlen) {
    cairo_status_t st = cairo_status(c->cr);
    if (st != CAIRO_STATUS_SUCCESS) {
        io_errf(err, errlen, "%s: drawing failed: %s", path, cairo_status_to_string(st));
        return -1;
    }
    cairo_surface_flush(c->surface);
    /* PNG bytes go to a temporary file beside the target that io_atomic renames into place
     * only once complete, so a reader never sees half a picture. */
    io_atomic a;
    if (io_atomic_open(&a, path, err, errlen) != 0) return -1;
    st = cairo_surface_write_to_png_stream(c->surface, write_png_chunk, a.fp);
    if (st != CAIRO_STATUS_SUCCESS) {
        io_errf(err, errlen, "%s: cannot write PNG: %s", path, cairo_status_to_string(st));
        io_atomic_abort(&a);
        return -1;
    }
    return io_atomic_commit(&a, err, errlen);
}

void rp_canvas_close(rp_canvas *c) {
    if (c->cr) cairo_destroy(c->cr);
    if (c->surface) cairo_surface_destroy(c->surface);
    c->cr = NULL;
    c->surface = NULL;
}

/* ---- text --------------------------------------------------------------------------- */

char *rp_fmt(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return buf;
}

char *rp_num(char *buf, size_t n, double v, int digits) {
    double a = fabs(v);
    if (v == 0.0) return rp_fmt(buf, n, "0");
    if (!isfinite(v)) return rp_fmt(buf, n, isnan(v) ? "n/a" : v > 0 ? "inf" : "-inf");
    if (a >= 1e-3 && a < 1e6) return rp_fmt(buf, n, "%.*g", digits, v);
    /* "2e-5" reads better than printf's "2e-05". */
    int e = (int)floor(log10(a));
    double m = v / pow(10.0, e);
    /* Rounding may carry the mantissa to 10 ("10e-5"): move it into the exponent. */
    char probe[32];
    snprintf(probe, sizeof probe, "%.*g", digits, fabs(m));
    if (atof(probe) >= 10.0) m /= 10.0, e++;
    return rp_fmt(buf, n, "%.*ge%d", digits, m, e);
}

static void set_font(cairo_t *cr, double size, int bold) {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

/* Length of the UTF-8 sequence at s, or 0 when it is not valid UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included). */
static int utf8_len(const unsigned char *s) {
    if (s[0] < 0x80) return 1;
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (!n || s[0] > 0xF4) return 0;
    unsigned long cp = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const unsigned long least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/* cairo puts its context into an error state on text that is not UTF-8, which would lose
 * the whole figure over one odd byte in an experiment name: such bytes become '?'. */
static const char *clean_text(const char *text, char *buf, size_t n) {
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    int k;
    while (s[i] && (k = utf8_len(s + i)) > 0) i += (size_t)k;
    if (!s[i]) return text;
    size_t o = 0;
    for (i = 0; s[i] && o + 5 < n;) {
        k = utf8_len(s + i);
        if (k > 0) {
            memcpy(buf + o, s + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        } else {
            buf[o++] = '?';
            i++;
        }
    }
    buf[o] = 0;
    return buf;
}

#define TEXT_BUF 512

double rp_text_width(cairo_t *cr, const char *text, double size, int bold) {
    char buf[TEXT_BUF];
    cairo_text_extents_t ext;
    set_font(cr, size, bold);
    cairo_text_extents(cr, clean_text(text, buf, sizeof buf), &ext);
    return ext.x_advance;
}

/* Vertical placement uses the font's cap height rather than each string's own extents, so
 * that labels with and without descenders or digits line up on one row. */
#define CAP_HEIGHT 0.72

double rp_text(cairo_t *cr, double x, double y, const char *text, double size, int bold,
               double ax, double ay, rp_rgb color) {
    if (!text || !*text) return 0.0;
    char buf[TEXT_BUF];
    text = clean_text(text, buf, sizeof buf);
    double w = rp_text_width(cr, text, size, bold);
    double cap = CAP_HEIGHT * size;
    cairo_set_source_rgb(cr, color.r, color.g, color.b);
    cairo_move_to(cr, x - ax * w, y + cap * (1.0 - ay));
    cairo_show_text(cr, text);
    cairo_new_path(cr);
    return w;
}

void rp_text_vertical(cairo_t *cr, double x, double y, const char *text, double size,
                      rp_rgb color) {
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -RP_PI / 2);
    rp_text(cr, 0, 0, text, size, 0, 0.5, 0.5, color);
    cairo_restore(cr);
}

/* Font size at which text fits in width, from size down to a legible minimum. */
static double fit_size(cairo_t *cr, const char *text, double size, int bold, double width) {
    double w = rp_text_width(cr, text, size, bold);
    return w > width ? fmax(9.0, size * width / w) : size;
}

void rp_title(rp_canvas *c, const char *title, const char *subtitle) {
    double room = c->width - 40.0;
    if (title)
        rp_text(c->cr, c->width / 2.0, 14, title, fit_size(c->cr, title, 19, 1, room), 1, 0.5,
                0, RP_GRAY);
    if (subtitle)
        rp_text(c->cr, c->width / 2.0, 42, subtitle, fit_size(c->cr, subtitle, 13, 0, room), 0,
                0.5, 0, (rp_rgb){0.35, 0.35, 0.35});
}

/* ---- ticks -------------------------------------------------------------------------- */

typedef struct {
    double v;      /* position in axis units */
    int major;     /* major ticks get a grid line and usually a label */
    int pow10;     /* label drawn as 10 with a superscript exponent */
    char text[24]; /* label; empty: none */
} tick;

#define MAX_TICKS 96

static double nice_step(double raw) {
    double e = floor(log10(raw)), f = raw / pow(10.0, e);
    double m = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
    return m * pow(10.0, e);
}

static int linear_ticks(double lo, double hi, tick *t, int cap) {
    double span = hi - lo;
    if (!(span > 0) || !isfinite(span)) return 0;
    double step = nice_step(span / 5.0);
    /* Decimals enough for the step, so that labels of one axis all look alike. */
    int dec = (int)fmax(0.0, -floor(log10(step) + 1e-9));
    int plain = fmax(fabs(lo), fabs(hi)) < 1e6 && step >= 1e-4;
    int n = 0;
    for (double k = ceil(lo / step - 1e-9); n < cap; k++) {
        double v = k * step;
        if (v > hi + 1e-9 * span) break;
        if (fabs(v) < step * 1e-9) v = 0.0; /* no "-0.0" */
        t[n].v = v;
        t[n].major = 1;
        t[n].pow10 = 0;
        if (plain) rp_fmt(t[n].text, sizeof t[n].text, "%.*f", dec, v);
        else rp_num(t[n].text, sizeof t[n].text, v, 6);
        n++;
    }
    return n;
}

static int log_ticks(double lo, double hi, tick *t, int cap) {
    if (!(hi > lo) || !isfinite(hi - lo)) return 0;
    int d0 = (int)ceil(lo - 1e-9), d1 = (int)floor(hi + 1e-9), nd = d1 - d0 + 1;
    int minor = hi - lo <= 6.0, n = 0;
    if (nd >= 3) {
        /* At most about eight labelled decades, on multiples of `every` so that the labels
         * stay put when the range changes a little. */
        int every = (nd + 7) / 8;
        for (int d = (int)floor(lo); d <= d1 && n < cap; d++) {
            if (d >= d0) {
                t[n] = (tick){.v = d, .major = (d % every) == 0, .pow10 = 1};
                if (t[n].major) rp_fmt(t[n].text, sizeof t[n].text, "%d", d);
                n++;
            }
            for (int m = 2; minor && m <= 9 && n < cap; m++) {
                double v = d + log10(m);
                if (v >= lo && v <= hi) t[n++] = (tick){.v = v};
            }
        }
        return n;
    }
    /* A narrow range: label the 1, 2, 5 steps of each decade in plain numbers. */
    int labelled = 0;
    for (int d = (int)floor(lo) - 1; d <= (int)ceil(hi) && n < cap; d++)
        for (int m = 1; m <= 9 && n < cap; m++) {
            double v = d + log10(m);
            if (v < lo - 1e-12 || v > hi + 1e-12) continue;
            t[n] = (tick){.v = v};
            if (m == 1 || m == 2 || m == 5) {
                t[n].major = 1;
                rp_num(t[n].text, sizeof t[n].text, m * pow(10.0, d), 6);
                labelled++;
            }
            n++;
        }
    if (labelled >= 2) return n;
    /* Less than a factor of 2: linear ticks on the values, placed on the log scale. */
    n = linear_ticks(pow(10.0, lo), pow(10.0, hi), t, cap);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (t[i].v > 0) {
            t[k] = t[i];
            t[k++].v = log10(t[i].v);
        }
    return k;
}

static int axis_ticks(double lo, double hi, int log, tick *t, int cap) {
    return log ? log_ticks(lo, hi, t, cap) : linear_ticks(lo, hi, t, cap);
}

/* Draws a tick label: ax/ay as for rp_text. Returns its width. */
static double tick_label(cairo_t *cr, double x, double y, const tick *t, double size,
                         double ax, double ay, rp_rgb color) {
    if (!t->text[0]) return 0.0;
    if (!t->pow10) return rp_text(cr, x, y, t->text, size, 0, ax, ay, color);
    double small = 0.72 * size;
    double wb = rp_text_width(cr, "10", size, 0), we = rp_text_width(cr, t->text, small, 0);
    double left = x - ax * (wb + we);
    rp_text(cr, left, y, "10", size, 0, 0, ay, color);
    /* The exponent sits with its baseline about half a cap height above the base's. */
    rp_text(cr, left + wb + 1, y - 0.45 * size, t->text, small, 0, 0, ay, color);
    return wb + we + 1;
}

/* ---- axes --------------------------------------------------------------------------- */

int rp_data_range(const double *v, size_t n, int log, double pad, double *lo, double *hi) {
    double a = INFINITY, b = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!isfinite(x) || (log && !(x > 0))) continue;
        if (log) x = log10(x);
        if (x < a) a = x;
        if (x > b) b = x;
    }
    if (a > b) {
        *lo = log ? -3.0 : 0.0;
        *hi = log ? 0.0 : 1.0;
        return 0;
    }
    if (b - a < 1e-12 * fmax(1.0, fabs(a))) {
        /* A constant: open a window around it (half a decade on a log axis). */
        double w = log ? 0.5 : (a == 0.0 ? 1.0 : 0.1 * fabs(a));
        a -= w;
        b += w;
    }
    double span = b - a;
    *lo = a - pad * span;
    *hi = b + pad * span;
    return 1;
}

void rp_axes_init(rp_axes *a, cairo_t *cr, double x, double y, double w, double h) {
    memset(a, 0, sizeof *a);
    a->cr = cr;
    a->x = x;
    a->y = y;
    a->w = w;
    a->h = h;
    a->x1 = a->y1 = 1.0;
}

void rp_axes_set(rp_axes *a, double x0, double x1, int xlog, double y0, double y1, int ylog) {
    a->x0 = x0;
    a->x1 = x1 > x0 ? x1 : x0 + 1.0;
    a->xlog = xlog;
    a->y0 = y0;
    a->y1 = y1 > y0 ? y1 : y0 + 1.0;
    a->ylog = ylog;
}

/* Keeps far-off points within what cairo's fixed-point coordinates can hold; the clip
 * hides them anyway. */
static double clamp_px(double p) { return p < -1e5 ? -1e5 : p > 1e5 ? 1e5 : p; }

double rp_px(const rp_axes *a, double xv) {
    if (!isfinite(xv) || (a->xlog && !(xv > 0))) return NAN;
    double u = a->xlog ? log10(xv) : xv;
    return clamp_px(a->x + (u - a->x0) / (a->x1 - a->x0) * a->w);
}

double rp_py(const rp_axes *a, double yv) {
    if (!isfinite(yv) || (a->ylog && !(yv > 0))) return NAN;
    double u = a->ylog ? log10(yv) : yv;
    return clamp_px(a->y + a->h - (u - a->y0) / (a->y1 - a->y0) * a->h);
}

/* Position of a tick (in axis units) in pixels, snapped to the pixel grid so that 1-pixel
 * lines stay sharp. */
static double snap(double p) { return floor(p) + 0.5; }

static void set_line(cairo_t *cr, rp_rgb c, double width, int dashed) {
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, width);
    if (dashed) {
        double d[2] = {6.0, 4.0};
        cairo_set_dash(cr, d, 2, 0);
    } else {
        cairo_set_dash(cr, NULL, 0, 0);
    }
}

void rp_axes_grid(const rp_axes *a) {
    cairo_t *cr = a->cr;
    tick t[MAX_TICKS];
    int n = axis_ticks(a->x0, a->x1, a->xlog, t, MAX_TICKS);
    for (int i = 0; i < n; i++) {
        double p = snap(a->x + (t[i].v - a->x0) / (a->x1 - a->x0) * a->w);
        double g = t[i].major ? 0.88 : 0.95;
        set_line(cr, (rp_rgb){g, g, g}, 1.0, 0);
        cairo_move_to(cr, p, a->y);
        cairo_line_to(cr, p, a->y + a->h);
        cairo_stroke(cr);
    }
    n = axis_ticks(a->y0, a->y1, a->ylog, t, MAX_TICKS);
    for (int i = 0; i < n; i++) {
        double p = snap(a->y + a->h - (t[i].v - a->y0) / (a->y1 - a->y0) * a->h);
        double g = t[i].major ? 0.88 : 0.95;
        set_line(cr, (rp_rgb){g, g, g}, 1.0, 0);
        cairo_move_to(cr, a->x, p);
        cairo_line_to(cr, a->x + a->w, p);
        cairo_stroke(cr);
    }
    set_line(cr, (rp_rgb){0.3, 0.3, 0.3}, 1.0, 0);
    cairo_rectangle(cr, snap(a->x), snap(a->y), floor(a->w), floor(a->h));
    cairo_stroke(cr);
}

void rp_axis_x(const rp_axes *a, const char *label, int labels) {
    cairo_t *cr = a->cr;
    tick t[MAX_TICKS];
    int n = axis_ticks(a->x0, a->x1, a->xlog, t, MAX_TICKS);
    double base = snap(a->y + a->h);
    for (int i = 0; i < n; i++) {
        double p = snap(a->x + (t[i].v - a->x0) / (a->x1 - a->x0) * a->w);
        set_line(cr, (rp_rgb){0.3, 0.3, 0.3}, 1.0, 0);
        cairo_move_to(cr, p, base);
        cairo_line_to(cr, p, base + (t[i].major ? 6 : 3));
        cairo_stroke(cr);
        if (labels && t[i].major) tick_label(cr, p, base + 10, &t[i], 13, 0.5, 0, RP_GRAY);
    }
    if (label) rp_text(cr, a->x + a->w / 2, base + 34, label, 15, 0, 0.5, 0, RP_GRAY);
}

void rp_axis_y(const rp_axes *a, const char *label, int right, rp_rgb color) {
    cairo_t *cr = a->cr;
    tick t[MAX_TICKS];
    int n = axis_ticks(a->y0, a->y1, a->ylog, t, MAX_TICKS);
    double edge = right ? snap(a->x + a->w) : snap(a->x), dir = right ? 1.0 : -1.0;
    double widest = 0.0;
    for (int i = 0; i < n; i++) {
        double p = snap(a->y + a->h - (t[i].v - a->y0) / (a->y1 - a->y0) * a->h);
        set_line(cr, color, 1.0, 0);
        cairo_move_to(cr, edge, p);
        cairo_line_to(cr, edge + dir * (t[i].major ? 6 : 3), p);
        cairo_stroke(cr);
        if (!t[i].major) continue;
        double w = tick_label(cr, edge + dir * 9, p, &t[i], 13, right ? 0.0 : 1.0, 0.5, color);
        if (w > widest) widest = w;
    }
    if (label) rp_text_vertical(cr, edge + dir * (widest + 24), a->y + a->h / 2, label, 15, color);
}

void rp_polyline(const rp_axes *a, const double *x, const double *y, size_t n, rp_rgb color,
                 double width, int dashed) {
    cairo_t *cr = a->cr;
    cairo_save(cr);
    cairo_rectangle(cr, a->x, a->y, a->w, a->h);
    cairo_clip(cr);
    set_line(cr, color, width, dashed);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    int pen = 0;
    for (size_t i = 0; i < n; i++) {
        double px = rp_px(a, x[i]), py = rp_py(a, y[i]);
        if (isnan(px) || isnan(py)) {
            pen = 0; /* a gap, not a line across the missing value */
            continue;
        }
        if (pen) cairo_line_to(cr, px, py);
        else cairo_move_to(cr, px, py);
        pen = 1;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

void rp_vline(const rp_axes *a, double xv, rp_rgb color, double width, int dashed) {
    double p = rp_px(a, xv);
    if (isnan(p) || p < a->x || p > a->x + a->w) return;
    set_line(a->cr, color, width, dashed);
    cairo_move_to(a->cr, p, a->y);
    cairo_line_to(a->cr, p, a->y + a->h);
    cairo_stroke(a->cr);
    cairo_set_dash(a->cr, NULL, 0, 0);
}

void rp_hline(const rp_axes *a, double yv, rp_rgb color, double width, int dashed) {
    double p = rp_py(a, yv);
    if (isnan(p) || p < a->y || p > a->y + a->h) return;
    set_line(a->cr, color, width, dashed);
    cairo_move_to(a->cr, a->x, p);
    cairo_line_to(a->cr, a->x + a->w, p);
    cairo_stroke(a->cr);
    cairo_set_dash(a->cr, NULL, 0, 0);
}

/* ---- legends ------------------------------------------------------------------------ */

#define SAMPLE_W 28.0 /* length of the line sample */
#define LEGEND_FONT 13.0

static void legend_sample(cairo_t *cr, double x, double y, const rp_legend_entry *e) {
    set_line(cr, e->color, e->width > 0 ? e->width : 2.0, e->dashed);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + SAMPLE_W, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

void rp_legend_row(cairo_t *cr, double right_x, double y, const rp_legend_entry *e, int n) {
    double total = 0.0;
    for (int i = 0; i < n; i++)
        total += SAMPLE_W + 6 + rp_text_width(cr, e[i].label, LEGEND_FONT, 0) + (i ? 20 : 0);
    double x = right_x - total;
    for (int i = 0; i < n; i++) {
        if (i) x += 20;
        legend_sample(cr, x, y, &e[i]);
        x += SAMPLE_W + 6;
        x += rp_text(cr, x, y, e[i].label, LEGEND_FONT, 0, 0, 0.5, RP_GRAY);
    }
}

double rp_legend_column_width(cairo_t *cr, const rp_legend_entry *e, int n) {
    double w = 0.0;
    for (int i = 0; i < n; i++) w = fmax(w, rp_text_width(cr, e[i].label, LEGEND_FONT, 0));
    return SAMPLE_W + 8 + w;
}

double rp_legend_column(cairo_t *cr, double x, double y, const rp_legend_entry *e, int n) {
    for (int i = 0; i < n; i++) {
        double cy = y + 10 + 22.0 * i;
        legend_sample(cr, x, cy, &e[i]);
        rp_text(cr, x + SAMPLE_W + 8, cy, e[i].label, LEGEND_FONT, 0, 0, 0.5, RP_GRAY);
    }
    return 22.0 * n;
}
