#!/usr/bin/env bash
# `make install` / `make uninstall` (issue 10): installs into a temporary DESTDIR, then, from a
# folder outside the repository, runs the installed qnnc (check, info, run, build --emit lib:
# it must find its standard library and runtime through the installed layout alone), builds
# the embedding example with `pkg-config --cflags --libs qnn`, reads the man page, and checks
# that `make uninstall` removes every file it installed.
set -u
BUILD=${BUILD:-build}
repo=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qnn-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install.sh: $*"; exit 1; }
root=$tmp/root
prefix=/opt/qnn-test

out=$(make -C "$repo" --no-print-directory BUILD="$BUILD" DESTDIR="$root" PREFIX="$prefix" install 2>&1) ||
  fail "make install failed: $(echo "$out" | tail -5)"
P=$root$prefix
for f in bin/qnnc lib/libqnnrt.a lib/pkgconfig/qnn.pc include/qnn/qnn_embed.h include/qnn/rt_main.h \
         share/qnn/stdlib/qiren.qnn share/man/man1/qnnc.1 share/doc/qnn/README.md \
         share/vim/vimfiles/syntax/qnn.vim share/vim/vimfiles/ftdetect/qnn.vim \
         share/qnn/editors/textmate/qnn.tmLanguage.json share/qnn/editors/vscode/package.json; do
  [ -f "$P/$f" ] || fail "make install did not install $f"
done
grep -qx "prefix=$prefix" "$P/lib/pkgconfig/qnn.pc" || fail "qnn.pc does not name the prefix $prefix"

# The installed qnnc, outside the repository, with nothing pointing back into it.
work=$tmp/work
mkdir -p "$work"
cp "$repo"/examples/embed/{sine.qnn,signal.csv,predict.c} "$work/"
cd "$work"
unset QNN_STDLIB QNN_RUNTIME_DIR QNN_RUNTIME_LIB QNN_CACHE_DIR
Q=$P/bin/qnnc
"$Q" check sine.qnn >/dev/null 2>&1 || fail "installed qnnc check failed: $("$Q" check sine.qnn 2>&1 | head -3)"
"$Q" info sine.qnn | grep -q "total parameters: 106" || fail "installed qnnc info did not describe the model"
"$Q" run sine.qnn --quiet --set epochs=5 --out run >/dev/null 2>&1 || fail "installed qnnc run failed: $("$Q" run sine.qnn --quiet --set epochs=5 --out run 2>&1 | tail -3)"
[ -s run/model.safetensors ] || fail "installed qnnc run wrote no checkpoint"
"$Q" build sine.qnn --emit lib -o sine --quiet 2>"$tmp/build.err" || fail "installed qnnc build --emit lib failed: $(head -3 "$tmp/build.err")"

# A runtime built with sanitizers (make asan) links only with their runtimes.
if nm "$P/lib/libqnnrt.a" 2>/dev/null | grep -q __asan; then san="-fsanitize=address,undefined"; else san=""; fi
pc="pkg-config --define-variable=prefix=$P"
export PKG_CONFIG_PATH=$P/lib/pkgconfig
$pc --exists qnn || fail "pkg-config does not find qnn.pc"
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror predict.c sine.a $($pc --cflags --libs qnn) $san -o predict 2>"$tmp/cc.err" ||
  fail "cc with pkg-config --cflags --libs qnn failed: $(head -5 "$tmp/cc.err")"
lines=$(./predict run/model.safetensors 0.25 0.5 | wc -l)
[ "$lines" = 2 ] || fail "the embedding program printed $lines lines, not 2"

# the installed Python package, with the installed qnnc, when Debian's numpy is there
if [ -z "$san" ] && /usr/bin/python3 -c "import numpy" 2>/dev/null; then  # an ASan library cannot load into python3
  pydir=$(find "$P/lib" -type d -name dist-packages | head -1)
  [ -f "$pydir/qnn/__init__.py" ] || fail "make install did not install the Python package"
  PATH="$P/bin:$PATH" QNN_CACHE_DIR="$tmp/cache" PYTHONPATH="$pydir" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 - <<'PY' ||
import numpy as np, qnn
assert qnn.__file__.startswith(__import__("sys").path[0]) or "dist-packages" in qnn.__file__, qnn.__file__
lib = qnn.compile("sine.qnn")
c = lib.circuits[0]
y = c(np.zeros(c.n_params), np.zeros((3, c.n_inputs)))
assert y.shape == (3, c.n_outputs), y.shape
PY
    fail "the installed Python package could not compile and call sine.qnn"
fi

if command -v man >/dev/null; then
  MANPATH=$P/share/man man -P cat qnnc 2>/dev/null | grep -q "qnnc build" || fail "man qnnc does not show the installed page"
fi

cd "$repo"
out=$(make -C "$repo" --no-print-directory BUILD="$BUILD" DESTDIR="$root" PREFIX="$prefix" uninstall 2>&1) ||
  fail "make uninstall failed: $out"
left=$(find "$root" -type f)
[ -z "$left" ] || fail "make uninstall left files behind: $(echo $left | head -c 400)"
echo "install.sh: install into DESTDIR, use from outside the repository, pkg-config, man, uninstall"
