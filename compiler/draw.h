/* Circuit drawings (qnnc draw, and the circuit figures of a run's report): the IR of a
 * circuit laid out in columns, as text (Unicode or ASCII) or as an SVG document. */
#ifndef QNN_DRAW_H
#define QNN_DRAW_H

#include <stdio.h>

#include "arena.h"
#include "ir.h"
#include "sema.h"

typedef struct {
    int ascii;  /* pure ASCII instead of box-drawing characters */
    int width;  /* text: wrap into stacked blocks at this many columns; 0: never */
} draw_options;

/* The diagram of c as text: one line per wire, gates packed into columns, the measured
 * observables after the last gate, and a legend for observables too long to print in place. */
void draw_text(const ir_circuit *c, const draw_options *o, FILE *f);

/* The same layout as a standalone SVG document (malloc'ed; NULL when memory runs out). */
char *draw_svg(const ir_circuit *c);

/* qnnc draw FILE [--experiment NAME] [--layer N | --circuit NAME] [--fused] [--ascii]
 * [--width N] [--svg OUT]. */
typedef struct {
    const char *experiment; /* only this experiment (main has checked that it exists) */
    int layer;              /* -1: every quantum layer */
    const char *circuit;    /* a circuit by name, with its default arguments */
    int fused;              /* draw the circuit after pass_fuse */
    const char *svg;        /* write the one selected circuit as SVG to this file */
    draw_options draw;
} draw_command_options;

/* 0, or 1 after one line on stderr (`qnnc: ...`): a layer out of range or not quantum, an
 * unknown circuit, several circuits for one --svg file, a file that cannot be written. */
int draw_command(const sema_result *r, const char *file, const draw_command_options *o);

/* Gives each quantum layer of every experiment that writes a report its circuit's SVG
 * (rt_layer_spec.circuit_svg, in the arena), which the runtime writes into the report folder.
 * Layers of one circuit share one string. */
void draw_attach_reports(arena *ar, sema_result *r);

/* The layer selection that qnnc draw and qnnc spectrum share: with layer >= 0, checks that
 * the model has that layer and that it is quantum (else one line on stderr naming the quantum
 * layers, and -1); what is the model's name in messages. */
int draw_check_layer(const sema_model *m, const char *what, int layer);

#endif
