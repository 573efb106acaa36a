/* Kernels for dense (linear) layers over row-major [batch][features] float64 tensors.
 * W is [n_out][n_in] as in PyTorch. Kernels trust their arguments (checked by the rt_ layer). */
#ifndef QNN_K_DENSE_H
#define QNN_K_DENSE_H

/* y[b][o] = bias[o] + sum_i x[b][i] W[o][i]   (bias may be NULL) */
void k_linear_forward(const double *x, const double *W, const double *bias, double *y,
                      int batch, int n_in, int n_out);
/* dW[o][i] += sum_b dy[b][o] x[b][i];  dbias[o] += sum_b dy[b][o]   (dbias may be NULL) */
void k_linear_backward_params(const double *x, const double *dy, double *dW, double *dbias,
                              int batch, int n_in, int n_out);
/* dx[b][i] = sum_o dy[b][o] W[o][i]   (overwrites dx) */
void k_linear_backward_input(const double *dy, const double *W, double *dx, int batch,
                             int n_in, int n_out);

#endif
