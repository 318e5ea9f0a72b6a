#!/usr/bin/env bash
# Potjans-Diesmann microcircuit at full scale for three seeds: rates (500-1500 ms) and CV ISI per
# population against NEST's published band, build and simulation time, peak RSS and bytes/synapse;
# the PD14 figure (scripts/plot_microcircuit.py) from the three runs.
# Usage: scripts/bench/microcircuit_run.sh [out_dir=out/microcircuit_run] [threads=2] [--set k=v ...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/out/microcircuit_run}
THREADS=${2:-2}
shift $(( $# > 2 ? 2 : $# ))
mkdir -p "$OUT"
runs=()
for seed in 55 56 57; do
  "$ROOT/build/nmsim" run "$ROOT/configs/microcircuit.yaml" --seed "$seed" --threads "$THREADS" \
    -o "$OUT/seed$seed.h5" --json "$@" >"$OUT/seed$seed.json"
  runs+=("$OUT/seed$seed.h5")
done
/usr/bin/python3 - "$OUT"/seed*.json <<'PY'
import json, sys
print(f"{'seed':>6}{'build s':>10}{'sim s':>9}{'sim s per bio s':>17}{'B/synapse':>11}{'peak RSS':>10}{'events/s/core':>15}")
for p in sys.argv[1:]:
    j = json.load(open(p))
    print(f"{j['seed']:>6}{j['build_s']:>10.2f}{j['sim_s']:>9.2f}{j['sim_s'] / (j['duration_ms'] / 1000):>17.2f}"
          f"{j['bytes_per_synapse']:>11.3f}{j['peak_rss'] / 2**30:>9.2f}G{j['events_per_s_per_core']:>15.3g}")
PY
/usr/bin/python3 "$ROOT/scripts/plot_microcircuit.py" "${runs[@]}" -o "$OUT/microcircuit.png" --json "$OUT/stats.json"
