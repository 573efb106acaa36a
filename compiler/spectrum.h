/* qnnc spectrum: the frequencies a data re-uploading circuit can express in each of its inputs
 * (Schuld, Sweke & Meyer 2021: the differences of sums of the encoding gates' generator
 * eigenvalues), from the lowered IR; with a checkpoint, the trained model's actual Fourier
 * coefficients along one input (the others 0), against that set. */
#ifndef QNN_SPECTRUM_H
#define QNN_SPECTRUM_H

#include "ir.h"
#include "sema.h"

/* How input i enters the circuit. */
typedef enum {
    SPEC_NONE,        /* no gate depends on it: the output is constant in it, spectrum {0} */
    SPEC_DISCRETE,    /* every angle is c * x_i + (anything free of x_i), c a constant */
    SPEC_TRAINABLE,   /* some c depends on a parameter: the frequencies move while training */
    SPEC_OTHER_INPUT, /* some c depends on another input */
    SPEC_NONLINEAR,   /* some angle is not affine in x_i (sin(x), x * x): not a Fourier series */
    SPEC_UNKNOWN_GATE /* x_i drives a gate whose generator this analysis does not know */
} spec_kind;

typedef struct {
    spec_kind kind;
    int n_gates;     /* encoding gates (angles that depend on x_i) */
    double *freq;    /* SPEC_DISCRETE / SPEC_NONE: the frequencies, ascending (malloc'ed) */
    int n_freq;
    int too_many;    /* more than SPEC_MAX_FREQ frequencies: freq is not filled */
    int op;          /* the op that decided a non-discrete kind (its angle, its line) */
} spec_input;

enum { SPEC_MAX_FREQ = 1 << 16 };

/* The spectrum of input i of c (lowered, unfused IR). Free with spec_input_free. */
void spec_analyse(const ir_circuit *c, int i, spec_input *out);
void spec_input_free(spec_input *s);

typedef struct {
    const char *experiment; /* only this experiment (main has checked it exists) */
    int layer;              /* -1: every quantum layer */
    const char *checkpoint; /* trained weights: the model's Fourier coefficients along x[input] */
    int input;              /* --input J: the model input varied (the others 0) */
    const char *out_dir;    /* where --checkpoint writes fourier.csv and fourier.png */
    int quiet;
} spectrum_options;

/* 0, or 1 after one line on stderr. */
int spectrum_command(const sema_result *r, const char *file, const spectrum_options *o);

#endif
