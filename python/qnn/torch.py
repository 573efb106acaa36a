"""qnn circuits as PyTorch layers: forward and backward call the compiled circuit's batched
forward and adjoint vjp (qnn_shared.h) through a torch.autograd.Function.

    import qnn, qnn.torch
    layer = qnn.torch.CircuitLayer(qnn.compile("my.qnn").circuit("qiren_layer"))
    y = layer(x)          # x[batch][n_inputs] -> y[batch][n_outputs]; weights in layer.weight

CPU tensors of the circuit's dtype (float64 for --precision f64, float32 for f32)."""
import math

import numpy as np
import torch

from . import QnnError

__all__ = ["CircuitFunction", "CircuitLayer"]


def _np(t):
    # detach: the Function is the autograd node; numpy() shares the tensor's memory
    return t.detach().contiguous().numpy()


def _check(circuit, t, what):
    if t.device.type != "cpu":
        raise QnnError(f"circuit '{circuit.name}': {what} is on {t.device}; qnn circuits take "
                       "CPU tensors (use .cpu())")


class CircuitFunction(torch.autograd.Function):
    """y = circuit(weights, x); backward = the circuit's vjp (gradients w.r.t. both)."""

    @staticmethod
    def forward(ctx, x, weights, circuit):
        _check(circuit, x, "the input")
        _check(circuit, weights, "the weights")
        ctx.circuit = circuit
        ctx.save_for_backward(x, weights)
        return torch.from_numpy(np.asarray(circuit(_np(weights), _np(x))))

    @staticmethod
    def backward(ctx, grad_y):
        x, weights = ctx.saved_tensors
        c = ctx.circuit
        want_x = ctx.needs_input_grad[0]
        gw, gx = c.vjp(_np(weights), _np(x), _np(grad_y.to(x.dtype)), input_grad=want_x)
        return (torch.from_numpy(gx) if want_x else None,
                torch.from_numpy(gw) if ctx.needs_input_grad[1] else None, None)


class CircuitLayer(torch.nn.Module):
    """A compiled qnn circuit as an nn.Module: input [..., n_inputs] (any leading dimensions,
    or one sample [n_inputs]), output [..., n_outputs] (expectation values). Its parameters are one flat vector
    `weight` [n_params] in the circuit's order (the .qnn param declarations, row-major),
    initialised uniform in [0, 2 pi) from torch's generator, like PennyLane's TorchLayer."""

    def __init__(self, circuit, weight=None):
        super().__init__()
        self.circuit = circuit
        dtype = torch.float64 if circuit.precision == 64 else torch.float32
        if weight is None:
            weight = torch.rand(circuit.n_params, dtype=torch.float64) * (2 * math.pi)
        weight = torch.as_tensor(weight).reshape(-1).to(dtype)
        if weight.numel() != circuit.n_params:
            raise QnnError(f"circuit '{circuit.name}' has {circuit.n_params} parameters; got "
                           f"{weight.numel()}")
        self.weight = torch.nn.Parameter(weight.clone())

    def forward(self, x):
        # leading dimensions ([1, N, n_inputs] as the QIREN reference feeds them) are one batch
        if x.dim() > 2:
            y = CircuitFunction.apply(x.reshape(-1, x.shape[-1]), self.weight, self.circuit)
            return y.reshape(*x.shape[:-1], y.shape[-1])
        return CircuitFunction.apply(x, self.weight, self.circuit)

    def extra_repr(self):
        c = self.circuit
        return (f"{c.name}: {c.n_qubits} qubits, {c.n_inputs} -> {c.n_outputs}, "
                f"{c.n_params} weights, float{c.precision}")
