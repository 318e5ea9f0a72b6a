#!/usr/bin/python3
"""Song, Miller & Abbott (2000) in nmsim and Brian2, in one run: one conductance-based neuron, 1000
Poisson inputs at 15 Hz, additive all-to-all STDP (configs/song2000.yaml). Compares the final weight
histograms and the output rate over time, and checks what the paper shows: the weights become bimodal
(at 0 and g_max) and the output rate falls from its initial value and settles.

Brian2 runs C++ standalone with NEST's (and nmsim's) delay semantics: the synapse sees a presynaptic
spike when it is emitted and a postsynaptic spike one dendritic delay (0.1 ms) after it, and transmits
after the delay. The settled rate is a steep function of the learning balance (1 % less A- moves it by
~50 %, docs/plasticity.md), so rates are compared with a tolerance of that order, the mean final weight
(the well-conditioned quantity) to 2 % of g_max.

usage: song2000_vs_brian2.py [--seed N] [--dt MS] [--duration MS] [--no-check]"""
import argparse, os, subprocess, sys, tempfile, time
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINS = 10


def run_nmsim(binary, seed, dt, duration, out):
    args = [binary, "run", os.path.join(ROOT, "configs/song2000.yaml"), "-o", out, "--set",
            f"simulation.seed={seed}", "--set", f"simulation.dt={dt}", "--set", f"simulation.duration={duration}",
            "--set", f"projections.input.synapse.delay={dt}"]
    t0 = time.time()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.time() - t0
    import h5py
    with h5py.File(out, "r") as f:
        g_max = 0.01 * 0.1  # uS, configs/song2000.yaml
        w = f["/edges/input/0/syn_weight"][:] / g_max
        spikes = f["/spikes/neuron/timestamps"][:]
    return w, spikes, wall


def run_brian2(seed, step_ms, duration):
    from brian2 import (NeuronGroup, PoissonGroup, SpikeMonitor, Synapses, defaultclock, ms, mV,
                        Hz, prefs, run, set_device)
    import brian2
    outdir = tempfile.mkdtemp(prefix="b2song_")
    set_device("cpp_standalone", directory=outdir)
    prefs.codegen.cpp.extra_compile_args_gcc = ["-O2", "-w"]
    defaultclock.dt = step_ms * ms
    brian2.seed(seed)
    # Brian2's examples/synapses/STDP.py: conductance relative to the leak, g_max 0.01.
    taum, taupre, taupost, Ee, vt, vr, El, taue = 10 * ms, 20 * ms, 20 * ms, 0 * mV, -54 * mV, -60 * mV, -74 * mV, 5 * ms
    gmax, dApre = 0.01, 0.01
    dApost = -dApre * taupre / taupost * 1.05 * gmax
    dApre *= gmax
    neuron = NeuronGroup(1, "dv/dt = (ge * (Ee-v) + El - v) / taum : volt\ndge/dt = -ge / taue : 1",
                         threshold="v>vt", reset="v = vr", method="euler",
                         namespace=dict(Ee=Ee, El=El, taum=taum, taue=taue, vt=vt, vr=vr))
    neuron.v = El
    inputs = PoissonGroup(1000, rates=15 * Hz)
    syn = Synapses(inputs, neuron,
                   """w : 1
                      dApre/dt = -Apre / taupre : 1 (event-driven)
                      dApost/dt = -Apost / taupost : 1 (event-driven)""",
                   on_pre={"transmit": "ge += w",
                           "learn": "Apre += dApre\nw = clip(w + Apost, 0, gmax)"},
                   on_post="Apost += dApost\nw = clip(w + Apre, 0, gmax)",
                   delay={"transmit": step_ms * ms, "learn": 0 * ms, "post": step_ms * ms},
                   namespace=dict(taupre=taupre, taupost=taupost, dApre=dApre, dApost=dApost, gmax=gmax))
    syn.connect()
    syn.w = "rand() * gmax"
    mon = SpikeMonitor(neuron)
    t0 = time.time()
    run(duration * ms)
    wall = time.time() - t0  # compile + run
    return np.asarray(syn.w[:]) / gmax, np.asarray(mon.t / ms), wall


def rates_over_time(spikes, duration, bins=BINS):
    return np.histogram(spikes, bins=bins, range=(0, duration))[0] / (duration / bins / 1000.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dt", type=float, default=0.1)
    ap.add_argument("--duration", type=float, default=100000.0)
    ap.add_argument("--no-check", action="store_true")
    a = ap.parse_args()
    binary = os.environ.get("NMSIM_BINARY", os.path.join(ROOT, "build/nmsim"))
    with tempfile.TemporaryDirectory() as tmp:
        w_n, s_n, wall_n = run_nmsim(binary, a.seed, a.dt, a.duration, os.path.join(tmp, "song.h5"))
    w_b, s_b, wall_b = run_brian2(a.seed, a.dt, a.duration)

    h_n = np.histogram(w_n, bins=BINS, range=(0, 1))[0] / len(w_n)
    h_b = np.histogram(w_b, bins=BINS, range=(0, 1))[0] / len(w_b)
    r_n, r_b = rates_over_time(s_n, a.duration), rates_over_time(s_b, a.duration)
    tv = 0.5 * np.abs(h_n - h_b).sum()
    late_n, late_b = r_n[BINS // 2:].mean(), r_b[BINS // 2:].mean()
    print(f"Song, Miller & Abbott (2000): seed {a.seed}, dt {a.dt} ms, {a.duration / 1000:g} s")
    print("final weights / g_max, fraction per bin of 0.1:")
    print("  nmsim  " + " ".join(f"{x:5.3f}" for x in h_n) + f"   mean {w_n.mean():.4f}")
    print("  brian2 " + " ".join(f"{x:5.3f}" for x in h_b) + f"   mean {w_b.mean():.4f}")
    print(f"  total variation distance {tv:.3f}")
    print(f"output rate (Hz) per {a.duration / BINS / 1000:g} s:")
    print("  nmsim  " + " ".join(f"{x:5.1f}" for x in r_n) + f"   second half {late_n:.1f}")
    print("  brian2 " + " ".join(f"{x:5.1f}" for x in r_b) + f"   second half {late_b:.1f}")
    print(f"wall: nmsim {wall_n:.1f} s (run), brian2 {wall_b:.1f} s (C++ standalone, compile + run)")
    if a.no_check:
        return 0
    failures = []
    for name, h, r in (("nmsim", h_n, r_n), ("brian2", h_b, r_b)):
        if not (h[0] > 0.15 and h[-1] > 0.12 and min(h[0], h[-1]) > max(h[1:-1])):
            failures.append(f"{name}: weights not bimodal at 0 and g_max: {h}")
        if not r[0] > 1.2 * r[BINS // 2:].mean():
            failures.append(f"{name}: the output rate did not fall from its initial value: {r}")
    if tv > 0.1:
        failures.append(f"weight histograms differ: total variation {tv:.3f} > 0.1")
    if abs(w_n.mean() - w_b.mean()) > 0.02:
        failures.append(f"mean final weights differ by more than 0.02 g_max: {w_n.mean():.4f} vs {w_b.mean():.4f}")
    if not 0.6 < late_n / late_b < 1.0 / 0.6:
        failures.append(f"settled rates differ by more than the learning balance allows: {late_n:.1f} vs {late_b:.1f}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
