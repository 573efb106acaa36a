#!/usr/bin/env bash
# End-to-end: hostile data files given to `qnnc run` (issue 9: D4, D8, D12, D14, D21). Each
# must fail with exit status 1, quickly (before any training), with a message naming the
# file: NaN/Inf in a CSV, an empty image range, a FIFO as data, sound files libsndfile cannot
# parse (in words about the file, not libsndfile's API), and a data path longer than the
# runtime holds (never a silent run on the file named by a prefix of the path).
set -uo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
die() { echo "hostile_data: $*"; fails=$((fails + 1)); }

# qnn DATA [EPOCHS]: a small experiment on DATA (a data expression), written to $tmp/x.qnn.
qnn() {
    cat > "$tmp/x.qnn" <<EOF
import "qiren.qnn";
experiment hostile {
    data = $1;
    model = qiren(d = ${3:-1}, n = 2, hidden = 1, depth = 1);
    optimizer = adam(lr = 0.05);
    epochs = ${2:-100000};
    outputs = [checkpoint("model.safetensors")];
}
EOF
}
# refused NEEDLE: `qnnc run $tmp/x.qnn` fails with exit 1 within 20 s, naming NEEDLE.
refused() {
    timeout 20 "$QNNC" run "$tmp/x.qnn" --quiet --out "$tmp/o" > /dev/null 2> "$tmp/err"
    local rc=$?
    if [ "$rc" -ne 1 ]; then die "$2: expected exit 1, got $rc (124 = hung or trained): $(head -c 300 "$tmp/err")"; return 1; fi
    grep -qF -- "$1" "$tmp/err" || { die "$2: message lacks '$1': $(head -c 400 "$tmp/err")"; return 1; }
    return 0
}

# D12: NaN and infinity in CSV data, refused at load with the file, line and column
printf 't,v\n0,1\n0.5,nan\n1,2\n' > "$tmp/nan.csv"
qnn 'csv("'"$tmp"'/nan.csv", inputs = 1, outputs = 1)'
refused "nan.csv:3:5: NaN is not a finite number (row 2 of the data)" "CSV with NaN"
printf '0,1\n-inf,2\n1,2\n' > "$tmp/inf.csv"
qnn 'csv("'"$tmp"'/inf.csv", inputs = 1, outputs = 1, header = false)'
refused "inf.csv:2:1: infinity is not a finite number" "CSV with -inf"
# a UTF-8 byte-order mark before the header is accepted (spreadsheets write one)
printf '\xef\xbb\xbft,v\n0,1\n0.5,0\n1,-1\n' > "$tmp/bom.csv"
qnn 'csv("'"$tmp"'/bom.csv", inputs = 1, outputs = 1)' 2
timeout 60 "$QNNC" run "$tmp/x.qnn" --quiet --out "$tmp/o" 2> "$tmp/err" || die "CSV with a BOM refused: $(cat "$tmp/err")"

# D8: a FIFO as the data file is refused at once (the loader would wait for a writer)
mkfifo "$tmp/fifo.csv"
qnn 'csv("'"$tmp"'/fifo.csv", inputs = 1, outputs = 1)'
refused "fifo.csv: not a regular file" "FIFO as data"

# ... and so is a device: /dev/zero as an image would otherwise be read forever
qnn 'image("/dev/zero", size = 8)' 2 2
refused "/dev/zero: not a regular file" "/dev/zero as an image"

# D14: an empty image range fails at load, not after the whole run (100000 epochs here)
python3 - "$tmp/tiny.png" <<'PY'
import struct, sys, zlib
w = h = 8
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\0" + bytes((x * 32 + y * 7) & 255 for x in range(w)) for y in range(h))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
qnn 'image("'"$tmp"'/tiny.png", size = 8, range = [1, 1])' 100000 2
refused "range" "data.range = [1, 1]"

# D4 for `eval --target`: an over-long path is refused by name, not cut
qnn 'image("'"$tmp"'/tiny.png", size = 8)' 1 2
timeout 60 "$QNNC" run "$tmp/x.qnn" --quiet --out "$tmp/img" 2> "$tmp/err" || die "training on tiny.png failed: $(cat "$tmp/err")"
timeout 20 "$QNNC" eval "$tmp/x.qnn" --quiet --checkpoint "$tmp/img/model.safetensors" --grid 16 \
    --target "$tmp/$(printf 'q%.0s' $(seq 5000)).png" --out "$tmp/ev" > /dev/null 2> "$tmp/err"; rc=$?
[ "$rc" -eq 1 ] && grep -q -- "--target: the path has 50[0-9][0-9] characters, at most" "$tmp/err" ||
    die "a 5000-character --target: exit $rc: $(head -c 300 "$tmp/err")"

# D21: sound files libsndfile cannot parse: what is wrong with the file, in plain words
: > "$tmp/empty.wav"
echo "not a sound" > "$tmp/text.wav"
printf 'RIFF\x24\x00\x00\x00WAVEfmt ' > "$tmp/cut.wav"
printf 'RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x00\x00\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00' > "$tmp/nochan.wav"
# a sample rate of 0: libsndfile says "Internal error : SF_INFO struct incomplete."
printf 'RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x10\x00data\x04\x00\x00\x00\x00\x00\x00\x00' > "$tmp/rate0.wav"
for f in empty text cut nochan rate0; do
    qnn 'sound("'"$tmp/$f"'.wav")'
    refused "$f.wav: cannot read sound: " "sound $f.wav" || continue
    if grep -qE "SF_|struct|nternal|libsndfile" "$tmp/err"; then die "sound $f.wav: libsndfile's wording: $(cat "$tmp/err")"; fi
done
grep -q "the file is empty" <(qnn 'sound("'"$tmp"'/empty.wav")'; "$QNNC" run "$tmp/x.qnn" --quiet --out "$tmp/o" 2>&1) ||
    die "an empty sound file is not called empty"

# D4: a data path longer than the runtime holds. A prefix of it names a real file (what a
# cut path would train on); the run must be refused, not trained on that file.
long="$tmp"
while [ ${#long} -lt 700 ]; do long="$long/$(printf 'd%.0s' $(seq 200))"; done
mkdir -p "$long"
prefix="$long/$(printf 's%.0s' $(seq $((1023 - ${#long} - 1))))"
printf 't,v\n0,1\n0.5,0\n1,-1\n' > "$prefix"
[ ${#prefix} -eq 1023 ] || die "test set-up: the prefix has ${#prefix} characters"
qnn 'csv("'"$prefix"'.csv_and_more", inputs = 1, outputs = 1)' 2
timeout 20 "$QNNC" run "$tmp/x.qnn" --quiet --out "$tmp/long" > /dev/null 2> "$tmp/err"; rc=$?
[ "$rc" -eq 1 ] || die "a ${#prefix}+-character data path: exit $rc (0 = trained on the prefix)"
[ ! -e "$tmp/long/model.safetensors" ] || die "a run on a cut data path wrote a checkpoint"

# ... and one longer than any buffer (5000 characters): refused by check, naming the limit
huge="$tmp/$(printf 'p%.0s' $(seq 5000)).csv"
qnn 'csv("'"$huge"'", inputs = 1, outputs = 1)' 2
refused "at most 4095 are supported" "a 5000-character data path"

[ "$fails" -eq 0 ] || { echo "hostile_data: $fails failure(s)"; exit 1; }
echo "hostile_data: ok"
