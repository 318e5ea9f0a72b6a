#!/usr/bin/python3
"""Bar charts of cores and on-chip synaptic memory per chip from `nmsim footprint --format json`.
usage: nmsim footprint CONFIG --format json > fp.json && plot_footprint.py fp.json [-o footprint.png]"""
import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", help="footprint JSON file, or - for stdin")
    ap.add_argument("-o", "--output", default="footprint.png")
    args = ap.parse_args()
    report = json.load(sys.stdin if args.json == "-" else open(args.json))
    chips = report["chips"]
    names = [c["chip"] for c in chips]
    colours = ["C3" if c["violations"] else "C0" for c in chips]
    fig, (ax_c, ax_m) = plt.subplots(1, 2, figsize=(12, 4.8))
    ax_c.bar(names, [max(c["cores"], 1) for c in chips], color=colours)
    ax_c.set_yscale("log")
    ax_c.set_ylabel("cores (log)")
    ax_c.set_title("cores needed")
    mb = [c["synaptic_bytes"] / 2**20 for c in chips]
    ax_m.bar(names, mb, color=colours)
    ax_m.axhline(report["nmsim_table_bytes"] / 2**20, color="k", ls="--", label="nmsim packed table")
    ax_m.set_yscale("log")
    ax_m.set_ylabel("synaptic memory on chip (MB, log)")
    ax_m.set_title("synaptic memory")
    ax_m.legend()
    for ax in (ax_c, ax_m):
        ax.tick_params(axis="x", rotation=45)
    fig.suptitle(f"{report['config']}: {report['synapses']:,} synapses (red: chip has violations)")
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(args.output)


if __name__ == "__main__":
    main()
