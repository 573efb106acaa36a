#!/bin/sh
# Stops the build with one clear line unless LLVM_CONFIG ($1) is LLVM $2 (the only version
# whose C API qnn is written against). Run by make before anything that includes llvm-c/.
cfg=$1 want=$2
hint="run \`make deps\` or set LLVM_CONFIG"
path=$(command -v "$cfg" 2>/dev/null) || path=""
if [ -z "$path" ]; then
  echo "qnn needs LLVM $want (llvm-config-$want); no llvm-config at \`$cfg\` ($hint)" >&2
  exit 1
fi
ver=$("$cfg" --version 2>/dev/null) || ver=""
major=${ver%%.*}
case "$major" in
  "$want") exit 0 ;;
  ''|*[!0-9]*) found="no version (\`$cfg --version\` printed \"$ver\")" ;;
  *) found=$major ;;
esac
echo "qnn needs LLVM $want (llvm-config-$want); found $found at $path ($hint)" >&2
exit 1
