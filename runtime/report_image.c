/* report_image: the image figure of a report: ground truth | reconstruction | absolute error
 * (viridis, with colour bar), enlarged with nearest-neighbour sampling so pixels stay sharp. */
#include "report.h"
#include "report_impl.h"

#include "io_file.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 30   /* left and right of the content */
#define GAP 30      /* between panels */
#define CBAR_GAP 14 /* between the error panel and its colour bar */
#define CBAR_W 18
#define CBAR_LABELS 64 /* room for the colour bar's tick labels */
#define PANEL_TOP 96   /* below title, subtitle and panel labels */
#define BOTTOM 40
#define MIN_WIDTH 640  /* so that title and subtitle fit even for narrow images */
#define MAX_SIDE 4096  /* far above any INR image; keeps the canvas near 200 MB at most */

/* Enlargement: an integer factor that brings the longer side to about 256 pixels. */
int rp_image_scale(int h, int w) {
    int side = h > w ? h : w, s = side > 0 ? 256 / side : 1;
    return s < 1 ? 1 : s > 32 ? 32 : s;
}

static int content_width(int pw) {
    return MARGIN * 2 + 3 * pw + 2 * GAP + CBAR_GAP + CBAR_W + CBAR_LABELS;
}

void report_triptych_size(int h, int w, int *width, int *height) {
    int s = rp_image_scale(h, w), cw = content_width(w * s);
    *width = cw > MIN_WIDTH ? cw : MIN_WIDTH;
    *height = PANEL_TOP + h * s + BOTTOM;
}

/* Pixels that are not numbers stand out in magenta instead of passing for black. */
static uint32_t pack(rp_rgb c) {
    unsigned r = (unsigned)lround(c.r * 255), g = (unsigned)lround(c.g * 255),
             b = (unsigned)lround(c.b * 255);
    return 0xFF000000u | r << 16 | g << 8 | b;
}

static double unit(double v, double lo, double hi) {
    double t = (v - lo) / (hi - lo);
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

/* An RGB24 surface of the image: gray or colour from the values, clamped to [lo, hi]. */
cairo_surface_t *rp_image_surface(const double *x, int h, int w, int ch, double lo,
                                      double hi) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return s;
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int i = 0; i < h; i++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)i * (size_t)stride);
        for (int j = 0; j < w; j++) {
            const double *p = x + ((size_t)i * (size_t)w + (size_t)j) * (size_t)ch;
            int bad = 0;
            for (int k = 0; k < ch; k++) bad |= !isfinite(p[k]);
            rp_rgb c;
            if (bad) c = (rp_rgb){1, 0, 1};
            else if (ch == 1) c.r = c.g = c.b = unit(p[0], lo, hi);
            else c = (rp_rgb){unit(p[0], lo, hi), unit(p[1], lo, hi), unit(p[2], lo, hi)};
            row[j] = pack(c);
        }
    }
    cairo_surface_mark_dirty(s);
    return s;
}

/* The error map: per pixel the largest |recon - truth| over channels, through viridis on
 * [0, emax]; NaN where either image is not finite. */
static cairo_surface_t *error_surface(const double *err_px, int h, int w, double emax) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return s;
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int i = 0; i < h; i++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)i * (size_t)stride);
        for (int j = 0; j < w; j++) {
            double e = err_px[(size_t)i * (size_t)w + (size_t)j];
            row[j] = isfinite(e) ? pack(rp_viridis(e / emax)) : pack((rp_rgb){1, 0, 1});
        }
    }
    cairo_surface_mark_dirty(s);
    return s;
}

/* Paints img enlarged s times at (x, y) without smoothing, with a thin frame. */
void rp_paint_scaled(cairo_t *cr, cairo_surface_t *img, double x, double y, int s) {
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, s, s);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, x - 0.5, y - 0.5, (double)w * s + 1, (double)h * s + 1);
    cairo_stroke(cr);
}

static void colour_bar(cairo_t *cr, double x, double y, double h, double emax) {
    cairo_pattern_t *g = cairo_pattern_create_linear(0, y + h, 0, y);
    for (int i = 0; i <= 16; i++) {
        rp_rgb c = rp_viridis(i / 16.0);
        cairo_pattern_add_color_stop_rgb(g, i / 16.0, c.r, c.g, c.b);
    }
    cairo_rectangle(cr, x, y, CBAR_W, h);
    cairo_set_source(cr, g);
    cairo_fill(cr);
    cairo_pattern_destroy(g);
    rp_axes a;
    rp_axes_init(&a, cr, x, y, CBAR_W, h);
    rp_axes_set(&a, 0, 1, 0, 0, emax, 0);
    rp_axis_y(&a, NULL, 1, RP_GRAY);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, x - 0.5, y - 0.5, CBAR_W + 1, h + 1);
    cairo_stroke(cr);
}

int report_image_triptych(const char *path_png, const double *truth, const double *recon,
                          int h, int w, int channels, double lo, double hi, const char *title,
                          char *err, size_t errlen) {
    const char *p = path_png ? path_png : "";
    if (!path_png || !truth || !recon) {
        io_errf(err, errlen, "%s: image figure needs a target and a reconstruction", p);
        return -1;
    }
    if (h < 1 || w < 1 || h > MAX_SIDE || w > MAX_SIDE) {
        io_errf(err, errlen, "%s: image size %d x %d is outside 1..%d", p, h, w, MAX_SIDE);
        return -1;
    }
    if (channels != 1 && channels != 3) {
        io_errf(err, errlen, "%s: %d channels; the image figure shows 1 (gray) or 3 (RGB)", p,
                channels);
        return -1;
    }
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo)) {
        io_errf(err, errlen, "%s: display range [%g, %g] is empty", p, lo, hi);
        return -1;
    }
    size_t npx = (size_t)h * (size_t)w;
    double *emap = malloc(npx * sizeof *emap);
    if (!emap) {
        io_errf(err, errlen, "%s: out of memory", p);
        return -1;
    }
    double emax = 0.0, sq = 0.0;
    size_t counted = 0;
    for (size_t i = 0; i < npx; i++) {
        double e = 0.0;
        for (int k = 0; k < channels; k++) {
            size_t j = i * (size_t)channels + (size_t)k;
            double d = recon[j] - truth[j];
            if (!isfinite(d)) {
                e = NAN;
                break;
            }
            e = fmax(e, fabs(d));
            sq += d * d;
            counted++;
        }
        emap[i] = e;
        if (isfinite(e)) emax = fmax(emax, e);
    }
    double mse = counted ? sq / (double)counted : NAN;
    double psnr = mse > 0 ? 10.0 * log10((hi - lo) * (hi - lo) / mse) : INFINITY;
    double scale_max = emax > 0 ? emax : 1.0; /* a perfect fit: all dark, bar still labelled */

    int s = rp_image_scale(h, w), width, height;
    report_triptych_size(h, w, &width, &height);
    rp_canvas c = {0};
    cairo_surface_t *ti = NULL, *ri = NULL, *ei = NULL;
    int rc = -1;
    if (rp_canvas_open(&c, width, height, p, err, errlen)) goto done;
    ti = rp_image_surface(truth, h, w, channels, lo, hi);
    ri = rp_image_surface(recon, h, w, channels, lo, hi);
    ei = error_surface(emap, h, w, scale_max);
    if (cairo_surface_status(ti) || cairo_surface_status(ri) || cairo_surface_status(ei)) {
        io_errf(err, errlen, "%s: cannot create the %d x %d panels", p, h, w);
        goto done;
    }
    char sub[200], v1[32], v2[32], v3[32], v4[32];
    snprintf(sub, sizeof sub, "%d x %d%s; MSE %s, PSNR %s dB (peak %s), max |error| %s", h, w,
             channels == 3 ? " RGB" : "", rp_num(v1, sizeof v1, mse, 3),
             isfinite(psnr) ? rp_fmt(v2, sizeof v2, "%.2f", psnr) : "inf",
             rp_num(v3, sizeof v3, hi - lo, 3), rp_num(v4, sizeof v4, emax, 3));
    rp_title(&c, title ? title : "Reconstruction", sub);

    int pw = w * s, ph = h * s;
    double x0 = (width - content_width(pw)) / 2.0 + MARGIN;
    const char *names[3] = {"ground truth", "reconstruction", "|reconstruction - truth|"};
    cairo_surface_t *imgs[3] = {ti, ri, ei};
    for (int k = 0; k < 3; k++) {
        double x = x0 + k * (pw + GAP);
        rp_text(c.cr, x + pw / 2.0, PANEL_TOP - 22, names[k], 14, 0, 0.5, 0, RP_GRAY);
        rp_paint_scaled(c.cr, imgs[k], x, PANEL_TOP, s);
    }
    double ex = x0 + 2 * (pw + GAP);
    colour_bar(c.cr, ex + pw + CBAR_GAP, PANEL_TOP, ph, scale_max);
    char note[64];
    snprintf(note, sizeof note, "max |error| = %s", rp_num(v1, sizeof v1, emax, 3));
    rp_text(c.cr, ex + pw / 2.0, PANEL_TOP + ph + 12, note, 13, 1, 0.5, 0, RP_GRAY);
    if (s > 1) {
        snprintf(note, sizeof note, "shown at x%d (nearest neighbour)", s);
        rp_text(c.cr, x0, PANEL_TOP + ph + 12, note, 12, 0, 0, 0, (rp_rgb){0.45, 0.45, 0.45});
    }
    rc = rp_canvas_save(&c, p, err, errlen);
done:
    if (ti) cairo_surface_destroy(ti);
    if (ri) cairo_surface_destroy(ri);
    if (ei) cairo_surface_destroy(ei);
    rp_canvas_close(&c);
    free(emap);
    return rc;
}
