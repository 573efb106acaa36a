/* io_image: PNG files (libpng) as float64 planes, and the reference image preprocessing:
 * gray, PIL-exact bilinear resize, centre crop, map to a range (docs/data.md, "Images"). */
#ifndef QNN_IO_IMAGE_H
#define QNN_IO_IMAGE_H
#include <stddef.h>

#define IO_IMAGE_MAX_SIDE 16384           /* pixels per side */
#define IO_IMAGE_MAX_PIXELS (1L << 26)    /* width * height (64 Mpx: 2 GiB as RGBA float64) */

/* channels: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. Planar: sample (c, y, x) is
 * data[(c * height + y) * width + x], row 0 at the top. Samples read from a file are
 * v * (1.0 / maxval) for the stored integer v (maxval 255 or 65535), as skimage's
 * img_as_float computes them, so that round(value * maxval) gives v back exactly. */
typedef struct {
    int width, height, channels;
    int bit_depth; /* 8 or 16 for an image read from a file (1, 2, 4 widen to 8), else 0 */
    double *data;
} io_image;

/* Allocates a zeroed image. */
int io_image_alloc(io_image *img, int width, int height, int channels, char *err, size_t errlen);
void io_image_free(io_image *img);

/* Reads any PNG: every colour type and bit depth, interlaced or not; palettes and tRNS expand
 * to RGB(A) / gray + alpha. gAMA/iCCP are ignored (as PIL and skimage do). */
int io_image_read_png(const char *path, io_image *img, char *err, size_t errlen);

/* Writes a 1- to 4-channel image as an 8-bit PNG, atomically: value v becomes
 * round(255 * (v - lo) / (hi - lo)), clamped to [0, 255]; NaN becomes 0. */
int io_image_write_png(const char *path, const io_image *img, double lo, double hi, char *err,
                       size_t errlen);

/* One gray channel: channel 0 of gray / gray + alpha; for RGB(A) the luminance
 * 0.2125 R + 0.7154 G + 0.0721 B of skimage.color.rgb2gray (alpha ignored). */
int io_image_gray(const io_image *in, io_image *out, char *err, size_t errlen);

/* How io_image_resize rounds, to reproduce PIL's Image.resize exactly for its image modes. */
typedef enum {
    IO_RESAMPLE_F64,      /* float64 throughout (no PIL mode; the mathematically clean one) */
    IO_RESAMPLE_PIL_F,    /* PIL mode 'F': float32 image, rounded to float32 after each pass */
    IO_RESAMPLE_PIL_L     /* PIL mode 'L': 8-bit image, 22-bit fixed-point weights, each pass
                             rounded to 8 bits; samples are taken as round(255 * v) */
} io_resample;

/* PIL's Image.resize((w, h), BILINEAR): separable triangle filter, support scaled by the
 * shrink factor (antialiasing), weights normalised; horizontal pass first. Any sizes. */
int io_image_resize(const io_image *in, int width, int height, io_resample mode, io_image *out,
                    char *err, size_t errlen);

/* Copies the width x height window at (x, y); it must lie inside the image. */
int io_image_crop(const io_image *in, int x, int y, int width, int height, io_image *out,
                  char *err, size_t errlen);

/* torchvision CenterCrop: offsets int(round((H - h) / 2)), Python's round (half to even). */
int io_image_center_crop(const io_image *in, int width, int height, io_image *out, char *err,
                         size_t errlen);

/* v -> lo + (hi - lo) * v on every sample (maps [0, 1] to [lo, hi]). */
void io_image_map_range(io_image *img, double lo, double hi);

/* Upsampling for the superresolution baselines (output at least as large as the input).
 * Bilinear with align_corners = 0 is torch's interpolate(bilinear, align_corners=False) and
 * PIL's BILINEAR resize when enlarging (source x = (X + 0.5) * w / W - 0.5, clamped at the
 * borders); align_corners = 1 maps corner pixel centres onto each other. Nearest picks
 * floor((X + 0.5) * w / W): PIL's NEAREST and torch's 'nearest-exact' (equal to torch's
 * 'nearest' for integer factors); it ignores align_corners. Bicubic is torch's
 * interpolate(bicubic): Keys' cubic convolution with a = -0.75 over the 4 x 4 neighbours of the
 * source point (same source coordinate as bilinear, not clamped), indices clamped at the
 * borders; it may overshoot the input's range, as torch's does. */
typedef enum { IO_INTERP_NEAREST, IO_INTERP_BILINEAR, IO_INTERP_BICUBIC } io_interp;
int io_image_upsample(const io_image *in, int width, int height, io_interp interp,
                      int align_corners, io_image *out, char *err, size_t errlen);

/* The reference pipeline of the QIREN data loader (peer_qiren_torch.py load_image): read,
 * gray (colour -> skimage rgb2gray in float64 then PIL mode 'F'; 8-bit gray -> PIL mode
 * 'L'), resize so that the shorter side is side (int() of the scaled longer side; skipped
 * when already equal), centre crop to side x side, map [0, 1] to [lo, hi]. Writes
 * side * side values, row-major, into out. */
int io_image_prepare(const char *path, int side, double lo, double hi, double *out, char *err,
                     size_t errlen);

/* io_image_prepare at from_side (the shorter side resized to from_side, the centre cropped),
 * then the from_side x from_side result resized to side x side by the same PIL resampling
 * (`image(..., from_size = N)`: e.g. a 64x64 ground truth made from the 32x32 image). Equal
 * sides: io_image_prepare. */
int io_image_prepare_from(const char *path, int from_side, int side, double lo, double hi,
                          double *out, char *err, size_t errlen);
#endif
