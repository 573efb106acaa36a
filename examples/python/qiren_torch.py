#!/usr/bin/python3
"""QIREN (Quantum Implicit Neural Representations, ICML 2024) in plain PyTorch, with qnn's
compiled circuit as the quantum layer: Linear -> BatchNorm1d -> qiren_layer, three times,
then Linear (stdlib/qiren.qnn; the reference's Hybridren). It trains on the astronaut image
of examples/image_qiren.qnn: full batch, Adam(lr 0.03), MSE.

    PYTHONPATH=python examples/python/qiren_torch.py --epochs 10 --check

The initial weights are those `qnnc run` starts from (the experiment's seed, read from the
compiled model), and the data is the experiment's, prepared by the runtime; so with --check
the loss of every epoch must equal `qnnc run examples/image_qiren.qnn`'s to 1e-9 (float64).
Prints ms/epoch of both. docs/python.md explains the pieces."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import qnn  # noqa: E402
import qnn.torch  # noqa: E402

SOURCE = os.path.join(ROOT, "examples", "image_qiren.qnn")


def build_net(model, circuit):
    """One torch module per qnn layer, in qnn's order (so that index i is "layers.i"):
    Linear, BatchNorm1d and the circuit layer, from the compiled model's tensor shapes."""
    layers = {}
    for name, _, shape in model.tensors:
        i, t = name.split(".")[1:3]
        layers.setdefault(int(i), {})[t] = shape
    mods = []
    for i in sorted(layers):
        t = layers[i]
        if "running_mean" in t:
            mods.append(torch.nn.BatchNorm1d(t["weight"][0], eps=1e-5, momentum=0.1, dtype=torch.float64))
        elif "weights1" in t:
            mods.append(qnn.torch.CircuitLayer(circuit))
        else:
            out, inp = t["weight"]
            mods.append(torch.nn.Linear(inp, out, bias="bias" in t, dtype=torch.float64))
    return torch.nn.Sequential(*mods)


def copy_weights(net, model):
    """qnn's initial weights into the torch modules; a circuit layer's flat weight is its
    tensors (weights1, weights2) concatenated in declaration order."""
    values = {**model.parameters, **model.buffers}
    flat = {}
    with torch.no_grad():
        for name, _, _ in model.tensors:
            i, t = name.split(".")[1:3]
            mod, v = net[int(i)], torch.from_numpy(values[name])
            if isinstance(mod, qnn.torch.CircuitLayer):
                flat.setdefault(int(i), []).append(v.reshape(-1))
            else:
                getattr(mod, t).copy_(v)
        for i, parts in flat.items():
            net[i].weight.copy_(torch.cat(parts))


def train(net, coords, values, epochs, lr):
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    losses = []
    t0 = time.perf_counter()
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(coords), values)
        loss.backward()
        opt.step()
        losses.append(loss.item())          # the loss before the update, as qnnc logs it
    return losses, 1e3 * (time.perf_counter() - t0) / max(epochs, 1)


def qnnc_run(qnnc, epochs, threads):
    """`qnnc run` of the same experiment: its loss per epoch (metrics.jsonl) and ms/epoch."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [qnnc, "run", SOURCE, "--set", f"epochs={epochs}", "--set", "log_every=1", "--out", out]
        if threads:
            cmd += ["--threads", str(threads)]
        r = subprocess.run(cmd, capture_output=True, text=True, check=True)
        with open(os.path.join(out, "metrics.jsonl")) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        losses = [row["loss"] for row in rows if row.get("kind") != "header"][:epochs]  # line 1: the run
        m = re.search(r"\(([0-9.]+) ms/epoch\)", r.stdout + r.stderr)
        return losses, float(m.group(1)) if m else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=0.03)
    ap.add_argument("--threads", type=int, default=0, help="simulation threads (0: all cores)")
    ap.add_argument("--check", action="store_true", help="compare every epoch's loss with qnnc run")
    ap.add_argument("--tolerance", type=float, default=1e-9)
    args = ap.parse_args()
    os.environ.setdefault("QNN_DATA_DIR", os.path.join(ROOT, "data"))

    lib = qnn.compile(SOURCE, precision="f64", threads=args.threads)
    model, circuit = lib.model(), lib.circuit("qiren_layer")
    coords, values = (torch.from_numpy(a) for a in model.data())
    net = build_net(model, circuit)
    copy_weights(net, model)
    print(f"QIREN in PyTorch with qnn's {circuit}: "
          f"{sum(p.numel() for p in net.parameters())} parameters, {coords.shape[0]} points")
    losses, ms = train(net, coords, values, args.epochs, args.lr)
    for e, loss in enumerate(losses, 1):
        print(f"epoch {e:4d} loss {loss:.12e}")
    print(f"pytorch + qnn: {ms:.1f} ms/epoch")
    if not args.check:
        return 0
    want, ms_run = qnnc_run(qnn.find_qnnc(), args.epochs, args.threads)
    if len(want) != len(losses):
        print(f"qnnc run logged {len(want)} losses for {len(losses)} epochs")
        return 1
    diff = max(abs(a - b) for a, b in zip(losses, want))
    print(f"qnnc run: {ms_run:.1f} ms/epoch; largest loss difference over {len(losses)} epochs: {diff:.3e}")
    if diff > args.tolerance:
        for e, (a, b) in enumerate(zip(losses, want), 1):
            print(f"epoch {e}: pytorch {a:.17g} qnnc {b:.17g}")
        print(f"FAIL: the loss trajectories differ by more than {args.tolerance:g}")
        return 1
    print("the loss trajectory equals qnnc run's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
