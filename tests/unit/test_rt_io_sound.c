/* Tests of io_sound: WAV round trips (float and 16-bit), channels, FLAC/OGG through
 * libsndfile, slicing and normalisation, corrupt files, and the reference bach slice. */
#include "testutil.h"

#include "io_sound.h"

#include <dirent.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

static int count_tmp_files(void) {
    DIR *d = opendir(test_tmpdir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}

static void test_wav_float_round_trip(void **state) {
    (void)state;
    char err[256];
    double x[300];
    for (int i = 0; i < 300; i++) x[i] = sin(0.05 * i) * 0.8;
    x[7] = NAN; /* written as 0 */
    const char *p = test_tmp_path("f.wav");
    assert_int_equal(io_sound_write_wav(p, x, 300, 22050, IO_WAV_FLOAT, err, sizeof err), 0);
    assert_int_equal(count_tmp_files(), 0);
    io_sound s;
    assert_int_equal(io_sound_read(p, IO_SOUND_FIRST, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 300);
    assert_int_equal(s.rate, 22050);
    assert_int_equal(s.channels, 1);
    for (int i = 0; i < 300; i++)
        if (i != 7) assert_true(s.samples[i] == (double)(float)x[i]); /* float32 exactly */
    assert_true(s.samples[7] == 0.0);
    io_sound_free(&s);
}

static void test_wav_pcm16_round_trip(void **state) {
    (void)state;
    char err[256];
    double x[5] = {0.0, 0.5, -0.25, 1.5, -2.0};
    const char *p = test_tmp_path("s.wav");
    assert_int_equal(io_sound_write_wav(p, x, 5, 8000, IO_WAV_PCM16, err, sizeof err), 0);
    io_sound s;
    assert_int_equal(io_sound_read(p, IO_SOUND_FIRST, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 5);
    /* Stored lrint(32767 x) after clamping; libsndfile reads v / 32768. */
    double want[5] = {0.0, 16384 / 32768.0, -8192 / 32768.0, 32767 / 32768.0, -32767 / 32768.0};
    for (int i = 0; i < 5; i++) assert_close(s.samples[i], want[i], 1e-15);
    io_sound_free(&s);
    assert_int_equal(io_sound_write_wav(p, x, 5, 0, IO_WAV_PCM16, err, sizeof err), -1);
    assert_non_null(strstr(err, "rate"));
    const char *q = test_tmp_path("missing/dir.wav");
    assert_int_equal(io_sound_write_wav(q, x, 5, 8000, IO_WAV_FLOAT, err, sizeof err), -1);
    assert_non_null(strstr(err, q));
    assert_int_equal(count_tmp_files(), 0);
}

/* Writes a multi-channel file of the given format with libsndfile itself. */
static int write_with_sndfile(const char *path, int format, int channels, const double *inter,
                              int frames) {
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = 16000;
    info.channels = channels;
    info.format = format;
    if (!sf_format_check(&info)) return -1;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) return -1;
    sf_count_t put = sf_writef_double(sf, inter, frames);
    sf_close(sf);
    return put == frames ? 0 : -1;
}

static void test_stereo_first_and_mix(void **state) {
    (void)state;
    char err[256];
    double inter[20];
    for (int f = 0; f < 10; f++) inter[2 * f] = 0.5, inter[2 * f + 1] = -0.25 + f * 0.0625;
    const char *p = test_tmp_path("st.wav");
    assert_int_equal(write_with_sndfile(p, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, inter, 10), 0);
    io_sound s;
    assert_int_equal(io_sound_read(p, IO_SOUND_FIRST, &s, err, sizeof err), 0);
    assert_int_equal(s.channels, 2);
    assert_int_equal(s.n, 10);
    assert_true(s.samples[3] == 0.5);
    io_sound_free(&s);
    assert_int_equal(io_sound_read(p, IO_SOUND_MIX, &s, err, sizeof err), 0);
    for (int f = 0; f < 10; f++) assert_close(s.samples[f], (0.5 + inter[2 * f + 1]) / 2, 1e-15);
    io_sound_free(&s);
}

static void test_flac_and_ogg(void **state) {
    (void)state;
    char err[256];
    double x[400];
    for (int i = 0; i < 400; i++) x[i] = 0.5 * sin(0.1 * i);
    const char *p = test_tmp_path("a.flac");
    SF_INFO probe = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16};
    if (!sf_format_check(&probe)) skip(); /* libsndfile built without FLAC/Vorbis */
    if (write_with_sndfile(p, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1, x, 400) == 0) {
        io_sound s;
        assert_int_equal(io_sound_read(p, IO_SOUND_FIRST, &s, err, sizeof err), 0);
        assert_int_equal(s.n, 400);
        assert_int_equal(s.rate, 16000);
        for (int i = 0; i < 400; i++) assert_close(s.samples[i], x[i], 1.0 / 32768); /* 16 bits */
        io_sound_free(&s);
    }
    p = test_tmp_path("a.ogg");
    if (write_with_sndfile(p, SF_FORMAT_OGG | SF_FORMAT_VORBIS, 1, x, 400) == 0) {
        io_sound s;
        assert_int_equal(io_sound_read(p, IO_SOUND_FIRST, &s, err, sizeof err), 0);
        assert_int_equal(s.n, 400);
        io_sound_free(&s); /* lossy: only the length is checked */
    }
}

static void test_slice_and_normalize(void **state) {
    (void)state;
    char err[256];
    io_sound s;
    memset(&s, 0, sizeof s);
    double v[20];
    for (int i = 0; i < 20; i++) v[i] = i - 10;
    s.samples = v;
    s.n = 20;
    s.path = (char *)"x.wav";
    double *o;
    size_t n;
    assert_int_equal(io_sound_slice(&s, 2, 12, 3, &o, &n, err, sizeof err), 0);
    assert_int_equal(n, 4); /* 2, 5, 8, 11 */
    assert_close(o[3], 1.0, 0);
    assert_int_equal(io_sound_normalize(o, n, "x.wav", err, sizeof err), 0);
    assert_close(o[0], -1.0, 0); /* -8 / 8 */
    assert_close(o[3], 1.0 / 8, 0);
    free(o);
    assert_int_equal(io_sound_slice(&s, 15, 1000, 5, &o, &n, err, sizeof err), 0);
    assert_int_equal(n, 1); /* stop past the end is clipped, as Python does */
    free(o);
    assert_int_equal(io_sound_slice(&s, 20000, 25000, 5, &o, &n, err, sizeof err), -1);
    assert_string_equal(err, "x.wav: no samples in [20000, 25000) (the file has 20)");
    assert_null(o);
    assert_int_equal(io_sound_slice(&s, 0, 5, 0, &o, &n, err, sizeof err), -1);
    double z[3] = {0, 0, 0};
    assert_int_equal(io_sound_normalize(z, 3, "z.wav", err, sizeof err), -1);
    assert_non_null(strstr(err, "z.wav: all 3 samples are zero"));
    z[1] = INFINITY;
    assert_int_equal(io_sound_normalize(z, 3, "z.wav", err, sizeof err), -1);
}

static void test_linspace(void **state) {
    (void)state;
    double t[1000];
    io_linspace(t, 1000, -1.0, 1.0);
    assert_true(t[0] == -1.0 && t[999] == 1.0);
    for (int i = 0; i < 500; i++) assert_true(t[i] == -t[999 - i]); /* exactly symmetric */
    for (int i = 0; i < 1000; i++) assert_close(t[i], -1.0 + 2.0 * i / 999, 1e-15);
    io_linspace(t, 1, -1.0, 1.0);
    assert_true(t[0] == -1.0);
    io_linspace(t, 2, -1.0, 1.0);
    assert_true(t[0] == -1.0 && t[1] == 1.0);
    io_linspace(t, 5, -1.0, 1.0);
    assert_true(t[2] == 0.0);
}

static void test_corrupt_files(void **state) {
    (void)state;
    char err[256] = "";
    io_sound s;
    const char *p = test_tmp_path("missing.wav");
    assert_int_equal(io_sound_read(p, IO_SOUND_FIRST, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    assert_null(s.samples);
    p = test_tmp_path("text.wav");
    FILE *f = fopen(p, "wb");
    fputs("this is not a sound file, just some text that is long enough", f);
    fclose(f);
    assert_int_equal(io_sound_read(p, IO_SOUND_FIRST, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    /* Every truncation and some damage of a valid file: an error or a shorter sound, never a
     * crash. */
    double x[500];
    for (int i = 0; i < 500; i++) x[i] = sin(0.3 * i);
    const char *good = test_tmp_path("good.wav");
    assert_int_equal(io_sound_write_wav(good, x, 500, 8000, IO_WAV_FLOAT, err, sizeof err), 0);
    f = fopen(good, "rb");
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const char *bad = test_tmp_path("bad.wav");
    for (size_t cut = 0; cut < n; cut += (cut < 80 ? 1 : 97)) {
        f = fopen(bad, "wb");
        fwrite(buf, 1, cut, f);
        fclose(f);
        if (io_sound_read(bad, IO_SOUND_MIX, &s, err, sizeof err) == 0) {
            assert_true(s.n <= 500);
            io_sound_free(&s);
        } else {
            assert_non_null(strstr(err, bad));
        }
    }
    srand(7);
    for (int it = 0; it < 200; it++) {
        unsigned char c[4096];
        memcpy(c, buf, n);
        c[(size_t)rand() % 64] ^= (unsigned char)(1 + rand() % 255);
        f = fopen(bad, "wb");
        fwrite(c, 1, n, f);
        fclose(f);
        if (io_sound_read(bad, IO_SOUND_MIX, &s, err, sizeof err) == 0) io_sound_free(&s);
    }
}

/* Writes n bytes to a new file in the test folder and returns its path. */
static const char *put_bytes(const char *name, const void *b, size_t n) {
    const char *p = test_tmp_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
    return p;
}

static void expect_sound_error(const char *p, const char *want) {
    char err[256] = "";
    io_sound s;
    assert_int_equal(io_sound_read(p, IO_SOUND_FIRST, &s, err, sizeof err), -1);
    assert_null(s.samples);
    if (strncmp(err, p, strlen(p)) != 0 || !strstr(err, want))
        fail_msg("got '%s', want the file and '%s'", err, want);
    /* libsndfile's API words never reach the user (D21) */
    assert_null(strstr(err, "SF_INFO"));
    assert_null(strstr(err, "struct"));
    assert_null(strstr(err, "nternal"));
}

/* D21, D12, D8: what the user reads about a file libsndfile cannot open; NaN samples; FIFOs. */
static void test_open_errors_in_plain_words(void **state) {
    (void)state;
    expect_sound_error(put_bytes("empty.wav", "", 0), "cannot read sound: the file is empty");
    expect_sound_error(put_bytes("text.wav", "hello, not a sound\n", 19),
                       "cannot read sound: not a sound file of a known format");
    /* sample rate 0: libsndfile says "Internal error : SF_INFO struct incomplete." */
    static const unsigned char rate0[48] = {
        'R', 'I', 'F', 'F', 40, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ', 16, 0, 0, 0,
        1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 16, 0, 'd', 'a', 't', 'a', 4, 0, 0, 0};
    expect_sound_error(put_bytes("rate0.wav", rate0, sizeof rate0),
                       "cannot read sound: the header is damaged or incomplete");
    /* a float WAV with a NaN sample: refused with its place (normalisation may be off) */
    double x[4] = {0.5, NAN, -0.25, 1.0};
    const char *p = test_tmp_path("nan.wav");
    char err[256];
    assert_int_equal(io_sound_write_wav(p, x, 4, 8000, IO_WAV_FLOAT, err, sizeof err), 0);
    io_sound s;
    /* the writer stores NaN as 0: patch the second float of the data chunk to a NaN */
    FILE *f = fopen(p, "r+b");
    unsigned char hdr[4096];
    size_t n = fread(hdr, 1, sizeof hdr, f);
    size_t at = 0;
    for (size_t i = 12; i + 8 <= n; i++)
        if (memcmp(hdr + i, "data", 4) == 0) at = i + 8;
    assert_true(at > 0);
    static const unsigned char fnan[4] = {0, 0, 0xC0, 0x7F};
    fseek(f, (long)(at + 4), SEEK_SET);
    fwrite(fnan, 1, 4, f);
    fclose(f);
    assert_int_equal(io_sound_read(p, IO_SOUND_FIRST, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "sample 1 (0.000 s) is not a finite number"));
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/pipe.wav", test_tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    expect_sound_error(fifo, "not a regular file");
}

/* gt_bach.wav, samples [20000, 25000) stride 5, through the peer's load_wav (scipy's
 * wavfile.read, float32 division by the maximum absolute value), Debian bookworm
 * /usr/bin/python3 with python3-scipy 1.10.1 and python3-numpy 1.24.2: values 0, 1, 500, 999
 * below; max |x| 0.0067746201530098915 at index 153. qnn divides in float64, so the values
 * agree to float32 rounding. */
static void test_bach_reference_slice(void **state) {
    (void)state;
    const char *dir = test_data_dir();
    if (!dir) skip();
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/gt_bach.wav", dir);
    io_sound s;
    if (io_sound_read(path, IO_SOUND_FIRST, &s, err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(s.n, 308207);
    assert_int_equal(s.rate, 44100);
    assert_int_equal(s.channels, 1);
    assert_true(s.samples[20000 + 5 * 153] == 0.0067746201530098915); /* float32 as stored */
    io_sound_free(&s);
    double *v, *t;
    size_t n;
    int rate;
    assert_int_equal(io_sound_prepare(path, 20000, 25000, 5, &v, &t, &n, &rate, err, sizeof err), 0);
    assert_int_equal(n, 1000);
    assert_int_equal(rate, 44100);
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    assert_true(m == 1.0);
    assert_true(fabs(v[153]) == 1.0);
    static const double want[4] = {0.5853658318519592, 0.4796747863292694, 0.03252032399177551,
                                   -0.024390244856476784};
    size_t idx[4] = {0, 1, 500, 999};
    for (int i = 0; i < 4; i++) assert_close(v[idx[i]], want[i], 6e-8);
    assert_true(t[0] == -1.0 && t[999] == 1.0);
    assert_close(t[500], -1.0 + 1000.0 / 999, 1e-15);
    free(v);
    free(t);
    assert_int_equal(io_sound_prepare(path, 400000, 500000, 5, &v, &t, &n, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "no samples in [400000, 500000)"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wav_float_round_trip, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_wav_pcm16_round_trip, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_stereo_first_and_mix, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_flac_and_ogg, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test(test_slice_and_normalize),
        cmocka_unit_test(test_linspace),
        cmocka_unit_test_setup_teardown(test_open_errors_in_plain_words, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files, test_tmp_setup, test_tmp_teardown),
        cmocka_unit_test(test_bach_reference_slice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
