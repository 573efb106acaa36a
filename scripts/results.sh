#!/usr/bin/env bash
# Reproduces docs/results.md: every model of examples/compare.qnn (QIREN and the four
# baselines at the reference sizes and at matched budgets) on the three images, with several
# seeds, 301 epochs each, f64. Usage: scripts/results.sh [SEEDS...]  (default: 0 1 2)
# Needs the images in $QNN_DATA_DIR or data/ (`make demo` fetches them).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@"); [ ${#seeds[@]} -gt 0 ] || seeds=(0 1 2)
out=out/results
mkdir -p "$out"
rows="$out/rows.txt"; : > "$rows"
for img in astronaut camera coffee; do
  for s in "${seeds[@]}"; do
    build/qnnc run examples/compare.qnn --quiet --set "data.path=\"$img.png\"" --set "seed=$s" \
      --out "$out/$img/seed$s" | awk -v img="$img" -v s="$s" '$1 ~ /^fit_/ {sub("fit_", "", $1); print img, s, $1, $2, $3}' >> "$rows"
  done
done
{
  echo "# Measured results"
  echo
  echo "Produced by \`scripts/results.sh ${seeds[*]}\` on $(date -u +%Y-%m-%d) ($(uname -m), $(nproc) cores):"
  echo "final MSE on the 32x32 training grid after 301 epochs of full-batch Adam (lr 0.03), f64,"
  echo "batch-norm statistics of the batch at evaluation (as the reference). Mean over seeds"
  echo "${seeds[*]} and, in brackets, the smallest and largest value."
  echo
  awk '
    { key = $3; img = $1; n[key, img]++; sum[key, img] += $5;
      if (!((key, img) in lo) || $5 < lo[key, img]) lo[key, img] = $5;
      if (!((key, img) in hi) || $5 > hi[key, img]) hi[key, img] = $5;
      params[key] = $4; if (!(key in seen)) { seen[key] = 1; order[++m] = key } }
    END {
      print "| model | parameters | astronaut | camera | coffee |";
      print "|---|---:|---:|---:|---:|";
      split("astronaut camera coffee", imgs, " ");
      for (i = 1; i <= m; i++) {
        k = order[i]; line = "| " k " | " params[k];
        for (j = 1; j <= 3; j++) { im = imgs[j];
          line = line sprintf(" | %.2e [%.1e, %.1e]", sum[k, im] / n[k, im], lo[k, im], hi[k, im]) }
        print line " |"
      }
    }' "$rows"
  echo
  echo "Rows: qiren = the paper's model (8 qubits, 3 hybrid layers, re-uploading depth 2);"
  echo "relu, tanh, relu_rff, siren at the reference code's width 8; *_matched at the smallest"
  echo "width whose parameter count is at least QIREN's (docs/language.md section 7)."
} > docs/results.md
cat docs/results.md
