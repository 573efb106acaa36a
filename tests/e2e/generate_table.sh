#!/usr/bin/env bash
# scripts/generate_table.py (the tables of `scripts/results.sh generate`) on made-up run
# folders whose numbers are known: the means and sds of the final row of each metrics.jsonl,
# the whole generator's count (generator + features, from run.err), the floor row, the best
# baseline by mean feature distance, the per-seed table and the exact sign test of the paired
# sentence (3 of 3 seeds: p = 0.25), recomputed here with numpy; a folder without its floor
# row is refused naming it.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" "$(pwd)/scripts/generate_table.py" <<'PY'
import json, os, re, subprocess, sys
import numpy as np
tmp, script = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(1)
models = {"circuit_features": (352, 30.0), "tanh_features": (385, 50.0), "relu_features": (385, 40.0)}
final = {}
for m, (nf, base) in models.items():
    for s in range(3):
        d = os.path.join(tmp, f"{m}-s{s}")
        os.makedirs(d)
        fd = base + rng.uniform(-5, 5)
        final[m, s] = fd
        floor = {"floor": True, "fd_features": 1.0 + s, "fd_pixels": 0.08, "kid_features": 0.1, "kid_pixels": 1e-4}
        rows = [floor, {"step": 0, "fd_features": 300.0, "fd_pixels": 14.0, "kid_features": 9.0, "kid_pixels": 0.5},
                {"step": 20, "fd_features": fd, "fd_pixels": fd / 20, "kid_features": fd / 10, "kid_pixels": fd / 1000}]
        with open(os.path.join(d, "metrics.jsonl"), "w") as f:
            for r in rows: f.write(json.dumps(r) + "\n")
        with open(os.path.join(d, "run.err"), "w") as f:
            f.write(f"g: parameters generator 21061 + features {nf}, discriminator 6274; 3.50 ms per D step, 7.25 per G step; outputs in x\n")
        with open(os.path.join(d, "wall.txt"), "w") as f: f.write(f"{40 + s}\n")
pairs = ["QIREN=circuit_features", "Tanh=tanh_features", "ReLU=relu_features"]
out = subprocess.run([script, "digits", tmp] + pairs, check=True, capture_output=True, text=True).stdout
rows = {}
for l in out.splitlines():  # the first table's row of each label (the per-seed table follows)
    if l.startswith("| "): rows.setdefault(l.split("|")[1].strip(), [c.strip() for c in l.strip().strip("|").split("|")])
def ms(v): return np.mean(v), np.std(v, ddof=1)
for label, m in (("QIREN", "circuit_features"), ("Tanh", "tanh_features"), ("ReLU", "relu_features")):
    cells = rows[label]
    assert cells[1] == str(models[m][0]) and cells[2] == str(21061 + models[m][0]), cells
    mean, sd = ms([final[m, s] for s in range(3)])
    got = re.match(r"([0-9.]+) ± ([0-9.e+-]+)", cells[3]).groups()
    assert abs(float(got[0]) - mean) < 5e-4 * mean and float(got[1]) == float(f"{sd:.2g}"), (cells[3], mean, sd)
    assert cells[9] == "3.50 / 7.25" and cells[8].startswith("41 ± 1"), cells
fl = re.match(r"([0-9.]+) ± ([0-9.]+)", rows["real vs real (floor)"][3]).groups()
assert abs(float(fl[0]) - 2.0) < 1e-9 and abs(float(fl[1]) - 1.0) < 1e-9, fl
seed_rows = [l for l in out.splitlines() if l.startswith("| QIREN |")]
assert len(seed_rows) == 2 and [float(c) for c in seed_rows[1].strip("| ").split("|")[1:]] == \
    [float(f"{final['circuit_features', s]:.4g}") for s in range(3)], seed_rows
assert "against the best baseline by mean feature FD (ReLU): QIREN lower at 3 of 3 seeds" in out, out
assert "sign test p = 0.25" in out, out
best = subprocess.run([script, "best", tmp] + pairs, check=True, capture_output=True, text=True).stdout.strip()
assert best == "ReLU=relu_features", best
# a run without its floor row: refused, naming the folder
p = os.path.join(tmp, "relu_features-s1", "metrics.jsonl")
lines = open(p).read().splitlines()[1:]
open(p, "w").write("\n".join(lines) + "\n")
r = subprocess.run([script, "digits", tmp] + pairs, capture_output=True, text=True)
assert r.returncode != 0 and "relu_features-s1/metrics.jsonl has 0 floor rows" in r.stderr, r.stderr
print("generate_table: ok")
PY
