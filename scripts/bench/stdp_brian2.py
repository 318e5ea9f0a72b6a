#!/usr/bin/python3
"""Brunel (2000) model A with plastic E->E synapses (pair-based additive STDP, PyNN's and NEST's
stdp_synapse rule: traces, dw = +-A w_max trace, clipped to [0, w_max]), the peer of
configs/brunel_stdp.yaml, in Brian2 C++ standalone mode. Delays are axonal here (Brian2's), dendritic
in nmsim (NEST's): the rates and cost are comparable, individual weights are not.
usage: stdp_brian2.py [order=2500] [simtime_ms=1000] [threads=1]"""
import sys, time, tempfile
import numpy as np
from brian2 import *

order = int(sys.argv[1]) if len(sys.argv) > 1 else 2500
simtime = float(sys.argv[2]) if len(sys.argv) > 2 else 1000.0
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
outdir = tempfile.mkdtemp(prefix="b2stdp_")
set_device("cpp_standalone", directory=outdir, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
prefs.codegen.cpp.extra_compile_args_gcc = ["-O3", "-march=native", "-w"]
defaultclock.dt = 0.1 * ms

NE, NI = 4 * order, order
CE, CI = int(0.1 * NE), int(0.1 * NI)
tau, theta, J, g, eta, D = 20 * ms, 20 * mV, 0.1 * mV, 5.0, 2.0, 1.5 * ms
nu_th = theta / (J * CE * tau)
taupre = taupost = 20 * ms
Apre, Apost, wmax = 0.01, 0.0105, 2 * J

G = NeuronGroup(NE + NI, "dv/dt = -v/tau : volt (unless refractory)",
                threshold="v > theta", reset="v = 10*mV", refractory=2 * ms, method="exact")
G.v = 0 * mV
E, I = G[:NE], G[NE:]
rng = np.random.default_rng(1234)
# plastic E -> E
SEE = Synapses(E, E, """w : volt
                        dapre/dt = -apre/taupre : 1 (event-driven)
                        dapost/dt = -apost/taupost : 1 (event-driven)""",
               on_pre="""v_post += w
                         apre += 1
                         w = clip(w - Apost * wmax * apost, 0*mV, wmax)""",
               on_post="""apost += 1
                          w = clip(w + Apre * wmax * apre, 0*mV, wmax)""", delay=D)
SEE.connect(i=rng.integers(0, NE, size=NE * CE), j=np.repeat(np.arange(NE), CE))
SEE.w = J
SEI = Synapses(E, I, on_pre="v += J", delay=D)
SEI.connect(i=rng.integers(0, NE, size=NI * CE), j=np.repeat(np.arange(NI), CE))
SI = Synapses(I, G, on_pre="v += -g*J", delay=D)
SI.connect(i=rng.integers(0, NI, size=(NE + NI) * CI), j=np.repeat(np.arange(NE + NI), CI))
P = PoissonInput(G, "v", N=CE, rate=eta * nu_th, weight=J)
M = SpikeMonitor(G)
run(simtime * ms)
t0 = time.time()
device.build(directory=outdir, compile=True, run=False)
t1 = time.time()
device.run(directory=outdir, with_output=False, run_args=[])
t2 = time.time()
nspk = M.num_spikes
print(f"brian2_stdp order={order} simtime_ms={simtime} threads={threads}")
print(f"compile_s={t1-t0:.2f} run_s={t2-t1:.2f} spikes={nspk} mean_rate_hz={nspk / (NE + NI) / (simtime / 1000.0):.2f}")
print(f"network_run_s={getattr(device, '_last_run_time', float('nan')):.2f}")
