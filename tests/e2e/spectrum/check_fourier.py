"""tests/e2e/spectrum.sh: an independent check of `qnnc spectrum --checkpoint`. Simulates the
circuit enc2 of enc.qnn (and the linear layer after it) with numpy from the checkpoint's
weights, takes the FFT over one period, and checks that (1) its nonzero coefficients lie in
the predicted set {-3..3} and (2) qnnc's fourier.csv holds the same coefficients.
Usage: check_fourier.py MODEL.safetensors FOURIER.csv"""
import json, struct, sys, numpy as np

def load(path):  # safetensors: 8-byte header length, JSON header, raw little-endian data
    b=open(path,'rb').read()
    n=struct.unpack('<Q',b[:8])[0]; h=json.loads(b[8:8+n]); d=b[8+n:]
    out={}
    for k,v in h.items():
        if k=='__metadata__': continue
        s,e=v['data_offsets']; out[k]=np.frombuffer(d[s:e], dtype='<f8' if v['dtype']=='F64' else '<f4').astype(float).reshape(v['shape'])
    return out
t = load(sys.argv[1])
w = t['layers.0.w']; A = t['layers.1.weight'][0, 0]; B = t['layers.1.bias'][0]
I2 = np.eye(2)
def ry(a): c, s = np.cos(a / 2), np.sin(a / 2); return np.array([[c, -s], [s, c]], complex)
def rx(a): c, s = np.cos(a / 2), np.sin(a / 2); return np.array([[c, -1j * s], [-1j * s, c]])
def rz(a): return np.diag([np.exp(-0.5j * a), np.exp(0.5j * a)])
def on(g, wire): return np.kron(g, I2) if wire == 0 else np.kron(I2, g)   # wire 0 = MSB
P0, P1, X = np.diag([1, 0]), np.diag([0, 1]), np.array([[0, 1], [1, 0]])
def cnot(c, tg): return on(P0, c) + (np.kron(P1, X) if c == 0 else np.kron(X, P1))
ZZ = np.kron(np.diag([1, -1]), np.diag([1, -1]))
def f(x):
    s = np.zeros(4, complex); s[0] = 1
    for U in [on(ry(w[0]), 0), on(ry(w[1]), 1), on(rz(x), 0), on(rz(2 * x), 1), cnot(0, 1),
              on(ry(w[2]), 0), on(rx(w[3]), 1), cnot(1, 0), on(rz(w[5]) @ ry(w[4]) @ rz(w[3]), 1)]:
        s = U @ s
    return A * np.real(np.conj(s) @ ZZ @ s) + B
N = 64
xs = 2 * np.pi * np.arange(N) / N
c = np.fft.fft([f(x) for x in xs]) / N
freqs = np.fft.fftfreq(N, 1 / N)
nz = sorted(int(round(k)) for k, v in zip(freqs, c) if abs(v) > 1e-12)
assert set(nz) <= set(range(-3, 4)), nz
print("numpy: nonzero frequencies", nz)
# qnnc's coefficients agree with numpy's
rows = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1)
for om, re, im, ab, acc in rows:
    k = int(round(om)); ref = c[k % N]
    assert abs(complex(re, im) - ref) < 1e-10, (om, re, im, ref)
    assert (acc == 1) == (-3 <= k <= 3), (om, acc)
print("qnnc and numpy agree on", len(rows), "coefficients")
