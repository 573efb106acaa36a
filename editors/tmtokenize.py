#!/usr/bin/env python3
"""A small TextMate tokenizer, enough for editors/textmate/qnn.tmLanguage.json (match, begin/end,
captures, include; the earliest match wins, the first rule on a tie, an open rule's end before
its patterns). Python's regular expressions stand in for Oniguruma: the grammar keeps to what
both read the same. Used by tests/e2e/editors.sh; also a debugging aid:
  editors/tmtokenize.py GRAMMAR FILE.qnn        print each token with its scopes
  editors/tmtokenize.py GRAMMAR --probe < P     P: FILE<TAB>REGEX<TAB>SCOPE lines; the column is
                                                the REGEX's group 1 (or match) on its first
                                                matching line; SCOPE a prefix of one of the
                                                scopes there, or empty for "no word scope"
"""
import json, re, sys
g = json.load(open(sys.argv[1]))
def rules(lst):
    out = []
    for r in lst:
        if "include" in r:
            inc = r["include"]
            t = g if inc == "$self" else g["repository"][inc[1:]]
            out += rules(t["patterns"]) if "match" not in t and "begin" not in t else [t]
        elif "match" in r or "begin" in r: out.append(r)
        else: out += rules(r.get("patterns", []))
    return out
cache = {}
def rx(s):
    if s not in cache: cache[s] = re.compile(s)
    return cache[s]
def tokenize(lines):
    stack = []  # open begin/end rules
    res = []
    for line in lines:
        text = line + "\n"
        sc = [[] for _ in text]
        base = lambda: [r["name"] for r in stack if "name" in r]
        pos = 0
        def paint(m, r, caps_key):
            for i in range(m.start(), m.end()):
                sc[i] = base() + ([r["name"]] if "name" in r else [])
            for k, c in r.get(caps_key, {}).items():
                k = int(k)
                if m.group(k) is not None and "name" in c:
                    for i in range(m.start(k), m.end(k)): sc[i] = sc[i] + [c["name"]]
        while pos < len(text):
            cands = rules(stack[-1].get("patterns", [])) if stack else rules(g["patterns"])
            best = None
            if stack:
                m = rx(stack[-1]["end"]).search(text, pos)
                if m: best = (m.start(), -1, m, None)
            for i, r in enumerate(cands):
                m = rx(r.get("match", r.get("begin"))).search(text, pos)
                if m and (best is None or m.start() < best[0]): best = (m.start(), i, m, r)
            if best is None:
                for i in range(pos, len(text)): sc[i] = base()
                break
            s, i, m, r = best
            for j in range(pos, s): sc[j] = base()
            if i == -1:
                r = stack[-1]; paint(m, r, "endCaptures"); stack.pop()
            elif "match" in r:
                paint(m, r, "captures")
            else:
                paint(m, r, "beginCaptures"); stack.append(r)
            pos = m.end() if m.end() > pos else pos + 1
        res.append(sc)
    return res
if len(sys.argv) == 3 and sys.argv[2] != "--probe":
    lines = open(sys.argv[2]).read().split("\n")
    for ln, (line, sc) in enumerate(zip(lines, tokenize(lines))):
        i = 0
        while i < len(line):
            j = i
            while j < len(line) and sc[j] == sc[i]: j += 1
            if line[i:j].strip(): print(f"{ln + 1}:{i + 1}\t{line[i:j]!r}\t{' '.join(sc[i]) or '-'}")
            i = j
    sys.exit(0)
# probes on stdin: FILE<TAB>REGEX (group 1 or the match start is the column)<TAB>SCOPE ('' = none of ours)
fails = 0; n = 0; toks = {}
for p in sys.stdin.read().splitlines():
    f, pat, want = p.split("\t")
    if f not in toks:
        toks[f] = (open(f).read().split("\n"),); toks[f] += (tokenize(toks[f][0]),)
    lines, sc = toks[f]; n += 1
    for ln, line in enumerate(lines):
        m = re.search(pat, line)
        if m:
            col = m.start(1) if m.lastindex else m.start()
            got = sc[ln][col]
            ok = any(s.startswith(want) for s in got) if want else not any(s.startswith(("keyword", "support", "constant", "entity", "variable")) for s in got)
            if not ok: fails += 1; print(f"grammar: {f}:{ln+1}: at /{pat}/ the scopes are {got}, expected {want or 'none'}")
            break
    else:
        fails += 1; print(f"grammar: {f}: /{pat}/ not found")
print(f"grammar: {n} probes, {fails} failed")
sys.exit(1 if fails else 0)
