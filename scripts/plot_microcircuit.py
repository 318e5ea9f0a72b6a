#!/usr/bin/python3
"""The usual Potjans-Diesmann figure from nmsim outputs of configs/microcircuit.yaml: a raster of the
first run, and per population the distributions of single-neuron rates and of the coefficient of
variation of inter-spike intervals (CV ISI), pooled over the runs given. Prints a table of mean rate
per run and population next to NEST's published band, and writes the numbers as JSON.
usage: plot_microcircuit.py RUN.h5 [RUN2.h5 ...] [-o figure.png] [--json stats.json] [--window 500 1500]"""
import argparse
import json

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
# NEST's published full-scale rates (tests/validation/microcircuit_rates.yaml has the sources).
NEST = {"L23E": [0.943, 0.971, 0.90], "L23I": [3.026, 2.868, 2.97], "L4E": [4.368, 4.746, 4.41],
        "L4I": [5.882, 5.396, 5.88], "L5E": [7.733, 8.142, 7.57], "L5I": [8.664, 9.078, 8.63],
        "L6E": [1.096, 0.991, 1.11], "L6I": [7.851, 7.523, 7.83]}


def per_neuron(t, ids, size, t0, t1):
    counts = np.bincount(ids.astype(np.int64), minlength=size)
    rates = counts / ((t1 - t0) * 1e-3)
    order = np.lexsort((t, ids))
    t, ids = t[order], ids[order]
    cvs = []
    starts = np.searchsorted(ids, np.arange(size))
    ends = np.searchsorted(ids, np.arange(size), side="right")
    for a, b in zip(starts, ends):
        if b - a >= 3:
            isi = np.diff(t[a:b])
            cvs.append(isi.std() / isi.mean())
    return rates, np.array(cvs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("-o", "--output", default=None, help="PNG path (default: next to the first run)")
    ap.add_argument("--json", default=None, help="write the statistics here")
    ap.add_argument("--window", nargs=2, type=float, default=[500.0, 1500.0], metavar=("T0", "T1"))
    args = ap.parse_args()
    t0, t1 = args.window
    out = args.output or args.runs[0].rsplit(".", 1)[0] + "_microcircuit.png"

    stats = {"window_ms": [t0, t1], "runs": []}
    pooled = {p: {"rates": [], "cv": []} for p in POPS}
    raster = None
    for path in args.runs:
        with h5py.File(path, "r") as f:
            summary = json.loads(f["nmsim/summary"][()])
            run = {"file": path, "seed": summary["seed"], "rates_hz": {}, "cv_isi": {}}
            for pop in POPS:
                t = f[f"spikes/{pop}/timestamps"][:]
                ids = f[f"spikes/{pop}/node_ids"][:]
                size = summary["population_sizes"][pop]
                keep = (t > t0) & (t <= t1)
                rates, cvs = per_neuron(t[keep], ids[keep], size, t0, t1)
                run["rates_hz"][pop] = float(rates.mean())
                run["cv_isi"][pop] = float(np.mean(cvs)) if len(cvs) else float("nan")
                pooled[pop]["rates"].append(rates)
                pooled[pop]["cv"].append(cvs)
                if raster is None:
                    raster = {"file": path, "pops": {}}
                if raster["file"] == path:
                    sel = (t > t1 - 100.0) & (t <= t1) & (ids < size * 0.05 + 1)
                    raster["pops"][pop] = (t[sel], ids[sel], size)
        stats["runs"].append(run)

    print(f"rates over {t0:.0f}-{t1:.0f} ms (Hz) and mean CV ISI; NEST's published band in brackets")
    header = "pop   " + "".join(f"  seed {r['seed']:<6}" for r in stats["runs"]) + "   mean     NEST          CV ISI"
    print(header)
    stats["populations"] = {}
    for pop in POPS:
        rs = [r["rates_hz"][pop] for r in stats["runs"]]
        cv = float(np.nanmean([r["cv_isi"][pop] for r in stats["runs"]]))
        lo, hi = min(NEST[pop]), max(NEST[pop])
        stats["populations"][pop] = {"mean_rate_hz": float(np.mean(rs)), "sd_rate_hz": float(np.std(rs)),
                                     "nest_min_hz": lo, "nest_max_hz": hi, "cv_isi": cv}
        print(f"{pop:5} " + "".join(f"  {x:11.3f}" for x in rs) +
              f"  {np.mean(rs):7.3f}   [{lo:.3f}, {hi:.3f}]   {cv:.3f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(stats, fh, indent=2)

    fig = plt.figure(figsize=(13, 6))
    ax_r = fig.add_subplot(1, 3, 1)
    offset = 0
    colors = {"E": "#3b6fb6", "I": "#c0392b"}
    ticks, labels = [], []
    for pop in POPS:
        t, ids, size = raster["pops"][pop]
        ax_r.plot(t, -(ids.astype(np.int64) + offset), ".", color=colors[pop[-1]], markersize=1.5)
        ticks.append(-(offset + size * 0.025))
        labels.append(pop)
        offset += int(size * 0.05) + 1
    ax_r.set_yticks(ticks)
    ax_r.set_yticklabels(labels)
    ax_r.set_xlabel("time (ms)")
    ax_r.set_title("raster (5% of neurons, last 100 ms)")
    ax_b = fig.add_subplot(1, 3, 2)
    data = [np.concatenate(pooled[p]["rates"]) for p in POPS]
    ax_b.boxplot(data[::-1], vert=False, labels=POPS[::-1], showfliers=False)
    for i, p in enumerate(POPS[::-1]):
        ax_b.plot([min(NEST[p]), max(NEST[p])], [i + 1, i + 1], color="orange", lw=4, alpha=0.7,
                  label="NEST published" if i == 0 else None)
    ax_b.set_xlabel("rate (spikes/s)")
    ax_b.set_title(f"single-neuron rates, {len(args.runs)} run(s)")
    ax_b.legend(loc="lower right", fontsize=8)
    ax_c = fig.add_subplot(1, 3, 3)
    data = [np.concatenate(pooled[p]["cv"]) for p in POPS]
    ax_c.boxplot(data[::-1], vert=False, labels=POPS[::-1], showfliers=False)
    ax_c.set_xlabel("CV ISI")
    ax_c.set_title("irregularity (neurons with >= 3 spikes)")
    fig.suptitle("Potjans & Diesmann (2014) microcircuit, nmsim")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
