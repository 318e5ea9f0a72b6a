#!/usr/bin/python3
"""Raster plot and population rate histogram of an nmsim (SONATA) output file.
usage: plot_raster.py OUT.h5 [-o raster.png] [--max-neurons 500] [--bin 5.0]"""
import argparse
import json

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("h5")
    ap.add_argument("-o", "--output", default=None, help="PNG path (default: next to the input)")
    ap.add_argument("--max-neurons", type=int, default=500, help="neurons per population in the raster")
    ap.add_argument("--bin", type=float, default=5.0, help="rate histogram bin (ms)")
    args = ap.parse_args()
    out = args.output or args.h5.rsplit(".", 1)[0] + "_raster.png"

    with h5py.File(args.h5, "r") as f:
        if "spikes" not in f:
            raise SystemExit(f"{args.h5}: no /spikes group (record spikes to plot a raster)")
        pops = list(f["spikes"].keys())
        duration = json.loads(f["nmsim/summary"][()])["duration_ms"]
        spikes = {p: (f[f"spikes/{p}/timestamps"][:], f[f"spikes/{p}/node_ids"][:]) for p in pops}
    fig, (ax_r, ax_h) = plt.subplots(2, 1, figsize=(10, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    offset = 0
    bins = np.arange(0.0, duration + args.bin, args.bin)
    for i, p in enumerate(pops):
        t, ids = spikes[p]
        n_pop = int(ids.max()) + 1 if len(ids) else 1
        keep = ids < args.max_neurons
        ax_r.plot(t[keep], ids[keep] + offset, ".", ms=1, color=f"C{i}", label=p)
        offset += min(n_pop, args.max_neurons)
        counts, _ = np.histogram(t, bins=bins)
        ax_h.plot(bins[:-1], counts / n_pop / (args.bin * 1e-3), color=f"C{i}", label=p)
    ax_r.set_ylabel("neuron")
    ax_r.legend(loc="upper right", markerscale=8)
    ax_h.set_xlabel("time (ms)")
    ax_h.set_ylabel("rate (Hz)")
    ax_r.set_title(args.h5)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
