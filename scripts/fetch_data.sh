#!/usr/bin/env bash
# Fetches the default data into data/ (git-ignored) from Debian packages, without installing
# them: scikit-image's test images (python3-skimage) and an instrument recording
# (sonic-pi-samples). Uses `apt-get download` + `dpkg -x`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
need=0
for f in astronaut.png camera.png coffee.png guit_em9.flac; do [ -s "data/$f" ] || need=1; done
if [ "$need" = 0 ]; then echo "data/ is complete"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if ! apt-get download python3-skimage sonic-pi-samples >/dev/null 2>apt.err; then
  # The package lists may be missing on a fresh machine.
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  apt-get download python3-skimage sonic-pi-samples >/dev/null 2>apt.err || { cat apt.err; exit 1; }
fi
for d in ./*.deb; do dpkg -x "$d" x; done
cd - >/dev/null
for f in astronaut camera coffee; do
  cp "$tmp"/x/usr/lib/python3/dist-packages/skimage/data/$f.png data/$f.png
done
cp "$tmp"/x/usr/share/sonic-pi/samples/guit_em9.flac data/guit_em9.flac
echo "fetched into data/: $(ls data | tr '\n' ' ')"
