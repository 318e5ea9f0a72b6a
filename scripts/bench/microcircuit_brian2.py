#!/usr/bin/python3
"""Potjans & Diesmann (2014) in Brian2 C++ standalone, the model of configs/microcircuit.yaml (NEST's
PyNEST example): iaf_psc_exp neurons, fixed_total_number synapses with multapses, PSC 87.81 pA with
10% spread and sign-preserving redraw, delays 1.5/0.75 ms with 50% spread redrawn below dt, K_ext
Poisson inputs at 8 Hz, population-specific initial V. `scale` scales neurons and synapse totals,
keeping in-degrees (the example's N_scaling).
Prints timing, rates over 500-1500 ms and mean CV ISI per population, one `key=value` per line.
usage: microcircuit_brian2.py [scale=0.5] [simtime_ms=1500] [threads=2] [seed=55]"""
import os
import sys
import tempfile
import time

import numpy as np
from brian2 import (Network, NeuronGroup, PoissonInput, SpikeMonitor, Synapses, defaultclock, device, ms, mV, pA, pF,
                    prefs, set_device)  # noqa: F401 (pF, mV are used in the model strings)

scale = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
simtime = float(sys.argv[2]) if len(sys.argv) > 2 else 1500.0
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 55

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
C = np.array([[0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0., 0.0076, 0.],
              [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0., 0.0042, 0.],
              [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.],
              [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0., 0.1057, 0.],
              [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.],
              [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.],
              [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
              [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_STD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
tau_m, tau_syn, C_m = 10.0, 0.5, 250.0
psc_over_psp = 1.0 / ((tau_m * tau_syn / C_m / (tau_syn - tau_m)) *
                      ((tau_m / tau_syn) ** (tau_m / (tau_syn - tau_m)) - (tau_m / tau_syn) ** (tau_syn / (tau_syn - tau_m))))
w = 0.15 * psc_over_psp  # pA (87.81)
dt = 0.1

outdir = tempfile.mkdtemp(prefix="b2pd14_")
set_device("cpp_standalone", directory=outdir, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
prefs.codegen.cpp.extra_compile_args_gcc = ["-O3", "-march=native", "-w"]
defaultclock.dt = dt * ms
rng = np.random.default_rng(seed)

n = np.rint(N_FULL * scale).astype(int)
first = np.concatenate([[0], np.cumsum(n)[:-1]])
prod = np.outer(N_FULL, N_FULL)
K = np.rint(np.log(1.0 - C) / np.log((prod - 1.0) / prod) * scale).astype(np.int64)

t_setup = time.time()
G = NeuronGroup(int(n.sum()), """dv/dt = -(v + 65*mV)/(10*ms) + (I_e + I_i)/(250*pF) : volt (unless refractory)
                              dI_e/dt = -I_e/(0.5*ms) : amp
                              dI_i/dt = -I_i/(0.5*ms) : amp""",
                threshold="v >= -50*mV", reset="v = -65*mV", refractory=2 * ms, method="exact")
G.v = np.concatenate([rng.normal(V0_MEAN[p], V0_STD[p], n[p]) for p in range(8)]) * mV


def redraw(mean, std, lo, hi, size):
    x = rng.normal(mean, std, size)
    bad = (x < lo) | (x > hi)
    while bad.any():  # NEST's redraw: resample the rejected ones
        x[bad] = rng.normal(mean, std, bad.sum())
        bad = (x < lo) | (x > hi)
    return x


# One Synapses object per sign of the source (excitatory sources into I_e, inhibitory into I_i).
# Objects made in loops go into `keep` and an explicit Network (the magic network sees names only).
keep = []
for exc in (True, False):
    src, tgt, wt, dl = [], [], [], []
    for t in range(8):
        for s in range(8):
            if (s % 2 == 0) != exc or K[t, s] == 0:
                continue
            k = K[t, s]
            src.append(first[s] + rng.integers(0, n[s], k))
            tgt.append(first[t] + rng.integers(0, n[t], k))
            mean = w * (2.0 if (t == 0 and s == 2) else 1.0) * (1.0 if exc else -4.0)
            wt.append(redraw(mean, abs(mean) * 0.1, 0.0 if exc else -np.inf, np.inf if exc else 0.0, k))
            d_mean = 1.5 if exc else 0.75
            dl.append(np.rint(redraw(d_mean, 0.5 * d_mean, dt, np.inf, k) / dt) * dt)
    S = Synapses(G, G, "w : amp", on_pre="I_e += w" if exc else "I_i += w")
    S.connect(i=np.concatenate(src), j=np.concatenate(tgt))
    S.w = np.concatenate(wt) * pA
    S.delay = np.concatenate(dl) * ms
    keep.append(S)
    del src, tgt, wt, dl
for p in range(8):
    keep.append(PoissonInput(G[first[p]:first[p] + n[p]], "I_e", N=int(K_EXT[p]), rate=8.0 * 1e-3 / ms, weight=w * pA))
M = SpikeMonitor(G)
net = Network(G, M, *keep)
net.run(simtime * ms)
t0 = time.time()
device.build(directory=outdir, compile=True, run=False)
t1 = time.time()
device.run(directory=outdir, with_output=False, run_args=[])
t2 = time.time()

t_spk, i_spk = np.asarray(M.t / ms), np.asarray(M.i)
print(f"scale={scale}")
print(f"brian2 scale={scale} neurons={int(n.sum())} synapses={int(K.sum())} simtime_ms={simtime} threads={threads}")
print(f"setup_s={t0 - t_setup:.2f}")
print(f"compile_s={t1 - t0:.2f}")
print(f"run_s={t2 - t1:.2f}")
print(f"network_run_s={getattr(device, '_last_run_time', float('nan')):.2f}")
for p, name in enumerate(POPS):
    sel = (i_spk >= first[p]) & (i_spk < first[p] + n[p]) & (t_spk > 500.0) & (t_spk <= 1500.0)
    rate = sel.sum() / n[p] / 1.0
    ids, ts = i_spk[sel], t_spk[sel]
    order = np.lexsort((ts, ids))
    ids, ts = ids[order], ts[order]
    cvs = []
    for nid in np.unique(ids):
        isi = np.diff(ts[ids == nid])
        if len(isi) >= 2:
            cvs.append(isi.std() / isi.mean())
    print(f"rate_{name}={rate:.3f}")
    print(f"cv_{name}={np.mean(cvs) if cvs else float('nan'):.3f}")
