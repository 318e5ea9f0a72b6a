#!/usr/bin/python3
"""The networks of scripts/bench/sparse.sh in Brian2 C++ standalone (the clock-driven peer):
  sparse SCALE SIMTIME_MS THREADS            configs/sparse_1m.yaml: N = 1e6 * SCALE lif_delta neurons,
                                             fixed in-degree 80 E + 20 I, delays uniform 1-3 ms,
                                             Poisson input 20 Hz x 9 mV per neuron
  synfire GROUPS SIZE SIMTIME_MS THREADS     configs/synfire.yaml: a chain of GROUPS groups of SIZE
Input during refractoriness is discarded, as NEST's iaf_psc_delta and nmsim do.
Prints key=value: compile_s, run_s (device.run), spikes, mean_rate_hz."""
import sys
import tempfile
import time

import numpy as np
from brian2 import (Hz, Network, NeuronGroup, PoissonInput, SpikeGeneratorGroup, SpikeMonitor, Synapses, defaultclock,
                    device, ms, mV, prefs, set_device)

kind = sys.argv[1]
outdir = tempfile.mkdtemp(prefix="b2sparse_")
set_device("cpp_standalone", directory=outdir, build_on_run=False)
prefs.codegen.cpp.extra_compile_args_gcc = ["-O3", "-march=native", "-w"]
defaultclock.dt = 0.1 * ms
rng = np.random.default_rng(5)
model = "dv/dt = -v / (20*ms) : volt (unless refractory)"
on_pre = "v_post += w_syn * int(not_refractory_post)"


def synapses(source, target, weight, i, j, delay):
    s = Synapses(source, target, "w_syn : volt (constant, shared)", on_pre=on_pre)
    s.connect(i=i, j=j)
    s.w_syn = weight
    s.delay = delay
    return s


if kind == "sparse":
    scale, simtime, threads = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    n = int(round(1e6 * scale))
    ne = int(round(0.8 * n))
    G = NeuronGroup(n, model, threshold="v >= 20*mV", reset="v = 10*mV", refractory=2 * ms, method="exact")
    G.v = "rand() * 10*mV"
    tgt_e, tgt_i = np.repeat(np.arange(n), 80), np.repeat(np.arange(n), 20)
    parts = [synapses(G[:ne], G, 0.5 * mV, rng.integers(0, ne, tgt_e.size), tgt_e, "1*ms + 2*ms*rand()"),
             synapses(G[ne:], G, -2.5 * mV, rng.integers(0, n - ne, tgt_i.size), tgt_i, "1*ms + 2*ms*rand()"),
             PoissonInput(G, "v", N=1, rate=20 * Hz, weight="9*mV*int(not_refractory)")]
else:
    groups, size, simtime, threads = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    n = groups * size
    G = NeuronGroup(n, model, threshold="v >= 20*mV", reset="v = 0*mV", refractory=2 * ms, method="exact")
    tgt = np.arange(size, n).repeat(100)
    src = (tgt // size - 1) * size + rng.integers(0, size, tgt.size)
    kick = SpikeGeneratorGroup(1, np.zeros(4, dtype=int), [5.0, 255.0, 505.0, 755.0] * ms)
    parts = [synapses(G, G, 0.3 * mV, src, tgt, 2 * ms),
             Synapses(kick, G[:size], on_pre="v_post += 25*mV*int(not_refractory_post)"),
             PoissonInput(G, "v", N=1, rate=5 * Hz, weight="2*mV*int(not_refractory)")]
    parts[1].connect()
    parts.append(kick)
prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
M = SpikeMonitor(G)
Network(G, M, *parts).run(simtime * ms)
t0 = time.time()
device.build(directory=outdir, compile=True, run=False)
t1 = time.time()
device.run(directory=outdir, with_output=False, run_args=[])
t2 = time.time()
print(f"compile_s={t1 - t0:.2f}")
print(f"run_s={t2 - t1:.2f}")
print(f"network_run_s={getattr(device, '_last_run_time', float('nan')):.2f}")
print(f"spikes={M.num_spikes}")
print(f"mean_rate_hz={M.num_spikes / n / (simtime / 1000.0):.3f}")
