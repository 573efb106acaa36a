#!/usr/bin/env bash
# Regenerates docs/results.md: each section's tables come from runs made here and now, the
# statistics from qnn's own comparison reports (mean, sd, and the exact paired tests of
# docs/reports.md 4.2); the readings written from those tables sit beside them in
# docs/results/NAME.notes.md, by hand, and say which run they were written from.
#
#   scripts/results.sh [--seeds N] [--set KEY=VALUE]... [--docs DIR] [--work DIR] [SECTION...]
#
# Sections (default: all, in this order): images superres sound memory classify vqe shots noise
# noisetraj generate.
# A section run writes docs/results/NAME.md; docs/results.md is then put together from every
# section's file, so one section can be re-measured without the others. --seeds N (default
# 6: the fewest for which an exact two-sided paired test can reach p < 0.05, 2/2^6) runs seeds
# 0..N-1. The images come from $QNN_DATA_DIR or data/ (`make demo` fetches them), the digits
# from `scripts/fetch_data.sh digits`. --set is passed to every training run (a quick check:
# `--seeds 2 --set epochs=3 --docs /tmp/r`); --docs writes results.md and results/ elsewhere
# (tests/e2e/results_script.sh), the readings still read from docs/results/; --work is where
# the runs and their reports go (default out/results). RESULTS_TABLES_ONLY=1 rebuilds the superres,
# vqe, noise and generate sections' tables from the runs already in --work, without training again. Times on this 2-core machine: images ~5 min,
# superres ~10 min (trained once, then `qnnc eval` under each protocol), sound ~1 min, memory < 1 s,
# classify ~2 min, vqe ~12 min (at most 3 seeds at 12 qubits), shots ~3 min, noise ~22 min, noisetraj ~40 min,
# generate ~15 min (5 GAN generators x 3 seeds on digits, then 2 on faces; --set is not passed to it).
# Each section copies the figures of the reports it ran into docs/results/NAME.png (under
# 300 KB each) and links them from its text.
set -euo pipefail
cd "$(dirname "$0")/.."
QNNC=${QNNC:-build/qnnc}
n_seeds=6
n_dm_seeds=3   # the density-matrix runs of `noise` (compiled, but 4^n per state)
dm_full_epochs=10  # the full-width QIREN density-matrix row of `noise` (about 20 s an epoch)
traj_k=16          # trajectories per sample of `noisetraj` (the full-width QIREN, depolarizing)
traj_size=16       # its image size: 16x16 (256 points; 32x32 is about 17 min per run)
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
    images|superres|sound|memory|classify|vqe|shots|noise|noisetraj|generate) sections+=("$1"); shift ;;
    *) echo "results.sh: unknown argument '$1' (sections: images superres sound memory classify vqe shots noise noisetraj generate; --seeds N)" >&2; exit 2 ;;
  esac
done
[ ${#sections[@]} -gt 0 ] || sections=(images superres sound memory classify vqe shots noise noisetraj generate)
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

# A figure of a report copied into docs/results/ as NAME.png and linked from the section's
# text (docs/results.md sits in docs/, so the link is results/NAME.png). A figure the run did
# not draw is named as missing rather than linked. The docs stay small: a figure over 300 KB
# (the superresolution grids of photographs) is stored with a 256-colour palette, then, if
# still too large, at 3/4 of its size, with PIL (Debian python3-pil); over 300 KB after that
# it is refused.
figure() { # SRC NAME CAPTION
  if [ ! -s "$1" ]; then echo "($3: not drawn in this run, $1 missing.)"; echo; return; fi
  local dst="$docs/results/$2.png" max=307200
  cp "$1" "$dst"
  if [ "$(wc -c < "$dst")" -gt "$max" ]; then
    /usr/bin/python3 - "$1" "$dst" "$max" <<'PY' || { echo "results.sh: $1 is over 300 KB and could not be made smaller" >&2; exit 1; }
import os, sys
from PIL import Image
src, dst, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
im = Image.open(src).convert("RGB")
for scale in (1.0, 0.75, 0.5):
    w, h = im.size
    s = im if scale == 1.0 else im.resize((int(w * scale), int(h * scale)), Image.LANCZOS)
    s.quantize(256, dither=Image.Dither.NONE).save(dst, optimize=True)  # dithering compresses worse
    if os.path.getsize(dst) <= limit:
        sys.exit(0)
os.remove(dst)
sys.exit(1)
PY
  fi
  echo "![$3](results/$2.png)"
  echo
}
image_credit() {
  echo "The images are scikit-image's test images: astronaut (NASA, public domain), camera and"
  echo "coffee (CC0)."
}

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
    echo "The paper's Fig. 7 (each run's relative error against the Tanh MLP's, split into low and"
    echo "high frequencies; relative_error.png of each comparison report: all 54 runs, in the file's"
    echo "order, model by model within each seed, their names cut under the bars) and the"
    echo "output spectra of every run over the target's (spectra.png):"
    echo
    for img in astronaut camera coffee; do
      figure "$out/images/$img/comparison/relative_error.png" "images_${img}_relative_error" "Fig. 7, $img"
      figure "$out/images/$img/comparison/spectra.png" "images_${img}_spectra" "spectra, $img"
    done
    image_credit
  } >> "$f.tmp"
  # parameter counts from the runs' table
  csv_runs "$out/images/astronaut/comparison/comparison.csv" | awk -F'|' '{print $2 "|" $3}' \
    > "$out/images_params.txt"
  awk -F'|' 'NR == FNR {p[$1] = $2; next}
             /^\| [^|]+ \| \| / {split($0, a, " \\| "); m = a[1]; sub(/^\| /, "", m);
                                  sub(/ \| \| /, " | " p[m] " | ")} {print}' \
    "$out/images_params.txt" "$f.tmp" > "$f.new"
  mv "$f.new" "$f"
  rm -f "$f.tmp"
}

# The sign test's exact two-sided p for k successes in n pairs: min(1, 2 P(X <= min(k, n - k))).
sign_p() { awk -v k="$1" -v n="$2" 'BEGIN { m = k < n - k ? k : n - k; c = 1; t = 0;
  for (i = 0; i <= m; i++) { t += c; c = c * (n - i) / (i + 1) } p = 2 * t / 2 ^ n; print (p > 1 ? 1 : p) }'; }

# The superresolution protocols: name, batch-norm statistics at evaluation, ground truth.
# `batch` is the reference code's; `running` the running statistics from training; `from32`
# the 64x64 truth resized from the 32x32 training image (image(..., from_size = 32)).
SR_PROTOCOLS="batch running from32"
sr_bn() { [ "$1" = running ] && echo running || echo batch; }
sr_truth() { [ "$1" = from32 ] && echo from32 || echo original; }
sr_eval() { # IMAGE TRUTH: the --set of the evaluation grid and its ground truth
  local f=""; [ "$2" = from32 ] && f=", from_size = 32"
  echo "eval=grid(size = 64, target = image(path = \"$1.png\", size = 64$f))"
}

section_superres() {
  local f="$docs/results/superres.md" img proto truth name
  for img in astronaut camera coffee; do
    [ -z "${RESULTS_TABLES_ONLY:-}" ] || break # the tables from the runs already in --work
    multiseed examples/superres_compare.qnn "$img" $seeds > "$out/superres_$img.qnn"
    # Trained once, with the reference protocol, keeping each model's weights; the other
    # protocols evaluate those weights (qnnc eval --checkpoint), which is what retraining under
    # them would give: training does not depend on how the 64x64 grid is evaluated.
    "$QNNC" run "$out/superres_$img.qnn" --quiet "${extra[@]}" --set batchnorm_eval=batch \
      --set "$(sr_eval "$img" original)" --set 'outputs=[report("report"), checkpoint("weights.ckpt")]' \
      --out "$out/superres/$img-batch" > /dev/null
    csv_runs "$out/superres/$img-batch/comparison/comparison.csv" > "$out/superres/$img-batch.runs"
    for proto in $SR_PROTOCOLS; do
      [ "$proto" = batch ] && continue
      : > "$out/superres/$img-$proto.runs"
      while IFS='|' read -r name model params _; do
        name=${name%% (*} # comparison.csv's name carries what differs, e.g. "sr_qiren_s0 (seed 0)"
        "$QNNC" eval "$out/superres_$img.qnn" --quiet --experiment "$name" "${extra[@]}" \
          --checkpoint "$out/superres/$img-batch/$name/weights.ckpt" --set "batchnorm_eval=$(sr_bn "$proto")" \
          --set "$(sr_eval "$img" "$(sr_truth "$proto")")" --set 'outputs=[]' \
          --result "$out/superres/$img-$proto/$name.csv" --out "$out/superres/$img-$proto/$name" \
          > /dev/null 2>> "$out/superres/eval.log" || { tail -3 "$out/superres/eval.log" >&2; exit 1; }
        awk -F',' -v n="$name" -v m="$model" -v p="$params" '$1 == "mse" {print n "|" m "|" p "|" $2}' \
          "$out/superres/$img-$proto/$name.csv" >> "$out/superres/$img-$proto.runs"
      done < "$out/superres/$img-batch.runs"
    done
    # the interpolation baselines do not depend on a model: one short run per ground truth
    for truth in original from32; do
      "$QNNC" run "$out/superres_$img.qnn" --quiet --experiment sr_relu_s0 --set epochs=1 \
        --set "$(sr_eval "$img" "$truth")" --set 'outputs=[]' \
        --result "$out/superres/$img-interp-$truth.csv" --out "$out/superres/$img-interp-$truth" > /dev/null
    done
  done
  # Fig. 8 as the paper draws it: one run per model (the first seed), its own comparison
  for img in astronaut camera coffee; do
    [ -z "${RESULTS_TABLES_ONLY:-}" ] || [ ! -s "$out/superres/$img-fig/comparison/superres.png" ] || continue
    multiseed examples/superres_compare.qnn "$img" "${seeds%% *}" > "$out/superres_fig_$img.qnn"
    "$QNNC" run "$out/superres_fig_$img.qnn" --quiet "${extra[@]}" --set batchnorm_eval=batch \
      --set "$(sr_eval "$img" original)" --out "$out/superres/$img-fig" > /dev/null
  done
  {
    echo "## Superresolution 32 -> 64: every model on the three images"
    echo
    echo "Produced by \`scripts/results.sh superres\` on $stamp:"
    echo "examples/superres_compare.qnn (every model trained on the 32x32 image, 301 epochs, then"
    echo "evaluated on the 64x64 grid), seeds $seeds, under three protocols the paper leaves open:"
    echo "\`batch\`, batch-norm with the statistics of the 64x64 batch being evaluated (the reference"
    echo "code's behaviour) against the image prepared at 64x64 from the original; \`running\`, the"
    echo "running statistics from training, same truth; \`from32\`, the batch's statistics against a"
    echo "64x64 truth resized from the 32x32 training image (\`image(..., size = 64, from_size = 32)\`,"
    echo "PIL's bilinear resampling). Each model is trained once (under \`batch\`, its weights kept);"
    echo "\`running\` and \`from32\` evaluate those weights with \`qnnc eval --checkpoint\`. MSE on the"
    echo "64x64 grid, mean ± sd over the seeds; \"vs bilinear\" is QIREN's mean MSE over bilinear"
    echo "upsampling's, minus 1 (the paper: QIREN -24.0 % against interpolation); \"QIREN below\""
    echo "counts the seeds where QIREN's MSE is below bilinear's (one deterministic value per image"
    echo "and truth), with the exact two-sided sign test's p."
    echo
    echo "| image | protocol | QIREN | best other model (mean) | nearest | bilinear | bicubic | QIREN vs bilinear | vs nearest | vs bicubic | QIREN below bilinear | sign p |"
    echo "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for img in astronaut camera coffee; do
      for proto in $SR_PROTOCOLS; do
        local row
        row=$(awk -F'|' -v img="$img" -v proto="$proto" -v interp="$out/superres/$img-interp-$(sr_truth "$proto").csv" '
          BEGIN { while ((getline line < interp) > 0) { split(line, kv, ","); iv[kv[1]] = kv[2] } }
          { m = $2; v = $4 + 0;
                   n[m]++; s[m] += v; q[m] += v * v; if (!(m in seen)) { seen[m] = 1; order[++k] = m }
                   if (m == first || first == "") { first = m; below += (v < iv["mse_bilinear"]) ; nq++ } }
          END {
            qm = order[1]; mq = s[qm] / n[qm]; sq = n[qm] > 1 ? sqrt((q[qm] - n[qm] * mq * mq) / (n[qm] - 1)) : 0;
            best = ""; bm = 1e300;
            for (i = 2; i <= k; i++) { mm = s[order[i]] / n[order[i]]; if (mm < bm) { bm = mm; best = order[i] } }
            printf "| %s | %s | %.3e ± %.1e | %s %.3e | %.3e | %.3e | %.3e | %s | %s | %s | %d of %d |",
              img, proto, mq, sq, best, bm, iv["mse_nearest"], iv["mse_bilinear"], iv["mse_bicubic"],
              pct(mq, iv["mse_bilinear"]), pct(mq, iv["mse_nearest"]), pct(mq, iv["mse_bicubic"]), below, nq }
          # a ratio to an interpolation that is (almost) exact by construction is huge: in powers of ten
          function pct(a, b,  r) { r = 100 * (a / b - 1); return (r >= 1e4 || r <= -1e4) ? sprintf("%+.2g %%", r) : sprintf("%+.1f %%", r) }
          ' "$out/superres/$img-$proto.runs")
        local k n
        k=$(echo "$row" | awk -F'|' '{split($12, a, " of "); print a[1] + 0}')
        n=$(echo "$row" | awk -F'|' '{split($12, a, " of "); print a[2] + 0}')
        echo "$row $(sign_p "$k" "$n") |"
      done
    done
    echo
    echo "Every model, mean ± sd of the MSE on the 64x64 grid:"
    echo
    local head="| model" rule="|---"
    for img in astronaut camera coffee; do for proto in $SR_PROTOCOLS; do
      head="$head | $img $proto"; rule="$rule|---:"
    done; done
    echo "$head |"
    echo "$rule|"
  } > "$f.tmp"
  # the per-model table: one row per model, the protocol columns side by side
  local cols=()
  for img in astronaut camera coffee; do for proto in $SR_PROTOCOLS; do
    awk -F'|' '{ m = $2; v = $4 + 0; n[m]++; s[m] += v; q[m] += v * v; if (!(m in seen)) { seen[m] = 1; o[++k] = m } }
      END { for (i = 1; i <= k; i++) { m = o[i]; mu = s[m] / n[m];
              printf "%s|%.3e|%.3e\n", m, mu, (n[m] > 1 ? sqrt((q[m] - n[m] * mu * mu) / (n[m] - 1)) : 0) } }' \
      "$out/superres/$img-$proto.runs" > "$out/superres/$img-$proto.stats"
    cols+=("$out/superres/$img-$proto.stats")
  done; done
  paste -d'#' "${cols[@]}" | awk -F'#' '{ line = ""; for (i = 1; i <= NF; i++) { split($i, a, "|");
      if (i == 1) line = "| " a[1]; line = line sprintf(" | %s ± %s", a[2], a[3]) } print line " |" }' >> "$f.tmp"
  {
    echo
    for img in astronaut camera coffee; do
      echo "Paired over seeds, $img, protocol \`batch\` (each model against QIREN, lower MSE is better):"
      echo
      summary_table "$out/superres/$img-batch/comparison/summary.md" "Paired over seeds"
      echo
    done
    echo "The paper's Fig. 8 (protocol \`batch\`, seed ${seeds%% *} of each model: the superres.png of a"
    echo "comparison of those nine runs alone, trained again, since the six-seed comparison's figure"
    echo "shows all 54; training is deterministic, so these are the same runs as the tables'): ground"
    echo "truth, each model, bicubic, bilinear and nearest upsampling, the MSE under each:"
    echo
    for img in astronaut camera coffee; do
      figure "$out/superres/$img-fig/comparison/superres.png" "superres_$img" "Fig. 8, $img"
    done
    image_credit
  } >> "$f.tmp"
  mv "$f.tmp" "$f"
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
    echo
    echo "The spectrum of seed 0's output over the recording's (its report's spectrum.png):"
    echo
    figure "$out/sound/seed${seeds%% *}/report/spectrum.png" sound_spectrum "sound: QIREN's output spectrum over the target's"
  } > "$f.tmp"
  mv "$f.tmp" "$f"
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
  } > "$f.tmp"
  mv "$f.tmp" "$f"
}

# A sweep.md's tables (its "|" lines and the "Paired" line), with a blank line before each
# table and paragraph so that Markdown renders them apart.
sweep_tables() { awk '/^\|/ {if (!t) print ""; t = 1; print; next} /^Paired/ {print ""; print; t = 0}' "$1"; }

section_classify() {
  local f="$docs/results/classify.md"
  mkdir -p data
  /usr/bin/python3 examples/make_moons.py --n 400 --noise 0.2 --seed 0 > data/moons.csv
  # seeds 1..n_seeds (qnnc sweep's a..b is half-open): seed 0 is the files' own
  "$QNNC" sweep examples/classify_moons.qnn --experiment moons_quantum \
    --set model=quantum_classifier,mlp_classifier --set "seed=1..$((n_seeds + 1))" "${extra[@]}" --metric accuracy \
    --out "$out/classify/moons" > /dev/null
  local digits=""
  if scripts/fetch_data.sh digits > /dev/null 2>&1; then
    "$QNNC" sweep examples/classify_digits.qnn --experiment digits_quantum \
      --set model=quantum_digits,mlp_digits --set "seed=1..$((n_seeds + 1))" "${extra[@]}" --metric accuracy \
      --out "$out/classify/digits" > /dev/null && digits=1
  fi
  {
    echo "## Classification: a quantum classifier against an MLP of the same size"
    echo
    echo "Produced by \`scripts/results.sh classify\` on $stamp: \`qnnc sweep\` over the model"
    echo "(quantum or MLP, equal parameter counts) and seeds 1..$n_seeds (the seed also draws the held-out"
    echo "rows, so both models of one seed are tested on the same points); test accuracy of the"
    echo "held-out part of \`split\`. Two moons: \`python3 examples/make_moons.py --n 400 --noise 0.2"
    echo "--seed 0\`, examples/classify_moons.qnn (200 epochs, Adam lr 0.05); digits: scikit-learn's"
    echo "1797 images (Debian python3-sklearn, \`scripts/fetch_data.sh digits\`),"
    echo "examples/classify_digits.qnn (300 epochs, Adam lr 0.02); full batch, \`cross_entropy\`, f64."
    echo
    echo "Two moons (\`qnnc sweep examples/classify_moons.qnn --experiment moons_quantum --set"
    echo "model=quantum_classifier,mlp_classifier --set seed=1..$((n_seeds + 1)) --metric accuracy\`):"
    sweep_tables "$out/classify/moons/sweep.md"
    echo
    figure "$out/classify/moons/sweep.png" classify_moons "two moons: test accuracy per model over seeds (sweep.png)"
    if [ -n "$digits" ]; then
      echo "Digits (the same sweep of examples/classify_digits.qnn, models quantum_digits and mlp_digits):"
      sweep_tables "$out/classify/digits/sweep.md"
      echo
      figure "$out/classify/digits/sweep.png" classify_digits "digits: test accuracy per model over seeds (sweep.png)"
    else
      echo "Digits: not measured in this run (\`scripts/fetch_data.sh digits\` failed)."
    fi
  } > "$f.tmp"
  mv "$f.tmp" "$f"
}

section_vqe() {
  local f="$docs/results/vqe.md" n ep file s
  # 12 qubits cost minutes per run (the Heisenberg chain about two): at most 3 seeds there
  local n12=$((n_seeds < 3 ? n_seeds : 3))
  [ -n "${RESULTS_TABLES_ONLY:-}" ] || : > "$out/vqe_rows.txt"
  for n in 4 8 12; do
    [ -z "${RESULTS_TABLES_ONLY:-}" ] || break # the table from the runs already in --work
    case $n in 4) ep=300 ;; 8) ep=1500 ;; *) ep=3000 ;; esac
    local ns=$n_seeds; [ "$n" = 12 ] && ns=$n12
    for file in vqe_tfim vqe_heisenberg; do
      for s in $(seq 0 $((ns - 1))); do
        local t0 t1 line
        t0=$(date +%s.%N)
        line=$("$QNNC" run "examples/$file.qnn" --set "model.n=$n" --set "model.layers=$n" --set "epochs=$ep" \
                 --set "seed=$s" "${extra[@]}" --out "$out/vqe/$file-$n-s$s" 2>&1 | grep "final energy" | tail -1)
        t1=$(date +%s.%N)
        # chain qubits epochs seed energy exact abs rel seconds
        echo "$line" | awk -v chain="$file" -v n="$n" -v ep="$ep" -v s="$s" -v t="$(echo "$t1 - $t0" | bc)" '
          { for (i = 1; i <= NF; i++) { w = $i; gsub(/,/, "", w);
              if ($(i-1) == "energy" && $(i-2) == "final") e = w; if ($(i-1) == "exact") x = w;
              if ($(i-1) == "error" && $(i-2) == "absolute") a = w; if ($(i-1) == "error" && $(i-2) == "relative") r = w } }
          END { if (e == "" || x == "") { print "results.sh: vqe " chain " " n " qubits, seed " s ": no final energy" > "/dev/stderr"; exit 1 }
                print chain, n, ep, s, e, x, a, r, t }' >> "$out/vqe_rows.txt"
      done
    done
  done
  {
    echo "## VQE without data: transverse-field Ising and Heisenberg chains"
    echo
    echo "Produced by \`scripts/results.sh vqe\` on $stamp: examples/vqe_tfim.qnn (H = -sum Z Z -"
    echo "sum X, open chain, Hamiltonian variational ansatz with as many layers as qubits) and"
    echo "examples/vqe_heisenberg.qnn (H = sum XX + YY + ZZ, open chain), Adam lr 0.05, f64;"
    echo "\`--set model.n=N --set model.layers=N --set epochs=E --set seed=S\`, seeds 0..$((n_seeds - 1))"
    echo "at 4 and 8 qubits, 0..$((n12 - 1)) at 12 (each 12-qubit run takes minutes here). \"Exact\" is"
    echo "the lowest eigenvalue the run computes by dense diagonalisation (LAPACKE). Final energy:"
    echo "mean ± sd over the seeds; errors: mean, then the smallest and largest in brackets; wall"
    echo "time: the mean per run, on a machine that may have been shared."
    echo
    echo "| chain | qubits | epochs | seeds | final energy | exact | absolute error | relative error | wall time per run |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk '{ k = $1 " " $2; if (!(k in n)) o[++m] = k; n[k]++; ep[k] = $3; e[k] += $5; v[k, n[k]] = $5; x[k] = $6;
           a[k] += $7; r[k] += $8; t[k] += $9;
           if (!(k in amin) || $7 < amin[k]) amin[k] = $7; if (!(k in amax) || $7 > amax[k]) amax[k] = $7;
           if (!(k in rmin) || $8 < rmin[k]) rmin[k] = $8; if (!(k in rmax) || $8 > rmax[k]) rmax[k] = $8 }
         END { for (i = 1; i <= m; i++) { k = o[i]; split(k, c, " "); c1 = n[k]; mu = e[k] / c1;
                 ss = 0; for (j = 1; j <= c1; j++) ss += (v[k, j] - mu) ^ 2; # two passes: no cancellation
                 sd = c1 > 1 ? sqrt(ss / (c1 - 1)) : 0;
                 printf "| %s | %d | %d | %d | %.10f ± %.1e | %s | %.2e [%.1e, %.1e] | %.2e [%.1e, %.1e] | %.1f s |\n",
                   c[1] == "vqe_tfim" ? "Ising (g = 1)" : "Heisenberg", c[2], ep[k], c1, mu, sd, x[k],
                   a[k] / c1, amin[k], amax[k], r[k] / c1, rmin[k], rmax[k], t[k] / c1 } }' "$out/vqe_rows.txt"
  } > "$f.tmp"
  mv "$f.tmp" "$f"
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
    sweep_tables "$out/shots/sweep.md"
    echo
    figure "$out/shots/sweep.png" shots_sweep "final MSE against shots (sweep.png)"
    image_credit
  } > "$f.tmp"
  mv "$f.tmp" "$f"
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
    # depolarizing after every gate, density matrices (compiled): a small QIREN, 8x8
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
  # the full-width QIREN (8 qubits, 3 hybrid layers: 480 channels, checkpoints every 13th with
  # the segments recomputed) on astronaut at 8x8, seed 0, only dm_full_epochs epochs
  for p in 0 0.001 0.01; do
    local noise=()
    [ "$p" = 0 ] || noise=(--set "noise=depolarizing($p, after = all)")
    "$QNNC" run examples/image_qiren.qnn --quiet --set 'data=image(path = "astronaut.png", size = 8)' \
      --set 'eval=grid(size = 8, metrics = [mse, psnr])' --set "epochs=$dm_full_epochs" --set seed=0 \
      "${noise[@]}" "${extra[@]}" --result "$out/noise/dmfull-$p.csv" --out "$out/noise/dmfull-$p" > /dev/null
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
    echo "of every gate, simulated exactly as a density matrix by the compiled code, docs/codegen.md"
    echo "§10): the full QIREN's density matrices (8 qubits, 480 channels) cost about 0.3 s per point"
    echo "and gradient here, so the full-size table (32x32, 301 epochs: about 27 h per run) is not"
    echo "measured. Instead, **a smaller QIREN** (4 qubits, one hybrid layer, 8x8 images, 301 epochs),"
    echo "seeds 0..$((n_dm_seeds - 1)); final MSE on the 64 pixels, mean ± sd:"
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
    echo
    echo "**The full-width QIREN, few epochs** (8 qubits, 3 hybrid layers, 657 parameters; astronaut"
    echo "at 8x8, seed 0, only $dm_full_epochs epochs, so far from converged: the effect of the noise on"
    echo "early training, not a final MSE):"
    echo
    echo "| image | p = 0 | p = 1e-3 | p = 1e-2 |"
    echo "|---|---:|---:|---:|"
    local row="| astronaut (8x8, $dm_full_epochs epochs)"
    for p in 0 0.001 0.01; do
      IFS='|' read -r m sd _ <<<"$(mean_sd "$out"/noise/dmfull-"$p".csv)"
      row="$row | $m"
    done
    echo "$row |"
    echo
    echo "Final MSE against e for the reference's noise (each image's sweep.png):"
    echo
    for img in astronaut camera coffee; do
      figure "$out/noise/rx-$img/sweep.png" "noise_rx_$img" "RX(pi + e u) noise, $img"
    done
    image_credit
  } > "$f.tmp"
  mv "$f.tmp" "$f"
}

# The full-width QIREN under depolarizing noise by trajectories: depolarizing is a Pauli channel,
# so `simulation = trajectories` samples it exactly and trains through it (semantics.md §10);
# one seed per image and level (each run is minutes), p = 0 the noiseless state vector.
section_noisetraj() {
  local f="$docs/results/noisetraj.md" img p
  mkdir -p "$out/noisetraj"
  local at=(--set "data=image(path = \"IMG.png\", size = $traj_size)" --set "eval=grid(size = $traj_size, metrics = [mse, psnr])")
  if [ -z "${RESULTS_TABLES_ONLY:-}" ]; then
    for img in astronaut camera coffee; do
      for p in 0 0.001 0.01; do
        local noise=()
        [ "$p" = 0 ] || noise=(--set "noise=depolarizing($p, after = all)" --set simulation=trajectories
                               --set "trajectories=$traj_k")
        local t0 t1
        t0=$(date +%s.%N)
        "$QNNC" run examples/image_qiren.qnn --quiet "${at[@]//IMG/$img}" --set seed=0 "${noise[@]}" \
          "${extra[@]}" --result "$out/noisetraj/$img-$p.csv" --out "$out/noisetraj/$img-$p" > /dev/null
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", b - a }' > "$out/noisetraj/$img-$p.wall"
      done
    done
  fi
  # The trajectory estimate's own variance (K draws per output) adds to its MSE, so every
  # trained model is also evaluated exactly (density matrix, `qnnc eval`, seconds each): the
  # weights trained under p, and the noiseless weights, under p. Run where missing, so that
  # RESULTS_TABLES_ONLY=1 still adds them.
  for img in astronaut camera coffee; do
    for p in 0.001 0.01; do
      local w
      for w in "$p" 0; do
        local r="$out/noisetraj/$img-$p-dm-w$w.csv"
        [ -z "${RESULTS_TABLES_ONLY:-}" ] || [ ! -f "$r" ] || continue
        "$QNNC" eval examples/image_qiren.qnn --quiet "${at[@]//IMG/$img}" \
          --set "noise=depolarizing($p, after = all)" --set simulation=density_matrix --set 'outputs=[]' \
          --checkpoint "$out/noisetraj/$img-$w/model.safetensors" --result "$r" \
          --out "$out/noisetraj/$img-$p-dm-w$w" > /dev/null
      done
    done
  done
  {
    echo "## Noise: the full-width QIREN under depolarizing noise, by trajectories"
    echo
    echo "Produced by \`scripts/results.sh noisetraj\` on $stamp. QIREN as in the images section (8"
    echo "qubits, 3 hybrid layers, 657 parameters, 301 epochs) on ${traj_size}x${traj_size} images, seed 0 only;"
    echo "\`noise = depolarizing(p, after = all)\` (480 channels), simulated by \`simulation = trajectories\`"
    echo "with K = $traj_k seeded trajectories per sample in training and in the final evaluation (an"
    echo "unbiased estimate of the density matrix's outputs: depolarizing is a mixture of Paulis);"
    echo "p = 0 is the noiseless state vector. Final MSE on the grid, one run each (so no spread),"
    echo "wall time of the training run in brackets (a machine shared with other work). The"
    echo "trajectory estimate's MSE includes the variance of a mean of K draws, so each trained model"
    echo "is also evaluated exactly under its noise (\`qnnc eval --set simulation=density_matrix\`),"
    echo "and so are the noiseless weights (trained at p = 0, evaluated under p):"
    echo
    echo "| image | p = 0 | p = 1e-3: trajectories | exact | noiseless weights | p = 1e-2: trajectories | exact | noiseless weights |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for img in astronaut camera coffee; do
      local row="| $img"
      IFS='|' read -r m _ _ <<<"$(mean_sd "$out/noisetraj/$img-0.csv")"
      row="$row | $m ($(cat "$out/noisetraj/$img-0.wall") s)"
      for p in 0.001 0.01; do
        IFS='|' read -r m _ _ <<<"$(mean_sd "$out/noisetraj/$img-$p.csv")"
        row="$row | $m ($(cat "$out/noisetraj/$img-$p.wall") s)"
        IFS='|' read -r m _ _ <<<"$(mean_sd "$out/noisetraj/$img-$p-dm-w$p.csv")"
        row="$row | $m"
        IFS='|' read -r m _ _ <<<"$(mean_sd "$out/noisetraj/$img-$p-dm-w0.csv")"
        row="$row | $m"
      done
      echo "$row |"
    done
  } > "$f.tmp"
  mv "$f.tmp" "$f"
}

# The generator models of the small-scale Table 2: "label=model", QIREN first (generate_table.py
# pairs the others against it).
gen_models=("QIREN=circuit_features" "Tanh=tanh_features" "ReLU=relu_features"
            "ReLU+RFF=rff_features" "SIREN=siren_features")
# One `qnnc run` of examples/generate_digits.qnn into DIR (metrics.jsonl, samples.png, report/),
# with its stderr in DIR/run.err and its wall time in DIR/wall.txt.
gen_run() { # DIR DATA MODEL SEED STEPS
  local t0 t1
  mkdir -p "$1"
  t0=$(date +%s.%N)
  "$QNNC" run examples/generate_digits.qnn --set "data.path=\"$2\"" --set "model=$3()" \
    --set "seed=$4" --set "steps=$5" --out "$1" 2> "$1/run.err" \
    || { echo "results.sh: generate: $3 seed $4 failed: $(tail -3 "$1/run.err")" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' > "$1/wall.txt"
}

section_generate() {
  [ ${#extra[@]} -eq 0 ] || echo "results.sh: generate: --set is not passed to the GAN runs (they use examples/generate_digits.qnn's settings)" >&2
  local f="$docs/results/generate.md" w="$out/generate" m label model s digits="" faces=""
  # 3 seeds (a GAN run per model and seed; fewer with --seeds below 3); --set is not passed:
  # the training sections' epochs-style overrides are refused by a generative experiment.
  # RESULTS_GEN_STEPS / RESULTS_FACES_STEPS shorten the runs for a check of the script.
  local n_gen=$((n_seeds < 3 ? n_seeds : 3)) steps=${RESULTS_GEN_STEPS:-2000}
  local fsteps=${RESULTS_FACES_STEPS:-1000}
  local labels=() models=() pairs=()
  for m in "${gen_models[@]}"; do labels+=("${m%%=*}"); models+=("${m#*=}"); done
  scripts/fetch_data.sh digits > /dev/null 2>&1 || true
  scripts/fetch_data.sh faces > /dev/null 2>&1 || true
  for s in "${QNN_DATA_DIR:-/nonexistent}/digits.csv" data/digits.csv \
           /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz; do
    [ -s "$s" ] && { digits=$(cd "$(dirname "$s")" && pwd)/$(basename "$s"); break; }
  done
  for s in "${QNN_DATA_DIR:-/nonexistent}/lfw_subset.npy" data/lfw_subset.npy \
           /usr/lib/python3/dist-packages/skimage/data/lfw_subset.npy; do
    [ -s "$s" ] && { faces=$(cd "$(dirname "$s")" && pwd)/$(basename "$s"); break; }
  done
  [ -n "$digits" ] || { echo "results.sh: generate: no digits (scripts/fetch_data.sh digits)" >&2; exit 1; }
  local train=1 best="" best_label=""
  [ -z "${RESULTS_TABLES_ONLY:-}" ] || train="" # the tables from the runs already in --work
  if [ -n "$train" ]; then
    rm -rf "$w"
    for model in "${models[@]}"; do
      for s in $(seq 0 $((n_gen - 1))); do gen_run "$w/$model-s$s" "$digits" "$model" "$s" "$steps"; done
    done
  fi
  best=$(/usr/bin/python3 scripts/generate_table.py best "$w" "${gen_models[@]}")
  best_label=${best%%=*}
  if [ -n "$faces" ] && [ -n "$train" ]; then
    gen_run "$w/faces-circuit_features" "$faces" circuit_features 0 "$fsteps"
    gen_run "$w/faces-${best#*=}" "$faces" "${best#*=}" 0 "$fsteps"
  fi
  # both faces runs, or no faces rows (a changed best baseline under RESULTS_TABLES_ONLY=1
  # has no run to read)
  [ -s "$w/faces-circuit_features/metrics.jsonl" ] && [ -s "$w/faces-${best#*=}/metrics.jsonl" ] || faces=""
  local q="$w/circuit_features-s0"
  {
    echo "## Image generation: the small-scale Table 2 (QIREN's generator on 8 x 8 digits)"
    echo
    echo "Produced by \`scripts/results.sh generate\` on $stamp: \`qnnc run"
    echo "examples/generate_digits.qnn --set model=MODEL() --set seed=S\` for each coordinate-features"
    echo "block and seeds 0..$((n_gen - 1)), at the example's settings ($steps steps of batch 32;"
    echo "latent 16, style 32, 2 mapping layers, modulated hidden layers [32, 32] of rank 4; MLP"
    echo "discriminator [64, 32] with minibatch std 4; logistic loss, R1 0.01 every 4 steps, Adam lr"
    echo "0.0025 betas (0, 0.99) for both, generator EMA half-life 2000 images). Data: scikit-learn's"
    echo "1797 digits (Debian python3-sklearn). QIREN is examples/generator_features.qnn's block (8"
    echo "independent 2-qubit circuits); the baselines are the same file's other blocks, each at"
    echo "the smallest width whose parameter count is at least QIREN's. Only the features block"
    echo "differs between rows; the rest of the generator (\`generator params\` minus \`features"
    echo "params\`) is the same."
    echo
    echo "The table's distances are those after the last step (metrics.jsonl's last row; every 200"
    echo "steps in between, report/distance.png): 256 images of the EMA generator from fixed latents"
    echo "against all 1797 real digits, the Fréchet distance in the feature space of a small"
    echo "classifier trained on the real digits (rt_gen_metric; per seed, so the models of one seed"
    echo "share one feature space) and in pixel space, and the kernel (KID-style) distances."
    echo "**They stand in for FID and are not comparable with the paper's numbers** (FID uses"
    echo "Inception features and 50k images of 32 x 32 faces). The floor is the same distance between"
    echo "two disjoint halves of the real set. Mean ± sd over the $n_gen seeds; the discriminator"
    echo "(6274 parameters) is the same in every row; wall time per run includes compiling, training"
    echo "the metric's classifier and the measurements; ms per step are run_gan's means (the"
    echo "features block's forward and backward pass, once per step over the 64 pixels, are outside them)."
    echo
    /usr/bin/python3 scripts/generate_table.py digits "$w" "${gen_models[@]}"
    echo
    # the five seed-0 sample grids (8 x 8 digits each) side by side, enlarged 3 times
    /usr/bin/python3 scripts/generate_table.py montage "$w/samples_s0.png" "$w" "" -s0 3 "${gen_models[@]}"
    figure "$w/samples_s0.png" generate_samples "64 samples of each model's EMA generator after $steps steps, seed 0 (samples.png of each run)"
    figure "$q/report/distance.png" generate_distance "QIREN, seed 0: the distances over training (report/distance.png)"
    echo "Faces: scikit-image's lfw_subset.npy (200 gray faces of 25 x 25, Debian python3-skimage,"
    echo "\`scripts/fetch_data.sh faces\`) through \`data = images(...)\`, one seed (0), QIREN and the"
    echo "best baseline on digits ($best_label), $fsteps steps (fewer than the digits' $steps: a step costs"
    echo "about ten times as much at 625 pixels). The set has no labels, so only pixel-space distances"
    echo "exist; with 200 images in 625 dimensions the covariances are rank-deficient and the"
    echo "Fréchet distance (floor from two halves of 100) is a rough measure."
    echo
    if [ -n "$faces" ]; then
      /usr/bin/python3 scripts/generate_table.py faces "$w" "QIREN=circuit_features" "$best"
      echo
      /usr/bin/python3 scripts/generate_table.py montage "$w/faces_samples.png" "$w" faces- "" 1 \
        "QIREN=circuit_features" "$best"
      figure "$w/faces_samples.png" generate_faces "64 samples of QIREN's and $best_label's EMA generators on faces after $fsteps steps, seed 0"
      echo "The faces are from Labeled Faces in the Wild (University of Massachusetts, Amherst), as"
      echo "scikit-image ships them."
    else
      echo "(Not measured: no lfw_subset.npy, \`scripts/fetch_data.sh faces\` failed.)"
    fi
  } > "$f.tmp"
  mv "$f.tmp" "$f"
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
  echo "The figures (docs/results/*.png) are copied from the reports of the same runs."
  for s in images superres sound memory classify vqe shots noise noisetraj generate; do
    echo
    if [ -f "$docs/results/$s.md" ]; then cat "$docs/results/$s.md"
    else echo "## $s"; echo; echo "Not measured yet: \`scripts/results.sh $s\`."; fi
    if [ -f "$notes/$s.notes.md" ]; then echo; cat "$notes/$s.notes.md"; fi
  done
} > "$docs/results.md.tmp"
mv "$docs/results.md.tmp" "$docs/results.md"
echo "results.sh: wrote $docs/results.md (sections: ${sections[*]})" >&2
