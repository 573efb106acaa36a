#!/usr/bin/env python3
"""Two interleaving half circles ("two moons", as scikit-learn's make_moons draws them), written
as a CSV table x1,x2,label for qnn (docs/results.md). Deterministic: the noise comes from
Python's Mersenne Twister seeded with --seed through a Box-Muller transform written out here,
so the same arguments give the same file on any machine. Generated toy data: nothing fetched.

    python3 examples/make_moons.py --n 400 --noise 0.1 --seed 0 > data/moons.csv
"""
import argparse
import math
import random
import sys


def moons(n, noise, seed):
    rng = random.Random(seed)

    def gauss():
        u1, u2 = 1.0 - rng.random(), rng.random()  # u1 in (0, 1]: log(u1) is finite
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    n_outer = n // 2
    n_inner = n - n_outer
    rows = []
    for i in range(n_outer):
        t = math.pi * i / max(n_outer - 1, 1)
        rows.append((math.cos(t), math.sin(t), 0))
    for i in range(n_inner):
        t = math.pi * i / max(n_inner - 1, 1)
        rows.append((1.0 - math.cos(t), 0.5 - math.sin(t), 1))
    # shuffled, so that a file read in order is not sorted by class
    rng.shuffle(rows)
    return [(x + noise * gauss(), y + noise * gauss(), c) for x, y, c in rows]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=400)
    p.add_argument("--noise", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.n < 2 or not a.noise >= 0:
        sys.exit("make_moons.py: --n must be at least 2 and --noise 0 or more")
    out = sys.stdout
    out.write("x1,x2,label\n")
    for x, y, c in moons(a.n, a.noise, a.seed):
        out.write(f"{x!r},{y!r},{c}\n")


if __name__ == "__main__":
    main()
