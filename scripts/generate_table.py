#!/usr/bin/python3
"""The tables of scripts/results.sh's generate section, from the runs' own files.

    generate_table.py digits WORK LABEL=MODEL...   the small-scale Table 2 (markdown) on stdout
    generate_table.py best WORK LABEL=MODEL...     the MODEL of the baseline (every pair but the
                                                  first) with the lowest mean feature distance
    generate_table.py faces WORK LABEL=MODEL...    the faces rows
    generate_table.py montage PNG WORK PREFIX SUFFIX SCALE LABEL=MODEL...
                                                  the sample grids WORK/PREFIX MODEL SUFFIX/
                                                  samples.png side by side, enlarged SCALE
                                                  times (nearest), each named above (PIL)

WORK/MODEL-sSEED/ (digits) and WORK/faces-MODEL/ (faces) each hold one `qnnc run`'s
metrics.jsonl (the floor row, then one row per measurement), run.err (its last line: the
parameter counts and the mean ms per discriminator / generator step) and wall.txt (seconds).
The final row of metrics.jsonl is the EMA generator after the last step."""
import glob
import json
import math
import os
import re
import statistics
import sys

COUNTS = re.compile(r"parameters generator (\d+) \+ features (\d+), discriminator (\d+); "
                    r"([0-9.]+) ms per D step, ([0-9.]+) per G step")


def one_run(folder):
    rows = [json.loads(l) for l in open(os.path.join(folder, "metrics.jsonl")) if l.strip()]
    floor = [r for r in rows if r.get("floor")]
    steps = [r for r in rows if "step" in r]
    if len(floor) != 1 or len(steps) < 2:
        sys.exit(f"generate_table.py: {folder}/metrics.jsonl has {len(floor)} floor rows and "
                 f"{len(steps)} measurements")
    m = None
    for line in open(os.path.join(folder, "run.err")):
        m = COUNTS.search(line) or m
    if not m:
        sys.exit(f"generate_table.py: {folder}/run.err has no parameter counts")
    g, f, d, ms_d, ms_g = m.groups()
    return {"floor": floor[0], "first": steps[0], "last": steps[-1], "gen": int(g),
            "features": int(f), "disc": int(d), "ms_d": float(ms_d), "ms_g": float(ms_g),
            "wall": float(open(os.path.join(folder, "wall.txt")).read())}


def num(v, digits=4):
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def mean_sd(vals, digits=4):
    vals = [v for v in vals if v is not None and math.isfinite(v)]
    if not vals:
        return "n/a"
    if len(vals) == 1:
        return num(vals[0], digits)
    return f"{num(statistics.mean(vals), digits)} ± {num(statistics.stdev(vals), 2)}"


def digits_runs(work, pairs):
    runs = {}
    for label, model in pairs:
        folders = sorted(glob.glob(os.path.join(work, f"{model}-s*")),
                         key=lambda p: int(p.rsplit("-s", 1)[1]))
        if not folders:
            sys.exit(f"generate_table.py: no runs of {model} in {work}")
        runs[model] = {int(p.rsplit("-s", 1)[1]): one_run(p) for p in folders}
    return runs


def best_baseline(runs, pairs):
    return min(pairs[1:], key=lambda p: statistics.mean(r["last"]["fd_features"]
                                                        for r in runs[p[1]].values()))


def sign_p(k, n):
    """Exact two-sided sign test: k of n pairs in favour."""
    tail = sum(math.comb(n, i) for i in range(0, min(k, n - k) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def digits_table(work, pairs):
    runs = digits_runs(work, pairs)
    out = []
    seeds = sorted(next(iter(runs.values())).keys())
    out.append("| model | features params | generator params (whole) | feature FD | pixel FD "
               "| KID (features) | KID (pixels) | FD at step 0 | wall s per run | ms per D / G step |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, model in pairs:
        rs = list(runs[model].values())
        last = [r["last"] for r in rs]
        out.append("| " + " | ".join([
            label, str(rs[0]["features"]), str(rs[0]["gen"] + rs[0]["features"]),
            mean_sd([x["fd_features"] for x in last]), mean_sd([x["fd_pixels"] for x in last]),
            mean_sd([x["kid_features"] for x in last], 3), mean_sd([x["kid_pixels"] for x in last], 3),
            mean_sd([r["first"]["fd_features"] for r in rs]),
            mean_sd([r["wall"] for r in rs], 3),
            f"{statistics.mean(r['ms_d'] for r in rs):.2f} / {statistics.mean(r['ms_g'] for r in rs):.2f}",
        ]) + " |")
    by_seed = {s: runs[pairs[0][1]][s]["floor"] for s in seeds}
    out.append("| real vs real (floor) | | | " + mean_sd([f["fd_features"] for f in by_seed.values()]) +
               " | " + mean_sd([f["fd_pixels"] for f in by_seed.values()]) + " | " +
               mean_sd([f["kid_features"] for f in by_seed.values()], 3) + " | " +
               mean_sd([f["kid_pixels"] for f in by_seed.values()], 3) + " | | | |")
    assert all(f == by_seed[s] for m in runs.values() for s, f in
               ((s, r["floor"]) for s, r in m.items())), "the floor differs between models of one seed"
    out.append("")
    out.append("Per seed, final feature-space Fréchet distance (the table's mean is over these):")
    out.append("")
    out.append("| model | " + " | ".join(f"seed {s}" for s in seeds) + " |")
    out.append("|---|" + "---:|" * len(seeds))
    for label, model in pairs:
        out.append(f"| {label} | " + " | ".join(num(runs[model][s]["last"]["fd_features"])
                                                 for s in seeds) + " |")
    b_label, b_model = best_baseline(runs, pairs)
    q = [runs[pairs[0][1]][s]["last"]["fd_features"] for s in seeds]
    b = [runs[b_model][s]["last"]["fd_features"] for s in seeds]
    k = sum(1 for x, y in zip(q, b) if x < y)
    n = sum(1 for x, y in zip(q, b) if x != y)
    diffs = [x - y for x, y in zip(q, b)]
    out.append("")
    out.append(f"Paired by seed, {pairs[0][0]} against the best baseline by mean feature FD "
               f"({b_label}): {pairs[0][0]} lower at {k} of {n} seeds, mean difference "
               f"{num(statistics.mean(diffs))} ({pairs[0][0]} − {b_label}; per seed "
               f"{', '.join(num(d) for d in diffs)}), exact two-sided sign test p = "
               f"{num(sign_p(k, n) if n else 1.0, 3)}. With {len(seeds)} seeds no exact paired test "
               f"can go below p = {num(sign_p(0, len(seeds)), 3)}: the comparison can show a "
               f"consistent direction, never significance.")
    return "\n".join(out)


def faces_table(work, pairs):
    out = ["| model | features params | generator params (whole) | pixel FD | KID (pixels) "
           "| pixel FD at step 0 | wall s | ms per D / G step |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    floor = None
    for label, model in pairs:
        r = one_run(os.path.join(work, f"faces-{model}"))
        floor = r["floor"]
        out.append("| " + " | ".join([
            label, str(r["features"]), str(r["gen"] + r["features"]), num(r["last"]["fd_pixels"]),
            num(r["last"]["kid_pixels"], 3), num(r["first"]["fd_pixels"]), num(r["wall"], 3),
            f"{r['ms_d']:.2f} / {r['ms_g']:.2f}"]) + " |")
    out.append(f"| real vs real (floor) | | | {num(floor['fd_pixels'])} | {num(floor['kid_pixels'], 3)} | | | |")
    return "\n".join(out)


def montage(png, work, prefix, suffix, scale, pairs):
    from PIL import Image, ImageDraw
    grids = [Image.open(os.path.join(work, f"{prefix}{model}{suffix}", "samples.png")).convert("L")
             for _, model in pairs]
    grids = [g.resize((g.width * scale, g.height * scale), Image.NEAREST) for g in grids]
    gap, top = 12, 22
    out = Image.new("L", (sum(g.width for g in grids) + gap * (len(grids) + 1),
                          max(g.height for g in grids) + top + gap), 255)
    draw = ImageDraw.Draw(out)
    x = gap
    for (label, _), g in zip(pairs, grids):
        draw.text((x, 5), label, fill=0)
        out.paste(g, (x, top))
        x += g.width + gap
    tmp = png + ".tmp"
    out.save(tmp, format="PNG", optimize=True)
    os.replace(tmp, png)  # atomic: never a half-written figure


def main():
    if len(sys.argv) >= 8 and sys.argv[1] == "montage":
        montage(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]),
                [tuple(a.split("=", 1)) for a in sys.argv[7:]])
        return
    if len(sys.argv) < 4 or sys.argv[1] not in ("digits", "best", "faces"):
        sys.exit(__doc__)
    pairs = [tuple(a.split("=", 1)) for a in sys.argv[3:]]
    if sys.argv[1] == "digits":
        print(digits_table(sys.argv[2], pairs))
    elif sys.argv[1] == "best":
        print("=".join(best_baseline(digits_runs(sys.argv[2], pairs), pairs)))
    else:
        print(faces_table(sys.argv[2], pairs))


if __name__ == "__main__":
    main()
