#!/bin/sh
# make deps: installs the Debian packages qnn builds, tests and runs with, those missing only.
# Needs root or sudo when something is missing; prints what it installs.
set -eu
# python3-sklearn and python3-skimage: only their data files (digits.csv.gz, lfw_subset.npy),
# which the image-set tests read where Debian puts them (tests/unit/test_rt_imageset.c).
PKGS="make gcc pkg-config flex bison llvm-19-dev libpng-dev zlib1g-dev libsndfile1-dev
      libfftw3-dev libcmocka-dev libcairo2-dev liblapacke-dev valgrind vim python3-numpy
      python3-torch libopenmpi-dev openmpi-bin python3-sklearn python3-skimage"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then echo "all dependencies present"; exit 0; fi
echo "installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
