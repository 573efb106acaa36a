// circuit ising_layer: 4 qubits, 1 inputs, 8 parameters (qnnc emit-qasm)
OPENQASM 3.0;
include "stdgates.inc";
input float[64] x0;
// param w[2][4]
input float[64] w_0_0;
input float[64] w_0_1;
input float[64] w_0_2;
input float[64] w_0_3;
input float[64] w_1_0;
input float[64] w_1_1;
input float[64] w_1_2;
input float[64] w_1_3;
qubit[4] q;
ry(x0 * w_0_0) q[0];
ry(x0 * w_0_1) q[1];
ry(x0 * w_0_2) q[2];
ry(x0 * w_0_3) q[3];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
rx(w_1_0) q[0];
rx(w_1_1) q[1];
rx(w_1_2) q[2];
rx(w_1_3) q[3];
// expval: -1 * Z0 Z1 + -1 * Z1 Z2 + -1 * Z2 Z3 + -0.5 * X0 + -0.5 * X1 + -0.5 * X2 + -0.5 * X3
// probs: q0 q1
// var: 1 * Z0 + 1 * Z1 + 1 * Z2 + 1 * Z3
// expval: 0.5 * Y3 + 1 * Z3
bit[4] c;
c = measure q;
