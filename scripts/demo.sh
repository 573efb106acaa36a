#!/usr/bin/env bash
# The main job on the default example: fetch the data (Debian packages), train QIREN on the
# astronaut image (the paper's image task) and on a guitar recording, and write the reports.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch_data.sh
build/qnnc run examples/image_qiren.qnn --out out/demo/image --time
build/qnnc run examples/sound_guitar.qnn --out out/demo/sound --time
echo
echo "reports: out/demo/image/report/index.html and out/demo/sound/report/index.html"
