/* io_image: PNG read/write with libpng, and the image preprocessing of the QIREN data loader,
 * including a bit-exact port of PIL's bilinear resampling (Pillow's libImaging/Resample.c). */
#include "io_image.h"

#include "io_file.h"
#include "rt_error.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocation --------------------------------------------------------------------- */

static int check_size(const char *what, int w, int h, int c, char *err, size_t errlen) {
    if (w <= 0 || h <= 0) {
        io_errf(err, errlen, "%s: image is %dx%d", what, w, h);
        return -1;
    }
    if (w > IO_IMAGE_MAX_SIDE || h > IO_IMAGE_MAX_SIDE ||
        (long)w * (long)h > IO_IMAGE_MAX_PIXELS) {
        io_errf(err, errlen, "%s: image is %dx%d, larger than the limit (%d per side, %ld pixels)",
                what, w, h, IO_IMAGE_MAX_SIDE, (long)IO_IMAGE_MAX_PIXELS);
        return -1;
    }
    if (c < 1 || c > 4) {
        io_errf(err, errlen, "%s: %d channels (1 to 4 are supported)", what, c);
        return -1;
    }
    return 0;
}

int io_image_alloc(io_image *img, int width, int height, int channels, char *err,
                   size_t errlen) {
    memset(img, 0, sizeof *img);
    if (check_size("image", width, height, channels, err, errlen) != 0) return -1;
    size_t n = (size_t)width * (size_t)height * (size_t)channels;
    img->data = calloc(n, sizeof *img->data);
    if (!img->data) {
        io_errf(err, errlen, "image: out of memory for %dx%dx%d", width, height, channels);
        return -1;
    }
    img->width = width;
    img->height = height;
    img->channels = channels;
    return 0;
}

void io_image_free(io_image *img) {
    if (!img) return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

/* ---- PNG reading -------------------------------------------------------------------- */

/* State of one libpng call. It lives in the caller's frame and the setjmp is in the callee,
 * so nothing the longjmp skips over is a modified local of the function that called setjmp. */
typedef struct {
    const char *path;
    FILE *fp;
    png_structp png;
    png_infop info;
    unsigned char *pix;
    png_bytep *rows;
    int width, height, channels, depth;
    char msg[256];
} png_job;

static void on_png_error(png_structp png, png_const_charp msg) {
    png_job *j = png_get_error_ptr(png);
    snprintf(j->msg, sizeof j->msg, "%s", msg);
    png_longjmp(png, 1);
}

/* Warnings (e.g. a known-bad sRGB profile) do not stop PIL either. */
static void on_png_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void png_read_fn(png_structp png, png_bytep out, size_t n) {
    png_job *j = png_get_io_ptr(png);
    if (fread(out, 1, n, j->fp) != n)
        png_error(png, ferror(j->fp) ? "read error" : "file is truncated");
}

static int png_read_body(png_job *j) {
    if (setjmp(png_jmpbuf(j->png))) return -1;
    png_set_read_fn(j->png, j, png_read_fn);
    png_set_sig_bytes(j->png, 8);
    png_read_info(j->png, j->info);
    png_uint_32 w, h;
    int depth, ctype, ilace;
    png_get_IHDR(j->png, j->info, &w, &h, &depth, &ctype, &ilace, NULL, NULL);
    if (w > IO_IMAGE_MAX_SIDE || h > IO_IMAGE_MAX_SIDE ||
        (uint64_t)w * h > (uint64_t)IO_IMAGE_MAX_PIXELS) {
        snprintf(j->msg, sizeof j->msg,
                 "image is %lux%lu, larger than the limit (%d per side, %ld pixels)",
                 (unsigned long)w, (unsigned long)h, IO_IMAGE_MAX_SIDE,
                 (long)IO_IMAGE_MAX_PIXELS);
        return -1;
    }
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(j->png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(j->png);
    if (png_get_valid(j->png, j->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(j->png);
    (void)png_set_interlace_handling(j->png);
    png_read_update_info(j->png, j->info);
    j->width = (int)w;
    j->height = (int)h;
    j->channels = png_get_channels(j->png, j->info);
    j->depth = png_get_bit_depth(j->png, j->info);
    size_t rowbytes = png_get_rowbytes(j->png, j->info);
    if ((j->depth != 8 && j->depth != 16) || j->channels < 1 || j->channels > 4 ||
        rowbytes != (size_t)w * (size_t)j->channels * (size_t)(j->depth / 8)) {
        snprintf(j->msg, sizeof j->msg, "unsupported layout (%d channels of %d bits)",
                 j->channels, j->depth);
        return -1;
    }
    j->pix = malloc(rowbytes * h);
    j->rows = malloc(sizeof *j->rows * h);
    if (!j->pix || !j->rows) {
        rt_error_note_oom();
        snprintf(j->msg, sizeof j->msg, "out of memory for %lux%lu pixels", (unsigned long)w,
                 (unsigned long)h);
        return -1;
    }
    for (png_uint_32 y = 0; y < h; y++) j->rows[y] = j->pix + (size_t)y * rowbytes;
    png_read_image(j->png, j->rows);
    png_read_end(j->png, NULL); /* reaches IEND: a file cut after its pixels is still refused */
    return 0;
}

int io_image_read_png(const char *path, io_image *img, char *err, size_t errlen) {
    memset(img, 0, sizeof *img);
    png_job j;
    memset(&j, 0, sizeof j);
    j.path = path;
    j.fp = io_fopen_input(path, err, errlen); /* a FIFO or device is refused, not waited on */
    if (!j.fp) return -1;
    unsigned char sig[8];
    if (fread(sig, 1, 8, j.fp) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        io_errf(err, errlen, "%s: not a PNG file", path);
        fclose(j.fp);
        return -1;
    }
    j.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &j, on_png_error, on_png_warning);
    j.info = j.png ? png_create_info_struct(j.png) : NULL;
    int rc = -1;
    if (!j.info) {
        rt_error_note_oom();
        snprintf(j.msg, sizeof j.msg, "out of memory");
    }
    else rc = png_read_body(&j);
    if (rc == 0 && io_image_alloc(img, j.width, j.height, j.channels, err, errlen) != 0) {
        rt_error_note_oom();
        snprintf(j.msg, sizeof j.msg, "out of memory for %dx%d pixels", j.width, j.height);
        rc = -1;
    }
    if (rc == 0) {
        /* Interleaved integers -> planar v * (1 / maxval), as skimage's img_as_float. */
        double scale = j.depth == 16 ? 1.0 / 65535.0 : 1.0 / 255.0;
        size_t plane = (size_t)j.width * (size_t)j.height;
        for (int y = 0; y < j.height; y++) {
            const unsigned char *row = j.rows[y];
            for (int x = 0; x < j.width; x++) {
                for (int c = 0; c < j.channels; c++) {
                    size_t k = (size_t)x * (size_t)j.channels + (size_t)c;
                    unsigned v = j.depth == 16 ? (unsigned)row[2 * k] << 8 | row[2 * k + 1]
                                               : row[k];
                    img->data[c * plane + (size_t)y * (size_t)j.width + (size_t)x] = v * scale;
                }
            }
        }
        img->bit_depth = j.depth;
    } else {
        io_errf(err, errlen, "%s: invalid PNG: %s", path, j.msg);
    }
    png_destroy_read_struct(j.png ? &j.png : NULL, j.info ? &j.info : NULL, NULL);
    free(j.rows);
    free(j.pix);
    fclose(j.fp);
    return rc;
}

/* ---- PNG writing -------------------------------------------------------------------- */

static void png_write_fn(png_structp png, png_bytep data, size_t n) {
    png_job *j = png_get_io_ptr(png);
    if (fwrite(data, 1, n, j->fp) != n) png_error(png, strerror(errno));
}

static void png_flush_fn(png_structp png) {
    png_job *j = png_get_io_ptr(png);
    if (fflush(j->fp) != 0) png_error(png, strerror(errno));
}

static int png_write_body(png_job *j) {
    static const int ctypes[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                  PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (setjmp(png_jmpbuf(j->png))) return -1;
    png_set_write_fn(j->png, j, png_write_fn, png_flush_fn);
    png_set_IHDR(j->png, j->info, (png_uint_32)j->width, (png_uint_32)j->height, 8,
                 ctypes[j->channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(j->png, j->info);
    png_write_image(j->png, j->rows);
    png_write_end(j->png, NULL);
    return 0;
}

int io_image_write_png(const char *path, const io_image *img, double lo, double hi, char *err,
                       size_t errlen) {
    if (check_size(path, img->width, img->height, img->channels, err, errlen) != 0) return -1;
    if (!(hi > lo) || !isfinite(hi - lo)) {
        io_errf(err, errlen, "%s: invalid value range [%g, %g]", path, lo, hi);
        return -1;
    }
    png_job j;
    memset(&j, 0, sizeof j);
    j.path = path;
    j.width = img->width;
    j.height = img->height;
    j.channels = img->channels;
    size_t plane = (size_t)img->width * (size_t)img->height;
    size_t rowbytes = (size_t)img->width * (size_t)img->channels;
    j.pix = malloc(rowbytes * (size_t)img->height);
    j.rows = malloc(sizeof *j.rows * (size_t)img->height);
    if (!j.pix || !j.rows) {
        io_errf(err, errlen, "%s: out of memory", path);
        free(j.pix);
        free(j.rows);
        return -1;
    }
    for (int y = 0; y < img->height; y++) {
        j.rows[y] = j.pix + (size_t)y * rowbytes;
        for (int x = 0; x < img->width; x++) {
            for (int c = 0; c < img->channels; c++) {
                double v = img->data[c * plane + (size_t)y * (size_t)img->width + (size_t)x];
                double u = 255.0 * (v - lo) / (hi - lo);
                u = isnan(u) ? 0.0 : u < 0.0 ? 0.0 : u > 255.0 ? 255.0 : u;
                j.rows[y][(size_t)x * (size_t)img->channels + (size_t)c] =
                    (unsigned char)lround(u);
            }
        }
    }
    io_atomic a;
    int rc = io_atomic_open(&a, path, err, errlen);
    if (rc == 0) {
        j.fp = a.fp;
        j.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &j, on_png_error, on_png_warning);
        j.info = j.png ? png_create_info_struct(j.png) : NULL;
        if (!j.info) {
            rt_error_note_oom();
            snprintf(j.msg, sizeof j.msg, "out of memory");
        }
        rc = j.info ? png_write_body(&j) : -1;
        png_destroy_write_struct(j.png ? &j.png : NULL, j.info ? &j.info : NULL);
        if (rc != 0) {
            io_errf(err, errlen, "%s: cannot write PNG: %s", path, j.msg);
            io_atomic_abort(&a);
        } else {
            rc = io_atomic_commit(&a, err, errlen);
        }
    }
    free(j.rows);
    free(j.pix);
    return rc;
}

/* ---- gray --------------------------------------------------------------------------- */

int io_image_gray(const io_image *in, io_image *out, char *err, size_t errlen) {
    if (io_image_alloc(out, in->width, in->height, 1, err, errlen) != 0) return -1;
    out->bit_depth = in->bit_depth;
    size_t n = (size_t)in->width * (size_t)in->height;
    const double *r = in->data, *g = in->data + n, *b = in->data + 2 * n;
    for (size_t i = 0; i < n; i++)
        /* skimage: rgb @ [0.2125, 0.7154, 0.0721], summed left to right. */
        out->data[i] = in->channels >= 3 ? r[i] * 0.2125 + g[i] * 0.7154 + b[i] * 0.0721 : r[i];
    return 0;
}

/* ---- PIL's resampling ----------------------------------------------------------------- */

/* Pillow's fixed-point precision for 8-bit images: 32 - 8 - 2 bits. */
#define PIL_PRECISION_BITS 22

/* Filter weights of one pass, as Pillow's precompute_coeffs builds them. */
typedef struct {
    int ksize;     /* weights per output sample */
    int *bounds;   /* [2 * out]: first input index, count */
    double *kk;    /* [out * ksize] normalised weights */
    int32_t *ik;   /* the same in fixed point (8-bit images only) */
} rs_coeffs;

static double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Port of precompute_coeffs() for the box (0, in_size) and the bilinear filter (support 1);
 * the order of every operation is kept so the weights are bit-identical. */
static int rs_precompute(int in_size, int out_size, int fixed, rs_coeffs *c) {
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale;
    c->ksize = (int)ceil(support) * 2 + 1;
    c->bounds = malloc(sizeof *c->bounds * 2 * (size_t)out_size);
    c->kk = calloc((size_t)out_size * (size_t)c->ksize, sizeof *c->kk);
    c->ik = fixed ? calloc((size_t)out_size * (size_t)c->ksize, sizeof *c->ik) : NULL;
    if (!c->bounds || !c->kk || (fixed && !c->ik)) return -1;
    for (int xx = 0; xx < out_size; xx++) {
        double center = (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double *k = c->kk + (size_t)xx * (size_t)c->ksize;
        for (int x = 0; x < xmax; x++) {
            double w = bilinear_filter((x + xmin - center + 0.5) * ss);
            k[x] = w;
            ww += w;
        }
        for (int x = 0; x < xmax; x++)
            if (ww != 0.0) k[x] /= ww;
        c->bounds[2 * xx] = xmin;
        c->bounds[2 * xx + 1] = xmax;
    }
    if (fixed) /* normalize_coeffs_8bpc (bilinear weights are never negative) */
        for (size_t i = 0; i < (size_t)out_size * (size_t)c->ksize; i++)
            c->ik[i] = (int32_t)(0.5 + c->kk[i] * (1 << PIL_PRECISION_BITS));
    return 0;
}

static void rs_free(rs_coeffs *c) {
    free(c->bounds);
    free(c->kk);
    free(c->ik);
}

/* One float pass. horiz: out is n x ih (n = output width); else iw x n. round32 stores each
 * output as float32, as Pillow's 32bpc passes do (they accumulate in double). */
static void rs_pass_f(const double *in, int iw, int ih, double *out, int n, int horiz,
                      const rs_coeffs *c, int round32) {
    int ow = horiz ? n : iw, oh = horiz ? ih : n;
    for (int yy = 0; yy < oh; yy++) {
        for (int xx = 0; xx < ow; xx++) {
            int o = horiz ? xx : yy;
            const double *k = c->kk + (size_t)o * (size_t)c->ksize;
            int lo = c->bounds[2 * o], cnt = c->bounds[2 * o + 1];
            double ss = 0.0;
            for (int t = 0; t < cnt; t++) {
                double v = horiz ? in[(size_t)yy * (size_t)iw + (size_t)(lo + t)]
                                 : in[(size_t)(lo + t) * (size_t)iw + (size_t)xx];
                ss += v * k[t];
            }
            out[(size_t)yy * (size_t)ow + (size_t)xx] = round32 ? (double)(float)ss : ss;
        }
    }
}

static unsigned char clip8(int32_t v) {
    if (v >= (int32_t)1 << PIL_PRECISION_BITS << 8) return 255;
    if (v <= 0) return 0;
    return (unsigned char)(v >> PIL_PRECISION_BITS);
}

/* One 8-bit pass (ImagingResampleHorizontal_8bpc / Vertical_8bpc for mode 'L'). */
static void rs_pass_u8(const unsigned char *in, int iw, int ih, unsigned char *out, int n,
                       int horiz, const rs_coeffs *c) {
    int ow = horiz ? n : iw, oh = horiz ? ih : n;
    for (int yy = 0; yy < oh; yy++) {
        for (int xx = 0; xx < ow; xx++) {
            int o = horiz ? xx : yy;
            const int32_t *k = c->ik + (size_t)o * (size_t)c->ksize;
            int lo = c->bounds[2 * o], cnt = c->bounds[2 * o + 1];
            int32_t ss = (int32_t)1 << (PIL_PRECISION_BITS - 1);
            for (int t = 0; t < cnt; t++) {
                unsigned char v = horiz ? in[(size_t)yy * (size_t)iw + (size_t)(lo + t)]
                                        : in[(size_t)(lo + t) * (size_t)iw + (size_t)xx];
                ss += v * k[t];
            }
            out[(size_t)yy * (size_t)ow + (size_t)xx] = clip8(ss);
        }
    }
}

/* Resamples one plane through scratch buffers a, b (doubles) or u8a, u8b (mode 'L'), each of
 * max(iw * ih, ow * ih, ow * oh) samples. Like Pillow, a pass whose size does not change is
 * skipped (so it does not round either). */
static void rs_plane(const double *src, int iw, int ih, double *dst, int ow, int oh,
                     io_resample mode, const rs_coeffs *ch, const rs_coeffs *cv, double *a,
                     double *b, unsigned char *u8a, unsigned char *u8b) {
    int need_h = ow != iw, need_v = oh != ih;
    size_t n_in = (size_t)iw * (size_t)ih, n_out = (size_t)ow * (size_t)oh;
    if (mode == IO_RESAMPLE_PIL_L) {
        for (size_t i = 0; i < n_in; i++) {
            double u = src[i] * 255.0;
            u = isnan(u) ? 0.0 : u < 0.0 ? 0.0 : u > 255.0 ? 255.0 : u;
            u8a[i] = (unsigned char)lround(u);
        }
        unsigned char *cur = u8a, *other = u8b;
        if (need_h) {
            rs_pass_u8(cur, iw, ih, other, ow, 1, ch);
            other = cur;
            cur = u8b;
        }
        if (need_v) {
            rs_pass_u8(cur, ow, ih, other, oh, 0, cv);
            cur = other;
        }
        for (size_t i = 0; i < n_out; i++) dst[i] = cur[i] * (1.0 / 255.0);
        return;
    }
    int r32 = mode == IO_RESAMPLE_PIL_F;
    /* Pillow's mode 'F' holds float32 samples from the start. */
    for (size_t i = 0; i < n_in; i++) a[i] = r32 ? (double)(float)src[i] : src[i];
    double *cur = a, *other = b;
    if (need_h) {
        rs_pass_f(cur, iw, ih, other, ow, 1, ch, r32);
        other = cur;
        cur = b;
    }
    if (need_v) {
        rs_pass_f(cur, ow, ih, other, oh, 0, cv, r32);
        cur = other;
    }
    memcpy(dst, cur, n_out * sizeof *dst);
}

int io_image_resize(const io_image *in, int width, int height, io_resample mode, io_image *out,
                    char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (check_size("resize input", in->width, in->height, in->channels, err, errlen) != 0 ||
        check_size("resize output", width, height, in->channels, err, errlen) != 0)
        return -1;
    size_t iw = (size_t)in->width, ih = (size_t)in->height;
    size_t cap = iw * ih;
    if ((size_t)width * ih > cap) cap = (size_t)width * ih;
    if ((size_t)width * (size_t)height > cap) cap = (size_t)width * (size_t)height;
    int u8 = mode == IO_RESAMPLE_PIL_L;
    rs_coeffs ch = {0}, cv = {0};
    double *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    unsigned char *u8a = u8 ? malloc(cap) : NULL, *u8b = u8 ? malloc(cap) : NULL;
    int rc = -1;
    if (!a || !b || (u8 && (!u8a || !u8b)) ||
        rs_precompute(in->width, width, u8, &ch) != 0 ||
        rs_precompute(in->height, height, u8, &cv) != 0) {
        io_errf(err, errlen, "resize: out of memory (%dx%d -> %dx%d)", in->width, in->height,
                width, height);
    } else if (io_image_alloc(out, width, height, in->channels, err, errlen) == 0) {
        out->bit_depth = in->bit_depth;
        for (int c = 0; c < in->channels; c++)
            rs_plane(in->data + (size_t)c * iw * ih, in->width, in->height,
                     out->data + (size_t)c * (size_t)width * (size_t)height, width, height,
                     mode, &ch, &cv, a, b, u8a, u8b);
        rc = 0;
    }
    rs_free(&ch);
    rs_free(&cv);
    free(a);
    free(b);
    free(u8a);
    free(u8b);
    return rc;
}

/* ---- crop, range, upsampling ------------------------------------------------------------ */

int io_image_crop(const io_image *in, int x, int y, int width, int height, io_image *out,
                  char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (x < 0 || y < 0 || width <= 0 || height <= 0 || width > in->width - x ||
        height > in->height - y) {
        io_errf(err, errlen, "crop: window %dx%d at (%d, %d) is not inside the %dx%d image",
                width, height, x, y, in->width, in->height);
        return -1;
    }
    if (io_image_alloc(out, width, height, in->channels, err, errlen) != 0) return -1;
    out->bit_depth = in->bit_depth;
    for (int c = 0; c < in->channels; c++)
        for (int r = 0; r < height; r++)
            memcpy(out->data + ((size_t)c * (size_t)height + (size_t)r) * (size_t)width,
                   in->data + ((size_t)c * (size_t)in->height + (size_t)(y + r)) *
                                  (size_t)in->width + (size_t)x,
                   (size_t)width * sizeof *out->data);
    return 0;
}

/* int(round(d / 2.0)) in Python: d / 2 is k or k + 0.5, and a half goes to the even k. */
static int half_round_even(int d) {
    int k = d / 2;
    return (d % 2 != 0 && k % 2 != 0) ? k + 1 : k;
}

int io_image_center_crop(const io_image *in, int width, int height, io_image *out, char *err,
                         size_t errlen) {
    if (width > in->width || height > in->height) {
        memset(out, 0, sizeof *out);
        io_errf(err, errlen, "centre crop: %dx%d does not fit in the %dx%d image", width, height,
                in->width, in->height);
        return -1;
    }
    return io_image_crop(in, half_round_even(in->width - width),
                         half_round_even(in->height - height), width, height, out, err, errlen);
}

void io_image_map_range(io_image *img, double lo, double hi) {
    size_t n = (size_t)img->width * (size_t)img->height * (size_t)img->channels;
    for (size_t i = 0; i < n; i++) img->data[i] = lo + (hi - lo) * img->data[i];
}

/* Source coordinate of output index o for bilinear upsampling (see the header). */
static double up_src(int o, int n_in, int n_out, int align_corners) {
    if (align_corners) return n_out > 1 ? (double)o * (n_in - 1) / (n_out - 1) : 0.0;
    double s = (o + 0.5) * n_in / n_out - 0.5;
    return s < 0.0 ? 0.0 : s;
}

/* Keys' cubic convolution weights for the 4 neighbours at offsets -1, 0, 1, 2 of a point t in
 * [0, 1) past the second (torch's get_cubic_upsample_coefficients, a = -0.75). */
static void cubic_weights(double t, double w[4]) {
    const double a = -0.75;
    double x1 = t + 1, x2 = 1 - t, x3 = 2 - t;
    w[0] = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a;
    w[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
    w[2] = ((a + 2) * x2 - (a + 3)) * x2 * x2 + 1;
    w[3] = ((a * x3 - 5 * a) * x3 + 8 * a) * x3 - 4 * a;
}

static int clamp_index(int i, int n) { return i < 0 ? 0 : i > n - 1 ? n - 1 : i; }

/* Bicubic value at output (X, Y): the source coordinate as torch computes it for cubic modes
 * (align_corners: corner centres meet; else (X + 0.5) * w / W - 0.5, unclamped), then rows
 * first, columns second. */
static double bicubic_at(const double *p, int w_in, int h_in, int X, int Y, int width, int height,
                         int align_corners) {
    double sx = align_corners ? (width > 1 ? (double)X * (w_in - 1) / (width - 1) : 0.0)
                              : (X + 0.5) * w_in / width - 0.5;
    double sy = align_corners ? (height > 1 ? (double)Y * (h_in - 1) / (height - 1) : 0.0)
                              : (Y + 0.5) * h_in / height - 0.5;
    int x0 = (int)floor(sx), y0 = (int)floor(sy);
    double wx[4], wy[4], v = 0;
    cubic_weights(sx - x0, wx);
    cubic_weights(sy - y0, wy);
    for (int j = 0; j < 4; j++) {
        const double *row = p + (size_t)clamp_index(y0 - 1 + j, h_in) * (size_t)w_in;
        double r = 0;
        for (int i = 0; i < 4; i++) r += wx[i] * row[clamp_index(x0 - 1 + i, w_in)];
        v += wy[j] * r;
    }
    return v;
}

int io_image_upsample(const io_image *in, int width, int height, io_interp interp,
                      int align_corners, io_image *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (check_size("upsample input", in->width, in->height, in->channels, err, errlen) != 0)
        return -1;
    if (width < in->width || height < in->height) {
        io_errf(err, errlen,
                "upsample: %dx%d is smaller than the %dx%d input (use io_image_resize to shrink)",
                width, height, in->width, in->height);
        return -1;
    }
    if (io_image_alloc(out, width, height, in->channels, err, errlen) != 0) return -1;
    out->bit_depth = in->bit_depth;
    size_t iw = (size_t)in->width;
    for (int c = 0; c < in->channels; c++) {
        const double *p = in->data + (size_t)c * iw * (size_t)in->height;
        double *q = out->data + (size_t)c * (size_t)width * (size_t)height;
        for (int Y = 0; Y < height; Y++) {
            for (int X = 0; X < width; X++) {
                double v;
                if (interp == IO_INTERP_NEAREST) {
                    int x = (int)floor((X + 0.5) * in->width / width);
                    int y = (int)floor((Y + 0.5) * in->height / height);
                    if (x > in->width - 1) x = in->width - 1;
                    if (y > in->height - 1) y = in->height - 1;
                    v = p[(size_t)y * iw + (size_t)x];
                } else if (interp == IO_INTERP_BICUBIC) {
                    v = bicubic_at(p, in->width, in->height, X, Y, width, height, align_corners);
                } else {
                    double sx = up_src(X, in->width, width, align_corners);
                    double sy = up_src(Y, in->height, height, align_corners);
                    int x0 = (int)sx, y0 = (int)sy;
                    int x1 = x0 < in->width - 1 ? x0 + 1 : x0;
                    int y1 = y0 < in->height - 1 ? y0 + 1 : y0;
                    double lx = sx - x0, ly = sy - y0;
                    v = (1 - ly) * ((1 - lx) * p[(size_t)y0 * iw + (size_t)x0] +
                                    lx * p[(size_t)y0 * iw + (size_t)x1]) +
                        ly * ((1 - lx) * p[(size_t)y1 * iw + (size_t)x0] +
                              lx * p[(size_t)y1 * iw + (size_t)x1]);
                }
                q[(size_t)Y * (size_t)width + (size_t)X] = v;
            }
        }
    }
    return 0;
}

/* ---- the reference pipeline --------------------------------------------------------------- */

/* Read, gray, resize the shorter side to `side`, centre crop: *crop holds side x side values in
 * [0, 1], *mode the resampling PIL would use for this file (mode 'L' or 'F'). */
static int prepare_crop(const char *path, int side, io_image *crop, io_resample *mode, char *err,
                        size_t errlen) {
    memset(crop, 0, sizeof *crop);
    if (side < 1 || side > IO_IMAGE_MAX_SIDE) {
        io_errf(err, errlen, "%s: requested size %d is out of range [1, %d]", path, side,
                IO_IMAGE_MAX_SIDE);
        return -1;
    }
    io_image src, gray, sized;
    memset(&gray, 0, sizeof gray);
    memset(&sized, 0, sizeof sized);
    if (io_image_read_png(path, &src, err, errlen) != 0) return -1;
    int rc = -1;
    char msg[256] = "";
    /* The peer keeps 8-bit gray as PIL mode 'L' and turns colour into float32 mode 'F'. A
     * 16-bit gray file (PIL would give mode 'I;16') is kept in float32 too. */
    *mode = (src.channels <= 2 && src.bit_depth == 8) ? IO_RESAMPLE_PIL_L : IO_RESAMPLE_PIL_F;
    if (io_image_gray(&src, &gray, msg, sizeof msg) != 0) goto done;
    if (*mode == IO_RESAMPLE_PIL_F) {
        size_t n = (size_t)gray.width * (size_t)gray.height;
        for (size_t i = 0; i < n; i++) gray.data[i] = (double)(float)gray.data[i];
    }
    int w = gray.width, h = gray.height;
    int shorter = w <= h ? w : h, longer = w <= h ? h : w;
    const io_image *cur = &gray;
    if (shorter != side) {
        /* int(sidelength * long / short): exact product, one correctly rounded division. */
        double nl = (double)((int64_t)side * longer) / shorter;
        if (nl > IO_IMAGE_MAX_SIDE) {
            snprintf(msg, sizeof msg, "resizing %dx%d to a shorter side of %d is too large", w,
                     h, side);
            goto done;
        }
        int nw = w <= h ? side : (int)nl, nh = w <= h ? (int)nl : side;
        if (io_image_resize(&gray, nw, nh, *mode, &sized, msg, sizeof msg) != 0) goto done;
        cur = &sized;
    }
    if (io_image_center_crop(cur, side, side, crop, msg, sizeof msg) != 0) goto done;
    rc = 0;
done:
    if (rc != 0) io_errf(err, errlen, "%s: %s", path, msg);
    io_image_free(&src);
    io_image_free(&gray);
    io_image_free(&sized);
    return rc;
}

int io_image_prepare(const char *path, int side, double lo, double hi, double *out, char *err,
                     size_t errlen) {
    return io_image_prepare_from(path, side, side, lo, hi, out, err, errlen);
}

int io_image_prepare_from(const char *path, int from_side, int side, double lo, double hi,
                          double *out, char *err, size_t errlen) {
    io_image crop, sized;
    io_resample mode;
    memset(&sized, 0, sizeof sized);
    if (side < 1 || side > IO_IMAGE_MAX_SIDE) {
        io_errf(err, errlen, "%s: requested size %d is out of range [1, %d]", path, side,
                IO_IMAGE_MAX_SIDE);
        return -1;
    }
    if (prepare_crop(path, from_side, &crop, &mode, err, errlen) != 0) return -1;
    const io_image *cur = &crop;
    char msg[256];
    /* The second resize is PIL's again, in the same mode: Image.resize((side, side)) of the
     * prepared from_side x from_side image. */
    if (from_side != side) {
        if (io_image_resize(&crop, side, side, mode, &sized, msg, sizeof msg) != 0) {
            io_errf(err, errlen, "%s: %s", path, msg);
            io_image_free(&crop);
            return -1;
        }
        cur = &sized;
    }
    for (size_t i = 0; i < (size_t)side * (size_t)side; i++)
        out[i] = lo + (hi - lo) * cur->data[i];
    io_image_free(&crop);
    io_image_free(&sized);
    return 0;
}
