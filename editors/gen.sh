#!/usr/bin/env bash
# Writes the word lists of the editor files from the compiler's own tables, so that a new
# keyword, gate or built-in cannot be forgotten:
#   editors/vim/syntax/qnn.vim            the block between "BEGIN GENERATED" and "END GENERATED"
#   editors/textmate/qnn.tmLanguage.json  the "match" of the repository entries named below
#   editors/vscode/syntaxes/qnn.tmLanguage.json   a copy of the grammar (VS Code needs it inside
#                                                 the extension folder)
#   editors/sublime/qnn.tmLanguage        the grammar as a property list (what Sublime Text reads)
# Usage: editors/gen.sh          rewrite the files
#        editors/gen.sh --check  change nothing; exit 1 naming the files that are out of date
#        editors/gen.sh --lists  print the extracted lists (one "category: words" line each)
# Sources: keywords  compiler/lexer.l   ("word" { return TOKEN; } rules)
#          gates     compiler/ir.c      (gate_names, without the kinds from IR_FUSED_1Q on,
#                                        which only passes create; see compiler/ir.h)
#                    + the gate aliases (`aliases[] = {{"cx", IR_CNOT}, ...}` in compiler/*.c)
#                    + the noise channels (channel_names in compiler/ir.c)
#          constants, Paulis, math functions   compiler/elab.c
#          layers    compiler/sema.c (builtin_layers)    settings  runtime/rt_schema.c (its rows)
#          words     the value words of compiler/sema_exp.c (its word tables, is_word(v, "w")
#                    and strcmp(v->s, "w")), sema_layers.c (linear's init), lower.c (param init)
# Needs bash, sed, awk, jq. SRC=DIR reads the compiler sources from DIR instead of compiler/.
set -euo pipefail
ED=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${SRC:-$ED/../compiler}
mode="write"
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --lists) mode=lists ;;
  *) echo "usage: editors/gen.sh [--check | --lists]" >&2; exit 2 ;;
esac
command -v jq >/dev/null || { echo "editors/gen.sh: needs jq (apt-get install jq)" >&2; exit 2; }

die() { echo "editors/gen.sh: $*" >&2; exit 1; }
# The string literals of the C initialiser that starts on the first line matching $2 in $1
# and ends at the first `}` followed by `;`, one a line.
table() {
  awk -v re="$2" 'go || $0 ~ re { go = 1; print; if ($0 ~ /}[[:space:]]*;/) exit }' "$1" |
    sed 's|//.*||' | grep -o '"[^"]*"' | tr -d '"'
}
# Words, once each, in first-seen order, on one line.
uniq_line() { awk 'NF && !seen[$0]++' | paste -sd' ' -; }

keywords=$(sed -n 's/^"\([A-Za-z_][A-Za-z_0-9]*\)"[[:space:]]*{[[:space:]]*return[[:space:]][[:space:]]*[A-Za-z_0-9]*;[[:space:]]*}.*$/\1/p' \
  "$SRC/lexer.l" | uniq_line)
[ -n "$keywords" ] || die "no keyword rules found in $SRC/lexer.l"

# Gates: the first N names of gate_names, N = the position of IR_FUSED_1Q in the ir_gate enum.
enum=$(awk '/typedef enum/ { buf = "" } { buf = buf "\n" $0 } /} ir_gate;/ { print buf; exit }' "$SRC/ir.h" |
  sed 's|//.*||' | tr '\n' ' ' | sed 's|/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/| |g' |
  grep -o 'IR_[A-Z0-9_]*' | grep -v '^IR_GATE_COUNT$')
n_user=$(echo "$enum" | awk '$0 == "IR_FUSED_1Q" { print NR - 1; f = 1; exit } END { if (!f) print -1 }')
[ "$n_user" -gt 0 ] || die "IR_FUSED_1Q not found in the ir_gate enum of $SRC/ir.h"
all_gates=$(table "$SRC/ir.c" 'gate_names\[')
[ "$(echo "$all_gates" | wc -l)" -eq "$(echo "$enum" | wc -l)" ] ||
  die "gate_names in $SRC/ir.c does not have one name per ir_gate kind of $SRC/ir.h"
aliases=$(for f in "$SRC"/*.c; do
  awk '/aliases\[\][[:space:]]*=/ { go = 1 } go { print } go && /}[[:space:]]*;/ { go = 0 }' "$f"
done | grep -o '{"[A-Za-z_0-9]*",' | tr -d '{",')
# the noise channels are written like gates (`depolarizing(0.01) q;`): channel_names
channels=$(table "$SRC/ir.c" 'channel_names\[')
gates=$( (echo "$all_gates" | head -n "$n_user"; echo "$aliases"; echo "$channels") | uniq_line)

constants=$(grep -o 'strcmp(n->name, "[A-Za-z_0-9]*") == 0) return mk_' "$SRC/elab.c" |
  sed 's/.*"\(.*\)".*/\1/' | uniq_line)
paulis=$(grep -o 'strchr("[A-Z]*", n->name\[0\])' "$SRC/elab.c" | head -1 | sed 's/.*"\(.*\)".*/\1/' | fold -w1 | uniq_line)
functions=$(table "$SRC/elab.c" 'math_functions\[\][[:space:]]*=' | uniq_line)
layers=$(table "$SRC/sema.c" 'builtin_layers\[\][[:space:]]*=' | uniq_line)
SCHEMA=${SCHEMA:-$ED/../runtime/rt_schema.c}
settings=$(sed -n 's/^    \[RT_SET_[A-Z_]*\] = {"\([a-z_]*\)".*/\1/p' "$SCHEMA" | uniq_line)
[ -n "$settings" ] || die "no settings found in $SCHEMA"
words=$( {
  for t in $(grep -o 'static const char \*const [a-z]*\[\] = {' "$SRC/sema_exp.c" | awk '{print $5}' | sort -u); do
    grep -nF "static const char *const $t = {" "$SRC/sema_exp.c" | cut -d: -f1 | while read -r ln; do
      sed -n "${ln},\$p" "$SRC/sema_exp.c" | awk '{ print } /}[[:space:]]*;/ { exit }' | grep -o '"[^"]*"' | tr -d '"'
    done
  done
  # the words of runtime/rt_schema.c's tables: WORDS("a", "b")
  grep -o 'WORDS([^)]*)' "$SCHEMA" | grep -o '"[^"]*"' | tr -d '"'
  # words compared with a value: is_word(v, "w"), strcmp(v->s, "w"), strcmp(a[5].s, "w")
  # (not strcmp(key, "w") or strcmp(param, "w"), which compare names)
  grep -o 'is_word([^;]*, "[a-z_0-9]*")\|strcmp([A-Za-z0-9_.>[-]*\]*\(\.\|->\)s, "[a-z_0-9]*")' "$SRC/sema_exp.c" |
    sed 's/.*"\(.*\)".*/\1/'
  grep -o 'strcmp(a\.word\[[0-9]*\], "[a-z_0-9]*")' "$SRC/sema_layers.c" | sed 's/.*"\(.*\)".*/\1/'
  grep -o 'strcmp(name, "[a-z_0-9]*")' "$SRC/lower.c" | sed 's/.*"\(.*\)".*/\1/'
} | grep -vxF -f <(echo "$keywords" | tr ' ' '\n') | uniq_line)
for v in constants paulis functions layers settings words; do
  [ -n "${!v}" ] || die "no $v found in the compiler sources ($SRC)"
done
# Declaration keywords: the name after them is highlighted as a definition.
decls="gate circuit model experiment"
for w in $decls; do
  case " $keywords " in *" $w "*) ;; *) die "editors/gen.sh lists \`$w\` as a declaration keyword, but compiler/lexer.l has no such keyword: update decls in editors/gen.sh" ;; esac
done

if [ "$mode" = lists ]; then
  for v in keywords gates constants paulis functions layers settings words decls; do
    echo "$v: ${!v}"
  done
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
VIM=vim/syntax/qnn.vim
TM=textmate/qnn.tmLanguage.json
VSC=vscode/syntaxes/qnn.tmLanguage.json
SUB=sublime/qnn.tmLanguage

# 1. Vim: the lists as script variables between the markers.
{
  for v in keywords gates constants paulis functions layers settings words decls; do
    echo "let s:$v = '${!v}'"
  done
} > "$tmp/block"
grep -q '^" BEGIN GENERATED' "$ED/$VIM" && grep -q '^" END GENERATED' "$ED/$VIM" ||
  die "$VIM has no BEGIN GENERATED / END GENERATED lines"
mkdir -p "$tmp/vim/syntax"
awk -v block="$tmp/block" '
  /^" END GENERATED/ { skip = 0 }
  !skip { print }
  /^" BEGIN GENERATED/ { while ((getline l < block) > 0) print l; skip = 1 }
' "$ED/$VIM" > "$tmp/$VIM"

# 2. The TextMate grammar: the match of the generated repository entries.
mkdir -p "$tmp/textmate" "$tmp/vscode/syntaxes" "$tmp/sublime"
jq --indent 2 --arg keywords "$keywords" --arg gates "$gates" --arg constants "$constants" \
   --arg paulis "$paulis" --arg functions "$functions" --arg layers "$layers" \
   --arg settings "$settings" --arg words "$words" --arg decls "$decls" '
  def w($s): "\\b(" + ($s | split(" ") | join("|")) + ")\\b";
  def stmt: "(?:^|(?<=[{};]))\\s*";
  .repository.keywords.match = w($keywords)
  | .repository.declarations.match = "^\\s*" + w($decls) + "\\s+([A-Za-z_][A-Za-z0-9_]*)"
  | .repository.constants.match = w($constants)
  | .repository["gate-statement"].match = stmt + w($gates)
  | .repository["gate-value"].match = "(?<==)\\s*" + w($gates) + "(?=\\s*[,;)\\]])"
  | .repository["layer-statement"].match = stmt + w($layers)
  | .repository.paulis.match = w($paulis) + "(?=\\s*\\()"
  | .repository.functions.match = w($functions) + "(?=\\s*\\()"
  | .repository.settings.match = w($settings) + "(?=\\s*=(?!=))"
  | .repository.words.match = "(?:(?<=[=\\[,])|(?<=\\binit))\\s*" + w($words)
' "$ED/$TM" > "$tmp/$TM" || die "$TM is not valid JSON"
cp "$tmp/$TM" "$tmp/$VSC"

# 3. Sublime Text reads grammars as XML property lists: the same grammar, converted.
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">'
  echo '<!-- Generated by editors/gen.sh from editors/textmate/qnn.tmLanguage.json: do not edit. -->'
  echo '<plist version="1.0">'
  jq -r '
    def x: gsub("&"; "&amp;") | gsub("<"; "&lt;") | gsub(">"; "&gt;");
    def pl($i): ($i + "\t") as $j
      | if type == "object" then
          "\($i)<dict>\n"
          + ([to_entries[] | "\($j)<key>\(.key | x)</key>\n" + (.value | pl($j))] | join(""))
          + "\($i)</dict>\n"
        elif type == "array" then "\($i)<array>\n" + (map(pl($j)) | join("")) + "\($i)</array>\n"
        elif type == "string" then "\($i)<string>\(x)</string>\n"
        elif type == "boolean" then "\($i)<\(.)/>\n"
        else "\($i)<integer>\(.)</integer>\n" end;
    del(.["$schema"]) | pl("") | rtrimstr("\n")' "$tmp/$TM"
  echo '</plist>'
} > "$tmp/$SUB"

stale=()
for f in "$VIM" "$TM" "$VSC" "$SUB"; do
  if ! cmp -s "$tmp/$f" "$ED/$f"; then
    stale+=("$f")
    if [ "$mode" = write ]; then mkdir -p "$(dirname "$ED/$f")"; cp "$tmp/$f" "$ED/$f"; echo "editors/gen.sh: wrote editors/$f"; fi
  fi
done
if [ "$mode" = check ] && [ ${#stale[@]} -gt 0 ]; then
  for f in "${stale[@]}"; do
    echo "editors/gen.sh: editors/$f is out of date with the compiler's tables:"
    if [ -f "$ED/$f" ]; then { diff "$ED/$f" "$tmp/$f" || true; } | head -20; else echo "  (missing)"; fi
  done
  echo "editors/gen.sh: run editors/gen.sh to regenerate"
  exit 1
fi
exit 0
