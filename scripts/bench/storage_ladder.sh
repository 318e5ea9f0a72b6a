#!/usr/bin/env bash
# The storage ladder measured: each rung on the Potjans-Diesmann microcircuit (full scale) and on
# Brunel (brunel_delta: constant weights; brunel_exp: drawn weights), with bytes/synapse, peak RSS,
# build and simulation time, events/s/core, and whether the spikes equal packed's bit for bit (h5py).
# Usage: scripts/bench/storage_ladder.sh [out_dir=out/storage_ladder] [threads=2] [pd14_ms=500]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/out/storage_ladder}
THREADS=${2:-2}
PD_MS=${3:-500}
mkdir -p "$OUT"
run() { # name config rung extra-sets...
  local name=$1 cfg=$2 rung=$3
  shift 3
  local storage="simulation.storage=$rung"
  [ "$rung" = quantised8 ] && storage="simulation.storage={quantised: 8}"
  "$ROOT/build/nmsim" run "$ROOT/configs/$cfg.yaml" --threads "$THREADS" --set "$storage" "$@" \
    -o "$OUT/${name}_$rung.h5" --json >"$OUT/${name}_$rung.json"
}
for rung in packed procedural_weights procedural quantised8; do
  run pd14 microcircuit "$rung" --set simulation.duration="$PD_MS"
  run brunel_delta brunel_delta "$rung"
  run brunel_exp brunel_exp "$rung"
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, h5py, numpy as np
out = sys.argv[1]
def same(a, b):
    with h5py.File(a) as f, h5py.File(b) as g:
        return all(np.array_equal(f[f"spikes/{p}/timestamps"][:], g[f"spikes/{p}/timestamps"][:]) and
                   np.array_equal(f[f"spikes/{p}/node_ids"][:], g[f"spikes/{p}/node_ids"][:]) for p in f["spikes"])
for name in ["pd14", "brunel_delta", "brunel_exp"]:
    print(f"\n{name}")
    print(f"| rung | storage chosen | B/synapse | peak RSS | build s | sim s | events/s/core | spikes = packed |")
    print(f"|---|---|---|---|---|---|---|---|")
    for rung in ["packed", "procedural_weights", "procedural", "quantised8"]:
        j = json.load(open(f"{out}/{name}_{rung}.json"))
        kinds = sorted({t["storage"] for t in j["tables"].values()})
        eq = "yes" if same(f"{out}/{name}_packed.h5", f"{out}/{name}_{rung}.h5") else "no"
        print(f"| {rung} | {', '.join(kinds)} | {j['bytes_per_synapse']:.3f} | {j['peak_rss'] / 2**30:.3f} GB | "
              f"{j['build_s']:.2f} | {j['sim_s']:.2f} | {j['events_per_s_per_core']:.3g} | {eq} |")
PY
