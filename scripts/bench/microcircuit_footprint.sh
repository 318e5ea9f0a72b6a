#!/usr/bin/env bash
# Maps the full-scale Potjans-Diesmann microcircuit (0.285 G synapses) onto every chip profile and
# reports wall time, CPU time and peak RSS against the targets (< 60 s, < 2 GB on 2 cores).
# Usage: scripts/bench/microcircuit_footprint.sh [threads=2]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
/usr/bin/time -v "$ROOT/build/nmsim" footprint "$ROOT/configs/microcircuit.yaml" --threads "${1:-2}" --format json \
    >"$OUT/fp.json" 2>"$OUT/time.txt"
/usr/bin/python3 - "$OUT/fp.json" "$OUT/time.txt" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
def field(name): return re.search(name + r".*?: (.+)", t).group(1).strip()
wall = field("Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)")
m, s = wall.split(":")[-2:]
wall_s = int(m) * 60 + float(s)
cpu = float(field("User time \\(seconds\\)")) + float(field("System time \\(seconds\\)"))
rss = int(field("Maximum resident set size \\(kbytes\\)")) / 2**20
print(f"microcircuit: {r['synapses']:,} synapses on {len(r['chips'])} chips")
print(f"wall {wall_s:.1f} s (target < 60 s), CPU {cpu:.1f} s, peak RSS {rss:.2f} GB (target < 2 GB)")
for c in r["chips"]:
    print(f"  {c['chip']:<13} {c['cores']:>8} cores {c['chips']:>6} chips  {c['binding_constraint']}")
PY
