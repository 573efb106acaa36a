/* io_sound: sound files through libsndfile (WAV, FLAC, OGG, ... read; WAV written
 * atomically) and the reference sound preprocessing (docs/data.md, "Sound"). */
#ifndef QNN_IO_SOUND_H
#define QNN_IO_SOUND_H
#include <stddef.h>

#define IO_SOUND_MAX_SAMPLES (1L << 28) /* frames per file */
#define IO_SOUND_MAX_CHANNELS 256

/* One channel of samples as float64: float files exactly as stored, integer PCM scaled to
 * [-1, 1) by libsndfile (v / 32768 for 16 bits). path is a copy kept for messages. */
typedef struct {
    double *samples;
    size_t n;
    int rate;      /* samples per second */
    int channels;  /* channels in the file */
    char *path;
} io_sound;

typedef enum {
    IO_SOUND_FIRST,  /* channel 0 (what the reference does with mono files) */
    IO_SOUND_MIX     /* mean of all channels */
} io_sound_channels;

int io_sound_read(const char *path, io_sound_channels which, io_sound *snd, char *err,
                  size_t errlen);
void io_sound_free(io_sound *snd);

/* Python's samples[start:stop:stride] (stop past the end is clipped; stride >= 1) into a new
 * array *out of *n values; an empty slice is an error naming the range. */
int io_sound_slice(const io_sound *snd, size_t start, size_t stop, size_t stride, double **out,
                   size_t *n, char *err, size_t errlen);

/* x /= max |x|; an all-zero (or non-finite) signal is an error. name is for the message. */
int io_sound_normalize(double *x, size_t n, const char *name, char *err, size_t errlen);

/* t[i] for i < n, evenly from a to b with both ends exact; computed from the nearer end as
 * torch.linspace does, so the grid is symmetric. n == 1 gives a. */
void io_linspace(double *t, size_t n, double a, double b);

typedef enum { IO_WAV_FLOAT, IO_WAV_PCM16 } io_wav_format;

/* Writes mono x[n] as WAV at rate, atomically. PCM16 stores lrint(32767 * x) clamped to
 * [-1, 1]; NaN is written as 0 in both formats. */
int io_sound_write_wav(const char *path, const double *x, size_t n, int rate,
                       io_wav_format format, char *err, size_t errlen);

/* The reference pipeline (peer_qiren_torch.py load_wav): channel 0, samples
 * [start:stop:stride], divided by their maximum absolute value; times = linspace(-1, 1, n).
 * *values and *times are new arrays of *n values; rate may be NULL. */
int io_sound_prepare(const char *path, size_t start, size_t stop, size_t stride,
                     double **values, double **times, size_t *n, int *rate, char *err,
                     size_t errlen);
#endif
