#!/usr/bin/python3
"""Heat map of one sweep metric over two swept keys, from `nmsim sweep S --collect`'s summary.h5.
usage: plot_sweep.py OUT/summary.h5 [--metric mean_rate] [--x vars.g] [--y vars.eta] [-o heatmap.png]
Values are averaged over repeats; on grids with more than two keys, the other keys are averaged too."""
import argparse

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("summary")
    ap.add_argument("--metric", default="mean_rate")
    ap.add_argument("--x", default=None, help="swept key on the x axis (default: first grid key)")
    ap.add_argument("--y", default=None, help="swept key on the y axis (default: second grid key)")
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args()
    with h5py.File(args.summary, "r") as f:
        axes_attr = f.attrs["grid_axes"]
        axes = [a for a in (axes_attr.decode() if isinstance(axes_attr, bytes) else str(axes_attr)).split(",") if a]
        if len(axes) < 3:
            raise SystemExit(f"{args.summary}: needs a grid sweep over at least two keys")
        keys = axes[:-1]  # the last axis is the repeat
        x = args.x or keys[0]
        y = args.y or keys[1]
        if f"grid/{args.metric}" not in f:
            raise SystemExit(f"{args.summary}: no metric {args.metric} (have: {', '.join(f['grid'].keys())})")
        data = f[f"grid/{args.metric}"][:]
        xs, ys = f[f"axes/{x}"][:], f[f"axes/{y}"][:]
    keep = [keys.index(x), keys.index(y)]
    other = tuple(i for i in range(data.ndim) if i not in keep)
    grid = np.nanmean(data, axis=other) if other else data
    if keep[0] > keep[1]:
        grid = grid.T
    fig, ax = plt.subplots(figsize=(7, 5))
    mesh = ax.pcolormesh(np.arange(len(xs) + 1), np.arange(len(ys) + 1), grid.T, shading="flat", cmap="viridis")
    ax.set_xticks(np.arange(len(xs)) + 0.5, [f"{v:g}" for v in xs])
    ax.set_yticks(np.arange(len(ys)) + 0.5, [f"{v:g}" for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for i in range(len(xs)):
        for j in range(len(ys)):
            if np.isfinite(grid[i, j]):
                ax.text(i + 0.5, j + 0.5, f"{grid[i, j]:.3g}", ha="center", va="center", color="w", fontsize=8)
    fig.colorbar(mesh, label=args.metric)
    ax.set_title(f"{args.metric} over {x} x {y}")
    fig.tight_layout()
    out = args.output or args.summary.rsplit("/", 1)[0] + f"/{args.metric}.png"
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
