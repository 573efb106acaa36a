/* Tests of io_image: every PNG colour type and bit depth (made here with libpng), corrupt
 * files, PNG writing, and the preprocessing against values from PIL/skimage themselves. */
#include "testutil.h"

#include "io_image.h"

#include <dirent.h>
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- making PNG files ------------------------------------------------------------------ */

static int png_channels(int ctype) {
    switch (ctype) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1; /* gray, palette index */
    }
}

/* The stored sample (x, y, c) of a test image: below 2^depth, varied in every channel. */
static unsigned sample(int x, int y, int c, int depth, int ctype) {
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        unsigned npal = depth == 8 ? 7u : (1u << depth);
        return (unsigned)(x + 2 * y) % npal;
    }
    unsigned maxv = (1u << depth) - 1;
    return ((unsigned)(x * 31 + y * 17 + c * 71 + 5) * (depth == 16 ? 257u : 1u)) % (maxv + 1);
}

static void palette_entry(unsigned i, unsigned rgb[3]) {
    rgb[0] = (i * 40) % 256;
    rgb[1] = (i * 90 + 3) % 256;
    rgb[2] = (i * 150 + 7) % 256;
}

/* Writes a w x h PNG of the given type with the samples above; trns adds a tRNS chunk
 * (palette: alpha (i * 60) for the first 3 entries; gray/RGB: the colour of pixel (1, 0)). */
static void make_png(const char *path, int w, int h, int ctype, int depth, int interlace,
                     int trns) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    int ch = png_channels(ctype), bps = depth == 16 ? 2 : 1;
    unsigned char *pix = malloc((size_t)w * (size_t)h * (size_t)ch * (size_t)bps);
    png_bytep *rows = malloc(sizeof *rows * (size_t)h);
    for (int y = 0; y < h; y++) {
        rows[y] = pix + (size_t)y * (size_t)w * (size_t)ch * (size_t)bps;
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ch; c++) {
                unsigned v = sample(x, y, c, depth, ctype);
                size_t k = ((size_t)x * (size_t)ch + (size_t)c) * (size_t)bps;
                if (bps == 2) rows[y][k] = (unsigned char)(v >> 8), rows[y][k + 1] = (unsigned char)v;
                else rows[y][k] = (unsigned char)v;
            }
    }
    if (setjmp(png_jmpbuf(png))) fail_msg("libpng failed to write the test file");
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        for (unsigned i = 0; i < 256; i++) {
            unsigned rgb[3];
            palette_entry(i, rgb);
            pal[i].red = (png_byte)rgb[0], pal[i].green = (png_byte)rgb[1];
            pal[i].blue = (png_byte)rgb[2];
        }
        png_set_PLTE(png, info, pal, depth == 8 ? 7 : 1 << depth);
        if (trns) {
            png_byte alpha[3] = {0, 60, 120};
            png_set_tRNS(png, info, alpha, 3, NULL);
        }
    } else if (trns) {
        png_color_16 tc;
        memset(&tc, 0, sizeof tc);
        tc.gray = (png_uint_16)sample(1, 0, 0, depth, ctype);
        tc.red = (png_uint_16)sample(1, 0, 0, depth, ctype);
        tc.green = (png_uint_16)sample(1, 0, 1, depth, ctype);
        tc.blue = (png_uint_16)sample(1, 0, 2, depth, ctype);
        png_set_tRNS(png, info, NULL, 0, &tc);
    }
    png_write_info(png, info);
    if (depth < 8) png_set_packing(png); /* rows hold one sample per byte */
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(fp);
    free(rows);
    free(pix);
}

/* What io_image_read_png must return for (x, y, c) of the image made above. */
static double expected(int x, int y, int c, int depth, int ctype, int trns, int *channels) {
    int ch = png_channels(ctype);
    int alpha = trns ? 1 : 0;
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        *channels = 3 + alpha;
        unsigned i = sample(x, y, 0, depth, ctype), rgb[3];
        palette_entry(i, rgb);
        if (c == 3) return (i < 3 ? i * 60 : 255) * (1.0 / 255.0);
        return rgb[c] * (1.0 / 255.0);
    }
    *channels = ch + alpha;
    unsigned maxv = depth == 16 ? 65535u : 255u;
    if (c == ch) { /* alpha made from tRNS: 0 where the colour matches pixel (1, 0) */
        int same = 1;
        for (int k = 0; k < ch; k++) same &= sample(x, y, k, depth, ctype) == sample(1, 0, k, depth, ctype);
        return same ? 0.0 : maxv * (1.0 / maxv);
    }
    unsigned v = sample(x, y, c, depth, ctype);
    if (depth < 8) v = v * 255u / ((1u << depth) - 1); /* libpng widens by bit replication */
    return v * (1.0 / maxv);
}

static void check_png_case(int ctype, int depth, int interlace, int trns) {
    char err[256];
    const int w = 13, h = 7;
    const char *p = test_tmp_path("case.png");
    make_png(p, w, h, ctype, depth, interlace, trns);
    io_image img;
    if (io_image_read_png(p, &img, err, sizeof err) != 0)
        fail_msg("type %d depth %d interlace %d: %s", ctype, depth, interlace, err);
    int ch;
    (void)expected(0, 0, 0, depth, ctype, trns, &ch);
    assert_int_equal(img.width, w);
    assert_int_equal(img.height, h);
    assert_int_equal(img.channels, ch);
    assert_int_equal(img.bit_depth, depth == 16 ? 16 : 8);
    for (int c = 0; c < ch; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double got = img.data[((size_t)c * h + (size_t)y) * w + (size_t)x];
                double want = expected(x, y, c, depth, ctype, trns, &ch);
                if (got != want)
                    fail_msg("type %d depth %d interlace %d trns %d: (%d,%d,%d) = %.17g, want %.17g",
                             ctype, depth, interlace, trns, x, y, c, got, want);
            }
    io_image_free(&img);
}

static void test_read_every_colour_type_and_depth(void **state) {
    (void)state;
    static const int cases[][2] = {
        {PNG_COLOR_TYPE_GRAY, 1}, {PNG_COLOR_TYPE_GRAY, 2}, {PNG_COLOR_TYPE_GRAY, 4},
        {PNG_COLOR_TYPE_GRAY, 8}, {PNG_COLOR_TYPE_GRAY, 16}, {PNG_COLOR_TYPE_GRAY_ALPHA, 8},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 16}, {PNG_COLOR_TYPE_RGB, 8}, {PNG_COLOR_TYPE_RGB, 16},
        {PNG_COLOR_TYPE_RGB_ALPHA, 8}, {PNG_COLOR_TYPE_RGB_ALPHA, 16},
        {PNG_COLOR_TYPE_PALETTE, 1}, {PNG_COLOR_TYPE_PALETTE, 2}, {PNG_COLOR_TYPE_PALETTE, 4},
        {PNG_COLOR_TYPE_PALETTE, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int interlace = 0; interlace < 2; interlace++)
            check_png_case(cases[i][0], cases[i][1], interlace, 0);
    /* tRNS becomes an alpha channel. */
    check_png_case(PNG_COLOR_TYPE_GRAY, 8, 0, 1);
    check_png_case(PNG_COLOR_TYPE_GRAY, 16, 1, 1);
    check_png_case(PNG_COLOR_TYPE_RGB, 8, 0, 1);
    check_png_case(PNG_COLOR_TYPE_PALETTE, 4, 1, 1);
}

/* ---- corrupt files ----------------------------------------------------------------------- */

static unsigned long crc32_of(const unsigned char *p, size_t n) {
    unsigned long c = 0xFFFFFFFFul;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320ul & (0ul - (c & 1)));
    }
    return c ^ 0xFFFFFFFFul;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Rewrites the IHDR size fields (bytes 16..23) and the chunk's CRC. */
static void set_ihdr_size(unsigned char *b, unsigned long w, unsigned long h) {
    for (int i = 0; i < 4; i++) {
        b[16 + i] = (unsigned char)(w >> (24 - 8 * i));
        b[20 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
    unsigned long c = crc32_of(b + 12, 17);
    for (int i = 0; i < 4; i++) b[29 + i] = (unsigned char)(c >> (24 - 8 * i));
}

static void expect_read_error(const char *path, const char *needle) {
    char err[256] = "";
    io_image img;
    assert_int_equal(io_image_read_png(path, &img, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    if (needle && !strstr(err, needle)) fail_msg("message '%s' lacks '%s'", err, needle);
    assert_null(img.data);
}

static void test_corrupt_files(void **state) {
    (void)state;
    const char *good = test_tmp_path("good.png"), *bad = test_tmp_path("bad.png");
    make_png(good, 40, 30, PNG_COLOR_TYPE_RGB, 8, 0, 0);
    size_t n;
    unsigned char *b = slurp(good, &n);
    expect_read_error(test_tmp_path("missing.png"), "cannot open");
    spit(bad, (const unsigned char *)"GIF89a not a png at all", 23);
    expect_read_error(bad, "not a PNG file");
    spit(bad, b, 0);
    expect_read_error(bad, "not a PNG file");
    /* Cut anywhere: always an error, never a crash. */
    for (size_t cut = 8; cut < n; cut += (cut < 64 ? 1 : 7)) {
        spit(bad, b, cut);
        expect_read_error(bad, NULL);
    }
    unsigned char *c = malloc(n);
    memcpy(c, b, n);
    set_ihdr_size(c, 0, 30);
    spit(bad, c, n);
    expect_read_error(bad, NULL);
    set_ihdr_size(c, 20000, 30);
    spit(bad, c, n);
    expect_read_error(bad, "limit");
    set_ihdr_size(c, 10000, 10000); /* each side allowed, the pixel count is not */
    spit(bad, c, n);
    expect_read_error(bad, "limit");
    set_ihdr_size(c, 0x7FFFFFFF, 0x7FFFFFFF); /* PNG's largest: refused before allocating */
    spit(bad, c, n);
    expect_read_error(bad, NULL);
    /* D8: a FIFO (or a folder) is refused at once; libpng would otherwise wait on it. */
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/pipe.png", test_tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    expect_read_error(fifo, "not a regular file");
    expect_read_error(test_tmpdir, "is a folder");
    /* A damaged byte in the compressed data: the CRC no longer matches. */
    memcpy(c, b, n);
    c[n / 2] ^= 0x55;
    spit(bad, c, n);
    expect_read_error(bad, NULL);
    /* Random damage: any outcome but a crash (run under ASan/valgrind to mean something). */
    srand(12345);
    for (int it = 0; it < 300; it++) {
        memcpy(c, b, n);
        for (int k = 0; k < 1 + it % 4; k++) c[8 + (size_t)rand() % (n - 8)] ^= (unsigned char)(1 + rand() % 255);
        spit(bad, c, n);
        char err[256];
        io_image img;
        if (io_image_read_png(bad, &img, err, sizeof err) == 0) {
            assert_true(img.width > 0 && img.height > 0 && img.data);
            io_image_free(&img);
        }
    }
    free(c);
    free(b);
}

/* ---- writing ------------------------------------------------------------------------------ */

static void test_write_round_trip(void **state) {
    (void)state;
    char err[256];
    io_image img, back;
    assert_int_equal(io_image_alloc(&img, 5, 3, 1, err, sizeof err), 0);
    for (int i = 0; i < 15; i++) img.data[i] = -1.0 + i / 7.0;
    img.data[13] = 2.0;  /* clamped to 255 */
    img.data[14] = NAN;  /* written as 0 */
    img.data[0] = -3.0;  /* clamped to 0 */
    const char *p = test_tmp_path("w.png");
    assert_int_equal(io_image_write_png(p, &img, -1.0, 1.0, err, sizeof err), 0);
    assert_int_equal(io_image_read_png(p, &back, err, sizeof err), 0);
    assert_int_equal(back.channels, 1);
    assert_int_equal(back.width, 5);
    for (int i = 1; i < 13; i++)
        assert_close(back.data[i] * 255.0, (double)lround(255.0 * (img.data[i] + 1.0) / 2.0), 1e-12);
    assert_close(back.data[13], 1.0, 0);
    assert_close(back.data[14], 0.0, 0);
    assert_close(back.data[0], 0.0, 0);
    io_image_free(&back);
    io_image_free(&img);
    /* RGB, range [0, 1]: 8-bit values survive exactly. */
    assert_int_equal(io_image_alloc(&img, 4, 4, 3, err, sizeof err), 0);
    for (int i = 0; i < 48; i++) img.data[i] = ((i * 37) % 256) / 255.0;
    assert_int_equal(io_image_write_png(p, &img, 0.0, 1.0, err, sizeof err), 0);
    assert_int_equal(io_image_read_png(p, &back, err, sizeof err), 0);
    assert_int_equal(back.channels, 3);
    for (int i = 0; i < 48; i++) assert_close(back.data[i], img.data[i], 1e-15);
    io_image_free(&back);
    /* Bad range, missing folder: errors that name the file, no temporary left. */
    assert_int_equal(io_image_write_png(p, &img, 1.0, 1.0, err, sizeof err), -1);
    assert_non_null(strstr(err, "range"));
    const char *q = test_tmp_path("nope/x.png");
    assert_int_equal(io_image_write_png(q, &img, 0.0, 1.0, err, sizeof err), -1);
    assert_non_null(strstr(err, q));
    io_image_free(&img);
}

/* ---- gray, resize, crop, upsample ---------------------------------------------------------- */

static void test_gray(void **state) {
    (void)state;
    char err[256];
    io_image rgb, g;
    assert_int_equal(io_image_alloc(&rgb, 2, 1, 3, err, sizeof err), 0);
    double v[6] = {1.0, 0.2, /* R */ 1.0, 0.4, /* G */ 1.0, 0.6 /* B */};
    memcpy(rgb.data, v, sizeof v);
    assert_int_equal(io_image_gray(&rgb, &g, err, sizeof err), 0);
    assert_int_equal(g.channels, 1);
    assert_close(g.data[0], 1.0, 1e-15);
    assert_close(g.data[1], 0.2125 * 0.2 + 0.7154 * 0.4 + 0.0721 * 0.6, 1e-15);
    io_image_free(&g);
    io_image_free(&rgb);
}

/* A 7x5 float image and PIL's Image.resize(BILINEAR) of it in mode 'F'. Produced with Debian
 * bookworm python3-pil 9.4.0: f = np.array([[((x*7+y*13)%17)/16 for x in range(7)] for y in
 * range(5)], np.float32); np.array(Image.fromarray(f, 'F').resize((w, h), Image.BILINEAR)). */
static const double pil_f_3x2[] = {0.5079139471054077, 0.44034090638160706, 0.4407467544078827,
                                   0.5115665793418884, 0.5511363744735718, 0.49959415197372437};
static const double pil_f_4x5[] = {
    0.2291666716337204, 0.612500011920929, 0.4399999976158142, 0.3214285671710968,
    0.5357142686843872, 0.36250001192092896, 0.4025000035762787, 0.5267857313156128,
    0.7410714030265808, 0.6225000023841858, 0.44999998807907104, 0.2767857015132904,
    0.4910714328289032, 0.3725000023841858, 0.7524999976158142, 0.6339285969734192,
    0.2916666567325592, 0.675000011920929, 0.5024999976158142, 0.3839285671710968};
/* Row 0 and row 7 of the 11x8 enlargement. */
static const double pil_f_11x8_r0[] = {0.0, 0.19886364042758942, 0.47727271914482117,
    0.7556818127632141, 0.6477272510528564, 0.25, 0.5284090638160706, 0.5170454382896423,
    0.11931817978620529, 0.3011363744735718, 0.5};
static const double pil_f_11x8_r7[] = {0.0625, 0.2613636255264282, 0.5397727489471436,
    0.8181818127632141, 0.7102272510528564, 0.3125, 0.5909090638160706, 0.5795454382896423,
    0.1818181872367859, 0.3636363744735718, 0.5625};
/* A 9x6 8-bit image (mode 'L'), l = ((x*37 + y*91) % 256), resized the same way. */
static const int pil_l_4x3[] = {89, 134, 128, 96, 111, 108, 132, 128, 143, 111, 105, 150};
static const int pil_l_9x4[] = {34, 71, 108, 145, 182, 123, 160, 37, 74, 133, 170, 65,
                                102, 139, 91, 128, 136, 173, 66, 103, 111, 148, 100, 137,
                                174, 69, 106, 165, 202, 79, 116, 57, 94, 131, 168, 205};
static const int pil_l_13x10_r0[] = {0, 20, 46, 71, 97, 122, 148, 174, 199, 205, 54, 20, 40};

static void resize_f(int w, int h, io_resample mode, io_image *out) {
    char err[256];
    io_image in;
    assert_int_equal(io_image_alloc(&in, 7, 5, 1, err, sizeof err), 0);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++) in.data[y * 7 + x] = ((x * 7 + y * 13) % 17) / 16.0;
    assert_int_equal(io_image_resize(&in, w, h, mode, out, err, sizeof err), 0);
    io_image_free(&in);
}

static void resize_l(int w, int h, io_image *out) {
    char err[256];
    io_image in;
    assert_int_equal(io_image_alloc(&in, 9, 6, 1, err, sizeof err), 0);
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 9; x++) in.data[y * 9 + x] = ((x * 37 + y * 91) % 256) * (1.0 / 255.0);
    assert_int_equal(io_image_resize(&in, w, h, IO_RESAMPLE_PIL_L, out, err, sizeof err), 0);
    io_image_free(&in);
}

static void test_resize_matches_pil(void **state) {
    (void)state;
    io_image o;
    resize_f(3, 2, IO_RESAMPLE_PIL_F, &o);
    for (int i = 0; i < 6; i++) assert_true(o.data[i] == pil_f_3x2[i]); /* bit-exact */
    io_image_free(&o);
    resize_f(4, 5, IO_RESAMPLE_PIL_F, &o); /* horizontal pass only */
    for (int i = 0; i < 20; i++) assert_true(o.data[i] == pil_f_4x5[i]);
    io_image_free(&o);
    resize_f(11, 8, IO_RESAMPLE_PIL_F, &o);
    for (int i = 0; i < 11; i++) {
        assert_true(o.data[i] == pil_f_11x8_r0[i]);
        assert_true(o.data[7 * 11 + i] == pil_f_11x8_r7[i]);
    }
    io_image_free(&o);
    /* In float64 the same figures hold to float32 rounding. */
    resize_f(3, 2, IO_RESAMPLE_F64, &o);
    for (int i = 0; i < 6; i++) assert_close(o.data[i], pil_f_3x2[i], 1e-7);
    io_image_free(&o);
    resize_l(4, 3, &o);
    for (int i = 0; i < 12; i++) assert_close(o.data[i] * 255.0, pil_l_4x3[i], 1e-12);
    io_image_free(&o);
    resize_l(9, 4, &o); /* vertical pass only */
    for (int i = 0; i < 36; i++) assert_close(o.data[i] * 255.0, pil_l_9x4[i], 1e-12);
    io_image_free(&o);
    resize_l(13, 10, &o);
    for (int i = 0; i < 13; i++) assert_close(o.data[i] * 255.0, pil_l_13x10_r0[i], 1e-12);
    io_image_free(&o);
}

static void test_resize_by_hand(void **state) {
    (void)state;
    char err[256];
    io_image in, o;
    /* 4 -> 2 pixels: scale 2, support 2. Output 0 has centre 1 and weights 0.75, 0.75, 0.25
     * on inputs 0..2; output 1 has centre 3 and weights 0.25, 0.75, 0.75 on inputs 1..3. */
    assert_int_equal(io_image_alloc(&in, 4, 1, 1, err, sizeof err), 0);
    for (int i = 0; i < 4; i++) in.data[i] = i;
    assert_int_equal(io_image_resize(&in, 2, 1, IO_RESAMPLE_F64, &o, err, sizeof err), 0);
    assert_close(o.data[0], (0.75 * 0 + 0.75 * 1 + 0.25 * 2) / 1.75, 1e-15);
    assert_close(o.data[1], (0.25 * 1 + 0.75 * 2 + 0.75 * 3) / 1.75, 1e-15);
    io_image_free(&o);
    /* Same size: unchanged. Constant image: constant at any size. */
    assert_int_equal(io_image_resize(&in, 4, 1, IO_RESAMPLE_F64, &o, err, sizeof err), 0);
    for (int i = 0; i < 4; i++) assert_close(o.data[i], in.data[i], 0);
    io_image_free(&o);
    for (int i = 0; i < 4; i++) in.data[i] = 0.375;
    assert_int_equal(io_image_resize(&in, 3, 5, IO_RESAMPLE_F64, &o, err, sizeof err), 0);
    for (int i = 0; i < 15; i++) assert_close(o.data[i], 0.375, 1e-15);
    io_image_free(&o);
    assert_int_equal(io_image_resize(&in, 0, 5, IO_RESAMPLE_F64, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "0x5"));
    io_image_free(&in);
}

static void test_crop(void **state) {
    (void)state;
    char err[256];
    io_image in, o;
    /* Offsets int(round((W - w) / 2)) with Python's round: 1 -> 0, 3 -> 2 (1.5), 5 -> 2 (2.5),
     * 16 -> 8. */
    static const int sizes[][2] = {{33, 0}, {35, 2}, {37, 2}, {48, 8}, {32, 0}};
    for (size_t k = 0; k < 5; k++) {
        int W = sizes[k][0];
        assert_int_equal(io_image_alloc(&in, W, W, 1, err, sizeof err), 0);
        for (int i = 0; i < W * W; i++) in.data[i] = i;
        assert_int_equal(io_image_center_crop(&in, 32, 32, &o, err, sizeof err), 0);
        int off = sizes[k][1];
        assert_close(o.data[0], off * W + off, 0);
        assert_close(o.data[32 * 32 - 1], (off + 31) * W + off + 31, 0);
        io_image_free(&o);
        io_image_free(&in);
    }
    assert_int_equal(io_image_alloc(&in, 4, 4, 2, err, sizeof err), 0);
    assert_int_equal(io_image_crop(&in, 3, 0, 2, 2, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "not inside"));
    assert_int_equal(io_image_center_crop(&in, 5, 4, &o, err, sizeof err), -1);
    assert_int_equal(io_image_crop(&in, 1, 2, 3, 2, &o, err, sizeof err), 0);
    assert_int_equal(o.channels, 2);
    io_image_free(&o);
    in.data[0] = 0.25;
    io_image_map_range(&in, -1.0, 1.0);
    assert_close(in.data[0], -0.5, 0);
    assert_close(in.data[1], -1.0, 0);
    io_image_free(&in);
}

/* PIL's resize((6, 4), BILINEAR) and (NEAREST) of the float image [[0, .5, 1], [.25, .75,
 * .125]] (python3-pil 9.4.0, mode 'F'): torch's interpolate(align_corners=False) agrees. */
static const double up_bilinear[] = {0.0, 0.125, 0.375, 0.625, 0.875, 1.0,
    0.0625, 0.1875, 0.4375, 0.6171875, 0.7265625, 0.78125,
    0.1875, 0.3125, 0.5625, 0.6015625, 0.4296875, 0.34375,
    0.25, 0.375, 0.625, 0.59375, 0.28125, 0.125};
static const double up_nearest[] = {0.0, 0.0, 0.5, 0.5, 1.0, 1.0, 0.0, 0.0, 0.5, 0.5, 1.0, 1.0,
    0.25, 0.25, 0.75, 0.75, 0.125, 0.125, 0.25, 0.25, 0.75, 0.75, 0.125, 0.125};

/* torch.nn.functional.interpolate(mode='bicubic') of the same image (Debian python3-torch
 * 1.13, float64): size (4, 6) with align_corners=False, and (3, 5) with align_corners=True. */
static const double up_bicubic[] = {-0.0791015625, 0.06516456604003906, 0.2951030731201172,
    0.6665306091308594, 0.9696998596191406, 1.1575336456298828, 0.00390625, 0.16130447387695312,
    0.4175071716308594, 0.6649093627929688, 0.7638015747070312, 0.8276100158691406, 0.140625,
    0.3196525573730469, 0.6191139221191406, 0.6622390747070312, 0.42467498779296875,
    0.2842063903808594, 0.2236328125, 0.41579246520996094, 0.7415180206298828, 0.6606178283691406,
    0.21877670288085938, -0.04571723937988281};
static const double up_bicubic_corners[] = {0.0, 0.203125, 0.5, 0.796875, 1.0, 0.125, 0.380859375,
    0.625, 0.640625, 0.5625, 0.25, 0.55859375, 0.75, 0.484375, 0.125};

static void test_upsample(void **state) {
    (void)state;
    char err[256];
    io_image in, o;
    assert_int_equal(io_image_alloc(&in, 3, 2, 1, err, sizeof err), 0);
    double v[6] = {0.0, 0.5, 1.0, 0.25, 0.75, 0.125};
    memcpy(in.data, v, sizeof v);
    assert_int_equal(io_image_upsample(&in, 6, 4, IO_INTERP_BILINEAR, 0, &o, err, sizeof err), 0);
    for (int i = 0; i < 24; i++) assert_close(o.data[i], up_bilinear[i], 1e-15);
    io_image_free(&o);
    assert_int_equal(io_image_upsample(&in, 6, 4, IO_INTERP_NEAREST, 0, &o, err, sizeof err), 0);
    for (int i = 0; i < 24; i++) assert_close(o.data[i], up_nearest[i], 0);
    io_image_free(&o);
    assert_int_equal(io_image_upsample(&in, 6, 4, IO_INTERP_BICUBIC, 0, &o, err, sizeof err), 0);
    for (int i = 0; i < 24; i++) assert_close(o.data[i], up_bicubic[i], 1e-15);
    io_image_free(&o);
    assert_int_equal(io_image_upsample(&in, 5, 3, IO_INTERP_BICUBIC, 1, &o, err, sizeof err), 0);
    for (int i = 0; i < 15; i++) assert_close(o.data[i], up_bicubic_corners[i], 1e-15);
    io_image_free(&o);
    /* align_corners: corners map to corners, 3 -> 5 puts the inputs at 0, 2, 4. */
    assert_int_equal(io_image_upsample(&in, 5, 3, IO_INTERP_BILINEAR, 1, &o, err, sizeof err), 0);
    assert_close(o.data[0], 0.0, 1e-15);
    assert_close(o.data[1], 0.25, 1e-15);
    assert_close(o.data[4], 1.0, 1e-15);
    assert_close(o.data[5], (0.0 + 0.25) / 2, 1e-15);
    assert_close(o.data[14], 0.125, 1e-15);
    io_image_free(&o);
    assert_int_equal(io_image_upsample(&in, 2, 4, IO_INTERP_BILINEAR, 0, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "smaller"));
    io_image_free(&in);
}

/* ---- the reference pipeline ----------------------------------------------------------------- */

/* Synthetic images through the peer's load_image (peer_qiren_torch.py), PIL values before
 * (t - 0.5) / 0.5. Produced with Debian bookworm /usr/bin/python3 (python3-pil 9.4.0,
 * python3-numpy 1.24.2, python3-skimage 0.19.3): the arrays below saved with
 * Image.fromarray(a).save(...), then load_image(path, side) without its torch lines.
 * A: RGB 10x6, (R, G, B) = ((23x + 41y) % 256, (57x + 13y + 80) % 256, (11x + 97y + 160) % 256),
 *    side 4: resize to 6x4, crop at x = 1.
 * B: gray 5x9, (53x + 29y + 7) % 256, side 3: resize to 3x5 (mode 'L'), crop at y = 1.
 * D: RGBA 9x12 (A's colours, alpha (7x + y) % 256), side 5: 5x6, crop at y = round(0.5) = 0. */
static const double synth_a[] = {0.583838164806366, 0.4126446843147278, 0.5175999999046326,
    0.6768309473991394, 0.5764106512069702, 0.33663851022720337, 0.5980184078216553,
    0.6667367815971375, 0.693931519985199, 0.409714937210083, 0.5968087911605835,
    0.2968958914279938, 0.5042322278022766, 0.3601333498954773, 0.6034180521965027,
    0.36364591121673584};
static const int synth_b[] = {92, 175, 139, 146, 152, 82, 180, 74, 110};
static const double synth_d_row0[] = {0.40247124433517456, 0.5572651624679565,
    0.3813405930995941, 0.6505224108695984, 0.5592264533042908};
static const double synth_d_row4[] = {0.6508849263191223, 0.4233305752277374,
    0.6408313512802124, 0.4532788395881653, 0.399027019739151};

static void write_u8(const char *path, int w, int h, int ch, int (*f)(int x, int y, int c)) {
    char err[256];
    io_image img;
    assert_int_equal(io_image_alloc(&img, w, h, ch, err, sizeof err), 0);
    for (int c = 0; c < ch; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) img.data[(c * h + y) * w + x] = f(x, y, c) / 255.0;
    assert_int_equal(io_image_write_png(path, &img, 0.0, 1.0, err, sizeof err), 0);
    io_image_free(&img);
}

static int colours(int x, int y, int c) {
    return c == 0 ? (x * 23 + y * 41) % 256 : c == 1 ? (x * 57 + y * 13 + 80) % 256
         : c == 2 ? (x * 11 + y * 97 + 160) % 256 : (x * 7 + y) % 256;
}
static int grays(int x, int y, int c) {
    (void)c;
    return (x * 53 + y * 29 + 7) % 256;
}

static void test_prepare_synthetic(void **state) {
    (void)state;
    char err[256];
    double out[49];
    const char *p = test_tmp_path("synth.png");
    write_u8(p, 10, 6, 3, colours);
    assert_int_equal(io_image_prepare(p, 4, 0.0, 1.0, out, err, sizeof err), 0);
    for (int i = 0; i < 16; i++) assert_true(out[i] == synth_a[i]);
    assert_int_equal(io_image_prepare(p, 4, -1.0, 1.0, out, err, sizeof err), 0);
    for (int i = 0; i < 16; i++) assert_close(out[i], 2 * synth_a[i] - 1, 1e-15);
    write_u8(p, 5, 9, 1, grays);
    assert_int_equal(io_image_prepare(p, 3, 0.0, 1.0, out, err, sizeof err), 0);
    for (int i = 0; i < 9; i++) assert_close(out[i] * 255.0, synth_b[i], 1e-12);
    write_u8(p, 9, 12, 4, colours);
    assert_int_equal(io_image_prepare(p, 5, 0.0, 1.0, out, err, sizeof err), 0);
    for (int i = 0; i < 5; i++) {
        assert_true(out[i] == synth_d_row0[i]);
        assert_true(out[20 + i] == synth_d_row4[i]);
    }
    /* No resize when the shorter side already fits: a plain crop of the 8-bit values. */
    write_u8(p, 7, 7, 1, grays);
    assert_int_equal(io_image_prepare(p, 7, 0.0, 1.0, out, err, sizeof err), 0);
    assert_close(out[8] * 255.0, grays(1, 1, 0), 1e-12);
    assert_int_equal(io_image_prepare(test_tmp_path("none.png"), 32, -1, 1, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "none.png"));
    assert_int_equal(io_image_prepare(p, 0, -1, 1, out, err, sizeof err), -1);
}

/* The reference images at 32x32 (and astronaut at 64x64, the superresolution target) through
 * the peer's load_image with Debian bookworm /usr/bin/python3 (python3-pil 9.4.0,
 * python3-skimage 0.19.3, python3-numpy 1.24.2): raw = the PIL image after the crop (float32
 * for colour, uint8 for camera), t = (raw[/255] - 0.5) / 0.5 in float32 as the peer computes
 * it; pixels 0, 33, n/2 + 5, n - 1 and the float64 mean of t. qnn reproduces raw bit for bit
 * and t to float32 rounding (qnn maps in float64). */
typedef struct {
    const char *file;
    int side;
    double raw[4], t[4], mean;
} ref_image;

static const ref_image refs[] = {
    {"astronaut.png", 32,
     {0.41975244879722595, 0.11167959123849869, 0.5563717484474182, 0.2265273630619049},
     {-0.1604951024055481, -0.7766408324241638, 0.11274349689483643, -0.5469452738761902},
     -0.11619312793482095},
    {"camera.png", 32, {200, 201, 26, 143},
     {0.5686274766921997, 0.5764706134796143, -0.7960784435272217, 0.12156867980957031},
     0.012231945875100791},
    {"coffee.png", 32,
     {0.11325584352016449, 0.15103520452976227, 0.305808424949646, 0.4171265959739685},
     {-0.7734882831573486, -0.6979296207427979, -0.388383150100708, -0.165746808052063},
     -0.28147609368897974},
    {"astronaut.png", 64,
     {0.6985685229301453, 0.7798780798912048, 0.6327446699142456, 0.17174234986305237},
     {0.3971370458602905, 0.5597561597824097, 0.2654893398284912, -0.6565153002738953},
     -0.11607467754220124},
};

static void test_prepare_reference_images(void **state) {
    (void)state;
    const char *dir = test_data_dir();
    if (!dir) skip();
    char err[256], path[512];
    for (size_t k = 0; k < sizeof refs / sizeof refs[0]; k++) {
        const ref_image *r = &refs[k];
        snprintf(path, sizeof path, "%s/%s", dir, r->file);
        size_t n = (size_t)r->side * (size_t)r->side;
        double *raw = malloc(n * sizeof *raw), *t = malloc(n * sizeof *t);
        if (io_image_prepare(path, r->side, 0.0, 1.0, raw, err, sizeof err) != 0) fail_msg("%s", err);
        assert_int_equal(io_image_prepare(path, r->side, -1.0, 1.0, t, err, sizeof err), 0);
        size_t idx[4] = {0, 33, n / 2 + 5, n - 1};
        double scale = r->raw[0] > 1.0 ? 255.0 : 1.0; /* camera: 8-bit values */
        double mean = 0.0;
        for (size_t i = 0; i < n; i++) mean += t[i];
        mean /= (double)n;
        for (int i = 0; i < 4; i++) {
            assert_close(raw[idx[i]] * scale, r->raw[i], 1e-13);
            if (scale == 1.0) assert_true(raw[idx[i]] == r->raw[i]);
            assert_close(t[idx[i]], r->t[i], 6e-8);
        }
        assert_close(mean, r->mean, 1e-7);
        for (size_t i = 0; i < n; i++) assert_true(t[i] >= -1.0 && t[i] <= 1.0);
        free(raw);
        free(t);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_every_colour_type_and_depth, test_tmp_setup,
                                        test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_write_round_trip, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test(test_gray),
        cmocka_unit_test(test_resize_matches_pil),
        cmocka_unit_test(test_resize_by_hand),
        cmocka_unit_test(test_crop),
        cmocka_unit_test(test_upsample),
        cmocka_unit_test_setup_teardown(test_prepare_synthetic, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test(test_prepare_reference_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
