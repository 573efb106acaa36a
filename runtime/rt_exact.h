/* rt_exact: the exact optimum of an objective experiment, for the report beside the trained
 * energy: the lowest (or highest) eigenvalue of a Hamiltonian given as Pauli products
 * (rt_spec.h), from its dense 2^n x 2^n matrix diagonalised by LAPACKE (dsyevd when every
 * entry is real, zheevd otherwise). Here rather than in the compiler so that native binaries
 * report it too. */
#ifndef QNN_RT_EXACT_H
#define QNN_RT_EXACT_H

#include <stddef.h>

#include "rt_spec.h"

/* `exact = auto` diagonalises Hamiltonians of up to this many qubits (a 4096 x 4096
 * matrix, 128 MiB real or 256 MiB complex); larger ones are skipped with the figure. */
#define RT_EXACT_MAX_QUBITS 12

/* Whether the matrix is complex (a product with an odd number of Y has imaginary entries). */
int rt_exact_is_complex(int n_terms, const rt_pauli_term *t);

/* Bytes the dense matrix of an n-qubit Hamiltonian takes. */
double rt_exact_bytes(int n_qubits, int n_terms, const rt_pauli_term *t);

/* The dense matrix, row-major, H[r][c] = <r| H |c> with wire 0 the most significant bit of
 * the index: re[] always, im[] (may be NULL when rt_exact_is_complex is 0) its imaginary
 * part; both 4^n values, zeroed by the caller. */
void rt_exact_matrix(int n_qubits, int n_terms, const rt_pauli_term *t, double *re, double *im);

/* The lowest eigenvalue (highest when `highest`), into *out. 0, or -1 with one line in err
 * (more than 16 qubits, out of memory, LAPACK's failure). */
int rt_exact_eigenvalue(int n_qubits, int n_terms, const rt_pauli_term *t, int highest,
                        double *out, char *err, size_t errlen);

#endif
