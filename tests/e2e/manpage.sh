#!/usr/bin/env bash
# The manual page (docs/qnnc.1) and `qnnc --help` / `qnnc build --help` / `qnnc grad --help`
# cannot drift: every command and option printed by the help is described in the page, and
# every option the page describes exists. The page must also render without groff warnings.
set -u
QNNC=${QNNC:-build/qnnc}
PAGE=docs/qnnc.1
fail=0
err() { echo "manpage.sh: $*"; fail=1; }

if command -v nroff >/dev/null; then
  warnings=$(nroff -man -ww "$PAGE" 2>&1 >/dev/null)
  [ -z "$warnings" ] || err "nroff warnings in $PAGE: $warnings"
  text=$(nroff -man "$PAGE" 2>/dev/null | col -bx)
else
  echo "manpage.sh: nroff not installed: checking the roff source only"
  text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$PAGE")
fi

help=$("$QNNC" --help) || err "qnnc --help failed"
bhelp=$("$QNNC" build --help) || err "qnnc build --help failed"
ghelp=$("$QNNC" grad --help) || err "qnnc grad --help failed"
bhelp=$(printf '%s\n%s\n' "$bhelp" "$ghelp")

# options: every --word (and the short -o/-h/-q) in either help text
opts_help=$(printf '%s\n%s\n' "$help" "$bhelp" | grep -oE -- '(^|[ ,(])--?[a-z][a-z0-9-]*' |
            sed 's/^[ ,(]//' | grep -E '^(--[a-z]|-[ohq]$)' | sort -u)
opts_page=$(printf '%s\n' "$text" | grep -v 'pkg-config' | grep -oE -- '(^|[ ,(])--?[a-z][a-z0-9-]*' | sed 's/^[ ,(]//' |
            grep -E '^(--[a-z]|-[ohq]$)' | sort -u)
missing=$(comm -23 <(echo "$opts_help") <(echo "$opts_page"))
extra=$(comm -13 <(echo "$opts_help") <(echo "$opts_page"))
[ -z "$missing" ] || err "options in --help but not in $PAGE: $(echo $missing)"
[ -z "$extra" ] || err "options in $PAGE but not in --help: $(echo $extra)"

# commands: the indented first words of the help's "commands:" section
cmds=$(printf '%s\n' "$help" | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[ -n "$cmds" ] || err "found no commands in qnnc --help"
for c in $cmds; do
  printf '%s\n' "$text" | grep -qE "^       $c( |$)" || err "command \`$c\` of --help is not described in $PAGE"
done
page_cmds=$(printf '%s\n' "$text" | sed -n '/^COMMANDS/,/^OPTIONS/p' | sed -n 's/^       \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p')
for c in $page_cmds; do
  grep -qx "$c" <<<"$cmds" || err "command \`$c\` of $PAGE is not in qnnc --help"
done
[ $fail = 0 ] && echo "manpage.sh: $(echo "$opts_help" | wc -l) options and $(echo "$cmds" | wc -w) commands agree"
exit $fail
