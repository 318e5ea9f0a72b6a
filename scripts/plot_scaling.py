#!/usr/bin/python3
"""The scaling law of event mode, from scripts/bench/sparse.sh's scaling.csv: simulation time against
neurons (clock and event mode, same input rate) and against delivered events plus neuron updates
(event mode, sizes and input rates), with the least-squares line cost = a + b x at fixed size.
usage: plot_scaling.py OUT/scaling.csv [-o docs/event_scaling.png]"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args()
    rows = list(csv.DictReader(open(args.csv)))
    fig, (ax_n, ax_e) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode, colour in (("clock", "tab:red"), ("event", "tab:blue")):
        sel = [r for r in rows if r["mode"] == mode]
        n = np.array([float(r["neurons"]) for r in sel])
        t = np.array([float(r["sim_s"]) for r in sel])
        ax_n.plot(n, t, "o-", color=colour, label=f"{mode} mode")
    ax_n.set_xlabel("neurons (configs/sparse_1m.yaml scaled, 20 Hz input)")
    ax_n.set_ylabel("simulation time (s)")
    ax_n.set_xscale("log")
    ax_n.set_yscale("log")
    ax_n.legend()
    ev = [r for r in rows if r["mode"] in ("event", "event-rate")]
    work = np.array([float(r["synaptic_events"]) + float(r["neuron_updates"]) for r in ev])
    t = np.array([float(r["sim_s"]) for r in ev])
    # The law at fixed size (input rates); larger networks pay more per event (caches), shown apart.
    fixed = np.array([r["mode"] == "event-rate" for r in ev])
    b, a = np.polyfit(work[fixed], t[fixed], 1)
    for kind, marker in (("event", "o"), ("event-rate", "s")):
        sel = [i for i, r in enumerate(ev) if r["mode"] == kind]
        label = "sizes" if kind == "event" else "input rates (1/4 size)"
        ax_e.plot(work[sel], t[sel], marker, label=f"event mode, {label}")
    x = np.linspace(0, work.max(), 50)
    ax_e.plot(x, a + b * x, "k--", lw=1, label=f"fit at fixed size: {a * 1e3:.0f} ms + {b * 1e9:.1f} ns x work")
    ax_e.set_xlabel("synaptic events + neuron updates")
    ax_e.set_ylabel("simulation time (s)")
    ax_e.legend()
    fig.tight_layout()
    out = args.output or args.csv.rsplit(".", 1)[0] + ".png"
    fig.savefig(out, dpi=110)
    ratio = t[fixed] / (a + b * work[fixed])
    per_work = t[~fixed] / work[~fixed] * 1e9
    print(f"{out}: at fixed size, event-mode cost {a * 1e3:.0f} ms + {b * 1e9:.1f} ns per event or update "
          f"(measured/fitted {ratio.min():.2f}..{ratio.max():.2f}); across sizes "
          f"{per_work.min():.0f}..{per_work.max():.0f} ns per event or update")


if __name__ == "__main__":
    main()
