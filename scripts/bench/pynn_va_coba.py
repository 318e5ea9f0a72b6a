"""The Vogels-Abbott COBA benchmark (Brette et al. 2007, benchmark 1) as PyNN's VAbenchmarks.py writes
it: 4000 IF_cond_exp cells (80% excitatory), p = 0.02, 4 / 51 nS, a 50 ms Poisson kick, 1 s.
Usage: /usr/bin/python3 pynn_va_coba.py BACKEND [duration_ms] [threads]; prints one JSON line."""
import importlib
import json
import resource
import sys
import time

t0 = time.perf_counter()
backend = sys.argv[1]
duration = float(sys.argv[2]) if len(sys.argv) > 2 else 1000.0
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
sim = importlib.import_module("pyNN." + backend)
from pyNN.random import NumpyRNG, RandomDistribution

extra = {"threads": threads} if backend == "nmsim" else {}
sim.setup(timestep=0.1, min_delay=0.1, **extra)
n_exc, n_inh = 3200, 800
cell = sim.IF_cond_exp(tau_m=20.0, cm=0.2, v_rest=-60.0, v_thresh=-50.0, v_reset=-60.0, tau_refrac=5.0,
                       tau_syn_E=5.0, tau_syn_I=10.0, e_rev_E=0.0, e_rev_I=-80.0, i_offset=0.0)
rng = NumpyRNG(seed=98765)
exc = sim.Population(n_exc, cell, label="exc")
inh = sim.Population(n_inh, cell, label="inh")
for p in (exc, inh):
    p.initialize(v=RandomDistribution("uniform", (-60.0, -50.0), rng=rng))
stim = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, duration=50.0), label="stim")
conn = sim.FixedProbabilityConnector(0.02, rng=rng)
exc_syn = sim.StaticSynapse(weight=0.004, delay=0.2)
inh_syn = sim.StaticSynapse(weight=0.051, delay=0.2)
for pre, syn, rec in ((exc, exc_syn, "excitatory"), (inh, inh_syn, "inhibitory")):
    for post in (exc, inh):
        sim.Projection(pre, post, conn, syn, receptor_type=rec)
sim.Projection(stim, exc, sim.FixedProbabilityConnector(0.1, rng=rng), sim.StaticSynapse(weight=0.1, delay=0.2),
               receptor_type="excitatory")
exc.record("spikes")
inh.record("spikes")
t_build = time.perf_counter()
sim.run(duration)
counts = {p.label: sum(p.get_spike_counts().values()) for p in (exc, inh)}
t_end = time.perf_counter()
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
out = {"backend": backend, "model": "va_coba", "peak_rss_mb": rss / 1024, "duration_ms": duration, "threads": threads,
       "rate_exc_hz": counts["exc"] / n_exc / (duration / 1000), "rate_inh_hz": counts["inh"] / n_inh / (duration / 1000),
       "script_build_s": t_build - t0, "run_and_read_s": t_end - t_build, "total_s": t_end - t0}
if backend == "nmsim":
    s = sim.last_run_summary()
    out.update(nmsim_build_s=s.get("build_s"), nmsim_sim_s=s.get("sim_s"), synapses=s.get("synapses"),
               peak_rss=s.get("peak_rss"))
print(json.dumps(out))
sim.end()
