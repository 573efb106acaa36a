"""make bench, last step: turns scripts/bench.sh's raw lines into the printed tables and
bench/results.json. Per-epoch times are differences of the cumulative "seconds" of
metrics.jsonl; the figure is their median without the first epoch (it pays page faults and
the first BatchNorm statistics). Floors: the cost model's flops (pass_cost_of on the fused
IR, printed by `bench layer`) of the three quantum layers per epoch divided by the measured
one-core FMA peak times the threads; classical layers (about 1% of the flops) are left out.
The floor counts what training must compute: the forward pass, then the vjp from the kept
final state (runtime/rt_circuit.h's forward_keep / vjp_kept), i.e. `bench layer`'s vjp_flops,
which include one forward; before kept states the vjp re-ran the forward, fwd_flops more. The
"% floor" column is the achieved fraction of the floor: floor time / measured time."""
import json
import statistics
import sys

raw, out_path = sys.argv[1], sys.argv[2]
runs, peers, layers, peak, jitcache = {}, {}, [], {}, []


def kv(line):
    return dict(p.split('=', 1) for p in line.split()[1:] if '=' in p)


for line in open(raw):
    line = line.strip()
    if line.startswith('peak_'):
        peak = {k: float(v) for k, v in kv('x ' + line).items()}
    elif line.startswith('run '):
        d = kv(line)
        secs = [r['seconds'] for r in map(json.loads, open(d['metrics'])) if r.get('kind') != 'header']
        per = [b - a for a, b in zip(secs, secs[1:])]
        d['median_ms'] = 1e3 * statistics.median(per) if per else 1e3 * secs[0]
        d['maxrss_mb'] = int(d['maxrss_kb']) / 1024
        if d['tag'] not in runs or d['median_ms'] < runs[d['tag']]['median_ms']:
            runs[d['tag']] = d  # the faster round (the machine is shared)
    elif line.startswith('peer '):
        d = kv(line)
        v = float(d['sec_per_epoch']) * 1e3 if 'sec_per_epoch' in d else None
        if d['tag'] not in peers or (v is not None and (peers[d['tag']] is None or v < peers[d['tag']])):
            peers[d['tag']] = v
    elif line.startswith('jitcache '):
        jitcache.append({k: float(v) for k, v in kv(line).items()})
    elif line.startswith('layer '):
        layers.append({k: float(v) for k, v in kv(line).items()})

L8 = {int(l['prec']): l for l in layers if l['n'] == 8}
pk = {64: peak.get('peak_f64_gflops', 0), 32: peak.get('peak_f32_gflops', 0)}
print(f"\npeak, one core: f64 {pk[64]:.1f} GFLOP/s, f32 {pk[32]:.1f} GFLOP/s")


def floor_pct(tag, points):
    """The flop floor of one epoch (GFLOP), its time at the peak (ms) and the achieved fraction
    of it (%): 3 layers x points x (forward + backward from the kept state)."""
    r = runs[tag]
    prec = 64 if r['prec'] == 'f64' else 32
    l = L8[prec]
    flops = 3 * points * l['vjp_flops']
    floor_ms = 1e3 * flops / (1e9 * pk[prec] * int(r['threads'])) if pk[prec] else 0
    return flops / 1e9, floor_ms, 100 * floor_ms / r['median_ms']


res = {'peak_gflops': pk, 'w1_w2': [], 'w3': [], 'w4': [], 'compile_ms': {}}
print("\nW1/W2: ms per epoch: median over the epochs of a run, the faster of 2 rounds; peer = PyTorch --sim kron,"
      " 2 threads, mean over 100 epochs (its own figure), the faster of 2 rounds")
print(f"{'workload':<22}{'prec':>5}{'thr':>4}{'epochs':>7}{'qnn ms':>9}{'GFLOP/ep':>9}{'floor ms':>9}{'% floor':>8}"
      f"{'peer ms':>9}{'peer/qnn':>9}")
for w, pts, name in (('w1', 1024, 'W1 image 32x32'), ('w2', 1000, 'W2 sound 1000')):
    for prec in ('f64', 'f32'):
        for th in (1, 2):
            tag = f'{w}_{prec}_t{th}'
            if tag not in runs:
                continue
            r = runs[tag]
            gf, floor_ms, pct = floor_pct(tag, pts)
            p = peers.get(f'{w}_{prec}') if th == 2 else None
            ratio = p / r['median_ms'] if p else None
            ps = f"{p:9.1f}" if p else f"{'-' if th == 1 else 'n/a':>9}"
            rs = f"{ratio:8.1f}x" if ratio else f"{'':>9}"
            print(f"{name:<22}{prec:>5}{th:>4}{r['epochs']:>7}{r['median_ms']:9.2f}{gf:9.3f}{floor_ms:9.2f}{pct:7.1f}%{ps}{rs}")
            res['w1_w2'].append({'workload': name, 'precision': prec, 'threads': th,
                                 'epochs': int(r['epochs']), 'ms_per_epoch': r['median_ms'],
                                 'gflop_per_epoch': gf, 'floor_ms': floor_ms, 'pct_of_floor': pct,
                                 'peer_ms_per_epoch': p, 'peer_over_qnn': ratio})
if any(v is None for v in peers.values()) or not peers:
    print("(peer: not installed here, skipped)")

# Threads (issue 13 item 5): 1 -> 2 thread speed-up of each W1/W2 configuration (the kept
# rounds), with the load average at the start and end of each figure's run and the share of a
# core that other processes used meanwhile (bench.sh's others=); the target of 1.8x holds
# only when the second core is free, so a figure whose 2-thread run shared it says so.
print("\nthreads: 1 -> 2 thread speed-up (load average at start -> end of each run; others = cores"
      " used by other processes during the run)")
res['threads'] = []
for w, name in (('w1', 'W1 image 32x32'), ('w2', 'W2 sound 1000')):
    for prec in ('f64', 'f32'):
        t1, t2 = runs.get(f'{w}_{prec}_t1'), runs.get(f'{w}_{prec}_t2')
        if not t1 or not t2:
            continue
        sp = t1['median_ms'] / t2['median_ms']
        busy = float(t2.get('others', 0)) > 0.25
        note = ("the second core was NOT free (other processes used %.2f of a core)" % float(t2['others'])
                if busy else ("target 1.8x %s" % ('met' if sp >= 1.8 else 'NOT met')))
        print(f"{name:<16}{prec:>5}: {t1['median_ms']:7.2f} -> {t2['median_ms']:7.2f} ms, {sp:.2f}x;"
              f" load 1 thread {t1.get('load0', '?')} -> {t1.get('load1', '?')}, others {t1.get('others', '?')};"
              f" 2 threads {t2.get('load0', '?')} -> {t2.get('load1', '?')}, others {t2.get('others', '?')}: {note}")
        num = lambda r, k: float(r[k]) if k in r else None
        res['threads'].append({'workload': name, 'precision': prec, 'speedup': sp,
                               'load_t1': [num(t1, 'load0'), num(t1, 'load1')],
                               'load_t2': [num(t2, 'load0'), num(t2, 'load1')],
                               'others_t1': num(t1, 'others'), 'others_t2': num(t2, 'others'),
                               'second_core_free': not busy})

print("\nW3: image size scaling, f64, 2 threads (median per run, the faster of 2 rounds; peak RSS of that run)")
print(f"{'size':>6}{'points':>8}{'epochs':>7}{'ms/epoch':>10}{'x 32x32':>9}{'per point':>10}{'peak RSS MB':>12}")
base = runs.get('w3_32')
for s in (32, 64, 128, 256):
    r = runs.get(f'w3_{s}')
    if not r:
        continue
    pts = s * s
    rel = r['median_ms'] / base['median_ms'] if base else 0
    print(f"{s:>6}{pts:>8}{r['epochs']:>7}{r['median_ms']:10.2f}{rel:9.1f}{rel * 1024 / pts:10.2f}{r['maxrss_mb']:12.1f}")
    res['w3'].append({'size': s, 'points': pts, 'epochs': int(r['epochs']),
                      'ms_per_epoch': r['median_ms'], 'ratio_to_32': rel, 'peak_rss_mb': r['maxrss_mb']})
print("  (linear growth: 'per point' = (t / t_32) / (points / 1024) stays near 1)")

print("\nW4: one QIREN layer (depth 2), fused, one thread: us per sample; % of peak = cost-model flops / time / peak")
print(f"{'qubits':>6}{'batch':>6}{'prec':>5}{'ops':>5}{'compile ms':>11}{'fwd us':>9}{'vjp us':>9}{'fwd %pk':>8}{'vjp %pk':>8}")
for l in sorted(layers, key=lambda l: (l['n'], -l['prec'])):
    prec = int(l['prec'])
    fp = 100 * l['fwd_flops'] / (l['fwd_us'] * 1e3 * pk[prec]) if pk[prec] else 0
    vp = 100 * l['vjp_flops'] / (l['vjp_us'] * 1e3 * pk[prec]) if pk[prec] else 0
    print(f"{int(l['n']):>6}{int(l['B']):>6}{prec:>5}{int(l['ops']):>5}{l['compile_ms']:11.0f}"
          f"{l['fwd_us']:9.3f}{l['vjp_us']:9.3f}{fp:7.1f}%{vp:7.1f}%")
    res['w4'].append({**l, 'fwd_pct_peak': fp, 'vjp_pct_peak': vp})

print("\nCompile time (qnnc run --time: passes + LLVM codegen + JIT of the QIREN layer, once per run)")
for tag in ('w1_f64_t2', 'w1_f32_t2', 'w2_f64_t2', 'w2_f32_t2'):
    if tag in runs and runs[tag].get('jit_ms'):
        print(f"  {tag:<12} {float(runs[tag]['jit_ms']):7.1f} ms")
        res['compile_ms'][tag] = float(runs[tag]['jit_ms'])

if jitcache:
    med = {k: statistics.median(r[k] for r in jitcache) for k in jitcache[0] if k != 'round'}
    print("\nCompiled-code cache (qnnc run examples/image_qiren.qnn --set epochs=1, empty cache, then again;"
          f" median of {len(jitcache)} rounds)")
    print(f"  before the runtime starts: cold {med['cold_before_ms']:.1f} ms, warm {med['warm_before_ms']:.1f} ms"
          f" (cold / warm {med['cold_before_ms'] / max(med['warm_before_ms'], 1e-3):.0f}x)")
    print(f"  whole run (1 epoch, outputs):  cold {med['cold_wall_ms']:.0f} ms, warm {med['warm_wall_ms']:.0f} ms"
          f"  (load average {min(r['load_start'] for r in jitcache):.2f} to {max(r['load_end'] for r in jitcache):.2f})")
    res['jit_cache'] = {'rounds': jitcache, 'median': med}

print("\nTargets (W1, 2 threads):")
def row(tag):
    return next((x for x in res['w1_w2'] if f"{x['workload'][:2].lower()}_{x['precision']}_t{x['threads']}" == tag), None)
t64, t32 = row('w1_f64_t2'), row('w1_f32_t2')
checks = []
# issue 13 item 3 (W1 at the flop floor); the fraction of the floor is reported, not judged
if t64: checks.append(("f64 <= 10 ms/epoch", t64['ms_per_epoch'] <= 10,
                       f"{t64['ms_per_epoch']:.2f} ms, {t64['pct_of_floor']:.1f}% of the floor ({t64['floor_ms']:.2f} ms)"))
if t32: checks.append(("f32 <= 5.5 ms/epoch", t32['ms_per_epoch'] <= 5.5,
                       f"{t32['ms_per_epoch']:.2f} ms, {t32['pct_of_floor']:.1f}% of the floor ({t32['floor_ms']:.2f} ms)"))
for x in res['w1_w2']:
    if x['peer_over_qnn']:
        checks.append((f"{x['workload'][:2]} {x['precision']} >= 10x peer", x['peer_over_qnn'] >= 10,
                       f"{x['peer_over_qnn']:.1f}x"))
v8 = [x for x in res['w4'] if x['n'] == 8]
for x in v8:
    checks.append((f"vjp f{int(x['prec'])} >= 40% of peak", x['vjp_pct_peak'] >= 40, f"{x['vjp_pct_peak']:.1f}%"))
w3 = {x['size']: x for x in res['w3']}
if 256 in w3:
    checks.append(("W3 256x256 <= 1.2 x 64 x t_32", w3[256]['ratio_to_32'] <= 1.2 * 64, f"{w3[256]['ratio_to_32']:.1f}x"))
    checks.append(("W3 256x256 RSS < 200 MB", w3[256]['peak_rss_mb'] < 200, f"{w3[256]['peak_rss_mb']:.0f} MB"))
for k, v in res['compile_ms'].items():
    checks.append((f"compile {k} < 300 ms", v < 300, f"{v:.0f} ms"))
if jitcache:
    checks.append(("warm run <= 20 ms before training (cache hit)", med['warm_before_ms'] <= 20,
                   f"{med['warm_before_ms']:.1f} ms"))
for name, ok, val in checks:
    print(f"  [{'met' if ok else 'NOT met'}] {name}: {val}")
res['targets'] = [{'target': n, 'met': bool(o), 'value': v} for n, o, v in checks]
json.dump(res, open(out_path, 'w'), indent=1)
print(f"\nwritten: {out_path}")
