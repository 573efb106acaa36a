/* rt_exact: dense diagonalisation of a Pauli-sum Hamiltonian (rt_exact.h). A product P with
 * masks (x, z) maps the basis state |b> to i^{#Y} (-1)^{|b & z|} |b ^ x> (Y = i X Z), with
 * the masks moved from wire bits to index bits (wire w is bit n-1-w of b). */
#include "rt_exact.h"

#include <complex.h>
#include <lapacke.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io_file.h"
#include "rt_limits.h"

/* 2^16 x 2^16 complex entries are 64 GiB: a bound that keeps every size_t product exact. */
enum { EXACT_HARD_QUBITS = 16 };

/* Wire bits (bit w = wire w) to index bits (wire w has stride 1 << (n-1-w)). */
static uint32_t index_bits(uint32_t wires, int n) {
    uint32_t b = 0;
    for (int w = 0; w < n; w++)
        if (wires >> w & 1u) b |= 1u << (n - 1 - w);
    return b;
}

int rt_exact_is_complex(int n_terms, const rt_pauli_term *t) {
    for (int k = 0; k < n_terms; k++)
        if (__builtin_popcount(t[k].x_mask & t[k].z_mask) & 1) return 1;
    return 0;
}

double rt_exact_bytes(int n_qubits, int n_terms, const rt_pauli_term *t) {
    double dim = (double)(1ull << n_qubits);
    return dim * dim * (rt_exact_is_complex(n_terms, t) ? 16.0 : 8.0) + dim * 8.0;
}

void rt_exact_matrix(int n_qubits, int n_terms, const rt_pauli_term *t, double *re, double *im) {
    size_t dim = (size_t)1 << n_qubits;
    for (int k = 0; k < n_terms; k++) {
        uint32_t x = index_bits(t[k].x_mask, n_qubits), z = index_bits(t[k].z_mask, n_qubits);
        int ny = __builtin_popcount(t[k].x_mask & t[k].z_mask) & 3; /* i^ny */
        for (size_t b = 0; b < dim; b++) {
            double v = (__builtin_popcount((uint32_t)b & z) & 1) ? -t[k].coef : t[k].coef;
            size_t at = (size_t)(b ^ x) * dim + b; /* row b ^ x, column b */
            switch (ny) {
            case 0: re[at] += v; break;
            case 1: im[at] += v; break;
            case 2: re[at] -= v; break;
            default: im[at] -= v; break;
            }
        }
    }
}

int rt_exact_eigenvalue(int n_qubits, int n_terms, const rt_pauli_term *t, int highest,
                        double *out, char *err, size_t errlen) {
    if (n_qubits < 1 || n_qubits > EXACT_HARD_QUBITS || n_terms < 1 || !t) {
        io_errf(err, errlen, "exact energy: a Hamiltonian of %d qubits and %d terms cannot be "
                "diagonalised", n_qubits, n_terms);
        return -1;
    }
    size_t dim = (size_t)1 << n_qubits;
    int cplx = rt_exact_is_complex(n_terms, t);
    double *re = calloc(dim * dim, sizeof *re), *im = cplx ? calloc(dim * dim, sizeof *im) : NULL;
    double *w = malloc(dim * sizeof *w);
    lapack_complex_double *z = NULL;
    int rc = -1;
    if (!re || (cplx && !im) || !w) goto oom;
    rt_exact_matrix(n_qubits, n_terms, t, re, im);
    lapack_int info;
    if (cplx) {
        if (!(z = malloc(dim * dim * sizeof *z))) goto oom;
        for (size_t i = 0; i < dim * dim; i++) z[i] = re[i] + I * im[i];
        free(re), free(im);
        re = im = NULL;
        info = LAPACKE_zheevd(LAPACK_ROW_MAJOR, 'N', 'U', (lapack_int)dim, z, (lapack_int)dim, w);
    } else {
        info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'N', 'U', (lapack_int)dim, re, (lapack_int)dim, w);
    }
    if (info != 0) {
        io_errf(err, errlen, "exact energy: LAPACK's %s failed (info %d) on the %zu x %zu "
                "Hamiltonian", cplx ? "zheevd" : "dsyevd", (int)info, dim, dim);
        goto done;
    }
    *out = highest ? w[dim - 1] : w[0]; /* ascending order */
    rc = 0;
    goto done;
oom: {
        char b[32];
        rt_format_bytes(rt_exact_bytes(n_qubits, n_terms, t), b, sizeof b);
        io_errf(err, errlen, "exact energy: out of memory for the %zu x %zu Hamiltonian (%s)",
                dim, dim, b);
    }
done:
    free(re);
    free(im);
    free(w);
    free(z);
    return rc;
}
