"""Brunel (2000) model A in PyNN (IF_curr_delta, J = 0.1 mV, g = 5, eta = 2, D = 1.5 ms), written once:
FixedNumberPre CE / CI recurrent inputs and CE external inputs from a pool of NE Poisson sources at
eta * nu_thr each (one source per neuron at CE times that rate would exceed one spike per 0.1 ms step,
which grid-based Poisson sources such as Brian2's PoissonGroup and nmsim's cannot emit).
Usage: /usr/bin/python3 pynn_brunel.py BACKEND [order] [duration_ms] [threads]; prints one JSON line."""
import importlib
import json
import resource
import sys
import time

t0 = time.perf_counter()
backend = sys.argv[1]
order = int(sys.argv[2]) if len(sys.argv) > 2 else 500
duration = float(sys.argv[3]) if len(sys.argv) > 3 else 1000.0
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
sim = importlib.import_module("pyNN." + backend)
from pyNN.random import NumpyRNG, RandomDistribution

sim.setup(timestep=0.1, min_delay=0.1, **({"threads": threads} if backend == "nmsim" else {}))
NE, NI = 4 * order, order
CE, CI = NE // 10, NI // 10
J, g, eta, theta, tau_m, D = 0.1, 5.0, 2.0, 20.0, 20.0, 1.5
nu_ext = eta * theta / (J * CE * tau_m) * 1000.0  # Hz per external source
cell = sim.IF_curr_delta(tau_m=tau_m, cm=1.0, v_rest=0.0, v_reset=10.0, v_thresh=theta, tau_refrac=2.0, i_offset=0.0)
rng = NumpyRNG(seed=4321)
E = sim.Population(NE, cell, label="E", initial_values={"v": RandomDistribution("uniform", (0.0, 20.0), rng=rng)})
I = sim.Population(NI, cell, label="I", initial_values={"v": RandomDistribution("uniform", (0.0, 20.0), rng=rng)})
for post in (E, I):
    sim.Projection(E, post, sim.FixedNumberPreConnector(CE, with_replacement=True, rng=rng),
                   sim.StaticSynapse(weight=J, delay=D), receptor_type="excitatory")
    sim.Projection(I, post, sim.FixedNumberPreConnector(CI, with_replacement=True, rng=rng),
                   sim.StaticSynapse(weight=-g * J, delay=D), receptor_type="inhibitory")
ext = sim.Population(NE, sim.SpikeSourcePoisson(rate=nu_ext), label="ext")
for post in (E, I):
    sim.Projection(ext, post, sim.FixedNumberPreConnector(CE, with_replacement=True, rng=rng),
                   sim.StaticSynapse(weight=J, delay=D), receptor_type="excitatory")
E.record("spikes")
I.record("spikes")
t_build = time.perf_counter()
sim.run(duration)
counts = {p.label: sum(p.get_spike_counts().values()) for p in (E, I)}
t_end = time.perf_counter()
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"backend": backend, "model": "brunel", "order": order, "duration_ms": duration, "threads": threads,
                  "rate_exc_hz": counts["E"] / NE / (duration / 1000), "rate_inh_hz": counts["I"] / NI / (duration / 1000),
                  "script_build_s": t_build - t0, "run_and_read_s": t_end - t_build, "total_s": t_end - t0,
                  "peak_rss_mb": rss / 1024}))
sim.end()
