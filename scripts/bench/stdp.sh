#!/usr/bin/env bash
# STDP cost (issue 13): Brunel with plastic E->E synapses (configs/brunel_stdp.yaml) against nmsim's own
# static Brunel and against Brian2 with the same plasticity, in one run; bytes per plastic synapse.
# The plastic network runs twice: as configured (storage auto: E->E's rows regenerated as slot rows,
# 2 B per plastic synapse) and with E->E's targets in a packed table (2.78 B, faster).
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
  "$ROOT/build/nmsim" run "$ROOT/configs/brunel_stdp.yaml" "${common[@]}" --set projections.ee.synapse.storage=packed \
    -o "$OUT/stdp_packed.h5" >"$OUT/stdp_packed$k.json"
done
if [ "${BRIAN2:-1}" != 0 ]; then
  /usr/bin/python3 "$ROOT/scripts/bench/stdp_brian2.py" "$ORDER" "$DURATION" "$THREADS" >"$OUT/brian2.txt" 2>"$OUT/brian2.err"
else
  echo "network_run_s=nan compile_s=nan mean_rate_hz=nan" >"$OUT/brian2.txt"
fi
/usr/bin/python3 - "$OUT" "$ORDER" "$DURATION" "$THREADS" <<'PY'
import json, re, sys
out = sys.argv[1]
runs = {kind: [json.load(open(f"{out}/{kind}{k}.json")) for k in (1, 2, 3)] for kind in ("static", "stdp", "stdp_packed")}
median = lambda rs: sorted(rs, key=lambda r: r["sim_s"])[1]
s, p, pp = median(runs["static"]), median(runs["stdp"]), median(runs["stdp_packed"])
b = dict(re.findall(r"(\w+)=([-\d.e+a-z]+)", open(f"{out}/brian2.txt").read()))
b_run = float(b["network_run_s"])
ee, eep = p["tables"]["ee"], pp["tables"]["ee"]
print(f"Brunel order {sys.argv[2]}, {sys.argv[3]} ms, {sys.argv[4]} threads; {ee['plastic']['synapses']:,} plastic E->E synapses")
print(f"{'':28}{'static':>10}{'plastic':>10}{'plastic packed':>16}{'brian2 plastic':>16}")
print(f"{'simulate (s), median of 3':28}{s['sim_s']:10.2f}{p['sim_s']:10.2f}{pp['sim_s']:16.2f}{b_run:16.2f}")
for kind in ("static", "stdp", "stdp_packed"):
    print(f"  {kind} runs (s): " + ", ".join(f"{r['sim_s']:.2f}" for r in runs[kind]))
print(f"{'mean rate (Hz)':28}{s['mean_rate_hz']:10.2f}{p['mean_rate_hz']:10.2f}{pp['mean_rate_hz']:16.2f}{float(b['mean_rate_hz']):16.2f}")
for name, r, t in (("plastic (" + ee["storage"] + ")", p, ee), ("plastic packed", pp, eep)):
    q = t["plastic"]
    print(f"{name}: {r['sim_s'] / s['sim_s']:.2f}x static (target <= 3x), Brian2 / nmsim {b_run / r['sim_s']:.2f}x "
          f"(target >= 10x); {q['bytes_per_synapse']:.3f} B per plastic synapse (connectivity + 16-bit weight; "
          f"target <= 2.0) + {(q['row_index_bytes'] + q.get('row_state_bytes', 0)) / q['synapses']:.3f} B/synapse "
          f"per-neuron state (row index, row starts)")
PY
