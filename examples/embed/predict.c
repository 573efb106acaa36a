/* Evaluates a model trained by `qnnc run examples/embed/sine.qnn` at a few coordinates,
 * through the library that `qnnc build --emit lib` writes (sine.a + sine.h). Trains nothing.
 *
 *   predict CHECKPOINT            the model at t = -1, -0.5, 0, 0.5, 1
 *   predict CHECKPOINT T...       at the given coordinates
 *   predict CHECKPOINT -          at the coordinates read from stdin, one point per line
 *
 * Prints one line per point: the coordinates, then the model's values. */
#include <stdio.h>
#include <stdlib.h>

#include "sine.h"

enum { IN = SINE_IN_DIM, OUT = SINE_OUT_DIM };

/* Reads points of IN numbers from stdin into a growing array. */
static double *read_points(size_t *n) {
    size_t cap = 64;
    double *x = malloc(sizeof(double) * IN * cap);
    *n = 0;
    while (x) {
        if (*n == cap) {
            double *bigger = realloc(x, sizeof(double) * IN * (cap *= 2));
            if (!bigger) break;
            x = bigger;
        }
        int k = 0;
        while (k < IN && scanf("%lf%*[ ,\t]", &x[*n * IN + k]) == 1) k++;
        if (k < IN) return x;
        (*n)++;
    }
    free(x);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CHECKPOINT [- | T...]\n", argv[0]);
        return 2;
    }
    static double defaults[] = {-1, -0.5, 0, 0.5, 1};
    double *x = defaults;
    size_t n = sizeof defaults / sizeof *defaults / IN;
    if (argc == 3 && argv[2][0] == '-' && !argv[2][1]) {
        x = read_points(&n);
    } else if (argc > 2) {
        n = (size_t)(argc - 2) / IN;
        x = malloc(sizeof(double) * IN * (n ? n : 1));
        for (size_t i = 0; x && i < n * IN; i++) x[i] = atof(argv[2 + i]);
    }
    double *y = malloc(sizeof(double) * OUT * (n ? n : 1));
    if (!x || !y || n == 0) {
        fprintf(stderr, "%s: no coordinates\n", argv[0]);
        return 1;
    }

    char err[1024];
    qnn_model *m = sine_create(1, err, sizeof err); /* 1 thread: runs in this one */
    if (!m || qnn_model_load(m, argv[1], err, sizeof err) ||
        qnn_model_forward(m, x, n, y, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        qnn_model_destroy(m);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < IN; k++) printf("%.17g,", x[i * IN + k]);
        for (int k = 0; k < OUT; k++) printf("%.17g%s", y[i * OUT + k], k + 1 < OUT ? "," : "\n");
    }
    qnn_model_destroy(m);
    if (x != defaults) free(x);
    free(y);
    return 0;
}
