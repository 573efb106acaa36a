/* qnnc grad: outputs and Jacobians (w.r.t. parameters and inputs) of one circuit or of an
 * experiment's model at given weights and inputs, and the barren-plateau statistics of
 * random parameter draws (--samples, --widths). Its own options, as `qnnc build`'s: main.c
 * hands it argv whole. docs/grad.md describes the command. */
#ifndef QNN_CMD_GRAD_H
#define QNN_CMD_GRAD_H

/* The process exit status: 0, 1 (bad input or a failed computation: one line on stderr
 * naming the file) or 2 (bad usage). */
int cmd_grad_main(int argc, char **argv);

#endif
