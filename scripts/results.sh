#!/usr/bin/env bash
# Regenerates docs/results.md: each section's tables come from runs made here and now, the
# statistics from qnn's own comparison reports (mean, sd, and the exact paired tests of
# docs/reports.md 4.2); the readings written from those tables sit beside them in
# docs/results/NAME.notes.md, by hand, and say which run they were written from.
#
#   scripts/results.sh [--seeds N] [--set KEY=VALUE]... [--docs DIR] [--work DIR] [SECTION...]
#
# Sections (default: all, in this order): images superres sound memory classify vqe shots noise.
# A section run writes docs/results/NAME.md; docs/results.md is then put together from every
# section's file, so one section can be re-measured without the others. --seeds N (default
# 6: the fewest for which an exact two-sided paired test can reach p < 0.05, 2/2^6) runs seeds
# 0..N-1. The images come from $QNN_DATA_DIR or data/ (`make demo` fetches them), the digits
# from `scripts/fetch_data.sh digits`. --set is passed to every training run (a quick check:
# `--seeds 2 --set epochs=3 --docs /tmp/r`); --docs writes results.md and results/ elsewhere
# (tests/e2e/results_script.sh), the readings still read from docs/results/; --work is where
# the runs and their reports go (default out/results). RESULTS_TABLES_ONLY=1 rebuilds the noise
# section's tables from the runs already in --work, without training again. Times on this 2-core machine: images ~5 min,
# superres ~25 min, sound ~1 min, memory < 1 s, classify ~5 min, vqe ~6 min (12 qubits),
# shots ~3 min, noise ~15 min.
set -euo pipefail
cd "$(dirname "$0")/.."
QNNC=${QNNC:-build/qnnc}
n_seeds=6
n_dm_seeds=3   # the density-matrix runs of `noise` (slow: the interpreter)
sections=()
extra=()
docs=docs
out=out/results
need() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "results.sh: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) need "$@"; n_seeds="$2"; shift 2 ;;
    --set) need "$@"; extra+=(--set "$2"); shift 2 ;;
    --docs) need "$@"; docs="$2"; shift 2 ;;
    --work) need "$@"; out="$2"; shift 2 ;;
    images|superres|sound|memory|classify|vqe|shots|noise) sections+=("$1"); shift ;;
    *) echo "results.sh: unknown argument '$1' (sections: images superres sound memory classify vqe shots noise; --seeds N)" >&2; exit 2 ;;
  esac
done
[ ${#sections[@]} -gt 0 ] || sections=(images superres sound memory classify vqe shots noise)
case "$n_seeds" in ''|*[!0-9]*) echo "results.sh: --seeds takes a count, got '$n_seeds'" >&2; exit 2 ;; esac
[ "$n_seeds" -ge 1 ] || { echo "results.sh: --seeds must be at least 1" >&2; exit 2; }
seeds=$(seq 0 $((n_seeds - 1)) | tr '\n' ' ' | sed 's/ $//')
mkdir -p "$out" "$docs/results"
notes=docs/results
stamp="$(date -u +%Y-%m-%d) ($(uname -m), $(nproc) cores, qnnc $("$QNNC" --version 2>/dev/null | head -1 | awk '{print $NF}'))"

# A file of one experiment per (experiment of FILE, seed): `experiment sr_qiren {` becomes
# `experiment sr_qiren_s3 {` with `seed = 3;`, so that one `qnnc run` trains every model at
# every seed and its comparison report pairs the runs by seed. Image names are rewritten.
multiseed() { # FILE IMAGE SEEDS...
  local file=$1 img=$2; shift 2
  local s
  awk '/^(import|\/\/)/ {print} /^$/ && !body {print}' "$file"
  for s in "$@"; do
    awk -v s="$s" -v img="$img" '
      /^experiment / {body = 1; sub(/ \{$/, "_s" s " {")}
      body && /^ *seed = / {sub(/seed = [0-9]+;/, "seed = " s ";")}
      body {gsub(/"(astronaut|camera|coffee)\.png"/, "\"" img ".png\""); print}
      body && /^}/ {print ""}
    ' "$file"
  done
}

# A comparison.csv as "name|model|n_params|mse" lines (its model column holds commas).
csv_runs() { /usr/bin/python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1])): print("|".join([r["name"], r["model"], r["n_params"], r["mse"]]))' "$1"; }

# The "## NAME" table of a comparison's summary.md (its header row and rows), or nothing.
summary_table() { # SUMMARY.md HEADING
  awk -v h="## $2" '$0 == h {on = 1; next} on && /^## / {exit} on && /^\|/ {print}' "$1"
}

# The mean and sd of the MSE per model from a comparison's summary.md, as "model|mean|sd".
model_stats() { summary_table "$1" "Runs of the same model" | awk -F' \\| ' 'NR > 2 {sub(/^\| /, "", $1); print $1 "|" $4 "|" $5}'; }

section_images() {
  local f="$docs/results/images.md" img
  {
    echo "## Images: every model of the paper on the three images"
    echo
    echo "Produced by \`scripts/results.sh images\` on $stamp: examples/compare.qnn's nine"
    echo "experiments (QIREN and the four baselines at the reference code's width 8 and at"
    echo "budgets matched to QIREN's 657 parameters), seeds $seeds, in one \`qnnc run\` per image"
    echo "(the file repeated once per seed). Final MSE on the 32x32 training grid after 301"
    echo "epochs of full-batch Adam (lr 0.03), f64, batch-norm statistics of the batch at"
    echo "evaluation (as the reference). Mean ± sample standard deviation over the seeds; the"
    echo "comparison reports are in $out/images/IMAGE/comparison/."
    echo
  } > "$f.tmp"
  for img in astronaut camera coffee; do
    multiseed examples/compare.qnn "$img" $seeds > "$out/images_$img.qnn"
    "$QNNC" run "$out/images_$img.qnn" --quiet "${extra[@]}" --out "$out/images/$img" > /dev/null
  done
  {
    echo "| model | parameters | astronaut | camera | coffee |"
    echo "|---|---:|---:|---:|---:|"
    paste -d'#' <(model_stats "$out/images/astronaut/comparison/summary.md") \
                <(model_stats "$out/images/camera/comparison/summary.md") \
                <(model_stats "$out/images/coffee/comparison/summary.md") |
      awk -F'#' '{ n = split($1, a, "|"); split($2, b, "|"); split($3, c, "|");
                   printf "| %s | | %s ± %s | %s ± %s | %s ± %s |\n", a[1], a[2], a[3], b[2], b[3], c[2], c[3] }'
    echo
    for img in astronaut camera coffee; do
      echo "Paired over seeds, $img (each model against QIREN, lower MSE is better):"
      echo
      summary_table "$out/images/$img/comparison/summary.md" "Paired over seeds"
      echo
    done
  } >> "$f.tmp"
  # parameter counts from the runs' table
  csv_runs "$out/images/astronaut/comparison/comparison.csv" | awk -F'|' '{print $2 "|" $3}' \
    > "$out/images_params.txt"
  awk -F'|' 'NR == FNR {p[$1] = $2; next}
             /^\| [^|]+ \| \| / {split($0, a, " \\| "); m = a[1]; sub(/^\| /, "", m);
                                  sub(/ \| \| /, " | " p[m] " | ")} {print}' \
    "$out/images_params.txt" "$f.tmp" > "$f"
  rm -f "$f.tmp"
}

section_superres() {
  local f="$docs/results/superres.md" img proto
  for img in astronaut camera coffee; do
    multiseed examples/superres_compare.qnn "$img" $seeds > "$out/superres_$img.qnn"
    for proto in batch running; do
      "$QNNC" run "$out/superres_$img.qnn" --quiet "${extra[@]}" --set "batchnorm_eval=$proto" \
        --out "$out/superres/$img-$proto" > /dev/null
    done
    # the interpolation baselines do not depend on a model: one short run reports them
    "$QNNC" run "$out/superres_$img.qnn" --quiet --experiment sr_relu_s0 --set epochs=1 \
      --result "$out/superres/$img-interp.csv" --out "$out/superres/$img-interp" > /dev/null
  done
  {
    echo "## Superresolution 32 -> 64: every model on the three images"
    echo
    echo "Produced by \`scripts/results.sh superres\` on $stamp:"
    echo "examples/superres_compare.qnn (every model trained on the 32x32 image, 301 epochs, then"
    echo "evaluated on the 64x64 grid against the image prepared at 64x64 from the original),"
    echo "seeds $seeds, two protocols the paper leaves open: batch-norm with the statistics of the"
    echo "64x64 batch being evaluated (\`batch\`, the reference code's behaviour) or the running"
    echo "statistics from training (\`running\`). MSE on the 64x64 grid, mean ± sd over the seeds;"
    echo "\"vs bilinear\" is QIREN's mean MSE over bilinear upsampling's, minus 1 (the paper:"
    echo "QIREN -24.0 % against interpolation); \"QIREN below\" counts the seeds where QIREN's MSE"
    echo "is below the interpolation's (one deterministic value per image)."
    echo
    echo "| image | protocol | QIREN | best other model (mean) | nearest | bilinear | bicubic | QIREN vs bilinear | vs nearest | vs bicubic | QIREN below bilinear |"
    echo "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
    for img in astronaut camera coffee; do
      for proto in batch running; do
        local d="$out/superres/$img-$proto/comparison"
        csv_runs "$d/comparison.csv" | awk -F'|' -v img="$img" -v proto="$proto" -v interp="$out/superres/$img-interp.csv" '
          BEGIN { while ((getline line < interp) > 0) { split(line, kv, ","); iv[kv[1]] = kv[2] } }
          { m = $2; v = $4 + 0;
                   n[m]++; s[m] += v; q[m] += v * v; if (!(m in seen)) { seen[m] = 1; order[++k] = m }
                   if (m == first || first == "") { first = m; below += (v < iv["mse_bilinear"]) ; nq++ } }
          END {
            qm = order[1]; mq = s[qm] / n[qm]; sq = n[qm] > 1 ? sqrt((q[qm] - n[qm] * mq * mq) / (n[qm] - 1)) : 0;
            best = ""; bm = 1e300;
            for (i = 2; i <= k; i++) { mm = s[order[i]] / n[order[i]]; if (mm < bm) { bm = mm; best = order[i] } }
            printf "| %s | %s | %.3e ± %.1e | %s %.3e | %.3e | %.3e | %.3e | %+.1f %% | %+.1f %% | %+.1f %% | %d of %d |\n",
              img, proto, mq, sq, best, bm, iv["mse_nearest"], iv["mse_bilinear"], iv["mse_bicubic"],
              100 * (mq / iv["mse_bilinear"] - 1), 100 * (mq / iv["mse_nearest"] - 1),
              100 * (mq / iv["mse_bicubic"] - 1), below, nq }'
      done
    done
    echo
    echo "Every model, mean ± sd of the MSE on the 64x64 grid:"
    echo
    echo "| model | astronaut batch | astronaut running | camera batch | camera running | coffee batch | coffee running |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
  } > "$f"
  # the per-model table: one row per model, the six protocol columns side by side
  local cols=()
  for img in astronaut camera coffee; do for proto in batch running; do
    model_stats "$out/superres/$img-$proto/comparison/summary.md" > "$out/superres/$img-$proto.stats"
    cols+=("$out/superres/$img-$proto.stats")
  done; done
  paste -d'#' "${cols[@]}" | awk -F'#' '{ line = ""; for (i = 1; i <= NF; i++) { split($i, a, "|");
      if (i == 1) line = "| " a[1]; line = line sprintf(" | %s ± %s", a[2], a[3]) } print line " |" }' >> "$f"
  {
    echo
    for img in astronaut camera coffee; do
      echo "Paired over seeds, $img, protocol \`batch\` (each model against QIREN, lower MSE is better):"
      echo
      summary_table "$out/superres/$img-batch/comparison/summary.md" "Paired over seeds"
      echo
    done
  } >> "$f"
}

section_sound() {
  local f="$docs/results/sound.md" s
  : > "$out/sound_rows.txt"
  for s in $seeds; do
    "$QNNC" run examples/sound_qiren.qnn --quiet "${extra[@]}" --set "seed=$s" --result "$out/sound_$s.csv" \
      --out "$out/sound/seed$s" > /dev/null
    awk -F',' -v s="$s" '$1 == "mse" {print s, $2} $1 == "n_params" {p = $2} END {print "params", p}' \
      "$out/sound_$s.csv" >> "$out/sound_rows.txt"
  done
  {
    echo "## Sound: the cello clip (1000 samples)"
    echo
    echo "Produced by \`scripts/results.sh sound\` on $stamp:"
    echo "\`$QNNC run examples/sound_qiren.qnn --set seed=S\` (QIREN with one input, Adam lr 0.03, full"
    echo "batch, 301 epochs, f64), final MSE per seed:"
    echo
    awk '$1 == "params" {p = $2; next} {printf "seed %s: %.3e; ", $1, $2; n++; m += $2; q += $2 * $2}
         END {mean = m / n; sd = n > 1 ? sqrt((q - n * mean * mean) / (n - 1)) : 0;
              printf "\n\nmean %.3e ± %.1e over %d seeds, %d parameters.\n", mean, sd, n, p}' "$out/sound_rows.txt"
  } > "$f"
}

section_memory() {
  local f="$docs/results/memory.md"
  "$QNNC" info examples/sound_memory.qnn > "$out/memory_info.txt"
  {
    echo "## Sound: memory of QIREN against the baselines (the paper's \"35.1 % less memory\")"
    echo
    echo "Produced by \`scripts/results.sh memory\` on $stamp from \`$QNNC info"
    echo "examples/sound_memory.qnn\` (bytes as the runtime allocates them in f64, rt_model_memory_of:"
    echo "parameters, gradients, Adam's two moments and buffers per model; activations kept for"
    echo "backward per point; 1000 points in one full batch). \"saves\" is 1 - QIREN's bytes over"
    echo "the row's."
    echo
    echo "| experiment | parameters | params + grads + optimiser + buffers (B) | activations per point (B) | 1000 points, full batch (B) | QIREN saves (activations) | QIREN saves (1000 points) |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk '/^experiment / {e = $2}
         /trainable parameters/ {p[e] = $2; for (i = 1; i <= NF; i++) if ($i == "all") fixed[e] = $(i - 3); order[++n] = e}
         /activations kept for backward/ {act[e] = $5}
         END { q = order[1]; tq = fixed[q] + 1000 * act[q];
               for (i = 1; i <= n; i++) { e = order[i]; t = fixed[e] + 1000 * act[e];
                 if (i == 1) printf "| %s | %s | %s | %s | %d | | |\n", e, p[e], fixed[e], act[e], t;
                 else printf "| %s | %s | %s | %s | %d | %.1f %% | %.1f %% |\n", e, p[e], fixed[e], act[e], t,
                             100 * (1 - act[q] / act[e]), 100 * (1 - tq / t) } }' "$out/memory_info.txt"
  } > "$f"
}

section_classify() {
  local f="$docs/results/classify.md"
  mkdir -p data
  /usr/bin/python3 examples/make_moons.py --n 400 --noise 0.2 --seed 0 > data/moons.csv
  "$QNNC" sweep examples/classify_moons.qnn --experiment moons_quantum \
    --set model=quantum_classifier,mlp_classifier --set "seed=1..$n_seeds" "${extra[@]}" --metric accuracy \
    --out "$out/classify/moons" > /dev/null
  local digits=""
  if scripts/fetch_data.sh digits > /dev/null 2>&1; then
    "$QNNC" sweep examples/classify_digits.qnn --experiment digits_quantum \
      --set model=quantum_digits,mlp_digits --set "seed=1..$n_seeds" "${extra[@]}" --metric accuracy \
      --out "$out/classify/digits" > /dev/null && digits=1
  fi
  {
    echo "## Classification: a quantum classifier against an MLP of the same size"
    echo
    echo "Produced by \`scripts/results.sh classify\` on $stamp: \`qnnc sweep\` over the model"
    echo "(quantum or MLP, equal parameter counts) and seeds 1..$n_seeds (the seed also draws the held-out"
    echo "rows, so both models of one seed are tested on the same points); test accuracy of the"
    echo "held-out part of \`split\`. Two moons: \`python3 examples/make_moons.py --n 400 --noise 0.2"
    echo "--seed 0\`, examples/classify_moons.qnn; digits: scikit-learn's 1797 images (Debian"
    echo "python3-sklearn, \`scripts/fetch_data.sh digits\`), examples/classify_digits.qnn."
    echo
    echo "Two moons (\`qnnc sweep examples/classify_moons.qnn --experiment moons_quantum --set"
    echo "model=quantum_classifier,mlp_classifier --set seed=1..$n_seeds --metric accuracy\`):"
    echo
    sed -n '/^|/p; /^Paired/p' "$out/classify/moons/sweep.md"
    echo
    if [ -n "$digits" ]; then
      echo "Digits (the same sweep of examples/classify_digits.qnn, models quantum_digits and mlp_digits):"
      echo
      sed -n '/^|/p; /^Paired/p' "$out/classify/digits/sweep.md"
    else
      echo "Digits: not measured in this run (\`scripts/fetch_data.sh digits\` failed)."
    fi
  } > "$f"
}

section_vqe() {
  local f="$docs/results/vqe.md" n ep file
  {
    echo "## VQE without data: transverse-field Ising and Heisenberg chains"
    echo
    echo "Produced by \`scripts/results.sh vqe\` on $stamp: examples/vqe_tfim.qnn (H = -sum Z Z -"
    echo "sum X, open chain, Hamiltonian variational ansatz with as many layers as qubits) and"
    echo "examples/vqe_heisenberg.qnn (H = sum XX + YY + ZZ, open chain), Adam lr 0.05, seed 0,"
    echo "f64; \`--set model.n=N --set model.layers=N --set epochs=E\`. \"Exact\" is the lowest"
    echo "eigenvalue the run computes by dense diagonalisation (LAPACKE); times are wall-clock on a"
    echo "machine that may have been shared."
    echo
    echo "| chain | qubits | epochs | final energy | exact | absolute error | relative error | wall time |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  } > "$f"
  for n in 4 8 12; do
    case $n in 4) ep=300 ;; 8) ep=1500 ;; *) ep=3000 ;; esac
    for file in vqe_tfim vqe_heisenberg; do
      local t0 t1 line
      t0=$(date +%s.%N)
      line=$("$QNNC" run "examples/$file.qnn" --set "model.n=$n" --set "model.layers=$n" --set "epochs=$ep" "${extra[@]}" \
               --out "$out/vqe/$file-$n" 2>&1 | grep "final energy" | tail -1)
      t1=$(date +%s.%N)
      echo "$line" | awk -v chain="$file" -v n="$n" -v ep="$ep" -v t="$(echo "$t1 - $t0" | bc)" '
        { for (i = 1; i <= NF; i++) { w = $i; gsub(/,/, "", w);
            if ($(i-1) == "energy" && $(i-2) == "final") e = w; if ($(i-1) == "exact") x = w;
            if ($(i-1) == "error" && $(i-2) == "absolute") a = w; if ($(i-1) == "error" && $(i-2) == "relative") r = w } }
        END { name = chain == "vqe_tfim" ? "Ising (g = 1)" : "Heisenberg";
              printf "| %s | %d | %d | %s | %s | %s | %s | %.1f s |\n", name, n, ep, e, x, a, r, t }' >> "$f"
    done
  done
}

section_shots() {
  local f="$docs/results/shots.md"
  QNNC="$QNNC" scripts/shots_sweep.sh "$out/shots" "seed=0..$n_seeds" "${extra[@]}" > /dev/null
  {
    echo "## Shots: final MSE against the measurement budget (QIREN, image task)"
    echo
    echo "Produced by \`scripts/results.sh shots\` on $stamp with scripts/shots_sweep.sh"
    echo "(\`qnnc sweep examples/image_qiren.qnn\` at small settings: astronaut 8x8 gray, QIREN with"
    echo "4 qubits and one hybrid layer, 197 parameters, 60 epochs of full-batch Adam lr 0.03,"
    echo "\`shots = exact, 16, 64, 256, 1024\`, seeds 0..$((n_seeds - 1))). With shots, training and"
    echo "the final evaluation estimate every expectation from N shots per pixel and gradients are"
    echo "the parameter-shift rule on shots (semantics.md §9); \`exact\` uses the adjoint method."
    echo "Final MSE on the 64 training pixels (sweep.md):"
    echo
    sed -n '/^|/p; /^Paired/p' "$out/shots/sweep.md"
  } > "$f"
}

# mean ± sd of the `mse` lines of result files, as "mean|sd|n"
mean_sd() { awk -F',' '$1 == "mse" {n++; m += $2; q += $2 * $2}
  END {if (n) {mean = m / n; printf "%.3e|%.1e|%d", mean, (n > 1 ? sqrt((q - n * mean * mean) / (n - 1)) : 0), n}}' "$@"; }

noise_runs() {
  local img p s
  for img in astronaut camera coffee; do
    # the reference's noise: RX(pi + e u) on every wire before measurement, in every layer
    "$QNNC" sweep examples/image_qiren.qnn --out "$out/noise/rx-$img" --set "data.path=\"$img.png\"" \
      --set model.noisy=1 --set model.e=0,0.1,0.3,1 --set "seed=0..$n_seeds" "${extra[@]}" > /dev/null
    "$QNNC" sweep examples/image_qiren.qnn --out "$out/noise/none-$img" --set "data.path=\"$img.png\"" \
      --set "seed=0..$n_seeds" "${extra[@]}" > /dev/null
    # depolarizing after every gate, density matrices (the interpreter): a small QIREN, 8x8
    for p in 0 0.001 0.01; do
      for s in $(seq 0 $((n_dm_seeds - 1))); do
        local noise=()
        [ "$p" = 0 ] || noise=(--set "noise=depolarizing($p, after = all)")
        "$QNNC" run examples/image_qiren.qnn --quiet --set "data=image(path = \"$img.png\", size = 8)" \
          --set 'eval=grid(size = 8, metrics = [mse, psnr])' --set model.n=4 --set model.hidden=0 \
          --set "seed=$s" "${noise[@]}" "${extra[@]}" --result "$out/noise/dm-$img-$p-$s.csv" \
          --out "$out/noise/dm-$img-$p-$s" > /dev/null
      done
    done
  done
}

section_noise() {
  local f="$docs/results/noise.md" img e p s
  [ -n "${RESULTS_TABLES_ONLY:-}" ] || noise_runs
  {
    echo "## Noise: how much noise QIREN tolerates"
    echo
    echo "Produced by \`scripts/results.sh noise\` on $stamp."
    echo
    echo "**The reference code's noise** (its \`use_noise\`: RX(pi + e u) on every wire before"
    echo "measurement, u a fresh uniform draw in [0, 1) per call and sample, in all three quantum"
    echo "layers, in training and in the final evaluation alike): \`qnnc sweep examples/image_qiren.qnn"
    echo "--set model.noisy=1 --set model.e=0,0.1,0.3,1 --set seed=0..$n_seeds\` per image (QIREN, 657"
    echo "parameters, 301 epochs, the full 32x32 images); \`none\` is the model without the switch."
    echo "Final MSE, mean ± sd over seeds 0..$((n_seeds - 1)):"
    echo
    echo "| image | none | e = 0 | e = 0.1 | e = 0.3 | e = 1 |"
    echo "|---|---:|---:|---:|---:|---:|"
    for img in astronaut camera coffee; do
      /usr/bin/python3 - "$img" "$out/noise/none-$img/sweep.csv" "$out/noise/rx-$img/sweep.csv" <<'PY'
import csv, sys
img, none, rx = sys.argv[1:]
cell = lambda r: "%.3e ± %.1e" % (float(r["mse_mean"]), float(r["mse_sd"] or 0))
n = list(csv.DictReader(open(none)))[0]
rows = {r["model.e"]: r for r in csv.DictReader(open(rx))}
print("| %s | %s | %s |" % (img, cell(n), " | ".join(cell(rows[e]) for e in ["0", "0.1", "0.3", "1"])))
PY
    done
    echo
    for img in astronaut camera coffee; do
      echo "Paired over seeds, $img (each e against e = 0):"
      echo
      sed -n '/^Paired over seeds/,$p' "$out/noise/rx-$img/sweep.md" | sed -n '/^|/p'
      echo
    done
    echo "**Depolarizing noise** (\`noise = depolarizing(p, after = all)\`: the channel on every wire"
    echo "of every gate, simulated exactly as a density matrix by the reference interpreter): the"
    echo "density matrix of 8 qubits costs about 0.2 s per point and gradient here, so this part is"
    echo "a small QIREN (4 qubits, one hybrid layer, 8x8 images, 301 epochs), seeds 0..$((n_dm_seeds - 1));"
    echo "final MSE on the 64 pixels, mean ± sd:"
    echo
    echo "| image | p = 0 | p = 1e-3 | p = 1e-2 |"
    echo "|---|---:|---:|---:|"
    for img in astronaut camera coffee; do
      local row="| $img"
      for p in 0 0.001 0.01; do
        IFS='|' read -r m sd _ <<<"$(mean_sd "$out"/noise/dm-"$img"-"$p"-*.csv)"
        row="$row | $m ± $sd"
      done
      echo "$row |"
    done
  } > "$f"
}

for s in "${sections[@]}"; do
  echo "results.sh: $s ..." >&2
  "section_$s"
done

# docs/results.md from every section's measured tables and their readings
{
  echo "# Measured results"
  echo
  echo "Every table below was produced by \`scripts/results.sh\` (one section:"
  echo "\`scripts/results.sh NAME\`); the date and machine are in each section. The readings under"
  echo "each table (docs/results/NAME.notes.md) are written by hand from those tables and state"
  echo "the run they were written from; a claim of the paper is set beside what was measured."
  for s in images superres sound memory classify vqe shots noise; do
    echo
    if [ -f "$docs/results/$s.md" ]; then cat "$docs/results/$s.md"
    else echo "## $s"; echo; echo "Not measured yet: \`scripts/results.sh $s\`."; fi
    if [ -f "$notes/$s.notes.md" ]; then echo; cat "$notes/$s.notes.md"; fi
  done
} > "$docs/results.md.tmp"
mv "$docs/results.md.tmp" "$docs/results.md"
echo "results.sh: wrote $docs/results.md (sections: ${sections[*]})" >&2
