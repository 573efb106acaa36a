/* Tests of rt_exact: the dense matrix of a Pauli sum (wire 0 the most significant bit, Y with
 * its imaginary entries) and its extreme eigenvalues against closed forms: one qubit
 * (-sqrt(a^2 + b^2)), the two-site Heisenberg singlet (-3) and triplet (+1), a diagonal
 * Ising chain, the 4-site transverse-field Ising chain (numpy's eigvalsh gives
 * -4.758770483143634; tests/e2e/vqe.sh checks the runs against numpy directly). */
#include "testutil.h"

#include <math.h>

#include "rt_exact.h"

static double lowest(int n, int nt, const rt_pauli_term *t) {
    double e = NAN;
    char err[256];
    if (rt_exact_eigenvalue(n, nt, t, 0, &e, err, sizeof err)) fail_msg("%s", err);
    return e;
}

static double highest(int n, int nt, const rt_pauli_term *t) {
    double e = NAN;
    char err[256];
    if (rt_exact_eigenvalue(n, nt, t, 1, &e, err, sizeof err)) fail_msg("%s", err);
    return e;
}

/* Z on wire 0 of two is diag(1, 1, -1, -1); X on wire 1 maps |00> to |01>; Y on wire 0 of
 * one maps |0> to i|1>. */
static void test_matrix_layout(void **state) {
    (void)state;
    double re[16] = {0}, im[16] = {0};
    rt_pauli_term z0 = {1, 0, 1};
    rt_exact_matrix(2, 1, &z0, re, im);
    assert_true(re[0] == 1 && re[5] == 1 && re[10] == -1 && re[15] == -1);
    memset(re, 0, sizeof re);
    rt_pauli_term x1 = {1, 2, 0};
    rt_exact_matrix(2, 1, &x1, re, im);
    assert_true(re[1 * 4 + 0] == 1 && re[0 * 4 + 1] == 1 && re[2 * 4 + 3] == 1 && re[0] == 0);
    double r2[4] = {0}, i2[4] = {0};
    rt_pauli_term y0 = {1, 1, 1};
    assert_int_equal(rt_exact_is_complex(1, &y0), 1);
    assert_int_equal(rt_exact_is_complex(1, &x1), 0);
    rt_exact_matrix(1, 1, &y0, r2, i2);
    assert_true(i2[1 * 2 + 0] == 1 && i2[0 * 2 + 1] == -1 && r2[0] == 0 && r2[3] == 0);
    rt_pauli_term yy = {1, 3, 3}; /* Y Y is real: i^2 */
    assert_int_equal(rt_exact_is_complex(1, &yy), 0);
}

static void test_one_qubit(void **state) {
    (void)state;
    rt_pauli_term h[2] = {{0.5, 0, 1}, {0.3, 1, 0}}; /* 0.5 Z + 0.3 X */
    assert_close(lowest(1, 2, h), -sqrt(0.34), 1e-12);
    assert_close(highest(1, 2, h), sqrt(0.34), 1e-12);
    rt_pauli_term y[2] = {{2, 1, 1}, {1, 0, 0}}; /* 2 Y + I */
    assert_close(lowest(1, 2, y), -1, 1e-12);
    assert_close(highest(1, 2, y), 3, 1e-12);
}

static void test_heisenberg_pair(void **state) {
    (void)state;
    rt_pauli_term h[3] = {{1, 3, 0}, {1, 3, 3}, {1, 0, 3}}; /* XX + YY + ZZ */
    assert_close(lowest(2, 3, h), -3, 1e-12);
    assert_close(highest(2, 3, h), 1, 1e-12);
    /* X0 Y1 - Y0 X1 is imaginary antisymmetric (odd Y counts): eigenvalues -2, 0, 0, 2 */
    rt_pauli_term c[2] = {{1, 3, 2}, {-1, 3, 1}};
    assert_int_equal(rt_exact_is_complex(2, c), 1);
    assert_close(lowest(2, 2, c), -2, 1e-12);
}

/* -sum Z_i Z_(i+1) on 5 wires: all aligned, -4; the transverse-field chain at g = 1. */
static void test_ising_chains(void **state) {
    (void)state;
    rt_pauli_term zz[4];
    for (int i = 0; i < 4; i++) zz[i] = (rt_pauli_term){-1, 0, 3u << i};
    assert_close(lowest(5, 4, zz), -4, 1e-12);
    assert_close(highest(5, 4, zz), 4, 1e-12);
    rt_pauli_term t[7];
    for (int i = 0; i < 3; i++) t[i] = (rt_pauli_term){-1, 0, 3u << i};
    for (int i = 0; i < 4; i++) t[3 + i] = (rt_pauli_term){-1, 1u << i, 0};
    assert_close(lowest(4, 7, t), -4.758770483143634, 1e-10);
}

static void test_refused(void **state) {
    (void)state;
    rt_pauli_term z = {1, 0, 1};
    double e;
    char err[256];
    assert_int_equal(rt_exact_eigenvalue(17, 1, &z, 0, &e, err, sizeof err), -1);
    assert_non_null(strstr(err, "17 qubits"));
    assert_int_equal(rt_exact_eigenvalue(2, 0, &z, 0, &e, err, sizeof err), -1);
    assert_true(rt_exact_bytes(12, 1, &z) == 4096.0 * 4096 * 8 + 4096 * 8);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_layout), cmocka_unit_test(test_one_qubit),
        cmocka_unit_test(test_heisenberg_pair), cmocka_unit_test(test_ising_chains),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
