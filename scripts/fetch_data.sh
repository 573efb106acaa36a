#!/usr/bin/env bash
# Fetches the default data into data/ (git-ignored) from Debian packages, without installing
# them: scikit-image's test images (python3-skimage) and an instrument recording
# (sonic-pi-samples). Uses `apt-get download` + `dpkg -x`; safe to run again.
# `scripts/fetch_data.sh digits` fetches scikit-learn's handwritten digits instead
# (python3-sklearn's digits.csv.gz, 1797 images of 8 x 8 pixels) into data/digits.csv for
# examples/classify_digits.qnn: a header, the 64 pixels divided by 16 (into [0, 1]), the
# class 0..9 last. `scripts/fetch_data.sh faces` fetches scikit-image's lfw_subset.npy (200
# faces of 25 x 25, python3-skimage) into data/lfw_subset.npy for the GAN's second image set.
# Never committed: the data belongs to its authors.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
# unpack PKG... : downloads the packages (updating the package lists once if they are missing,
# as on a fresh machine) and unpacks them into $tmp/x, without installing anything.
unpack() {
  (cd "$tmp" &&
    if ! apt-get download "$@" >/dev/null 2>apt.err; then
      SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
      $SUDO apt-get update -qq
      apt-get download "$@" >/dev/null 2>apt.err || { cat apt.err; exit 1; }
    fi &&
    for d in ./*.deb; do dpkg -x "$d" x; done)
}
if [ "${1:-}" = faces ]; then
  if [ -s data/lfw_subset.npy ]; then echo "data/lfw_subset.npy is there"; exit 0; fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  unpack python3-skimage
  npy=$(find "$tmp/x" -name lfw_subset.npy | head -1)
  [ -n "$npy" ] || { echo "fetch_data.sh: python3-skimage has no lfw_subset.npy"; exit 1; }
  # copied beside the target and renamed: a cut copy never looks complete
  cp "$npy" data/.lfw_subset.npy.tmp && mv data/.lfw_subset.npy.tmp data/lfw_subset.npy
  echo "fetched data/lfw_subset.npy"
  exit 0
fi
if [ "${1:-}" = digits ]; then
  if [ -s data/digits.csv ]; then echo "data/digits.csv is there"; exit 0; fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  unpack python3-sklearn
  gz=$(find "$tmp/x" -name digits.csv.gz | head -1)
  [ -n "$gz" ] || { echo "fetch_data.sh: python3-sklearn has no digits.csv.gz"; exit 1; }
  # written beside the target and renamed: a cut download never looks complete
  zcat "$gz" | awk -F, 'BEGIN { for (i = 0; i < 64; i++) printf "p%d,", i; print "label" }
    NF != 65 { print "fetch_data.sh: digits.csv.gz line " NR " has " NF " fields" > "/dev/stderr"; exit 1 }
    { for (i = 1; i <= 64; i++) printf "%.17g,", $i / 16; printf "%d\n", $65 }' > data/.digits.csv.tmp
  mv data/.digits.csv.tmp data/digits.csv
  echo "fetched data/digits.csv: $(($(wc -l < data/digits.csv) - 1)) digits"
  exit 0
fi
need=0
for f in astronaut.png camera.png coffee.png guit_em9.flac; do [ -s "data/$f" ] || need=1; done
if [ "$need" = 0 ]; then echo "data/ is complete"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unpack python3-skimage sonic-pi-samples
for f in astronaut camera coffee; do
  cp "$tmp"/x/usr/lib/python3/dist-packages/skimage/data/$f.png data/$f.png
done
cp "$tmp"/x/usr/share/sonic-pi/samples/guit_em9.flac data/guit_em9.flac
echo "fetched into data/: $(ls data | tr '\n' ' ')"
