#!/usr/bin/env bash
# Brunel benchmark, nmsim and Brian2 side by side in one run, same network (order, duration, threads).
# Usage: scripts/bench/brunel.sh [order=2500] [duration_ms=1000] [threads=2]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ORDER=${1:-2500}
DURATION=${2:-1000}
THREADS=${3:-2}
BRIAN=${BRIAN_SCRIPT:-$ROOT/../shared/bench/brunel_brian2.py}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# This VM's speed drifts by tens of percent within minutes: nmsim runs twice before Brian2 and once
# after, and its median is the number compared.
run_nmsim() {
  "$ROOT/build/nmsim" run "$ROOT/configs/brunel_delta.yaml" --set vars.order="$ORDER" \
    --set simulation.duration="$DURATION" --threads "$THREADS" -o "$OUT/nmsim.h5" --json >"$OUT/nmsim$1.json"
}
run_nmsim 1
run_nmsim 2
/usr/bin/python3 "$BRIAN" "$ORDER" "$DURATION" "$THREADS" >"$OUT/brian2.txt" 2>"$OUT/brian2.err"
run_nmsim 3

/usr/bin/python3 - "$OUT" "$OUT/brian2.txt" "$ORDER" "$DURATION" "$THREADS" <<'PY'
import json, re, sys
runs = sorted((json.load(open(f"{sys.argv[1]}/nmsim{i}.json")) for i in (1, 2, 3)), key=lambda r: r["sim_s"])
n = runs[1]
b = dict(re.findall(r"(\w+)=([-\d.e+]+)", open(sys.argv[2]).read()))
b_run = float(b["network_run_s"])
print(f"Brunel order {sys.argv[3]}, {sys.argv[4]} ms, {sys.argv[5]} threads, {n['synapses']} synapses")
print(f"{'':22}{'nmsim':>12}{'brian2':>12}")
print(f"{'simulate (s)':22}{n['sim_s']:12.2f}{b_run:12.2f}   (nmsim: median of 3 runs, " +
      ", ".join(f"{r['sim_s']:.2f}" for r in runs) + ")")
print(f"{'build (s)':22}{n['build_s']:12.2f}{float(b['compile_s']):12.2f}   (brian2: code generation + compile)")
print(f"{'mean rate (Hz)':22}{n['mean_rate_hz']:12.2f}{float(b['mean_rate_hz']):12.2f}")
print(f"speed-up (brian2 run / nmsim sim): {b_run / n['sim_s']:.2f}x   (issue 10 target >= 20x)")
print(f"nmsim table: {n['bytes_per_synapse']:.3f} B/synapse (target <= 1.25), peak RSS {n['peak_rss']/2**20:.1f} MB (target <= 100 MB)")
print(f"nmsim events/s/core: {n['events_per_s_per_core']:.3g}")
PY
