#!/usr/bin/env bash
# End-to-end: corrupt and hostile checkpoints given to `qnnc run --resume`, `qnnc eval
# --checkpoint` and a native binary's --resume / --checkpoint (issue 9: D1, D8, D11, D12, D15).
# Each one must be refused with exit status 1 and one line naming the file and what is wrong:
# never a crash (status >= 128, e.g. the heap corruption of a negative `epochs`), a hang
# (a FIFO), or a run that goes on with wrong weights. The files are made here from a real
# checkpoint with python3's struct and json modules.
set -uo pipefail
QNNC=${QNNC:-build/qnnc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp examples/embed/signal.csv tests/e2e/small.qnn "$tmp/"
fails=0
die() { echo "hostile_checkpoints: $*"; fails=$((fails + 1)); }

"$QNNC" run "$tmp/small.qnn" --quiet --set epochs=2 --out "$tmp/a" || { echo "training failed"; exit 1; }
good="$tmp/a/model.safetensors"
"$QNNC" build "$tmp/small.qnn" -o "$tmp/small" >/dev/null 2>&1 || { echo "qnnc build failed"; exit 1; }

# mutate.py GOOD < JOBS: each line "OUT<TAB>KIND<TAB>ARG" is one corruption of the checkpoint
# GOOD written to OUT (one python3 for all: its start-up dominates the script's time).
cat > "$tmp/mutate.py" <<'PY'
import json, struct, sys
def mutate(src, dst, kind, arg):
  b = open(src, "rb").read()
  n = struct.unpack("<Q", b[:8])[0]
  h = json.loads(b[8:8 + n])
  data = bytearray(b[8 + n:])
  meta = h["__metadata__"]
  def f64(name, i, v):
      o = h[name]["data_offsets"][0] + 8 * i
      data[o:o + 8] = struct.pack("<d", v)
  raw_header = None
  if kind == "meta":                      # meta KEY=VALUE
      k, v = arg.split("=", 1); meta[k] = v
  elif kind == "nometa":                  # drop a metadata key
      del meta[arg]
  elif kind == "transpose":               # [a, b] -> [b, a] (same byte count)
      h[arg]["shape"] = h[arg]["shape"][::-1]
  elif kind == "extra":                   # an unknown tensor of one value
      data += struct.pack("<d", 1.0)
      h["layers.9.weight"] = {"dtype": "F64", "shape": [1], "data_offsets": [len(data) - 8, len(data)]}
  elif kind == "drop":                    # a missing tensor: its bytes become an unknown one
      h["renamed"] = h.pop(arg)
  elif kind == "f32":                     # a tensor stored as F32 (half the bytes, same shape)
      t = h[arg]; s, e = t["data_offsets"]
      vals = struct.unpack("<%dd" % ((e - s) // 8), bytes(data[s:e]))
      new = struct.pack("<%df" % len(vals), *vals)
      data = data[:s] + new + data[e:]
      shift = len(new) - (e - s)
      for k, v in h.items():
          if k != "__metadata__" and v["data_offsets"][0] >= e:
              v["data_offsets"] = [v["data_offsets"][0] + shift, v["data_offsets"][1] + shift]
      t["dtype"] = "F32"; t["data_offsets"] = [s, s + len(new)]
  elif kind == "value":                   # value NAME INDEX:VALUE
      name, rest = arg.split("@"); i, v = rest.split(":"); f64(name, int(i), float(v))
  elif kind == "fill":                    # every value of a tensor
      name, v = arg.split(":")
      t = h[name]
      for i in range((t["data_offsets"][1] - t["data_offsets"][0]) // 8): f64(name, i, float(v))
  elif kind == "hlen":                    # an absurd header length
      raw = struct.pack("<Q", int(arg)) + b[8:]
      open(dst, "wb").write(raw); return
  elif kind == "truncate":
      open(dst, "wb").write(b[:int(arg)]); return
  elif kind == "overlap":                 # two tensors share bytes
      ks = [k for k in h if k != "__metadata__"]
      h[ks[1]]["data_offsets"] = [h[ks[1]]["data_offsets"][0] - 8, h[ks[1]]["data_offsets"][1] - 8]
  elif kind == "dupkey":                  # the same tensor name twice in the JSON text
      j = json.dumps(h, separators=(",", ":"))
      first = next(k for k in h if k != "__metadata__")
      entry = '"%s":%s' % (first, json.dumps(h[first], separators=(",", ":")))
      raw_header = j[:-1] + "," + entry + "}"
  elif kind == "bigdims":                 # a shape whose product overflows 64 bits
      h[arg]["shape"] = [4294967296, 4294967296, 16]
  j = (raw_header if raw_header is not None else json.dumps(h, separators=(",", ":"))).encode()
  j += b" " * ((8 - len(j) % 8) % 8)
  open(dst, "wb").write(struct.pack("<Q", len(j)) + j + bytes(data))
for line in sys.stdin:
    dst, kind, arg = line.rstrip("\n").split("\t")
    mutate(sys.argv[1], dst, kind, arg)
PY

# expect MODE NEEDLE KIND [ARG]: registers one case (MODE: resume, eval, bin-resume or
# bin-eval); run_cases makes the files and runs them all.
k=0; modes=(); needles=(); descr=()
: > "$tmp/jobs"
expect() {
    k=$((k + 1))
    modes[k]=$1; needles[k]=$2; descr[k]="$1 ${*:3}"
    printf '%s\t%s\t%s\n' "$tmp/bad$k.safetensors" "$3" "${4:-}" >> "$tmp/jobs"
}
run_cases() {
    python3 "$tmp/mutate.py" "$good" < "$tmp/jobs" || { die "mutate.py failed"; return; }
    for i in $(seq 1 "$k"); do
        local f="$tmp/bad$i.safetensors" cmd
        case ${modes[i]} in
            resume) cmd=("$QNNC" run "$tmp/small.qnn" --resume "$f") ;;
            eval) cmd=("$QNNC" eval "$tmp/small.qnn" --checkpoint "$f") ;;
            bin-resume) cmd=("$tmp/small" --resume "$f") ;;
            bin-eval) cmd=("$tmp/small" --checkpoint "$f") ;;
        esac
        timeout 20 "${cmd[@]}" --quiet --out "$tmp/o$i" > /dev/null 2> "$tmp/err"
        local rc=$?
        if [ "$rc" -ne 1 ]; then die "${descr[i]} (expected exit 1, got $rc): $(head -c 300 "$tmp/err")"; continue; fi
        grep -qF -- "${needles[i]}" "$tmp/err" ||
            { die "${descr[i]}: message lacks '${needles[i]}': $(head -c 300 "$tmp/err")"; continue; }
        grep -qF -- "bad$i.safetensors" "$tmp/err" || die "${descr[i]}: message does not name the file: $(cat "$tmp/err")"
        [ "$(wc -l < "$tmp/err")" -eq 1 ] || die "${descr[i]}: more than one line: $(cat "$tmp/err")"
    done
}

# D1 + D15: the epochs already trained, parsed strictly and within 0..epochs (40)
# (qnnc run and the native binary share rt_run_experiment; the binary starts faster)
expect resume "metadata field \`epochs\` is \"-5\": expected a whole number from 0 to 40" meta epochs=-5
for v in -5 -2147483648 abc 2.5 99999999999 41 " 3" +3 03 ""; do
    expect bin-resume "metadata field \`epochs\` is \"$v\": expected a whole number from 0 to 40" meta "epochs=$v"
done
expect resume "no metadata field \`epochs\`" nometa epochs
expect eval "metadata field \`epochs\` is \"abc\"" meta epochs=abc
expect resume "metadata field \`format\` is \"qnn-checkpoint-9\"" meta format=qnn-checkpoint-9
expect eval "unknown metadata field \`note\`" meta note=hello
# tensors: shape, dtype, unknown, missing
expect resume "tensor \`layers.0.weight\` has shape [1, 3], the model needs [3, 1]" transpose layers.0.weight
expect eval "tensor \`layers.6.weight\` has shape [3, 1], the model needs [1, 3]" transpose layers.6.weight
expect bin-eval "tensor \`layers.6.weight\` has shape [3, 1], the model needs [1, 3]" transpose layers.6.weight
expect bin-eval "tensor \`layers.2.weights1\` has shape [3, 3, 2, 1]" transpose layers.2.weights1
expect bin-eval "unknown tensor \`layers.9.weight\`" extra
expect resume "no tensor \`layers.3.bias\`" drop layers.3.bias
expect resume "no tensor \`optimizer.state\`" drop optimizer.state
expect resume "tensor \`layers.3.weight\` is F32, the model stores F64" f32 layers.3.weight
"$QNNC" run "$tmp/small.qnn" --quiet --set epochs=2 --set 'optimizer=sgd(lr = 0.01, momentum = 0.9)' --out "$tmp/sgd" ||
    die "training with sgd failed"
"$QNNC" run "$tmp/small.qnn" --quiet --resume "$tmp/sgd/model.safetensors" --out "$tmp/sgd2" 2> "$tmp/err" &&
    die "an sgd checkpoint resumed an adam run"
grep -q "tensor \`optimizer.state\` holds 107 values, this experiment's optimiser (adam) keeps 213" "$tmp/err" ||
    die "sgd checkpoint into adam: $(cat "$tmp/err")"
# D12: non-finite weights and optimiser state refused at load, naming the tensor
expect eval "tensor \`layers.3.weight\` holds NaN at index 4" value "layers.3.weight@4:nan"
expect resume "tensor \`layers.0.bias\` holds +Inf at index 1" value "layers.0.bias@1:inf"
expect resume "tensor \`optimizer.state\` holds NaN at index 7" value "optimizer.state@7:nan"
expect bin-resume "tensor \`optimizer.state\` holds -Inf at index 200" value "optimizer.state@200:-inf"
expect resume "the step count -3 is not a whole number" value "optimizer.state@0:-3"
expect bin-resume "the step count 1.5 is not a whole number" value "optimizer.state@0:1.5"
expect resume "Adam's second moment -1 at index 150 is negative" value "optimizer.state@150:-1"
expect eval "tensor \`layers.1.running_var\` holds the negative variance -2" value "layers.1.running_var@0:-2"
# the file format itself
expect eval "not a safetensors file (header length" hlen 18446744073709551615
expect bin-eval "not a safetensors file (header length" hlen 4294967296
expect bin-eval "not a safetensors file (shorter than 8 bytes)" truncate 5
expect resume "not a safetensors file (header length" truncate 100
expect bin-eval "the tensors hold" truncate 2000
expect bin-eval "(overlap)" overlap
expect bin-eval "appears twice" dupkey
expect resume "shape is too large" bigdims layers.3.weight

# D11: finite but huge weights overflow the outputs: an error naming the metric, not "mse inf"
expect eval "evaluation: the mse is" fill "layers.6.weight:1e308"
expect bin-eval "evaluation: the mse is" fill "layers.6.weight:1e308"
expect eval "evaluation: the mse is NaN: 64 of 64 model outputs are not finite" fill "layers.3.weight:1e308"

run_cases

# D8: a FIFO as the checkpoint is refused at once, not waited on
mkfifo "$tmp/fifo.safetensors"
for cmd in "$QNNC eval $tmp/small.qnn --checkpoint" "$QNNC run $tmp/small.qnn --resume" "$tmp/small --checkpoint"; do
    timeout 10 $cmd "$tmp/fifo.safetensors" --quiet --out "$tmp/f" 2> "$tmp/err"; rc=$?
    [ "$rc" -eq 1 ] || die "$cmd FIFO: exit $rc (124 = hung): $(cat "$tmp/err")"
    grep -q "fifo.safetensors: not a regular file" "$tmp/err" || die "$cmd FIFO: $(cat "$tmp/err")"
done

# the untouched checkpoint still resumes and evaluates
"$QNNC" run "$tmp/small.qnn" --quiet --resume "$good" --out "$tmp/ok" || die "a valid checkpoint was refused"
"$QNNC" eval "$tmp/small.qnn" --quiet --checkpoint "$good" --out "$tmp/ok2" 2>/dev/null || die "a valid checkpoint was refused by eval"
[ "$fails" -eq 0 ] || { echo "hostile_checkpoints: $fails failure(s)"; exit 1; }
echo "hostile_checkpoints: ok ($k corrupt checkpoints refused)"
