/* io_sound: reads sound files with libsndfile into one float64 channel, slices and normalises
 * them as the reference loader does, and writes WAV files atomically. */
#include "io_sound.h"

#include "io_file.h"

#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK_FRAMES 4096

void io_sound_free(io_sound *snd) {
    if (!snd) return;
    free(snd->samples);
    free(snd->path);
    memset(snd, 0, sizeof *snd);
}

/* What is wrong with a file libsndfile would not open, in the user's terms: its own wording
 * ("Internal error : SF_INFO struct incomplete.") speaks of its API, not of the file. Details
 * about the file itself ("No 'data' chunk marker.") are kept. */
static void open_error(const char *path, FILE *fp, char *err, size_t errlen) {
    int code = sf_error(NULL);
    const char *why = sf_strerror(NULL);
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && st.st_size == 0) {
        io_errf(err, errlen, "%s: cannot read sound: the file is empty", path);
    } else if (code == SF_ERR_UNRECOGNISED_FORMAT) {
        io_errf(err, errlen, "%s: cannot read sound: not a sound file of a known format (WAV, "
                "FLAC, OGG, AIFF, ...)", path);
    } else if (code == SF_ERR_UNSUPPORTED_ENCODING) {
        io_errf(err, errlen, "%s: cannot read sound: the file's encoding is not supported", path);
    } else if (code == SF_ERR_SYSTEM) {
        io_errf(err, errlen, "%s: cannot read sound: read error", path);
    } else if (!why || strstr(why, "SF_") || strstr(why, "struct") || strstr(why, "nternal") ||
               strstr(why, "pointer") || strstr(why, "libsndfile")) {
        io_errf(err, errlen, "%s: cannot read sound: the header is damaged or incomplete", path);
    } else {
        io_errf(err, errlen, "%s: cannot read sound: the header is damaged (%.120s)", path, why);
    }
}

/* libsndfile reads through these callbacks on our checked stream (sf_open_virtual): its
 * sf_open would block on a FIFO, and sf_open_fd closes the descriptor on a failed open even
 * when told not to, so that ours would be closed twice. */
static sf_count_t vio_len(void *fp) {
    struct stat st;
    return fstat(fileno((FILE *)fp), &st) == 0 ? (sf_count_t)st.st_size : -1;
}
static sf_count_t vio_seek(sf_count_t off, int whence, void *fp) {
    return fseeko((FILE *)fp, (off_t)off, whence) == 0 ? (sf_count_t)ftello((FILE *)fp) : -1;
}
static sf_count_t vio_read(void *buf, sf_count_t n, void *fp) {
    return (sf_count_t)fread(buf, 1, (size_t)n, (FILE *)fp);
}
static sf_count_t vio_write(const void *buf, sf_count_t n, void *fp) {
    (void)buf, (void)n, (void)fp;
    return 0; /* read-only */
}
static sf_count_t vio_tell(void *fp) { return (sf_count_t)ftello((FILE *)fp); }

int io_sound_read(const char *path, io_sound_channels which, io_sound *snd, char *err,
                  size_t errlen) {
    memset(snd, 0, sizeof *snd);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    FILE *fp = io_fopen_input(path, err, errlen); /* a regular file, or refused at once */
    if (!fp) return -1;
    SF_VIRTUAL_IO vio = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
    SNDFILE *sf = sf_open_virtual(&vio, SFM_READ, &info, fp);
    if (!sf) {
        open_error(path, fp, err, errlen);
        fclose(fp);
        return -1;
    }
    int rc = -1;
    double *buf = NULL;
    if (info.channels < 1 || info.channels > IO_SOUND_MAX_CHANNELS) {
        io_errf(err, errlen, "%s: %d channels (1 to %d are supported)", path, info.channels,
                IO_SOUND_MAX_CHANNELS);
        goto done;
    }
    if (info.samplerate <= 0) {
        io_errf(err, errlen, "%s: invalid sample rate %d", path, info.samplerate);
        goto done;
    }
    /* frames is a hint (streams may not know it); the loop below trusts only what it reads. */
    if (info.frames > IO_SOUND_MAX_SAMPLES) {
        io_errf(err, errlen, "%s: %lld samples, more than the limit of %ld", path,
                (long long)info.frames, (long)IO_SOUND_MAX_SAMPLES);
        goto done;
    }
    /* A header may claim more than the file holds: start at most at 1 Mi and grow. */
    size_t cap = info.frames > 0 && info.frames < (1 << 20) ? (size_t)info.frames : (1 << 20);
    snd->samples = malloc(cap * sizeof *snd->samples);
    buf = malloc((size_t)CHUNK_FRAMES * (size_t)info.channels * sizeof *buf);
    snd->path = malloc(strlen(path) + 1);
    if (!snd->samples || !buf || !snd->path) {
        io_errf(err, errlen, "%s: out of memory for %zu samples", path, cap);
        goto done;
    }
    strcpy(snd->path, path);
    for (;;) {
        sf_count_t got = sf_readf_double(sf, buf, CHUNK_FRAMES);
        if (got <= 0) break;
        if (snd->n + (size_t)got > (size_t)IO_SOUND_MAX_SAMPLES) {
            io_errf(err, errlen, "%s: more than the limit of %ld samples", path,
                    (long)IO_SOUND_MAX_SAMPLES);
            goto done;
        }
        if (snd->n + (size_t)got > cap) {
            while (snd->n + (size_t)got > cap) cap *= 2;
            double *p = realloc(snd->samples, cap * sizeof *p);
            if (!p) {
                io_errf(err, errlen, "%s: out of memory for %zu samples", path, cap);
                goto done;
            }
            snd->samples = p;
        }
        for (sf_count_t f = 0; f < got; f++) {
            const double *fr = buf + (size_t)f * (size_t)info.channels;
            double v = fr[0];
            if (which == IO_SOUND_MIX) {
                for (int c = 1; c < info.channels; c++) v += fr[c];
                v /= info.channels;
            }
            /* A float file may hold NaN or infinity: refused here, with its place, rather
             * than later as a "diverged" loss (normalisation is optional). */
            if (!isfinite(v)) {
                io_errf(err, errlen, "%s: sample %zu (%.3f s) is not a finite number", path,
                        snd->n, (double)snd->n / info.samplerate);
                goto done;
            }
            snd->samples[snd->n++] = v;
        }
    }
    if (sf_error(sf) != SF_ERR_NO_ERROR) {
        io_errf(err, errlen, "%s: read error: the file is damaged after its header", path);
        goto done;
    }
    if (info.frames > 0 && (sf_count_t)snd->n < info.frames) {
        io_errf(err, errlen, "%s: file is truncated (read %zu of %lld samples)", path, snd->n,
                (long long)info.frames);
        goto done;
    }
    snd->rate = info.samplerate;
    snd->channels = info.channels;
    rc = 0;
done:
    free(buf);
    sf_close(sf);
    fclose(fp);
    if (rc != 0) io_sound_free(snd);
    return rc;
}

int io_sound_slice(const io_sound *snd, size_t start, size_t stop, size_t stride, double **out,
                   size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    const char *name = snd->path ? snd->path : "sound";
    if (stride < 1) {
        io_errf(err, errlen, "%s: slice stride must be at least 1", name);
        return -1;
    }
    size_t end = stop < snd->n ? stop : snd->n;
    if (start >= end) {
        io_errf(err, errlen, "%s: no samples in [%zu, %zu) (the file has %zu)", name, start,
                stop, snd->n);
        return -1;
    }
    size_t m = (end - start + stride - 1) / stride;
    double *v = malloc(m * sizeof *v);
    if (!v) {
        io_errf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    for (size_t i = 0; i < m; i++) v[i] = snd->samples[start + i * stride];
    *out = v;
    *n = m;
    return 0;
}

int io_sound_normalize(double *x, size_t n, const char *name, char *err, size_t errlen) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            io_errf(err, errlen, "%s: sample %zu is not a finite number", name, i);
            return -1;
        }
        if (fabs(x[i]) > m) m = fabs(x[i]);
    }
    if (m == 0.0) {
        io_errf(err, errlen, "%s: all %zu samples are zero: cannot normalise", name, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) x[i] /= m;
    return 0;
}

void io_linspace(double *t, size_t n, double a, double b) {
    if (n == 0) return;
    if (n == 1) {
        t[0] = a;
        return;
    }
    double step = (b - a) / (double)(n - 1);
    size_t half = n / 2;
    for (size_t i = 0; i < n; i++)
        t[i] = i < half ? a + step * (double)i : b - step * (double)(n - 1 - i);
}

int io_sound_write_wav(const char *path, const double *x, size_t n, int rate,
                       io_wav_format format, char *err, size_t errlen) {
    if (rate <= 0 || rate > 10000000) {
        io_errf(err, errlen, "%s: invalid sample rate %d", path, rate);
        return -1;
    }
    if (n > (size_t)IO_SOUND_MAX_SAMPLES) {
        io_errf(err, errlen, "%s: %zu samples, more than the limit of %ld", path, n,
                (long)IO_SOUND_MAX_SAMPLES);
        return -1;
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | (format == IO_WAV_PCM16 ? SF_FORMAT_PCM_16 : SF_FORMAT_FLOAT);
    io_atomic a;
    if (io_atomic_open(&a, path, err, errlen) != 0) return -1;
    /* libsndfile writes through the temporary file's descriptor and leaves it open for the
     * commit (close_desc = 0). */
    SNDFILE *sf = sf_open_fd(a.fd, SFM_WRITE, &info, 0);
    if (!sf) {
        io_errf(err, errlen, "%s: cannot write sound: %s", path, sf_strerror(NULL));
        io_atomic_abort(&a);
        return -1;
    }
    /* No PEAK chunk: it carries a timestamp, and the same samples must give the same bytes. */
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    float fbuf[CHUNK_FRAMES];
    short sbuf[CHUNK_FRAMES];
    int ok = 1;
    for (size_t i = 0; i < n && ok; i += CHUNK_FRAMES) {
        size_t m = n - i < CHUNK_FRAMES ? n - i : CHUNK_FRAMES;
        sf_count_t put;
        if (format == IO_WAV_PCM16) {
            for (size_t k = 0; k < m; k++) {
                double v = x[i + k];
                v = isnan(v) ? 0.0 : v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v;
                sbuf[k] = (short)lrint(32767.0 * v);
            }
            put = sf_writef_short(sf, sbuf, (sf_count_t)m);
        } else {
            for (size_t k = 0; k < m; k++) fbuf[k] = isnan(x[i + k]) ? 0.0f : (float)x[i + k];
            put = sf_writef_float(sf, fbuf, (sf_count_t)m);
        }
        ok = put == (sf_count_t)m;
    }
    if (!ok) io_errf(err, errlen, "%s: cannot write sound: %s", path, sf_strerror(sf));
    if (sf_close(sf) != 0 && ok) {
        io_errf(err, errlen, "%s: cannot finish sound file", path);
        ok = 0;
    }
    if (!ok) {
        io_atomic_abort(&a);
        return -1;
    }
    return io_atomic_commit(&a, err, errlen);
}

int io_sound_prepare(const char *path, size_t start, size_t stop, size_t stride,
                     double **values, double **times, size_t *n, int *rate, char *err,
                     size_t errlen) {
    *values = *times = NULL;
    *n = 0;
    io_sound snd;
    if (io_sound_read(path, IO_SOUND_FIRST, &snd, err, errlen) != 0) return -1;
    double *v = NULL;
    size_t m = 0;
    int rc = io_sound_slice(&snd, start, stop, stride, &v, &m, err, errlen);
    if (rc == 0) rc = io_sound_normalize(v, m, path, err, errlen);
    double *t = rc == 0 ? malloc(m * sizeof *t) : NULL;
    if (rc == 0 && !t) {
        io_errf(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    if (rc == 0) {
        io_linspace(t, m, -1.0, 1.0);
        *values = v;
        *times = t;
        *n = m;
        if (rate) *rate = snd.rate;
    } else {
        free(v);
    }
    io_sound_free(&snd);
    return rc;
}
