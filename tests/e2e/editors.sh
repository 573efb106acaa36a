#!/usr/bin/env bash
# Editor support (editors/): the word lists of the Vim syntax file and of the TextMate grammar
# are exactly the compiler's keywords (compiler/lexer.l) and built-in gates (compiler/ir.c's
# gate_names without the fused kinds, plus the aliases of compiler/elab.c and lower.c); the
# committed files are what editors/gen.sh writes; the grammar, the VS Code manifest and the
# Sublime property list are well formed; Vim, run headless, detects a .qnn file and highlights
# keywords, gates, comments, numbers, strings and the rest with the qnn* groups, and the
# grammar (run by editors/tmtokenize.py) gives the same tokens the expected scopes. A
# self-check proves that a keyword or gate alias added to the compiler without regenerating
# fails this test. SRC=DIR checks against the compiler sources in DIR instead of compiler/.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
SRC=${SRC:-compiler}
VIMF=editors/vim/syntax/qnn.vim
TM=editors/textmate/qnn.tmLanguage.json
VSC=editors/vscode
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
errors=0
err() { echo "editors: FAIL: $*"; errors=$((errors + 1)); }

# ---- the compiler's sets, read independently of editors/gen.sh ----------------------------
lexer_keywords() {
  sed -n 's/^"\([A-Za-z_][A-Za-z_0-9]*\)"[[:space:]]*{[[:space:]]*return[[:space:]][[:space:]]*[A-Za-z_0-9]*;[[:space:]]*}.*/\1/p' "$1/lexer.l"
}
compiler_gates() {
  # user gates: the names of gate_names before the first internal (fused) kind of ir_gate
  local n
  n=$(awk '/typedef enum/ { b = "" } { b = b $0 "\n" } /} ir_gate;/ { printf "%s", b; exit }' "$1/ir.h" |
      sed 's|/\*.*||; s|^[[:space:]]*\*.*||' |
      grep -o 'IR_[A-Z0-9_]*' | awk '$0 == "IR_FUSED_1Q" { print NR - 1; exit }')
  [ -n "$n" ] || { echo "(IR_FUSED_1Q not found in $1/ir.h)"; return; }
  sed -n '/gate_names\[IR_GATE_COUNT\]/,/};/p' "$1/ir.c" | grep -o '"[^"]*"' | tr -d '"' | head -n "$n"
  # aliases: {"cx", IR_CNOT} entries of the `aliases[]` tables
  cat "$1"/*.c | sed -n '/aliases\[\] *=/,/};/p' | grep -o '{"[A-Za-z_0-9]*", *\(IR\|GX\)_' | sed 's/{"\([^"]*\)".*/\1/'
  # noise channels, written like gates
  sed -n '/channel_names\[IR_CH_COUNT\]/,/};/p' "$1/ir.c" | grep -o '"[^"]*"' | tr -d '"'
}
# compare WHAT (a description), the expected words (file), the words found (file)
same_set() {
  local what=$1 missing extra
  missing=$(comm -23 <(sort -u "$2") <(sort -u "$3") | paste -sd' ' -)
  extra=$(comm -13 <(sort -u "$2") <(sort -u "$3") | paste -sd' ' -)
  [ -z "$missing" ] || err "$what lacks: $missing (run editors/gen.sh)"
  [ -z "$extra" ] || err "$what has words the compiler does not: $extra (run editors/gen.sh)"
  [ -s "$3" ] || err "$what: no words found"
}
vim_list() { sed -n "s/^let s:$1 = '\(.*\)'\$/\1/p" "$2" | tr ' ' '\n' | grep -v '^$'; }
# the words of the \b(a|b|c)\b alternation in a repository entry's match
tm_list() {
  jq -r --arg k "$1" '.repository[$k].match // ""' "$2" |
    sed -n 's/.*\\b(\([A-Za-z0-9_|]*\))\\b.*/\1/p' | tr '|' '\n' | grep -v '^$'
}
check_lists() { # SRC DIR: every list of the editor files against the compiler in SRC; DIR
  # receives the compiler's sets (kw, gates)
  local d=$2
  mkdir -p "$d"
  lexer_keywords "$1" > "$d/kw"
  compiler_gates "$1" | awk '!s[$0]++' > "$d/gates"
  [ -s "$d/kw" ] || err "no keywords found in $1/lexer.l"
  [ "$(wc -l < "$d/gates")" -ge 20 ] || err "too few gates found in $1/ir.c: $(paste -sd' ' "$d/gates")"
  vim_list keywords "$VIMF" > "$d/v"; same_set "the keywords of $VIMF" "$d/kw" "$d/v"
  vim_list gates "$VIMF" > "$d/v"; same_set "the gates of $VIMF" "$d/gates" "$d/v"
  tm_list keywords "$TM" > "$d/t"; same_set "the keywords of $TM" "$d/kw" "$d/t"
  for k in gate-statement gate-value; do
    tm_list "$k" "$TM" > "$d/t"; same_set "the gates of $TM ($k)" "$d/gates" "$d/t"
  done
}

# ---- 1. well-formed files ----------------------------------------------------------------
json_ok() { if command -v jq >/dev/null; then jq empty "$1" 2>&1; else /usr/bin/python3 -m json.tool "$1" >/dev/null; fi; }
for f in "$TM" "$VSC/package.json" "$VSC/language-configuration.json"; do
  out=$(json_ok "$f") || err "$f is not valid JSON: $out"
done
if ! command -v jq >/dev/null; then
  echo "editors: skipped: jq not installed (the grammar's word lists and editors/gen.sh --check need it)"
  [ "$errors" -eq 0 ] || exit 1
  exit 0
fi
[ "$(jq -r .scopeName "$TM")" = source.qnn ] || err "$TM: scopeName is not source.qnn"
jq -e '.fileTypes == ["qnn"]' "$TM" >/dev/null || err "$TM: fileTypes is not [\"qnn\"]"
# every include names a repository entry; every entry of the repository is used
jq -r '[.. | objects | .include? // empty | select(startswith("#")) | ltrimstr("#")] | unique[]' "$TM" | sort > "$tmp/inc"
jq -r '.repository | keys[]' "$TM" | sort > "$tmp/rep"
bad=$(comm -23 "$tmp/inc" "$tmp/rep" | paste -sd' ' -); [ -z "$bad" ] || err "$TM includes missing entries: $bad"
bad=$(comm -13 "$tmp/inc" "$tmp/rep" | paste -sd' ' -); [ -z "$bad" ] || err "$TM has unused entries: $bad"
# VS Code: the manifest's language and grammar point at files of the extension folder
jq -e '.contributes.languages[0].id == "qnn" and (.contributes.languages[0].extensions | index(".qnn"))' \
  "$VSC/package.json" >/dev/null || err "$VSC/package.json: no language qnn for .qnn"
g=$(jq -r '.contributes.grammars[0].path' "$VSC/package.json")
[ "$(jq -r '.contributes.grammars[0].scopeName' "$VSC/package.json")" = source.qnn ] || err "$VSC/package.json: grammar scopeName is not source.qnn"
[ -f "$VSC/$g" ] && cmp -s "$VSC/$g" "$TM" || err "$VSC/package.json: grammar $g is not a copy of $TM"
c=$(jq -r '.contributes.languages[0].configuration' "$VSC/package.json")
jq -e '.comments.lineComment == "//" and .comments.blockComment == ["/*", "*/"]' "$VSC/$c" >/dev/null ||
  err "$VSC/$c: comments are not // and /* */"
if [ -x /usr/bin/python3 ]; then
  out=$(/usr/bin/python3 - "$TM" editors/sublime/qnn.tmLanguage editors/sublime/Comments.tmPreferences <<'PY' 2>&1
import json, plistlib, re, sys
g = json.load(open(sys.argv[1])); g.pop("$schema", None)
assert plistlib.load(open(sys.argv[2], "rb")) == g, "the Sublime property list differs from the grammar"
plistlib.load(open(sys.argv[3], "rb"))
def walk(o):  # every regex compiles (Python's syntax is close to Oniguruma's for these)
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("match", "begin", "end"): re.compile(v)
            else: walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(g)
PY
) || err "$out"
fi

# ---- 2. the lists are exactly the compiler's; the files are what editors/gen.sh writes ------
check_lists "$SRC" "$tmp"
out=$(SRC="$SRC" editors/gen.sh --check 2>&1) || err "editors/gen.sh --check: $out"

# ---- 3. self-check: a keyword or a gate alias added to the compiler without regenerating fails
mkdir -p "$tmp/src"
cp "$SRC"/*.l "$SRC"/*.c "$SRC"/*.h "$tmp/src/"
awk '!done && /^"[a-z]+" *\{ *return [A-Z_]+; *\}/ { print "\"observe\"  { return OBSERVE; }"; done = 1 } { print }' \
  "$SRC/lexer.l" > "$tmp/src/lexer.l"
sed -i 's/{"cx", IR_CNOT}/{"cx", IR_CNOT}, {"czz", IR_CZ}/' "$tmp/src/elab.c" "$tmp/src/lower.c"
saved=$errors
out=$(check_lists "$tmp/src" "$tmp/self")
errors=$saved
echo "$out" | grep -q "keywords of $VIMF lacks: .*observe" && echo "$out" | grep -q "keywords of $TM lacks: .*observe" &&
  echo "$out" | grep -q "gates of $VIMF lacks: .*czz" ||
  err "self-check: a keyword (observe) and a gate alias (czz) added to a copy of the compiler were not reported: $out"
SRC="$tmp/src" editors/gen.sh --check > "$tmp/gen.out" 2>&1 && err "self-check: editors/gen.sh --check passed with a new keyword"
grep -q observe "$tmp/gen.out" || err "self-check: editors/gen.sh --check does not show the new keyword: $(cat "$tmp/gen.out")"

# ---- a sample with every keyword and gate of the compiler, and the other token kinds -----
# words.probes: Vim probes (FILE<TAB>Vim pattern<TAB>group); words.tm: grammar probes
# (FILE<TAB>Python regex, group 1 the column<TAB>scope prefix)
w=$tmp/words.qnn n=0
: > "$w"; : > "$tmp/words.probes"; : > "$tmp/words.tm"
while read -r k; do n=$((n + 1)); echo "$k" >> "$w"
  printf '%s\t%s\t%s\n' "$w" "\\%${n}l\\<$k\\>" qnnKeyword >> "$tmp/words.probes"
  printf '%s\t%s\t%s\n' "$w" "^($k)\$" keyword.other.qnn >> "$tmp/words.tm"; done < "$tmp/kw"
while read -r k; do n=$((n + 1)); echo "    $k q[0];" >> "$w"
  printf '%s\t%s\t%s\n' "$w" "\\%${n}l\\<$k\\>" qnnGate >> "$tmp/words.probes"
  printf '%s\t%s\t%s\n' "$w" "^    ($k) q\\[0\\];" support.function.gate.qnn >> "$tmp/words.tm"
  n=$((n + 1)); echo "    t(g = $k) q;" >> "$w"
  printf '%s\t%s\t%s\n' "$w" "\\%${n}l= \\zs$k" qnnGate >> "$tmp/words.probes"
  printf '%s\t%s\t%s\n' "$w" "^    t\\(g = ($k)\\) q;" support.function.gate.qnn >> "$tmp/words.tm"; done < "$tmp/gates"
cat >> "$w" <<'Q'
/* a block
   comment */ let a = 2pi + sqrt(2) * "x\"y";
# not a comment
Q
printf '%s\t%s\t%s\n' \
  "$w" '^/\*' qnnBlockComment "$w" '^   \zscomment' qnnBlockComment \
  "$w" '\*/ \zslet' qnnKeyword "$w" '\<2pi' qnnBadNumber \
  "$w" '\<sqrt' qnnFunction "$w" '"x\zs\\' qnnEscape \
  "$w" '^#' qnnError >> "$tmp/words.probes"
printf '%s\t%s\t%s\n' \
  "$w" '^(/)\*' comment.block "$w" '^   (comment)' comment.block \
  "$w" '\*/ (let)' keyword.other "$w" '(2pi)' invalid.illegal.numeric \
  "$w" '(sqrt)' support.function.math "$w" '"x(\\)' constant.character.escape \
  "$w" '^(#)' invalid.illegal >> "$tmp/words.tm"

# ---- 4. Vim, headless: filetype detection and highlight groups ---------------------------
if ! command -v vim >/dev/null; then
  echo "editors: skipped: vim not installed (the Vim highlighting checks)"
else
  # probes: FILE<TAB>PATTERN (cursor goes to the first match, \zs marks the column)<TAB>GROUP
  ex=examples/image_qiren.qnn lib=stdlib/qiren.qnn tpl=stdlib/templates.qnn
  {
    printf '%s\t%s\t%s\n' \
      "$ex" '^\zs//' qnnLineComment \
      "$ex" '^\zsimport' qnnKeyword \
      "$ex" '^import \zs"' qnnString \
      "$ex" '^\zsexperiment' qnnKeyword \
      "$ex" 'experiment \zsastronaut' qnnDeclName \
      "$ex" 'size = \zs32' qnnNumber \
      "$ex" 'lr = \zs0\.03' qnnFloat \
      "$ex" 'eps = \zs1e-8' qnnFloat \
      "$ex" '^ *\zsepochs' qnnSetting \
      "$ex" '^ *\zsmodel' qnnKeyword \
      "$ex" 'loss = \zsmse' qnnWord \
      "$ex" 'range = \[\zs-' qnnOperator \
      "$ex" '// \zsthe reference' qnnLineComment \
      "$lib" 'rz' qnnGate \
      "$lib" 'rz(\zsx' '' \
      "$lib" 'for \zsj' '' \
      "$lib" '^ *\zsfor' qnnKeyword \
      "$lib" 'init \zsuniform' qnnWord \
      "$lib" '2 \* \zspi' qnnConstant \
      "$lib" 'entangler = \zscz' qnnGate \
      "$lib" 'expval \zsZ' qnnPauli \
      "$lib" '^ *\zsbatchnorm' qnnLayer \
      "$lib" '^ *\zsquantum' qnnKeyword \
      "$tpl" ') \zs@' qnnTensor
    cat "$tmp/words.probes"
  } > "$tmp/probes"
  cat > "$tmp/probe.vim" <<'VIM'
syntax on
filetype plugin indent on
let s:out = []
let s:file = ''
for s:p in readfile($PROBES)
  let [s:f, s:pat, s:want] = split(s:p, "\t", 1)
  if s:f !=# s:file
    execute 'edit' fnameescape(s:f)
    let s:file = s:f
  endif
  call cursor(1, 1)
  let s:got = search(s:pat, 'cW') ? synIDattr(synID(line('.'), col('.'), 1), 'name') : '(pattern not found)'
  call add(s:out, join([s:f, &filetype, s:pat, s:want, s:got], "\t"))
endfor
call writefile(s:out, $RESULT)
qall!
VIM
  PROBES="$tmp/probes" RESULT="$tmp/result" timeout 60 vim -Es -u NONE -i NONE -N \
    --cmd 'set rtp^=editors/vim' -S "$tmp/probe.vim" < /dev/null > "$tmp/vim.out" 2>&1
  if [ ! -s "$tmp/result" ]; then
    err "vim wrote no result: $(cat "$tmp/vim.out")"
  else
    [ "$(wc -l < "$tmp/result")" -eq "$(wc -l < "$tmp/probes")" ] || err "vim answered $(wc -l < "$tmp/result") of $(wc -l < "$tmp/probes") probes"
    while IFS=$'\t' read -r f ft pat want got; do
      [ "$ft" = qnn ] || err "vim: $f: filetype is '$ft', not qnn"
      [ "$got" = "$want" ] || err "vim: $f: at /$pat/ the group is '$got', expected '$want'"
    done < "$tmp/result"
    echo "editors: vim: $(wc -l < "$tmp/result") highlight probes checked"
  fi
fi

# ---- 5. the TextMate grammar on the same samples (editors/tmtokenize.py) -----------------
if [ ! -x /usr/bin/python3 ]; then
  echo "editors: skipped: /usr/bin/python3 not installed (the grammar's highlighting checks)"
else
  ex=examples/image_qiren.qnn lib=stdlib/qiren.qnn tpl=stdlib/templates.qnn
  {
    printf '%s\t%s\t%s\n' \
      "$ex" '^(//)' comment.line "$ex" '^(import)' keyword.other "$ex" '^import (")' string.quoted \
      "$ex" '^(experiment)' keyword.other "$ex" 'experiment (astronaut)' entity.name.function \
      "$ex" 'size = (32)' constant.numeric.integer "$ex" 'lr = (0\.03)' constant.numeric.float \
      "$ex" 'eps = (1e-8)' constant.numeric.float "$ex" '^ *(epochs)' variable.other.setting \
      "$ex" '^ *(model)' keyword.other "$ex" 'loss = (mse)' support.constant \
      "$ex" 'range = \[(-)' keyword.operator "$ex" '// (the reference)' comment.line \
      "$lib" '(rz)\(' support.function.gate "$lib" 'rz\((x)' '' "$lib" 'for (j)' '' \
      "$lib" '^ *(for)' keyword.other "$lib" 'init (uniform)' support.constant \
      "$lib" '2 \* (pi)' constant.language "$lib" 'entangler = (cz)' support.function.gate \
      "$lib" 'expval (Z)' support.type.pauli "$lib" '^ *(batchnorm)' support.class.layer \
      "$lib" '^ *(quantum)' keyword.other "$tpl" '\) (@)' keyword.operator.pauli-product
    cat "$tmp/words.tm"
  } > "$tmp/tm.probes"
  if out=$(/usr/bin/python3 editors/tmtokenize.py "$TM" --probe < "$tmp/tm.probes" 2>&1); then
    echo "editors: $(echo "$out" | tail -1)"
  else
    err "$(echo "$out" | head -30)"
  fi
fi

if [ "$errors" -gt 0 ]; then echo "editors: $errors failure(s)"; exit 1; fi
echo "editors: ok"
