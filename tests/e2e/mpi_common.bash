# Sourced by the MPI end-to-end scripts (mpi.sh, mpisweep.sh) after setting NAME: skips the
# script with one line when MPI is missing or qnnc was built without it; else makes a private
# folder with small.qnn and its data, enters it, and sets fail, PY and MPIRUN. Not a .sh file,
# so tests/run.sh does not run it as a test of its own.
QNNC=$(cd "$(dirname "${QNNC:-build/qnnc}")" && pwd)/$(basename "${QNNC:-build/qnnc}")
if ! command -v mpirun >/dev/null || ! ldd "$QNNC" 2>/dev/null | grep -q libmpi; then
  echo "$NAME: skipped: MPI is not installed or qnnc was built without it (make deps installs Open MPI)"
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-${NAME%.sh}.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "$NAME: $*"; exit 1; }
PY=/usr/bin/python3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cp "$here/small.qnn" "$here/../../examples/embed/signal.csv" "$tmp/"
cd "$tmp"
# Open MPI refuses root unless told, and a 2-core machine needs --oversubscribe for 4 ranks.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN="timeout 120 mpirun --oversubscribe"
