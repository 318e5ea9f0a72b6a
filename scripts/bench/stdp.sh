#!/usr/bin/env bash
# STDP cost (issue 13): Brunel with plastic E->E synapses (configs/brunel_stdp.yaml) against nmsim's own
# static Brunel and against Brian2 with the same plasticity, in one run; bytes per plastic synapse.
# Usage: scripts/bench/stdp.sh [order=2500] [duration_ms=1000] [threads=2]    (BRIAN2=0 skips Brian2)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ORDER=${1:-2500}
DURATION=${2:-1000}
THREADS=${3:-2}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
common=(--set vars.order="$ORDER" --set simulation.duration="$DURATION" --threads "$THREADS" --json)
# Static and plastic alternate, three runs each, and the medians are compared: this VM's speed drifts
# by tens of percent within minutes, which one run of each would put into the ratio.
for k in 1 2 3; do
  "$ROOT/build/nmsim" run "$ROOT/configs/brunel_delta.yaml" "${common[@]}" -o "$OUT/static.h5" >"$OUT/static$k.json"
  "$ROOT/build/nmsim" run "$ROOT/configs/brunel_stdp.yaml" "${common[@]}" -o "$OUT/stdp.h5" >"$OUT/stdp$k.json"
done
if [ "${BRIAN2:-1}" != 0 ]; then
  /usr/bin/python3 "$ROOT/scripts/bench/stdp_brian2.py" "$ORDER" "$DURATION" "$THREADS" >"$OUT/brian2.txt" 2>"$OUT/brian2.err"
else
  echo "network_run_s=nan compile_s=nan mean_rate_hz=nan" >"$OUT/brian2.txt"
fi
/usr/bin/python3 - "$OUT" "$ORDER" "$DURATION" "$THREADS" <<'PY'
import json, re, sys
out = sys.argv[1]
runs = {kind: [json.load(open(f"{out}/{kind}{k}.json")) for k in (1, 2, 3)] for kind in ("static", "stdp")}
median = lambda rs: sorted(rs, key=lambda r: r["sim_s"])[1]
s, p = median(runs["static"]), median(runs["stdp"])
b = dict(re.findall(r"(\w+)=([-\d.e+a-z]+)", open(f"{out}/brian2.txt").read()))
b_run = float(b["network_run_s"])
ee = p["tables"]["ee"]["plastic"]
print(f"Brunel order {sys.argv[2]}, {sys.argv[3]} ms, {sys.argv[4]} threads; {ee['synapses']:,} plastic E->E synapses")
print(f"{'':28}{'static':>10}{'plastic':>10}{'brian2 plastic':>16}")
print(f"{'simulate (s), median of 3':28}{s['sim_s']:10.2f}{p['sim_s']:10.2f}{b_run:16.2f}")
for kind in ("static", "stdp"):
    print(f"  {kind} runs (s): " + ", ".join(f"{r['sim_s']:.2f}" for r in runs[kind]))
print(f"{'mean rate (Hz)':28}{s['mean_rate_hz']:10.2f}{p['mean_rate_hz']:10.2f}{float(b['mean_rate_hz']):16.2f}")
print(f"plastic / static: {p['sim_s'] / s['sim_s']:.2f}x (target <= 3x); Brian2 / plastic: {b_run / p['sim_s']:.2f}x (target >= 10x)")
print(f"bytes per plastic synapse: {ee['bytes_per_synapse']:.3f} (connectivity + 16-bit weight; target <= 2.0) "
      f"+ row index {ee['row_index_bytes'] / ee['synapses']:.3f} B/synapse (O(sources x partitions))")
PY
